"""Which (name, type) pairs of a zone the planner owns.

Everything else in a zone is invisible to octoDNS: it is filtered out of both
the desired and the existing zone, so it can never be changed or deleted.
Names are relative to the zone, as octoDNS writes them ('' is the apex).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SRV_LABEL = "_autodiscover._tcp"
HOST_LABEL = "autodiscover"
WILDCARD_LABEL = "*"

# Types that make a name resolve for Outlook's HTTPS/HTTP Autodiscover steps
# (octoDNS types: a Route53 alias record is ``Route53Provider/ALIAS``).
ADDRESS_TYPES = ("A", "AAAA", "CNAME", "ALIAS", "Route53Provider/ALIAS")
SRV_TYPES = ("SRV", "CNAME")
SHIELD_TYPE = "TXT"

_SRV_NAME = re.compile(r"^_autodiscover\._tcp(?:\.(?P<sub>.+))?$", re.IGNORECASE)


def _join(label: str, sub: str) -> str:
    return f"{label}.{sub}" if sub else label


@dataclass(frozen=True, order=True)
class EmailDomain:
    """An email domain inside a zone: the apex (sub '') or a subdomain ('eu')."""

    zone: str
    sub: str = ""

    @property
    def name(self) -> str:
        """The domain without trailing dot, e.g. 'eu.contoso.com'."""
        zone = self.zone.rstrip(".")
        return f"{self.sub}.{zone}" if self.sub else zone

    @property
    def srv_name(self) -> str:
        return _join(SRV_LABEL, self.sub)

    @property
    def host_name(self) -> str:
        return _join(HOST_LABEL, self.sub)

    @property
    def wildcard_name(self) -> str:
        return _join(WILDCARD_LABEL, self.sub)

    @property
    def apex_name(self) -> str:
        return self.sub

    def owned_pairs(self, shield: bool = False) -> set[tuple[str, str]]:
        """The pairs this domain may change; a shield adds the TXT at autodiscover."""
        pairs = {(self.srv_name, t) for t in SRV_TYPES}
        pairs |= {(self.host_name, t) for t in ADDRESS_TYPES}
        pairs |= {(self.wildcard_name, t) for t in ADDRESS_TYPES}
        if shield:
            pairs.add((self.host_name, SHIELD_TYPE))
        return pairs


_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def email_label_problem(sub: str) -> str | None:
    """What is wrong with a subdomain part of an email domain, or None.

    Email domains are host names: lower-case letters, digits and hyphens
    (punycode ``xn--`` for internationalised names), no wildcard, underscore
    or escaped labels.
    """
    for label in sub.split("."):
        if "\\" in label:
            return f"label {label!r} has an escaped character; email domains are plain host names"
        if label == "*":
            return "a wildcard cannot be an email domain; declare each domain by name"
        if not label.isascii():
            try:
                puny = label.encode("idna").decode()
            except UnicodeError:
                return f"label {label!r} is not a valid internationalised name"
            return f"internationalised label {label!r}; write it in punycode: {puny!r}"
        if "_" in label:
            return (
                f"label {label!r} has an underscore; an email domain is a host name (letters, "
                "digits and hyphens)"
            )
        if label != label.lower():
            return f"label {label!r} has upper case; write {label.lower()!r}"
        if not _LDH_LABEL.match(label):
            return (
                f"label {label!r} is not a valid host name label (letters, digits and hyphens, "
                "at most 63, not starting or ending with a hyphen)"
            )
    return None


def declared_name_problem(name: str) -> str | None:
    """What is wrong with a declared ``_autodiscover._tcp[.<sub>]`` owner name, or None."""
    if not name.startswith(SRV_LABEL):
        return f"write {SRV_LABEL} in lower case"
    sub = name[len(SRV_LABEL) + 1 :]
    return email_label_problem(sub) if sub else None


def email_domain_for(zone: str, record_name: str) -> EmailDomain | None:
    """The email domain an ``_autodiscover._tcp[.sub]`` name belongs to, else None."""
    match = _SRV_NAME.match(record_name)
    if not match:
        return None
    return EmailDomain(zone=zone, sub=(match.group("sub") or "").lower())
