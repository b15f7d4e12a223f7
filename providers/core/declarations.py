"""Declared Autodiscover records: what a zone file may say, checked strictly.

octoDNS accepts SRV values the email host cannot use (port 80, an IP target, a
target without trailing dot, no values at all), so the policy checks them here
before anything is planned.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from .catalog import CUSTOM, Catalog, Platform
from .errors import DeclarationError
from .ownership import SRV_LABEL, EmailDomain, declared_name_problem, email_domain_for

POLICIES = ("remove", "shield", "report")
DEFAULT_POLICY = "remove"
META_KEY = "autodiscover"
META_FIELDS = ("platform", "policy")


@dataclass(frozen=True)
class Declaration:
    """One email domain's declared SRV record and how to treat its conflicts."""

    domain: EmailDomain
    platform: Platform | None  # None for an explicitly custom target
    policy: str
    values: tuple[dict, ...]
    ttl: int

    @property
    def platform_key(self) -> str:
        return self.platform.key if self.platform else CUSTOM

    @property
    def platform_name(self) -> str:
        return self.platform.name if self.platform else "custom target"


def check_srv_values(where: str, values: Iterable) -> None:
    """Refuse SRV values Autodiscover clients would skip or that are not valid DNS."""
    values = list(values)
    if not values:
        raise DeclarationError(f"{where}: SRV has no value; declare 0 0 443 <platform host>.")
    for value in values:
        if not isinstance(value, dict):
            raise DeclarationError(
                f"{where}: SRV value must be a mapping of port/priority/target/weight"
            )
        missing = [k for k in ("port", "priority", "target", "weight") if k not in value]
        if missing:
            raise DeclarationError(f"{where}: SRV value lacks {', '.join(missing)}")
        for field in ("priority", "weight", "port"):
            number = value[field]
            if isinstance(number, bool) or not isinstance(number, int):
                raise DeclarationError(
                    f"{where}: SRV {field} {number!r} is not an integer; use a whole number"
                )
            if not 0 <= number <= 65535:
                raise DeclarationError(f"{where}: SRV {field} {number} is out of range 0-65535")
        if value["port"] != 443:
            raise DeclarationError(
                f"{where}: SRV port {value['port']}: Autodiscover clients only use SRV "
                "records on port 443; set port: 443"
            )
        target = value["target"]
        if not isinstance(target, str) or not target:
            raise DeclarationError(f"{where}: SRV target must be a host name")
        if is_ip(target.rstrip(".")):
            raise DeclarationError(
                f"{where}: SRV target {target} is an IP address; an SRV target must be a host name"
            )
        if not target.endswith("."):
            raise DeclarationError(
                f"{where}: SRV target {target} lacks the trailing dot; write {target}."
            )
        if target == ".":
            raise DeclarationError(
                f"{where}: SRV target '.' means 'no service'; name the platform host"
            )


def declaration_from_record(record, catalog: Catalog) -> Declaration:
    """Build the declaration of one desired octoDNS record, or say what is wrong."""
    zone = record.zone.name
    label = record.name or "@"
    where = f"zone {zone} record {label} {record._type}"
    domain = email_domain_for(zone, record.name)
    if domain is None:
        raise DeclarationError(
            f"{where}: only {SRV_LABEL}[.<subdomain>] SRV records may be declared; remove it "
            "(records you do not declare are left untouched at the provider)"
        )
    problem = declared_name_problem(record.name)
    if problem:
        raise DeclarationError(f"{where}: {problem}")
    if record._type == "CNAME":
        raise DeclarationError(
            f"{where}: a CNAME cannot be the Autodiscover record; declare the SRV of a platform "
            "(plan.py add DOMAIN --platform NAME)"
        )
    if record._type != "SRV":
        raise DeclarationError(f"{where}: only SRV may be declared at {record.name}")
    meta = (record.octodns or {}).get(META_KEY) or {}
    if not isinstance(meta, dict):
        raise DeclarationError(f"{where}: octodns.{META_KEY} must be a mapping of platform/policy")
    unknown = sorted(set(meta) - set(META_FIELDS))
    if unknown:
        raise DeclarationError(
            f"{where}: unknown octodns.{META_KEY} key {unknown[0]!r}; allowed: platform, policy"
        )
    policy = meta.get("policy", DEFAULT_POLICY)
    if policy not in POLICIES:
        raise DeclarationError(
            f"{where}: unknown policy {policy!r}; use one of {', '.join(POLICIES)}"
        )
    values = [dict(v) for v in record.values]
    check_srv_values(where, values)
    platform = _platform_for(where, meta.get("platform"), values, catalog)
    return Declaration(
        domain=domain, platform=platform, policy=policy, values=tuple(values), ttl=record.ttl
    )


def _platform_for(where: str, key, values: list[dict], catalog: Catalog) -> Platform | None:
    if key == CUSTOM:
        return None
    if key is not None:
        platform = catalog.get(str(key)) if str(key) in catalog.platforms else None
        if platform is None:
            known = ", ".join(sorted(catalog.platforms))
            raise DeclarationError(
                f"{where}: unknown platform {key!r}; use one of {known} or 'custom'"
            )
        if len(values) != 1 or not platform.matches(values[0]):
            raise DeclarationError(
                f"{where}: platform {key} needs exactly SRV 0 0 443 {platform.target}; fix the "
                "value or mark the platform 'custom'"
            )
        return platform
    matched = [catalog.match(v) for v in values]
    if len(values) == 1 and matched[0] is not None:
        return matched[0]
    targets = ", ".join(str(v["target"]) for v in values)
    raise DeclarationError(
        f"{where}: SRV target {targets} matches no platform in config/platforms.yaml; use a "
        "platform's value or set octodns.autodiscover.platform: custom"
    )


def is_ip(text: str) -> bool:
    """An IPv4 or IPv6 address (not a host name)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
