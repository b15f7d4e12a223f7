"""``plan.py add``: declare a domain's Autodiscover SRV record in its zone file."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import EXIT_OK, UsageError, add_common

NAME = "add"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(NAME, help="declare a domain's Autodiscover SRV record")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..core.declarations import DEFAULT_POLICY, POLICIES

    add_common(p, zones=False)
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument("--platform", required=True, help="catalog key, e.g. exchange-2016")
    p.add_argument("--provider", required=True, help="provider id: the zones/ folder")
    p.add_argument("--policy", choices=POLICIES, default=DEFAULT_POLICY)
    p.add_argument("--ttl", type=int, default=3600)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..core.declarations import srv_text
    from ..planner.configuration import known_provider_ids, prepare
    from ..planner.engine import load_processor_catalog
    from ..planner.repository import add_declaration

    config_path = Path(args.config)
    known = known_provider_ids(config_path.parent)
    if args.provider not in known:
        raise UsageError(
            f"unknown provider {args.provider!r}; use one of {', '.join(sorted(known))}"
        )
    run_config = prepare(config_path)
    catalog = load_processor_catalog(run_config.data)
    path, name = add_declaration(
        Path("zones"), args.provider, args.domain, args.platform, catalog,
        policy=args.policy, ttl=args.ttl,
        existing=run_config.zone_files + run_config.skipped,
    )  # fmt: skip
    platform = catalog.get(args.platform)
    print(f"wrote {path}: {name} SRV {srv_text(platform.srv_value)} ({platform.name})")
    if platform.note:
        print(f"note: {platform.note}")
    print("next: make plan")
    return EXIT_OK
