"""``plan.py locate``: where each domain's DNS is hosted, and what to know before changing it.

The delegation is read at the parent (a resolver only shows the zone's own NS set), every
nameserver is asked directly with the AA bit required, and the host is named from the
nameservers' names by ``config/dns-hosts.yaml``. Exit 0 every domain located without
problems, 2 some with problems, 1 bad input or no usable resolver.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from .options import (
    EXIT_OK,
    EXIT_PENDING,
    UsageError,
    add_debug,
    add_format,
    positive_float,
    resolver_arg,
)

NAME = "locate"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(
        NAME,
        help="find where each domain's DNS is hosted",
        description="Ask DNS for each domain's delegation (the NS set at the parent and the "
        "zone's own NS set, every nameserver directly) and name the DNS host and the zones/ "
        "folder from the nameservers' names (config/dns-hosts.yaml). Reports NXDOMAIN, lame or "
        "inconsistent delegation and DNSSEC. Exit 0 all located without problems, 2 some with "
        "problems, 1 error.",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..live.queries import DEFAULT_TIMEOUT, TRIES

    add_debug(p, default=argparse.SUPPRESS)
    p.add_argument("domains", nargs="*", metavar="DOMAIN", help="the domains to locate")
    p.add_argument(
        "--csv", metavar="FILE",
        help="also locate the domains in the first column of FILE (header optional)",
    )  # fmt: skip
    p.add_argument(
        "--resolver", metavar="IP[:PORT]", type=resolver_arg,
        help="the recursive resolver to ask (default: the system's)",
    )  # fmt: skip
    p.add_argument(
        "--timeout", type=positive_float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
        help=f"per query try; {TRIES} tries over UDP (default {DEFAULT_TIMEOUT:g})",
    )  # fmt: skip
    add_format(p, "json")
    p.set_defaults(func=run)


def run(args) -> int:
    """0 all located without problems, 2 some with problems, 1 an error."""
    import json

    from ..live.locate import (
        HOSTS_FILE,
        check_resolver,
        load_host_table,
        locate,
        render_json,
        render_text,
        system_resolver_server,
    )
    from ..live.queries import Settings
    from ..live.servers import servers_from_specs

    domains = domains_from(args.domains, args.csv)
    table = load_host_table(Path(__file__).resolve().parents[2] / HOSTS_FILE)
    settings = Settings(timeout=args.timeout)
    if args.resolver is not None:
        resolver = servers_from_specs([args.resolver])[0]
    else:
        resolver = system_resolver_server()
    check_resolver(resolver, settings)
    locations = locate(domains, resolver, settings, table)
    if args.format == "json":
        print(json.dumps(render_json(locations), indent=2))
    else:
        print(render_text(locations), end="")
    return EXIT_PENDING if any(loc.problems for loc in locations) else EXIT_OK


def domains_from(arguments: list[str], csv_file: str | None) -> list[str]:
    """The domains to locate, checked and canonical (lower case, no trailing dot), each
    once, in the order given; the first bad one is the error."""
    from ..planner.repository import check_domain_name

    found = [check_domain_name(_canonical(d), NAME) for d in arguments]
    if csv_file is not None:
        found += _read_csv(csv_file, check_domain_name)
    if not found:
        raise UsageError("no domain to locate: give DOMAIN ... or --csv FILE")
    return list(dict.fromkeys(found))


def _canonical(text: str) -> str:
    return text.strip().rstrip(".").lower()


def _read_csv(path: str, check) -> list[str]:
    """The first column; a first row whose first cell has no dot is a header."""
    from ..core.errors import AutodiscoverError

    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(enumerate(csv.reader(f), start=1))
    except OSError as e:
        raise AutodiscoverError(f"--csv {path}: cannot read it ({e.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise AutodiscoverError(f"--csv {path}: not a UTF-8 CSV file ({e})") from None
    found = []
    bad: list[str] = []
    for number, row in rows:
        cell = _canonical(row[0]) if row else ""
        if not cell or cell.startswith("#"):
            continue
        if number == 1 and "." not in cell:
            continue  # a header such as "domain"
        try:
            found.append(check(cell, f"{path} line {number}"))
        except AutodiscoverError as e:
            bad.append(str(e))
    if bad:
        more = f" (and {len(bad) - 1} more bad row(s))" if len(bad) > 1 else ""
        raise AutodiscoverError(bad[0] + more)
    if not found:
        raise AutodiscoverError(f"--csv {path}: no domain in its first column")
    return found
