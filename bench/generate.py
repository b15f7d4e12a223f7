"""N realistic customer domains for the benchmark, and their form for each backend.

Every domain is a zone as a small business has it at its DNS host: SOA and NS,
apex A, MX, SPF TXT, CAA, ``www``, ``mail``, DMARC and a few more hosts. Then
a seeded mix of what the planner is for:

- ``*`` A (a hosting panel's catch-all, sometimes with ``*`` MX that must stay),
- ``autodiscover`` CNAME autodiscover.outlook.com. (Office 365 leftovers) or A,
- a wrong ``_autodiscover._tcp`` SRV (another platform, an old server),
- a CNAME at ``_autodiscover._tcp``,
- zones that are already right (no change expected),
- subdomain email domains (``eu.<zone>``) declared in the same zone file,
- the ``shield`` and ``report`` policies on a few domains.

The same seed always gives the same domains. Records are
``(owner relative to the zone or '@', type, ttl, [rdata in presentation form])``,
which is BIND zone-file text, PowerDNS content and Route53 values at once;
tests/servers/backends.py seeds them into each backend.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Seed = tuple[str, str, int, list[str]]

PLATFORMS = {  # as config/platforms.yaml (checked against it by write_repository)
    "exchange-2016": "exchange.emailservice.io.",
    "exchange-2013": "exchange.mailprotector.com.",
    "cloudmail": "autodiscover.emailservice.io.",
}
SRV_TTL = 3600  # what `plan.py add` declares by default
OFFICE365 = "autodiscover.outlook.com."

_WORDS = [
    "acme",
    "alpine",
    "apex",
    "atlas",
    "aurora",
    "beacon",
    "birch",
    "blue",
    "bright",
    "cedar",
    "citadel",
    "coast",
    "copper",
    "crest",
    "delta",
    "ember",
    "everest",
    "falcon",
    "fern",
    "harbor",
    "hazel",
    "horizon",
    "iron",
    "juniper",
    "lake",
    "laurel",
    "lumen",
    "maple",
    "meadow",
    "metro",
    "nimbus",
    "north",
    "oak",
    "orbit",
    "pine",
    "prairie",
    "quartz",
    "river",
    "sage",
    "sierra",
    "silver",
    "solar",
    "spruce",
    "summit",
    "terra",
    "tidal",
    "union",
    "vertex",
    "willow",
    "zenith",
]
_KINDS = [
    "law",
    "dental",
    "clinic",
    "builders",
    "design",
    "media",
    "logistics",
    "farms",
    "group",
    "partners",
    "labs",
    "tech",
]
_TLDS = ["com"] * 10 + ["net"] * 3 + ["org"] * 2 + ["io", "de", "nl", "co.uk", "com.au"]
_SUBS = ("eu", "uk", "us", "de", "fr")


@dataclass(frozen=True)
class Declared:
    """One email domain's declaration: sub '' is the zone apex."""

    sub: str
    platform: str
    policy: str = "remove"

    @property
    def srv_name(self) -> str:
        return f"_autodiscover._tcp.{self.sub}" if self.sub else "_autodiscover._tcp"


@dataclass
class Domain:
    zone: str  # with trailing dot
    records: list[Seed]
    declared: list[Declared]
    tags: list[str] = field(default_factory=list)
    expect_changes: bool = True

    @property
    def name(self) -> str:
        return self.zone.rstrip(".")


def _ip(rng: random.Random, net: str = "203.0.113") -> str:
    return f"{net}.{rng.randrange(1, 255)}"


def _domain(index: int, rng: random.Random) -> Domain:
    label = f"{rng.choice(_WORDS)}{rng.choice(_KINDS)}-{index:05d}"
    zone = f"{label}.{rng.choice(_TLDS)}."
    web = _ip(rng)
    records: list[Seed] = [
        ("@", "SOA", 3600, [f"ns1.{zone} hostmaster.{zone} 2026010101 7200 900 1209600 300"]),
        ("@", "NS", 3600, [f"ns1.{zone}", f"ns2.{zone}"]),
        ("ns1", "A", 3600, [_ip(rng, "198.51.100")]),
        ("ns2", "A", 3600, [_ip(rng, "198.51.100")]),
        ("@", "A", 300, [web]),
        ("mail", "A", 300, [_ip(rng)]),
        ("_dmarc", "TXT", 300, [f'"v=DMARC1; p=quarantine; rua=mailto:dmarc@{zone[:-1]}"']),
        ("@", "CAA", 3600, ['0 issue "letsencrypt.org"']),
    ]
    mx = rng.random()
    if mx < 0.6:  # Mailprotector's inbound filtering
        mxs = ["10 mx1.mailprotector.net.", "20 mx2.mailprotector.net."]
        records.append(("@", "MX", 3600, mxs))
        spf = '"v=spf1 include:mailprotector.com -all"'
    else:
        records.append(("@", "MX", 3600, [f"10 mail.{zone}"]))
        spf = '"v=spf1 mx include:spf.protection.outlook.com ~all"'
    records.append(("@", "TXT", 300, [spf, f'"site-verification={rng.getrandbits(48):012x}"']))
    if rng.random() < 0.5:
        records.append(("www", "CNAME", 300, [zone]))
    else:
        records.append(("www", "A", 300, [web]))
    extras: list[Seed] = [
        ("ftp", "CNAME", 300, [f"www.{zone}"]),
        ("blog", "A", 300, [_ip(rng)]),
        ("shop", "CNAME", 300, ["shops.myshopify.com."]),
        ("vpn", "A", 600, [_ip(rng, "192.0.2")]),
        ("remote", "A", 600, [_ip(rng, "192.0.2")]),
        ("autoconfig", "CNAME", 300, [f"mail.{zone}"]),
        ("lyncdiscover", "CNAME", 3600, ["webdir.online.lync.com."]),
        ("_sip._tls", "SRV", 3600, ["100 1 443 sipdir.online.lync.com."]),
        ("selector1._domainkey", "CNAME", 3600, [f"selector1-{label}._domainkey.example.net."]),
        ("_imaps._tcp", "SRV", 3600, [f"0 1 993 mail.{zone}"]),
    ]
    records += rng.sample(extras, rng.randrange(0, 7))

    platform = rng.choices(list(PLATFORMS), weights=(70, 20, 10))[0]
    policy = rng.choices(("remove", "shield", "report"), weights=(90, 6, 4))[0]
    declared = [Declared("", platform, policy)]
    tags: list[str] = [f"platform:{platform}", f"policy:{policy}"]
    state = rng.choices(("fresh", "correct", "wrong-srv", "cname-srv"), weights=(67, 20, 10, 3))[0]
    tags.append(f"state:{state}")
    if state == "correct":
        records.append(("_autodiscover._tcp", "SRV", SRV_TTL, [f"0 0 443 {PLATFORMS[platform]}"]))
        return Domain(zone, records, declared, tags, expect_changes=False)
    if state == "wrong-srv":
        other = [t for p, t in PLATFORMS.items() if p != platform]
        old = rng.choice([f"0 0 443 {other[0]}", f"10 10 443 old-exchange.{zone}"])
        records.append(("_autodiscover._tcp", "SRV", 300, [old]))
    elif state == "cname-srv":
        records.append(("_autodiscover._tcp", "CNAME", 300, [f"autodiscover-srv.old-host.{zone}"]))
    if rng.random() < 0.35:
        tags.append("conflict:wildcard-a")
        records.append(("*", "A", 300, [web]))
        if rng.random() < 0.2:
            records.append(("*", "MX", 300, [f"10 mail.{zone}"]))  # not a conflict: stays
    if rng.random() < 0.30:
        if rng.random() < 0.8:
            tags.append("conflict:autodiscover-cname")
            records.append(("autodiscover", "CNAME", 300, [OFFICE365]))
        else:
            tags.append("conflict:autodiscover-a")
            records.append(("autodiscover", "A", 300, [_ip(rng)]))
    if rng.random() < 0.05:
        sub = rng.choice(_SUBS)
        tags.append("subdomain")
        records += [(sub, "A", 300, [_ip(rng)]), (sub, "MX", 3600, [f"10 mail.{zone}"])]
        if rng.random() < 0.5:
            tags.append("conflict:subdomain-autodiscover-cname")
            records.append((f"autodiscover.{sub}", "CNAME", 300, [OFFICE365]))
        declared.append(Declared(sub, rng.choice(list(PLATFORMS))))
    return Domain(zone, records, declared, tags, expect_changes=True)


def generate(n: int, seed: int = 2026) -> list[Domain]:
    """``n`` distinct domains, the same ones for the same seed."""
    rng = random.Random(seed)
    return [_domain(i, rng) for i in range(n)]


def summary(domains: list[Domain]) -> dict[str, Any]:
    """What the generated estate holds (for the report)."""
    tags = Counter(t for d in domains for t in d.tags)
    return {
        "domains": len(domains),
        "email_domains": sum(len(d.declared) for d in domains),
        "expected_zones_with_changes": sum(d.expect_changes for d in domains),
        "records": sum(len(r[3]) for d in domains for r in d.records),
        "tags": dict(sorted(tags.items())),
    }


# -- the repository ---------------------------------------------------------------


def zone_yaml(domain: Domain, platforms: dict[str, str] | None = None) -> str:
    """The zone file ``plan.py add`` writes for the domain's declarations."""
    platforms = platforms or PLATFORMS
    data = {}
    for d in domain.declared:
        meta: dict[str, str] = {"platform": d.platform}
        if d.policy != "remove":
            meta["policy"] = d.policy
        data[d.srv_name] = {
            "octodns": {"autodiscover": meta},
            "ttl": SRV_TTL,
            "type": "SRV",
            "value": {"port": 443, "priority": 0, "target": platforms[d.platform], "weight": 0},
        }
    return "---\n" + yaml.safe_dump(data, default_flow_style=False, sort_keys=True)


def write_repository(root: Path, provider: str, domains: list[Domain]) -> None:
    """``zones/<provider>/<domain>.yaml`` for every domain, under ``root``."""
    catalog = yaml.safe_load((root / "config/platforms.yaml").read_text())["platforms"]
    platforms = {key: entry["target"] for key, entry in catalog.items()}
    if platforms != PLATFORMS:
        raise SystemExit(f"config/platforms.yaml changed: update bench/generate.py ({platforms})")
    folder = root / "zones" / provider
    folder.mkdir(parents=True, exist_ok=True)
    for domain in domains:
        (folder / f"{domain.name}.yaml").write_text(zone_yaml(domain, platforms))


def allowlist_names(domains: list[Domain]) -> list[str]:
    """Every Autodiscover name of every declared email domain (for octoDNS's name filter)."""
    names = set()
    for domain in domains:
        for d in domain.declared:
            suffix = f".{d.sub}" if d.sub else ""
            names |= {f"_autodiscover._tcp{suffix}", f"autodiscover{suffix}", f"*{suffix}"}
    return sorted(names)


# -- backends -----------------------------------------------------------------------


def zone_text(domain: Domain) -> str:
    """The domain as a BIND zone file."""
    lines = [f"; {domain.name}: generated by bench/generate.py", f"$ORIGIN {domain.zone}"]
    lines.append("$TTL 3600")
    for name, rtype, ttl, values in domain.records:
        lines += [f"{name:<24} {ttl:<5} IN {rtype:<5} {value}" for value in values]
    return "\n".join(lines) + "\n"


#: (name, type) a customer typically proxies through Cloudflare
CF_PROXIED = {("*", "A"), ("www", "A"), ("@", "A"), ("blog", "A")}
