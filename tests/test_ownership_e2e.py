"""Safety classes end to end, as a user runs them: the CLI on the embedded default
and on a real BIND server, checked against what the backend holds afterwards.

Existence from types octoDNS does not model, zone cuts, the orphaned shield,
and ownership that configuration cannot bypass.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from providers.core.policy import SHIELD_TEXT
from tests.helpers import ROOT, one_error_line, rdatasets, run_cli, srv_zone_yaml

ZONE = "example.com."
SOA = "@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300\n"
BASE = SOA + (
    "@ 3600 IN NS ns1.example.com.\n"
    "ns1 3600 IN A 192.0.2.53\n"
    "@ 300 IN A 192.0.2.10\n"
    "@ 300 IN MX 10 mail.example.net.\n"
    "www 300 IN A 192.0.2.10\n"
    "shop 300 IN CNAME shops.example.net.\n"
)
WILDCARD = "* 300 IN A 192.0.2.80\n"


def srv_file(policy: str = "remove", sub: str = "") -> str:
    return srv_zone_yaml([sub], policy)


@pytest.fixture
def local(workspace: Path) -> Path:
    """The embedded default with one zone, example.com, seeded by each test."""
    for path in (workspace / "zones/local").glob("*.yaml"):
        path.unlink()
    for path in (workspace / "examples/live").glob("*.zone"):
        path.unlink()
    return workspace


def seed_local(ws: Path, text: str, policy: str = "remove", sub: str = "") -> Path:
    (ws / "examples/live/example.com.zone").write_text(text)
    (ws / "zones/local/example.com.yaml").write_text(srv_file(policy, sub))
    return ws / "live/example.com.zone"


def plan_json(ws: Path, *args: str, env: dict | None = None) -> dict:
    out = run_cli("plan", "--format", "json", "--quiet", *args, cwd=ws, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def planned(report: dict) -> set[tuple[str, str, str]]:
    return {(c["action"], c["name"], c["type"]) for z in report["zones"] for c in z["changes"]}


def apply_ok(ws: Path, *args: str, env: dict | None = None) -> None:
    out = run_cli("apply", *args, cwd=ws, env=env)
    assert out.returncode == 0, out.stderr


# ------------------------------------------------- existence from the whole zone


@pytest.mark.parametrize(
    "record",
    [
        'autodiscover 300 IN HINFO "PC" "Linux"',
        'autodiscover 300 IN URI 10 1 "https://example.com/"',
        "autodiscover 300 IN RP admin.example.com. .",
        'x.autodiscover 300 IN HINFO "PC" "Linux"',
    ],
)
def test_a_record_octodns_does_not_model_keeps_the_wildcard(local: Path, record: str):
    live = seed_local(local, BASE + WILDCARD + record + "\n")
    report = plan_json(local)
    assert planned(report) == {("create", "_autodiscover._tcp", "SRV")}
    notes = " ".join(report["zones"][0]["warnings"])
    assert "wildcard `*` A 192.0.2.80 kept" in notes
    apply_ok(local)
    after = rdatasets(live, ZONE)
    assert ("*", "A") in after
    assert (record.split()[0], record.split()[3]) in after


# ----------------------------------------------------------------- zone cuts

DELEGATED_EU = "eu 3600 IN NS ns.eu.example.com.\nns.eu 3600 IN A 192.0.2.60\n"


def test_an_email_domain_below_a_delegation_is_refused_and_nothing_written(local: Path):
    seed_local(local, BASE + WILDCARD + DELEGATED_EU, sub="eu")
    for command in ("plan", "apply"):
        out = run_cli(command, cwd=local)
        assert out.returncode == 1, out.stdout
        line = one_error_line(out.stderr)
        assert "eu.example.com is delegated (NS at eu in zone example.com.)" in line
        assert "eu.example.com.yaml" in line
    assert not (local / "live").exists()


def test_glue_at_a_delegated_autodiscover_is_never_changed(local: Path):
    cut = "autodiscover 3600 IN NS autodiscover.example.com.\nautodiscover 3600 IN A 192.0.2.7\n"
    live = seed_local(local, BASE + WILDCARD + cut)
    report = plan_json(local)
    assert planned(report) == {("create", "_autodiscover._tcp", "SRV")}
    assert any("zone cut" in w for w in report["zones"][0]["warnings"])
    apply_ok(local)
    after = rdatasets(live, ZONE)
    assert after[("autodiscover", "A")] == (3600, frozenset({"192.0.2.7"}))
    assert ("*", "A") in after


# ---------------------------------------------------------- the shield's life


def test_a_shield_written_by_policy_shield_is_removed_after_switching_to_remove(local: Path):
    live = seed_local(local, BASE + WILDCARD, policy="shield")
    apply_ok(local)
    after_shield = rdatasets(live, ZONE)
    assert after_shield[("autodiscover", "TXT")][1] == frozenset({f'"{SHIELD_TEXT}"'})
    assert ("*", "A") in after_shield

    (local / "zones/local/example.com.yaml").write_text(srv_file("remove"))
    report = plan_json(local)
    assert planned(report) == {("delete", "autodiscover", "TXT"), ("delete", "*", "A")}
    apply_ok(local)
    after = rdatasets(live, ZONE)
    assert ("autodiscover", "TXT") not in after
    assert ("*", "A") not in after
    untouched = {k: v for k, v in after_shield.items() if k[1] != "SOA"}
    for key in (("autodiscover", "TXT"), ("*", "A")):
        untouched.pop(key)
    assert {k: v for k, v in after.items() if k[1] != "SOA"} == untouched
    assert planned(plan_json(local)) == set()


def test_a_customer_txt_with_other_text_is_never_removed(local: Path):
    live = seed_local(local, BASE + WILDCARD + 'autodiscover 300 IN TXT "verify=1"\n')
    assert planned(plan_json(local)) == {("create", "_autodiscover._tcp", "SRV")}
    apply_ok(local)
    assert rdatasets(live, ZONE)[("autodiscover", "TXT")] == (300, frozenset({'"verify=1"'}))


# ------------------------------------------- ownership cannot be configured away


PROCESSOR_ENTRY = "    processors:\n      - autodiscover\n"


def test_plain_octodns_sync_with_a_config_without_the_processor_writes_nothing(local: Path):
    sync = ROOT / ".venv/bin/octodns-sync"
    if not sync.exists():
        pytest.fail("octodns-sync is installed with the virtualenv (make setup)")
    seed_local(local, BASE + WILDCARD)
    config = local / "config/bypass.yaml"
    config.write_text(
        (local / "config/local.yaml")
        .read_text()
        .replace("    processors:\n      - autodiscover\n", "")
    )
    seed = (local / "examples/live/example.com.zone").read_bytes()
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # octoDNS's checksum follows set order
    dry = subprocess.run(
        [str(sync), "--config-file", str(config)],
        cwd=local, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    # without the processor octoDNS owns the whole zone: it plans to delete everything
    assert "Delete" in dry.stdout + dry.stderr, dry.stdout + dry.stderr
    checksum = re.search(r"checksum=([0-9a-f]{64})", dry.stdout + dry.stderr).group(1)
    out = subprocess.run(
        [str(sync), "--config-file", str(config), "--doit", "--force", "--checksum", checksum],
        cwd=local, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert out.returncode != 0
    assert "did not analyse" in out.stderr
    assert not (local / "live/example.com.zone").exists()
    assert (local / "examples/live/example.com.zone").read_bytes() == seed


def test_a_manager_level_processor_counts(local: Path):
    seed_local(local, BASE + WILDCARD)
    text = (local / "config/local.yaml").read_text()
    text = text.replace(PROCESSOR_ENTRY, "")
    text = text.replace("  max_workers: 1\n", "  max_workers: 1\n  processors: [autodiscover]\n")
    (local / "config/local.yaml").write_text(text)
    assert ("create", "_autodiscover._tcp", "SRV") in planned(plan_json(local))


# ---------------------------------------------------------------- on real BIND


def bind_repo(ws: Path, server, text: str, policy: str = "remove", sub: str = "") -> dict:
    server.start({ZONE: text})
    (ws / "zones/bind").mkdir(parents=True, exist_ok=True)
    (ws / "zones/bind/example.com.yaml").write_text(srv_file(policy, sub))
    return server.env()


def axfr_sets(server) -> dict[tuple[str, str], tuple[int, frozenset[str]]]:
    out: dict[tuple[str, str], list] = {}
    for name, ttl, rtype, rdata in server.axfr(ZONE):
        out.setdefault((name, rtype), [ttl, set()])[1].add(rdata)
    return {k: (v[0], frozenset(v[1])) for k, v in out.items() if k[1] != "SOA"}


BIND_ARGS = ("--config", "config/octodns.yaml")


def test_bind_hinfo_at_autodiscover_keeps_the_wildcard(local: Path, bind_server):
    env = bind_repo(
        local, bind_server, BASE + WILDCARD + 'autodiscover 300 IN HINFO "PC" "Linux"\n'
    )
    before = axfr_sets(bind_server)
    assert planned(plan_json(local, *BIND_ARGS, env=env)) == {
        ("create", "_autodiscover._tcp", "SRV")
    }
    apply_ok(local, *BIND_ARGS, env=env)
    after = axfr_sets(bind_server)
    assert after.pop(("_autodiscover._tcp", "SRV"))
    assert after == before
    # what Outlook sees: autodiscover exists, so the wildcard gives no address
    answer = bind_server.query("autodiscover.example.com.", "A")
    assert answer.rcode() == 0
    assert not answer.answer


def test_bind_shield_removed_after_switching_policy(local: Path, bind_server):
    env = bind_repo(local, bind_server, BASE + WILDCARD, policy="shield")
    apply_ok(local, *BIND_ARGS, env=env)
    assert axfr_sets(bind_server)[("autodiscover", "TXT")][1] == frozenset({f'"{SHIELD_TEXT}"'})
    (local / "zones/bind/example.com.yaml").write_text(srv_file("remove"))
    assert planned(plan_json(local, *BIND_ARGS, env=env)) == {
        ("delete", "autodiscover", "TXT"),
        ("delete", "*", "A"),
    }
    apply_ok(local, *BIND_ARGS, env=env)
    after = axfr_sets(bind_server)
    assert ("autodiscover", "TXT") not in after
    assert ("*", "A") not in after
    assert bind_server.query("shop.example.com.", "CNAME").answer  # unrelated name intact


def test_bind_delegated_subdomain_is_refused_and_glue_kept(local: Path, bind_server):
    env = bind_repo(local, bind_server, BASE + WILDCARD + DELEGATED_EU, sub="eu")
    before = axfr_sets(bind_server)
    out = run_cli("apply", *BIND_ARGS, cwd=local, env=env)
    assert out.returncode == 1
    assert "eu.example.com is delegated" in one_error_line(out.stderr)
    assert axfr_sets(bind_server) == before
