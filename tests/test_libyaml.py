"""LibYamlProvider reads zone files into exactly what octoDNS's YamlProvider reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from octodns.provider.yaml import YamlProvider
from octodns.zone import Zone

from providers.libyaml import LibYamlProvider

ROOT = Path(__file__).resolve().parent.parent

#: a zone file with what octoDNS allows beyond our own files: lists, several types, TXT
RICH = """---
'':
  - type: A
    values:
      - 192.0.2.1
      - 192.0.2.2
  - type: TXT
    value: v=spf1 include:_spf.example.net -all
_autodiscover._tcp:
  octodns:
    autodiscover:
      platform: exchange-2016
  ttl: 600
  type: SRV
  value:
    port: 443
    priority: 0
    target: exchange.emailservice.io.
    weight: 0
mail9:
  type: A
  value: 192.0.2.9
mail10:
  type: A
  value: 192.0.2.10
"""


def populate(cls, directory: Path, zone: str, **options) -> Zone:
    options = {"default_ttl": 3600, "enforce_order": True, "escaped_semicolons": True, **options}
    found = Zone(zone, [])
    cls("zones", str(directory), **options).populate(found)
    return found


def records(zone: Zone) -> list[tuple]:
    """Each record as data, with the file/line context octoDNS keeps for messages."""
    return sorted(
        (r.name, r._type, r.ttl, repr(r.data), getattr(r.context, "__str__", str)())
        for r in zone.records
    )


def test_the_example_zones_read_the_same():
    folder = ROOT / "zones" / "local"
    zones = sorted(p.stem for p in folder.glob("*.yaml"))
    assert len(zones) >= 5
    for name in zones:
        stock = populate(YamlProvider, folder, f"{name}.")
        ours = populate(LibYamlProvider, folder, f"{name}.")
        assert records(ours) == records(stock), name
        assert records(ours), name


@pytest.mark.parametrize("order_mode", ["natural", "simple"])
def test_lists_defaults_and_order_modes_read_the_same(tmp_path, order_mode):
    text = RICH if order_mode == "natural" else RICH.replace("mail10", "mail90")
    (tmp_path / "example.com.yaml").write_text(text)
    stock = populate(YamlProvider, tmp_path, "example.com.", order_mode=order_mode)
    ours = populate(LibYamlProvider, tmp_path, "example.com.", order_mode=order_mode)
    assert records(ours) == records(stock)
    assert {r.ttl for r in ours.records} == {3600, 600}  # default_ttl filled in, explicit kept
    assert "line 10, column 3" in str(next(r for r in ours.records if r._type == "SRV").context)


def test_keys_out_of_order_fail_with_octodns_own_message(tmp_path):
    (tmp_path / "example.com.yaml").write_text(RICH.replace("mail9", "mail99"))
    errors = []
    for cls in (YamlProvider, LibYamlProvider):
        with pytest.raises(yaml.constructor.ConstructorError) as caught:
            populate(cls, tmp_path, "example.com.")
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "keys out of order: expected mail10 got mail99" in errors[1]


def test_unescaped_semicolons_fall_back_to_octodns_reader(tmp_path):
    """escaped_semicolons: false rewrites TXT values; octoDNS's own code does that."""
    (tmp_path / "example.com.yaml").write_text(RICH.replace("-all", "-all; v=x"))
    stock = populate(YamlProvider, tmp_path, "example.com.", escaped_semicolons=False)
    ours = populate(LibYamlProvider, tmp_path, "example.com.", escaped_semicolons=False)
    assert records(ours) == records(stock)
    assert any("-all\\\\; v=x" in repr(r.data) for r in ours.records)


def test_include_falls_back_to_octodns_reader(tmp_path):
    (tmp_path / "srv.yaml").write_text(
        "type: SRV\nvalue:\n  port: 443\n  priority: 0\n  target: exchange.emailservice.io.\n"
        "  weight: 0\n"
    )
    (tmp_path / "example.com.yaml").write_text("---\n_autodiscover._tcp: !include srv.yaml\n")
    stock = populate(YamlProvider, tmp_path, "example.com.")
    ours = populate(LibYamlProvider, tmp_path, "example.com.")
    assert records(ours) == records(stock)
    assert [r._type for r in ours.records] == ["SRV"]


def test_files_checked_offline_are_not_parsed_again_unless_changed(workspace, monkeypatch):
    """prepare() leaves each parsed file for the provider's one read; an edit since is re-read."""
    import providers.libyaml as libyaml
    from providers.planner.configuration import prepare

    run = prepare(Path("config/local.yaml"))
    folder = workspace / "zones" / "local"
    first, second = run.zone_files[0], run.zone_files[1]
    text = second.path.read_text()
    second.path.write_text(text.replace("ttl: 3600", "ttl: 600"))
    parsed: list[str] = []
    real_load = yaml.load

    def counting_load(stream, Loader):  # yaml.load's own parameter name
        parsed.append(Path(stream.name).name)
        return real_load(stream, Loader=Loader)

    monkeypatch.setattr(libyaml.yaml, "load", counting_load)
    zone = populate(LibYamlProvider, folder, first.zone)
    assert parsed == []  # the checked data, not a second parse
    assert records(zone)
    changed = populate(LibYamlProvider, folder, second.zone)
    assert parsed == [second.path.name]  # edited after the check: read again
    assert {r.ttl for r in changed.records if r._type == "SRV"} == {600}
    again = populate(LibYamlProvider, folder, first.zone)
    assert parsed == [second.path.name, first.path.name]  # the kept data is used once
    # the same records; only the file named in the line context is spelled as prepare() got it
    assert [r[:4] for r in records(again)] == [r[:4] for r in records(zone)]


@pytest.mark.parametrize(
    "text",
    [
        "---\na:\n  ttl:\t300\n  type: A\n  value: 192.0.2.1\n",  # libyaml allows this tab
        "---\na: {type: A,\tvalue: 192.0.2.1}\n",
        "---\na: !inclu%64e a.yaml\n",  # !include, spelled so no literal '!include' shows
        "%TAG !i! !inclu\n---\na: !i!de a.yaml\n",
    ],
    ids=["tab-after-colon", "tab-in-flow", "escaped-include", "tag-directive"],
)
def test_what_libyaml_reads_differently_goes_to_octodns_reader(tmp_path, text):
    """Tabs, tags and directives: the same records, or the same error, as octoDNS."""
    (tmp_path / "a.yaml").write_text("type: A\nvalue: 192.0.2.7\n")
    (tmp_path / "example.com.yaml").write_text(text)
    outcomes = []
    for cls in (YamlProvider, LibYamlProvider):
        try:
            outcomes.append(records(populate(cls, tmp_path, "example.com.")))
        except yaml.YAMLError as e:
            outcomes.append(f"{type(e).__name__}: {e}")
    assert outcomes[1] == outcomes[0]
