"""The CLI against every real backend: BIND (RFC 2136), PowerDNS, Route53 (moto), Cloudflare.

Each test starts its server on 127.0.0.1, seeds zones through the server's own
interface (zone files, HTTP API, boto3, the fake's store: never our code), runs
``plan.py`` in a subprocess as a user would, and reads the zones back through
the server's own interface. Seed data: tests/provider_cases.py.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from pathlib import Path

import dns.exception
import dns.flags
import dns.rcode
import dns.rdatatype
import pytest

from tests.fakes.cloudflare_api import FakeCloudflare
from tests.helpers import ALL_PROVIDER_ENV, one_error_line, quiet, run_cli
from tests.provider_cases import (
    EXPECTED,
    MISSING_ZONE,
    PLATFORM,
    SRV_NAME,
    SRV_TARGET,
    SRV_TTL,
    SRV_VALUE,
    TOUCHED,
    ZONES,
    records_for,
)
from tests.servers.backends import Backend, Bind, Cloudflare, PowerDns, Route53, Rrset, Snapshot
from tests.servers.fixtures import *  # noqa: F403

# octodns-bind 1.1.0 calls APIs octodns 1.22 deprecates; upstream, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONFIG = "config/octodns.yaml"
Key = tuple[str, str]  # (owner relative to the zone, '@' for the apex; type)


BACKENDS = ["bind", "powerdns", "route53", "cloudflare"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, backend_factory) -> Backend:
    """Each backend in turn, its server started (the zones are seeded by the test)."""
    return backend_factory(request.param)


def seed(backend: Backend, zones: list[str]) -> None:
    """The zones of tests/provider_cases.py, through the server's own interface."""
    backend.seed({zone: records_for(zone) for zone in zones})


# ------------------------------------------------------------------- helpers


def declare(ws: Path, provider: str, zones: list[str]) -> None:
    """Declare each zone's SRV the way a user does: plan.py add."""
    for zone in zones:
        out = run_cli(
            "add",
            zone.rstrip("."),
            "--platform",
            PLATFORM,
            "--provider",
            provider,
            "--config",
            CONFIG,
            cwd=ws,
        )
        assert out.returncode == 0, out.stderr
        assert (ws / f"zones/{provider}/{zone.rstrip('.')}.yaml").is_file()


def cli(ws: Path, env: dict[str, str], command: str, *args: str):
    extra = ("--format", "json") if command == "plan" else ()
    return run_cli(command, "--config", CONFIG, *quiet(command), *extra, *args, cwd=ws, env=env)


def plan_report(ws: Path, env: dict[str, str], *args: str) -> dict:
    out = cli(ws, env, "plan", *args)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def changes_by_zone(report: dict) -> dict[str, set[tuple[str, str, str]]]:
    return {
        z["zone"]: {(c["action"], c["name"], c["type"]) for c in z["changes"]}
        for z in report["zones"]
    }


def change(report: dict, zone: str, action: str, name: str, rtype: str) -> dict:
    entry = next(z for z in report["zones"] if z["zone"] == zone)
    return next(
        c for c in entry["changes"] if (c["action"], c["name"], c["type"]) == (action, name, rtype)
    )


def serial(rrset: Rrset) -> int:
    (value,) = rrset.values
    return int(value.split()[2])


def without_serial(rrset: Rrset) -> tuple[int, frozenset[str]]:
    masked = set()
    for value in rrset.values:
        fields = value.split()
        fields[2] = "SERIAL"
        masked.add(" ".join(fields))
    return rrset.ttl, frozenset(masked)


def assert_untouched_except(
    backend: Backend, zone: str, before: Snapshot, after: Snapshot, touched: set[Key]
) -> None:
    """Every RRset not in ``touched`` is identical (native form); SOA only bumps its serial."""
    soa = ("@", "SOA")
    keep_before = {k: v for k, v in before.items() if k not in touched}
    keep_after = {k: v for k, v in after.items() if k not in touched}
    if backend.bumps_serial:
        assert without_serial(keep_after.pop(soa)) == without_serial(keep_before.pop(soa))
        if touched:
            assert serial(after[soa]) > serial(before[soa]), f"{zone}: serial not bumped"
        else:
            assert serial(after[soa]) == serial(before[soa]), f"{zone}: untouched zone changed"
    assert set(keep_after) == set(keep_before), zone
    for key, rrset in keep_before.items():
        assert keep_after[key] == rrset, f"{zone}: {key} changed"


def answers(response) -> list[tuple[str, str]]:
    return [
        (dns.rdatatype.to_text(rrset.rdtype), rd.to_text())
        for rrset in response.answer
        for rd in rrset
    ]


# ------------------------------------------------------- the full workflow


def test_plan_apply_plan_converges_and_keeps_every_other_record(backend: Backend, ws: Path):
    seed(backend, ZONES)
    declare(ws, backend.id, ZONES)
    env = backend.env()
    before = {zone: backend.snapshot(zone) for zone in ZONES}
    assert len([k for k in before["example.com."] if k not in TOUCHED["example.com."]]) >= 20
    if backend.serves_dns:  # the hijack is live before we start
        hijacked = backend.query("autodiscover.example.com.", "A")
        assert ("CNAME", "autodiscover.outlook.com.") in answers(hijacked)

    report = plan_report(ws, env)
    assert changes_by_zone(report) == EXPECTED
    assert {z["provider"] for z in report["zones"]} == {backend.id}
    assert report["summary"]["zones_with_changes"] == 2
    for entry in report["zones"]:
        assert all(c["reason"] for c in entry["changes"]), entry
    srv = change(report, "example.com.", "update", SRV_NAME, "SRV")
    assert srv["after"]["value"] == {"port": 443, "priority": 0, "target": SRV_TARGET, "weight": 0}
    assert srv["before"]["value"]["target"] == "old-exchange.example.net."
    cname = change(report, "example.net.", "delete", SRV_NAME, "CNAME")
    assert "RFC 1034" in cname["reason"]
    wildcard = change(report, "example.com.", "delete", "*", "A")
    autodiscover = change(report, "example.com.", "delete", "autodiscover", "CNAME")
    if backend.id == "cloudflare":
        assert "proxied" in wildcard["reason"], wildcard
        assert "proxied" not in autodiscover["reason"], autodiscover
    assert {zone: backend.snapshot(zone) for zone in ZONES} == before, "plan wrote something"

    applied = cli(ws, env, "apply")
    assert applied.returncode == 0, applied.stderr
    assert "Traceback" not in applied.stderr, applied.stderr
    assert "error:" not in applied.stderr, applied.stderr
    assert f"applied example.com. at {backend.id}: 3 change(s)" in applied.stdout
    assert f"applied example.net. at {backend.id}: 4 change(s)" in applied.stdout
    assert "applied example.org." not in applied.stdout, "a zone without changes is not applied"

    again = cli(ws, env, "plan", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["summary"]["zones_with_changes"] == 0

    for zone in ZONES:
        after = backend.snapshot(zone)
        assert_untouched_except(backend, zone, before[zone], after, TOUCHED[zone])
        assert after[(SRV_NAME, "SRV")].values == {SRV_VALUE}
        assert after[(SRV_NAME, "SRV")].ttl == SRV_TTL
        for key in [("*", "A"), ("autodiscover", "CNAME"), (SRV_NAME, "CNAME")]:
            assert key not in after, f"{zone}: {key} still there"
        for key in [("*", "MX"), ("*", "TXT"), ("*.sub", "A"), ("autodiscover.eu", "CNAME")]:
            assert key in after, f"{zone}: {key} removed"

    for zone in ZONES if backend.serves_dns else []:
        response = backend.query(f"{SRV_NAME}.{zone}", "SRV")
        assert response.rcode() == dns.rcode.NOERROR
        assert response.flags & dns.flags.AA, "answer must be authoritative"
        assert answers(response) == [("SRV", SRV_VALUE)]
        # the wildcard's MX/TXT still exist: Outlook's A query gets no data now
        response = backend.query(f"autodiscover.{zone}", "A")
        assert response.rcode() == dns.rcode.NOERROR
        assert answers(response) == []
        kept = backend.query(f"autodiscover.eu.{zone}", "CNAME")
        assert answers(kept) == [("CNAME", "autodiscover.outlook.com.")]


def test_missing_zone_is_refused_alone_and_never_created(backend: Backend, ws: Path):
    seed(backend, ["example.com."])
    declare(ws, backend.id, ["example.com.", MISSING_ZONE])
    before = backend.snapshot("example.com.")
    zones_before = backend.zone_names(also=[MISSING_ZONE])
    assert MISSING_ZONE not in zones_before

    for command in ("plan", "apply"):
        out = cli(ws, backend.env(), command)
        assert out.returncode == 1, out.stdout + out.stderr
        line = one_error_line(out.stderr)
        assert MISSING_ZONE.rstrip(".") in line, line
        assert "create it there first" in line, line
        assert f"applied {MISSING_ZONE}" not in out.stdout
        if command == "plan":
            assert backend.snapshot("example.com.") == before, "plan wrote"
            if isinstance(backend, Cloudflare):
                assert backend.fake.writes() == []
        else:  # the healthy zone is applied: one zone's problem is that zone's problem
            assert f"applied example.com. at {backend.id}" in out.stdout

    assert backend.zone_names(also=[MISSING_ZONE]) == zones_before, "a zone was created"
    if isinstance(backend, Cloudflare):
        assert not cf_requests(backend.fake, "POST", r"^/zones$")


def test_zone_deleted_between_plan_and_apply_is_not_recreated(
    backend: Backend, ws: Path, monkeypatch
):
    """octodns-cloudflare/-route53/-powerdns would create the zone at apply time; we must not."""
    from providers.planner.engine import Engine

    seed(backend, ["example.com."])
    declare(ws, backend.id, ["example.com."])
    for key, value in backend.env().items():
        monkeypatch.setenv(key, value)
    engine = Engine.open(Path(CONFIG), progress=False)
    result = engine.plan()
    assert changes_by_zone(result.report) == {"example.com.": EXPECTED["example.com."]}

    backend.drop_zone("example.com.")
    if isinstance(backend, Cloudflare):
        backend.fake.reset_log()
    outcomes = engine.apply(result)

    assert [(o.zone, o.target) for o in outcomes] == [("example.com.", backend.id)]
    error = outcomes[0].error
    assert error, error
    assert "example.com." in error, error
    assert "never creates zones" in error, error
    assert "example.com." not in backend.zone_names(also=["example.com."]), "created again"
    if isinstance(backend, Cloudflare):
        assert not cf_requests(backend.fake, "POST", r"^/zones$")


MISSING_VARS = {
    "bind": "BIND_TSIG_SECRET",
    "powerdns": "PDNS_API_KEY",
    "cloudflare": "CLOUDFLARE_API_TOKEN",
}


@pytest.mark.parametrize("backend", sorted(MISSING_VARS), indirect=True)
def test_missing_env_var_names_variable_and_zone(backend: Backend, ws: Path, monkeypatch):
    seed(backend, ["example.com."])
    declare(ws, backend.id, ["example.com."])
    before = backend.snapshot("example.com.")
    variable = MISSING_VARS[backend.id]
    env = backend.env()
    del env[variable]
    monkeypatch.delenv(variable, raising=False)
    if isinstance(backend, Cloudflare):
        backend.fake.reset_log()

    out = cli(ws, env, "apply")
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert variable in line, line
    assert "1 zone(s) refused (example.com: " in line, line
    assert f"zones/{backend.id}/example.com.yaml" in line, line
    assert backend.snapshot("example.com.") == before
    if isinstance(backend, Cloudflare):
        assert backend.fake.requests == [], "a provider was called"


# -------------------------------------------------------------- Cloudflare


CF_FILLER_ZONES = 60  # other zones in the account: the zone list takes two pages


@pytest.fixture
def cf(cloudflare_fake: FakeCloudflare) -> Cloudflare:
    return Cloudflare(cloudflare_fake)


def cf_requests(fake: FakeCloudflare, method: str, pattern: str) -> list[dict]:
    return [r for r in fake.requests if r["method"] == method and re.search(pattern, r["path"])]


def test_cloudflare_reads_once_and_writes_one_batch_per_zone(cf: Cloudflare, ws: Path):
    for i in range(CF_FILLER_ZONES):
        cf.fake.add_zone(f"filler{i:02d}.example")
    seed(cf, ZONES)
    declare(ws, "cloudflare", ZONES)
    total_zones = CF_FILLER_ZONES + len(ZONES)
    pages = total_zones // 50 + 1  # octodns-cloudflare stops at the first short page
    ids = {zone: cf.fake.zone_id(zone) for zone in ZONES}
    account_zones = cf.fake.zones()

    cf.fake.reset_log()
    assert plan_report(ws, cf.env())["summary"]["zones_with_changes"] == 2
    reads = [r for r in cf.fake.requests if r["method"] == "GET"]
    assert len(reads) == len(cf.fake.requests), "planning must not write"
    zone_lists = cf_requests(cf.fake, "GET", r"^/zones$")
    assert len(zone_lists) == pages == 2
    record_reads = cf_requests(cf.fake, "GET", r"/dns_records$")
    assert sorted(r["path"] for r in record_reads) == sorted(
        f"/zones/{i}/dns_records" for i in ids.values()
    )
    assert len(reads) == pages + len(ZONES)
    assert not cf_requests(cf.fake, "GET", "pagerules")

    cf.fake.reset_log()
    out = cli(ws, cf.env(), "apply")
    assert out.returncode == 0, out.stderr
    writes = [r for r in cf.fake.requests if r["method"] != "GET"]
    assert sorted(r["path"] for r in writes) == sorted(
        f"/zones/{ids[z]}/dns_records/batch" for z in ("example.com.", "example.net.")
    )
    assert all(r["method"] == "POST" and r["status"] == 200 for r in writes)
    assert len(cf.fake.requests) == pages + len(ZONES) + 2
    net = next(r for r in writes if ids["example.net."] in r["path"])
    assert len(net["body"]["deletes"]) == 3
    assert len(net["body"]["posts"]) == 1
    assert net["body"]["posts"][0]["type"] == "SRV"
    assert cf.fake.zones() == account_zones, "zone settings and name servers untouched"


def test_cloudflare_429_on_the_batch_is_retried_after_retry_after(cf: Cloudflare, ws: Path):
    seed(cf, ["example.com."])
    declare(ws, "cloudflare", ["example.com."])
    before = cf.snapshot("example.com.")
    cf.fake.inject("POST", r"/dns_records/batch$", status=429, retry_after=1)
    cf.fake.reset_log()

    out = cli(ws, cf.env(), "apply")
    assert out.returncode == 0, out.stderr
    assert "applied example.com. at cloudflare: 3 change(s)" in out.stdout
    assert "rate limit (429)" in out.stderr
    assert "retry 1/" in out.stderr
    batches = cf_requests(cf.fake, "POST", r"/dns_records/batch$")
    assert [r["status"] for r in batches] == [429, 200]
    assert batches[0]["body"] == batches[1]["body"], "the same batch is sent again"
    after = cf.snapshot("example.com.")
    assert_untouched_except(cf, "example.com.", before, after, TOUCHED["example.com."])
    assert after[(SRV_NAME, "SRV")].values == {SRV_VALUE}
    assert cli(ws, cf.env(), "plan", "--detailed-exitcode").returncode == 0


@pytest.mark.parametrize("status", [401, 403])
def test_cloudflare_refused_token_is_one_clear_error_and_no_write(status: int, ws: Path):
    with FakeCloudflare(token="right-token", auth_failure_status=status) as fake:
        backend = Cloudflare(fake)
        seed(backend, ["example.com."])
        declare(ws, "cloudflare", ["example.com."])
        before = backend.snapshot("example.com.")
        env = dict(backend.env(), CLOUDFLARE_API_TOKEN="wrong-token")

        for command in ("plan", "apply"):
            fake.reset_log()
            out = cli(ws, env, command)
            assert out.returncode == 1
            line = one_error_line(out.stderr)
            assert f"Cloudflare refused the API token (HTTP {status})" in line, line
            assert "CLOUDFLARE_API_TOKEN" in line
            assert len(fake.requests) == 1, "an authentication failure is not retried"
            assert fake.requests[0]["status"] == status
        assert fake.writes() == []
        assert backend.snapshot("example.com.") == before


# -------------------------------------------------------------------- BIND


@pytest.fixture
def bind(bind_server) -> Bind:
    return Bind(bind_server)


def test_bind_wrong_tsig_secret_is_a_clear_error(bind: Bind, ws: Path):
    seed(bind, ["example.com."])
    declare(ws, "bind", ["example.com."])
    before = bind.snapshot("example.com.")
    wrong = base64.b64encode(os.urandom(32)).decode()

    out = cli(ws, dict(bind.env(), BIND_TSIG_SECRET=wrong), "apply")
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert "rejected the TSIG key" in line, line
    assert "example.com." in line, line
    assert "BIND_TSIG_SECRET" in line
    assert bind.snapshot("example.com.") == before


def test_bind_tsig_secret_not_base64_is_a_clear_error(bind: Bind, ws: Path):
    seed(bind, ["example.com."])
    declare(ws, "bind", ["example.com."])
    before = bind.snapshot("example.com.")

    out = cli(ws, dict(bind.env(), BIND_TSIG_SECRET="not base64!"), "plan")
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert "BIND_TSIG_SECRET is not base64" in line, line
    assert "binascii" not in line
    assert "padding" not in line
    assert bind.snapshot("example.com.") == before


# ---------------------------------------------------------------- PowerDNS


def test_powerdns_wrong_api_key_is_a_clear_error(pdns_server, ws: Path):
    backend = PowerDns(pdns_server)
    seed(backend, ["example.com."])
    declare(ws, "powerdns", ["example.com."])
    before = backend.snapshot("example.com.")

    out = cli(ws, dict(backend.env(), PDNS_API_KEY="wrong-key"), "apply")
    assert out.returncode == 1
    line = one_error_line(out.stderr)
    assert "refused the API key (HTTP 401)" in line, line
    assert "PDNS_API_KEY" in line, line
    assert backend.snapshot("example.com.") == before


# ----------------------------------------------------------------- Route53


def test_route53_wildcards_literal_and_octal_escaped(moto_route53, ws: Path):
    """A `*` seeded literally (moto 5.2.5 stores and lists it so) is deleted; `\\052`, the
    form real Route53 lists, is recognised as the same wildcard. Only planned: moto, unlike
    Route53, does not match a `*` DELETE against a `\\052` name."""
    backend = Route53(moto_route53)
    seed(backend, ["example.com."])
    escaped_id = moto_route53.create_zone("example.net.")
    moto_route53.add_records(escaped_id, [("\\052", "A", 300, ["192.0.2.30"])])
    declare(ws, "route53", ["example.com.", "example.net."])
    zone_id = backend.zone_ids["example.com."]
    raw = {(r["Name"], r["Type"]) for r in moto_route53.records(zone_id)}
    assert ("*.example.com.", "A") in raw

    report = plan_report(ws, backend.env(), "example.net.")
    assert changes_by_zone(report)["example.net."] == {
        ("delete", "*", "A"),
        ("create", SRV_NAME, "SRV"),
    }

    out = cli(ws, backend.env(), "apply", "example.com.")
    assert out.returncode == 0, out.stderr
    raw_after = {(r["Name"], r["Type"]) for r in moto_route53.records(zone_id)}
    assert raw - raw_after == {("*.example.com.", "A"), ("autodiscover.example.com.", "CNAME")}
    assert raw_after - raw == set()
    assert backend.snapshot("example.com.")[(SRV_NAME, "SRV")].values == {SRV_VALUE}
    assert {t for n, t in raw_after if n == "*.example.com."} == {"MX", "TXT"}
    assert ("*.sub.example.com.", "A") in raw_after
    again = cli(ws, backend.env(), "plan", "--detailed-exitcode", "example.com.")
    assert again.returncode == 0, again.stdout


# moto warns that "Throttling" is no error shape of its model; it is what Route53 sends.
@pytest.mark.filterwarnings("ignore:Exception.Route53ClientError. with code Throttling")
def test_route53_one_atomic_batch_per_zone_and_throttling_retried(
    moto_route53, ws: Path, monkeypatch
):
    """Each zone's changes go in one ChangeResourceRecordSets call; a Throttling reply is
    retried (botocore, client_max_attempts) and the run still succeeds."""
    from moto.route53.exceptions import Route53ClientError
    from moto.route53.responses import Route53 as MotoResponses

    backend = Route53(moto_route53)
    seed(backend, ZONES)
    declare(ws, "route53", ZONES)
    before = {zone: backend.snapshot(zone) for zone in ZONES}
    calls: list[tuple[str, str, int]] = []
    original = MotoResponses.change_resource_record_sets

    def counted(self):
        zone_id = self._get_param("HostedZoneId").rsplit("/", 1)[-1]
        changes = len(self._get_param("ChangeBatch.Changes"))
        if not calls:
            calls.append((zone_id, "Throttling", changes))
            raise Route53ClientError("Throttling", "Rate exceeded")
        calls.append((zone_id, "ok", changes))
        return original(self)

    monkeypatch.setattr(MotoResponses, "change_resource_record_sets", counted)
    out = cli(ws, backend.env(), "apply")
    assert out.returncode == 0, out.stderr

    ids = backend.zone_ids
    ok = [(zone_id, n) for zone_id, outcome, n in calls if outcome == "ok"]
    assert sorted(zone_id for zone_id, _ in ok) == sorted(
        [ids["example.com."], ids["example.net."]]
    )
    assert calls[0][0] == calls[1][0], "the throttled batch is sent again"
    assert len(calls) == 3
    for zone_id, n in ok:  # every change of the zone in the one batch
        assert n >= (3 if zone_id == ids["example.com."] else 4)
    for zone in ZONES:
        after = backend.snapshot(zone)
        assert_untouched_except(backend, zone, before[zone], after, TOUCHED[zone])
        assert after[(SRV_NAME, "SRV")].values == {SRV_VALUE}


# ------------------------------------------------- plain octoDNS agrees


class Capture:
    """An octoDNS plan output: keeps the (target, plan) list handed to run()."""

    def __init__(self) -> None:
        self.plans: list = []

    def run(self, plans, log=None, fh=None, *args, **kwargs) -> None:
        self.plans = list(plans)


def test_plain_octodns_manager_plans_the_same(backend: Backend, ws: Path, monkeypatch):
    """octodns-sync with config/octodns.yaml (every provider built) plans what plan.py plans."""
    from octodns.manager import Manager

    seed(backend, ZONES)
    declare(ws, backend.id, ZONES)
    ours = changes_by_zone(plan_report(ws, backend.env()))
    before = {zone: backend.snapshot(zone) for zone in ZONES}

    for key, value in {**ALL_PROVIDER_ENV, **backend.env()}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "CLOUDFLARE_ACCOUNT_ID"):
        monkeypatch.delenv(key, raising=False)
    manager = Manager(CONFIG)
    assert set(manager.providers) >= {"cloudflare", "route53", "bind", "powerdns", "local"}
    capture = Capture()
    manager.plan_outputs = {"capture": capture}
    manager.sync(dry_run=True, plan_output_fh=io.StringIO())

    plain: dict[str, set[tuple[str, str, str]]] = {}
    for target, plan in capture.plans:
        assert target.id == backend.id
        plain[plan.desired.name] = {
            (type(c).__name__.lower(), c.record.name, c.record._type) for c in plan.changes
        }
        for c in plan.changes:
            if c.record._type == "SRV" and c.new is not None:
                assert [v.target for v in c.new.values] == [SRV_TARGET]
    assert plain == {zone: changes for zone, changes in ours.items() if changes}
    assert plain == {zone: changes for zone, changes in EXPECTED.items() if changes}
    assert {zone: backend.snapshot(zone) for zone in ZONES} == before, "a dry run wrote"
