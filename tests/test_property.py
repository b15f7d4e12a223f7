"""Property: on any live zone, only Autodiscover pairs change, and one apply converges.

Random zones mix every common type, nested wildcards, CNAMEs and names under
and beside ``autodiscover`` and ``_autodiscover._tcp``; the declared email
domains and policies are random too. The oracle is written from the issue,
not from the code: the owned pairs per email domain, and RFC 4592 for what
Outlook would see after the apply.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from providers.planner.engine import Engine
from tests.helpers import ROOT, owned_by_spec, rdatasets, srv_zone_yaml

ZONE = "example.com."
SPECIAL = ["autodiscover", "*", "_autodiscover._tcp", "www", "mail", "eu", "sub", "_tcp", "x"]
NAMES = sorted(
    {
        "", "www", "mail", "autodiscover", "*", "_autodiscover._tcp", "_tcp", "_sip._tcp",
        "eu", "*.eu", "autodiscover.eu", "_autodiscover._tcp.eu", "*.sub", "sub",
        "x.autodiscover", "*.autodiscover", "autodiscover.sub", "www.eu", "_dmarc",
        "shop", "a.b.c", "*.www",
    }
)  # fmt: skip
VALUES = {
    "A": ["192.0.2.1", "198.51.100.7", "203.0.113.9"],
    "AAAA": ["2001:db8::1", "2001:db8::beef"],
    "CNAME": ["target.example.net.", "autodiscover.outlook.com.", "www.example.com."],
    "MX": ["10 mail.example.com.", "20 mx.example.net."],
    "TXT": ['"v=spf1 -all"', '"hello world"', '"a;b"'],
    "CAA": ['0 issue "letsencrypt.org"', '0 iodef "mailto:x@example.com"'],
    "SRV": ["0 0 443 exchange.emailservice.io.", "10 5 80 old.example.net.", "1 1 5060 sip."],
}
SOA = "@ 3600 IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300"


@st.composite
def live_zones(draw):
    """Zone-file text: per name either one CNAME, or a set of other types."""
    lines = [SOA, "@ 3600 IN NS ns1.example.com."]
    for name in draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=12)):
        owner = name or "@"
        if name and draw(st.booleans()) and draw(st.booleans()):
            types = ["CNAME"]
        else:
            types = draw(st.lists(st.sampled_from(["A", "AAAA", "MX", "TXT", "CAA", "SRV"]),
                                  unique=True, min_size=1, max_size=3))  # fmt: skip
        for _type in types:
            values = draw(st.lists(st.sampled_from(VALUES[_type]), unique=True, min_size=1,
                                   max_size=1 if _type == "CNAME" else 2))  # fmt: skip
            ttl = draw(st.sampled_from([60, 300, 3600]))
            lines += [f"{owner} {ttl} IN {_type} {v}" for v in values]
    return "\n".join(lines) + "\n"


declarations = st.fixed_dictionaries(
    {
        "subs": st.sampled_from([[""], ["eu"], ["", "eu"]]),
        "policy": st.sampled_from(["remove", "shield", "report"]),
        "platform": st.sampled_from(["exchange-2013", "exchange-2016", "cloudmail"]),
    }
)


@contextmanager
def repo_copy():
    tmp = Path(tempfile.mkdtemp(prefix="prop-"))
    old = os.getcwd()
    try:
        shutil.copytree(ROOT / "config", tmp / "config")
        (tmp / "zones/local").mkdir(parents=True)
        (tmp / "examples/live").mkdir(parents=True)
        os.chdir(tmp)
        yield tmp
    finally:
        os.chdir(old)
        shutil.rmtree(tmp)


def declare(ws: Path, subs: list[str], policy: str, platform: str) -> None:
    (ws / "zones/local/example.com.yaml").write_text(srv_zone_yaml(subs, policy, platform))


def plan_and_apply(force: bool = True):
    engine = Engine.open(Path("config/local.yaml"), progress=False)
    result = engine.plan(force=force)  # ownership is under test, not the max_deletes guard
    assert not result.refused, result.refused
    outcomes = engine.apply(result)
    assert all(o.error is None for o in outcomes), outcomes
    return result


def exists(sets: dict, name: str) -> bool:
    return any(n == name or n.endswith("." + name) for n, _ in sets)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone_text=live_zones(), decl=declarations)
def test_only_owned_pairs_change_and_apply_converges(zone_text: str, decl: dict):
    with repo_copy() as ws:
        seed = ws / "examples/live/example.com.zone"
        seed.write_text(zone_text)
        declare(ws, decl["subs"], decl["policy"], decl["platform"])
        before = rdatasets(seed, ZONE)

        result = plan_and_apply()
        owned = owned_by_spec(decl["subs"])
        for _target, plan in result.plans:
            for change in plan.changes:
                pair = (change.record.name, change.record._type)
                assert pair in owned, f"changed a record it does not own: {pair}"
        if decl["policy"] == "report":
            for _target, plan in result.plans:
                changed = {(c.record.name, c.record._type) for c in plan.changes}
                assert all(t in ("SRV", "CNAME") and n.startswith("_autodiscover._tcp")
                           for n, t in changed), changed  # fmt: skip

        live = ws / "live/example.com.zone"
        after = rdatasets(live, ZONE) if live.exists() else before
        untouched = lambda sets: {  # noqa: E731
            k: v
            for k, v in sets.items()
            if (k[0].replace("@", ""), k[1]) not in owned and k[1] != "SOA"
        }
        assert untouched(after) == untouched(before)

        again = Engine.open(Path("config/local.yaml"), progress=False).plan()
        assert again.report["summary"]["zones_with_changes"] == 0, again.report

        for sub in decl["subs"]:
            srv = "_autodiscover._tcp" + (f".{sub}" if sub else "")
            assert (srv, "SRV") in after
            assert len(after[(srv, "SRV")][1]) == 1
            assert (srv, "CNAME") not in after
            if decl["policy"] == "report":
                continue
            host = "autodiscover" + (f".{sub}" if sub else "")
            wildcard = "*" + (f".{sub}" if sub else "")
            for _type in ("A", "AAAA", "CNAME"):
                assert (host, _type) not in after, f"{host} {_type} still answers Outlook"
            has_wildcard = any((wildcard, t) in after for t in ("A", "AAAA", "CNAME"))
            if has_wildcard:
                assert exists(after, host), "the wildcard still answers autodiscover (RFC 4592)"
