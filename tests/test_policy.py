"""The Autodiscover conflict policy: what becomes visible to octoDNS, and why."""

from __future__ import annotations

import pytest
from octodns.record import Record

from providers.core.catalog import load_catalog
from providers.core.declarations import Declaration
from providers.core.errors import DeclarationError
from providers.core.liveview import LiveZone
from providers.core.ownership import EmailDomain
from providers.core.policy import SHIELD_TEXT, analyze
from tests.helpers import ROOT, live_view_of, make_zone

CATALOG = load_catalog(ROOT / "config/platforms.yaml")
SOA = ("", "SOA", 3600, ["ns1.example.com. h.example.com. 1 3600 600 86400 300"])
UNRELATED = [
    ("", "A", 300, ["203.0.113.10"]),
    ("", "MX", 300, ["10 mail.contoso.com."]),
    ("", "TXT", 300, ['"v=spf1 -all"']),
    ("", "CAA", 300, ['0 issue "letsencrypt.org"']),
    ("www", "CNAME", 300, ["contoso.com."]),
    ("*", "MX", 300, ["10 mail.contoso.com."]),
    ("*", "TXT", 300, ['"catch-all"']),
    ("*.sub", "A", 300, ["203.0.113.11"]),
]


def declare(sub: str = "", policy: str = "remove", platform: str = "exchange-2016") -> Declaration:
    p = CATALOG.get(platform)
    return Declaration(
        domain=EmailDomain("contoso.com.", sub),
        platform=p,
        policy=policy,
        values=(p.srv_value,),
        ttl=3600,
    )


def run(records, *declarations, unmodelled=(), hidden=()):
    """Analyse a zone whose backend serves ``records`` plus ``unmodelled`` (name, type)
    pairs octoDNS cannot model; ``hidden`` records are modelled but not served
    (a disabled record: the live view leaves it out)."""
    zone = make_zone("contoso.com.", UNRELATED + list(records))
    live = live_view_of(zone, list(unmodelled))
    zone_with_hidden = make_zone("contoso.com.", UNRELATED + list(records) + list(hidden))
    return analyze("contoso.com.", list(declarations) or [declare()], zone_with_hidden, live)


def test_only_the_srv_is_visible_when_there_is_no_conflict():
    analysis = run([])
    assert analysis.visible == {("_autodiscover._tcp", "SRV")}
    assert "Outlook step 10" in analysis.reasons[("_autodiscover._tcp", "SRV")]


@pytest.mark.parametrize(("_type", "value"), [("A", "198.51.100.1"), ("AAAA", "2001:db8::1")])
def test_wildcard_address_is_removed_with_the_outlook_reason(_type, value):
    analysis = run([("*", _type, 300, [value])])
    assert ("*", _type) in analysis.visible
    reason = analysis.reasons[("*", _type)]
    assert f"`*` {_type} {value} makes autodiscover.contoso.com resolve" in reason
    assert "https://autodiscover.contoso.com" in reason
    assert any("shield" in w for w in analysis.warnings)


def test_wildcard_cname_is_removed():
    analysis = run([("*", "CNAME", 300, ["hosting.example.net."])])
    assert ("*", "CNAME") in analysis.visible


@pytest.mark.parametrize(
    "record",
    [
        ("autodiscover", "CNAME", 300, ["autodiscover.outlook.com."]),
        ("autodiscover", "A", 300, ["198.51.100.2"]),
        ("autodiscover", "AAAA", 300, ["2001:db8::2"]),
    ],
)
def test_explicit_autodiscover_records_are_removed(record):
    analysis = run([record])
    assert (record[0], record[1]) in analysis.visible
    assert "(step 7)" in analysis.reasons[(record[0], record[1])]


def test_cname_at_srv_name_is_replaced_in_every_policy():
    for policy in ("remove", "shield", "report"):
        analysis = run(
            [("_autodiscover._tcp", "CNAME", 300, ["old.example.net."])], declare(policy=policy)
        )
        assert ("_autodiscover._tcp", "CNAME") in analysis.visible
        assert "RFC 1034" in analysis.reasons[("_autodiscover._tcp", "CNAME")]


def test_wrong_srv_is_updated_with_before_and_after_in_the_reason():
    analysis = run([("_autodiscover._tcp", "SRV", 300, ["10 10 80 mail.contoso.com."])])
    reason = analysis.reasons[("_autodiscover._tcp", "SRV")]
    assert "10 10 80 mail.contoso.com." in reason
    assert "0 0 443 exchange.emailservice.io." in reason


def test_wildcard_is_not_a_conflict_when_autodiscover_exists_with_another_type():
    analysis = run([("*", "A", 300, ["198.51.100.1"]), ("autodiscover", "TXT", 300, ['"x"'])])
    assert ("*", "A") not in analysis.visible
    assert any("RFC 4592" in w and "kept" in w for w in analysis.warnings)


def test_wildcard_is_not_a_conflict_when_a_name_below_autodiscover_exists():
    analysis = run([("*", "A", 300, ["198.51.100.1"]), ("x.autodiscover", "A", 300, ["192.0.2.1"])])
    assert ("*", "A") not in analysis.visible


def test_shield_keeps_the_wildcard_and_adds_a_txt_but_removes_explicit_records():
    analysis = run(
        [("*", "A", 300, ["198.51.100.1"]), ("autodiscover", "AAAA", 300, ["2001:db8::2"])],
        declare(policy="shield"),
    )
    assert ("*", "A") not in analysis.visible
    assert ("autodiscover", "AAAA") in analysis.visible
    assert analysis.shields == [("autodiscover", 3600)]
    assert ("autodiscover", "TXT") in analysis.visible
    assert "RFC 4592" in analysis.reasons[("autodiscover", "TXT")]


def test_shield_without_a_wildcard_adds_nothing():
    analysis = run([], declare(policy="shield"))
    assert analysis.shields == []


def test_report_changes_nothing_but_the_srv_and_warns_about_each_conflict():
    analysis = run(
        [("*", "A", 300, ["198.51.100.1"]), ("autodiscover", "CNAME", 300, ["x.example."])],
        declare(policy="report"),
    )
    assert analysis.visible == {("_autodiscover._tcp", "SRV")}
    assert any("conflict kept (policy report)" in w and "CNAME" in w for w in analysis.warnings)
    assert [c["action"] for c in analysis.conflicts] == ["kept"]


def test_report_with_only_a_wildcard_warns_about_it():
    analysis = run([("*", "AAAA", 300, ["2001:db8::1"])], declare(policy="report"))
    assert analysis.visible == {("_autodiscover._tcp", "SRV")}
    assert any("`*` AAAA" in w for w in analysis.warnings)


def test_subdomain_email_domain_owns_its_own_names_only():
    records = [
        ("*", "A", 300, ["198.51.100.1"]),
        ("*.eu", "A", 300, ["198.51.100.3"]),
        ("autodiscover.eu", "CNAME", 300, ["autodiscover.outlook.com."]),
        ("autodiscover", "CNAME", 300, ["autodiscover.outlook.com."]),
    ]
    analysis = run(records, declare(sub="eu"))
    assert analysis.visible == {
        ("_autodiscover._tcp.eu", "SRV"),
        ("*.eu", "A"),
        ("autodiscover.eu", "CNAME"),
    }
    assert "autodiscover.eu.contoso.com" in analysis.reasons[("*.eu", "A")]


def test_zone_with_two_email_domains_and_different_policies():
    records = [
        ("*", "A", 300, ["198.51.100.1"]),
        ("*.eu", "A", 300, ["198.51.100.3"]),
    ]
    analysis = run(records, declare(), declare(sub="eu", policy="report", platform="cloudmail"))
    assert ("*", "A") in analysis.visible
    assert ("*.eu", "A") not in analysis.visible
    assert ("_autodiscover._tcp.eu", "SRV") in analysis.visible
    assert analysis.domains == ["contoso.com", "eu.contoso.com"]
    assert any("CloudMail" in w and "Thunderbird" in w for w in analysis.warnings)


def test_unrelated_records_are_never_visible():
    analysis = run([("*", "A", 300, ["198.51.100.1"])])
    unrelated = {(n, t) for n, t, _, _ in UNRELATED}
    assert not (analysis.visible & unrelated)


def test_apex_address_is_reported_never_owned():
    analysis = run([])
    assert ("", "A") not in analysis.visible
    assert any("step 6" in w and "ExcludeHttpsRootDomain" in w for w in analysis.warnings)


def test_empty_non_terminal_warning_when_a_wildcard_stops_answering_tcp_names():
    analysis = run([("*", "CNAME", 300, ["hosting.example.net."])], declare(policy="shield"))
    assert any("empty non-terminal" in w for w in analysis.warnings)
    analysis = run(
        [
            ("*", "CNAME", 300, ["hosting.example.net."]),
            ("_sip._tcp", "SRV", 300, ["0 0 5060 sip.example.net."]),
        ],
        declare(policy="shield"),
    )
    assert not any("empty non-terminal" in w for w in analysis.warnings)


def test_proxied_cloudflare_records_are_named_as_such():
    zone = make_zone("contoso.com.", [("*", "A", 300, ["198.51.100.1"])])
    record = next(iter(zone.records)).copy()
    record.octodns = {"cloudflare": {"proxied": True}}
    zone.add_record(record, replace=True)
    analysis = analyze("contoso.com.", [declare()], zone, live_view_of(zone))
    assert "proxied through Cloudflare" in analysis.reasons[("*", "A")]


WILDCARD = ("*", "A", 300, ["192.0.2.80"])
SHIELD = ("autodiscover", "TXT", 3600, [f'"{SHIELD_TEXT}"'])


@pytest.mark.parametrize("rdtype", ["HINFO", "URI", "RP", "HTTPS", "DNAME", "TYPE65280"])
def test_a_type_octodns_does_not_model_makes_autodiscover_exist(rdtype):
    analysis = run([WILDCARD], unmodelled=[("autodiscover", rdtype)])
    assert ("*", "A") not in analysis.visible
    assert any(f"its {rdtype} record" in w and "RFC 4592" in w for w in analysis.warnings)


def test_a_name_below_autodiscover_that_octodns_does_not_model_makes_it_exist():
    analysis = run([WILDCARD], unmodelled=[("x.autodiscover", "HINFO")])
    assert ("*", "A") not in analysis.visible
    assert any("names below it" in w for w in analysis.warnings)


def test_a_record_the_server_does_not_serve_does_not_make_autodiscover_exist():
    # a disabled TXT (PowerDNS): octoDNS's provider left it out of the live view
    analysis = run([WILDCARD], hidden=[("autodiscover", "TXT", 300, ['"disabled"'])])
    assert ("*", "A") in analysis.visible


def test_an_address_record_octodns_cannot_change_is_reported_not_guessed():
    analysis = run([], unmodelled=[("autodiscover", "A")])
    assert ("autodiscover", "A") not in analysis.visible
    assert any("cannot change through octoDNS" in w for w in analysis.warnings)


def test_route53_alias_at_autodiscover_and_wildcard_are_conflicts():
    import octodns_route53  # noqa: F401 - registers the Route53Provider/ALIAS type

    zone = make_zone("contoso.com.", UNRELATED)
    for name in ("autodiscover", "*"):
        alias = Record.new(zone, name, {
            "type": "Route53Provider/ALIAS", "ttl": 60,
            "value": {"name": "lb.example.net.", "type": "A"},
        })  # fmt: skip
        zone.add_record(alias)
    live = LiveZone.from_pairs(zone.name, [("autodiscover", "A"), ("*", "A")])
    analysis = analyze("contoso.com.", [declare()], zone, live)
    assert ("autodiscover", "Route53Provider/ALIAS") in analysis.visible
    assert ("*", "Route53Provider/ALIAS") in analysis.visible


def test_an_email_domain_below_a_delegation_is_refused_naming_the_cut():
    with pytest.raises(DeclarationError, match=r"eu\.contoso\.com is delegated \(NS at eu"):
        run([("eu", "NS", 300, ["ns1.eu-host.example."])], declare(sub="eu"))
    with pytest.raises(DeclarationError, match="below a zone cut"):
        run([], declare(sub="b.a.eu"), unmodelled=[("a.eu", "NS")])


def test_an_email_domain_below_a_dname_is_refused():
    with pytest.raises(DeclarationError, match="DNAME"):
        run([("eu", "DNAME", 300, ["eu.example.net."])], declare(sub="eu"))


def test_glue_and_records_at_a_delegated_autodiscover_are_never_touched():
    records = [
        ("autodiscover", "NS", 300, ["ns.autodiscover.contoso.com."]),
        ("ns.autodiscover", "A", 300, ["192.0.2.7"]),
        ("autodiscover", "A", 300, ["192.0.2.8"]),
        WILDCARD,
    ]
    analysis = run(records)
    assert analysis.visible == {("_autodiscover._tcp", "SRV")}
    assert any("zone cut" in w for w in analysis.warnings)


def test_an_orphaned_shield_is_removed_when_the_policy_is_now_remove():
    analysis = run([WILDCARD, SHIELD])
    assert ("autodiscover", "TXT") in analysis.visible
    assert "no longer needed (policy is remove)" in analysis.reasons[("autodiscover", "TXT")]
    # and the wildcard, no longer held off by it, is a conflict again
    assert ("*", "A") in analysis.visible


def test_a_shield_is_removed_when_no_wildcard_needs_it_any_more():
    analysis = run([SHIELD], declare(policy="shield"))
    assert ("autodiscover", "TXT") in analysis.visible
    assert analysis.shields == []
    assert "no wildcard answers" in analysis.reasons[("autodiscover", "TXT")]


def test_a_shield_is_removed_when_another_record_holds_the_name():
    analysis = run([WILDCARD, SHIELD], declare(policy="shield"),
                   unmodelled=[("autodiscover", "HINFO")])  # fmt: skip
    assert ("autodiscover", "TXT") in analysis.visible
    assert analysis.shields == []
    assert ("*", "A") not in analysis.visible


def test_a_needed_shield_stays_declared_so_it_follows_the_ttl():
    analysis = run([WILDCARD, SHIELD], declare(policy="shield"))
    assert analysis.shields == [("autodiscover", 3600)]
    assert ("*", "A") not in analysis.visible


def test_a_customer_txt_at_autodiscover_is_never_taken_for_a_shield():
    analysis = run([WILDCARD, ("autodiscover", "TXT", 300, ['"customer"'])])
    assert ("autodiscover", "TXT") not in analysis.visible
    assert ("*", "A") not in analysis.visible


def test_a_shield_under_report_is_removed_and_the_wildcard_reported():
    analysis = run([WILDCARD, SHIELD], declare(policy="report"))
    assert ("autodiscover", "TXT") in analysis.visible
    assert ("*", "A") not in analysis.visible
    assert any("`*` A" in w for w in analysis.warnings)


def test_a_new_subdomain_name_stops_the_parent_wildcard_and_the_plan_says_so():
    # `*` answers eu.contoso.com and shop.eu.contoso.com until _autodiscover._tcp.eu
    # makes eu exist (an empty non-terminal)
    analysis = run([], declare(sub="eu"))
    assert any(
        "also creates eu.contoso.com (an empty non-terminal)" in w
        and "the wildcard *.contoso.com's answer" in w
        for w in analysis.warnings
    ), analysis.warnings
    # no warning once eu exists
    analysis = run([("eu", "A", 300, ["192.0.2.5"])], declare(sub="eu"))
    assert not any("eu.contoso.com (an empty non-terminal)" in w for w in analysis.warnings)


def test_no_empty_non_terminal_warning_for_a_wildcard_the_plan_deletes():
    zone = make_zone("contoso.com.", [("*", "A", 300, ["192.0.2.5"])])
    analysis = analyze("contoso.com.", [declare()], zone, live_view_of(zone))
    assert ("*", "A") in analysis.visible
    assert not any("(an empty non-terminal)" in w for w in analysis.warnings)
