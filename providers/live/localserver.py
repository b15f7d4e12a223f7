"""A throwaway BIND ``named`` on 127.0.0.1 that serves copies of zone files.

The embedded default keeps "live DNS" in zone files that no nameserver serves,
so asking DNS about them proves nothing. ``--serve-local`` starts a real named
on a free port over copies of those files; confirm and doctor then ask it the
same questions they ask a DNS host on the internet, with the same code.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from ..core.errors import AutodiscoverError

HOST = "127.0.0.1"
NAMED_PATHS = ("/usr/sbin/named", "/usr/local/sbin/named")
INSTALL_HINT = "apt-get install bind9"


class LocalServerError(AutodiscoverError):
    """The local named could not be started or stopped."""


def named_binary() -> str | None:
    """Path of BIND's ``named``; it lives in /usr/sbin, often not on a user's PATH."""
    found = shutil.which("named")
    if found:
        return found
    return next((p for p in NAMED_PATHS if os.access(p, os.X_OK)), None)


@dataclass(frozen=True)
class LocalZone:
    """A zone hosted by the zone-file provider and the file that holds it today."""

    zone: str
    provider: str
    live_path: Path
    read_path: Path | None  # None: neither the live file nor the seed exists


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: SIGTERM named if confirm itself is killed, so no named outlives it."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1 (DNS needs the same number for both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind((HOST, 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((HOST, port))
                except OSError:
                    continue
                return port
    raise LocalServerError("no free port on 127.0.0.1 for the local named")


@dataclass
class LocalNamed:
    """One named process serving ``zones`` (origin -> source file) from copies.

    Zones whose file named refuses to load are listed in ``failed`` with
    named's reason; the others are served. Use as a context manager.
    """

    zones: dict[str, Path]
    startup_timeout: float = 20.0
    host: str = HOST
    port: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    workdir: Path | None = None
    _proc: subprocess.Popen | None = None
    _copied: dict[str, bytes] = field(default_factory=dict)

    def __enter__(self) -> LocalNamed:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- life cycle ----------------------------------------------------------

    def start(self) -> LocalNamed:
        binary = named_binary()
        if binary is None:
            raise LocalServerError(
                f"--serve-local needs BIND's named, which is not installed ({INSTALL_HINT}); "
                "or point --nameserver at the server that publishes the zones"
            )
        self.workdir = Path(tempfile.mkdtemp(prefix="autodiscover-named-"))
        (self.workdir / "zones").mkdir()
        for origin in self.zones:
            self._copy(origin)
        try:
            for attempt in range(3):  # a probed free port can be taken before named binds it
                self.port = free_port()
                self._write_conf()
                with open(self.workdir / "named.log", "wb") as log:
                    self._proc = subprocess.Popen(
                        [binary, "-4", "-g", "-c", str(self.workdir / "named.conf"),
                         "-p", str(self.port)],
                        cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log,
                        stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
                    )  # fmt: skip
                try:
                    self._wait_loaded(list(self.zones), self.startup_timeout)
                    return self
                except LocalServerError:
                    clash = "address in use" in self.log_text().lower()
                    self._terminate()
                    if clash and attempt < 2:
                        continue
                    raise
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop named and remove its directory; safe to call twice."""
        self._terminate()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def refresh(self) -> list[str]:
        """Copy zone files that changed since the last copy and make named reload them."""
        if self._proc is None:
            raise LocalServerError("the local named is not running")
        changed = [origin for origin in self.zones if self._copy(origin)]
        if changed:
            for origin in changed:
                self.failed.pop(origin, None)
            offset = len(self.log_text())
            self._proc.send_signal(signal.SIGHUP)
            self._wait_loaded(changed, self.startup_timeout, log_offset=offset)
        return changed

    # -- internals -----------------------------------------------------------

    def zone_path(self, origin: str) -> Path:
        assert self.workdir is not None
        return self.workdir / "zones" / f"{origin}zone"

    def _copy(self, origin: str) -> bool:
        data = self.zones[origin].read_bytes()
        if self._copied.get(origin) == data:
            return False
        path = self.zone_path(origin)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self._copied[origin] = data
        return True

    def _write_conf(self) -> None:
        wd = self.workdir
        assert wd is not None
        # Lenient checks: serve what the file says, as a DNS host would; doctor judges it.
        zones = "".join(
            f'zone "{origin}" {{ type primary; file "{self.zone_path(origin)}"; '
            "check-names ignore; check-integrity no; };\n"
            for origin in self.zones
        )
        (wd / "named.conf").write_text(
            "options {\n"
            f'    directory "{wd}";\n'
            f'    pid-file "{wd}/named.pid";\n'
            f'    session-keyfile "{wd}/session.key";\n'
            f'    managed-keys-directory "{wd}";\n'
            f"    listen-on port {self.port} {{ {HOST}; }};\n"
            "    listen-on-v6 { none; };\n"
            "    recursion no;\n"
            "    notify no;\n"
            "    dnssec-validation no;\n"
            "    check-sibling no;\n"
            "    check-wildcard no;\n"
            "    check-mx-cname ignore;\n"
            "    check-srv-cname ignore;\n"
            "};\n"
            "controls { };\n" + zones
        )

    def log_text(self) -> str:
        try:
            return (self.workdir / "named.log").read_text(errors="replace")  # type: ignore[operator]
        except (OSError, TypeError):
            return ""

    def _serves(self, origin: str) -> bool:
        query = dns.message.make_query(origin, dns.rdatatype.SOA)
        query.flags &= ~dns.flags.RD
        try:
            response = dns.query.tcp(query, self.host, port=self.port, timeout=1)
        except (OSError, dns.exception.DNSException):
            return False
        return response.rcode() == dns.rcode.NOERROR and bool(response.flags & dns.flags.AA)

    def _load_error(self, origin: str, log: str) -> str | None:
        """named's reason for not loading a zone, with our temp path replaced by the source."""
        marker = f"zone {origin.rstrip('.')}/IN: "
        lines = [line.split(marker, 1)[1] for line in log.splitlines() if marker in line]
        if not any(line.startswith("not loaded due to errors") for line in lines):
            return None
        reasons = [line for line in lines if not line.startswith("not loaded due to errors")]
        text = "; ".join(reasons[-2:]) or "named did not load the zone file"
        text = text.replace(str(self.zone_path(origin)), str(self.zones[origin]))
        return text.replace("master file", "file")

    def _wait_loaded(self, origins: list[str], timeout: float, log_offset: int = 0) -> None:
        """Until named says it is running after (re)loading; then note the zones it refused."""
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                tail = " | ".join(self.log_text().splitlines()[-5:])
                raise LocalServerError(
                    f"named exited with code {self._proc.returncode} on port {self.port}: {tail}"
                )
            log = self.log_text()[log_offset:]
            if any(line.endswith(" running") for line in log.splitlines()):
                break
            if time.monotonic() > deadline:
                raise LocalServerError(
                    f"named on {self.host}:{self.port} not ready within {timeout:.0f}s; "
                    f"log {self.workdir}/named.log"
                )
            time.sleep(0.02)
        for origin in origins:
            error = self._load_error(origin, log)
            if error is None and not self._serves(origin):
                error = "named does not serve the zone (see its log)"
            if error is not None:
                self.failed[origin] = error
