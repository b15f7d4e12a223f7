"""Prepare an octoDNS config for one run, before octoDNS builds any provider.

octoDNS's Manager builds every provider in a config and resolves all their
``env/NAME`` secrets at start-up, so one unset variable of an unused provider
fails the whole run, with a traceback. Here we find which providers the zone
files actually use, check their variables, and hand octoDNS a copy of the
config without the unused ones.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml
from octodns.manager import Manager
from octodns.yaml import safe_load as octodns_safe_load

from ..core.catalog import Catalog, load_catalog
from ..core.declarations import DEFAULT_POLICY
from ..core.errors import AutodiscoverError, Problems
from ..libyaml import ORDER_MODES, order_of, remember
from ..processor import AutodiscoverProcessor
from .repository import (
    ZoneFile,
    add_declaration,
    check_zone_cuts,
    check_zone_data,
    discover,
    load_zone_yaml,
    plain,
)

#: the provider that reads zones through DNS (hosts without an API, and the DNS prefilter)
MANUAL_CLASS = "providers.manual.ManualProvider"

#: the zone-file sources: octoDNS's YamlProvider, or ours on libyaml (same records)
YAML_PROVIDERS = frozenset(
    {"octodns.provider.yaml.YamlProvider", "providers.libyaml.LibYamlProvider"}
)


class ConfigError(AutodiscoverError):
    """The octoDNS config or the environment it needs is not usable."""


@dataclass
class RunConfig:
    """A checked config: the zone files it covers and the pruned octoDNS config."""

    path: Path
    data: dict
    zone_files: list[ZoneFile]
    folders: dict[str, str]  # zone folder name -> target provider id
    skipped: list[ZoneFile]  # zone files of providers this config does not run
    record_names: dict[str, frozenset[str]] = field(default_factory=dict)  # zone -> names

    @cached_property
    def by_zone(self) -> dict[str, ZoneFile]:
        """Zone name -> its zone file: one lookup per zone, not a scan (10,000-zone runs)."""
        return {zf.zone: zf for zf in self.zone_files}

    def file_for(self, zone: str) -> Path | None:
        zf = self.by_zone.get(zone)
        return zf.path if zf else None

    def entries_for(self, zones: Iterable[str] | None = None) -> dict[str, dict]:
        """The config's zone entries that plan any of ``zones`` (default: every zone file)."""
        wanted = None if zones is None else set(zones)
        chosen = [zf for zf in self.zone_files if wanted is None or zf.zone in wanted]
        entries = {}
        for name, entry in self.data.get("zones", {}).items():
            entry = entry or {}
            if name.startswith("*"):
                folders = {self._folder(s) for s in entry.get("sources") or []}
                if any(zf.provider in folders for zf in chosen):
                    entries[name] = entry
            elif wanted is None or name in wanted:
                entries[name] = entry
        return entries

    def providers_for(self, zones: Iterable[str] | None = None) -> set[str]:
        """The providers (sources and targets) the entries planning ``zones`` use."""
        used: set[str] = set()
        for entry in self.entries_for(zones).values():
            used |= set(entry.get("sources") or []) | set(entry.get("targets") or [])
        return used

    @property
    def used_providers(self) -> set[str]:
        return self.providers_for()

    def _folder(self, provider_id: str) -> str | None:
        conf = self.data.get("providers", {}).get(provider_id) or {}
        if conf.get("class") in YAML_PROVIDERS and conf.get("directory"):
            return Path(conf["directory"]).name
        return None

    def missing_environment(self, providers: Iterable[str]) -> dict[str, list[str]]:
        """Provider id -> the ``env/NAME`` variables it needs that are not set.

        An empty variable counts as unset (CI systems pass unset secrets as ''),
        so ``env/NAME/default`` then falls back to its default.
        """
        missing = {}
        for provider_id in sorted(set(providers)):
            conf = self.data.get("providers", {}).get(provider_id) or {}
            for name in sorted(env_names(conf, with_defaults=True)):
                if os.environ.get(name) == "":
                    del os.environ[name]
            names = sorted(n for n in env_names(conf) if n not in os.environ)
            if names:
                missing[provider_id] = names
        return missing

    def check_environment(self, providers: Iterable[str], purpose: str) -> None:
        """Every ``env/NAME`` of ``providers`` must be set; all missing ones in one error."""
        missing = self.missing_environment(providers)
        if missing:
            raise ConfigError(
                "; ".join(
                    f"provider {pid} needs environment variable(s) {', '.join(names)} {purpose}"
                    for pid, names in missing.items()
                )
                + "; set them (see .env.example)"
            )

    def target_class(self, zone: str) -> str | None:
        """The class path of the provider ``zone`` is planned against."""
        zf = self.by_zone.get(zone)
        target = self.folders.get(zf.provider) if zf else None
        return (self.data.get("providers", {}).get(target) or {}).get("class")

    def write_pruned(
        self, providers: Iterable[str] | None = None, zones=None, through_dns: bool = False
    ) -> Path:
        """A temporary copy of the config for octoDNS's Manager.

        Without ``providers``: the zone entries planning ``zones`` (default all)
        whose providers are all usable, and those providers. Given
        ``providers``: the manager section and only those providers, no zones.
        """
        if providers is None:
            used = self.providers_for(zones)
            usable = used - set(self.missing_environment(used))
            data = dict(self.data)
            data["providers"] = {
                k: v for k, v in self.data.get("providers", {}).items() if k in usable
            }
            data["zones"] = {
                name: entry
                for name, entry in self.entries_for(zones).items()
                if set(entry.get("sources") or []) | set(entry.get("targets") or []) <= usable
            }
            if through_dns:  # every target read through DNS, as the manual provider reads
                targets = {t for e in data["zones"].values() for t in e.get("targets") or []}
                data["providers"] = {
                    k: ({"class": MANUAL_CLASS} if k in targets else v)
                    for k, v in data["providers"].items()
                }
        else:
            data = {
                "manager": self.data.get("manager") or {},
                "providers": {pid: self.data["providers"][pid] for pid in providers},
                "zones": {},
            }
        fd, tmp = tempfile.mkstemp(prefix="autodiscover-dns-", suffix=".yaml")
        with os.fdopen(fd, "w") as fh:
            yaml.safe_dump(plain(data), fh, sort_keys=False)
        return Path(tmp)


def open_manager(
    run: RunConfig,
    providers: Iterable[str] | None = None,
    purpose: str = "",
    zones: Iterable[str] | None = None,
    through_dns: bool = False,
) -> Manager:
    """Prune the config and build octoDNS's Manager: plan and import.

    ``providers=None`` (plan, apply): the zone entries planning ``zones``
    whose providers have their variables (the engine refuses the other zones,
    see :meth:`RunConfig.missing_environment`). Otherwise (import) only these
    providers and no zones, every variable required; ``purpose`` ends the
    missing-variable error ("to list its zones").
    """
    chosen = None if providers is None else list(providers)
    if chosen is not None:
        run.check_environment(chosen, purpose)
    pruned = run.write_pruned(chosen, zones, through_dns)
    try:
        return Manager(str(pruned))
    finally:
        pruned.unlink()


def env_names(value, with_defaults: bool = False) -> set[str]:
    """The ``env/NAME`` variables a config value needs (those with a default only if asked)."""
    names = set()
    if isinstance(value, dict):
        for v in value.values():
            names |= env_names(v, with_defaults)
    elif isinstance(value, list):
        for v in value:
            names |= env_names(v, with_defaults)
    elif isinstance(value, str) and value.startswith("env/"):
        parts = value.split("/", 2)
        if len(parts) == 2 or with_defaults:  # env/NAME/default has a default
            names.add(parts[1])
    return names


def load_config(path: Path) -> dict:
    try:
        with open(path) as fh:
            data = octodns_safe_load(fh, enforce_order=False)
    except OSError as e:
        raise ConfigError(
            f"{path}: cannot read the config ({e.strerror}); run from the repository root "
            "or pass --config"
        ) from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML ({' '.join(str(e).split())})") from e
    if not isinstance(data, dict) or not isinstance(data.get("zones"), dict):
        raise ConfigError(f"{path}: not an octoDNS config (needs providers: and zones:)")
    if not isinstance(data.get("providers"), dict):
        raise ConfigError(f"{path}: not an octoDNS config (needs providers: and zones:)")
    return data


def known_provider_ids(config_dir: Path) -> set[str]:
    """Provider ids defined by any octoDNS config beside this one: the valid zone folders."""
    ids = set()
    for path in sorted(config_dir.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError:
            continue
        if isinstance(data, dict) and isinstance(data.get("providers"), dict):
            providers = data["providers"].items()
            ids |= {k for k, v in providers if (v or {}).get("class") not in YAML_PROVIDERS}
    return ids


def _order(config_path: Path, provider: str, conf: dict) -> str | None:
    order = order_of(conf)
    if order is not None and order not in ORDER_MODES:
        raise ConfigError(
            f"{config_path}: provider {provider}: order_mode {order!r} is not one of "
            f"{', '.join(ORDER_MODES)}"
        )
    return order


PROCESSOR_CLASS = "providers.processor.AutodiscoverProcessor"
#: the catalog AutodiscoverProcessor loads when its entry names none
DEFAULT_CATALOG = "config/platforms.yaml"


def processor_ids(data: dict) -> list[str]:
    """The ids of the config's AutodiscoverProcessor entries (by class path), the one it runs first.

    Order: those in ``manager: processors:`` (run on every zone), then those
    zone entries run, then unused ones, each in config order.
    """
    defined = [
        pid
        for pid, conf in (data.get("processors") or {}).items()
        if isinstance(conf, dict) and conf.get("class") == PROCESSOR_CLASS
    ]
    return _by_first_use(defined, data)


def _by_first_use(ids: list[str], data: dict) -> list[str]:
    """Processor ids in the order a config runs them: manager level, zone entries, unused."""
    manager = data.get("manager") or {}
    used = list(manager.get("processors") or []) if isinstance(manager, dict) else []
    for entry in (data.get("zones") or {}).values():
        if isinstance(entry, dict):
            used += entry.get("processors") or []
    first_use = {pid: i for i, pid in reversed(list(enumerate(used)))}
    return sorted(ids, key=lambda pid: first_use.get(pid, len(used)))


def processor_entry(data: dict) -> tuple[str, dict] | None:
    """The id and options (without ``class``) of the AutodiscoverProcessor a config runs."""
    ids = processor_ids(data)
    if not ids:
        return None
    conf = data["processors"][ids[0]]
    return ids[0], {k: v for k, v in conf.items() if k != "class"}


def manager_processor(manager: Manager) -> AutodiscoverProcessor:
    """The AutodiscoverProcessor octoDNS's Manager built, chosen as ``processor_ids`` chooses.

    (The Manager drops ``class`` from its config, so it is found by type here.)
    """
    ours = {pid: p for pid, p in manager.processors.items() if isinstance(p, AutodiscoverProcessor)}
    if not ours:
        raise ConfigError(
            f"the config has no {PROCESSOR_CLASS}; add it to processors: and to every zone"
        )
    return ours[_by_first_use(list(ours), manager.config)[0]]


def load_processor_catalog(data: dict) -> Catalog:
    """The catalog the config's AutodiscoverProcessor uses."""
    found = processor_entry(data)
    return load_catalog((found[1] if found else {}).get("catalog", DEFAULT_CATALOG))


def check_ownership(config_path: Path, data: dict) -> None:
    """Every zone entry with a target must run the Autodiscover processor.

    Without it octoDNS owns the whole zone: ``apply`` would delete every record
    the zone file does not declare. Manager-level processors count.
    """
    ours = set(processor_ids(data))
    manager = data.get("manager") or {}
    global_ = set(manager.get("processors") or []) if isinstance(manager, dict) else set()
    for name, entry in (data.get("zones") or {}).items():
        entry = entry if isinstance(entry, dict) else {}
        if not entry.get("targets"):
            continue
        if not ours & (set(entry.get("processors") or []) | global_):
            listed = ", ".join(sorted(ours)) or "autodiscover"
            hint = (
                f"processors: [{listed}]"
                if ours
                else (f"a processor of class {PROCESSOR_CLASS} and processors: [autodiscover]")
            )
            raise ConfigError(
                f"{config_path}: zone entry '{name}' has targets but does not run the "
                f"Autodiscover processor, so apply could delete records autodiscover-dns does "
                f"not own; add {hint} to that entry"
            )


def prepare(config_path: Path, zones_dir: Path = Path("zones")) -> RunConfig:
    """Load the config, check every zone file offline, and map folders to providers."""
    data = load_config(config_path)
    check_ownership(config_path, data)
    folders: dict[str, str] = {}
    orders: dict[str, str | None] = {}  # folder -> the key order its YamlProvider enforces
    providers = data["providers"]
    for entry in data["zones"].values():
        entry = entry or {}
        for source in entry.get("sources") or []:
            conf = providers.get(source) or {}
            if conf.get("class") in YAML_PROVIDERS and conf.get("directory"):
                targets = entry.get("targets") or []
                if targets:
                    folder = Path(conf["directory"]).name
                    folders[folder] = targets[0]
                    orders[folder] = _order(config_path, source, conf)
    known = known_provider_ids(config_path.parent) | set(folders)
    all_files = discover(zones_dir, known)
    zone_files = [zf for zf in all_files if zf.provider in folders]
    skipped = [zf for zf in all_files if zf.provider not in folders]
    by_domain = {zf.zone.rstrip("."): zf for zf in all_files}
    names: dict[str, frozenset[str]] = {}
    problems = []
    for zf in zone_files:
        try:
            parsed = load_zone_yaml(zf.path, orders[zf.provider])
            check_zone_data(zf.path, zf.zone, parsed)
            check_zone_cuts(zf, parsed, by_domain)
        except AutodiscoverError as e:  # every file is checked: all problems in one run
            problems.append(str(e))
            continue
        remember(zf.path, orders[zf.provider], parsed)
        names[zf.zone] = frozenset(str(k) for k in parsed)
    if problems:
        raise Problems(problems, "zone file(s) with problems; nothing planned or written")
    return RunConfig(config_path, data, zone_files, folders, skipped, names)


@dataclass(frozen=True)
class Added:
    """What ``add_domain`` declared, and where it goes next."""

    path: Path  # the zone file written
    name: str  # the record name in it
    catalog: Catalog  # the catalog of the config's processor
    zone: str = ""  # the zone of that file, with trailing dot
    plan_config: Path | None = None  # the config that plans the file's folder (None: none does)
    provider: str | None = None  # the provider that config sends the zone to
    live_file: Path | None = None  # zone-file provider: the live zone file apply writes
    read_file: Path | None = None  # ... the file plan reads now (live, else seed; None: neither)


def add_domain(
    config_path: Path,
    domain: str,
    platform: str,
    provider: str,
    policy: str = DEFAULT_POLICY,
    ttl: int = 3600,
    zones_dir: Path = Path("zones"),
    target: str | None = None,
    live_zone: str | None = None,
) -> Added:
    """``plan.py add``: declare ``domain``'s SRV in its zone file, checked like ``validate``.

    ``target``: the host for platform ``custom``; ``live_zone``: the apex of the live
    zone holding the domain (``add --resolver``). The result names the config that
    plans the file (the given one if it plans the folder, else the default, the
    production config, then the others beside it) and, for the zone-file provider,
    where the live zone file must be.
    """
    from octodns.record import Record

    from ..core.layout import DEFAULT_CONFIG, PRODUCTION_CONFIG
    from ..zonefile import ZoneFileProvider

    known = known_provider_ids(config_path.parent)
    if provider not in known:
        raise ConfigError(f"unknown provider {provider!r}; use one of {', '.join(sorted(known))}")
    run = prepare(config_path, zones_dir)
    catalog = load_processor_catalog(run.data)
    validators = (run.data.get("manager") or {}).get("validators") or {}
    Record.enable_validators(validators.get("enabled", ["legacy"]))  # as octoDNS's Manager does
    path, name = add_declaration(
        zones_dir, provider, domain, platform, catalog,
        policy=policy, ttl=ttl, existing=run.zone_files + run.skipped,
        target=target, live_zone=live_zone,
    )  # fmt: skip
    zone = path.name.removesuffix(".yaml") + "."
    candidates = [config_path, Path(DEFAULT_CONFIG), Path(PRODUCTION_CONFIG)]
    for candidate in dict.fromkeys(candidates + sorted(config_path.parent.glob("*.yaml"))):
        try:
            data = run.data if candidate == config_path else load_config(candidate)
        except ConfigError:
            continue
        providers = data["providers"]
        for entry in data["zones"].values():
            entry = entry if isinstance(entry, dict) else {}
            targets = entry.get("targets") or []
            sources = [providers.get(s) or {} for s in entry.get("sources") or []]
            if not targets or not any(
                conf.get("class") in YAML_PROVIDERS
                and Path(str(conf.get("directory"))).name == path.parent.name
                for conf in sources
            ):
                continue
            conf = providers.get(targets[0]) or {}
            if conf.get("class") != f"{ZoneFileProvider.__module__}.{ZoneFileProvider.__name__}":
                return Added(path, name, catalog, zone, candidate, targets[0])
            files = ZoneFileProvider(targets[0], **{k: v for k, v in conf.items() if k != "class"})
            return Added(
                path, name, catalog, zone, candidate, targets[0],
                files.live_path(zone), files.read_path(zone),
            )  # fmt: skip
    return Added(path, name, catalog, zone)
