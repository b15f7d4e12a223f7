"""``plan.py report``: the estate's Autodiscover state on one self-contained HTML page.

One run of confirm's checks (every authoritative nameserver, asked directly)
and doctor's walk of Outlook's lookup order, turned into data per domain:
status, expected SRV, each nameserver's answer, the conflicts with their
reasons in plain words, the walk, and the command that fixes it. The data
goes into ``--json FILE`` and, embedded as JSON, into ``--html FILE``: one
file with its own CSS and JavaScript (statuspage.html), no external scripts,
fonts, images or requests, so it opens from a CI artifact or a file share.
The page builds every element with textContent (never innerHTML): domain
names and DNS data are untrusted.

Exit codes: 0 the files were written (the page is the report, whatever the
domains' states); 1 the report could not be made (bad usage, bad config, a file
that cannot be written). With ``--detailed-exitcode``: 2 when any domain is not
confirmed (pending, conflict or error), 0 only when all are.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from ..planner.configuration import prepare
from .confirm import (
    STATUSES,
    DomainResult,
    add_live_dns_options,
    add_resolver_views,
    check,
    conflict_text,
    describe_obs,
    open_live_dns,
    resolver_arg,
    select_declared,
    servers_from_specs,
    settings_from,
)
from .doctor import DEFAULT_CONFIG, O365_HOST, TargetChecker, Walk, walk
from ..planner.engine import load_processor_catalog
from ..core.errors import AutodiscoverError

EXIT_OK, EXIT_ERROR, EXIT_NOT_CONFIRMED = 0, 1, 2
SCHEMA = 1
TEMPLATE = Path(__file__).with_name("statuspage.html")
DATA_MARKER = "/*REPORT_DATA*/"
CSP_MARKER = "REPORT_CSP"
WAIT_HINT = 3600  # seconds suggested to confirm --wait in fix commands


class ReportError(AutodiscoverError):
    """The report cannot be made as asked (usage, unreadable --from-json file)."""


# -- data -----------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _check_args(args) -> list[str]:
    """The options that make a follow-up confirm ask the same servers as this report."""
    out = []
    if args.config != DEFAULT_CONFIG:
        out += ["--config", args.config]
    for spec in args.nameserver or []:
        out += ["--nameserver", spec]
    if args.serve_local:
        out.append("--serve-local")
    return out


def asked_text(args) -> str:
    """Where the answers come from, in words, for the page's header."""
    if args.nameserver:
        where = "the nameserver(s) " + ", ".join(args.nameserver)
        if args.serve_local:
            where += " and a local BIND serving the zone-file provider's zones"
        return where
    if args.serve_local:
        return "a local BIND (--serve-local) serving the zone-file provider's zones"
    return "each zone's authoritative nameservers (its NS set)"


def conflict_reason(conflict: dict, domain: str, zone_file: str, policy: str) -> str:
    """Why one A/AAAA/CNAME answer for autodiscover.<domain> is a problem, in plain words."""
    host = f"autodiscover.{domain}"
    record = f"{conflict['type']} {conflict['value']}"
    source = conflict.get("source")
    if source == "wildcard":
        words = f"{host} is not in the zone, but the wildcard *.{domain} answers for it ({record})"
    elif source == "explicit":
        words = f"{host} has its own record ({record})"
    else:
        words = f"{host} answers {record} (an explicit record or a wildcard)"
    words += (
        ": Outlook connects to that server (lookup steps 7 and 9) before it ever looks at the "
        "SRV record, and gets a certificate warning or the wrong settings."
    )
    if str(conflict["value"]).lower() == O365_HOST:
        words += " autodiscover.outlook.com is Microsoft 365: a leftover of an Office 365 setup."
    if conflict.get("kept_by_policy"):
        words += f" Kept on purpose: {zone_file} sets policy: report."
    elif source == "wildcard" and policy == "shield":
        words += " Policy shield keeps the wildcard and adds a TXT record at that name."
    return words


def conflict_entries(result: DomainResult) -> list[dict]:
    """The distinct conflicts over all nameservers, each with its reason and where seen."""
    d = result.declared.declaration
    found: dict[tuple, dict] = {}
    for obs in result.observations:
        for c in obs.conflicts:
            key = (c["type"], c["value"], c.get("source"))
            entry = found.get(key)
            if entry is None:
                entry = found[key] = {
                    "record": f"{c['name']} {c['type']} {c['value']}",
                    "name": c["name"],
                    "type": c["type"],
                    "value": c["value"],
                    "ttl": c.get("ttl"),
                    "source": c.get("source", "unknown"),
                    "kept_by_policy": bool(c.get("kept_by_policy")),
                    "reason": conflict_reason(
                        c, result.domain, str(result.declared.zone_file.path), d.policy
                    ),
                    "servers": [],
                }
            entry["servers"].append(obs.server.label)
    return list(found.values())


def fix_for(result: DomainResult, conflicts: list[dict], args) -> dict:
    """What to do next, in words, and the commands to paste."""
    d = result.declared.declaration
    zone = result.zone.rstrip(".")
    make = "" if args.config == DEFAULT_CONFIG else f" CONFIG={args.config}"
    recheck = " ".join(
        ["python plan.py confirm", *_check_args(args), "--wait", str(WAIT_HINT), result.domain]
    )
    apply = [f"make plan{make} ZONES={zone}", f"make apply{make} ZONES={zone}", recheck]
    path = result.declared.zone_file.path
    if result.status == "confirmed":
        return {"words": "Nothing to do: the SRV record is live on every nameserver.",
                "commands": []}  # fmt: skip
    if result.status == "conflict":
        if any(c["kept_by_policy"] for c in conflicts):
            words = (
                f"The conflicting record is kept on purpose: {path} sets policy: report. "
                "Set policy: remove there (or shield, to keep a wildcard for a website), "
                "review the plan, apply it, then confirm."
            )
        elif d.policy == "shield" and any(c["source"] == "wildcard" for c in conflicts):
            words = (
                f"Add the TXT shield at autodiscover.{result.domain} (the website keeps its "
                "wildcard): review the plan, apply it, then confirm."
            )
        else:
            words = "Remove the conflicting record(s): review the plan, apply it, then confirm."
        return {"words": words, "commands": apply}
    if result.status == "pending":
        updated = [o for o in result.observations if o.status == "confirmed"]
        if updated:
            return {
                "words": "Some nameservers already serve the record; the others copy changes "
                "on their own schedule (15 minutes to 24 hours). Wait, and confirm again.",
                "commands": [recheck],
            }
        return {
            "words": "No nameserver serves the declared SRV record yet: review the plan, apply "
            "it, then confirm (allow 15 minutes to 24 hours).",
            "commands": apply,
        }
    return {
        "words": "A nameserver could not be asked or gave no usable answer (see the message): "
        "fix that server, or point the check at the right one, then check again.",
        "commands": [" ".join(["python plan.py confirm", *_check_args(args), result.domain])],
    }


def nameserver_entry(obs) -> dict:
    return {
        "name": obs.server.name,
        "address": obs.server.address,
        "label": obs.server.label,
        "status": obs.status,
        "answer": describe_obs(obs),
        "srv": obs.srv,
        "srv_cname": obs.srv_cname,
        "conflicts": [conflict_text(c) for c in obs.conflicts],
        "shield": obs.shield,
        "apex": obs.apex,
        "serial": obs.serial,
        "error": obs.error,
    }


def domain_entry(result: DomainResult, w: Walk, args) -> dict:
    d = result.declared.declaration
    conflicts = conflict_entries(result)
    entry = {
        "domain": result.domain,
        "zone": result.zone,
        "provider": result.declared.zone_file.provider,
        "zone_file": str(result.declared.zone_file.path),
        "platform": d.platform_key,
        "platform_name": d.platform_name,
        "policy": d.policy,
        "status": result.status,
        "message": result.message,
        "expected": {
            "name": f"_autodiscover._tcp.{result.domain}.",
            "ttl": d.ttl,
            "srv": result.expected,
        },
        "nameservers": [nameserver_entry(o) for o in result.observations],
        "conflicts": conflicts,
        "outlook": {
            "status": w.status,
            "nameserver": w.asked,
            "steps": [s.to_json() for s in w.steps],
            "verdict": w.verdict,
        },
        "fix": fix_for(result, conflicts, args),
    }
    if result.resolvers:
        entry["resolvers"] = result.resolvers
    return entry


def summarize(domains: list[dict]) -> dict:
    """Counts per status, platform and provider: the page's summary bar."""
    status = Counter(d["status"] for d in domains)
    return {
        "domains": len(domains),
        "status": {s: status.get(s, 0) for s in STATUSES},
        "platform": dict(sorted(Counter(d["platform"] for d in domains).items())),
        "provider": dict(sorted(Counter(d["provider"] for d in domains).items())),
    }


def collect(args) -> dict:
    """Run confirm's checks and doctor's walk once; the report's data."""
    generated = _now()
    started = time.monotonic()
    settings = settings_from(args)
    targets = select_declared(args)
    catalog = load_processor_catalog(prepare(Path(args.config)).data)
    resolvers = servers_from_specs(args.resolver or [])
    checker = TargetChecker(resolvers, settings)
    with open_live_dns(args, targets, settings) as live:
        results = check(targets, live, settings, deep=True)
        # inside: an SRV target in the zone is asked at its nameserver (the local named too)
        walks = [walk(r, catalog, checker, args.config) for r in results]
    add_resolver_views(results, resolvers, settings)
    domains = [domain_entry(r, w, args) for r, w in zip(results, walks, strict=True)]
    platforms = {d.declaration.platform_key: d.declaration.platform_name for d in targets}
    return {
        "schema": SCHEMA,
        "generated": generated,
        "seconds": round(time.monotonic() - started, 2),
        "config": args.config,
        "asked": asked_text(args),
        "platforms": dict(sorted(platforms.items())),
        "summary": summarize(domains),
        "domains": domains,
    }


def load_report(path: Path) -> dict:
    """A report written by --json; checked enough that the page can trust its shape."""
    try:
        data = json.loads(path.read_text())
    except OSError as e:
        raise ReportError(f"--from-json {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise ReportError(f"--from-json {path}: not JSON ({e})") from None
    domains = data.get("domains") if isinstance(data, dict) else None
    if not isinstance(domains, list):
        raise ReportError(f"--from-json {path}: not a report written by plan.py report --json")
    for i, d in enumerate(domains):
        if not (isinstance(d, dict) and isinstance(d.get("domain"), str)):
            raise ReportError(f"--from-json {path}: domains[{i}] has no domain name")
        if d.get("status") not in STATUSES:
            raise ReportError(
                f"--from-json {path}: domains[{i}] ({d['domain']}) has status "
                f"{d.get('status')!r}; expected one of {', '.join(STATUSES)}"
            )
        d.setdefault("platform", "unknown")
        d.setdefault("provider", "unknown")
    data["summary"] = summarize(domains)
    return data


# -- HTML ------------------------------------------------------------------------------


def embed_json(data: dict) -> str:
    """JSON that cannot end its <script> element or open a comment: <, > and & escaped."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render_html(data: dict, template: str | None = None) -> str:
    """The page: the template with the data embedded and a CSP that allows nothing else.

    The Content-Security-Policy allows only the template's own style and script (by
    hash): no request can leave the page, and injected markup could not run a script.
    """
    page = TEMPLATE.read_text() if template is None else template
    styles = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    if len(styles) != 1 or len(scripts) != 1 or page.count(DATA_MARKER) != 1:
        raise ReportError(f"{TEMPLATE}: expected one <style>, one <script> and the data marker")
    csp = (
        "default-src 'none'; "
        f"script-src {_sha256(scripts[0])}; style-src {_sha256(styles[0])}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    page = page.replace(CSP_MARKER, csp, 1)
    before, after = page.split(DATA_MARKER)
    return before + embed_json(data) + after


def write_atomic(path: Path, text: str) -> None:
    """Write beside the target and rename over it: readers never see half a page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- command ---------------------------------------------------------------------------


def summary_line(data: dict) -> str:
    s = data["summary"]
    counts = ", ".join(f"{s['status'][k]} {k}" for k in STATUSES)
    return f"report: {s['domains']} domain(s): {counts} (checked {data.get('generated', '?')})"


def run_report(args) -> int:
    """The report command: 0 written (2 with --detailed-exitcode if not all confirmed), 1 error."""
    if not args.html and not args.json:
        raise ReportError("give --html FILE, --json FILE or both: where to write the report")
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
            raise ReportError(
                f"--from-json renders a saved report and asks no DNS: drop {', '.join(given)}"
            )
        data = load_report(Path(args.from_json))
    else:
        data = collect(args)
    if args.json:
        write_atomic(Path(args.json), json.dumps(data, indent=2) + "\n")
        print(f"report written to {args.json}", file=sys.stderr)
    if args.html:
        write_atomic(Path(args.html), render_html(data))
        print(f"status page written to {args.html}", file=sys.stderr)
    print(summary_line(data))
    if args.detailed_exitcode and data["summary"]["status"]["confirmed"] != len(data["domains"]):
        return EXIT_NOT_CONFIRMED
    return EXIT_OK


def add_report_parser(sub, common, func) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "report",
        help="write the estate's Autodiscover status as one self-contained HTML page and JSON",
        description="Check every declared email domain like confirm (each authoritative "
        "nameserver, asked directly) and doctor (Outlook's lookup order), and write one "
        "self-contained HTML page (no external files or requests: open it from a CI artifact "
        "or a file share) and/or the same data as JSON. Exit 0 when written, 1 on error; "
        "with --detailed-exitcode 2 when some domain is not confirmed.",
    )
    common(p)
    p.add_argument("--html", metavar="FILE", help="write the status page here")
    p.add_argument("--json", metavar="FILE", help="write the report's data as JSON here")
    add_live_dns_options(p, output_format=False)
    p.add_argument(
        "--resolver", action="append", metavar="IP[:PORT]", type=resolver_arg,
        help="caching resolver: show its view of each domain (when stale answers expire) and "
        "check through it that SRV targets resolve (default for targets: the system resolver)",
    )  # fmt: skip
    p.add_argument(
        "--from-json", metavar="FILE",
        help="render a report saved with --json again, without asking DNS",
    )  # fmt: skip
    p.add_argument(
        "--detailed-exitcode", action="store_true",
        help="exit 2 when some domain is not confirmed (0 only when all are)",
    )  # fmt: skip
    p.set_defaults(func=func)
    return p


def register(sub, common) -> None:
    """plan.py's extension point (EXTRA_COMMANDS): adds the report subcommand."""
    add_report_parser(sub, common, run_report)
