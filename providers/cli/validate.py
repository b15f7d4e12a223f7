"""``plan.py validate``: check config and zone files offline."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import EXIT_OK, add_common

NAME = "validate"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(NAME, help="check config and zone files offline")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, zones=False)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..planner.engine import validate_offline

    count = validate_offline(Path(args.config))
    print(f"ok: {count} email domain(s) declared validly for {args.config}")
    return EXIT_OK
