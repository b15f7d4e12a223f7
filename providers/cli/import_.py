"""``plan.py import``: write zone files for the domains a provider already hosts (or a CSV
lists). Reads only; the work is the planner's importer.

With ``--csv`` and no ``--provider``, the rows without a provider are located here first
(``plan.py locate``'s detection: the delegation and config/dns-hosts.yaml), and the
importer gets the provider DNS names for each domain, or why there is none."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .options import EXIT_OK, UsageError, add_common, add_timeout, resolver_arg

if TYPE_CHECKING:
    from ..planner.importer import Detected

NAME = "import"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(
        NAME,
        help="write zone files for the domains a provider already hosts (or a CSV lists)",
        description="Bring an existing estate under management: list the zones at a provider "
        "(or read a CSV of domain,platform[,provider][,policy] rows) and write "
        "zones/<provider>/<zone>.yaml for every zone that has no file yet. CSV rows without a "
        "provider (and no --provider) go where DNS says the domain is hosted, as plan.py "
        "locate tells it. Reads only: nothing is written to the provider, and existing zone "
        "files are never changed. Review the files, then run make plan.",
        epilog="Exit codes: 0 ok (conflicts and missing zones are reported), 1 error.",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..core import capabilities
    from ..core.declarations import DEFAULT_POLICY, POLICIES
    from ..planner.importer import DEFAULT_TTL

    # plan's default config has only the local provider: the importer chooses by provider
    add_common(
        p,
        zones=False,
        config_help="octoDNS config (default: the config in config/ that plans the providers: "
        "--provider, the CSV's and the detected ones; config/local.yaml first)",
    )
    p.set_defaults(config=None)
    p.add_argument(
        "--provider",
        help="provider id to list zones from, and the zones/ folder to write to (required "
        "without --csv; with --csv, the provider of rows without one, else DNS tells)",
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
    p.add_argument(
        "--resolver", metavar="IP[:PORT]", type=resolver_arg,
        help="the recursive resolver that locates CSV rows without a provider and finds the "
        "nameservers of manual zones (default: the system's)",
    )  # fmt: skip
    add_timeout(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..planner.importer import MISSING_PROVIDER, Importer, choose_config, preview_csv

    csv_path = Path(args.csv) if args.csv else None
    if args.provider is None and csv_path is None:
        raise UsageError(MISSING_PROVIDER)
    providers = [args.provider] if args.provider else []
    detected: dict[str, Detected] = {}
    if csv_path is not None:
        preview = preview_csv(csv_path, args.match or [], args.zones or [])
        providers += sorted(preview.providers)
        if args.provider is None and preview.to_locate:
            detected = detect(preview.to_locate, args.resolver, args.timeout)
            providers += sorted({d.provider for d in detected.values() if d.provider})
    config = choose_config(args.config, providers)
    importer = Importer.open(
        config,
        provider=args.provider,
        platform=args.platform,
        policy=args.policy,
        ttl=args.ttl,
        csv_path=csv_path,
        matches=args.match or [],
        zones=args.zones or [],
        skip_bad=args.skip_bad,
        detected=detected,
        dns=(args.resolver, args.timeout),
    )
    result = importer.run(dry_run=args.dry_run)
    print(result.render(dry_run=args.dry_run, config=config), end="")
    return EXIT_OK


def detect(domains: list[str], resolver_spec: str | None, timeout: float) -> dict[str, Detected]:
    """domain -> :class:`~providers.planner.importer.Detected`: where DNS says each domain
    is hosted, by the detection of ``plan.py locate``."""
    import sys

    from ..live.locate import (
        HOSTS_FILE,
        Location,
        check_resolver,
        load_host_table,
        locate,
        system_resolver_server,
    )
    from ..live.queries import Settings
    from ..live.servers import servers_from_specs
    from ..planner.importer import Detected

    table = load_host_table(Path(__file__).resolve().parents[2] / HOSTS_FILE)
    settings = Settings(timeout=timeout)
    if resolver_spec is not None:
        resolver = servers_from_specs([resolver_spec])[0]
    else:
        resolver = system_resolver_server()
    check_resolver(resolver, settings)
    print(f"import: locating {len(domains)} domain(s) without a provider through DNS "
          f"(resolver {resolver.address})", file=sys.stderr, flush=True)  # fmt: skip

    def detected(loc: Location) -> Detected:
        zone = loc.zone.rstrip(".") if loc.zone else None
        if loc.problems:
            more = len(loc.problems) - 1
            extra = f" (and {more} more problem(s): plan.py locate {loc.domain})" if more else ""
            return Detected(None, loc.host, zone, loc.problems[0] + extra)
        if loc.host == "unknown":
            names = ", ".join(loc.nameservers) or "none found"
            return Detected(None, loc.host, zone, (
                f"unknown DNS host: no host of {HOSTS_FILE} names its nameservers ({names}); "
                "add one there, or give the row a provider"
            ))  # fmt: skip
        if loc.provider is None:
            return Detected(None, loc.host, zone, (
                f"its DNS host {loc.host} has no provider here yet; give the row a provider "
                "(manual: the change is made by hand)"
            ))  # fmt: skip
        return Detected(loc.provider, loc.host, zone)

    return {loc.domain: detected(loc) for loc in locate(domains, resolver, settings, table)}
