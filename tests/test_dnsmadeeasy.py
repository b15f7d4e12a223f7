"""DNS Made Easy end to end: ``plan.py`` against the strict local API server.

The server is tests/fakes/dnsmadeeasy_api.py.

Each test starts the fake on 127.0.0.1, seeds domains and records through its own
store (the API's validation, never our code), writes the workspace's config (the
production config plus the ``dnsmadeeasy`` provider, its ``zones-dnsmadeeasy``
source and the ``'*dnsmadeeasy'`` zone entry), declares the SRV with ``plan.py
add`` and runs ``plan.py`` in a subprocess with the variables a user sets. What
changed is read back from the fake's store and request log.
"""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from octodns.provider.plan import Plan
from octodns.record import Delete, Record, Update
from octodns.zone import Zone

from providers.core.errors import ZoneMissingError
from providers.dnsmadeeasy import (
    DEFAULT_API_URL,
    DnsMadeEasyError,
    DnsMadeEasyProvider,
    api_base,
    live_pairs,
)
from tests.fakes.dnsmadeeasy_api import FakeDnsMadeEasy
from tests.helpers import one_error_line, quiet, run_cli
from tests.provider_cases import (
    EXPECTED,
    MISSING_ZONE,
    PLATFORM,
    SRV_NAME,
    SRV_TARGET,
    SRV_TTL,
    TOUCHED,
    ZONES,
    records_for,
)

CONFIG = "config/octodns.yaml"
PROVIDER = "dnsmadeeasy"
#: the production config's entries for DNS Made Easy (the snippet README/config carry)
PROVIDER_ENTRY = {
    "class": "providers.dnsmadeeasy.DnsMadeEasyProvider",
    "root_ns_warnings": False,
    "api_key": "env/DNSMADEEASY_API_KEY",
    "secret_key": "env/DNSMADEEASY_SECRET_KEY",
    "api_url": f"env/DNSMADEEASY_API_URL/{DEFAULT_API_URL}",
}
SOURCE_ENTRY = {
    "class": "providers.libyaml.LibYamlProvider",
    "directory": "./zones/dnsmadeeasy",
    "default_ttl": 3600,
    "enforce_order": True,
    "escaped_semicolons": True,
}
ZONE_ENTRY = {
    "sources": ["zones-dnsmadeeasy"],
    "processors": ["autodiscover"],
    "targets": [PROVIDER],
}
#: retries fast enough for tests (the defaults wait 10 s, 20 s, ...)
FAST = {"retry_period": 0.05, "max_retry_after": 0.5}

#: records of types octoDNS does not model (or DNS Made Easy's own), nobody's to touch
DME_ONLY = [
    ("go", "HTTPRED", 300, "https://www.example.com/go", {"redirectType": "Standard - 301"}),
    ("@", "SPF", 300, "v=spf1 -all", {}),
    ("cdn", "ANAME", 300, "cdn.provider.example.", {}),
    ("relative", "CNAME", 300, "www", {}),  # a value relative to the domain
    ("pointer", "PTR", 300, "host.example.net.", {}),
    ("sub", "NS", 300, "ns1.elsewhere.example.", {}),
]


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def fake() -> Iterator[FakeDnsMadeEasy]:
    with FakeDnsMadeEasy(api_key="5e1f-api-key", secret_key="a4c2-secret") as server:
        yield server


def configure(ws: Path, **options: Any) -> None:
    """The workspace's config: the production config plus DNS Made Easy (with ``options``)."""
    path = ws / CONFIG
    data = yaml.safe_load(path.read_text())
    data["providers"]["zones-dnsmadeeasy"] = dict(SOURCE_ENTRY)
    data["providers"][PROVIDER] = {**PROVIDER_ENTRY, **options}
    data["zones"]["*dnsmadeeasy"] = dict(ZONE_ENTRY)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    (ws / "zones/dnsmadeeasy").mkdir(exist_ok=True)
    (ws / "zones/dnsmadeeasy/.gitkeep").touch()


@pytest.fixture
def dws(ws: Path) -> Path:
    configure(ws, **FAST)
    return ws


def fields(rtype: str, rdata: str) -> tuple[str, dict[str, Any]]:
    """(value, type fields) of one presentation-format rdata in DNS Made Easy's shape."""
    if rtype == "MX":
        level, host = rdata.split()
        return host, {"mxLevel": int(level)}
    if rtype == "SRV":
        priority, weight, port, target = rdata.split()
        return target, {"priority": int(priority), "weight": int(weight), "port": int(port)}
    if rtype == "CAA":
        flags, tag, text = rdata.split(" ", 2)
        return text, {"issuerCritical": int(flags), "caaType": tag}
    return rdata, {}


def seed(fake: FakeDnsMadeEasy, zone: str, extra: bool = True) -> None:
    """The zone of tests/provider_cases.py (without apex SOA/NS: DNS Made Easy's own)."""
    name = zone.rstrip(".")
    fake.add_domain(name)
    for owner, rtype, ttl, rdatas in records_for(zone, apex=False):
        for rdata in rdatas:
            value, more = fields(rtype, rdata)
            fake.add_record(name, owner, rtype, value, ttl, **more)
    if extra:
        for owner, rtype, ttl, value, more in DME_ONLY:
            fake.add_record(name, owner, rtype, value, ttl, **more)


def declare(ws: Path, zones: list[str]) -> None:
    for zone in zones:
        out = run_cli(
            "add", zone.rstrip("."), "--platform", PLATFORM, "--provider", PROVIDER,
            "--config", CONFIG, cwd=ws,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        assert (ws / f"zones/{PROVIDER}/{zone.rstrip('.')}.yaml").is_file()


def cli(ws: Path, fake: FakeDnsMadeEasy, command: str, *args: str, env: dict | None = None):
    extra = ("--format", "json") if command == "plan" else ()
    return run_cli(
        command, "--config", CONFIG, *quiet(command), *extra, *args, cwd=ws,
        env={**fake.env(), **(env or {})},
    )  # fmt: skip


def plan_changes(ws: Path, fake: FakeDnsMadeEasy) -> dict[str, set[tuple[str, str, str]]]:
    out = cli(ws, fake, "plan")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    return {
        z["zone"]: {(c["action"], c["name"], c["type"]) for c in z["changes"]}
        for z in report["zones"]
        if z["changes"]
    }


def by_pair(fake: FakeDnsMadeEasy, zone: str) -> dict[tuple[str, str], list[dict]]:
    """The domain's records by (name as octoDNS writes it, type), each list in id order."""
    out: dict[tuple[str, str], list[dict]] = {}
    for record in fake.records(zone.rstrip(".")):
        out.setdefault((record["name"].lower(), record["type"]), []).append(record)
    return out


def srv_of(fake: FakeDnsMadeEasy, zone: str) -> list[dict]:
    return by_pair(fake, zone).get((SRV_NAME, "SRV"), [])


def srv_text(record: dict) -> str:
    return f"{record['priority']} {record['weight']} {record['port']} {record['value']}"


def requests_by_zone(fake: FakeDnsMadeEasy) -> Counter:
    """Requests per domain id path (``/{id}/...``), and ``/`` for the account's domain list."""
    counted: Counter = Counter()
    for r in fake.requests:
        parts = r["path"].strip("/").split("/")
        counted[parts[0] if parts[0].isdigit() else r["path"] or "/"] += 1
    return counted


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------ end to end


def test_plan_and_apply_the_three_cases_touch_only_the_owned_pairs(
    fake: FakeDnsMadeEasy, dws: Path
):
    """Wrong SRV with conflicts, CNAME at the SRV name, already right: planned as the issue
    says, applied, and every other record (every type, DNS Made Easy's own included) is
    byte-identical afterwards: same id, same fields."""
    for zone in ZONES:
        seed(fake, zone)
    declare(dws, ZONES)
    before = {zone: fake.records(zone.rstrip(".")) for zone in ZONES}
    wrong_srv_id = srv_of(fake, "example.com.")[0]["id"]

    assert plan_changes(dws, fake) == {z: c for z, c in EXPECTED.items() if c}
    assert fake.writes() == [], "plan wrote"

    fake.reset_log()
    out = cli(dws, fake, "apply")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "applied example.com. at dnsmadeeasy: 3 change(s)" in out.stdout
    assert "applied example.net. at dnsmadeeasy: 4 change(s)" in out.stdout
    for zone in ZONES:
        after = {r["id"]: r for r in fake.records(zone.rstrip("."))}
        for record in before[zone]:
            if (record["name"].lower(), record["type"]) in TOUCHED[zone]:
                continue
            assert after.get(record["id"]) == record, f"{zone}: {record} changed or deleted"
        touched = {(r["name"].lower(), r["type"]) for r in after.values()} & TOUCHED[zone]
        assert touched <= {(SRV_NAME, "SRV")}, touched
        (srv,) = srv_of(fake, zone)
        assert (srv_text(srv), srv["ttl"]) == (f"0 0 443 {SRV_TARGET}", SRV_TTL)

    # the wrong SRV was changed in place: same record id, nothing deleted and re-created
    (srv,) = srv_of(fake, "example.com.")
    assert srv["id"] == wrong_srv_id
    writes = Counter((w["method"], w["path"].split("/")[-1]) for w in fake.writes())
    # example.com.: one multi-delete, one update; example.net.: one multi-delete, one create
    assert writes == {("DELETE", "records"): 2, ("PUT", "updateMulti"): 1,
                      ("POST", "createMulti"): 1}  # fmt: skip
    assert all(r["status"] < 300 for r in fake.requests), fake.requests
    assert plan_changes(dws, fake) == {}


def test_plan_reads_each_zone_once_and_the_domain_list_once(fake: FakeDnsMadeEasy, dws: Path):
    """Request count: the domain list once per run, one records read per zone (pages aside);
    no lookup by name, no second read."""
    for zone in ZONES:
        seed(fake, zone)
    declare(dws, ZONES)
    fake.reset_log()
    assert cli(dws, fake, "plan").returncode == 0
    ids = {str(fake.domain_id(z)) for z in ZONES}
    assert requests_by_zone(fake) == {"/": 1, **dict.fromkeys(ids, 1)}
    assert {r["method"] for r in fake.requests} == {"GET"}


def test_records_are_read_page_by_page(fake: FakeDnsMadeEasy, ws: Path):
    """A zone longer than a page is read to its end: every record is seen (the live view and
    the plan), one request per page."""
    configure(ws, **FAST)
    small = FakeDnsMadeEasy(fake.api_key, fake.secret_key, page_size=7).start()
    try:
        seed(small, "example.com.")
        # a conflict on the last page: found only if every page is read
        small.add_record("example.com", "autodiscover.eu2", "CNAME", "autodiscover.outlook.com.")
        total = len(small.records("example.com"))
        declare(ws, ["example.com."])
        small.reset_log()
        assert plan_changes(ws, small) == {"example.com.": EXPECTED["example.com."]}
        reads = [r for r in small.requests if r["path"].endswith("/records")]
        assert len(reads) == -(-total // 7) > 3
        assert [r["query"].get("page") for r in reads] == [None] + [
            [str(i)] for i in range(1, len(reads))
        ]
    finally:
        small.stop()


def test_missing_zone_is_refused_never_created(fake: FakeDnsMadeEasy, dws: Path):
    seed(fake, "example.com.")
    declare(dws, ["example.com.", MISSING_ZONE])
    out = cli(dws, fake, "apply")
    assert out.returncode == 1
    text = out.stdout + out.stderr
    assert f"zone {MISSING_ZONE} does not exist at provider dnsmadeeasy; create it there" in text
    assert not any(r["method"] == "POST" and r["path"] in ("", "/") for r in fake.requests)
    with pytest.raises(KeyError):
        fake.domain_id(MISSING_ZONE)
    assert not any(str(r["path"]).startswith("/id/") for r in fake.requests)
    # the other zone was applied
    (srv,) = srv_of(fake, "example.com.")
    assert srv_text(srv) == f"0 0 443 {SRV_TARGET}"


def test_zone_deleted_after_the_plan_is_refused_not_created(fake: FakeDnsMadeEasy):
    """Upstream's _apply would create the domain (GET /id/{name} 404 -> POST /)."""
    seed(fake, "example.com.", extra=False)
    provider = DnsMadeEasyProvider(PROVIDER, fake.api_key, fake.secret_key, api_url=fake.url)
    existing = Zone("example.com.", [])
    assert provider.populate(existing, target=True, lenient=True)
    desired = Zone("example.com.", [])
    srv = next(r for r in existing.records if r._type == "SRV")
    new = Record.new(desired, SRV_NAME, {**srv.data, "type": "SRV", "ttl": SRV_TTL})
    desired.add_record(new)
    plan = Plan(existing, desired, [Update(srv, new)], True)
    fake.remove_domain("example.com")
    fake.reset_log()
    with pytest.raises(ZoneMissingError, match="no longer in the DNS Made Easy account"):
        provider._apply(plan)
    assert fake.writes() == []
    assert not any(r["method"] == "POST" for r in fake.requests)


def test_record_deleted_after_the_plan_is_one_line_not_zone_missing(fake: FakeDnsMadeEasy):
    seed(fake, "example.com.", extra=False)
    provider = DnsMadeEasyProvider(PROVIDER, fake.api_key, fake.secret_key, api_url=fake.url)
    existing = Zone("example.com.", [])
    assert provider.populate(existing, target=True, lenient=True)
    cname = next(r for r in existing.records if (r.name, r._type) == ("autodiscover", "CNAME"))
    plan = Plan(existing, existing, [Delete(cname)], True)
    (live,) = by_pair(fake, "example.com.")[("autodiscover", "CNAME")]
    fake.remove_record("example.com", live["id"])
    with pytest.raises(DnsMadeEasyError, match=r"0 of 1 write request\(s\) done, then DELETE "
                       r"/\d+/records answered HTTP 404: Record\(s\) \d+ not found \(a record "
                       r"changed since the plan\); run plan again"):  # fmt: skip
        provider._apply(plan)


# ------------------------------------------------------------ exact writes


def test_multi_value_set_keeps_the_wanted_record_and_deletes_only_the_other(
    fake: FakeDnsMadeEasy, dws: Path
):
    """Upstream deletes the whole (name, type) set and creates it anew. We keep the record that
    already has the declared value (same id) and delete just the stray one: one request."""
    fake.add_domain("example.com")
    stray = fake.add_record("example.com", SRV_NAME, "SRV", "old.example.net.", SRV_TTL,
                            priority=10, weight=10, port=443)  # fmt: skip
    keep = fake.add_record("example.com", SRV_NAME, "SRV", SRV_TARGET, SRV_TTL,
                           priority=0, weight=0, port=443)  # fmt: skip
    other = fake.add_record("example.com", "www", "A", "192.0.2.10")
    declare(dws, ["example.com."])
    assert plan_changes(dws, fake) == {"example.com.": {("update", SRV_NAME, "SRV")}}
    fake.reset_log()
    assert cli(dws, fake, "apply").returncode == 0
    (write,) = fake.writes()
    assert (write["method"], write["query"]) == ("DELETE", {"ids": [str(stray)]})
    assert [r["id"] for r in fake.records("example.com")] == [keep, other]
    assert srv_text(srv_of(fake, "example.com.")[0]) == f"0 0 443 {SRV_TARGET}"


def test_names_compare_without_case(fake: FakeDnsMadeEasy, dws: Path):
    """A conflict stored as ``Autodiscover`` is deleted (upstream compares names exactly and
    would delete nothing, planning the same delete on every run)."""
    fake.add_domain("example.com")
    fake.add_record("example.com", SRV_NAME, "SRV", SRV_TARGET, SRV_TTL,
                    priority=0, weight=0, port=443)  # fmt: skip
    cname = fake.add_record("example.com", "Autodiscover", "CNAME", "autodiscover.outlook.com.")
    declare(dws, ["example.com."])
    assert plan_changes(dws, fake) == {"example.com.": {("delete", "autodiscover", "CNAME")}}
    assert cli(dws, fake, "apply").returncode == 0
    assert cname not in {r["id"] for r in fake.records("example.com")}
    assert plan_changes(dws, fake) == {}


def test_live_view_holds_every_served_type(fake: FakeDnsMadeEasy):
    seed(fake, "example.com.")
    provider = DnsMadeEasyProvider(PROVIDER, fake.api_key, fake.secret_key, api_url=fake.url)
    fake.reset_log()
    assert provider.populate(Zone("example.com.", []), target=True, lenient=True)
    view = provider.live_zone("example.com.")
    expected = {(o.lower().replace("@", ""), t) for o, t, _ttl, _v in records_for(
        "example.com.", apex=False)}  # fmt: skip
    expected |= {("go", "A"), ("", "SPF"), ("cdn", "A"), ("cdn", "AAAA"), ("relative", "CNAME"),
                 ("pointer", "PTR"), ("sub", "NS")}  # fmt: skip
    got = {(name, t) for name, types in view.nodes.items() for t in types}
    assert got == expected
    assert view.cut_above("x.sub") == "sub"
    assert len(fake.requests) == 2  # the domain list and one records read: nothing more
    assert live_pairs([{"name": "A", "type": "HTTPRED"}]) == [("a", "A")]


def test_http_redirect_at_autodiscover_is_reported_not_written(fake: FakeDnsMadeEasy, dws: Path):
    """An HTTPRED at ``autodiscover`` answers Outlook's A query, but octoDNS cannot change it:
    the plan warns (from the live view) and nothing writes it."""
    fake.add_domain("example.com")
    fake.add_record("example.com", SRV_NAME, "SRV", SRV_TARGET, SRV_TTL,
                    priority=0, weight=0, port=443)  # fmt: skip
    fake.add_record("example.com", "autodiscover", "HTTPRED", "https://mail.example.net/",
                    redirectType="Standard - 302")  # fmt: skip
    declare(dws, ["example.com."])
    out = cli(dws, fake, "plan")
    assert out.returncode == 0, out.stderr
    assert "autodiscover.example.com has A records this provider cannot change" in out.stdout + (
        out.stderr
    )


# ------------------------------------------------------------ faults


def test_refused_key_is_one_line_naming_the_variables(fake: FakeDnsMadeEasy, dws: Path):
    seed(fake, "example.com.")
    declare(dws, ["example.com."])
    for env in ({"DNSMADEEASY_SECRET_KEY": "wrong-secret"},
                {"DNSMADEEASY_API_KEY": "wrong-key"}):  # fmt: skip
        fake.reset_log()
        out = cli(dws, fake, "plan", env=env)
        assert out.returncode == 1
        line = one_error_line(out.stderr)
        assert "DNS Made Easy refused the API key (HTTP 403" in line, line
        assert "DNSMADEEASY_API_KEY and DNSMADEEASY_SECRET_KEY" in line, line
        text = out.stdout + out.stderr
        assert "wrong-secret" not in text
        assert fake.secret_key not in text
        assert len(fake.requests) == 1, "an authentication error was retried"


def test_secrets_never_appear_in_output_even_with_debug(fake: FakeDnsMadeEasy, dws: Path):
    seed(fake, "example.com.")
    declare(dws, ["example.com."])
    for command, env in (("plan", {}), ("apply", {}), ("plan", {"DNSMADEEASY_SECRET_KEY": "x"})):
        out = cli(dws, fake, command, "--debug", env=env)
        text = out.stdout + out.stderr
        assert "GET /V2.0/dns/managed/" in text  # --debug logs the requests...
        assert fake.api_key not in text  # ...but never the key pair
        assert fake.secret_key not in text


def test_unreachable_url_names_the_url_and_variable(fake: FakeDnsMadeEasy, dws: Path):
    seed(fake, "example.com.")
    declare(dws, ["example.com."])
    url = f"http://127.0.0.1:{free_port()}/V2.0/dns/managed"
    started = time.monotonic()
    out = cli(dws, fake, "plan", env={"DNSMADEEASY_API_URL": url})
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert f"cannot connect to {url} (DNSMADEEASY_API_URL): connection refused" in line, line
    assert time.monotonic() - started < 30


def test_rate_limit_is_retried_then_succeeds(fake: FakeDnsMadeEasy, ws: Path):
    """Another client used the account's whole budget: DNS Made Easy answers 400 "Rate limit
    exceeded"; we back off and retry (bounded) until the window frees up, then finish."""
    configure(ws, retry_period=0.2, max_retry_after=1.0)
    seed(fake, "example.com.")
    declare(ws, ["example.com."])
    fake.limit, fake.window = 5, 1.0
    fake.reset_log()
    fake.use_up(at_next_request=True)
    started = time.monotonic()
    out = cli(ws, fake, "apply")
    assert out.returncode == 0, out.stdout + out.stderr
    assert fake.rate_limited >= 1
    refused = [r for r in fake.requests if r["status"] == 400]
    assert refused
    assert all(r["method"] == "GET" for r in refused)  # the first read waited
    assert "applied example.com. at dnsmadeeasy: 3 change(s)" in out.stdout
    assert time.monotonic() - started < 60
    (srv,) = srv_of(fake, "example.com.")
    assert srv_text(srv) == f"0 0 443 {SRV_TARGET}"


def test_rate_limit_past_the_retries_is_one_line_and_bounded(fake: FakeDnsMadeEasy, dws: Path):
    seed(fake, "example.com.")
    declare(dws, ["example.com."])
    fake.limit, fake.window = 3, 600.0
    fake.use_up()
    fake.reset_log()
    out = cli(dws, fake, "plan")
    assert out.returncode == 1
    text = out.stdout + out.stderr
    assert "DNS Made Easy GET / failed 5 time(s), the last with DNS Made Easy's rate limit " in (
        text
    ), text
    assert "retries exhausted (retry_count 4)" in text
    assert len(fake.requests) == 5  # retry_count 4: five attempts, then one line
    assert "Traceback" not in text


def test_429_with_retry_after_is_honoured(fake: FakeDnsMadeEasy, ws: Path):
    """A 429 says when to come back (Retry-After, 1 s here): the retry waits that long, not
    the configured 0.01 s backoff, and gets through."""
    configure(ws, retry_period=0.01, max_retry_after=2)
    limited = FakeDnsMadeEasy(fake.api_key, fake.secret_key, rate_status=429).start()
    try:
        seed(limited, "example.com.")
        declare(ws, ["example.com."])
        limited.limit, limited.window = 2, 1.0
        limited.use_up(at_next_request=True)
        limited.reset_log()
        out = cli(ws, limited, "plan")
        assert out.returncode == 0, out.stderr
        assert [r["status"] for r in limited.requests] == [429, 200, 200]
        assert "retry 1/4 in 1.0s" in out.stderr
    finally:
        limited.stop()


def test_too_small_a_budget_stops_before_writing_a_zone(fake: FakeDnsMadeEasy, ws: Path):
    """Other clients hold the account's window: after our two reads one request is left and
    the zone needs four writes (one record per request), more than our own requests leaving
    the window would free. Nothing is written; one line says why."""
    configure(ws, **FAST, batch_size=1)
    seed(fake, "example.net.")
    declare(ws, ["example.net."])
    fake.limit, fake.window = 10, 600.0
    fake.use_up(7, at_next_request=True)
    fake.reset_log()
    before = fake.records("example.net")
    out = cli(ws, fake, "apply")
    assert out.returncode == 1
    text = out.stdout + out.stderr
    assert "zone example.net.: DNS Made Easy reports 1 of the 10 requests it allows per 5 " \
        "minutes left, the zone needs 4 write request(s) and other clients of the account " \
        "hold the rest; nothing written to it" in text, text  # fmt: skip
    assert fake.writes() == []
    assert fake.rate_limited == 0
    assert fake.records("example.net") == before
    assert len(fake.requests) == 2


def test_writes_wait_for_our_own_requests_to_leave_the_window(fake: FakeDnsMadeEasy, ws: Path):
    """Our reads used the window: the zone's writes wait until enough of them age out, then
    go, all of them, without meeting the limit."""
    configure(ws, **FAST, requests_per_window=3, window_seconds=2.0)
    seed(fake, "example.com.")
    declare(ws, ["example.com."])
    fake.limit, fake.window = 3, 2.0
    fake.reset_log()
    out = cli(ws, fake, "apply")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "waiting 2s for DNS Made Easy's rate-limit window" in out.stderr, out.stderr
    assert fake.rate_limited == 0
    assert [r["method"] for r in fake.requests] == ["GET", "GET", "DELETE", "PUT"]


def test_our_budget_keeps_under_the_limit(fake: FakeDnsMadeEasy, ws: Path):
    """With a budget of the account's size, a run never meets the limit: it waits instead."""
    configure(ws, **FAST, requests_per_window=4, window_seconds=1.0)
    for zone in ZONES:
        seed(fake, zone)
    declare(ws, ZONES)
    fake.limit, fake.window = 4, 1.0
    fake.reset_log()
    out = cli(ws, fake, "apply")
    assert out.returncode == 0, out.stdout + out.stderr
    assert fake.rate_limited == 0
    assert len(fake.requests) == 1 + 3 + 4  # list, 3 reads, 2 writes for each changed zone


def test_server_error_on_a_write_is_not_retried_and_says_so(fake: FakeDnsMadeEasy, dws: Path):
    seed(fake, "example.com.")
    declare(dws, ["example.com."])
    fake.inject(503, method="PUT")
    out = cli(dws, fake, "apply")
    assert out.returncode == 1
    text = out.stdout + out.stderr
    assert "1 of 2 write request(s) done" in text, text
    assert "run plan again" in text
    assert len([r for r in fake.requests if r["method"] == "PUT"]) == 1
    assert "Traceback" not in text


def test_read_server_error_is_retried(fake: FakeDnsMadeEasy, dws: Path):
    seed(fake, "example.com.")
    declare(dws, ["example.com."])
    fake.inject(502, method="GET", path=r"/records$", times=2)
    assert plan_changes(dws, fake) == {"example.com.": EXPECTED["example.com."]}


# ------------------------------------------------------------ small units


def test_api_url_takes_a_bare_host_and_the_sandbox():
    assert api_base("https://api.sandbox.dnsmadeeasy.com") == (
        "https://api.sandbox.dnsmadeeasy.com/V2.0/dns/managed"
    )
    assert api_base("http://127.0.0.1:9/V2.0/dns/managed/") == "http://127.0.0.1:9/V2.0/dns/managed"
    sandbox = DnsMadeEasyProvider(PROVIDER, "k", "s", sandbox=True)
    assert sandbox.api_url == "https://api.sandbox.dnsmadeeasy.com/V2.0/dns/managed"
    assert DnsMadeEasyProvider(PROVIDER, "k", "s").api_url == DEFAULT_API_URL


def test_fake_checks_the_signature(fake: FakeDnsMadeEasy):
    """The fake is strict: the date must be signed with the secret key, recently."""
    import requests

    fake.add_domain("example.com")
    now = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    cases = [
        ({}, 403),
        ({"x-dnsme-requestDate": now, "x-dnsme-hmac": "0" * 40}, 403),
        ({"x-dnsme-requestDate": old, "x-dnsme-hmac": _sign(fake.secret_key, old)}, 403),
        ({"x-dnsme-requestDate": now, "x-dnsme-hmac": _sign("other", now)}, 403),
        ({"x-dnsme-requestDate": now, "x-dnsme-hmac": _sign(fake.secret_key, now)}, 200),
    ]
    for headers, status in cases:
        if headers:
            headers = {"x-dnsme-apiKey": fake.api_key, **headers}
        resp = requests.get(fake.url + "/", headers=headers, timeout=5)
        assert resp.status_code == status, (headers, resp.text)
        if status == 403:
            assert isinstance(resp.json()["error"], list)
        else:
            assert resp.headers["x-dnsme-requestLimit"] == "150"
            assert resp.json()["data"][0]["name"] == "example.com"


def _sign(secret: str, date: str) -> str:
    import hashlib
    import hmac

    return hmac.new(secret.encode(), date.encode(), hashlib.sha1).hexdigest()
