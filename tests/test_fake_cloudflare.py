"""Tests for the local Cloudflare API fake.

They read through the real octodns_cloudflare.CloudflareProvider (whose zone and
record reads our provider inherits) and write through our provider
(providers.cloudflare: batches, or one request per change with ``batch:
false``), with the settings of config/octodns.yaml (``pagerules: false``), so a
green run means the fake speaks the dialect the product uses; they pin down
the strictness and fault behaviour other tests rely on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st
from octodns.record import Record
from octodns.zone import Zone
from octodns_cloudflare import (
    CloudflareAuthenticationError,
    CloudflareError,
    CloudflareProvider,
    CloudflareRateLimitError,
)

from providers.cloudflare import CloudflareProvider as OurCloudflareProvider
from tests.fakes.cloudflare_api import FakeCloudflare

ZONE = "example.com"


@pytest.fixture
def cf() -> Iterator[FakeCloudflare]:
    """A fresh fake per test; stopped even when the test fails."""
    with FakeCloudflare() as fake:
        yield fake


def make_provider(fake: FakeCloudflare, **kwargs: Any) -> CloudflareProvider:
    """The real upstream provider pointed at the fake, with fast retries, no page rules."""
    options: dict[str, Any] = {
        "token": fake.token,
        "api_url": fake.url,
        "retry_count": 2,
        "retry_period": 0,
        "timeout": 5,
        "pagerules": False,
    }
    options.update(kwargs)
    return CloudflareProvider("cloudflare", **options)


def make_ours(fake: FakeCloudflare, **kwargs: Any) -> OurCloudflareProvider:
    """Our provider (providers/cloudflare.py), as config/octodns.yaml builds it."""
    options: dict[str, Any] = {"token": fake.token, "api_url": fake.url, "retry_count": 2,
                               "retry_period": 0, "timeout": 5}  # fmt: skip
    options.update(kwargs)
    return OurCloudflareProvider("cloudflare", **options)


def api(
    fake: FakeCloudflare,
    method: str,
    path: str,
    *,
    token: str | None = None,
    **kwargs: Any,
) -> requests.Response:
    """A raw request, for checks the provider cannot express."""
    headers = {"Authorization": f"Bearer {token or fake.token}"}
    return requests.request(method, fake.url + path, headers=headers, timeout=5, **kwargs)


def error_codes(resp: requests.Response) -> list[int]:
    body = resp.json()
    assert body["success"] is False
    assert body["result"] is None
    return [e["code"] for e in body["errors"]]


def seed_zone(fake: FakeCloudflare, name: str = ZONE) -> str:
    """21 records covering the shapes the provider has special cases for."""
    zone_id = fake.add_zone(name)
    add = fake.add_record
    add(name, "A", "@", "192.0.2.1")
    add(name, "A", "@", "192.0.2.2")
    add(name, "A", "www", "192.0.2.3", proxied=True)
    add(name, "AAAA", "@", "2001:db8::1")
    add(name, "MX", "@", "mx1.example.com", priority=10)
    add(name, "MX", "@", "mx2.example.com", priority=20)
    add(name, "TXT", "@", "v=spf1 include:_spf.example.net -all")
    add(name, "TXT", "@", "google-site-verification=abc123")
    add(name, "TXT", "_dmarc", "v=DMARC1; p=reject")
    add(name, "CAA", "@", data={"flags": 0, "tag": "issue", "value": "letsencrypt.org"})
    add(name, "CAA", "@", data={"flags": 0, "tag": "iodef", "value": "mailto:sec@example.com"})
    srv = {"priority": 10, "weight": 60, "port": 5060, "target": "sip1.example.com"}
    add(name, "SRV", "_sip._tcp", data=srv)
    add(name, "SRV", "_sip._tcp", data={**srv, "weight": 40, "target": "sip2.example.com"})
    add(name, "SRV", "_xmpp._tcp.chat", data={**srv, "port": 5222, "target": "chat.example.com"})
    add(name, "CNAME", "*", "example.com")
    add(name, "CNAME", "api", "api.example.net", proxied=True)
    add(name, "A", "mail", "192.0.2.10")
    add(name, "AAAA", "v6", "2001:db8::10")
    add(name, "NS", "sub", "ns1.other.net", ttl=3600)
    add(name, "NS", "sub", "ns2.other.net", ttl=3600)
    add(name, "A", "auto", "192.0.2.20", ttl=1)
    return zone_id


def populated(provider: CloudflareProvider, name: str = ZONE) -> tuple[Zone, bool]:
    zone = Zone(f"{name}.", [])
    exists = provider.populate(zone)
    return zone, exists


def by_key(zone: Zone) -> dict[tuple[str, str], Record]:
    return {(r.name, r._type): r for r in zone.records}


# --------------------------------------------------------------- populate


def test_populate_paginates_and_maps_every_shape(cf: FakeCloudflare) -> None:
    """Proves list pagination and record shapes match what the provider parses."""
    zone_id = seed_zone(cf)
    provider = make_provider(cf, records_per_page=5)

    zone, exists = populated(provider)

    assert exists is True
    records = by_key(zone)
    assert len(records) == 15  # 21 API records grouped by (name, type)
    assert records[("", "A")].values == ["192.0.2.1", "192.0.2.2"]
    assert records[("www", "A")].octodns["cloudflare"] == {"proxied": True, "auto-ttl": True}
    assert records[("auto", "A")].octodns["cloudflare"] == {"auto-ttl": True}
    assert [(v.preference, v.exchange) for v in records[("", "MX")].values] == [
        (10, "mx1.example.com."),
        (20, "mx2.example.com."),
    ]
    assert records[("_dmarc", "TXT")].values == ["v=DMARC1\\; p=reject"]
    assert sorted(v.tag for v in records[("", "CAA")].values) == ["iodef", "issue"]
    sip = records[("_sip._tcp", "SRV")]
    assert sorted((v.weight, v.target) for v in sip.values) == [
        (40, "sip2.example.com."),
        (60, "sip1.example.com."),
    ]
    assert records[("_xmpp._tcp.chat", "SRV")].values[0].port == 5222
    assert records[("*", "CNAME")].value == "example.com."
    assert records[("sub", "NS")].values == ["ns1.other.net.", "ns2.other.net."]

    pages = [r for r in cf.requests if r["path"] == f"/zones/{zone_id}/dns_records"]
    assert [r["query"] for r in pages] == [{"page": str(n), "per_page": "5"} for n in range(1, 6)]
    assert all(r["status"] == 200 for r in cf.requests)
    assert [r["path"] for r in cf.requests].count("/zones") == 1
    assert not [r for r in cf.requests if "pagerules" in r["path"]]
    assert cf.writes() == []


def test_record_shapes_match_the_real_api(cf: FakeCloudflare) -> None:
    """The stored shape is what tests compare against, so pin it down."""
    cf.add_zone(ZONE)
    cf.add_record(
        ZONE, "SRV", "_sip._tcp", data={"priority": 1, "weight": 0, "port": 443, "target": "t.x."}
    )
    cf.add_record(ZONE, "MX", "@", "mx.example.com.", priority=5)
    cf.add_record(ZONE, "CAA", "@", data={"flags": 0, "tag": "issue", "value": "ca.example"})
    srv, mx, caa = cf.records(ZONE)

    assert srv["name"] == "_sip._tcp.example.com"
    assert srv["content"] == "0 443 t.x"
    assert srv["data"] == {
        "service": "_sip",
        "proto": "_tcp",
        "name": "example.com",
        "priority": 1,
        "weight": 0,
        "port": 443,
        "target": "t.x",
    }
    assert mx["content"] == "mx.example.com"
    assert mx["priority"] == 5
    assert caa["content"] == '0 issue "ca.example"'
    assert "priority" not in caa
    assert "data" not in mx
    assert len(srv["id"]) == 32
    assert srv["zone_name"] == ZONE
    assert srv["proxiable"] is False
    assert mx["proxied"] is False
    # records() hands out copies, never the live state.
    cf.records(ZONE)[0]["content"] = "mutated"
    assert cf.records(ZONE)[0]["content"] == "0 443 t.x"


def test_zone_listing_paginates_past_fifty(cf: FakeCloudflare) -> None:
    """>50 zones force the provider onto a second zones page."""
    names = [f"zone{n:02d}.example" for n in range(60)]
    for name in names:
        cf.add_zone(name, account_id="acc1" if name < "zone55" else "acc2")

    assert make_provider(cf).list_zones() == [f"{n}." for n in names]
    zone_calls = [r["query"] for r in cf.requests if r["path"] == "/zones"]
    assert zone_calls == [{"page": "1", "per_page": "50"}, {"page": "2", "per_page": "50"}]

    cf.reset_log()
    scoped = make_provider(cf, account_id="acc2").list_zones()
    assert scoped == [f"zone{n}.example." for n in range(55, 60)]
    assert cf.requests[0]["query"] == {"account.id": "acc2", "page": "1", "per_page": "50"}

    resp = api(cf, "GET", "/zones", params={"page": 3, "per_page": 25})
    assert resp.json()["result_info"] == {
        "page": 3,
        "per_page": 25,
        "count": 10,
        "total_count": 60,
        "total_pages": 3,
    }
    one = api(cf, "GET", "/zones", params={"name": "zone07.example"}).json()
    assert [z["name"] for z in one["result"]] == ["zone07.example"]
    assert one["result"][0]["account"] == {"id": "acc1", "name": "Account acc1"}


def test_exact_page_multiple_costs_an_extra_empty_page(cf: FakeCloudflare) -> None:
    """Provider quirk: it stops only on a short page, like the real API needs."""
    zone_id = cf.add_zone(ZONE)
    for n in range(10):
        cf.add_record(ZONE, "A", f"h{n}", f"192.0.2.{n + 1}")

    zone, _ = populated(make_provider(cf, records_per_page=5, pagerules=False))

    assert len(zone.records) == 10
    pages = [r for r in cf.requests if r["path"].endswith("/dns_records")]
    assert [r["query"]["page"] for r in pages] == ["1", "2", "3"]
    last = api(cf, "GET", f"/zones/{zone_id}/dns_records", params={"page": 3, "per_page": 5})
    assert last.json()["result"] == []
    assert last.json()["result_info"]["count"] == 0


def test_exists_is_false_for_an_empty_or_unknown_zone(cf: FakeCloudflare) -> None:
    """Provider quirk: exists means 'has records', not 'zone exists'."""
    cf.add_zone(ZONE)
    provider = make_provider(cf)

    assert populated(provider)[1] is False
    assert populated(provider, "missing.example")[1] is False
    cf.add_record(ZONE, "TXT", "@", "hello")
    assert populated(make_provider(cf))[1] is True


# ------------------------------------------------------------------ apply


def test_plan_and_apply_updates_state(cf: FakeCloudflare) -> None:
    """A mixed plan lands exactly in one batch, and a re-plan finds nothing to do."""
    zone_id = seed_zone(cf)
    provider = make_ours(cf, records_per_page=5)
    existing, _ = populated(provider)
    desired = Zone(f"{ZONE}.", [])
    for record in existing.records:
        if (record.name, record._type) != ("mail", "A"):
            desired.add_record(record)

    def new(name: str, data: dict[str, Any]) -> None:
        desired.add_record(Record.new(desired, name, data), replace=True)

    new("", {"type": "A", "ttl": 300, "values": ["192.0.2.1", "192.0.2.9"]})
    new("www", {"type": "A", "ttl": 300, "value": "192.0.2.3"})  # un-proxy
    new("api", {"type": "CNAME", "ttl": 600, "value": "api2.example.net."})
    new("hello", {"type": "TXT", "ttl": 300, "value": "hi there"})
    srv = {"priority": 10, "weight": 60, "port": 5060}
    new(
        "_sip._tcp",
        {
            "type": "SRV",
            "ttl": 300,
            "values": [
                {**srv, "target": "sip1.example.com."},
                {**srv, "weight": 40, "target": "sip2.example.com."},
                {**srv, "weight": 0, "target": "sip3.example.com."},
            ],
        },
    )
    cf.reset_log()

    plan = provider.plan(desired)
    assert plan is not None
    assert len(plan.changes) == 6
    plan.autodiscover_analysed = True  # as the processor marks the plans it checked
    provider.apply(plan)

    state = {(r["name"], r["type"], r["content"]): r for r in cf.records(ZONE)}
    assert ("mail.example.com", "A", "192.0.2.10") not in state
    apex_a = sorted(c for (n, t, c) in state if (n, t) == (ZONE, "A"))
    assert apex_a == ["192.0.2.1", "192.0.2.9"]
    www = state[("www.example.com", "A", "192.0.2.3")]
    assert www["proxied"] is False
    assert www["ttl"] == 300
    api_cname = state[("api.example.com", "CNAME", "api2.example.net")]
    assert api_cname["ttl"] == 600
    assert state[("hello.example.com", "TXT", '"hi there"')]["ttl"] == 300
    srv_targets = sorted(r["data"]["target"] for r in state.values() if r["type"] == "SRV")
    assert srv_targets == [
        "chat.example.com",
        "sip1.example.com",
        "sip2.example.com",
        "sip3.example.com",
    ]
    assert len(cf.records(ZONE)) == 21 - 1 + 1 + 1

    writes = [(w["method"], w["path"].replace(zone_id, "Z")) for w in cf.writes()]
    assert writes == [("POST", "/zones/Z/dns_records/batch")]
    body = cf.writes()[0]["body"]
    # only what changes: mail A deleted; apex A 192.0.2.2, www (un-proxied), api patched;
    # hello TXT and sip3 posted; unchanged values are not sent
    assert {kind: len(items) for kind, items in body.items()} == {
        "deletes": 1,
        "patches": 3,
        "posts": 2,
    }
    assert provider.plan(desired) is None


@pytest.mark.filterwarnings("ignore:.*parse_rdata_text.*:DeprecationWarning")
def test_every_supported_type_round_trips(cf: FakeCloudflare) -> None:
    """Creating each type our provider supports and re-planning must be a no-op."""
    cf.add_zone(ZONE)
    provider = make_ours(cf)
    desired = Zone(f"{ZONE}.", [])
    specs: dict[str, dict[str, Any]] = {
        "loc": {
            "type": "LOC",
            "value": {
                "lat_degrees": 31,
                "lat_minutes": 58,
                "lat_seconds": 52.1,
                "lat_direction": "S",
                "long_degrees": 115,
                "long_minutes": 49,
                "long_seconds": 11.7,
                "long_direction": "E",
                "altitude": 20,
                "size": 10,
                "precision_horz": 10,
                "precision_vert": 2,
            },
        },
        "deleg": {"type": "NS", "values": ["ns1.other.net.", "ns2.other.net."]},
        "ptr": {"type": "PTR", "value": "host.example.net."},
        "https": {
            "type": "HTTPS",
            "value": {"svcpriority": 1, "targetname": ".", "svcparams": {"alpn": ["h2"]}},
        },
        "tlsa": {
            "type": "TLSA",
            "value": {
                "certificate_usage": 3,
                "selector": 1,
                "matching_type": 1,
                "certificate_association_data": "ab" * 32,
            },
        },
        "sshfp": {
            "type": "SSHFP",
            "value": {"algorithm": 4, "fingerprint_type": 2, "fingerprint": "cd" * 32},
        },
        "naptr": {
            "type": "NAPTR",
            "value": {
                "order": 30,
                "preference": 100,
                "flags": "S",
                "service": "SIP+D2T",
                "regexp": "",
                "replacement": "_sip._tcp.example.com.",
            },
        },
    }
    for name, data in specs.items():
        desired.add_record(Record.new(desired, name, {"ttl": 300, **data}))
    desired.add_record(
        Record.new(
            desired,
            "deleg",
            {
                "type": "DS",
                "ttl": 300,
                "value": {
                    "key_tag": 60485,
                    "algorithm": 5,
                    "digest_type": 1,
                    "digest": "2BB183AF5F22588179A53B0A98631FAD1A292118",
                },
            },
        )
    )

    plan = provider.plan(desired)
    plan.autodiscover_analysed = True  # as the processor marks the plans it checked
    provider.apply(plan)

    types = sorted(r["type"] for r in cf.records(ZONE))
    assert types == ["DS", "HTTPS", "LOC", "NAPTR", "NS", "NS", "PTR", "SSHFP", "TLSA"]
    loc = next(r for r in cf.records(ZONE) if r["type"] == "LOC")
    assert loc["content"] == "IN LOC 31 58 52.1 S 115 49 11.7 E 20m 10m 10m 2m"
    assert provider.plan(desired) is None


def test_provider_surfaces_cname_conflict(cf: FakeCloudflare) -> None:
    """A CNAME next to an existing A is refused with the real error text."""
    cf.add_zone(ZONE)
    cf.add_record(ZONE, "A", "dup", "192.0.2.1")
    provider = make_provider(cf, pagerules=False)
    desired = Zone(f"{ZONE}.", [])
    desired.add_record(Record.new(desired, "dup", {"type": "A", "ttl": 300, "value": "192.0.2.1"}))
    cname = {"type": "CNAME", "ttl": 300, "value": "x.example.net."}
    desired.add_record(Record.new(desired, "dup", cname, lenient=True), lenient=True)
    plan = provider.plan(desired)
    assert plan is not None

    with pytest.raises(CloudflareError, match="An A, AAAA, or CNAME record with that host"):
        provider.apply(plan)

    assert [(r["type"], r["content"]) for r in cf.records(ZONE)] == [("A", "192.0.2.1")]
    assert cf.requests[-1]["status"] == 400
    assert cf.writes() == []


# ------------------------------------------------------------- strictness


def test_unknown_params_routes_and_methods_are_400(cf: FakeCloudflare) -> None:
    """Anything the fake does not model is refused, never silently ignored."""
    zone_id = cf.add_zone(ZONE)
    records = f"/zones/{zone_id}/dns_records"

    resp = api(cf, "GET", records, params={"name.contains": "www"})
    assert resp.status_code == 400
    assert error_codes(resp) == [1004]
    assert "name.contains" in resp.json()["errors"][0]["message"]
    assert api(cf, "GET", "/zones", params={"foo": "1"}).status_code == 400
    assert api(cf, "POST", records, params={"x": 1}, json={}).status_code == 400

    for path, per_page in (("/zones", 4), ("/zones", 51), (records, 4)):
        resp = api(cf, "GET", path, params={"per_page": per_page})
        assert resp.status_code == 400, (path, per_page)
    assert api(cf, "GET", records, params={"per_page": 5_000_000}).status_code == 200

    resp = api(cf, "GET", "/nope")
    assert resp.status_code == 400
    assert error_codes(resp) == [7000]
    resp = api(cf, "PUT", "/zones", json={})
    assert resp.status_code == 400
    assert error_codes(resp) == [7001]
    resp = requests.post(
        cf.url + records,
        data=b"{not json",
        headers={"Authorization": f"Bearer {cf.token}", "Content-Type": "application/json"},
        timeout=5,
    )
    assert resp.status_code == 400
    assert error_codes(resp) == [6007]

    with pytest.raises(CloudflareError, match="per_page"):
        make_provider(cf, zones_per_page=100).list_zones()
    assert cf.requests[-1]["status"] == 400
    assert cf.writes() == []


def test_missing_zone_or_record_is_404(cf: FakeCloudflare) -> None:
    """Unknown ids get the 404 envelope the provider turns into HTTPError."""
    zone_id = cf.add_zone(ZONE)

    resp = api(cf, "GET", "/zones/0123456789abcdef0123456789abcdef/dns_records")
    assert resp.status_code == 404
    assert error_codes(resp) == [7003]
    resp = api(cf, "DELETE", f"/zones/{zone_id}/dns_records/ffffffffffffffffffffffffffffffff")
    assert resp.status_code == 404
    assert error_codes(resp) == [81044]
    resp = api(cf, "PATCH", f"/zones/{zone_id}/dns_records/nope", json={"ttl": 300})
    assert resp.status_code == 404


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        ({"type": "A", "name": "a.example.com"}, 9007, "required"),
        ({"type": "A", "name": "a.example.com", "content": "300.1.1.1"}, 9005, "IPv4"),
        ({"type": "BOGUS", "name": "a.example.com", "content": "x"}, 9020, "type"),
        ({"name": "a.example.com", "content": "192.0.2.1"}, 9020, "type"),
        ({"type": "A", "content": "192.0.2.1"}, 9000, "required"),
        ({"type": "A", "name": "a.example.org", "content": "192.0.2.1"}, 9000, "not within"),
        ({"type": "A", "name": "a", "content": "192.0.2.1"}, 9000, "not within"),
        ({"type": "A", "name": "a.example.com", "content": "192.0.2.1", "ttl": 30}, 9021, "TTL"),
        ({"type": "A", "name": "a.example.com", "content": "192.0.2.1", "bogus": 1}, 9207, "bogus"),
        (
            {
                "type": "MX",
                "name": "example.com",
                "content": "mx.example.com",
                "proxied": True,
                "priority": 1,
            },
            9004,
            "cannot be proxied",
        ),
        ({"type": "MX", "name": "example.com", "content": "mx.example.com"}, 9100, "priority"),
        (
            {
                "type": "SRV",
                "name": "_a._tcp.example.com",
                "data": {"priority": 1, "port": 1, "target": "t.example.com"},
            },
            9101,
            "weight is a required data field",
        ),
        ({"type": "SRV", "name": "_a._tcp.example.com", "content": "0 1 t"}, 9101, "data"),
        (
            {
                "type": "SRV",
                "name": "sip.example.com",
                "data": {"priority": 1, "weight": 1, "port": 1, "target": "t.example.com"},
            },
            9000,
            "_service._proto",
        ),
        (
            {
                "type": "CAA",
                "name": "example.com",
                "data": {"flags": 0, "tag": "nope", "value": "x"},
            },
            9101,
            "tag",
        ),
        ({"type": "TXT", "name": "dup.example.com", "content": "same"}, 81058, "identical"),
        ({"type": "TXT", "name": "c.example.com", "content": "x", "comment": 5}, 9207, "comment"),
        (
            {"type": "TXT", "name": "c.example.com", "content": "x", "comment": "a\nb"},
            9207,
            "without newlines",
        ),
        (
            {"type": "TXT", "name": "c.example.com", "content": "x", "comment": "x" * 101},
            9207,
            "at most 100",
        ),
        ({"type": "TXT", "name": "c.example.com", "content": "x", "tags": "a:b"}, 9207, "tags"),
        ({"type": "TXT", "name": "c.example.com", "content": "x", "tags": ["team"]}, 9207, "tags"),
        (
            {"type": "TXT", "name": "c.example.com", "content": "x", "tags": ["te am:mail"]},
            9207,
            "name:value",
        ),
        (
            {"type": "TXT", "name": "c.example.com", "content": "x", "tags": ["team:a\rb"]},
            9207,
            "name:value",
        ),
        ({"type": "TXT", "name": "c.example.com", "content": "x", "tags": [7]}, 9207, "tags"),
        ({"type": "TXT", "name": "alias.example.com", "content": "x"}, 81054, "CNAME"),
        ({"type": "A", "name": "sub.example.com", "content": "192.0.2.1"}, 81056, "NS"),
    ],
)
def test_invalid_record_bodies_are_refused(
    cf: FakeCloudflare, body: dict[str, Any], code: int, text: str
) -> None:
    """Each validation rule answers 400 with its code and leaves state alone."""
    cf.add_zone(ZONE)
    cf.add_record(ZONE, "TXT", "dup", "same")
    cf.add_record(ZONE, "CNAME", "alias", "target.example.net")
    cf.add_record(ZONE, "NS", "sub", "ns1.other.net")
    before = cf.records(ZONE)

    resp = api(cf, "POST", f"/zones/{cf.zone_id(ZONE)}/dns_records", json=body)

    assert resp.status_code == 400
    assert error_codes(resp) == [code]
    assert text in resp.json()["errors"][0]["message"]
    assert cf.records(ZONE) == before


def test_patch_validates_against_other_records(cf: FakeCloudflare) -> None:
    """Updates may keep their own name but not collide with neighbours."""
    zone_id = cf.add_zone(ZONE)
    a_id = cf.add_record(ZONE, "A", "host", "192.0.2.1")
    cname_id = cf.add_record(ZONE, "CNAME", "alias", "x.example.net")
    base = f"/zones/{zone_id}/dns_records"

    ok = api(cf, "PATCH", f"{base}/{cname_id}", json={"content": "y.example.net.", "ttl": 120})
    assert ok.status_code == 200
    assert ok.json()["result"]["content"] == "y.example.net"
    assert ok.json()["result"]["ttl"] == 120
    bad = api(cf, "PATCH", f"{base}/{a_id}", json={"name": "alias.example.com"})
    assert bad.status_code == 400
    assert error_codes(bad) == [81054]
    retyped = api(cf, "PATCH", f"{base}/{a_id}", json={"type": "AAAA", "content": "2001:db8::5"})
    assert retyped.status_code == 200
    got = next(r for r in cf.records(ZONE) if r["id"] == a_id)
    assert (got["type"], got["ttl"], got["content"]) == ("AAAA", 300, "2001:db8::5")


# ------------------------------------------------------------------- auth


@pytest.mark.parametrize("status", [401, 403])
def test_bad_token_is_refused_with_the_auth_envelope(status: int) -> None:
    """Both auth failure statuses use the real envelope and touch nothing."""
    with FakeCloudflare("right", auth_failure_status=status) as fake:
        fake.add_zone(ZONE)
        for token in ("wrong", None):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            resp = requests.get(fake.url + "/zones", headers=headers, timeout=5)
            assert resp.status_code == status
            assert resp.json() == {
                "success": False,
                "errors": [{"code": 10000, "message": "Authentication error"}],
                "messages": [],
                "result": None,
            }
        provider = make_provider(fake, token="wrong")
        expected = CloudflareAuthenticationError if status == 403 else requests.HTTPError
        with pytest.raises(expected):
            provider.list_zones()
        assert [r["status"] for r in fake.requests] == [status] * 3


def test_auth_retry_only_on_403() -> None:
    """Provider quirk: auth_error_retry_count retries 403s, never 401s."""
    with FakeCloudflare() as fake:
        fake.add_zone(ZONE)
        fake.inject("GET", "^/zones$", status=403, times=2)
        provider = make_provider(fake, auth_error_retry_count=2)
        assert provider.list_zones() == [f"{ZONE}."]
        assert [r["status"] for r in fake.requests] == [403, 403, 200]


# ------------------------------------------------------------- rate limit


def test_rate_limit_answers_429_with_retry_after() -> None:
    """Sliding window: the request above the limit waits for the oldest slot."""
    with FakeCloudflare(rate_limit=(3, 2.0)) as fake:
        for _ in range(3):
            assert api(fake, "GET", "/zones").status_code == 200
        resp = api(fake, "GET", "/zones")
        assert resp.status_code == 429
        assert resp.headers["Retry-After"] in ("1", "2")
        assert error_codes(resp) == [971]
        assert "Rate limited" in resp.json()["errors"][0]["message"]
        assert fake.rate_limited == 1

        with pytest.raises(CloudflareRateLimitError):
            make_provider(fake, retry_count=2, retry_period=0).list_zones()
        assert fake.rate_limited == 3


def test_provider_rides_out_the_rate_limit() -> None:
    """With retries longer than the window the provider still completes."""
    with FakeCloudflare(rate_limit=(4, 0.5)) as fake:
        seed_zone(fake)
        provider = make_provider(fake, records_per_page=5, retry_count=5, retry_period=0.6)

        zone, exists = populated(provider)

        assert exists
        assert len(zone.records) == 15
        assert fake.rate_limited >= 1
        statuses = [r["status"] for r in fake.requests]
        assert statuses.count(200) == 6
        assert set(statuses) == {200, 429}


# ------------------------------------------------------------------ batch


def test_batch_is_all_or_nothing(cf: FakeCloudflare) -> None:
    """One bad post rolls back the deletes and patches before it."""
    zone_id = cf.add_zone(ZONE)
    a_id = cf.add_record(ZONE, "A", "a", "192.0.2.1")
    b_id = cf.add_record(ZONE, "A", "b", "192.0.2.2")
    c_id = cf.add_record(ZONE, "TXT", "c", "old")
    before = cf.records(ZONE)
    batch = f"/zones/{zone_id}/dns_records/batch"
    body: dict[str, Any] = {
        "deletes": [{"id": a_id}],
        "patches": [{"id": b_id, "ttl": 600}, {"id": c_id, "content": "new"}],
        "posts": [
            {"type": "A", "name": "d.example.com", "content": "192.0.2.4"},
            {
                "type": "MX",
                "name": "example.com",
                "content": "mx.example.com",
                "proxied": True,
                "priority": 10,
            },
        ],
    }

    resp = api(cf, "POST", batch, json=body)

    assert resp.status_code == 400
    assert error_codes(resp) == [9004]
    assert resp.json()["errors"][0]["message"].startswith("posts[1]: ")
    assert cf.records(ZONE) == before
    assert cf.writes() == []

    body["posts"].pop()
    ok = api(cf, "POST", batch, json=body)
    assert ok.status_code == 200
    result = ok.json()["result"]
    assert [r["id"] for r in result["deletes"]] == [a_id]
    assert result["patches"][0]["ttl"] == 600
    assert result["patches"][1]["content"] == "new"
    assert result["posts"][0]["name"] == "d.example.com"
    assert sorted(r["name"] for r in cf.records(ZONE)) == [
        "b.example.com",
        "c.example.com",
        "d.example.com",
    ]
    assert len(cf.writes()) == 1


def test_batch_runs_deletes_before_posts(cf: FakeCloudflare) -> None:
    """Order deletes, patches, posts lets a type change ride in one batch."""
    zone_id = cf.add_zone(ZONE)
    a_id = cf.add_record(ZONE, "A", "www", "192.0.2.1")
    batch = f"/zones/{zone_id}/dns_records/batch"

    resp = api(
        cf,
        "POST",
        batch,
        json={
            "posts": [{"type": "CNAME", "name": "www.example.com", "content": "x.example.net"}],
            "deletes": [{"id": a_id}],
        },
    )

    assert resp.status_code == 200, resp.json()
    assert [(r["type"], r["name"]) for r in cf.records(ZONE)] == [("CNAME", "www.example.com")]
    assert set(resp.json()["result"]) == {"deletes", "patches", "posts"}

    for bad in (
        {"deletes": [{"id": a_id}]},  # already gone
        {"unknown": []},
        {"puts": []},  # our updates PATCH: the fake has no PUT
        {"posts": [{"id": "x", "type": "A", "name": "y.example.com", "content": "192.0.2.9"}]},
    ):
        assert api(cf, "POST", batch, json=bad).status_code == 400, bad
    small = FakeCloudflare(batch_limit=2)
    with small:
        zid = small.add_zone(ZONE)
        posts = [
            {"type": "A", "name": f"h{n}.example.com", "content": "192.0.2.1"} for n in range(3)
        ]
        over = api(small, "POST", f"/zones/{zid}/dns_records/batch", json={"posts": posts})
        assert over.status_code == 400
        assert small.records(ZONE) == []


def test_batch_naming_a_record_id_twice_fails_as_a_whole(cf: FakeCloudflare) -> None:
    """A second delete of one id finds no record, as in the real transaction; so does a
    patch of a deleted id. Two patches of one id are refused too (strictness)."""
    zone_id = cf.add_zone(ZONE)
    a_id = cf.add_record(ZONE, "A", "a", "192.0.2.1", comment="keep me", tags=["team:web"])
    b_id = cf.add_record(ZONE, "A", "b", "192.0.2.2")
    before = cf.records(ZONE)
    batch = f"/zones/{zone_id}/dns_records/batch"
    cases = [
        ({"deletes": [{"id": a_id}, {"id": b_id}, {"id": a_id}]}, 81044, "deletes[2]"),
        ({"deletes": [{"id": a_id}], "patches": [{"id": a_id, "ttl": 600}]}, 81044, "patches[0]"),
        ({"patches": [{"id": a_id, "ttl": 600}, {"id": a_id, "ttl": 900}]}, 9207, "patches[1]"),
    ]
    for body, code, where in cases:
        resp = api(cf, "POST", batch, json=body)
        assert resp.status_code == 400, body
        assert error_codes(resp) == [code], body
        message = resp.json()["errors"][0]["message"]
        assert message.startswith(f"{where}: "), message
        assert a_id in message, message
    assert cf.records(ZONE) == before
    assert cf.writes() == []


def test_comment_and_tags_are_kept_and_returned(cf: FakeCloudflare) -> None:
    """Create, list, batch posts/patches: metadata as the API keeps it. A PATCH keeps
    what it does not name, and can clear it by naming it."""
    zone_id = cf.add_zone(ZONE)
    records = f"/zones/{zone_id}/dns_records"
    srv = {"priority": 0, "weight": 0, "port": 443, "target": "old.example.net"}
    made = api(
        cf,
        "POST",
        records,
        json={
            "type": "SRV",
            "name": "_autodiscover._tcp.example.com",
            "data": srv,
            "comment": "mail team",
            "tags": ["team:mail", "ticket:INC-1:2"],
        },
    ).json()["result"]
    assert (made["comment"], made["tags"]) == ("mail team", ["team:mail", "ticket:INC-1:2"])
    plain = api(
        cf, "POST", records, json={"type": "A", "name": "p.example.com", "content": "192.0.2.5"}
    )
    assert (plain.json()["result"]["comment"], plain.json()["result"]["tags"]) == (None, [])
    txt_id = cf.add_record(ZONE, "TXT", "t", "v", comment="old", tags=["k:v"])

    resp = api(
        cf,
        "POST",
        f"{records}/batch",
        json={
            "patches": [
                {"id": made["id"], "ttl": 3600, "data": {**srv, "target": "new.example.net"}},
                {"id": txt_id, "content": "w", "comment": None, "tags": []},
            ],
            "posts": [
                {
                    "type": "TXT",
                    "name": "n.example.com",
                    "content": "x",
                    "comment": "",
                    "tags": ["empty:"],
                }
            ],
        },
    )

    assert resp.status_code == 200, resp.json()
    listed = {r["name"]: r for r in api(cf, "GET", records).json()["result"]}
    patched = listed["_autodiscover._tcp.example.com"]
    assert patched["id"] == made["id"]
    assert patched["data"]["target"] == "new.example.net"
    assert (patched["ttl"], patched["comment"], patched["tags"]) == (
        3600,
        "mail team",
        ["team:mail", "ticket:INC-1:2"],
    )
    assert (listed["t.example.com"]["comment"], listed["t.example.com"]["tags"]) == (None, [])
    assert (listed["n.example.com"]["comment"], listed["n.example.com"]["tags"]) == ("", ["empty:"])
    assert listed == {r["name"]: r for r in cf.records(ZONE)}
    one = api(cf, "PATCH", f"{records}/{made['id']}", json={"comment": "changed"}).json()
    assert one["result"]["comment"] == "changed"
    assert one["result"]["tags"] == patched["tags"]


# ----------------------------------------------------------------- faults


def test_injected_502_is_retried_and_500_is_not(cf: FakeCloudflare) -> None:
    """Provider quirk: only 502/503 are retried; other 5xx fail at once."""
    seed_zone(cf)
    cf.inject("GET", r"/dns_records$", status=502)
    zone, _ = populated(make_provider(cf, pagerules=False))
    assert len(zone.records) == 15
    assert [r["status"] for r in cf.requests if "dns_records" in r["path"]] == [502, 200]

    cf.inject("GET", r"/dns_records$", status=500)
    with pytest.raises(requests.HTTPError):
        populated(make_provider(cf, pagerules=False))
    assert cf.requests[-1]["status"] == 500


def test_injected_429_with_retry_after(cf: FakeCloudflare) -> None:
    """Injected 429s carry Retry-After and count as rate limited."""
    cf.inject(path_regex="^/zones$", status=429, retry_after=7)
    resp = api(cf, "GET", "/zones")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "7"
    assert error_codes(resp) == [971]
    assert cf.rate_limited == 1
    assert api(cf, "GET", "/zones").status_code == 200


def test_reset_fault_changes_nothing(cf: FakeCloudflare) -> None:
    """A reset write raises ConnectionError and leaves the zone untouched."""
    zone_id = cf.add_zone(ZONE)
    cf.inject("POST", "dns_records", reset=True)
    body = {"type": "A", "name": "www.example.com", "content": "192.0.2.1"}

    with pytest.raises(requests.ConnectionError):
        api(cf, "POST", f"/zones/{zone_id}/dns_records", json=body)

    assert cf.records(ZONE) == []
    assert cf.requests[-1]["status"] is None
    assert api(cf, "POST", f"/zones/{zone_id}/dns_records", json=body).status_code == 200


def test_delay_fault_times_out_with_or_without_applying(cf: FakeCloudflare) -> None:
    """Delays model timeouts; apply=True models a write the client never saw."""
    zone_id = cf.add_zone(ZONE)
    path = f"/zones/{zone_id}/dns_records"
    body = {"type": "A", "name": "www.example.com", "content": "192.0.2.1"}

    cf.inject("POST", "dns_records", delay=0.6)
    with pytest.raises(requests.Timeout):
        requests.post(
            cf.url + path, json=body, timeout=0.2, headers={"Authorization": f"Bearer {cf.token}"}
        )
    deadline = time.monotonic() + 5  # the fake answers 504 once its delay is over
    while not (cf.requests and cf.requests[-1]["status"] == 504) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cf.requests[-1]["status"] == 504
    assert cf.records(ZONE) == []

    cf.inject("POST", "dns_records", delay=0.6, apply=True)
    with pytest.raises(requests.Timeout):
        requests.post(
            cf.url + path, json=body, timeout=0.2, headers={"Authorization": f"Bearer {cf.token}"}
        )
    deadline = time.monotonic() + 3
    while not cf.records(ZONE) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r["content"] for r in cf.records(ZONE)] == ["192.0.2.1"]


def test_faults_match_method_and_path_and_expire(cf: FakeCloudflare) -> None:
    """Only matching requests are faulted, and only `times` of them."""
    cf.add_zone(ZONE)
    records = f"/zones/{cf.zone_id(ZONE)}/dns_records"
    cf.inject("POST", "/dns_records$", status=503, times=2)
    assert api(cf, "GET", records).status_code == 200
    body = {"type": "A", "name": "a.example.com", "content": "192.0.2.1"}
    assert api(cf, "POST", records, json=body).status_code == 503
    assert api(cf, "POST", records, json=body).status_code == 503
    assert api(cf, "POST", records, json=body).status_code == 200
    assert [r["name"] for r in cf.records(ZONE)] == ["a.example.com"]
    with pytest.raises(ValueError, match=r"."):
        cf.inject("GET")


# ------------------------------------------------------- concurrency, props


def test_concurrent_writes_are_all_kept(cf: FakeCloudflare) -> None:
    """The lock serialises handler threads; no write is lost or duplicated."""
    zone_id = cf.add_zone(ZONE)
    statuses: list[int] = []

    def create(n: int) -> None:
        body = {"type": "A", "name": f"h{n}.example.com", "content": "192.0.2.1"}
        statuses.append(api(cf, "POST", f"/zones/{zone_id}/dns_records", json=body).status_code)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert statuses == [200] * 40
    records = cf.records(ZONE)
    assert len({r["id"] for r in records}) == len(records) == 40


@settings(max_examples=20, deadline=None)
@given(total=st.integers(0, 23), per_page=st.integers(5, 9))
def test_pages_partition_the_records(total: int, per_page: int) -> None:
    """Walking pages yields every record once, with consistent result_info."""
    with FakeCloudflare() as fake:
        zone_id = fake.add_zone(ZONE)
        for n in range(total):
            fake.add_record(ZONE, "TXT", f"t{n}", f"v{n}")
        seen: list[str] = []
        pages = max(1, -(-total // per_page))
        for page in range(1, pages + 2):
            resp = api(
                fake,
                "GET",
                f"/zones/{zone_id}/dns_records",
                params={"page": page, "per_page": per_page},
            )
            info = resp.json()["result_info"]
            assert info["total_count"] == total
            assert info["total_pages"] == -(-total // per_page)
            assert info["count"] == len(resp.json()["result"])
            seen += [r["id"] for r in resp.json()["result"]]
        assert seen == [r["id"] for r in fake.records(ZONE)]
