"""apply, then confirm, against a real PowerDNS: the article's "Enter and Confirm"."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_cli

ZONE = "confirm-pdns.example."
RECORDS = [
    ("@", "A", 300, ["192.0.2.10"]),
    ("@", "MX", 300, ["10 mail.confirm-pdns.example."]),
    ("mail", "A", 300, ["192.0.2.25"]),
    ("*", "A", 300, ["192.0.2.10"]),
    ("autodiscover", "CNAME", 300, ["autodiscover.outlook.com."]),
]


def test_conflict_before_apply_confirmed_after(workspace: Path, pdns_server):
    pdns_server.create_zone(ZONE, RECORDS)
    for path in (workspace / "zones/local").glob("*.yaml"):
        path.unlink()
    env = {"PDNS_API_URL": pdns_server.api_url, "PDNS_API_KEY": pdns_server.api_key}
    cfg = ["--config", "config/octodns.yaml"]
    added = run_cli("add", ZONE.rstrip("."), "--platform", "cloudmail", "--provider",
                    "powerdns", *cfg, cwd=workspace)  # fmt: skip
    assert added.returncode == 0, added.stderr
    ns = ["--nameserver", f"127.0.0.1:{pdns_server.dns_port}"]

    before = run_cli("confirm", *cfg, *ns, "--format", "json", cwd=workspace, env=env)
    assert before.returncode == 2, before.stderr
    zone = json.loads(before.stdout)["zones"][0]
    assert zone["status"] == "conflict"
    assert zone["nameservers"][0]["conflicts"], zone

    applied = run_cli("apply", *cfg, cwd=workspace, env=env)
    assert applied.returncode == 0, applied.stderr

    after = run_cli("confirm", *cfg, *ns, "--format", "json", cwd=workspace, env=env)
    assert after.returncode == 0, after.stdout + after.stderr
    zone = json.loads(after.stdout)["zones"][0]
    assert zone["status"] == "confirmed"
    assert zone["nameservers"][0]["srv"] == ["0 0 443 autodiscover.emailservice.io."]

    doctor = run_cli("doctor", *cfg, *ns, cwd=workspace, env=env)
    assert "step 10" in doctor.stdout
    assert doctor.returncode in (0, 2)  # the target cannot be resolved offline: "could not check"
