"""Secrets never appear in output, plans, logs, errors, tracebacks or written files.

Every command runs, with and without --debug, on success and failure paths of
each provider, with canary secret values; then all output and every file in
the workspace is searched for them.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.fakes.cloudflare_api import FakeCloudflare
from tests.helpers import run_cli

CF_CANARY = "cfcanary-7f3a9d-token-do-not-print"
AWS_CANARY = "awscanary/8c1e55+secret-do-not-print"
PDNS_CANARY = "pdnscanary-4b2e-key-do-not-print"
TSIG_CANARY = base64.b64encode(b"tsigcanary-secret-do-not-print!!").decode()
NOT_BASE64_CANARY = "tsig canary not base64 !!"
SEED = ["www 300 IN A 192.0.2.1", "* 300 IN A 192.0.2.9", "@ 300 IN MX 10 mail.example.net."]


def commands(provider: str) -> list[list[str]]:
    cfg = ["--config", "config/octodns.yaml"]
    out = [
        ["validate", *cfg],
        ["plan", *cfg],
        ["plan", *cfg, "--format", "json", "--output", "plan.json"],
        ["plan", *cfg, "--format", "markdown", "--output", "plan.md"],
        ["--debug", "plan", *cfg],
        ["apply", *cfg],
        ["--debug", "apply", *cfg],
    ]
    if provider != "bind":
        out.append(["import", *cfg, "--provider", provider, "--platform", "cloudmail", "--dry-run"])
        out.append(["--debug", "import", *cfg, "--provider", provider, "--platform",
                    "cloudmail", "--dry-run"])  # fmt: skip
    return out


def declare(ws: Path, provider: str, domain: str = "secret-test.com") -> None:
    for path in (ws / "zones/local").glob("*.yaml"):
        path.unlink()
    out = run_cli("add", domain, "--platform", "exchange-2016", "--provider", provider,
                  "--config", "config/octodns.yaml", cwd=ws)  # fmt: skip
    assert out.returncode == 0, out.stderr


def run_all(ws: Path, provider: str, env: dict, canaries: list[str]) -> list[int]:
    """Run every command; assert no canary anywhere; return the exit codes."""
    codes = []
    for args in commands(provider):
        result = run_cli(*args, cwd=ws, env=env)
        codes.append(result.returncode)
        text = result.stdout + result.stderr
        for canary in canaries:
            assert canary not in text, (args, text[-3000:])
    for path in ws.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for canary in canaries:
                assert canary.encode() not in data, path
    return codes


@pytest.mark.parametrize("status", [401, 403])
def test_cloudflare_refused_token(workspace: Path, status: int):
    with FakeCloudflare(token="the-right-token", auth_failure_status=status) as cf:
        cf.add_zone("secret-test.com")
        declare(workspace, "cloudflare")
        env = {"CLOUDFLARE_API_TOKEN": CF_CANARY, "CLOUDFLARE_API_URL": cf.url}
        codes = run_all(workspace, "cloudflare", env, [CF_CANARY])
        assert codes[0] == 0 and all(c == 1 for c in codes[1:])
        assert cf.writes() == []


def test_cloudflare_success_path(workspace: Path):
    with FakeCloudflare(token=CF_CANARY) as cf:
        cf.add_zone("secret-test.com")
        for line in SEED:
            name, ttl, _, _type, *content = line.split()
            if _type == "MX":
                cf.add_record("secret-test.com", "MX", name, content[1][:-1], int(ttl),
                              priority=int(content[0]))  # fmt: skip
            else:
                cf.add_record("secret-test.com", _type, name, content[0], int(ttl))
        declare(workspace, "cloudflare")
        env = {"CLOUDFLARE_API_TOKEN": CF_CANARY, "CLOUDFLARE_API_URL": cf.url}
        codes = run_all(workspace, "cloudflare", env, [CF_CANARY])
        assert codes[:5] == [0, 0, 0, 0, 0] and codes[5] == 0
        assert cf.writes(), "the success path really applied"


def test_powerdns_success_and_refused_and_unreachable(workspace: Path, pdns_server):
    pdns_server.create_zone(
        "secret-test.com.", [("www", "A", 300, ["192.0.2.1"]), ("*", "A", 300, ["192.0.2.9"])]
    )
    declare(workspace, "powerdns")
    good = {"PDNS_API_URL": pdns_server.api_url, "PDNS_API_KEY": pdns_server.api_key}
    codes = run_all(workspace, "powerdns", good, [pdns_server.api_key])
    assert codes[1] == 0
    bad = {"PDNS_API_URL": pdns_server.api_url, "PDNS_API_KEY": PDNS_CANARY}
    codes = run_all(workspace, "powerdns", bad, [PDNS_CANARY, pdns_server.api_key])
    assert codes[1:] == [1] * (len(codes) - 1)
    gone = {"PDNS_API_URL": "http://127.0.0.1:9", "PDNS_API_KEY": PDNS_CANARY}
    codes = run_all(workspace, "powerdns", gone, [PDNS_CANARY])
    assert codes[1:] == [1] * (len(codes) - 1)


def test_bind_wrong_and_malformed_secret(workspace: Path, bind_server):
    zone = "secret-test.com."
    bind_server.start({zone: "$TTL 300\n@ IN SOA ns1 h 1 3600 600 86400 300\n@ IN NS ns1\n"
                             "ns1 IN A 127.0.0.1\n" + "\n".join(SEED) + "\n"})  # fmt: skip
    declare(workspace, "bind")
    base = {"BIND_HOST": "127.0.0.1", "BIND_PORT": str(bind_server.port),
            "BIND_TSIG_NAME": bind_server.key_name}  # fmt: skip
    codes = run_all(workspace, "bind", {**base, "BIND_TSIG_SECRET": bind_server.key_secret},
                    [bind_server.key_secret])  # fmt: skip
    assert codes[1] == 0
    for canary in (TSIG_CANARY, NOT_BASE64_CANARY):
        codes = run_all(workspace, "bind", {**base, "BIND_TSIG_SECRET": canary},
                        [canary, bind_server.key_secret])  # fmt: skip
        assert codes[1:] == [1] * (len(codes) - 1)


def test_route53_secret_key(workspace: Path, moto_route53):
    zone_id = moto_route53.create_zone("secret-test.com")
    moto_route53.add_records(zone_id, [("*.secret-test.com", "A", 300, ["192.0.2.9"])])
    declare(workspace, "route53")
    env = {**moto_route53.env, "AWS_SECRET_ACCESS_KEY": AWS_CANARY}
    codes = run_all(workspace, "route53", env, [AWS_CANARY])
    assert codes[1] == 0
