"""Pacing and retrying the requests of an HTTP API, and naming what failed on the way.

Shared by the providers that speak to a web API (Cloudflare, DNS Made Easy,
GoDaddy); each keeps what its API's status codes mean. Nothing here sends a
request: :class:`RequestBudget` paces them, :func:`back_off` waits before the next
attempt (:func:`retry_wait` says how long), :func:`retry_after` reads how long the
server asked for, and :func:`transport_why` names a timeout or a connection failure.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

from .errors import connection_failure


class RequestBudget:
    """At most ``limit`` requests in any ``window`` seconds: waits instead of earning a 429.

    A request counts from when :meth:`acquire` let it go or, when its cell is passed
    to :meth:`done`, from when its answer came (never earlier than the server
    counted it).
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._cells: list[list[float]] = []  # one per request of ours in the window: [time]
        self._lock = threading.Lock()

    def acquire(self) -> list[float]:
        """Wait for room in the window; the request's cell, for :meth:`done`."""
        while True:
            with self._lock:
                now = time.monotonic()
                self._cells = [c for c in self._cells if now - c[0] < self.window]
                if len(self._cells) < self.limit:
                    cell = [now]
                    self._cells.append(cell)
                    return cell
                wait = min(c[0] for c in self._cells) + self.window - now
            time.sleep(min(max(wait, 0.01), 5.0))

    def done(self, cell: list[float]) -> None:
        """The request got its answer (or failed): it counts from now."""
        with self._lock:
            cell[0] = time.monotonic()


def retry_wait(attempt: int, period: float, asked: float | None, cap: float) -> float:
    """Seconds before retry ``attempt`` (1, 2, ...): exponential backoff from ``period``
    with up to 50 % jitter, at least what the server ``asked`` (``Retry-After``), at most
    ``cap`` (``max_retry_after``)."""
    wait = period * 2 ** (attempt - 1) * (1 + random.random() / 2)
    if asked is not None:
        wait = max(wait, asked)
    return min(wait, cap)


class Retrying(Protocol):
    """A client with bounded retries: its options and its log."""

    @property
    def log(self) -> logging.Logger: ...
    @property
    def retry_count(self) -> int: ...
    @property
    def retry_period(self) -> float: ...
    @property
    def max_retry_after(self) -> float: ...


def back_off(client: Retrying, attempt: int, asked: float | None, why: str) -> None:
    """Log why (``why``) retry ``attempt`` of ``client.retry_count`` follows, and wait for
    it: :func:`retry_wait` with the client's options."""
    wait = retry_wait(attempt, client.retry_period, asked, client.max_retry_after)
    client.log.warning("%s; retry %d/%d in %.1fs", why, attempt, client.retry_count, wait)
    time.sleep(wait)


def retry_after(headers: Mapping[str, str], *fallbacks: Any) -> float | None:
    """Seconds the server asked us to wait: the ``Retry-After`` header, else the first of
    ``fallbacks`` (a body field) that is a number; never negative; None when none is."""
    for value in (headers.get("Retry-After"), *fallbacks):
        try:
            if value is not None:
                return max(float(value), 0.0)
        except (TypeError, ValueError):
            continue
    return None


def transport_why(api: str, error: BaseException, *, timed_out: bool) -> str:
    """What went wrong on the way to ``api`` (its name) when no answer came, in words."""
    kind = type(error).__name__
    if timed_out:
        return f"no answer from {api} in time ({kind})"
    failure = connection_failure(error)
    if failure in ("refused", "reset", "closed"):
        return f"{api} connection {failure} ({kind})"
    return f"{api} connection problem ({kind})"
