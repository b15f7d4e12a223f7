"""A zone's Autodiscover names as its authoritative nameservers serve them.

For DNS hosts without a usable API (the manual provider) this is the live view:
every nameserver of the zone is asked, without recursion, for the names the
planner owns (``_autodiscover._tcp``, ``autodiscover``, ``*`` of each email
domain), and the answers become octoDNS-style records plus the (owner, type)
pairs the policy decides existence from. Through DNS a wildcard's answer and an
explicit record look alike, so a probe name below ``autodiscover.<domain>``
tells them apart (RFC 4592: a name below an existing node gets no wildcard
answer). Nameservers that disagree, fail, or refer elsewhere make the zone
unreadable: nothing is guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from ..core.errors import AutodiscoverError
from ..core.liveview import NODE
from ..core.ownership import EmailDomain
from .observe import PROBE_LABEL
from .queries import Query, QueryFailed, QueryPipeline, Server, Settings, question
from .servers import check_answer

_HOST_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.TXT)
_WILDCARD_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)


class DnsViewError(AutodiscoverError):
    """The zone's nameservers cannot be read, or do not agree."""


@dataclass
class OwnedRecords:
    """What one nameserver serves at the owned names of one zone."""

    exists: bool = True
    #: (name relative to the zone, type) -> (ttl, sorted rdata texts)
    records: dict[tuple[str, str], tuple[int, tuple[str, ...]]] = field(default_factory=dict)
    pairs: set[tuple[str, str]] = field(default_factory=set)
    nodes: set[str] = field(default_factory=set)  # owned names that exist (NOERROR)

    def view(self) -> tuple:
        return (self.exists, sorted(self.records.items()), sorted(self.pairs))


def read_owned(
    zone: str, subs: list[str], servers: list[Server], settings: Settings
) -> OwnedRecords:
    """Ask every server of ``zone`` about the owned names of the email domains ``subs``
    ('' for the apex); one answer when they all agree, else :class:`DnsViewError`."""
    if not servers:
        raise DnsViewError(f"zone {zone}: no nameserver to ask")
    results = QueryPipeline(settings).run(_guarded(s, zone, subs) for s in servers)
    failed = [(s, r) for s, r in zip(servers, results, strict=True) if isinstance(r, str)]
    if failed:
        server, why = failed[0]
        raise DnsViewError(
            f"zone {zone}: nameserver {server.label} cannot be read ({why}); fix it or give "
            "--nameserver for the servers that publish the zone"
        )
    views = [r for r in results if isinstance(r, OwnedRecords)]
    first = views[0]
    for server, other in zip(servers[1:], views[1:], strict=True):
        if other.view() != first.view():
            raise DnsViewError(
                f"zone {zone}: nameservers {servers[0].label} and {server.label} serve different "
                "Autodiscover records (a change still propagating?); plan again when they agree"
            )
    return first


def _guarded(server: Server, zone: str, subs: list[str]) -> Query[OwnedRecords | str]:
    try:
        return (yield from _read(server, zone, subs))
    except QueryFailed as e:
        return str(e)


def _read(server: Server, zone: str, subs: list[str]) -> Query[OwnedRecords]:
    origin = dns.name.from_text(zone)
    owned = OwnedRecords()
    soa = yield question(server, origin, dns.rdatatype.SOA)
    if soa.rcode() == dns.rcode.NXDOMAIN and soa.flags & dns.flags.AA:
        owned.exists = False
        return owned
    check_answer(soa, zone)
    for sub in subs:
        domain = EmailDomain(zone, sub)
        yield from _read_domain(server, zone, origin, domain, owned)
    return owned


def _read_domain(
    server: Server, zone: str, origin: dns.name.Name, domain: EmailDomain, owned: OwnedRecords
) -> Query[None]:
    def name(relative: str) -> dns.name.Name:
        return dns.name.from_text(relative, origin)

    srv = yield from _answers(server, zone, origin, name(domain.srv_name), dns.rdatatype.SRV, owned)
    if srv is None:
        return  # below a zone cut: nothing of this domain is in the zone
    _keep(owned, domain.srv_name, srv)

    wildcard: list = []
    for rdtype in _WILDCARD_TYPES:
        found = yield from _answers(
            server, zone, origin, name(domain.wildcard_name), rdtype, owned
        )
        wildcard += found or []
    _keep(owned, domain.wildcard_name, wildcard)

    host = name(domain.host_name)
    answers: list = []
    rcode = dns.rcode.NOERROR
    for rdtype in _HOST_TYPES:
        response = yield question(server, host, rdtype)
        check_answer(response, zone)
        rcode = response.rcode()
        answers += [r for r in response.answer if r.name == host]
    exists = rcode != dns.rcode.NXDOMAIN
    if exists and domain.wildcard_name in owned.nodes:
        # an answer may be the wildcard's: a name below an existing node gets none
        probe = dns.name.Name((PROBE_LABEL.encode(), *host.labels))
        response = yield question(server, probe, dns.rdatatype.A)
        check_answer(response, zone)
        exists = response.rcode() == dns.rcode.NXDOMAIN
    if exists:
        _keep(owned, domain.host_name, answers)
        if not answers:
            owned.pairs.add((domain.host_name, NODE))


def _answers(
    server: Server, zone: str, origin: dns.name.Name, qname: dns.name.Name, rdtype: int,
    owned: OwnedRecords,
) -> Query[list | None]:  # fmt: skip
    """The answer RRsets at ``qname`` (a CNAME included); None below a zone cut, which is
    then recorded in ``owned`` as the NS pair the policy refuses."""
    response = yield question(server, qname, rdtype)
    cut = _referral(response)
    if cut is not None:
        owned.pairs.add((cut.relativize(origin).to_text(), "NS"))
        return None
    check_answer(response, zone)
    if response.rcode() == dns.rcode.NXDOMAIN:
        return []
    owned.nodes.add(qname.relativize(origin).to_text())
    return [r for r in response.answer if r.name == qname]


def _referral(response: dns.message.Message) -> dns.name.Name | None:
    if response.flags & dns.flags.AA or response.answer or response.rcode() != dns.rcode.NOERROR:
        return None
    ns = [r for r in response.authority if r.rdtype == dns.rdatatype.NS]
    return ns[0].name if ns else None


def _keep(owned: OwnedRecords, relative: str, rrsets: list) -> None:
    for rrset in rrsets:
        _type = dns.rdatatype.to_text(rrset.rdtype)
        values = tuple(sorted(rd.to_text() for rd in rrset))
        owned.records[(relative, _type)] = (rrset.ttl, values)
        owned.pairs.add((relative, _type))
