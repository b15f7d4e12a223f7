"""The benchmark works: a quick N=50 run proves it end to end, with no timing assertion.

``bench/run.py`` runs the CLI as subprocesses against seeded backends and writes
BENCHMARKS.md; here it runs on the embedded default (local zone files) and, when
BIND is installed, a real ``named``, plus tiny versions of the scale runs, and
the report must carry every field the issue asks for.
"""

from __future__ import annotations

import json
import os
import subprocess

import dns.zone
import yaml

from bench import generate as gen
from tests.helpers import PYTHON, ROOT
from tests.servers import backends
from tests.servers.fixtures import missing

N = 50
PHASES = ("plan", "baseline", "apply", "replan", "confirm")


def test_generated_domains_are_realistic_and_stable():
    domains = gen.generate(300)
    assert [d.zone for d in domains] == [d.zone for d in gen.generate(300)], "seeded"
    assert [d.zone for d in domains] != [d.zone for d in gen.generate(300, seed=7)]
    assert len({d.zone for d in domains}) == 300
    tags = gen.summary(domains)["tags"]
    for tag in ("conflict:wildcard-a", "conflict:autodiscover-cname", "state:wrong-srv",
                "state:cname-srv", "state:correct", "subdomain", "policy:shield"):  # fmt: skip
        assert tags.get(tag), f"no domain with {tag}: {tags}"
    for d in domains:
        pairs = {(name, rtype) for name, rtype, _ttl, _values in d.records}
        assert {("@", "SOA"), ("@", "NS"), ("@", "A"), ("@", "MX"), ("@", "TXT"),
                ("@", "CAA")} <= pairs  # fmt: skip
        assert ("www", "A") in pairs or ("www", "CNAME") in pairs
        spf = [v for name, rtype, _, values in d.records if (name, rtype) == ("@", "TXT")
               for v in values if v.startswith('"v=spf1')]  # fmt: skip
        assert spf, d.zone
        zone = dns.zone.from_text(gen.zone_text(d), origin=d.zone, relativize=True)
        assert len(list(zone.iterate_rdatas())) == sum(len(r[3]) for r in d.records)
        declared = yaml.safe_load(gen.zone_yaml(d))
        assert sorted(declared) == sorted(x.srv_name for x in d.declared)
        assert d.expect_changes == ("state:correct" not in d.tags)


def _backends() -> list[str]:
    """local always; bind where named is installed (required under REQUIRE_SERVERS=1)."""
    why = backends.available("bind")
    if why and os.environ.get("REQUIRE_SERVERS") == "1":
        missing(why)  # fails the test: the rule of tests/servers/fixtures.py
    return ["local"] if why else ["local", "bind"]


def test_quick_benchmark_reports_every_field(tmp_path):
    backends = _backends()
    out, data = tmp_path / "BENCHMARKS.md", tmp_path / "results.json"
    out.write_text(
        "# Benchmarks\n\nprose before\n\n<!-- bench:begin -->\nold results\n"
        "<!-- bench:end -->\n\nprose after\n"
    )
    argv = [PYTHON, "-m", "bench.run", "--n", str(N), "--backends", ",".join(backends),
            "--repeat", "1", "--profile", "--out", str(out), "--json", str(data),
            "--cf-window", "0.5", "--cf-n", "60"]  # fmt: skip
    if "bind" in backends:
        argv += ["--scale", "--scale-n", "60"]
    env = {k: v for k, v in os.environ.items() if k != "REQUIRE_SERVERS"}
    run = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout == "", "the benchmark reports to files; progress goes to stderr"
    results = json.loads(data.read_text())

    machine = results["machine"]
    assert machine["nproc"] >= 1
    assert machine["cpu"]
    assert machine["ram_gib"] > 0
    for name in backends:
        r = results["backends"][name]
        assert r["problems"] == [], r["problems"]
        dataset = r["dataset"]
        assert dataset["domains"] == N
        assert dataset["expected_zones_with_changes"] > 0
        phases = r["phases"]
        assert set(PHASES) <= set(phases), phases.keys()
        for phase in PHASES:
            p = phases[phase]
            assert p["wall"] > 0, (name, phase)
            assert p["cpu"] > 0, (name, phase)
            assert p["maxrss_mib"] > 10, (name, phase)
            assert isinstance(p["requests"], dict)
            assert p["command"]
            assert p["rate_limited"] == 0
        plan = phases["plan"]
        assert plan["summary"]["zones"] == N
        assert plan["summary"]["zones_with_changes"] == dataset["expected_zones_with_changes"]
        assert plan["progress_in_stdout"] is False
        assert "octodns-sync" in phases["baseline"]["command"]
        assert phases["baseline"]["summary"]["zones_with_changes"] > 0
        assert r["ratio"]["wall"] > 0
        assert r["ratio"]["cpu"] > 0
        assert r["ratio"]["target"] == 1.10
        assert phases["apply"]["zones_applied"] == dataset["expected_zones_with_changes"]
        assert phases["apply"]["zones_failed"] == 0
        assert phases["replan"]["summary"]["zones_with_changes"] == 0, "apply converges"
        confirm = phases["confirm"]["summary"]
        assert confirm["domains"] == dataset["email_domains"]
        assert confirm["error"] == 0
        assert confirm["confirmed"] + confirm["conflict"] == confirm["domains"]
    local = results["backends"]["local"]
    changed = local["dataset"]["expected_zones_with_changes"]
    assert local["phases"]["apply"]["requests"] == {"files written": changed}
    assert local["markdown_progress"]["progress_in_stdout"] is False
    profile = local["profile"]["runs"]
    assert {"plan.py", "octodns-sync"} <= set(profile)
    assert any("Manager.sync" in p["what"] for p in profile["plan.py"]["points"])
    if "bind" in backends:
        bind = results["backends"]["bind"]["phases"]
        changed = results["backends"]["bind"]["dataset"]["expected_zones_with_changes"]
        assert bind["plan"]["requests"] == {"AXFR": N}, "one transfer per zone"
        assert bind["apply"]["requests"] == {"AXFR": N, "UPDATE": changed}
        scale = results["scale"]["local"]
        assert scale["problems"] == []
        assert scale["n"] == 60
        assert scale["confirm"]["summary"]["error"] == 0
        assert scale["plan"]["maxrss_mib"] > 0
        assert scale["ratio"]["wall"] > 0
    cloudflare = results["scale"]["cloudflare"]
    assert cloudflare["problems"] == [], cloudflare["problems"]
    requests = cloudflare["plan"]["requests"]
    assert requests["GET records list"] == 60
    assert requests["GET zones list"] == 2
    assert cloudflare["apply"]["requests"]["POST batch"] == cloudflare["expected"]["writes"]
    assert cloudflare["apply"]["failed_requests"] == 0

    targets = results["targets"]
    assert targets
    assert all({"target", "goal", "measured", "met"} <= set(t) for t in targets)
    assert any("octodns-sync" in t["target"] for t in targets)
    assert any("progress" in t["target"] and t["met"] for t in targets)

    text = out.read_text()
    assert text.startswith("# Benchmarks\n\nprose before\n")
    assert text.endswith("prose after\n")
    assert "old results" not in text
    for heading in ("### Targets", f"### plan.py vs plain octodns-sync at {N} zones",
                    f"### Every phase at {N} zones", "### Profile at", "### Commands",
                    "against the rate-limited Cloudflare fake"):  # fmt: skip
        assert heading in text, heading
    assert "| local | plan |" in text
    assert "| local | baseline |" in text
