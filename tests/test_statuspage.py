"""report: the estate status page, from real BIND answers, opened in a real headless Chromium.

The estate is served by two named processes we start (tests/servers/bind.py) that
disagree, so every state is real: confirmed (both serve the SRV), pending (one still
serves the old zone), conflict (a wildcard, an Office 365 CNAME), error (one server
REFUSES the zone; a port where nothing answers). ``plan.py report`` runs as a user
runs it; the page is then opened in Debian's chromium through Playwright with every
request except the file itself aborted and recorded.

Browser tests skip when chromium or playwright is missing, and fail instead when
REQUIRE_SERVERS=1 (CI). Set ARTIFACTS_DIR to keep the screenshots and the 10,000
domain timings; UPDATE_DOCS_SCREENSHOT=1 rewrites docs/status-page.png.
"""

from __future__ import annotations

import copy
import html.parser
import importlib.util
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from providers.live.statuspage import embed_json, render_html, summarize
from tests.helpers import PYTHON, ROOT, one_error_line
from tests.servers import free_port
from tests.servers.bind import BindServer
from tests.servers.fixtures import missing, require_binary
from tests.test_confirm import SRV_OK, SRV_VALUE, zone_text

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
OCTODNS = "config/octodns.yaml"
CLOUDMAIL = "autodiscover.emailservice.io."
EX2013 = "exchange.mailprotector.com."
STATES = ("confirmed", "pending", "conflict", "error")


def cli(*args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run ``plan.py ARGS`` in ``cwd`` as a user would."""
    env = {k: v for k, v in os.environ.items() if k != "REQUIRE_SERVERS"}
    return subprocess.run(
        [PYTHON, str(ROOT / "plan.py"), *args],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout,
    )  # fmt: skip


def declare(repo: Path, provider: str, zone: str, platform: str, target: str, policy: str) -> None:
    """zones/<provider>/<zone>.yaml declaring the apex SRV of one platform."""
    meta = f"      platform: {platform}\n" + (f"      policy: {policy}\n" if policy else "")
    path = repo / "zones" / provider / f"{zone.rstrip('.')}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"---\n_autodiscover._tcp:\n  octodns:\n    autodiscover:\n{meta}  ttl: 3600\n"
        f"  type: SRV\n  value:\n    port: 443\n    priority: 0\n    target: {target}\n"
        "    weight: 0\n"
    )


def srv(target: str) -> str:
    return f"_autodiscover._tcp 3600 IN SRV 0 0 443 {target}"


# (zone, provider, platform, target, policy, expected status)
ESTATE = [
    ("adatum.example.", "bind", "exchange-2016", "exchange.emailservice.io.", "", "confirmed"),
    ("litware.example.", "cloudflare", "cloudmail", CLOUDMAIL, "", "confirmed"),
    ("contoso.example.", "bind", "exchange-2016", "exchange.emailservice.io.", "", "pending"),
    ("fabrikam.example.", "cloudflare", "exchange-2016", "exchange.emailservice.io.", "shield",
     "conflict"),
    ("northwind.example.", "bind", "exchange-2013", EX2013, "", "conflict"),
    ("tailspin.example.", "route53", "exchange-2016", "exchange.emailservice.io.", "", "error"),
]  # fmt: skip
EXPECTED = {zone.rstrip("."): state for zone, *_, state in ESTATE}
# The SRV targets' own zones, so --resolver (server A) can tell that they resolve.
TARGET_ZONES = {
    "emailservice.io.": zone_text(
        "emailservice.io.", "exchange IN A 192.0.2.16", "autodiscover IN A 192.0.2.17"
    ),
    "mailprotector.com.": zone_text("mailprotector.com.", "exchange IN A 192.0.2.13"),
}


@dataclass
class Estate:
    repo: Path
    a: BindServer
    b: BindServer
    html: Path
    json_path: Path
    data: dict
    done: subprocess.CompletedProcess[str]
    args: list[str] = field(default_factory=list)

    def by_domain(self) -> dict[str, dict]:
        return {d["domain"]: d for d in self.data["domains"]}


def estate_repo(root: Path) -> Path:
    repo = root / "repo"
    shutil.copytree(ROOT / "config", repo / "config")
    for zone, provider, platform, target, policy, _ in ESTATE:
        declare(repo, provider, zone, platform, target, policy)
    return repo


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    """Two nameservers that disagree about six zones, and one report over both."""
    require_binary("named")
    root = tmp_path_factory.mktemp("estate")
    repo = estate_repo(root)
    a_zones = {
        "adatum.example.": zone_text("adatum.example.", SRV_OK, "@ IN A 192.0.2.10"),
        "litware.example.": zone_text("litware.example.", srv(CLOUDMAIL)),
        "contoso.example.": zone_text("contoso.example.", SRV_OK, serial=2),
        "fabrikam.example.": zone_text("fabrikam.example.", SRV_OK, "* IN A 192.0.2.80"),
        "northwind.example.": zone_text(
            "northwind.example.", "autodiscover IN CNAME autodiscover.outlook.com."
        ),
        "tailspin.example.": zone_text("tailspin.example.", SRV_OK),
        **TARGET_ZONES,
    }
    b_zones = {z: t for z, t in a_zones.items() if z not in ("tailspin.example.", *TARGET_ZONES)}
    b_zones["contoso.example."] = zone_text("contoso.example.", serial=1)  # not updated yet
    a = BindServer(tmp_path_factory.mktemp("bind-a"))
    b = BindServer(tmp_path_factory.mktemp("bind-b"))
    try:
        a.start(a_zones)
        b.start(b_zones)
        a_addr, b_addr = f"{a.host}:{a.port}", f"{b.host}:{b.port}"
        args = ["--config", OCTODNS, "--nameserver", a_addr, "--nameserver", b_addr,
                "--resolver", a_addr]  # fmt: skip
        html, json_path = root / "out" / "status.html", root / "out" / "status.json"
        done = cli("report", *args, "--html", str(html), "--json", str(json_path), cwd=repo)
        assert done.returncode == 0, done.stdout + done.stderr
        data = json.loads(json_path.read_text())
        yield Estate(repo, a, b, html, json_path, data, done, args)
    finally:
        a.stop()
        b.stop()


# -- the report's data, from real answers ---------------------------------------------------


def test_each_state_from_two_real_nameservers(estate: Estate) -> None:
    domains = estate.by_domain()
    assert {d: x["status"] for d, x in domains.items()} == EXPECTED
    a, b = f"127.0.0.1:{estate.a.port}", f"127.0.0.1:{estate.b.port}"
    # pending: A serves the record, B still the old zone; both answers are kept
    contoso = {n["address"]: n for n in domains["contoso.example"]["nameservers"]}
    assert (contoso[a]["status"], contoso[a]["srv"], contoso[a]["serial"]) == (
        "confirmed", [SRV_VALUE], 2,
    )  # fmt: skip
    assert (contoso[b]["status"], contoso[b]["srv"], contoso[b]["serial"]) == ("pending", [], 1)
    assert contoso[b]["answer"] == "no SRV record; SOA serial 1"
    assert f"still old: 127.0.0.1:{estate.b.port}" in domains["contoso.example"]["message"]
    # error: B refuses a zone it does not serve; A's answer is still shown
    tailspin = {n["address"]: n for n in domains["tailspin.example"]["nameservers"]}
    assert tailspin[b]["error"].startswith("REFUSED: ")
    assert tailspin[a]["status"] == "confirmed"
    assert tailspin[a]["srv"] == [SRV_VALUE]
    # confirmed: both agree, the target resolves through --resolver, nothing to fix
    adatum = domains["adatum.example"]
    assert [n["status"] for n in adatum["nameservers"]] == ["confirmed", "confirmed"]
    assert adatum["expected"] == {
        "name": "_autodiscover._tcp.adatum.example.", "ttl": 3600, "srv": [SRV_VALUE],
    }  # fmt: skip
    step10 = next(s for s in adatum["outlook"]["steps"] if s["step"] == "10")
    assert step10["result"] == "ok"
    assert "exchange.emailservice.io. resolves (192.0.2.16)" in step10["says"]
    assert adatum["fix"]["commands"] == []
    assert adatum["resolvers"][0]["status"] == "current"
    assert domains["litware.example"]["platform_name"] == "CloudMail POP3/IMAP"


def test_conflicts_have_plain_reasons_walks_and_fix_commands(estate: Estate) -> None:
    domains = estate.by_domain()
    both = {f"127.0.0.1:{estate.a.port}", f"127.0.0.1:{estate.b.port}"}
    [wild] = domains["fabrikam.example"]["conflicts"]
    assert (wild["record"], wild["source"]) == ("autodiscover.fabrikam.example. A 192.0.2.80",
                                                 "wildcard")  # fmt: skip
    assert "the wildcard *.fabrikam.example answers for it (A 192.0.2.80)" in wild["reason"]
    assert "before it ever looks at the SRV record" in wild["reason"]
    assert set(wild["servers"]) == both, "seen on both nameservers"
    assert "TXT shield" in domains["fabrikam.example"]["fix"]["words"]
    [cname] = domains["northwind.example"]["conflicts"]
    assert cname["source"] == "explicit"
    assert "has its own record (CNAME autodiscover.outlook.com.)" in cname["reason"]
    assert "Microsoft 365" in cname["reason"]
    walk = {s["step"]: s for s in domains["northwind.example"]["outlook"]["steps"]}
    assert [walk[s]["result"] for s in ("6", "7", "9", "10")] == [
        "ok", "problem", "problem", "problem",
    ]  # fmt: skip
    assert domains["northwind.example"]["outlook"]["verdict"].startswith("Outlook stops at step 7")
    # the fix commands name the config, the zone and the same nameservers
    commands = domains["northwind.example"]["fix"]["commands"]
    assert commands[:2] == [
        f"make plan CONFIG={OCTODNS} ZONES=northwind.example",
        f"make apply CONFIG={OCTODNS} ZONES=northwind.example",
    ]
    assert commands[2] == (
        f".venv/bin/python plan.py confirm --config {OCTODNS} "
        f"--nameserver 127.0.0.1:{estate.a.port} "
        f"--nameserver 127.0.0.1:{estate.b.port} --wait 3600 northwind.example"
    )
    pending = domains["contoso.example"]["fix"]
    assert "copy changes on their own schedule" in pending["words"]
    assert len(pending["commands"]) == 1
    assert "confirm" in pending["commands"][0]


def test_summary_counts_and_exit_codes(estate: Estate) -> None:
    summary = estate.data["summary"]
    assert summary["status"] == {"confirmed": 2, "pending": 1, "conflict": 2, "error": 1}
    assert summary["platform"] == {"cloudmail": 1, "exchange-2013": 1, "exchange-2016": 4}
    assert summary["provider"] == {"bind": 3, "cloudflare": 2, "route53": 1}
    assert summary["domains"] == 6
    assert estate.data["platforms"]["exchange-2013"] == "Exchange+ 2013"
    assert estate.data["generated"].endswith("Z")
    assert estate.done.stdout.strip() == (
        "report: 6 domain(s): 2 confirmed, 1 pending, 2 conflict, 1 error "
        f"(checked {estate.data['generated']})"
    )
    assert f"status page written to {estate.html}" in estate.done.stderr
    # the page is the report: exit 0; --detailed-exitcode says 2 when not all are confirmed
    detailed = cli("report", *estate.args, "--json", "detailed.json", "--detailed-exitcode",
                   cwd=estate.repo)  # fmt: skip
    assert detailed.returncode == 2, detailed.stderr
    only_ok = cli("report", *estate.args, "--json", "ok.json", "--detailed-exitcode",
                  "adatum.example", "litware.example", cwd=estate.repo)  # fmt: skip
    assert only_ok.returncode == 0, only_ok.stderr
    assert json.loads((estate.repo / "ok.json").read_text())["summary"]["status"]["confirmed"] == 2


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append((tag, dict(attrs)))


def test_page_is_one_self_contained_file_with_the_json_inside(estate: Estate) -> None:
    page = estate.html.read_text()
    parser = _Tags()
    parser.feed(page)
    loading = [(t, a) for t, a in parser.tags if {"src", "href", "action", "srcset"} & set(a)]
    assert loading == [("link", {"rel": "icon", "href": "data:,"})], loading
    assert "@import" not in page
    assert "url(" not in page
    [csp] = [
        a["content"] for t, a in parser.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp.startswith("default-src 'none'; script-src 'sha256-")
    scripts = [a for t, a in parser.tags if t == "script"]
    assert scripts == [{"id": "report-data", "type": "application/json"}, {}]
    start = page.index('type="application/json">') + len('type="application/json">')
    embedded = json.loads(page[start : page.index("</script>", start)])
    assert embedded == estate.data, "the page holds exactly the --json data"


def test_from_json_renders_the_same_page_without_dns(estate: Estate, tmp_path: Path) -> None:
    again = tmp_path / "again.html"
    done = cli("report", "--from-json", str(estate.json_path), "--html", str(again),
               cwd=estate.repo)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert again.read_text() == estate.html.read_text()


def test_dead_port_is_an_error_and_the_page_is_still_written(tmp_path: Path) -> None:
    repo = estate_repo(tmp_path)
    port = free_port(udp=True)
    out = tmp_path / "dead.json"
    done = cli("report", "--config", OCTODNS, "--nameserver", f"127.0.0.1:{port}",
               "--timeout", "0.2", "--json", str(out), "--html", str(tmp_path / "dead.html"),
               "adatum.example", "contoso.example", cwd=repo)  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data["summary"]["status"] == {"confirmed": 0, "pending": 0, "conflict": 0, "error": 2}
    for domain in data["domains"]:
        [server] = domain["nameservers"]
        assert server["error"].startswith(f"timeout: no answer from 127.0.0.1:{port}")
        assert domain["outlook"]["steps"] == [], "no walk without an answer"
        assert domain["fix"]["commands"] == [
            f".venv/bin/python plan.py confirm --config {OCTODNS} --nameserver 127.0.0.1:{port} "
            f"{domain['domain']}"
        ]
    assert (tmp_path / "dead.html").stat().st_size > 10_000


def test_usage_errors_are_one_line_exit_1(tmp_path: Path) -> None:
    repo = estate_repo(tmp_path)
    nothing = cli("report", "--config", OCTODNS, cwd=repo)
    assert nothing.returncode == 1
    assert "give --html FILE, --json FILE or both" in one_error_line(nothing.stderr)
    unknown = cli("report", "--config", OCTODNS, "--nameserver", "127.0.0.1", "--json", "x.json",
                  "nope.example", cwd=repo)  # fmt: skip
    assert unknown.returncode == 1
    assert "nope.example is not declared" in one_error_line(unknown.stderr)
    (repo / "bad.json").write_text("{not json")
    bad = cli("report", "--from-json", "bad.json", "--html", "x.html", cwd=repo)
    assert bad.returncode == 1
    assert "not JSON" in one_error_line(bad.stderr)
    (repo / "wrong.json").write_text(json.dumps({"domains": [{"domain": "a.example"}]}))
    wrong = cli("report", "--from-json", "wrong.json", "--html", "x.html", cwd=repo)
    assert "domains[0] (a.example) has status None" in one_error_line(wrong.stderr)
    mixed = cli("report", "--from-json", "bad.json", "--html", "x.html", "adatum.example",
                cwd=repo)  # fmt: skip
    assert "--from-json renders a saved report and asks no DNS: drop ZONE" in one_error_line(
        mixed.stderr
    )
    (repo / "a-file").write_text("")
    unwritable = cli("report", "--from-json", "wrong.json", "--html", "a-file/x.html", cwd=repo)
    assert unwritable.returncode == 1
    one_error_line(unwritable.stderr)
    assert not (repo / "x.html").exists()


HOSTILE = "</script><script>window.pwned=1</script><img src=x onerror=window.pwned=2>"


def synthetic(count: int, hostile: bool = False) -> dict:
    """A report in --json's format for ``count`` domains, cycling through the four states."""
    platforms = ("exchange-2016", "exchange-2013", "cloudmail")
    providers = ("cloudflare", "route53", "bind", "powerdns")
    domains = []
    for i in range(count):
        status = STATES[i % 4]
        name = f"d{i:05d}.example"
        ns = [
            {"name": f"ns{k}.host.example.", "address": f"192.0.2.{k}", "label": f"ns{k} ({i})",
             "status": status, "answer": f"SRV {SRV_VALUE}", "srv": [SRV_VALUE],
             "srv_cname": None, "conflicts": [], "shield": [], "apex": [], "serial": 7,
             "error": "timeout: no answer" if status == "error" else None}
            for k in (1, 2)
        ]  # fmt: skip
        conflicts = (
            [{"record": f"autodiscover.{name}. A 192.0.2.80", "name": f"autodiscover.{name}.",
              "type": "A", "value": "192.0.2.80", "ttl": 3600, "source": "wildcard",
              "kept_by_policy": False, "reason": "a wildcard answers", "servers": ["ns1", "ns2"]}]
            if status == "conflict"
            else []
        )  # fmt: skip
        domains.append(
            {"domain": HOSTILE + name if hostile and i == 0 else name, "zone": name + ".",
             "provider": providers[i % 4], "zone_file": f"zones/x/{name}.yaml",
             "platform": platforms[i % 3], "platform_name": platforms[i % 3], "policy": "remove",
             "status": status, "message": (HOSTILE if hostile else "") + f"{status} #{i}",
             "expected": {"name": f"_autodiscover._tcp.{name}.", "ttl": 3600, "srv": [SRV_VALUE]},
             "nameservers": ns, "conflicts": conflicts,
             "outlook": {"status": "ok", "nameserver": "ns1", "verdict": "fine",
                         "steps": [{"step": "10", "check": "SRV", "result": "ok", "says": "ok",
                                    "fix": None}]},
             "fix": {"words": "do this", "commands": [f"make plan ZONES={name}"]}}
        )  # fmt: skip
    return {"schema": 1, "generated": "2026-11-28T09:30:00Z", "seconds": 12.5,
            "config": OCTODNS, "asked": "synthetic", "platforms": {p: p for p in platforms},
            "summary": summarize(domains), "domains": domains}  # fmt: skip


def test_untrusted_data_cannot_end_the_script_element() -> None:
    data = synthetic(3, hostile=True)
    page = render_html(data)
    assert page.count("<script") == 2
    assert page.count("</script>") == 2
    assert HOSTILE not in page
    assert "<img" not in page
    assert embed_json({"x": "</script><!--&"}) == '{"x":"\\u003c/script\\u003e\\u003c!--\\u0026"}'
    assert json.loads(embed_json(data)) == data


# -- in a real browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser build)."""
    if importlib.util.find_spec("playwright") is None:
        missing("playwright not installed: .venv/bin/pip install playwright==1.65.2")
    elif not os.access(CHROMIUM, os.X_OK):
        missing(f"chromium not installed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Opened:
    page: object
    url: str
    left: list[str] = field(default_factory=list)  # requests other than the file itself
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    load_seconds: float = 0.0

    def assert_clean(self) -> None:
        assert self.left == [], f"requests left the page: {self.left}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"


def open_page(browser, path: Path, width: int = 1400) -> Opened:
    page = browser.new_page(viewport={"width": width, "height": 900})
    opened = Opened(page, path.resolve().as_uri())

    def route(r) -> None:
        if r.request.url == opened.url:
            r.continue_()
        else:
            opened.left.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda r: r.url != opened.url and opened.left.append(r.url))
    page.on("console", lambda m: m.type == "error" and opened.errors.append(m.text))
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    started = time.monotonic()
    page.goto(opened.url)
    page.wait_for_selector("body[data-ready=true]")
    opened.load_seconds = time.monotonic() - started
    return opened


def rows(page) -> list[str]:
    return page.eval_on_selector_all("tr.row", "rs => rs.map(r => r.dataset.domain)")


def search(page, text: str) -> None:
    """Type into the search box and wait until the table shows that query's result."""
    page.fill("#f-q", text)
    page.wait_for_selector(f"#shown[data-query={json.dumps(text)}]")


def keep(path: Path, name: str) -> Path:
    """Copy a test artifact to ARTIFACTS_DIR when set."""
    target_dir = os.environ.get("ARTIFACTS_DIR")
    if target_dir:
        Path(target_dir).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target_dir) / name)
    return path


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert len(data) > 20_000, path


@pytest.fixture
def estate_page(browser, estate: Estate):
    opened = open_page(browser, estate.html)
    yield opened
    opened.page.close()


def test_browser_summary_counts_match_the_json(estate: Estate, estate_page: Opened) -> None:
    page, summary = estate_page.page, estate.data["summary"]
    for status in STATES:
        chip = page.locator(f".chip[data-status={status}] .count")
        assert chip.get_attribute("data-count") == str(summary["status"][status])
        # colour plus text: the word is on the chip, not only its colour
        assert status.capitalize() in page.locator(f".chip[data-status={status}]").inner_text()
    for key in ("platform", "provider"):
        shown = page.eval_on_selector_all(
            f".chip[data-{key}]",
            f"bs => Object.fromEntries(bs.map(b => [b.dataset.{key}, "
            "Number(b.querySelector('.count').dataset.count)]))",
        )
        assert shown == summary[key]
    assert page.locator("#generated").inner_text() == estate.data["generated"]
    assert sorted(rows(page)) == sorted(EXPECTED)
    assert page.locator("#shown").inner_text() == "Showing 1\u20136 of 6 matching (6 in total)"
    estate_page.assert_clean()


def test_browser_filters_by_status_platform_provider_and_text(
    estate: Estate, estate_page: Opened
) -> None:
    page = estate_page.page
    conflicting = {d["domain"] for d in estate.data["domains"] if d["status"] == "conflict"}
    page.select_option("#f-status", "conflict")
    assert set(rows(page)) == conflicting == {"fabrikam.example", "northwind.example"}
    assert page.locator("tr.row .badge").all_inner_texts() == ["Conflict", "Conflict"]
    page.click("#f-clear")
    page.click(".chip[data-status=conflict]")  # the summary bar filters too
    assert set(rows(page)) == conflicting
    assert page.locator(".chip[data-status=conflict]").get_attribute("aria-pressed") == "true"
    page.click(".chip[data-status=conflict]")
    assert len(rows(page)) == 6
    page.select_option("#f-platform", "exchange-2016")
    page.select_option("#f-provider", "bind")
    assert set(rows(page)) == {"adatum.example", "contoso.example"}
    page.click("#f-clear")
    search(page, "FABRIK")
    assert rows(page) == ["fabrikam.example"]
    search(page, "autodiscover.outlook.com")  # the conflicting record's value
    assert rows(page) == ["northwind.example"]
    search(page, "no-such-domain")
    assert page.locator("td.empty").inner_text() == "No domain matches these filters."
    estate_page.assert_clean()


def test_browser_sorts_by_column(estate_page: Opened) -> None:
    page = estate_page.page
    statuses = page.eval_on_selector_all("tr.row", "rs => rs.map(r => r.dataset.status)")
    assert statuses == ["conflict", "conflict", "error", "pending", "confirmed", "confirmed"]
    page.click("th[data-key=domain] button")
    assert rows(page) == sorted(EXPECTED)
    assert page.get_attribute("th[data-key=domain]", "aria-sort") == "ascending"
    page.click("th[data-key=domain] button")
    assert rows(page) == sorted(EXPECTED, reverse=True)
    estate_page.assert_clean()


def test_browser_expanding_shows_answers_conflicts_walk_and_fix(
    estate: Estate, estate_page: Opened, tmp_path: Path
) -> None:
    page, domains = estate_page.page, estate.by_domain()
    assert page.locator("tr.details").count() == 0, "details are built only when asked"
    page.click('tr.row[data-domain="contoso.example"] button.toggle')
    details = page.locator('tr.details[data-details-for="contoso.example"]')
    answers = details.locator("table.nameservers tbody tr")
    assert answers.count() == 2
    texts = {}
    for i in range(2):
        cells = answers.nth(i).locator("td").all_inner_texts()
        texts[cells[0]] = cells
    for ns in domains["contoso.example"]["nameservers"]:
        cells = texts[ns["label"]]
        assert cells[1] == ns["status"].capitalize()
        assert cells[2] == (", ".join(ns["srv"]) or "no SRV record")
        assert cells[4] == str(ns["serial"])
    expected = "_autodiscover._tcp.contoso.example. 3600 IN SRV " + SRV_VALUE
    assert expected in details.inner_text()
    assert 'aria-expanded="true"' in page.locator(
        'tr.row[data-domain="contoso.example"] button.toggle'
    ).evaluate("b => b.outerHTML")

    page.click('tr.row[data-domain="northwind.example"] button.toggle')
    north = page.locator('tr.details[data-details-for="northwind.example"]')
    data = domains["northwind.example"]
    assert north.locator("ul.conflicts li").count() == 1
    assert data["conflicts"][0]["reason"] in north.locator("ul.conflicts li").inner_text()
    steps = north.locator("ol.walk li")
    assert steps.count() == len(data["outlook"]["steps"])
    assert "PROBLEM" in north.locator('ol.walk li[data-step="7"]').inner_text()
    assert north.locator("pre.cmd").all_inner_texts() == data["fix"]["commands"]
    assert data["outlook"]["verdict"] in north.locator("p.verdict").inner_text()

    shot = tmp_path / "status-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert_png(keep(shot, "status-page-estate.png"))
    # collapsing removes the details again; the rest of the page is unchanged
    page.click('tr.row[data-domain="contoso.example"] button.toggle')
    assert page.locator('tr.details[data-details-for="contoso.example"]').count() == 0
    assert page.locator("tr.details").count() == 1
    estate_page.assert_clean()


def test_browser_shows_hostile_names_as_text(browser, tmp_path: Path) -> None:
    path = tmp_path / "hostile.html"
    path.write_text(render_html(synthetic(8, hostile=True)))
    opened = open_page(browser, path)
    page = opened.page
    assert page.evaluate("window.pwned") is None
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 2
    page.select_option("#f-status", "confirmed")
    cell = page.locator("tr.row td.domain .name").first
    assert cell.inner_text() == HOSTILE + "d00000.example"
    page.locator("tr.row button.toggle").first.click()
    assert HOSTILE in page.locator("tr.details").inner_text()
    assert page.evaluate("window.pwned") is None
    opened.assert_clean()
    opened.page.close()


def test_browser_10000_domains_load_page_and_filter(
    browser, estate: Estate, tmp_path: Path
) -> None:
    """10,000 domains cloned from the real estate's entries (realistic size: full walks).

    No timing is asserted: the times are printed and kept as an artifact.
    """
    count = 10_000
    real = estate.data["domains"]
    domains = []
    for i in range(count):
        entry = copy.deepcopy(real[i % len(real)])
        entry["domain"] = f"d{i:05d}.{entry['domain']}"
        domains.append(entry)
    data = {**estate.data, "domains": domains, "summary": summarize(domains)}
    source = tmp_path / "big.json"
    source.write_text(json.dumps(data))
    page_path = tmp_path / "big.html"
    done = cli("report", "--from-json", str(source), "--html", str(page_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    counts = data["summary"]["status"]
    assert done.stdout.startswith(
        f"report: 10000 domain(s): {counts['confirmed']} confirmed, {counts['pending']} pending"
    )
    opened = open_page(browser, page_path)
    page = opened.page
    conflicts = counts["conflict"]
    assert page.locator(".chip[data-status=conflict] .count").get_attribute("data-count") == str(
        conflicts
    )
    assert len(rows(page)) == 50, "only one page of rows is in the document"
    assert page.locator("#p-info").inner_text() == "Page 1 of 200"

    started = time.monotonic()
    page.select_option("#f-status", "conflict")
    page.wait_for_selector(f"#shown[data-matching='{conflicts}']")
    filter_seconds = time.monotonic() - started
    statuses = page.eval_on_selector_all("tr.row", "rs => rs.map(r => r.dataset.status)")
    assert len(statuses) == 50
    assert set(statuses) == {"conflict"}
    page.click("#p-last")
    last = -(-conflicts // 50)
    assert page.locator("#p-info").inner_text() == f"Page {last} of {last}"
    assert len(rows(page)) == conflicts - 50 * (last - 1)

    started = time.monotonic()
    page.click("th[data-key=domain] button")
    page.wait_for_selector("th[data-key=domain][aria-sort=ascending]")
    sort_seconds = time.monotonic() - started
    assert rows(page)[0] == min(d["domain"] for d in domains if d["status"] == "conflict")

    page.click("#f-clear")
    started = time.monotonic()
    search(page, "d09999.")
    search_seconds = time.monotonic() - started
    assert rows(page) == [domains[9999]["domain"]]
    page.click("tr.row button.toggle")
    assert page.locator("tr.details table.nameservers tbody tr").count() == 2
    opened.assert_clean()

    timings = {
        "domains": count,
        "html_bytes": page_path.stat().st_size,
        "load_seconds": round(opened.load_seconds, 3),
        "filter_status_seconds": round(filter_seconds, 3),
        "sort_seconds": round(sort_seconds, 3),
        "search_seconds_incl_120ms_debounce": round(search_seconds, 3),
    }
    print("status page, 10,000 domains:", json.dumps(timings))
    (tmp_path / "statuspage-10000.json").write_text(json.dumps(timings, indent=2))
    keep(tmp_path / "statuspage-10000.json", "statuspage-10000.json")
    opened.page.close()


def test_browser_example_domains_served_locally(browser, workspace: Path) -> None:
    """The embedded default's examples through --serve-local: the README's screenshot."""
    require_binary("named")
    resolver = BindServer(workspace / "resolver")
    resolver.workdir.mkdir()
    try:
        resolver.start(TARGET_ZONES)
        out = workspace / "status.html"
        done = cli("report", "--serve-local", "--resolver", f"{resolver.host}:{resolver.port}",
                   "--html", str(out), "--json", "status.json", cwd=workspace)  # fmt: skip
    finally:
        resolver.stop()
    assert done.returncode == 0, done.stderr
    data = json.loads((workspace / "status.json").read_text())
    statuses = {d["domain"]: d["status"] for d in data["domains"]}
    assert statuses == {
        "adatum.com": "confirmed", "contoso.com": "conflict", "fabrikam.net": "conflict",
        "northwind.io": "conflict", "tailspin.org": "conflict", "eu.tailspin.org": "conflict",
    }  # fmt: skip
    [fab] = [d for d in data["domains"] if d["domain"] == "fabrikam.net"]
    fabrikam = {s["step"]: s for s in fab["outlook"]["steps"]}
    assert "mail.fabrikam.net. resolves (192.0.2.25)" in fabrikam["10"]["says"], (
        "an SRV target inside the zone is asked at the local named while it runs"
    )
    opened = open_page(browser, out, width=1280)
    page = opened.page
    assert page.locator(".chip[data-status=conflict] .count").inner_text() == "5"
    page.click('tr.row[data-domain="contoso.com"] button.toggle')
    assert "local named" in page.locator("table.nameservers").inner_text()
    opened.assert_clean()
    shot = workspace / "status-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert_png(keep(shot, "status-page-examples.png"))
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        (ROOT / "docs").mkdir(exist_ok=True)
        page.set_viewport_size({"width": 1280, "height": 1500})
        page.screenshot(path=str(ROOT / "docs" / "status-page.png"), full_page=False)
    opened.page.close()
