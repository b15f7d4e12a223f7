"""Shared test helpers: build octoDNS zones, run the CLI, read zone files independently."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dns.zone
from octodns.record import Record
from octodns.record.rr import Rrset
from octodns.zone import Zone

from providers.core.liveview import LiveZone

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def make_zone(name: str, records: list[tuple[str, str, int, list[str]]]) -> Zone:
    """An octoDNS zone from (relative name, type, ttl, rdata texts) tuples."""
    zone = Zone(name, [])
    for rel, _type, ttl, rdatas in records:
        fqdn = f"{rel}.{name}" if rel else name
        record = Record.from_rrset(zone, Rrset(fqdn, _type, ttl, rdatas), lenient=True)
        zone.add_record(record, lenient=True, replace=True)
    return zone


def live_view_of(zone: Zone, extra: list[tuple[str, str]] = ()) -> LiveZone:
    """The live view a backend holding exactly ``zone`` (plus ``extra`` (name, type)) reports."""
    pairs = [(r.name, r._type) for r in zone.records] + list(extra)
    return LiveZone.from_pairs(zone.name, pairs)


SRV_TARGETS = {
    "exchange-2013": "exchange.mailprotector.com.",
    "exchange-2016": "exchange.emailservice.io.",
    "cloudmail": "autodiscover.emailservice.io.",
}


def srv_zone_yaml(subs: list[str], policy: str = "remove", platform: str = "exchange-2016") -> str:
    """A zone file declaring the platform's SRV for each email domain (sub '' is the apex)."""
    body = "---\n"
    for sub in subs:
        name = "_autodiscover._tcp" + (f".{sub}" if sub else "")
        body += (
            f"{name}:\n  octodns:\n    autodiscover:\n      platform: {platform}\n"
            f"      policy: {policy}\n  ttl: 3600\n  type: SRV\n  value:\n    port: 443\n"
            f"    priority: 0\n    target: {SRV_TARGETS[platform]}\n    weight: 0\n"
        )
    return body


#: harmless values for every provider variable of config/octodns.yaml (octoDNS builds every
#: provider of a config at start-up); the URLs point at a closed port, never a real service
ALL_PROVIDER_ENV = {
    "CLOUDFLARE_API_TOKEN": "unused-token",
    "CLOUDFLARE_API_URL": "http://127.0.0.1:9/client/v4",
    "BIND_HOST": "127.0.0.1",
    "BIND_PORT": "9",
    "BIND_TSIG_NAME": "unused",
    "BIND_TSIG_SECRET": "dW51c2VkLXNlY3JldC11bnVzZWQtc2VjcmV0LXh4eHg=",
    "PDNS_API_URL": "http://127.0.0.1:9",
    "PDNS_API_KEY": "unused",
    "DNSMADEEASY_API_KEY": "unused",
    "DNSMADEEASY_SECRET_KEY": "unused",
    "DNSMADEEASY_API_URL": "http://127.0.0.1:9/V2.0/dns/managed",
    "GODADDY_API_KEY": "unused",
    "GODADDY_API_SECRET": "unused",
    "GODADDY_API_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "unused",
    "AWS_SECRET_ACCESS_KEY": "unused",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ENDPOINT_URL_ROUTE_53": "http://127.0.0.1:9",
}


def quiet(command: str) -> tuple[str, ...]:
    """``--quiet`` where it only silences progress: apply's also silences its per-zone lines."""
    return () if command == "apply" else ("--quiet",)


def run_cli(*args: str, cwd: Path, env: dict | None = None, timeout: int = 300):
    """Run plan.py as a user would, in ``cwd``."""
    full_env = dict(os.environ)
    full_env.pop("REQUIRE_SERVERS", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [PYTHON, str(ROOT / "plan.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def rdatasets(path: Path, origin: str) -> dict[tuple[str, str], tuple[int, frozenset[str]]]:
    """Every (name, type) of a BIND zone file with its TTL and rdata, read with dnspython."""
    zone = dns.zone.from_file(str(path), origin=origin, relativize=True)
    out = {}
    for name, node in zone.nodes.items():
        for rds in node.rdatasets:
            key = (name.to_text().lower(), dns.rdatatype.to_text(rds.rdtype))
            texts = frozenset(r.to_text(origin=zone.origin, relativize=False) for r in rds)
            out[key] = (rds.ttl, texts)
    return out


def owned_by_spec(subs: list[str]) -> set[tuple[str, str]]:
    """The pairs the issue says the planner may touch, written out independently of the code."""
    pairs = set()
    for sub in subs:
        suffix = f".{sub}" if sub else ""
        pairs |= {(f"_autodiscover._tcp{suffix}", t) for t in ("SRV", "CNAME")}
        pairs |= {(f"autodiscover{suffix}", t) for t in ("A", "AAAA", "CNAME", "ALIAS", "TXT")}
        pairs |= {(f"*{suffix}", t) for t in ("A", "AAAA", "CNAME", "ALIAS")}
    return pairs


def one_error_line(stderr: str) -> str:
    """The single 'error:' line of a failed run (asserts there is exactly one, no traceback)."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    return lines[0]
