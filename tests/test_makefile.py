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


def bench_command(*args: str) -> str:
    """The benchmark command `make bench ARGS` runs (make -n: printed, not run)."""
    out = make("-n", "bench", *args)
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if "-m bench.run" in line]
    assert len(lines) == 1, out.stdout
    return " ".join(lines[0].split())


def test_make_bench_small_n_is_quick_and_leaves_benchmarks_md_alone():
    """The full run (the default N=1000) keeps its scale runs and profile and updates
    BENCHMARKS.md; a small N skips them and writes to artifacts/ unless asked."""
    full = bench_command()
    assert full.endswith("-m bench.run --n 1000 --scale --profile --out BENCHMARKS.md"), full
    quick = bench_command("N=50")
    assert quick.endswith("-m bench.run --n 50 --out artifacts/bench-n50.md"), quick
    scaled = bench_command("N=50", "SCALE=1")
    assert scaled.endswith("--n 50 --scale --profile --out artifacts/bench-n50.md"), scaled
    assert bench_command("SCALE=").endswith("--n 1000 --out artifacts/bench-n1000.md")
    asked = bench_command("N=50", "BENCH_OUT=BENCHMARKS.md")
    assert asked.endswith("--n 50 --out BENCHMARKS.md"), asked
    assert "/artifacts/" in (ROOT / ".gitignore").read_text().split()
