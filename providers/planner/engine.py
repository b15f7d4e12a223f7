"""One planner run over octoDNS's Manager: check, plan, guard, apply.

The Manager computes the plans exactly as ``octodns-sync`` does (same config,
same processor); this module only captures them through a plan output, adds
the per-zone report and applies zone by zone so one failing zone does not hide
the outcome of the others.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from octodns.manager import Manager, ManagerException
from octodns.record import Record
from octodns.zone import Zone

from ..core.declared import Declared
from ..core.errors import AutodiscoverError
from ..libyaml import LibYamlProvider
from ..processor import AutodiscoverProcessor
from ..progress import Progress
from .configuration import (
    PROCESSOR_CLASS,
    YAML_PROVIDERS,
    RunConfig,
    manager_processor,
    open_manager,
    prepare,
    processor_entry,
)
from .configuration import load_processor_catalog as load_processor_catalog  # plan.py imports it
from .render import build_report
from .repository import yaml_fix


class PlanCapture:
    """An octoDNS plan output that keeps the (target, plan) list instead of logging it."""

    def __init__(self, name: str = "capture") -> None:
        self.name = name
        self.plans: list = []

    def run(self, plans, log=None, fh=None, *args, **kwargs) -> None:
        self.plans = list(plans)


@dataclass
class PlanResult:
    plans: list
    report: dict


@dataclass
class Outcome:
    zone: str
    target: str
    changes: int = 0
    error: str | None = None


class Engine:
    def __init__(self, run: RunConfig, manager: Manager, zones: list[str], progress: bool) -> None:
        self.run = run
        self.manager = manager
        self.zones = zones
        self.processor = manager_processor(manager)
        self.progress = Progress(total=len(zones), enabled=progress)
        self.processor.observers.append(self.progress.tick)

    @classmethod
    def open(
        cls,
        config: Path,
        zones: list[str] | None = None,
        progress: bool = True,
        shard: tuple[int, int] | None = None,
    ) -> Engine:
        """Check the repository and environment, then build octoDNS's Manager."""
        run = prepare(config)
        declared = {zf.zone for zf in run.zone_files}
        if shard is not None:
            declared = {z for z in declared if in_shard(z, *shard)}
        chosen = []
        for name in zones or []:
            zone = name.lower().rstrip(".") + "."
            if zone not in declared:
                raise AutodiscoverError(
                    f"zone {zone} is not declared for {config} (no zones/<provider>/"
                    f"{zone.rstrip('.')}.yaml); add it with plan.py add"
                )
            chosen.append(zone)
        return cls(run, open_manager(run), chosen or sorted(declared), progress)

    def plan(self) -> PlanResult:
        capture = PlanCapture()
        self.manager.plan_outputs = {capture.name: capture}
        if self.zones:
            self.manager.sync(
                eligible_zones=self.zones, dry_run=True, force=True, plan_output_fh=io.StringIO()
            )
        # children before parents, as octoDNS applies them, then by name: deterministic
        plans = sorted(capture.plans, key=lambda p: (-len(p[1].desired.name), p[1].desired.name))
        analyses = self.processor.analyses
        wanted = set(self.zones)
        zone_targets = sorted(k for k in analyses if k[0] in wanted)
        return PlanResult(plans, build_report(plans, analyses, zone_targets))

    def check_safe(self, result: PlanResult, force: bool) -> None:
        """octoDNS's own thresholds plus ours (max deletes per zone); --force skips them."""
        if force:
            return
        for _target, plan in result.plans:
            plan.raise_if_unsafe()

    def apply(self, result: PlanResult) -> list[Outcome]:
        outcomes = []
        progress = Progress(len(result.plans), self.progress.enabled, what="zones applied")
        for target, plan in result.plans:
            progress.tick()
            outcome = Outcome(zone=plan.desired.name, target=target.id)
            try:
                outcome.changes = target.apply(plan)
            except Exception as e:  # reported per zone; the run exits 1
                outcome.error = describe(e)
            outcomes.append(outcome)
        return outcomes

    @contextmanager
    def apply_lock(self):
        """One apply per config at a time on this machine; remote runs use CI concurrency."""
        lock_dir = Path(".locks")
        lock_dir.mkdir(exist_ok=True)
        path = lock_dir / (self.run.path.name + ".lock")
        with open(path, "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as e:
                raise AutodiscoverError(
                    f"another apply with {self.run.path} is running on this machine "
                    f"(lock {path}); wait for it to finish, then plan again"
                ) from e
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def in_shard(zone: str, index: int, count: int) -> bool:
    """Stable partition by a hash of the zone name (1-based index), for CI matrices."""
    digest = hashlib.sha256(zone.lower().rstrip(".").encode()).digest()
    return int.from_bytes(digest[:8], "big") % count == index - 1


def load_declarations(config: Path) -> list[Declared]:
    """Every declared email domain, checked offline (no target provider is built or called)."""
    run = prepare(config)
    enabled = ((run.data.get("manager") or {}).get("validators") or {}).get("enabled", ["legacy"])
    Record.enable_validators(enabled)  # as octoDNS's Manager does at start-up
    Zone.enable_zone_validators(enabled)
    found = processor_entry(run.data)
    if found is None:
        raise AutodiscoverError(f"{config}: no {PROCESSOR_CLASS} configured")
    processor = AutodiscoverProcessor(found[0], **found[1])
    sources = {}
    for name, conf in run.data["providers"].items():
        if conf.get("class") in YAML_PROVIDERS:
            options = {k: v for k, v in conf.items() if k != "class"}
            sources[Path(conf["directory"]).name] = LibYamlProvider(name, **options)
    declared = []
    for zf in run.zone_files:
        zone = Zone(zf.zone, [])
        sources[zf.provider].populate(zone)
        declared += [Declared(zf, d) for d in processor.declarations(zone)]
    return declared


def validate_offline(config: Path) -> int:
    """Check config and zone files offline; returns the number of email domains."""
    return len(load_declarations(config))


def describe(error: BaseException) -> str:
    """One line for any failure: ours verbatim, library errors with their kind."""
    if isinstance(error, AutodiscoverError | ManagerException):
        return _one_line(str(error))
    if isinstance(error, yaml.YAMLError):
        return _yaml_error(error)
    name = type(error).__name__
    module = type(error).__module__.split(".")[0]
    text = _one_line(str(error)) or name
    if module in ("requests", "urllib3", "botocore", "boto3", "dns", "octodns_cloudflare",
                  "octodns_powerdns", "octodns_route53", "octodns_bind"):  # fmt: skip
        return f"provider error ({module} {name}): {text}"
    return f"{name}: {text}"


_AT = re.compile(r"^(?P<problem>.*) at (?P<file>\S+), line (?P<line>\d+), column \d+$")


def _yaml_error(error: yaml.YAMLError) -> str:
    """'file:line: problem; what to do' from PyYAML's or octoDNS's loader errors."""
    mark = getattr(error, "problem_mark", None)
    problem = _one_line(getattr(error, "problem", None) or str(error))
    if mark is not None:
        where = f"{mark.name}:{mark.line + 1}"
    elif match := _AT.match(problem):
        where = f"{match['file']}:{match['line']}"
        problem = match["problem"]
    else:
        return f"invalid YAML: {problem}"
    where = where.removeprefix("./")
    return f"{where}: {problem}; {yaml_fix(problem)}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
