"""A real BIND 9 ``named`` for tests: seeded from zone files, read by AXFR.

Everything goes through named's own interfaces (zone files, AXFR, RFC 2136
UPDATE with TSIG, plain queries), never through octoDNS or product code, so a
test that reads back what our code wrote is an independent check.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update
import dns.zone

from tests.servers import (
    HOST,
    ServerStartError,
    free_port,
    log_tail,
    query,
    retry_after_port_clash,
    start_process,
    stop_process,
    wait_for,
)

__all__ = ["BindServer", "Rr"]

NAMED = "/usr/sbin/named"

# (owner, ttl, type, rdata text); see BindServer.axfr for the name convention.
Rr = tuple[str, int, str, str]


def named_binary() -> str | None:
    """Path of ``named`` (it lives in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("named") or (NAMED if os.access(NAMED, os.X_OK) else None)


def _absolute(zone: str) -> str:
    return zone if zone.endswith(".") else zone + "."


def _fqdn(name: str, zone: str) -> str:
    """'@'/'' -> zone apex, relative -> under zone, absolute stays as is."""
    if name in ("@", ""):
        return zone
    return name if name.endswith(".") else f"{name}.{zone}"


class BindServer:
    """One ``named`` process on 127.0.0.1:<free port> serving primary zones.

    Create several instances (each with its own workdir) to get independent
    nameservers that disagree about the same zone.
    """

    key_algorithm = "hmac-sha256"

    def __init__(self, workdir: Path, key_name: str = "autodiscover-test-key") -> None:
        self.workdir = Path(workdir)
        self.host = HOST
        self.port = 0
        self.key_name = key_name
        # named and dnspython both want base64; 32 random bytes like tsig-keygen.
        self.key_secret = base64.b64encode(secrets.token_bytes(32)).decode()
        self.zones: dict[str, Path] = {}
        self.startup_seconds: float | None = None
        self.conf_path = self.workdir / "named.conf"
        self.log_path = self.workdir / "named.log"
        self.zone_dir = self.workdir / "zones"
        self._proc: subprocess.Popen[bytes] | None = None

    # ---------------------------------------------------------------- life cycle

    def start(self, zones: dict[str, str], timeout: float = 20.0) -> BindServer:
        """Write config + zone files, run named, return once every zone answers SOA.

        ``zones`` maps origin ("example.com.") to BIND zone-file text.
        """
        if self._proc is not None:
            raise RuntimeError("BindServer already started")
        binary = named_binary()
        if binary is None:
            raise ServerStartError("named not installed: apt-get install bind9 bind9-utils")
        self.zone_dir.mkdir(parents=True, exist_ok=True)
        for zone, text in zones.items():
            self._write_zone(zone, text)
        began = time.monotonic()
        attempts = 3  # a free port can be taken between probe and bind
        for attempt in range(attempts):
            self.port = free_port(udp=True)
            self._write_conf()
            self._proc = start_process(
                [binary, "-c", str(self.conf_path), "-g", "-p", str(self.port)],
                self.log_path,
                self.workdir,
            )
            try:
                self._wait_zones(list(self.zones), timeout)
            except ServerStartError:
                self.stop()
                if retry_after_port_clash(self.log_path, attempt, attempts):
                    continue
                raise
            break
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop named (SIGTERM, then SIGKILL after 10 s). Safe to call twice."""
        stop_process(self._proc)
        self._proc = None

    def __enter__(self) -> BindServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def add_zone(self, zone: str, text: str, timeout: float = 20.0) -> None:
        """Add a primary zone to the running server (rewrite conf + SIGHUP reload)."""
        if self._proc is None:
            raise RuntimeError("start() the server first")
        self._write_zone(zone, text)
        self._write_conf()
        self._proc.send_signal(signal.SIGHUP)
        self._wait_zones([_absolute(zone)], timeout)

    # ------------------------------------------------------------ DNS interface

    @property
    def keyring(self) -> dns.tsig.Key:
        """The TSIG key as dnspython wants it for xfr/update."""
        return dns.tsig.Key(self.key_name, self.key_secret, self.key_algorithm)

    def provider_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``octodns_bind.Rfc2136Provider(id, **kwargs)``."""
        return {
            "host": self.host,
            "port": self.port,
            "key_name": self.key_name,
            "key_secret": self.key_secret,
            "key_algorithm": self.key_algorithm,
        }

    def env(self) -> dict[str, str]:
        """The BIND_* variables that point config/octodns.yaml's bind provider here."""
        return {
            "BIND_HOST": self.host,
            "BIND_PORT": str(self.port),
            "BIND_TSIG_NAME": self.key_name,
            "BIND_TSIG_SECRET": self.key_secret,
            "BIND_TSIG_ALGORITHM": self.key_algorithm,
        }

    def axfr(self, zone: str) -> list[Rr]:
        """Whole zone via TSIG-signed AXFR, sorted, SOA once.

        Owner names are RELATIVE to the zone ('@' for the apex, '*', 'www',
        '_autodiscover._tcp'); rdata text is ABSOLUTE ('10 mail.example.com.').
        """
        origin = dns.name.from_text(_absolute(zone))
        xfr = dns.query.xfr(
            self.host,
            origin,
            port=self.port,
            keyring=self.keyring,
            keyname=self.key_name,
            keyalgorithm=self.key_algorithm,
            relativize=False,
            timeout=5,
            lifetime=10,
        )
        z = dns.zone.from_xfr(xfr, relativize=False)
        rrs = [
            (
                name.relativize(origin).to_text(),
                ttl,
                dns.rdatatype.to_text(rdata.rdtype),
                rdata.to_text(),
            )
            for name, ttl, rdata in z.iterate_rdatas()
        ]
        return sorted(rrs)

    def transfers(self, zone: str) -> int:
        """How many AXFRs of ``zone`` named has started so far (counted in its own log)."""
        origin = _absolute(zone).rstrip(".") or "."
        needle = f"transfer of '{origin}/IN': AXFR started"
        return self.log_path.read_text(errors="replace").count(needle)

    def query(self, name: str, rdtype: str) -> dns.message.Message:
        """Plain non-recursive UDP query (TCP on truncation) to this server."""
        return query(self.host, self.port, name, rdtype)

    def nsupdate(
        self,
        zone: str,
        add: Iterable[Rr] = (),
        delete: Iterable[Sequence[str]] = (),
    ) -> dns.message.Message:
        """Send one signed RFC 2136 UPDATE; raise unless NOERROR.

        ``add``: (name, ttl, type, rdata). ``delete``: (name,) whole name,
        (name, type) whole RRset, or (name, type, rdata) one record. Names as
        in ``axfr`` (relative, '@', or absolute). Deletes are sent first.
        """
        origin = _absolute(zone)
        update = dns.update.UpdateMessage(
            origin,
            keyring=self.keyring,
            keyname=self.key_name,
            keyalgorithm=self.key_algorithm,
        )
        for item in delete:
            name, *rest = item
            update.delete(_fqdn(name, origin), *rest)
        for name, ttl, rdtype, rdata in add:
            update.add(_fqdn(name, origin), ttl, rdtype, rdata)
        response = dns.query.tcp(update, self.host, port=self.port, timeout=5)
        if response.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(
                f"UPDATE of {origin} refused by named: {dns.rcode.to_text(response.rcode())}"
            )
        return response

    # ----------------------------------------------------------------- internals

    def _write_zone(self, zone: str, text: str) -> None:
        origin = _absolute(zone)
        path = self.zone_dir / f"{origin}db"
        path.write_text(text if text.endswith("\n") else text + "\n")
        self.zones[origin] = path

    def _write_conf(self) -> None:
        wd = self.workdir
        zone_blocks = "".join(
            f'zone "{origin}" {{\n'
            f"    type primary;\n"
            f'    file "{path}";\n'
            f'    allow-transfer {{ key "{self.key_name}"; }};\n'
            f'    allow-update {{ key "{self.key_name}"; }};\n'
            f"}};\n"
            for origin, path in self.zones.items()
        )
        # controls {} : no rndc channel, else every named fights for 127.0.0.1#953.
        # notify no   : the NS names are fake; never send anything off the box.
        self.conf_path.write_text(
            f"options {{\n"
            f'    directory "{wd}";\n'
            f'    pid-file "{wd}/named.pid";\n'
            f'    session-keyfile "{wd}/session.key";\n'
            f'    managed-keys-directory "{wd}";\n'
            f"    listen-on port {self.port} {{ 127.0.0.1; }};\n"
            f"    listen-on-v6 {{ none; }};\n"
            f"    recursion no;\n"
            f"    notify no;\n"
            f"    dnssec-validation no;\n"
            f"}};\n"
            f"controls {{ }};\n"
            f'key "{self.key_name}" {{\n'
            f"    algorithm {self.key_algorithm};\n"
            f'    secret "{self.key_secret}";\n'
            f"}};\n" + zone_blocks
        )

    def _zone_answers(self, origin: str) -> bool:
        response = query(self.host, self.port, origin, "SOA", timeout=1, tcp=True)
        return (
            response.rcode() == dns.rcode.NOERROR
            and bool(response.flags & dns.flags.AA)
            and any(rrset.rdtype == dns.rdatatype.SOA for rrset in response.answer)
        )

    def _wait_zones(self, origins: list[str], timeout: float) -> None:
        assert self._proc is not None

        def ready() -> bool:
            log = log_tail(self.log_path, 400)
            for fatal in ("not loaded due to errors", "loading configuration: failure"):
                if fatal in log:
                    raise ServerStartError(f"named on port {self.port}: {fatal}:\n{log}")
            return all(self._zone_answers(origin) for origin in origins)

        wait_for(ready, self._proc, self.log_path, f"named on port {self.port}", timeout)
