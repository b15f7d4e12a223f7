"""The embedded backend edits BIND zone files in place and atomically."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from octodns.provider.plan import Plan
from octodns.record import Create, Delete, Update
from octodns.zone import Zone

from providers.core.errors import UnsafePlanError
from providers.zonefile import ZoneFileError, ZoneFileProvider
from tests.helpers import make_zone, rdatasets

TEXT = """\
$ORIGIN example.com.
$TTL 300
@ IN SOA ns1 hostmaster 41 3600 600 86400 300
@ IN NS ns1
@ IN A 192.0.2.1
@ IN HINFO "PC" "Linux" ; a type octoDNS does not know: kept as is
ns1 IN A 192.0.2.53
* IN A 192.0.2.80
* IN MX 10 mail
autodiscover IN CNAME autodiscover.outlook.com.
"""


@pytest.fixture
def provider(tmp_path: Path) -> ZoneFileProvider:
    (tmp_path / "seed").mkdir()
    (tmp_path / "seed/example.com.zone").write_text(TEXT)
    return ZoneFileProvider("local", str(tmp_path / "live"), str(tmp_path / "seed"))


def analysed(*args) -> Plan:
    """A plain octoDNS plan marked as the Autodiscover processor marks the plans it checked."""
    plan = Plan(*args)
    plan.autodiscover_analysed = True
    return plan


def populated(provider) -> Zone:
    zone = Zone("example.com.", [])
    assert provider.populate(zone) is True
    return zone


def test_populate_reads_the_seed_when_no_live_file_exists(provider):
    zone = populated(provider)
    names = {(r.name, r._type) for r in zone.records}
    assert {("*", "A"), ("autodiscover", "CNAME"), ("*", "MX")} <= names
    assert not provider.directory.exists(), "reading writes nothing"


def test_missing_zone_does_not_exist(provider):
    assert provider.populate(Zone("missing.example.", [])) is False


def test_apply_changes_only_planned_sets_and_bumps_the_serial(provider, tmp_path):
    existing = populated(provider)
    desired = make_zone(
        "example.com.", [("_autodiscover._tcp", "SRV", 3600, ["0 0 443 exchange.emailservice.io."])]
    )
    wildcard = next(r for r in existing.records if (r.name, r._type) == ("*", "A"))
    cname = next(r for r in existing.records if r._type == "CNAME")
    srv = next(iter(desired.records))
    plan = analysed(existing, desired, [Delete(wildcard), Delete(cname), Create(srv)], True)
    provider.apply(plan)
    before = rdatasets(tmp_path / "seed/example.com.zone", "example.com.")
    after = rdatasets(tmp_path / "live/example.com.zone", "example.com.")
    assert ("*", "A") not in after
    assert ("autodiscover", "CNAME") not in after
    assert after[("_autodiscover._tcp", "SRV")] == (3600, {"0 0 443 exchange.emailservice.io."})
    kept = {k for k in before if k not in {("*", "A"), ("autodiscover", "CNAME"), ("@", "SOA")}}
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
    assert ("@", "HINFO") in after
    assert "42 3600" in next(iter(after[("@", "SOA")][1]))


def test_update_replaces_the_set(provider, tmp_path):
    existing = populated(provider)
    old = next(r for r in existing.records if (r.name, r._type) == ("*", "A"))
    new = old.copy(values=["192.0.2.81", "192.0.2.82"])
    provider.apply(analysed(existing, existing, [Update(old, new)], True))
    after = rdatasets(tmp_path / "live/example.com.zone", "example.com.")
    assert after[("*", "A")][1] == {"192.0.2.81", "192.0.2.82"}


def test_rewrite_keeps_the_file_mode_and_leaves_no_temporary_files(provider, tmp_path):
    existing = populated(provider)
    cname = next(r for r in existing.records if r._type == "CNAME")
    provider.apply(analysed(existing, existing, [Delete(cname)], True))
    live = tmp_path / "live/example.com.zone"
    os.chmod(live, 0o640)
    existing = populated(provider)
    wildcard = next(r for r in existing.records if (r.name, r._type) == ("*", "A"))
    provider.apply(analysed(existing, existing, [Delete(wildcard)], True))
    assert stat.S_IMODE(live.stat().st_mode) == 0o640
    assert [p.name for p in live.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_a_broken_live_file_is_a_clear_error(provider, tmp_path):
    (tmp_path / "live").mkdir()
    (tmp_path / "live/example.com.zone").write_text("@ IN SOA broken\n")
    with pytest.raises(ZoneFileError, match=r"cannot read zone example\.com\..*fix the file"):
        populated(provider)


def test_list_zones_covers_live_and_seed(provider, tmp_path):
    (tmp_path / "live").mkdir()
    (tmp_path / "live/other.org.zone").write_text(TEXT.replace("example.com.", "other.org."))
    assert provider.list_zones() == ["example.com.", "other.org."]


def test_a_second_writer_waits_for_the_lock(provider, monkeypatch):
    monkeypatch.setattr("providers.zonefile.LOCK_TIMEOUT", 0.2)
    with (
        provider.locked("example.com."),
        pytest.raises(ZoneFileError, match="locked by another apply"),
        provider.locked("example.com."),  # the second writer
    ):
        pass


def test_a_plan_the_processor_did_not_analyse_is_refused(provider, tmp_path):
    existing = populated(provider)
    cname = next(r for r in existing.records if r._type == "CNAME")
    with pytest.raises(UnsafePlanError, match="did not analyse"):
        provider.apply(Plan(existing, existing, [Delete(cname)], True))
    assert not (tmp_path / "live/example.com.zone").exists()


def test_populate_remembers_every_name_and_type(provider):
    zone = populated(provider)
    assert ("", "HINFO") not in {(r.name, r._type) for r in zone.records}
    view = provider.live_zone("example.com.")
    assert view.types("") == {"SOA", "NS", "A", "HINFO"}
    assert view.types("*") == {"A", "MX"}
    assert view.types("autodiscover") == {"CNAME"}


def test_includes_are_read_relative_to_the_file_that_names_them(tmp_path, monkeypatch):
    (tmp_path / "live/parts").mkdir(parents=True)
    (tmp_path / "live/example.com.zone").write_text(TEXT + "$INCLUDE parts/hosts.inc\n")
    (tmp_path / "live/parts/hosts.inc").write_text("host1 IN A 192.0.2.11\n$INCLUDE more.inc\n")
    (tmp_path / "live/parts/more.inc").write_text("host2 IN A 192.0.2.12\n")
    monkeypatch.chdir(tmp_path)  # not the zone's directory
    provider = ZoneFileProvider("local", str(tmp_path / "live"))
    zone = populated(provider)
    assert {"host1", "host2"} <= {r.name for r in zone.records}
    cname = next(r for r in zone.records if r._type == "CNAME")
    provider.apply(analysed(zone, zone, [Delete(cname)], True))
    text = (tmp_path / "live/example.com.zone").read_text()
    assert (
        text
        == TEXT.replace(" 41 ", " 42 ").replace(
            "autodiscover IN CNAME autodiscover.outlook.com.\n", ""
        )
        + "$INCLUDE parts/hosts.inc\n"
    )


def test_a_missing_include_is_a_clear_error(tmp_path):
    (tmp_path / "live").mkdir()
    (tmp_path / "live/example.com.zone").write_text(TEXT + "$INCLUDE gone.inc\n")
    provider = ZoneFileProvider("local", str(tmp_path / "live"))
    with pytest.raises(ZoneFileError, match=r"cannot read zone example.com.*gone\.inc.*fix the"):
        populated(provider)
