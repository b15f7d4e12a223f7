"""The command line: argparse only, one module per command.

Each command module builds its subparser (``add_parser``: name and help;
``add_arguments``: its options) and its ``run(args)`` calls into the planner or
live DNS, imported lazily so start-up stays fast. What they share (exit codes,
the default config, common options, argument types) is in :mod:`.options`.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
import warnings
from pathlib import Path

from ..core.errors import Problems
from ..core.layout import repository_of
from ..planner.interrupts import STOP, Interrupted
from . import add, apply, confirm, doctor, import_, list_, locate, plan, report, validate
from .options import EPILOG, EXIT_ERROR, EXIT_OK, Parser, UsageError, add_debug

#: in the order --help lists them
COMMANDS = (plan, apply, validate, add, list_, confirm, doctor, import_, report, locate)


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


#: options naming the user's own files: relative to where the user is, not the repository
USER_PATHS = ("output", "save_json", "save_markdown", "plan", "html", "json", "csv", "outlook_reg")


def enter_repository(args) -> None:
    """Run in the repository that holds ``--config``: the paths in a config (zones/,
    live/, the catalog) and ``.env`` are relative to it, so ``--config
    /abs/repo/config/local.yaml`` works from any directory. The user's own file
    options are made absolute first. ``.env`` there is read without overriding
    variables already set."""
    config = getattr(args, "config", None)
    root = repository_of(Path(config)) if config else None
    if config and root is not None and root != Path.cwd().resolve():
        for name in USER_PATHS:
            value = getattr(args, name, None)
            if isinstance(value, str):
                setattr(args, name, os.path.abspath(value))
        args.config = str(Path(config).resolve().relative_to(root))
        os.chdir(root)
    if Path(".env").is_file():
        from dotenv import load_dotenv

        load_dotenv(".env", override=False)


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
    STOP.install()
    try:
        enter_repository(args)
        return args.func(args)
    except (Interrupted, KeyboardInterrupt) as e:
        code = e.exit_code if isinstance(e, Interrupted) else 130
        print(f"error: interrupted ({e or 'SIGINT'}); nothing more was done", file=sys.stderr)
        return code
    except BrokenPipeError:  # `plan.py list | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Problems as e:  # several files: one line each, then the count
        for line in e.lines:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:  # every failure becomes one line; --debug shows where
        if debug:
            traceback.print_exc()
        print(f"error: {describe(e)}", file=sys.stderr)
        return EXIT_ERROR
