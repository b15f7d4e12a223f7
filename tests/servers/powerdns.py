"""A real PowerDNS Authoritative (gsqlite3 backend) for tests.

Seeded and read back through PowerDNS's own HTTP API and DNS port, never
through octoDNS or product code.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import dns.message
import requests

from tests.servers import (
    HOST,
    ServerStartError,
    free_port,
    query,
    retry_after_port_clash,
    start_process,
    stop_process,
    wait_for,
)

__all__ = ["PdnsRecord", "PowerDNSServer", "pdns_binary"]

PDNS_SERVER = "/usr/sbin/pdns_server"
SCHEMA_CANDIDATES = (
    Path("/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql"),  # symlink on Debian
    Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"),
)

# (name, type, ttl, [content, ...]) in PowerDNS content syntax.
PdnsRecord = tuple[str, str, int, list[str]]


def pdns_binary() -> str | None:
    """Path of ``pdns_server`` (in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("pdns_server")
    return found or (PDNS_SERVER if os.access(PDNS_SERVER, os.X_OK) else None)


def _schema() -> Path:
    for path in SCHEMA_CANDIDATES:
        if path.is_file():
            return path
    raise ServerStartError("sqlite schema missing: apt-get install pdns-backend-sqlite3")


def _absolute(zone: str) -> str:
    return zone if zone.endswith(".") else zone + "."


def _fqdn(name: str, zone: str) -> str:
    if name in ("@", ""):
        return zone
    return name if name.endswith(".") else f"{name}.{zone}"


class PowerDNSServer:
    """One ``pdns_server`` with its own sqlite db, DNS port and API port."""

    def __init__(self, workdir: Path, settings: Sequence[str] = ()) -> None:
        """``settings``: extra pdns.conf lines (e.g. ``enable-lua-records=yes``)."""
        self.workdir = Path(workdir)
        self.settings = list(settings)
        self.host = HOST
        self.dns_port = 0
        self.api_port = 0
        self.api_key = secrets.token_hex(16)
        self.db_path = self.workdir / "pdns.sqlite3"
        self.conf_path = self.workdir / "pdns.conf"
        self.log_path = self.workdir / "pdns.log"
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._session = requests.Session()
        self._session.headers["X-API-Key"] = self.api_key

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    # ---------------------------------------------------------------- life cycle

    def start(self, timeout: float = 20.0) -> PowerDNSServer:
        """Create the db, write pdns.conf, run pdns_server, wait for DNS + API."""
        if self._proc is not None:
            raise RuntimeError("PowerDNSServer already started")
        binary = pdns_binary()
        if binary is None:
            raise ServerStartError(
                "pdns_server not installed: apt-get install pdns-server pdns-backend-sqlite3"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.db_path.exists():
            with sqlite3.connect(self.db_path) as db:
                db.executescript(_schema().read_text())
        began = time.monotonic()
        attempts = 3  # ports may be taken between probe and bind
        for attempt in range(attempts):
            self.dns_port = free_port(udp=True)
            self.api_port = free_port()
            self._write_conf()
            self._proc = start_process(
                [
                    binary,
                    f"--config-dir={self.workdir}",
                    "--daemon=no",
                    "--guardian=no",
                    "--disable-syslog",
                    "--write-pid=no",
                ],
                self.log_path,
                self.workdir,
            )
            try:
                wait_for(self._ready, self._proc, self.log_path, "pdns_server", timeout)
            except ServerStartError:
                self.stop()
                if retry_after_port_clash(self.log_path, attempt, attempts):
                    continue
                raise
            break
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Stop pdns_server (SIGTERM, then SIGKILL after 10 s). Safe to call twice."""
        stop_process(self._proc)
        self._proc = None
        self._session.close()

    def __enter__(self) -> PowerDNSServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def provider_kwargs(self) -> dict[str, object]:
        """Keyword arguments for ``octodns_powerdns.PowerDnsProvider(id, **kwargs)``."""
        return {
            "host": self.host,
            "port": self.api_port,
            "api_key": self.api_key,
            "scheme": "http",
        }

    # ------------------------------------------------------------ API interface

    def api(self, method: str, path: str, json: Any = None) -> requests.Response:
        """Raw call to /api/v1/servers/localhost/<path>; raises on HTTP errors."""
        url = f"{self.api_url}/api/v1/servers/localhost/{path}".rstrip("/")
        response = self._session.request(method, url, json=json, timeout=10)
        if response.status_code >= 400:
            raise requests.HTTPError(
                f"PowerDNS {method} {path}: {response.status_code} {response.text}",
                response=response,
            )
        return response

    def create_zone(self, name: str, records: Sequence[PdnsRecord] = ()) -> dict[str, Any]:
        """Create a Native zone; SOA and NS are added unless ``records`` has them.

        Record names: '@', relative ('www', '*') or absolute with trailing dot.
        Content is PowerDNS syntax: TXT quoted, MX/SRV targets absolute.
        """
        zone = _absolute(name)
        rrsets = self._rrsets(zone, records)
        types_at_apex = {(r["name"], r["type"]) for r in rrsets}
        if (zone, "SOA") not in types_at_apex:
            soa = f"ns1.{zone} hostmaster.{zone} 1 3600 600 86400 300"
            rrsets.append(self._rrset(zone, "SOA", 300, [soa]))
        if (zone, "NS") not in types_at_apex:
            rrsets.append(self._rrset(zone, "NS", 300, [f"ns1.{zone}", f"ns2.{zone}"]))
        body = {"name": zone, "kind": "Native", "nameservers": [], "rrsets": rrsets}
        return self.api("POST", "zones", body).json()

    def replace_records(self, zone: str, records: Sequence[PdnsRecord]) -> None:
        """PATCH (REPLACE) whole RRsets of an existing zone."""
        origin = _absolute(zone)
        rrsets = [dict(r, changetype="REPLACE") for r in self._rrsets(origin, records)]
        self.api("PATCH", f"zones/{origin}", {"rrsets": rrsets})

    def replace_rrset(
        self,
        zone: str,
        name: str,
        rtype: str,
        ttl: int,
        enabled: Sequence[str] = (),
        disabled: Sequence[str] = (),
    ) -> None:
        """PATCH (REPLACE) one RRset whose records are ``enabled`` and ``disabled`` ones.

        A disabled record is stored but not served; ``disabled`` only gives an
        RRset PowerDNS keeps and never answers with.
        """
        origin = _absolute(zone)
        records = [{"content": c, "disabled": False} for c in enabled]
        records += [{"content": c, "disabled": True} for c in disabled]
        rrset = {
            "name": _fqdn(name, origin),
            "type": rtype,
            "ttl": ttl,
            "changetype": "REPLACE",
            "records": records,
        }
        self.api("PATCH", f"zones/{origin}", {"rrsets": [rrset]})

    def rrsets(self, zone: str) -> list[dict[str, Any]]:
        """The zone's RRsets from GET zones/<zone>, sorted by (name, type).

        Each dict: name (absolute), type, ttl, records [{content, disabled}],
        comments; records are sorted by content too so lists compare stably.
        """
        data = self.api("GET", f"zones/{_absolute(zone)}").json()
        out = []
        for rrset in data["rrsets"]:
            rrset = dict(rrset, records=sorted(rrset["records"], key=lambda r: r["content"]))
            out.append(rrset)
        return sorted(out, key=lambda r: (r["name"], r["type"]))

    def query(self, name: str, rdtype: str) -> dns.message.Message:
        """Plain non-recursive UDP query (TCP on truncation) to the DNS port."""
        return query(self.host, self.dns_port, name, rdtype)

    # ----------------------------------------------------------------- internals

    @staticmethod
    def _rrset(name: str, rtype: str, ttl: int, contents: list[str]) -> dict[str, Any]:
        return {
            "name": name,
            "type": rtype,
            "ttl": ttl,
            "records": [{"content": c, "disabled": False} for c in contents],
        }

    def _rrsets(self, zone: str, records: Sequence[PdnsRecord]) -> list[dict[str, Any]]:
        return [
            self._rrset(_fqdn(name, zone), rtype, ttl, list(contents))
            for name, rtype, ttl, contents in records
        ]

    def _write_conf(self) -> None:
        # socket-dir: the default /var/run/pdns control socket would be shared
        #   by every instance. *cache-ttl=0: a query right after an API change
        #   must see it. security-poll-suffix=: no outbound version check.
        #   pragma-synchronous=0: no fsync per write (a test db needs no
        #   durability, and a slow CI disk must not stall the API for seconds).
        self.conf_path.write_text(
            "\n".join(
                [
                    "launch=gsqlite3",
                    f"gsqlite3-database={self.db_path}",
                    "gsqlite3-pragma-synchronous=0",
                    f"local-address={self.host}",
                    f"local-port={self.dns_port}",
                    "api=yes",
                    f"api-key={self.api_key}",
                    "webserver=yes",
                    f"webserver-address={self.host}",
                    f"webserver-port={self.api_port}",
                    "webserver-allow-from=127.0.0.0/8",
                    "security-poll-suffix=",
                    f"socket-dir={self.workdir}",
                    "cache-ttl=0",
                    "query-cache-ttl=0",
                    "negquery-cache-ttl=0",
                    "zone-cache-refresh-interval=0",
                    "distributor-threads=1",
                    "receiver-threads=1",
                    "loglevel=5",
                    *self.settings,
                    "",
                ]
            )
        )

    def _ready(self) -> bool:
        url = f"{self.api_url}/api/v1/servers/localhost"
        if self._session.get(url, timeout=1).status_code != 200:
            return False
        query(self.host, self.dns_port, "probe.invalid.", "SOA", timeout=1, tcp=True)
        return True
