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

# Types that make a name resolve for Outlook's HTTPS/HTTP Autodiscover steps.
ADDRESS_TYPES = ("A", "AAAA", "CNAME", "ALIAS")
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


def email_domain_for(zone: str, record_name: str) -> EmailDomain | None:
    """The email domain an ``_autodiscover._tcp[.sub]`` name belongs to, else None."""
    match = _SRV_NAME.match(record_name)
    if not match:
        return None
    return EmailDomain(zone=zone, sub=(match.group("sub") or "").lower())
