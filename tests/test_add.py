"""``plan.py add`` checks what it writes (issue 16), run as a user runs it.

The TTL passes octoDNS's own validation (and RFC 2181's cap), a custom target is a
host name with a trailing dot, a subdomain goes into its parent zone's file (an
existing one, or the live parent zone an SOA lookup through ``--resolver`` finds),
and the output names the plan to run next. Every refusal is one line, exit 1, and
leaves the zone files byte for byte as they were.
"""

from __future__ import annotations

import json
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
import yaml

from tests.helpers import one_error_line, run_cli
from tests.servers.udp import UdpServer

MAX_TTL = 2147483647


def snapshot(ws: Path) -> dict[str, bytes]:
    """Every file under zones/, byte for byte."""
    return {
        str(p.relative_to(ws)): p.read_bytes()
        for p in sorted((ws / "zones").rglob("*"))
        if p.is_file()
    }


def add(ws: Path, *args: str):
    return run_cli("add", *args, cwd=ws)


def refused(ws: Path, *args: str) -> str:
    """Run add, expect a refusal that writes nothing; return its error line."""
    before = snapshot(ws)
    out = add(ws, *args)
    assert out.returncode == 1, out.stdout + out.stderr
    assert out.stdout == ""
    assert snapshot(ws) == before, "a refused add changed a zone file"
    return one_error_line(out.stderr)


def declared(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


# -- TTL ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ttl", ["-1", "-3600", str(MAX_TTL + 1), "99999999999"])
def test_a_ttl_outside_the_allowed_range_is_refused_naming_domain_and_range(ws: Path, ttl: str):
    line = refused(ws, "wingtip.com", "--platform", "exchange-2016", "--provider", "local",
                   "--ttl", ttl)  # fmt: skip
    assert line.startswith(f"error: wingtip.com: TTL {ttl} is out of range"), line
    assert f"from 0 to {MAX_TTL}" in line
    assert not (ws / "zones/local/wingtip.com.yaml").exists()


def test_a_bad_ttl_leaves_the_parent_zone_file_byte_identical(workspace: Path):
    line = refused(workspace, "us.tailspin.org", "--platform", "cloudmail", "--provider",
                   "local", "--ttl", "-5")  # fmt: skip
    assert "us.tailspin.org: TTL -5 is out of range" in line


def test_a_ttl_that_is_not_a_number_is_a_usage_error(ws: Path):
    line = refused(ws, "wingtip.com", "--platform", "exchange-2016", "--provider", "local",
                   "--ttl", "1h")  # fmt: skip
    assert "--ttl" in line


@pytest.mark.parametrize("ttl", [0, 300, MAX_TTL])
def test_ttls_octodns_accepts_are_written_and_validate(ws: Path, ttl: int):
    out = add(ws, "wingtip.com", "--platform", "exchange-2016", "--provider", "local",
              "--ttl", str(ttl))  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = declared(ws / "zones/local/wingtip.com.yaml")
    assert data["_autodiscover._tcp"]["ttl"] == ttl
    valid = run_cli("validate", cwd=ws)
    assert valid.returncode == 0, valid.stderr


# -- custom targets --------------------------------------------------------------------------


def test_a_custom_target_is_declared_as_platform_custom_and_planned(workspace: Path):
    out = add(workspace, "us.tailspin.org", "--platform", "custom", "--target",
              "autodiscover.tailspin.org.", "--provider", "local")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == (
        "wrote zones/local/tailspin.org.yaml: _autodiscover._tcp.us SRV 0 0 443 "
        "autodiscover.tailspin.org. (custom target)"
    )
    entry = declared(workspace / "zones/local/tailspin.org.yaml")["_autodiscover._tcp.us"]
    assert entry == {
        "octodns": {"autodiscover": {"platform": "custom"}},
        "ttl": 3600,
        "type": "SRV",
        "value": {"port": 443, "priority": 0, "target": "autodiscover.tailspin.org.", "weight": 0},
    }
    plan = run_cli("plan", "--format", "json", "tailspin.org", cwd=workspace)
    assert plan.returncode == 0, plan.stderr
    [zone] = json.loads(plan.stdout)["zones"]
    domains = {d["domain"]: d["platform"] for d in zone["email_domains"]}
    assert domains["us.tailspin.org"] == "custom"
    created = [c for c in zone["changes"] if c["name"] == "_autodiscover._tcp.us"]
    assert created[0]["after"]["value"]["target"] == "autodiscover.tailspin.org."


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("autodiscover.wingtip.com", "lacks the trailing dot; write autodiscover.wingtip.com."),
        ("192.0.2.10.", "is an IP address"),
        ("2001:db8::1", "is not a host name"),
        ("-bad.wingtip.com.", "is not a valid FQDN"),
        ("localhost.", "is not a valid FQDN"),
        ("a..b.", "is not a valid FQDN"),
        ("auto discover.wingtip.com.", "is not a host name"),
        ("{zone}.wingtip.com.", "is not a host name"),
        ("bücher.example.", "punycode: xn--bcher-kva.example."),
        (".", "means 'no service'"),
    ],
)
def test_a_custom_target_that_is_no_fqdn_with_trailing_dot_is_refused(
    workspace: Path, target: str, says: str
):
    line = refused(workspace, "wingtip.com", "--platform", "custom", f"--target={target}",
                   "--provider", "local")  # fmt: skip
    assert line.startswith("error: wingtip.com: "), line
    assert says in line


def test_target_without_platform_custom_is_a_usage_error(ws: Path):
    line = refused(ws, "wingtip.com", "--platform", "exchange-2016", "--target",
                   "autodiscover.wingtip.com.", "--provider", "local")  # fmt: skip
    assert line == (
        "error: --target is for --platform custom; platform exchange-2016 has its own target"
    )


def test_platform_custom_without_target_is_a_usage_error(ws: Path):
    line = refused(ws, "wingtip.com", "--platform", "custom", "--provider", "local")
    assert line.startswith("error: --platform custom needs --target HOST."), line


def test_an_unknown_platform_suggests_custom(ws: Path):
    line = refused(ws, "wingtip.com", "--platform", "exchange-2019", "--provider", "local")
    assert "'custom'" in line
    assert "exchange-2016" in line


def test_a_custom_target_equal_to_a_platform_says_which(ws: Path):
    out = add(ws, "wingtip.com", "--platform", "custom", "--target", "exchange.emailservice.io.",
              "--provider", "local")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "note: this is the target of platform exchange-2016" in out.stdout


# -- subdomains: the parent zone's file ------------------------------------------------------


def test_a_subdomain_goes_into_the_existing_parent_zone_file(workspace: Path):
    path = workspace / "zones/local/tailspin.org.yaml"
    before = declared(path)
    out = add(workspace, "us.tailspin.org", "--platform", "cloudmail", "--provider", "local")
    assert out.returncode == 0, out.stderr
    after = declared(path)
    assert set(after) - set(before) == {"_autodiscover._tcp.us"}
    assert {k: after[k] for k in before} == before
    assert not (workspace / "zones/local/us.tailspin.org.yaml").exists()


def test_without_a_parent_file_or_resolver_a_subdomain_gets_its_own_file(ws: Path):
    out = add(ws, "eu.wingtip.com", "--platform", "cloudmail", "--provider", "local")
    assert out.returncode == 0, out.stderr
    assert "_autodiscover._tcp" in declared(ws / "zones/local/eu.wingtip.com.yaml")


class FakeResolver:
    """A recursive resolver's answers to SOA questions over ``zones``: apex -> names in it."""

    def __init__(self, zones: dict[str, set[str]], refuse: bool = False) -> None:
        self.zones = {dns.name.from_text(z): {dns.name.from_text(n) for n in names}
                      for z, names in zones.items()}  # fmt: skip
        self.refuse = refuse
        self.server = UdpServer(self.reply)

    def reply(self, query: dns.message.Message) -> list[bytes]:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if self.refuse:
            response.set_rcode(dns.rcode.REFUSED)
            return [response.to_wire()]
        q = query.question[0]
        apex = max((z for z in self.zones if q.name.is_subdomain(z)), key=len)
        soa = dns.rrset.from_text(apex, 300, "IN", "SOA",
                                  f"ns1.{apex} hostmaster.{apex} 1 3600 600 86400 300")  # fmt: skip
        if q.name == apex and q.rdtype == dns.rdatatype.SOA:
            response.answer.append(soa)
        else:
            if q.name != apex and q.name not in self.zones[apex]:
                response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(soa)
        return [response.to_wire()]

    def __enter__(self) -> str:
        self.server.__enter__()
        return f"127.0.0.1:{self.server.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)


ESTATE = {
    "example.": set(),  # the top-level domain: holds every name not in a zone below
    "tailspin.example.": {"eu.tailspin.example.", "www.tailspin.example."},
    "eu.delegated.example.": set(),
    "delegated.example.": set(),
}


@pytest.mark.parametrize("domain", ["eu.tailspin.example", "asia.tailspin.example"])
def test_resolver_puts_a_subdomain_of_a_live_zone_into_that_zones_file(ws: Path, domain: str):
    """eu exists (NODATA for its SOA), asia does not (NXDOMAIN): either way the SOA in the
    answer names tailspin.example as the live zone, whose file is created."""
    with FakeResolver(ESTATE) as resolver:
        out = add(ws, domain, "--platform", "exchange-2016", "--provider", "cloudflare",
                  "--resolver", resolver)  # fmt: skip
    assert out.returncode == 0, out.stderr
    sub = domain.split(".")[0]
    assert out.stdout.splitlines() == [
        f"wrote zones/cloudflare/tailspin.example.yaml: _autodiscover._tcp.{sub} SRV 0 0 443 "
        "exchange.emailservice.io. (Exchange+ 2016)",
        f"live DNS: zone tailspin.example. holds {domain} (SOA through {resolver})",
        "next: make plan CONFIG=config/octodns.yaml ZONES=tailspin.example",
    ]
    assert list(declared(ws / "zones/cloudflare/tailspin.example.yaml")) == [
        f"_autodiscover._tcp.{sub}"
    ]
    assert not (ws / f"zones/cloudflare/{domain}.yaml").exists()
    listed = run_cli("list", "--config", "config/octodns.yaml", "--format", "json", cwd=ws)
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)[0]["zone"] == "tailspin.example."


def test_resolver_showing_the_domain_is_its_own_zone_gives_it_its_own_file(ws: Path):
    with FakeResolver(ESTATE) as resolver:
        out = add(ws, "tailspin.example", "--platform", "cloudmail", "--provider", "local",
                  "--resolver", resolver)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (ws / "zones/local/tailspin.example.yaml").is_file()


def test_resolver_finds_a_delegated_zone_below_the_parents_file(ws: Path):
    """delegated.example has a file, but eu.delegated.example is a zone of its own in live
    DNS: the domain is declared in a new file for that zone, not below the cut."""
    first = add(ws, "delegated.example", "--platform", "cloudmail", "--provider", "local")
    assert first.returncode == 0, first.stderr
    parent = ws / "zones/local/delegated.example.yaml"
    before = parent.read_bytes()
    with FakeResolver(ESTATE) as resolver:
        out = add(ws, "eu.delegated.example", "--platform", "cloudmail", "--provider", "local",
                  "--resolver", resolver)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert parent.read_bytes() == before
    assert list(declared(ws / "zones/local/eu.delegated.example.yaml")) == ["_autodiscover._tcp"]
    valid = run_cli("validate", cwd=ws)
    assert valid.returncode == 0, valid.stderr


def test_resolver_contradicting_the_zone_files_is_refused(ws: Path):
    first = add(ws, "eu.tailspin.example", "--platform", "cloudmail", "--provider", "local")
    assert first.returncode == 0, first.stderr
    with FakeResolver(ESTATE) as resolver:
        line = refused(ws, "x.eu.tailspin.example", "--platform", "cloudmail", "--provider",
                       "local", "--resolver", resolver)  # fmt: skip
    assert "live DNS puts it in zone tailspin.example." in line
    assert "zones/local/eu.tailspin.example.yaml" in line


def test_resolver_knowing_only_the_top_level_domain_is_refused(ws: Path):
    with FakeResolver(ESTATE) as resolver:
        line = refused(ws, "eu.nowhere.example", "--platform", "cloudmail", "--provider",
                       "local", "--resolver", resolver)  # fmt: skip
    assert "DNS shows no zone holding eu.nowhere.example, only example." in line


def test_a_refusing_resolver_is_one_line_and_nothing_is_written(ws: Path):
    with FakeResolver(ESTATE, refuse=True) as resolver:
        line = refused(ws, "eu.tailspin.example", "--platform", "cloudmail", "--provider",
                       "local", "--resolver", resolver)  # fmt: skip
    assert f"--resolver {resolver}" in line
    assert "REFUSED" in line


def test_resolver_must_be_an_address(ws: Path):
    line = refused(ws, "eu.tailspin.example", "--platform", "cloudmail", "--provider", "local",
                   "--resolver", "dns.google")  # fmt: skip
    assert "give the resolver's IP address" in line


def test_resolver_is_asked_for_the_soa(ws: Path):
    resolver = FakeResolver(ESTATE)
    with resolver as address:
        out = add(ws, "eu.tailspin.example", "--platform", "cloudmail", "--provider", "local",
                  "--resolver", address)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert ("eu.tailspin.example.", "SOA") in resolver.server.log


# -- the next step -------------------------------------------------------------------------------


def test_next_step_for_the_embedded_default_names_a_missing_live_zone_file(ws: Path):
    out = add(ws, "wingtip.com", "--platform", "exchange-2016", "--provider", "local")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[-2].startswith("live zone file: live/wingtip.com.zone does not exist;"), lines
    assert lines[-1] == "next: make plan ZONES=wingtip.com"
    plan = run_cli("plan", "wingtip.com", cwd=ws)
    assert plan.returncode == 1  # as add said: the zone-file provider has no such zone
    assert "wingtip.com. does not exist at provider local" in plan.stderr


def test_next_step_for_the_embedded_default_names_the_seed_and_runs(workspace: Path):
    out = add(workspace, "us.tailspin.org", "--platform", "cloudmail", "--provider", "local")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "live zone file: live/tailspin.org.zone (provider local); until apply writes it, " \
           "plan reads examples/live/tailspin.org.zone" in lines  # fmt: skip
    assert lines[-1] == "next: make plan ZONES=tailspin.org"
    plan = run_cli("plan", "--format", "json", "tailspin.org", cwd=workspace)
    assert plan.returncode == 0, plan.stderr
    [zone] = json.loads(plan.stdout)["zones"]
    assert "us.tailspin.org" in zone["domains"]


def test_next_step_names_the_config_that_plans_the_providers_folder(ws: Path):
    out = add(ws, "wingtip.com", "--platform", "exchange-2016", "--provider", "route53")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == (
        "next: make plan CONFIG=config/octodns.yaml ZONES=wingtip.com"
    )
    assert "live zone file" not in out.stdout


def test_next_step_prefers_the_given_config(ws: Path):
    (ws / "config/mine.yaml").write_text((ws / "config/octodns.yaml").read_text())
    out = run_cli("add", "wingtip.com", "--platform", "cloudmail", "--provider", "route53",
                  "--config", "config/mine.yaml", cwd=ws)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert (
        out.stdout.splitlines()[-1] == "next: make plan CONFIG=config/mine.yaml ZONES=wingtip.com"
    )


def test_add_help_lists_the_new_options():
    out = run_cli("add", "--help", cwd=Path(__file__).resolve().parents[1])
    for option in ("--target HOST.", "--resolver IP[:PORT]", "--ttl TTL"):
        assert option in out.stdout
