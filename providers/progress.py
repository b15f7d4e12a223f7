"""Progress lines on stderr for long runs: the one reporter of plan, apply and confirm.

Not part of any output a program reads: stdout stays the plan or the report.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field


@dataclass
class Progress:
    """``tick()``: done/total, rate and ETA every ``every`` seconds; ``say()``: one line.

    Silent when not ``enabled`` (--quiet). ``final``: also report the last tick.
    """

    total: int = 0
    enabled: bool = True
    what: str = "zones planned"
    every: float = 2.0
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    last: float = field(default_factory=time.monotonic)
    final: bool = False

    def say(self, text: str) -> None:
        if self.enabled:
            print(text, file=sys.stderr, flush=True)

    def tick(self, *_args: object) -> None:
        self.done += 1
        now = time.monotonic()
        last = self.final and self.done == self.total
        if not self.enabled or (now - self.last < self.every and not last):
            return
        self.last = now
        rate = self.done / max(now - self.started, 1e-6)
        eta = (self.total - self.done) / rate if rate else 0
        self.say(f"progress: {self.done}/{self.total} {self.what}, {rate:.0f}/s, ETA {eta:.0f}s")
