"""The processor inside octoDNS: same plan as plain octoDNS, and its guards."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from octodns.manager import Manager
from octodns.provider.plan import Plan
from octodns.record import Create, Record
from octodns.zone import Zone

from providers.core.errors import DeclarationError, UnsafePlanError, ZoneMissingError
from providers.processor import AutodiscoverPlan, AutodiscoverProcessor, TooManyDeletes
from tests.helpers import ROOT, live_view_of, make_zone, rdatasets, run_cli
from tests.servers.fixtures import missing


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
        missing("octodns-sync is installed with the virtualenv (make setup)")
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
    assert ("*", "A") not in contoso
    assert ("*", "MX") in contoso


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
    with pytest.raises(TooManyDeletes, match=r"3 deletes exceed max_deletes 2\b.*--force"):
        plan.raise_if_unsafe()


def test_a_zone_file_without_declarations_is_an_error(processor):
    with pytest.raises(DeclarationError, match=r"declares no _autodiscover\._tcp SRV record"):
        processor.process_source_zone(make_zone("contoso.com.", []), sources=[])


def test_a_target_that_cannot_show_its_complete_zone_is_refused(processor):
    class Upstream:
        id = "plain"

    desired = desired_zone()
    existing = make_zone("contoso.com.", [("*", "A", 300, ["192.0.2.9"])])
    with pytest.raises(UnsafePlanError, match=r"provider plain .* cannot show its complete zone"):
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


# ------------------------------------------------ octoDNS's processor contract


def test_options_pass_on_to_octodns_base_processor():
    catalog = str(ROOT / "config/platforms.yaml")
    assert AutodiscoverProcessor("autodiscover", catalog=catalog).lenient is False
    lenient = AutodiscoverProcessor("autodiscover", catalog=catalog, lenient=True)
    assert lenient.lenient is True
    assert lenient.id == "autodiscover"
    with pytest.raises(TypeError, match="bogus"):
        AutodiscoverProcessor("autodiscover", catalog=catalog, bogus=1)


def test_the_docstring_is_a_working_config(tmp_path: Path):
    """The YAML usage example in the docstring builds this processor through octoDNS."""
    example = AutodiscoverProcessor.__doc__.split("Example usage::", 1)[1]
    block = example.split("\n\n", 1)[1].split("\n    Every zone", 1)[0]
    config = yaml.safe_load(textwrap.dedent(block))
    entry = config["processors"]["autodiscover"]
    assert entry["class"] == "providers.processor.AutodiscoverProcessor"
    assert config["zones"]["contoso.com."]["processors"] == ["autodiscover"]
    options = {k: v for k, v in entry.items() if k != "class"}
    options["catalog"] = str(ROOT / "config/platforms.yaml")
    processor = AutodiscoverProcessor("autodiscover", **options)
    assert processor.max_deletes == 5
    assert processor.lenient is False


def shield_declaration() -> Zone:
    zone = Zone("contoso.com.", [])
    value = {"priority": 0, "weight": 0, "port": 443, "target": "exchange.emailservice.io."}
    data = {"type": "SRV", "ttl": 3600, "value": value,
            "octodns": {"autodiscover": {"policy": "shield"}}}  # fmt: skip
    zone.add_record(Record.new(zone, "_autodiscover._tcp", data))
    return zone


@pytest.mark.parametrize(
    ("option", "per_call", "expected"),
    [(False, False, False), (True, False, True), (False, True, True)],
)
def test_lenient_reaches_the_octodns_calls_that_build_the_shield(
    option, per_call, expected, monkeypatch
):
    processor = AutodiscoverProcessor(
        "autodiscover", catalog=str(ROOT / "config/platforms.yaml"), lenient=option
    )
    desired = shield_declaration()
    existing = make_zone("contoso.com.", [("*", "A", 300, ["198.51.100.1"])])
    seen: list[tuple[str, bool]] = []
    real_new, real_add = Record.new, desired.add_record

    def new(*args, **kwargs):
        seen.append(("Record.new", kwargs.get("lenient")))
        return real_new(*args, **kwargs)

    def add_record(record, **kwargs):
        seen.append(("add_record", kwargs.get("lenient")))
        return real_add(record, **kwargs)

    monkeypatch.setattr(Record, "new", new)
    monkeypatch.setattr(desired, "add_record", add_record)
    processor.process_source_zone(desired, sources=[], lenient=per_call)
    processor.process_source_and_target_zones(desired, existing, Target(existing), per_call)
    assert seen == [("Record.new", expected), ("add_record", expected)]
    assert ("autodiscover", "TXT") in {(r.name, r._type) for r in desired.records}


def test_lenient_never_relaxes_the_policy_or_its_guards():
    processor = AutodiscoverProcessor(
        "autodiscover", catalog=str(ROOT / "config/platforms.yaml"), max_deletes=2, lenient=True
    )
    # declarations are checked as strictly
    port80 = make_zone(
        "contoso.com.", [("_autodiscover._tcp", "SRV", 3600, ["0 0 80 exchange.emailservice.io."])]
    )
    with pytest.raises(DeclarationError, match="port 80"):
        processor.process_source_zone(port80, sources=[], lenient=True)
    with pytest.raises(DeclarationError, match="declares no"):
        processor.process_source_zone(make_zone("contoso.com.", []), sources=[], lenient=True)

    # what is not owned stays invisible and cannot be changed
    desired = desired_zone()
    existing = make_zone(
        "contoso.com.",
        [
            ("www", "A", 300, ["192.0.2.1"]),
            ("*", "A", 300, ["192.0.2.9"]),
            ("*", "AAAA", 300, ["2001:db8::9"]),
            ("autodiscover", "A", 300, ["192.0.2.8"]),
        ],
    )
    target = Target(existing)
    desired, existing = processor.process_source_and_target_zones(
        desired, existing, target, lenient=True
    )
    assert ("www", "A") not in {(r.name, r._type) for r in existing.records}
    www = Record.new(desired, "www", {"type": "A", "ttl": 300, "value": "192.0.2.2"})
    with pytest.raises(UnsafePlanError, match="refusing a change to www A"):
        processor.process_plan(Plan(existing, desired, [Create(www)], True), [], target, True)

    # the delete bound, the missing zone and the complete view still refuse
    changes = existing.changes(desired, target)
    plan = processor.process_plan(Plan(existing, desired, changes, True), [], target, True)
    with pytest.raises(TooManyDeletes, match="3 deletes exceed max_deletes 2"):
        plan.raise_if_unsafe()
    srv = next(iter(desired_zone().records))
    missing = Plan(make_zone("contoso.com.", []), desired, [Create(srv)], False)
    with pytest.raises(ZoneMissingError):
        processor.process_plan(missing, [], target, lenient=True)

    class Upstream:
        id = "plain"

    with pytest.raises(UnsafePlanError, match="cannot show its complete zone"):
        processor.process_source_and_target_zones(
            desired_zone(), make_zone("contoso.com.", []), Upstream(), lenient=True
        )


def test_a_lenient_zone_plans_exactly_what_a_strict_one_plans(workspace: Path):
    """``lenient: true`` on the zones of a config: octoDNS passes it to every call."""
    strict = Capture()
    manager = Manager("config/local.yaml")
    manager.plan_outputs = {"capture": strict}
    manager.sync(dry_run=True, plan_output_fh=io.StringIO())

    config = yaml.safe_load(Path("config/local.yaml").read_text())
    for zone in config["zones"].values():
        zone["lenient"] = True
    Path("config/lenient.yaml").write_text(yaml.safe_dump(config))
    lenient = Capture()
    manager = Manager("config/lenient.yaml")
    manager.plan_outputs = {"capture": lenient}
    manager.sync(dry_run=True, plan_output_fh=io.StringIO())

    assert changes_of(lenient.plans) == changes_of(strict.plans)
    assert len(changes_of(strict.plans)) == 12
