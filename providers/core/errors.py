"""Exceptions with one-line, user-facing messages.

Every error the planner raises on bad input or an unsafe plan derives from
:class:`AutodiscoverError`, so the CLI can print ``error: <message>`` and exit 1
without a traceback, and plain ``octodns-sync`` still stops on them. Providers
raise them ``from`` the library error, so ``--debug`` shows the cause, and
name connection failures with :func:`connection_failure` (by exception type,
never by message text).
"""

import socket
from collections.abc import Iterator
from http.client import RemoteDisconnected

from octodns.processor.base import ProcessorException


class AutodiscoverError(ProcessorException):
    """Base class: the message is one line that says what is wrong and what to do."""


class Problems(AutodiscoverError):
    """Independent problems (every bad file of a run): one line each, then a count if several."""

    def __init__(self, problems: list[str], outcome: str) -> None:
        self.problems = problems
        self.outcome = outcome
        super().__init__("\n".join(problems))

    @property
    def lines(self) -> list[str]:
        if len(self.problems) == 1:
            return list(self.problems)
        return [*self.problems, f"{len(self.problems)} {self.outcome}"]


class DeclarationError(AutodiscoverError):
    """A zone file declares something the policy refuses."""


class CatalogError(AutodiscoverError):
    """The platform catalog is missing or malformed."""


class UnsafePlanError(AutodiscoverError):
    """A plan would touch something the planner must never touch."""


class ZoneMissingError(AutodiscoverError):
    """The zone does not exist at its provider; we never create zones."""


def connection_failure(error: BaseException) -> str | None:
    """How a connection failed, from the exception types behind ``error``, or None.

    HTTP and DNS clients wrap the socket error (requests in urllib3's, urllib3
    in its own, with the original as an argument, ``reason`` or cause), so the
    whole chain is searched: ``"refused"`` (nothing listens), ``"unknown host"``
    (the name does not resolve), ``"closed"`` (the server ended the connection
    without an answer), ``"reset"`` (it reset it).
    """
    found = list(causes(error))
    if any(isinstance(e, ConnectionRefusedError) for e in found):
        return "refused"
    if any(isinstance(e, socket.gaierror) and e.errno == socket.EAI_NONAME for e in found):
        return "unknown host"
    # RemoteDisconnected is a ConnectionResetError: the server closed, it did not reset
    if any(isinstance(e, _CLOSED) for e in found):
        return "closed"
    if any(isinstance(e, ConnectionResetError) for e in found):
        return "reset"
    return None


_CLOSED = (RemoteDisconnected, ConnectionAbortedError, BrokenPipeError)


def causes(error: BaseException) -> Iterator[BaseException]:
    """``error`` and every exception it wraps: cause, context, ``reason``, arguments."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        inner += list(current.args)
        inner += list((getattr(current, "kwargs", None) or {}).values())  # botocore
        todo += [e for e in inner if isinstance(e, BaseException)]
