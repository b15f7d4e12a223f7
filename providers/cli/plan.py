"""``plan.py plan``: show what would change in live DNS, and why."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import EXIT_OK, EXIT_PENDING, add_common, add_format, add_quiet

NAME = "plan"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(NAME, help="show what would change in live DNS, and why")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p)
    add_format(p, "markdown", "json")
    p.add_argument("--output", metavar="FILE", help="write the plan to FILE instead of stdout")
    p.add_argument("--save-json", metavar="FILE", help="also write the JSON plan to FILE")
    p.add_argument("--save-markdown", metavar="FILE", help="also write the markdown plan to FILE")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 2 when changes are pending, 0 when none")  # fmt: skip
    p.add_argument("--force", action="store_true", help="do not fail on unsafe plans")
    add_quiet(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..planner.engine import Engine
    from ..planner.render import render_json, render_markdown, render_text

    engine = Engine.open(Path(args.config), args.zones, progress=not args.quiet, shard=args.shard)
    result = engine.plan()
    report = result.report
    if args.format == "json":
        text = render_json(report)
    elif args.format == "markdown":
        text = render_markdown(report)
    else:
        text = render_text(report)
    _emit(text, args.output)
    if args.save_json:
        Path(args.save_json).write_text(render_json(report))
    if args.save_markdown:
        Path(args.save_markdown).write_text(render_markdown(report))
    engine.check_safe(result, force=args.force)
    if args.detailed_exitcode and report["summary"]["zones_with_changes"]:
        return EXIT_PENDING
    return EXIT_OK


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text)
        print(f"plan written to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
