"""Seed data shared by the provider end-to-end tests (tests/test_providers_e2e.py).

Records are (owner relative to the zone, type, ttl, [rdata in presentation
format]); '@' is the apex. That syntax is valid BIND zone-file text, PowerDNS
content and Route53 values; Cloudflare gets it translated by the test.

Three zones per backend, planned and applied in one run:

- ``example.com.``: a wrong ``_autodiscover._tcp`` SRV, a ``*`` A wildcard and
  ``autodiscover`` CNAME autodiscover.outlook.com., plus 27 unrelated RRsets.
- ``example.net.``: the same, but a CNAME sits at ``_autodiscover._tcp``.
- ``example.org.``: already right (the SRV as declared, no conflicts).
"""

from __future__ import annotations

Seed = tuple[str, str, int, list[str]]

PLATFORM = "exchange-2016"
SRV_NAME = "_autodiscover._tcp"
SRV_TARGET = "exchange.emailservice.io."
SRV_VALUE = f"0 0 443 {SRV_TARGET}"
SRV_TTL = 3600  # what `plan.py add` declares by default

WRONG_SRV = "10 10 443 old-exchange.example.net."
CNAME_AT_SRV = "autodiscover-srv.old-host.example.net."

SOA = ("@", "SOA", 3600, ["ns1.{zone} hostmaster.{zone} 2024010101 3600 600 86400 300"])
NS = ("@", "NS", 3600, ["ns1.{zone}", "ns2.{zone}"])

#: Records the planner must never touch: every backend keeps them byte for byte.
#: `*` MX and `*` TXT are wildcards but no Autodiscover conflict; `eu` is a
#: subdomain with its own autodiscover CNAME and SRV, and nobody declared it.
UNRELATED: list[Seed] = [
    ("@", "A", 300, ["192.0.2.10"]),
    ("@", "AAAA", 300, ["2001:db8::10"]),
    ("@", "MX", 3600, ["10 mail.example.com.", "20 mail2.example.com."]),
    ("@", "TXT", 300, ['"v=spf1 include:spf.protection.outlook.com -all"', '"site-verify=abc123"']),
    ("@", "CAA", 3600, ['0 issue "letsencrypt.org"', '0 iodef "mailto:security@example.com"']),
    ("ns1", "A", 3600, ["192.0.2.53"]),
    ("ns2", "A", 3600, ["192.0.2.54"]),
    ("www", "A", 300, ["192.0.2.10"]),
    ("www", "AAAA", 300, ["2001:db8::10"]),
    ("*", "MX", 300, ["10 mail.example.com."]),
    ("*", "TXT", 300, ['"wildcard text"']),
    ("*.sub", "A", 300, ["192.0.2.40"]),
    ("_dmarc", "TXT", 300, ['"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"']),
    ("mail", "A", 300, ["192.0.2.20"]),
    ("mail2", "A", 300, ["192.0.2.21"]),
    ("api", "AAAA", 600, ["2001:db8::20"]),
    ("ftp", "CNAME", 300, ["www.example.com."]),
    ("shop", "CNAME", 300, ["shops.myshopify.com."]),
    ("autoconfig", "CNAME", 300, ["autoconfig.example.net."]),
    ("lyncdiscover", "CNAME", 300, ["webdir.online.lync.com."]),
    ("selector1._domainkey", "CNAME", 300, ["selector1-example._domainkey.example.net."]),
    ("_sip._tls", "SRV", 300, ["100 1 443 sipdir.online.lync.com."]),
    ("_imaps._tcp", "SRV", 300, ["0 1 993 mail.example.com."]),
    ("eu", "A", 300, ["192.0.2.50"]),
    ("eu", "MX", 300, ["10 mail.example.com."]),
    ("autodiscover.eu", "CNAME", 300, ["autodiscover.outlook.com."]),
    ("_autodiscover._tcp.eu", "SRV", 300, ["0 0 443 mail.eu.example.net."]),
]

WILDCARD_A: Seed = ("*", "A", 300, ["192.0.2.30"])
AUTODISCOVER_CNAME: Seed = ("autodiscover", "CNAME", 300, ["autodiscover.outlook.com."])

#: zone -> its conflicting records (the ones the plan must delete or replace)
CONFLICTS: dict[str, list[Seed]] = {
    "example.com.": [WILDCARD_A, AUTODISCOVER_CNAME, (SRV_NAME, "SRV", 300, [WRONG_SRV])],
    "example.net.": [WILDCARD_A, AUTODISCOVER_CNAME, (SRV_NAME, "CNAME", 300, [CNAME_AT_SRV])],
    "example.org.": [(SRV_NAME, "SRV", SRV_TTL, [SRV_VALUE])],
}
ZONES = list(CONFLICTS)

#: zone -> the plan, as (action, name, type), written out from the issue, not the code
EXPECTED: dict[str, set[tuple[str, str, str]]] = {
    "example.com.": {
        ("delete", "*", "A"),
        ("delete", "autodiscover", "CNAME"),
        ("update", SRV_NAME, "SRV"),
    },
    "example.net.": {
        ("delete", "*", "A"),
        ("delete", "autodiscover", "CNAME"),
        ("delete", SRV_NAME, "CNAME"),
        ("create", SRV_NAME, "SRV"),
    },
    "example.org.": set(),
}

#: (name, type) pairs that may differ before and after apply, per zone
TOUCHED: dict[str, set[tuple[str, str]]] = {
    zone: {(name, _type) for _, name, _type in changes} for zone, changes in EXPECTED.items()
}

#: a zone declared in the repository but not present at the provider
MISSING_ZONE = "missing.example."


def records_for(zone: str, apex: bool = True) -> list[Seed]:
    """Every RRset to seed in ``zone``; with ``apex`` also SOA and NS (names filled in)."""
    head = [
        (name, _type, ttl, [v.format(zone=zone) for v in values])
        for name, _type, ttl, values in (SOA, NS)
    ]
    return (head if apex else []) + UNRELATED + CONFLICTS[zone]


def relative(owner: str, zone: str) -> str:
    """'www.example.com.' / 'www.example.com' -> 'www'; the apex -> '@'."""
    owner = owner.lower().rstrip(".") + "."
    if owner == zone:
        return "@"
    assert owner.endswith("." + zone), (owner, zone)
    return owner[: -len(zone) - 1]
