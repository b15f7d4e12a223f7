"""The platform catalog: which SRV record each Mailprotector platform needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import CatalogError

CUSTOM = "custom"


@dataclass(frozen=True)
class Platform:
    """One email platform and the single SRV value it asks for."""

    key: str
    name: str
    target: str
    port: int = 443
    priority: int = 0
    weight: int = 0
    note: str | None = None

    @property
    def srv_value(self) -> dict[str, int | str]:
        """The value as octoDNS writes it in a zone file."""
        return {
            "port": self.port,
            "priority": self.priority,
            "target": self.target,
            "weight": self.weight,
        }

    def matches(self, value: Mapping[str, Any]) -> bool:
        return (
            int(value["priority"]) == self.priority
            and int(value["weight"]) == self.weight
            and int(value["port"]) == self.port
            and str(value["target"]).lower() == self.target.lower()
        )


@dataclass(frozen=True)
class Catalog:
    platforms: dict[str, Platform]

    def get(self, key: str) -> Platform:
        try:
            return self.platforms[key]
        except KeyError as e:
            known = ", ".join(sorted(self.platforms))
            raise CatalogError(
                f"unknown platform '{key}': use one of {known} (or 'custom' for your own target)"
            ) from e

    def match(self, value: Mapping[str, Any]) -> Platform | None:
        """The platform whose SRV value this is, if any."""
        for platform in self.platforms.values():
            if platform.matches(value):
                return platform
        return None


def load_catalog(path: str | Path) -> Catalog:
    """Read ``config/platforms.yaml``; a broken catalog is a clear error."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise CatalogError(f"{path}: cannot read the platform catalog ({e.strerror})") from e
    except yaml.YAMLError as e:
        raise CatalogError(f"{path}: not valid YAML ({_first_line(e)})") from e
    entries = (data or {}).get("platforms") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise CatalogError(f"{path}: expected a 'platforms:' mapping with at least one platform")
    platforms: dict[str, Platform] = {}
    for key, entry in entries.items():
        if not isinstance(entry, dict) or "target" not in entry or "name" not in entry:
            raise CatalogError(f"{path}: platform '{key}' needs 'name' and 'target'")
        if key == CUSTOM:
            raise CatalogError(f"{path}: 'custom' is reserved for declared custom targets")
        target = str(entry["target"])
        if not target.endswith("."):
            raise CatalogError(f"{path}: platform '{key}' target must end with a dot")
        platforms[key] = Platform(
            key=key,
            name=str(entry["name"]),
            target=target,
            port=int(entry.get("port", 443)),
            priority=int(entry.get("priority", 0)),
            weight=int(entry.get("weight", 0)),
            note=entry.get("note"),
        )
    return Catalog(platforms)


def _first_line(error: Exception) -> str:
    return " ".join(str(error).split())
