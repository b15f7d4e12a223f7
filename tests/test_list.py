"""``plan.py list`` (issue 16): every managed email domain, offline, as a user sees it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import ROOT, one_error_line, run_cli, srv_zone_yaml

KEYS = ["domain", "zone", "provider", "platform", "policy", "file"]

#: the embedded default's example zone files, written out independently of the code
EXAMPLES = [
    ["adatum.com", "adatum.com.", "local", "exchange-2013", "remove",
     "zones/local/adatum.com.yaml"],
    ["contoso.com", "contoso.com.", "local", "exchange-2016", "remove",
     "zones/local/contoso.com.yaml"],
    ["fabrikam.net", "fabrikam.net.", "local", "exchange-2013", "shield",
     "zones/local/fabrikam.net.yaml"],
    ["northwind.io", "northwind.io.", "local", "exchange-2016", "report",
     "zones/local/northwind.io.yaml"],
    ["tailspin.org", "tailspin.org.", "local", "cloudmail", "remove",
     "zones/local/tailspin.org.yaml"],
    ["eu.tailspin.org", "tailspin.org.", "local", "exchange-2016", "remove",
     "zones/local/tailspin.org.yaml"],
]  # fmt: skip


def list_json(ws: Path, *args: str) -> list[dict]:
    out = run_cli("list", "--format", "json", *args, cwd=ws)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_json_lists_every_declared_domain_with_its_keys(workspace: Path):
    assert list_json(workspace) == [dict(zip(KEYS, row, strict=True)) for row in EXAMPLES]


def test_text_is_one_aligned_line_per_domain_and_a_count(workspace: Path):
    out = run_cli("list", cwd=workspace)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == "6 email domain(s) in 5 zone(s)"
    rows = lines[:-1]
    assert [line.split() for line in rows] == EXAMPLES
    starts = {tuple(i for i, c in enumerate(line) if c != " " and (i == 0 or line[i - 1] == " "))
              for line in rows}  # fmt: skip
    assert len(starts) == 1, f"columns not aligned: {starts}"


def test_names_filter_by_domain_or_zone(workspace: Path):
    assert [r["domain"] for r in list_json(workspace, "eu.tailspin.org")] == ["eu.tailspin.org"]
    assert [r["domain"] for r in list_json(workspace, "tailspin.org.", "Contoso.com")] == [
        "contoso.com", "tailspin.org", "eu.tailspin.org",
    ]  # fmt: skip
    out = run_cli("list", "adatum.com", cwd=workspace)
    assert out.stdout.splitlines()[-1] == "1 email domain(s) in 1 zone(s)"


def test_a_name_that_is_not_declared_is_one_error_line(workspace: Path):
    out = run_cli("list", "wingtip.com", cwd=workspace)
    assert out.returncode == 1
    assert out.stdout == ""
    assert one_error_line(out.stderr) == (
        "error: wingtip.com is neither a declared email domain nor a zone of config/local.yaml; "
        "plan.py list shows them all"
    )


def test_nothing_declared_is_an_empty_list(ws: Path):
    assert list_json(ws) == []
    out = run_cli("list", cwd=ws)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "0 email domain(s) in 0 zone(s)\n"


def test_other_providers_are_listed_offline_without_credentials(ws: Path):
    """No CLOUDFLARE_*/PDNS_*/BIND_* variable is set and no server runs: list reads files only."""
    (ws / "zones/cloudflare/fabrikam.com.yaml").write_text(srv_zone_yaml(["", "eu"], "shield"))
    (ws / "zones/powerdns/northwind.net.yaml").write_text(srv_zone_yaml([""], platform="cloudmail"))
    custom = ws / "zones/bind/wingtip.com.yaml"
    added = run_cli("add", "wingtip.com", "--platform", "custom", "--target",
                    "autodiscover.wingtip.com.", "--provider", "bind", cwd=ws)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert custom.is_file()
    env = {name: "" for name in ("CLOUDFLARE_API_TOKEN", "PDNS_API_URL", "PDNS_API_KEY",
                                 "BIND_HOST", "BIND_TSIG_NAME", "BIND_TSIG_SECRET")}  # fmt: skip
    out = run_cli("list", "--config", "config/octodns.yaml", "--format", "json", cwd=ws, env=env)
    assert out.returncode == 0, out.stderr
    assert [[r[k] for k in KEYS] for r in json.loads(out.stdout)] == [
        ["fabrikam.com", "fabrikam.com.", "cloudflare", "exchange-2016", "shield",
         "zones/cloudflare/fabrikam.com.yaml"],
        ["eu.fabrikam.com", "fabrikam.com.", "cloudflare", "exchange-2016", "shield",
         "zones/cloudflare/fabrikam.com.yaml"],
        ["northwind.net", "northwind.net.", "powerdns", "cloudmail", "remove",
         "zones/powerdns/northwind.net.yaml"],
        ["wingtip.com", "wingtip.com.", "bind", "custom", "remove", "zones/bind/wingtip.com.yaml"],
    ]  # fmt: skip


def test_a_broken_zone_file_is_reported_not_listed(workspace: Path):
    (workspace / "zones/local/contoso.com.yaml").write_text("---\n_autodiscover._tcp: [\n")
    out = run_cli("list", cwd=workspace)
    assert out.returncode == 1
    assert out.stdout == ""
    assert "zones/local/contoso.com.yaml" in out.stderr


def test_readme_cli_reference_has_list():
    usage = run_cli("list", "--help", cwd=ROOT, env={"COLUMNS": "80"}).stdout.split("\n\n")[0]
    assert usage.startswith("usage: plan.py list")
    assert usage.removeprefix("usage: ") in (ROOT / "README.md").read_text()
