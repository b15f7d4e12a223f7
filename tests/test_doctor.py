"""doctor against real BIND servers: Outlook's walk in words, and the .reg file.

The zones live in a named we start; SRV targets are resolved through a second
named acting as the resolver, so 'resolves', 'is a CNAME' and 'could not
check' are all real answers.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from providers.core.policy import SHIELD_TEXT
from tests.helpers import ROOT
from tests.servers.bind import BindServer
from tests.test_confirm import EX2016, SRV_OK, cli, declare, zone_text

TARGET_A = "exchange IN A 198.51.100.20"
REG_HEADER = "Windows Registry Editor Version 5.00"
REG_KEY = r"[HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook\AutoDiscover]"
BROKEN = zone_text(
    "contoso.com.", "@ IN A 192.0.2.10", "autodiscover IN CNAME autodiscover.outlook.com."
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "config", root / "config")
    (root / "zones" / "local").mkdir(parents=True)
    return root


def doctor(repo: Path, server: BindServer, *args: str):
    done = cli("doctor", "--nameserver", f"{server.host}:{server.port}", *args, cwd=repo)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def resolver_for(server: BindServer) -> list[str]:
    return ["--resolver", f"{server.host}:{server.port}"]


def steps(report: dict) -> dict[str, dict]:
    return {s["step"]: s for s in report["domains"][0]["steps"]}


def test_broken_domain_walk_in_plain_words(repo: Path, bind_server: BindServer) -> None:
    declare(repo, "contoso.com.")
    bind_server.start({"contoso.com.": BROKEN})
    done = doctor(repo, bind_server)
    assert done.returncode == 2
    out = done.stdout
    assert "contoso.com (Exchange+ 2016, policy remove): PROBLEM" in out
    # step 6: the website's A record is reported, never proposed for deletion
    assert "contoso.com resolves (A 192.0.2.10), so Outlook first asks the web server" in out
    assert "never delete it" in out
    assert "ExcludeHttpsRootDomain=1" in out
    # steps 7 and 9: the leftover CNAME hijacks Outlook
    assert "autodiscover.contoso.com has its own record (CNAME autodiscover.outlook.com.)" in out
    assert "Microsoft 365" in out
    assert "Fix: make plan shows the record's removal; make apply deletes it" in out
    # step 10: nothing to find
    assert "there is no SRV record at _autodiscover._tcp.contoso.com" in out
    assert "=> Outlook stops at step 7: it connects to autodiscover.contoso.com" in out
    assert "summary: 0 ok, 1 with a problem" in out


def test_wildcard_with_shield_policy_says_a_shield_fixes_it(
    repo: Path, bind_server: BindServer
) -> None:
    declare(repo, "fabrikam.net.", policy="shield")
    bind_server.start({"fabrikam.net.": zone_text("fabrikam.net.", SRV_OK, "* IN A 192.0.2.80")})
    done = doctor(repo, bind_server, "--format", "json")
    assert done.returncode == 2
    walk = steps(json.loads(done.stdout))
    assert walk["7"]["result"] == "problem"
    assert "the wildcard *.fabrikam.net answers for it (A 192.0.2.80)" in walk["7"]["says"]
    assert "TXT shield" in walk["7"]["fix"]
    assert walk["6"]["result"] == "ok", "no apex record: nothing to warn about"


def test_healthy_domain_with_resolvable_target_exit_0(
    repo: Path, bind_server_factory, tmp_path: Path
) -> None:
    declare(repo, "contoso.com.")
    zones, resolver = bind_server_factory(), bind_server_factory()
    zones.start({"contoso.com.": zone_text("contoso.com.", SRV_OK)})
    resolver.start(
        {"emailservice.io.": zone_text("emailservice.io.", "exchange IN A 198.51.100.20")}
    )
    reg = tmp_path / "outlook.reg"
    done = doctor(
        repo, zones, *resolver_for(resolver), "--format", "json", "--outlook-reg", str(reg)
    )
    assert done.returncode == 0, done.stdout
    report = json.loads(done.stdout)
    assert report["summary"] == {"domains": 1, "ok": 1, "problem": 0, "error": 0}
    walk = steps(report)
    assert walk["10"]["result"] == "ok"
    assert "SRV 0 0 443 exchange.emailservice.io. is Exchange+ 2016" in walk["10"]["says"]
    assert f"{EX2016} resolves (198.51.100.20) and is not a CNAME" in walk["10"]["says"]
    assert report["domains"][0]["verdict"].startswith(
        f"Outlook reaches the SRV record at step 10 and connects to {EX2016}"
    )
    assert reg.exists()


def test_srv_target_that_is_a_cname_is_a_problem(repo: Path, bind_server_factory) -> None:
    declare(repo, "contoso.com.")
    zones, resolver = bind_server_factory(), bind_server_factory()
    zones.start({"contoso.com.": zone_text("contoso.com.", SRV_OK)})
    resolver.start(
        {"emailservice.io.": zone_text("emailservice.io.", "exchange IN CNAME cdn.example.net.")}
    )
    done = doctor(repo, zones, *resolver_for(resolver), "--format", "json")
    assert done.returncode == 2
    step10 = steps(json.loads(done.stdout))["10"]
    assert step10["result"] == "problem"
    assert f"{EX2016} is a CNAME to cdn.example.net." in step10["says"]
    assert "RFC 2782" in step10["says"]


def test_target_that_cannot_be_checked_is_not_a_false_alarm(
    repo: Path, bind_server: BindServer
) -> None:
    declare(repo, "contoso.com.")
    bind_server.start({"contoso.com.": zone_text("contoso.com.", SRV_OK)})
    # the "resolver" is the zone's own server: it refuses emailservice.io.
    done = doctor(repo, bind_server, *resolver_for(bind_server), "--format", "json")
    assert done.returncode == 0
    step10 = steps(json.loads(done.stdout))["10"]
    assert step10["result"] == "unknown"
    assert f"could not check whether {EX2016} resolves" in step10["says"]


def test_outlook_reg_file_content(repo: Path, bind_server: BindServer, tmp_path: Path) -> None:
    declare(repo, "contoso.com.")
    bind_server.start({"contoso.com.": BROKEN})
    reg = tmp_path / "outlook.reg"
    done = doctor(repo, bind_server, "--outlook-reg", str(reg))
    assert done.returncode == 2
    assert f"wrote {reg}" in done.stderr
    raw = reg.read_bytes()
    assert raw.startswith(b"\xff\xfe"), "UTF-16 LE with BOM, as regedit writes version 5.00"
    text = raw[2:].decode("utf-16-le")
    assert "\r\n" in text
    assert "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")
    assert lines[0] == REG_HEADER
    assert REG_KEY in lines
    values = [line for line in lines if line.startswith('"')]
    assert values == [
        '"ExcludeExplicitO365Endpoint"=dword:00000001',
        '"ExcludeHttpsRootDomain"=dword:00000001',
        '"ExcludeSrvRecord"=dword:00000000',
    ]
    for value in values:  # every value is explained by the comment right above it
        above = lines[lines.index(value) - 1]
        assert above.startswith("; ")
    assert any("Steps 4 and 11" in line for line in lines)
    assert any("Step 6" in line for line in lines)
    assert any("Keep it 0" in line for line in lines)
    assert "contoso.com" in text
    assert all(line.startswith((";", "[", '"')) or not line for line in lines[1:])


def test_doctor_json_shape_and_local_files_without_server_exit_1(workspace: Path) -> None:
    done = cli("doctor", "--format", "json", "contoso.com", cwd=workspace)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert set(report) == {"domains", "summary"}
    [domain] = report["domains"]
    assert set(domain) == {
        "domain", "zone", "status", "platform", "policy", "nameserver", "steps", "verdict",
    }  # fmt: skip
    assert domain["status"] == "error"
    assert "served by no nameserver" in domain["verdict"]


def test_doctor_serve_local_on_the_examples(workspace: Path) -> None:
    from tests.servers.fixtures import require_binary

    require_binary("named")
    done = cli("doctor", "--serve-local", "tailspin.org", cwd=workspace)
    assert done.returncode == 2
    out = done.stdout
    assert "tailspin.org (CloudMail POP3/IMAP, policy remove): PROBLEM" in out
    assert "autodiscover.tailspin.org has its own record (A 198.51.100.99)" in out
    assert "_autodiscover._tcp.tailspin.org is a CNAME to autodiscover.oldhost.example." in out
    assert "eu.tailspin.org (Exchange+ 2016, policy remove): PROBLEM" in out
    assert "Few email clients use Autodiscover for POP3/IMAP" in out


def test_custom_target_inside_the_zone_is_checked_at_its_nameserver(
    repo: Path, bind_server: BindServer
) -> None:
    declare(repo, "contoso.com.", platform="custom", target="mail.contoso.com.")
    bind_server.start(
        {
            "contoso.com.": zone_text(
                "contoso.com.", "_autodiscover._tcp IN SRV 0 0 443 mail.contoso.com.",
                "mail IN CNAME host.contoso.com.", "host IN A 192.0.2.25",
            )
        }
    )  # fmt: skip
    done = doctor(repo, bind_server, "--format", "json")
    assert done.returncode == 2
    step10 = steps(json.loads(done.stdout))["10"]
    assert step10["result"] == "problem"
    assert "matches no Mailprotector platform" in step10["says"]
    assert "mail.contoso.com. is a CNAME to host.contoso.com." in step10["says"]


# -- TXT at autodiscover.<domain>: a wildcard's TXT, the shield, someone's TXT -----------------


def test_wildcard_txt_is_neither_a_conflict_nor_a_shield(repo: Path, bind_server_factory) -> None:
    """``*.eu TXT`` answers for autodiscover.eu.<domain>, but with no address: Outlook
    moves on, and it is not the autodiscover-dns shield (nothing for the plan to do)."""
    declare(repo, "contoso.com.", subs=("eu",))
    zones, resolver = bind_server_factory(), bind_server_factory()
    zones.start(
        {
            "contoso.com.": zone_text(
                "contoso.com.", f"_autodiscover._tcp.eu 3600 IN SRV 0 0 443 {EX2016}",
                '*.eu IN TXT "v=spf1 -all"',
            )
        }
    )  # fmt: skip
    resolver.start({"emailservice.io.": zone_text("emailservice.io.", TARGET_A)})
    done = doctor(repo, zones, *resolver_for(resolver), "--format", "json")
    assert done.returncode == 0, done.stdout
    report = json.loads(done.stdout)
    assert report["domains"][0]["status"] == "ok"
    walk = steps(report)
    assert walk["7"]["result"] == "ok"
    says = walk["7"]["says"]
    assert (
        "autodiscover.eu.contoso.com is not in the zone; the wildcard *.eu.contoso.com answers "
        'for it only with TXT ("v=spf1 -all"), not with an address (A/AAAA/CNAME)'
    ) in says
    assert "not a shield and not a conflict" in says
    assert "holds only" not in says
    assert "(a shield)" not in says
    assert walk["7"]["fix"] is None
    text = doctor(repo, zones, *resolver_for(resolver))
    assert "eu.contoso.com (Exchange+ 2016, policy remove): OK" in text.stdout
    assert "the wildcard *.eu.contoso.com answers for it only with TXT" in text.stdout


def test_shield_and_other_txt_are_told_apart(repo: Path, bind_server_factory) -> None:
    """The shield is the explicit TXT with the shield text; another explicit TXT also keeps
    the wildcard away (RFC 4592) but is not called a shield."""
    declare(repo, "adatum.com.", policy="shield")
    declare(repo, "contoso.com.", subs=("us",))
    zones, resolver = bind_server_factory(), bind_server_factory()
    zones.start(
        {
            "adatum.com.": zone_text(
                "adatum.com.", SRV_OK, "* IN A 192.0.2.80", f'autodiscover IN TXT "{SHIELD_TEXT}"'
            ),
            "contoso.com.": zone_text(
                "contoso.com.", f"_autodiscover._tcp.us 3600 IN SRV 0 0 443 {EX2016}",
                "*.us IN A 192.0.2.1", 'autodiscover.us IN TXT "site-verification=abc"',
            ),
        }
    )  # fmt: skip
    resolver.start({"emailservice.io.": zone_text("emailservice.io.", TARGET_A)})
    done = doctor(repo, zones, *resolver_for(resolver), "--format", "json")
    assert done.returncode == 0, done.stdout
    walks = {
        d["domain"]: {s["step"]: s for s in d["steps"]} for d in json.loads(done.stdout)["domains"]
    }
    shield = walks["adatum.com"]["7"]
    assert shield["result"] == "ok"
    assert shield["says"].startswith(
        "autodiscover.adatum.com holds only the autodiscover-dns shield (a TXT record): the "
        "wildcard *.adatum.com (A 192.0.2.80) does not answer for it (RFC 4592)"
    )
    other = walks["us.contoso.com"]["7"]
    assert other["result"] == "ok"
    assert other["says"].startswith(
        'autodiscover.us.contoso.com has a TXT record ("site-verification=abc") but no address '
        "(A/AAAA/CNAME): the wildcard *.us.contoso.com (A 192.0.2.1) does not answer for it"
    )
    assert "shield" not in other["says"]


# -- a CNAME at the SRV name ---------------------------------------------------------------------


def test_cname_to_a_valid_srv_is_followed_like_outlook_does(
    repo: Path, bind_server_factory
) -> None:
    """Resolvers and Outlook follow a CNAME at _autodiscover._tcp: doctor follows it too
    (inside the zone at its nameserver, outside through the resolver), and says the plan
    still replaces it with the SRV record; confirm still reports it pending."""
    declare(repo, "fabrikam.net.")
    declare(repo, "contoso.com.", subs=("asia",))
    zones, resolver = bind_server_factory(), bind_server_factory()
    zones.start(
        {
            "fabrikam.net.": zone_text(
                "fabrikam.net.", "_autodiscover._tcp IN CNAME srv.fabrikam.net.",
                f"srv IN SRV 0 0 443 {EX2016}",
            ),
            "contoso.com.": zone_text(
                "contoso.com.",
                "_autodiscover._tcp.asia IN CNAME _autodiscover._tcp.hosted.emailservice.io.",
            ),
        }
    )  # fmt: skip
    resolver.start(
        {
            "emailservice.io.": zone_text(
                "emailservice.io.", TARGET_A, f"_autodiscover._tcp.hosted IN SRV 0 0 443 {EX2016}"
            )
        }
    )
    done = doctor(repo, zones, *resolver_for(resolver), "--format", "json")
    assert done.returncode == 0, done.stdout
    domains = {d["domain"]: d for d in json.loads(done.stdout)["domains"]}
    for domain, cname, where in (
        ("fabrikam.net", "srv.fabrikam.net.", f"nameserver 127.0.0.1:{zones.port}"),
        (
            "asia.contoso.com", "_autodiscover._tcp.hosted.emailservice.io.",
            f"resolver 127.0.0.1:{resolver.port}",
        ),
    ):  # fmt: skip
        report = domains[domain]
        assert report["status"] == "ok", report
        step10 = {s["step"]: s for s in report["steps"]}["10"]
        assert step10["result"] == "warn", step10
        says = step10["says"]
        assert says.startswith(
            f"_autodiscover._tcp.{domain} is a CNAME to {cname}, not an SRV record itself; "
            f"resolvers and Outlook follow it and find SRV 0 0 443 {EX2016} (at {cname} from "
            f"{where}). The plan still replaces the CNAME with the SRV record"
        ), says
        assert "Outlook finds no SRV" not in says
        assert f"SRV 0 0 443 {EX2016} is Exchange+ 2016" in says
        assert f"{EX2016} resolves (198.51.100.20)" in says
        assert step10["fix"] == f"make plan shows it replaced by SRV 0 0 443 {EX2016}; make apply"
        assert report["verdict"].startswith(
            f"Outlook reaches the SRV record at step 10 through the CNAME to {cname} and "
            f"connects to {EX2016}"
        )
    text = doctor(repo, zones, *resolver_for(resolver), "fabrikam.net")
    assert "fabrikam.net (Exchange+ 2016, policy remove): OK" in text.stdout
    assert "resolvers and Outlook follow it and find SRV" in text.stdout
    # confirm still wants the SRV record itself at the name
    confirmed = cli("confirm", "--nameserver", f"127.0.0.1:{zones.port}", "fabrikam.net", cwd=repo)
    assert confirmed.returncode == 2
    assert "a CNAME to srv.fabrikam.net. instead of the SRV record" in confirmed.stdout


def test_cname_that_leads_to_no_srv_is_a_problem(repo: Path, bind_server_factory) -> None:
    declare(repo, "fabrikam.net.")
    zones, resolver = bind_server_factory(), bind_server_factory()
    zones.start(
        {
            "fabrikam.net.": zone_text(
                "fabrikam.net.", "_autodiscover._tcp IN CNAME www.fabrikam.net.",
                "www IN A 192.0.2.7",
            )
        }
    )  # fmt: skip
    resolver.start({"emailservice.io.": zone_text("emailservice.io.", TARGET_A)})
    done = doctor(repo, zones, *resolver_for(resolver), "--format", "json")
    assert done.returncode == 2, done.stdout
    report = json.loads(done.stdout)["domains"][0]
    step10 = steps({"domains": [report]})["10"]
    assert step10["result"] == "problem"
    assert step10["says"] == (
        "_autodiscover._tcp.fabrikam.net is a CNAME to www.fabrikam.net., not an SRV record: it "
        f"leads to www.fabrikam.net., which has no SRV record (no SRV record from nameserver "
        f"127.0.0.1:{zones.port}), so Outlook finds no SRV."
    )
    assert report["verdict"].startswith("Outlook finds no usable SRV record at step 10")
