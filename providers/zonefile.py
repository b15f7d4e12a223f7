"""The embedded default backend: BIND-format zone files edited in place.

octoDNS's YamlProvider and octodns-bind's ZoneFileProvider rewrite a whole
zone from the plan, which would wipe every record the policy hides. This
provider instead edits the file line by line (:mod:`providers.zonetext`): only
the lines of the planned (name, type) sets and the SOA serial token change;
comments, directives, layout and every other record stay byte for byte.
``$INCLUDE`` files and ``$GENERATE`` are never rewritten: a plan that needs
them is refused. dnspython re-reads the result before it replaces the file
atomically (temporary file, fsync, rename), keeping its mode.

``seed_directory`` holds shipped example zones: a zone without a live file is
read from there, and the first apply writes the live copy. A fresh clone thus
plans against the examples without writing anything.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import dns.exception
import dns.rdatatype
import dns.zone
from octodns.provider.base import BaseProvider
from octodns.provider.plan import Plan
from octodns.record import Change as RecordChange
from octodns.record import Record
from octodns.record.rr import Rrset
from octodns.zone import Zone

from .core.files import write_atomically
from .core.liveview import LiveViewMixin
from .zonetext import Change, ZoneFileError, apply_changes, load_zone, read_text

__all__ = ["ZoneFileError", "ZoneFileProvider"]

LOCK_TIMEOUT = 60.0


class ZoneFileProvider(LiveViewMixin, BaseProvider):
    """Reads and edits ``<directory>/<zone><extension>`` BIND zone files."""

    SUPPORTS_GEO = False
    SUPPORTS_DYNAMIC = False
    SUPPORTS_ROOT_NS = False
    SUPPORTS: ClassVar[set[str]] = {
        "A", "AAAA", "CAA", "CNAME", "DNAME", "DS", "LOC", "MX", "NAPTR", "NS", "PTR",
        "SPF", "SRV", "SSHFP", "TLSA", "TXT",
    }  # fmt: skip

    def __init__(
        self,
        id: str,
        directory: str,
        seed_directory: str | None = None,
        extension: str = ".zone",
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.log = logging.getLogger(f"{self.__class__.__name__}[{id}]")
        super().__init__(id, *args, **kwargs)
        self.directory = Path(directory)
        self.seed_directory = Path(seed_directory) if seed_directory else None
        self.extension = extension

    # -- files ---------------------------------------------------------------

    def live_path(self, zone_name: str) -> Path:
        return self.directory / f"{zone_name.rstrip('.')}{self.extension}"

    def read_path(self, zone_name: str) -> Path | None:
        """The file a zone is read from: its live copy, else its seed, else None."""
        live = self.live_path(zone_name)
        if live.exists():
            return live
        if self.seed_directory is not None:
            seed = self.seed_directory / live.name
            if seed.exists():
                return seed
        return None

    def list_zones(self) -> list[str]:
        names = set()
        for folder in (self.directory, self.seed_directory):
            if folder is not None and folder.is_dir():
                names |= {
                    p.name[: -len(self.extension)] + "."
                    for p in folder.iterdir()
                    if p.name.endswith(self.extension)
                }
        return sorted(names)

    def _text(self, path: Path, zone_name: str) -> str:
        try:
            return read_text(path)
        except (OSError, UnicodeDecodeError) as e:
            raise ZoneFileError(f"{path}: cannot read zone {zone_name} ({e}); fix the file") from e

    def _load(self, path: Path, zone_name: str) -> dns.zone.Zone:
        text = self._text(path, zone_name)
        try:
            return load_zone(text, zone_name, path.parent, str(path))
        except (dns.exception.DNSException, OSError, ValueError, KeyError) as e:
            raise ZoneFileError(f"{path}: cannot read zone {zone_name} ({e}); fix the file") from e

    # -- octoDNS -------------------------------------------------------------

    def populate(self, zone: Zone, target: bool = False, lenient: bool = False) -> bool:
        path = self.read_path(zone.name)
        if path is None:
            self.remember_live(zone.name, None)
            return False
        dz = self._load(path, zone.name)
        origin = dz.origin
        assert origin is not None  # load_zone always gives the zone's name
        pairs = []
        for name, node in dz.nodes.items():
            fqdn = name.derelativize(origin).to_text().lower()
            for rdataset in node.rdatasets:
                _type = dns.rdatatype.to_text(rdataset.rdtype)
                pairs.append((fqdn, _type))  # every type: the policy's view of the name
                if _type not in self.SUPPORTS:
                    continue  # never owned; left untouched in the file
                rdatas = [rd.to_text(origin=origin, relativize=False) for rd in rdataset]
                rrset = Rrset(fqdn, _type, rdataset.ttl, rdatas)
                record = Record.from_rrset(zone, rrset, lenient=True, source=self)
                zone.add_record(record, lenient=True, replace=True)
        self.remember_live(zone.name, pairs)
        return True

    def _apply(self, plan: Plan) -> None:
        zone_name = plan.desired.name
        live = self.live_path(zone_name)
        with self.locked(zone_name):
            path = self.read_path(zone_name)
            if path is None:
                raise ZoneFileError(
                    f"zone {zone_name} vanished from {live} before apply; nothing written"
                )
            text = self._text(path, zone_name)
            changes = [_change(change) for change in plan.changes]
            new_text = apply_changes(text, zone_name, path, live, changes)
            mode = path.stat().st_mode & 0o777 if path == live else 0o644
            write_atomically(live, new_text, mode=mode)

    @contextmanager
    def locked(self, zone_name: str) -> Iterator[None]:
        """Hold an exclusive lock on the live directory while one zone's file is written; a
        second writer waits, then gives up. The lock is on the directory itself, so no
        lock file is left beside the zone files."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError as e:
                    if time.monotonic() > deadline:
                        raise ZoneFileError(
                            f"{self.live_path(zone_name)} is locked by another apply; "
                            "wait for it to finish and run again"
                        ) from e
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _change(change: RecordChange) -> Change:
    """The editor's view of an octoDNS Create/Update/Delete."""
    record = change.record
    if change.new is None:
        return Change(record.name, record._type)
    rrset = change.new.to_rrset()
    return Change(record.name, record._type, rrset.ttl, tuple(rrset.rdatas))
