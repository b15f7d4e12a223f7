"""``plan.py locate`` against DNS as the internet has it, on loopback.

A private root, the com. and net. top-level domains, the providers' own zones
(cloudflare.com, domaincontrol.com, example-host.net) and the customers' zones each
live on their own 127.a.b.n address at port 53, and a recursive named resolves with
root hints pointing at the private root (tests/servers/dnstree.py). So ``locate
--resolver`` follows the delegation as it does on the internet: the referral from the
com. server, glue, out-of-bailiwick nameserver names, a server that refuses, one that
never answers, DS records at the parent. The tree is started once for the module.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import dns.dnssec
import dns.name
import dns.rdata
import pytest
import yaml

from providers.live.locate import HostTableError, load_host_table
from tests.fakes.cloudflare_api import FakeCloudflare
from tests.fakes.godaddy_api import FakeGoDaddy
from tests.helpers import ROOT, one_error_line, run_cli, srv_zone_yaml
from tests.servers import free_port
from tests.servers.dnstree import DnsTree, LoopbackBlock, LoopbackUnavailable
from tests.servers.fixtures import missing, require_binary

TIMEOUT = "0.5"  # the silent nameserver costs 2 tries of this
KEYS = ("domain", "zone", "host", "provider", "nameservers", "parent", "parent_nameservers",
        "zone_nameservers", "servers", "dnssec", "problems", "notes")  # fmt: skip
CF = ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"]
GD = ["ns01.domaincontrol.com", "ns02.domaincontrol.com"]
EH = ["ns1.example-host.net", "ns2.example-host.net"]
NSOL = ["ns1.worldnic.com", "ns2.worldnic.com"]  # Network Solutions: `manual` in the table
ALL = ["cf-hosted.com", "godaddy-hosted.com", "unknown-host.com", "nope.com", "mismatch.com",
       "lame.com", "signed.com", "badsig.com", "eu.cf-hosted.com", "mixed.com"]  # fmt: skip


def zone(origin: str, nameservers: list[str], records: str = "") -> str:
    """A zone file: SOA (serial 1), the NS set, then ``records`` (absolute names)."""
    ns = [n if n.endswith(".") else n + "." for n in nameservers]
    text = f"$TTL 300\n{origin} SOA {ns[0]} hostmaster.{origin.lstrip('.')} 1 3600 600 86400 300\n"
    return text + "".join(f"{origin} NS {n}\n" for n in ns) + records


def delegation(name: str, nameservers: list[str]) -> str:
    return "".join(f"{name}. NS {n}.\n" for n in nameservers)


def dnskey() -> dns.rdata.Rdata:
    """A KSK of algorithm 13 with random key material: enough for DS digests."""
    key = base64.b64encode(secrets.token_bytes(64)).decode()
    return dns.rdata.from_text("IN", "DNSKEY", f"257 3 13 {key}")


@pytest.fixture(scope="module")
def resolver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tree's resolver address; every server of the tree is stopped after the module."""
    require_binary("named")
    block = LoopbackBlock()
    try:
        block.__enter__()
    except LoopbackUnavailable as e:
        missing(str(e))
    try:
        a = {n: block.add(n) for n in (1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 53)}
        silent = block.address(17)  # a nameserver address where nothing listens
        signed_key, badsig_key = dnskey(), dnskey()
        signed_ds = dns.dnssec.make_ds("signed.com.", signed_key, "SHA256")
        other_ds = dns.dnssec.make_ds("badsig.com.", dnskey(), "SHA256")
        root = zone(".", ["a.root-servers.test"], (
            f"a.root-servers.test. A {a[1]}\n"
            + delegation("com", ["a.tld-servers.test"]) + delegation("net", ["a.tld-servers.test"])
            + f"a.tld-servers.test. A {a[2]}\n"
        ))  # fmt: skip
        com = zone("com.", ["a.tld-servers.test"], (
            delegation("cloudflare.com", ["ns3.cloudflare.com"]) + f"ns3.cloudflare.com. A {a[3]}\n"
            + delegation("domaincontrol.com", ["ns-infra.domaincontrol.com"])
            + f"ns-infra.domaincontrol.com. A {a[3]}\n"
            + delegation("cf-hosted.com", CF)
            + delegation("signed.com", CF) + f"signed.com. DS {signed_ds}\n"
            + delegation("badsig.com", CF) + f"badsig.com. DS {other_ds}\n"
            + delegation("godaddy-hosted.com", GD)
            + delegation("mixed.com", [CF[0], GD[0]])
            + delegation("unknown-host.com", EH)
            + delegation("worldnic.com", ["ns-infra.worldnic.com"])
            + f"ns-infra.worldnic.com. A {a[3]}\n"
            + delegation("nsol-hosted.com", NSOL)
            + delegation("mismatch.com", EH)
            + delegation("lame.com", ["ns1.example-host.net", "ns-refuses.example-host.net",
                                      "ns-silent.example-host.net"])
        ))  # fmt: skip
        net = zone("net.", ["a.tld-servers.test"], (
            delegation("example-host.net", ["ns-infra.example-host.net"])
            + f"ns-infra.example-host.net. A {a[3]}\n"
        ))  # fmt: skip
        infra = {
            "cloudflare.com.": zone("cloudflare.com.", ["ns3.cloudflare.com"], (
                f"ns3.cloudflare.com. A {a[3]}\n"
                f"ada.ns.cloudflare.com. A {a[10]}\nbob.ns.cloudflare.com. A {a[11]}\n"
            )),
            "domaincontrol.com.": zone("domaincontrol.com.", ["ns-infra.domaincontrol.com"], (
                f"ns-infra.domaincontrol.com. A {a[3]}\n"
                f"ns01.domaincontrol.com. A {a[12]}\nns02.domaincontrol.com. A {a[13]}\n"
            )),
            "example-host.net.": zone("example-host.net.", ["ns-infra.example-host.net"], (
                f"ns-infra.example-host.net. A {a[3]}\n"
                f"ns1.example-host.net. A {a[14]}\nns2.example-host.net. A {a[15]}\n"
                f"ns9.example-host.net. A {a[15]}\nns-refuses.example-host.net. A {a[16]}\n"
                f"ns-silent.example-host.net. A {silent}\n"
            )),
            "worldnic.com.": zone("worldnic.com.", ["ns-infra.worldnic.com"], (
                f"ns-infra.worldnic.com. A {a[3]}\n"
                f"ns1.worldnic.com. A {a[14]}\nns2.worldnic.com. A {a[15]}\n"
            )),
        }  # fmt: skip
        cloudflare = {
            "cf-hosted.com.": zone("cf-hosted.com.", CF, "eu.cf-hosted.com. MX 10 mx.example.\n"),
            "signed.com.": zone("signed.com.", CF, f"signed.com. DNSKEY {signed_key}\n"),
            "badsig.com.": zone("badsig.com.", CF, f"badsig.com. DNSKEY {badsig_key}\n"),
        }  # fmt: skip
        mixed = zone("mixed.com.", [CF[0], GD[0]])
        cloudflare["mixed.com."] = mixed
        godaddy = {"godaddy-hosted.com.": zone("godaddy-hosted.com.", GD), "mixed.com.": mixed}
        example_host = {
            "unknown-host.com.": zone("unknown-host.com.", EH),
            # the zone's own NS set differs from the delegation in com.
            "mismatch.com.": zone("mismatch.com.", [EH[0], "ns9.example-host.net"]),
        }  # fmt: skip
        lame = zone("lame.com.", ["ns1.example-host.net", "ns-refuses.example-host.net",
                                  "ns-silent.example-host.net"])  # fmt: skip
        nsol = zone("nsol-hosted.com.", NSOL)
        servers = {
            a[1]: {".": root},
            a[2]: {"com.": com, "net.": net},
            a[3]: infra,
            a[10]: cloudflare,
            a[11]: cloudflare,
            a[12]: godaddy,
            a[13]: godaddy,
            a[14]: {**example_host, "lame.com.": lame, "nsol-hosted.com.": nsol},
            a[15]: {**example_host, "nsol-hosted.com.": nsol},
            a[16]: {},  # ns-refuses: serves nothing, refuses everything
        }
        tree = DnsTree(tmp_path_factory.mktemp("dnstree"), servers,
                       {"a.root-servers.test.": a[1]}, a[53])  # fmt: skip
        with tree.start():
            yield a[53]
    finally:
        block.close()


def locate(resolver: str, *args: str):
    return run_cli("locate", "--resolver", resolver, "--timeout", TIMEOUT, *args, cwd=ROOT)


@pytest.fixture(scope="module")
def located(resolver: str) -> tuple[int, dict[str, dict]]:
    """Every case of the tree in one JSON run: (exit code, {domain: entry})."""
    out = locate(resolver, "--format", "json", *ALL)
    assert out.stderr == ""
    entries = json.loads(out.stdout)
    assert [e["domain"] for e in entries] == ALL, "one entry per domain, in the order given"
    return out.returncode, {e["domain"]: e for e in entries}


# -- the cases ----------------------------------------------------------------------------


def test_json_shape(located: tuple[int, dict[str, dict]]):
    code, entries = located
    assert code == 2, "some domains have problems"
    for entry in entries.values():
        assert tuple(entry) == KEYS
        assert isinstance(entry["host"], str)
        assert entry["provider"] is None or isinstance(entry["provider"], str)
        assert entry["nameservers"] == sorted(entry["nameservers"])
        for line in entry["problems"] + entry["notes"]:
            assert isinstance(line, str)
            assert line
            assert "\n" not in line


def test_cloudflare(located: tuple[int, dict[str, dict]]):
    entry = located[1]["cf-hosted.com"]
    assert (entry["host"], entry["provider"]) == ("Cloudflare", "cloudflare")
    assert entry["nameservers"] == entry["parent_nameservers"] == entry["zone_nameservers"] == CF
    assert (entry["zone"], entry["parent"]) == ("cf-hosted.com.", "com.")
    assert entry["problems"] == []
    assert [(s["nameserver"], s["serial"], s["error"]) for s in entry["servers"]] == [
        (CF[0], 1, None), (CF[1], 1, None),
    ]  # fmt: skip
    assert entry["dnssec"] == {"signed": False, "ds": False, "dnskey": False}


def test_godaddy(located: tuple[int, dict[str, dict]]):
    entry = located[1]["godaddy-hosted.com"]
    assert (entry["host"], entry["provider"], entry["nameservers"]) == ("GoDaddy", "godaddy", GD)
    assert entry["problems"] == []
    assert any("403" in note for note in entry["notes"]), "the API access gate is named"


def test_unknown_host_names_its_nameservers(located: tuple[int, dict[str, dict]]):
    entry = located[1]["unknown-host.com"]
    assert (entry["host"], entry["provider"], entry["nameservers"]) == ("unknown", None, EH)
    assert entry["problems"] == []
    assert any("config/dns-hosts.yaml" in note for note in entry["notes"])


def test_nxdomain(located: tuple[int, dict[str, dict]]):
    entry = located[1]["nope.com"]
    assert (entry["host"], entry["provider"], entry["nameservers"]) == ("unknown", None, [])
    assert entry["zone"] is None
    (problem,) = entry["problems"]
    assert "nope.com does not exist: NXDOMAIN" in problem
    assert "a.tld-servers.test" in problem, "names the parent's nameserver that said so"


def test_parent_and_child_ns_sets_differ(located: tuple[int, dict[str, dict]]):
    entry = located[1]["mismatch.com"]
    assert entry["parent_nameservers"] == EH
    assert entry["zone_nameservers"] == ["ns1.example-host.net", "ns9.example-host.net"]
    (problem,) = entry["problems"]
    assert problem.startswith("inconsistent delegation: the parent zone com. delegates")
    assert "only at the parent: ns2.example-host.net" in problem
    assert "only in the zone: ns9.example-host.net" in problem


def test_lame_nameservers(located: tuple[int, dict[str, dict]]):
    entry = located[1]["lame.com"]
    errors = {s["nameserver"]: s["error"] for s in entry["servers"]}
    assert errors["ns1.example-host.net"] is None
    assert errors["ns-refuses.example-host.net"].startswith("REFUSED")
    assert errors["ns-silent.example-host.net"].startswith("timeout")
    assert len(entry["problems"]) == 2
    refuses, silent = sorted(entry["problems"])
    assert refuses.startswith("lame delegation: ns-refuses.example-host.net (127.")
    assert "REFUSED" in refuses
    assert silent.startswith("lame delegation: ns-silent.example-host.net (127.")
    assert "timeout" in silent


def test_dnssec_signed_zone(located: tuple[int, dict[str, dict]]):
    entry = located[1]["signed.com"]
    assert entry["dnssec"] == {"signed": True, "ds": True, "dnskey": True}
    assert entry["problems"] == [], "a signed zone is something to know, not a problem"
    assert any(note.startswith("DNSSEC-signed: DS at the parent com.") for note in entry["notes"])
    assert entry["host"] == "Cloudflare"


def test_ds_matching_no_dnskey_is_a_problem(located: tuple[int, dict[str, dict]]):
    entry = located[1]["badsig.com"]
    assert entry["dnssec"]["ds"] is True
    (problem,) = entry["problems"]
    assert problem.startswith("DNSSEC broken: no DS record at the parent com. matches a DNSKEY")


def test_a_name_inside_a_zone_is_located_as_that_zone(located: tuple[int, dict[str, dict]]):
    entry = located[1]["eu.cf-hosted.com"]
    assert (entry["zone"], entry["host"], entry["provider"]) == ("cf-hosted.com.", "Cloudflare",
                                                                 "cloudflare")  # fmt: skip
    assert entry["problems"] == []
    note = "eu.cf-hosted.com is not a zone of its own: it is a name in zone cf-hosted.com."
    assert note in entry["notes"]


def test_nameservers_of_two_hosts_are_a_problem(located: tuple[int, dict[str, dict]]):
    entry = located[1]["mixed.com"]
    assert (entry["host"], entry["provider"]) == ("Cloudflare + GoDaddy", None)
    (problem,) = entry["problems"]
    assert problem.startswith(
        "nameservers of several hosts (Cloudflare: ada.ns.cloudflare.com; GoDaddy: "
        "ns01.domaincontrol.com)"
    )


def test_text_output_and_exit_0_without_problems(resolver: str):
    out = locate(resolver, "cf-hosted.com", "godaddy-hosted.com", "eu.cf-hosted.com")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:3] == [
        "cf-hosted.com: Cloudflare (zones/cloudflare/)",
        "  nameservers: ada.ns.cloudflare.com, bob.ns.cloudflare.com",
        "godaddy-hosted.com: GoDaddy (zones/godaddy/)",
    ]
    assert "eu.cf-hosted.com in zone cf-hosted.com.: Cloudflare (zones/cloudflare/)" in out.stdout
    assert out.stdout.endswith("3 domain(s): 3 without problems, 0 with problems\n")


def test_text_output_lists_each_problem(resolver: str):
    out = locate(resolver, "lame.com", "nope.com", "unknown-host.com")
    assert out.returncode == 2
    lines = out.stdout.splitlines()
    assert lines[0] == "lame.com: unknown DNS host"
    problems = [line for line in lines if line.startswith("  problem: ")]
    assert len(problems) == 3
    assert any("lame delegation: ns-refuses.example-host.net" in p for p in problems)
    assert any("nope.com does not exist: NXDOMAIN" in p for p in problems)
    assert "nope.com: no DNS host found" in lines
    assert "unknown-host.com: unknown DNS host" in lines
    assert lines[-1] == "3 domain(s): 1 without problems, 2 with problems"


def test_csv_input(resolver: str, tmp_path: Path):
    csv = tmp_path / "domains.csv"
    csv.write_text("domain,customer\ncf-hosted.com,acme\n\nUnknown-Host.com.,beta\n"
                   "cf-hosted.com,twice\n")  # fmt: skip
    out = locate(resolver, "--format", "json", "--csv", str(csv))
    assert out.returncode == 0, out.stderr
    entries = json.loads(out.stdout)
    assert [(e["domain"], e["host"]) for e in entries] == [
        ("cf-hosted.com", "Cloudflare"), ("unknown-host.com", "unknown"),
    ]  # fmt: skip


# -- bad input and no resolver: one line, exit 1 (no DNS tree needed) -------------------------


@pytest.mark.parametrize(
    ("args", "csv_text", "expected"),
    [
        (["bad..name"], None, "'bad..name' is not a valid DNS domain name"),
        (["com"], None, "'com' is not a valid DNS domain name"),
        (["münchen.de"], None, "write it in punycode: 'xn--mnchen-3ya.de'"),
        ([], None, "no domain to locate"),
        (["--csv", "missing.csv"], None, "cannot read it (No such file or directory)"),
        (
            ["--csv", "{csv}"],
            "domain\nok.com\nbad_name!.com\nalso bad.com\n",
            "line 3: 'bad_name!.com' is not a valid DNS domain name",
        ),
        (["--csv", "{csv}"], "domain\n", "no domain in its first column"),
    ],
    ids=["double-dot", "one-label", "idn", "nothing", "no-file", "bad-row", "header-only"],
)
def test_bad_input_is_one_line_exit_1(
    tmp_path: Path, args: list[str], csv_text: str | None, expected: str
):
    if csv_text is not None:
        (tmp_path / "in.csv").write_text(csv_text)
    args = [a.replace("{csv}", str(tmp_path / "in.csv")) for a in args]
    out = run_cli("locate", "--resolver", "127.0.0.1:9", *args, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout == ""
    (line,) = out.stderr.splitlines()
    assert line.startswith("error: ")
    assert expected in line
    if "bad_name" in expected:
        assert line.endswith("(and 1 more bad row(s))")


def test_a_resolver_that_does_not_answer_is_one_line(tmp_path: Path):
    port = free_port(udp=True)
    out = run_cli("locate", "--resolver", f"127.0.0.1:{port}", "--timeout", "0.2",
                  "example.com", cwd=tmp_path)  # fmt: skip
    assert out.returncode == 1
    (line,) = out.stderr.splitlines()
    assert line.startswith(f"error: the resolver 127.0.0.1:{port} does not answer (timeout")


# -- the host table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nameserver", "host", "provider"),
    [
        ("kate.ns.cloudflare.com", "Cloudflare", "cloudflare"),
        ("ns-1536.awsdns-00.co.uk", "Amazon Route 53", "route53"),
        ("ns-512.awsdns-64.net", "Amazon Route 53", "route53"),
        ("ns10.dnsmadeeasy.com", "DNS Made Easy", "dnsmadeeasy"),
        ("NS45.DomainControl.com.", "GoDaddy", "godaddy"),
        ("ns51.worldnic.com", "Network Solutions", "manual"),
        ("dns1.registrar-servers.com", "Namecheap", "manual"),
        ("ns1.bluehost.com", "Bluehost", "manual"),
        ("ns6221.hostgator.com", "HostGator", "manual"),
        ("ns-cloud-a1.googledomains.com", "Google Cloud DNS", None),
    ],
)
def test_the_host_table_names_hosts(nameserver: str, host: str, provider: str | None):
    found = load_host_table(ROOT / "config/dns-hosts.yaml").host_of(nameserver)
    assert found is not None
    assert (found.name, found.provider) == (host, provider)


@pytest.mark.parametrize(
    "nameserver",
    ["ns.cloudflare.com.evil.example", "a.b.ns.cloudflare.com", "ns1.example-host.net",
     "domaincontrol.com"],
)  # fmt: skip
def test_the_host_table_matches_whole_names_and_one_label_per_star(nameserver: str):
    assert load_host_table(ROOT / "config/dns-hosts.yaml").host_of(nameserver) is None


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("{provider: manual, nameservers: [ns*.x.com]}", "needs a 'name'"),
        ("{name: X, nameservers: [ns*.x.com]}", "needs 'provider'"),
        ("{name: X, provider: Big Host, nameservers: [ns*.x.com]}", "must be a lower-case"),
        ("{name: X, provider: null, nameservers: []}", "needs 'nameservers'"),
        ("{name: X, provider: null, nameservers: [NS1.X.com]}", "nameserver pattern 'NS1.X.com'"),
        ("{name: X, provider: null, nameservers: ['ns1.x.*']}", "not in the top-level label"),
        ("{name: X, provider: null, nameservers: [ns1.x.com], url: y}", "unknown key 'url'"),
    ],
)
def test_a_bad_host_table_is_one_line_naming_the_host(tmp_path: Path, entry: str, expected: str):
    path = tmp_path / "dns-hosts.yaml"
    path.write_text(f"hosts:\n  example: {entry}\n")
    with pytest.raises(HostTableError) as e:
        load_host_table(path)
    message = str(e.value)
    assert message.startswith(f"{path}: host 'example': ")
    assert expected in message
    assert "\n" not in message


def test_readme_documents_every_host():
    section = (ROOT / "README.md").read_text().split("## Where is my DNS?")[1].split("\n## ")[0]
    for host in load_host_table(ROOT / "config/dns-hosts.yaml").hosts:
        assert host.name in section, host.name


# -- --resolver finds nameservers for plan (manual provider) and confirm ---------------


def test_plan_and_confirm_find_each_zones_nameservers_through_the_resolver(
    resolver: str, workspace: Path
):
    """No --nameserver: the manual provider and confirm ask the resolver for the zone's NS
    set and their addresses, then ask those servers directly, as on the internet."""
    for path in (workspace / "zones/local").glob("*.yaml"):
        path.unlink()
    (workspace / "zones/manual/unknown-host.com.yaml").write_text(srv_zone_yaml([""]))
    args = ("--config", "config/octodns.yaml", "--resolver", resolver, "--timeout", TIMEOUT)
    plan = run_cli("plan", *args, "--format", "json", cwd=workspace)
    assert plan.returncode == 0, plan.stderr
    (zone,) = json.loads(plan.stdout)["zones"]
    assert zone["provider"] == "manual"
    assert [(c["action"], c["name"], c["type"]) for c in zone["changes"]] == [
        ("create", "_autodiscover._tcp", "SRV")
    ]
    confirm = run_cli("confirm", *args, "--format", "json", cwd=workspace)
    (domain,) = json.loads(confirm.stdout)["zones"]
    assert domain["status"] == "pending", domain
    asked = {ns["name"] for ns in domain["nameservers"]}
    assert asked == {"ns1.example-host.net.", "ns2.example-host.net."}, domain["nameservers"]


# -- import --csv without a provider column: the provider is located through DNS --------


def import_csv(resolver: str, ws: Path, env: dict[str, str], *args: str):
    """``plan.py import --csv`` with no --provider and no --config, as a user runs it."""
    return run_cli("import", "--resolver", resolver, "--timeout", TIMEOUT, "--csv", *args,
                   cwd=ws, env=env)  # fmt: skip


def zone_files(ws: Path) -> dict[str, str]:
    return {str(p.relative_to(ws / "zones")): p.read_text() for p in ws.glob("zones/*/*.yaml")}


def bad_rows(stderr: str) -> dict[int, str]:
    rows = [line for line in stderr.splitlines() if line.startswith("bad row: ")]
    return {int(line.split(":")[2]): line for line in rows}


def test_import_csv_without_provider_writes_each_domain_where_dns_says(
    resolver: str, ws: Path, cloudflare_fake: FakeCloudflare
):
    cloudflare_fake.add_zone("cf-hosted.com")
    cloudflare_fake.add_zone("listed.example")
    (ws / "estate.csv").write_text(
        "domain,platform,provider,policy\n"
        "cf-hosted.com,exchange-2016\n"
        "godaddy-hosted.com,cloudmail,,report\n"
        "unknown-host.com,exchange-2016\n"
        "eu.cf-hosted.com,exchange-2013\n"
        "listed.example,exchange-2016,cloudflare\n"  # a provider column: kept, not located
    )
    with FakeGoDaddy("gd-key", "gd-secret") as godaddy:
        godaddy.add_domain("godaddy-hosted.com")
        env = {
            "CLOUDFLARE_API_TOKEN": cloudflare_fake.token,
            "CLOUDFLARE_API_URL": cloudflare_fake.url,
            "GODADDY_API_KEY": godaddy.key,
            "GODADDY_API_SECRET": godaddy.secret,
            "GODADDY_API_URL": godaddy.url,
        }
        out = import_csv(resolver, ws, env, "estate.csv")
        assert out.returncode == 1
        assert "1 bad row(s) in estate.csv" in one_error_line(out.stderr)
        assert "locating 4 domain(s) without a provider" in out.stderr
        (row,) = bad_rows(out.stderr).items()
        assert row == (4, (
            "bad row: estate.csv:4: unknown-host.com: unknown DNS host: no host of "
            "config/dns-hosts.yaml names its nameservers (ns1.example-host.net, "
            "ns2.example-host.net); add one there, or give the row a provider"
        ))  # fmt: skip
        assert zone_files(ws) == {}

        out = import_csv(resolver, ws, env, "estate.csv", "--skip-bad")
        assert out.returncode == 0, out.stderr
        assert "using config/octodns.yaml" in out.stderr, "the config planning both folders"
        assert set(bad_rows(out.stderr)) == {4}
        assert godaddy.writes() == [], "import only reads"
    assert cloudflare_fake.writes() == []
    files = zone_files(ws)
    assert set(files) == {"cloudflare/cf-hosted.com.yaml", "cloudflare/listed.example.yaml",
                          "godaddy/godaddy-hosted.com.yaml"}  # fmt: skip
    cf = yaml.safe_load(files["cloudflare/cf-hosted.com.yaml"])
    assert {name: r["octodns"]["autodiscover"]["platform"] for name, r in cf.items()} == {
        "_autodiscover._tcp": "exchange-2016", "_autodiscover._tcp.eu": "exchange-2013",
    }  # fmt: skip
    gd = yaml.safe_load(files["godaddy/godaddy-hosted.com.yaml"])
    assert gd["_autodiscover._tcp"]["octodns"]["autodiscover"] == {
        "platform": "cloudmail", "policy": "report",
    }  # fmt: skip
    assert "1 bad row(s) skipped" in out.stdout
    assert "3 zone file(s) written (4 domain(s))" in out.stdout


def test_import_csv_without_provider_manual_host_and_nxdomain(resolver: str, ws: Path):
    """Network Solutions is `manual` in the table: its domain goes in zones/manual/, the
    zone's existence checked through DNS as the manual provider reads it; NXDOMAIN is a bad
    row naming the parent's nameserver that said so."""
    (ws / "rows.csv").write_text("nsol-hosted.com,exchange-2016\nnope.com,exchange-2016\n")
    out = import_csv(resolver, ws, {}, "rows.csv")
    assert out.returncode == 1
    (line,) = bad_rows(out.stderr).values()
    assert line.startswith("bad row: rows.csv:2: nope.com: nope.com does not exist: NXDOMAIN "
                           "from the com. zone's nameserver a.tld-servers.test")  # fmt: skip
    assert zone_files(ws) == {}

    out = import_csv(resolver, ws, {}, "rows.csv", "--skip-bad")
    assert out.returncode == 0, out.stderr
    assert set(zone_files(ws)) == {"manual/nsol-hosted.com.yaml"}
    assert "wrote zones/manual/nsol-hosted.com.yaml: _autodiscover._tcp SRV" in out.stdout
    assert "1 bad row(s) skipped" in out.stdout


def test_import_csv_without_provider_location_problems_are_bad_rows(resolver: str, ws: Path):
    """A located domain with problems (nameservers of several hosts, parent and zone NS
    sets differing) is a bad row naming the problem; no provider is asked."""
    (ws / "rows.csv").write_text("domain,platform\nmixed.com,exchange-2016\n"
                                 "mismatch.com,exchange-2016\n")  # fmt: skip
    out = import_csv(resolver, ws, {}, "rows.csv")
    assert out.returncode == 1
    rows = bad_rows(out.stderr)
    assert rows[2].startswith("bad row: rows.csv:2: mixed.com: nameservers of several hosts")
    assert rows[3].startswith("bad row: rows.csv:3: mismatch.com: inconsistent delegation")
    assert "listing the zones" not in out.stderr
