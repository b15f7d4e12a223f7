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
from collections.abc import Callable, Collection, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from octodns.manager import Manager, ManagerException
from octodns.provider.plan import UnsafePlan
from octodns.record import Record
from octodns.zone import Zone

from ..core.declared import Declared
from ..core.errors import AutodiscoverError, Problems
from ..core.liveview import LiveViewMixin
from ..libyaml import LibYamlProvider
from ..processor import AutodiscoverProcessor
from ..progress import Progress
from .configuration import (
    MANUAL_CLASS,
    PROCESSOR_CLASS,
    YAML_PROVIDERS,
    RunConfig,
    manager_processor,
    open_manager,
    prepare,
    processor_entry,
)
from .configuration import load_processor_catalog as load_processor_catalog  # plan.py imports it
from .interrupts import STOP, StopSignal
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
    plans: list  # (target, plan) of the zones apply may write
    report: dict
    refused: dict[str, str] = field(default_factory=dict)  # zone -> why it is not applied


@dataclass
class Outcome:
    zone: str
    target: str
    changes: int = 0
    error: str | None = None
    work_order: list[Path] | None = None  # manual provider: the files to act on


class Engine:
    """One run over the selected zones. A zone's own problem (its provider's missing
    variables, the zone missing at the provider, a provider error while reading it,
    more deletes than ``max_deletes``) refuses that zone only; the others go on."""

    def __init__(
        self,
        run: RunConfig,
        manager: Manager | None,
        zones: list[str],
        progress: bool,
        refused: dict[str, str] | None = None,
    ) -> None:
        self.run = run
        self.manager = manager
        self.zones = zones  # the zones octoDNS plans (selected, not refused up front)
        self.refused = dict(refused or {})
        self.dns_options: tuple[list[str] | None, str | None, float | None] = (None, None, None)
        self.progress = Progress(total=len(zones), enabled=progress)
        self.processor = manager_processor(manager) if manager else None
        if self.processor is not None:
            self.processor.observers += [self.progress.tick, STOP.checkpoint]

    @classmethod
    def open(
        cls,
        config: Path,
        zones: list[str] | None = None,
        progress: bool = True,
        shard: tuple[int, int] | None = None,
        within: Callable[[RunConfig], Collection[str] | None] | None = None,
    ) -> Engine:
        """Check the repository, select zones, check each provider's variables, then build
        octoDNS's Manager for the zones whose providers can run. ``within``, given the
        checked config, narrows the selection (None from it: no narrowing)."""
        run = prepare(config)
        chosen = select_zones(run, zones or [], shard)
        keep = within(run) if within is not None else None
        if keep is not None:
            chosen = [z for z in chosen if z in keep]
        refused = {}
        missing = run.missing_environment(run.providers_for(chosen))
        for zone in chosen if missing else []:  # per-zone lookups only when some are missing
            needs = sorted(missing.keys() & run.providers_for([zone]))
            if needs:
                refused[zone] = (
                    "; ".join(
                        f"provider {pid} needs environment variable(s) {', '.join(missing[pid])}"
                        for pid in needs
                    )
                    + f" ({run.file_for(zone)}); set them (see .env.example)"
                )
        planned = [z for z in chosen if z not in refused]
        manager = open_manager(run, zones=planned) if planned else None
        return cls(run, manager, planned, progress, refused)

    def use_dns(
        self,
        nameservers: list[str] | None = None,
        resolver: str | None = None,
        timeout: float | None = None,
        work_orders: str | None = None,
    ) -> None:
        """Hand --nameserver/--resolver/--timeout (and apply's --work-orders) to the
        providers that read zones through DNS (the manual provider, the prefilter)."""
        self.dns_options = (nameservers, resolver, timeout)
        for provider in self.manager.providers.values() if self.manager else []:
            if hasattr(provider, "use_dns"):
                provider.use_dns(nameservers, resolver, timeout)
                if work_orders:
                    provider.work_orders = Path(work_orders)

    @property
    def manual_targets(self) -> set[str]:
        providers = self.manager.providers if self.manager else {}
        return {pid for pid, p in providers.items() if getattr(p, "MANUAL", False)}

    def plan(
        self, force: bool = False, force_zones: Iterable[str] = (), prefilter: bool = False
    ) -> PlanResult:
        """Plan every zone. ``force`` lifts the unsafe-plan guards (octoDNS's thresholds,
        ``max_deletes``) for every zone, ``force_zones`` for those zones only.
        ``prefilter``: first plan through DNS; zones whose nameservers already serve what
        the plan wants are "in sync (DNS)" and never read through their provider."""
        through_api = self.zones
        screened = Screened()
        if prefilter and self.manager is not None:
            screened = self._prefilter()
            through_api = [z for z in self.zones if z not in screened.in_sync]
        captured, errors = self._sync(self.manager, through_api)
        forced = {_zone_name(z) for z in force_zones}
        refused = {**self.refused, **errors}
        plans = []
        # children before parents, as octoDNS applies them, then by name: deterministic
        for target, plan in sorted(
            captured, key=lambda p: (-len(p[1].desired.name), p[1].desired.name)
        ):
            zone = plan.desired.name
            if zone in refused:
                continue
            if not (force or zone in forced):
                try:
                    plan.raise_if_unsafe()
                except UnsafePlan as e:
                    refused[zone] = _without_zone(zone, str(e))
                    continue
            plans.append((target, plan))
        analyses = {**screened.analyses, **(self.processor.analyses if self.processor else {})}
        zone_targets = sorted(
            {(z, self.run.folders.get(zf.provider, "?"))
             for z in self.zones + list(self.refused)
             if (zf := self.run.by_zone.get(z))}
            | {k for k in analyses if k[0] in set(self.zones)}
        )  # fmt: skip
        report = build_report(plans, analyses, zone_targets, refused, captured, self.manual_targets)
        if prefilter:
            report = screened.annotate(report)
        return PlanResult(plans, report, refused)

    def _sync(self, manager: Manager | None, zones: list[str]) -> tuple[list, dict[str, str]]:
        """octoDNS's dry run over ``zones``: the (target, plan) pairs, and zone -> why it
        could not be planned (each zone's failure stays that zone's)."""
        capture = PlanCapture()
        errors: dict[str, str] = {}
        if manager is None or not zones:
            return [], errors
        manager.plan_outputs = {capture.name: capture}
        sinks = [p for p in manager.providers.values() if isinstance(p, LiveViewMixin)]
        for provider in sinks:
            provider.on_zone_error = self._zone_failed(errors)
        try:
            with STOP.checkpoints():  # Ctrl-C stops between zones, never inside a library
                manager.sync(
                    eligible_zones=zones, dry_run=True, force=True, plan_output_fh=io.StringIO()
                )
        finally:
            for provider in sinks:
                provider.on_zone_error = None
        return capture.plans, errors

    def _prefilter(self) -> Screened:
        """Plan through DNS first (each target read as the manual provider reads zones)."""
        readable = [z for z in self.zones if self.run.target_class(z) not in NOT_THROUGH_DNS]
        screened = Screened(skipped=[z for z in self.zones if z not in readable])
        if not readable:
            return screened
        manager = open_manager(self.run, zones=readable, through_dns=True)
        for provider in manager.providers.values():
            if hasattr(provider, "use_dns"):
                provider.use_dns(*self.dns_options)
        processor = manager_processor(manager)
        checked = Progress(len(readable), self.progress.enabled, what="zones asked through DNS")
        processor.observers += [checked.tick, STOP.checkpoint]
        captured, errors = self._sync(manager, readable)
        changed = {plan.desired.name for _target, plan in captured}
        screened.in_sync = [z for z in readable if z not in changed and z not in errors]
        screened.unreadable = {z: errors[z] for z in readable if z in errors}
        screened.analyses = {k: a for k, a in processor.analyses.items()
                             if k[0] in set(screened.in_sync)}  # fmt: skip
        return screened

    def _zone_failed(self, errors: dict[str, str]):
        def sink(zone: str, target_id: str, error: Exception) -> None:
            text = _without_zone(zone, describe(error))
            errors[zone] = text if target_id in text else f"at {target_id}: {text}"

        return sink

    def apply(
        self, result: PlanResult, stop: StopSignal | None = None, report=None
    ) -> list[Outcome]:
        """Apply zone by zone; after a stop signal, finish the zone in flight and start no
        other. ``report`` is told of each outcome as it completes."""
        outcomes = []
        stop = stop or StopSignal()
        for target, plan in result.plans:
            if stop.received:
                break
            outcome = Outcome(zone=plan.desired.name, target=target.id)
            try:
                outcome.changes = target.apply(plan)
                outcome.work_order = getattr(target, "written", {}).get(outcome.zone)
            except Exception as e:  # reported per zone; the run exits 1
                outcome.error = describe(e)
            outcomes.append(outcome)
            if report is not None:
                report(outcome)
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


#: targets the prefilter does not read through DNS: local files are cheaper to read, and the
#: manual provider reads through DNS already
NOT_THROUGH_DNS = frozenset({"providers.zonefile.ZoneFileProvider", MANUAL_CLASS})


@dataclass
class Screened:
    """What the DNS prefilter found: zones in sync through DNS, zones it could not read
    (planned through their provider), zones it does not read (local files, manual)."""

    in_sync: list[str] = field(default_factory=list)
    unreadable: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    analyses: dict = field(default_factory=dict)

    def annotate(self, report: dict) -> dict:
        for zone in report["zones"]:
            zone["in_sync_dns"] = zone["zone"] in self.in_sync
        report["prefilter"] = {
            "mode": "dns",
            "in_sync": sorted(self.in_sync),
            "unreadable": dict(sorted(self.unreadable.items())),
            "not_through_dns": sorted(self.skipped),
        }
        report["summary"]["zones_in_sync_dns"] = len(self.in_sync)
        return report


def _without_zone(zone: str, message: str) -> str:
    """A refusal without the ``zone NAME:`` its message starts with (it is listed by zone)."""
    text = _one_line(message)
    for prefix in (f"zone {zone}: ", f"zone {zone.rstrip('.')}: "):
        text = text.removeprefix(prefix)
    return text


def _zone_name(name: str) -> str:
    return name.lower().rstrip(".") + "."


def select_zones(run: RunConfig, names: list[str], shard: tuple[int, int] | None) -> list[str]:
    """The zones to plan: every declared zone (of the shard), or those named, where an email
    domain names the zone whose file declares it."""
    declared = {zf.zone for zf in run.zone_files}
    if shard is not None:
        declared = {z for z in declared if in_shard(z, *shard)}
    chosen: list[str] = []
    for name in names:
        zone = _zone_name(name)
        if zone not in declared:
            zone = _declaring_zone(run, zone, declared) or ""
        if not zone:
            raise AutodiscoverError(
                f"{name} is not declared for {run.path} (no zones/<provider>/"
                f"{name.lower().rstrip('.')}.yaml and no zone file declaring that email "
                "domain); add it with plan.py add"
            )
        if zone not in chosen:
            chosen.append(zone)
    return chosen or sorted(declared)


def _declaring_zone(run: RunConfig, domain: str, declared: set[str]) -> str | None:
    """The declared zone whose file holds ``_autodiscover._tcp.<domain>`` (deepest first)."""
    labels = domain.rstrip(".").split(".")
    for i in range(1, len(labels)):
        zone = ".".join(labels[i:]) + "."
        if zone in declared:
            sub = ".".join(labels[:i])
            return zone if f"_autodiscover._tcp.{sub}" in run.record_names.get(zone, ()) else None
    return None


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
    problems = []
    for zf in run.zone_files:
        zone = Zone(zf.zone, [])
        try:
            sources[zf.provider].populate(zone)
            declared += [Declared(zf, d) for d in processor.declarations(zone)]
        except AutodiscoverError as e:  # every file is checked: all problems in one run
            problems.append(f"{zf.path}: {e}" if str(zf.path) not in str(e) else str(e))
    if problems:
        raise Problems(problems, "zone file(s) with problems; nothing planned or written")
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
                  "octodns_powerdns", "octodns_route53", "octodns_bind",
                  "octodns_dnsmadeeasy"):  # fmt: skip
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
