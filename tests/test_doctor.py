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

from tests.helpers import ROOT
from tests.servers.bind import BindServer
from tests.test_confirm import EX2016, SRV_OK, cli, declare, zone_text

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
