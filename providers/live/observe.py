"""What one nameserver serves for the declared email domains of one zone.

Each observation is a generator of questions (``queries.Query``): the pipeline
sends many at once and hands each its answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
from dns.rdtypes.ANY.SOA import SOA

from ..core.declarations import Policy, srv_text
from ..core.declared import Declared
from ..core.policy import SHIELD_TEXT
from .queries import Query, QueryFailed, Question, Server, question
from .servers import check_answer, fqdn, rrsets

PROBE_LABEL = "_autodiscover-dns-probe"


@dataclass
class Observation:
    """What one nameserver address serves for one email domain."""

    server: Server
    srv: list[str] = field(default_factory=list)
    srv_values: list[dict] = field(default_factory=list)  # srv as priority/weight/port/target
    srv_ttl: int | None = None  # the TTL the SRV set is served with
    srv_cname: str | None = None
    conflicts: list[dict] = field(default_factory=list)
    # deep (doctor) only: TXT at autodiscover.<domain>, where it comes from, and whether it
    # is the autodiscover-dns shield (an explicit TXT with exactly the shield text)
    txt: list[str] = field(default_factory=list)
    txt_source: str | None = None  # explicit | wildcard | unknown
    shield: list[str] = field(default_factory=list)
    wildcard: list[str] = field(default_factory=list)  # address answers of *.<domain>
    apex: list[str] = field(default_factory=list)
    serial: int | None = None
    primary: str | None = None  # the SOA MNAME: servers naming the same one share serials
    error: str | None = None
    status: str = "error"
    # set when judged (verdicts.conclude): the declared TTL, and a peer serving a newer
    # SOA serial of the zone (its serial and label) when this server is behind it
    declared_ttl: int | None = None
    newer: tuple[int, str] | None = None


def srv_value(rd) -> dict:
    """An SRV rdata as the zone files write its value (target in lower case)."""
    return {
        "priority": rd.priority,
        "weight": rd.weight,
        "port": rd.port,
        "target": rd.target.to_text().lower(),
    }


def expected_srv(declared: Declared) -> list[str]:
    """The declared SRV set as nameservers show it: sorted, targets in lower case."""
    values = declared.declaration.values
    return sorted(srv_text({**v, "target": str(v["target"]).lower()}) for v in values)


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
            soa = _zone_soa(early, zone)
            if soa is None:
                response = yield question(server, zone, dns.rdatatype.SOA)
        except QueryFailed as e:
            dead.record(server, e.kind == "timeout")
            raise
        dead.record(server, False)
        if soa is None:
            soa = _soa_answer(response, zone)
    except QueryFailed as e:
        for obs in found.values():
            obs.error = str(e)
        return found
    for declared in domains:
        obs = found[declared.declaration.domain.name]
        obs.serial, obs.primary = soa.serial, soa.mname.to_text().lower()
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
        name = fqdn(f"_autodiscover._tcp.{declared.declaration.domain.name}")
    except dns.exception.DNSException:
        return None  # a name DNS cannot carry: reported with that domain
    return question(server, name, dns.rdatatype.SRV)


def _zone_soa(response: dns.message.Message | None, zone: str) -> SOA | None:
    """The SOA an authoritative negative answer carries for the zone, if any."""
    if response is None or not response.flags & dns.flags.AA or response.answer:
        return None
    if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return None
    apex = fqdn(zone)
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name == apex:
            return rrset[0]
    return None


def _soa_answer(response: dns.message.Message, zone: str) -> SOA:
    """The zone's SOA from the answer to its SOA question, or why the zone is not served."""
    check_answer(response, zone)
    soa = rrsets(response, fqdn(zone), [dns.rdatatype.SOA])
    if response.rcode() == dns.rcode.NXDOMAIN:
        raise QueryFailed("NXDOMAIN", f"{zone} does not exist on this server")
    if not soa:
        parent = next((r.name for r in response.authority if r.rdtype == dns.rdatatype.SOA), None)
        inside = f"; it serves it as part of {parent}" if parent is not None else ""
        raise QueryFailed("not a zone", f"{zone} has no SOA on this server{inside}")
    return soa[0][0]


def _observe_domain(
    obs: Observation, zone: str, declared: Declared, server: Server, deep: bool,
    answer: dns.message.Message | None = None,
) -> Query[None]:  # fmt: skip
    """``answer``: the SRV answer when it was already asked for (the zone check)."""
    domain = declared.declaration.domain.name
    srv_name = fqdn(f"_autodiscover._tcp.{domain}")
    response = answer
    if response is None:
        response = yield question(server, srv_name, dns.rdatatype.SRV)
    check_answer(response, zone)
    for rrset in rrsets(response, srv_name, [dns.rdatatype.SRV]):
        obs.srv_values = sorted((srv_value(rd) for rd in rrset), key=srv_text)
        obs.srv = [srv_text(v) for v in obs.srv_values]
        obs.srv_ttl = rrset.ttl
    for rrset in rrsets(response, srv_name, [dns.rdatatype.CNAME]):
        obs.srv_cname = rrset[0].target.to_text()
    host = fqdn(f"autodiscover.{domain}")
    obs.conflicts = yield from address_conflicts(host, zone, server)
    if obs.conflicts:
        source = yield from _wildcard_source(host, zone, server, obs.conflicts)
        for conflict in obs.conflicts:
            conflict["source"] = source
            conflict["kept_by_policy"] = declared.declaration.policy is Policy.REPORT
    if deep:
        yield from _observe_txt(obs, host, fqdn(domain), zone, server)
        apex = fqdn(domain)
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            response = yield question(server, apex, rdtype)
            check_answer(response, zone)
            for rrset in rrsets(response, apex, [rdtype, dns.rdatatype.CNAME]):
                obs.apex += [
                    f"{dns.rdatatype.to_text(rrset.rdtype)} {rd.to_text()}" for rd in rrset
                ]


def address_conflicts(host: dns.name.Name, zone: str, server: Server) -> Query[list[dict]]:
    """A/AAAA/CNAME answers for autodiscover.<domain>: each one hijacks Outlook (steps 7, 9).

    NXDOMAIN for A means the name exists for no type (RFC 1035, RFC 2308; a
    wildcard would have answered), so AAAA is asked only when A was not NXDOMAIN.
    """
    seen: dict[tuple[str, str], dict] = {}
    for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
        response = yield question(server, host, rdtype)
        check_answer(response, zone)
        found = rrsets(response, host, [rdtype, dns.rdatatype.CNAME])
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
    return (yield from _probe_source(host, zone, server, rdtype, dns.rdatatype.CNAME))


def _observe_txt(
    obs: Observation, host: dns.name.Name, domain: dns.name.Name, zone: str, server: Server
) -> Query[None]:
    """The TXT at autodiscover.<domain>: an explicit record (our shield, or anyone's TXT)
    or a wildcard's TXT (RFC 4592), which is no shield; and, when the name exists without
    an address, the address wildcard it keeps away, if any."""
    response = yield question(server, host, dns.rdatatype.TXT)
    check_answer(response, zone)
    rdatas = [rd for rrset in rrsets(response, host, [dns.rdatatype.TXT]) for rd in rrset]
    obs.txt = [rd.to_text() for rd in rdatas]
    if not obs.txt or obs.conflicts:
        return
    obs.txt_source = yield from _probe_source(host, zone, server, dns.rdatatype.TXT)
    if obs.txt_source == "wildcard":
        return
    texts = [b"".join(rd.strings).decode("utf-8", "replace") for rd in rdatas]
    if obs.txt_source == "explicit" and texts == [SHIELD_TEXT]:
        obs.shield = obs.txt
    obs.wildcard = yield from _address_wildcard(domain, zone, server)


def _probe_source(
    host: dns.name.Name, zone: str, server: Server, rdtype: int, *also: int
) -> Query[str]:
    """'wildcard' when a name below ``host`` gets the same type (or ``also``: RFC 4592),
    else 'explicit'; 'unknown' when the probe fails."""
    try:
        probe = dns.name.Name((PROBE_LABEL.encode(), *host.labels))
        response = yield question(server, probe, rdtype)
        check_answer(response, zone)
    except (QueryFailed, dns.exception.DNSException):
        return "unknown"
    return "wildcard" if rrsets(response, probe, [rdtype, *also]) else "explicit"


def _address_wildcard(domain: dns.name.Name, zone: str, server: Server) -> Query[list[str]]:
    """What the wildcard *.<domain> answers for A/AAAA (a name that does not exist)."""
    found: list[str] = []
    try:
        probe = dns.name.Name((PROBE_LABEL.encode(), *domain.labels))
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            response = yield question(server, probe, rdtype)
            check_answer(response, zone)
            for rrset in rrsets(response, probe, [rdtype, dns.rdatatype.CNAME]):
                kind = dns.rdatatype.to_text(rrset.rdtype)
                for rd in rrset:
                    if (text := f"{kind} {rd.to_text()}") not in found:
                        found.append(text)
            if response.rcode() == dns.rcode.NXDOMAIN:
                break  # no wildcard at all
    except (QueryFailed, dns.exception.DNSException):
        return []
    return found


def serial_newer(a: int, b: int) -> bool:
    """Is SOA serial ``a`` newer than ``b``? Serial number arithmetic (RFC 1982)."""
    return a != b and (a - b) % 2**32 < 2**31


def judge(obs: Observation, expected: list[str]) -> str:
    """One nameserver's status: a conflict outranks a missing SRV (it hijacks Outlook first);
    the declared SRV served with another TTL than declared, or from a zone older than a
    peer's (SOA serial), is still pending."""
    if obs.error:
        return "error"
    if obs.conflicts:
        return "conflict"
    if obs.srv != expected or obs.srv_cname:
        return "pending"
    if ttl_differs(obs) or obs.newer is not None:
        return "pending"
    return "confirmed"


def ttl_differs(obs: Observation) -> bool:
    return bool(obs.srv) and obs.declared_ttl is not None and obs.srv_ttl != obs.declared_ttl


def describe_obs(obs: Observation) -> str:
    """What a nameserver serves, in words."""
    if obs.error:
        return obs.error
    parts = []
    if obs.srv_cname:
        parts.append(f"a CNAME to {obs.srv_cname} instead of the SRV record")
    elif obs.srv:
        srv = "SRV " + ", ".join(obs.srv)
        if ttl_differs(obs):
            srv += f" with TTL {obs.srv_ttl}, declared {obs.declared_ttl}"
        parts.append(srv)
    else:
        parts.append("no SRV record")
    for c in obs.conflicts:
        parts.append(conflict_text(c))
    if obs.serial is not None:
        serial = f"SOA serial {obs.serial}"
        if obs.newer is not None and obs.srv and not obs.srv_cname:
            newest, peer = obs.newer
            serial += (
                f", older than serial {newest} at {peer}: this server has not loaded or "
                "transferred the latest zone yet"
            )
        parts.append(serial)
    return "; ".join(parts)


def conflict_text(c: dict) -> str:
    via = {
        "wildcard": "answered by a wildcard",
        "explicit": "an explicit record",
        "unknown": "explicit or wildcard",
    }.get(c.get("source", "unknown"), "")
    kept = ", kept by policy report" if c.get("kept_by_policy") else ""
    return f"{c['name']} {c['type']} {c['value']} ({via}{kept})"
