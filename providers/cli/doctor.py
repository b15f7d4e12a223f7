"""``plan.py doctor``: walk Outlook's Autodiscover order on live DNS, in plain words."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PENDING,
    add_common,
    add_live_dns_options,
    add_resolver,
)

NAME = "doctor"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(
        NAME,
        help="explain, step by step, what Outlook's Autodiscover will do for each domain",
        description="Walk Outlook's Autodiscover order (root domain, autodiscover.<domain>, "
        "SRV record) on live DNS and say what Outlook will do and how to fix it. Exit 0 all "
        "fine, 2 a domain has a problem, 1 error.",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p)
    add_live_dns_options(p)
    add_resolver(
        p, "resolver used to check that SRV targets resolve (default: the system resolver)"
    )
    p.add_argument(
        "--outlook-reg", metavar="FILE",
        help="write a .reg file with the Outlook registry values that make it use the SRV record",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args) -> int:
    """0 when every domain is fine, 2 on a problem, 1 on error."""
    from ..live import doctor
    from ..live.servers import servers_from_specs
    from .livedns import (
        make_suffix,
        open_live_dns,
        processor_catalog,
        select_declared,
        settings_from,
    )

    settings = settings_from(args)
    targets = select_declared(args)
    catalog = processor_catalog(args.config)
    resolvers = servers_from_specs(args.resolver or [])
    live = open_live_dns(args, targets, settings)
    results, walks = doctor.diagnose(
        targets, live, catalog, resolvers, settings, make_suffix(args.config)
    )
    totals = doctor.totals(walks)
    if args.outlook_reg:
        doctor.write_outlook_reg(Path(args.outlook_reg), [r.domain for r in results])
        print(f"wrote {args.outlook_reg}: Outlook registry values for Windows", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(doctor.render_json(walks, totals))
    else:
        sys.stdout.write(doctor.render_text(walks, totals))
    if totals["error"]:
        return EXIT_ERROR
    return EXIT_PENDING if totals["problem"] else EXIT_OK
