"""The embedded default backend: BIND-format zone files edited in place.

octoDNS's YamlProvider and octodns-bind's ZoneFileProvider rewrite a whole
zone from the plan, which would wipe every record the policy hides. This
provider instead reads the whole file, changes only the (name, type) sets in
the plan, keeps every other record, bumps the SOA serial and replaces the file
atomically (temporary file, fsync, rename), keeping its mode.

``seed_directory`` holds shipped example zones: a zone without a live file is
read from there, and the first apply writes the live copy. A fresh clone thus
plans against the examples without writing anything.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone
from octodns.provider.base import BaseProvider
from octodns.record import Record
from octodns.record.rr import Rrset

from .errors import AutodiscoverError

LOCK_TIMEOUT = 60.0


class ZoneFileError(AutodiscoverError):
    """A live zone file cannot be read, locked or written."""


class ZoneFileProvider(BaseProvider):
    """Reads and edits ``<directory>/<zone><extension>`` BIND zone files."""

    SUPPORTS_GEO = False
    SUPPORTS_DYNAMIC = False
    SUPPORTS_ROOT_NS = False
    SUPPORTS = {
        "A", "AAAA", "CAA", "CNAME", "DNAME", "DS", "LOC", "MX", "NAPTR", "NS", "PTR",
        "SPF", "SRV", "SSHFP", "TLSA", "TXT",
    }  # fmt: skip

    def __init__(
        self,
        id: str,
        directory: str,
        seed_directory: str | None = None,
        extension: str = ".zone",
        *args,
        **kwargs,
    ) -> None:
        self.log = logging.getLogger(f"{self.__class__.__name__}[{id}]")
        super().__init__(id, *args, **kwargs)
        self.directory = Path(directory)
        self.seed_directory = Path(seed_directory) if seed_directory else None
        self.extension = extension

    # -- files ---------------------------------------------------------------

    def live_path(self, zone_name: str) -> Path:
        return self.directory / f"{zone_name.rstrip('.')}{self.extension}"

    def _read_path(self, zone_name: str) -> Path | None:
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

    def _load(self, path: Path, zone_name: str) -> dns.zone.Zone:
        try:
            return dns.zone.from_file(str(path), origin=zone_name, relativize=True)
        except (dns.exception.DNSException, OSError, ValueError) as e:
            raise ZoneFileError(
                f"{path}: cannot read zone {zone_name} ({e}); fix the file"
            ) from None

    # -- octoDNS -------------------------------------------------------------

    def populate(self, zone, target=False, lenient=False):
        path = self._read_path(zone.name)
        if path is None:
            return False
        dz = self._load(path, zone.name)
        origin = dz.origin
        for name, node in dz.nodes.items():
            fqdn = name.derelativize(origin).to_text().lower()
            for rdataset in node.rdatasets:
                _type = dns.rdatatype.to_text(rdataset.rdtype)
                if _type not in self.SUPPORTS:
                    continue  # never owned; left untouched in the file
                rdatas = [rd.to_text(origin=origin, relativize=False) for rd in rdataset]
                rrset = Rrset(fqdn, _type, rdataset.ttl, rdatas)
                record = Record.from_rrset(zone, rrset, lenient=True, source=self)
                zone.add_record(record, lenient=True, replace=True)
        return True

    def _apply(self, plan) -> None:
        zone_name = plan.desired.name
        live = self.live_path(zone_name)
        with self.locked(zone_name):
            path = self._read_path(zone_name)
            if path is None:
                raise ZoneFileError(
                    f"zone {zone_name} vanished from {live} before apply; nothing written"
                )
            dz = self._load(path, zone_name)
            origin = dz.origin
            for change in plan.changes:  # sorted: deletes first
                record = change.record
                name = dns.name.from_text(record.name, origin) if record.name else origin
                name = name.relativize(origin)
                rdtype = dns.rdatatype.from_text(record._type)
                if change.new is None:
                    dz.delete_rdataset(name, rdtype)
                    continue
                rdatas = change.new.to_rrset().rdatas
                rdataset = dns.rdataset.from_text_list(
                    dns.rdataclass.IN, rdtype, change.new.ttl, rdatas, origin=origin,
                    relativize=True,
                )  # fmt: skip
                dz.replace_rdataset(name, rdataset)
            _bump_serial(dz)
            mode = path.stat().st_mode & 0o777 if path == live else 0o644
            _write_atomically(live, dz, mode)

    @contextmanager
    def locked(self, zone_name: str):
        """Hold an exclusive lock on one zone's file; a second writer waits, then gives up."""
        self.directory.mkdir(parents=True, exist_ok=True)
        lock_path = self.directory / f".{zone_name.rstrip('.')}.lock"
        with open(lock_path, "w") as fh:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise ZoneFileError(
                            f"{self.live_path(zone_name)} is locked by another apply; "
                            "wait for it to finish and run again"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _bump_serial(dz: dns.zone.Zone) -> None:
    node = dz.get_node(dns.name.empty)
    soa_set = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.SOA) if node else None
    if not soa_set:
        return
    soa = soa_set[0]
    new = soa.replace(serial=(soa.serial + 1) % 2**32)
    rdataset = dns.rdataset.Rdataset(dns.rdataclass.IN, dns.rdatatype.SOA)
    rdataset.add(new, soa_set.ttl)
    dz.replace_rdataset(dns.name.empty, rdataset)


def _write_atomically(path: Path, dz: dns.zone.Zone, mode: int) -> None:
    """Write a complete new file beside the old one, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            dz.to_file(fh, relativize=True, want_origin=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
