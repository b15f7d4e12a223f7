"""A private DNS tree on loopback: a root, top-level domains and the providers' zones,
each nameserver on its own 127.a.b.n address at port 53, and a recursive resolver whose
root hints point at the private root, so delegation, glue, lame servers and DNSSEC
records behave as on the internet (``../shared/REFERENCE.md`` section 10).

``named`` listens only on addresses it finds on an interface, so each address is added
to ``lo`` first (``ip addr add``, as root) and removed afterwards. The block 127.a.b.0/24
is picked at random and held with a lock file, so concurrent runs never share one.

One authoritative ``named`` serves every nameserver address, one view per address
(``match-destinations``): each address answers only for the zones given to it, and an
address given no zones refuses everything, as a lame nameserver does. A second ``named``
is the resolver. Only stdlib, dnspython and the helpers of this package.
"""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO

import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from tests.servers import ServerStartError, log_tail, start_process, stop_process, wait_for
from tests.servers.bind import named_binary

__all__ = ["DnsTree", "LoopbackBlock", "LoopbackUnavailable"]

LOCK_DIR = Path(tempfile.gettempdir()) / "autodiscover-dns-loopback"


class LoopbackUnavailable(RuntimeError):
    """Loopback addresses cannot be added here (not root, or no ``ip``)."""


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=10)


class LoopbackBlock:
    """A random, locked 127.a.b.0/24; :meth:`add` puts one of its addresses on ``lo``.
    Closing removes every address added and releases the lock."""

    def __init__(self) -> None:
        self.prefix = ""
        self.added: list[str] = []
        self._lock: IO[str] | None = None

    def __enter__(self) -> LoopbackBlock:
        if os.geteuid() != 0 or shutil.which("ip") is None:
            raise LoopbackUnavailable(
                "a private DNS tree needs root and iproute2 to add 127.x.y.z addresses to lo"
            )
        LOCK_DIR.mkdir(exist_ok=True)
        present = _ip("-o", "-4", "addr", "show", "dev", "lo").stdout
        for _ in range(100):
            a, b = random.randint(16, 254), random.randint(0, 255)
            prefix = f"127.{a}.{b}."
            if f" {prefix}" in present:
                continue  # in use (or left over by a killed run): another block
            lock = open(LOCK_DIR / f"127.{a}.{b}.lock", "w")  # held until close
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            self.prefix, self._lock = prefix, lock
            return self
        raise LoopbackUnavailable("no free 127.a.b.0/24 block found")

    def add(self, host: int) -> str:
        """Put 127.a.b.<host> on lo and return it."""
        address = f"{self.prefix}{host}"
        out = _ip("addr", "add", f"{address}/32", "dev", "lo")
        if out.returncode != 0:
            raise LoopbackUnavailable(f"ip addr add {address}/32 dev lo: {out.stderr.strip()}")
        self.added.append(address)
        return address

    def address(self, host: int) -> str:
        """127.a.b.<host> without adding it (an address nothing listens on)."""
        return f"{self.prefix}{host}"

    def close(self) -> None:
        while self.added:
            _ip("addr", "del", f"{self.added.pop()}/32", "dev", "lo")
        if self._lock is not None:
            Path(self._lock.name).unlink(missing_ok=True)
            self._lock.close()  # releases the flock
            self._lock = None

    def __exit__(self, *exc: object) -> None:
        self.close()


def _conf(workdir: Path, listen: list[str], body: str) -> str:
    # controls {}: no rndc channel (every named would fight for 127.0.0.1#953)
    return (
        "options {\n"
        f'    directory "{workdir}";\n'
        f'    pid-file "{workdir}/named.pid";\n'
        f'    session-keyfile "{workdir}/session.key";\n'
        f'    managed-keys-directory "{workdir}";\n'
        f"    listen-on port 53 {{ {' '.join(a + ';' for a in listen)} }};\n"
        "    listen-on-v6 { none; };\n"
        "    notify no;\n"
        "    dnssec-validation no;\n"
        f"{body}"
        "};\n"
        "controls { };\n"
    )


class DnsTree:
    """``servers`` maps each nameserver address to the zones it serves ({origin: zone
    text}; an empty mapping makes a server that refuses every query). ``hints`` maps the
    root's nameserver names to their addresses. :meth:`start` runs the authoritative
    ``named`` and the resolver on ``resolver_address``; :meth:`stop` ends both."""

    def __init__(
        self, workdir: Path, servers: dict[str, dict[str, str]], hints: dict[str, str],
        resolver_address: str,
    ) -> None:  # fmt: skip
        self.workdir = Path(workdir)
        self.servers = servers
        self.hints = hints
        self.resolver = resolver_address
        self._procs: list[subprocess.Popen[bytes]] = []

    def start(self, timeout: float = 30.0) -> DnsTree:
        binary = named_binary()
        if binary is None:
            raise ServerStartError("named not installed: apt-get install bind9 bind9-utils")
        try:
            auth = self._write_authoritative()
            resolver = self._write_resolver()
            for workdir in (auth, resolver):
                proc = start_process(
                    [binary, "-g", "-n", "1", "-c", str(workdir / "named.conf")],
                    workdir / "named.log", workdir,
                )  # fmt: skip
                self._procs.append(proc)
            self._wait(auth, resolver, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        while self._procs:
            stop_process(self._procs.pop())

    def __enter__(self) -> DnsTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- internals

    def _write_authoritative(self) -> Path:
        workdir = self.workdir / "authoritative"
        (workdir / "zones").mkdir(parents=True, exist_ok=True)
        views = []
        for n, (address, zones) in enumerate(self.servers.items()):
            blocks = []
            for origin, text in zones.items():
                path = workdir / "zones" / f"{n}-{origin.rstrip('.') or 'root'}.db"
                path.write_text(text if text.endswith("\n") else text + "\n")
                blocks.append(f'    zone "{origin}" {{ type primary; file "{path}"; }};\n')
            views.append(
                f'view "ns{n}" {{\n    match-destinations {{ {address}; }};\n'
                + "".join(blocks) + "};\n"
            )  # fmt: skip
        conf = _conf(workdir, list(self.servers), "    recursion no;\n") + "".join(views)
        (workdir / "named.conf").write_text(conf)
        return workdir

    def _write_resolver(self) -> Path:
        workdir = self.workdir / "resolver"
        workdir.mkdir(parents=True, exist_ok=True)
        hints = "".join(
            f".\t3600000\tNS\t{name}\n{name}\t3600000\tA\t{address}\n"
            for name, address in self.hints.items()
        )
        (workdir / "root.hints").write_text(hints)
        body = "    recursion yes;\n    allow-recursion { any; };\n    qname-minimization off;\n"
        conf = _conf(workdir, [self.resolver], body)
        conf += f'zone "." {{ type hint; file "{workdir / "root.hints"}"; }};\n'
        (workdir / "named.conf").write_text(conf)
        return workdir

    def _wait(self, auth: Path, resolver: Path, timeout: float) -> None:
        def serving() -> bool:
            log = log_tail(auth / "named.log", 400)
            for fatal in ("not loaded due to errors", "loading configuration: failure"):
                if fatal in log:
                    raise ServerStartError(f"the DNS tree's named: {fatal}:\n{log}")
            return all(
                _answers(address, origin, dns.rdatatype.SOA, recursion=False)
                for address, zones in self.servers.items()
                for origin in zones
            )

        def resolving() -> bool:
            return _answers(self.resolver, ".", dns.rdatatype.NS, recursion=True)

        wait_for(serving, self._procs[0], auth / "named.log", "the DNS tree's named", timeout)
        wait_for(resolving, self._procs[1], resolver / "named.log", "the tree's resolver", timeout)


def _answers(address: str, name: str, rdtype: int, recursion: bool) -> bool:
    query = dns.message.make_query(name, rdtype)
    if not recursion:
        query.flags &= ~dns.flags.RD
    response = dns.query.tcp(query, address, port=53, timeout=1)
    return (
        response.rcode() == dns.rcode.NOERROR
        and bool(response.answer)
        and (recursion or bool(response.flags & dns.flags.AA))
    )
