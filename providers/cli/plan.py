"""``plan.py plan``: show what would change in live DNS, and why."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PENDING,
    UsageError,
    add_changed_since,
    add_common,
    add_dns_reading,
    add_force,
    add_format,
    add_quiet,
)

NAME = "plan"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(NAME, help="show what would change in live DNS, and why")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p)
    add_changed_since(p)
    add_format(p, "summary", "markdown", "json")
    p.add_argument("--changes-only", action="store_true",
                   help="text: list only zones with changes or refused")  # fmt: skip
    p.add_argument("--output", metavar="FILE", help="write the plan to FILE instead of stdout")
    p.add_argument("--save-json", metavar="FILE", help="also write the JSON plan to FILE")
    p.add_argument("--save-markdown", metavar="FILE", help="also write the markdown plan to FILE")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 2 when changes are pending, 0 when none (1: error or a "
                   "refused zone)")  # fmt: skip
    add_force(p)
    p.add_argument("--prefilter", choices=("none", "dns"), default="none",
                   help="dns: ask each zone's nameservers first; zones already in sync are "
                   "not read through their provider's API (drift checks)")  # fmt: skip
    add_dns_reading(p)
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..planner.render import render_json, render_markdown, render_summary, render_text

    if args.changes_only and args.format != "text":
        raise UsageError("--changes-only is for --format text (summary lists only changes)")
    engine, changed = open_engine(args)
    result = engine.plan(
        force=args.force, force_zones=args.force_zone, prefilter=args.prefilter == "dns"
    )
    report = result.report
    if "prefilter" in report and not args.quiet:
        print(prefilter_note(report["prefilter"]), file=sys.stderr)
    if changed and changed.scope:
        report = {**report, "scope": changed.scope.as_json()}
    if args.format == "json":
        text = render_json(report)
    elif args.format == "markdown":
        text = render_markdown(report)
    elif args.format == "summary":
        text = render_summary(report)
    else:
        text = render_text(report, changes_only=args.changes_only)
    _emit(text, args.output)
    if args.save_json:
        Path(args.save_json).write_text(render_json(report))
    if args.save_markdown:
        Path(args.save_markdown).write_text(render_markdown(report))
    if result.refused:
        print(refused_line(result.refused, "plan"), file=sys.stderr)
        return EXIT_ERROR
    if args.detailed_exitcode and report["summary"]["zones_with_changes"]:
        return EXIT_PENDING
    return EXIT_OK


def open_engine(args, work_orders: str | None = None):
    """The engine of plan and apply: the config's zones (``--changed-since``: the changed
    ones, its note on stderr), reading live DNS as the options say. (engine, changed)"""
    from ..planner.engine import Engine

    changed = changed_since(args)
    engine = Engine.open(
        Path(args.config), args.zones, progress=not args.quiet, shard=args.shard,
        within=changed.select if changed else None,
    )  # fmt: skip
    if changed and changed.scope:
        print(changed.scope.note(), file=sys.stderr)
    engine.use_dns(args.nameserver, resolver_of(args), args.timeout, work_orders)
    return engine, changed


def changed_since(args):
    """``--changed-since REF``: the files changed since REF in the config's repository."""
    if args.changed_since is None:
        return None
    from ..core.layout import repository_of
    from ..planner.changes import ChangedSince

    root = repository_of(Path(args.config)) or Path.cwd()
    return ChangedSince.read(args.changed_since, root)


def prefilter_note(screened: dict) -> str:
    """What the DNS prefilter did, for the log of a drift job."""
    text = (
        f"prefilter: {len(screened['in_sync'])} zone(s) in sync through DNS (not read "
        f"through their provider), {len(screened['unreadable'])} unreadable through DNS "
        "(planned through their provider)"
    )
    if screened["not_through_dns"]:
        text += (
            f", {len(screened['not_through_dns'])} not asked (zone files are read directly; "
            "manual zones are read through DNS anyway)"
        )
    return text


def resolver_of(args) -> str | None:
    """The one recursive resolver that finds nameservers (the first --resolver given)."""
    return args.resolver[0] if args.resolver else None


def refused_line(refused: dict[str, str], command: str) -> str:
    """The closing error line of a run with refused zones, with each zone's reason."""
    zones = "; ".join(f"{zone.rstrip('.')}: {why}" for zone, why in sorted(refused.items())[:3])
    more = f"; and {len(refused) - 3} more (see the plan)" if len(refused) > 3 else ""
    after = "the other zones were applied" if command == "apply" else "the other zones are planned"
    return f"error: {len(refused)} zone(s) refused ({zones}{more}); {after}"


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text)
        print(f"plan written to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
