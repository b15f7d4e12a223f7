"""Fixtures: a fresh-clone workspace and the real DNS servers of tests/servers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.servers.fixtures import *  # noqa: F403


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of config/, examples/ and zones/ as a fresh clone has them; cwd is set to it."""
    for name in ("config", "examples", "zones"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def ws(workspace: Path) -> Path:
    """The fresh-clone workspace without the local examples: only the backend under test."""
    for path in (workspace / "zones/local").glob("*.yaml"):
        path.unlink()
    return workspace
