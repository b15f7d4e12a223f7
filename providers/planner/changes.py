"""Plans scoped to a change: the zones whose zone files differ from a git revision.

``plan --changed-since REF`` (and ``apply``) plans only the zones whose files under
``zones/`` differ between REF and the working tree: changed, added (untracked too),
renamed (both names) or deleted. A deleted file's zone is no longer managed: nothing is
planned for it, the scope says so. Anything else that changes plans (``config/``,
``providers/``, ``plan.py``, the lock files, ``pyproject.toml``) puts the whole estate
in scope. A zone file added or removed also brings in the declared zones above and
below it: octoDNS's sub-zones of a zone are the configured zones below it.

git runs in the repository that holds the config (paths relative to it, so a
repository inside a larger git work tree works too); nothing in git is changed.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import AutodiscoverError
from ..core.layout import ZONES_DIR
from .configuration import RunConfig

#: paths (relative to the repository) whose change can change every zone's plan
ESTATE_PREFIXES = ("config/", "providers/")
ESTATE_FILES = ("plan.py", "pyproject.toml")
ESTATE_PATTERNS = ("requirements*.txt", "requirements*.in", "requirements*.lock")
#: what ``git ls-files --others`` is asked about (untracked files count as added)
UNTRACKED_PATHSPECS = (ZONES_DIR, "config", "providers", *ESTATE_FILES, *ESTATE_PATTERNS)

#: at most this many files are named in the scope's reason
NAMED = 5


class ChangesError(AutodiscoverError):
    """``--changed-since`` cannot be computed (no git repository, unknown revision)."""


@dataclass(frozen=True)
class FileChange:
    """One changed path: ``status`` is git's letter (A, M, D, R, ...; ``?`` untracked)."""

    status: str
    path: str  # the path now (for D: the deleted path)
    old: str | None = None  # R, C: the path at REF

    def describe(self) -> str:
        if self.old is not None and self.status == "R":
            return f"{self.old} -> {self.path}"
        if self.status in ("A", "?", "C"):
            return f"{self.path} (added)"
        if self.status == "D":
            return f"{self.path} (deleted)"
        return self.path


@dataclass(frozen=True)
class Scope:
    """Which zones a scoped run plans, and why. ``zones`` None: the whole estate."""

    changed_since: str
    zones: frozenset[str] | None
    reason: str

    def note(self) -> str:
        return f"scope: {self.reason}"

    def as_json(self) -> dict:
        zones = None if self.zones is None else sorted(self.zones)
        return {"changed_since": self.changed_since, "zones": zones, "reason": self.reason}


class ChangedSince:
    """The files changed since ``ref``, read from git when made; ``select`` turns them into
    the zones of one config (the engine calls it with the checked config)."""

    def __init__(self, ref: str, changes: list[FileChange]) -> None:
        self.ref = ref
        self.changes = changes
        self.scope: Scope | None = None

    @classmethod
    def read(cls, ref: str, root: Path) -> ChangedSince:
        """The changes between revision ``ref`` and the working tree of ``root``."""
        return cls(ref, changed_files(ref, root))

    def select(self, run: RunConfig) -> frozenset[str] | None:
        """The zones of ``run`` in scope (None: every zone); the reason is kept in ``scope``."""
        self.scope = scope_of(self.ref, self.changes, run)
        return self.scope.zones


def changed_files(ref: str, root: Path) -> list[FileChange]:
    """``git diff --name-status -M REF`` plus the untracked files, relative to ``root``."""
    if not ref or ref.startswith("-"):
        raise ChangesError(f"--changed-since {ref!r}: give a git revision (a branch, tag or SHA)")
    if _git(root, "rev-parse", "--is-inside-work-tree", what="").strip() != "true":
        raise ChangesError(_NO_WORK_TREE.format(root=root))
    found = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what=ref)
    commit = found.strip()
    diff = _git(
        root, "diff", "--name-status", "-z", "-M", "--relative", "--no-ext-diff", commit, "--",
        what=ref,
    )  # fmt: skip
    changes = _parse_name_status(diff)
    untracked = _git(
        root, "ls-files", "--others", "--exclude-standard", "-z", "--", *UNTRACKED_PATHSPECS,
        what=ref,
    )  # fmt: skip
    changes += [FileChange("?", path) for path in untracked.split("\0") if path]
    return changes


def _parse_name_status(text: str) -> list[FileChange]:
    fields = text.split("\0")
    changes = []
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i][0]
        if status in ("R", "C"):
            changes.append(FileChange(status, fields[i + 2], old=fields[i + 1]))
            i += 3
        else:
            changes.append(FileChange(status, fields[i + 1]))
            i += 2
    return changes


_NO_WORK_TREE = (
    "--changed-since: {root} is not in a git work tree; a scoped plan compares the zone "
    "files with a git revision (run it in a clone)"
)


def _git(root: Path, *args: str, what: str) -> str:
    """Run git read-only in ``root``; any failure is one line naming what to fix."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}  # never touch the index
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, env=env, check=False
        )
    except FileNotFoundError:
        raise ChangesError("--changed-since needs git, and git is not installed") from None
    if done.returncode == 0:
        return done.stdout
    if args[:2] == ("rev-parse", "--is-inside-work-tree"):
        raise ChangesError(_NO_WORK_TREE.format(root=root))
    if args[:2] == ("rev-parse", "--verify"):
        raise ChangesError(
            f"--changed-since {what}: no such commit in the git repository at {root} (a "
            "shallow CI clone needs the full history: fetch-depth 0, GIT_DEPTH 0)"
        )
    detail = " ".join(done.stderr.split()) or f"exit {done.returncode}"
    raise ChangesError(f"--changed-since {what}: git {args[0]} failed: {detail}")


def estate_file(path: str) -> bool:
    """Does a change of this file (relative to the repository) change every plan?"""
    return (
        path.startswith(ESTATE_PREFIXES)
        or path in ESTATE_FILES
        or any(fnmatch.fnmatchcase(path, p) for p in ESTATE_PATTERNS)
    )


def zone_of(path: str) -> tuple[str, str] | None:
    """(folder, zone) of a ``zones/<folder>/<domain>.yaml`` path, else None."""
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == ZONES_DIR and parts[2].endswith(".yaml"):
        return parts[1], parts[2][: -len(".yaml")].lower() + "."
    return None


def scope_of(ref: str, changes: list[FileChange], run: RunConfig) -> Scope:
    """The zones of ``run`` that ``changes`` touch, and why (see the module's docstring)."""
    estate = sorted({p for c in changes for p in (c.path, c.old) if p and estate_file(p)})
    if estate:
        more = f" (and {len(estate) - 1} more file(s))" if len(estate) > 1 else ""
        return Scope(ref, None, f"whole estate: {estate[0]} changed since {ref}{more}")
    declared = {zf.zone for zf in run.zone_files}
    zones: set[str] = set()
    named: list[str] = []  # the changed zone files of this config, as the reason names them
    gone: set[str] = set()  # zones no longer managed
    moved: set[str] = set()  # zones whose file appeared or disappeared
    for change in changes:
        touched = False
        for path, now in ((change.path, change.status != "D"), (change.old, False)):
            found = zone_of(path) if path else None
            if found is None or found[0] not in run.folders:
                continue  # not a zone file, or one of another config's folders
            touched = True
            zone = found[1]
            if change.status != "M":
                moved.add(zone)
            if zone in declared:
                zones.add(zone)
            elif not now:
                gone.add(zone)
        if touched:
            named.append(change.describe())
    for zone in moved:  # parents and children of a zone file added or removed
        zones |= {z for z in declared if z.endswith("." + zone) or zone.endswith("." + z)}
    return Scope(ref, frozenset(zones), _reason(ref, sorted(zones), sorted(named), gone))


def _reason(ref: str, zones: list[str], named: list[str], gone: set[str]) -> str:
    listed = ", ".join(named[:NAMED])
    if len(named) > NAMED:
        listed += f", and {len(named) - NAMED} more"
    unmanaged = ", ".join(z.rstrip(".") for z in sorted(gone))
    tail = f"; no longer managed (zone file deleted), nothing to plan: {unmanaged}" if gone else ""
    if zones:
        return f"{len(zones)} zone(s) changed since {ref} ({listed}){tail}"
    if gone:
        return f"no zone to plan since {ref} ({listed}){tail}"
    return f"no zone files changed since {ref}"
