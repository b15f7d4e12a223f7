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

from .declarations import Declaration, Policy, srv_text
from .errors import DeclarationError
from .liveview import NODE, LiveZone
from .ownership import ADDRESS_TYPES, SHIELD_TYPE, EmailDomain

#: DNS types (as the live view names them) that answer Outlook's address queries
LIVE_ADDRESS_TYPES = frozenset({"A", "AAAA", "CNAME"})

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
    try:
        rdatas = " ".join(record.to_rrset().rdatas)
    except Exception:  # provider-specific types (Route53 aliases) have no rdata text
        values = getattr(record, "values", None) or [getattr(record, "value", "")]
        rdatas = " ".join(str(v) for v in values)
    text = f"`{name}` {record._type} {rdatas}"
    if _proxied(record):
        text += " (proxied through Cloudflare)"
    return text


def _proxied(record) -> bool:
    return bool(((record.octodns or {}).get("cloudflare") or {}).get("proxied"))


def _srv_text(values) -> str:
    return ", ".join(srv_text(v) for v in values)


class _Records:
    """octoDNS's records of the live zone (what can be changed), by name and type."""

    def __init__(self, existing) -> None:
        self.by_name: dict[str, dict[str, object]] = {}
        for record in existing.records:
            self.by_name.setdefault(record.name, {})[record._type] = record

    def get(self, name: str, _type: str):
        return self.by_name.get(name, {}).get(_type)


def is_shield(record) -> bool:
    """Is this the TXT record autodiscover-dns writes as a shield (by its value)?"""
    return (
        record is not None
        and record._type == SHIELD_TYPE
        and [str(v).replace("\\;", ";") for v in record.values] == [SHIELD_TEXT]
    )


def analyze(
    zone: str, declarations: list[Declaration], existing, live: LiveZone | None = None
) -> ZoneAnalysis:
    """Decide what octoDNS may see and change in ``existing`` for these declarations.

    ``existing`` holds octoDNS's records (what can be changed); ``live`` every
    owner name and type the backend serves (what exists). Existence, empty
    non-terminals and zone cuts are decided from ``live`` only.
    """
    analysis = ZoneAnalysis(zone=zone, declarations=list(declarations))
    records = _Records(existing)
    if live is None:
        live = LiveZone(zone)
    for declaration in declarations:
        _analyze_domain(analysis, declaration, records, live)
    return analysis


def _analyze_domain(analysis: ZoneAnalysis, d: Declaration, records: _Records, live) -> None:
    domain: EmailDomain = d.domain
    fqdn = domain.name
    srv_name = domain.srv_name
    host = domain.host_name
    _refuse_below_cut(analysis.zone, d, live)
    wanted = f"{d.platform_name} needs SRV {_srv_text(d.values)}"

    analysis.visible.add((srv_name, "SRV"))
    current = records.get(srv_name, "SRV")
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

    cname = records.get(srv_name, "CNAME")
    if cname is not None:
        analysis.visible.add((srv_name, "CNAME"))
        analysis.reasons[(srv_name, "CNAME")] = (
            f"{describe(cname)} hides the SRV record: a CNAME cannot share its name with "
            "other data (RFC 1034), so it is replaced by the SRV"
        )

    host_cut = live.cut_above(host)
    if host_cut is not None:
        # autodiscover.<domain> is delegated (or redirected): its records, glue
        # included, belong to another zone and are never ours to change
        analysis.warnings.append(
            f"{fqdn}: autodiscover.{fqdn} lies at or below the zone cut "
            f"{_fqdn(host_cut, analysis.zone)} ({'/'.join(sorted(live.types(host_cut)))}): "
            "records there belong to the delegated zone and are left untouched; check "
            "them there"
        )
        _warn_apex_and_note(analysis, d, records)
        return

    host_conflicts = []
    for _type in ADDRESS_TYPES:
        record = records.get(host, _type)
        if record is None:
            continue
        host_conflicts.append(record)
        why = (
            f"{describe(record)} makes autodiscover.{fqdn} resolve, so Outlook tries "
            f"https://autodiscover.{fqdn} (step 7) before the SRV record and reaches the "
            "wrong server or shows a certificate warning"
        )
        _conflict(analysis, d, record, why)
    _warn_unmodelled(analysis, live, host, f"autodiscover.{fqdn}", bool(host_conflicts))

    # RFC 4592: the wildcard answers for autodiscover.<domain> only if that name
    # does not exist. Decide it from what will remain there after this plan: every
    # type the backend serves (modelled or not) except what the plan deletes, and
    # any name below it. Our own shield does not count: it is decided below.
    shield = records.get(host, SHIELD_TYPE)
    ours = is_shield(shield)
    remaining = set(live.types(host))
    if host_conflicts and not d.policy.keeps(wildcard=False):
        remaining -= LIVE_ADDRESS_TYPES
    if ours:
        remaining.discard(SHIELD_TYPE)
    held_by = [_held(t) for t in sorted(remaining)]
    if live.has_descendant(host):
        held_by.append("names below it")
    if host_conflicts and d.policy.keeps(wildcard=False):
        held_by.append("its conflicting records, kept by policy report")
    node_exists = bool(held_by)

    wildcards = [
        r for t in ADDRESS_TYPES if (r := records.get(domain.wildcard_name, t)) is not None
    ]
    wildcard_cut = live.cut_above(domain.wildcard_name)
    if wildcard_cut is not None:
        wildcards = []
    elif not node_exists:
        _warn_unmodelled(
            analysis, live, domain.wildcard_name, f"the wildcard *.{fqdn}", bool(wildcards)
        )
    shield_needed = False
    if wildcards and node_exists:
        analysis.warnings.append(
            f"{fqdn}: wildcard {', '.join(describe(r) for r in wildcards)} kept: "
            f"autodiscover.{fqdn} exists ({', '.join(held_by)}), so the wildcard does not "
            "answer for it (RFC 4592)"
        )
    elif wildcards:
        for record in wildcards:
            why = (
                f"{describe(record)} makes autodiscover.{fqdn} resolve, so Outlook tries "
                f"https://autodiscover.{fqdn} before the SRV record and shows a certificate "
                "warning"
            )
            _conflict(analysis, d, record, why, shieldable=True)
        if d.policy is Policy.REMOVE:
            analysis.warnings.append(
                f"{fqdn}: removing the wildcard also stops it answering other names under "
                f"{fqdn} (a website on shop.{fqdn}, say); set policy: shield to keep it"
            )
        elif d.policy is Policy.SHIELD:
            shield_needed = True
            analysis.visible.add((host, SHIELD_TYPE))
            analysis.shields.append((host, d.ttl))
            analysis.reasons[(host, SHIELD_TYPE)] = (
                f"shields autodiscover.{fqdn} from the wildcard (RFC 4592): Outlook's A/CNAME "
                "queries get no data while the wildcard keeps serving the website"
            )
    if ours and not shield_needed:
        analysis.visible.add((host, SHIELD_TYPE))
        analysis.reasons[(host, SHIELD_TYPE)] = (
            f"the autodiscover-dns shield at autodiscover.{fqdn} is no longer needed "
            f"({_why_no_shield(d, wildcards, held_by)}): it is removed"
        )
    elif shield is not None and not ours and any(SHIELD_TEXT in str(v) for v in shield.values):
        analysis.warnings.append(
            f"{fqdn}: the TXT at autodiscover.{fqdn} holds the autodiscover-dns shield text "
            "among other values; it is left as it is (remove the shield value by hand if it "
            "is no longer wanted)"
        )

    if current is None and cname is None:
        _warn_new_empty_non_terminals(analysis, d, live)
    _warn_apex_and_note(analysis, d, records)


def _warn_new_empty_non_terminals(analysis: ZoneAnalysis, d: Declaration, live) -> None:
    """Creating the SRV creates every missing name above it (RFC 4592 empty
    non-terminals): a wildcard one level up stops answering for those names and
    everything below them. Say so for each wildcard that stays."""
    labels = d.domain.srv_name.split(".")
    for i in range(1, len(labels)):
        name = ".".join(labels[i:])
        if live.exists(name):
            return  # this name and every name above it exist already
        parent = ".".join(labels[i + 1 :])
        wildcard = f"*.{parent}" if parent else "*"
        deleted = {t for n, t in analysis.visible if n == wildcard}
        if live.types(wildcard) - _served_types(deleted):
            where = _fqdn(name, analysis.zone)
            analysis.warnings.append(
                f"{d.domain.name}: creating {d.domain.srv_name} also creates {where} (an empty "
                f"non-terminal): {where} and names below it (such as x.{where}) get NXDOMAIN "
                f"or no data instead of the wildcard {_fqdn(wildcard, analysis.zone)}'s answer"
            )


def _held(rdtype: str) -> str:
    # NODE: read through DNS, the name exists with types the manual provider did not ask
    return "records of other types" if rdtype == NODE else f"its {rdtype} record"


def _served_types(octodns_types: set[str]) -> set[str]:
    """The DNS types these octoDNS types serve (a Route53 alias serves A or AAAA)."""
    aliases = {"A", "AAAA"} if "Route53Provider/ALIAS" in octodns_types else set()
    return octodns_types | aliases


def _why_no_shield(d: Declaration, wildcards: list, held_by: list[str]) -> str:
    if d.policy is not Policy.SHIELD:
        return f"policy is {d.policy}"
    if not wildcards:
        return "no wildcard answers for the name"
    return f"the name exists without it: {', '.join(held_by)}"


def _refuse_below_cut(zone: str, d: Declaration, live: LiveZone) -> None:
    """An email domain at or below a delegation is served by another zone: refuse."""
    cut = live.cut_above(d.domain.srv_name)
    if cut is None:
        return
    types = live.types(cut)
    child = _fqdn(cut, zone)
    if "NS" in types:
        what = f"{child} is delegated (NS at {cut} in zone {zone})"
        fix = f"declare it in the delegated zone's own file, {child}.yaml, under its provider"
    else:
        what = f"{child} has a DNAME (RFC 6672): names below it are not served from {zone}"
        fix = "remove the DNAME or declare the domain where the DNAME points"
    raise DeclarationError(
        f"zone {zone} record {d.domain.srv_name} SRV: {d.domain.name} lies below a zone cut: "
        f"{what}; {fix}"
    )


def _warn_unmodelled(analysis: ZoneAnalysis, live, name: str, label: str, modelled: bool) -> None:
    """Address records the backend serves but octoDNS cannot change: say so, never guess."""
    served = live.types(name) & LIVE_ADDRESS_TYPES
    if served and not modelled:
        analysis.warnings.append(
            f"{analysis.zone.rstrip('.')}: {label} has {'/'.join(sorted(served))} records this "
            "provider cannot change through octoDNS; remove them by hand at the DNS host"
        )


def _warn_apex_and_note(analysis: ZoneAnalysis, d: Declaration, records: _Records) -> None:
    fqdn = d.domain.name
    apex = [r for t in ("A", "AAAA") if (r := records.get(d.domain.apex_name, t)) is not None]
    if apex:
        analysis.warnings.append(
            f"{fqdn}: {', '.join(describe(r) for r in apex)} kept (the website needs it); "
            "Outlook first tries "
            f"https://{fqdn}/autodiscover/autodiscover.xml (step 6): if that server answers, "
            "skip it with ExcludeHttpsRootDomain=1 (plan.py doctor --outlook-reg)"
        )
    if d.platform is not None and d.platform.note:
        analysis.warnings.append(f"{fqdn} uses {d.platform.name}: {d.platform.note}")


def _fqdn(name: str, zone: str) -> str:
    zone = zone.rstrip(".")
    return f"{name}.{zone}" if name else zone


def _conflict(analysis, d: Declaration, record, why: str, shieldable: bool = False) -> None:
    pair = (record.name, record._type)
    entry = {"domain": d.domain.name, "name": record.name, "type": record._type, "reason": why}
    if d.policy.keeps(wildcard=shieldable):
        entry["action"] = "kept"
        if d.policy is Policy.REPORT:
            analysis.warnings.append(f"{d.domain.name}: conflict {d.policy.kept_word}: {why}")
    else:
        entry["action"] = "delete"
        analysis.visible.add(pair)
        analysis.reasons[pair] = why
    analysis.conflicts.append(entry)
