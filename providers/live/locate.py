"""Where a domain's DNS is hosted: the delegation at the parent, the zone's own NS set,
and the host those nameservers' names point to (``config/dns-hosts.yaml``).

A recursive resolver answers the child's NS set, never the parent's referral, so the
delegation is read at the source: the zone above the domain is found by SOA through the
resolver, its nameservers by NS through the resolver, and one of them is asked directly
(no recursion) for the domain's NS: the referral's authority section is the parent's
view. Then every nameserver of the delegation and of the zone's own NS set is asked for
the zone's NS and SOA, with the AA bit required. DS is asked of the parent and DNSKEY of
the zone. Each domain is one :data:`~.queries.Query`, so a CSV of thousands runs
concurrently over the query pipeline.
"""

from __future__ import annotations

import re
import socket
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver
import yaml

from ..core.errors import AutodiscoverError
from .queries import Query, QueryFailed, QueryPipeline, Server, Settings, ask, question
from .servers import check_answer, fqdn, rrsets

__all__ = [
    "HOSTS_FILE",
    "DnsHost",
    "HostTable",
    "HostTableError",
    "LocateError",
    "Location",
    "check_resolver",
    "load_host_table",
    "locate",
    "render_json",
    "render_text",
    "system_resolver_server",
]

#: the pattern table, relative to the repository
HOSTS_FILE = "config/dns-hosts.yaml"
MANUAL = "manual"

_PROVIDER_ID = re.compile(r"[a-z][a-z0-9_-]*\Z")
_PATTERN_LABEL = re.compile(r"[a-z0-9*_-]+\Z")


class HostTableError(AutodiscoverError):
    """config/dns-hosts.yaml cannot be used: one line naming the file and the entry."""


class LocateError(AutodiscoverError):
    """locate cannot run as asked (no resolver, the resolver does not answer)."""


# -- the host table ----------------------------------------------------------------------


@dataclass(frozen=True)
class DnsHost:
    """One DNS host: its name, the zones/ folder of its domains, its nameservers' names."""

    key: str
    name: str
    provider: str | None
    patterns: tuple[str, ...]
    note: str | None = None
    _compiled: tuple[re.Pattern[str], ...] = field(default=(), compare=False, repr=False)

    def matches(self, nameserver: str) -> bool:
        name = nameserver.lower().rstrip(".")
        return any(p.fullmatch(name) for p in self._compiled)

    @property
    def folder(self) -> str:
        """How text output names where the domain's zone file goes."""
        if self.provider is None:
            return "no provider here yet: add one, or use zones/manual/"
        if self.provider == MANUAL:
            return "zones/manual/: no API, the change is made by hand"
        return f"zones/{self.provider}/"


@dataclass(frozen=True)
class HostTable:
    hosts: tuple[DnsHost, ...]

    def host_of(self, nameserver: str) -> DnsHost | None:
        """The first host with a pattern matching the name, or None."""
        return next((h for h in self.hosts if h.matches(nameserver)), None)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A nameserver name pattern: ``*`` is any run of letters, digits, ``-`` and ``_``
    within one label; everything else matches itself."""
    labels = pattern.split(".")
    parts = ["[a-z0-9_-]*".join(re.escape(piece) for piece in label.split("*")) for label in labels]
    return re.compile(r"\.".join(parts))


def load_host_table(path: str | Path) -> HostTable:
    """Read the host table; anything wrong is one line naming the file and the host."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise HostTableError(f"{path}: cannot read the DNS host table ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise HostTableError(f"{path}: not valid YAML ({' '.join(str(e).split())})") from e
    entries = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise HostTableError(f"{path}: expected a 'hosts:' mapping with at least one host")
    hosts = []
    for key, entry in entries.items():
        where = f"{path}: host {key!r}"
        if not isinstance(entry, dict):
            raise HostTableError(f"{where}: expected name, provider and nameservers")
        unknown = sorted(set(entry) - {"name", "provider", "nameservers", "note"})
        if unknown:
            raise HostTableError(f"{where}: unknown key {unknown[0]!r} (name, provider, "
                                 "nameservers, note)")  # fmt: skip
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise HostTableError(f"{where}: needs a 'name' (shown to users)")
        if "provider" not in entry:
            raise HostTableError(
                f"{where}: needs 'provider': a provider id, {MANUAL} (no API), or null"
            )
        provider = entry["provider"]
        if provider is not None and not (
            isinstance(provider, str) and _PROVIDER_ID.match(provider)
        ):
            raise HostTableError(
                f"{where}: provider {provider!r} must be a lower-case provider id (the zones/ "
                f"folder), {MANUAL}, or null"
            )
        patterns = entry.get("nameservers")
        if not isinstance(patterns, list) or not patterns:
            raise HostTableError(f"{where}: needs 'nameservers': a list of name patterns")
        for pattern in patterns:
            _check_pattern(pattern, where)
        note = entry.get("note")
        if note is not None and not isinstance(note, str):
            raise HostTableError(f"{where}: 'note' must be text")
        patterns = [p.rstrip(".") for p in patterns]
        hosts.append(
            DnsHost(
                key=str(key), name=name.strip(), provider=provider, patterns=tuple(patterns),
                note=" ".join(note.split()) if note else None,
                _compiled=tuple(compile_pattern(p) for p in patterns),
            )
        )  # fmt: skip
    return HostTable(tuple(hosts))


def _check_pattern(pattern: object, where: str) -> None:
    if not isinstance(pattern, str):
        raise HostTableError(f"{where}: nameserver pattern {pattern!r} must be text")
    labels = pattern.rstrip(".").split(".")
    if (
        pattern != pattern.lower()
        or len(labels) < 2
        or not all(_PATTERN_LABEL.match(label) for label in labels)
        or "*" in labels[-1]
    ):
        raise HostTableError(
            f"{where}: nameserver pattern {pattern!r} must be a lower-case host name, with * "
            "for any letters, digits and hyphens within a label (not in the top-level label)"
        )


# -- what was found ----------------------------------------------------------------------


@dataclass
class NameserverCheck:
    """One address of one nameserver, asked directly for the zone's NS and SOA."""

    name: str
    address: str | None
    ns: list[str] | None = None
    serial: int | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.address})" if self.address else self.name

    def to_json(self) -> dict[str, Any]:
        return {"nameserver": self.name, "address": self.address, "ns": self.ns,
                "serial": self.serial, "error": self.error}  # fmt: skip


@dataclass
class Location:
    """Where one domain's DNS is hosted, and what to know before changing it."""

    domain: str
    zone: str | None = None
    parent: str | None = None
    parent_nameservers: list[str] | None = None
    zone_nameservers: list[str] | None = None
    servers: list[NameserverCheck] = field(default_factory=list)
    ds: bool | None = None
    dnskey: bool | None = None
    host: str = "unknown"
    provider: str | None = None
    folder: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _ds_set: list[Any] = field(default_factory=list, repr=False)
    _dnskey_set: list[Any] = field(default_factory=list, repr=False)

    @property
    def nameservers(self) -> list[str]:
        """Every nameserver name of the delegation and of the zone's NS set."""
        return sorted({*(self.parent_nameservers or []), *(self.zone_nameservers or [])})

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "zone": self.zone,
            "host": self.host,
            "provider": self.provider,
            "nameservers": self.nameservers,
            "parent": self.parent,
            "parent_nameservers": self.parent_nameservers,
            "zone_nameservers": self.zone_nameservers,
            "servers": [s.to_json() for s in self.servers],
            "dnssec": {
                "signed": bool(self.ds or self.dnskey),
                "ds": self.ds,
                "dnskey": self.dnskey,
            },
            "problems": self.problems,
            "notes": self.notes,
        }


class _Stop(Exception):
    """This domain cannot be followed further; the reason is already a problem."""


def _text(name: dns.name.Name) -> str:
    """A name as users write it: lower case, no trailing dot (the root stays '.')."""
    return name.to_text(omit_final_dot=True).lower() if len(name) > 1 else "."


def _zone_text(name: dns.name.Name) -> str:
    """A zone as the plan and list name it: with the trailing dot."""
    return name.to_text().lower()


def _has_route(address: str) -> bool:
    """Whether this machine can send to the address (IPv6 often has no route)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((address, 53))  # a UDP connect sends nothing: it picks a route
        except OSError:
            return False
    return True


# -- asking DNS ----------------------------------------------------------------------------


class _Locator:
    """Runs one :meth:`domain` query per domain; what the resolver said is shared."""

    def __init__(self, resolver: Server, settings: Settings, table: HostTable) -> None:
        self.resolver = resolver
        self.settings = settings
        self.table = table
        self._zones: dict[dns.name.Name, dns.name.Name] = {}
        self._servers: dict[dns.name.Name, list[Server]] = {}
        self._addresses: dict[str, tuple[list[str], str | None]] = {}

    # .. through the resolver

    def _resolve(
        self, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> Query[dns.message.Message]:
        what = f"{_text(name)} {dns.rdatatype.to_text(rdtype)}"
        try:
            answer = yield question(self.resolver, name, rdtype, recursion=True)
        except QueryFailed as e:
            raise _ResolverFailed(f"the resolver {self.resolver.address} gave no answer for "
                                  f"{what}: {e}") from None  # fmt: skip
        rcode = answer.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise _ResolverFailed(
                f"the resolver {self.resolver.address} answers {dns.rcode.to_text(rcode)} for "
                f"{what}: its nameservers do not answer it (lame delegation?)"
            )
        return answer

    def _zone_of(self, name: dns.name.Name) -> Query[dns.name.Name]:
        """The apex of the zone holding ``name``, by SOA through the resolver: an SOA at
        the name, or the SOA of a negative answer when it is the name's or an ancestor's."""
        asked = name
        while name not in self._zones and len(name) > 1:
            answer = yield from self._resolve(name, dns.rdatatype.SOA)
            if rrsets(answer, name, [dns.rdatatype.SOA]):
                self._zones[name] = name
                break
            owners = [r.name for r in answer.authority if r.rdtype == dns.rdatatype.SOA]
            above = [o for o in owners if name.is_subdomain(o)]
            if above:
                self._zones[name] = above[0]
                break
            name = name.parent()  # a CNAME, or an answer without SOA: ask one level up
        zone = self._zones.get(name, dns.name.root)
        self._zones[asked] = zone
        return zone

    def _addresses_of(self, name: str) -> Query[tuple[list[str], str | None]]:
        """A nameserver's addresses this machine can reach, or why there are none."""
        if name not in self._addresses:
            found: list[str] = []
            failures = []
            for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                try:
                    answer = yield from self._resolve(fqdn(name), rdtype)
                except _ResolverFailed as e:
                    failures.append(str(e))
                    continue
                found += [rd.address for r in answer.answer if r.rdtype == rdtype for rd in r]
            reachable = [a for a in dict.fromkeys(found) if _has_route(a)]
            why = None
            if not found:
                why = failures[0] if failures else f"{name} has no A or AAAA record"
            elif not reachable:
                why = f"no route from here to {', '.join(found)}"
            self._addresses[name] = (reachable, why)
        return self._addresses[name]

    def _servers_of(self, zone: dns.name.Name) -> Query[list[Server]]:
        """The zone's nameserver addresses, by NS and A/AAAA through the resolver."""
        if zone not in self._servers:
            answer = yield from self._resolve(zone, dns.rdatatype.NS)
            names = sorted({_text(rd.target) for r in rrsets(answer, zone, [dns.rdatatype.NS])
                            for rd in r})  # fmt: skip
            servers = []
            for name in names:
                addresses, _ = yield from self._addresses_of(name)
                servers += [Server(name, a) for a in addresses]
            self._servers[zone] = servers
        return self._servers[zone]

    # .. one domain

    def domain(self, domain: str) -> Query[Location]:
        loc = Location(domain)
        try:
            zone = yield from self._delegation(loc, fqdn(domain))
            yield from self._zone_servers(loc, zone)
        except _ResolverFailed as e:
            loc.problems.append(f"cannot follow the delegation: {e}")
        except _Stop:
            pass
        _judge(loc, self.table)
        return loc

    def _delegation(self, loc: Location, name: dns.name.Name) -> Query[dns.name.Name]:
        """Find the zone holding ``name`` and its delegation at the parent: sets the
        location's zone, parent, parent_nameservers and ds; returns the zone."""
        candidate = name
        while True:
            parent = yield from self._zone_of(candidate.parent())
            loc.parent = _zone_text(parent)
            servers = yield from self._servers_of(parent)
            referral, asked = yield from self._ask_parent(loc, candidate, parent, servers)
            if referral is None:  # no parent server answered: the resolver's view instead
                answer = yield from self._resolve(candidate, dns.rdatatype.NS)
                if answer.rcode() == dns.rcode.NXDOMAIN:
                    loc.problems.append(f"{loc.domain} does not exist (NXDOMAIN from the "
                                        f"resolver {self.resolver.address})")  # fmt: skip
                    raise _Stop
                ns = rrsets(answer, candidate, [dns.rdatatype.NS])
                if not ns:
                    loc.problems.append(f"{_text(candidate)} has no NS set at the resolver "
                                        f"{self.resolver.address} either")  # fmt: skip
                    raise _Stop
                loc.zone = _zone_text(candidate)
                loc.notes.append("the delegation at the parent is unknown: the zone's NS set "
                                 "comes from the resolver")  # fmt: skip
                loc.zone_nameservers = sorted({_text(rd.target) for rd in ns[0]})
                return candidate
            if referral.rcode() == dns.rcode.NXDOMAIN:
                where = f"the {_zone_text(parent)} zone's nameserver {asked.label}"
                hint = ""
                if len(parent) > 2:
                    hint = f"; it would be a name in zone {_zone_text(parent)}: locate that zone"
                loc.problems.append(f"{_text(candidate)} does not exist: NXDOMAIN from {where} "
                                    f"(not registered, expired, or mistyped?){hint}")  # fmt: skip
                raise _Stop
            ns = [r for r in (*referral.answer, *referral.authority)
                  if r.rdtype == dns.rdatatype.NS and r.name == candidate]  # fmt: skip
            if ns:
                loc.zone = _zone_text(candidate)
                loc.parent_nameservers = sorted({_text(rd.target) for rd in ns[0]})
                yield from self._ask_ds(loc, candidate, asked)
                return candidate
            # no cut at the candidate: it is a name inside the parent zone
            if len(parent) <= 2:
                loc.problems.append(
                    f"{_text(candidate)} is not delegated: the {_zone_text(parent)} zone holds "
                    "it without a zone of its own"
                )
                raise _Stop
            loc.notes.append(f"{_text(candidate)} is not a zone of its own: it is a name in "
                             f"zone {_zone_text(parent)}")  # fmt: skip
            candidate = parent

    def _ask_parent(
        self, loc: Location, candidate: dns.name.Name, parent: dns.name.Name,
        servers: Sequence[Server],
    ) -> Query[tuple[dns.message.Message | None, Server]]:  # fmt: skip
        """The first usable answer of a parent nameserver for the candidate's NS: a
        referral, an authoritative answer, NXDOMAIN or no data."""
        failures = []
        for server in servers:
            try:
                answer = yield question(server, candidate, dns.rdatatype.NS)
            except QueryFailed as e:
                failures.append(f"{server.label}: {e}")
                continue
            rcode = answer.rcode()
            referral = any(r.rdtype == dns.rdatatype.NS and r.name == candidate
                           for r in answer.authority)  # fmt: skip
            if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and (
                answer.flags & dns.flags.AA or referral
            ):
                return answer, server
            aa = "" if answer.flags & dns.flags.AA else " without the AA bit"
            failures.append(f"{server.label}: {dns.rcode.to_text(rcode)}{aa}")
        what = "; ".join(failures) or "none of its nameservers has an address"
        loc.problems.append(f"no nameserver of the parent zone {_zone_text(parent)} answered for "
                            f"{_text(candidate)}: {what}")  # fmt: skip
        return None, servers[0] if servers else self.resolver

    def _ask_ds(self, loc: Location, zone: dns.name.Name, server: Server) -> Query[None]:
        """DS at the parent (asked of the parent's nameserver, which holds it)."""
        ds = yield from self._authoritative_set(zone, server, dns.rdatatype.DS)
        if ds is not None:
            loc.ds, loc._ds_set = bool(ds), ds

    def _zone_servers(self, loc: Location, zone: dns.name.Name) -> Query[None]:
        """Ask every nameserver of the delegation and of the zone's own NS set."""
        queue = list(loc.parent_nameservers or loc.zone_nameservers or [])
        for name in queue:
            addresses, why = yield from self._addresses_of(name)
            if not addresses:
                loc.servers.append(NameserverCheck(name, None, error=f"no address: {why}"))
                continue
            for address in addresses:
                check = yield from self._ask_nameserver(zone, Server(name, address))
                loc.servers.append(check)
                for other in check.ns or []:
                    if other not in queue:
                        queue.append(other)
                if check.error is None and loc.dnskey is None:
                    yield from self._ask_dnskey(loc, zone, Server(name, address))

    def _ask_nameserver(self, zone: dns.name.Name, server: Server) -> Query[NameserverCheck]:
        check = NameserverCheck(server.name, server.host)
        try:
            answer = yield question(server, zone, dns.rdatatype.NS)
            _authoritative(answer, zone)
            ns = rrsets(answer, zone, [dns.rdatatype.NS])
            if not ns:
                raise QueryFailed("no NS set", f"it serves no NS records at {_zone_text(zone)}")
            check.ns = sorted({_text(rd.target) for rd in ns[0]})
            answer = yield question(server, zone, dns.rdatatype.SOA)
            _authoritative(answer, zone)
            soa = rrsets(answer, zone, [dns.rdatatype.SOA])
            if not soa:
                raise QueryFailed("no SOA", f"it serves no SOA at {_zone_text(zone)}")
            check.serial = soa[0][0].serial
        except QueryFailed as e:
            check.error = str(e)
        return check

    def _ask_dnskey(self, loc: Location, zone: dns.name.Name, server: Server) -> Query[None]:
        keys = yield from self._authoritative_set(zone, server, dns.rdatatype.DNSKEY)
        if keys is not None:
            loc.dnskey, loc._dnskey_set = bool(keys), keys

    def _authoritative_set(
        self, zone: dns.name.Name, server: Server, rdtype: dns.rdatatype.RdataType
    ) -> Query[list[Any] | None]:
        """The ``rdtype`` records at ``zone`` in ``server``'s authoritative answer ([]: none);
        None when it gives no such answer."""
        try:
            answer = yield question(server, zone, rdtype)
        except QueryFailed:
            return None
        if answer.rcode() == dns.rcode.NOERROR and answer.flags & dns.flags.AA:
            found = rrsets(answer, zone, [rdtype])
            return list(found[0]) if found else []
        return None


class _ResolverFailed(Exception):
    """The resolver gave no usable answer to a question this domain needs."""


def _authoritative(answer: dns.message.Message, zone: dns.name.Name) -> None:
    """Authoritative data of the zone, or QueryFailed saying why not."""
    check_answer(answer, _zone_text(zone))
    if answer.rcode() == dns.rcode.NXDOMAIN:
        raise QueryFailed("NXDOMAIN", f"it says {_zone_text(zone)} does not exist")


# -- judging what was found ---------------------------------------------------------------


def _judge(loc: Location, table: HostTable) -> None:
    """The host, the provider, and the problems and notes a user must know."""
    answered = [s for s in loc.servers if s.error is None]
    for server in loc.servers:
        if server.error is not None:
            loc.problems.append(f"lame delegation: {server.label}: {server.error}")
    if loc.servers and not answered:
        loc.problems.append(f"lame delegation: no nameserver answers authoritatively for "
                            f"{loc.zone}")  # fmt: skip
    sets = Counter(tuple(s.ns or ()) for s in answered)
    if sets:
        loc.zone_nameservers = list(sets.most_common(1)[0][0])
    if len(sets) > 1:
        views = "; ".join(f"{s.label}: {', '.join(s.ns or [])}" for s in answered)
        loc.problems.append(f"the zone's nameservers disagree on its NS set: {views}")
    parent, child = loc.parent_nameservers, loc.zone_nameservers
    if parent is not None and child is not None and set(parent) != set(child):
        only_parent = sorted(set(parent) - set(child))
        only_child = sorted(set(child) - set(parent))
        diff = "; ".join(
            part for part in (
                f"only at the parent: {', '.join(only_parent)}" if only_parent else "",
                f"only in the zone: {', '.join(only_child)}" if only_child else "",
            ) if part
        )  # fmt: skip
        loc.problems.append(
            f"inconsistent delegation: the parent zone {loc.parent} delegates {loc.zone} to "
            f"{', '.join(parent)} but the zone's own NS set is {', '.join(child)} ({diff}); "
            "make them the same at the registrar and at the DNS host"
        )
    _judge_dnssec(loc)
    _name_host(loc, table)


def _judge_dnssec(loc: Location) -> None:
    if loc.ds and loc.dnskey:
        if not _ds_matches_a_key(loc):
            loc.problems.append(
                f"DNSSEC broken: no DS record at the parent {loc.parent} matches a DNSKEY of "
                f"{loc.zone}, so validating resolvers answer SERVFAIL; fix the DS at the registrar"
            )
        else:
            loc.notes.append(
                f"DNSSEC-signed: DS at the parent {loc.parent} and DNSKEY in the zone; moving the "
                "zone to another DNS host means changing the DS at the registrar first, or it "
                "stops resolving"
            )
    elif loc.ds:
        loc.problems.append(
            f"DNSSEC broken: DS at the parent {loc.parent} but the zone serves no DNSKEY, so "
            "validating resolvers answer SERVFAIL; remove the DS at the registrar or sign the zone"
        )
    elif loc.dnskey:
        loc.notes.append(
            "DNSSEC: the zone serves DNSKEY but the parent has no DS: signed, not yet secured; "
            "moving the zone to another DNS host drops its keys"
        )


def _ds_matches_a_key(loc: Location) -> bool:
    """Whether some DS at the parent is the digest of some DNSKEY of the zone; a digest
    type this machine cannot compute counts as a match (nothing to say against it)."""
    assert loc.zone is not None
    owner = dns.name.from_text(loc.zone)
    for ds in loc._ds_set:
        for key in loc._dnskey_set:
            try:
                if dns.dnssec.make_ds(owner, key, ds.digest_type) == ds:
                    return True
            except (dns.dnssec.UnsupportedAlgorithm, ValueError):
                return True
    return False


def _name_host(loc: Location, table: HostTable) -> None:
    names = loc.nameservers
    if not names:
        return
    by_host: dict[str, list[str]] = {}
    hosts: dict[str, DnsHost | None] = {}
    for name in names:
        host = table.host_of(name)
        key = host.name if host else "unknown"
        by_host.setdefault(key, []).append(name)
        hosts[key] = host
    if len(by_host) == 1:
        (key, host), = hosts.items()  # fmt: skip
        loc.host = key
        if host is not None:
            loc.provider = host.provider
            loc.folder = host.folder
            if host.note:
                loc.notes.append(host.note)
        else:
            loc.notes.append(
                f"no host of {HOSTS_FILE} names these nameservers; add one there to tell "
                "where this domain belongs"
            )
        return
    loc.host = " + ".join(sorted(by_host))
    detail = "; ".join(f"{key}: {', '.join(ns)}" for key, ns in sorted(by_host.items()))
    loc.problems.append(
        f"nameservers of several hosts ({detail}): every change must be made at each, and no "
        "one zones/ folder fits"
    )


# -- entry points ---------------------------------------------------------------------------


def system_resolver_server() -> Server:
    """The first resolver of the system's configuration (/etc/resolv.conf)."""
    try:
        resolver = dns.resolver.Resolver()
    except dns.exception.DNSException as e:
        raise LocateError(f"no system resolver ({e}); give --resolver IP[:PORT]") from None
    for nameserver in resolver.nameservers:
        if isinstance(nameserver, str):
            return Server(nameserver, nameserver, resolver.port)
    raise LocateError("the system resolver configuration lists no nameserver address; give "
                      "--resolver IP[:PORT]")  # fmt: skip


def check_resolver(resolver: Server, settings: Settings) -> None:
    """One line when the resolver cannot be used at all (rather than one per domain)."""
    try:
        answer = ask(resolver, dns.name.root, dns.rdatatype.NS, settings, recursion=True)
    except QueryFailed as e:
        raise LocateError(f"the resolver {resolver.address} does not answer ({e}); give a "
                          "working one with --resolver IP[:PORT]") from None  # fmt: skip
    rcode = answer.rcode()
    if rcode != dns.rcode.NOERROR:
        raise LocateError(
            f"the resolver {resolver.address} answers {dns.rcode.to_text(rcode)} for the root "
            "zone's NS; give one that resolves for this machine with --resolver IP[:PORT]"
        )
    if not answer.flags & dns.flags.RA:
        raise LocateError(
            f"{resolver.address} is not a recursive resolver (no RA bit in its answer); give "
            "one with --resolver IP[:PORT]"
        )


def locate(
    domains: Iterable[str], resolver: Server, settings: Settings, table: HostTable
) -> list[Location]:
    """Where each domain's DNS is hosted, in the order given, asked concurrently."""
    locator = _Locator(resolver, settings, table)
    return QueryPipeline(settings).run(locator.domain(d) for d in domains)


def render_json(locations: Sequence[Location]) -> list[dict[str, Any]]:
    return [loc.to_json() for loc in locations]


def render_text(locations: Sequence[Location]) -> str:
    """Per domain: the host and folder, the nameservers, then each problem and note."""
    out = []
    for loc in locations:
        where = f" ({loc.folder})" if loc.folder else ""
        zone = ""
        if loc.zone and loc.zone.rstrip(".") != loc.domain:
            zone = f" in zone {loc.zone}"
        host = loc.host
        if host == "unknown":
            host = "unknown DNS host" if loc.nameservers else "no DNS host found"
        out.append(f"{loc.domain}{zone}: {host}{where}")
        if loc.nameservers:
            out.append(f"  nameservers: {', '.join(loc.nameservers)}")
        out += [f"  problem: {p}" for p in loc.problems]
        out += [f"  note: {n}" for n in loc.notes]
    bad = sum(1 for loc in locations if loc.problems)
    out.append(f"{len(locations)} domain(s): {len(locations) - bad} without problems, "
               f"{bad} with problems")  # fmt: skip
    return "\n".join(out) + "\n"
