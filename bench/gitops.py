"""GitOps at estate scale (issue 14): scoped plans and drift checks through DNS, measured.

    python -m bench.gitops --n 10000 [--only changed-since,drift]
        [--changed-backends local,cloudflare] [--drift-backends cloudflare,bind,route53]
        [--changed 3] [--drift-percent 1] [--repeat 1] [--scoped-repeat 5] [--seed 2026]
        [--profile] [--out BENCHMARKS.md] [--json FILE] [--workdir DIR]
        [--render JSON [JSON ...]]

**changed-since**: N generated domains (bench/generate.py) on one backend (``local``:
the zone-file provider of config/local.yaml; ``cloudflare``: the strict local API fake),
the work directory made a git repository under the temporary work dir (the estate's
commit), then a second commit that changes the platform of ``--changed`` zone files (a
pull request). Timed: ``plan.py plan --changed-since BASE`` (``--scoped-repeat`` runs,
median), the full ``plan.py plan`` and plain ``octodns-sync`` over the same estate
(bench/run.py's baseline config). Counted: which zones each run read from the provider:
for ``local`` the live zone files the kernel saw opened (inotify IN_OPEN on the zone-file
folders, from outside the process), for ``cloudflare`` the fake's record-list requests,
per zone id; also the declaration files (``zones/``) opened, for ``local``.

**drift**: N domains on a backend (``cloudflare``: the fake; ``bind``: named, whose AXFR
is the provider's read and whose DNS answers the prefilter; ``route53``: moto), converged
with ``plan.py apply``; for the API backends the converged zones, read back through the
backend, are served by a second, local named. Then, with no zone drifted and with
``--drift-percent`` of the zones drifted (an ``autodiscover`` A added in the provider's
store and in DNS alike, in zones whose policy removes it): ``plan.py plan --prefilter dns
--nameserver 127.0.0.1:PORT``, the full ``plan.py plan`` and plain ``octodns-sync``,
interleaved (``--repeat`` of each, order rotating, medians), with the record reads the
backend saw (Cloudflare record-list requests, named's AXFRs, moto's
ListResourceRecordSets), per zone.

``--profile`` runs one prefilter under ``bench/profile_threads.py`` per drift backend
(no drift; every thread profiled) and reports the costliest functions.

No rate limit anywhere: the Cloudflare fake has none and our provider's request budget
is lifted in the work directory's config, so the times are the code's, not the budget's.
Results go to ``--json`` (written after each scenario) and ``--out`` (the block between
the gitops markers replaced, the rest of the file kept; inserted before the bench block
when absent). ``--render`` rewrites ``--out`` from earlier ``--json`` files (merged, later
ones winning per backend). Every server started here is stopped here; SIGINT/SIGTERM
stop the run as bench/run.py's do (exit 128 + signal, no report).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import pstats
import random
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bench import generate as gen
from bench import run as base
from tests.servers import backends

CHANGED_BACKENDS = ("local", "cloudflare")
DRIFT_BACKENDS = ("cloudflare", "bind", "route53")
SCENARIOS = ("changed-since", "drift")
TARGET_SCOPED = 0.05  # issue 14: the scoped plan at most 5 % of the full plan's wall time
TARGET_PREFILTER = 0.30  # the drift check through DNS at most 30 % of the full API plan's
BEGIN, END = "<!-- gitops:begin -->", "<!-- gitops:end -->"
#: what a drifted zone gets, in the provider's store and in DNS alike
DRIFT_RECORD = ("autodiscover", "A", 300, "192.0.2.99")
#: what each backend's record reads are called in the report
READS = {
    "local": "zone files opened",
    "cloudflare": "GET records list",
    "bind": "AXFR",
    "route53": "GET /hostedzone/{id}/rrset",
}
say = base.say


# -- who read which zone --------------------------------------------------------------


class FileOpens:
    """The files opened in some folders, as the kernel reports them (inotify IN_OPEN),
    by any process: the zone-file reads of a CLI run, seen from outside it."""

    IN_OPEN = 0x00000020
    IN_Q_OVERFLOW = 0x00004000
    IN_NONBLOCK = 0o4000
    IN_CLOEXEC = 0o2000000
    HEADER = 16  # struct inotify_event: int wd; uint32 mask, cookie, len; char name[len]

    def __init__(self, folders: list[Path]) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(self.IN_NONBLOCK | self.IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.folders: dict[int, str] = {}
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            wd = libc.inotify_add_watch(self.fd, str(folder).encode(), self.IN_OPEN)
            if wd < 0:
                raise OSError(ctypes.get_errno(), f"inotify_add_watch {folder}")
            self.folders[wd] = folder.name
        self.opened: Counter[tuple[str, str]] = Counter()  # (folder name, file name)
        self.overflow = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="inotify", daemon=True)
        self._thread.start()

    def _read(self) -> None:  # the queue holds 16,384 events: read it as it fills
        while not self._stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                self._drain()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return
            i = 0
            with self._lock:
                while i + self.HEADER <= len(data):
                    wd, mask, _cookie, size = (
                        int.from_bytes(data[i + k : i + k + 4], sys.byteorder)
                        for k in (0, 4, 8, 12)
                    )
                    name = data[i + self.HEADER : i + self.HEADER + size].split(b"\0")[0]
                    i += self.HEADER + size
                    if mask & self.IN_Q_OVERFLOW:
                        self.overflow = True
                    elif name:  # a nameless event is the folder itself (listed)
                        self.opened[(self.folders.get(wd, "?"), name.decode())] += 1

    def take(self) -> Counter[tuple[str, str]]:
        """The opens since the last call (the child has exited: its events are queued)."""
        self._drain()
        with self._lock:
            taken, self.opened = self.opened, Counter()
        if self.overflow:
            raise RuntimeError("inotify queue overflowed: file reads were lost")
        return taken

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self.fd)


class ZoneReads:
    """Which zones a CLI run read through the backend's own interface, per zone."""

    def __init__(self, adapter: backends.Backend, work: Path) -> None:
        self.adapter = adapter
        self.opens: FileOpens | None = None
        self.r53_paths: list[str] = []
        self._handler: logging.Handler | None = None
        if isinstance(adapter, backends.LocalFiles):
            self.opens = FileOpens([adapter.seed_dir, adapter.live_dir, work / "zones" / "local"])
        elif isinstance(adapter, backends.Route53):
            paths = self.r53_paths

            class Paths(logging.Handler):
                def emit(self, record: logging.LogRecord) -> None:
                    found = re.search(
                        r'"GET (/2013-04-01/hostedzone/[^/ ?]+/rrset)', record.getMessage()
                    )
                    if found:
                        paths.append(found.group(1))

            self._handler = Paths(logging.INFO)
            logging.getLogger("werkzeug").addHandler(self._handler)
        self.mark = self._position()

    def _position(self) -> int:
        a = self.adapter
        if isinstance(a, backends.Cloudflare):
            return len(a.fake.requests)
        if isinstance(a, backends.Bind):
            return a.server.log_path.stat().st_size if a.server.log_path.exists() else 0
        if isinstance(a, backends.Route53):
            return len(self.r53_paths)
        if self.opens is not None:
            self.opens.take()
        return 0

    def start(self) -> None:
        self.mark = self._position()

    def since(self) -> dict[str, Any]:
        """{"zones": Counter of zone -> reads, "declarations": files of zones/ opened}."""
        a, out = self.adapter, {"zones": Counter(), "declarations": None}
        if isinstance(a, backends.Cloudflare):
            names = {z["id"]: z["name"] + "." for z in a.fake.zones()}
            for r in list(a.fake.requests)[self.mark :]:
                found = re.fullmatch(r"/zones/([^/]+)/dns_records", r["path"])
                if r["method"] == "GET" and found and r["status"] != 429:
                    out["zones"][names.get(found.group(1), found.group(1))] += 1
        elif isinstance(a, backends.Bind):
            with open(a.server.log_path, "rb") as fh:
                fh.seek(self.mark)
                text = fh.read().decode(errors="replace")
            for zone in re.findall(r"transfer of '([^/']+)/IN': AXFR started", text):
                out["zones"][zone.rstrip(".") + "."] += 1
        elif isinstance(a, backends.Route53):
            names = {zone_id: zone for zone, zone_id in a.zone_ids.items()}
            for path in self.r53_paths[self.mark :]:
                zone_id = path.split("/")[3]
                out["zones"][names.get(zone_id, zone_id)] += 1
        elif self.opens is not None:
            opened = self.opens.take()
            live = {a.seed_dir.name, a.live_dir.name}  # type: ignore[attr-defined]
            for (folder, name), count in opened.items():
                if folder in live and name.endswith(".zone"):
                    out["zones"][name.removesuffix(".zone") + "."] += count
            out["declarations"] = sum(
                c for (f, n), c in opened.items() if f == "local" and n.endswith(".yaml")
            )
        return out

    def close(self) -> None:
        if self.opens is not None:
            self.opens.close()
        if self._handler is not None:
            logging.getLogger("werkzeug").removeHandler(self._handler)


# -- backends and the work directory -------------------------------------------------


def make_adapter(name: str, work: Path) -> backends.Backend:
    """A backend whose server we build: no rate limit on the Cloudflare fake."""
    options: dict[str, Any] = {}
    if name == "cloudflare":
        options = {"token": "bench-cloudflare-token", "proxied": gen.CF_PROXIED, "nodelay": True}
    return base.track(backends.create(name, work, **options))


def lift_budget(work: Path) -> None:
    """Our Cloudflare provider's request budget out of the way (before the git commit)."""
    path = work / "config/octodns.yaml"
    data = yaml.safe_load(path.read_text())
    data["providers"]["cloudflare"].update(requests_per_window=10**9, window_seconds=300)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def git(work: Path, *args: str) -> str:
    """git in the benchmark's own repository (under the temporary work dir)."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@localhost",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@localhost",
    }
    done = subprocess.run(["git", *args], cwd=work, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def served_text(adapter: backends.Backend, domain: gen.Domain) -> str:
    """The zone as the hosted service holds it now, as a zone file for named: the
    service's records (Cloudflare's automatic TTL 1 answers as 300) under the domain's
    own SOA and NS."""
    apex = [r for r in domain.records if r[0] == "@" and r[1] in ("SOA", "NS")]
    held = [
        (owner, rtype, 300 if rrset.ttl == 1 else rrset.ttl, sorted(rrset.values))
        for (owner, rtype), rrset in sorted(adapter.snapshot(domain.zone).items())
        if not (owner == "@" and rtype in ("SOA", "NS"))
    ]
    return backends.bind_zone_text(domain.zone, apex + held)


def drift_zone(adapter: backends.Backend, dns: backends.Bind, zone: str) -> None:
    """Add the drift record in the provider's store and in DNS (one server for BIND)."""
    owner, rtype, ttl, value = DRIFT_RECORD
    if isinstance(adapter, backends.Cloudflare):
        adapter.fake.add_record(zone, rtype, owner, content=value, ttl=ttl)
    elif isinstance(adapter, backends.Route53):
        zone_id = adapter.zone_ids[backends.absolute(zone)]
        adapter.server.add_records(zone_id, [(owner, rtype, ttl, [value])])
    dns.server.nsupdate(zone, add=[(owner, ttl, rtype, value)])


# -- one CLI run ----------------------------------------------------------------------


class Runs:
    """Runs the CLI in one work directory and keeps, per run, time, requests and reads."""

    def __init__(self, adapter, work: Path, env: dict[str, str], logs: Path, tag: str):
        self.adapter = adapter
        self.work = work
        self.env = env
        self.logs = logs
        self.tag = tag
        self.count = 0
        self.reads = ZoneReads(adapter, work)

    def run(self, what: str, argv: list[str]) -> dict[str, Any]:
        self.count += 1
        before = self.adapter.counters()
        self.reads.start()
        m = base.measure(
            f"{self.tag}-{self.count:02d}-{what}", argv, self.work, self.env, self.logs
        )
        requests = base.delta(before, self.adapter.counters())
        reads = self.reads.since()
        out: dict[str, Any] = {
            "what": what,
            "command": re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", base.short_argv(argv)),
            "rc": m.rc,
            "wall": round(m.wall, 3),
            "cpu": round(m.cpu, 3),
            "maxrss_mib": round(m.maxrss_mib, 1),
            "requests": {k: v for k, v in requests.items() if k != "files written"},
            "zones_read": dict(sorted(reads["zones"].items())),
            "reads": sum(reads["zones"].values()),
            "declaration_files_opened": reads["declarations"],
        }
        if m.rc not in (0, 2):
            out["error"] = m.err().strip()[-500:]
        if what == "octodns-sync":
            out["summary"] = base.baseline_summary(m)
        else:
            try:
                report = json.loads(m.out())
            except ValueError:
                report = {}
            out["summary"] = report.get("summary")
            out["checksum"] = report.get("checksum")
            out["scope"] = report.get("scope")
            out["prefilter"] = report.get("prefilter")
            out["changes"] = {
                z["zone"]: z.get("changes") for z in report.get("zones", []) if z.get("changes")
            }
            scope = [
                line for line in m.err().splitlines() if line.startswith(("scope:", "prefilter:"))
            ]
            out["notes"] = scope
        say(f"{self.tag}: {out['command'][:70]}: {m.wall:.2f} s, {out['reads']} zone reads")
        return out

    def plan(self, *extra: str) -> dict[str, Any]:
        argv = [
            base.PYTHON,
            str(base.ROOT / "plan.py"),
            "plan",
            "--config",
            self.adapter.config,
            "--format",
            "json",
            "--quiet",
            *extra,
        ]
        what = (
            "prefilter"
            if "--prefilter" in extra
            else "scoped"
            if "--changed-since" in extra
            else "full"
        )
        return self.run(what, argv)

    def baseline(self) -> dict[str, Any]:
        return self.run(
            "octodns-sync",
            [base.OCTODNS_SYNC, "--config-file", "baseline.yaml", "--force", "--quiet"],
        )

    def apply(self) -> dict[str, Any]:
        argv = [
            base.PYTHON,
            str(base.ROOT / "plan.py"),
            "apply",
            "--config",
            self.adapter.config,
            "--quiet",
        ]
        return self.run("apply", argv)

    def close(self) -> None:
        self.reads.close()


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the runs of one kind; the last run's counts (they do not vary)."""
    last = dict(runs[-1])
    last["walls"] = [r["wall"] for r in runs]
    last["cpus"] = [r["cpu"] for r in runs]
    last["wall"] = statistics.median(last["walls"])
    last["cpu"] = statistics.median(last["cpus"])
    last["rcs"] = [r["rc"] for r in runs]
    last["same_reads_every_run"] = all(r["zones_read"] == last["zones_read"] for r in runs)
    return last


def interleave(kinds: dict[str, Any], repeat: int) -> dict[str, dict[str, Any]]:
    """Each kind ``repeat`` times, the order rotating, then medians."""
    names = list(kinds)
    done: dict[str, list[dict[str, Any]]] = {k: [] for k in names}
    for rep in range(repeat):
        for k in names[rep % len(names) :] + names[: rep % len(names)]:
            done[k].append(kinds[k]())
    return {k: summarize(v) for k, v in done.items()}


def check(ok: bool, what: str, problems: list[str]) -> bool:
    if not ok:
        problems.append(what)
        say(f"PROBLEM: {what}")
    return ok


# -- scenario 1: plan --changed-since --------------------------------------------------


def changed_since(name: str, n: int, args, root: Path, env0: dict[str, str]) -> dict[str, Any]:
    domains = gen.generate(n, seed=args.seed)
    work = root / f"changed-{name}-{n}"
    base.make_workdir(work, name, domains)
    adapter = make_adapter(name, work)
    if name == "cloudflare":
        lift_budget(work)
    problems: list[str] = []
    out: dict[str, Any] = {"backend": name, "n": n, "problems": problems}
    runs = None
    try:
        began = time.monotonic()
        adapter.start()
        adapter.seed({d.zone: d.records for d in domains})
        base.write_baseline(work, adapter.config, name, domains)
        out["seed_seconds"] = round(time.monotonic() - began, 1)

        # the estate's commit, then a pull request's: the platform of k zone files changed
        began = time.monotonic()
        git(work, "init", "-q", "-b", "main")
        git(work, "add", "config", "zones")
        git(work, "commit", "-q", "-m", f"estate: {n} zones")
        base_sha = git(work, "rev-parse", "HEAD")
        rng = random.Random(args.seed + 14)
        picked = sorted(rng.sample(domains, min(args.changed, n)), key=lambda d: d.zone)
        for d in picked:
            first = d.declared[0]
            new = next(p for p in gen.PLATFORMS if p != first.platform)
            moved = replace(d, declared=[replace(first, platform=new), *d.declared[1:]])
            (work / "zones" / name / f"{d.name}.yaml").write_text(gen.zone_yaml(moved))
        git(work, "commit", "-q", "-a", "-m", f"move {len(picked)} domains to another platform")
        out["git_seconds"] = round(time.monotonic() - began, 1)
        out["changed_files"] = [f"zones/{name}/{d.name}.yaml" for d in picked]
        out["changed_zones"] = [d.zone for d in picked]
        out["ref"] = base_sha
        say(
            f"changed-since {name}: {n} zones seeded, commit {base_sha[:8]} + {len(picked)} changed"
        )

        runs = Runs(
            adapter, work, dict(env0, **adapter.env()), root / "logs", f"changed-{name}-{n}"
        )
        scoped_args = ("--changed-since", base_sha)
        runs.plan(*scoped_args)  # warm-up (bytecode, page cache); not reported
        full = interleave({"full": runs.plan, "octodns-sync": runs.baseline}, args.repeat)
        scoped = summarize([runs.plan(*scoped_args) for _ in range(args.scoped_repeat)])
        out["runs"] = {"full": full["full"], "scoped": scoped, "octodns-sync": full["octodns-sync"]}
        for r in out["runs"].values():
            check(
                all(rc == 0 for rc in r["rcs"]),
                f"{name}: {r['command']} exited {r['rcs']}: {r.get('error', '')}",
                problems,
            )
        want = {d.zone: 1 for d in picked}
        check(
            scoped["zones_read"] == want and scoped["same_reads_every_run"],
            f"{name}: the scoped plan read {scoped['zones_read']} from the provider, "
            f"expected {want}",
            problems,
        )
        check(
            (scoped.get("summary") or {}).get("zones") == len(picked),
            f"{name}: the scoped plan has {(scoped.get('summary') or {}).get('zones')} zones",
            problems,
        )
        check(
            sorted((scoped.get("scope") or {}).get("zones") or []) == sorted(want),
            f"{name}: scope {scoped.get('scope')}",
            problems,
        )
        same = {z: c for z, c in full["full"]["changes"].items() if z in want}
        check(
            scoped["changes"] == same,
            f"{name}: the scoped plan's changes differ from the full plan's for the changed zones",
            problems,
        )
        check(
            full["full"]["reads"] == n,
            f"{name}: the full plan read {full['full']['reads']} zones, expected {n}",
            problems,
        )
        out["ratio"] = {
            "scoped_to_full": scoped["wall"] / full["full"]["wall"],
            "scoped_to_octodns_sync": scoped["wall"] / full["octodns-sync"]["wall"],
            "octodns_sync_to_full": full["octodns-sync"]["wall"] / full["full"]["wall"],
        }
    finally:
        if runs is not None:
            runs.close()
        base.stop_server(adapter)
    return out


# -- scenario 2: plan --prefilter dns ----------------------------------------------------


def drift(name: str, n: int, args, root: Path, env0: dict[str, str]) -> dict[str, Any]:
    domains = gen.generate(n, seed=args.seed)
    work = root / f"drift-{name}-{n}"
    base.make_workdir(work, name, domains)
    adapter = make_adapter(name, work)
    if name == "cloudflare":
        lift_budget(work)
    problems: list[str] = []
    out: dict[str, Any] = {"backend": name, "n": n, "problems": problems, "states": {}}
    dns: backends.Bind | None = adapter if isinstance(adapter, backends.Bind) else None
    runs = None
    try:
        began = time.monotonic()
        adapter.start()
        adapter.seed({d.zone: d.records for d in domains})
        base.write_baseline(work, adapter.config, name, domains)
        out["seed_seconds"] = round(time.monotonic() - began, 1)
        say(f"drift {name}: {n} zones seeded in {out['seed_seconds']} s")
        runs = Runs(adapter, work, dict(env0, **adapter.env()), root / "logs", f"drift-{name}-{n}")
        converged = runs.apply()  # the estate as the apply job leaves it
        out["apply"] = converged
        check(
            converged["rc"] == 0,
            f"{name}: apply exited {converged['rc']}: {converged.get('error', '')}",
            problems,
        )
        if dns is None:  # the hosted zones, as the service holds them, served by named
            began = time.monotonic()
            texts = {d.zone: served_text(adapter, d) for d in domains}
            out["read_back_seconds"] = round(time.monotonic() - began, 1)
            dns = base.track(backends.create("bind", work / "dns"))
            assert isinstance(dns, backends.Bind)
            began = time.monotonic()
            dns.seed_texts(texts, timeout=max(60.0, n / 50))
            out["named_start_seconds"] = round(time.monotonic() - began, 1)
        nameserver = ("--prefilter", "dns", "--nameserver", dns.nameserver())

        k = max(1, round(n * args.drift_percent / 100))
        removable = [d for d in domains if d.declared[0].policy == "remove"]
        drifted = sorted(random.Random(args.seed + 15).sample(removable, k), key=lambda d: d.zone)
        for state, zones in (("none", []), ("drifted", drifted)):
            for d in zones:
                drift_zone(adapter, dns, d.zone)
            kinds = {
                "full": runs.plan,
                "prefilter": lambda: runs.plan(*nameserver),
                "octodns-sync": runs.baseline,
            }
            if state == "none":  # warm-up (bytecode of the DNS path), one zone; not reported
                runs.plan(*nameserver, domains[0].zone)
            got = interleave(kinds, args.repeat)
            record = {"drifted_zones": [d.zone for d in zones], "runs": got}
            out["states"][state] = record
            full, pre = got["full"], got["prefilter"]
            for r in got.values():
                check(
                    all(rc == 0 for rc in r["rcs"]),
                    f"{name} ({state}): {r['command']} exited {r['rcs']}: {r.get('error', '')}",
                    problems,
                )
            want = {d.zone: 1 for d in zones}
            with_changes = sorted(full["changes"])
            check(
                with_changes == sorted(want),
                f"{name} ({state}): the full plan has changes "
                f"in {len(with_changes)} zones {with_changes[:5]}, expected {len(want)}",
                problems,
            )
            check(
                pre["zones_read"] == want and pre["same_reads_every_run"],
                f"{name} ({state}): the prefilter read {len(pre['zones_read'])} zones through "
                f"the provider {list(pre['zones_read'])[:5]}, expected {len(want)}",
                problems,
            )
            check(
                pre["checksum"] == full["checksum"] and pre["changes"] == full["changes"],
                f"{name} ({state}): the prefilter's plan differs from the full plan",
                problems,
            )
            check(
                full["reads"] == n,
                f"{name} ({state}): the full plan read {full['reads']} zones, expected {n}",
                problems,
            )
            record["ratio"] = {
                "prefilter_to_full": pre["wall"] / full["wall"],
                "prefilter_to_octodns_sync": pre["wall"] / got["octodns-sync"]["wall"],
                "octodns_sync_to_full": got["octodns-sync"]["wall"] / full["wall"],
            }
            if args.profile and state == "none":
                record["profile"] = profile(runs, nameserver, root / "profile" / name)
            say(
                f"drift {name} ({state}): prefilter {pre['wall']:.1f} s, {pre['reads']} reads; "
                f"full {full['wall']:.1f} s; octodns-sync {got['octodns-sync']['wall']:.1f} s"
            )
    finally:
        if runs is not None:
            runs.close()
        if dns is not None and dns is not adapter:
            base.stop_server(dns)
        base.stop_server(adapter)
    return out


# -- where the prefilter's time goes --------------------------------------------------


def profile(runs: Runs, nameserver: tuple[str, ...], folder: Path) -> dict[str, Any]:
    """One prefilter run under cProfile, every thread profiled (bench/profile_threads.py):
    the costliest functions of the code involved, times summed over threads."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prefilter.prof"
    argv = [
        base.PYTHON,
        str(base.ROOT / "bench" / "profile_threads.py"),
        str(path),
        str(base.ROOT / "plan.py"),
        "plan",
        "--config",
        runs.adapter.config,
        "--format",
        "json",
        "--quiet",
        *nameserver,
    ]
    m = runs.run("profile", argv)
    stats = pstats.Stats(str(path))
    total = stats.total_tt
    ours = ("/providers/", "/octodns/", "/dns/", "/octodns_")
    cumulative = sorted(
        (
            (v[3], f"{_where(k)}({k[2]})")
            for k, v in stats.stats.items()
            if any(p in k[0] for p in ours) and v[3] < 0.9 * total
        ),
        reverse=True,
    )[:15]
    own = sorted(((v[2], f"{_where(k)}({k[2]})") for k, v in stats.stats.items()), reverse=True)
    return {
        "wall_under_profiler": m["wall"],
        "profiled_seconds": round(total, 3),
        "cumulative": [{"function": f, "seconds": round(t, 3)} for t, f in cumulative],
        "own": [{"function": f, "seconds": round(t, 3)} for t, f in own[:10]],
        "file": str(path),
    }


def _where(key: tuple[str, int, str]) -> str:
    file = key[0]
    for marker in ("/providers/", "/site-packages/"):
        if marker in file:
            file = (
                file.split(marker, 1)[1]
                if marker != "/providers/"
                else "providers/" + file.split(marker, 1)[1]
            )
            break
    else:
        file = Path(file).name
    return f"{file}:{key[1]}"


# -- report ------------------------------------------------------------------------------


def _result(r: dict[str, Any]) -> str:
    s = r.get("summary") or {}
    if r["what"] == "octodns-sync":
        text = f"{s.get('zones_with_changes')} zones with changes"
    else:
        text = f"{s.get('zones')} zones planned, {s.get('zones_with_changes')} with changes"
        if r.get("prefilter"):
            p = r["prefilter"]
            text += f"; {len(p['in_sync'])} in sync (DNS), {len(p['unreadable'])} unreadable"
    return f"exit {','.join(str(c) for c in r['rcs'])}; {text}"


def _reads(backend: str, r: dict[str, Any], n: int) -> str:
    count = r["reads"]
    zones = list(r["zones_read"])
    text = f"{count} ({READS[backend]})"
    if 0 < len(zones) <= 3:
        text += ": " + ", ".join(z.rstrip(".") for z in zones)
    if r.get("declaration_files_opened") is not None:
        text += f"; {r['declaration_files_opened']} declaration files (zones/) opened"
    return text


def _other(r: dict[str, Any]) -> str:
    items = [
        (k, v)
        for k, v in r["requests"].items()
        if k not in ("GET records list", "AXFR", "GET /hostedzone/{id}/rrset", "429")
    ]
    return ", ".join(f"{k} {v}" for k, v in items) or "-"


def _walls(r: dict[str, Any]) -> str:
    walls = r.get("walls", [r["wall"]])
    spread = f" ({', '.join(f'{w:.2f}' for w in walls)})" if len(walls) > 1 else ""
    return f"{r['wall']:.2f}{spread}"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for c in results.get("changed_since", {}).values():
        name = c.get("backend", "?")
        if "runs" not in c:
            continue
        scoped = c["runs"]["scoped"]
        want = len(c["changed_zones"])
        rows.append(
            {
                "target": f"`plan --changed-since` reads exactly the {want} changed zones "
                f"({name}, {c['n']} zones)",
                "goal": f"{want} zones, each once",
                "measured": f"{scoped['reads']} reads of {len(scoped['zones_read'])} zones",
                "met": scoped["zones_read"] == dict.fromkeys(c["changed_zones"], 1),
            }
        )
        rows.append(
            {
                "target": f"`plan --changed-since` wall time / full plan ({name}, {c['n']} zones)",
                "goal": f"<= {TARGET_SCOPED:.2f}",
                "measured": f"{c['ratio']['scoped_to_full']:.3f} ({scoped['wall']:.2f} s / "
                f"{c['runs']['full']['wall']:.2f} s; CPU "
                f"{scoped['cpu'] / c['runs']['full']['cpu']:.3f})",
                "met": c["ratio"]["scoped_to_full"] <= TARGET_SCOPED,
            }
        )
    for d in results.get("drift", {}).values():
        name = d.get("backend", "?")
        for s in d.get("states", {}).values():
            if "ratio" not in s:
                continue
            pre, k = s["runs"]["prefilter"], len(s["drifted_zones"])
            what = "none drifted" if not k else f"{k} drifted"
            rows.append(
                {
                    "target": f"drift ({name}, {d['n']} zones, {what}): {READS[name]} "
                    "= drifted zones",
                    "goal": f"{k}",
                    "measured": f"{pre['reads']}",
                    "met": pre["zones_read"] == dict.fromkeys(s["drifted_zones"], 1),
                }
            )
            rows.append(
                {
                    "target": f"drift ({name}, {d['n']} zones, {what}): prefilter wall time / full "
                    "API plan",
                    "goal": f"<= {TARGET_PREFILTER:.2f}",
                    "measured": f"{s['ratio']['prefilter_to_full']:.3f} ({pre['wall']:.2f} s / "
                    f"{s['runs']['full']['wall']:.2f} s; CPU "
                    f"{pre['cpu'] / s['runs']['full']['cpu']:.3f})",
                    "met": s["ratio"]["prefilter_to_full"] <= TARGET_PREFILTER,
                }
            )
    return rows


def render_markdown(results: dict[str, Any]) -> str:
    lines = [
        BEGIN,
        "",
        "### Measured",
        "",
        "Generated by `bench/gitops.py`; do not edit between the gitops markers.",
        "",
    ]
    for meta in results["meta"]:
        m = meta["machine"]
        changed = m.get("git", {}).get("changed")
        lines += [
            f"- command: `{meta['command']}` ({meta['duration_seconds'] / 60:.1f} min, "
            f"{meta['finished'][:10]})",
            f"  - machine: nproc {m['nproc']} ({m['cpu']}), {m['ram_gib']} GiB RAM, Python "
            f"{m['python']}, octoDNS {m['versions'].get('octodns')}, "
            f"{m['versions'].get('named')}; load average (1 min) {meta['load'][0]:.2f} at "
            f"start, {meta['load'][1]:.2f} at end",
            f"  - code: commit {m.get('git', {}).get('commit', '?')}"
            + (f" with uncommitted changes to {', '.join(changed)}" if changed else ""),
        ]
    lines.append("")
    rows = targets(results)
    if rows:
        lines += [
            "#### Targets (issue 14)",
            "",
            "| target | goal | measured | met |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r['target']} | {r['goal']} | {r['measured']} | {'yes' if r['met'] else '**no**'} |"
            for r in rows
        ]
        lines.append("")
    if results.get("changed_since"):
        lines += [
            "#### `plan --changed-since REF`: a commit that changes 3 zone files",
            "",
            "| backend | N | run | wall s (runs) | CPU s | zones read from the provider | "
            "other requests | wall / full plan | result |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for c in results["changed_since"].values():
            name = c.get("backend", "?")
            if "runs" not in c:
                lines.append(f"| {name} | {c['n']} | failed: {'; '.join(c['problems'])} |")
                continue
            full = c["runs"]["full"]["wall"]
            for key, label in (
                ("full", "`plan.py plan` (full)"),
                ("scoped", "`plan.py plan --changed-since REF`"),
                ("octodns-sync", "`octodns-sync` (full)"),
            ):
                r = c["runs"][key]
                lines.append(
                    f"| {name} | {c['n']} | {label} | {_walls(r)} | {r['cpu']:.2f} | "
                    f"{_reads(name, r, c['n'])} | {_other(r)} | {r['wall'] / full:.3f} | "
                    f"{_result(r)} |"
                )
        lines.append("")
    if results.get("drift"):
        lines += [
            "#### `plan --prefilter dns`: drift checks",
            "",
            "| backend | N | drifted | run | wall s (runs) | CPU s | record reads through the "
            "provider | other requests | wall / full plan | result |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for d in results["drift"].values():
            name = d.get("backend", "?")
            if not d.get("states"):
                lines.append(f"| {name} | {d['n']} | failed: {'; '.join(d['problems'])} |")
                continue
            for _state, s in d["states"].items():
                full = s["runs"]["full"]["wall"]
                k = len(s["drifted_zones"])
                for key, label in (
                    ("full", "`plan.py plan` (full, API)"),
                    ("prefilter", "`plan.py plan --prefilter dns`"),
                    ("octodns-sync", "`octodns-sync` (full)"),
                ):
                    r = s["runs"][key]
                    lines.append(
                        f"| {name} | {d['n']} | {k} | {label} | {_walls(r)} | {r['cpu']:.2f} | "
                        f"{_reads(name, r, d['n'])} | {_other(r)} | {r['wall'] / full:.3f} | "
                        f"{_result(r)} |"
                    )
        lines += ["", "Set-up per backend (not timed as targets):", ""]
        for d in results["drift"].values():
            name = d.get("backend", "?")
            a = d.get("apply") or {}
            extra = ""
            if "named_start_seconds" in d:
                extra = (
                    f", zones read back from the service {d['read_back_seconds']} s, "
                    f"second named started with them {d['named_start_seconds']} s"
                )
            lines.append(
                f"- {name}, {d['n']} zones: seeded {d.get('seed_seconds')} s, converged "
                f"by `plan.py apply` {a.get('wall', 0):.1f} s{extra}"
            )
        lines.append("")
    profiled = [
        (d, s["profile"])
        for d in results.get("drift", {}).values()
        for s in d.get("states", {}).values()
        if "profile" in s
    ]
    for d, prof in profiled:
        lines += [
            f"#### Where the prefilter's time goes ({d['backend']}, {d['n']} zones, none "
            "drifted, cProfile)",
            "",
            f"{prof['profiled_seconds']} s under the profiler (`python bench/profile_threads.py`: "
            "every thread profiled, times summed over octoDNS's worker threads and the main "
            "thread; a C call's time includes waiting for the GIL; the run took "
            f"{prof['wall_under_profiler']:.1f} s). Cumulative seconds:",
            "",
            "| function | cumulative s |",
            "|---|---|",
        ]
        lines += [f"| `{c['function']}` | {c['seconds']} |" for c in prof["cumulative"]]
        lines += [
            "",
            "Own time: "
            + ", ".join(f"`{c['function']}` {c['seconds']} s" for c in prof["own"][:6]),
            "",
        ]
    problems = [
        p
        for group in ("changed_since", "drift")
        for r in results.get(group, {}).values()
        for p in r.get("problems", [])
    ]
    if problems:
        lines += ["#### Problems seen", ""] + [f"- {p}" for p in problems] + [""]
    commands = []
    for group in ("changed_since", "drift"):
        for r in results.get(group, {}).values():
            for runs in [r.get("runs", {})] + [s["runs"] for s in r.get("states", {}).values()]:
                for x in runs.values():
                    cmd = re.sub(
                        r"--changed-since [0-9a-f]{40}", "--changed-since REF", x["command"]
                    )
                    if cmd not in commands:
                        commands.append(cmd)
    if commands:
        lines += ["#### Commands (run in the bench work dir)", ""]
        lines += [f"- `{c}`" for c in commands] + [""]
    lines += [END, ""]
    return "\n".join(lines)


def write_markdown(path: Path, block: str) -> None:
    """Replace the gitops block of ``path``; else insert it before the bench block (or
    append it). Everything else is kept."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block.rstrip("\n") + rest.split(END, 1)[1]
    elif base.BEGIN in text:
        head, rest = text.split(base.BEGIN, 1)
        text = head + block + "\n" + base.BEGIN + rest
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text)


def merge(files: list[Path]) -> dict[str, Any]:
    merged: dict[str, Any] = {"meta": [], "changed_since": {}, "drift": {}}
    for path in files:
        data = json.loads(path.read_text())
        merged["meta"] += data["meta"]
        for group in ("changed_since", "drift"):
            for r in data.get(group, {}).values():  # one entry per backend and N
                merged[group][f"{r.get('backend')}@{r['n']}"] = r
    return merged


# -- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.gitops", description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=10000, help="zones per backend (10000)")
    p.add_argument("--only", default=",".join(SCENARIOS), help="changed-since,drift (both)")
    p.add_argument(
        "--changed-backends",
        default=",".join(CHANGED_BACKENDS),
        help="for changed-since: local,cloudflare (both)",
    )
    p.add_argument(
        "--drift-backends",
        default=",".join(DRIFT_BACKENDS),
        help="for drift: cloudflare,bind,route53 (all)",
    )
    p.add_argument("--changed", type=int, default=3, help="zone files the commit changes (3)")
    p.add_argument("--drift-percent", type=float, default=1.0, help="zones drifted (1)")
    p.add_argument("--repeat", type=int, default=1, help="timed full-estate runs of each kind (1)")
    p.add_argument("--scoped-repeat", type=int, default=5, help="timed scoped plans (5)")
    p.add_argument(
        "--profile",
        action="store_true",
        help="also profile one prefilter run per drift backend (cProfile)",
    )
    p.add_argument("--seed", type=int, default=2026, help="dataset seed (2026)")
    p.add_argument("--out", type=Path, help="markdown report (gitops block replaced)")
    p.add_argument("--json", type=Path, help="all measurements as JSON")
    p.add_argument("--workdir", type=Path, help="keep the work dir here (default: temporary)")
    p.add_argument(
        "--render",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="only write --out from earlier --json files (merged)",
    )
    args = p.parse_args(argv)
    split = lambda text: [x.strip() for x in text.split(",") if x.strip()]  # noqa: E731
    args.scenarios = split(args.only)
    args.changed_list = split(args.changed_backends)
    args.drift_list = split(args.drift_backends)
    for value, allowed in (
        (args.scenarios, SCENARIOS),
        (args.changed_list, CHANGED_BACKENDS),
        (args.drift_list, DRIFT_BACKENDS),
    ):
        for x in value:
            if x not in allowed:
                p.error(f"unknown {x!r}; use {', '.join(allowed)}")
    if min(args.n, args.changed, args.repeat, args.scoped_repeat) < 1 or args.drift_percent <= 0:
        p.error("--n, --changed, --repeat, --scoped-repeat and --drift-percent must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        if not args.out:
            raise SystemExit("--render needs --out")
        write_markdown(args.out, render_markdown(merge(args.render)))
        return 0
    base.catch_stop_signals()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="autodiscover-gitops-"))
    try:
        return run(args, argv, root)
    except (base.Interrupted, KeyboardInterrupt) as e:
        signum = e.signum if isinstance(e, base.Interrupted) else signal.SIGINT
        kept = f"work dir {root} kept (--workdir)" if args.workdir else "work dir removed"
        say(
            f"interrupted by {signal.Signals(signum).name}: every server stopped, {kept}, "
            "no report written"
        )
        return 128 + signum
    finally:
        for each in base.STOP_SIGNALS:
            signal.signal(each, signal.SIG_IGN)
        for proc in list(base.CHILDREN):
            base.end_child(proc)
        base.stop_servers()
        if args.workdir is None:
            base.remove_workdir(root)


def run(args: argparse.Namespace, argv: list[str] | None, root: Path) -> int:
    started = time.time()
    load_start = os.getloadavg()[0]
    root.mkdir(parents=True, exist_ok=True)
    say(f"work dir {root}")
    env0 = base.base_env(root / "pycache")
    meta = {
        "command": "python -m bench.gitops " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": base.machine(),
    }
    results: dict[str, Any] = {"meta": [meta], "changed_since": {}, "drift": {}, "skipped": {}}

    def save() -> None:
        meta["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
        meta["duration_seconds"] = round(time.time() - started, 1)
        meta["load"] = [load_start, os.getloadavg()[0]]
        results["targets"] = targets(results)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")

    plan: list[tuple[str, str, Any]] = []
    if "changed-since" in args.scenarios:
        plan += [("changed_since", b, changed_since) for b in args.changed_list]
    if "drift" in args.scenarios:
        plan += [("drift", b, drift) for b in args.drift_list]
    for group, name, scenario in plan:
        why = backends.available(name) or (backends.available("bind") if group == "drift" else None)
        if why:
            say(f"{group} {name}: skipped: {why}")
            results["skipped"][f"{group} {name}"] = why
            continue
        try:
            results[group][name] = scenario(name, args.n, args, root, env0)
        except Exception as e:  # one broken backend must not hide the others
            say(f"{group} {name}: FAILED: {type(e).__name__}: {e}")
            results[group][name] = {
                "backend": name,
                "n": args.n,
                "problems": [f"{type(e).__name__}: {e}"],
            }
        save()
    save()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_markdown(args.out, render_markdown(results))
        say(f"report written to {args.out}")
    for row in results["targets"]:
        say(f"{'ok  ' if row['met'] else 'MISS'} {row['target']}: {row['measured']}")
    problems = [
        p
        for g in ("changed_since", "drift")
        for r in results[g].values()
        for p in r.get("problems", [])
    ]
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
