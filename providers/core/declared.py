"""Where declarations live: a repository zone file and the email domains it declares.

Plain data shared by the planner (which finds and checks the files) and live
DNS (which asks nameservers about the declared domains).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .declarations import Declaration


@dataclass(frozen=True)
class ZoneFile:
    """``zones/<provider>/<zone>.yaml``."""

    provider: str
    zone: str  # with trailing dot
    path: Path


@dataclass(frozen=True)
class Declared:
    """One declared email domain with the zone file and provider it belongs to."""

    zone_file: ZoneFile
    declaration: Declaration
