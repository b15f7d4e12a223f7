"""End to end through the CLI on the embedded default, as a fresh clone runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import ROOT, owned_by_spec, rdatasets, run_cli

ZONES = {
    "contoso.com.": [""],
    "fabrikam.net.": [""],
    "tailspin.org.": ["", "eu"],
    "northwind.io.": [""],
    "adatum.com.": [""],
}


def unowned(path: Path, zone: str) -> dict:
    owned = owned_by_spec(ZONES[zone]) | {("@", "SOA")}
    return {k: v for k, v in rdatasets(path, zone).items() if k not in owned}


def test_plan_apply_plan_converges_and_keeps_every_other_record(workspace: Path):
    plan = run_cli("plan", "--format", "json", cwd=workspace)
    assert plan.returncode == 0, plan.stderr
    report = json.loads(plan.stdout)
    assert report["summary"]["zones"] == 5
    assert report["summary"]["zones_with_changes"] == 4
    assert not (workspace / "live").exists(), "planning must write nothing"

    pending = run_cli("plan", "--detailed-exitcode", "--quiet", cwd=workspace)
    assert pending.returncode == 2

    applied = run_cli("apply", cwd=workspace)
    assert applied.returncode == 0, applied.stderr
    assert "applied contoso.com. at local: 3 change(s)" in applied.stdout

    after = run_cli("plan", "--detailed-exitcode", "--format", "json", cwd=workspace)
    assert after.returncode == 0, after.stdout
    assert json.loads(after.stdout)["summary"]["zones_with_changes"] == 0

    for zone in ZONES:
        name = zone.rstrip(".") + ".zone"
        seed, live = workspace / "examples/live" / name, workspace / "live" / name
        if zone == "adatum.com.":
            assert not live.exists(), "a zone without changes is not rewritten"
            continue
        assert unowned(live, zone) == unowned(seed, zone), zone
        before = rdatasets(seed, zone)[("@", "SOA")][1]
        after_soa = rdatasets(live, zone)[("@", "SOA")][1]
        assert before != after_soa, "SOA serial bumped"

    contoso = rdatasets(workspace / "live/contoso.com.zone", "contoso.com.")
    assert contoso[("_autodiscover._tcp", "SRV")][1] == {"0 0 443 exchange.emailservice.io."}
    assert ("*", "A") not in contoso
    assert ("autodiscover", "CNAME") not in contoso
    assert ("*", "MX") in contoso, "`*` MX is not an Autodiscover conflict"


def test_json_contract(workspace: Path):
    report = json.loads(run_cli("plan", "--format", "json", cwd=workspace).stdout)
    assert set(report) == {"checksum", "zones", "summary"}
    assert len(report["checksum"]) == 64
    zone = next(z for z in report["zones"] if z["zone"] == "contoso.com.")
    assert zone["provider"] == "local"
    assert zone["domains"] == ["contoso.com"]
    assert zone["platform"] == "exchange-2016"
    assert zone["policy"] == "remove"
    actions = {(c["action"], c["name"], c["type"]) for c in zone["changes"]}
    assert actions == {
        ("delete", "*", "A"),
        ("delete", "autodiscover", "CNAME"),
        ("create", "_autodiscover._tcp", "SRV"),
    }
    srv = next(c for c in zone["changes"] if c["type"] == "SRV")
    assert srv["before"] is None
    assert srv["after"] == {
        "type": "SRV",
        "ttl": 3600,
        "value": {"port": 443, "priority": 0, "target": "exchange.emailservice.io.", "weight": 0},
    }
    assert all(c["reason"] for c in zone["changes"])
    s = report["summary"]
    assert {k: s[k] for k in ("zones", "zones_with_changes", "create", "update", "delete")} == {
        "zones": 5,
        "zones_with_changes": 4,
        "create": 5,
        "update": 1,
        "delete": 6,
    }
    tailspin = next(z for z in report["zones"] if z["zone"] == "tailspin.org.")
    assert tailspin["domains"] == ["tailspin.org", "eu.tailspin.org"]
    assert any("CloudMail" in w for w in tailspin["warnings"])


def test_markdown_and_text_formats(workspace: Path):
    md = run_cli("plan", "--format", "markdown", cwd=workspace).stdout
    assert md.startswith("### autodiscover-dns plan")
    assert "<details>" in md
    assert "| delete |" in md
    text = run_cli("plan", cwd=workspace).stdout
    assert "- delete * A" in text
    assert "why: " in text
    assert "Checksum: " in text


def test_apply_with_the_reviewed_checksum_and_refusal_of_a_stale_one(workspace: Path):
    report = json.loads(run_cli("plan", "--format", "json", cwd=workspace).stdout)
    stale = run_cli("apply", "--checksum", "0" * 64, cwd=workspace)
    assert stale.returncode == 1
    assert "nothing written" in stale.stderr
    assert not (workspace / "live").exists()

    (workspace / "plan.json").write_text(json.dumps(report))
    ok = run_cli("apply", "--plan", "plan.json", cwd=workspace)
    assert ok.returncode == 0, ok.stderr
    assert (workspace / "live/contoso.com.zone").exists()


def test_zone_arguments_limit_the_run(workspace: Path):
    out = run_cli("plan", "--format", "json", "contoso.com", cwd=workspace)
    report = json.loads(out.stdout)
    assert [z["zone"] for z in report["zones"]] == ["contoso.com."]
    unknown = run_cli("plan", "nosuch.example", cwd=workspace)
    assert unknown.returncode == 1
    assert "nosuch.example is not declared" in unknown.stderr


def test_add_writes_a_plain_octodns_zone_file(workspace: Path):
    out = run_cli("add", "wingtip.com", "--platform", "exchange-2016", "--provider", "local",
                  cwd=workspace)  # fmt: skip
    assert out.returncode == 0, out.stderr
    text = (workspace / "zones/local/wingtip.com.yaml").read_text()
    assert "target: exchange.emailservice.io." in text
    assert "port: 443" in text
    again = run_cli("add", "wingtip.com", "--platform", "cloudmail", "--provider", "local",
                    cwd=workspace)  # fmt: skip
    assert again.returncode == 1
    assert "already declared" in again.stderr
    sub = run_cli("add", "us.wingtip.com", "--platform", "cloudmail", "--provider", "local",
                  cwd=workspace)  # fmt: skip
    assert sub.returncode == 0
    assert "_autodiscover._tcp.us:" in (workspace / "zones/local/wingtip.com.yaml").read_text()
    valid = run_cli("validate", cwd=workspace)
    assert valid.returncode == 0, valid.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_output_file(workspace: Path, fmt: str):
    out = run_cli("plan", "--format", fmt, "--output", "p.out", cwd=workspace)
    assert out.returncode == 0
    assert out.stdout == ""
    assert (workspace / "p.out").read_text()


def test_checksum_does_not_depend_on_hash_order(workspace: Path):
    sums = {
        json.loads(
            run_cli("plan", "--format", "json", cwd=workspace, env={"PYTHONHASHSEED": seed}).stdout
        )["checksum"]
        for seed in ("1", "2", "3", "4")
    }
    assert len(sums) == 1


@pytest.mark.parametrize(
    "command",
    ["plan", "apply", "validate", "add", "confirm", "doctor", "report", "import", "locate"],
)
def test_readme_cli_reference_matches_help(command: str):
    """README and --help stay in step: the README block is the usage line --help prints."""
    usage = run_cli(command, "--help", cwd=ROOT, env={"COLUMNS": "80"}).stdout.split("\n\n")[0]
    assert usage.startswith(f"usage: plan.py {command}")
    assert usage.removeprefix("usage: ") in (ROOT / "README.md").read_text()
