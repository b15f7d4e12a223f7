"""Exceptions with one-line, user-facing messages.

Every error the planner raises on bad input or an unsafe plan derives from
:class:`AutodiscoverError`, so the CLI can print ``error: <message>`` and exit 1
without a traceback, and plain ``octodns-sync`` still stops on them.
"""

from octodns.processor.base import ProcessorException


class AutodiscoverError(ProcessorException):
    """Base class: the message is one line that says what is wrong and what to do."""


class DeclarationError(AutodiscoverError):
    """A zone file declares something the policy refuses."""


class CatalogError(AutodiscoverError):
    """The platform catalog is missing or malformed."""


class UnsafePlanError(AutodiscoverError):
    """A plan would touch something the planner must never touch."""


class ZoneMissingError(AutodiscoverError):
    """The zone does not exist at its provider; we never create zones."""
