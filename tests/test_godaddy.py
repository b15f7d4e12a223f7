"""GoDaddy end to end: plan.py against the strict local GoDaddy API (tests/fakes/godaddy_api.py).

The workspace runs a copy of config/octodns.yaml with the ``godaddy`` provider,
its ``zones-godaddy`` source and the ``'*godaddy'`` route added (GODADDY_CONFIG
below, as config/octodns.yaml is to carry them), and short retry waits. The
fake is seeded through its own store, never through our code; every check of
what GoDaddy holds reads that store, and request counts are counted there.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from octodns.provider.plan import Plan
from octodns.record import Delete, Record
from octodns.zone import Zone

from providers.core.errors import ZoneMissingError
from providers.godaddy import GoDaddyProvider
from tests.fakes.godaddy_api import FakeGoDaddy, owner
from tests.helpers import one_error_line, run_cli

CONFIG = "config/octodns.yaml"
ZONE = "example.com."
DOMAIN = "example.com"
PLATFORM = "exchange-2016"
SRV = "_autodiscover._tcp"
TARGET = "exchange.emailservice.io"  # exchange-2016's SRV target, as GoDaddy writes it
KEY = "gd-key-3f9a1c77"
SECRET = "gd-secret-b81e0d42"
HANG_GUARD = 120

#: what config/octodns.yaml gains for GoDaddy (the report hands the same text over)
GODADDY_CONFIG = {
    "providers": {
        "zones-godaddy": {
            "class": "providers.libyaml.LibYamlProvider",
            "directory": "./zones/godaddy",
            "default_ttl": 3600,
            "enforce_order": True,
            "escaped_semicolons": True,
        },
        "godaddy": {
            "class": "providers.godaddy.GoDaddyProvider",
            "root_ns_warnings": False,
            "api_key": "env/GODADDY_API_KEY",
            "api_secret": "env/GODADDY_API_SECRET",
            "api_url": "env/GODADDY_API_URL/https://api.godaddy.com",
        },
    },
    "zones": {
        "*godaddy": {
            "sources": ["zones-godaddy"],
            "processors": ["autodiscover"],
            "targets": ["godaddy"],
        }
    },
}
#: test-only options: the production code paths with short waits
RETRIES = 3
FAST = {"timeout": 2, "retry_count": RETRIES, "retry_period": 0.05, "max_retry_after": 5}

#: every record type GoDaddy serves, none of them owned: (type, name, data, ttl, fields).
#: Two SRV records share the SRV's host (@) and one its protocol: a PUT of SRV/@ must
#: send them back unchanged. The SOA is GoDaddy's own (no type octoDNS models here).
UNRELATED: list[tuple[str, str, str, int, dict[str, Any]]] = [
    ("A", "@", "192.0.2.10", 600, {}),
    ("A", "www", "192.0.2.10", 3600, {}),
    ("A", "www", "192.0.2.11", 3600, {}),
    ("AAAA", "@", "2001:db8::10", 600, {}),
    ("CNAME", "autoconfig", "autoconfig.example.net", 3600, {}),
    ("CNAME", "shop", "@", 3600, {}),
    ("MX", "@", "mail.example.com", 3600, {"priority": 10}),
    ("MX", "*", "mail.example.com", 3600, {"priority": 20}),
    ("TXT", "@", "v=spf1 include:spf.protection.outlook.com -all", 3600, {}),
    ("TXT", "_dmarc", "v=DMARC1; p=none; rua=mailto:dmarc@example.com", 3600, {}),
    ("TXT", "*", "wildcard text", 3600, {}),
    ("NS", "@", "ns51.domaincontrol.com", 3600, {}),
    ("NS", "@", "ns52.domaincontrol.com", 3600, {}),
    ("NS", "lab", "ns1.lab-hosting.example.net", 3600, {}),
    ("CAA", "@", '0 issue "letsencrypt.org"', 3600, {}),
    ("SRV", "@", "sipdir.online.lync.com", 3600, {
        "service": "_sip", "protocol": "_tls", "port": 443, "priority": 100, "weight": 1,
    }),
    ("SRV", "@", "imap.example.com", 3600, {
        "service": "_imaps", "protocol": "_tcp", "port": 993, "priority": 0, "weight": 1,
    }),
    ("SRV", "office", "sip.example.net", 3600, {
        "service": "_sip", "protocol": "_tcp", "port": 5060, "priority": 10, "weight": 5,
    }),
]  # fmt: skip
SOA = ("SOA", "@", "ns51.domaincontrol.com. dns.jomax.net. 2024010101 28800 7200 604800 600")
CONFLICTS: list[tuple[str, str, str, int, dict[str, Any]]] = [
    ("A", "*", "192.0.2.30", 600, {}),
    ("CNAME", "autodiscover", "autodiscover.outlook.com", 3600, {}),
]
SRV_FIELDS = {"service": "_autodiscover", "protocol": "_tcp", "port": 443, "priority": 0,
              "weight": 0}  # fmt: skip


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def fake() -> Iterator[FakeGoDaddy]:
    with FakeGoDaddy(KEY, SECRET) as server:
        yield server


def configure(ws: Path, **options: Any) -> None:
    """The workspace config: config/octodns.yaml plus GoDaddy, with FAST and ``options``."""
    path = ws / CONFIG
    data = yaml.safe_load(path.read_text())
    for section, entries in GODADDY_CONFIG.items():
        for key, value in entries.items():
            data[section][key] = json.loads(json.dumps(value))
    data["providers"]["godaddy"].update({**FAST, **options})
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (ws / "zones/godaddy").mkdir(exist_ok=True)


@pytest.fixture
def gws(ws: Path) -> Path:
    configure(ws)
    return ws


def env(fake: FakeGoDaddy, **override: str) -> dict[str, str]:
    return {
        "GODADDY_API_KEY": fake.key,
        "GODADDY_API_SECRET": fake.secret,
        "GODADDY_API_URL": fake.url,
        **override,
    }


def seed(fake: FakeGoDaddy, records=UNRELATED, domain: str = DOMAIN) -> None:
    fake.add_domain(domain)
    for _type, name, data, ttl, fields in records:
        fake.add_record(domain, _type, name, data, ttl, **fields)


def seed_soa(fake: FakeGoDaddy, domain: str = DOMAIN) -> None:
    fake.add_record(domain, *SOA, ttl=600, validate=False)


def declare(ws: Path, zone: str = ZONE, ttl: int | None = None) -> Path:
    """Declare the zone's SRV the way a user does (``plan.py add``)."""
    out = run_cli(
        "add", zone.rstrip("."), "--platform", PLATFORM, "--provider", "godaddy",
        "--config", CONFIG, cwd=ws,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    path = ws / f"zones/godaddy/{zone.rstrip('.')}.yaml"
    assert path.is_file()
    if ttl is not None:
        text = path.read_text()
        assert "ttl: 3600" in text
        path.write_text(text.replace("ttl: 3600", f"ttl: {ttl}"))
    return path


def cli(ws: Path, fake: FakeGoDaddy, command: str, *args: str, **override: str):
    extra = ("--format", "json") if command == "plan" else ()
    quiet = () if command == "apply" else ("--quiet",)
    out = run_cli(
        command, "--config", CONFIG, *quiet, *extra, *args,
        cwd=ws, env=env(fake, **override), timeout=HANG_GUARD,
    )  # fmt: skip
    assert "Traceback" not in out.stderr, out.stderr
    for secret in (KEY, SECRET):
        assert secret not in out.stdout + out.stderr
    return out


def plan_json(ws: Path, fake: FakeGoDaddy) -> dict:
    out = cli(ws, fake, "plan")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def plan_changes(ws: Path, fake: FakeGoDaddy) -> dict[str, set[tuple[str, str, str]]]:
    return {
        z["zone"]: {(c["action"], c["name"], c["type"]) for c in z["changes"]}
        for z in plan_json(ws, fake)["zones"]
        if z["changes"]
    }


def outside(fake: FakeGoDaddy, pairs: set[tuple[str, str]], domain: str = DOMAIN) -> list[str]:
    """The domain's records, canonical and sorted, except those of the (owner, type) pairs."""
    return sorted(
        json.dumps(r, sort_keys=True)
        for r in fake.records(domain)
        if (owner(r), r["type"]) not in pairs
    )


def srv_records(fake: FakeGoDaddy, domain: str = DOMAIN) -> list[dict]:
    return [r for r in fake.records(domain) if (owner(r), r["type"]) == (SRV, "SRV")]


def requests_of(fake: FakeGoDaddy, method: str | None = None) -> list[tuple[str, str, int]]:
    return [
        (r["method"], r["path"], r["status"])
        for r in fake.requests
        if method is None or r["method"] == method
    ]


RECORDS = f"/v1/domains/{DOMAIN}/records"


# ------------------------------------------------------- plan and apply


def test_srv_created_conflicts_removed_everything_else_identical(fake: FakeGoDaddy, gws: Path):
    """The article's case: no SRV, a leftover autodiscover CNAME and a wildcard A. One
    plan, one checksum-pinned apply: exactly three requests write, each addressing one
    planned set; every other record of every type is byte for byte as it was."""
    seed(fake, UNRELATED + CONFLICTS)
    seed_soa(fake)
    declare(gws)
    before = outside(fake, {("*", "A"), ("autodiscover", "CNAME"), (SRV, "SRV")})
    siblings = [r for r in fake.records(DOMAIN) if r["type"] == "SRV" and r["name"] == "@"]
    assert len(siblings) == 2

    fake.reset_log()
    report = plan_json(gws, fake)
    (zone,) = [z for z in report["zones"] if z["changes"]]
    assert {(c["action"], c["name"], c["type"]) for c in zone["changes"]} == {
        ("create", SRV, "SRV"), ("delete", "*", "A"), ("delete", "autodiscover", "CNAME"),
    }  # fmt: skip
    assert requests_of(fake) == [("GET", RECORDS, 200)], "one read per zone and run"
    checksum = report["checksum"]

    fake.reset_log()
    out = cli(gws, fake, "apply", "--checksum", checksum)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"applied {ZONE} at godaddy: 3 change(s)" in out.stdout
    assert requests_of(fake) == [
        ("GET", RECORDS, 200),
        ("PUT", f"{RECORDS}/SRV/@", 200),  # the SRV first: a refused PUT leaves the zone as it was
        ("DELETE", f"{RECORDS}/A/*", 204),
        ("DELETE", f"{RECORDS}/CNAME/autodiscover", 204),
    ]
    (put,) = [r for r in fake.requests if r["method"] == "PUT"]
    new = {"data": TARGET, "ttl": 3600, **SRV_FIELDS}
    sent = sorted(json.dumps(e, sort_keys=True) for e in put["body"])
    kept = [{k: v for k, v in s.items() if k not in ("type", "name")} for s in siblings]
    assert sent == sorted(json.dumps(e, sort_keys=True) for e in [*kept, new]), (
        "the other SRV records at @ go back exactly as they were"
    )

    assert srv_records(fake) == [{"type": "SRV", "name": "@", **new}]
    assert outside(fake, {("*", "A"), ("autodiscover", "CNAME"), (SRV, "SRV")}) == before
    assert not [r for r in fake.records(DOMAIN) if (owner(r), r["type"]) in {("*", "A"),
                ("autodiscover", "CNAME")}]  # fmt: skip

    fake.reset_log()
    again = cli(gws, fake, "plan", "--detailed-exitcode", "--debug")  # cli: no secret in logs
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["zones"][0]["changes"] == []
    assert requests_of(fake) == [("GET", RECORDS, 200)]


def test_cname_at_the_srv_name_is_deleted_before_the_srv_is_written(fake: FakeGoDaddy, gws: Path):
    """A CNAME at _autodiscover._tcp: GoDaddy refuses an SRV beside it, so that one delete
    goes first; the SRV's siblings and everything else stay."""
    seed(fake, [*UNRELATED, ("CNAME", SRV, "srv.old-host.example.net", 3600, {})])
    declare(gws)
    before = outside(fake, {(SRV, "CNAME"), (SRV, "SRV")})

    assert plan_changes(gws, fake) == {ZONE: {("delete", SRV, "CNAME"), ("create", SRV, "SRV")}}
    fake.reset_log()
    out = cli(gws, fake, "apply")
    assert out.returncode == 0, out.stdout + out.stderr
    assert requests_of(fake, "DELETE") + requests_of(fake, "PUT") == [
        ("DELETE", f"{RECORDS}/CNAME/{SRV}", 204),
        ("PUT", f"{RECORDS}/SRV/@", 200),
    ]
    assert [r["method"] for r in fake.requests if r["method"] != "GET"] == ["DELETE", "PUT"]
    assert [r["data"] for r in srv_records(fake)] == [TARGET]
    assert outside(fake, {(SRV, "CNAME"), (SRV, "SRV")}) == before
    assert plan_changes(gws, fake) == {}


def test_wrong_srv_is_replaced_as_a_set_and_a_correct_one_is_left_alone(
    fake: FakeGoDaddy, gws: Path
):
    wrong = [
        ("SRV", "@", "old-exchange.example.net", 3600, {**SRV_FIELDS, "priority": 10}),
        ("SRV", "@", "other.example.net", 600, {**SRV_FIELDS, "weight": 5}),
    ]
    seed(fake, UNRELATED + wrong)
    declare(gws)
    before = outside(fake, {(SRV, "SRV")})

    assert plan_changes(gws, fake) == {ZONE: {("update", SRV, "SRV")}}
    fake.reset_log()
    assert cli(gws, fake, "apply").returncode == 0
    assert [(m, p) for m, p, _ in requests_of(fake) if m != "GET"] == [("PUT", f"{RECORDS}/SRV/@")]
    assert [(r["data"], r["ttl"], r["priority"], r["weight"]) for r in srv_records(fake)] == [
        (TARGET, 3600, 0, 0)
    ]
    assert outside(fake, {(SRV, "SRV")}) == before

    fake.reset_log()
    assert plan_changes(gws, fake) == {}
    out = cli(gws, fake, "apply")
    assert out.returncode == 0, out.stderr
    assert fake.writes() == [], "a correct SRV is not written again"


def test_pages_are_read_with_offset_and_limit_and_the_last_page_counts(
    fake: FakeGoDaddy, gws: Path
):
    """``records_per_page: 4``: 20 records take 6 reads (the last one empty); the
    conflicts on the last full page are planned, so nothing of the zone was missed."""
    configure(gws, records_per_page=4)
    seed(fake, UNRELATED + CONFLICTS)  # 20 records: offsets 0, 4, ..., 20
    assert len(fake.records(DOMAIN)) == 20
    declare(gws)

    fake.reset_log()
    assert plan_changes(gws, fake) == {
        ZONE: {("create", SRV, "SRV"), ("delete", "*", "A"), ("delete", "autodiscover", "CNAME")}
    }
    gets = [r for r in fake.requests if r["method"] == "GET"]
    assert [(r["query"]["offset"], r["query"]["limit"]) for r in gets] == [
        (str(n), "4") for n in range(0, 24, 4)
    ]


# ---------------------------------------------------------- the live view


def test_live_view_holds_every_record_the_api_returns(fake: FakeGoDaddy):
    """The view: every (owner, type) GoDaddy listed, SRV owners from service/protocol/name,
    the SOA (a type octoDNS does not model here) included; octoDNS's records the rest."""
    seed(fake, UNRELATED + CONFLICTS)
    seed_soa(fake)
    provider = GoDaddyProvider("godaddy", KEY, SECRET, api_url=fake.url)
    zone = Zone(ZONE, [])

    assert provider.populate(zone, target=True) is True
    view = provider.live_zone(ZONE)
    stored = {(owner(r), r["type"]) for r in fake.records(DOMAIN)}
    held = {(name or "@", t) for name, types in view.nodes.items() for t in types}
    assert held == stored
    assert view.types("") == {"A", "AAAA", "MX", "TXT", "NS", "CAA", "SRV", "SOA"} - {"SRV"}
    assert view.types("_sip._tls") == {"SRV"}
    assert view.types("_sip._tcp.office") == {"SRV"}
    assert view.exists("_tcp")
    assert view.types("*") == {"A", "MX", "TXT"}
    assert "SOA" not in provider.SUPPORTS
    records = {(r.name, r._type): r for r in zone.records}
    assert records[("www", "A")].values == ["192.0.2.10", "192.0.2.11"]
    assert records[("shop", "CNAME")].value == ZONE
    assert records[("_dmarc", "TXT")].values == [
        "v=DMARC1\\; p=none\\; rua=mailto:dmarc@example.com"
    ]
    assert records[("", "CAA")].values[0].value == "letsencrypt.org"
    srv = records[("_imaps._tcp", "SRV")].values[0]
    assert (srv.priority, srv.weight, srv.port, srv.target) == (0, 1, 993, "imap.example.com.")
    assert requests_of(fake) == [("GET", RECORDS, 200)]


def test_live_view_of_a_missing_and_of_an_empty_domain(fake: FakeGoDaddy):
    fake.add_domain("empty.example")
    provider = GoDaddyProvider("godaddy", KEY, SECRET, api_url=fake.url)

    assert provider.populate(Zone("missing.example.", []), target=True) is False
    assert provider.live_zone("missing.example.") is None
    assert provider.populate(Zone("empty.example.", []), target=True) is True
    assert provider.live_zone("empty.example.").nodes == {}


def test_a_delete_of_one_srv_owner_sends_the_others_at_its_host_back(fake: FakeGoDaddy):
    """Deleting _sip._tls (not something the processor plans; the provider's own rule):
    the SRV set of @ is PUT without it, not DELETEd, so _imaps._tcp stays."""
    seed(fake)
    provider = GoDaddyProvider("godaddy", KEY, SECRET, api_url=fake.url)
    existing = Zone(ZONE, [])
    provider.populate(existing, target=True)
    (sip,) = [r for r in existing.records if (r.name, r._type) == ("_sip._tls", "SRV")]
    before = outside(fake, {("_sip._tls", "SRV")})

    provider._apply(Plan(existing, existing, [Delete(sip)], True))
    assert [(r["method"], r["path"]) for r in fake.requests if r["method"] != "GET"] == [
        ("PUT", f"{RECORDS}/SRV/@")
    ]
    assert outside(fake, {("_sip._tls", "SRV")}) == before
    assert not [r for r in fake.records(DOMAIN) if owner(r) == "_sip._tls"]


def test_a_domain_gone_between_plan_and_apply_is_never_created(fake: FakeGoDaddy):
    seed(fake, CONFLICTS)
    provider = GoDaddyProvider("godaddy", KEY, SECRET, api_url=fake.url)
    existing = Zone(ZONE, [])
    assert provider.populate(existing, target=True)
    desired = Zone(ZONE, [])
    value = {"priority": 0, "weight": 0, "port": 443, "target": f"{TARGET}."}
    desired.add_record(Record.new(desired, SRV, {"type": "SRV", "ttl": 3600, "value": value}))
    changes = [Delete(r) for r in existing.records]
    fake.remove_domain(DOMAIN)

    with pytest.raises(ZoneMissingError, match=r"does not hold the domain example\.com any more"):
        provider._apply(Plan(existing, desired, changes, True))
    assert fake.writes() == []
    assert [r["method"] for r in fake.requests if r["method"] not in ("GET", "DELETE")] == []


# ------------------------------------------------------- refusals: one line each


def test_zone_missing_at_godaddy_is_refused_and_never_created(fake: FakeGoDaddy, gws: Path):
    fake.add_domain("other.example")
    declare(gws)
    for command in ("plan", "apply"):
        fake.reset_log()
        out = cli(gws, fake, command)
        assert out.returncode == 1, out.stdout + out.stderr
        line = one_error_line(out.stderr)
        assert ZONE in line, line
        assert "never creates zones" in line, line
        assert requests_of(fake) == [("GET", RECORDS, 404)]
    assert fake.writes() == []


def test_api_access_gate_is_one_line_pointing_to_the_manual_route(gws: Path):
    with FakeGoDaddy(KEY, SECRET, small_account=True) as fake:
        seed(fake, UNRELATED + CONFLICTS)
        declare(gws)
        for command in ("plan", "apply"):
            fake.reset_log()
            out = cli(gws, fake, command)
            assert out.returncode == 1, out.stdout + out.stderr
            line = one_error_line(out.stderr)
            assert "403 ACCESS_DENIED" in line, line
            assert "10 or more domains" in line, line
            assert "zones/manual/" in line, line
            assert requests_of(fake) == [("GET", RECORDS, 403)], "never retried"
            assert fake.writes() == []


def test_bad_key_is_one_line_naming_the_variables(fake: FakeGoDaddy, gws: Path):
    seed(fake, UNRELATED + CONFLICTS)
    declare(gws)
    for secret in (SECRET + "x", "730918264551"):  # all digits: octoDNS would make it a number
        fake.reset_log()
        out = cli(gws, fake, "apply", GODADDY_API_SECRET=secret)
        assert out.returncode == 1, out.stdout + out.stderr
        line = one_error_line(out.stderr)
        assert "GoDaddy refused the API key (HTTP 401 MALFORMED_CREDENTIALS" in line, line
        assert "GODADDY_API_KEY and GODADDY_API_SECRET" in line, line
        assert secret not in out.stdout + out.stderr
        assert requests_of(fake) == [("GET", RECORDS, 401)], "never retried"
    numeric = "730918264551"  # not in the logs of a --debug run either
    debug = cli(gws, fake, "plan", "--debug", GODADDY_API_SECRET=numeric)
    assert debug.returncode == 1
    assert numeric not in debug.stdout + debug.stderr


def test_validation_error_is_one_line_naming_the_record_and_nothing_changes(
    fake: FakeGoDaddy, gws: Path
):
    """A TTL below GoDaddy's 600 s minimum: the plan warns; at apply the PUT is refused
    (422 with GoDaddy's ``fields``) before any conflict is deleted, so the zone is exactly
    as it was, and the zone's one line names the record."""
    seed(fake, UNRELATED + CONFLICTS)
    declare(gws, ttl=300)
    before = fake.snapshot(DOMAIN)

    (zone,) = plan_json(gws, fake)["zones"]
    assert f"zone {ZONE}: {SRV} SRV has TTL 300, below GoDaddy's minimum of 600 s" in " ".join(
        zone["warnings"]
    )
    fake.reset_log()
    out = cli(gws, fake, "apply")
    assert out.returncode == 1, out.stdout + out.stderr
    (failed,) = re.findall(rf"^FAILED  {re.escape(ZONE)} at godaddy: (.*)$", out.stderr, re.M)
    assert failed.startswith(f"GoDaddy refused the {SRV} SRV of {ZONE} (PUT {RECORDS}/SRV/@: "
                             "HTTP 422 INVALID_BODY"), failed  # fmt: skip
    assert "records[2].ttl: TTL 300 is not between 600 and 604800" in failed, failed
    assert "1 of 1 zone(s) failed" in one_error_line(out.stderr)
    assert [(m, s) for m, _, s in requests_of(fake) if m != "GET"] == [("PUT", 422)]
    assert fake.snapshot(DOMAIN) == before


def test_refused_url_names_the_url_and_its_variable(fake: FakeGoDaddy, gws: Path):
    declare(gws)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    out = cli(gws, fake, "plan", GODADDY_API_URL=url)
    assert out.returncode == 1, out.stdout + out.stderr
    line = one_error_line(out.stderr)
    assert (
        f"provider godaddy: cannot connect to {url} (GODADDY_API_URL): connection refused" in line
    )
    assert "retry" not in out.stderr


# ------------------------------------------------------- the rate limit


@pytest.mark.parametrize("header", [True, False], ids=["Retry-After", "retryAfterSec"])
def test_429_is_retried_after_the_wait_godaddy_asks_for(gws: Path, header: bool):
    """GoDaddy at 2 requests per 2 s and our budget above it: the apply (one read, three
    writes) meets 429s, waits what GoDaddy says (the header, or the body's retryAfterSec
    when the header is missing), and succeeds; no request is sent more than the bound."""
    configure(gws, requests_per_window=1000)
    with FakeGoDaddy(KEY, SECRET, rate_limit=(2, 2.0), retry_after_header=header) as fake:
        seed(fake, UNRELATED + CONFLICTS)
        declare(gws)
        out = cli(gws, fake, "apply")
        assert out.returncode == 0, out.stdout + out.stderr
        assert f"applied {ZONE} at godaddy: 3 change(s)" in out.stdout
        assert fake.rate_limited >= 1
        assert "GoDaddy rate limit (HTTP 429)" in out.stderr
        for (method, path), count in fake.counts().items():
            assert count <= 1 + RETRIES, (method, path, count)
        assert sorted((r["method"], r["path"]) for r in fake.writes()) == [
            ("DELETE", f"{RECORDS}/A/*"),
            ("DELETE", f"{RECORDS}/CNAME/autodiscover"),
            ("PUT", f"{RECORDS}/SRV/@"),
        ]
        for i, request in enumerate(fake.requests):  # each retry waited what was asked
            if request["status"] == 429:
                later = fake.requests[i + 1]
                assert later["at"] - request["at"] >= 0.9, (request, later)
        assert [r["data"] for r in srv_records(fake)] == [TARGET]


def test_429_beyond_the_retry_budget_is_one_line_and_bounded(fake: FakeGoDaddy, gws: Path):
    seed(fake, UNRELATED + CONFLICTS)
    declare(gws)
    fake.inject("GET", "/records$", status=429, retry_after=1, times=100)
    started = time.monotonic()
    out = cli(gws, fake, "plan")
    assert out.returncode == 1, out.stdout + out.stderr
    line = one_error_line(out.stderr)
    assert f"failed {RETRIES + 1} time(s), the last with GoDaddy rate limit (HTTP 429)" in line
    assert f"retries exhausted (retry_count {RETRIES})" in line, line
    assert fake.counts() == {("GET", RECORDS): RETRIES + 1}
    assert time.monotonic() - started >= RETRIES * 0.9  # Retry-After: 1 each time


def test_the_budget_keeps_a_run_under_the_limit(gws: Path):
    """GoDaddy's limit scaled to 2 per 1.5 s, our budget to 2 per 2 s: the apply paces
    itself and never meets a 429."""
    configure(gws, requests_per_window=2, window_seconds=2.0)
    with FakeGoDaddy(KEY, SECRET, rate_limit=(2, 1.5)) as fake:
        seed(fake, UNRELATED + CONFLICTS)
        declare(gws)
        started = time.monotonic()
        out = cli(gws, fake, "apply")
        assert out.returncode == 0, out.stdout + out.stderr
        assert fake.rate_limited == 0
        assert len(fake.requests) == 4
        assert time.monotonic() - started >= 2.0  # the 3rd request waited for the window
        assert fake.requests[2]["at"] - fake.requests[0]["at"] >= 1.9


def test_defaults_are_bounded():
    """The defaults the capabilities entry states: 5 attempts, 15 s, 55 per 60 s."""
    provider = GoDaddyProvider("godaddy", "k", "s")
    assert provider.api_url == "https://api.godaddy.com"
    assert (provider.timeout, provider.retry_count, provider.retry_period) == (15.0, 4, 1.0)
    assert provider.max_retry_after == 60.0
    assert (provider.budget.limit, provider.budget.window) == (55, 60.0)
    assert provider.records_per_page == 500
    assert set(provider.SUPPORTS) == {"A", "AAAA", "CAA", "CNAME", "MX", "NS", "SRV", "TXT"}
    assert (provider.SUPPORTS_GEO, provider.SUPPORTS_DYNAMIC, provider.SUPPORTS_ROOT_NS) == (
        False, False, False,
    )  # fmt: skip
    shown = repr(GoDaddyProvider("godaddy", KEY, SECRET))
    assert KEY not in shown
    assert SECRET not in shown
