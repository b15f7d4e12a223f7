"""Provider faults: failing APIs, throttling, refusing and silent servers.

Every test drives ``plan.py`` in a subprocess against a real server (BIND,
PowerDNS, moto Route53) or the strict Cloudflare API server, with faults
injected at the server or by a small proxy in front of it, and checks:

- retries are bounded (requests counted where they arrive) and nothing hangs
  (every CLI run has a subprocess timeout as a hang guard, never a timing assertion);
- a fault that outlasts the retry budget ends the run with a per-zone report
  (``applied ...`` on stdout, ``FAILED ...`` on stderr) and exit 1, and the other
  zones are applied;
- a re-run converges: the next plan holds only what was not applied, then nothing;
- no record outside the owned names changes in any run (read back from the backend).

The tests run a copy of config/octodns.yaml with smaller timeouts and waits
(``FAST``): the same code paths, seconds instead of minutes. With the defaults
(``test_default_settings_are_bounded`` pins them) the worst cases are:

- Cloudflare, per request: 6 attempts (``retry_count`` 5), each within ``timeout``
  15 s per socket operation (connect, then read), waits between them
  min(max(1 s * 2^n * [1, 1.5), Retry-After), 60 s): at most 6 * 30 + 5 * 60 = 480 s,
  46.5 s of waiting without Retry-After. A run makes one zone-list request per 50
  zones, one records read per zone and one batch write per changed zone (one more
  read when the retry of a write that got no answer is refused); a request budget
  keeps it under 1,100 requests per 300 s.
- Route53, per API call: botocore "standard" retries, ``client_max_attempts`` 10 =
  11 attempts, each within 60 s connect + 60 s read, backoff min(2^n, 20) s for
  throttling: at most 11 * 120 + 131 = 1,451 s when the endpoint swallows packets,
  131 s of waiting when it keeps throttling; botocore's retry quota stops retrying
  after about 100 throttled (50 timed-out) retries per run.
- BIND: no retries; one AXFR per zone within ``timeout`` 10 s (the whole transfer)
  and one UPDATE per zone and 1,000 changes within 10 s: at most 20 s per zone.
- PowerDNS: no retries; one GET per zone and one PATCH per changed zone (and one
  version request per run), each within ``timeout`` 10 s per socket operation: at
  most 40 s per zone.

A refused connection or an unknown host is none of these: nothing was sent, so no
provider retries it; the run stops with one line naming the URL and its variable.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import signal
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import requests
import yaml

from tests.fakes.cloudflare_api import FakeCloudflare
from tests.helpers import ROOT, one_error_line, owned_by_spec, quiet, run_cli
from tests.provider_cases import CONFLICTS, EXPECTED, NS, SOA, SRV_NAME, SRV_VALUE, UNRELATED
from tests.servers import free_port
from tests.servers.backends import (
    Backend,
    Bind,
    Cloudflare,
    PowerDns,
    Route53,
    Seed,
    Snapshot,
    relative,
)
from tests.servers.fixtures import *  # noqa: F403
from tests.test_providers_e2e import declare

# octodns-bind 1.1.0 calls APIs octodns 1.22 deprecates; upstream, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONFIG = "config/octodns.yaml"
HANG_GUARD = 60  # seconds: a CLI run that takes longer than this is a hang

#: test-only provider options: the production code paths with short waits
CF_TIMEOUT = 1.0
CF_RETRIES = 3
R53_RETRIES = 2
DNS_TIMEOUT = 2
FAST = {
    "cloudflare": {
        "timeout": CF_TIMEOUT,
        "retry_count": CF_RETRIES,
        "retry_period": 0.05,
        "max_retry_after": 2,
    },
    "route53": {"client_max_attempts": R53_RETRIES},
    "bind": {"timeout": DNS_TIMEOUT},
    "powerdns": {"timeout": DNS_TIMEOUT},
}

#: the e2e zones plus two shaped like example.com.: five zones, four with changes
ZONES = ["example.com.", "example.net.", "example.org.", "example.info.", "example.edu."]
OWNED = owned_by_spec([""])


def expected(zone: str) -> set[tuple[str, str, str]]:
    return EXPECTED.get(zone, EXPECTED["example.com."])


CHANGING = [z for z in ZONES if expected(z)]


def seeds(zone: str) -> list[Seed]:
    """Every RRset of ``zone``: SOA and NS, 27 unrelated ones, the conflicts."""
    head = [
        (name, _type, ttl, [v.format(zone=zone) for v in values])
        for name, _type, ttl, values in (SOA, NS)
    ]
    return head + UNRELATED + CONFLICTS.get(zone, CONFLICTS["example.com."])


def unowned(rel: str, rtype: str) -> bool:
    return (rel, rtype) not in OWNED and rtype != "SOA"  # SOA: the serial may move


def seed_all(backend: Backend) -> Backend:
    """ZONES, through the server's own interface (tests/servers/backends.py)."""
    backend.seed({zone: seeds(zone) for zone in ZONES})
    return backend


def unrelated(backend: Backend) -> dict[str, Snapshot]:
    """Every RRset outside the owned names, in the server's native form, per zone."""
    return {
        zone: {key: rrset for key, rrset in backend.snapshot(zone).items() if unowned(*key)}
        for zone in ZONES
    }


def use_fast_options(ws: Path, fast: bool) -> None:
    """Switch the workspace config between the FAST options and the production ones."""
    path = ws / CONFIG
    data = yaml.safe_load(path.read_text())
    for provider, options in FAST.items():
        for key, value in options.items():
            if fast:
                data["providers"][provider][key] = value
            else:
                data["providers"][provider].pop(key, None)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def ws(ws: Path) -> Path:
    """The shared workspace without local zones, running the FAST config."""
    use_fast_options(ws, True)
    return ws


def cli(ws: Path, env: dict[str, str], command: str, *args: str):
    """plan.py in a subprocess (JSON for plan); never a traceback, never a hang."""
    extra = ("--format", "json") if command == "plan" else ()
    out = run_cli(
        command, "--config", CONFIG, *quiet(command), *extra, *args, cwd=ws, env=env,
        timeout=HANG_GUARD,
    )  # fmt: skip
    assert "Traceback" not in out.stderr, out.stderr
    return out


def changes(out) -> dict[str, set[tuple[str, str, str]]]:
    """Zone -> (action, name, type) of a JSON plan's zones with changes."""
    return {
        z["zone"]: {(c["action"], c["name"], c["type"]) for c in z["changes"]}
        for z in json.loads(out.stdout)["zones"]
        if z["changes"]
    }


def plan_changes(ws: Path, env: dict[str, str]) -> dict[str, set[tuple[str, str, str]]]:
    out = cli(ws, env, "plan")
    assert out.returncode == 0, out.stderr
    return changes(out)


def report(out, target: str) -> tuple[set[str], dict[str, str]]:
    """The per-zone report of an apply: zones applied (stdout), zone -> error (stderr)."""
    applied = set(re.findall(rf"^applied (\S+) at {target}: \d+ change\(s\)$", out.stdout, re.M))
    failed = dict(re.findall(rf"^FAILED  (\S+) at {target}: (.*)$", out.stderr, re.M))
    return applied, failed


def assert_partial_apply(out, target: str, failed_zones: set[str]) -> dict[str, str]:
    """Exit 1; the failed zones reported, every other zone with changes applied."""
    assert out.returncode == 1, out.stdout + out.stderr
    applied, failed = report(out, target)
    assert set(failed) == failed_zones, out.stderr
    assert applied == set(CHANGING) - failed_zones, out.stdout
    line = one_error_line(out.stderr)
    assert f"{len(failed_zones)} of {len(CHANGING)} zone(s) failed" in line, line
    return failed


def converge(ws: Path, env: dict[str, str], target: str, left: set[str]) -> None:
    """The next plan holds exactly the zones not applied; applying them leaves nothing.

    Runs with the production timeouts: the faults are over, and a 2 s bound on a
    real server's write is a test of the CI machine's disk, not of the planner.
    """
    use_fast_options(ws, False)
    assert plan_changes(ws, env) == {zone: expected(zone) for zone in left}
    out = cli(ws, env, "apply")
    assert out.returncode == 0, out.stderr
    assert report(out, target) == (left, {})
    assert plan_changes(ws, env) == {}


# ------------------------------------------------------------ defaults


def test_default_settings_are_bounded(monkeypatch):
    """The production config sets no timeouts or retries: the providers' defaults apply,
    and each is finite (the worst cases in the module docstring follow from them)."""
    from providers.bind import Rfc2136Provider
    from providers.cloudflare import CloudflareProvider
    from providers.powerdns import PowerDnsProvider
    from providers.route53 import Route53Provider

    production = yaml.safe_load((ROOT / CONFIG).read_text())["providers"]
    knobs = {"timeout", "retry_count", "retry_period", "max_retry_after", "client_max_attempts"}
    for provider in ("cloudflare", "route53", "bind", "powerdns"):
        assert not knobs & set(production[provider]), provider

    cf = CloudflareProvider("cloudflare", token="t")
    assert (cf.timeout, cf.retry_count, cf.retry_period, cf.max_retry_after) == (15, 5, 1.0, 60)
    # the longest waits between attempts: backoff with jitter, or Retry-After, capped
    backoff = sum(min(cf.retry_period * 2**n * 1.5, cf.max_retry_after) for n in range(5))
    assert (backoff, cf.retry_count * cf.max_retry_after) == (46.5, 300)
    assert (cf.budget.limit, cf.budget.window) == (1100, 300)

    bind = Rfc2136Provider("bind", host="127.0.0.1", key_name="k", key_secret="a2V5")
    assert bind.timeout == 10
    pdns = PowerDnsProvider("powerdns", api_url="http://127.0.0.1:8081", api_key="k")
    assert pdns.timeout == 10

    for key in ("AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_PROFILE", "AWS_DEFAULTS_MODE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    r53 = Route53Provider("route53", access_key_id="a", secret_access_key="s")
    config = r53._conn.meta.config
    assert config.retries == {"total_max_attempts": 11, "mode": "standard"}
    assert (config.connect_timeout, config.read_timeout) == (60, 60)
    from botocore.retries.standard import ExponentialBackoff

    assert ExponentialBackoff._MAX_BACKOFF == 20  # standard mode: backoff capped at 20 s


# ------------------------------------------------------------ Cloudflare


class CfAccount:
    """The strict Cloudflare API server seeded with ZONES, and what the tests read back."""

    def __init__(self, fake: FakeCloudflare) -> None:
        self.fake = fake
        self.backend = seed_all(Cloudflare(fake))
        self.ids = {zone: fake.zone_id(zone) for zone in ZONES}
        self.env = self.backend.env()
        self.baseline = unrelated(self.backend)

    def check(self) -> None:
        assert unrelated(self.backend) == self.baseline, "a record outside the owned names changed"

    def records_path(self, zone: str) -> str:
        return f"/zones/{self.ids[zone]}/dns_records"

    def batch_path(self, zone: str) -> str:
        return f"/zones/{self.ids[zone]}/dns_records/batch"

    def counts(self) -> Counter:
        return Counter((r["method"], r["path"]) for r in self.fake.requests)

    def srv(self, zone: str) -> list[str]:
        return [
            f"{d['priority']} {d['weight']} {d['port']} {d['target'].rstrip('.')}."
            for r in self.fake.records(zone)
            if r["type"] == "SRV" and relative(r["name"], zone) == SRV_NAME
            for d in [r["data"]]
        ]

    def owned_after_apply(self) -> None:
        for zone in ZONES:
            assert self.srv(zone) == [SRV_VALUE], zone
            left = {(relative(r["name"], zone), r["type"]) for r in self.fake.records(zone)}
            assert not left & {("*", "A"), ("autodiscover", "CNAME"), (SRV_NAME, "CNAME")}


KINDS = ("429", "500", "502", "503", "reset", "timeout")
Point = tuple[str, str]  # (method, path)


def arm(fake: FakeCloudflare, kind: str, point: Point, times: int) -> str:
    """The next ``times`` requests to ``point`` fail in the way ``kind`` names."""
    method, path = point
    pattern = "^" + re.escape(path) + "$"
    if kind == "429":
        fake.inject(method, pattern, status=429, retry_after=1, times=times)
    elif kind == "reset":
        fake.inject(method, pattern, reset=True, times=times)
    elif kind == "timeout":  # answered (504) only after the client gave up
        fake.inject(method, pattern, delay=CF_TIMEOUT + 0.6, times=times)
    else:
        fake.inject(method, pattern, status=int(kind), times=times)
    return kind


@pytest.fixture
def account():
    with FakeCloudflare(token="cf-fault-token") as fake:
        yield CfAccount(fake)


def reads(account: CfAccount) -> list[Point]:
    return [("GET", "/zones")] + [("GET", account.records_path(z)) for z in ZONES]


def writes(account: CfAccount) -> list[Point]:
    return [("POST", account.batch_path(z)) for z in CHANGING]


def assert_requests(
    account: CfAccount, points: list[Point], failures: dict[Point, int], exhausted=()
) -> None:
    """Each point was asked once plus once per injected failure, an exhausted one exactly
    1 + retry_count times; nothing else was asked."""
    want = {p: CF_RETRIES + 1 if p in exhausted else 1 + failures.get(p, 0) for p in points}
    counts = account.counts()
    assert counts == Counter(want), counts


@pytest.mark.parametrize("seed", [3, 8])
def test_cloudflare_transient_faults_at_random_points_are_retried(account, ws, seed):
    """429 (Retry-After), 5xx, resets and timeouts, each fewer times than the retry budget,
    on random reads of plan and apply and on random batch writes: the run succeeds, every
    faulted request is retried exactly until it succeeds, and nothing else changes."""
    rng = random.Random(seed)
    declare(ws, "cloudflare", ZONES)
    env = account.env

    kinds = rng.sample(KINDS, len(KINDS))  # every kind once, at random points
    failures = {p: rng.randint(1, 2) for p in rng.sample(reads(account), 3)}
    armed = {arm(account.fake, kinds.pop(), p, n) for p, n in failures.items()}
    account.fake.reset_log()
    out = cli(ws, env, "plan")
    assert out.returncode == 0, out.stderr
    assert changes(out) == {zone: expected(zone) for zone in CHANGING}
    assert_requests(account, reads(account), failures)
    assert_retry_after_honoured(armed, out.stderr)
    assert account.fake.writes() == []
    account.check()

    points = rng.sample(reads(account), 1) + rng.sample(writes(account), 2)
    failures = {p: rng.randint(1, 2) for p in points}
    armed = {arm(account.fake, kinds.pop(), p, n) for p, n in failures.items()}
    assert kinds == []
    account.fake.reset_log()
    out = cli(ws, env, "apply")
    assert out.returncode == 0, out.stderr
    assert report(out, "cloudflare") == (set(CHANGING), {})
    assert_requests(account, reads(account) + writes(account), failures)
    assert_retry_after_honoured(armed, out.stderr)
    account.check()
    account.owned_after_apply()
    assert plan_changes(ws, env) == {}


def assert_retry_after_honoured(kinds: set[str], stderr: str) -> None:
    """A 429 waits Retry-After's 1 s, not the 0.05 s backoff."""
    if "429" in kinds:
        assert "Cloudflare rate limit (429); retry 1/3 in 1.0s" in stderr, stderr


def test_cloudflare_faults_beyond_the_retry_budget_fail_one_zone_and_rerun_converges(account, ws):
    """A fault on every attempt of one request: planning stops with one line and writes
    nothing; at apply only that zone fails, the others are applied, a re-run converges."""
    rng = random.Random(5)
    declare(ws, "cloudflare", ZONES)
    env = account.env

    # plan: one zone's records fail on every attempt -> one line, exit 1, nothing written
    victim = rng.choice(ZONES)
    point = ("GET", account.records_path(victim))
    arm(account.fake, rng.choice(KINDS), point, CF_RETRIES + 1)
    account.fake.reset_log()
    out = cli(ws, env, "plan")
    assert out.returncode == 1, out.stdout + out.stderr
    line = one_error_line(out.stderr)
    assert f"zone {victim}" in line, line
    assert "failed 4 time(s)" in line, line
    assert "retries exhausted (retry_count 3)" in line, line
    assert account.counts()[point] == CF_RETRIES + 1
    assert [r for r in account.fake.requests if r["method"] != "GET"] == []
    account.check()

    # apply: one zone's batch fails on every attempt, the others only transiently, and a
    # Retry-After of an hour on the zone list is capped at max_retry_after (2 s)
    account.fake.inject("GET", "^/zones$", status=429, retry_after=3600)
    victim = rng.choice(CHANGING)
    others = [z for z in CHANGING if z != victim]
    failures = {("POST", account.batch_path(z)): 1 for z in rng.sample(others, 2)}
    failures[("POST", account.batch_path(victim))] = CF_RETRIES + 1
    failures[("GET", "/zones")] = 1
    for point, times in failures.items():
        if point[0] == "POST":
            arm(account.fake, rng.choice(KINDS), point, times)
    account.fake.reset_log()
    out = cli(ws, env, "apply")
    failed = assert_partial_apply(out, "cloudflare", {victim})
    assert "failed 4 time(s)" in failed[victim]
    assert "retries exhausted" in failed[victim]
    assert "Cloudflare rate limit (429); retry 1/3 in 2.0s" in out.stderr
    exhausted = {("POST", account.batch_path(victim))}
    assert_requests(account, reads(account) + writes(account), failures, exhausted)
    account.check()

    converge(ws, env, "cloudflare", {victim})
    account.check()
    account.owned_after_apply()


@pytest.mark.parametrize(
    ("delay", "times"),
    [
        (2.5, 1),  # the retry overtakes the slow original: the retry applies it
        (CF_TIMEOUT + 0.5, 2),  # the original lands first: its retry is refused (ids gone)
    ],
    ids=["retry-first", "original-first"],
)
def test_cloudflare_write_applied_after_the_client_gave_up_is_not_duplicated(
    account, ws, delay, times
):
    """The server applies a batch the client timed out on; the retry must not apply it twice
    and the run must not report a zone as failed that is in place."""
    declare(ws, "cloudflare", ["example.com."])
    batch = account.batch_path("example.com.")
    account.fake.inject("POST", "^" + re.escape(batch) + "$", delay=delay, apply=True, times=times)
    account.fake.reset_log()
    out = cli(ws, account.env, "apply")
    assert out.returncode == 0, out.stderr
    assert report(out, "cloudflare") == ({"example.com."}, {})
    deadline = time.monotonic() + 10  # the slow original finishes after the CLI exited
    while any(r["status"] is None for r in account.fake.requests):
        assert time.monotonic() < deadline, account.fake.requests
        time.sleep(0.05)
    statuses = [r["status"] for r in account.fake.requests if r["path"] == batch]
    assert sorted(statuses) == sorted([200] + [400] * (len(statuses) - 1)), statuses
    assert len(statuses) == times + 1
    if times == 2:
        assert "got no answer but Cloudflare had applied it" in out.stderr
    assert account.srv("example.com.") == [SRV_VALUE], "the SRV was created twice"
    assert plan_changes(ws, account.env) == {}
    account.check()


# --------------------------------------------------------------- Route53


CLI_KEY = "AKIDFAULTTESTCLI"  # the CLI's access key: moto takes any; the test's client differs


class Throttle:
    """moto's Route53 (in this process) answers Throttling to chosen calls of the CLI, and
    counts the CLI's calls.

    ``arm(action, zone, times)``: the next ``times`` calls of ``action`` for ``zone``
    are throttled (None: every call).
    """

    ACTIONS = ("change_resource_record_sets", "list_resource_record_sets")

    def __init__(self, monkeypatch, zone_ids: dict[str, str]) -> None:
        from moto.route53.exceptions import Route53ClientError
        from moto.route53.responses import Route53 as MotoResponses

        self.names = {zone_id: zone for zone, zone_id in zone_ids.items()}
        self.armed: dict[tuple[str, str], int | None] = {}
        self.calls: Counter = Counter()  # (action, zone, "throttled" | "ok")
        self.lock = threading.Lock()
        for action in self.ACTIONS:
            original = getattr(MotoResponses, action)

            def wrapper(responses, _action=action, _original=original):
                if CLI_KEY not in responses.headers.get("Authorization", ""):
                    return _original(responses)  # the test's own reads
                zone_id = responses._get_param("HostedZoneId").rsplit("/", 1)[-1]
                key = (_action, self.names.get(zone_id, zone_id))
                with self.lock:
                    left = self.armed.get(key, 0)
                    throttle = left is None or left > 0
                    if left:
                        self.armed[key] = left - 1
                    self.calls[(*key, "throttled" if throttle else "ok")] += 1
                if throttle:
                    raise Route53ClientError("Throttling", "Rate exceeded")
                return _original(responses)

            monkeypatch.setattr(MotoResponses, action, wrapper)

    def arm(self, action: str, zone: str, times: int | None) -> None:
        with self.lock:
            self.armed[(action, zone)] = times

    def disarm(self) -> None:
        with self.lock:
            self.armed.clear()
            self.calls.clear()


class R53:
    """moto's Route53 seeded with ZONES; the CLI signs with its own access key."""

    def __init__(self, server) -> None:
        self.server = server
        self.backend = seed_all(Route53(server))
        self.ids = self.backend.zone_ids
        self.env = dict(self.backend.env(), AWS_ACCESS_KEY_ID=CLI_KEY)
        self.baseline = unrelated(self.backend)

    def check(self) -> None:
        assert unrelated(self.backend) == self.baseline, "a record outside the owned names changed"


# moto warns that "Throttling" is no error shape of its model; it is what Route53 sends.
R53_WARNING = "ignore:Exception.Route53ClientError. with code Throttling"


@pytest.mark.filterwarnings(R53_WARNING)
def test_route53_throttling_is_retried_and_the_run_succeeds(moto_route53, ws, monkeypatch):
    r53 = R53(moto_route53)
    throttle = Throttle(monkeypatch, r53.ids)
    declare(ws, "route53", ZONES)
    rng = random.Random(13)
    listed = rng.choice(ZONES)
    changed = rng.sample(CHANGING, 2)
    throttle.arm("list_resource_record_sets", listed, R53_RETRIES)  # the last attempt works
    for zone in changed:
        throttle.arm("change_resource_record_sets", zone, 1)

    out = cli(ws, r53.env, "apply")
    assert out.returncode == 0, out.stderr
    assert report(out, "route53") == (set(CHANGING), {})
    calls = throttle.calls
    assert calls[("list_resource_record_sets", listed, "throttled")] == R53_RETRIES
    for zone in ZONES:
        assert calls[("list_resource_record_sets", zone, "ok")] == 1, zone
    for zone in CHANGING:  # one atomic batch per zone, retried as a whole
        assert calls[("change_resource_record_sets", zone, "ok")] == 1, zone
        assert calls[("change_resource_record_sets", zone, "throttled")] == int(zone in changed)
    r53.check()
    throttle.disarm()
    assert plan_changes(ws, r53.env) == {}


@pytest.mark.filterwarnings(R53_WARNING)
def test_route53_throttling_beyond_max_attempts_fails_one_zone_and_rerun_converges(
    moto_route53, ws, monkeypatch
):
    r53 = R53(moto_route53)
    throttle = Throttle(monkeypatch, r53.ids)
    declare(ws, "route53", ZONES)
    rng = random.Random(21)

    victim = rng.choice(ZONES)  # plan: reading one zone is throttled on every attempt
    throttle.arm("list_resource_record_sets", victim, None)
    out = cli(ws, r53.env, "plan")
    assert out.returncode == 1, out.stdout + out.stderr
    line = one_error_line(out.stderr)
    assert f"Route53 failed reading zone {victim}: " in line, line
    assert "(Throttling) when calling the ListResourceRecordSets operation" in line, line
    assert "throttled on every attempt (client_max_attempts 2): try again later" in line, line
    assert throttle.calls[("list_resource_record_sets", victim, "throttled")] == R53_RETRIES + 1
    assert not [k for k in throttle.calls if k[0] == "change_resource_record_sets"]
    r53.check()

    throttle.disarm()  # apply: one zone's change batch is throttled on every attempt
    victim = rng.choice(CHANGING)
    throttle.arm("change_resource_record_sets", victim, None)
    out = cli(ws, r53.env, "apply")
    failed = assert_partial_apply(out, "route53", {victim})
    assert failed[victim].startswith(f"Route53 failed changing zone {victim}: "), failed
    assert "(Throttling) when calling the ChangeResourceRecordSets operation" in failed[victim]
    assert failed[victim].endswith(
        "throttled on every attempt (client_max_attempts 2): try again later; "
        "run plan again to see what is left"
    ), failed
    calls = throttle.calls
    assert calls[("change_resource_record_sets", victim, "throttled")] == R53_RETRIES + 1
    assert calls[("change_resource_record_sets", victim, "ok")] == 0
    r53.check()

    throttle.disarm()
    converge(ws, r53.env, "route53", {victim})
    r53.check()


# ------------------------------------------------------------------ BIND


def bind_env(bind: Bind | None = None, port: int | None = None) -> dict[str, str]:
    """The BIND variables for ``bind`` (a dummy key without one), at ``port`` if given."""
    env = bind.env() if bind else {
        "BIND_HOST": "127.0.0.1",
        "BIND_TSIG_NAME": "autodiscover-test-key",
        "BIND_TSIG_SECRET": "c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
        "BIND_TSIG_ALGORITHM": "hmac-sha256",
    }  # fmt: skip
    return {**env, "BIND_PORT": str(port)} if port else env


class DnsTcpProxy:
    """A DNS-over-TCP front on 127.0.0.1 that closes or never answers chosen connections.

    The first message of a connection decides: ``rules`` maps (opcode, zone) to "close"
    or "hang" ("QUERY" covers AXFR; zone "*" any zone); else ``default``; else the
    connection is relayed to named at ``upstream`` (a port). Without ``upstream`` and
    with default "close", connections are closed before anything is read.
    """

    OPCODES: ClassVar[dict[int, str]] = {0: "QUERY", 5: "UPDATE"}

    def __init__(self, upstream: int | None = None, rules=None, default: str | None = None):
        self.upstream = upstream
        self.rules = dict(rules or {})
        self.default = default
        self.log: list[tuple[str, str, str]] = []
        self.stopping = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> DnsTcpProxy:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.sock.close()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            if self.upstream is None and self.default == "close":
                self.log.append(("?", "?", "close"))
                return
            conn.settimeout(10)
            try:
                head = _recv(conn, 2)
                message = _recv(conn, int.from_bytes(head, "big"))
            except OSError:
                return
            opcode = self.OPCODES.get((message[2] >> 3) & 0xF, "OTHER")
            zone = _qname(message)
            action = self.rules.get((opcode, zone)) or self.rules.get((opcode, "*")) or self.default
            self.log.append((opcode, zone, action or "relay"))
            if action == "hang":
                self.stopping.wait(30)
            elif action is None:
                self._relay(conn, head + message)

    def _relay(self, conn: socket.socket, first: bytes) -> None:
        with socket.create_connection(("127.0.0.1", self.upstream), timeout=10) as up:
            up.sendall(first)
            done = threading.Event()

            def pump(src, dst):
                try:
                    while chunk := src.recv(65536):
                        dst.sendall(chunk)
                except OSError:
                    pass
                finally:
                    done.set()

            self._spawn(pump, conn, up)
            self._spawn(pump, up, conn)
            done.wait(30)


def _recv(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _qname(message: bytes) -> str:
    labels, offset = [], 12
    while length := message[offset]:
        labels.append(message[offset + 1 : offset + 1 + length].decode().lower())
        offset += 1 + length
    return ".".join(labels) + "."


def test_bind_update_refused_for_one_zone_others_applied(bind_server, ws):
    """allow-update { none; } on one zone while AXFR works: that zone fails with REFUSED and
    what to grant, the others are applied; once the key is granted, a re-run converges."""
    server = bind_server
    refused = "example.net."
    write_conf = server._write_conf

    def refusing_conf() -> None:
        write_conf()
        text = server.conf_path.read_text()
        block = re.compile(rf'(zone "{re.escape(refused)}" {{.*?)allow-update {{[^}}]*}};', re.S)
        text, count = block.subn(r"\1allow-update { none; };", text)
        assert count == 1
        server.conf_path.write_text(text)

    server._write_conf = refusing_conf
    bind = seed_all(Bind(server))
    declare(ws, "bind", ZONES)
    env = bind_env(bind)
    baseline = unrelated(bind)
    refused_zone = server.axfr(refused)

    out = cli(ws, env, "apply")
    failed = assert_partial_apply(out, "bind", {refused})
    assert failed[refused] == (
        f"BIND at 127.0.0.1:{server.port} REFUSED the update of {refused}; grant the key "
        f"with allow-update {{ key {server.key_name}; }}"
    )
    assert server.axfr(refused) == refused_zone, "the refused zone changed"
    assert unrelated(bind) == baseline
    assert plan_changes(ws, env) == {refused: expected(refused)}

    server._write_conf = write_conf  # grant the key, reload named
    write_conf()
    server._proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while True:  # an empty signed UPDATE is refused until the new policy is loaded
        try:
            server.nsupdate(refused)
            break
        except (RuntimeError, OSError, EOFError):
            assert time.monotonic() < deadline, "named did not reload"
            time.sleep(0.1)
    converge(ws, env, "bind", {refused})
    assert unrelated(bind) == baseline


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        ("refused", "refused the TCP connection for the zone transfer of example.com."),
        ("close", "closed the connection without an answer to the zone transfer of example.com."),
        ("hang", "no answer from BIND at 127.0.0.1:{port} for the zone transfer of example.com. "
                 f"within {DNS_TIMEOUT}s (timeout)"),
    ],
)  # fmt: skip
def test_bind_unreachable_closing_or_silent_server(ws, behaviour, words):
    """Nothing listening, a server that accepts TCP and closes at once, one that never
    answers: plan and apply end in bounded time with one clear line and exit 1."""
    declare(ws, "bind", ["example.com."])
    with DnsTcpProxy(default=behaviour) as server:
        port = free_port() if behaviour == "refused" else server.port  # refused: nobody there
        env = bind_env(port=port)
        for command in ("plan", "apply"):
            out = cli(ws, env, command)
            assert out.returncode == 1, out.stdout + out.stderr
            line = one_error_line(out.stderr)
            assert words.format(port=port) in line, line
            assert "1 zone(s) refused (example.com: " in line, "refused alone, not a crash"
            assert not re.search(r"^applied ", out.stdout, re.M)
        if behaviour != "refused":
            assert server.log, "the fake server saw no connection"


def test_bind_connections_closed_or_unanswered_at_apply(bind_server, ws):
    """named behind a proxy that closes one zone's UPDATE connection and never answers
    another's: those two zones fail with clear lines, the others are applied, a re-run
    straight to named converges."""
    server = bind_server
    bind = seed_all(Bind(server))
    declare(ws, "bind", ZONES)
    baseline = unrelated(bind)
    rules = {("UPDATE", "example.com."): "close", ("UPDATE", "example.net."): "hang"}
    with DnsTcpProxy(upstream=server.port, rules=rules) as proxy:
        out = cli(ws, bind_env(bind, proxy.port), "apply")
    failed = assert_partial_apply(out, "bind", {"example.com.", "example.net."})
    where = f"BIND at 127.0.0.1:{proxy.port}"
    assert failed["example.com."] == (
        f"{where} closed the connection without an answer to the update of example.com.; "
        "check BIND_HOST and BIND_PORT point at a DNS server; it may have been applied: "
        "run plan again"
    )
    assert failed["example.net."] == (
        f"no answer from {where} for the update of example.net. within {DNS_TIMEOUT}s "
        "(timeout); it may have been applied: run plan again"
    )
    assert ("QUERY", "example.org.", "relay") in proxy.log  # transfers went through it
    assert unrelated(bind) == baseline
    converge(ws, bind_env(bind), "bind", {"example.com.", "example.net."})
    assert unrelated(bind) == baseline


# -------------------------------------------------------------- PowerDNS


class FaultProxy:
    """An HTTP proxy in front of a real API that fails the requests a rule selects.

    ``fail(method, path_regex, status=500)`` answers the next ``times`` matching
    requests itself (JSON ``{"error": ...}``, as PowerDNS does); ``reset=True`` closes
    the connection without an answer; ``hang=True`` never answers. Each request is
    logged as (method, path, status or None).
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: list[dict] = []
        self.log: list[tuple[str, str, int | None]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                proxy.handle(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, path_regex: str, *, status: int | None = None,
             reset: bool = False, hang: bool = False, times: int = 1) -> None:  # fmt: skip
        with self.lock:
            self.rules.append({"method": method, "re": re.compile(path_regex), "status": status,
                               "reset": reset, "hang": hang, "times": times})  # fmt: skip

    def requests(self, method: str, path_regex: str) -> list[int | None]:
        with self.lock:
            return [s for m, p, s in self.log if m == method and re.search(path_regex, p)]

    def _rule(self, method: str, path: str) -> dict | None:
        with self.lock:
            for rule in self.rules:
                if rule["method"] == method and rule["re"].search(path) and rule["times"] > 0:
                    rule["times"] -= 1
                    return rule
        return None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        method, path = handler.command, handler.path
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        rule = self._rule(method, path)
        if rule and (rule["reset"] or rule["hang"]):
            with self.lock:
                self.log.append((method, path, None))
            if rule["hang"]:
                self.stopping.wait(30)
            handler.close_connection = True
            with contextlib.suppress(OSError):
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if rule:
            status = rule["status"]
            data = json.dumps({"error": f"injected HTTP {status}"}).encode()
            content_type = "application/json"
        else:
            headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
            answer = requests.request(
                method, self.upstream + path, headers=headers, data=body, timeout=10
            )
            status, data = answer.status_code, answer.content
            content_type = answer.headers.get("Content-Type", "application/json")
        with self.lock:
            self.log.append((method, path, status))
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def pdns_unrelated(server) -> dict[str, Snapshot]:
    return unrelated(PowerDns(server))


@pytest.fixture
def pdns(pdns_server):
    seed_all(PowerDns(pdns_server))
    return pdns_server


def test_powerdns_api_failing_at_apply(pdns, ws):
    """PATCH answered 500, connection closed, no answer, for three zones: each fails with
    one clear line, the fourth is applied; a re-run straight to PowerDNS converges."""
    declare(ws, "powerdns", ZONES)
    baseline = pdns_unrelated(pdns)
    with FaultProxy(pdns.api_url) as proxy:
        env = {"PDNS_API_URL": proxy.url, "PDNS_API_KEY": pdns.api_key}
        proxy.fail("PATCH", r"/zones/example\.net\.$", status=500)
        proxy.fail("PATCH", r"/zones/example\.info\.$", reset=True)
        proxy.fail("PATCH", r"/zones/example\.edu\.$", hang=True)
        out = cli(ws, env, "apply")
        assert len(proxy.requests("PATCH", "")) == 4, "no request is retried blindly"
    failed = assert_partial_apply(
        out, "powerdns", {"example.net.", "example.info.", "example.edu."}
    )
    where = f"PowerDNS at {proxy.url}"
    left = "; run plan again to see what is left"
    assert failed["example.net."] == (
        f"{where} answered HTTP 500 to PATCH zones/example.net. (injected HTTP 500){left}"
    )
    assert failed["example.info."] == (
        f"cannot talk to {where} for PATCH zones/example.info. (connection closed without an "
        f"answer); check PDNS_API_URL and that the PowerDNS API is enabled{left}"
    )
    assert failed["example.edu."] == (
        f"no answer from {where} within {DNS_TIMEOUT}s to PATCH zones/example.edu. (timeout){left}"
    )
    assert pdns_unrelated(pdns) == baseline
    env = {"PDNS_API_URL": pdns.api_url, "PDNS_API_KEY": pdns.api_key}
    converge(ws, env, "powerdns", {"example.net.", "example.info.", "example.edu."})
    assert pdns_unrelated(pdns) == baseline


# ------------------------------------------- bad input, provider side


def closed_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


#: provider -> (the variable its base URL comes from, the URL's path, the other variables)
URL_CASES: dict[str, tuple[str, str, dict[str, str]]] = {
    "cloudflare": ("CLOUDFLARE_API_URL", "/client/v4", {"CLOUDFLARE_API_TOKEN": "t"}),
    "powerdns": ("PDNS_API_URL", "", {"PDNS_API_KEY": "k"}),
    "route53": ("AWS_ENDPOINT_URL_ROUTE_53", "", {
        "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": closed_url(),  # the specific variable wins: it is the one named
    }),
}  # fmt: skip


@pytest.fixture
def no_aws_profile(monkeypatch):
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def url_env(provider: str, base: str) -> tuple[dict[str, str], str, str]:
    """The provider's environment with its base URL at ``base``: (env, URL, variable)."""
    variable, path, others = URL_CASES[provider]
    url = base + path
    return {**others, variable: url}, url, variable


@pytest.mark.usefixtures("no_aws_profile")
@pytest.mark.parametrize("provider", sorted(URL_CASES))
def test_refused_url_is_named_with_its_variable_and_not_retried(ws, provider):
    """A URL where nothing listens: plan and apply stop with one line naming the URL and
    the variable it came from, exit 1, nothing applied, no retry warnings."""
    declare(ws, provider, ["example.com."])
    env, url, variable = url_env(provider, closed_url())
    for command in ("plan", "apply"):
        out = cli(ws, env, command)
        assert out.returncode == 1, out.stdout + out.stderr
        line = one_error_line(out.stderr)
        expected = (
            f"provider {provider}: cannot connect to {url} ({variable}): connection refused; "
            "check the URL"
        )
        assert expected in line, line
        assert "retry" not in out.stderr, out.stderr
        assert not re.search(r"^applied ", out.stdout, re.M), out.stdout


@pytest.mark.usefixtures("no_aws_profile")
@pytest.mark.parametrize("provider", sorted(URL_CASES))
def test_unknown_host_is_named_with_its_variable_and_not_retried(ws, provider):
    """A typo'd host (``.invalid`` never resolves, RFC 6761): one line naming URL, variable
    and host; no retry."""
    declare(ws, provider, ["example.com."])
    host = f"{provider}-api.example.invalid"
    env, url, variable = url_env(provider, f"http://{host}:8081")
    out = cli(ws, env, "plan")
    assert out.returncode == 1, out.stdout + out.stderr
    line = one_error_line(out.stderr)
    # "unknown host" (NXDOMAIN); "cannot resolve host ... (...)" where no DNS answers at all
    pattern = (
        rf"provider {provider}: cannot connect to {re.escape(url)} \({variable}\): "
        rf"(unknown host|cannot resolve host) {re.escape(host)}( \([^)]*\))?; check the URL"
    )
    assert re.search(pattern, line), line
    assert "retry" not in out.stderr, out.stderr


@pytest.mark.usefixtures("no_aws_profile")
@pytest.mark.parametrize("provider", sorted(URL_CASES))
def test_refused_url_gets_one_connection_attempt(ws, provider):
    """Counted from urllib3's own log of each new connection (``--debug``): one attempt for
    the one zone, where Cloudflare made 1 + retry_count and botocore 11 before."""
    declare(ws, provider, ["example.com."])
    port = free_port()
    env, _, _ = url_env(provider, f"http://127.0.0.1:{port}")
    out = run_cli(
        "plan", "--config", CONFIG, "--quiet", "--debug", cwd=ws, env=env, timeout=HANG_GUARD
    )
    assert out.returncode == 1, out.stdout + out.stderr
    attempts = re.findall(
        rf"Starting new HTTP connection \(\d+\): 127\.0\.0\.1:{port}$", out.stderr, re.M
    )
    assert len(attempts) == 1, out.stderr


class ClosingListener:
    """A TCP port that accepts each connection and closes it at once, counting them: the
    connection is made, the request gets no answer (a transient fault, unlike a refusal)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> ClosingListener:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
        self.thread.join(5)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


@pytest.mark.usefixtures("no_aws_profile")
@pytest.mark.parametrize(
    ("provider", "attempts"),
    [("cloudflare", CF_RETRIES + 1), ("route53", R53_RETRIES + 1), ("powerdns", 1)],
)
def test_connection_closed_without_answer_keeps_its_bounded_retries(ws, provider, attempts):
    """Only a refusal or an unknown host stops at once: a server that takes the connection
    and drops it is retried as before (Cloudflare retry_count, botocore's attempts;
    PowerDNS never retries), then reported in one line."""
    declare(ws, provider, ["example.com."])
    with ClosingListener() as listener:
        env, _, _ = url_env(provider, listener.url)
        out = cli(ws, env, "plan")
    assert out.returncode == 1, out.stdout + out.stderr
    line = one_error_line(out.stderr)
    assert "cannot connect to" not in line, line
    assert listener.accepted == attempts, out.stderr


def test_powerdns_403_and_500_while_planning_refuse_only_that_zone(pdns, ws):
    """A zone the API will not show is refused with the API's answer in one line; it is
    never written, while the zones that could be read are applied."""
    declare(ws, "powerdns", ZONES)
    before = {zone: pdns.rrsets(zone) for zone in ZONES}
    with FaultProxy(pdns.api_url) as proxy:
        env = {"PDNS_API_URL": proxy.url, "PDNS_API_KEY": pdns.api_key}
        for status, words in [
            (403, f"PowerDNS at {proxy.url} refused the API key (HTTP 403); check PDNS_API_KEY"),
            (500, f"PowerDNS at {proxy.url} answered HTTP 500 to GET zones/example.org."),
        ]:
            for command in ("plan", "apply"):
                proxy.fail("GET", r"/zones/example\.org\.$", status=status)
                out = cli(ws, env, command)
                assert out.returncode == 1, out.stdout + out.stderr
                line = one_error_line(out.stderr)
                assert words in line, line
                assert "1 zone(s) refused (example.org: " in line, line
        patched = {path.split("/zones/")[-1] for m, path, _ in proxy.log if m == "PATCH"}
        assert "example.org." not in patched
        assert patched == set(CHANGING) - {"example.org."}
    assert pdns.rrsets("example.org.") == before["example.org."]


@pytest.mark.filterwarnings("ignore:Exception.Route53ClientError. with code AccessDenied")
def test_route53_access_denied_is_one_line_and_writes_nothing(moto_route53, ws, monkeypatch):
    from moto.route53.exceptions import Route53ClientError
    from moto.route53.responses import Route53 as MotoResponses

    r53 = R53(moto_route53)
    declare(ws, "route53", ZONES)
    before = {zone: moto_route53.records(r53.ids[zone]) for zone in ZONES}
    writes, deny = [], [True]
    original = MotoResponses.list_hosted_zones

    def denied(responses):
        if deny:
            raise Route53ClientError("AccessDenied", "User: ci is not authorized to perform: x")
        return original(responses)

    def change(responses):
        writes.append(responses._get_param("HostedZoneId"))
        raise AssertionError("no write expected")

    monkeypatch.setattr(MotoResponses, "list_hosted_zones", denied)
    monkeypatch.setattr(MotoResponses, "change_resource_record_sets", change)
    for command in ("plan", "apply"):
        out = cli(ws, r53.env, command)
        assert out.returncode == 1, out.stdout + out.stderr
        line = one_error_line(out.stderr)
        assert "Route53 failed reading zone example." in line, line
        assert "(AccessDenied) when calling the ListHostedZones operation" in line, line
        assert "check the AWS credentials (or role) and their route53 permissions" in line
        assert f"{len(ZONES)} zone(s) refused" in line, "each zone refused, none crashed the run"
    assert writes == []
    deny.clear()
    assert {zone: moto_route53.records(r53.ids[zone]) for zone in ZONES} == before
