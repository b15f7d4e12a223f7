"""Which questions confirm asks about autodiscover.<domain>, seen by a server of the test."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from providers.confirm import _address_conflicts
from providers.exchange import Exchange
from tests.test_exchange import FAST

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
    found = Exchange(FAST).run([_address_conflicts(HOST, "example.com.", server.server)])[0]
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
