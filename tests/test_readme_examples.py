"""README's examples run as written on a fresh clone (after any make target built .venv).

Every shell line of README that works without credentials or internet is run; each code
block in order, in a fresh copy of the repository (a block is one example). Lines for
real providers (--provider cloudflare, CONFIG=config/octodns.yaml, --resolver 1.1.1.1,
import) and the developer targets (test, lint, bench) are left out by the rules below,
which a test also checks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

#: lines that need credentials, internet, or are the developer's own targets
NOT_LOCAL = re.compile(
    r"--provider cloudflare|octodns\.yaml|--resolver 1\.1\.1\.1| import |make (test|lint|bench)"
)


def readme_blocks() -> list[list[str]]:
    """Shell lines of README's code blocks that run plan.py or a make target, per block."""
    blocks: list[list[str]] = []
    inside = False
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            inside = not inside
            if inside:
                blocks.append([])
            continue
        command = line.split("  #")[0].strip()
        if inside and re.match(r"(\.venv/bin/python plan\.py|make) ", command + " "):
            blocks[-1].append(command)
    return [b for b in blocks if b]


def readme_commands() -> list[str]:
    return [c for block in readme_blocks() for c in block]


def local_blocks() -> list[list[str]]:
    blocks = [[c for c in block if not NOT_LOCAL.search(c)] for block in readme_blocks()]
    return [b for b in blocks if b]


def local_commands() -> list[str]:
    return [c for block in local_blocks() for c in block]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A fresh clone's files; .venv is the one this suite runs in (timestamps kept, so make
    does not rebuild it)."""
    for name in ("config", "zones", "examples"):
        shutil.copytree(ROOT / name, tmp_path / name)
    for name in ("Makefile", "requirements-runtime.txt", "requirements-dev.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    for name in (".venv", "plan.py", "providers"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(
        command, shell=True, cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def test_the_local_examples_are_found_and_the_rules_leave_out_only_remote_ones():
    commands = readme_commands()
    local = local_commands()
    assert "make plan" in local
    assert "make apply PLAN=plan.json" in local
    assert any(c.startswith(".venv/bin/python plan.py add ") for c in local)
    assert not any(c.startswith("python ") for c in commands), "python has no dependencies"
    left_out = [c for c in commands if c not in local]
    assert all(NOT_LOCAL.search(c) for c in left_out)


@pytest.mark.parametrize("block", local_blocks(), ids=lambda b: b[0][:40])
def test_every_local_readme_example_runs_as_written(clone: Path, block: list[str]):
    for command in block:
        out = run(command, clone)
        assert out.returncode == 0, f"{command}\n{out.stdout}\n{out.stderr}"
        assert "Traceback" not in out.stderr, command
        if "FORMAT=json" in command:
            assert json.loads(out.stdout)["zones"], "make prints only the JSON on stdout"
    if "make apply PLAN=plan.json" in block:
        assert (clone / "live/contoso.com.zone").is_file(), "the reviewed plan was applied"
