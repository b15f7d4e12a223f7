"""The complete live view of BIND (from the AXFR) and PowerDNS (from the API), against
real servers started by the tests.

The policy decides RFC 4592 existence, empty non-terminals and zone cuts from
``provider.live_zone(zone)``, never from octoDNS's records: octoDNS does not
model HINFO, RP, DNAME (nor URI on BIND), and PowerDNS stores records it does
not serve (``disabled``). Each test seeds through the server's own interface
(zone files, HTTP API), checks what the server really answers over DNS, and
then checks the view and octoDNS's records against that: providers called
directly (``populate`` a Zone, then ``live_zone``) and, end to end, through
``providers.planner.engine.Engine`` with config/octodns.yaml and a zone file in
zones/<provider>/.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import dns.flags
import dns.rcode
import dns.rdatatype
import pytest
from octodns.zone import Zone

from providers.bind import Rfc2136Provider
from providers.core.errors import ZoneMissingError
from providers.planner.engine import Engine
from providers.powerdns import PowerDnsProvider
from tests.provider_cases import PLATFORM, SRV_NAME, SRV_TARGET, SRV_VALUE
from tests.servers import backends
from tests.servers.backends import Seed
from tests.servers.bind import BindServer
from tests.servers.fixtures import require_binary
from tests.servers.powerdns import PowerDNSServer

# octodns-bind 1.1.0 calls APIs octodns 1.22 deprecates; upstream, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONFIG = "config/octodns.yaml"
ZONE = "example.com."

HEAD: list[Seed] = [
    ("@", "SOA", 300, ["ns1.{zone} hostmaster.{zone} 1 3600 600 86400 300"]),
    ("@", "NS", 300, ["ns1.{zone}", "ns2.{zone}"]),
    ("ns1", "A", 300, ["192.0.2.1"]),
    ("ns2", "A", 300, ["192.0.2.2"]),
]

#: every kind of node the policy must see: types octoDNS drops, a delegation with
#: glue, a DNAME with a name it occludes, and a name below autodiscover
RICH: list[Seed] = [
    ("@", "CAA", 300, ['0 issue "letsencrypt.org"']),
    ("*", "A", 300, ["192.0.2.80"]),
    ("www", "A", 300, ["192.0.2.10"]),
    ("autodiscover", "HINFO", 300, ['"PC" "Linux"']),
    ("x.autodiscover", "TXT", 300, ['"below autodiscover"']),
    ("uri", "URI", 300, ['10 1 "https://example.com/"']),
    ("rp", "RP", 300, ["admin.example.com. info.example.com."]),
    ("https", "HTTPS", 300, ["1 . alpn=h2"]),
    ("svcb", "SVCB", 300, ["1 svc.example.net. port=8443"]),
    ("legacy", "DNAME", 300, ["example.org."]),
    ("x.legacy", "A", 300, ["192.0.2.9"]),
    ("sub", "NS", 300, ["ns.sub.example.com."]),
    ("ns.sub", "A", 300, ["192.0.2.53"]),
]

#: the view of HEAD + RICH, written out by hand
RICH_VIEW = {
    "": {"SOA", "NS", "CAA"},
    "ns1": {"A"},
    "ns2": {"A"},
    "*": {"A"},
    "www": {"A"},
    "autodiscover": {"HINFO"},
    "x.autodiscover": {"TXT"},
    "uri": {"URI"},
    "rp": {"RP"},
    "https": {"HTTPS"},
    "svcb": {"SVCB"},
    "legacy": {"DNAME"},
    "x.legacy": {"A"},
    "sub": {"NS"},
    "ns.sub": {"A"},
}

#: types in RICH_VIEW that each upstream provider does not turn into octoDNS records
NOT_MODELLED = {
    "bind": {"SOA", "HINFO", "URI", "RP", "DNAME"},
    "powerdns": {"SOA", "HINFO", "RP", "DNAME"},
}


def fill(records: list[Seed], zone: str) -> list[Seed]:
    return [(n, t, ttl, [v.format(zone=zone) for v in vs]) for n, t, ttl, vs in records]


# ------------------------------------------------------------------ servers


class Bind(backends.Bind):
    """The shared BIND adapter, seeding HEAD with each zone, plus the provider that reads it."""

    def seed(self, zones: Mapping[str, Sequence[Seed]]) -> None:
        super().seed({zone: fill(HEAD + list(records), zone) for zone, records in zones.items()})

    def provider(self) -> Rfc2136Provider:
        return Rfc2136Provider("bind", **self.server.provider_kwargs())


class PowerDns(backends.PowerDns):
    """The shared PowerDNS adapter, seeding HEAD with each zone, plus the provider."""

    def seed(self, zones: Mapping[str, Sequence[Seed]]) -> None:
        super().seed({zone: fill(HEAD + list(records), zone) for zone, records in zones.items()})

    def provider(self) -> PowerDnsProvider:
        return PowerDnsProvider(
            "powerdns", api_url=self.server.api_url, api_key=self.server.api_key
        )


Backend = Bind | PowerDns


@pytest.fixture(params=["bind", "powerdns"])
def backend(request: pytest.FixtureRequest) -> Backend:
    if request.param == "bind":
        return Bind(request.getfixturevalue("bind_server"))
    return PowerDns(request.getfixturevalue("pdns_server"))


@pytest.fixture
def pdns(pdns_server: PowerDNSServer) -> PowerDns:
    return PowerDns(pdns_server)


# ------------------------------------------------------------------ helpers


def populate(provider, zone: str) -> tuple[Zone, bool]:
    """As octoDNS plans: a target populate, lenient."""
    existing = Zone(zone, [])
    exists = provider.populate(existing, target=True, lenient=True)
    return existing, exists


def nodes(view) -> dict[str, set[str]]:
    return {name: set(types) for name, types in view.nodes.items()}


def pairs(zone: Zone) -> set[tuple[str, str]]:
    return {(r.name, r._type) for r in zone.records}


def answers(response) -> list[tuple[str, str]]:
    return [
        (dns.rdatatype.to_text(rrset.rdtype), rd.to_text())
        for rrset in response.answer
        for rd in rrset
    ]


def assert_nodata(response) -> None:
    """The name exists, without data of the asked type (RFC 4592: no wildcard answer)."""
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert answers(response) == [], answers(response)


def declare(ws: Path, provider: str, zone: str) -> None:
    """The zone file `plan.py add DOMAIN --platform exchange-2016` writes."""
    folder = ws / "zones" / provider
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{zone.rstrip('.')}.yaml").write_text(
        "---\n"
        f"{SRV_NAME}:\n"
        "  octodns:\n"
        "    autodiscover:\n"
        f"      platform: {PLATFORM}\n"
        "  ttl: 3600\n"
        "  type: SRV\n"
        "  value:\n"
        "    port: 443\n"
        "    priority: 0\n"
        f"    target: {SRV_TARGET}\n"
        "    weight: 0\n"
    )


@pytest.fixture
def engine_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[Backend], None]:
    def use(backend: Backend) -> None:
        for key, value in backend.env().items():
            monkeypatch.setenv(key, value)

    return use


def plan(zones: list[str] | None = None):
    engine = Engine.open(Path(CONFIG), zones=zones, progress=False)
    return engine, engine.plan()


def changes(result) -> dict[str, set[tuple[str, str, str]]]:
    return {
        z["zone"]: {(c["action"], c["name"], c["type"]) for c in z["changes"]}
        for z in result.report["zones"]
    }


def apply(engine: Engine, result) -> None:
    outcomes = engine.apply(result)
    assert all(o.error is None for o in outcomes), outcomes


# ------------------------------------------------------- the view, directly


def test_view_holds_every_owner_and_type(backend: Backend):
    """HINFO, URI, RP, HTTPS/SVCB, CAA, DNAME (and the name it occludes), a delegation with
    glue and a name below autodiscover: all in the view, whatever octoDNS models."""
    backend.seed({ZONE: RICH})
    # what the server answers: the HINFO makes autodiscover exist, the wildcard is quiet
    assert_nodata(backend.query(f"autodiscover.{ZONE}", "A"))
    assert answers(backend.query(f"other.{ZONE}", "A")) == [("A", "192.0.2.80")]

    provider = backend.provider()
    existing, exists = populate(provider, ZONE)
    assert exists is True
    view = provider.live_zone(ZONE)
    assert view is not None
    assert view.zone == ZONE
    assert nodes(view) == RICH_VIEW

    modelled = {(name, t) for name, types in RICH_VIEW.items() for t in types} - {
        (name, t) for name, types in RICH_VIEW.items() for t in types & NOT_MODELLED[backend.id]
    }
    assert pairs(existing) == modelled
    assert ("autodiscover", "HINFO") not in pairs(existing), "octoDNS does not model HINFO"
    assert view.exists("autodiscover")
    assert view.types("autodiscover") == {"HINFO"}
    assert view.has_descendant("autodiscover")
    assert view.cuts == {"sub": {"NS"}, "legacy": {"DNAME"}}
    assert view.cut_above("ns.sub") == "sub"  # glue belongs to the delegation
    assert view.cut_above("x.legacy") == "legacy"  # occluded by the DNAME
    assert view.cut_above("autodiscover") is None


def test_bind_view_comes_from_the_one_transfer(bind_server: BindServer):
    """One AXFR per populate (named's own log counts them), and a repeat reads afresh."""
    backend = Bind(bind_server)
    backend.seed({ZONE: RICH})
    provider = backend.provider()
    assert bind_server.transfers(ZONE) == 0
    populate(provider, ZONE)
    assert bind_server.transfers(ZONE) == 1

    bind_server.nsupdate(ZONE, add=[("autodiscover", 300, "TXT", '"added"')])
    populate(provider, ZONE)
    assert bind_server.transfers(ZONE) == 2
    assert provider.live_zone(ZONE).types("autodiscover") == {"HINFO", "TXT"}


def test_missing_zone_is_remembered_as_missing(backend: Backend):
    """BIND: NOTAUTH stays one clear error, and the view says the zone does not exist.
    PowerDNS: populate says it does not exist, and so does the view."""
    backend.seed({ZONE: []})
    provider = backend.provider()
    missing = "missing.example."
    if backend.id == "bind":
        with pytest.raises(
            ZoneMissingError, match=r"zone missing\.example\. is not served.*NOTAUTH"
        ):
            populate(provider, missing)
    else:
        _, exists = populate(provider, missing)
        assert exists is False
    assert provider.live_zone(missing) is None
    with pytest.raises(KeyError):
        provider.live_zone("never-read.example.")


# -------------------------------------------------- PowerDNS: disabled records


def test_powerdns_disabled_records_are_in_neither_view_nor_records(pdns: PowerDns):
    pdns.seed({ZONE: [("*", "A", 300, ["192.0.2.80"]), ("www", "A", 300, ["192.0.2.10"])]})
    server = pdns.server
    server.replace_rrset(ZONE, "autodiscover", "TXT", 300, disabled=['"parked"'])
    server.replace_rrset(ZONE, "www", "A", 300, ["192.0.2.10"], disabled=["192.0.2.11"])
    server.replace_rrset(ZONE, "@", "MX", 300, disabled=["10 mail.example.com."])
    server.replace_rrset(ZONE, "old", "CNAME", 300, disabled=["old.example.net."])
    server.replace_rrset(ZONE, SRV_NAME, "SRV", 300, disabled=[SRV_VALUE])
    # what the server answers: disabled records are not there, the wildcard answers
    assert answers(pdns.query(f"autodiscover.{ZONE}", "A")) == [("A", "192.0.2.80")]
    assert answers(pdns.query(f"autodiscover.{ZONE}", "TXT")) == []
    assert answers(pdns.query(f"www.{ZONE}", "A")) == [("A", "192.0.2.10")]
    assert answers(pdns.query(f"old.{ZONE}", "CNAME")) == []
    assert answers(pdns.query(f"{SRV_NAME}.{ZONE}", "SRV")) == []

    provider = pdns.provider()
    existing, exists = populate(provider, ZONE)
    assert exists is True
    assert nodes(provider.live_zone(ZONE)) == {
        "": {"SOA", "NS"},
        "ns1": {"A"},
        "ns2": {"A"},
        "*": {"A"},
        "www": {"A"},
    }
    assert pairs(existing) == {("", "NS"), ("ns1", "A"), ("ns2", "A"), ("*", "A"), ("www", "A")}
    www = next(r for r in existing.records if r.name == "www")
    assert list(www.values) == ["192.0.2.10"]
    assert provider.disabled_records(ZONE) == {
        ("autodiscover", "TXT"): ['"parked"'],
        ("www", "A"): ["192.0.2.11"],
        ("", "MX"): ["10 mail.example.com."],
        ("old", "CNAME"): ["old.example.net."],
        (SRV_NAME, "SRV"): [SRV_VALUE],
    }


def _native(server: PowerDNSServer, zone: str) -> dict[tuple[str, str], dict]:
    """Every RRset as the API stores it (records with their disabled flag, comments)."""
    return {(r["name"], r["type"]): r for r in server.rrsets(zone)}


def test_powerdns_disabled_srv_becomes_served_and_disabled_txt_keeps_no_wildcard(
    pdns: PowerDns, ws: Path, engine_env, caplog
):
    """The disabled SRV equal to the declared one: planned as a Create, applied as an
    enabled SRV that the server answers (AA), converged. The disabled TXT at autodiscover
    does not hold the wildcard off (it answers there), so the wildcard goes. Disabled
    records elsewhere, invisible to octoDNS, stay exactly as they were."""
    pdns.seed({ZONE: [("*", "A", 300, ["192.0.2.80"]), ("www", "A", 300, ["192.0.2.10"])]})
    server = pdns.server
    server.replace_rrset(ZONE, SRV_NAME, "SRV", 3600, disabled=[SRV_VALUE])
    server.replace_rrset(ZONE, "autodiscover", "TXT", 300, disabled=['"parked"'])
    # unowned disabled records: a mixed RRset, whole disabled RRsets, a disabled address
    # record at autodiscover (no RRset octoDNS or the server sees) and one in a subdomain
    server.replace_rrset(ZONE, "www", "A", 300, ["192.0.2.10"], disabled=["192.0.2.11"])
    server.replace_rrset(ZONE, "@", "MX", 300, disabled=["10 mail.example.com."])
    server.replace_rrset(ZONE, "old", "CNAME", 300, disabled=["old.example.net."])
    server.replace_rrset(ZONE, "autodiscover", "AAAA", 300, disabled=["2001:db8::1"])
    server.replace_rrset(ZONE, f"{SRV_NAME}.eu", "SRV", 300, disabled=["0 0 443 eu.example.net."])
    assert answers(pdns.query(f"autodiscover.{ZONE}", "A")) == [("A", "192.0.2.80")]
    before = _native(server, ZONE)

    declare(ws, "powerdns", ZONE)
    engine_env(pdns)
    caplog.set_level(logging.WARNING)
    engine, result = plan()
    assert changes(result) == {ZONE: {("create", SRV_NAME, "SRV"), ("delete", "*", "A")}}
    warned = [w for z in result.report["zones"] for w in z["warnings"] if "disabled record" in w]
    assert len(warned) == 1
    assert f"{SRV_NAME} SRV" in warned[0]
    assert SRV_VALUE in warned[0]
    apply(engine, result)

    response = pdns.query(f"{SRV_NAME}.{ZONE}", "SRV")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.flags & dns.flags.AA
    assert answers(response) == [("SRV", SRV_VALUE)]
    after = _native(server, ZONE)
    srv = after.pop((f"{SRV_NAME}.{ZONE}", "SRV"))
    assert srv["records"] == [{"content": SRV_VALUE, "disabled": False}]
    assert srv["ttl"] == 3600
    assert (f"*.{ZONE}", "A") not in after
    before.pop((f"*.{ZONE}", "A"))
    before.pop((f"{SRV_NAME}.{ZONE}", "SRV"))
    soa = (ZONE, "SOA")
    assert after.pop(soa) != before.pop(soa)  # the serial moved
    assert after == before, "a record octoDNS does not own changed"
    response = pdns.query(f"autodiscover.{ZONE}", "A")
    assert response.rcode() == dns.rcode.NXDOMAIN, "no wildcard, no served record there"

    _, again = plan()
    assert changes(again) == {ZONE: set()}


def test_powerdns_mixed_rrset_at_an_owned_name_is_replaced_whole(
    pdns: PowerDns, ws: Path, engine_env, caplog
):
    """PowerDNS changes whole RRsets: a change at an owned (name, type) drops the disabled
    records there too, and the plan warns which. Unchanged owned RRsets keep theirs."""
    pdns.seed({ZONE: [("www", "A", 300, ["192.0.2.10"])], "example.org.": []})
    server = pdns.server
    server.replace_rrset(ZONE, "*", "A", 300, ["192.0.2.80"], disabled=["192.0.2.81"])
    server.replace_rrset(
        ZONE, SRV_NAME, "SRV", 300, ["10 10 443 old.example.net."], disabled=["0 0 443 x.test."]
    )
    # converged already: the enabled SRV is the declared one; a disabled extra stays
    server.replace_rrset("example.org.", SRV_NAME, "SRV", 3600, [SRV_VALUE], disabled=["1 1 1 y."])
    org_before = _native(server, "example.org.")

    declare(ws, "powerdns", ZONE)
    declare(ws, "powerdns", "example.org.")
    engine_env(pdns)
    caplog.set_level(logging.WARNING)
    engine, result = plan()
    assert changes(result) == {
        ZONE: {("update", SRV_NAME, "SRV"), ("delete", "*", "A")},
        "example.org.": set(),
    }
    warned = sorted(
        w for z in result.report["zones"] for w in z["warnings"] if "disabled record" in w
    )
    assert len(warned) == 2, warned
    assert "delete of * A deletes the whole RRset" in warned[0]
    assert "(192.0.2.81)" in warned[0]
    assert f"update of {SRV_NAME} SRV replaces the whole RRset" in warned[1]
    assert "(0 0 443 x.test.)" in warned[1]
    apply(engine, result)

    after = _native(server, ZONE)
    assert (f"*.{ZONE}", "A") not in after, "the disabled wildcard value went with the RRset"
    srv = after[(f"{SRV_NAME}.{ZONE}", "SRV")]
    assert srv["records"] == [{"content": SRV_VALUE, "disabled": False}]
    assert _native(server, "example.org.") == org_before
    assert answers(pdns.query(f"{SRV_NAME}.{ZONE}", "SRV")) == [("SRV", SRV_VALUE)]
    _, again = plan()
    assert changes(again) == {ZONE: set(), "example.org.": set()}


@pytest.mark.parametrize("lua", [False, True], ids=["lua-off", "lua-on"])
def test_powerdns_lua_record_is_in_the_view_only_when_served(
    lua: bool, tmp_path_factory: pytest.TempPathFactory
):
    require_binary("pdns_server")
    settings = ["enable-lua-records=yes"] if lua else []
    with PowerDNSServer(tmp_path_factory.mktemp("pdns-lua"), settings=settings) as server:
        server.start()
        backend = PowerDns(server)
        backend.seed({ZONE: [("*", "A", 300, ["192.0.2.80"])]})
        server.replace_rrset(ZONE, "autodiscover", "LUA", 300, ["A \"'192.0.2.99'\""])
        served = answers(backend.query(f"autodiscover.{ZONE}", "A"))
        assert served == [("A", "192.0.2.99" if lua else "192.0.2.80")]

        provider = backend.provider()
        populate(provider, ZONE)
        view = provider.live_zone(ZONE)
        assert view.types("autodiscover") == ({"A"} if lua else set())


# ------------------------------------------- end to end: the wildcard is kept


#: zone -> what holds autodiscover.<zone> (besides the wildcard `*` A): nothing in
#: control.example., else a type octoDNS does not see (or not on both servers)
HOLDERS: dict[str, list[Seed]] = {
    "hinfo.example.": [("autodiscover", "HINFO", 300, ['"PC" "Linux"'])],
    "uri.example.": [("autodiscover", "URI", 300, ['10 1 "https://example.net/"'])],
    "rp.example.": [("autodiscover", "RP", 300, ["admin.example.net. ."])],
    "dname.example.": [("autodiscover", "DNAME", 300, ["example.net."])],
    "https.example.": [("autodiscover", "HTTPS", 300, ["1 . alpn=h2"])],
    "below.example.": [("x.autodiscover", "TXT", 300, ['"below"'])],
    "control.example.": [],
}


def test_a_name_held_by_any_type_keeps_the_wildcard(backend: Backend, ws: Path, engine_env):
    """The user's case: `*` A and `autodiscover` HINFO (or URI, RP, DNAME, HTTPS, a name
    below it). The server answers autodiscover's A query with NODATA, so the wildcard is
    no conflict and stays; only the SRV is created. Without a holder it is deleted."""
    wildcard: Seed = ("*", "A", 300, ["192.0.2.80"])
    backend.seed({zone: [wildcard, *held] for zone, held in HOLDERS.items()})
    for zone in HOLDERS:
        response = backend.query(f"autodiscover.{zone}", "A")
        if zone == "control.example.":
            assert answers(response) == [("A", "192.0.2.80")]
        else:
            assert_nodata(response)
        declare(ws, backend.id, zone)

    engine_env(backend)
    engine, result = plan()
    expected = {zone: {("create", SRV_NAME, "SRV")} for zone in HOLDERS}
    expected["control.example."] = {("create", SRV_NAME, "SRV"), ("delete", "*", "A")}
    assert changes(result) == expected
    apply(engine, result)

    for zone in HOLDERS:
        assert answers(backend.query(f"{SRV_NAME}.{zone}", "SRV")) == [("SRV", SRV_VALUE)]
        if zone != "control.example.":
            assert_nodata(backend.query(f"autodiscover.{zone}", "A"))
            assert answers(backend.query(f"shop.{zone}", "A")) == [("A", "192.0.2.80")]
    _, again = plan()
    assert changes(again) == {zone: set() for zone in HOLDERS}
