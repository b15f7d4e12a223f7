"""Route53 as it really is: routing-policy sets, alias records, split horizon, the live view.

Every test runs against the moto server (tests/servers/route53.py), whose DELETEs
behave as Route53's: each must name one existing record set with all its values,
SetIdentifier and routing fields, or the whole batch is refused. Zones are seeded
and read back with plain boto3; plans and applies go through ``plan.py`` in a
subprocess (or :class:`providers.planner.engine.Engine`) with ``config/octodns.yaml``
and a zone file in ``zones/route53/``, as a user runs them. The ChangeBatches the
CLI sends are captured in the server (it runs in this process).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.helpers import one_error_line, quiet, run_cli
from tests.provider_cases import (
    CONFLICTS,
    EXPECTED,
    PLATFORM,
    SRV_NAME,
    SRV_TARGET,
    SRV_TTL,
    SRV_VALUE,
    UNRELATED,
    WRONG_SRV,
)
from tests.servers.route53 import alias_set, routed_set

# octoDNS warns when it prints a Route53 alias value (octodns-route53's, not ours)
pytestmark = pytest.mark.filterwarnings(
    "ignore:`_Route53AliasValue.rdata_text` is DEPRECATED:DeprecationWarning"
)

CONFIG = "config/octodns.yaml"
COM, NET = "example.com.", "example.net."
CLOUDFRONT = ("d111111abcdef8.cloudfront.net.", "Z2FDTNDATAQYW2")
ELB = ("dualstack.web-1234567890.us-east-1.elb.amazonaws.com.", "Z35SXDOTRQ7X7K")
#: an alias target octodns-route53 does not know as an AWS service (App Runner)
APPRUNNER = ("abcdefghij.us-east-1.awsapprunner.com.", "Z01915732ZBZKC8D32TPT")
PLAIN_SRV = {
    "Name": f"{SRV_NAME}.{COM}",
    "Type": "SRV",
    "TTL": SRV_TTL,
    "ResourceRecords": [{"Value": SRV_VALUE}],
}


# ------------------------------------------------------------------- helpers


def declare(ws: Path, zones: list[str]) -> None:
    for zone in zones:
        out = run_cli(
            "add", zone.rstrip("."), "--platform", PLATFORM, "--provider", "route53",
            "--config", CONFIG, cwd=ws,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr


def cli(ws: Path, env: dict[str, str], command: str, *args: str):
    return run_cli(command, "--config", CONFIG, *quiet(command), *args, cwd=ws, env=env)


def plan_json(ws: Path, env: dict[str, str], *zones: str) -> dict:
    out = cli(ws, env, "plan", "--format", "json", *zones)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def changes(report: dict, zone: str) -> dict[tuple[str, str, str], dict]:
    entry = next(z for z in report["zones"] if z["zone"] == zone)
    return {(c["action"], c["name"], c["type"]): c for c in entry["changes"]}


def converged(ws: Path, env: dict[str, str]) -> None:
    again = cli(ws, env, "plan", "--format", "json", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["summary"]["zones_with_changes"] == 0


def key(rrset: dict) -> tuple[str, str]:
    """(owner with `\\052` read as `*`, DNS type) of a listed set."""
    return rrset["Name"].replace("\\052", "*"), rrset["Type"]


def split(rrsets: list[dict], touched: set[tuple[str, str]]):
    """(sets at the touched (owner, type) pairs, every other set), as listed."""
    hit = [r for r in rrsets if key(r) in touched]
    return hit, [r for r in rrsets if key(r) not in touched]


def by_set(rrsets) -> list[dict]:
    return sorted(rrsets, key=lambda r: (*key(r), r.get("SetIdentifier", "")))


class Batches:
    """Every ChangeResourceRecordSets call the server gets: (zone id, [changes])."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from moto.route53.responses import Route53 as MotoResponses

        self.calls: list[tuple[str, list[dict]]] = []
        original = MotoResponses.change_resource_record_sets

        def spy(responses):
            zone_id = responses._get_param("HostedZoneId").rsplit("/", 1)[-1]
            batch = copy.deepcopy(responses._get_param("ChangeBatch.Changes"))
            self.calls.append((zone_id, batch))
            return original(responses)

        monkeypatch.setattr(MotoResponses, "change_resource_record_sets", spy)

    def one(self, zone_id: str) -> list[dict]:
        batches = [batch for zid, batch in self.calls if zid == zone_id]
        assert len(batches) == 1, f"{len(batches)} batches for {zone_id}"
        return batches[0]


def actions(batch: list[dict], action: str) -> list[dict]:
    return by_set(c["ResourceRecordSet"] for c in batch if c["Action"] == action)


def seed(r53, zone: str, sets: list[dict], plain=UNRELATED) -> str:
    zone_id = r53.create_zone(zone)
    if plain:
        r53.add_records(zone_id, plain)
    if sets:
        r53.add_sets(zone_id, sets)
    return zone_id


# ------------------------------------------------- weighted SRV at the SRV name


def test_weighted_srv_sets_are_all_planned_and_replaced_in_one_batch(moto_route53, ws, monkeypatch):
    """Two weighted SRV sets, one right and one sending half of the answers to the old
    server: the plan shows both; apply deletes both sets as they are and creates the
    declared plain SRV in one batch; every other set is byte-identical."""
    r53 = moto_route53
    zone_id = seed(r53, COM, [
        routed_set(SRV_NAME, "SRV", SRV_TTL, [SRV_VALUE], "current", Weight=50),
        routed_set(SRV_NAME, "SRV", 300, [WRONG_SRV], "old", Weight=50),
        # not ours: the same SetIdentifiers at another name, an alias
        routed_set("www2", "A", 60, ["192.0.2.61"], "current", Weight=50),
        routed_set("www2", "A", 60, ["192.0.2.62"], "old", Weight=50),
        alias_set("cdn", "A", *CLOUDFRONT),
    ])  # fmt: skip
    declare(ws, [COM])
    srv_key = (f"{SRV_NAME}.{COM}", "SRV")
    before_srv, before_other = split(r53.records(zone_id), {srv_key})
    assert len(before_srv) == 2

    report = plan_json(ws, r53.env)
    planned = changes(report, COM)
    assert set(planned) == {("update", SRV_NAME, "SRV")}
    srv = planned[("update", SRV_NAME, "SRV")]
    assert {v["target"] for v in srv["before"]["values"]} == {
        SRV_TARGET,
        "old-exchange.example.net.",
    }
    assert srv["before"]["octodns"]["route53"]["record_sets"] == by_set(before_srv)
    assert srv["after"]["value"] == {"port": 443, "priority": 0, "target": SRV_TARGET, "weight": 0}
    text = cli(ws, r53.env, "plan", "--format", "text")
    assert text.returncode == 0, text.stderr
    was = next(line for line in text.stdout.splitlines() if "was:" in line)
    assert SRV_TARGET in was, text.stdout
    assert "old-exchange.example.net." in was, text.stdout
    assert "in 2 Route53 record sets" in was, was
    for rrset in before_srv:
        assert f"'{rrset['SetIdentifier']}' (Weight {rrset['Weight']})" in was, was

    batches = Batches(monkeypatch)
    out = cli(ws, r53.env, "apply")
    assert out.returncode == 0, out.stderr
    assert f"applied {COM} at route53: 1 change(s)" in out.stdout
    batch = batches.one(zone_id)
    assert actions(batch, "DELETE") == by_set(before_srv), "each set deleted as it is"
    assert actions(batch, "CREATE") == [PLAIN_SRV]
    assert len(batch) == 3

    after_srv, after_other = split(r53.records(zone_id), {srv_key})
    assert after_srv == [PLAIN_SRV]
    assert after_other == before_other
    converged(ws, r53.env)


def test_weighted_srv_sets_all_right_but_one_ttl_are_rewritten(moto_route53, ws, monkeypatch):
    """Every weighted set already answers the declared SRV, but one with another TTL: the
    union equals the declaration, yet the sets are replaced by the plain SRV."""
    r53 = moto_route53
    zone_id = seed(r53, COM, [
        routed_set(SRV_NAME, "SRV", SRV_TTL, [SRV_VALUE], "a", Weight=50),
        routed_set(SRV_NAME, "SRV", 300, [SRV_VALUE], "b", Weight=50),
    ], plain=[])  # fmt: skip
    declare(ws, [COM])
    assert set(changes(plan_json(ws, r53.env), COM)) == {("update", SRV_NAME, "SRV")}
    out = cli(ws, r53.env, "apply")
    assert out.returncode == 0, out.stderr
    assert split(r53.records(zone_id), {(f"{SRV_NAME}.{COM}", "SRV")})[0] == [PLAIN_SRV]
    converged(ws, r53.env)


# --------------------------------------- routing-policy address sets are conflicts


def test_routed_address_sets_are_deleted_set_by_set(moto_route53, ws, monkeypatch):
    """Weighted A and geolocation AAAA at autodiscover (example.com.), failover A with a
    health check at autodiscover and multivalue A / latency AAAA at `*` (example.net.):
    each conflict is planned with all its sets and deleted set by set, SetIdentifier and
    routing fields included; the same SetIdentifiers at other names, the health check
    and everything else stay."""
    r53 = moto_route53
    check = r53.create_health_check("192.0.2.11")
    com = seed(r53, COM, [
        routed_set("autodiscover", "A", 60, ["192.0.2.1"], "w1", Weight=10),
        routed_set("autodiscover", "A", 60, ["192.0.2.2"], "w2", Weight=90),
        # SetIdentifiers shaped like octodns-route53's own rule sets: still plain sets
        routed_set("autodiscover", "AAAA", 60, ["2001:db8::1"], "0-eu-EU",
                   GeoLocation={"ContinentCode": "EU"}),
        routed_set("autodiscover", "AAAA", 60, ["2001:db8::2"], "1-us-None",
                   GeoLocation={"CountryCode": "*"}),
        routed_set("www2", "A", 60, ["192.0.2.61"], "w1", Weight=10),
        routed_set("www2", "A", 60, ["192.0.2.62"], "w2", Weight=90),
    ])  # fmt: skip
    net = seed(r53, NET, [
        routed_set("autodiscover", "A", 60, ["192.0.2.11"], "primary", Failover="PRIMARY",
                   HealthCheckId=check),
        routed_set("autodiscover", "A", 60, ["192.0.2.12"], "secondary", Failover="SECONDARY"),
        routed_set("*", "A", 300, ["192.0.2.31"], "m1", MultiValueAnswer=True),
        routed_set("*", "A", 300, ["192.0.2.32"], "m2", MultiValueAnswer=True),
        routed_set("*", "AAAA", 300, ["2001:db8::31"], "use1", Region="us-east-1"),
        routed_set("*", "AAAA", 300, ["2001:db8::32"], "euw1", Region="eu-west-1"),
        routed_set("api", "AAAA", 300, ["2001:db8::41"], "use1", Region="us-east-1"),
        # a weighted CNAME hides the SRV (RFC 1034): one value shown, both sets deleted
        routed_set(SRV_NAME, "CNAME", 300, ["old-a.example.org."], "a", Weight=1),
        routed_set(SRV_NAME, "CNAME", 300, ["old-b.example.org."], "b", Weight=1),
    ])  # fmt: skip
    declare(ws, [COM, NET])
    touched = {
        COM: {(f"autodiscover.{COM}", "A"), (f"autodiscover.{COM}", "AAAA")},
        NET: {(f"autodiscover.{NET}", "A"), (f"*.{NET}", "A"), (f"*.{NET}", "AAAA"),
              (f"{SRV_NAME}.{NET}", "CNAME")},
    }  # fmt: skip
    ids = {COM: com, NET: net}
    before = {zone: split(r53.records(ids[zone]), touched[zone]) for zone in ids}

    report = plan_json(ws, r53.env)
    assert set(changes(report, COM)) == {
        ("delete", "autodiscover", "A"),
        ("delete", "autodiscover", "AAAA"),
        ("create", SRV_NAME, "SRV"),
    }
    assert set(changes(report, NET)) == {
        ("delete", "autodiscover", "A"),
        ("delete", "*", "A"),
        ("delete", "*", "AAAA"),
        ("delete", SRV_NAME, "CNAME"),
        ("create", SRV_NAME, "SRV"),
    }
    cname = changes(report, NET)[("delete", SRV_NAME, "CNAME")]["before"]
    assert cname["value"] == "old-a.example.org."
    assert len(cname["octodns"]["route53"]["record_sets"]) == 2
    weighted = changes(report, COM)[("delete", "autodiscover", "A")]["before"]
    assert sorted(weighted["values"]) == ["192.0.2.1", "192.0.2.2"]
    assert [s["SetIdentifier"] for s in weighted["octodns"]["route53"]["record_sets"]] == [
        "w1",
        "w2",
    ]
    failover = changes(report, NET)[("delete", "autodiscover", "A")]
    assert "192.0.2.11 192.0.2.12" in failover["reason"], failover  # both sets named

    batches = Batches(monkeypatch)
    out = cli(ws, r53.env, "apply")
    assert out.returncode == 0, out.stderr
    for zone, zone_id in ids.items():
        batch = batches.one(zone_id)
        deleted = actions(batch, "DELETE")
        assert deleted == by_set(before[zone][0]), zone  # the listed sets, nothing else
        assert all("SetIdentifier" in rrset for rrset in deleted)
        assert actions(batch, "CREATE") == [dict(PLAIN_SRV, Name=f"{SRV_NAME}.{zone}")], zone
        hit, other = split(r53.records(zone_id), touched[zone] | {(f"{SRV_NAME}.{zone}", "SRV")})
        assert hit == [dict(PLAIN_SRV, Name=f"{SRV_NAME}.{zone}")]
        assert other == before[zone][1], zone
    assert check in r53.health_check_ids(), "the health check is the user's: kept"
    converged(ws, r53.env)


# ------------------------------------------------------------- alias records


def test_alias_records_at_autodiscover_and_wildcard_are_deleted_exactly(
    moto_route53, ws, monkeypatch
):
    """An alias A+AAAA at autodiscover (CloudFront) and an alias A at `*` (a record of the
    zone) are Route53Provider/ALIAS conflicts: deleted as they are listed; aliases at
    other names (an ELB, a target octodns-route53 does not know) stay."""
    from providers.core.ownership import ADDRESS_TYPES

    assert "Route53Provider/ALIAS" in ADDRESS_TYPES
    r53 = moto_route53
    zone_id = seed(r53, COM, [
        alias_set("autodiscover", "A", *CLOUDFRONT),
        alias_set("autodiscover", "AAAA", *CLOUDFRONT),
        alias_set("*", "A", f"www.{COM}", None, evaluate=True),
        alias_set("lb", "A", *ELB, evaluate=True),
        alias_set("app", "A", *APPRUNNER),
    ])  # fmt: skip
    declare(ws, [COM])
    touched = {
        (f"autodiscover.{COM}", "A"),
        (f"autodiscover.{COM}", "AAAA"),
        (f"*.{COM}", "A"),
        (f"{SRV_NAME}.{COM}", "SRV"),
    }
    before_hit, before_other = split(r53.records(zone_id), touched)

    report = plan_json(ws, r53.env)
    planned = changes(report, COM)
    assert set(planned) == {
        ("delete", "autodiscover", "Route53Provider/ALIAS"),
        ("delete", "*", "Route53Provider/ALIAS"),
        ("create", SRV_NAME, "SRV"),
    }
    host = planned[("delete", "autodiscover", "Route53Provider/ALIAS")]["before"]
    assert sorted((v["type"], v["name"]) for v in host["values"]) == [
        ("A", CLOUDFRONT[0]),
        ("AAAA", CLOUDFRONT[0]),
    ]
    wildcard = planned[("delete", "*", "Route53Provider/ALIAS")]
    assert wildcard["before"]["value"]["name"] == "www"
    assert "autodiscover.example.com" in wildcard["reason"]

    batches = Batches(monkeypatch)
    out = cli(ws, r53.env, "apply")
    assert out.returncode == 0, out.stderr
    batch = batches.one(zone_id)
    assert actions(batch, "DELETE") == by_set(before_hit)
    hit, other = split(r53.records(zone_id), touched)
    assert hit == [PLAIN_SRV]
    assert other == before_other
    converged(ws, r53.env)


# ------------------------------------------ octoDNS dynamic records stay upstream's


def test_octodns_dynamic_records_are_left_to_octodns_route53(moto_route53, ws, monkeypatch):
    """Dynamic records written by octodns-route53 (sets at `_octodns-*` names, geo rule
    sets aliased to them, SetIdentifiers like `0-eu-EU`) are read back as those dynamic
    records, not as routing-policy sets of ours: at autodiscover octodns-route53 deletes
    its own sets (all of them, exactly), at another name nothing is touched."""
    from octodns.record import Record
    from octodns.zone import Zone
    from octodns_route53 import Route53Provider as Upstream

    from providers.route53 import Route53Provider

    r53 = moto_route53
    zone_id = r53.create_zone(COM)
    upstream = Upstream("upstream")
    desired = Zone(COM, [])
    for name in ("dyn", "autodiscover"):
        desired.add_record(Record.new(desired, name, {
            "type": "A", "ttl": 60, "values": ["192.0.2.9"],
            "dynamic": {
                "pools": {"eu": {"values": [{"value": "192.0.2.1", "status": "up"}]},
                          "us": {"values": [{"value": "192.0.2.2", "status": "up"}]}},
                "rules": [{"geos": ["EU"], "pool": "eu"}, {"pool": "us"}],
            },
        }))  # fmt: skip
    upstream.apply(upstream.plan(desired))

    def sets_of(name: str) -> list[dict]:
        fqdn = f"{name}.{COM}"
        return [
            r for r in r53.records(zone_id) if r["Name"] == fqdn or r["Name"].endswith(f".{fqdn}")
        ]

    kept = sets_of("dyn")
    assert len(kept) == 9
    assert len(sets_of("autodiscover")) == 9
    assert {"0-eu-EU", "eu-000"} <= {r.get("SetIdentifier") for r in kept}

    ours = Route53Provider("route53")
    existing = Zone(COM, [])
    assert ours.populate(existing, target=True, lenient=True)
    records = {r.name: r for r in existing.records}
    for name in ("dyn", "autodiscover"):
        assert records[name].dynamic, name
        assert not records[name].octodns, name
    groups = ours.record_sets(existing, r53.records(zone_id))
    assert {name for name, _ in groups} == {""}, "only the apex NS is a plain record here"

    declare(ws, [COM])
    report = plan_json(ws, r53.env)
    assert set(changes(report, COM)) == {
        ("delete", "autodiscover", "A"),
        ("create", SRV_NAME, "SRV"),
    }
    out = cli(ws, r53.env, "apply")
    assert out.returncode == 0, out.stderr
    assert sets_of("dyn") == kept
    assert sets_of("autodiscover") == []
    assert [r for r in r53.records(zone_id) if r["Name"] == f"autodiscover.{COM}"] == []
    converged(ws, r53.env)


# ------------------------------------------------------------- split horizon


@pytest.mark.parametrize("private_zones", [False, True])
def test_split_horizon_changes_only_the_configured_kind(
    moto_route53, ws, monkeypatch, private_zones: bool
):
    """A public and a private hosted zone named example.com. (and another such pair, and
    two public zones of one name, none of them declared): the run works; by default only
    the public zone is read and changed, with ``private_zones: true`` only the private."""
    r53 = moto_route53
    public = r53.create_zone(COM)
    private = r53.create_private_zone(COM)
    for zone_id in (public, private):
        r53.add_records(zone_id, UNRELATED + CONFLICTS[COM])
    r53.create_zone("internal.example.")
    r53.create_private_zone("internal.example.")
    r53.create_zone("twice.example.")
    r53.create_zone("twice.example.")
    if private_zones:
        config = ws / CONFIG
        text = config.read_text()
        marker = "    class: providers.route53.Route53Provider\n"
        assert marker in text
        config.write_text(text.replace(marker, marker + "    private_zones: true\n"))
    declare(ws, [COM])
    changed, kept = (private, public) if private_zones else (public, private)
    kept_before = r53.records(kept)

    report = plan_json(ws, r53.env)
    assert set(changes(report, COM)) == EXPECTED[COM]
    batches = Batches(monkeypatch)
    out = cli(ws, r53.env, "apply")
    assert out.returncode == 0, out.stderr
    assert f"applied {COM} at route53: 3 change(s)" in out.stdout
    assert [zone_id for zone_id, _ in batches.calls] == [changed]
    # plain sets are changed by octodns-route53 as before: an UPSERT, plain DELETEs
    assert sorted((c["Action"], c["ResourceRecordSet"]["Type"]) for c in batches.one(changed)) == [
        ("DELETE", "A"),
        ("DELETE", "CNAME"),
        ("UPSERT", "SRV"),
    ]
    assert r53.records(kept) == kept_before, "the other zone of the split horizon is untouched"
    srv = [r for r in r53.records(changed) if key(r) == (f"{SRV_NAME}.{COM}", "SRV")]
    assert srv == [PLAIN_SRV]
    converged(ws, r53.env)


def test_two_public_zones_of_a_declared_name_is_one_clear_line(moto_route53, ws):
    r53 = moto_route53
    first = r53.create_zone(COM)
    second = r53.create_zone(COM)
    before = [r53.records(first), r53.records(second)]
    declare(ws, [COM])
    for command in ("plan", "apply"):
        out = cli(ws, r53.env, command)
        assert out.returncode == 1, out.stdout + out.stderr
        line = one_error_line(out.stderr)
        assert "several public hosted zones named example.com." in line, line
    assert [r53.records(first), r53.records(second)] == before


# ------------------------------------------------------------- the live view


def test_live_view_holds_every_type_alias_and_routed_set(moto_route53, ws, monkeypatch):
    """The view the policy decides from: every owner and type the hosted zone serves,
    types octodns-route53 does not read (TLSA, SSHFP, HTTPS) and alias sets (as their
    DNS type) included, `\\052` read as `*`; a missing zone is None."""
    from providers.planner.engine import Engine
    from providers.route53 import Route53Provider

    r53 = moto_route53
    zone_id = seed(r53, COM, [
        alias_set("*", "A", f"www.{COM}", None),
        alias_set("autodiscover", "AAAA", *CLOUDFRONT),
        routed_set("w", "A", 60, ["192.0.2.71"], "one", Weight=1),
        routed_set("w", "A", 60, ["192.0.2.72"], "two", Weight=1),
    ], plain=[
        ("_443._tcp.autodiscover", "TLSA", 300, ["3 1 1 " + "ab" * 32]),
        ("host1", "SSHFP", 300, ["4 2 " + "cd" * 32]),
        ("svc", "HTTPS", 300, ['1 . alpn="h2"']),
        ("\\052.sub2", "A", 300, ["192.0.2.80"]),
        ("*", "MX", 300, ["10 mail.example.com."]),
        (SRV_NAME, "SRV", SRV_TTL, [SRV_VALUE]),
    ])  # fmt: skip
    assert any(r["Name"].startswith("\\052.sub2") for r in r53.records(zone_id))
    declare(ws, [COM])
    for name, value in r53.env.items():
        monkeypatch.setenv(name, value)
    engine = Engine.open(Path(CONFIG), progress=False)
    engine.plan()
    view = engine.manager.providers["route53"].live_zone(COM)

    assert {"SOA", "NS"} <= view.types("")
    assert view.types("*") == {"A", "MX"}
    assert view.types("autodiscover") == {"AAAA"}
    assert view.types("_443._tcp.autodiscover") == {"TLSA"}
    assert view.types("host1") == {"SSHFP"}
    assert view.types("svc") == {"HTTPS"}
    assert view.types("*.sub2") == {"A"}
    assert view.types("w") == {"A"}
    assert view.types(SRV_NAME) == {"SRV"}
    listed = {(r["Name"].replace("\\052", "*"), r["Type"]) for r in r53.records(zone_id)}
    held = {(f"{n}.{COM}" if n else COM, t) for n, types in view.nodes.items() for t in types}
    assert held == listed

    provider = Route53Provider("route53")
    from octodns.zone import Zone

    assert provider.populate(Zone("missing.example.", []), target=True) is False
    assert provider.live_zone("missing.example.") is None


def test_private_zones_option_must_be_a_boolean(monkeypatch):
    from providers.route53 import Route53Error, Route53Provider

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with pytest.raises(Route53Error, match="private_zones must be true or false"):
        Route53Provider("route53", access_key_id="a", secret_access_key="s", private_zones="x")
    with pytest.raises(Route53Error, match="use private_zones"):
        Route53Provider("route53", access_key_id="a", secret_access_key="s", private=True)
    provider = Route53Provider("route53", access_key_id="a", secret_access_key="s")
    assert provider.private is False
