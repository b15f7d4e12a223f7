"""``plan.py import`` against real servers: PowerDNS, moto Route53, BIND and the Cloudflare fake.

Zones are seeded through each server's own interface; the CLI runs in a
subprocess as a user runs it; the written files are checked against text
written out here, against ``plan.py add``, ``plan.py validate`` and
``octodns-validate``, and the servers are read back to prove import wrote
nothing to them.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers import ALL_PROVIDER_ENV, PYTHON, one_error_line, run_cli
from tests.servers.backends import Backend, Seed, Snapshot
from tests.servers.fixtures import *  # noqa: F403

# octodns-bind 1.1.0 calls APIs octodns 1.22 deprecates; upstream, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONFIG = "config/octodns.yaml"
SRV = "_autodiscover._tcp"
TARGETS = {
    "exchange-2016": "exchange.emailservice.io.",
    "exchange-2013": "exchange.mailprotector.com.",
    "cloudmail": "autodiscover.emailservice.io.",
}
#: every provider of config/octodns.yaml is built by octodns-validate: harmless values
DUMMY_ENV = ALL_PROVIDER_ENV


def run_import(ws: Path, env: dict[str, str] | None, *args: str, config: str | None = CONFIG):
    """``plan.py import`` as a user runs it."""
    extra = ("--config", config) if config else ()
    return run_cli("import", *extra, *args, cwd=ws, env=env)


def expected_file(records: dict[str, tuple[str, str]]) -> str:
    """A zone file as the issue describes it, written out by hand: name -> (platform, policy)."""
    lines = ["---"]
    for name in sorted(records):
        platform, policy = records[name]
        lines += [f"{name}:", "  octodns:", "    autodiscover:", f"      platform: {platform}"]
        if policy != "remove":
            lines.append(f"      policy: {policy}")
        lines += [
            "  ttl: 3600",
            "  type: SRV",
            "  value:",
            "    port: 443",
            "    priority: 0",
            f"    target: {TARGETS[platform]}",
            "    weight: 0",
        ]
    return "\n".join(lines) + "\n"


def zone_files(ws: Path) -> dict[str, str]:
    """Every zone file under zones/, 'provider/name.yaml' -> text."""
    return {
        str(p.relative_to(ws / "zones")): p.read_text() for p in sorted(ws.glob("zones/*/*.yaml"))
    }


def assert_valid(ws: Path, env: dict[str, str], domains: int) -> None:
    """The estate passes plan.py validate and octoDNS's own validator."""
    out = run_cli("validate", "--config", CONFIG, cwd=ws, env={**DUMMY_ENV, **env})
    assert out.returncode == 0, out.stderr
    assert f"ok: {domains} email domain(s)" in out.stdout
    validate = subprocess.run(
        [str(Path(PYTHON).parent / "octodns-validate"), "--config-file", CONFIG],
        cwd=ws,
        capture_output=True,
        text=True,
        env={**os.environ, **DUMMY_ENV, **env},
        timeout=300,
    )
    assert validate.returncode == 0, validate.stderr[-3000:]


def plan_changes(ws: Path, env: dict[str, str]) -> dict[str, set[tuple[str, str, str]]]:
    out = run_cli("plan", "--config", CONFIG, "--format", "json", "--quiet", cwd=ws, env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    return {
        z["zone"]: {(c["action"], c["name"], c["type"]) for c in z["changes"]}
        for z in report["zones"]
    }


def summary(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith("summary: ")]
    assert len(lines) == 1, stdout
    return lines[0]


def state(backend: Backend) -> dict[str, Snapshot]:
    """Every zone on the server with all its RRsets, native form (SOA serial included)."""
    return {zone: backend.snapshot(zone) for zone in sorted(backend.zone_names())}


# ------------------------------------------------------------------ PowerDNS

PDNS_ZONES = [
    "alpha.example.",
    "beta.example.",
    "gamma.example.",
    "delta.example.",
    "eu.alpha.example.",
]


@pytest.fixture
def pdns(backend_factory) -> Backend:
    backend = backend_factory("powerdns")
    hijack: list[Seed] = [("autodiscover", "CNAME", 300, ["autodiscover.outlook.com."])]
    backend.seed({zone: hijack if zone == "beta.example." else [] for zone in PDNS_ZONES})
    return backend


def test_powerdns_import_writes_one_valid_file_per_zone_and_plans(ws: Path, pdns):
    env = pdns.env()
    before = state(pdns)
    out = run_import(ws, env, "--provider", "powerdns", "--platform", "exchange-2016")
    assert out.returncode == 0, out.stderr
    assert state(pdns) == before, "import must not change anything at the provider"

    files = zone_files(ws)
    assert set(files) == {f"powerdns/{z}yaml" for z in PDNS_ZONES}
    for text in files.values():
        assert text == expected_file({SRV: ("exchange-2016", "remove")})
    assert "summary: 5 zone file(s) written (5 domain(s)), 0 skipped (already declared), " in (
        out.stdout
    )
    assert "next: review the new zone files, then make plan CONFIG=config/octodns.yaml" in (
        out.stdout
    )

    # identical to what `plan.py add` writes for the same domain
    mine = ws / "zones/powerdns/gamma.example.yaml"
    imported = mine.read_bytes()
    mine.unlink()
    add = run_cli("add", "gamma.example", "--platform", "exchange-2016", "--provider",
                  "powerdns", "--config", CONFIG, cwd=ws)  # fmt: skip
    assert add.returncode == 0, add.stderr
    assert mine.read_bytes() == imported

    assert_valid(ws, env, domains=5)

    again = run_import(ws, env, "--provider", "powerdns", "--platform", "exchange-2016")
    assert again.returncode == 0, again.stderr
    assert zone_files(ws) == files, "a second import writes nothing"
    assert "0 zone file(s) written (0 domain(s)), 5 skipped (already declared)" in again.stdout
    assert state(pdns) == before

    changes = plan_changes(ws, env)
    expected = {zone: {("create", SRV, "SRV")} for zone in PDNS_ZONES}
    expected["beta.example."].add(("delete", "autodiscover", "CNAME"))
    assert changes == expected


def test_existing_files_are_never_overwritten(ws: Path, pdns):
    env = pdns.env()
    add = run_cli("add", "alpha.example", "--platform", "exchange-2013", "--provider",
                  "powerdns", "--config", CONFIG, cwd=ws)  # fmt: skip
    assert add.returncode == 0, add.stderr
    add = run_cli("add", "beta.example", "--platform", "exchange-2016", "--provider",
                  "powerdns", "--config", CONFIG, "--policy", "shield", cwd=ws)  # fmt: skip
    assert add.returncode == 0, add.stderr
    # a zone declared for another provider (e.g. while moving DNS hosting) stays there
    add = run_cli("add", "delta.example", "--platform", "exchange-2016", "--provider",
                  "route53", "--config", CONFIG, cwd=ws)  # fmt: skip
    assert add.returncode == 0, add.stderr
    before = zone_files(ws)

    out = run_import(ws, env, "--provider", "powerdns", "--platform", "exchange-2016")
    assert out.returncode == 0, out.stderr
    after = zone_files(ws)
    for name, text in before.items():
        assert after[name] == text, f"{name} was changed"
    assert set(after) - set(before) == {
        "powerdns/gamma.example.yaml",
        "powerdns/eu.alpha.example.yaml",
    }
    assert (
        "conflict: alpha.example: declared with platform exchange-2013 in "
        "zones/powerdns/alpha.example.yaml, not exchange-2016; left unchanged"
    ) in out.stdout
    assert (
        "conflict: delta.example: declared for provider route53 in "
        "zones/route53/delta.example.yaml, not powerdns; left unchanged"
    ) in out.stdout
    assert "1 skipped (already declared), 2 conflict(s)" in summary(out.stdout)


def test_match_and_zones_filter(ws: Path, pdns):
    env = pdns.env()
    out = run_import(ws, env, "--provider", "powerdns", "--platform", "cloudmail",
                     "--match", "*alpha.example")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert set(zone_files(ws)) == {"powerdns/alpha.example.yaml", "powerdns/eu.alpha.example.yaml"}
    assert "3 outside --match/--zones" in summary(out.stdout)

    out = run_import(ws, env, "--provider", "powerdns", "--platform", "cloudmail",
                     "--zones", "beta.example", "nowhere.example")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "powerdns/beta.example.yaml" in zone_files(ws)
    assert len(zone_files(ws)) == 3
    assert "not found: nowhere.example: no zone nowhere.example at provider powerdns" in out.stdout
    assert "1 zone file(s) written (1 domain(s))" in summary(out.stdout)
    assert "1 not found at the provider" in summary(out.stdout)


def test_dry_run_writes_nothing(ws: Path, pdns):
    env = pdns.env()
    out = run_import(ws, env, "--provider", "powerdns", "--platform", "exchange-2016",
                     "--policy", "report", "--dry-run")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert zone_files(ws) == {}
    assert sorted(p.name for p in (ws / "zones/powerdns").iterdir()) == [".gitkeep"]
    would = [line for line in out.stdout.splitlines() if line.startswith("would write ")]
    assert len(would) == 5
    assert (
        "would write zones/powerdns/alpha.example.yaml: _autodiscover._tcp SRV 0 0 443 "
        "exchange.emailservice.io. (Exchange+ 2016, policy report)"
    ) in would
    assert "5 zone file(s) would be written" in summary(out.stdout)
    assert "dry run: nothing written" in out.stdout
    assert "next:" not in out.stdout


def test_missing_environment_variable_is_one_line(ws: Path, monkeypatch):
    monkeypatch.delenv("PDNS_API_KEY", raising=False)
    env = {"PDNS_API_URL": "http://127.0.0.1:9"}
    out = run_import(ws, env, "--provider", "powerdns", "--platform", "exchange-2016")
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert "PDNS_API_KEY" in line
    assert "powerdns" in line
    assert zone_files(ws) == {}


def test_usage_errors_are_one_line(ws: Path):
    cases = [
        (("--provider", "gandi", "--platform", "exchange-2016"), "unknown provider 'gandi'"),
        (("--provider", "powerdns", "--platform", "exchange-2099"), "unknown platform"),
        (("--provider", "powerdns"), "--platform is required without --csv"),
        (("--provider", "powerdns", "--platform", "exchange-2016", "--csv", "nope.csv"),
         "nope.csv: cannot read the CSV file"),
    ]  # fmt: skip
    for args, expected in cases:
        out = run_import(ws, DUMMY_ENV, *args)
        assert out.returncode == 1, (args, out.stdout)
        assert expected in one_error_line(out.stderr), (args, out.stderr)


def test_default_config_is_the_one_defining_the_provider(ws: Path, pdns):
    out = run_import(ws, pdns.env(), "--provider", "powerdns", "--platform",
                     "exchange-2016", config=None)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "using config/octodns.yaml" in out.stderr
    assert len(zone_files(ws)) == 5


# ------------------------------------------------------------------ CSV

CSV_GOOD = """\
# estate export
domain,platform,provider,policy
corp.example,exchange-2016,,
eu.corp.example,exchange-2013,powerdns,shield
US.corp.example.,exchange-2016
shop.example,cloudmail,powerdns,report
delegated.corp.example,exchange-2016
mail.delegated.corp.example,cloudmail
shop.example,cloudmail,powerdns,report
legacy.example,exchange-2016
sub.legacy.example,exchange-2013
missing.example,exchange-2016
other.example,exchange-2016
"""


def test_csv_mixed_platforms_and_subdomains(ws: Path, backend_factory):
    pdns = backend_factory("powerdns")
    pdns.seed({zone: [] for zone in ("corp.example", "shop.example", "legacy.example",
                                     "delegated.corp.example", "other.example")})  # fmt: skip
    env = pdns.env()
    add = run_cli("add", "legacy.example", "--platform", "exchange-2013", "--provider",
                  "powerdns", "--config", CONFIG, cwd=ws)  # fmt: skip
    assert add.returncode == 0, add.stderr
    legacy = (ws / "zones/powerdns/legacy.example.yaml").read_text()
    (ws / "estate.csv").write_text(CSV_GOOD)
    before = state(pdns)

    out = run_import(ws, env, "--provider", "powerdns", "--csv", "estate.csv",
                     "--match", "*.example")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert state(pdns) == before

    files = zone_files(ws)
    assert files == {
        "powerdns/corp.example.yaml": expected_file(
            {
                SRV: ("exchange-2016", "remove"),
                f"{SRV}.eu": ("exchange-2013", "shield"),
                f"{SRV}.us": ("exchange-2016", "remove"),
            }
        ),
        "powerdns/shop.example.yaml": expected_file({SRV: ("cloudmail", "report")}),
        "powerdns/delegated.corp.example.yaml": expected_file(
            {SRV: ("exchange-2016", "remove"), f"{SRV}.mail": ("cloudmail", "remove")}
        ),
        "powerdns/legacy.example.yaml": legacy,
        "powerdns/other.example.yaml": expected_file({SRV: ("exchange-2016", "remove")}),
    }
    text = out.stdout
    assert "conflict: line 10: legacy.example: declared with platform exchange-2013" in text
    assert "not changed: line 11: sub.legacy.example: zones/powerdns/legacy.example.yaml " in text
    assert "not found: line 12: missing.example: no zone at provider powerdns" in text
    assert summary(text) == (
        "summary: 4 zone file(s) written (7 domain(s)), 0 skipped (already declared), "
        "1 conflict(s), 1 not found at the provider, 1 in existing zone files (not changed)"
    )
    assert_valid(ws, env, domains=8)

    again = run_import(ws, env, "--provider", "powerdns", "--csv", "estate.csv")
    assert again.returncode == 0, again.stderr
    assert zone_files(ws) == files
    assert "0 zone file(s) written (0 domain(s)), 7 skipped (already declared)" in again.stdout

    changes = plan_changes(ws, env)
    assert changes["corp.example."] == {
        ("create", SRV, "SRV"),
        ("create", f"{SRV}.eu", "SRV"),
        ("create", f"{SRV}.us", "SRV"),
    }
    assert changes["delegated.corp.example."] == {
        ("create", SRV, "SRV"),
        ("create", f"{SRV}.mail", "SRV"),
    }
    assert changes["shop.example."] == {("create", SRV, "SRV")}
    assert changes["other.example."] == {("create", SRV, "SRV")}


CSV_BAD = """\
domain,platform,provider,policy
good.example,exchange-2016
Not_A_Domain!,exchange-2016
bücher.example,exchange-2016
fine.example,exchange-2099
other.example,exchange-2016,gandi
dup.example,exchange-2016
dup.example,exchange-2013
pol.example,exchange-2016,powerdns,delete
a.example,exchange-2016,powerdns,remove,extra
,exchange-2016
plat.example,custom
singleword,exchange-2016
also.example,exchange-2013,powerdns,shield
"""

BAD_LINES = {
    3: "is not a valid DNS domain name",
    4: "internationalised domain 'bücher.example'; write it in punycode: 'xn--bcher-kva.example'",
    5: "unknown platform 'exchange-2099'",
    6: "unknown provider 'gandi'",
    7: "duplicate domain dup.example: line 8 gives it differently",
    8: "duplicate domain dup.example: platform exchange-2016 on line 7 but exchange-2013 here",
    9: "unknown policy 'delete'",
    10: "5 fields",
    11: "no domain",
    12: "platform 'custom'",
    13: "is not a valid DNS domain name",
}


def bad_rows(stderr: str) -> dict[int, str]:
    rows = {}
    for line in stderr.splitlines():
        if line.startswith("bad row: rows.csv:"):
            number = int(line.split(":")[2])
            assert number not in rows, stderr
            rows[number] = line
    return rows


def test_csv_bad_rows_are_reported_with_line_numbers_and_nothing_written(ws: Path):
    (ws / "rows.csv").write_text(CSV_BAD)
    out = run_import(ws, DUMMY_ENV, "--provider", "powerdns", "--csv", "rows.csv")
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert "11 bad row(s) in rows.csv" in line
    assert "nothing written" in line
    rows = bad_rows(out.stderr)
    assert set(rows) == set(BAD_LINES), out.stderr
    for number, expected in BAD_LINES.items():
        assert expected in rows[number], (number, rows[number])
    assert zone_files(ws) == {}
    assert "listing the zones" not in out.stderr, "no provider is asked when rows are bad"


def test_csv_skip_bad_imports_the_good_rows(ws: Path, backend_factory):
    pdns = backend_factory("powerdns")
    pdns.seed({zone: [] for zone in ("good.example", "also.example", "dup.example")})
    (ws / "rows.csv").write_text(CSV_BAD)
    env = pdns.env()

    dry = run_import(ws, env, "--provider", "powerdns", "--csv", "rows.csv", "--skip-bad",
                     "--dry-run")  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert zone_files(ws) == {}
    assert set(bad_rows(dry.stderr)) == set(BAD_LINES)

    out = run_import(ws, env, "--provider", "powerdns", "--csv", "rows.csv", "--skip-bad")
    assert out.returncode == 0, out.stderr
    assert set(bad_rows(out.stderr)) == set(BAD_LINES)
    assert zone_files(ws) == {
        "powerdns/good.example.yaml": expected_file({SRV: ("exchange-2016", "remove")}),
        "powerdns/also.example.yaml": expected_file({SRV: ("exchange-2013", "shield")}),
    }, "an ambiguous duplicate is imported from neither row"
    assert "11 bad row(s) skipped" in summary(out.stdout)
    assert_valid(ws, env, domains=2)


def test_csv_without_header_and_bad_header(ws: Path, backend_factory):
    pdns = backend_factory("powerdns")
    pdns.seed({"plain.example": []})
    env = pdns.env()
    (ws / "plain.csv").write_text("plain.example,cloudmail\n\nwww.plain.example,,,report\n")
    out = run_import(ws, env, "--provider", "powerdns", "--platform", "exchange-2013",
                     "--csv", "plain.csv")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert zone_files(ws) == {
        "powerdns/plain.example.yaml": expected_file(
            {SRV: ("cloudmail", "remove"), f"{SRV}.www": ("exchange-2013", "report")}
        )
    }
    (ws / "header.csv").write_text("domain,platform,owner\nx.example,cloudmail\n")
    out = run_import(ws, env, "--provider", "powerdns", "--csv", "header.csv")
    assert out.returncode == 1
    assert "header.csv:1: header has unknown column 'owner'" in one_error_line(out.stderr)


# ------------------------------------------------------------------ Cloudflare

CF_ZONES = [f"customer{i:03d}.example" for i in range(120)]


def test_cloudflare_120_zones_over_pages_reads_only(ws: Path, backend_factory):
    cf = backend_factory("cloudflare")
    hijack: list[Seed] = [("autodiscover", "CNAME", 300, ["autodiscover.outlook.com."])]
    cf.seed({zone: hijack if zone == "customer007.example" else [] for zone in CF_ZONES})
    fake = cf.fake
    env = cf.env()

    dry = run_import(ws, env, "--provider", "cloudflare", "--platform", "exchange-2016",
                     "--dry-run")  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    assert zone_files(ws) == {}
    assert len([x for x in dry.stdout.splitlines() if x.startswith("would write")]) == 120

    fake.reset_log()
    out = run_import(ws, env, "--provider", "cloudflare", "--platform", "exchange-2016")
    assert out.returncode == 0, out.stderr
    assert {r["method"] for r in fake.requests} == {"GET"}
    assert fake.writes() == []
    pages = sorted(
        (int(r["query"]["page"]), int(r["query"]["per_page"]))
        for r in fake.requests
        if r["path"] == "/zones"
    )
    assert pages == [(1, 50), (2, 50), (3, 50)], "120 zones come in three pages of at most 50"
    assert all(r["path"] == "/zones" for r in fake.requests)
    assert "progress: 120/120 domains checked" in out.stderr

    files = zone_files(ws)
    assert set(files) == {f"cloudflare/{zone}.yaml" for zone in CF_ZONES}
    assert set(files.values()) == {expected_file({SRV: ("exchange-2016", "remove")})}
    assert "provider cloudflare: 120 zone(s) listed" in out.stdout
    assert "120 zone file(s) written (120 domain(s))" in summary(out.stdout)
    assert_valid(ws, env, domains=120)

    fake.reset_log()
    again = run_import(ws, env, "--provider", "cloudflare", "--platform", "exchange-2016")
    assert again.returncode == 0, again.stderr
    assert zone_files(ws) == files
    assert "0 zone file(s) written (0 domain(s)), 120 skipped (already declared)" in again.stdout
    assert {r["method"] for r in fake.requests} == {"GET"}

    changes = plan_changes(ws, env)
    expected = {f"{zone}.": {("create", SRV, "SRV")} for zone in CF_ZONES}
    expected["customer007.example."].add(("delete", "autodiscover", "CNAME"))
    assert changes == expected


def test_cloudflare_refused_token_is_one_line(ws: Path, backend_factory):
    cf = backend_factory("cloudflare")
    cf.seed({"one.example": []})
    env = {**cf.env(), "CLOUDFLARE_API_TOKEN": "wrong"}
    out = run_import(ws, env, "--provider", "cloudflare", "--platform", "exchange-2016")
    assert out.returncode == 1
    assert "Cloudflare refused the API token" in one_error_line(out.stderr)
    assert zone_files(ws) == {}


# ------------------------------------------------------------------ Route53 (moto)

R53_ZONES = ["north.example.", "south.example.", "east.example.", "west.example."]


def test_route53_hosted_zones(ws: Path, backend_factory):
    r53 = backend_factory("route53")
    r53.seed({zone: [("*", "A", 300, ["192.0.2.1"])] if zone == "east.example." else []
              for zone in R53_ZONES})  # fmt: skip
    before = state(r53)
    env = r53.env()

    out = run_import(ws, env, "--provider", "route53", "--platform", "exchange-2013")
    assert out.returncode == 0, out.stderr
    assert state(r53) == before
    files = zone_files(ws)
    assert set(files) == {f"route53/{zone}yaml" for zone in R53_ZONES}
    assert set(files.values()) == {expected_file({SRV: ("exchange-2013", "remove")})}
    assert_valid(ws, env, domains=4)

    again = run_import(ws, env, "--provider", "route53", "--platform", "exchange-2013")
    assert again.returncode == 0, again.stderr
    assert zone_files(ws) == files
    assert "4 skipped (already declared)" in summary(again.stdout)

    changes = plan_changes(ws, env)
    expected = {zone: {("create", SRV, "SRV")} for zone in R53_ZONES}
    expected["east.example."].add(("delete", "*", "A"))
    assert changes == expected


# ------------------------------------------------------------------ BIND (no zone list)


def test_bind_takes_zones_from_the_command_line(ws: Path, backend_factory):
    zones = ["one.example.", "two.example."]
    bind = backend_factory("bind")
    bind.seed({zone: [] for zone in zones})  # SOA, NS and ns1 A only
    env = bind.env()
    before = {zone: bind.snapshot(zone) for zone in zones}

    out = run_import(ws, env, "--provider", "bind", "--platform", "exchange-2016")
    assert out.returncode == 1
    assert "cannot list its zones; name them with --zones" in one_error_line(out.stderr)

    out = run_import(ws, env, "--provider", "bind", "--platform", "exchange-2016",
                     "--zones", "one.example", "two.example", "three.example")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert {zone: bind.snapshot(zone) for zone in zones} == before
    assert set(zone_files(ws)) == {"bind/one.example.yaml", "bind/two.example.yaml"}
    assert "not found: three.example: no zone at provider bind holds three.example" in out.stdout
    assert_valid(ws, env, domains=2)
    assert plan_changes(ws, env) == {zone: {("create", SRV, "SRV")} for zone in zones}


def test_generated_files_load_as_plain_yaml(ws: Path, pdns):
    out = run_import(ws, pdns.env(), "--provider", "powerdns", "--platform", "cloudmail")
    assert out.returncode == 0, out.stderr
    data = yaml.safe_load((ws / "zones/powerdns/delta.example.yaml").read_text())
    assert data == {
        SRV: {
            "octodns": {"autodiscover": {"platform": "cloudmail"}},
            "ttl": 3600,
            "type": "SRV",
            "value": {"port": 443, "priority": 0, "target": TARGETS["cloudmail"], "weight": 0},
        }
    }


# ------------------------------------------------------------------ CSV without a provider
# (located through DNS: tests/test_locate.py runs these on a private DNS tree)


def test_provider_is_required_without_csv(ws: Path):
    out = run_import(ws, DUMMY_ENV, "--platform", "exchange-2016", config=None)
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert "--provider is required without --csv" in line
    assert "rows without a provider are located through DNS" in line


def test_csv_rows_with_a_provider_column_are_not_located(ws: Path):
    """Every row names its provider: no DNS is asked (the resolver here answers nothing)."""
    (ws / "rows.csv").write_text("a.example,exchange-2016,powerdns\nb.example,exchange-2099,bind\n")
    out = run_import(ws, DUMMY_ENV, "--csv", "rows.csv", "--resolver", "127.0.0.1:9", config=None)
    assert out.returncode == 1
    assert "1 bad row(s) in rows.csv" in one_error_line(out.stderr)
    assert "rows.csv:2: unknown platform 'exchange-2099'" in out.stderr
    assert "locating" not in out.stderr
    assert "using config/octodns.yaml (it plans provider bind, powerdns)" in out.stderr


def test_csv_without_provider_and_a_resolver_that_does_not_answer_is_one_line(ws: Path):
    from tests.servers import free_port

    port = free_port(udp=True)
    (ws / "rows.csv").write_text("domain,platform\na.example,exchange-2016\n")
    out = run_import(ws, DUMMY_ENV, "--csv", "rows.csv", "--resolver", f"127.0.0.1:{port}",
                     "--timeout", "0.2", config=None)  # fmt: skip
    assert out.returncode == 1
    assert one_error_line(out.stderr).startswith(
        f"error: the resolver 127.0.0.1:{port} does not answer"
    )
    assert zone_files(ws) == {}
