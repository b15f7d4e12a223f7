"""The status page: the estate's Autodiscover state on one self-contained HTML page.

One run of confirm's checks (every authoritative nameserver, asked directly)
and doctor's walk of Outlook's lookup order, turned into data per domain:
status, expected SRV, each nameserver's answer, the conflicts with their
reasons in plain words, the walk, and the command that fixes it. The data
goes into ``--json FILE`` and, embedded as JSON, into ``--html FILE``: one
file with its own CSS and JavaScript (statuspage.html), no external scripts,
fonts, images or requests, so it opens from a CI artifact or a file share.
The page builds every element with textContent (never innerHTML): domain
names and DNS data are untrusted. The command line is ``providers/cli/report.py``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..core.catalog import Catalog
from ..core.declarations import Policy
from ..core.declared import Declared
from ..core.errors import AutodiscoverError
from ..core.workorder import file_stem
from .checks import check
from .doctor import O365_HOST, TargetChecker, Walk, walk
from .nameservers import LiveDns
from .observe import conflict_text, describe_obs
from .queries import Server, Settings
from .resolverview import add_resolver_views
from .verdicts import STATUSES, DomainResult

SCHEMA = 1
TEMPLATE = Path(__file__).with_name("statuspage.html")
DATA_MARKER = "/*REPORT_DATA*/"
CSP_MARKER = "REPORT_CSP"
WAIT_HINT = 3600  # seconds suggested to confirm --wait in fix commands


class ReportError(AutodiscoverError):
    """The report cannot be made as asked (usage, unreadable --from-json file)."""


# -- data -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """Where the report's answers come from, so follow-up commands ask the same servers."""

    config: str
    default_config: bool  # the command line's default: the commands need no CONFIG=
    nameservers: tuple[str, ...] = ()
    serve_local: bool = False
    #: zones/ folders of DNS hosts without an API (the manual provider) -> its work-order
    #: folder: their domains wait for a person, not for an apply
    manual: tuple[tuple[str, str], ...] = ()

    @property
    def make(self) -> str:
        return "" if self.default_config else f" CONFIG={self.config}"


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _check_args(where: Where) -> list[str]:
    """The options that make a follow-up confirm ask the same servers as this report."""
    out = []
    if not where.default_config:
        out += ["--config", where.config]
    for spec in where.nameservers:
        out += ["--nameserver", spec]
    if where.serve_local:
        out.append("--serve-local")
    return out


def asked_text(where: Where) -> str:
    """Where the answers come from, in words, for the page's header."""
    if where.nameservers:
        text = "the nameserver(s) " + ", ".join(where.nameservers)
        if where.serve_local:
            text += " and a local BIND serving the zone-file provider's zones"
        return text
    if where.serve_local:
        return "a local BIND (--serve-local) serving the zone-file provider's zones"
    return "each zone's authoritative nameservers (its NS set)"


def conflict_reason(conflict: dict, domain: str, zone_file: str, policy: Policy) -> str:
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
    words += f" Fix: {policy.remedy(zone_file, host, source == 'wildcard')}."
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


def fix_for(result: DomainResult, conflicts: list[dict], where: Where) -> dict:
    """What to do next, in words, and the commands to paste."""
    d = result.declared.declaration
    zone = result.zone.rstrip(".")
    make = where.make
    recheck = " ".join(
        [".venv/bin/python plan.py confirm", *_check_args(where), "--wait", str(WAIT_HINT),
         result.domain]
    )  # fmt: skip
    apply = [f"make plan{make} ZONES={zone}", f"make apply{make} ZONES={zone}", recheck]
    if result.status == "confirmed":
        return {"words": "Nothing to do: the SRV record is live on every nameserver.",
                "commands": []}  # fmt: skip
    order = work_order_of(result, where)
    if order is not None:
        return {
            "words": f"Waiting for a manual change: this DNS host has no API. make apply writes "
            f"the work order {order}; send it to whoever manages the DNS panel, and confirm "
            "once they have made the change.",
            "commands": apply,
        }
    if result.status == "conflict":
        wildcard = any(c["source"] == "wildcard" for c in conflicts)
        remedy = d.policy.remedy(
            result.declared.zone_file.path, f"autodiscover.{result.domain}", wildcard, make
        )
        words = f"{remedy[0].upper()}{remedy[1:]}; then confirm."
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
        "commands": [
            " ".join([".venv/bin/python plan.py confirm", *_check_args(where), result.domain])
        ],
    }


def work_order_of(result: DomainResult, where: Where) -> str | None:
    """The work order of a domain at a DNS host without an API (manual provider), or None."""
    folders = dict(where.manual)
    folder = folders.get(result.declared.zone_file.provider)
    if folder is None:
        return None
    stem = file_stem(result.declared.declaration.customer)
    return f"{folder.rstrip('/')}/{stem}.md"


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


def domain_entry(result: DomainResult, w: Walk, where: Where) -> dict:
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
        "fix": fix_for(result, conflicts, where),
    }
    order = work_order_of(result, where) if result.status != "confirmed" else None
    if order is not None:
        entry["waiting"] = {"for": "a manual change", "work_order": order}
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


def collect(
    where: Where, targets: list[Declared], live: LiveDns, catalog: Catalog,
    resolvers: list[Server], settings: Settings, started: float | None = None,
) -> dict:  # fmt: skip
    """Run confirm's checks and doctor's walk once (``live`` is opened here); the data."""
    generated = _now()
    started = time.monotonic() if started is None else started
    checker = TargetChecker(resolvers, settings)
    with live:
        results = check(targets, live, settings, deep=True)
        # inside: an SRV target in the zone is asked at its nameserver (the local named too)
        walks = [walk(r, catalog, checker, where.make) for r in results]
    add_resolver_views(results, resolvers, settings)
    domains = [domain_entry(r, w, where) for r, w in zip(results, walks, strict=True)]
    platforms = {d.declaration.platform_key: d.declaration.platform_name for d in targets}
    return {
        "schema": SCHEMA,
        "generated": generated,
        "seconds": round(time.monotonic() - started, 2),
        "config": where.config,
        "asked": asked_text(where),
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


# -- output ---------------------------------------------------------------------------


def summary_line(data: dict) -> str:
    s = data["summary"]
    counts = ", ".join(f"{s['status'][k]} {k}" for k in STATUSES)
    return f"report: {s['domains']} domain(s): {counts} (checked {data.get('generated', '?')})"
