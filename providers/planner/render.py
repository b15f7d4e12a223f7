"""Plans as data: the stable JSON contract, text for terminals, markdown for reviews."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection

from ..core.declarations import META_KEY, srv_text
from ..core.policy import ZoneAnalysis

ACTIONS = {"Create": "create", "Update": "update", "Delete": "delete"}


def _record_data(record) -> dict | None:
    if record is None:
        return None
    data = dict(record.data)  # built afresh on each access, its octodns part a deep copy
    meta = data.get("octodns")
    if isinstance(meta, dict):
        meta.pop(META_KEY, None)
        if not meta:
            data.pop("octodns")
    return {"type": record._type, **data}


def checksum(plans) -> str:
    """sha256 over every zone's name, target and octoDNS plan data, in zone order.

    octoDNS's own checksum follows the order plans finish in, which for
    dynamic zones depends on set iteration (PYTHONHASHSEED); ours does not.
    """
    data = sorted(
        ({"zone": plan.desired.name, "target": target.id, "plan": plan.data}
         for target, plan in plans),
        key=lambda d: (d["zone"], d["target"]),
    )  # fmt: skip
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def build_report(
    plans,
    analyses: dict[tuple[str, str], ZoneAnalysis],
    zone_targets,
    refused: dict[str, str] | None = None,
    shown=None,
    manual: Collection[str] = (),
) -> dict:
    """The JSON document: every planned zone, its changes with reasons, and a summary.

    ``plans`` are those apply may write (the checksum covers exactly them);
    ``shown`` (default ``plans``) adds the changes of refused zones, for review.
    ``zone_targets`` lists (zone, target id) for every zone in the run, so zones
    without changes and refused zones appear too; ``refused``: zone -> why.
    """
    refused = refused or {}
    by_zone = {(plan.desired.name, target.id): plan for target, plan in (shown or plans)}
    zones = []
    totals = {"create": 0, "update": 0, "delete": 0}
    warnings = conflicts_removed = 0
    for zone, target_id in zone_targets:
        analysis = analyses.get((zone, target_id))
        plan = by_zone.get((zone, target_id))
        changes = []
        for change in plan.changes if plan else []:
            action = ACTIONS[change.__class__.__name__]
            record = change.record
            reason = analysis.reasons.get((record.name, record._type), "") if analysis else ""
            changes.append(
                {
                    "action": action,
                    "name": record.name,
                    "type": record._type,
                    "before": _record_data(change.existing),
                    "after": _record_data(change.new),
                    "reason": reason,
                }
            )
            if zone not in refused:
                totals[action] += 1
                conflicts_removed += action == "delete"
        decls = analysis.declarations if analysis else []
        entry = {
            "zone": zone,
            "provider": target_id,
            "domains": [d.domain.name for d in decls],
            "platform": ",".join(analysis.platforms) if analysis else None,
            "policy": ",".join(analysis.policies) if analysis else None,
            "email_domains": [
                {"domain": d.domain.name, "platform": d.platform_key, "policy": d.policy}
                for d in decls
            ],
            "changes": changes,
            "warnings": list(analysis.warnings) if analysis else [],
            "refused": refused.get(zone),
            "manual": target_id in manual,
        }
        warnings += len(entry["warnings"])
        zones.append(entry)
    return {
        "checksum": checksum(plans),
        "zones": zones,
        "summary": {
            "zones": len(zones),
            "zones_with_changes": sum(1 for z in zones if z["changes"] and not z.get("refused")),
            "zones_refused": sum(1 for z in zones if z.get("refused")),
            **totals,
            "conflicts_removed": conflicts_removed,
            "warnings": warnings,
        },
    }


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=False) + "\n"


def _value_text(data: dict | None) -> str:
    if not data:
        return ""
    values = data.get("values", [data.get("value")] if "value" in data else [])
    parts = []
    for value in values:
        if isinstance(value, dict) and data["type"] == "SRV":
            parts.append(srv_text(value))
        elif isinstance(value, dict):
            parts.append(" ".join(str(v) for v in value.values()))
        else:
            parts.append(str(value))
    text = f"{' | '.join(parts)} (ttl {data.get('ttl')})"
    sets = ((data.get("octodns") or {}).get("route53") or {}).get("record_sets")
    if sets:
        text += f" in {len(sets)} Route53 record sets: " + "; ".join(_route53_set(r) for r in sets)
    return text


_ROUTING = ("Weight", "Region", "Failover", "GeoLocation", "GeoProximityLocation", "CidrRouting")


def _route53_set(rrset: dict) -> str:
    """One Route53 record set as it exists: its SetIdentifier, routing and values."""
    routing = [f"{k} {rrset[k]}" for k in _ROUTING if k in rrset]
    if rrset.get("MultiValueAnswer"):
        routing.append("multivalue")
    values = [r.get("Value", "") for r in rrset.get("ResourceRecords") or []]
    if "AliasTarget" in rrset:
        values = [f"alias {rrset['AliasTarget'].get('DNSName', '')}"]
    head = f"'{rrset.get('SetIdentifier', '')}'"
    if routing:
        head += f" ({', '.join(routing)})"
    return f"{head} {' | '.join(values)}"


_SIGNS = {"create": "+", "update": "~", "delete": "-"}


def _state(zone: dict) -> str:
    if zone.get("refused"):
        return f"REFUSED: {zone.get('refused')}"
    if zone.get("in_sync_dns"):
        return "in sync (DNS)"
    if zone.get("manual") and zone["changes"]:
        return f"{len(zone['changes'])} change(s) by hand (apply writes a work order)"
    return f"{len(zone['changes'])} change(s)" if zone["changes"] else "no changes"


def render_text(report: dict, changes_only: bool = False) -> str:
    """Every zone with its changes; ``changes_only``: only zones with changes or refused
    (the summary then counts only the notes it shows)."""
    lines = []
    notes = 0
    for zone in report["zones"]:
        shown = zone["changes"] or zone.get("refused")
        if changes_only and not shown:
            continue
        doms = ", ".join(
            f"{d['domain']} ({d['platform']}, policy {d['policy']})" for d in zone["email_domains"]
        )
        state = _state(zone)
        if not shown and zone["warnings"]:
            state += f" ({len(zone['warnings'])} note(s): plan.py doctor explains them)"
        notes += len(zone["warnings"])
        lines.append(f"{zone['zone']} at {zone['provider']}: {state} -- {doms}")
        if not shown:
            continue  # notes on unchanged zones repeat every run; doctor and JSON keep them
        for c in zone["changes"]:
            name = c["name"] or "@"
            lines.append(f"  {_SIGNS[c['action']]} {c['action']:<6} {name} {c['type']}")
            if c["before"]:
                lines.append(f"      was: {_value_text(c['before'])}")
            if c["after"]:
                lines.append(f"      now: {_value_text(c['after'])}")
            if c["reason"]:
                lines.append(f"      why: {c['reason']}")
        for w in zone["warnings"]:
            lines.append(f"  ! {w}")
    lines += ["", _summary_line(report["summary"], notes), f"Checksum: {report['checksum']}"]
    return "\n".join(lines) + "\n"


def _summary_line(s: dict, notes: int) -> str:
    refused = f", {s.get('zones_refused', 0)} refused" if s.get("zones_refused") else ""
    if "zones_in_sync_dns" in s:
        refused += f", {s['zones_in_sync_dns']} in sync through DNS (not read through the API)"
    return (
        f"Summary: {s['zones']} zone(s), {s['zones_with_changes']} with changes{refused}: "
        f"{s['create']} create, {s['update']} update, {s['delete']} delete, "
        f"{notes} warning(s)."
    )


def render_summary(report: dict) -> str:
    """One line per zone with changes or refused, then the totals: for large estates."""
    lines = []
    notes = 0
    for zone in report["zones"]:
        if not (zone["changes"] or zone.get("refused")):
            continue
        counts = {a: sum(1 for c in zone["changes"] if c["action"] == a) for a in _SIGNS}
        notes += len(zone["warnings"])
        what = " ".join(f"{_SIGNS[a]}{n}" for a, n in counts.items() if n)
        state = f"REFUSED: {zone.get('refused')}" if zone.get("refused") else what
        warned = f", {len(zone['warnings'])} warning(s)" if zone["warnings"] else ""
        lines.append(f"{zone['zone']} at {zone['provider']}: {state}{warned}")
    lines += [_summary_line(report["summary"], notes), f"Checksum: {report['checksum']}"]
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(report: dict, limit: int | None = None, full_plan_hint: str = "") -> str:
    """Markdown for a pull request: summary table, then one collapsed block per zone.

    With ``limit`` (characters), per-zone details are cut before the limit and
    a pointer to the full plan is added.
    """
    s = report["summary"]
    listed = [z for z in report["zones"] if z["changes"] or z.get("refused")]
    head = [
        "### autodiscover-dns plan",
        "",
        "| zones | with changes | refused | create | update | delete | conflicts removed "
        "| warnings |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s['zones']} | {s['zones_with_changes']} | {s.get('zones_refused', 0)} | "
        f"{s['create']} | {s['update']} | {s['delete']} | {s['conflicts_removed']} | "
        f"{sum(len(z['warnings']) for z in listed)} |",
        "",
        f"Checksum: `{report['checksum']}`",
        "",
    ]
    refused = [z for z in listed if z.get("refused")]
    if refused:
        head += [f"**{len(refused)} zone(s) refused** (not applied; the others are):", ""]
        head += [f"- `{z['zone']}` at {z['provider']}: {_md_escape(z['refused'])}" for z in refused]
        head.append("")
    manual = [z for z in listed if z.get("manual") and not z.get("refused")]
    if manual:
        head += [
            f"**Manual work: {len(manual)} zone(s)** at DNS hosts without an API. Apply "
            "writes a work order per customer (`work-orders/`) for a person to make these "
            "changes; `confirm` shows when they are live:",
            "",
        ]
        head += [f"- `{z['zone']}`: {len(z['changes'])} change(s)" for z in manual]
        head.append("")
    blocks = []
    for zone in listed:
        doms = ", ".join(
            f"{d['domain']} ({d['platform']}, {d['policy']})" for d in zone["email_domains"]
        )
        body = [
            "<details>",
            f"<summary><b>{zone['zone']}</b> at {zone['provider']}: "
            f"{_md_escape(_state(zone))}, {len(zone['warnings'])} warning(s)</summary>",
            "",
            f"Email domains: {_md_escape(doms)}",
            "",
        ]
        if zone["changes"]:
            body += ["| action | name | type | before | after | why |", "|---|---|---|---|---|---|"]
            for c in zone["changes"]:
                body.append(
                    f"| {c['action']} | `{c['name'] or '@'}` | {c['type']} | "
                    f"{_md_escape(_value_text(c['before']))} | "
                    f"{_md_escape(_value_text(c['after']))} | {_md_escape(c['reason'])} |"
                )
            body.append("")
        for w in zone["warnings"]:
            body.append(f"- :warning: {_md_escape(w)}")
        body += ["", "</details>", ""]
        blocks.append("\n".join(body))
    unchanged = len(report["zones"]) - len(listed)
    tail = (
        [f"{unchanged} zone(s) without changes are not listed (their notes: `plan.py doctor`).", ""]
        if unchanged
        else []
    )
    text = "\n".join(head)
    if limit is None:
        return text + "\n".join(blocks) + "\n".join(tail)
    budget = limit - len(text) - len("\n".join(tail)) - 400
    shown = []
    for block in blocks:
        if len(block) + 1 > budget:
            break
        shown.append(block)
        budget -= len(block) + 1
    out = text + "\n".join(shown)
    if len(shown) < len(blocks):
        out += (
            f"\n**{len(blocks) - len(shown)} more zone(s) not shown** (comment size limit). "
            f"{full_plan_hint}\n"
        )
    return out + "\n".join(tail)
