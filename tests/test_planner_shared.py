"""The planner's shared paths: atomic writes, the zone-file writer, finding the processor."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from providers.core.files import write_atomically
from providers.planner.configuration import (
    PROCESSOR_CLASS,
    ConfigError,
    RunConfig,
    check_ownership,
    manager_processor,
    processor_entry,
    processor_ids,
)
from providers.planner.repository import RepositoryError, render_zone_file, write_zone_file

SRV = {
    "_autodiscover._tcp": {
        "octodns": {"autodiscover": {"platform": "exchange-2016"}},
        "ttl": 3600,
        "type": "SRV",
        "value": {"port": 443, "priority": 0, "target": "exchange.emailservice.io.", "weight": 0},
    }
}


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.startswith(".")]


def test_atomic_write_creates_with_the_umask_and_keeps_an_existing_mode(tmp_path: Path):
    path = tmp_path / "sub" / "f.txt"
    old = os.umask(0o027)
    try:
        assert write_atomically(path, "one\n")
    finally:
        os.umask(old)
    assert path.read_text() == "one\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    path.chmod(0o600)
    assert write_atomically(path, "two\n")
    assert path.read_text() == "two\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert write_atomically(path, "three\n", mode=0o644)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert leftovers(path.parent) == []


def test_atomic_write_without_replace_never_overwrites(tmp_path: Path):
    path = tmp_path / "f.txt"
    assert write_atomically(path, "first\n", replace=False)
    assert not write_atomically(path, "second\n", replace=False)
    assert path.read_text() == "first\n"
    assert leftovers(tmp_path) == []


def test_zone_file_writer_creates_checks_and_refuses_changed_files(tmp_path: Path):
    path = tmp_path / "local" / "wingtip.com.yaml"
    assert write_zone_file(path, "wingtip.com.", SRV)
    text = path.read_text()
    assert text == render_zone_file(SRV)
    assert text.startswith("---\n_autodiscover._tcp:\n")
    assert not write_zone_file(path, "wingtip.com.", SRV)  # exists: never overwritten
    sub = {**SRV, "_autodiscover._tcp.us": SRV["_autodiscover._tcp"]}
    assert not write_zone_file(path, "wingtip.com.", sub, previous="something else")
    assert path.read_text() == text
    assert write_zone_file(path, "wingtip.com.", sub, previous=text)
    assert "_autodiscover._tcp.us:" in path.read_text()
    bad = {"www": {"type": "A", "value": "192.0.2.1"}}
    with pytest.raises(RepositoryError, match=r"only _autodiscover\._tcp"):
        write_zone_file(tmp_path / "local" / "other.com.yaml", "other.com.", bad)
    assert not (tmp_path / "local" / "other.com.yaml").exists()
    assert leftovers(path.parent) == []


def config(processors: dict, manager: list | None = None, zones: dict | None = None) -> dict:
    data: dict = {"providers": {}, "processors": processors, "zones": zones or {}}
    if manager is not None:
        data["manager"] = {"processors": manager}
    return data


def test_processor_found_by_class_path_manager_level_first():
    ours = {"class": PROCESSOR_CLASS, "catalog": "a.yaml"}
    processors = {
        "other": {"class": "octodns.processor.filter.TypeAllowlistFilter"},
        "first": ours,
        "second": {**ours, "catalog": "b.yaml"},
        "lookalike": {"class": "elsewhere.AutodiscoverProcessor"},
    }
    assert processor_ids(config(processors)) == ["first", "second"]
    zones = {"a.com.": {"sources": ["z"], "targets": ["t"], "processors": ["second"]}}
    assert processor_ids(config(processors, zones=zones)) == ["second", "first"]
    data = config(processors, manager=["first"], zones=zones)
    assert processor_entry(data) == ("first", {"catalog": "a.yaml"})
    assert processor_entry(config({"other": processors["other"]})) is None


def test_ownership_check_honours_manager_level_processors(tmp_path: Path):
    processors = {"mine": {"class": PROCESSOR_CLASS}}
    zones = {"a.com.": {"sources": ["z"], "targets": ["t"]}}
    check_ownership(tmp_path / "c.yaml", config(processors, manager=["mine"], zones=zones))
    with pytest.raises(ConfigError, match="does not run the Autodiscover processor"):
        check_ownership(tmp_path / "c.yaml", config(processors, zones=zones))


def test_pruned_config_for_named_providers_has_only_them_and_no_zones(tmp_path: Path):
    data = config({"mine": {"class": PROCESSOR_CLASS}}, manager=["mine"])
    data["providers"] = {"a": {"class": "x.A", "token": "env/A_TOKEN"}, "b": {"class": "x.B"}}
    data["zones"] = {"a.com.": {"sources": ["b"], "targets": ["a"]}}
    run = RunConfig(tmp_path / "c.yaml", data, [], {}, [])
    pruned = run.write_pruned(["a"])
    try:
        assert yaml.safe_load(pruned.read_text()) == {
            "manager": {"processors": ["mine"]},
            "providers": {"a": {"class": "x.A", "token": "env/A_TOKEN"}},
            "zones": {},
        }
    finally:
        pruned.unlink()
    with pytest.raises(ConfigError, match=r"^provider a needs environment variable\(s\) A_TOKEN"):
        run.check_environment(["a"], purpose="to list its zones")


def test_processor_found_on_a_manager_by_type_manager_level_first():
    from types import SimpleNamespace

    from providers.processor import AutodiscoverProcessor

    catalog = str(Path(__file__).resolve().parents[1] / "config/platforms.yaml")
    first = AutodiscoverProcessor("first", catalog=catalog)
    second = AutodiscoverProcessor("second", catalog=catalog)
    manager = SimpleNamespace(
        processors={"other": object(), "first": first, "second": second},
        config={"manager": {"processors": ["second"]}, "zones": {}},
    )
    assert manager_processor(manager) is second
    manager.config = {"zones": {}}
    assert manager_processor(manager) is first
    manager.processors = {"other": object()}
    with pytest.raises(ConfigError, match="the config has no providers"):
        manager_processor(manager)


def test_add_domain_declares_in_the_parent_zone_file(workspace: Path):
    from providers.planner.configuration import add_domain

    config_path = Path("config/local.yaml")
    added = add_domain(config_path, "wingtip.com", "exchange-2016", "local")
    assert added.path == Path("zones/local/wingtip.com.yaml")
    assert added.name == "_autodiscover._tcp"
    assert added.catalog.get("exchange-2016").port == 443
    sub = add_domain(config_path, "us.wingtip.com", "cloudmail", "local", policy="shield")
    assert (sub.path, sub.name) == (added.path, "_autodiscover._tcp.us")
    text = added.path.read_text()
    assert "_autodiscover._tcp:" in text
    assert "policy: shield" in text
    with pytest.raises(RepositoryError, match="already declared"):
        add_domain(config_path, "wingtip.com", "cloudmail", "local")
    with pytest.raises(ConfigError, match=r"^unknown provider 'gandi'; use one of "):
        add_domain(config_path, "fabrikam.com", "cloudmail", "gandi")
