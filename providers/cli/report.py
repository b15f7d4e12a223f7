"""``plan.py report``: the estate's Autodiscover state as one self-contained HTML page.

Exit codes: 0 the files were written (the page is the report, whatever the
domains' states); 1 the report could not be made (bad usage, bad config, a file
that cannot be written). With ``--detailed-exitcode``: 2 when any domain is not
confirmed (pending, conflict or error), 0 only when all are.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .options import (
    DEFAULT_CONFIG,
    EXIT_OK,
    EXIT_PENDING,
    UsageError,
    add_common,
    add_live_dns_options,
    add_resolver,
)

NAME = "report"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(
        NAME,
        help="write the estate's Autodiscover status as one self-contained HTML page and JSON",
        description="Check every declared email domain like confirm (each authoritative "
        "nameserver, asked directly) and doctor (Outlook's lookup order), and write one "
        "self-contained HTML page (no external files or requests: open it from a CI artifact "
        "or a file share) and/or the same data as JSON. Exit 0 when written, 1 on error; "
        "with --detailed-exitcode 2 when some domain is not confirmed.",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p)
    p.add_argument("--html", metavar="FILE", help="write the status page here")
    p.add_argument("--json", metavar="FILE", help="write the report's data as JSON here")
    add_live_dns_options(p, output_format=False)
    add_resolver(
        p,
        "caching resolver: show its view of each domain (when stale answers expire) and "
        "check through it that SRV targets resolve (default for targets: the system resolver)",
    )
    p.add_argument(
        "--from-json", metavar="FILE",
        help="render a report saved with --json again, without asking DNS",
    )  # fmt: skip
    p.add_argument(
        "--detailed-exitcode", action="store_true",
        help="exit 2 when some domain is not confirmed (0 only when all are)",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args) -> int:
    """0 written (2 with --detailed-exitcode if not all confirmed), 1 error."""
    from ..core.files import write_atomically
    from ..live import statuspage

    if not args.html and not args.json:
        raise UsageError("give --html FILE, --json FILE or both: where to write the report")
    if args.from_json:
        given = [
            name
            for name, value in (
                ("ZONE", args.zones), ("--nameserver", args.nameserver),
                ("--serve-local", args.serve_local), ("--resolver", args.resolver),
                ("--shard", args.shard),
            )
            if value
        ]  # fmt: skip
        if given:
            raise UsageError(
                f"--from-json renders a saved report and asks no DNS: drop {', '.join(given)}"
            )
        data = statuspage.load_report(Path(args.from_json))
    else:
        data = _collect(args)
    if args.json:
        write_atomically(Path(args.json), json.dumps(data, indent=2) + "\n", mode=0o644)
        print(f"report written to {args.json}", file=sys.stderr)
    if args.html:
        write_atomically(Path(args.html), statuspage.render_html(data), mode=0o644)
        print(f"status page written to {args.html}", file=sys.stderr)
    print(statuspage.summary_line(data))
    if args.detailed_exitcode and data["summary"]["status"]["confirmed"] != len(data["domains"]):
        return EXIT_PENDING
    return EXIT_OK


def _collect(args) -> dict:
    from ..live import statuspage
    from ..live.servers import servers_from_specs
    from .livedns import (
        manual_folders,
        open_live_dns,
        processor_catalog,
        select_declared,
        settings_from,
    )

    started = time.monotonic()
    settings = settings_from(args)
    targets = select_declared(args)
    catalog = processor_catalog(args.config)
    resolvers = servers_from_specs(args.resolver or [])
    where = statuspage.Where(
        args.config, args.config == DEFAULT_CONFIG, tuple(args.nameserver or ()), args.serve_local,
        manual_folders(args.config),
    )  # fmt: skip
    live = open_live_dns(args, targets, settings)
    return statuspage.collect(where, targets, live, catalog, resolvers, settings, started)
