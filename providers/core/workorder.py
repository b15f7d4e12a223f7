"""Work orders: what a person changes in a DNS panel, for hosts without a usable API.

One item per record to remove or add, in the fields DNS panels ask for (the
article's: Service ``_autodiscover``, Protocol ``_tcp``, Port 443, Host,
Priority 0, Weight 0, TTL), rendered as markdown (to send) and CSV (to track),
one pair of files per customer. Pure: no files, no network.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

UNASSIGNED = "unassigned"

#: CSV columns, in order
FIELDS = (
    "customer", "domain", "zone", "action", "type", "host", "service", "protocol",
    "priority", "weight", "port", "target", "value", "ttl", "reason",
)  # fmt: skip


@dataclass(frozen=True)
class WorkItem:
    """One record a person removes or adds at the DNS host of ``zone``."""

    customer: str | None
    domain: str  # the email domain it is for
    zone: str  # without trailing dot
    action: str  # "remove" or "add"
    type: str
    host: str  # relative to the zone, "@" for the apex: what panels call Host or Name
    value: str  # zone-file form (for SRV: priority weight port target)
    ttl: int
    reason: str
    srv: dict | None = None  # priority/weight/port/target of an SRV record to add

    def row(self) -> dict[str, str]:
        service, protocol, host = "", "", self.host
        if self.type == "SRV":
            labels = self.host.split(".")
            service, protocol = labels[0], labels[1]
            host = ".".join(labels[2:]) or "@"
        srv = self.srv or {}
        return {
            "customer": self.customer or "",
            "domain": self.domain,
            "zone": self.zone,
            "action": self.action,
            "type": self.type,
            "host": host,
            "service": service,
            "protocol": protocol,
            "priority": str(srv.get("priority", "")),
            "weight": str(srv.get("weight", "")),
            "port": str(srv.get("port", "")),
            "target": str(srv.get("target", "")),
            "value": self.value,
            "ttl": str(self.ttl),
            "reason": self.reason,
        }


def file_stem(customer: str | None) -> str:
    """The work-order file name for a customer: lower case, safe on every file system."""
    if not customer:
        return UNASSIGNED
    return re.sub(r"[^a-z0-9._-]+", "-", customer.lower()).strip("-.") or UNASSIGNED


def render_csv(items: Iterable[WorkItem]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for item in items:
        writer.writerow(item.row())
    return out.getvalue()


def render_markdown(customer: str | None, items: list[WorkItem]) -> str:
    """One customer's work order: per domain, what to remove, then what to add."""
    who = customer or "no customer named (set customer: in the zone file)"
    lines = [
        f"# DNS work order: {who}",
        "",
        "Each email domain below needs these changes at the DNS host that serves it",
        "(the registrar's or web host's DNS panel). Remove first, then add. When done,",
        "`plan.py confirm DOMAIN` checks that the records are live.",
        "",
    ]
    for domain in sorted({i.domain for i in items}):
        mine = [i for i in items if i.domain == domain]
        lines += [f"## {domain}", ""]
        removes = [i for i in mine if i.action == "remove"]
        adds = [i for i in mine if i.action == "add"]
        if removes:
            lines += ["Remove these records:", ""]
            lines += ["| Type | Host | Value | TTL | Why |", "|---|---|---|---|---|"]
            lines += [
                f"| {i.type} | `{i.host}` | `{_cell(i.value)}` | {i.ttl} | {_cell(i.reason)} |"
                for i in removes
            ]
            lines.append("")
        for i in adds:
            lines += [_add_block(i), ""]
    return "\n".join(lines)


def _add_block(item: WorkItem) -> str:
    row = item.row()
    if item.type == "SRV":
        fields = [
            ("Type", "SRV"),
            ("Service", row["service"]),
            ("Protocol", row["protocol"]),
            ("Host (Name)", row["host"]),
            ("Priority", row["priority"]),
            ("Weight", row["weight"]),
            ("Port", row["port"]),
            ("Target", row["target"]),
            ("TTL", row["ttl"]),
        ]
    else:
        fields = [("Type", item.type), ("Host (Name)", item.host), ("Value", item.value),
                  ("TTL", row["ttl"])]  # fmt: skip
    table = ["| Field | Value |", "|---|---|"] + [f"| {k} | `{_cell(v)}` |" for k, v in fields]
    return "\n".join([f"Add this {item.type} record ({_cell(item.reason)}):", "", *table])


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
