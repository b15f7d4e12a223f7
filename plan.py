#!/usr/bin/env python3
"""autodiscover-dns: plan, apply and check Mailprotector Autodiscover SRV records.

The planner's face: it checks the repository, drives octoDNS's Manager with our
processor, renders plans and maps every failure to one line and an exit code.
Policy and provider logic live in the ``providers`` package.

Exit codes: 0 success (no changes with --detailed-exitcode); 2 changes pending
(plan --detailed-exitcode) or domains not yet confirmed (confirm); 1 any error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
import warnings
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_PENDING = 0, 1, 2
DEFAULT_CONFIG = "config/local.yaml"
#: command modules in providers/ that register their own subcommand
EXTRA_COMMANDS: tuple[str, ...] = (
    "providers.live.confirm",
    "providers.live.doctor",
    "providers.planner.importer",
    "providers.live.statuspage",
)


class UsageError(Exception):
    """Bad command-line usage: one line, exit 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 by default; 2 means "changes pending" here
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(EXIT_ERROR)


class _OneLineHandler(logging.Handler):
    """Library log records as single 'warning:' lines; tracebacks only with --debug."""

    def __init__(self, debug: bool) -> None:
        super().__init__(logging.DEBUG if debug else logging.WARNING)
        self.debug = debug

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())
        level = record.levelname.lower()
        print(f"{level}: {record.name}: {message}", file=sys.stderr)
        if self.debug and record.exc_info:
            traceback.print_exception(*record.exc_info, file=sys.stderr)


def _setup_logging(debug: bool) -> None:
    root = logging.getLogger()
    root.handlers[:] = [_OneLineHandler(debug)]
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    # octoDNS logs expected failures (secrets, populate errors) with log.exception
    # before raising; the CLI reports the raised error once, in one line.
    for name in ("EnvironSecrets", "Manager"):
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.CRITICAL)
    if not debug:
        warnings.simplefilter("ignore", DeprecationWarning)


# -- commands -----------------------------------------------------------------


def cmd_plan(args) -> int:
    from providers.planner.engine import Engine
    from providers.planner.render import render_json, render_markdown, render_text

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


def cmd_apply(args) -> int:
    from providers.planner.engine import Engine
    from providers.planner.render import render_text

    if args.plan and args.checksum:
        raise UsageError("give --checksum or --plan, not both")
    expected = args.checksum or (_checksum_from_file(args.plan) if args.plan else None)
    engine = Engine.open(Path(args.config), args.zones, progress=not args.quiet, shard=args.shard)
    with engine.apply_lock():
        result = engine.plan()
        print(render_text(result.report), end="")
        if expected and expected != result.report["checksum"]:
            print(
                f"error: the plan changed since it was reviewed: reviewed checksum {expected}, "
                f"current {result.report['checksum']}; nothing written. Review the plan above "
                "and apply its checksum.",
                file=sys.stderr,
            )
            return EXIT_ERROR
        engine.check_safe(result, force=args.force)
        outcomes = engine.apply(result)
    failed = [o for o in outcomes if o.error]
    for o in outcomes:
        if o.error:
            print(f"FAILED  {o.zone} at {o.target}: {o.error}", file=sys.stderr)
        else:
            print(f"applied {o.zone} at {o.target}: {o.changes} change(s)")
    if not outcomes:
        print("Nothing to apply: live DNS already matches the zone files.")
    if failed:
        print(
            f"error: {len(failed)} of {len(outcomes)} zone(s) failed; the others were applied. "
            "Run plan again: it shows what is left.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK


def cmd_validate(args) -> int:
    from providers.planner.engine import validate_offline

    count = validate_offline(Path(args.config))
    print(f"ok: {count} email domain(s) declared validly for {args.config}")
    return EXIT_OK


def cmd_add(args) -> int:
    from providers.planner.configuration import known_provider_ids, prepare
    from providers.planner.engine import load_processor_catalog
    from providers.planner.repository import add_declaration

    config_path = Path(args.config)
    known = known_provider_ids(config_path.parent)
    if args.provider not in known:
        raise UsageError(
            f"unknown provider {args.provider!r}; use one of {', '.join(sorted(known))}"
        )
    run = prepare(config_path)
    catalog = load_processor_catalog(run.data)
    path, name = add_declaration(
        Path("zones"), args.provider, args.domain, args.platform, catalog,
        policy=args.policy, ttl=args.ttl,
        existing=run.zone_files + run.skipped,
    )  # fmt: skip
    platform = catalog.get(args.platform)
    value = f"{platform.priority} {platform.weight} {platform.port} {platform.target}"
    print(f"wrote {path}: {name} SRV {value} ({platform.name})")
    if platform.note:
        print(f"note: {platform.note}")
    print("next: make plan")
    return EXIT_OK


# -- helpers -------------------------------------------------------------------


def _describe(error: BaseException) -> str:
    if isinstance(error, UsageError):
        return str(error)
    if isinstance(error, ModuleNotFoundError):
        return (
            f"{error.name} is not installed for {sys.executable}; run make setup and use "
            ".venv/bin/python plan.py (or any make target)"
        )
    try:
        from providers.planner.engine import describe
    except Exception:  # the package itself failed to import
        return f"{type(error).__name__}: {' '.join(str(error).split())}"
    return describe(error)


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not I/N, e.g. 2/4") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"shard {text}: need 1 <= I <= N")
    return index, count


def _emit(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text)
        print(f"plan written to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _checksum_from_file(path: str) -> str:
    import json

    try:
        data = json.loads(Path(path).read_text())
        return str(data["checksum"])
    except (OSError, ValueError, KeyError, TypeError):
        raise UsageError(f"{path}: not a plan written by 'plan --format json'") from None


CORE_COMMANDS = ("plan", "apply", "validate", "add")


def build_parser(extras: bool = True) -> argparse.ArgumentParser:
    """The CLI; ``extras=False`` skips importing the other commands' modules (startup time)."""
    parser = _Parser(
        prog="plan.py",
        description="Publish Mailprotector Autodiscover SRV records and remove what hijacks "
        "Outlook's Autodiscover, as octoDNS plans.",
        epilog="Exit codes: 0 ok, 1 error, 2 changes pending (--detailed-exitcode) or not "
        "confirmed.",
    )
    parser.add_argument("--debug", action="store_true", help="log everything, show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p, zones=True):
        p.add_argument(
            "--config", default=DEFAULT_CONFIG, help=f"octoDNS config ({DEFAULT_CONFIG})"
        )
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="log everything, show tracebacks")  # fmt: skip
        if zones:
            p.add_argument("zones", nargs="*", metavar="ZONE", help="only these zones")
            p.add_argument("--shard", metavar="I/N", type=_shard,
                           help="only shard I of N (by zone-name hash)")  # fmt: skip

    p = sub.add_parser("plan", help="show what would change in live DNS, and why")
    common(p)
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--output", metavar="FILE", help="write the plan to FILE instead of stdout")
    p.add_argument("--save-json", metavar="FILE", help="also write the JSON plan to FILE")
    p.add_argument("--save-markdown", metavar="FILE", help="also write the markdown plan to FILE")
    p.add_argument("--detailed-exitcode", action="store_true",
                   help="exit 2 when changes are pending, 0 when none")  # fmt: skip
    p.add_argument("--force", action="store_true", help="do not fail on unsafe plans")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("apply", help="make exactly the planned changes")
    common(p)
    p.add_argument("--checksum", metavar="HEX", help="apply only if the plan has this checksum")
    p.add_argument("--plan", metavar="FILE", help="reviewed plan JSON: apply only if unchanged")
    p.add_argument("--force", action="store_true", help="allow more deletes than max_deletes")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_apply)

    p = sub.add_parser("validate", help="check config and zone files offline")
    common(p, zones=False)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("add", help="declare a domain's Autodiscover SRV record")
    common(p, zones=False)
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument("--platform", required=True, help="catalog key, e.g. exchange-2016")
    p.add_argument("--provider", required=True, help="provider id: the zones/ folder")
    p.add_argument("--policy", choices=("remove", "shield", "report"), default="remove")
    p.add_argument("--ttl", type=int, default=3600)
    p.set_defaults(func=cmd_add)

    for module in EXTRA_COMMANDS if extras else ():
        # each registers its own subcommand: register(sub, common) sets func
        importlib.import_module(module).register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    try:
        parser = build_parser(extras=command not in CORE_COMMANDS)
    except ModuleNotFoundError as e:
        print(f"error: {_describe(e)}", file=sys.stderr)
        return EXIT_ERROR
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    _setup_logging(debug)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:  # every failure becomes one line; --debug shows where
        if debug:
            traceback.print_exc()
        print(f"error: {_describe(e)}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
