"""The Autodiscover conflict policy: what to change in a zone, and why.

Outlook tries https://autodiscover.<domain> (steps 7 and 9) long before the
SRV record (step 10). Any record that makes ``autodiscover.<domain>`` resolve,
explicitly or through a wildcard (RFC 4592), sends it to the wrong server.

This module is pure: given the declarations and the live zone it decides which
(name, type) pairs octoDNS may see, which shield records to add, and the
one-line reason for each change. Everything not chosen stays invisible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .declarations import Declaration
from .ownership import ADDRESS_TYPES, SHIELD_TYPE, EmailDomain

SHIELD_TEXT = (
    "autodiscover-dns shield: this name exists so the wildcard does not answer "
    "Outlook Autodiscover (RFC 4592)"
)


@dataclass
class ZoneAnalysis:
    """The policy's decision for one zone at one provider."""

    zone: str
    declarations: list[Declaration]
    visible: set[tuple[str, str]] = field(default_factory=set)
    shields: list[tuple[str, int]] = field(default_factory=list)
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)

    @property
    def domains(self) -> list[str]:
        return [d.domain.name for d in self.declarations]

    @property
    def platforms(self) -> list[str]:
        return sorted({d.platform_key for d in self.declarations})

    @property
    def policies(self) -> list[str]:
        return sorted({d.policy for d in self.declarations})


def describe(record) -> str:
    """'`*` A 203.0.113.10' for plans: name, type and values in zone-file form."""
    name = record.name or "@"
    rdatas = " ".join(record.to_rrset().rdatas)
    text = f"`{name}` {record._type} {rdatas}"
    if _proxied(record):
        text += " (proxied through Cloudflare)"
    return text


def _proxied(record) -> bool:
    return bool(((record.octodns or {}).get("cloudflare") or {}).get("proxied"))


def _srv_text(values) -> str:
    return ", ".join(f"{v['priority']} {v['weight']} {v['port']} {v['target']}" for v in values)


class _Index:
    """Existing records by name, for quick node and type look-ups."""

    def __init__(self, existing) -> None:
        self.by_name: dict[str, dict[str, object]] = {}
        for record in existing.records:
            self.by_name.setdefault(record.name, {})[record._type] = record

    def get(self, name: str, _type: str):
        return self.by_name.get(name, {}).get(_type)

    def types(self, name: str) -> set[str]:
        return set(self.by_name.get(name, {}))

    def has_descendant(self, name: str) -> bool:
        suffix = "." + name if name else ""
        return any(n.endswith(suffix) and n != name for n in self.by_name) if suffix else True


def analyze(zone: str, declarations: list[Declaration], existing) -> ZoneAnalysis:
    """Decide what octoDNS may see and change in ``existing`` for these declarations."""
    analysis = ZoneAnalysis(zone=zone, declarations=list(declarations))
    index = _Index(existing)
    for declaration in declarations:
        _analyze_domain(analysis, declaration, index)
    return analysis


def _analyze_domain(analysis: ZoneAnalysis, d: Declaration, index: _Index) -> None:
    domain: EmailDomain = d.domain
    fqdn = domain.name
    srv_name = domain.srv_name
    wanted = f"{d.platform_name} needs SRV {_srv_text(d.values)}"

    analysis.visible.add((srv_name, "SRV"))
    current = index.get(srv_name, "SRV")
    if current is None:
        analysis.reasons[(srv_name, "SRV")] = (
            f"publishes {d.platform_name} for {fqdn}: Outlook and other Autodiscover clients "
            "find the mailbox server through this record (Outlook step 10)"
        )
    else:
        analysis.reasons[(srv_name, "SRV")] = (
            f"the live SRV is {_srv_text(current.values)} (TTL {current.ttl}); {wanted} "
            f"(TTL {d.ttl})"
        )

    cname = index.get(srv_name, "CNAME")
    if cname is not None:
        analysis.visible.add((srv_name, "CNAME"))
        analysis.reasons[(srv_name, "CNAME")] = (
            f"{describe(cname)} hides the SRV record: a CNAME cannot share its name with "
            "other data (RFC 1034), so it is replaced by the SRV"
        )

    host_conflicts = []
    for _type in ADDRESS_TYPES:
        record = index.get(domain.host_name, _type)
        if record is None:
            continue
        host_conflicts.append(record)
        why = (
            f"{describe(record)} makes autodiscover.{fqdn} resolve, so Outlook tries "
            f"https://autodiscover.{fqdn} (step 7) before the SRV record and reaches the "
            "wrong server or shows a certificate warning"
        )
        _conflict(analysis, d, record, why)

    # RFC 4592: the wildcard answers for autodiscover.<domain> only if that
    # name does not exist. Another type there, or a name below it, stops it.
    other_types = index.types(domain.host_name) - set(ADDRESS_TYPES)
    held_by = [f"its {t} record" for t in sorted(other_types)]
    if index.has_descendant(domain.host_name):
        held_by.append("names below it")
    if d.policy == "report" and host_conflicts:
        held_by.append("its conflicting records, kept by policy report")
    node_exists = bool(held_by)
    wildcards = [r for t in ADDRESS_TYPES if (r := index.get(domain.wildcard_name, t)) is not None]
    if wildcards and node_exists:
        analysis.warnings.append(
            f"{fqdn}: wildcard {', '.join(describe(r) for r in wildcards)} kept: "
            f"autodiscover.{fqdn} exists ({', '.join(held_by)}), so the wildcard does not "
            "answer for it "
            "(RFC 4592)"
        )
    elif wildcards:
        for record in wildcards:
            why = (
                f"{describe(record)} makes autodiscover.{fqdn} resolve, so Outlook tries "
                f"https://autodiscover.{fqdn} before the SRV record and shows a certificate "
                "warning"
            )
            _conflict(analysis, d, record, why, shieldable=True)
        if d.policy == "remove":
            analysis.warnings.append(
                f"{fqdn}: removing the wildcard also stops it answering other names under "
                f"{fqdn} (a website on shop.{fqdn}, say); set policy: shield to keep it"
            )
        elif d.policy == "shield":
            analysis.visible.add((domain.host_name, SHIELD_TYPE))
            analysis.shields.append((domain.host_name, d.ttl))
            analysis.reasons[(domain.host_name, SHIELD_TYPE)] = (
                f"shields autodiscover.{fqdn} from the wildcard (RFC 4592): Outlook's A/CNAME "
                "queries get no data while the wildcard keeps serving the website"
            )

    if wildcards and current is None and not _tcp_exists(index, domain):
        analysis.warnings.append(
            f"{fqdn}: creating {srv_name} also creates _tcp.{fqdn} (an empty non-terminal): "
            f"other _x._tcp.{fqdn} names get NXDOMAIN instead of the wildcard's answer"
        )

    apex = [r for t in ("A", "AAAA") if (r := index.get(domain.apex_name, t)) is not None]
    if apex:
        analysis.warnings.append(
            f"{fqdn}: {', '.join(describe(r) for r in apex)} kept (the website needs it); "
            "Outlook first tries "
            f"https://{fqdn}/autodiscover/autodiscover.xml (step 6): if that server answers, "
            "skip it with ExcludeHttpsRootDomain=1 (plan.py doctor --outlook-reg)"
        )
    if d.platform is not None and d.platform.note:
        analysis.warnings.append(f"{fqdn} uses {d.platform.name}: {d.platform.note}")


def _conflict(analysis, d: Declaration, record, why: str, shieldable: bool = False) -> None:
    pair = (record.name, record._type)
    entry = {"domain": d.domain.name, "name": record.name, "type": record._type, "reason": why}
    if d.policy == "report" or (shieldable and d.policy == "shield"):
        action = "kept (policy report)" if d.policy == "report" else "kept behind a shield"
        entry["action"] = "kept"
        if d.policy == "report":
            analysis.warnings.append(f"{d.domain.name}: conflict {action}: {why}")
    else:
        entry["action"] = "delete"
        analysis.visible.add(pair)
        analysis.reasons[pair] = why
    analysis.conflicts.append(entry)


def _tcp_exists(index: _Index, domain: EmailDomain) -> bool:
    tcp = f"_tcp.{domain.sub}" if domain.sub else "_tcp"
    return bool(index.types(tcp)) or index.has_descendant(tcp)
