"""``plan.py import``: write zone files for the domains a provider already hosts (or a CSV
lists). Reads only; the work is the planner's importer."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import EXIT_OK, add_common

NAME = "import"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(
        NAME,
        help="write zone files for the domains a provider already hosts (or a CSV lists)",
        description="Bring an existing estate under management: list the zones at a provider "
        "(or read a CSV of domain,platform[,provider][,policy] rows) and write "
        "zones/<provider>/<zone>.yaml for every zone that has no file yet. Reads only: "
        "nothing is written to the provider, and existing zone files are never changed. "
        "Review the files, then run make plan.",
        epilog="Exit codes: 0 ok (conflicts and missing zones are reported), 1 error.",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..core import capabilities
    from ..core.declarations import DEFAULT_POLICY, POLICIES
    from ..planner.importer import DEFAULT_TTL

    # plan's default config has only the local provider: the importer chooses by --provider
    add_common(
        p,
        zones=False,
        config_help="octoDNS config (default: the config in config/ that defines --provider, "
        "config/local.yaml first)",
    )
    p.set_defaults(config=None)
    p.add_argument(
        "--provider",
        required=True,
        help="provider id to list zones from, and the zones/ folder to write to",
    )
    p.add_argument("--platform", help="catalog key, e.g. exchange-2016 (required without --csv)")
    p.add_argument(
        "--policy",
        choices=POLICIES,
        default=DEFAULT_POLICY,
        help="policy for conflicting records (default remove)",
    )
    p.add_argument(
        "--csv", metavar="FILE", help="rows domain,platform[,provider][,policy]; header optional"
    )
    p.add_argument(
        "--match",
        metavar="GLOB",
        action="append",
        help="only domains matching GLOB, e.g. '*.example.com' (repeatable)",
    )
    p.add_argument(
        "--zones",
        metavar="NAME",
        nargs="+",
        help="only these zones (required for providers that cannot list zones: "
        f"{', '.join(capabilities.not_listing())}; unless --csv is given)",
    )
    p.add_argument("--ttl", type=int, default=DEFAULT_TTL, help="SRV TTL (3600)")
    p.add_argument(
        "--dry-run", action="store_true", help="print what would be written; write nothing"
    )
    p.add_argument(
        "--skip-bad", action="store_true", help="import the good CSV rows even if some are bad"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from ..planner.importer import Importer, choose_config

    config = choose_config(args.config, args.provider)
    importer = Importer.open(
        config,
        provider=args.provider,
        platform=args.platform,
        policy=args.policy,
        ttl=args.ttl,
        csv_path=Path(args.csv) if args.csv else None,
        matches=args.match or [],
        zones=args.zones or [],
        skip_bad=args.skip_bad,
    )
    result = importer.run(dry_run=args.dry_run)
    print(result.render(dry_run=args.dry_run, config=config), end="")
    return EXIT_OK
