"""``--shard I/N``: plan and apply only shard I's zones; every zone in exactly one shard.

Runs ``plan.py`` as a user does against the embedded default (config/local.yaml:
the example zones under zones/local/, live zone files written to live/), so
no server is needed. Nothing here computes the shard itself: the CLI's own
outputs must partition the estate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

CONFIG = "config/local.yaml"


def plan(ws: Path, *args: str) -> dict[str, set[tuple[str, str, str]]]:
    out = run_cli("plan", "--config", CONFIG, "--format", "json", "--quiet", *args, cwd=ws)
    assert out.returncode == 0, out.stderr
    return {
        z["zone"]: {(c["action"], c["name"], c["type"]) for c in z["changes"]}
        for z in json.loads(out.stdout)["zones"]
    }


def live_files(ws: Path) -> dict[str, str]:
    """live/<zone>.zone files the local provider wrote, by name."""
    return {p.name: p.read_text() for p in sorted(ws.glob("live/*.zone"))}


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_partition_the_zones_and_plan_the_same_changes(workspace: Path, count: int):
    whole = plan(workspace)
    assert len(whole) >= 5, whole
    assert any(whole.values()), "the example estate has changes to plan"
    shards = [plan(workspace, "--shard", f"{i}/{count}") for i in range(1, count + 1)]
    seen: list[str] = [zone for shard in shards for zone in shard]
    assert sorted(seen) == sorted(whole), "every zone in exactly one shard"
    for shard in shards:
        for zone, changes in shard.items():
            assert changes == whole[zone], zone
    if count == 1:
        assert shards[0] == whole
    again = [plan(workspace, "--shard", f"{i}/{count}") for i in range(1, count + 1)]
    assert [set(s) for s in again] == [set(s) for s in shards], "the same zones every run"


def test_apply_of_one_shard_applies_only_its_zones(workspace: Path):
    whole = plan(workspace)
    first = plan(workspace, "--shard", "1/2")
    second = plan(workspace, "--shard", "2/2")
    changing_first = {z for z, c in first.items() if c}
    changing_second = {z for z, c in second.items() if c}
    assert changing_first, "pick a shard split with changes on both sides"
    assert changing_second, "pick a shard split with changes on both sides"
    assert live_files(workspace) == {}, "a fresh clone has no live/ files"

    out = run_cli("apply", "--config", CONFIG, "--shard", "1/2", cwd=workspace)
    assert out.returncode == 0, out.stderr
    applied = {line.split()[1] for line in out.stdout.splitlines() if line.startswith("applied ")}
    assert applied == changing_first
    assert set(live_files(workspace)) == {f"{zone}zone" for zone in changing_first}

    after = plan(workspace)
    assert {z for z, c in after.items() if c} == changing_second
    for zone in changing_second:
        assert after[zone] == whole[zone]
    assert plan(workspace, "--shard", "1/2") == {zone: set() for zone in first}


@pytest.mark.parametrize("shard", ["0/2", "3/2", "1/0", "x/2", "2"])
def test_bad_shard_is_a_usage_error(workspace: Path, shard: str):
    for command in ("plan", "apply"):
        out = run_cli(command, "--config", CONFIG, "--shard", shard, cwd=workspace)
        assert out.returncode == 1, out.stdout
        assert "Traceback" not in out.stderr
        line = out.stderr.splitlines()[-1]
        assert line.startswith("error: argument --shard: "), out.stderr
        assert shard in line, line
    assert live_files(workspace) == {}, "nothing applied"
