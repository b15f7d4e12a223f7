"""The command line: argparse only, one module per command.

Each command module builds its subparser (``add_parser``: name and help;
``add_arguments``: its options) and its ``run(args)`` calls into the planner or
live DNS, imported lazily so start-up stays fast. What they share (exit codes,
the default config, common options, argument types) is in :mod:`.options`.
"""

from __future__ import annotations

import logging
import sys
import traceback
import warnings

from . import add, apply, confirm, doctor, import_, plan, report, validate
from .options import EPILOG, EXIT_ERROR, Parser, UsageError, add_debug

#: in the order --help lists them
COMMANDS = (plan, apply, validate, add, confirm, doctor, import_, report)


def build_parser(command: str | None = None) -> Parser:
    """The CLI. With ``command``, only that subcommand gets its options (the others are
    listed for --help but cost no imports): start-up time."""
    parser = Parser(
        prog="plan.py",
        description="Publish Mailprotector Autodiscover SRV records and remove what hijacks "
        "Outlook's Autodiscover, as octoDNS plans.",
        epilog=EPILOG,
    )
    add_debug(parser)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS:
        p = module.add_parser(sub)
        if command is None or command == module.NAME:
            module.add_arguments(p)
    return parser


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


def describe(error: BaseException) -> str:
    """One line for any failure."""
    if isinstance(error, UsageError):
        return str(error)
    if isinstance(error, ModuleNotFoundError):
        return (
            f"{error.name} is not installed for {sys.executable}; run make setup and use "
            ".venv/bin/python plan.py (or any make target)"
        )
    try:
        from ..planner.engine import describe as describe_error
    except Exception:  # the package itself failed to import
        return f"{type(error).__name__}: {' '.join(str(error).split())}"
    return describe_error(error)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    try:
        parser = build_parser(command)
    except ModuleNotFoundError as e:
        print(f"error: {describe(e)}", file=sys.stderr)
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
        print(f"error: {describe(e)}", file=sys.stderr)
        return EXIT_ERROR
