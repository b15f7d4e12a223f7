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
from dataclasses import dataclass
from pathlib import Path

import yaml
from octodns.yaml import safe_load as octodns_safe_load

from ..core.errors import AutodiscoverError
from ..libyaml import ORDER_MODES, order_of, remember
from .repository import ZoneFile, check_zone_cuts, check_zone_data, discover, load_zone_yaml

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

    def file_for(self, zone: str) -> Path | None:
        for zf in self.zone_files:
            if zf.zone == zone:
                return zf.path
        return None

    @property
    def used_providers(self) -> set[str]:
        used = set()
        for name, entry in self.data.get("zones", {}).items():
            if self._entry_has_zones(name, entry):
                used |= set(entry.get("sources") or []) | set(entry.get("targets") or [])
        return used

    def _entry_has_zones(self, name: str, entry: dict) -> bool:
        if not name.startswith("*"):
            return True
        folders = {self._folder(s) for s in entry.get("sources") or []}
        return any(zf.provider in folders for zf in self.zone_files)

    def _folder(self, provider_id: str) -> str | None:
        conf = self.data.get("providers", {}).get(provider_id) or {}
        if conf.get("class") in YAML_PROVIDERS and conf.get("directory"):
            return Path(conf["directory"]).name
        return None

    def check_environment(self) -> None:
        """Every ``env/NAME`` of a used provider must be set; name the first zone needing it.

        An empty variable counts as unset (CI systems pass unset secrets as ''),
        so ``env/NAME/default`` then falls back to its default.
        """
        for provider_id in sorted(self.used_providers):
            conf = self.data.get("providers", {}).get(provider_id) or {}
            for name in sorted(env_names(conf, with_defaults=True)):
                if os.environ.get(name) == "":
                    del os.environ[name]
            for name in sorted(env_names(conf)):
                if name not in os.environ:
                    zone = next(
                        (
                            zf
                            for zf in self.zone_files
                            if self.folders.get(zf.provider) == provider_id
                        ),
                        None,
                    )
                    who = f"zone {zone.zone} ({zone.path})" if zone else f"provider {provider_id}"
                    raise ConfigError(
                        f"{who} needs environment variable {name} for provider {provider_id}; "
                        "set it (see .env.example)"
                    )

    def write_pruned(self) -> Path:
        """A temporary copy of the config holding only the providers some zone uses."""
        used = self.used_providers
        data = dict(self.data)
        data["providers"] = {k: v for k, v in self.data.get("providers", {}).items() if k in used}
        data["zones"] = {
            name: entry
            for name, entry in self.data.get("zones", {}).items()
            if set(entry.get("sources") or []) | set(entry.get("targets") or []) <= used
        }
        fd, tmp = tempfile.mkstemp(prefix="autodiscover-dns-", suffix=".yaml")
        with os.fdopen(fd, "w") as fh:
            yaml.safe_dump(plain(data), fh, sort_keys=False)
        return Path(tmp)


def plain(value):
    """octoDNS's loader returns dict subclasses carrying file context; dump plain ones."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


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
        ) from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML ({' '.join(str(e).split())})") from None
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


def check_ownership(config_path: Path, data: dict) -> None:
    """Every zone entry with a target must run the Autodiscover processor.

    Without it octoDNS owns the whole zone: ``apply`` would delete every record
    the zone file does not declare. Manager-level processors count.
    """
    ours = {
        pid
        for pid, conf in (data.get("processors") or {}).items()
        if isinstance(conf, dict) and conf.get("class") == PROCESSOR_CLASS
    }
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
    for zf in zone_files:
        parsed = load_zone_yaml(zf.path, orders[zf.provider])
        check_zone_data(zf.path, zf.zone, parsed)
        check_zone_cuts(zf, parsed, by_domain)
        remember(zf.path, orders[zf.provider], parsed)
    return RunConfig(config_path, data, zone_files, folders, skipped)
