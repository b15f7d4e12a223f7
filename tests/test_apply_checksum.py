"""`apply --plan/--checksum` as a CI job runs it: retries and typos are told apart from a
plan that changed since review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import one_error_line, run_cli


def live_files(ws: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((ws / "live").glob("*.zone"))}


def test_a_retry_of_an_applied_reviewed_plan_exits_0_and_writes_nothing(workspace: Path):
    planned = run_cli("plan", "--format", "json", "--save-json", "plan.json", cwd=workspace)
    assert planned.returncode == 0, planned.stderr
    first = run_cli("apply", "--plan", "plan.json", cwd=workspace)
    assert first.returncode == 0, first.stderr
    assert "applied contoso.com." in first.stdout
    before = live_files(workspace)

    again = run_cli("apply", "--plan", "plan.json", "--quiet", cwd=workspace)
    assert again.returncode == 0, again.stderr
    assert "Nothing to apply: live DNS already matches the zone files" in again.stdout
    assert "\napplied " not in "\n" + again.stdout
    assert live_files(workspace) == before


@pytest.mark.parametrize("checksum", ["abc123", "z" * 64, "0" * 63, "0" * 65])
def test_a_malformed_checksum_is_named_as_malformed_and_nothing_is_written(
    workspace: Path, checksum: str
):
    out = run_cli("apply", "--checksum", checksum, cwd=workspace)
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert "is malformed" in line
    assert "64 hex digits" in line
    assert "plan changed" not in line
    assert not (workspace / "live").exists()


def test_a_plan_file_with_a_malformed_checksum_is_named(workspace: Path):
    (workspace / "plan.json").write_text(json.dumps({"checksum": "not-a-checksum"}))
    out = run_cli("apply", "--plan", "plan.json", cwd=workspace)
    assert out.returncode == 1
    assert "plan.json: its checksum is malformed" in one_error_line(out.stderr)
    assert not (workspace / "live").exists()


def test_a_well_formed_but_stale_checksum_with_changes_pending_is_still_refused(
    workspace: Path,
):
    out = run_cli("apply", "--checksum", "0" * 64, cwd=workspace)
    assert out.returncode == 1
    assert "the plan changed since it was reviewed" in out.stderr
    assert not (workspace / "live").exists()
