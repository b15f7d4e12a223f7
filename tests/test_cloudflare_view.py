"""Cloudflare as it really is: record metadata, the complete zone view, one batch per zone.

Against the strict local Cloudflare API server (tests/fakes/cloudflare_api.py),
seeded through its own store, never through our code. Plans and applies go
through ``plan.py`` (a subprocess, as a user runs it) or ``providers.planner.engine.Engine``
with config/octodns.yaml and zone files written by ``plan.py add``.

The user's report: a correct ``_autodiscover._tcp`` SRV carrying a ``comment``
and ``tags`` got two identical Updates from octodns-cloudflare's extra changes
(one for the comment, one for the tags); the batch then deleted one record id
twice, Cloudflare refused the whole transaction on every run, and the zone's
conflicts were never removed. An update of an owned record dropped its
comment and tags.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from octodns.provider.plan import Plan
from octodns.record import Delete, Record, Update
from octodns.zone import Zone
from octodns_cloudflare import CloudflareError
from octodns_cloudflare import CloudflareProvider as UpstreamProvider

from providers.cloudflare import CloudflareProvider
from providers.core.errors import UnsafePlanError
from providers.planner.engine import Engine
from tests.fakes.cloudflare_api import FakeCloudflare, record_fields
from tests.helpers import quiet, run_cli

CONFIG = "config/octodns.yaml"
ZONE = "example.com."
PLATFORM = "exchange-2016"
SRV = "_autodiscover._tcp"
SRV_VALUE = "0 0 443 exchange.emailservice.io."  # what `plan.py add` declares for PLATFORM
SRV_TTL = 3600
WRONG_SRV = "10 10 443 old-exchange.example.net."
COMMENT = "Autodiscover for Exchange+; ask the mail team before changing"
TAGS = ["team:mail", "ticket:INC-4711"]

#: (name, type, ttl, value) records nobody may touch; the two wildcards are no
#: Autodiscover conflict. Tests add a URI record too (``seed_uri``): octodns-cloudflare
#: does not support URI at all, and the complete view must still show it.
UNRELATED = [
    ("@", "A", 300, "192.0.2.10"),
    ("@", "MX", 3600, "10 mail.example.com."),
    ("@", "TXT", 300, '"v=spf1 include:spf.protection.outlook.com -all"'),
    ("www", "A", 300, "192.0.2.10"),
    ("mail", "A", 300, "192.0.2.20"),
    ("*", "MX", 300, "10 mail.example.com."),
    ("*", "TXT", 300, '"wildcard text"'),
    ("_sip._tls", "SRV", 300, "100 1 443 sipdir.online.lync.com."),
    ("autoconfig", "CNAME", 300, "autoconfig.example.net."),
]
CONFLICTS = [
    ("*", "A", 300, "192.0.2.30"),
    ("autodiscover", "CNAME", 300, "autodiscover.outlook.com."),
]


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def fake() -> Iterator[FakeCloudflare]:
    with FakeCloudflare(token="cf-view-token") as server:
        yield server


def env(fake: FakeCloudflare) -> dict[str, str]:
    return {"CLOUDFLARE_API_TOKEN": fake.token, "CLOUDFLARE_API_URL": fake.url}


def declare(ws: Path, zone: str = ZONE) -> None:
    """Declare the zone's SRV the way a user does."""
    out = run_cli(
        "add", zone.rstrip("."), "--platform", PLATFORM, "--provider", "cloudflare",
        "--config", CONFIG, cwd=ws,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (ws / f"zones/cloudflare/{zone.rstrip('.')}.yaml").is_file()


def seed(fake: FakeCloudflare, records, zone: str = ZONE, **metadata: Any) -> list[str]:
    """Seed (name, type, ttl, value) records in the API's own shape; returns their ids."""
    ids = []
    for name, rtype, ttl, value in records:
        fields = {"ttl": ttl, **record_fields(rtype, value), **metadata}
        ids.append(fake.add_record(zone.rstrip("."), rtype, name, **fields))
    return ids


def seed_uri(fake: FakeCloudflare, zone: str = ZONE) -> str:
    """A URI record (a type octodns-cloudflare does not support)."""
    data = {"weight": 1, "target": "ftp://ftp.example.com/public"}
    return fake.add_record(zone.rstrip("."), "URI", "_ftp._tcp", data=data, priority=10)


def cli(ws: Path, fake: FakeCloudflare, command: str, *args: str):
    extra = ("--format", "json") if command == "plan" else ()
    return run_cli(
        command, "--config", CONFIG, *quiet(command), *extra, *args, cwd=ws, env=env(fake)
    )


def plan_changes(ws: Path, fake: FakeCloudflare) -> dict[str, set[tuple[str, str, str]]]:
    out = cli(ws, fake, "plan")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    return {
        z["zone"]: {(c["action"], c["name"], c["type"]) for c in z["changes"]}
        for z in report["zones"]
        if z["changes"]
    }


def batches(fake: FakeCloudflare) -> list[dict]:
    return [r for r in fake.requests if r["method"] == "POST" and r["path"].endswith("/batch")]


def assert_no_id_twice(fake: FakeCloudflare) -> None:
    """Every batch sent names each record id at most once (deletes, patches)."""
    for request in batches(fake):
        body = request["body"]
        ids = [i["id"] for kind in ("deletes", "patches") for i in body.get(kind, [])]
        assert len(ids) == len(set(ids)), body


def by_id(fake: FakeCloudflare, zone: str = ZONE) -> dict[str, dict]:
    return {r["id"]: r for r in fake.records(zone.rstrip("."))}


def owned_srv(fake: FakeCloudflare, zone: str = ZONE) -> list[dict]:
    name = f"{SRV}.{zone.rstrip('.')}"
    return [r for r in fake.records(zone.rstrip(".")) if (r["name"], r["type"]) == (name, "SRV")]


def srv_text(record: dict) -> str:
    d = record["data"]
    return f"{d['priority']} {d['weight']} {d['port']} {d['target']}."


def provider_for(fake: FakeCloudflare) -> CloudflareProvider:
    return CloudflareProvider("cloudflare", token=fake.token, api_url=fake.url, retry_period=0.01)


# ------------------------------------------------- metadata never plans


def test_upstream_extra_changes_are_the_source_of_the_duplicates(fake: FakeCloudflare):
    """Where the user's failure came from: octodns-cloudflare 1.2.0 adds one Update for the
    differing comment and one for the differing tags, the same Update twice; ours adds none."""
    fake.add_zone(ZONE)
    seed(fake, [(SRV, "SRV", SRV_TTL, SRV_VALUE)], comment=COMMENT, tags=TAGS)
    provider = provider_for(fake)
    existing = Zone(ZONE, [])
    assert provider.populate(existing, target=True) is True
    (live,) = existing.records
    assert live.octodns["cloudflare"] == {"comment": COMMENT, "tags": TAGS}
    desired = Zone(ZONE, [])
    value = dict(zip(("priority", "weight", "port", "target"), SRV_VALUE.split(), strict=True))
    desired.add_record(Record.new(desired, SRV, {"type": "SRV", "ttl": SRV_TTL, "value": value}))

    upstream = UpstreamProvider._extra_changes(provider, existing, desired, [])
    assert [type(c).__name__ for c in upstream] == ["Update", "Update"]
    assert {(c.record.name, c.record._type) for c in upstream} == {(SRV, "SRV")}
    assert provider._extra_changes(existing, desired, []) == []
    assert provider.plan(desired) is None


def test_correct_srv_with_comment_and_tags_plans_nothing(fake: FakeCloudflare, ws: Path):
    fake.add_zone(ZONE)
    seed(fake, UNRELATED)
    seed(fake, [(SRV, "SRV", SRV_TTL, SRV_VALUE)], comment=COMMENT, tags=TAGS)
    seed_uri(fake)
    declare(ws)
    before = by_id(fake)

    assert plan_changes(ws, fake) == {}
    fake.reset_log()
    out = cli(ws, fake, "apply")
    assert out.returncode == 0, out.stderr
    assert "\napplied " not in "\n" + out.stdout
    assert fake.writes() == [], "a correct SRV with metadata is written again"
    assert by_id(fake) == before
    again = cli(ws, fake, "plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr


def test_auto_ttl_srv_serving_the_declared_ttl_plans_nothing(fake: FakeCloudflare, ws: Path):
    """Automatic TTL (ttl 1) serves 300 s: declared 300 s is no change; 3600 s is one Update."""
    fake.add_zone(ZONE)
    seed(fake, [(SRV, "SRV", 1, SRV_VALUE)], comment=COMMENT, tags=TAGS)
    declare(ws)
    path = ws / "zones/cloudflare/example.com.yaml"
    path.write_text(path.read_text().replace("ttl: 3600", "ttl: 300"))
    assert plan_changes(ws, fake) == {}

    path.write_text(path.read_text().replace("ttl: 300", "ttl: 3600"))
    assert plan_changes(ws, fake) == {ZONE: {("update", SRV, "SRV")}}
    fake.reset_log()
    assert cli(ws, fake, "apply").returncode == 0
    (srv,) = owned_srv(fake)
    assert (srv["ttl"], srv["comment"], srv["tags"]) == (SRV_TTL, COMMENT, TAGS)
    assert_no_id_twice(fake)
    assert plan_changes(ws, fake) == {}


def test_srv_with_metadata_and_conflicts_applies_in_one_batch_and_replans_empty(
    fake: FakeCloudflare, ws: Path
):
    """The user's zone: correct SRV with comment and tags plus conflicts. One batch deletes
    each conflict once; the SRV and every other record stay exactly as they were."""
    fake.add_zone(ZONE)
    seed(fake, UNRELATED)
    (srv_id,) = seed(fake, [(SRV, "SRV", SRV_TTL, SRV_VALUE)], comment=COMMENT, tags=TAGS)
    conflict_ids = seed(fake, CONFLICTS, comment="legacy hosting panel", tags=["source:panel"])
    seed_uri(fake)
    declare(ws)
    before = by_id(fake)

    assert plan_changes(ws, fake) == {
        ZONE: {("delete", "*", "A"), ("delete", "autodiscover", "CNAME")}
    }
    fake.reset_log()
    out = cli(ws, fake, "apply")
    assert out.returncode == 0, out.stderr
    assert f"applied {ZONE} at cloudflare: 2 change(s)" in out.stdout

    (batch,) = batches(fake)
    assert batch["status"] == 200
    assert batch["body"] == {"deletes": [{"id": i} for i in conflict_ids]}
    assert [w["path"] for w in fake.writes()] == [batch["path"]]
    assert_no_id_twice(fake)
    after = by_id(fake)
    assert set(before) - set(after) == set(conflict_ids)
    assert after == {k: v for k, v in before.items() if k not in conflict_ids}
    assert after[srv_id]["comment"] == COMMENT
    assert after[srv_id]["tags"] == TAGS
    assert plan_changes(ws, fake) == {}


# ------------------------------------------------------- updates keep metadata


def test_srv_update_keeps_its_id_comment_and_tags(fake: FakeCloudflare, ws: Path):
    fake.add_zone(ZONE)
    seed(fake, UNRELATED)
    (srv_id,) = seed(fake, [(SRV, "SRV", 300, WRONG_SRV)], comment=COMMENT, tags=TAGS)
    conflict_ids = seed(fake, CONFLICTS)
    declare(ws)
    before = by_id(fake)

    assert plan_changes(ws, fake) == {
        ZONE: {("update", SRV, "SRV"), ("delete", "*", "A"), ("delete", "autodiscover", "CNAME")}
    }
    fake.reset_log()
    assert cli(ws, fake, "apply").returncode == 0

    (batch,) = batches(fake)
    body = batch["body"]
    assert set(body) == {"deletes", "patches"}
    assert sorted(d["id"] for d in body["deletes"]) == sorted(conflict_ids)
    (patch,) = body["patches"]
    assert patch["id"] == srv_id
    assert "comment" not in patch
    assert "tags" not in patch
    assert_no_id_twice(fake)

    (srv,) = owned_srv(fake)  # read back from the server
    assert srv["id"] == srv_id
    assert (srv_text(srv), srv["ttl"]) == (SRV_VALUE, SRV_TTL)
    assert (srv["comment"], srv["tags"]) == (COMMENT, TAGS)
    assert srv["created_on"] == before[srv_id]["created_on"]
    after = by_id(fake)
    untouched = set(before) - set(conflict_ids) - {srv_id}
    assert {k: after[k] for k in untouched} == {k: before[k] for k in untouched}
    assert plan_changes(ws, fake) == {}


def test_srv_rrset_update_keeps_the_live_value_and_deletes_the_rest(fake: FakeCloudflare, ws: Path):
    """A value already live keeps its record untouched; the others are deleted once each."""
    fake.add_zone(ZONE)
    right_id, *wrong_ids = seed(
        fake,
        [(SRV, "SRV", SRV_TTL, v) for v in (SRV_VALUE, WRONG_SRV, "20 0 443 other.example.net.")],
        comment=COMMENT,
        tags=TAGS,
    )
    declare(ws)
    before = by_id(fake)

    assert plan_changes(ws, fake) == {ZONE: {("update", SRV, "SRV")}}
    fake.reset_log()
    assert cli(ws, fake, "apply").returncode == 0
    (batch,) = batches(fake)
    assert batch["body"] == {"deletes": [{"id": i} for i in wrong_ids]}
    assert_no_id_twice(fake)
    assert by_id(fake) == {right_id: before[right_id]}
    assert plan_changes(ws, fake) == {}


def test_cname_at_the_srv_name_becomes_an_srv_in_one_batch(fake: FakeCloudflare, ws: Path):
    """Create after Delete at one name: the post is new (no metadata borrowed across types)."""
    fake.add_zone(ZONE)
    (cname_id,) = seed(
        fake, [(SRV, "CNAME", 300, "srv.old-host.example.net.")], comment=COMMENT, tags=TAGS
    )
    declare(ws)

    assert plan_changes(ws, fake) == {ZONE: {("delete", SRV, "CNAME"), ("create", SRV, "SRV")}}
    fake.reset_log()
    assert cli(ws, fake, "apply").returncode == 0
    (batch,) = batches(fake)
    assert batch["body"]["deletes"] == [{"id": cname_id}]
    assert_no_id_twice(fake)
    (post,) = batch["body"]["posts"]
    assert post["type"] == "SRV"
    assert "comment" not in post
    assert "tags" not in post
    (srv,) = owned_srv(fake)
    assert (srv_text(srv), srv["comment"], srv["tags"]) == (SRV_VALUE, None, [])
    assert plan_changes(ws, fake) == {}


# ------------------------------------------------ one change, one id, per batch


def _srv_zone(zone: Zone, values: list[str], ttl: int = SRV_TTL) -> Record:
    keys = ("priority", "weight", "port", "target")
    data = [dict(zip(keys, v.split(), strict=True)) for v in values]
    return Record.new(zone, SRV, {"type": "SRV", "ttl": ttl, "values": data})


def test_duplicate_changes_reach_the_batch_once_and_conflicting_ones_are_refused(
    fake: FakeCloudflare,
):
    """Defence in depth: even a plan holding the same Update twice (as upstream made it)
    yields one patch; two different changes to one (name, type) are refused."""
    fake.add_zone(ZONE)
    (srv_id,) = seed(fake, [(SRV, "SRV", 300, WRONG_SRV)], comment=COMMENT, tags=TAGS)
    (cname_id,) = seed(fake, [CONFLICTS[1]])
    provider = provider_for(fake)
    existing = Zone(ZONE, [])
    provider.populate(existing, target=True)
    live = {(r.name, r._type): r for r in existing.records}
    desired = Zone(ZONE, [])
    new = _srv_zone(desired, [SRV_VALUE])
    desired.add_record(new)
    old = live[(SRV, "SRV")]
    cname = live[("autodiscover", "CNAME")]

    changes = [Update(old, new), Update(old, new), Delete(cname), Delete(cname)]
    body = provider._batch_body(Plan(existing, desired, changes, True))
    assert body["deletes"] == [{"id": cname_id}]
    assert [p["id"] for p in body["patches"]] == [srv_id]
    assert "posts" not in body

    other = _srv_zone(desired, [WRONG_SRV, SRV_VALUE])
    with pytest.raises(UnsafePlanError, match="two different changes"):
        provider._batch_body(Plan(existing, desired, [Update(old, new), Update(old, other)], True))


def test_old_batch_shape_is_refused_by_the_server(fake: FakeCloudflare):
    """What the user saw: a batch deleting one id twice fails as a whole, every time."""
    fake.add_zone(ZONE)
    (srv_id,) = seed(fake, [(SRV, "SRV", 300, WRONG_SRV)], comment=COMMENT, tags=TAGS)
    (cname_id,) = seed(fake, [CONFLICTS[1]])
    provider = provider_for(fake)
    before = fake.records(ZONE.rstrip("."))
    post = {
        "type": "SRV",
        "name": f"{SRV}.example.com",
        "ttl": SRV_TTL,
        **record_fields("SRV", SRV_VALUE),
    }
    body = {"deletes": [{"id": cname_id}, {"id": srv_id}, {"id": srv_id}], "posts": [post, post]}

    with pytest.raises(CloudflareError, match=rf"deletes\[2\]: Record does not exist .*{srv_id}"):
        provider._try_request("POST", f"/zones/{fake.zone_id(ZONE)}/dns_records/batch", data=body)
    assert fake.records(ZONE.rstrip(".")) == before


# --------------------------------------------------------- the complete view


def test_live_view_holds_every_record_type_from_the_one_read(
    fake: FakeCloudflare, ws: Path, monkeypatch
):
    """Planned through the Engine: the view has every (owner, type) the API listed,
    unsupported types (URI) included, and cost no request beyond upstream's reads."""
    fake.add_zone(ZONE)
    seed(fake, UNRELATED + CONFLICTS)
    seed(fake, [(SRV, "SRV", SRV_TTL, SRV_VALUE)], comment=COMMENT, tags=TAGS)
    seed_uri(fake)
    declare(ws)
    for key, value in env(fake).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID", raising=False)
    fake.reset_log()

    engine = Engine.open(Path(CONFIG), progress=False)
    result = engine.plan()
    provider = engine.manager.providers["cloudflare"]
    assert isinstance(provider, CloudflareProvider)
    view = provider.live_zone(ZONE)
    relative = {
        (r["name"].removesuffix("example.com").rstrip("."), r["type"])
        for r in fake.records(ZONE.rstrip("."))
    }
    assert {(name, t) for name, types in view.nodes.items() for t in types} == relative
    assert view.types("_ftp._tcp") == {"URI"}
    assert "URI" not in provider.SUPPORTS
    assert view.types("*") == {"A", "MX", "TXT"}
    assert view.exists("_tcp")
    assert not view.exists("nothing-here")
    counts = Counter((r["method"], r["path"]) for r in fake.requests)
    assert counts == Counter(
        {("GET", "/zones"): 1, ("GET", f"/zones/{fake.zone_id(ZONE)}/dns_records"): 1}
    )
    (plan,) = [p for _, p in result.plans]
    assert {(type(c).__name__, c.record.name, c.record._type) for c in plan.changes} == {
        ("Delete", "*", "A"),
        ("Delete", "autodiscover", "CNAME"),
    }


def test_live_view_of_a_missing_and_of_an_empty_zone(fake: FakeCloudflare):
    fake.add_zone("empty.example")
    provider = provider_for(fake)

    assert provider.populate(Zone("missing.example.", []), target=True) is False
    assert provider.live_zone("missing.example.") is None
    assert provider.populate(Zone("empty.example.", []), target=True) is True
    assert provider.live_zone("empty.example.").nodes == {}
    with pytest.raises(KeyError):
        provider.live_zone("never-populated.example.")
