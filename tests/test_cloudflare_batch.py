"""Cloudflare writes above the 200-operation batch limit, and with ``batch: false``.

providers/cloudflare.py sends one ``POST /zones/{id}/dns_records/batch`` per
zone (one transaction). A zone whose plan needs more than BATCH_LIMIT (200)
operations is sent in chunks of at most 200, deletes first, then patches,
then posts; with ``batch: false`` each operation is its own request
(``DELETE``/``PATCH /dns_records/{id}``, ``POST /dns_records``), in that order.
The strict Cloudflare API server refuses a batch above 200 operations, logs
every request, and is read back through its own store afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers import quiet, run_cli
from tests.provider_cases import EXPECTED, SRV_NAME, SRV_VALUE, TOUCHED, ZONES, records_for
from tests.servers.backends import Cloudflare, Seed
from tests.servers.fixtures import *  # noqa: F403

CONFIG = "config/octodns.yaml"
BIG = "big.example."
WILDCARDS = 150  # `*` A values, one Cloudflare record each
HIJACKS = 100  # `autodiscover` A values
KEEP: list[Seed] = [
    ("www", "A", 300, ["192.0.2.10"]),
    ("*", "MX", 300, ["10 mail.big.example."]),
    ("mail", "A", 300, ["192.0.2.20"]),
]


@pytest.fixture
def cf(cloudflare_fake) -> Cloudflare:
    return Cloudflare(cloudflare_fake)


def declare(ws: Path, zones: list[str]) -> None:
    for zone in zones:
        out = run_cli("add", zone.rstrip("."), "--platform", "exchange-2016", "--provider",
                      "cloudflare", "--config", CONFIG, cwd=ws)  # fmt: skip
        assert out.returncode == 0, out.stderr


def cli(ws: Path, cf: Cloudflare, command: str, *args: str):
    extra = ("--format", "json") if command == "plan" else ()
    out = run_cli(command, "--config", CONFIG, *quiet(command), *extra, *args, cwd=ws, env=cf.env())
    assert "Traceback" not in out.stderr, out.stderr
    return out


def ids(cf: Cloudflare, zone: str, name: str, rtype: str) -> set[str]:
    fqdn = zone.rstrip(".") if name == "@" else f"{name}.{zone.rstrip('.')}"
    return {r["id"] for r in cf.fake.records(zone) if (r["name"], r["type"]) == (fqdn, rtype)}


def test_more_than_200_operations_go_in_chunks_deletes_first(cf: Cloudflare, ws: Path):
    wildcards = [f"198.51.100.{i}" for i in range(WILDCARDS)]
    hijacks = [f"203.0.113.{i}" for i in range(HIJACKS)]
    cf.seed({BIG: [("*", "A", 300, wildcards), ("autodiscover", "A", 300, hijacks), *KEEP]})
    declare(ws, [BIG])
    doomed = ids(cf, BIG, "*", "A") | ids(cf, BIG, "autodiscover", "A")
    assert len(doomed) == WILDCARDS + HIJACKS > 200
    before = cf.snapshot(BIG)

    out = cli(ws, cf, "plan")
    assert out.returncode == 0, out.stderr
    [zone] = json.loads(out.stdout)["zones"]
    assert {(c["action"], c["name"], c["type"]) for c in zone["changes"]} == {
        ("delete", "*", "A"),
        ("delete", "autodiscover", "A"),
        ("create", SRV_NAME, "SRV"),
    }

    cf.fake.reset_log()
    out = cli(ws, cf, "apply")
    assert out.returncode == 0, out.stderr
    assert f"applied {BIG} at cloudflare: 3 change(s)" in out.stdout
    writes = [r for r in cf.fake.requests if r["method"] != "GET"]
    batch = f"/zones/{cf.fake.zone_id(BIG)}/dns_records/batch"
    assert [(r["method"], r["path"], r["status"]) for r in writes] == [("POST", batch, 200)] * 3
    bodies = [r["body"] for r in writes]
    assert [{kind: len(items) for kind, items in b.items()} for b in bodies] == [
        {"deletes": 200},
        {"deletes": WILDCARDS + HIJACKS - 200},
        {"posts": 1},
    ]
    deleted = [item["id"] for b in bodies for item in b.get("deletes", [])]
    assert sorted(deleted) == sorted(doomed), "every conflicting record deleted exactly once"
    [post] = bodies[2]["posts"]
    assert (post["type"], post["name"]) == ("SRV", f"{SRV_NAME}.{BIG.rstrip('.')}")

    after = cf.snapshot(BIG)
    assert after[(SRV_NAME, "SRV")].values == {SRV_VALUE}
    assert ("*", "A") not in after
    assert ("autodiscover", "A") not in after
    touched = {("*", "A"), ("autodiscover", "A"), (SRV_NAME, "SRV")}
    kept = {k: v for k, v in before.items() if k not in touched}
    assert {k: v for k, v in after.items() if k not in touched} == kept
    assert cli(ws, cf, "plan", "--detailed-exitcode").returncode == 0


def test_batch_false_sends_one_request_per_operation(cf: Cloudflare, ws: Path):
    path = ws / CONFIG
    data = yaml.safe_load(path.read_text())
    data["providers"]["cloudflare"]["batch"] = False
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    cf.seed({zone: records_for(zone) for zone in ZONES})
    declare(ws, ZONES)
    before = {zone: cf.snapshot(zone) for zone in ZONES}
    old = {
        zone: {
            key: ids(cf, zone, *key)
            for key in [
                ("*", "A"),
                ("autodiscover", "CNAME"),
                (SRV_NAME, "CNAME"),
                (SRV_NAME, "SRV"),
            ]
        }
        for zone in ZONES
    }

    cf.fake.reset_log()
    out = cli(ws, cf, "apply")
    assert out.returncode == 0, out.stderr
    assert "applied example.com. at cloudflare: 3 change(s)" in out.stdout
    assert "applied example.net. at cloudflare: 4 change(s)" in out.stdout
    writes = [r for r in cf.fake.requests if r["method"] != "GET"]
    assert not [r for r in writes if r["path"].endswith("/batch")], "no batch with batch: false"
    assert all(r["status"] == 200 for r in writes), writes

    def path_of(zone: str, record_id: str = "") -> str:
        base = f"/zones/{cf.fake.zone_id(zone)}/dns_records"
        return f"{base}/{record_id}" if record_id else base

    com, net = old["example.com."], old["example.net."]
    by_zone = {
        zone: [(r["method"], r["path"]) for r in writes if cf.fake.zone_id(zone) in r["path"]]
        for zone in ZONES
    }
    assert len(writes) == sum(len(v) for v in by_zone.values())
    # example.com.: two deletes, then the wrong SRV patched in place (it keeps its id)
    [wildcard], [hijack], [srv] = (
        com[("*", "A")],
        com[("autodiscover", "CNAME")],
        com[(SRV_NAME, "SRV")],
    )
    assert sorted(by_zone["example.com."][:2]) == sorted(
        [("DELETE", path_of("example.com.", wildcard)), ("DELETE", path_of("example.com.", hijack))]
    )
    assert by_zone["example.com."][2:] == [("PATCH", path_of("example.com.", srv))]
    assert ids(cf, "example.com.", SRV_NAME, "SRV") == {srv}
    # example.net.: three deletes (the CNAME at the SRV name among them), then one post
    deletes = {path_of("example.net.", i) for key in net for i in net[key]}
    assert {m for m, _ in by_zone["example.net."][:3]} == {"DELETE"}
    assert {p for _, p in by_zone["example.net."][:3]} == deletes
    assert by_zone["example.net."][3:] == [("POST", path_of("example.net."))]
    assert by_zone["example.org."] == []

    for zone in ZONES:
        after = cf.snapshot(zone)
        assert after[(SRV_NAME, "SRV")].values == {SRV_VALUE}
        kept = {k: v for k, v in before[zone].items() if k not in TOUCHED[zone]}
        assert {k: v for k, v in after.items() if k not in TOUCHED[zone]} == kept, zone
    out = cli(ws, cf, "plan", "--detailed-exitcode")
    assert out.returncode == 0, out.stdout + out.stderr
    assert all(not z["changes"] for z in json.loads(out.stdout)["zones"])
    assert set(EXPECTED) == set(ZONES)
