"""Killing apply at any moment, and two applies at once, on the embedded default."""

from __future__ import annotations

import fcntl
import random
import signal
import subprocess
import time
from pathlib import Path

from tests.helpers import PYTHON, ROOT, rdatasets, run_cli

SEED = (ROOT / "examples/live/contoso.com.zone").read_text()
DECL = (ROOT / "zones/local/contoso.com.yaml").read_text()


def many_zones(ws: Path, count: int) -> list[str]:
    for path in (ws / "zones/local").glob("*.yaml"):
        path.unlink()
    for path in (ws / "examples/live").glob("*.zone"):
        path.unlink()
    names = [f"customer{i:04d}.com." for i in range(count)]
    for zone in names:
        domain = zone.rstrip(".")
        (ws / f"examples/live/{domain}.zone").write_text(SEED.replace("contoso.com", domain))
        (ws / f"zones/local/{domain}.yaml").write_text(DECL)
    return names


def test_sigkill_during_apply_leaves_each_zone_file_old_or_new(workspace: Path):
    zones = many_zones(workspace, 300)
    domain = zones[0].rstrip(".")
    old = rdatasets(workspace / f"examples/live/{domain}.zone", zones[0])
    rng = random.Random(7)
    for _round in range(3):
        proc = subprocess.Popen(
            [PYTHON, str(ROOT / "plan.py"), "apply", "--quiet"],
            cwd=workspace, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        # wait until apply writes (plan first takes a while), then kill at a random moment
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if any((workspace / "live").glob("*.zone")):
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for path in sorted((workspace / "live").glob("*.zone")):
            zone = path.name.removesuffix("zone")
            sets = rdatasets(path, zone)  # parses: never half-written
            names = {n for n, _ in sets}
            assert ("_autodiscover._tcp", "SRV") in sets, path
            assert ("*", "A") not in sets, path
            assert "autodiscover" not in names, path
            renamed = {k: v for k, v in old.items() if k[1] != "SOA"}
            kept = {k: sets[k] for k in renamed if k in sets}
            assert len(kept) == len(renamed) - 2, "only the two conflicts went"
    final = run_cli("apply", "--quiet", cwd=workspace)
    assert final.returncode == 0, final.stderr
    again = run_cli("plan", "--detailed-exitcode", "--quiet", cwd=workspace)
    assert again.returncode == 0
    assert len(list((workspace / "live").glob("*.zone"))) == len(zones)


def test_a_second_apply_refuses_while_one_runs(workspace: Path):
    lock_dir = workspace / ".locks"
    lock_dir.mkdir()
    with open(lock_dir / "local.yaml.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        second = run_cli("apply", cwd=workspace)
    assert second.returncode == 1
    assert "another apply with config/local.yaml is running" in second.stderr
    assert not (workspace / "live").exists()
    after = run_cli("apply", cwd=workspace)
    assert after.returncode == 0
