"""One adapter per backend: seed, snapshot, environment, request counters, queries.

The end-to-end, fault, secret and import tests and the benchmark (bench/run.py)
talk to the test servers only through these adapters, so "how do I put a zone
into PowerDNS" or "what does Cloudflare hold now" has one answer:

- ``seed({zone: [Seed, ...]})``: the zones, through the server's own interface
  (zone files at ``named`` start or ``rndc addzone``; the PowerDNS HTTP API;
  boto3 against moto; the Cloudflare fake's store; files for ``local``). A
  seed is ``(owner relative to the zone or '@', type, ttl, [rdata text])``;
  hosted services (Route53, Cloudflare) drop the apex SOA and NS they own.
- ``snapshot(zone)``: ``{(owner, type): Rrset(ttl, values, native)}``, values
  normalised to presentation format, ``native`` everything the server returns
  (ids, flags, comments) as JSON, so equal snapshots mean nothing changed.
- ``env()``: the variables that point config/octodns.yaml's provider here.
- ``counters()``: cumulative request counts by kind (the Cloudflare request
  log, moto's access log, named's transfer/update log, PowerDNS's web log,
  files written for ``local``); callers take differences.
- ``query(name, rdtype)`` / ``nameserver()``: for the backends that serve DNS.
- ``zone_names()`` and ``drop_zone(zone)``: the zone list, through the server.

Adapters wrap a server object (a pytest fixture's, or one built by
``create(name, workdir)`` for the benchmark); ``start()``/``stop()`` manage only
a server the adapter built. Stdlib, dnspython and the server modules only: no
pytest, so ``bench`` can import it.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import time
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
import dns.zone

from tests.fakes.cloudflare_api import PROXIABLE_TYPES, FakeCloudflare, record_fields

__all__ = [
    "BACKENDS",
    "Backend",
    "Bind",
    "Cloudflare",
    "LocalFiles",
    "PowerDns",
    "Route53",
    "Rrset",
    "Seed",
    "Snapshot",
    "available",
    "bind_zone_text",
    "cf_value",
    "create",
    "relative",
]

Key = tuple[str, str]  # (owner relative to the zone, '@' for the apex; type)
Seed = tuple[str, str, int, Sequence[str]]

#: every backend the adapters model, in the order tests and the benchmark list them
BACKENDS = ("local", "bind", "powerdns", "route53", "cloudflare")


@dataclass(frozen=True)
class Rrset:
    """One RRset as a backend stores it: values normalised, plus the raw native form."""

    ttl: int
    values: frozenset[str]
    native: str  # everything the backend returns (ids, flags, comments) as JSON


Snapshot = dict[Key, Rrset]


def absolute(zone: str) -> str:
    return zone.rstrip(".") + "."


def relative(owner: str, zone: str) -> str:
    """'www.example.com.' / 'www.example.com' / '\\052.example.com.' -> 'www' / '*'; apex '@'."""
    owner = owner.replace("\\052", "*").lower().rstrip(".") + "."
    zone = absolute(zone).lower()
    if owner == zone:
        return "@"
    assert owner.endswith("." + zone), (owner, zone)
    return owner[: -len(zone) - 1]


def _group(rows: list[tuple[Key, int, str, Any]]) -> Snapshot:
    """(key, ttl, normalised value, native item) rows -> one Rrset per key."""
    grouped: dict[Key, list[tuple[int, str, Any]]] = defaultdict(list)
    for key, ttl, value, native in rows:
        grouped[key].append((ttl, value, native))
    out = {}
    for key, items in grouped.items():
        natives = sorted(json.dumps(n, sort_keys=True, default=str) for _, _, n in items)
        out[key] = Rrset(
            ttl=items[0][0], values=frozenset(v for _, v, _ in items), native="\n".join(natives)
        )
    return out


def _hosted(records: Sequence[Seed]) -> list[Seed]:
    """What a hosted DNS service lets you set: it owns the apex SOA and NS."""
    return [r for r in records if not (r[0] == "@" and r[1] in ("SOA", "NS"))]


def _soa_answered(response: dns.message.Message) -> bool:
    return response.rcode() == dns.rcode.NOERROR and any(
        rrset.rdtype == dns.rdatatype.SOA for rrset in response.answer
    )


def bind_zone_text(zone: str, records: Sequence[Seed]) -> str:
    """A BIND zone file holding ``records``; a minimal SOA and NS when they have none."""
    lines = [f"$ORIGIN {absolute(zone)}", "$TTL 300"]
    if not any(r[0] == "@" and r[1] == "SOA" for r in records):
        lines += [
            f"@ 3600 IN SOA ns1.{absolute(zone)} hostmaster.{absolute(zone)} 1 3600 600 86400 300"
        ]
    if not any(r[0] == "@" and r[1] == "NS" for r in records):
        lines += [f"@ 3600 IN NS ns1.{absolute(zone)}", "ns1 3600 IN A 192.0.2.53"]
    for name, rtype, ttl, values in records:
        lines += [f"{name} {ttl} IN {rtype} {value}" for value in values]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- the API


class Backend:
    """A server plus the few things tests and the benchmark need from its own interface."""

    id: str = ""
    bumps_serial: bool = False  # BIND and PowerDNS raise the SOA serial on change
    serves_dns: bool = False  # BIND and PowerDNS answer DNS queries
    config: str = "config/octodns.yaml"
    owns_server: bool = False  # built by create(): start()/stop() are ours

    def start(self) -> None:
        """Start a server the adapter built (BIND starts at the first seed)."""

    def stop(self) -> None:
        """Stop a server the adapter built; a fixture's server is the fixture's."""

    def seed(self, zones: Mapping[str, Sequence[Seed]]) -> None:
        raise NotImplementedError

    def snapshot(self, zone: str) -> Snapshot:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {}

    def counters(self) -> dict[str, int]:
        """Cumulative request counts by kind; take differences between two calls."""
        return {}

    def zone_names(self, also: Collection[str] = ()) -> set[str]:
        """Zones the server has, as it lists them (absolute names).

        ``also``: names to probe besides, where the server has no zone list (BIND).
        """
        raise NotImplementedError

    def drop_zone(self, zone: str) -> None:
        """Delete ``zone`` at the server, through the server's own interface."""
        raise NotImplementedError

    def query(self, name: str, rdtype: str) -> dns.message.Message:
        raise NotImplementedError(f"{self.id} does not serve DNS")

    def nameserver(self) -> str | None:
        """HOST:PORT for ``plan.py confirm --nameserver``, where the backend serves DNS."""
        return None


class Bind(Backend):
    """named (tests/servers/bind.py), written to over RFC 2136 with TSIG."""

    id = "bind"
    bumps_serial = serves_dns = True

    def __init__(self, server) -> None:
        self.server = server

    def seed(self, zones: Mapping[str, Sequence[Seed]]) -> None:
        self.seed_texts({z: bind_zone_text(z, records) for z, records in zones.items()})

    def seed_texts(self, texts: Mapping[str, str], timeout: float | None = None) -> None:
        """Zone files verbatim (origin -> text): named starts with them, or adds them."""
        texts = {absolute(z): text for z, text in texts.items()}
        timeout = timeout or max(20.0, len(texts) / 50)
        if self.server.running:
            for zone, text in texts.items():
                self.server.add_zone(zone, text, timeout=timeout)
        else:
            self.server.start(texts, timeout=timeout)

    def stop(self) -> None:
        if self.owns_server:
            self.server.stop()

    def snapshot(self, zone: str) -> Snapshot:
        rows = [
            ((name, rtype), ttl, rdata, [name, ttl, rtype, rdata])
            for name, ttl, rtype, rdata in self.server.axfr(zone)
        ]
        return _group(rows)

    def env(self) -> dict[str, str]:
        return self.server.env()

    def counters(self) -> dict[str, int]:
        text = self.server.log_path.read_text(errors="replace")
        return {
            "AXFR": text.count(": AXFR started"),
            "UPDATE": len(re.findall(r'signer "[^"]+" approved', text)),
        }

    def transfers(self, zone: str) -> int:
        return self.server.transfers(zone)

    def zone_names(self, also: Collection[str] = ()) -> set[str]:
        """named has no zone list over DNS: the zones it answers SOA for, of those it had."""
        out = set()
        for zone in {*self.server.zones, *(absolute(z) for z in also)}:
            try:
                if _soa_answered(self.query(zone, "SOA")):
                    out.add(zone)
            except dns.exception.Timeout:
                pass
        return out

    def drop_zone(self, zone: str) -> None:
        server = self.server
        server.zones = {z: p for z, p in server.zones.items() if z != absolute(zone)}
        server._write_conf()
        server._proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while True:  # named reloads in the background; a query may time out meanwhile
            try:
                if not _soa_answered(self.query(zone, "SOA")):
                    return
            except dns.exception.Timeout:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("named did not drop the zone")
            time.sleep(0.05)

    def query(self, name: str, rdtype: str) -> dns.message.Message:
        return self.server.query(name, rdtype)

    def nameserver(self) -> str:
        return f"{self.server.host}:{self.server.port}"


class PowerDns(Backend):
    """pdns_server with the gsqlite3 backend (tests/servers/powerdns.py), via its HTTP API."""

    id = "powerdns"
    bumps_serial = serves_dns = True
    #: pdns.conf line that makes the web server log each request (for counters())
    LOG_REQUESTS = "webserver-loglevel=normal"

    def __init__(self, server) -> None:
        self.server = server

    def start(self) -> None:
        if self.owns_server and not self.server.running:
            self.server.start()

    def stop(self) -> None:
        if self.owns_server:
            self.server.stop()

    def seed(self, zones: Mapping[str, Sequence[Seed]]) -> None:
        for zone, records in zones.items():
            self.server.create_zone(absolute(zone), list(records))

    def snapshot(self, zone: str) -> Snapshot:
        rows = [
            ((relative(rrset["name"], zone), rrset["type"]), rrset["ttl"], rec["content"], rrset)
            for rrset in self.server.rrsets(absolute(zone))
            for rec in rrset["records"]
        ]
        return _group(rows)

    def env(self) -> dict[str, str]:
        return {"PDNS_API_URL": self.server.api_url, "PDNS_API_KEY": self.server.api_key}

    def counters(self) -> dict[str, int]:
        """API requests by method and kind, from the web log (needs LOG_REQUESTS)."""
        text = self.server.log_path.read_text(errors="replace")
        counts: dict[str, int] = {}
        for method, path in re.findall(r'"([A-Z]+) (/api/\S*) HTTP/', text):
            kind = "zones list" if path.rstrip("/").endswith("/zones") else "zone"
            if path.rstrip("/").endswith("/servers/localhost"):
                kind = "server"
            key = f"{method} {kind}"
            counts[key] = counts.get(key, 0) + 1
        return counts

    def zone_names(self, also: Collection[str] = ()) -> set[str]:
        return {z["name"] for z in self.server.api("GET", "zones").json()}

    def drop_zone(self, zone: str) -> None:
        self.server.api("DELETE", f"zones/{absolute(zone)}")

    def query(self, name: str, rdtype: str) -> dns.message.Message:
        return self.server.query(name, rdtype)

    def nameserver(self) -> str:
        return f"{self.server.host}:{self.server.dns_port}"


class _AccessLog(logging.Handler):
    """Counts moto's werkzeug access-log lines: one per HTTP request."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        match = re.search(r'"([A-Z]+) (\S+) HTTP/', record.getMessage())
        if not match:
            return
        method, path = match.groups()
        path = path.split("?")[0]
        if path.startswith("/moto-api"):
            return
        kind = re.sub(r"/hostedzone/[^/]+", "/hostedzone/{id}", path)
        kind = re.sub(r"/change/[^/]+", "/change/{id}", kind)
        key = f"{method} {kind.removeprefix('/2013-04-01')}"
        self.counts[key] = self.counts.get(key, 0) + 1


class Route53(Backend):
    """moto's Route53 (tests/servers/route53.py), seeded and read with boto3."""

    id = "route53"

    def __init__(self, server) -> None:
        self.server = server
        self.zone_ids: dict[str, str] = {}
        self._log: _AccessLog | None = None

    def start(self) -> None:
        if not self.owns_server:
            return
        # before the server logs anything: else werkzeug adds its own stderr handler
        self._log = _AccessLog()
        werkzeug = logging.getLogger("werkzeug")
        werkzeug.propagate = False
        werkzeug.addHandler(self._log)
        self.server.start()
        werkzeug.setLevel(logging.INFO)

    def stop(self) -> None:
        if not self.owns_server:
            return
        if self._log is not None:
            logging.getLogger("werkzeug").removeHandler(self._log)
        self.server.stop()

    def seed(self, zones: Mapping[str, Sequence[Seed]]) -> None:
        for zone, records in zones.items():
            zone_id = self.server.create_zone(absolute(zone))
            self.zone_ids[absolute(zone)] = zone_id
            if _hosted(records):  # Route53 refuses an empty change batch
                self.server.add_records(zone_id, _hosted(records))

    def rrsets(self, zone: str) -> list[dict[str, Any]]:
        """The zone's record sets exactly as ListResourceRecordSets returns them."""
        return self.server.records(self.zone_ids[absolute(zone)])

    def snapshot(self, zone: str) -> Snapshot:
        rows = [
            ((relative(rrset["Name"], zone), rrset["Type"]), rrset["TTL"], value["Value"], rrset)
            for rrset in self.rrsets(zone)
            for value in rrset["ResourceRecords"]
        ]
        return _group(rows)

    def env(self) -> dict[str, str]:
        return dict(self.server.env)

    def counters(self) -> dict[str, int]:
        """HTTP requests by method and path (only for a server the adapter started)."""
        return dict(self._log.counts) if self._log else {}

    def zone_names(self, also: Collection[str] = ()) -> set[str]:
        zones = self.server.client.list_hosted_zones()["HostedZones"]
        return {z["Name"] for z in zones}

    def drop_zone(self, zone: str) -> None:
        zone_id = self.zone_ids.pop(absolute(zone))
        client = self.server.client
        rrsets = [r for r in self.server.records(zone_id) if r["Type"] not in ("SOA", "NS")]
        if rrsets:
            changes = [{"Action": "DELETE", "ResourceRecordSet": rrset} for rrset in rrsets]
            client.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Changes": changes}
            )
        client.delete_hosted_zone(Id=zone_id)


#: Cloudflare proxies these (A/AAAA/CNAME only) when seeded; `*` A is a conflict to remove.
CF_PROXIED: frozenset[Key] = frozenset(
    {("*", "A"), ("www", "A"), ("www", "AAAA"), ("shop", "CNAME")}
)


def cf_value(record: dict[str, Any]) -> str:
    """A Cloudflare record's value in presentation format (as the other backends store it)."""
    rtype, content, data = record["type"], record.get("content"), record.get("data") or {}
    if rtype == "SRV":
        target = data["target"].rstrip(".") + "."
        return f"{data['priority']} {data['weight']} {data['port']} {target}"
    if rtype == "CAA":
        return f'{data["flags"]} {data["tag"]} "{data["value"]}"'
    if rtype == "MX":
        return f"{record['priority']} {content.rstrip('.')}."
    if rtype == "CNAME":
        return content.rstrip(".") + "."
    if rtype == "TXT":
        return f'"{content}"'
    return content


class Cloudflare(Backend):
    """The strict Cloudflare API server (tests/fakes/cloudflare_api.py), seeded in its store."""

    id = "cloudflare"

    def __init__(self, fake: FakeCloudflare, proxied: Collection[Key] = CF_PROXIED) -> None:
        self.fake = fake
        self.proxied = frozenset(proxied)

    def start(self) -> None:
        if self.owns_server:
            self.fake.start()

    def stop(self) -> None:
        if self.owns_server:
            self.fake.stop()

    def seed(self, zones: Mapping[str, Sequence[Seed]]) -> None:
        for zone, records in zones.items():
            self.fake.add_zone(zone)
            for name, rtype, ttl, values in _hosted(records):
                proxied = (name, rtype) in self.proxied and rtype in PROXIABLE_TYPES
                for value in values:
                    fields = record_fields(rtype, value)
                    self.fake.add_record(zone, rtype, name, ttl=ttl, proxied=proxied, **fields)

    def snapshot(self, zone: str) -> Snapshot:
        rows = [
            ((relative(r["name"], zone), r["type"]), r["ttl"], cf_value(r), r)
            for r in self.fake.records(zone)
        ]
        return _group(rows)

    def env(self) -> dict[str, str]:
        return {"CLOUDFLARE_API_TOKEN": self.fake.token, "CLOUDFLARE_API_URL": self.fake.url}

    def requests(self, method: str | None = None, pattern: str = "") -> list[dict[str, Any]]:
        """The request log (method, path, query, body, status), filtered."""
        return [
            r
            for r in list(self.fake.requests)
            if (method is None or r["method"] == method) and re.search(pattern, r["path"])
        ]

    def counters(self) -> dict[str, int]:
        counts: dict[str, int] = {"429": self.fake.rate_limited}
        for r in list(self.fake.requests):
            if r["status"] == 429:
                continue  # refused, counted in "429"; the retry is counted when answered
            path = r["path"]
            if path == "/zones":
                kind = "zones list"
            elif path.endswith("/dns_records/batch"):
                kind = "batch"
            elif path.endswith("/dns_records"):
                kind = "records list" if r["method"] == "GET" else "records"
            else:
                kind = re.sub(r"/zones/[^/]+", "/zones/{id}", path)
                kind = re.sub(r"/dns_records/[^/]+", "/dns_records/{id}", kind)
            key = f"{r['method']} {kind}"
            counts[key] = counts.get(key, 0) + 1
            status = r["status"]
            if status is None or (status >= 400 and status != 429):
                counts["failed"] = counts.get("failed", 0) + 1
        return counts

    def zone_names(self, also: Collection[str] = ()) -> set[str]:
        return {z["name"] + "." for z in self.fake.zones()}

    def drop_zone(self, zone: str) -> None:
        self.fake.remove_zone(zone)


class LocalFiles(Backend):
    """The zone-file provider (config/local.yaml): seeds in ``seed_dir``, edits in ``live_dir``."""

    id = "local"
    config = "config/local.yaml"

    def __init__(self, seed_dir: Path, live_dir: Path, extension: str = ".zone") -> None:
        self.seed_dir = Path(seed_dir)
        self.live_dir = Path(live_dir)
        self.extension = extension
        self._mtimes: dict[str, int] = {}
        self._writes = 0

    def _file(self, zone: str) -> Path:
        name = absolute(zone).rstrip(".") + self.extension
        live = self.live_dir / name
        return live if live.exists() else self.seed_dir / name

    def seed(self, zones: Mapping[str, Sequence[Seed]]) -> None:
        self.seed_dir.mkdir(parents=True, exist_ok=True)
        for zone, records in zones.items():
            path = self.seed_dir / (absolute(zone).rstrip(".") + self.extension)
            path.write_text(bind_zone_text(zone, records))

    def write_text(self, zone: str, text: str) -> None:
        """Seed a zone file verbatim (generated text, $INCLUDE, comments)."""
        self.seed_dir.mkdir(parents=True, exist_ok=True)
        (self.seed_dir / (absolute(zone).rstrip(".") + self.extension)).write_text(text)

    def snapshot(self, zone: str) -> Snapshot:
        parsed = dns.zone.from_file(str(self._file(zone)), origin=absolute(zone), relativize=True)
        rows = []
        for name, node in parsed.nodes.items():
            for rds in node.rdatasets:
                key = (name.to_text().lower(), dns.rdatatype.to_text(rds.rdtype))
                for rd in rds:
                    value = rd.to_text(origin=parsed.origin, relativize=False)
                    rows.append((key, rds.ttl, value, [key[0], rds.ttl, key[1], value]))
        return _group(rows)

    def counters(self) -> dict[str, int]:
        for path in self.live_dir.glob(f"*{self.extension}") if self.live_dir.is_dir() else []:
            mtime = path.stat().st_mtime_ns
            if self._mtimes.get(path.name) != mtime:
                self._mtimes[path.name] = mtime
                self._writes += 1
        return {"files written": self._writes}

    def zone_names(self, also: Collection[str] = ()) -> set[str]:
        folders = [d for d in (self.seed_dir, self.live_dir) if d.is_dir()]
        return {p.name.removesuffix(self.extension) + "." for d in folders for p in d.iterdir()}

    def drop_zone(self, zone: str) -> None:
        for folder in (self.seed_dir, self.live_dir):
            (folder / (absolute(zone).rstrip(".") + self.extension)).unlink(missing_ok=True)


# --------------------------------------------------------- for the benchmark (no pytest)


def available(name: str) -> str | None:
    """None if the backend can run on this machine, else why not."""
    if name == "bind":
        from tests.servers.bind import named_binary

        return None if named_binary() else "named not installed (apt-get install bind9)"
    if name == "powerdns":
        from tests.servers.powerdns import pdns_binary

        return None if pdns_binary() else "pdns_server not installed"
    if name == "route53":
        import importlib.util

        return None if importlib.util.find_spec("moto") else "moto not installed"
    return None


def create(name: str, workdir: Path, **options: Any) -> Backend:
    """A backend whose server the adapter builds, starts (``start()``) and stops.

    Options: ``cloudflare``: ``token``, ``rate_limit`` (requests, seconds),
    ``proxied``, ``nodelay``; ``local``: ``seed_dir``, ``live_dir``.
    """
    workdir = Path(workdir)
    backend: Backend
    if name == "local":
        backend = LocalFiles(
            options.get("seed_dir", workdir / "examples/live"),
            options.get("live_dir", workdir / "live"),
        )
    elif name == "bind":
        from tests.servers.bind import BindServer

        (workdir / "named").mkdir(parents=True, exist_ok=True)
        backend = Bind(BindServer(workdir / "named"))
    elif name == "powerdns":
        from tests.servers.powerdns import PowerDNSServer

        (workdir / "pdns").mkdir(parents=True, exist_ok=True)
        backend = PowerDns(PowerDNSServer(workdir / "pdns", settings=[PowerDns.LOG_REQUESTS]))
    elif name == "route53":
        from tests.servers.route53 import MotoRoute53  # moto import takes 0.4 s

        backend = Route53(MotoRoute53())
    elif name == "cloudflare":
        if options.get("nodelay"):
            # The fake answers with two writes (headers, then body); with Nagle's algorithm
            # and the client's delayed ACK every response then waits ~40 ms, which the real
            # API does not. TCP_NODELAY on the fake's sockets removes that stall.
            from tests.fakes import cloudflare_api

            cloudflare_api._Handler.disable_nagle_algorithm = True
        fake = FakeCloudflare(
            token=options.get("token", "cf-test-token"), rate_limit=options.get("rate_limit")
        )
        backend = Cloudflare(fake, options.get("proxied", CF_PROXIED))
    else:
        raise ValueError(f"unknown backend {name!r}; use {', '.join(BACKENDS)}")
    backend.owns_server = True
    return backend
