"""The manual provider: DNS hosts without a usable API, read through DNS, changed by a
person following a work order.

A real named serves the zones on 127.0.0.1. The same zone is planned twice: through
the BIND provider (the complete zone, by AXFR) and through the manual provider (only
what DNS answers for the owned names); both plans must change the same records. Then
``apply`` writes work orders and nothing to DNS; a "person" makes exactly the changes
the CSV lists (RFC 2136 updates), and plan and confirm see the zone converged.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import dns.query
import dns.rdatatype
import dns.update
import pytest

from tests.helpers import one_error_line, run_cli, srv_zone_yaml
from tests.servers.backends import Bind
from tests.servers.fixtures import *  # noqa: F403

CONFIG = "config/octodns.yaml"
SOA = "@ 3600 IN SOA ns1 hostmaster 1 3600 600 86400 300\n@ 3600 IN NS ns1\nns1 IN A 192.0.2.53\n"
SITE = "@ 300 IN A 192.0.2.80\nwww 300 IN A 192.0.2.80\n@ 300 IN MX 10 mail\nmail IN A 192.0.2.25\n"
WILD = "* 300 IN A 203.0.113.10\n"

#: zone -> (zone file text below the SOA, declared subs, policy): each an RFC 4592 case
CASES = {
    "wild-cname.test.": (WILD + "autodiscover 300 IN CNAME autodiscover.outlook.com.\n", [""],
                         "remove"),
    "txt-keeps-wildcard.test.": (WILD + 'autodiscover 300 IN TXT "hello"\n', [""], "remove"),
    "mx-keeps-wildcard.test.": (WILD + "autodiscover 300 IN MX 10 mail\n", [""], "remove"),
    "below-keeps-wildcard.test.": (WILD + "x.autodiscover 300 IN A 192.0.2.9\n", [""], "remove"),
    "shielded.test.": (WILD, [""], "shield"),
    "sub.test.": ("*.eu 300 IN A 198.51.100.8\n_autodiscover._tcp.eu 300 IN CNAME old.example.\n",
                  ["", "eu"], "remove"),
    "reported.test.": ("autodiscover 300 IN AAAA 2001:db8::99\n", [""], "report"),
    "wrong-srv.test.": ("_autodiscover._tcp 600 IN SRV 10 10 80 mail.wrong-srv.test.\n", [""],
                        "remove"),
    "right.test.": ("_autodiscover._tcp 3600 IN SRV 0 0 443 exchange.emailservice.io.\n", [""],
                    "remove"),
}  # fmt: skip


@pytest.fixture
def served(ws: Path, bind_server) -> tuple[Path, Bind]:
    backend = Bind(bind_server)
    backend.seed_texts({zone: SOA + SITE + extra for zone, (extra, _, _) in CASES.items()})
    for zone, (_, subs, policy) in CASES.items():
        text = srv_zone_yaml(subs, policy=policy)
        if zone == "sub.test.":
            text = text.replace("      platform:", "      customer: Tailspin Toys\n      platform:")
        (ws / f"zones/manual/{zone.rstrip('.')}.yaml").write_text(text)
    return ws, backend


def plan_json(ws: Path, *args: str, env: dict | None = None) -> dict:
    out = run_cli("plan", "--config", CONFIG, "--format", "json", "--quiet", *args, cwd=ws,
                  env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def changes(report: dict) -> dict[str, list]:
    def key(c: dict) -> tuple:
        before, after = (json.dumps(c[k], sort_keys=True) for k in ("before", "after"))
        return (c["action"], c["name"], c["type"], before, after)

    return {z["zone"]: sorted(key(c) for c in z["changes"]) for z in report["zones"]}


def test_plans_through_dns_change_what_plans_through_axfr_change(served):
    ws, backend = served
    ns = backend.nameserver()
    manual = plan_json(ws, "--nameserver", ns)
    assert all(z["provider"] == "manual" and z["manual"] for z in manual["zones"])
    for path in (ws / "zones/manual").glob("*.yaml"):
        path.rename(ws / "zones/bind" / path.name)
    axfr = plan_json(ws, env=backend.env())
    assert changes(manual) == changes(axfr)
    got = changes(manual)
    assert [c[:3] for c in got["wild-cname.test."]] == [
        ("create", "_autodiscover._tcp", "SRV"),
        ("delete", "*", "A"),
        ("delete", "autodiscover", "CNAME"),
    ]
    for kept in ("txt-keeps-wildcard.test.", "mx-keeps-wildcard.test.",
                 "below-keeps-wildcard.test."):  # fmt: skip
        assert [c[:3] for c in got[kept]] == [("create", "_autodiscover._tcp", "SRV")], kept
    assert ("create", "autodiscover", "TXT") in [c[:3] for c in got["shielded.test."]]
    assert got["right.test."] == []


def test_apply_writes_work_orders_and_nothing_to_dns_and_a_person_can_follow_them(served):
    ws, backend = served
    ns = backend.nameserver()
    before = {zone: backend.snapshot(zone) for zone in CASES}
    out = run_cli("apply", "--config", CONFIG, "--nameserver", ns, "--work-orders", "orders",
                  cwd=ws)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "work order wild-cname.test. at manual: 3 change(s) to make by hand -> " in out.stdout
    assert "by work order" in out.stdout
    assert "\napplied " not in "\n" + out.stdout
    assert {zone: backend.snapshot(zone) for zone in CASES} == before, "nothing written to DNS"
    assert sorted(p.name for p in (ws / "orders").iterdir()) == [
        "tailspin-toys.csv", "tailspin-toys.md", "unassigned.csv", "unassigned.md",
    ]  # fmt: skip
    markdown = (ws / "orders/tailspin-toys.md").read_text()
    assert markdown.startswith("# DNS work order: Tailspin Toys")
    assert "## eu.sub.test" in markdown
    assert "| Service | `_autodiscover` |" in markdown
    assert "| Protocol | `_tcp` |" in markdown
    assert "| Host (Name) | `eu` |" in markdown
    assert "| Port | `443` |" in markdown

    rows = []
    for name in ("tailspin-toys.csv", "unassigned.csv"):
        with (ws / "orders" / name).open() as fh:
            rows += list(csv.DictReader(fh))
    wild = [r for r in rows if r["zone"] == "wild-cname.test"]
    assert {(r["action"], r["type"], r["host"]) for r in wild} == {
        ("remove", "A", "*"), ("remove", "CNAME", "autodiscover"), ("add", "SRV", "@"),
    }  # fmt: skip
    assert all(r["reason"] for r in rows)

    waiting = status_page(ws, ns)["wild-cname.test"]
    assert waiting["waiting"] == {
        "for": "a manual change", "work_order": "./work-orders/unassigned.md",
    }  # fmt: skip
    assert waiting["fix"]["words"].startswith("Waiting for a manual change")

    person_follows(backend, rows)
    assert plan_json(ws, "--nameserver", ns)["summary"]["zones_with_changes"] == 0
    assert "waiting" not in status_page(ws, ns)["wild-cname.test"]
    confirm = run_cli("confirm", "--config", CONFIG, "--nameserver", ns, "--format", "json",
                      cwd=ws)  # fmt: skip
    assert confirm.returncode in (0, 2), confirm.stderr
    statuses = {d["domain"]: d["status"] for d in json.loads(confirm.stdout)["zones"]}
    assert statuses["wild-cname.test"] == "confirmed"
    assert statuses["eu.sub.test"] == "confirmed"


def status_page(ws: Path, ns: str) -> dict[str, dict]:
    out = run_cli("report", "--config", CONFIG, "--nameserver", ns, "--json", "status.json",
                  "--html", "status.html", cwd=ws)  # fmt: skip
    assert "Traceback" not in out.stderr, out.stderr
    data = json.loads((ws / "status.json").read_text())
    return {d["domain"]: d for d in data["domains"]}


def test_the_pr_comment_lists_manual_work_separately(served):
    from providers.ci.prcomment import build_comment

    ws, backend = served
    report = plan_json(ws, "--nameserver", backend.nameserver())
    comment = build_comment(report)
    assert "**Manual work: 8 zone(s)** at DNS hosts without an API" in comment
    assert "- `wild-cname.test.`: 3 change(s)" in comment
    assert "3 change(s) by hand (apply writes a work order)" in comment


def person_follows(backend: Bind, rows: list[dict]) -> None:
    """Make exactly the work order's changes, as a person in a DNS panel would."""
    server = backend.server
    for zone in sorted({r["zone"] for r in rows}):
        update = dns.update.Update(zone + ".", keyring=server.keyring)
        for r in (r for r in rows if r["zone"] == zone):
            host = r["host"]
            if r["type"] == "SRV":  # the panel's Service, Protocol and Host make the name
                host = f"{r['service']}.{r['protocol']}" + ("" if host == "@" else f".{host}")
            rdtype = dns.rdatatype.from_text(r["type"])
            if r["action"] == "remove":
                update.delete(host, rdtype, r["value"])
            else:
                update.add(host, int(r["ttl"]), rdtype, r["value"])
        response = dns.query.tcp(update, server.host, port=server.port, timeout=10)
        assert response.rcode() == 0, response


def test_nameservers_that_disagree_refuse_the_zone(served, bind_server_factory):
    ws, backend = served
    other = Bind(bind_server_factory())
    other.seed_texts({"wild-cname.test.": SOA + SITE})
    out = run_cli("plan", "--config", CONFIG, "--nameserver", backend.nameserver(),
                  "--nameserver", other.nameserver(), "wild-cname.test", cwd=ws)  # fmt: skip
    assert out.returncode == 1
    assert "serve different Autodiscover records" in one_error_line(out.stderr)


def test_a_delegated_email_domain_is_refused_through_dns_too(ws: Path, bind_server):
    backend = Bind(bind_server)
    backend.seed_texts({"cut.test.": SOA + "eu 300 IN NS ns.elsewhere.example.\n"})
    (ws / "zones/manual/cut.test.yaml").write_text(srv_zone_yaml(["eu"]))
    out = run_cli("plan", "--config", CONFIG, "--nameserver", backend.nameserver(), cwd=ws)
    assert out.returncode == 1
    assert "delegat" in one_error_line(out.stderr)


def test_an_unanswering_nameserver_refuses_only_its_zone(served, udp_server):
    ws, _ = served
    silent = udp_server(lambda *_: [])
    out = run_cli("plan", "--config", CONFIG, "--nameserver", f"127.0.0.1:{silent.port}",
                  "--timeout", "0.2", "right.test", cwd=ws)  # fmt: skip
    assert out.returncode == 1
    assert "right.test: at manual: nameserver" in one_error_line(out.stderr)
    assert "cannot be read (timeout" in one_error_line(out.stderr)
