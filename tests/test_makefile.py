"""The Makefile as a user drives it: `make help`, and output that can be redirected."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

from tests.helpers import ROOT
from tests.servers.fixtures import missing


def make(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        missing("make is not installed")
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_make_help_lists_every_target_with_a_description():
    out = make("help")
    assert out.returncode == 0, out.stderr
    targets = set(re.findall(r"^  make (\w+)\s+\S", out.stdout, re.M))
    declared = set(re.search(r"^\.PHONY: (.*)$", (ROOT / "Makefile").read_text(), re.M)[1].split())
    assert targets == declared


def test_make_plan_format_json_writes_only_the_plan_to_stdout():
    out = make("plan", "FORMAT=json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)  # nothing but the plan: make echoes no command
    assert report["summary"]["zones"] >= 1


def test_example_outputs_named_in_the_readme_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text().split()
    for name in ("plan.json", "plan.md", "outlook.reg", "status.html"):
        assert f"/{name}" in ignored, name
