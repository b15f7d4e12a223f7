"""The zone-file editor changes the planned lines and the serial token, nothing else.

Each corpus file in tests/data/zonefiles/ is a layout people really write (BIND
style with comments and a parenthesised SOA, $ORIGIN changes, blank owners,
class before TTL, CRLF, no $TTL, $INCLUDE, $GENERATE...). The expected file
after an apply is written out here by hand, as lines that vanish, lines that
change (the serial, an owner or TTL made explicit) and lines that appear, and
compared byte for byte. Served data is checked with plain dnspython reading the
files from their own directory.
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from octodns.provider.plan import Plan
from octodns.record import Create, Delete, Record, Update
from octodns.record.rr import Rrset
from octodns.zone import Zone

from providers import zonetext
from providers.planner.engine import Engine
from providers.zonefile import ZoneFileError, ZoneFileProvider

DATA = Path(__file__).parent / "data/zonefiles"
SRV = ("_autodiscover._tcp", "SRV", 3600, ["0 0 443 exchange.emailservice.io."])
SRV_LINE = "_autodiscover._tcp 3600 IN SRV 0 0 443 exchange.emailservice.io."
SRV_TABS = "_autodiscover._tcp\t3600\tIN\tSRV\t0 0 443 exchange.emailservice.io."
ADCNAME = "autodiscover IN CNAME autodiscover.outlook.com."

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -- an oracle independent of the editor ----------------------------------------------


@contextmanager
def cwd(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def served(path: Path, zone: str) -> dict:
    """(relative name, type) -> (ttl, rdata texts), by dnspython from the file's directory."""
    with cwd(path.parent):
        dz = dns.zone.from_file(path.name, origin=zone, relativize=True)
    return {
        (name.to_text(), dns.rdatatype.to_text(rds.rdtype)): (
            rds.ttl,
            frozenset(rd.to_text(origin=dz.origin, relativize=False) for rd in rds),
        )
        for name, node in dz.nodes.items()
        for rds in node.rdatasets
    }


def planned_set(zone: str, rdtype: str, ttl: int, values: list[str]) -> tuple:
    origin = dns.name.from_text(zone)
    rdatas = [dns.rdata.from_text(dns.rdataclass.IN, rdtype, v, origin) for v in values]
    return ttl, frozenset(rd.to_text(origin=origin, relativize=False) for rd in rdatas)


def serial(sets: dict) -> int:
    return int(next(iter(sets[("@", "SOA")][1])).split()[2])


def check_served(before: dict, after: dict, zone: str, changes: list[tuple]) -> None:
    """Unplanned rrsets identical (TTL and data), planned ones as planned, serial + 1."""
    planned = {((c[1] or "@"), c[2]): c for c in changes}
    for key in set(before) | set(after):
        if key == ("@", "SOA"):
            assert serial(after) == (serial(before) + 1) % 2**32
            old, new = before[key][1], after[key][1]
            assert [t.split()[:2] + t.split()[3:] for t in old] == [
                t.split()[:2] + t.split()[3:] for t in new
            ]
            continue
        if key in planned:
            change = planned[key]
            want = None if change[0] == "delete" else planned_set(zone, *change[2:])
            assert after.get(key) == want, key
        else:
            assert after.get(key) == before.get(key), key
    for key, change in planned.items():
        if change[0] != "delete":
            assert after.get(key) == planned_set(zone, *change[2:]), key


def expected_text(before: str, case: Case) -> str:
    """The file after the apply, built from the case's hand-written line lists."""
    eol = "\r\n" if "\r\n" in before else "\n"
    contents = [raw.rstrip("\r\n") for raw in before.splitlines(keepends=True)]
    assert all(contents.count(line) == 1 for line in case.replace), "ambiguous case"
    drop = list(case.drop)
    out: list[str] = []
    adds = {(where, anchor): lines for where, anchor, lines in case.add}
    for raw in before.splitlines(keepends=True):
        content = raw.rstrip("\r\n")
        out += [line + eol for line in adds.pop(("before", content), [])]
        if content in drop:
            drop.remove(content)
        else:
            out.append(case.replace.get(content, content) + (raw[len(content) :] or eol))
        out += [line + eol for line in adds.pop(("after", content), [])]
    out += [line + eol for line in adds.pop(("end", None), [])]
    assert not drop, (drop, adds)
    assert not adds, (drop, adds)
    text = "".join(out)
    return text if before.endswith(("\n", "\r")) else text.rstrip("\r\n")


# -- corpus ---------------------------------------------------------------------------


def bumped(line: str, old: str, new: str) -> dict[str, str]:
    """The SOA line with its serial token (and nothing else) changed."""
    assert line.count(f" {old} ") == 1
    return {line: line.replace(f" {old} ", f" {new} ")}


@dataclass
class Case:
    file: str
    zone: str
    changes: list[tuple]  # ("delete", name, type) | ("create"/"update", name, type, ttl, values)
    drop: list[str] = field(default_factory=list)
    replace: dict[str, str] = field(default_factory=dict)
    add: list[tuple] = field(default_factory=list)  # ("before"/"after"/"end", line, new lines)
    extra: tuple[str, ...] = ()


CASES = {
    "bind_style": Case(
        "bind_style.zone",
        "example.com.",
        [("delete", "*", "A"), ("delete", "autodiscover", "CNAME"), ("create", *SRV)],
        drop=[
            "*\tIN\tA\t192.0.2.80\t; website",
            "autodiscover\tIN\tCNAME\tautodiscover.outlook.com.\t; Office 365 leftover",
        ],
        replace={
            "\t\t2024031501\t; serial (YYYYMMDDnn)": "\t\t2024031502\t; serial (YYYYMMDDnn)",
            "\tIN\tMX\t20 mail.example.com.": "*\tIN\tMX\t20 mail.example.com.",
        },
        add=[("end", None, [SRV_TABS])],
    ),
    "origins": Case(
        "origins.zone",
        "example.org.",
        [
            ("delete", "*", "CNAME"),
            ("delete", "*.eu", "A"),
            ("delete", "autodiscover.eu", "CNAME"),
            ("create", *SRV),
            ("create", "_autodiscover._tcp.eu", "SRV", 3600, ["0 0 443 mailprotector.example."]),
        ],
        drop=["* IN CNAME www", "* IN A 198.51.100.8", ADCNAME],
        replace=bumped("@ IN SOA ns1 hostmaster 7 3600 600 604800 300", "7", "8"),
        add=[
            (
                "end",
                None,
                [
                    # the $ORIGIN at the end is eu.example.org.: absolute for the apex domain
                    "_autodiscover._tcp.example.org. 3600 IN SRV 0 0 443 exchange.emailservice.io.",
                    "_autodiscover._tcp 3600 IN SRV 0 0 443 mailprotector.example.",
                ],
            )
        ],
    ),
    "crlf": Case(
        "windows.crlf.zone",
        "example.net.",
        [("update", "autodiscover", "A", 600, ["203.0.113.10"])],
        drop=["autodiscover IN A 203.0.113.99", "autodiscover IN A 203.0.113.98"],
        replace={
            "@ IN SOA ns1.example.net. hostmaster.example.net. 100 3600 600 604800 300": (
                "@ IN SOA ns1.example.net. hostmaster.example.net. 101 3600 600 604800 300"
            )
        },
        add=[("before", "autodiscover IN A 203.0.113.99", ["autodiscover 600 IN A 203.0.113.10"])],
    ),
    "no_ttl": Case(
        "no_ttl.zone",
        "example.info.",
        [
            ("delete", "*", "A"),
            ("delete", "autodiscover", "CNAME"),
            ("create", "autodiscover", "TXT", 60, ['"v=autodiscover-shield"']),
            ("create", *SRV),
        ],
        drop=["* 600 IN A 192.0.2.80", "autodiscover 300 IN CNAME autodiscover.outlook.com."],
        replace={
            "@ 86400 IN SOA ns1 hostmaster 2024010101 3600 600 604800 300": (
                "@ 86400 IN SOA ns1 hostmaster 2024010102 3600 600 604800 300"
            ),
            # they inherited 600 from the deleted wildcard / 300 from the deleted CNAME;
            # ftp then inherits 600 from www again, and the MX 300 from mail
            "www IN A 192.0.2.81": "www 600 IN A 192.0.2.81",
            "mail IN A 192.0.2.25": "mail 300 IN A 192.0.2.25",
        },
        add=[
            (
                "before",
                "autodiscover 300 IN CNAME autodiscover.outlook.com.",
                ['autodiscover 60 IN TXT "v=autodiscover-shield"'],
            ),
            ("end", None, [SRV_LINE]),
        ],
    ),
    "include": Case(
        "with_include.zone",
        "example.com.",
        [("delete", "*", "A"), ("delete", "autodiscover", "CNAME"), ("create", *SRV)],
        drop=["* IN A 192.0.2.80", ADCNAME],
        replace=bumped("@ IN SOA ns1 hostmaster 1 3600 600 604800 300", "1", "2"),
        add=[("end", None, [SRV_LINE])],
        extra=("with_include.inc", "with_include eu.inc"),
    ),
    "generate": Case(
        "generate.zone",
        "example.com.",
        [("delete", "*", "A"), ("update", "autodiscover", "CNAME", 300, ["exchange.example.net."])],
        drop=["* IN A 192.0.2.80", ADCNAME],
        replace=bumped("@ IN SOA ns1 hostmaster 31 3600 600 604800 300", "31", "32"),
        add=[("before", ADCNAME, ["autodiscover 300 IN CNAME exchange.example.net."])],
    ),
    "split_rrset": Case(
        "split_rrset.zone",
        "example.com.",
        [("update", "*", "A", 300, ["192.0.2.90"]), ("create", *SRV)],
        drop=["*    IN 600 A 192.0.2.80", "*    600 IN A 192.0.2.81 ; second web server"],
        replace=bumped("@ IN SOA ns1 hostmaster 5 3600 600 604800 300", "5", "6"),
        add=[
            ("before", "*    IN 600 A 192.0.2.80", ["*    300 IN A 192.0.2.90"]),
            ("end", None, [SRV_LINE]),
        ],
    ),
    "no_final_newline": Case(
        "no_final_newline.zone",
        "example.com.",
        [("update", "autodiscover", "A", 300, ["192.0.2.10"]), ("create", *SRV)],
        drop=["autodiscover IN A 192.0.2.99"],
        replace=bumped("@ IN SOA ns1 hostmaster 9 3600 600 604800 300", "9", "10"),
        add=[
            ("before", "autodiscover IN A 192.0.2.99", ["autodiscover 300 IN A 192.0.2.10"]),
            ("end", None, [SRV_LINE]),
        ],
    ),
}


def install(case: Case, live: Path) -> Path:
    """The case's file as ``<zone>.zone`` in ``live``, with the files it includes."""
    live.mkdir(parents=True, exist_ok=True)
    path = live / f"{case.zone.rstrip('.')}.zone"
    shutil.copyfile(DATA / case.file, path)
    for name in case.extra:
        shutil.copyfile(DATA / name, live / name)
    return path


def others_in(path: Path) -> dict[str, bytes]:
    """The other files beside a zone file (the lock file aside)."""
    return {
        p.name: p.read_bytes()
        for p in path.parent.iterdir()
        if p != path and not p.name.endswith(".lock")
    }


def populated(provider: ZoneFileProvider, zone: str) -> Zone:
    existing = Zone(zone, [])
    assert provider.populate(existing) is True
    return existing


def octodns_plan(provider: ZoneFileProvider, zone: str, changes: list[tuple]) -> Plan:
    """A hand-built octoDNS plan, marked as the processor marks the plans it checked."""
    existing = populated(provider, zone)
    records = {(r.name, r._type): r for r in existing.records}
    out = []
    for action, name, rdtype, *new in changes:
        if new:
            fqdn = f"{name}.{zone}" if name else zone
            record = Record.from_rrset(existing, Rrset(fqdn, rdtype, new[0], new[1]), lenient=True)
        if action == "delete":
            out.append(Delete(records[(name, rdtype)]))
        elif action == "update":
            out.append(Update(records[(name, rdtype)], record))
        else:
            assert (name, rdtype) not in records
            out.append(Create(record))
    plan = Plan(existing, existing, out, True)
    plan.autodiscover_analysed = True
    return plan


@pytest.mark.parametrize("name", sorted(CASES))
def test_only_planned_lines_and_the_serial_change(tmp_path: Path, name: str):
    case = CASES[name]
    path = install(case, tmp_path / "live")
    others = others_in(path)
    before_bytes = path.read_bytes()
    before = served(path, case.zone)
    provider = ZoneFileProvider("local", str(path.parent))
    provider.apply(octodns_plan(provider, case.zone, case.changes))

    after_bytes = path.read_bytes()
    assert after_bytes.decode() == expected_text(before_bytes.decode(), case)
    check_served(before, served(path, case.zone), case.zone, case.changes)
    assert others_in(path) == others, "included files are never written"


def test_the_live_view_holds_every_name_and_type(tmp_path: Path):
    provider = ZoneFileProvider("local", str(tmp_path / "live"))
    for name in ("split_rrset", "generate", "include"):
        install(CASES[name], tmp_path / "live")
        populated(provider, CASES[name].zone)
        view = provider.live_zone(CASES[name].zone)
        if name == "split_rrset":
            assert view.types("host") == {"HINFO"}
            assert view.types("uri") == {"URI"}
            assert view.types("rp") == {"RP"}
            assert view.types("priv") == {"TYPE65280"}
            assert view.types("www") == {"A", "AAAA"}
            assert view.types("") == {"SOA", "NS"}
        elif name == "generate":
            assert {f"host{i}" for i in range(1, 5)} | {"dhcp-010", "dhcp-011"} <= set(view.nodes)
        else:
            assert view.types("ns1") == {"A"}
            assert view.types("") == {"SOA", "NS"}
            assert view.types("eu") == {"MX"}
            assert view.types("www.eu") == {"A"}
    assert provider.populate(Zone("missing.example.", [])) is False
    assert provider.live_zone("missing.example.") is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("include_owned", r"autodiscover CNAME is in \$INCLUDE file .*_owned\.inc \(line 2\)"),
        ("generate_owned", r"autodiscover CNAME comes from the \$GENERATE on line 6 of .*example"),
    ],
)
def test_a_planned_record_outside_the_main_text_is_refused(tmp_path: Path, name, message):
    case = Case(f"{name}.zone", "example.com.", [], extra=("include_owned.inc",))
    path = install(case, tmp_path / "live")
    before = {p.name: p.read_bytes() for p in path.parent.iterdir()}
    provider = ZoneFileProvider("local", str(path.parent))
    changes = [("delete", "autodiscover", "CNAME"), ("create", *SRV)]
    plan = octodns_plan(provider, "example.com.", changes)
    with pytest.raises(ZoneFileError, match=message) as error:
        provider.apply(plan)
    assert "\n" not in str(error.value)
    assert "by hand" in str(error.value)
    after = {p.name: p.read_bytes() for p in path.parent.iterdir() if not p.name.endswith(".lock")}
    assert after == before, "nothing written"


INHERITING = (
    "$ORIGIN example.com.\n"
    "@ 300 IN SOA ns1 hostmaster 1 3600 600 86400 300\n"
    "@ IN NS ns1\n"
    "autodiscover 60 IN A 192.0.2.1\n"
)


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("$INCLUDE inherits.inc\n", r"how \$INCLUDE file .*inherits\.inc \(line 1\) is read"),
        ("$GENERATE 1-2 host$ A 192.0.2.$\n", r"how the \$GENERATE on line 5 is read"),
    ],
)
def test_an_edit_that_changes_how_an_include_or_generate_reads_is_refused(
    tmp_path: Path, tail: str, message: str
):
    """Their first lines inherit the owner/TTL of the deleted line, and cannot be edited."""
    live = tmp_path / "live"
    live.mkdir()
    path = live / "example.com.zone"
    path.write_text(INHERITING + tail)
    (live / "inherits.inc").write_text('\tIN TXT "owner and TTL from the line before"\n')
    before = others_in(path), path.read_bytes()
    provider = ZoneFileProvider("local", str(live))
    plan = octodns_plan(provider, "example.com.", [("delete", "autodiscover", "A")])
    with pytest.raises(ZoneFileError, match=message + r".*by hand; nothing was written"):
        provider.apply(plan)
    assert (others_in(path), path.read_bytes()) == before


def test_the_first_apply_of_a_seed_keeps_its_include_paths_working(tmp_path: Path):
    case = CASES["include"]
    seed = install(case, tmp_path / "seed")
    provider = ZoneFileProvider("local", str(tmp_path / "live"), str(tmp_path / "seed"))
    before = served(seed, case.zone)
    provider.apply(octodns_plan(provider, case.zone, case.changes))
    live = tmp_path / "live/example.com.zone"
    rebased = Case(
        case.file,
        case.zone,
        case.changes,
        case.drop,
        {
            **case.replace,
            "$INCLUDE with_include.inc ; name servers and hosts, kept by the hosting company": (
                "$INCLUDE ../seed/with_include.inc ; name servers and hosts, kept by the hosting "
                "company"
            ),
            '$INCLUDE "with_include eu.inc" eu.example.com.': (
                '$INCLUDE "../seed/with_include eu.inc" eu.example.com.'
            ),
        },
        case.add,
    )
    assert live.read_text() == expected_text(seed.read_text(), rebased)
    check_served(before, served(live, case.zone), case.zone, case.changes)
    assert sorted(p.name for p in live.parent.iterdir()) == ["example.com.zone"], "no lock file"


def test_a_layout_the_editor_misreads_is_refused_not_written(tmp_path: Path, monkeypatch):
    """The self-check guards the editor itself: a wrong edit is never written."""
    path = install(CASES["bind_style"], tmp_path / "live")
    before = path.read_bytes()
    provider = ZoneFileProvider("local", str(path.parent))
    plan = octodns_plan(provider, "example.com.", CASES["bind_style"].changes)
    monkeypatch.setattr(zonetext, "_keep_readings", lambda reading, items: "".join(
        item.rendered() for item in items))  # fmt: skip
    with pytest.raises(
        ZoneFileError, match=r"self-check .* failed \(\* MX, which the plan does not"
    ):
        provider.apply(plan)
    assert path.read_bytes() == before


def test_through_the_processor_on_a_bind_style_seed(workspace: Path):
    """End to end (Manager, processor, provider) on a hand-written contoso.com."""
    seed = workspace / "examples/live/contoso.com.zone"
    shutil.copyfile(DATA / "contoso_bind.zone", seed)
    before = served(seed, "contoso.com.")
    engine = Engine.open(Path("config/local.yaml"), progress=False)
    outcomes = engine.apply(engine.plan())
    assert all(o.error is None for o in outcomes), outcomes
    live = workspace / "live/contoso.com.zone"
    case = Case(
        "contoso_bind.zone",
        "contoso.com.",
        [("delete", "*", "A"), ("delete", "autodiscover", "CNAME"), ("create", *SRV)],
        drop=[
            "*\t\t3600 IN A\t203.0.113.10",
            "autodiscover\tIN CNAME\tautodiscover.outlook.com. ; added 2019",
        ],
        replace={
            "\t\t2026110101 ; serial": "\t\t2026110102 ; serial",
            "\t\tIN 3600 MX\t10 mail.contoso.com.": "*\t\tIN 3600 MX\t10 mail.contoso.com.",
        },
        add=[("end", None, [SRV_TABS])],
    )
    assert live.read_text() == expected_text(seed.read_text(), case)
    check_served(before, served(live, "contoso.com."), "contoso.com.", case.changes)


# -- property: random layouts of the same records, random plans -------------------------

ZONE = "example.com."
FIXED = [
    ("", "NS", "ns1.example.com."), ("", "NS", "ns2.example.net."), ("", "A", "192.0.2.1"),
    ("", "MX", "10 mail.example.com."), ("", "TXT", '"v=spf1 -all; (strict)"'),
    ("www", "A", "192.0.2.1"), ("www", "AAAA", "2001:db8::1"), ("mail", "A", "192.0.2.25"),
    ("*", "MX", "10 mail.example.com."), ("_dmarc", "TXT", '"v=DMARC1; p=none"'),
    ("host", "HINFO", '"PC" "Linux"'), ("eu", "A", "198.51.100.1"),
    ("www.eu", "A", "198.51.100.2"),
]  # fmt: skip
OWNED = {
    ("*", "A"): ["192.0.2.80", "192.0.2.81"],
    ("autodiscover", "CNAME"): ["autodiscover.outlook.com."],
    ("autodiscover", "A"): ["192.0.2.99", "192.0.2.98"],
    ("_autodiscover._tcp", "SRV"): ["10 10 80 old.example.net."],
    ("_autodiscover._tcp", "CNAME"): ["autodiscover.oldhost.example."],
    ("*.eu", "A"): ["198.51.100.8"],
    ("autodiscover.eu", "CNAME"): ["autodiscover.outlook.com."],
}
NEW_VALUES = {
    "A": ["192.0.2.10", "192.0.2.11"],
    "CNAME": ["exchange.example.net."],
    "SRV": ["0 0 443 exchange.emailservice.io."],
    "TXT": ['"v=autodiscover-shield; x"'],
}
CREATABLE = [
    ("_autodiscover._tcp", "SRV"),
    ("autodiscover", "TXT"),
    ("_autodiscover._tcp.eu", "SRV"),
]
SERIAL = "4294967295"  # wraps to 0
TTLS = [None, None, "300", "3600", "1h", "5m", "600"]


@st.composite
def zone_texts(draw):
    """A zone text and, per physical line, the (name, type) it belongs to (None: no record)."""
    present = [k for k in OWNED if draw(st.booleans())]
    if ("autodiscover", "CNAME") in present and ("autodiscover", "A") in present:
        present.remove(("autodiscover", "A"))
    if ("_autodiscover._tcp", "CNAME") in present and ("_autodiscover._tcp", "SRV") in present:
        present.remove(("_autodiscover._tcp", "SRV"))
    records = list(FIXED) + [(n, t, v) for n, t in present for v in OWNED[(n, t)]]
    owners = sorted({r[0] for r in records if r[0]})
    order = draw(st.permutations(owners))
    eu_block = draw(st.booleans())
    if eu_block:  # the eu names together, written under $ORIGIN eu.example.com.
        rest = [o for o in order if not o.endswith("eu")]
        at = draw(st.integers(0, len(rest)))
        order = rest[:at] + [o for o in order if o.endswith("eu")] + rest[at:]
    lines: list[tuple[str, tuple | None]] = []
    eol = draw(st.sampled_from(["\n", "\r\n"]))

    def sep() -> str:
        return draw(st.sampled_from([" ", "\t", "  ", "\t\t"]))

    def comment() -> str:
        return draw(st.sampled_from(["", "", " ; note", "\t; a (b; c"]))

    lines.append(("; generated layout" + comment(), None))
    lines.append(("$ORIGIN example.com.", None))
    if draw(st.booleans()):
        lines.append((f"$TTL {draw(st.sampled_from(['1h', '300', '3600']))}", None))
    soa_ttl = draw(st.sampled_from(["", "3600 "]))
    if draw(st.booleans()):
        lines += [
            (f"@ {soa_ttl}IN SOA ns1 hostmaster (", ("", "SOA")),
            (f"\t{SERIAL} ; serial", ("", "SOA")),
            ("\t3600 600 1w 300 )", ("", "SOA")),
        ]
    else:
        lines.append((f"@ {soa_ttl}IN SOA ns1 hostmaster {SERIAL} 3600 600 1w 300", ("", "SOA")))
    origin, previous = "example.com.", ""
    for owner in ["", *list(order)]:
        if eu_block and owner.endswith("eu") and origin == "example.com.":
            lines.append(("$ORIGIN eu.example.com.", None))
            origin = "eu.example.com."
        elif origin != "example.com." and not owner.endswith("eu") and draw(st.booleans()):
            lines.append(("$ORIGIN example.com.", None))
            origin = "example.com."
        mine = [r for r in records if r[0] == owner]
        for rdtype, value in draw(st.permutations([(t, v) for _, t, v in mine])):
            if draw(st.integers(0, 5)) == 0:
                lines.append((draw(st.sampled_from(["", "; comment (", "  ; indented"])), None))
            if previous == owner and draw(st.booleans()):
                written = draw(st.sampled_from(["\t", "  ", " "]))
            else:
                written = owner_text(owner, origin, draw(st.booleans())) + sep()
            previous = owner
            ttl = draw(st.sampled_from(TTLS))
            klass = draw(st.sampled_from(["IN", "", "IN-first"]))
            fields = {
                "IN": [ttl, "IN"],
                "": [ttl],
                "IN-first": ["IN", ttl],
            }[klass]
            head = sep().join(f for f in fields if f)
            body = f"{head}{sep() if head else ''}{rdtype}{sep()}"
            if rdtype in ("MX", "SRV") and draw(st.booleans()):
                first, rest = value.split(" ", 1)
                lines.append((f"{written}{body}( {first}{comment()}", (owner, rdtype)))
                lines.append((f"\t\t{rest} ){comment()}", (owner, rdtype)))
            else:
                lines.append((f"{written}{body}{value}{comment()}", (owner, rdtype)))
        if owner == "" and draw(st.booleans()):
            lines.append(("$GENERATE 1-3 gen$ A 192.0.2.$", None))
            previous = "gen3"
    if draw(st.booleans()):
        lines.append(("", None))
    return lines, eol


def owner_text(owner: str, origin: str, absolute: bool) -> str:
    fqdn = f"{owner}.{ZONE}" if owner else ZONE
    if absolute:
        return fqdn
    if fqdn == origin:
        return "@"
    return fqdn[: -len(origin) - 1] if fqdn.endswith("." + origin) else fqdn


@st.composite
def plans(draw, lines):
    keys = {key for _, key in lines if key and key[1] != "SOA"}
    owned_present = sorted(k for k in keys if k in OWNED)
    changes, gone = [], set()
    for name, rdtype in owned_present:
        action = draw(st.sampled_from(["keep", "delete", "update"]))
        if action == "delete":
            changes.append(("delete", name, rdtype))
            gone.add((name, rdtype))
        elif action == "update":
            ttl = draw(st.sampled_from([60, 300, 3600]))
            values = draw(st.lists(st.sampled_from(NEW_VALUES[rdtype]), min_size=1, unique=True))
            changes.append(("update", name, rdtype, ttl, values))
    for name, rdtype in CREATABLE:
        blocked = (name, "CNAME") in keys and (name, "CNAME") not in gone
        if (name, rdtype) in keys or blocked or not draw(st.booleans()):
            continue
        changes.append(("create", name, rdtype, draw(st.sampled_from([300, 3600])),
                        [NEW_VALUES[rdtype][0]]))  # fmt: skip
    return changes


def without_insertions(line: str) -> set[str]:
    """``line`` minus an owner written in front, and/or a TTL written into it."""
    out = {line}
    m = re.match(r"[^\s;]+", line)
    if m:
        out.add(line[m.end() :])
    for text in list(out):
        for t in re.finditer(r"(?<=[\s(])\d+ ", text):
            out.add(text[: t.start()] + text[t.end() :])
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_random_layouts_and_plans(data):
    lines, eol = data.draw(zone_texts())
    changes = data.draw(plans(lines))
    text = "".join(line + eol for line, _ in lines)
    edits = [
        zonetext.Change(c[1], c[2], *((c[3], tuple(c[4])) if c[0] != "delete" else ()))
        for c in changes
    ]
    path = Path("/nonexistent/example.com.zone")
    new_text = zonetext.apply_changes(text, ZONE, path, path, edits)

    before = dns.zone.from_text(text, ZONE, relativize=True)
    after = dns.zone.from_text(new_text, ZONE, relativize=True)
    check_served(sets_of(before), sets_of(after), ZONE, changes)

    planned = {(c[1], c[2]) for c in changes}
    kept = [line for line, key in lines if key not in planned]
    kept = [line.replace(SERIAL, "0") for line in kept]
    out = new_text.split(eol)
    assert out[-1] == "", "line endings kept"
    assert all("\r" not in o for o in out), "line endings kept"
    added, i = [], 0
    for o in out[:-1]:
        if i < len(kept) and o == kept[i]:
            i += 1
        elif i < len(kept) and kept[i] in without_insertions(o) and kept[i][:1] in (" ", "\t"):
            i += 1  # a blank-owner line given its owner (and/or an implicit TTL made explicit)
        elif i < len(kept) and kept[i] in without_insertions(o):
            assert kept[i].split()[0] == o.split()[0]
            i += 1  # an implicit TTL made explicit
        else:
            added.append(o)
    assert i == len(kept), f"kept line {kept[i]!r} missing or changed:\n{new_text}"
    assert len(added) == sum(len(c[4]) for c in changes if c[0] != "delete"), added
    assert all(a[:1] not in (" ", "\t") and "IN" in a.split() for a in added), added


def sets_of(dz: dns.zone.Zone) -> dict:
    return {
        (name.to_text(), dns.rdatatype.to_text(rds.rdtype)): (
            rds.ttl,
            frozenset(rd.to_text(origin=dz.origin, relativize=False) for rd in rds),
        )
        for name, node in dz.nodes.items()
        for rds in node.rdatasets
    }
