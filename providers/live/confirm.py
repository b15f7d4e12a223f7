"""``plan.py confirm``: prove the Autodiscover SRV record is live on every nameserver.

A public resolver only shows its cache, so propagation is checked by asking
each authoritative nameserver of the zone directly (no recursion, AA bit
required). A domain is confirmed only when every one of them serves exactly
the declared SRV set and nothing makes ``autodiscover.<domain>`` resolve.
Resolvers (``--resolver``) are asked only to tell when their cached old or
negative answers expire (RFC 2308). Never report confirmed without a real answer.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from ..core.declarations import is_ip
from ..planner.engine import Declared, in_shard, load_declarations
from ..core.errors import AutodiscoverError
from .queries import (
    DEFAULT_TIMEOUT,
    TRIES,
    QueryPipeline,
    Query,
    QueryFailed,
    Question,
    Server,
    Settings,
    ask,
    on_two_cores,
    question,
)
from .localserver import INSTALL_HINT, LocalNamed, LocalZone, local_zones, named_binary

MAX_WORKERS = 32  # I/O-bound against remote servers; more only adds GIL contention locally
DEFAULT_INTERVAL = 5.0
MAX_INTERVAL = 60.0
BACKOFF = 1.5
PROBE_LABEL = "_autodiscover-dns-probe"
STATUSES = ("confirmed", "pending", "conflict", "error")
EXIT_OK, EXIT_ERROR, EXIT_PENDING = 0, 1, 2


class ConfirmError(AutodiscoverError):
    """confirm/doctor cannot run as asked (bad zone list, no nameserver to ask)."""


# -- servers and queries ---------------------------------------------------------


def split_host_port(spec: str) -> tuple[str, int | None]:
    """'host', 'host:port', '[v6]:port' or a bare IPv6 address -> (host, port or None)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{spec!r}: write an IPv6 address with a port as [ADDRESS]:PORT")
        return host, _port(rest[1:], spec) if rest else None
    if spec.count(":") == 1:
        host, port = spec.split(":")
        return host, _port(port, spec)
    return spec, None


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{spec!r}: port must be a number from 1 to 65535")
    return int(text)


def nameserver_arg(spec: str) -> str:
    """argparse type: check the syntax now, resolve host names later."""
    try:
        host, _ = split_host_port(spec)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if not host:
        raise argparse.ArgumentTypeError(f"{spec!r}: no host")
    return spec


def resolver_arg(spec: str) -> str:
    """argparse type: a resolver is given by address (IP[:PORT] or [IPv6]:PORT)."""
    try:
        host, _ = split_host_port(spec)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if not is_ip(host):
        raise argparse.ArgumentTypeError(f"{spec!r}: give the resolver's IP address")
    return spec


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 seconds")
    return value


def non_negative_float(text: str) -> float:
    if text.strip() in ("0", "0.0"):
        return 0.0
    return positive_float(text)


def servers_from_specs(specs: Iterable[str]) -> list[Server]:
    """--nameserver/--resolver values -> addresses; a host name is resolved once, here."""
    servers: list[Server] = []
    for spec in specs:
        host, port = split_host_port(spec)
        if is_ip(host):
            servers.append(Server(spec, host, port or 53))
            continue
        try:
            infos = socket.getaddrinfo(host, port or 53, type=socket.SOCK_DGRAM)
        except socket.gaierror as e:
            raise ConfirmError(
                f"--nameserver {spec}: cannot resolve {host} ({e.strerror})"
            ) from None
        for address in sorted({info[4][0] for info in infos}):
            servers.append(Server(spec, address, port or 53))
    return list(dict.fromkeys(servers))


def check_answer(response: dns.message.Message, zone: str) -> None:
    """Refuse answers that are not authoritative data of ``zone``, naming why."""
    rcode = response.rcode()
    if rcode == dns.rcode.REFUSED:
        raise QueryFailed("REFUSED", f"the server refuses to answer for {zone} (does not serve it)")
    if rcode == dns.rcode.SERVFAIL:
        raise QueryFailed(
            "SERVFAIL", f"the server failed to answer for {zone} (zone not loaded or expired)"
        )
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise QueryFailed(dns.rcode.to_text(rcode), f"unexpected answer for {zone}")
    if not response.flags & dns.flags.AA:
        ns = [r for r in response.authority if r.rdtype == dns.rdatatype.NS]
        if ns and not response.answer:
            hosts = ", ".join(sorted(rd.target.to_text() for rd in ns[0]))
            raise QueryFailed(
                "not authoritative",
                f"referral: {ns[0].name.to_text()} is delegated to {hosts}",
            )
        raise QueryFailed(
            "not authoritative",
            f"answered without the AA bit: it does not host {zone} (a resolver or an old server?)",
        )


def negative_ttl(response: dns.message.Message) -> int | None:
    """RFC 2308: how long NXDOMAIN/NODATA is cached, min(SOA TTL, SOA MINIMUM)."""
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            return min(rrset.ttl, rrset[0].minimum)
    return None


# -- what one nameserver serves ---------------------------------------------------


@dataclass
class Observation:
    """What one nameserver address serves for one email domain."""

    server: Server
    srv: list[str] = field(default_factory=list)
    srv_cname: str | None = None
    conflicts: list[dict] = field(default_factory=list)
    shield: list[str] = field(default_factory=list)
    apex: list[str] = field(default_factory=list)
    serial: int | None = None
    error: str | None = None
    status: str = "error"


def _fqdn(name: str) -> dns.name.Name:
    return dns.name.from_text(name if name.endswith(".") else name + ".")


def srv_text(rd) -> str:
    return f"{rd.priority} {rd.weight} {rd.port} {rd.target.to_text().lower()}"


def expected_srv(declared: Declared) -> list[str]:
    values = declared.declaration.values
    return sorted(
        f"{v['priority']} {v['weight']} {v['port']} {str(v['target']).lower()}" for v in values
    )


def _rrsets(response: dns.message.Message, owner: dns.name.Name, types: Iterable[int]):
    wanted = set(types)
    return [r for r in response.answer if r.name == owner and r.rdtype in wanted]


class DeadServers:
    """Servers that timed out for several zones and never answered in this run.

    Without it, 1,000 zones on one dead address cost 1,000 x tries x timeout
    (spread over the questions in flight); with it, the rest are reported at
    once. One per QueryPipeline run: its tasks share a thread, so no lock.
    """

    LIMIT = 3

    def __init__(self) -> None:
        self.timeouts: dict[Server, int] = {}
        self.alive: set[Server] = set()

    def dead(self, server: Server) -> int:
        count = self.timeouts.get(server, 0)
        return count if server not in self.alive and count >= self.LIMIT else 0

    def record(self, server: Server, timed_out: bool) -> None:
        if timed_out:
            self.timeouts[server] = self.timeouts.get(server, 0) + 1
        else:
            self.alive.add(server)


def observe_zone(
    zone: str, domains: list[Declared], server: Server, deep: bool = False,
    dead: DeadServers | None = None,
) -> Query[dict[str, Observation]]:  # fmt: skip
    """Ask one server about every email domain of one zone.

    The zone must be served (AA, its own SOA) before its answers count. The
    first domain's SRV question comes first: an authoritative negative answer
    carries the zone's SOA (RFC 2308) and proves that at no extra cost; any
    other answer is followed by an SOA question, whose answer names the error.
    """
    found = {d.declaration.domain.name: Observation(server) for d in domains}
    dead = dead or DeadServers()
    early: dns.message.Message | None = None  # the first domain's SRV answer
    try:
        if count := dead.dead(server):
            raise QueryFailed(
                "timeout",
                f"no answer from {server.address} for {count} other zones in this run; "
                "not asked again",
            )
        try:
            first = _srv_question(domains[0], server) if domains else None
            early = (yield first) if first is not None else None
            serial = _zone_serial(early, zone)
            if serial is None:
                response = yield question(server, zone, dns.rdatatype.SOA)
        except QueryFailed as e:
            dead.record(server, e.kind == "timeout")
            raise
        dead.record(server, False)
        if serial is None:
            serial = _soa_serial(response, zone)
    except QueryFailed as e:
        for obs in found.values():
            obs.error = str(e)
        return found
    for declared in domains:
        obs = found[declared.declaration.domain.name]
        obs.serial = serial
        answer, early = early, None
        try:
            yield from _observe_domain(obs, zone, declared, server, deep, answer)
        except QueryFailed as e:
            obs.error = str(e)
        except dns.exception.DNSException as e:  # e.g. a name too long for DNS
            obs.error = f"bad name: {e}"
    return found


def _srv_question(declared: Declared, server: Server) -> Question | None:
    try:
        name = _fqdn(f"_autodiscover._tcp.{declared.declaration.domain.name}")
    except dns.exception.DNSException:
        return None  # a name DNS cannot carry: reported with that domain
    return question(server, name, dns.rdatatype.SRV)


def _zone_serial(response: dns.message.Message | None, zone: str) -> int | None:
    """The serial of an authoritative negative answer carrying the zone's own SOA."""
    if response is None or not response.flags & dns.flags.AA or response.answer:
        return None
    if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return None
    apex = _fqdn(zone)
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name == apex:
            return rrset[0].serial
    return None


def _soa_serial(response: dns.message.Message, zone: str) -> int:
    """The serial of the answer to the zone's SOA question, or why the zone is not served."""
    check_answer(response, zone)
    soa = _rrsets(response, _fqdn(zone), [dns.rdatatype.SOA])
    if response.rcode() == dns.rcode.NXDOMAIN:
        raise QueryFailed("NXDOMAIN", f"{zone} does not exist on this server")
    if not soa:
        parent = next((r.name for r in response.authority if r.rdtype == dns.rdatatype.SOA), None)
        inside = f"; it serves it as part of {parent}" if parent is not None else ""
        raise QueryFailed("not a zone", f"{zone} has no SOA on this server{inside}")
    return soa[0][0].serial


def _observe_domain(
    obs: Observation, zone: str, declared: Declared, server: Server, deep: bool,
    answer: dns.message.Message | None = None,
) -> Query[None]:  # fmt: skip
    """``answer``: the SRV answer when it was already asked for (the zone check)."""
    domain = declared.declaration.domain.name
    srv_name = _fqdn(f"_autodiscover._tcp.{domain}")
    response = answer
    if response is None:
        response = yield question(server, srv_name, dns.rdatatype.SRV)
    check_answer(response, zone)
    for rrset in _rrsets(response, srv_name, [dns.rdatatype.SRV]):
        obs.srv = sorted(srv_text(rd) for rd in rrset)
    for rrset in _rrsets(response, srv_name, [dns.rdatatype.CNAME]):
        obs.srv_cname = rrset[0].target.to_text()
    host = _fqdn(f"autodiscover.{domain}")
    obs.conflicts = yield from _address_conflicts(host, zone, server)
    if obs.conflicts:
        source = yield from _wildcard_source(host, zone, server, obs.conflicts)
        for conflict in obs.conflicts:
            conflict["source"] = source
            conflict["kept_by_policy"] = declared.declaration.policy == "report"
    if deep:
        response = yield question(server, host, dns.rdatatype.TXT)
        check_answer(response, zone)
        for rrset in _rrsets(response, host, [dns.rdatatype.TXT]):
            obs.shield = [rd.to_text() for rd in rrset]
        apex = _fqdn(domain)
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            response = yield question(server, apex, rdtype)
            check_answer(response, zone)
            for rrset in _rrsets(response, apex, [rdtype, dns.rdatatype.CNAME]):
                obs.apex += [
                    f"{dns.rdatatype.to_text(rrset.rdtype)} {rd.to_text()}" for rd in rrset
                ]


def _address_conflicts(host: dns.name.Name, zone: str, server: Server) -> Query[list[dict]]:
    """A/AAAA/CNAME answers for autodiscover.<domain>: each one hijacks Outlook (steps 7, 9).

    NXDOMAIN for A means the name exists for no type (RFC 1035, RFC 2308; a
    wildcard would have answered), so AAAA is asked only when A was not NXDOMAIN.
    """
    seen: dict[tuple[str, str], dict] = {}
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        response = yield question(server, host, rdtype)
        check_answer(response, zone)
        found = _rrsets(response, host, [rdtype, dns.rdatatype.CNAME])
        for rrset in found:
            kind = dns.rdatatype.to_text(rrset.rdtype)
            for rd in rrset:
                value = rd.to_text()
                seen.setdefault(
                    (kind, value),
                    {"name": host.to_text(), "type": kind, "value": value, "ttl": rrset.ttl},
                )
        if response.rcode() == dns.rcode.NXDOMAIN and not found:
            break  # (an NXDOMAIN after a CNAME is about the CNAME's target: RFC 6604)
    return sorted(seen.values(), key=lambda c: (c["type"], c["value"]))


def _wildcard_source(
    host: dns.name.Name, zone: str, server: Server, conflicts: list[dict]
) -> Query[str]:
    """'wildcard' or 'explicit', by RFC 4592: a name below an existing node gets no wildcard.

    If autodiscover.<domain> exists, <probe>.autodiscover.<domain> has that node
    as closest encloser and gets NXDOMAIN; if only a wildcard answered, the
    probe gets the wildcard's answer too.
    """
    rdtype = dns.rdatatype.AAAA if conflicts[0]["type"] == "AAAA" else dns.rdatatype.A
    try:
        probe = dns.name.Name((PROBE_LABEL.encode(),) + host.labels)
        response = yield question(server, probe, rdtype)
        check_answer(response, zone)
    except (QueryFailed, dns.exception.DNSException):
        return "unknown"
    return "wildcard" if _rrsets(response, probe, [rdtype, dns.rdatatype.CNAME]) else "explicit"


def judge(obs: Observation, expected: list[str]) -> str:
    """One nameserver's status: a conflict outranks a missing SRV (it hijacks Outlook first)."""
    if obs.error:
        return "error"
    if obs.conflicts:
        return "conflict"
    if obs.srv != expected or obs.srv_cname:
        return "pending"
    return "confirmed"


def describe_obs(obs: Observation) -> str:
    """What a nameserver serves, in words."""
    if obs.error:
        return obs.error
    parts = []
    if obs.srv_cname:
        parts.append(f"a CNAME to {obs.srv_cname} instead of the SRV record")
    elif obs.srv:
        parts.append("SRV " + ", ".join(obs.srv))
    else:
        parts.append("no SRV record")
    for c in obs.conflicts:
        parts.append(conflict_text(c))
    if obs.serial is not None:
        parts.append(f"SOA serial {obs.serial}")
    return "; ".join(parts)


def conflict_text(c: dict) -> str:
    via = {
        "wildcard": "answered by a wildcard",
        "explicit": "an explicit record",
        "unknown": "explicit or wildcard",
    }.get(c.get("source", "unknown"), "")
    kept = ", kept by policy report" if c.get("kept_by_policy") else ""
    return f"{c['name']} {c['type']} {c['value']} ({via}{kept})"


# -- where to ask ---------------------------------------------------------------------


@dataclass
class ZoneSource:
    """The servers to ask for one zone, or why there are none."""

    zone: str
    servers: list[Server] = field(default_factory=list)
    broken: list[tuple[Server, str]] = field(default_factory=list)  # known before asking
    error: str | None = None
    settled: bool = False  # waiting cannot change the error
    local: bool = False


def system_resolver(settings: Settings) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver()
    resolver.lifetime = settings.timeout * settings.tries
    resolver.timeout = settings.timeout
    return resolver


def _resolver_name(resolver: dns.resolver.Resolver) -> str:
    return ", ".join(str(n) for n in resolver.nameservers) or "none"


def resolver_has_internet(resolver: dns.resolver.Resolver) -> bool:
    """A resolver that cannot find the root zone's NS has no view of public DNS."""
    try:
        resolver.resolve(".", "NS")
    except dns.exception.DNSException:
        return False
    return True


def find_nameservers(
    zone: str, resolver: dns.resolver.Resolver, cache: dict[str, list[str]] | None = None
) -> ZoneSource:
    """The zone's NS set, then each NS name's IPv4 and IPv6 addresses.

    ``cache`` keeps NS name -> addresses across zones: many zones share one DNS host.
    """
    cache = {} if cache is None else cache
    source = ZoneSource(zone)
    where = f"the system resolver ({_resolver_name(resolver)})"
    try:
        answer = resolver.resolve(zone, "NS", raise_on_no_answer=True)
        names = sorted({rd.target.to_text() for rd in answer})
    except dns.exception.DNSException as e:
        kind = {
            dns.resolver.NXDOMAIN: "NXDOMAIN",
            dns.resolver.NoAnswer: "no NS records",
            dns.resolver.NoNameservers: "SERVFAIL",
            dns.resolver.LifetimeTimeout: "timeout",
            dns.resolver.NoResolverConfiguration: "no resolver",
        }.get(type(e), type(e).__name__)
        if resolver_has_internet(resolver):
            source.error = (
                f"cannot find the nameservers of {zone}: {kind} from {where}; check the "
                "delegation at the registrar, or give --nameserver"
            )
        else:
            source.error = (
                f"cannot find the nameservers of {zone} ({kind}): {where} cannot resolve the "
                "root zone either, so this machine has no view of public DNS; give --nameserver "
                "HOST[:PORT] for the servers that publish it"
            )
        return source
    for name in names:
        if name not in cache:
            addresses = []
            for rdtype in ("A", "AAAA"):
                try:
                    addresses += [rd.address for rd in resolver.resolve(name, rdtype)]
                except dns.exception.DNSException:
                    pass
            cache[name] = addresses
        addresses = cache[name]
        reachable = [a for a in addresses if _routable(a)]
        if not addresses:
            source.broken.append(
                (Server(name, "-"), f"no address: {name} has no A or AAAA record (lame delegation)")
            )
        source.servers += [Server(name, a) for a in reachable]
        if addresses and not reachable:
            source.broken.append((Server(name, addresses[0]), "network error: no route from here"))
    return source


def _routable(address: str) -> bool:
    """Skip IPv6 addresses this machine has no route to (common, and not the zone's fault)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((address, 53))  # UDP connect sends nothing; it only picks a route
        except OSError:
            return False
    return True


class LiveDns:
    """Which servers to ask for each zone: --nameserver, the local named, or the NS set."""

    def __init__(
        self, config: Path, zones: list[str], nameservers: list[Server], serve_local: bool,
        settings: Settings,
    ) -> None:  # fmt: skip
        self.config = config
        self.zones = zones
        self.nameservers = nameservers
        self.serve_local = serve_local
        self.settings = settings
        # zones hosted by the zone-file provider: needed to serve them, or to say that
        # nothing serves them; --nameserver alone asks the given servers for every zone
        wanted = set(zones)
        needed = serve_local or not nameservers
        hosted = local_zones(config) if needed else {}
        self.local = {z: lz for z, lz in hosted.items() if z in wanted}
        self.named: LocalNamed | None = None
        self.sources: dict[str, ZoneSource] = {}
        self._stack = ExitStack()

    def __enter__(self) -> LiveDns:
        if self.serve_local:
            if not self.local:
                raise ConfirmError(
                    f"--serve-local: no zone of {self.config} is hosted by the zone-file provider; "
                    "use --nameserver or the zones' own nameservers"
                )
            files = {z: lz.read_path for z, lz in self.local.items() if lz.read_path is not None}
            if files:
                self.named = self._stack.enter_context(LocalNamed(files))
        self._discover()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def refresh(self) -> None:
        """Between --wait rounds: serve zone files that changed meanwhile."""
        if self.named is not None:
            # the first apply writes live/<zone>.zone beside the examples/ seed: follow it
            fresh = local_zones(self.config)
            for zone in self.local:
                if zone in fresh and fresh[zone].read_path is not None:
                    self.local[zone] = fresh[zone]
                    self.named.zones[zone] = fresh[zone].read_path
            self.named.refresh()
            self._discover()

    def _local_source(self, zone: str, lz: LocalZone) -> ZoneSource:
        if lz.read_path is None or self.named is None:
            return ZoneSource(
                zone,
                error=f"zone {zone} has no zone file ({lz.live_path}) for provider {lz.provider}: "
                "it does not exist there, and the planner never creates zones",
                local=True,
            )
        failed = self.named.failed.get(zone)
        if failed:
            return ZoneSource(zone, error=f"named refused {lz.read_path}: {failed}", local=True)
        server = Server(f"local named ({lz.read_path})", self.named.host, self.named.port)
        return ZoneSource(zone, servers=[server], local=True)

    def _discover(self) -> None:
        remote = []
        for zone in self.zones:
            lz = self.local.get(zone)
            if lz is not None and self.serve_local:
                self.sources[zone] = self._local_source(zone, lz)
            elif self.nameservers:
                self.sources[zone] = ZoneSource(zone, servers=list(self.nameservers))
            elif lz is not None:
                self.sources[zone] = ZoneSource(
                    zone,
                    error=unserved_message(zone, lz.read_path or lz.live_path),
                    settled=True,
                    local=True,
                )
            else:
                remote.append(zone)
        if remote:
            resolver = system_resolver(self.settings)
            cache: dict[str, list[str]] = {}
            with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(remote))) as pool:
                for source in pool.map(lambda z: find_nameservers(z, resolver, cache), remote):
                    self.sources[source.zone] = source


def unserved_message(zone: str, path: Path) -> str:
    named = named_binary()
    serve = (
        f"run with --serve-local to load them into a local BIND ({named})"
        if named
        else f"install BIND ({INSTALL_HINT}) and run with --serve-local"
    )
    return (
        f"zone {zone} lives in the zone file {path}, and these zone files are served by no "
        f"nameserver, so nothing can be confirmed by asking DNS: {serve}, or give --nameserver "
        "HOST[:PORT] for the server that publishes them"
    )


# -- per-domain results -------------------------------------------------------------------


@dataclass
class DomainResult:
    declared: Declared
    expected: list[str]
    observations: list[Observation]
    status: str = "error"
    message: str = ""
    settled: bool = False
    resolvers: list[dict] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return self.declared.declaration.domain.name

    @property
    def zone(self) -> str:
        return self.declared.zone_file.zone

    def to_json(self) -> dict:
        data = {
            "domain": self.domain,
            "zone": self.zone,
            "status": self.status,
            "expected": self.expected,
            "nameservers": [
                {
                    "name": o.server.name,
                    "address": o.server.address,
                    "status": o.status,
                    "srv": o.srv,
                    "conflicts": o.conflicts,
                    "error": o.error,
                }
                for o in self.observations
            ],
            "message": self.message,
        }
        if self.resolvers:
            data["resolvers"] = self.resolvers
        return data


def conclude(
    declared: Declared, source: ZoneSource, observations: list[Observation]
) -> DomainResult:
    """The domain's status from all its nameservers, and one sentence saying why."""
    expected = expected_srv(declared)
    result = DomainResult(declared, expected, observations)
    for obs in observations:
        obs.status = judge(obs, expected)
    domain = result.domain
    if source.error:
        result.status, result.message, result.settled = "error", source.error, source.settled
        return result
    if not observations:
        result.message = f"no nameserver to ask for {source.zone}"
        return result
    statuses = [o.status for o in observations]
    stale = [o for o in observations if o.status != "confirmed"]
    if "error" in statuses:
        result.status = "error"
        result.message = "; ".join(f"{o.server.label}: {o.error}" for o in observations if o.error)
    elif not stale:
        result.status = "confirmed"
        count = len(observations)
        every = "the nameserver serves" if count == 1 else f"all {count} nameservers serve"
        result.message = (
            f"{every} SRV {', '.join(expected)} and nothing answers for autodiscover.{domain}"
        )
    elif len(stale) < len(observations):
        result.status = "pending"
        result.message = (
            f"{len(observations) - len(stale)} of {len(observations)} nameserver address(es) "
            "updated; still old: "
            + "; ".join(f"{o.server.label} serves {describe_obs(o)}" for o in stale)
            + ". Nameservers copy changes on their own schedule: wait, or run with --wait"
        )
    elif any(o.conflicts for o in observations):
        result.status = "conflict"
        conflicts = {conflict_text(c) for o in observations for c in o.conflicts}
        kept = declared.declaration.policy == "report"
        fix = (
            f"kept because {declared.zone_file.path} sets policy: report; set policy remove or "
            "shield to fix it, then make plan"
            if kept
            else "make plan shows the fix; make apply, then confirm again"
        )
        result.message = (
            f"{'; '.join(sorted(conflicts))}: Outlook goes to autodiscover.{domain} (steps 7 and "
            f"9) before the SRV record; {fix}"
        )
        srv_ok = all(o.srv == expected and not o.srv_cname for o in observations)
        result.settled = kept and srv_ok
    else:
        result.status = "pending"
        first = observations[0]
        result.message = (
            f"no nameserver serves the declared SRV yet ({first.server.label} serves "
            f"{describe_obs(first)}); apply the plan (make apply), then allow 15 minutes to "
            "24 hours"
        )
    return result


# -- resolver view ----------------------------------------------------------------------


def resolver_view(resolver: Server, result: DomainResult, settings: Settings) -> dict:
    """What a caching resolver hands out now, and when its stale answers expire."""
    domain = result.domain
    view: dict = {
        "resolver": resolver.address,
        "status": "error",
        "srv": [],
        "conflicts": [],
        "expires_in": None,
        "error": None,
    }
    stale_ttls: list[int | None] = []
    notes = []
    try:
        srv_name = _fqdn(f"_autodiscover._tcp.{domain}")
        response = _resolve(resolver, srv_name, dns.rdatatype.SRV, settings)
        srv = _rrsets(response, srv_name, [dns.rdatatype.SRV])
        view["srv"] = sorted(srv_text(rd) for rd in srv[0]) if srv else []
        if view["srv"] != result.expected:
            ttl = srv[0].ttl if srv else negative_ttl(response)
            stale_ttls.append(ttl)
            what = f"SRV {', '.join(view['srv'])}" if srv else _negative_word(response)
            notes.append(f"caches {what} for the SRV for {_secs(ttl)} more")
        host = _fqdn(f"autodiscover.{domain}")
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            response = _resolve(resolver, host, rdtype, settings)
            for rrset in _rrsets(response, host, [rdtype, dns.rdatatype.CNAME]):
                kind = dns.rdatatype.to_text(rrset.rdtype)
                for rd in rrset:
                    entry = {"name": host.to_text(), "type": kind, "value": rd.to_text(),
                             "ttl": rrset.ttl}  # fmt: skip
                    if entry not in view["conflicts"]:
                        view["conflicts"].append(entry)
                        if result.declared.declaration.policy != "report":
                            stale_ttls.append(rrset.ttl)
                            notes.append(
                                f"caches {kind} {rd.to_text()} for {_secs(rrset.ttl)} more"
                            )
    except QueryFailed as e:
        view["error"] = str(e)
        view["note"] = f"{resolver.address}: {e}"
        return view
    if not stale_ttls:
        view["status"] = "current"
        view["note"] = f"{resolver.address} already hands out the declared SRV record"
        return view
    view["status"] = "stale"
    known = [t for t in stale_ttls if t is not None]
    view["expires_in"] = max(known) if len(known) == len(stale_ttls) else None
    upstream = (
        ""
        if result.status == "confirmed"
        else "; the nameservers themselves are not all updated yet, so it may fetch old data again"
    )
    view["note"] = f"{resolver.address} " + "; ".join(notes) + upstream
    return view


def _resolve(server: Server, qname, rdtype: int, settings: Settings) -> dns.message.Message:
    response = ask(server, qname, rdtype, settings, recursion=True)
    rcode = response.rcode()
    if rcode == dns.rcode.REFUSED:
        raise QueryFailed("REFUSED", f"the resolver refuses to answer {qname}")
    if rcode == dns.rcode.SERVFAIL:
        raise QueryFailed("SERVFAIL", f"the resolver could not resolve {qname}")
    return response


def _negative_word(response: dns.message.Message) -> str:
    return "NXDOMAIN" if response.rcode() == dns.rcode.NXDOMAIN else "NODATA (no SRV)"


def _secs(ttl: int | None) -> str:
    if ttl is None:
        return "an unknown time (no SOA in the answer)"
    if ttl >= 120:
        return f"up to {ttl} s ({ttl / 60:.0f} min)"
    return f"up to {ttl} s"


# -- running the checks -----------------------------------------------------------------------


def select(declared: list[Declared], names: list[str], config: Path) -> list[Declared]:
    """Only the given zones or email domains; unknown names are an error."""
    if not names:
        return declared
    chosen: list[Declared] = []
    for raw in names:
        name = raw.lower().rstrip(".")
        hits = [
            d
            for d in declared
            if d.zone_file.zone.rstrip(".") == name or d.declaration.domain.name == name
        ]
        if not hits:
            raise ConfirmError(
                f"{raw} is not declared for {config} (no zones/<provider>/{name}.yaml and no such "
                "email domain); add it with plan.py add"
            )
        chosen += [d for d in hits if d not in chosen]
    return chosen


def select_declared(args) -> list[Declared]:
    """The declared email domains the command line asks about; none at all is an error."""
    config = Path(args.config)
    declared = load_declarations(config)
    if not declared:
        raise ConfirmError(
            f"no email domain is declared for {config}; add one with plan.py add DOMAIN "
            "--platform NAME --provider ID"
        )
    shard = getattr(args, "shard", None)
    if shard is not None:
        declared = [d for d in declared if in_shard(d.zone_file.zone, *shard)]
    return select(declared, args.zones, config)


def check(
    targets: list[Declared], live: LiveDns, settings: Settings, deep: bool = False
) -> list[DomainResult]:
    """Ask every server of every zone about its domains, many questions in flight at once."""
    by_zone: dict[str, list[Declared]] = {}
    for d in targets:
        by_zone.setdefault(d.zone_file.zone, []).append(d)
    jobs = []
    for zone, domains in by_zone.items():
        for server in live.sources[zone].servers:
            jobs.append((zone, domains, server))
    observed: dict[tuple[str, Server], Observation] = {}

    def observe(part: Sequence[tuple[str, list[Declared], Server]]) -> list:
        dead = DeadServers()
        tasks = (observe_zone(zone, domains, server, deep, dead) for zone, domains, server in part)
        return QueryPipeline(settings).run(tasks)

    for (_zone, _domains, server), found in zip(jobs, on_two_cores(observe, jobs), strict=True):
        for domain, obs in found.items():
            observed[(domain, server)] = obs
    results = []
    for d in targets:
        source = live.sources[d.zone_file.zone]
        observations = [observed[(d.declaration.domain.name, s)] for s in source.servers]
        for server, error in source.broken:
            observations.append(Observation(server, error=error))
        results.append(conclude(d, source, observations))
    return results


def add_resolver_views(
    results: list[DomainResult], resolvers: list[Server], settings: Settings
) -> None:
    if not resolvers:
        return
    pairs = [(r, res) for r in results for res in resolvers]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(pairs))) as pool:
        views = list(pool.map(lambda p: resolver_view(p[1], p[0], settings), pairs))
    for (result, _), view in zip(pairs, views, strict=True):
        result.resolvers.append(view)


def summary(results: list[DomainResult], seconds: float) -> dict:
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    return {"domains": len(results), **counts, "seconds": round(seconds, 2)}


def exit_code(results: list[DomainResult]) -> int:
    statuses = {r.status for r in results}
    if "error" in statuses:
        return EXIT_ERROR
    if statuses - {"confirmed"}:
        return EXIT_PENDING
    return EXIT_OK


def render_text(results: list[DomainResult], totals: dict) -> str:
    lines = []
    for r in results:
        platform = r.declared.declaration.platform_name
        lines.append(f"{r.domain} ({r.zone}, {platform}): {r.status.upper()}")
        lines.append(f"  expected  _autodiscover._tcp.{r.domain}. SRV {', '.join(r.expected)}")
        for o in r.observations:
            lines.append(f"  {o.status:<9} {o.server.label}: {describe_obs(o)}")
        lines.append(f"  -> {r.message}")
        for view in r.resolvers:
            expiry = f" (expires within {view['expires_in']} s)" if view["expires_in"] else ""
            lines.append(f"  resolver  {view['status']}{expiry}: {view.get('note', '')}")
    lines.append(
        f"summary: {totals['confirmed']} confirmed, {totals['pending']} pending, "
        f"{totals['conflict']} conflict, {totals['error']} error of {totals['domains']} "
        f"domain(s) in {totals['seconds']:.1f} s"
    )
    if totals["pending"]:
        lines.append(
            "DNS changes take 15 minutes to 24 hours to reach every nameserver and cache: run "
            "confirm again later, or with --wait SECONDS"
        )
    return "\n".join(lines) + "\n"


def render_json(results: list[DomainResult], totals: dict) -> str:
    return json.dumps({"zones": [r.to_json() for r in results], "summary": totals}, indent=2) + "\n"


def settings_from(args) -> Settings:
    return Settings(timeout=args.timeout)


def open_live_dns(args, targets: list[Declared], settings: Settings) -> LiveDns:
    nameservers = servers_from_specs(args.nameserver or [])
    zones = sorted({d.zone_file.zone for d in targets})
    return LiveDns(Path(args.config), zones, nameservers, args.serve_local, settings)


def run_confirm(args, progress: Callable[[str], None] | None = None) -> int:
    """The confirm command; returns the exit code (0 confirmed, 2 not yet, 1 error)."""
    say = progress or (lambda text: print(text, file=sys.stderr, flush=True))
    started = time.monotonic()
    settings = settings_from(args)
    targets = select_declared(args)
    resolvers = servers_from_specs(args.resolver or [])
    with open_live_dns(args, targets, settings) as live:
        results = check(targets, live, settings)
        deadline = started + args.wait
        delay = args.interval
        rounds = 1
        while args.wait and not _done(results):
            left = deadline - time.monotonic()
            if left <= 0:
                say(f"confirm: --wait {args.wait:g} s is over; reporting what is live now")
                break
            sleep = min(delay, left)
            say(_progress_line(results, rounds, sleep, left))
            time.sleep(sleep)
            delay = min(delay * BACKOFF, MAX_INTERVAL)
            rounds += 1
            live.refresh()
            open_ = [r for r in results if r.status != "confirmed" and not r.settled]
            again = {r.domain: r for r in check([r.declared for r in open_], live, settings)}
            results = [again.get(r.domain, r) for r in results]
        if args.wait:
            say(_progress_line(results, rounds, None, None))
    add_resolver_views(results, resolvers, settings)
    totals = summary(results, time.monotonic() - started)
    if args.format == "json":
        sys.stdout.write(render_json(results, totals))
    else:
        sys.stdout.write(render_text(results, totals))
    return exit_code(results)


def _done(results: list[DomainResult]) -> bool:
    return all(r.status == "confirmed" or r.settled for r in results)


def _progress_line(results: list[DomainResult], rounds: int, sleep, left) -> str:
    confirmed = sum(r.status == "confirmed" for r in results)
    waiting = [f"{r.domain} ({r.status})" for r in results if r.status != "confirmed"]
    shown = ", ".join(waiting[:5]) + (f" and {len(waiting) - 5} more" if len(waiting) > 5 else "")
    head = f"confirm: round {rounds}: {confirmed} of {len(results)} confirmed"
    if sleep is None:
        return head + (f"; not confirmed: {shown}" if waiting else "")
    return f"{head}; waiting for {shown}; next check in {sleep:.0f} s ({left:.0f} s left)"


def add_live_dns_options(p: argparse.ArgumentParser, output_format: bool = True) -> None:
    """Options shared by confirm, doctor and report: where live DNS is asked.

    ``output_format=False`` leaves out ``--format`` (report writes files of fixed formats).
    """
    p.add_argument(
        "--nameserver", action="append", metavar="HOST[:PORT]", type=nameserver_arg,
        help="ask this nameserver instead of the zone's NS set (repeat for several; "
        "[IPv6]:PORT for IPv6 with a port)",
    )  # fmt: skip
    p.add_argument(
        "--serve-local", action="store_true",
        help="serve the zone-file provider's zones (live/, else examples/live/) with a local "
        "BIND named on 127.0.0.1 and ask it",
    )  # fmt: skip
    p.add_argument(
        "--timeout", type=positive_float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
        help=f"per query try; {TRIES} tries over UDP (default {DEFAULT_TIMEOUT:g})",
    )  # fmt: skip
    if output_format:
        p.add_argument("--format", choices=("text", "json"), default="text")


def add_confirm_parser(sub, common, func) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "confirm",
        help="prove the SRV record is live on every authoritative nameserver",
        description="Ask every authoritative nameserver of each zone directly (no recursion, "
        "AA bit) whether it serves the declared Autodiscover SRV record and nothing that makes "
        "autodiscover.<domain> resolve. Exit 0 all confirmed, 2 pending or conflict, 1 error.",
    )
    common(p)
    add_live_dns_options(p)
    p.add_argument(
        "--resolver", action="append", metavar="IP[:PORT]", type=resolver_arg,
        help="also show this caching resolver's view and when its stale or negative answers "
        "expire (repeat for several)",
    )  # fmt: skip
    p.add_argument(
        "--wait", type=non_negative_float, default=0.0, metavar="SECONDS",
        help="poll with backoff until all are confirmed or SECONDS are over",
    )  # fmt: skip
    p.add_argument(
        "--interval", type=positive_float, default=DEFAULT_INTERVAL, metavar="SECONDS",
        help=f"first pause between polls with --wait, growing x{BACKOFF:g} up to "
        f"{MAX_INTERVAL:g} s (default {DEFAULT_INTERVAL:g})",
    )  # fmt: skip
    p.set_defaults(func=func)
    return p


def register(sub, common) -> None:
    """plan.py's extension point (EXTRA_COMMANDS): adds the confirm subcommand."""
    add_confirm_parser(sub, common, run_confirm)
