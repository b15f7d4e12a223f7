"""confirm against real BIND servers: every answer comes from a named we started.

Each test seeds named through zone files or RFC 2136 (tests/servers/bind.py),
runs ``plan.py confirm`` as a user would and checks what it says per domain
and per nameserver. No product code is mocked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import dns.resolver
import pytest

from providers.live.localserver import LocalNamed
from providers.live.nameservers import find_nameservers
from providers.live.queries import Server
from providers.live.servers import split_host_port
from tests.helpers import PYTHON, ROOT, run_cli
from tests.servers import free_port, query
from tests.servers.bind import BindServer
from tests.servers.fixtures import require_binary

EX2016 = "exchange.emailservice.io."
SRV_VALUE = f"0 0 443 {EX2016}"
SRV_OK = f"_autodiscover._tcp 3600 IN SRV {SRV_VALUE}"
NS_KEYS = {"name", "address", "status", "srv", "ttl", "serial", "conflicts", "error"}
ZONE_KEYS = {"domain", "zone", "status", "expected", "expected_ttl", "newest_serial", "nameservers"}


def plan_cmd(*args: str) -> list[str]:
    """The command line of ``plan.py ARGS``, as a user types it."""
    return [PYTHON, str(ROOT / "plan.py"), *args]


def cli(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run ``plan.py ARGS`` in ``cwd`` as a user would."""
    env = {k: v for k, v in os.environ.items() if k != "REQUIRE_SERVERS"}
    return subprocess.run(
        plan_cmd(*args), cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout
    )


def zone_text(zone: str, *records: str, serial: int = 1, minimum: int = 300) -> str:
    """A small BIND zone: SOA (TTL 3600, negative TTL ``minimum``), NS with glue, records."""
    return (
        "\n".join(
            [
                f"$ORIGIN {zone}",
                "$TTL 3600",
                f"@ 3600 IN SOA ns1.{zone} hostmaster.{zone} {serial} 3600 600 86400 {minimum}",
                f"@ IN NS ns1.{zone}",
                "ns1 IN A 192.0.2.53",
                *records,
            ]
        )
        + "\n"
    )


def declare(
    repo: Path, zone: str, subs: tuple[str, ...] = ("",), platform: str = "exchange-2016",
    policy: str = "remove", target: str = EX2016,
) -> None:  # fmt: skip
    """Write zones/local/<zone>.yaml declaring the SRV of each (sub)domain."""
    lines = ["---"]
    for sub in sorted(subs):
        name = f"_autodiscover._tcp.{sub}" if sub else "_autodiscover._tcp"
        meta = f"      platform: {platform}\n" + (
            f"      policy: {policy}\n" if policy != "remove" else ""
        )
        lines.append(
            f"{name}:\n  octodns:\n    autodiscover:\n{meta}  ttl: 3600\n  type: SRV\n"
            f"  value:\n    port: 443\n    priority: 0\n    target: {target}\n    weight: 0"
        )
    path = repo / "zones" / "local" / f"{zone.rstrip('.')}.yaml"
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The repository's config with an empty zones/local/: tests declare their own domains."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "config", root / "config")
    (root / "zones" / "local").mkdir(parents=True)
    return root


def confirm(repo: Path, *args: str) -> tuple[int, dict, str]:
    """Run confirm with --format json; returns (exit code, parsed JSON, stderr)."""
    done = cli("confirm", "--format", "json", *args, cwd=repo)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout) if done.stdout else {}, done.stderr


def ns(server: BindServer) -> list[str]:
    return ["--nameserver", f"{server.host}:{server.port}"]


def by_domain(report: dict) -> dict[str, dict]:
    return {z["domain"]: z for z in report["zones"]}


# -- before and after apply ---------------------------------------------------------------


def test_before_apply_conflict_and_pending_exit_2(repo: Path, bind_server: BindServer) -> None:
    declare(repo, "contoso.com.")
    declare(repo, "adatum.com.")
    bind_server.start(
        {
            "contoso.com.": zone_text(
                "contoso.com.", "@ IN A 203.0.113.10",
                "autodiscover IN CNAME autodiscover.outlook.com.",
            ),
            "adatum.com.": zone_text("adatum.com.", "@ IN MX 10 mail.adatum.com."),
        }
    )  # fmt: skip
    code, report, _ = confirm(repo, *ns(bind_server))
    assert code == 2
    zones = by_domain(report)
    contoso = zones["contoso.com"]
    assert contoso["status"] == "conflict"
    [server] = contoso["nameservers"]
    assert server["srv"] == []
    assert server["error"] is None
    [conflict] = server["conflicts"]
    assert (conflict["type"], conflict["value"], conflict["source"]) == (
        "CNAME",
        "autodiscover.outlook.com.",
        "explicit",
    )
    assert conflict["kept_by_policy"] is False
    assert zones["adatum.com"]["status"] == "pending"
    assert "no nameserver serves the declared SRV yet" in zones["adatum.com"]["message"]
    assert report["summary"]["conflict"] == 1
    assert report["summary"]["pending"] == 1


def test_after_the_fix_lands_confirmed_exit_0(repo: Path, bind_server: BindServer) -> None:
    declare(repo, "contoso.com.")
    bind_server.start(
        {
            "contoso.com.": zone_text(
                "contoso.com.", "autodiscover IN CNAME autodiscover.outlook.com."
            )
        }
    )
    assert confirm(repo, *ns(bind_server))[0] == 2
    # what apply does at an RFC 2136 provider: drop the CNAME, add the SRV
    bind_server.nsupdate(
        "contoso.com.",
        add=[("_autodiscover._tcp", 3600, "SRV", SRV_VALUE)],
        delete=[("autodiscover", "CNAME")],
    )
    code, report, _ = confirm(repo, *ns(bind_server))
    assert code == 0
    [zone] = report["zones"]
    assert zone["status"] == "confirmed"
    assert zone["expected"] == [SRV_VALUE]
    assert zone["nameservers"][0]["srv"] == [SRV_VALUE]
    text = cli("confirm", *ns(bind_server), cwd=repo)
    assert text.returncode == 0
    assert "contoso.com (contoso.com., Exchange+ 2016): CONFIRMED" in text.stdout


def test_json_shape(repo: Path, bind_server: BindServer) -> None:
    declare(repo, "tailspin.org.", subs=("", "eu"))
    bind_server.start({"tailspin.org.": zone_text("tailspin.org.", SRV_OK)})
    code, report, _ = confirm(repo, *ns(bind_server))
    assert set(report) == {"zones", "summary"}
    assert code == 2, "eu.tailspin.org has no SRV yet"
    for zone in report["zones"]:
        assert ZONE_KEYS <= set(zone) <= ZONE_KEYS | {"message", "resolvers"}
        assert zone["zone"] == "tailspin.org."
        assert zone["status"] in ("confirmed", "pending", "conflict", "error")
        for server in zone["nameservers"]:
            assert set(server) == NS_KEYS
            assert server["address"] == f"127.0.0.1:{bind_server.port}"
    assert [z["domain"] for z in report["zones"]] == ["tailspin.org", "eu.tailspin.org"]
    assert [z["status"] for z in report["zones"]] == ["confirmed", "pending"]
    summary = report["summary"]
    assert (summary["domains"], summary["confirmed"], summary["pending"]) == (2, 1, 1)


# -- nameservers that disagree or fail ------------------------------------------------------


def test_stale_nameserver_makes_pending_and_is_named(
    repo: Path, bind_server_factory: Callable[[], BindServer]
) -> None:
    declare(repo, "contoso.com.")
    updated, stale = bind_server_factory(), bind_server_factory()
    updated.start({"contoso.com.": zone_text("contoso.com.", SRV_OK, serial=2)})
    stale.start(
        {
            "contoso.com.": zone_text(
                "contoso.com.", "autodiscover IN CNAME autodiscover.outlook.com."
            )
        }
    )
    code, report, _ = confirm(repo, *ns(updated), *ns(stale))
    assert code == 2
    [zone] = report["zones"]
    assert zone["status"] == "pending"
    servers = {s["address"]: s for s in zone["nameservers"]}
    assert servers[f"127.0.0.1:{updated.port}"]["status"] == "confirmed"
    old = servers[f"127.0.0.1:{stale.port}"]
    assert old["status"] == "conflict"
    assert old["srv"] == []
    assert f"still old: 127.0.0.1:{stale.port}" in zone["message"]
    assert f"127.0.0.1:{updated.port}" not in zone["message"].split("still old")[1]


def test_port_where_nothing_answers_is_a_timeout_error(repo: Path) -> None:
    declare(repo, "contoso.com.")
    port = free_port(udp=True)
    code, report, _ = confirm(repo, "--nameserver", f"127.0.0.1:{port}", "--timeout", "0.2")
    assert code == 1
    [zone] = report["zones"]
    assert zone["status"] == "error"
    [server] = zone["nameservers"]
    assert server["status"] == "error"
    assert server["error"].startswith("timeout: no answer from 127.0.0.1:")
    assert "2 tries" in server["error"]


def test_server_that_does_not_serve_the_zone_is_refused(
    repo: Path, bind_server: BindServer
) -> None:
    declare(repo, "contoso.com.")
    bind_server.start({"other.example.": zone_text("other.example.", SRV_OK)})
    code, report, _ = confirm(repo, *ns(bind_server))
    assert code == 1
    [server] = report["zones"][0]["nameservers"]
    assert server["error"].startswith("REFUSED: ")
    assert "contoso.com." in server["error"]


# -- wildcards and shields (RFC 4592) ------------------------------------------------------


def test_wildcard_answering_for_autodiscover_is_a_conflict(
    repo: Path, bind_server: BindServer
) -> None:
    declare(repo, "fabrikam.net.", policy="shield")
    bind_server.start(
        {
            "fabrikam.net.": zone_text(
                "fabrikam.net.", SRV_OK, "* IN A 192.0.2.80", "www IN A 192.0.2.80"
            )
        }
    )
    code, report, _ = confirm(repo, *ns(bind_server))
    assert code == 2
    [zone] = report["zones"]
    assert zone["status"] == "conflict"
    [conflict] = zone["nameservers"][0]["conflicts"]
    assert conflict["source"] == "wildcard"
    assert (conflict["name"], conflict["type"], conflict["value"]) == (
        "autodiscover.fabrikam.net.",
        "A",
        "192.0.2.80",
    )
    assert "steps 7 and 9" in zone["message"]


def test_shield_txt_keeps_the_wildcard_away_confirmed(repo: Path, bind_server: BindServer) -> None:
    declare(repo, "fabrikam.net.", policy="shield")
    bind_server.start(
        {
            "fabrikam.net.": zone_text(
                "fabrikam.net.", SRV_OK, "* IN A 192.0.2.80", "* IN AAAA 2001:db8::80",
                'autodiscover IN TXT "autodiscover-dns shield"',
            )
        }
    )  # fmt: skip
    code, report, _ = confirm(repo, *ns(bind_server))
    assert code == 0, report
    assert report["zones"][0]["status"] == "confirmed"
    assert report["zones"][0]["nameservers"][0]["conflicts"] == []


def test_report_policy_conflict_stays_a_conflict_and_says_kept(
    repo: Path, bind_server: BindServer
) -> None:
    declare(repo, "northwind.io.", policy="report")
    bind_server.start(
        {"northwind.io.": zone_text("northwind.io.", SRV_OK, "autodiscover IN AAAA 2001:db8::99")}
    )
    code, report, _ = confirm(repo, *ns(bind_server))
    assert code == 2
    [zone] = report["zones"]
    assert zone["status"] == "conflict"
    assert zone["nameservers"][0]["conflicts"][0]["kept_by_policy"] is True
    assert "policy: report" in zone["message"]


# -- --wait and --resolver ----------------------------------------------------------------------


def test_wait_turns_pending_into_confirmed_when_the_change_lands(
    repo: Path, bind_server: BindServer
) -> None:
    declare(repo, "contoso.com.")
    bind_server.start({"contoso.com.": zone_text("contoso.com.")})
    proc = subprocess.Popen(
        plan_cmd("confirm", "--format", "json", *ns(bind_server),
         "--wait", "120", "--interval", "0.2"),
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert "round 1: 0 of 1 confirmed; waiting for contoso.com (pending)" in first, first
        bind_server.nsupdate("contoso.com.", add=[("_autodiscover._tcp", 3600, "SRV", SRV_VALUE)])
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert report["zones"][0]["status"] == "confirmed"
    assert "1 of 1 confirmed" in err.splitlines()[-1]


def test_resolver_view_tells_when_a_negative_answer_expires(
    repo: Path, bind_server: BindServer
) -> None:
    declare(repo, "contoso.com.")
    bind_server.start(
        {"contoso.com.": zone_text("contoso.com.", "autodiscover 120 IN A 192.0.2.9", minimum=300)}
    )
    address = f"{bind_server.host}:{bind_server.port}"
    code, report, _ = confirm(repo, *ns(bind_server), "--resolver", address)
    assert code == 2
    [view] = report["zones"][0]["resolvers"]
    assert view["status"] == "stale"
    # NXDOMAIN for the SRV is cached min(SOA TTL 3600, MINIMUM 300) = 300 s; the A for 120 s
    assert view["expires_in"] == 300
    assert "NXDOMAIN" in view["note"]
    assert "A 192.0.2.9" in view["note"]
    bind_server.nsupdate(
        "contoso.com.",
        add=[("_autodiscover._tcp", 3600, "SRV", SRV_VALUE)],
        delete=[("autodiscover", "A")],
    )
    code, report, _ = confirm(repo, *ns(bind_server), "--resolver", address)
    assert code == 0
    assert report["zones"][0]["resolvers"][0]["status"] == "current"


# -- many domains, discovery, usage -----------------------------------------------------------


def test_many_domains_are_checked_concurrently(repo: Path, bind_server: BindServer) -> None:
    zones = [f"d{i:03d}.example.com." for i in range(300)]
    for zone in zones:
        declare(repo, zone)
    bind_server.start({z: zone_text(z, SRV_OK) for z in zones})
    code, report, _ = confirm(repo, *ns(bind_server), "--timeout", "5")
    assert code == 0
    assert report["summary"]["domains"] == 300
    assert report["summary"]["confirmed"] == 300


def test_find_nameservers_follows_ns_then_addresses(bind_server: BindServer) -> None:
    text = zone_text("contoso.com.", "@ IN NS ns2.contoso.com.", "ns2 IN AAAA ::1")
    bind_server.start({"contoso.com.": text})
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [bind_server.host]
    resolver.port = bind_server.port
    resolver.lifetime = 5
    source = find_nameservers("contoso.com.", resolver)
    assert source.error is None
    found = {(s.name, s.host) for s in source.servers} | {
        (s.name, s.host) for s, _ in source.broken
    }
    assert ("ns1.contoso.com.", "192.0.2.53") in found
    assert "ns2.contoso.com." in {name for name, _ in found}
    # a zone the server does not know, and no root zone either: no view of public DNS
    missing = find_nameservers("unknown.example.", resolver)
    assert missing.servers == []
    assert "no view of public DNS" in (missing.error or "")


def test_bad_nameserver_syntax_and_unknown_zone_exit_1(repo: Path) -> None:
    declare(repo, "contoso.com.")
    bad = cli("confirm", "--nameserver", "[::1", cwd=repo)
    assert bad.returncode == 1
    assert "[ADDRESS]:PORT" in bad.stderr
    unknown = cli("confirm", "--nameserver", "127.0.0.1", "nope.example", cwd=repo)
    assert unknown.returncode == 1
    assert "error: nope.example is not declared" in unknown.stderr


# -- the embedded default: zone files served by nobody, or by a local named ------------------


def test_local_zone_files_are_never_confirmed_without_a_server(workspace: Path) -> None:
    code, report, _ = confirm(workspace)
    assert code == 1
    assert {z["status"] for z in report["zones"]} == {"error"}
    for zone in report["zones"]:
        assert zone["nameservers"] == []
        assert "served by no nameserver" in zone["message"]
        assert "--serve-local" in zone["message"]
        assert "--nameserver" in zone["message"]


def test_serve_local_before_and_after_apply(workspace: Path) -> None:
    require_binary("named")
    code, report, _ = confirm(workspace, "--serve-local")
    assert code == 2
    before = {d: z["status"] for d, z in by_domain(report).items()}
    assert before == {
        "adatum.com": "confirmed",
        "contoso.com": "conflict",
        "fabrikam.net": "conflict",
        "northwind.io": "conflict",
        "tailspin.org": "conflict",
        "eu.tailspin.org": "conflict",
    }
    fabrikam = by_domain(report)["fabrikam.net"]["nameservers"][0]
    assert fabrikam["srv"] == ["10 10 80 mail.fabrikam.net."]
    assert {c["source"] for c in fabrikam["conflicts"]} == {"wildcard"}
    assert by_domain(report)["adatum.com"]["nameservers"][0]["name"].startswith("local named")

    applied = run_cli("apply", cwd=workspace)
    assert applied.returncode == 0, applied.stderr
    code, report, _ = confirm(workspace, "--serve-local")
    after = {d: z["status"] for d, z in by_domain(report).items()}
    assert code == 2, "northwind.io keeps its conflict by policy report"
    assert after == {**{d: "confirmed" for d in before}, "northwind.io": "conflict"}
    northwind = by_domain(report)["northwind.io"]
    assert northwind["nameservers"][0]["conflicts"][0]["kept_by_policy"] is True


def test_local_named_serves_copies_reports_bad_files_and_reloads(tmp_path: Path) -> None:
    require_binary("named")
    good, bad = tmp_path / "good.zone", tmp_path / "bad.zone"
    good.write_text(zone_text("good.example.", serial=1))
    bad.write_text(zone_text("bad.example.", "x IN CNAME a.example.", "x IN A 192.0.2.1"))
    with LocalNamed({"good.example.": good, "bad.example.": bad}) as named:
        assert set(named.failed) == {"bad.example."}
        assert "CNAME and other data" in named.failed["bad.example."]
        assert str(bad) in named.failed["bad.example."], "names the user's file, not the copy"
        assert named._serves("good.example.")
        workdir = named.workdir
        good.write_text(zone_text("good.example.", SRV_OK, serial=2))
        assert named.refresh() == ["good.example."]
        answer = query(named.host, named.port, "_autodiscover._tcp.good.example.", "SRV")
        assert [rd.to_text() for rrset in answer.answer for rd in rrset] == [SRV_VALUE]
        assert named.refresh() == [], "unchanged files are not reloaded"
    assert workdir is not None
    assert not workdir.exists()
    assert not named._serves("good.example."), "named is stopped"


def test_nameserver_syntax() -> None:
    assert split_host_port("192.0.2.1") == ("192.0.2.1", None)
    assert split_host_port("192.0.2.1:5300") == ("192.0.2.1", 5300)
    assert split_host_port("2001:db8::1") == ("2001:db8::1", None)
    assert split_host_port("[2001:db8::1]:5300") == ("2001:db8::1", 5300)
    assert split_host_port("ns1.example.com:53") == ("ns1.example.com", 53)
    for bad in ("[2001:db8::1", "[::1]x", "host:0", "host:port"):
        with pytest.raises(ValueError, match=r"(?i)port"):
            split_host_port(bad)
    assert Server("x", "2001:db8::1", 5300).address == "[2001:db8::1]:5300"
    assert Server("x", "192.0.2.1").address == "192.0.2.1"


def test_wait_with_serve_local_sees_an_apply_made_meanwhile(workspace: Path) -> None:
    """make apply in one terminal, confirm --wait --serve-local in another."""
    require_binary("named")
    proc = subprocess.Popen(
        plan_cmd("confirm", "--serve-local", "--wait", "120",
         "--interval", "0.2", "adatum.com", "contoso.com"),
        cwd=workspace, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert "1 of 2 confirmed; waiting for contoso.com (conflict)" in first, first
        applied = run_cli("apply", "contoso.com", cwd=workspace)
        assert applied.returncode == 0, applied.stderr
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out + err
    assert "contoso.com (contoso.com., Exchange+ 2016): CONFIRMED" in out
    assert "summary: 2 confirmed, 0 pending, 0 conflict, 0 error" in out
