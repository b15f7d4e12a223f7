"""The processor inside octoDNS: same plan as plain octoDNS, and its guards."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from octodns.manager import Manager
from octodns.provider.plan import Plan
from octodns.record import Create, Record
from octodns.zone import Zone

from providers.core.errors import UnsafePlanError, ZoneMissingError
from providers.processor import AutodiscoverPlan, AutodiscoverProcessor, TooManyDeletes
from tests.helpers import ROOT, live_view_of, make_zone, rdatasets, run_cli


class Capture:
    def __init__(self):
        self.plans = []

    def run(self, plans, log=None, fh=None, *args, **kwargs):
        self.plans = list(plans)


def changes_of(plans) -> set[tuple[str, str, str, str]]:
    return {
        (plan.desired.name, type(c).__name__.lower(), c.record.name, c.record._type)
        for _target, plan in plans
        for c in plan.changes
    }


def test_plain_octodns_plans_exactly_what_plan_py_plans(workspace: Path):
    manager = Manager("config/local.yaml")
    capture = Capture()
    manager.plan_outputs = {"capture": capture}
    manager.sync(dry_run=True, plan_output_fh=io.StringIO())
    plain = changes_of(capture.plans)

    report = json.loads(run_cli("plan", "--format", "json", cwd=workspace).stdout)
    ours = {
        (z["zone"], c["action"], c["name"], c["type"])
        for z in report["zones"]
        for c in z["changes"]
    }
    assert plain == ours
    assert len(ours) == 12


def test_octodns_sync_applies_the_same_changes(workspace: Path):
    sync = ROOT / ".venv/bin/octodns-sync"
    if not sync.exists():
        pytest.skip("octodns-sync is installed with the virtualenv")
    # octoDNS's own checksum depends on set order for dynamic zones: pin the hash seed
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    dry = subprocess.run(
        [str(sync), "--config-file", "config/local.yaml"],
        cwd=workspace, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    checksum = re.search(r"checksum=([0-9a-f]{64})", dry.stdout + dry.stderr).group(1)
    out = subprocess.run(
        [str(sync), "--config-file", "config/local.yaml", "--doit", "--checksum", checksum],
        cwd=workspace, capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    after = run_cli("plan", "--format", "json", "--detailed-exitcode", cwd=workspace)
    assert after.returncode == 0, after.stdout
    contoso = rdatasets(workspace / "live/contoso.com.zone", "contoso.com.")
    assert ("*", "A") not in contoso and ("*", "MX") in contoso


@pytest.fixture
def processor() -> AutodiscoverProcessor:
    return AutodiscoverProcessor("autodiscover", catalog=str(ROOT / "config/platforms.yaml"),
                                 max_deletes=2)  # fmt: skip


class Target:
    """A provider that read ``existing`` (its complete view is what the zone holds)."""

    id = "t"

    def __init__(self, existing=None) -> None:
        self.view = live_view_of(existing) if existing is not None else None

    def supports(self, record) -> bool:
        return True

    def live_zone(self, name: str):
        return self.view


def desired_zone():
    return make_zone(
        "contoso.com.", [("_autodiscover._tcp", "SRV", 3600, ["0 0 443 exchange.emailservice.io."])]
    )


def test_a_plan_for_a_missing_zone_is_refused(processor):
    desired = desired_zone()
    plan = Plan(make_zone("contoso.com.", []), desired, [Create(next(iter(desired.records)))],
                False)  # fmt: skip
    with pytest.raises(ZoneMissingError, match="does not exist at provider t"):
        processor.process_plan(plan, sources=[], target=Target())


def test_a_change_outside_the_owned_pairs_is_refused(processor):
    desired = desired_zone()
    existing = make_zone("contoso.com.", [("www", "A", 300, ["192.0.2.1"])])
    processor.process_source_and_target_zones(desired, existing, Target(existing))
    www = Record.new(desired, "www", {"type": "A", "ttl": 300, "value": "192.0.2.2"})
    plan = Plan(existing, desired, [Create(www)], True)
    with pytest.raises(UnsafePlanError, match="refusing a change to www A"):
        processor.process_plan(plan, sources=[], target=Target())


def test_existing_zone_is_filtered_to_owned_pairs(processor):
    desired = desired_zone()
    existing = make_zone(
        "contoso.com.",
        [("www", "A", 300, ["192.0.2.1"]), ("*", "A", 300, ["192.0.2.9"]), ("*", "MX", 300,
         ["10 mail.contoso.com."])],
    )  # fmt: skip
    _, existing = processor.process_source_and_target_zones(desired, existing, Target(existing))
    assert {(r.name, r._type) for r in existing.records} == {("*", "A")}


def test_more_deletes_than_the_bound_need_force(processor):
    desired = desired_zone()
    existing = make_zone(
        "contoso.com.",
        [
            ("*", "A", 300, ["192.0.2.9"]),
            ("*", "AAAA", 300, ["2001:db8::9"]),
            ("autodiscover", "A", 300, ["192.0.2.8"]),
        ],
    )
    target = Target(existing)
    desired, existing = processor.process_source_and_target_zones(desired, existing, target)
    changes = existing.changes(desired, Target())
    plan = processor.process_plan(Plan(existing, desired, changes, True), [], Target())
    assert isinstance(plan, AutodiscoverPlan)
    with pytest.raises(TooManyDeletes, match="3 deletes exceed max_deletes 2.*--force"):
        plan.raise_if_unsafe()


def test_a_zone_file_without_declarations_is_an_error(processor):
    with pytest.raises(Exception, match="declares no _autodiscover._tcp SRV record"):
        processor.process_source_zone(make_zone("contoso.com.", []), sources=[])


def test_a_target_that_cannot_show_its_complete_zone_is_refused(processor):
    class Upstream:
        id = "plain"

    desired = desired_zone()
    existing = make_zone("contoso.com.", [("*", "A", 300, ["192.0.2.9"])])
    with pytest.raises(UnsafePlanError, match="provider plain .* cannot show its complete zone"):
        processor.process_source_and_target_zones(desired, existing, Upstream())


def test_a_plan_not_analysed_by_the_processor_is_never_applied(tmp_path):
    from providers.zonefile import ZoneFileProvider

    (tmp_path / "contoso.com.zone").write_text(
        "$TTL 300\n@ SOA ns1.contoso.com. h.contoso.com. 1 3600 600 86400 300\n"
        "@ NS ns1.contoso.com.\nns1 A 192.0.2.53\nwww A 192.0.2.1\n"
    )
    provider = ZoneFileProvider("local", directory=str(tmp_path))
    existing = Zone("contoso.com.", [])
    provider.populate(existing)
    desired = desired_zone()
    plan = Plan(existing, desired, existing.changes(desired, provider), True)
    before = (tmp_path / "contoso.com.zone").read_bytes()
    with pytest.raises(UnsafePlanError, match="did not analyse"):
        provider.apply(plan)
    assert (tmp_path / "contoso.com.zone").read_bytes() == before
