"""Which questions confirm asks about autodiscover.<domain>, seen by a server of the test."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from providers.live.observe import address_conflicts
from providers.live.queries import QueryPipeline
from tests.test_queries import FAST

HOST = dns.name.from_text("autodiscover.example.com.")
SOA = "ns1.example.com. hostmaster.example.com. 1 7200 900 1209600 300"


def authoritative(query: dns.message.Message, rcode: int, *answer: str) -> bytes:
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    response.set_rcode(rcode)
    for text in answer:
        name, rdtype, value = text.split(" ", 2)
        response.answer.append(dns.rrset.from_text(name, 300, "IN", rdtype, value))
    response.authority.append(dns.rrset.from_text("example.com.", 300, "IN", "SOA", SOA))
    return response.to_wire()


def conflicts_seen(udp_server, reply) -> tuple[list[dict], list[str]]:
    server = udp_server(lambda q: [reply(q)])
    found = QueryPipeline(FAST).run([address_conflicts(HOST, "example.com.", server.server)])[0]
    return found, [rdtype for _, rdtype in server.log]


def test_nxdomain_for_a_means_no_aaaa_question(udp_server) -> None:
    """RFC 2308: NXDOMAIN says the name has no data of any type; a wildcard would answer."""
    found, asked = conflicts_seen(udp_server, lambda q: authoritative(q, dns.rcode.NXDOMAIN))
    assert found == []
    assert asked == ["A"]


def test_nodata_for_a_still_asks_aaaa(udp_server) -> None:
    """The name exists (a shield TXT, say): AAAA may still hijack Outlook."""

    def reply(q):
        if q.question[0].rdtype == dns.rdatatype.AAAA:
            return authoritative(q, dns.rcode.NOERROR, f"{HOST} AAAA 2001:db8::10")
        return authoritative(q, dns.rcode.NOERROR)

    found, asked = conflicts_seen(udp_server, reply)
    assert asked == ["A", "AAAA"]
    assert [(c["type"], c["value"]) for c in found] == [("AAAA", "2001:db8::10")]


def test_a_cname_to_a_missing_target_is_a_conflict_despite_nxdomain(udp_server) -> None:
    """RFC 6604: the NXDOMAIN is about the CNAME's target; the CNAME itself hijacks."""
    cname = f"{HOST} CNAME gone.example.com."
    found, asked = conflicts_seen(udp_server, lambda q: authoritative(q, dns.rcode.NXDOMAIN, cname))
    assert asked == ["A", "AAAA"]
    assert [(c["type"], c["value"]) for c in found] == [("CNAME", "gone.example.com.")]


ZONE = "adatum.com."
ZONE_SOA = f"ns1.{ZONE} hostmaster.{ZONE} 42 7200 900 1209600 300"
SRV_Q = f"_autodiscover._tcp.{ZONE} SRV"


def zone_questions(udp_server, reply) -> tuple[str | None, list[str], int | None]:
    """observe_zone for adatum.com. against ``reply``: (error, questions asked, serial)."""
    from pathlib import Path

    from providers.live.observe import observe_zone
    from providers.planner.engine import load_declarations

    domains = [d for d in load_declarations(Path("config/local.yaml")) if d.zone_file.zone == ZONE]
    server = udp_server(lambda q: [reply(q)])
    found = QueryPipeline(FAST).run([observe_zone(ZONE, domains, server.server)])[0]
    obs = found["adatum.com"]
    return obs.error, [f"{name} {rdtype}" for name, rdtype in server.log], obs.serial


def answer(query, rcode=dns.rcode.NOERROR, aa=True, answer=(), authority=()) -> bytes:
    """A response: ``answer``/``authority`` as (owner, type, value) triples."""
    response = dns.message.make_response(query)
    if aa:
        response.flags |= dns.flags.AA
    response.set_rcode(rcode)
    for section, rows in ((response.answer, answer), (response.authority, authority)):
        for owner, rdtype, value in rows:
            section.append(dns.rrset.from_text(owner, 300, "IN", rdtype, value))
    return response.to_wire()


def served(query: dns.message.Message) -> bytes:
    """adatum.com. as a server that has only its SOA: every other name is NXDOMAIN."""
    name, rdtype = query.question[0].name.to_text(), query.question[0].rdtype
    if name == ZONE and rdtype == dns.rdatatype.SOA:
        return answer(query, answer=[(ZONE, "SOA", ZONE_SOA)])
    return answer(query, dns.rcode.NXDOMAIN, authority=[(ZONE, "SOA", ZONE_SOA)])


def test_a_negative_srv_answer_with_the_zone_soa_needs_no_soa_question(udp_server, workspace):
    error, asked, serial = zone_questions(udp_server, served)
    assert error is None
    assert serial == 42
    assert asked == [SRV_Q, f"autodiscover.{ZONE} A"]


def test_a_positive_srv_answer_is_followed_by_the_soa_question(udp_server, workspace):
    def reply(q):
        if q.question[0].rdtype == dns.rdatatype.SRV:
            value = "0 0 443 exchange.mailprotector.com."
            return answer(q, answer=[(q.question[0].name.to_text(), "SRV", value)])
        return served(q)

    error, asked, serial = zone_questions(udp_server, reply)
    assert error is None
    assert serial == 42
    assert asked == [SRV_Q, f"{ZONE} SOA", f"autodiscover.{ZONE} A"]


def test_a_refused_srv_answer_is_explained_by_the_soa_question(udp_server, workspace):
    error, asked, serial = zone_questions(
        udp_server, lambda q: answer(q, dns.rcode.REFUSED, aa=False)
    )
    assert asked == [SRV_Q, f"{ZONE} SOA"]
    assert error == f"REFUSED: the server refuses to answer for {ZONE} (does not serve it)"
    assert serial is None


def test_a_parent_zone_answer_does_not_prove_the_zone(udp_server, workspace):
    """NXDOMAIN under the parent's SOA: the server serves com., not adatum.com."""
    parent_soa = ("com.", "SOA", "a.gtld.example. hostmaster.com. 7 7200 900 1209600 300")
    error, asked, _ = zone_questions(
        udp_server, lambda q: answer(q, dns.rcode.NXDOMAIN, authority=[parent_soa])
    )
    assert asked == [SRV_Q, f"{ZONE} SOA"]
    assert error == f"NXDOMAIN: {ZONE} does not exist on this server"
