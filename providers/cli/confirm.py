"""``plan.py confirm``: prove the Autodiscover SRV record is live on every nameserver.

A public resolver only shows its cache, so propagation is checked by asking
each authoritative nameserver of the zone directly (no recursion, AA bit
required). A domain is confirmed only when every one of them serves exactly
the declared SRV set and nothing makes ``autodiscover.<domain>`` resolve.
Resolvers (``--resolver``) are asked only to tell when their cached old or
negative answers expire (RFC 2308). Never report confirmed without a real answer.
"""

from __future__ import annotations

import argparse
import sys
import time

from .options import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PENDING,
    add_common,
    add_live_dns_options,
    add_resolver,
    non_negative_float,
    positive_float,
)

NAME = "confirm"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(
        NAME,
        help="prove the SRV record is live on every authoritative nameserver",
        description="Ask every authoritative nameserver of each zone directly (no recursion, "
        "AA bit) whether it serves the declared Autodiscover SRV record and nothing that makes "
        "autodiscover.<domain> resolve. Exit 0 all confirmed, 2 pending or conflict, 1 error.",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..live.checks import BACKOFF, DEFAULT_INTERVAL, MAX_INTERVAL

    add_common(p)
    add_live_dns_options(p)
    add_resolver(
        p,
        "also show this caching resolver's view and when its stale or negative answers "
        "expire (repeat for several)",
    )
    p.add_argument(
        "--wait", type=non_negative_float, default=0.0, metavar="SECONDS",
        help="poll with backoff until all are confirmed or SECONDS are over",
    )  # fmt: skip
    p.add_argument(
        "--interval", type=positive_float, default=DEFAULT_INTERVAL, metavar="SECONDS",
        help=f"first pause between polls with --wait, growing x{BACKOFF:g} up to "
        f"{MAX_INTERVAL:g} s (default {DEFAULT_INTERVAL:g})",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args) -> int:
    """0 all confirmed, 2 some pending or in conflict, 1 an error."""
    from ..live.checks import confirm, render_json, render_text, summary
    from ..live.resolverview import add_resolver_views
    from ..live.servers import servers_from_specs
    from ..progress import Progress
    from .livedns import open_live_dns, select_declared, settings_from

    started = time.monotonic()
    settings = settings_from(args)
    targets = select_declared(args)
    resolvers = servers_from_specs(args.resolver or [])
    live = open_live_dns(args, targets, settings)
    results = confirm(
        targets, live, settings, args.wait, args.interval, Progress(), started=started
    )
    add_resolver_views(results, resolvers, settings)
    totals = summary(results, time.monotonic() - started)
    if args.format == "json":
        sys.stdout.write(render_json(results, totals))
    else:
        sys.stdout.write(render_text(results, totals))
    statuses = {r.status for r in results}
    if "error" in statuses:
        return EXIT_ERROR
    if statuses - {"confirmed"}:
        return EXIT_PENDING
    return EXIT_OK
