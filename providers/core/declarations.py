"""Declared Autodiscover records: what a zone file may say, checked strictly.

octoDNS accepts SRV values the email host cannot use (port 80, an IP target, a
target without trailing dot, no values at all), so the policy checks them here
before anything is planned.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from .catalog import CUSTOM, Catalog, Platform
from .errors import DeclarationError
from .ownership import SRV_LABEL, EmailDomain, declared_name_problem, email_domain_for


class Policy(StrEnum):
    """What happens to records that make ``autodiscover.<domain>`` resolve (the zone file's
    ``octodns.autodiscover.policy``). A str: compares and prints as its YAML word."""

    REMOVE = "remove"  # deleted, each with a one-line reason (the article's best practice)
    SHIELD = "shield"  # explicit records deleted; a wildcard kept behind a TXT at autodiscover
    REPORT = "report"  # kept and listed as warnings: the owner decides

    def keeps(self, wildcard: bool) -> bool:
        """Does the plan keep such a conflict (``wildcard``: it comes from a wildcard)?"""
        return self is Policy.REPORT or (wildcard and self is Policy.SHIELD)

    @property
    def kept_word(self) -> str:
        """How a plan names a conflict this policy keeps."""
        return "kept (policy report)" if self is Policy.REPORT else "kept behind a shield"

    def remedy(self, zone_file: object, host: str, wildcard: bool, make: str = "") -> str:
        """What fixes a live conflict at ``host`` under this policy, with the commands: the
        one wording confirm, doctor and the status page use (``zone_file``: where the policy
        is set; ``wildcard``: a wildcard answers; ``make``: e.g. `` CONFIG=...``)."""
        plan, apply = f"make plan{make}", f"make apply{make}"
        if self is Policy.REPORT:
            alternative = " (or shield, to keep the wildcard for the website)" if wildcard else ""
            return (
                f"kept on purpose: {zone_file} sets policy: report. To fix it, set policy: "
                f"remove{alternative}, then {plan} and {apply}"
            )
        if wildcard and self is Policy.SHIELD:
            return (
                f"{plan} shows a TXT shield at {host} (the website keeps its wildcard); "
                f"{apply} adds it"
            )
        if wildcard:
            return (
                f"{plan} shows the wildcard's removal and {apply} deletes it; to keep the "
                f"wildcard for a website, set policy: shield in {zone_file} first"
            )
        return f"{plan} shows the record's removal; {apply} deletes it"


POLICIES = tuple(p.value for p in Policy)
DEFAULT_POLICY = Policy.REMOVE.value
META_KEY = "autodiscover"
META_FIELDS = ("platform", "policy", "customer")
_CUSTOMER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


@dataclass(frozen=True)
class Declaration:
    """One email domain's declared SRV record and how to treat its conflicts."""

    domain: EmailDomain
    platform: Platform | None  # None for an explicitly custom target
    policy: Policy
    values: tuple[dict, ...]
    ttl: int
    customer: str | None = None  # who a manual work order goes to (zone file's customer:)

    def __post_init__(self) -> None:
        object.__setattr__(self, "policy", Policy(self.policy))  # a plain word is accepted too

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
            f"{where}: unknown octodns.{META_KEY} key {unknown[0]!r}; allowed: "
            f"{', '.join(META_FIELDS)}"
        )
    customer = meta.get("customer")
    if customer is not None and not (isinstance(customer, str) and _CUSTOMER.match(customer)):
        raise DeclarationError(
            f"{where}: customer {customer!r} must be a short name (letters, digits, space, "
            "'.', '_', '-'; up to 64 characters): it names the customer's work order files"
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
        domain=domain, platform=platform, policy=policy, values=tuple(values), ttl=record.ttl,
        customer=customer,
    )  # fmt: skip


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


def srv_text(value: Mapping) -> str:
    """An SRV value (priority, weight, port, target) in zone-file form: '0 0 443 host.'."""
    return f"{value['priority']} {value['weight']} {value['port']} {value['target']}"


def is_ip(text: str) -> bool:
    """An IPv4 or IPv6 address (not a host name)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
