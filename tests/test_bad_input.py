"""Bad input corpus: each case gives exit 1, one line naming what is wrong, and no write.

Every case runs through validate, plan and apply on the embedded default. The
"backend" is live/: no file may appear there.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.helpers import ROOT, one_error_line, run_cli

GOOD = """\
---
_autodiscover._tcp:
  octodns:
    autodiscover:
      platform: exchange-2016
  ttl: 3600
  type: SRV
  value:
    port: 443
    priority: 0
    target: exchange.emailservice.io.
    weight: 0
"""


def srv(**overrides) -> str:
    """A zone file whose SRV value has some fields replaced (None drops the field)."""
    value = {"port": 443, "priority": 0, "target": "exchange.emailservice.io.", "weight": 0}
    value.update(overrides)
    lines = "".join(f"    {k}: {v}\n" for k, v in sorted(value.items()) if v is not None)
    return (
        "---\n_autodiscover._tcp:\n  octodns:\n    autodiscover:\n      platform: custom\n"
        f"  ttl: 3600\n  type: SRV\n  value:\n{lines}"
    )


# (id, {relative path: content}, words the error line must contain)
CASES = [
    ("malformed-yaml", {"zones/local/x.com.yaml": "_autodiscover._tcp: [oops\n"},
     ["zones/local/x.com.yaml:", "fix the YAML"]),
    ("duplicate-keys", {"zones/local/x.com.yaml": GOOD + GOOD.replace("---\n", "")},
     ["zones/local/x.com.yaml:", "duplicate key '_autodiscover._tcp'", "line 2"]),
    ("invalid-domain-name", {"zones/local/bad_name!.com.yaml": GOOD},
     ["bad_name!.com", "not a valid DNS domain name"]),
    ("leading-hyphen", {"zones/local/-bad.com.yaml": GOOD}, ["-bad.com", "not a valid DNS"]),
    ("single-label", {"zones/local/localhost.yaml": GOOD}, ["localhost", "not a valid DNS"]),
    ("internationalised", {"zones/local/bücher.de.yaml": GOOD},
     ["internationalised domain", "xn--bcher-kva.de"]),
    ("upper-case", {"zones/local/Contoso.COM.yaml": GOOD}, ["upper case", "contoso.com"]),
    ("yml-extension", {"zones/local/x.com.yml": GOOD}, ["x.com.yml", "rename"]),
    ("unknown-provider-folder", {"zones/nosuch/x.com.yaml": GOOD},
     ["zones/nosuch/", "no provider 'nosuch'"]),
    ("two-files-same-domain",
     {"zones/local/x.com.yaml": GOOD, "zones/cloudflare/x.com.yaml": GOOD},
     ["x.com is also declared in", "keep one file"]),
    ("unknown-platform",
     {"zones/local/x.com.yaml": GOOD.replace("platform: exchange-2016", "platform: exchange-2019")},
     ["x.com", "unknown platform 'exchange-2019'"]),
    ("platform-mismatch",
     {"zones/local/x.com.yaml": GOOD.replace("platform: exchange-2016", "platform: cloudmail")},
     ["x.com", "platform cloudmail needs exactly SRV 0 0 443 autodiscover.emailservice.io."]),
    ("no-platform-match",
     {"zones/local/x.com.yaml": GOOD.replace("      platform: exchange-2016\n", "      {}\n")
      .replace("exchange.emailservice.io.", "mail.example.net.")},
     ["x.com", "matches no platform", "custom"]),
    ("port-80", {"zones/local/x.com.yaml": srv(port=80)}, ["x.com.yaml", "port 80", "443"]),
    ("port-missing", {"zones/local/x.com.yaml": srv(port=None)}, ["x.com.yaml", "lacks port"]),
    ("negative-priority", {"zones/local/x.com.yaml": srv(priority=-1)},
     ["x.com.yaml", "priority -1 is out of range"]),
    ("weight-too-big", {"zones/local/x.com.yaml": srv(weight=70000)},
     ["x.com.yaml", "weight 70000 is out of range"]),
    ("float-weight", {"zones/local/x.com.yaml": srv(weight=1.5)},
     ["x.com.yaml", "weight 1.5 is not an integer"]),
    ("string-priority", {"zones/local/x.com.yaml": srv(priority='"0"')},
     ["x.com.yaml", "priority '0' is not an integer"]),
    ("target-no-dot", {"zones/local/x.com.yaml": srv(target="exchange.emailservice.io")},
     ["x.com.yaml", "lacks the trailing dot", "exchange.emailservice.io."]),
    ("target-ip", {"zones/local/x.com.yaml": srv(target="192.0.2.1.")},
     ["x.com.yaml", "is an IP address"]),
    ("target-ipv6", {"zones/local/x.com.yaml": srv(target="2001:db8::1")},
     ["x.com.yaml", "is an IP address"]),
    ("srv-no-values", {"zones/local/x.com.yaml": "---\n_autodiscover._tcp:\n  type: SRV\n"
                       "  values: []\n"}, ["x.com.yaml", "SRV has no value"]),
    ("cname-at-srv-name", {"zones/local/x.com.yaml": "---\n_autodiscover._tcp:\n  type: CNAME\n"
                           "  value: autodiscover.outlook.com.\n"},
     ["x.com.yaml", "a CNAME cannot be the Autodiscover record"]),
    ("unrelated-record", {"zones/local/x.com.yaml": GOOD + "www:\n  type: A\n  value: 192.0.2.1\n"},
     ["x.com.yaml", "record www", "only _autodiscover._tcp"]),
    ("wrong-type-at-srv-name", {"zones/local/x.com.yaml": "---\n_autodiscover._tcp:\n"
                                "  type: TXT\n  value: hello\n"},
     ["x.com.yaml", "only type SRV"]),
    ("unknown-policy",
     {"zones/local/x.com.yaml": GOOD.replace("platform: exchange-2016",
                                             "platform: exchange-2016\n      policy: nuke")},
     ["x.com.yaml", "unknown policy 'nuke'"]),
    ("unknown-meta-key",
     {"zones/local/x.com.yaml": GOOD.replace("platform: exchange-2016",
                                             "platform: exchange-2016\n      polcy: x")},
     ["x.com", "unknown octodns.autodiscover key 'polcy'"]),
    ("value-and-values", {"zones/local/x.com.yaml": GOOD + "  values: []\n"},
     ["x.com.yaml", "both value and values"]),
    ("top-level-list", {"zones/local/x.com.yaml": "- a\n- b\n"},
     ["x.com.yaml", "mapping of record names"]),
    ("list-as-key", {"zones/local/x.com.yaml": "---\n? [a, b]\n: x\n"},
     ["zones/local/x.com.yaml:2", "cannot be a key"]),
    ("include-tag", {"zones/local/x.com.yaml": "---\n_autodiscover._tcp: !include srv.yaml\n"},
     ["zones/local/x.com.yaml:2", "!include is not supported"]),
    ("keys-out-of-order",
     {"zones/local/x.com.yaml": GOOD.replace("  ttl: 3600\n  type: SRV\n",
                                             "  type: SRV\n  ttl: 3600\n")},
     ["zones/local/x.com.yaml:3", "keys out of order", "sorted"]),
    ("negative-ttl", {"zones/local/x.com.yaml": GOOD.replace("ttl: 3600", "ttl: -5")},
     ["x.com", "ttl"]),
    ("broken-catalog", {"config/platforms.yaml": "platforms: [\n"},
     ["config/platforms.yaml", "not valid YAML"]),
    ("subdomain-with-its-own-zone",
     {"zones/local/x.com.yaml": GOOD + GOOD.replace("---\n", "").replace(
         "_autodiscover._tcp:", "_autodiscover._tcp.eu:"),
      "zones/local/eu.x.com.yaml": GOOD},
     ["zones/local/x.com.yaml: record _autodiscover._tcp.eu", "eu.x.com lies in zone eu.x.com.",
      "declare it there as _autodiscover._tcp"]),
    ("tab-separator", {"zones/local/x.com.yaml": GOOD.replace("ttl: 3600", "ttl:\t3600")},
     ["zones/local/x.com.yaml:6", "a tab character", "spaces"]),
    ("wildcard-email-domain",
     {"zones/local/x.com.yaml": GOOD.replace("_autodiscover._tcp:", "_autodiscover._tcp.*:")},
     ["x.com.yaml: record _autodiscover._tcp.*", "a wildcard cannot be an email domain"]),
    ("escaped-label",
     {"zones/local/x.com.yaml": GOOD.replace("_autodiscover._tcp:", "_autodiscover._tcp.x\\y:")},
     ["x.com.yaml: record _autodiscover._tcp.x\\y", "escaped character"]),
    ("non-ascii-label",
     {"zones/local/x.com.yaml": GOOD.replace("_autodiscover._tcp:", "_autodiscover._tcp.bücher:")},
     ["x.com.yaml: record _autodiscover._tcp.bücher", "punycode: 'xn--bcher-kva'"]),
    ("underscore-label",
     {"zones/local/x.com.yaml": GOOD.replace("_autodiscover._tcp:", "_autodiscover._tcp._eu:")},
     ["x.com.yaml: record _autodiscover._tcp._eu", "underscore", "host name"]),
    ("upper-case-label",
     {"zones/local/x.com.yaml": GOOD.replace("_autodiscover._tcp:", "_autodiscover._tcp.EU:")},
     ["x.com.yaml: record _autodiscover._tcp.EU", "upper case", "'eu'"]),
    ("config-entry-without-processor",
     {"config/local.yaml": (ROOT / "config/local.yaml").read_text().replace(
         "    processors:\n      - autodiscover\n", "")},
     ["config/local.yaml", "zone entry '*local'", "does not run the Autodiscover processor"]),
    ("unknown-order-mode",
     {"config/local.yaml": (ROOT / "config/local.yaml").read_text().replace(
         "enforce_order: true", "enforce_order: true\n    order_mode: Natural")},
     ["config/local.yaml", "zones-local", "order_mode 'Natural' is not one of natural, simple"]),
]  # fmt: skip


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line_and_writes_nothing(workspace: Path, case, command):
    name, files, words = case
    for rel, content in files.items():
        path = workspace / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
    if name == "broken-catalog" or command == "apply":
        shutil.rmtree(workspace / "live", ignore_errors=True)
    result = run_cli(command, cwd=workspace)
    assert result.returncode == 1, (result.stdout, result.stderr)
    line = one_error_line(result.stderr)
    for word in words:
        assert word in line, line
    assert not (workspace / "live").exists(), "nothing may be written on bad input"


def test_missing_config_file(workspace: Path):
    result = run_cli("plan", "--config", "config/nosuch.yaml", cwd=workspace)
    assert result.returncode == 1
    assert "config/nosuch.yaml: cannot read the config" in one_error_line(result.stderr)


def test_bad_usage_exits_1(workspace: Path):
    result = run_cli("plan", "--format", "xml", cwd=workspace)
    assert result.returncode == 1
    assert "invalid choice" in result.stderr


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
