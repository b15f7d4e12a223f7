"""``plan.py apply``: make exactly the planned (and reviewed) changes."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from .options import (
    EXIT_ERROR,
    EXIT_OK,
    UsageError,
    add_changed_since,
    add_common,
    add_dns_reading,
    add_force,
)
from .plan import open_engine, refused_line

NAME = "apply"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(NAME, help="make exactly the planned changes")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p)
    add_changed_since(p)
    p.add_argument("--checksum", metavar="HEX", help="apply only if the plan has this checksum")
    p.add_argument("--plan", metavar="FILE", help="reviewed plan JSON: apply only if unchanged")
    add_force(p)
    add_dns_reading(p)
    p.add_argument("--work-orders", metavar="DIR",
                   help="where the manual provider writes work orders (default: its config's "
                   "work_orders, ./work-orders)")  # fmt: skip
    p.add_argument("--quiet", action="store_true",
                   help="no progress and no line per applied zone; the tally stays")  # fmt: skip
    p.set_defaults(func=run)


def run(args) -> int:
    from ..planner.interrupts import STOP
    from ..planner.render import render_text

    if args.plan and args.checksum:
        raise UsageError("give --checksum or --plan, not both")
    expected = args.checksum or (_checksum_from_file(args.plan) if args.plan else None)
    if expected is not None:
        expected = _well_formed(expected, f"{args.plan}: its checksum" if args.plan else None)
    engine, _changed = open_engine(args, args.work_orders)
    with engine.apply_lock():
        result = engine.plan(force=args.force, force_zones=args.force_zone)
        print(render_text(result.report, changes_only=args.quiet), end="")
        if expected and expected != result.report["checksum"]:
            if not result.report["summary"]["zones_with_changes"]:
                # a CI retry after the reviewed plan landed: nothing is left to do
                print(
                    f"Nothing to apply: live DNS already matches the zone files (the reviewed "
                    f"plan {expected[:12]}... is live or no longer needed)."
                )
                return EXIT_ERROR if result.refused else EXIT_OK
            print(
                f"error: the plan changed since it was reviewed: reviewed checksum {expected}, "
                f"current {result.report['checksum']}; nothing written. Review the plan above "
                "and apply its checksum.",
                file=sys.stderr,
            )
            return EXIT_ERROR

        def show(o) -> None:
            if o.error:
                print(f"FAILED  {o.zone} at {o.target}: {o.error}", file=sys.stderr, flush=True)
            elif o.work_order is not None:  # a manual zone: nothing was written to DNS
                files = ", ".join(str(p) for p in o.work_order)
                print(f"work order {o.zone} at {o.target}: {o.changes} change(s) to make by "
                      f"hand -> {files}", flush=True)  # fmt: skip
            elif not args.quiet:
                print(f"applied {o.zone} at {o.target}: {o.changes} change(s)", flush=True)

        with STOP.deferred() as stop:
            outcomes = engine.apply(result, stop, report=show)
    return _tally(result, outcomes, stop, args.quiet)


def _tally(result, outcomes: list, stop, quiet: bool) -> int:
    """The closing lines of every apply: what was applied, failed, refused, not started."""
    applied = [o for o in outcomes if not o.error and o.work_order is None]
    ordered = [o for o in outcomes if not o.error and o.work_order is not None]
    failed = [o for o in outcomes if o.error]
    done = {o.zone for o in outcomes}
    left = [plan.desired.name for _t, plan in result.plans if plan.desired.name not in done]
    if stop.received:
        if quiet:  # the per-zone lines were silenced: the list is what the user needs now
            for o in applied:
                print(f"applied {o.zone} at {o.target}: {o.changes} change(s)")
        for zone in left:
            print(f"not applied {zone} (interrupted)")
    changes = sum(o.changes for o in applied)
    orders = f", {len(ordered)} by work order" if ordered else ""
    print(
        f"Tally: {len(applied)} zone(s) applied ({changes} change(s)){orders}, {len(failed)} "
        f"failed, {len(result.refused)} refused, {len(left)} not started."
    )
    if stop.received:
        print(
            f"error: interrupted by {stop.name}: stopped after {len(outcomes)} of "
            f"{len(result.plans)} zone(s), none half-applied; run plan again to see what is left",
            file=sys.stderr,
        )
        return stop.exit_code
    if failed:
        print(
            f"error: {len(failed)} of {len(outcomes)} zone(s) failed; the others were applied. "
            "Run plan again: it shows what is left.",
            file=sys.stderr,
        )
    if result.refused:
        print(refused_line(result.refused, "apply"), file=sys.stderr)
    return EXIT_ERROR if failed or result.refused else EXIT_OK


def _well_formed(checksum: str, where: str | None) -> str:
    """A plan checksum is 64 hex digits (sha256): say so instead of "the plan changed"."""
    text = checksum.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        what = where or f"--checksum {checksum!r}"
        raise UsageError(
            f"{what} is malformed: a plan checksum is the 64 hex digits of the plan's "
            "'Checksum:' line"
        )
    return text


def _checksum_from_file(path: str) -> str:
    try:
        data = json.loads(Path(path).read_text())
        return str(data["checksum"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"{path}: not a plan written by 'plan --format json'") from None
