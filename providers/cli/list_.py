"""``plan.py list``: every managed email domain, from the zone files (offline)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .options import EXIT_OK, add_common, add_format

NAME = "list"
FIELDS = ("domain", "zone", "provider", "platform", "policy", "file")


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(
        NAME,
        help="list the managed email domains (offline)",
        description="Every email domain the zone files declare, with its zone, provider, "
        "platform, policy and file. Offline: no provider is built or called, no credentials "
        "are needed.",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, zones=False)
    add_format(p, "json")
    p.add_argument(
        "names", nargs="*", metavar="NAME",
        help="only these email domains, or the email domains of these zones",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args) -> int:
    from ..planner.engine import load_declarations

    config = Path(args.config)
    rows = [
        {
            "domain": d.declaration.domain.name,
            "zone": d.zone_file.zone,
            "provider": d.zone_file.provider,
            "platform": d.declaration.platform_key,
            "policy": str(d.declaration.policy),
            "file": str(d.zone_file.path),
        }
        for d in load_declarations(config)
    ]
    rows = select(rows, args.names, config)
    rows.sort(key=lambda r: (r["zone"], r["domain"] != r["zone"].rstrip("."), r["domain"]))
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(render_text(rows), end="")
    return EXIT_OK


def select(rows: list[dict], names: list[str], config: Path) -> list[dict]:
    """The rows whose domain or zone is one of ``names``; a name that matches none is an error."""
    from ..core.errors import AutodiscoverError

    if not names:
        return rows
    wanted = [n.strip().lower().rstrip(".") for n in names]
    for name in wanted:
        if not any(name in (r["domain"], r["zone"].rstrip(".")) for r in rows):
            raise AutodiscoverError(
                f"{name} is neither a declared email domain nor a zone of {config}; "
                "plan.py list shows them all"
            )
    return [r for r in rows if r["domain"] in wanted or r["zone"].rstrip(".") in wanted]


def render_text(rows: list[dict]) -> str:
    """One aligned line per domain (the columns of FIELDS), then the count."""
    widths = [max((len(r[f]) for r in rows), default=0) for f in FIELDS]
    out = []
    for r in rows:
        cells = [r[f].ljust(w) for f, w in zip(FIELDS, widths, strict=True)]
        out.append("  ".join(cells).rstrip())
    zones = len({r["zone"] for r in rows})
    out.append(f"{len(rows)} email domain(s) in {zones} zone(s)")
    return "\n".join(out) + "\n"
