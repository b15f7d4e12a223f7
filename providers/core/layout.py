"""Where things are in a repository, relative to its root (declared once)."""

from pathlib import Path

#: the embedded default (no credentials needed) and the production config
DEFAULT_CONFIG = "config/local.yaml"
PRODUCTION_CONFIG = "config/octodns.yaml"

#: a repository is the directory that holds the zone files
ZONES_DIR = "zones"


def repository_of(config: Path) -> Path | None:
    """The repository holding ``config`` (``<repo>/config/x.yaml`` or ``<repo>/x.yaml``):
    the nearest directory above it with a ``zones/`` folder, or None."""
    for folder in list(config.resolve().parents)[:3]:
        if (folder / ZONES_DIR).is_dir():
            return folder
    return None
