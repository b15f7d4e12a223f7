"""The autodiscover-dns benchmark: plan, apply and confirm at scale, against every backend.

    python -m bench.run --n 1000 [--backends local,powerdns,bind,route53,cloudflare]
                        [--repeat 3] [--scale] [--profile] [--out BENCHMARKS.md] [--json FILE]

For each backend it generates N realistic domains (bench/generate.py), seeds the
backend through its own interface (zone files for ``local``; BIND zone files at
``named`` start; the PowerDNS HTTP API; boto3 against moto; the Cloudflare
fake's store), then runs the CLI as a user would, as subprocesses in a work
directory holding a copy of ``config/`` and the generated ``zones/``:

- ``plan.py plan`` and, side by side (interleaved, same count), a plain
  ``octodns-sync`` dry run over an equivalent octoDNS config: same zones, same
  providers, octoDNS's own NameAllowlistFilter + TypeAllowlistFilter instead of
  our AutodiscoverProcessor (written to ``baseline.yaml`` in the work dir);
- ``plan.py apply``, then ``plan.py plan`` again (must plan no change);
- ``plan.py confirm`` where the backend serves DNS (local via --serve-local,
  BIND and PowerDNS via --nameserver).

Per run: wall time, CPU time and peak RSS of the child (os.wait4), API
requests seen by the server (Cloudflare fake's log, PowerDNS webserver log,
named's transfer/update log, moto's request log; files written for local),
429s, and whether progress lines stayed on stderr.

``--scale`` adds the issue's scale targets: planning 10,000 zones (peak RSS),
apply and confirm of 10,000 domains against a local named, and a 2,000-domain
plan + apply against the Cloudflare fake with a time-scaled rate limit.
``--profile`` profiles plan.py and octodns-sync (cProfile) at N local zones.

Results go to ``--out`` (markdown, replacing the block between the bench
markers and keeping the rest of the file) and ``--json``. Progress of the
benchmark itself goes to stderr. Every server started here is stopped here.

Ctrl-C (SIGINT) or SIGTERM stops the run cleanly: the CLI run in flight gets
SIGTERM (its process group, then SIGKILL after 5 s), every server started here is
stopped, the temporary work directory is removed (one given with ``--workdir`` is
kept), no report is written, and the exit code is 128 + the signal (130, 143).
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import platform
import pstats
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from octodns.provider.yaml import YamlProvider

from bench import generate as gen
from tests.servers import backends

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
OCTODNS_SYNC = str(Path(sys.executable).parent / "octodns-sync")
BACKENDS = ("local", "powerdns", "bind", "route53", "cloudflare")
RATIO_BACKENDS = ("local", "powerdns", "bind")
TARGET_RATIO = 1.10
TARGET_CONFIRM_SECONDS = 10.0
TARGET_RSS_MIB = 1024.0
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
STOCK_YAML_PROVIDER = "octodns.provider.yaml.YamlProvider"
#: what the baseline's TypeAllowlistFilter keeps: the types our processor can own
OWNED_TYPES = ["A", "AAAA", "ALIAS", "CNAME", "SRV", "TXT"]
#: Cloudflare's account limit, 1,200 requests per 300 s, scaled in time by default x100
CF_LIMIT = 1200
CF_BUDGET = 1100  # our provider's default budget per window
CF_REAL_WINDOW = 300.0


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


# -- interruption: stop children and servers, remove the work dir -----------------------

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
#: every server adapter built here and not stopped yet, and every CLI run in flight
SERVERS: list[backends.Backend] = []
CHILDREN: set[subprocess.Popen[bytes]] = set()


class Interrupted(BaseException):
    """SIGINT or SIGTERM: a BaseException, so no ``except Exception`` takes it for a
    failed backend; clean-up runs in the ``finally`` blocks on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_stop_signal(signum: int, _frame: object) -> None:
    # once: a second Ctrl-C must not cut the clean-up short (it is bounded: 10 s per server)
    for each in STOP_SIGNALS:
        signal.signal(each, signal.SIG_IGN)
    raise Interrupted(signum)


def catch_stop_signals() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_stop_signal)


def track(adapter: backends.Backend) -> backends.Backend:
    """Remember a server adapter until it is stopped (``stop_servers`` stops the rest)."""
    SERVERS.append(adapter)
    return adapter


def stop_server(adapter: backends.Backend) -> None:
    try:
        adapter.stop()
    finally:
        if adapter in SERVERS:
            SERVERS.remove(adapter)


def stop_servers() -> None:
    """Stop every server still running; each stop is safe when it never started."""
    for adapter in reversed(list(SERVERS)):
        try:
            stop_server(adapter)
        except Exception as e:  # stop the others anyway
            say(f"could not stop {adapter.id or 'a'} server: {type(e).__name__}: {e}")


def end_child(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the CLI run's process group (it stops between zones and stops its own
    named), SIGKILL to what is left after 5 s; reaped either way."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):  # the group's rest
            os.killpg(proc.pid, signal.SIGKILL)
        break
    if proc.returncode is None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    CHILDREN.discard(proc)


def remove_workdir(root: Path) -> None:
    """Remove ``root``; again after a moment if a dying child still wrote into it."""
    for _ in range(3):
        shutil.rmtree(root, ignore_errors=True)
        if not root.exists():
            return
        time.sleep(0.5)
    say(f"could not remove the work dir {root} completely")


# -- measuring one subprocess ---------------------------------------------------------


@dataclass
class Measure:
    label: str
    argv: list[str]
    rc: int
    wall: float
    cpu: float
    maxrss_mib: float
    stdout: str
    stderr: str
    requests: dict[str, int] = field(default_factory=dict)

    def out(self) -> str:
        return Path(self.stdout).read_text(errors="replace")

    def err(self) -> str:
        return Path(self.stderr).read_text(errors="replace")


def measure(
    label: str, argv: list[str], cwd: Path, env: dict[str, str], logs: Path, timeout: float = 3600
) -> Measure:
    """Run ``argv``; wall time, the child's CPU time and peak RSS from os.wait4."""
    logs.mkdir(parents=True, exist_ok=True)
    stdout, stderr = logs / f"{label}.out", logs / f"{label}.err"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        started = time.monotonic()
        proc = subprocess.Popen(  # its own process group: an interrupt ends all of it
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True,
        )  # fmt: skip
        CHILDREN.add(proc)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            end_child(proc)
            raise
        finally:
            timer.cancel()
        CHILDREN.discard(proc)
        wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measure(
        label=label,
        argv=argv,
        rc=proc.returncode,
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        maxrss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        stdout=str(stdout),
        stderr=str(stderr),
    )


def short_argv(argv: list[str]) -> str:
    """The command as a user types it in the work dir."""
    parts = []
    for a in argv:
        if a == PYTHON:
            parts.append("python")
        elif a == str(ROOT / "plan.py"):
            parts.append("plan.py")
        elif a == OCTODNS_SYNC:
            parts.append("octodns-sync")
        else:
            parts.append(a)
    return " ".join(parts)


# -- the work directory -----------------------------------------------------------------


def base_env(pycache: Path) -> dict[str, str]:
    """The environment of every CLI run: no credentials of this machine, bytecode cached.

    PYTHONDONTWRITEBYTECODE is dropped and .pyc files go to a private prefix, as
    on a normal install (else each run recompiles providers/ from source).
    """
    drop = ("CLOUDFLARE_", "AWS_", "BIND_", "PDNS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    for key in ("REQUIRE_SERVERS", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED"):
        env.pop(key, None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def make_workdir(work: Path, provider: str, domains: list[gen.Domain]) -> None:
    """config/ copied, zones/<provider>/ generated, the other zone folders empty."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(ROOT / "config", work / "config")
    for folder in ("local", "cloudflare", "route53", "bind", "powerdns"):
        (work / "zones" / folder).mkdir(parents=True, exist_ok=True)
    (work / "examples/live").mkdir(parents=True, exist_ok=True)
    gen.write_repository(work, provider, domains)


def write_baseline(work: Path, config: str, provider: str, domains: list[gen.Domain]) -> str:
    """baseline.yaml: the same zones/providers, octoDNS's name and type filters as policy."""
    data = yaml.safe_load((work / config).read_text())
    entry = data["zones"][f"*{provider}"]
    used = set(entry["sources"]) | set(entry["targets"])
    providers = {k: v for k, v in data["providers"].items() if k in used}
    for source in entry["sources"]:  # plain octoDNS reads the zone files, whatever ours does
        options = inspect.signature(YamlProvider.__init__).parameters
        conf = {k: v for k, v in providers[source].items() if k in options}
        providers[source] = {"class": STOCK_YAML_PROVIDER, **conf}
    baseline = {
        "manager": data.get("manager", {}),
        "providers": providers,
        "processors": {
            "autodiscover-names": {
                "class": "octodns.processor.filter.NameAllowlistFilter",
                "allowlist": gen.allowlist_names(domains),
            },
            "autodiscover-types": {
                "class": "octodns.processor.filter.TypeAllowlistFilter",
                "allowlist": OWNED_TYPES,
            },
        },
        "zones": {
            f"*{provider}": {
                "sources": entry["sources"],
                "processors": ["autodiscover-names", "autodiscover-types"],
                "targets": entry["targets"],
            }
        },
    }
    (work / "baseline.yaml").write_text(yaml.safe_dump(baseline, sort_keys=False))
    return "baseline.yaml"


# -- backends ---------------------------------------------------------------------------


class Backend:
    """A seeded backend for the benchmark: an adapter of tests/servers/backends.py (which
    builds, seeds, counts and stops the server) plus the work directory and the pauses."""

    def __init__(
        self,
        name: str,
        work: Path,
        window: float = 0.0,
        limit: int = CF_LIMIT,
        budget: int = CF_BUDGET,
    ) -> None:
        self.name = self.provider = name
        self.work = work
        options: dict[str, Any] = {}
        if name == "cloudflare":  # the strict fake with a time-scaled account rate limit
            options = {"token": "bench-cloudflare-token", "rate_limit": (limit, window),
                       "proxied": gen.CF_PROXIED, "nodelay": True}  # fmt: skip
        self.adapter = track(backends.create(name, work, **options))
        self.config = self.adapter.config
        self.window, self.limit, self.budget = window, limit, budget
        # each measured Cloudflare run starts with room for all its requests in the
        # rate-limit window: one window's wait, unless the requests since the last wait
        # and the next run's fit in half the limit (small N: most waits are skipped)
        self.pause = window + 0.2 if name == "cloudflare" else 0.0
        self.clear_at = 0  # requests the server had seen when the window was last empty
        self.upcoming = 0  # at most what one run asks for: reads, writes, re-reads

    def start(self, domains: list[gen.Domain]) -> None:
        if self.name == "cloudflare":  # our provider's budget, on the fake's time scale
            path = self.work / self.config
            data = yaml.safe_load(path.read_text())
            data["providers"]["cloudflare"].update(
                requests_per_window=self.budget, window_seconds=self.window
            )
            path.write_text(yaml.safe_dump(data, sort_keys=False))
        self.adapter.start()
        self.adapter.seed({d.zone: d.records for d in domains})
        self.upcoming = 2 * len(domains) + 10
        self.clear_at = self.requests()  # seeding goes to the store, not through the API

    def stop(self) -> None:
        stop_server(self.adapter)

    def env(self) -> dict[str, str]:
        return self.adapter.env()

    def counters(self) -> dict[str, int]:
        """Cumulative request counts by kind; the benchmark reports deltas."""
        return self.adapter.counters()

    def confirm_args(self) -> list[str] | None:
        if self.name == "local":
            return ["--serve-local"]
        nameserver = self.adapter.nameserver()
        return ["--nameserver", nameserver] if nameserver else None

    def requests(self) -> int:
        return sum(self.counters().values())

    def settle(self) -> None:
        """Before a timed run: wait one window unless what the window can hold already
        leaves room for the next run (see ``pause``)."""
        if not self.pause:
            return
        if self.requests() - self.clear_at + self.upcoming <= self.limit // 2:
            return
        time.sleep(self.pause)
        self.clear_at = self.requests()


def make_backend(name: str, work: Path, args) -> Backend:
    if name not in BACKENDS:
        raise SystemExit(f"unknown backend {name!r}; use {', '.join(BACKENDS)}")
    return Backend(name, work, window=args.cf_window if name == "cloudflare" else 0.0)


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    keys = sorted(set(before) | set(after))
    changes = {k: after.get(k, 0) - before.get(k, 0) for k in keys}
    return {k: v for k, v in changes.items() if v}


# -- one backend at N ---------------------------------------------------------------------


class Runner:
    """Runs the CLI against one seeded backend and keeps every measurement."""

    def __init__(self, backend: Backend, env: dict[str, str], logs: Path, tag: str) -> None:
        self.backend = backend
        self.env = env
        self.logs = logs
        self.tag = tag
        self.count = 0

    def run(self, phase: str, argv: list[str]) -> Measure:
        self.count += 1
        before = self.backend.counters()
        label = f"{self.tag}-{self.count:02d}-{phase}"
        m = measure(label, argv, self.backend.work, self.env, self.logs)
        m.requests = delta(before, self.backend.counters())
        return m

    def plan(self, *extra: str, fmt: str = "json") -> Measure:
        cfg = self.backend.config
        argv = [PYTHON, str(ROOT / "plan.py"), "plan", "--config", cfg, "--format", fmt, *extra]
        return self.run("plan", argv)

    def baseline(self) -> Measure:
        argv = [OCTODNS_SYNC, "--config-file", "baseline.yaml", "--force", "--quiet"]
        return self.run("octodns-sync", argv)

    def apply(self) -> Measure:
        argv = [PYTHON, str(ROOT / "plan.py"), "apply", "--config", self.backend.config]
        return self.run("apply", argv)

    def confirm(self, extra: list[str]) -> Measure:
        cfg = self.backend.config
        argv = [PYTHON, str(ROOT / "plan.py"), "confirm", "--config", cfg, "--format", "json"]
        return self.run("confirm", argv + extra)


def plan_summary(m: Measure) -> dict[str, Any]:
    """The JSON plan's summary, and where progress lines went."""
    out = m.out()
    info: dict[str, Any] = {
        "progress_lines_on_stderr": sum(
            1 for line in m.err().splitlines() if line.startswith("progress:")
        ),
        "progress_in_stdout": "progress:" in out,
    }
    try:
        info["summary"] = json.loads(out)["summary"]
    except (ValueError, KeyError):
        info["summary"] = None
        info["error"] = m.err().strip().splitlines()[-1:] or ["no output"]
    return info


def baseline_summary(m: Measure) -> dict[str, Any]:
    """Totals of octoDNS's plan output (PlanLogger 'Summary:' lines)."""
    totals = {"zones_with_changes": 0, "create": 0, "update": 0, "delete": 0}
    pattern = r"Summary: Creates=(\d+), Updates=(\d+), Deletes=(\d+)"
    for creates, updates, deletes in re.findall(pattern, m.err()):
        totals["zones_with_changes"] += 1
        totals["create"] += int(creates)
        totals["update"] += int(updates)
        totals["delete"] += int(deletes)
    return totals


def confirm_summary(m: Measure) -> dict[str, Any] | None:
    try:
        return json.loads(m.out())["summary"]
    except (ValueError, KeyError):
        return None


def phase_stats(runs: list[Measure], n: int) -> dict[str, Any]:
    walls = [r.wall for r in runs]
    cpus = [r.cpu for r in runs]
    requests = runs[-1].requests
    return {
        "runs": [asdict(r) for r in runs],
        "wall": statistics.median(walls),
        "cpu": statistics.median(cpus),
        "walls": walls,
        "cpus": cpus,
        "maxrss_mib": max(r.maxrss_mib for r in runs),
        "rc": [r.rc for r in runs],
        "requests": requests,
        "requests_per_zone": {k: round(v / n, 3) for k, v in requests.items() if k != "429"},
        "rate_limited": requests.get("429", 0),
        "command": short_argv(runs[-1].argv),
    }


def check(ok: bool, what: str, problems: list[str]) -> None:
    if not ok:
        problems.append(what)
        say(f"PROBLEM: {what}")


def bench_backend(name: str, n: int, args, root: Path, env0: dict[str, str]) -> dict[str, Any]:
    """Seed one backend with N domains; plan vs baseline, apply, plan again, confirm."""
    domains = gen.generate(n, seed=args.seed)
    expected = gen.summary(domains)
    work = root / f"{name}-{n}"
    backend = make_backend(name, work, args)
    make_workdir(work, backend.provider, domains)
    problems: list[str] = []
    result: dict[str, Any] = {"backend": name, "n": n, "dataset": expected, "problems": problems}
    try:
        began = time.monotonic()
        backend.start(domains)
        result["seed_seconds"] = round(time.monotonic() - began, 2)
        say(f"{name}: {n} zones seeded in {result['seed_seconds']} s")
        base = write_baseline(work, backend.config, backend.provider, domains)
        result["baseline_config"] = base
        env = dict(env0, **backend.env())
        runner = Runner(backend, env, root / "logs", f"{name}-{n}")

        backend.settle()  # warm-up: bytecode caches, page cache; not reported
        runner.plan("--quiet")
        backend.settle()
        runner.baseline()

        ours: list[Measure] = []
        theirs: list[Measure] = []
        for rep in range(args.repeat):
            order = ("ours", "theirs") if rep % 2 == 0 else ("theirs", "ours")
            for who in order:
                backend.settle()
                if who == "ours":
                    ours.append(runner.plan())
                    say(f"{name}: plan.py plan {ours[-1].wall:.2f} s (run {rep + 1})")
                else:
                    theirs.append(runner.baseline())
                    say(f"{name}: octodns-sync {theirs[-1].wall:.2f} s (run {rep + 1})")
        phases: dict[str, Any] = {}
        phases["plan"] = phase_stats(ours, n)
        phases["plan"].update(plan_summary(ours[-1]))
        phases["baseline"] = phase_stats(theirs, n)
        phases["baseline"]["summary"] = baseline_summary(theirs[-1])
        for m in ours + theirs:
            check(m.rc == 0, f"{m.label} exited {m.rc}: {m.err().strip()[-300:]}", problems)
        summary = phases["plan"]["summary"] or {}
        check(summary.get("zones") == n, f"{name}: plan has {summary.get('zones')} zones", problems)
        check(
            summary.get("zones_with_changes") == expected["expected_zones_with_changes"],
            f"{name}: plan has {summary.get('zones_with_changes')} zones with changes, "
            f"expected {expected['expected_zones_with_changes']}",
            problems,
        )
        check(not phases["plan"]["progress_in_stdout"], f"{name}: progress in JSON", problems)
        result["ratio"] = {
            "wall": phases["plan"]["wall"] / phases["baseline"]["wall"],
            "cpu": phases["plan"]["cpu"] / phases["baseline"]["cpu"],
            "target": TARGET_RATIO if name in RATIO_BACKENDS else None,
        }

        if name == "local":
            backend.settle()
            md = runner.plan(fmt="markdown")
            result["markdown_progress"] = {
                "progress_lines_on_stderr": sum(
                    1 for line in md.err().splitlines() if line.startswith("progress:")
                ),
                "progress_in_stdout": "progress:" in md.out(),
                "rc": md.rc,
            }
            check(md.rc == 0, f"{name}: markdown plan exited {md.rc}", problems)
            check("progress:" not in md.out(), f"{name}: progress in markdown", problems)
            if args.profile:
                result["profile"] = profile(runner, root / "profile", n)

        backend.settle()
        applied = runner.apply()
        phases["apply"] = phase_stats([applied], n)
        text = applied.out()
        phases["apply"]["zones_applied"] = len(re.findall(r"^applied ", text, re.M))
        phases["apply"]["zones_failed"] = len(re.findall(r"^FAILED ", applied.err(), re.M))
        phases["apply"]["retries_logged"] = applied.err().count("retry ")
        why = applied.err()[-300:]
        check(applied.rc == 0, f"{name}: apply exited {applied.rc}: {why}", problems)
        check(
            phases["apply"]["zones_applied"] == expected["expected_zones_with_changes"],
            f"{name}: {phases['apply']['zones_applied']} zones applied",
            problems,
        )
        say(f"{name}: apply {applied.wall:.2f} s")

        backend.settle()
        again = runner.plan("--quiet", "--detailed-exitcode")
        phases["replan"] = phase_stats([again], n)
        phases["replan"].update(plan_summary(again))
        left = (phases["replan"]["summary"] or {}).get("zones_with_changes")
        check(again.rc == 0 and left == 0, f"{name}: plan after apply: {left} zones left", problems)

        extra = backend.confirm_args()
        if extra is not None:
            confirmed = runner.confirm(extra)
            phases["confirm"] = phase_stats([confirmed], n)
            phases["confirm"]["summary"] = confirm_summary(confirmed)
            errors = (phases["confirm"]["summary"] or {}).get("error")
            check(
                confirmed.rc in (0, 2) and errors == 0,
                f"{name}: confirm exited {confirmed.rc} with {errors} errors",
                problems,
            )
            say(f"{name}: confirm {confirmed.wall:.2f} s")
        result["phases"] = phases
    finally:
        backend.stop()
    return result


# -- profile ------------------------------------------------------------------------------

#: (file suffix, function, what it is) reported from both profiles when present
PROFILE_POINTS = [
    ("providers/cli/__init__.py", "build_parser", "plan.py: CLI parser"),
    ("providers/planner/engine.py", "open", "plan.py: Engine.open (checks + Manager)"),
    (
        "providers/planner/configuration.py",
        "prepare",
        "plan.py: prepare (offline zone-file checks)",
    ),
    (
        "providers/planner/repository.py",
        "load_zone_yaml",
        "plan.py: strict YAML parse of zone files",
    ),
    ("octodns/manager.py", "__init__", "octoDNS Manager set-up"),
    ("octodns/manager.py", "sync", "octoDNS Manager.sync (populate + plan every zone)"),
    ("octodns/provider/yaml.py", "populate", "octoDNS YamlProvider.populate (zones/)"),
    ("providers/zonefile.py", "populate", "ZoneFileProvider.populate (live zone files)"),
    ("octodns/provider/base.py", "plan", "octoDNS BaseProvider.plan"),
    ("providers/processor.py", "process_source_zone", "processor: declarations check"),
    (
        "providers/processor.py",
        "process_source_and_target_zones",
        "processor: policy analysis + hiding",
    ),
    ("providers/processor.py", "process_plan", "processor: plan guard"),
    ("octodns/processor/filter.py", "_process", "octoDNS name/type filters (baseline)"),
    ("providers/planner/render.py", "build_report", "report (reasons, checksum)"),
    ("providers/planner/render.py", "render_json", "JSON rendering"),
    ("octodns/provider/plan.py", "run", "octoDNS PlanLogger output"),
]


def profile(runner: Runner, folder: Path, n: int) -> dict[str, Any]:
    """cProfile plan.py and octodns-sync once each; the costs that differ."""
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {"n": n, "runs": {}}
    commands = {
        "plan.py": [PYTHON, "-m", "cProfile", "-o", str(folder / "plan.py.prof"),
                    str(ROOT / "plan.py"), "plan", "--config", runner.backend.config,
                    "--format", "json", "--quiet"],
        "octodns-sync": [PYTHON, "-m", "cProfile", "-o", str(folder / "octodns-sync.prof"),
                         OCTODNS_SYNC, "--config-file", "baseline.yaml", "--force", "--quiet"],
    }  # fmt: skip
    for who, argv in commands.items():
        runner.backend.settle()
        m = runner.run(f"profile-{who}", argv)
        stats = pstats.Stats(str(folder / f"{who}.prof"))
        total = stats.total_tt
        points = []
        for suffix, func, what in PROFILE_POINTS:
            cum = sum(
                v[3]
                for (file, _line, name), v in stats.stats.items()
                if name == func and file.endswith(suffix)
            )
            if cum:
                points.append({"what": what, "cumulative": round(cum, 3)})
        top = sorted(
            ((v[2], f"{Path(k[0]).name}:{k[1]}({k[2]})") for k, v in stats.stats.items()),
            reverse=True,
        )[:12]
        out["runs"][who] = {
            "profiled_seconds": round(total, 3),
            "wall_under_profiler": round(m.wall, 3),
            "points": points,
            "top_tottime": [{"function": f, "tottime": round(t, 3)} for t, f in top],
            "file": str(folder / f"{who}.prof"),
        }
    return out


# -- scale scenarios ---------------------------------------------------------------------


def scale_local(n: int, args, root: Path, env0: dict[str, str]) -> dict[str, Any]:
    """Plan (peak RSS), apply and confirm 10,000 domains on the embedded default."""
    domains = gen.generate(n, seed=args.seed)
    work = root / f"scale-local-{n}"
    backend = Backend("local", work)
    make_workdir(work, "local", domains)
    backend.start(domains)
    write_baseline(work, backend.config, "local", domains)
    runner = Runner(backend, dict(env0), root / "logs", f"scale-local-{n}")
    problems: list[str] = []
    out: dict[str, Any] = {"n": n, "dataset": gen.summary(domains), "problems": problems}

    plan = runner.plan()
    out["plan"] = phase_stats([plan], n)
    out["plan"].update(plan_summary(plan))
    check(plan.rc == 0, f"scale plan exited {plan.rc}: {plan.err()[-300:]}", problems)
    say(f"scale: plan {n} zones {plan.wall:.1f} s, {plan.maxrss_mib:.0f} MiB")
    base = runner.baseline()
    out["baseline"] = phase_stats([base], n)
    out["baseline"]["summary"] = baseline_summary(base)
    out["ratio"] = {"wall": plan.wall / base.wall, "cpu": plan.cpu / base.cpu}
    say(f"scale: octodns-sync {n} zones {base.wall:.1f} s, {base.maxrss_mib:.0f} MiB")

    applied = runner.apply()
    out["apply"] = phase_stats([applied], n)
    out["apply"]["zones_applied"] = len(re.findall(r"^applied ", applied.out(), re.M))
    check(applied.rc == 0, f"scale apply exited {applied.rc}: {applied.err()[-300:]}", problems)
    say(f"scale: apply {n} zones {applied.wall:.1f} s")

    served = runner.confirm(["--serve-local"])
    out["confirm_serve_local"] = phase_stats([served], n)
    out["confirm_serve_local"]["summary"] = confirm_summary(served)
    say(f"scale: confirm --serve-local {n} domains {served.wall:.1f} s")

    # the same zones, as live/ holds them now, on a named started beforehand
    zones = {}
    for d in domains:
        live = work / "live" / f"{d.name}.zone"
        zones[d.zone] = (live if live.exists() else work / "examples/live" / live.name).read_text()
    named = track(backends.create("bind", work))
    assert isinstance(named, backends.Bind)
    try:
        began = time.monotonic()
        named.seed_texts(zones, timeout=max(60.0, n / 50))
        out["named_start_seconds"] = round(time.monotonic() - began, 2)
        confirmed = runner.confirm(["--nameserver", named.nameserver()])
    finally:
        stop_server(named)
    out["confirm"] = phase_stats([confirmed], n)
    out["confirm"]["summary"] = confirm_summary(confirmed)
    errors = (out["confirm"]["summary"] or {}).get("error")
    check(confirmed.rc in (0, 2) and errors == 0, f"scale confirm: {errors} errors", problems)
    say(f"scale: confirm --nameserver {n} domains {confirmed.wall:.1f} s")
    return out


def scale_cloudflare(n: int, args, root: Path, env0: dict[str, str]) -> dict[str, Any]:
    """Plan then apply, back to back, against the rate-limited fake: no failed request."""
    domains = gen.generate(n, seed=args.seed + 1)
    work = root / f"scale-cloudflare-{n}"
    backend = Backend("cloudflare", work, window=args.cf_window)
    make_workdir(work, "cloudflare", domains)
    problems: list[str] = []
    expected = gen.summary(domains)
    out: dict[str, Any] = {"n": n, "dataset": expected, "problems": problems}
    out["limit"] = {
        "fake": f"{backend.limit} requests per {args.cf_window:g} s",
        "budget": f"{backend.budget} requests per {args.cf_window:g} s",
        "time_scale": CF_REAL_WINDOW / args.cf_window,
    }
    try:
        backend.start(domains)
        runner = Runner(backend, dict(env0, **backend.env()), root / "logs", f"scale-cf-{n}")
        began = time.monotonic()
        plan = runner.plan()
        applied = runner.apply()  # no pause: the apply starts into plan's window
        out["plan_and_apply_seconds"] = round(time.monotonic() - began, 2)
        backend.settle()
        again = runner.plan("--quiet")
    finally:
        backend.stop()
    for key, m in (("plan", plan), ("apply", applied), ("replan", again)):
        out[key] = phase_stats([m], n)
        out[key]["retries_logged"] = m.err().count("retry ")
        out[key]["failed_requests"] = m.requests.get("failed", 0)
    out["plan"].update(plan_summary(plan))
    out["replan"].update(plan_summary(again))
    changed = (out["plan"]["summary"] or {}).get("zones_with_changes")
    out["apply"]["zones_applied"] = len(re.findall(r"^applied ", applied.out(), re.M))
    out["apply"]["zones_failed"] = len(re.findall(r"^FAILED ", applied.err(), re.M))
    pages = n // 50 + 1  # octodns-cloudflare reads until a page is not full
    out["expected"] = {"reads": pages + n, "zone_list_pages": pages, "writes": changed}
    check(plan.rc == 0, f"cloudflare plan exited {plan.rc}: {plan.err()[-300:]}", problems)
    why = applied.err()[-300:]
    check(applied.rc == 0, f"cloudflare apply exited {applied.rc}: {why}", problems)
    left = (out["replan"]["summary"] or {}).get("zones_with_changes")
    check(left == 0, f"cloudflare: {left} zones left after apply", problems)
    say(
        f"scale: cloudflare {n}: plan {plan.wall:.1f} s, apply {applied.wall:.1f} s, "
        f"429s {plan.requests.get('429', 0)}+{applied.requests.get('429', 0)}"
    )
    return out


# -- report ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions = {}
    for cmd, key in (([PYTHON, "-c", "import octodns; print(octodns.__version__)"], "octodns"),
                     (["/usr/sbin/named", "-v"], "named"),
                     (["/usr/sbin/pdns_server", "--version"], "pdns")):  # fmt: skip
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            text = (res.stdout + res.stderr).strip().splitlines()
            versions[key] = re.sub(r"^\w{3} \d+ [\d:]+ ", "", text[0]) if text else "?"
        except (OSError, subprocess.TimeoutExpired):
            versions[key] = "not installed"
    git = {}
    git_commands = {
        "commit": ["git", "rev-parse", "--short", "HEAD"],
        "changed": ["git", "status", "--porcelain", "--untracked-files=no"],
    }
    for key, cmd in git_commands.items():
        try:
            res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=20)
            git[key] = res.stdout
        except (OSError, subprocess.TimeoutExpired):
            git[key] = ""
    git["commit"] = git["commit"].strip() or "?"
    git["changed"] = sorted(line.split(maxsplit=1)[-1] for line in git["changed"].splitlines())
    return {
        "git": git,
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(ram / 2**30, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "versions": versions,
    }


def _fmt_requests(req: dict[str, Any], n: int) -> str:
    items = [(k, v) for k, v in req.items() if k not in ("429", "failed")]
    if not items:
        return "-"
    return ", ".join(f"{k} {v} ({v / n:.2f}/zone)" for k, v in items)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, r in results.get("backends", {}).items():
        if "ratio" not in r or name not in RATIO_BACKENDS:
            continue
        ratio = r["ratio"]["wall"]
        rows.append({
            "target": f"plan.py / octodns-sync wall time at {r['n']} zones, {name}",
            "goal": f"<= {TARGET_RATIO:.2f}",
            "measured": f"{ratio:.4f} (CPU {r['ratio']['cpu']:.4f})",
            "met": ratio <= TARGET_RATIO,
        })  # fmt: skip
    cf = results.get("backends", {}).get("cloudflare")
    for cf_run in filter(None, [cf, results.get("scale", {}).get("cloudflare")]):
        n = cf_run["n"]
        if "phases" not in cf_run and "apply" not in cf_run:
            continue  # that run failed; its problems are listed
        if "phases" in cf_run:
            plan, apply = cf_run["phases"]["plan"], cf_run["phases"]["apply"]
        else:
            plan, apply = cf_run["plan"], cf_run["apply"]
        pages = n // 50 + 1
        reads = plan["requests"].get("GET zones list", 0) + plan["requests"].get(
            "GET records list", 0
        )
        other_reads = sum(
            v for k, v in plan["requests"].items()
            if k.startswith("GET") and k not in ("GET zones list", "GET records list")
        )  # fmt: skip
        rows.append({
            "target": f"Cloudflare plan reads at {n} zones: zone-list pages + 1 per zone",
            "goal": f"<= {pages} + {n} = {pages + n}",
            "measured": f"{reads + other_reads} ({plan['requests'].get('GET zones list', 0)} "
                        f"pages + {plan['requests'].get('GET records list', 0)} record lists"
                        f"{f' + {other_reads} other' if other_reads else ''})",
            "met": reads + other_reads <= pages + n,
        })  # fmt: skip
        changed = (plan.get("summary") or {}).get("zones_with_changes", 0)
        writes = sum(v for k, v in apply["requests"].items() if not k.startswith("GET")
                     and k not in ("429", "failed"))  # fmt: skip
        batches = apply["requests"].get("POST batch", 0)
        rows.append({
            "target": f"Cloudflare apply writes at {n} zones: 1 batch per zone with changes",
            "goal": f"<= {changed}",
            "measured": f"{writes} ({batches} batch)",
            "met": writes <= changed,
        })  # fmt: skip
        failed = plan["requests"].get("failed", 0) + apply["requests"].get("failed", 0)
        zones_failed = apply.get("zones_failed", 0)
        limited = plan.get("rate_limited", 0) + apply.get("rate_limited", 0)
        rows.append({
            "target": f"Cloudflare plan + apply of {n} zones under the rate limit",
            "goal": "0 failed requests, 0 failed zones",
            "measured": f"{failed} failed requests, {zones_failed} failed zones, "
                        f"{limited} 429s (retried)",
            "met": failed == 0 and zones_failed == 0 and apply["rc"] == [0],
        })  # fmt: skip
    scale = results.get("scale", {}).get("local")
    if scale and "confirm" in scale:
        n = scale["n"]
        rows.append({
            "target": f"confirm {n} domains against a local named (--nameserver)",
            "goal": f"<= {TARGET_CONFIRM_SECONDS:g} s",
            "measured": f"{scale['confirm']['wall']:.2f} s",
            "met": scale["confirm"]["wall"] <= TARGET_CONFIRM_SECONDS,
        })  # fmt: skip
        rows.append({
            "target": f"confirm {n} domains with --serve-local (includes starting named)",
            "goal": f"<= {TARGET_CONFIRM_SECONDS:g} s (informative)",
            "measured": f"{scale['confirm_serve_local']['wall']:.2f} s",
            "met": scale["confirm_serve_local"]["wall"] <= TARGET_CONFIRM_SECONDS,
        })  # fmt: skip
        rows.append({
            "target": f"plan {n} zones, peak RSS",
            "goal": f"< {TARGET_RSS_MIB:.0f} MiB",
            "measured": f"{scale['plan']['maxrss_mib']:.0f} MiB "
                        f"(octodns-sync {scale['baseline']['maxrss_mib']:.0f} MiB)",
            "met": scale["plan"]["maxrss_mib"] < TARGET_RSS_MIB,
        })  # fmt: skip
    progress = []
    for r in results.get("backends", {}).values():
        p = r.get("phases", {}).get("plan")
        if p:
            progress.append(not p["progress_in_stdout"])
        if "markdown_progress" in r:
            progress.append(not r["markdown_progress"]["progress_in_stdout"])
    if progress:
        lines = sum(
            r.get("phases", {}).get("plan", {}).get("progress_lines_on_stderr", 0)
            for r in results.get("backends", {}).values()
        )
        rows.append({
            "target": "progress on stderr, never in JSON or markdown output",
            "goal": "none in stdout",
            "measured": f"{lines} progress lines on stderr in the last timed plans; "
                        f"{'none' if all(progress) else 'SOME'} in stdout",
            "met": all(progress),
        })  # fmt: skip
    return rows


def render_markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        BEGIN,
        "",
        f"## Results ({results['finished'][:10]})",
        "",
        "Generated by `bench/run.py`; do not edit between the bench markers.",
        "",
        f"- command: `{results['command']}` ({results['duration_seconds'] / 60:.1f} min)",
        f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, Linux "
        f"{m['kernel']}, Python {m['python']}, octoDNS {m['versions'].get('octodns')}, "
        f"{m['versions'].get('named')}, {m['versions'].get('pdns')}",
        f"- code: commit {m.get('git', {}).get('commit', '?')}"
        + (
            f" with uncommitted changes to {', '.join(m['git']['changed'])}"
            if m.get("git", {}).get("changed")
            else ""
        ),
        f"- load average (1 min) at start {results['load'][0]:.2f}, at end "
        f"{results['load'][1]:.2f}: the machine is shared, so CPU time is given beside "
        "wall time",
        f"- timed plans: median of {results['repeat']} runs each, plan.py and octodns-sync "
        "interleaved (order alternating), after one untimed warm-up run of each",
        "",
    ]
    rows = targets(results)
    if rows:
        lines += ["### Targets", "", "| target | goal | measured | met |", "|---|---|---|---|"]
        for row in rows:
            met = "yes" if row["met"] else "**no**"
            lines.append(f"| {row['target']} | {row['goal']} | {row['measured']} | {met} |")
        lines.append("")
    backends = results.get("backends", {})
    if backends:
        n = next(iter(backends.values()))["n"]
        lines += [
            f"### plan.py vs plain octodns-sync at {n} zones",
            "",
            "| backend | plan.py wall s | octodns-sync wall s | ratio wall | plan.py CPU s | "
            "octodns-sync CPU s | ratio CPU | plan.py changes | octodns-sync changes |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for name, r in backends.items():
            if "phases" not in r:
                lines.append(f"| {name} | failed: {'; '.join(r.get('problems', []))} |")
                continue
            p, b = r["phases"]["plan"], r["phases"]["baseline"]
            s, bs = p.get("summary") or {}, b.get("summary") or {}
            ours = f"{s.get('zones_with_changes')} zones: +{s.get('create')} ~{s.get('update')} "
            ours += f"-{s.get('delete')}"
            theirs = f"{bs.get('zones_with_changes')} zones: +{bs.get('create')} "
            theirs += f"~{bs.get('update')} -{bs.get('delete')}"
            lines.append(
                f"| {name} | {p['wall']:.2f} | {b['wall']:.2f} | {r['ratio']['wall']:.3f} | "
                f"{p['cpu']:.2f} | {b['cpu']:.2f} | {r['ratio']['cpu']:.3f} | {ours} | {theirs} |"
            )
        lines += [
            "",
            f"### Every phase at {n} zones",
            "",
            "| backend | phase | wall s | CPU s | peak RSS MiB | requests seen by the server "
            "(per zone) | 429s | result |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, r in backends.items():
            for phase, data in r.get("phases", {}).items():
                lines.append(
                    f"| {name} | {phase} | {data['wall']:.2f} | {data['cpu']:.2f} | "
                    f"{data['maxrss_mib']:.0f} | {_fmt_requests(data['requests'], n)} | "
                    f"{data['rate_limited']} | {_phase_result(phase, data)} |"
                )
        lines.append("")
    scale = results.get("scale", {})
    if "confirm" in scale.get("local", {}):
        s = scale["local"]
        n = s["n"]
        lines += [
            f"### {n} zones on the embedded default (local)",
            "",
            "| phase | wall s | CPU s | peak RSS MiB | result |",
            "|---|---|---|---|---|",
        ]
        for key in ("plan", "baseline", "apply", "confirm_serve_local", "confirm"):
            d = s[key]
            lines.append(
                f"| {key} | {d['wall']:.2f} | {d['cpu']:.2f} | {d['maxrss_mib']:.0f} | "
                f"{_phase_result(key, d)} |"
            )
        lines += [
            "",
            f"plan.py / octodns-sync at {n} zones: wall {s['ratio']['wall']:.3f}, CPU "
            f"{s['ratio']['cpu']:.3f}. `confirm` against a named started beforehand with the "
            f"same {n} zones (its start took {s.get('named_start_seconds', '?')} s, not "
            "counted); `confirm_serve_local` includes starting named over copies of the files.",
            "",
        ]
    if "apply" in scale.get("cloudflare", {}):
        c = scale["cloudflare"]
        n = c["n"]
        lines += [
            f"### {n} zones against the rate-limited Cloudflare fake",
            "",
            f"Fake: {c['limit']['fake']}; our provider's budget: {c['limit']['budget']} (the "
            f"account's 1,200 per 300 s and our default 1,100 per 300 s, time scaled "
            f"x{c['limit']['time_scale']:g}). Plan and apply run back to back, so the apply "
            f"starts while the plan's requests still fill the window. Plan + apply: "
            f"{c['plan_and_apply_seconds']} s.",
            "",
            "| phase | wall s | requests (per zone) | 429s | retries | failed requests | result |",
            "|---|---|---|---|---|---|---|",
        ]
        for key in ("plan", "apply", "replan"):
            d = c[key]
            lines.append(
                f"| {key} | {d['wall']:.2f} | {_fmt_requests(d['requests'], n)} | "
                f"{d['rate_limited']} | {d['retries_logged']} | {d['failed_requests']} | "
                f"{_phase_result(key, d)} |"
            )
        lines.append("")
    prof = next((r["profile"] for r in backends.values() if "profile" in r), None)
    if prof:
        lines += [f"### Profile at {prof['n']} local zones (cProfile, cumulative seconds)", ""]
        ours, theirs = prof["runs"].get("plan.py", {}), prof["runs"].get("octodns-sync", {})
        lines += [
            f"Total under the profiler: plan.py {ours.get('profiled_seconds')} s, "
            f"octodns-sync {theirs.get('profiled_seconds')} s.",
            "",
            "| where | plan.py | octodns-sync |",
            "|---|---|---|",
        ]
        a = {p["what"]: p["cumulative"] for p in ours.get("points", [])}
        b = {p["what"]: p["cumulative"] for p in theirs.get("points", [])}
        for _suffix, _func, what in PROFILE_POINTS:
            if what in a or what in b:
                lines.append(f"| {what} | {a.get(what, '-')} | {b.get(what, '-')} |")
        lines += ["", "Top own time in plan.py:", ""]
        lines += [f"- `{t['function']}` {t['tottime']} s" for t in ours.get("top_tottime", [])]
        lines.append("")
    problems = [p for r in backends.values() for p in r.get("problems", [])]
    problems += [p for s in scale.values() for p in s.get("problems", [])]
    if problems:
        lines += ["### Problems seen", ""] + [f"- {p}" for p in problems] + [""]
    lines += ["### Commands (run in the bench work dir)", ""]
    seen = set()
    for r in list(backends.values()) + list(scale.values()):
        for phase in list(r.get("phases", {}).values()) + [
            v for v in r.values() if isinstance(v, dict) and "command" in v
        ]:
            cmd = phase.get("command")
            cmd = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", cmd or "")
            if cmd and cmd not in seen:
                seen.add(cmd)
                lines.append(f"- `{cmd}`")
    lines += ["", END, ""]
    return "\n".join(lines)


def _phase_result(phase: str, data: dict[str, Any]) -> str:
    summary = data.get("summary") or {}
    rc = ",".join(str(c) for c in data.get("rc", []))
    if phase in ("plan", "replan"):
        return (
            f"exit {rc}; {summary.get('zones')} zones, {summary.get('zones_with_changes')} with "
            f"changes; {data.get('progress_lines_on_stderr', 0)} progress lines on stderr, "
            f"{'SOME' if data.get('progress_in_stdout') else 'none'} in stdout"
        )
    if phase == "baseline":
        return f"exit {rc}; {summary.get('zones_with_changes')} zones with changes"
    if phase == "apply":
        failed = data.get("zones_failed", 0)
        return f"exit {rc}; {data.get('zones_applied')} zones applied, {failed} failed"
    if phase.startswith("confirm"):
        return (
            f"exit {rc}; {summary.get('confirmed')} confirmed, {summary.get('conflict')} conflict "
            f"(policy report), {summary.get('pending')} pending, {summary.get('error')} error"
        )
    return f"exit {rc}"


def write_markdown(path: Path, block: str) -> None:
    """Replace the bench block of ``path`` (or append it); keep everything else."""
    if path.exists():
        text = path.read_text()
        if BEGIN in text and END in text:
            head, rest = text.split(BEGIN, 1)
            tail = rest.split(END, 1)[1]
            path.write_text(head + block.rstrip("\n") + tail)
            return
        path.write_text(text.rstrip("\n") + "\n\n" + block)
        return
    path.write_text("# Benchmarks\n\n" + block)


# -- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=1000, help="domains per backend (1000)")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help=f"comma-separated, from {','.join(BACKENDS)} (all)")  # fmt: skip
    p.add_argument("--repeat", type=int, default=3, help="timed plans of each kind (3)")
    p.add_argument("--seed", type=int, default=2026, help="dataset seed (2026)")
    p.add_argument("--scale", action="store_true",
                   help="also run the scale targets (--scale-n, --cf-n)")  # fmt: skip
    p.add_argument("--scale-n", type=int, default=10000, help="zones for the local scale run")
    p.add_argument("--cf-n", type=int, default=2000, help="zones for the Cloudflare scale run")
    p.add_argument("--cf-window", type=float, default=10.0,
                   help="seconds that stand for Cloudflare's 300 s window (10: x30)")  # fmt: skip
    p.add_argument("--profile", action="store_true", help="cProfile plan.py vs octodns-sync")
    p.add_argument("--out", type=Path, help="markdown report (bench block replaced)")
    p.add_argument("--json", type=Path, help="all measurements as JSON")
    p.add_argument("--workdir", type=Path, help="keep the work dir here (default: temporary)")
    p.add_argument("--render", type=Path, metavar="JSON",
                   help="only write --out from the results of an earlier --json")  # fmt: skip
    args = p.parse_args(argv)
    args.backend_list = [b.strip() for b in args.backends.split(",") if b.strip()]
    for name in args.backend_list:
        if name not in BACKENDS:
            p.error(f"unknown backend {name!r}; use {', '.join(BACKENDS)}")
    if args.n < 1 or args.repeat < 1:
        p.error("--n and --repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        if not args.out:
            raise SystemExit("--render needs --out")
        write_markdown(args.out, render_markdown(json.loads(args.render.read_text())))
        return 0
    catch_stop_signals()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="autodiscover-bench-"))
    try:
        return run(args, argv, root)
    except (Interrupted, KeyboardInterrupt) as e:
        signum = e.signum if isinstance(e, Interrupted) else signal.SIGINT
        kept = f"work dir {root} kept (--workdir)" if args.workdir else "work dir removed"
        say(f"interrupted by {signal.Signals(signum).name}: every server stopped, {kept}, "
            "no report written")  # fmt: skip
        return 128 + signum
    finally:
        for each in STOP_SIGNALS:  # clean-up runs to the end
            signal.signal(each, signal.SIG_IGN)
        for proc in list(CHILDREN):
            end_child(proc)
        stop_servers()
        if args.workdir is None:
            remove_workdir(root)


def run(args: argparse.Namespace, argv: list[str] | None, root: Path) -> int:
    """Every benchmark the arguments ask for, in ``root``; the report unless interrupted."""
    started = time.time()
    load_start = os.getloadavg()[0]
    root.mkdir(parents=True, exist_ok=True)
    say(f"work dir {root}")
    env0 = base_env(root / "pycache")
    results: dict[str, Any] = {
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "repeat": args.repeat,
        "seed": args.seed,
        "workdir": str(root),
        "backends": {},
        "scale": {},
        "skipped": {},
    }
    interrupted = False
    try:
        for name in args.backend_list:
            why = backends.available(name)
            if why:
                say(f"{name}: skipped: {why}")
                results["skipped"][name] = why
                continue
            try:
                results["backends"][name] = bench_backend(name, args.n, args, root, env0)
            except Exception as e:  # one broken backend must not hide the others
                say(f"{name}: FAILED: {type(e).__name__}: {e}")
                results["backends"][name] = {"n": args.n, "problems": [f"{type(e).__name__}: {e}"]}
        if args.scale:
            why = backends.available("bind")
            if why:
                results["skipped"]["scale-local"] = why
            scenarios = {"cloudflare": (scale_cloudflare, args.cf_n)}
            if not why:
                scenarios = {"local": (scale_local, args.scale_n), **scenarios}
            for key, (scenario, n) in scenarios.items():
                try:
                    results["scale"][key] = scenario(n, args, root, env0)
                except Exception as e:
                    say(f"scale {key}: FAILED: {type(e).__name__}: {e}")
                    results["scale"][key] = {"n": n, "problems": [f"{type(e).__name__}: {e}"]}
    except (Interrupted, KeyboardInterrupt):
        interrupted = True  # partial results are no report
        raise
    finally:
        if not interrupted:
            results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
            results["duration_seconds"] = round(time.time() - started, 1)
            results["load"] = [load_start, os.getloadavg()[0]]
            results["targets"] = targets(results)
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
            if args.out:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                write_markdown(args.out, render_markdown(results))
                say(f"report written to {args.out}")
    for row in results["targets"]:
        say(f"{'ok  ' if row['met'] else 'MISS'} {row['target']}: {row['measured']}")
    problems = [p for r in results["backends"].values() for p in r.get("problems", [])]
    problems += [p for s in results["scale"].values() for p in s.get("problems", [])]
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
