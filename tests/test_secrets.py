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
from tests.servers.backends import Backend, Cloudflare, Seed

CF_CANARY = "cfcanary-7f3a9d-token-do-not-print"
AWS_CANARY = "awscanary/8c1e55+secret-do-not-print"
PDNS_CANARY = "pdnscanary-4b2e-key-do-not-print"
TSIG_CANARY = base64.b64encode(b"tsigcanary-secret-do-not-print!!").decode()
NOT_BASE64_CANARY = "tsig canary not base64 !!"
ZONE = "secret-test.com."
SEED: list[Seed] = [
    ("www", "A", 300, ["192.0.2.1"]),
    ("*", "A", 300, ["192.0.2.9"]),
    ("@", "MX", 300, ["10 mail.example.net."]),
]


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
    with FakeCloudflare(token="the-right-token", auth_failure_status=status) as fake:
        cf = Cloudflare(fake)
        cf.seed({ZONE: SEED})
        declare(workspace, "cloudflare")
        env = {**cf.env(), "CLOUDFLARE_API_TOKEN": CF_CANARY}
        codes = run_all(workspace, "cloudflare", env, [CF_CANARY])
        assert codes[0] == 0
        assert all(c == 1 for c in codes[1:])
        assert fake.writes() == []


def test_cloudflare_success_path(workspace: Path):
    with FakeCloudflare(token=CF_CANARY) as fake:
        cf = Cloudflare(fake)
        cf.seed({ZONE: SEED})
        declare(workspace, "cloudflare")
        codes = run_all(workspace, "cloudflare", cf.env(), [CF_CANARY])
        assert codes[:5] == [0, 0, 0, 0, 0]
        assert codes[5] == 0
        assert fake.writes(), "the success path really applied"


def test_powerdns_success_and_refused_and_unreachable(workspace: Path, backend_factory):
    pdns: Backend = backend_factory("powerdns")
    pdns.seed({ZONE: SEED})
    declare(workspace, "powerdns")
    good = pdns.env()
    key = good["PDNS_API_KEY"]
    codes = run_all(workspace, "powerdns", good, [key])
    assert codes[1] == 0
    bad = {**good, "PDNS_API_KEY": PDNS_CANARY}
    codes = run_all(workspace, "powerdns", bad, [PDNS_CANARY, key])
    assert codes[1:] == [1] * (len(codes) - 1)
    gone = {"PDNS_API_URL": "http://127.0.0.1:9", "PDNS_API_KEY": PDNS_CANARY}
    codes = run_all(workspace, "powerdns", gone, [PDNS_CANARY])
    assert codes[1:] == [1] * (len(codes) - 1)


def test_bind_wrong_and_malformed_secret(workspace: Path, backend_factory):
    bind: Backend = backend_factory("bind")
    bind.seed({ZONE: SEED})
    declare(workspace, "bind")
    good = bind.env()
    secret = good["BIND_TSIG_SECRET"]
    codes = run_all(workspace, "bind", good, [secret])
    assert codes[1] == 0
    for canary in (TSIG_CANARY, NOT_BASE64_CANARY):
        codes = run_all(workspace, "bind", {**good, "BIND_TSIG_SECRET": canary}, [canary, secret])
        assert codes[1:] == [1] * (len(codes) - 1)


def test_route53_secret_key(workspace: Path, backend_factory):
    r53: Backend = backend_factory("route53")
    r53.seed({ZONE: SEED})
    declare(workspace, "route53")
    env = {**r53.env(), "AWS_SECRET_ACCESS_KEY": AWS_CANARY}
    codes = run_all(workspace, "route53", env, [AWS_CANARY])
    assert codes[1] == 0
