"""The query pipeline: many questions in flight, each paired with its own answer.

Checked against a real named (answers compared with plain dnspython queries)
and against small UDP servers of the test that drop, delay, mismatch or
truncate answers.
"""

from __future__ import annotations

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from providers.live.queries import QueryFailed, QueryPipeline, Server, Settings, ask, question
from tests.servers import query as plain_query
from tests.servers.bind import BindServer

FAST = Settings(timeout=1.0, tries=2)  # a test server thread answers well within it


def zone_text(zone: str, index: int) -> str:
    return (
        f"$ORIGIN {zone}\n$TTL 300\n"
        f"@ SOA ns1.{zone} hostmaster.{zone} {index} 7200 900 1209600 300\n"
        f"@ NS ns1.{zone}\nns1 A 192.0.2.53\n"
        f"_autodiscover._tcp SRV 0 0 443 exchange{index % 3}.emailservice.io.\n"
        + ("* A 203.0.113.10\n" if index % 2 else "")
    )


def answer_set(response: dns.message.Message) -> tuple:
    return (
        dns.rcode.to_text(response.rcode()),
        bool(response.flags & dns.flags.AA),
        sorted(rrset.to_text() for rrset in response.answer),
    )


def test_hundreds_in_flight_each_get_their_own_answer(bind_server: BindServer) -> None:
    zones = {f"z{i}.example.": zone_text(f"z{i}.example.", i) for i in range(60)}
    bind_server.start(zones)
    server = Server("named", bind_server.host, bind_server.port)
    names = []
    for zone in zones:
        names += [
            (zone, dns.rdatatype.SOA),
            (f"_autodiscover._tcp.{zone}", dns.rdatatype.SRV),
            (f"autodiscover.{zone}", dns.rdatatype.A),
            (f"autodiscover.{zone}", dns.rdatatype.AAAA),
            (f"nothing.here.{zone}", dns.rdatatype.TXT),
        ]

    def one(name: str, rdtype: int):
        return (yield question(server, name, rdtype))

    pipeline = QueryPipeline(Settings(), window=64)
    answers = pipeline.run(one(name, rdtype) for name, rdtype in names)
    assert pipeline.queries == len(names) == 300
    expected = [
        answer_set(
            plain_query(bind_server.host, bind_server.port, name, dns.rdatatype.to_text(rdtype))
        )
        for name, rdtype in names
    ]
    assert [answer_set(a) for a in answers] == expected
    kinds = {status for status, _, _ in expected}
    assert kinds == {"NOERROR", "NXDOMAIN"}  # positive, wildcard, NODATA and NXDOMAIN all seen


def srv_answer(query: dns.message.Message, target: str = "exchange.emailservice.io.") -> bytes:
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    name = query.question[0].name
    response.answer.append(dns.rrset.from_text(name, 300, "IN", "SRV", f"0 0 443 {target}"))
    return response.to_wire()


def test_a_silent_server_is_asked_tries_times_then_times_out(udp_server) -> None:
    silent = udp_server(lambda q: [])
    with pytest.raises(QueryFailed) as failed:
        ask(silent.server, "_autodiscover._tcp.example.com.", dns.rdatatype.SRV, FAST)
    assert failed.value.kind == "timeout"
    assert "no answer from 127.0.0.1" in failed.value.detail
    assert "2 tries" in failed.value.detail
    assert len(silent.log) == 2


def test_a_lost_answer_is_resent_and_the_second_answer_counts(udp_server) -> None:
    seen: list[int] = []

    def lose_first(query):
        seen.append(query.id)
        return [] if len(seen) == 1 else [srv_answer(query)]

    lossy = udp_server(lose_first)
    answer = ask(lossy.server, "_autodiscover._tcp.example.com.", dns.rdatatype.SRV, FAST)
    assert [r.to_text() for r in answer.answer[0]] == ["0 0 443 exchange.emailservice.io."]
    assert len(seen) == 2
    assert seen[0] == seen[1]


def test_answers_to_other_questions_or_ids_are_ignored(udp_server) -> None:
    def confuse(query):
        other = dns.message.make_query("_autodiscover._tcp.evil.example.", "SRV")
        other.id = query.id  # right id, wrong question
        wrong_id = dns.message.make_query(query.question[0].name, "SRV")
        wrong_id.id = query.id ^ 1  # right question, wrong id
        return [
            srv_answer(other, "attacker.example."),
            srv_answer(wrong_id, "attacker.example."),
            b"\x00\x01",  # too short to be DNS
            srv_answer(query),
        ]

    server = udp_server(confuse)
    answer = ask(server.server, "_autodiscover._tcp.example.com.", dns.rdatatype.SRV, FAST)
    assert [r.to_text() for r in answer.answer[0]] == ["0 0 443 exchange.emailservice.io."]
    assert len(server.log) == 1


def test_a_truncated_answer_is_asked_again_over_tcp(udp_server) -> None:
    def truncate(query):
        response = dns.message.make_response(query)
        response.flags |= dns.flags.TC | dns.flags.AA
        return [response.to_wire()]

    server = udp_server(truncate)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", server.port))
    tcp.listen()
    asked_over_tcp: list[str] = []

    def serve_tcp() -> None:
        conn, _ = tcp.accept()
        with conn:
            size = int.from_bytes(conn.recv(2), "big")
            query = dns.message.from_wire(conn.recv(size))
            asked_over_tcp.append(query.question[0].name.to_text())
            wire = srv_answer(query)
            conn.sendall(len(wire).to_bytes(2, "big") + wire)

    thread = threading.Thread(target=serve_tcp, daemon=True)
    thread.start()
    try:
        answer = ask(server.server, "_autodiscover._tcp.example.com.", dns.rdatatype.SRV, FAST)
    finally:
        thread.join(timeout=5)
        tcp.close()
    assert asked_over_tcp == ["_autodiscover._tcp.example.com."]
    assert [r.to_text() for r in answer.answer[0]] == ["0 0 443 exchange.emailservice.io."]


def srv_or_failure(server: Server):
    """A check: the first SRV value it is answered, or the kind of failure."""
    try:
        answer = yield question(server, "_autodiscover._tcp.example.com.", dns.rdatatype.SRV)
    except QueryFailed as e:
        return e.kind
    return answer.answer[0][0].to_text()


def test_a_failing_question_does_not_stop_the_others(udp_server) -> None:
    """One task's timeout is thrown into that task only; the others finish normally."""
    good = udp_server(lambda q: [srv_answer(q)])
    silent = udp_server(lambda q: [])
    servers = [good.server, silent.server, good.server]
    results = QueryPipeline(FAST).run(srv_or_failure(s) for s in servers)
    assert results == ["0 0 443 exchange.emailservice.io.", "timeout", results[0]]


def test_a_host_that_is_not_an_address_is_a_network_error() -> None:
    with pytest.raises(QueryFailed) as failed:
        ask(Server("x", "ns1.example.com"), "example.com.", dns.rdatatype.SOA, FAST)
    assert failed.value.kind == "network error"


def test_large_runs_split_over_two_processes_in_order() -> None:
    import os

    from providers.live.queries import SPLIT_MIN, on_two_cores

    items = list(range(SPLIT_MIN + 1))
    results = on_two_cores(lambda part: [(i * i, os.getpid()) for i in part], items)
    assert [value for value, _ in results] == [i * i for i in items]
    pids = {pid for _, pid in results}
    if len(os.sched_getaffinity(0)) >= 2:
        assert len(pids) == 2
        assert os.getpid() in pids
    small = on_two_cores(lambda part: [os.getpid() for _ in part], items[:10])
    assert set(small) == {os.getpid()}  # not worth a process


def test_a_child_that_dies_has_its_half_done_here() -> None:
    import os

    from providers.live.queries import SPLIT_MIN, on_two_cores

    parent = os.getpid()

    def work(part):
        if os.getpid() != parent:
            os._exit(3)  # the child dies without an answer
        return [i + 1 for i in part]

    items = list(range(SPLIT_MIN * 2))
    assert on_two_cores(work, items) == [i + 1 for i in items]


@pytest.mark.parametrize("rcode", [dns.rcode.REFUSED, dns.rcode.FORMERR])
def test_an_error_answer_without_the_question_is_still_the_answer(udp_server, rcode) -> None:
    """Some servers leave the question out of REFUSED/FORMERR: not a timeout."""

    def refuse(query):
        wire = bytearray(dns.message.make_response(query).to_wire()[:12])
        wire[3] = (wire[3] & 0xF0) | rcode  # the header alone: QDCOUNT 0
        wire[4:6] = b"\x00\x00"
        return [bytes(wire)]

    server = udp_server(refuse)
    answer = ask(server.server, "_autodiscover._tcp.example.com.", dns.rdatatype.SRV, FAST)
    assert answer.rcode() == rcode
    assert len(server.log) == 1


def test_a_broken_answer_is_a_bad_answer_not_a_timeout(udp_server) -> None:
    server = udp_server(lambda q: [srv_answer(q)[:14]])  # header, then cut short
    with pytest.raises(QueryFailed) as failed:
        ask(server.server, "_autodiscover._tcp.example.com.", dns.rdatatype.SRV, FAST)
    assert failed.value.kind == "bad answer"
    assert len(server.log) == 1


def test_no_socket_for_one_address_family_fails_only_those_servers(udp_server, monkeypatch):
    """A host without IPv6: the IPv6 server is a network error, the others are answered."""
    import providers.live.queries as queries

    good = udp_server(lambda q: [srv_answer(q)])
    real_socket = socket.socket

    def no_ipv6(family=socket.AF_INET, *args, **kwargs):
        if family == socket.AF_INET6:
            raise OSError(97, "Address family not supported by protocol")
        return real_socket(family, *args, **kwargs)

    monkeypatch.setattr(queries.socket, "socket", no_ipv6)

    servers = [good.server, Server("v6", "2001:db8::53"), good.server]
    results = QueryPipeline(FAST).run(srv_or_failure(s) for s in servers)
    assert results == ["0 0 443 exchange.emailservice.io.", "network error", results[0]]
