"""What every command shares, declared once: exit codes, the default config, the common
options and the argument types. argparse only; nothing here asks DNS or reads a config."""

from __future__ import annotations

import argparse
import sys

from ..core.layout import DEFAULT_CONFIG

EXIT_OK, EXIT_ERROR, EXIT_PENDING = 0, 1, 2

EPILOG = "Exit codes: 0 ok, 1 error, 2 changes pending (--detailed-exitcode) or not confirmed."


class UsageError(Exception):
    """Bad command-line usage: one line, exit 1."""


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 by default; 2 means "changes pending" here
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        sys.exit(EXIT_ERROR)


def add_debug(p: argparse.ArgumentParser, **kwargs) -> None:
    p.add_argument("--debug", action="store_true", help="log everything, show tracebacks", **kwargs)


def add_common(
    p: argparse.ArgumentParser, zones: bool = True, config_help: str | None = None
) -> None:
    """--config, --debug (also after the command) and, with ``zones``, ZONE... and --shard."""
    p.add_argument(
        "--config", default=DEFAULT_CONFIG, help=config_help or f"octoDNS config ({DEFAULT_CONFIG})"
    )
    add_debug(p, default=argparse.SUPPRESS)
    if zones:
        p.add_argument("zones", nargs="*", metavar="ZONE",
                       help="only these zones or email domains")  # fmt: skip
        p.add_argument("--shard", metavar="I/N", type=shard_arg,
                       help="only shard I of N (by zone-name hash)")  # fmt: skip


def add_changed_since(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--changed-since", metavar="REF",
        help="only the zones whose zone files differ from git revision REF (the whole estate "
        "when config/, providers/, plan.py or the lock files differ)",
    )  # fmt: skip


def add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="lift the unsafe-plan guards (max_deletes) for every zone")  # fmt: skip
    p.add_argument("--force-zone", action="append", default=[], metavar="ZONE",
                   help="lift them for this zone only (repeatable)")  # fmt: skip


def add_quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")


def add_format(p: argparse.ArgumentParser, *choices: str) -> None:
    p.add_argument("--format", choices=("text", *choices), default="text")


def add_live_dns_options(p: argparse.ArgumentParser, output_format: bool = True) -> None:
    """Options shared by confirm, doctor and report: where live DNS is asked.

    ``output_format=False`` leaves out ``--format`` (report writes files of fixed formats).
    """
    add_nameserver(p)
    p.add_argument(
        "--serve-local", action="store_true",
        help="serve the zone-file provider's zones (live/, else examples/live/) with a local "
        "BIND named on 127.0.0.1 and ask it",
    )  # fmt: skip
    add_timeout(p)
    if output_format:
        add_format(p, "json")


def add_nameserver(p: argparse.ArgumentParser, what: str = "") -> None:
    p.add_argument(
        "--nameserver", action="append", metavar="HOST[:PORT]", type=nameserver_arg,
        help=f"ask this nameserver instead of the zone's NS set{what} (repeat for several; "
        "[IPv6]:PORT for IPv6 with a port)",
    )  # fmt: skip


def add_timeout(p: argparse.ArgumentParser) -> None:
    from ..live.queries import DEFAULT_TIMEOUT, TRIES

    p.add_argument(
        "--timeout", type=positive_float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
        help=f"per DNS query try; {TRIES} tries over UDP (default {DEFAULT_TIMEOUT:g})",
    )  # fmt: skip


def add_dns_reading(p: argparse.ArgumentParser) -> None:
    """plan and apply: how zones of hosts without an API (the manual provider) are read."""
    add_nameserver(p, " (zones read through DNS: the manual provider)")
    add_resolver(p, "recursive resolver that finds each zone's nameservers (default: the "
                 "system's)")  # fmt: skip
    add_timeout(p)


def add_resolver(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--resolver", action="append", metavar="IP[:PORT]", type=resolver_arg,
                   help=help)  # fmt: skip


# -- argument types ----------------------------------------------------------------


def shard_arg(text: str) -> tuple[int, int]:
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not I/N, e.g. 2/4") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"shard {text}: need 1 <= I <= N")
    return index, count


def nameserver_arg(spec: str) -> str:
    """A nameserver: check the syntax now, resolve host names later."""
    from ..live.servers import split_host_port

    try:
        host, _ = split_host_port(spec)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if not host:
        raise argparse.ArgumentTypeError(f"{spec!r}: no host")
    return spec


def resolver_arg(spec: str) -> str:
    """A resolver is given by address (IP[:PORT] or [IPv6]:PORT)."""
    from ..core.declarations import is_ip
    from ..live.servers import split_host_port

    try:
        host, _ = split_host_port(spec)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None
    if not is_ip(host):
        raise argparse.ArgumentTypeError(f"{spec!r}: give the resolver's IP address")
    return spec


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: must be more than 0 seconds")
    return value


def non_negative_float(text: str) -> float:
    if text.strip() in ("0", "0.0"):
        return 0.0
    return positive_float(text)
