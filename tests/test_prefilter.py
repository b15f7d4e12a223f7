"""``plan --prefilter dns``: drift checks through DNS first, the provider API only where
DNS shows a difference.

The property, on real named with random estates (the benchmark generator's domains,
about a fifth already correct) and random drift made with RFC 2136 updates: the zones
the prefilter sends to the provider are a superset of the zones whose full plan (through
the BIND provider's AXFR) has changes, and every zone whose full plan is empty and whose
nameservers answered is "in sync (DNS)" and read through no API (no AXFR).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import dns.query
import dns.update
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import generate as gen
from tests.helpers import run_cli
from tests.servers.backends import Bind, bind_zone_text
from tests.servers.fixtures import *  # noqa: F403

CONFIG = "config/octodns.yaml"

#: drift a zone can undergo after it was right: each breaks or changes an owned name
DRIFTS = {
    "autodiscover-a": lambda u: u.add("autodiscover", 300, "A", "192.0.2.99"),
    "wildcard-a": lambda u: u.add("*", 300, "A", "192.0.2.98"),
    "srv-gone": lambda u: u.delete("_autodiscover._tcp", "SRV"),
    "srv-ttl": lambda u: u.replace(
        "_autodiscover._tcp", 60, "SRV", "0 0 443 exchange.emailservice.io."
    ),
    "unrelated": lambda u: u.add("www2", 300, "A", "192.0.2.7"),
}


def cli_json(ws: Path, env: dict, *args: str) -> dict:
    out = run_cli("plan", "--config", CONFIG, "--format", "json", "--quiet", *args, cwd=ws,
                  env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10_000), drifted=st.lists(st.sampled_from(sorted(DRIFTS)), max_size=6))
def test_the_prefilter_sends_every_zone_with_changes_to_the_api(
    ws: Path, bind_server_factory, seed: int, drifted: list[str]
):
    for path in (ws / "zones/bind").glob("*.yaml"):
        path.unlink()
    domains = gen.generate(8, seed=seed)
    server = bind_server_factory()
    backend = Bind(server)
    backend.seed_texts({d.zone: bind_zone_text(d.zone, d.records) for d in domains})
    gen.write_repository(ws, "bind", domains)
    rng = random.Random(seed)
    for kind in drifted:  # drift, as people and other tools do, through the server itself
        zone = rng.choice(domains).zone
        update = dns.update.Update(zone, keyring=server.keyring)
        DRIFTS[kind](update)
        dns.query.tcp(update, server.host, port=server.port, timeout=10)
    env = backend.env()

    full = cli_json(ws, env)
    axfrs_before = backend.counters()["AXFR"]
    screened = cli_json(ws, env, "--prefilter", "dns", "--nameserver", backend.nameserver())
    axfrs = backend.counters()["AXFR"] - axfrs_before

    changed = {z["zone"] for z in full["zones"] if z["changes"]}
    in_sync = set(screened["prefilter"]["in_sync"])
    assert not changed & in_sync, "a zone with changes was not planned through the provider"
    assert in_sync == {z["zone"] for z in full["zones"]} - changed, screened["prefilter"]
    assert axfrs == len(full["zones"]) - len(in_sync), "in-sync zones are not transferred"
    by_zone = {z["zone"]: z for z in screened["zones"]}
    for zone in full["zones"]:
        assert by_zone[zone["zone"]]["changes"] == zone["changes"]
    assert screened["checksum"] == full["checksum"]


def test_zones_dns_cannot_answer_for_are_planned_through_the_provider(
    ws: Path, bind_server, udp_server
):
    domains = gen.generate(3, seed=7)
    backend = Bind(bind_server)
    backend.seed_texts({d.zone: bind_zone_text(d.zone, d.records) for d in domains})
    gen.write_repository(ws, "bind", domains)
    silent = udp_server(lambda *_: [])
    env = backend.env()
    full = cli_json(ws, env)
    screened = cli_json(ws, env, "--prefilter", "dns", "--nameserver",
                        f"127.0.0.1:{silent.port}", "--timeout", "0.2")  # fmt: skip
    assert screened["prefilter"]["in_sync"] == []
    assert set(screened["prefilter"]["unreadable"]) == {d.zone for d in domains}
    assert "cannot be read (timeout" in next(iter(screened["prefilter"]["unreadable"].values()))
    assert [z["changes"] for z in screened["zones"]] == [z["changes"] for z in full["zones"]]
    assert screened["checksum"] == full["checksum"]


def test_the_embedded_default_plans_its_zone_files_directly_with_a_note(workspace: Path):
    out = run_cli("plan", "--prefilter", "dns", "--format", "json", cwd=workspace)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert len(report["prefilter"]["not_through_dns"]) == 5
    assert report["summary"]["zones_with_changes"] == 4
    assert "5 not asked (zone files are read directly" in out.stderr
