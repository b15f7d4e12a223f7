"""Ctrl-C (SIGINT) and a CI cancel (SIGTERM): stop between zones, never inside one.

By default a signal raises :class:`Interrupted` (a ``BaseException``, like
``KeyboardInterrupt``). While a plan or an apply runs, raising inside library
code is not safe (a library may turn it into a zone's "cannot read" failure),
so the signal is only recorded and acted on between zones:

- :meth:`StopSignal.checkpoints` (planning): the next :meth:`checkpoint`, called
  as each zone is planned, raises; a second signal raises at once (nothing has
  been written yet);
- :meth:`StopSignal.deferred` (applying): the zone in flight finishes, the caller
  checks :attr:`received` and starts no other zone, then reports what was and was
  not applied.

The exit code is the shell's: 128 + the signal number (130, 143).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A stop signal arrived while nothing could be finished cleanly: nothing more is done."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class StopSignal:
    """The process's SIGINT/SIGTERM handler (one per run, installed by the CLI)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._mode = "raise"  # or "checkpoint" (planning), "defer" (applying)

    def install(self) -> None:
        for signum in SIGNALS:
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        first = self.received is None
        self.received = self.received or signum
        if self._mode == "raise" or (self._mode == "checkpoint" and not first):
            raise Interrupted(self.received)
        if first:
            doing = "the zone in flight" if self._mode == "defer" else "planning this zone"
            print(
                f"{signal.Signals(signum).name}: finishing {doing}, then stopping",
                file=sys.stderr,
                flush=True,
            )

    def checkpoint(self, *_args: object) -> None:
        """Between zones: raise :class:`Interrupted` if a signal arrived."""
        if self.received is not None and self._mode != "defer":
            raise Interrupted(self.received)

    @contextmanager
    def _mode_of(self, mode: str) -> Iterator[StopSignal]:
        previous, self._mode = self._mode, mode
        try:
            yield self
        finally:
            self._mode = previous

    @contextmanager
    def checkpoints(self) -> Iterator[StopSignal]:
        """While inside, a signal is acted on at the next :meth:`checkpoint` (or on leaving)."""
        with self._mode_of("checkpoint"):
            yield self
        self.checkpoint()

    def deferred(self) -> AbstractContextManager[StopSignal]:
        """While inside, a signal only sets :attr:`received`; check it between zones."""
        return self._mode_of("defer")

    @property
    def name(self) -> str:
        return signal.Signals(self.received).name if self.received else ""

    @property
    def exit_code(self) -> int:
        return 128 + self.received if self.received else 0


#: the CLI's one handler; library callers that never install it get Python's defaults
STOP = StopSignal()
