"""Operating an estate day to day, as a user drives the CLI: one zone's problem stays that
zone's problem, Ctrl-C and a CI cancel stop between zones, filters, compact output, validate
lists every problem, configs work from any directory.

The estate of the benchmark generator (400 zones) is used for the interrupt and isolation
tests, on the embedded default and on PowerDNS; the backends are read back through their
own interfaces (zone files with dnspython, the PowerDNS HTTP API) and compared with what
the CLI printed.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bench import generate as gen
from tests.helpers import PYTHON, ROOT, one_error_line, run_cli
from tests.servers.backends import LocalFiles, PowerDns
from tests.servers.fixtures import *  # noqa: F403

CONFIG = "config/octodns.yaml"
ESTATE = 400


def report_of(out) -> dict:
    return json.loads(out.stdout)


def refused(report: dict) -> dict[str, str]:
    return {z["zone"]: z["refused"] for z in report["zones"] if z["refused"]}


def with_changes(report: dict) -> set[str]:
    return {z["zone"] for z in report["zones"] if z["changes"] and not z["refused"]}


def applied_zones(stdout: str) -> set[str]:
    return set(re.findall(r"^applied (\S+) at \S+: \d+ change\(s\)$", stdout, re.M))


def live_files(ws: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((ws / "live").glob("*"))}


# ------------------------------------------------ one zone's problem, that zone's problem


def test_a_zone_over_max_deletes_is_refused_alone_and_force_zone_lifts_only_it(workspace: Path):
    config = workspace / "config/local.yaml"
    config.write_text(config.read_text().replace("max_deletes: 5", "max_deletes: 1"))
    plan = run_cli("plan", "--format", "json", "--detailed-exitcode", cwd=workspace)
    assert plan.returncode == 1, "a refused zone is an error, even with --detailed-exitcode"
    report = report_of(plan)
    assert set(refused(report)) == {"contoso.com.", "tailspin.org."}
    assert "2 deletes exceed max_deletes 1" in refused(report)["contoso.com."]
    assert "--force-zone contoso.com" in refused(report)["contoso.com."]
    assert report["summary"]["zones_refused"] == 2
    assert with_changes(report) == {"fabrikam.net.", "northwind.io."}
    assert "2 zone(s) refused" in one_error_line(plan.stderr)

    out = run_cli("apply", cwd=workspace)
    assert out.returncode == 1
    assert applied_zones(out.stdout) == {"fabrikam.net.", "northwind.io."}
    assert "Tally: 2 zone(s) applied (3 change(s)), 0 failed, 2 refused" in out.stdout
    assert set(live_files(workspace)) == {"fabrikam.net.zone", "northwind.io.zone"}

    out = run_cli("apply", "--force-zone", "contoso.com", cwd=workspace)
    assert out.returncode == 1, "tailspin.org is still refused"
    assert applied_zones(out.stdout) == {"contoso.com."}
    assert "contoso.com.zone" in live_files(workspace)
    assert "tailspin.org.zone" not in live_files(workspace)

    out = run_cli("apply", "--force", cwd=workspace)
    assert out.returncode == 0, out.stderr
    assert applied_zones(out.stdout) == {"tailspin.org."}


def test_a_zone_missing_at_its_provider_is_refused_alone(workspace: Path):
    (workspace / "examples/live/contoso.com.zone").unlink()
    out = run_cli("apply", cwd=workspace)
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert (
        "1 zone(s) refused (contoso.com: zone contoso.com. does not exist at provider local" in line
    )
    assert "contoso.com." not in applied_zones(out.stdout)
    assert applied_zones(out.stdout) == {"fabrikam.net.", "northwind.io.", "tailspin.org."}
    assert "contoso.com.zone" not in live_files(workspace)


def test_missing_variables_refuse_only_their_zones_all_named_in_one_run(workspace: Path):
    for provider, zone in (("cloudflare", "adatum.org"), ("powerdns", "adatum.net")):
        shutil.copy(
            workspace / "zones/local/adatum.com.yaml",
            workspace / f"zones/{provider}/{zone}.yaml",
        )
    plan = run_cli("plan", "--config", CONFIG, "--format", "json", cwd=workspace)
    assert plan.returncode == 1
    report = report_of(plan)
    assert refused(report) == {
        "adatum.net.": "provider powerdns needs environment variable(s) PDNS_API_KEY, "
        "PDNS_API_URL (zones/powerdns/adatum.net.yaml); set them (see .env.example)",
        "adatum.org.": "provider cloudflare needs environment variable(s) "
        "CLOUDFLARE_API_TOKEN (zones/cloudflare/adatum.org.yaml); set them (see .env.example)",
    }
    assert with_changes(report) == {
        "contoso.com.", "fabrikam.net.", "northwind.io.", "tailspin.org.",
    }  # fmt: skip

    out = run_cli("apply", "--config", CONFIG, cwd=workspace)
    assert out.returncode == 1
    assert applied_zones(out.stdout) == with_changes(report)

    # credentials are needed only for the providers of the zones selected
    only = run_cli("plan", "--config", CONFIG, "adatum.com", cwd=workspace)
    assert only.returncode == 0, only.stderr
    assert "environment variable" not in only.stderr


def test_the_checksum_covers_exactly_the_zones_that_would_be_applied(workspace: Path):
    config = workspace / "config/local.yaml"
    config.write_text(config.read_text().replace("max_deletes: 5", "max_deletes: 1"))
    run_cli("plan", "--save-json", "plan.json", cwd=workspace)
    forced = run_cli("plan", "--force-zone", "contoso.com", "--save-json", "forced.json",
                     cwd=workspace)  # fmt: skip
    assert forced.returncode == 1
    assert (
        report_of_file(workspace / "plan.json")["checksum"]
        != (report_of_file(workspace / "forced.json")["checksum"])
    ), "contoso.com's changes count only when it would be applied"

    # the plan reviewed with --force-zone is not the plan applied without it
    out = run_cli("apply", "--plan", "forced.json", cwd=workspace)
    assert out.returncode == 1
    assert "the plan changed since it was reviewed" in one_error_line(out.stderr)
    assert live_files(workspace) == {}

    out = run_cli("apply", "--plan", "forced.json", "--force-zone", "contoso.com", cwd=workspace)
    assert out.returncode == 1, "tailspin.org stays refused"
    assert applied_zones(out.stdout) == {"contoso.com.", "fabrikam.net.", "northwind.io."}


def report_of_file(path: Path) -> dict:
    return json.loads(path.read_text())


# ------------------------------------------------------------ filters, output, validate


def test_email_domains_select_their_zone_for_plan_and_apply(workspace: Path):
    plan = run_cli("plan", "--format", "json", "eu.tailspin.org", cwd=workspace)
    assert plan.returncode == 0, plan.stderr
    assert [z["zone"] for z in report_of(plan)["zones"]] == ["tailspin.org."]
    out = run_cli("apply", "eu.tailspin.org", cwd=workspace)
    assert out.returncode == 0, out.stderr
    assert applied_zones(out.stdout) == {"tailspin.org."}
    assert set(live_files(workspace)) == {"tailspin.org.zone"}
    unknown = run_cli("plan", "shop.tailspin.org", cwd=workspace)
    assert unknown.returncode == 1
    assert "shop.tailspin.org is not declared" in one_error_line(unknown.stderr)


def test_summary_format_is_one_line_per_zone_with_changes_then_totals(workspace: Path):
    out = run_cli("plan", "--format", "summary", cwd=workspace)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "contoso.com. at local: +1 -2, 3 warning(s)",
        "fabrikam.net. at local: +1 ~1, 1 warning(s)",
        "northwind.io. at local: +1, 3 warning(s)",
        "tailspin.org. at local: +2 -4, 4 warning(s)",
        "Summary: 5 zone(s), 4 with changes: 5 create, 1 update, 6 delete, 11 warning(s).",
        f"Checksum: {report_of(run_cli('plan', '--format', 'json', cwd=workspace))['checksum']}",
    ]


def test_changes_only_hides_unchanged_zones_and_counts_only_the_notes_shown(workspace: Path):
    zone = workspace / "zones/local/adatum.com.yaml"
    full = run_cli("plan", cwd=workspace).stdout
    assert "adatum.com. at local: no changes" in full
    short = run_cli("plan", "--changes-only", cwd=workspace).stdout
    assert "adatum.com." not in short
    assert "contoso.com. at local: 3 change(s)" in short
    shown = sum(1 for line in short.splitlines() if line.startswith("  ! "))
    assert f"{shown} warning(s)." in short.splitlines()[-2]
    assert zone.is_file()
    bad = run_cli("plan", "--changes-only", "--format", "json", cwd=workspace)
    assert bad.returncode == 1
    assert "--changes-only is for --format text" in one_error_line(bad.stderr)


def test_validate_reports_every_problem_of_every_file_then_a_count(workspace: Path):
    contoso = workspace / "zones/local/contoso.com.yaml"
    fabrikam = workspace / "zones/local/fabrikam.net.yaml"
    before = {p: p.read_bytes() for p in (contoso, fabrikam)}
    contoso.write_text(contoso.read_text().replace("type: SRV", "type: MX"))
    fabrikam.write_text(fabrikam.read_text().replace("port: 443", "port: 99999"))
    for command in ("validate", "plan", "apply"):
        out = run_cli(command, cwd=workspace)
        assert out.returncode == 1
        assert "Traceback" not in out.stderr
        lines = [line for line in out.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 3, out.stderr
        assert "zones/local/contoso.com.yaml" in lines[0]
        assert "zones/local/fabrikam.net.yaml" in lines[1]
        assert lines[2] == "error: 2 zone file(s) with problems; nothing planned or written"
        assert not (workspace / "live").exists()
    assert before != {p: p.read_bytes() for p in (contoso, fabrikam)}


def test_a_config_given_by_absolute_path_works_from_any_directory(
    workspace: Path, tmp_path_factory
):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    config = str(workspace / "config/local.yaml")
    out = run_cli("plan", "--config", config, "--output", "plan.txt", cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    assert "contoso.com. at local: 3 change(s)" in (elsewhere / "plan.txt").read_text()
    out = run_cli("apply", "--config", config, "contoso.com", cwd=elsewhere)
    assert out.returncode == 0, out.stderr
    assert set(live_files(workspace)) == {"contoso.com.zone"}, "live/ of the config's repository"
    assert not (elsewhere / "live").exists()


def test_one_lock_file_per_config_and_none_beside_the_zone_files(workspace: Path):
    out = run_cli("apply", cwd=workspace)
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (workspace / ".locks").iterdir()) == ["local.yaml.lock"]
    assert all(p.suffix == ".zone" for p in (workspace / "live").iterdir())


# ---------------------------------------------------------- the 400-zone estate, local


@pytest.fixture
def local_estate(workspace: Path) -> tuple[Path, list[gen.Domain]]:
    """The benchmark's generated estate as the embedded default serves it."""
    shutil.rmtree(workspace / "examples/live")
    for path in (workspace / "zones/local").glob("*.yaml"):
        path.unlink()
    domains = gen.generate(ESTATE)
    gen.write_repository(workspace, "local", domains)
    LocalFiles(workspace / "examples/live", workspace / "live").seed(
        {d.zone: d.records for d in domains}
    )
    return workspace, domains


def interrupt_apply(ws: Path, signum: int, after_applied: float | None, env=None, args=()):
    """Start apply, send ``signum`` ``after_applied`` seconds after the first zone was
    applied (None: while it still plans), and return (exit code, stdout, stderr)."""
    out_path, err_path = ws / "apply.out", ws / "apply.err"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(
            [PYTHON, str(ROOT / "plan.py"), "apply", *args], cwd=ws, stdout=out, stderr=err,
            env=env,
        )  # fmt: skip
        deadline = time.monotonic() + 240
        try:
            if after_applied is None:
                while "zones planned" not in err_path.read_text():
                    assert proc.poll() is None, err_path.read_text()
                    assert time.monotonic() < deadline
                    time.sleep(0.02)
            else:
                while "\napplied " not in "\n" + out_path.read_text():
                    assert proc.poll() is None, err_path.read_text()
                    assert time.monotonic() < deadline
                    time.sleep(0.02)
                time.sleep(after_applied)
            proc.send_signal(signum)
            code = proc.wait(timeout=240)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return code, out_path.read_text(), err_path.read_text()


def planned_zones(stdout: str) -> set[str]:
    return set(re.findall(r"^(\S+) at \S+: \d+ change\(s\) --", stdout, re.M))


def check_interrupted_apply(code: int, stdout: str, stderr: str, signum: int) -> tuple[set, set]:
    """The exit code and the report of an interrupted apply; returns (applied, not applied)."""
    assert code == 128 + signum, stderr
    assert "Traceback" not in stderr
    assert "FAILED" not in stderr, "an interrupt is never a zone's failure"
    applied = applied_zones(stdout)
    left = set(re.findall(r"^not applied (\S+) \(interrupted\)$", stdout, re.M))
    planned = planned_zones(stdout)
    assert applied | left == planned
    assert not applied & left
    name = signal.Signals(signum).name
    assert f"error: interrupted by {name}: stopped after {len(applied)} of {len(planned)}" in stderr
    assert f"Tally: {len(applied)} zone(s) applied" in stdout
    assert f"{len(left)} not started." in stdout
    return applied, left


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_apply_on_the_embedded_default_stops_between_zones(local_estate, signum):
    ws, _ = local_estate
    seeds = {p.name: p.read_bytes() for p in (ws / "examples/live").iterdir()}
    delay = random.Random(f"{signum}-{time.time_ns()}").uniform(0.0, 1.5)
    code, stdout, stderr = interrupt_apply(ws, signum, delay)
    applied, left = check_interrupted_apply(code, stdout, stderr, signum)
    assert left, f"the run ended before the signal ({delay:.2f}s); nothing was interrupted"
    written = live_files(ws)
    assert {name.removesuffix("zone") for name in written} == applied
    for zone in left:
        assert f"{zone}zone" not in written
        assert f"{zone}zone" in seeds
    # every applied zone is whole: a new plan has changes exactly for the zones left
    replan = run_cli("plan", "--format", "json", "--quiet", cwd=ws)
    assert with_changes(report_of(replan)) == left


def test_interrupt_while_planning_writes_nothing(local_estate):
    ws, _ = local_estate
    code, stdout, stderr = interrupt_apply(ws, signal.SIGTERM, None)
    assert code == 143, stderr
    assert "error: interrupted (SIGTERM)" in stderr
    assert "Traceback" not in stderr
    assert not applied_zones(stdout)
    assert not (ws / "live").exists() or not any((ws / "live").iterdir())


# -------------------------------------------------------- the 400-zone estate, PowerDNS


@pytest.fixture
def pdns_estate(ws: Path, pdns_server) -> tuple[Path, PowerDns, list[gen.Domain]]:
    backend = PowerDns(pdns_server)
    backend.start()
    domains = gen.generate(ESTATE)
    backend.seed({d.zone: d.records for d in domains})
    gen.write_repository(ws, "powerdns", domains)
    return ws, backend, domains


def pdns_env(backend: PowerDns) -> dict[str, str]:
    import os

    return {**os.environ, **backend.env()}


def test_interrupted_apply_on_powerdns_stops_between_zones(pdns_estate):
    ws, backend, domains = pdns_estate
    before = {d.zone: backend.snapshot(d.zone) for d in domains}
    delay = random.Random(time.time_ns()).uniform(0.0, 0.3)
    code, stdout, stderr = interrupt_apply(
        ws, signal.SIGTERM, delay, env=pdns_env(backend), args=("--config", CONFIG)
    )
    applied, left = check_interrupted_apply(code, stdout, stderr, signal.SIGTERM)
    assert left, f"the run ended before the signal ({delay:.2f}s); nothing was interrupted"
    for zone in left:
        assert backend.snapshot(zone) == before[zone], f"{zone} was not to be touched"
    for zone in applied:
        assert backend.snapshot(zone) != before[zone]
    replan = run_cli("plan", "--config", CONFIG, "--format", "json", "--quiet", cwd=ws,
                     env=backend.env())  # fmt: skip
    assert with_changes(report_of(replan)) == left


def test_on_powerdns_refused_zones_stay_untouched_and_the_rest_is_applied(pdns_estate):
    ws, backend, domains = pdns_estate
    env = backend.env()
    missing = domains[0].zone
    backend.drop_zone(missing)
    shutil.copy(
        ws / f"zones/powerdns/{domains[1].name}.yaml", ws / "zones/cloudflare/x.example.yaml"
    )
    config = ws / CONFIG
    config.write_text(config.read_text().replace("max_deletes: 5", "max_deletes: 1"))
    plan = run_cli("plan", "--config", CONFIG, "--format", "json", "--quiet", "--save-json",
                   "plan.json", cwd=ws, env=env)  # fmt: skip
    assert plan.returncode == 1
    report = report_of(plan)
    over = {z["zone"] for z in report["zones"]
            if sum(c["action"] == "delete" for c in z["changes"]) > 1}  # fmt: skip
    assert over, "the generated estate has zones with more than one delete"
    assert set(refused(report)) == over | {missing, "x.example."}
    assert "does not exist" in refused(report)[missing]
    assert "CLOUDFLARE_API_TOKEN" in refused(report)["x.example."]
    before = {zone: backend.snapshot(zone) for zone in over}

    out = run_cli("apply", "--config", CONFIG, "--plan", "plan.json", cwd=ws, env=env)
    assert out.returncode == 1
    assert applied_zones(out.stdout) == with_changes(report)
    assert f"{len(refused(report))} zone(s) refused" in one_error_line(out.stderr)
    for zone in over:
        assert backend.snapshot(zone) == before[zone]
    replan = run_cli("plan", "--config", CONFIG, "--format", "json", "--quiet", cwd=ws, env=env)
    assert with_changes(report_of(replan)) == set()
    assert set(refused(report_of(replan))) == set(refused(report))


def test_dotenv_is_read_but_never_overrides_the_environment(pdns_estate):
    ws, backend, domains = pdns_estate
    zone = domains[0].name
    env = backend.env()
    (ws / ".env").write_text(f"PDNS_API_KEY=wrong-key\nPDNS_API_URL={env['PDNS_API_URL']}\n")
    good = run_cli("plan", "--config", CONFIG, zone, cwd=ws, env=env)
    assert good.returncode == 0, good.stderr
    only_url = {k: v for k, v in env.items() if k != "PDNS_API_KEY"}
    wrong = run_cli("plan", "--config", CONFIG, zone, cwd=ws, env=only_url)
    assert wrong.returncode == 1
    assert "needs environment variable" not in wrong.stderr, "the key came from .env"
    assert "401" in wrong.stderr or "403" in wrong.stderr or "auth" in wrong.stderr.lower()
