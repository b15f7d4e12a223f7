"""confirm when some nameservers are lame, refuse, or never answer.

One real named serves the zone; beside it, on 127.0.0.1, servers that answer
without the AA bit (a lame delegation: a resolver or an old host that no
longer serves the zone), that answer REFUSED, and that swallow every query;
plus an address where nothing listens. ``plan.py confirm --nameserver ...``
runs as a user runs it and must say, per server, which one is at fault, and
must not let a good answer from one server hide another's failure.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from tests.helpers import ROOT, run_cli
from tests.servers import free_port
from tests.servers.backends import Backend, Seed
from tests.servers.fixtures import *  # noqa: F403

ZONE = "contoso.com."
TARGET = "exchange.emailservice.io."
SRV: Seed = ("_autodiscover._tcp", "SRV", 3600, [f"0 0 443 {TARGET}"])
TIMEOUT = "0.5"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The repository's config and contoso.com declared for the local provider."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "config", root / "config")
    (root / "zones/local").mkdir(parents=True)
    out = run_cli("add", ZONE.rstrip("."), "--platform", "exchange-2016", "--provider",
                  "local", "--config", "config/local.yaml", cwd=root)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return root


def confirm(repo: Path, *servers: str) -> tuple[int, dict]:
    args = [a for s in servers for a in ("--nameserver", s)]
    out = run_cli("confirm", "--format", "json", "--timeout", TIMEOUT, *args, cwd=repo,
                  timeout=120)  # fmt: skip
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, json.loads(out.stdout)


def answer(query: dns.message.Message, rcode: int, aa: bool, srv: bool) -> list[bytes]:
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    if aa:
        response.flags |= dns.flags.AA
    else:
        response.flags &= ~dns.flags.AA
    question = query.question[0]
    if srv and question.rdtype == dns.rdatatype.SRV:
        response.answer.append(
            dns.rrset.from_text(question.name, 3600, "IN", "SRV", f"0 0 443 {TARGET}")
        )
    return [response.to_wire()]


def by_address(report: dict) -> dict[str, dict]:
    [zone] = report["zones"]
    return {s["address"]: s for s in zone["nameservers"]}


def test_lame_refusing_and_silent_servers_are_named_one_by_one(
    repo: Path, backend_factory, udp_server
):
    named: Backend = backend_factory("bind")
    named.seed({ZONE: [SRV]})
    # a lame server: it even has the right data, but not authoritatively (no AA)
    lame = udp_server(lambda q: answer(q, dns.rcode.NOERROR, aa=False, srv=True))
    refusing = udp_server(lambda q: answer(q, dns.rcode.REFUSED, aa=False, srv=False))
    silent = udp_server(lambda q: [])
    nobody = free_port(udp=True)  # nothing listens here
    servers = {
        "named": named.nameserver(),
        "lame": f"127.0.0.1:{lame.port}",
        "refusing": f"127.0.0.1:{refusing.port}",
        "silent": f"127.0.0.1:{silent.port}",
        "nobody": f"127.0.0.1:{nobody}",
    }

    code, report = confirm(repo, *servers.values())
    assert code == 1, report
    [zone] = report["zones"]
    assert zone["status"] == "error", zone
    found = by_address(report)
    assert set(found) == set(servers.values()), "one entry per server asked, none merged"
    ok = found[servers["named"]]
    assert (ok["status"], ok["srv"], ok["error"]) == ("confirmed", list(SRV[3]), None)
    words = {
        "lame": "not authoritative: answered without the AA bit: it does not host contoso.com.",
        "refusing": "REFUSED: the server refuses to answer for contoso.com.",
        "silent": f"timeout: no answer from {servers['silent']} within 0.5 s",
        "nobody": f"timeout: no answer from {servers['nobody']} within 0.5 s",
    }
    for who, text in words.items():
        entry = found[servers[who]]
        assert entry["status"] == "error", (who, entry)
        assert entry["error"].startswith(text), (who, entry)
        assert entry["srv"] == [], "a lame server's data is never taken as confirmation"
        assert f"{servers[who]}: {text}" in zone["message"], zone["message"]
    assert servers["named"] not in zone["message"]
    assert all(s.log for s in (lame, refusing, silent)), "each server was really asked"
    assert len(silent.log) >= 2, "a silent server is tried twice before it is reported"


def test_referral_from_a_parent_is_named_as_such(repo: Path, udp_server):
    """A server that answers with a delegation (NS in authority, no AA): it is not the
    zone's server; confirm says who it delegates to, and the domain is an error."""

    def referral(query: dns.message.Message) -> list[bytes]:
        response = dns.message.make_response(query)
        response.flags &= ~dns.flags.AA
        response.authority.append(
            dns.rrset.from_text(ZONE, 3600, "IN", "NS", "ns1.elsewhere.example.")
        )
        return [response.to_wire()]

    parent = udp_server(referral)
    code, report = confirm(repo, f"127.0.0.1:{parent.port}")
    assert code == 1, report
    [entry] = report["zones"][0]["nameservers"]
    assert entry["status"] == "error"
    assert entry["error"] == (
        f"not authoritative: referral: {ZONE} is delegated to ns1.elsewhere.example."
    ), entry


def test_all_servers_silent_is_an_error_not_pending(repo: Path, udp_server):
    """No answer at all never reads as "not published yet" (exit 2): it is exit 1."""
    silent = udp_server(lambda q: [])
    code, report = confirm(repo, f"127.0.0.1:{silent.port}", f"127.0.0.1:{free_port(udp=True)}")
    assert code == 1, report
    [zone] = report["zones"]
    assert zone["status"] == "error"
    assert {s["status"] for s in zone["nameservers"]} == {"error"}
