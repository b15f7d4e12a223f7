"""Reading and editing BIND zone files line by line.

Why: rebuilding a zone file from a parsed model loses what people keep in it
(comments, ``$TTL``, TTL units, ``$INCLUDE``, ``$GENERATE``, order, layout), can
move blank-owner lines to another owner and changes the TTL an rrset is served
with. Instead the text is split into entries (one logical record or directive,
parentheses, quotes and comments respected) and read with the rules of
dnspython's reader (owner inheritance, RFC 1035 "last stated TTL", ``$ORIGIN``,
``$INCLUDE`` with its state restored afterwards). An edit removes and inserts
whole entries of the planned rrsets only, writes an explicit owner or TTL on a
kept line whose reading would otherwise change, and raises the SOA serial token.
Two guards use dnspython's own parser: before the edit, the owners, types and
TTLs read here must match its reading of the same text; after it, every rrset of
the new text must be the old one or the planned one. Otherwise nothing is written.

Relative ``$INCLUDE`` paths are read relative to the directory of the file that
holds the directive (dnspython alone would use the working directory).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import dns.exception
import dns.grange
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.ttl
import dns.zone

from .core.errors import AutodiscoverError

IN = dns.rdataclass.IN
SOA = dns.rdatatype.SOA
MAX_INCLUDE_DEPTH = 16
_DELIMITERS = frozenset(' \t\n;()"')
_LINE = re.compile(r"([^\r\n]*)(\r\n|\n|\r)")
_PLAIN_PATH = re.compile(r"[^\s;()\"\\]+")

Key = tuple[dns.name.Name, int, int]  # owner, type, covered type (RRSIG)
Served = dict[Key, dns.rdataset.Rdataset]


class ZoneFileError(AutodiscoverError):
    """A live zone file cannot be read, locked, edited safely or written."""


class ZoneSyntaxError(ValueError):
    """Text this reader does not understand; dnspython is the judge of valid files."""


# -- text -----------------------------------------------------------------------------


def split_lines(text: str) -> tuple[list[str], list[str]]:
    """Physical lines without their endings, and each line's ending ('' for none)."""
    contents: list[str] = []
    eols: list[str] = []
    pos = 0
    for m in _LINE.finditer(text):
        contents.append(m.group(1))
        eols.append(m.group(2))
        pos = m.end()
    if pos < len(text):
        contents.append(text[pos:])
        eols.append("")
    return contents, eols


def normalized(text: str) -> str:
    """The text as dnspython's ``from_file`` sees it (universal newlines)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``raw`` as written, ``value`` as dnspython's tokenizer returns it."""

    raw: str
    line: int  # 0-based physical line
    col: int
    quoted: bool

    @property
    def value(self) -> str:
        return self.raw[1:-1] if self.quoted else self.raw


@dataclass(slots=True)
class Entry:
    """One logical line: a record or directive (possibly spanning lines), or nothing."""

    first: int
    last: int
    tokens: list[Token]
    blank_owner: bool  # starts with whitespace: the owner is the previous one


def split_entries(lines: Sequence[str]) -> list[Entry]:
    """Cut physical lines into entries, exactly as dnspython's tokenizer groups them;
    every line belongs to exactly one entry (blank and comment lines to empty ones)."""
    text = "\n".join(lines)
    n = len(text)
    entries: list[Entry] = []
    pos = line = line_start = 0
    while line < len(lines):
        first = line
        blank_owner = pos < n and text[pos] in " \t"
        tokens: list[Token] = []
        depth = 0
        ended_by_newline = False
        while pos < n:
            c = text[pos]
            if c in " \t":
                pos += 1
            elif c == "\n":
                pos += 1
                line += 1
                line_start = pos
                if depth == 0:
                    ended_by_newline = True
                    break
            elif c == ";":
                end = text.find("\n", pos)
                pos = n if end < 0 else end
            elif c == "(":
                depth += 1
                pos += 1
            elif c == ")":
                if depth == 0:
                    raise ZoneSyntaxError(f"line {line + 1}: unbalanced parentheses")
                depth -= 1
                pos += 1
            else:
                start, tline, tcol = pos, line, pos - line_start
                if c == '"':
                    pos += 1
                    while True:
                        if pos >= n:
                            raise ZoneSyntaxError(f"line {tline + 1}: unterminated string")
                        ch = text[pos]
                        if ch == "\\" and pos + 1 < n:
                            if text[pos + 1] == "\n":
                                line += 1
                                line_start = pos + 2
                            pos += 2
                            continue
                        if ch == "\n":
                            raise ZoneSyntaxError(f"line {tline + 1}: newline in quoted string")
                        pos += 1
                        if ch == '"':
                            break
                    tokens.append(Token(text[start:pos], tline, tcol, True))
                else:
                    while pos < n:
                        ch = text[pos]
                        if ch == "\\":
                            if pos + 1 >= n or text[pos + 1] == "\n":
                                raise ZoneSyntaxError(f"line {line + 1}: escape at end of line")
                            pos += 2
                        elif ch in _DELIMITERS:
                            break
                        else:
                            pos += 1
                    tokens.append(Token(text[start:pos], tline, tcol, False))
        if depth:
            raise ZoneSyntaxError(f"line {first + 1}: unbalanced parentheses")
        entries.append(Entry(first, line - 1 if ended_by_newline else line, tokens, blank_owner))
        if not ended_by_newline:
            break
    return entries


def _ttl(token: Token | None) -> int | None:
    if token is None:
        return None
    try:
        return dns.ttl.from_text(token.value)
    except dns.ttl.BadTTL:
        return None


def _rdclass(token: Token | None) -> int | None:
    if token is None:
        return None
    try:
        return dns.rdataclass.from_text(token.value)
    except (dns.rdataclass.UnknownRdataclass, ValueError):  # not a class: the next field
        return None


def resolve_include(base_dir: Path, filename: str) -> Path:
    path = Path(filename)
    return path if path.is_absolute() else base_dir / path


def read_text(path: Path) -> str:
    """A zone file's text with its line endings as they are."""
    return path.read_bytes().decode("utf-8")


# -- reading --------------------------------------------------------------------------


@dataclass(slots=True)
class _State:
    """The reader state dnspython keeps (and restores after an ``$INCLUDE``)."""

    origin: dns.name.Name
    last_name: dns.name.Name
    last_ttl: int = 0
    last_ttl_known: bool = False
    default_ttl: int = 0
    default_ttl_known: bool = False
    default_from_soa: bool = False

    def implicit_ttl(self) -> int | None:
        """RFC 1035 last stated TTL unless a ``$TTL`` default applies (RFC 2308)."""
        if self.last_ttl_known and (not self.default_ttl_known or self.default_from_soa):
            return self.last_ttl
        return self.default_ttl if self.default_ttl_known else None


@dataclass(slots=True)
class Line:
    """One record as read: where it is written and how it is served."""

    file: Path | None  # None: the main text
    lineno: int  # 0-based first physical line (of the $GENERATE for generated ones)
    name: dns.name.Name
    in_zone: bool
    origin: dns.name.Name  # $ORIGIN in effect
    rdtype: int = 0
    ttl: int = 0
    covers: int = 0  # the type an RRSIG covers
    soa: dns.rdata.Rdata | None = None  # the parsed data of an SOA (serial, minimum)
    explicit_owner: bool = True
    explicit_ttl: bool = True
    generated: bool = False
    ttl_at: Token | None = None  # where an explicit TTL goes (first token after the owner)
    type_index: int = 0  # index of the type token in the entry

    @property
    def key(self) -> Key:
        return (self.name, self.rdtype, self.covers)


@dataclass
class Reading:
    """What a zone text serves, and which entry of the main text says what."""

    zone: dns.name.Name
    base_dir: Path  # relative $INCLUDE paths of the main text start here
    lines: list[str]
    eols: list[str]
    entries: list[Entry]
    records: list[Line] = field(default_factory=list)  # read order, includes too
    by_entry: dict[int, Line] = field(default_factory=dict)  # main-text record entries
    origin_before: list[dns.name.Name] = field(default_factory=list)
    origin_at_end: dns.name.Name = dns.name.root

    def ttls(self) -> dict[Key, int]:
        """Each rrset's TTL as dnspython computes it: the lowest of its lines."""
        out: dict[Key, int] = {}
        for rec in self.records:
            if rec.in_zone:
                out[rec.key] = min(rec.ttl, out.get(rec.key, rec.ttl))
        return out


def read_zone_text(text: str, zone: dns.name.Name, base_dir: Path) -> Reading:
    """Read a zone's main text and its ``$INCLUDE`` files the way dnspython does."""
    lines, eols = split_lines(text)
    reading = Reading(zone, base_dir, lines, eols, split_entries(lines))
    state = _State(origin=zone, last_name=zone)
    _Reader(reading).read(reading.entries, None, base_dir, state, 0)
    reading.origin_at_end = state.origin
    return reading


class _Reader:
    def __init__(self, reading: Reading) -> None:
        self.reading = reading
        self.zone = reading.zone

    def read(
        self, entries: list[Entry], file: Path | None, base_dir: Path, st: _State, depth: int
    ) -> None:
        for idx, entry in enumerate(entries):
            if file is None:
                self.reading.origin_before.append(st.origin)
            toks = entry.tokens
            if not toks:
                continue
            try:
                if not entry.blank_owner and not toks[0].quoted and toks[0].raw.startswith("$"):
                    self.directive(entry, file, base_dir, st, depth)
                else:
                    rec = self.record(entry, file, st)
                    self.reading.records.append(rec)
                    if file is None:
                        self.reading.by_entry[idx] = rec
            except (dns.exception.DNSException, ValueError, IndexError) as e:
                where = file or "the zone file"
                raise ZoneSyntaxError(f"{where} line {entry.first + 1}: {e}") from e

    def record(self, entry: Entry, file: Path | None, st: _State) -> Line:
        toks = entry.tokens
        k = 0
        if entry.blank_owner:
            name = st.last_name
        else:
            if toks[0].quoted:
                raise ZoneSyntaxError("a quoted owner name")
            name = dns.name.from_text(toks[0].value, st.origin)
            st.last_name = name
            k = 1
        rec = Line(file, entry.first, name, name.is_subdomain(self.zone), st.origin)
        rec.explicit_owner = not entry.blank_owner
        if not rec.in_zone:
            return rec  # dnspython skips the rest of the line

        def at(i: int) -> Token | None:
            return toks[i] if i < len(toks) else None

        rec.ttl_at = at(k)
        ttl = _ttl(at(k))
        if ttl is not None:
            st.last_ttl, st.last_ttl_known = ttl, True
            k += 1
        rdclass = _rdclass(at(k))
        if rdclass is not None:
            if rdclass != IN:
                raise ZoneSyntaxError("RR class is not IN")
            k += 1
        if ttl is None:
            ttl = _ttl(at(k))
            if ttl is not None:
                st.last_ttl, st.last_ttl_known = ttl, True
                k += 1
        rec.explicit_ttl = ttl is not None
        if ttl is None:
            ttl = st.implicit_ttl()
        rec.type_index = k
        rec.rdtype = dns.rdatatype.from_text(toks[k].value)
        if rec.rdtype == dns.rdatatype.RRSIG:
            rec.covers = dns.rdatatype.from_text(toks[k + 1].value)
        elif rec.rdtype == SOA:  # only its data matters here; dnspython checks the rest
            text = " ".join(t.raw for t in toks[k + 1 :])
            rec.soa = dns.rdata.from_text(IN, SOA, text, st.origin, relativize=False)
        if not st.default_ttl_known and rec.rdtype == SOA:
            st.default_ttl = rec.soa.minimum  # type: ignore[union-attr]
            st.default_ttl_known = st.default_from_soa = True
            if ttl is None:
                ttl = st.implicit_ttl()
        if ttl is None:
            raise ZoneSyntaxError("missing default TTL value")
        rec.ttl = ttl
        return rec

    def directive(
        self, entry: Entry, file: Path | None, base_dir: Path, st: _State, depth: int
    ) -> None:
        toks = entry.tokens
        word = toks[0].raw.upper()
        if word == "$TTL":
            st.default_ttl = dns.ttl.from_text(toks[1].value)
            st.default_ttl_known, st.default_from_soa = True, False
        elif word == "$ORIGIN":
            st.origin = dns.name.from_text(toks[1].value, st.origin)
        elif word == "$INCLUDE":
            if depth >= MAX_INCLUDE_DEPTH:
                raise ZoneSyntaxError("$INCLUDE nested too deeply")
            path = resolve_include(base_dir, toks[1].value)
            saved = replace(st)
            if len(toks) > 2:
                st.origin = dns.name.from_text(toks[2].value, st.origin)
            try:
                sub_lines = split_lines(read_text(path))[0]
            except (OSError, UnicodeDecodeError) as e:
                raise ZoneSyntaxError(f"cannot read $INCLUDE file {path}: {e}") from e
            self.read(split_entries(sub_lines), path, path.parent, st, depth + 1)
            for slot in _State.__slots__:
                setattr(st, slot, getattr(saved, slot))
        elif word == "$GENERATE":
            self.generate(entry, file, st)
        elif word != "$UNICODE":
            raise ZoneSyntaxError(f"unknown directive {word}")

    def generate(self, entry: Entry, file: Path | None, st: _State) -> None:
        """Expand with dnspython itself, given the TTL and origin this reader tracks."""
        toks = entry.tokens
        rng, lhs, k = toks[1].value, toks[2].raw, 3
        ttl = _ttl(toks[k])
        if ttl is not None:
            st.last_ttl, st.last_ttl_known = ttl, True
            k += 1
        else:
            ttl = st.implicit_ttl()
            if ttl is None:
                raise ZoneSyntaxError("missing default TTL value")
        if _rdclass(toks[k]) is not None:
            k += 1
        rdtype, rhs = toks[k].raw, toks[k + 1].raw
        head = f"$ORIGIN {st.origin.to_text()}\n"
        text = f"{head}$GENERATE {rng} {lhs} {ttl} IN {rdtype} {rhs}\n"
        zone = dns.zone.from_text(text, self.zone, relativize=False, check_origin=False)
        for name, node in zone.nodes.items():
            for rds in node.rdatasets:
                for rd in rds:
                    rec = Line(file, entry.first, name, True, st.origin, rds.rdtype, rds.ttl)
                    rec.covers, rec.generated = rd.covers(), True
                    self.reading.records.append(rec)
        start, stop, step = dns.grange.from_text(rng)
        if start <= stop:  # blank-owner lines after it belong to the last generated name
            last = start + (stop - start) // step * step
            one = f"{head}$GENERATE {last}-{last} {lhs} {ttl} IN {rdtype} {rhs}\n"
            names = dns.zone.from_text(one, dns.name.root, relativize=False, check_origin=False)
            st.last_name = next(iter(names.nodes))


# -- dnspython's view -----------------------------------------------------------------


def load_zone(text: str, zone: str | dns.name.Name, base_dir: Path, filename: str) -> dns.zone.Zone:
    """dnspython's parse of a zone text, ``$INCLUDE`` paths relative to ``base_dir``
    (dnspython alone opens them relative to the working directory)."""
    text = normalized(text)
    if "$include" not in text.lower():
        return dns.zone.from_text(text, zone, relativize=False, filename=filename)
    with tempfile.TemporaryDirectory(prefix="zonetext-") as tmp:
        prepared = _absolute_includes(text, base_dir, Path(tmp), 0)
        return dns.zone.from_text(
            prepared, zone, relativize=False, filename=filename, allow_include=True
        )


def served(zone: dns.zone.Zone) -> Served:
    """Every rrset of a dnspython zone by (absolute owner, type, covered type)."""
    return {
        (name, rds.rdtype, rds.covers): rds
        for name, node in zone.nodes.items()
        for rds in node.rdatasets
    }


def _absolute_includes(text: str, base_dir: Path, tmp: Path, depth: int) -> str:
    """The text with each ``$INCLUDE`` naming its file by absolute path; an included
    file that includes others is rewritten the same way into ``tmp``."""
    if "$include" not in text.lower():
        return text
    if depth >= MAX_INCLUDE_DEPTH:
        raise ZoneSyntaxError("$INCLUDE nested too deeply")
    lines = text.split("\n")
    for entry in split_entries(lines):
        toks = entry.tokens
        if entry.blank_owner or len(toks) < 2 or toks[0].raw.upper() != "$INCLUDE":
            continue
        path = resolve_include(base_dir, toks[1].value).absolute()
        try:
            inner = normalized(read_text(path))
        except (OSError, UnicodeDecodeError) as e:
            raise ZoneSyntaxError(f"cannot read $INCLUDE file {path}: {e}") from e
        if "$include" in inner.lower():
            copy = tmp / f"{sum(1 for _ in tmp.iterdir())}.zone"
            copy.write_text(_absolute_includes(inner, path.parent, tmp, depth + 1))
            path = copy
        lines[toks[1].line] = _replace_at(lines[toks[1].line], toks[1], _quoted_path(path))
    return "\n".join(lines)


def _quoted_path(path: Path | str) -> str:
    text = str(path)
    if _PLAIN_PATH.fullmatch(text):
        return text
    if any(c in text for c in '"\\\n'):
        raise ZoneSyntaxError(f"unsupported $INCLUDE path {text!r}")
    return f'"{text}"'


def _replace_at(line: str, token: Token, new: str) -> str:
    return line[: token.col] + new + line[token.col + len(token.raw) :]


def rebase_includes(text: str, old_dir: Path, new_dir: Path) -> str:
    """The text moved from ``old_dir`` to ``new_dir`` (a seed zone's first apply writes
    it to live/): its relative ``$INCLUDE`` paths changed to name the same files."""
    if old_dir.resolve() == new_dir.resolve() or "$include" not in text.lower():
        return text
    lines, eols = split_lines(text)
    for entry in split_entries(lines):
        toks = entry.tokens
        if entry.blank_owner or len(toks) < 2 or toks[0].raw.upper() != "$INCLUDE":
            continue
        if Path(toks[1].value).is_absolute():
            continue
        target = os.path.relpath(old_dir / toks[1].value, new_dir)
        lines[toks[1].line] = _replace_at(lines[toks[1].line], toks[1], _quoted_path(target))
    return "".join(c + e for c, e in zip(lines, eols, strict=True))


# -- editing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One planned (name, type) set; ``values`` None deletes it."""

    name: str  # relative to the zone, '' is the apex
    rdtype: str
    ttl: int | None = None
    values: tuple[str, ...] | None = None


@dataclass
class _Item:
    """A run of physical lines in the output: one entry of the old text, or a new record."""

    lines: list[str]
    eols: list[str]
    entry: int | None = None  # index in the old text's entries
    mods: dict[tuple[int, int], tuple[int, str]] = field(default_factory=dict)

    def rendered(self) -> str:
        out = []
        for row, (line, eol) in enumerate(zip(self.lines, self.eols, strict=True)):
            for (r, col), (length, new) in sorted(self.mods.items(), reverse=True):
                if r == row:
                    line = line[:col] + new + line[col + length :]
            out.append(line + eol)
        return "".join(out)


def show(name: dns.name.Name, zone: dns.name.Name) -> str:
    """A name as people write it in the zone: relative, '@' for the apex."""
    return name.relativize(zone).to_text() if name.is_subdomain(zone) else name.to_text()


def apply_changes(
    text: str, zone: str, source: Path, target: Path, changes: Iterable[Change]
) -> str:
    """The zone text with ``changes`` applied and the SOA serial raised by one.

    ``source`` is the file the text was read from, ``target`` the file it will be
    written to (they differ on the first apply of a seed zone). Raises
    :class:`ZoneFileError` (write nothing) when a planned rrset lives in an
    ``$INCLUDE`` file or comes from ``$GENERATE``, or when dnspython does not read
    the result as exactly the old zone plus the plan.
    """
    origin = dns.name.from_text(zone)
    label = str(target)
    try:
        old = served(load_zone(text, origin, source.parent, str(source)))
    except (dns.exception.DNSException, OSError, ValueError, KeyError) as e:
        raise ZoneFileError(f"{source}: cannot read zone {zone} ({e}); fix the file") from e
    try:
        text = rebase_includes(text, source.parent, target.parent)
        reading = read_zone_text(text, origin, target.parent)
    except ZoneSyntaxError as e:
        raise _cannot_edit(label, zone, str(e)) from e
    mine = reading.ttls()  # owners, types and TTLs: what the edit relies on
    bad = [k for k in sorted(set(old) | set(mine)) if k not in old or old[k].ttl != mine.get(k)]
    if bad:
        raise _cannot_edit(
            label, zone, f"this editor reads {_describe(bad[0], origin)} differently"
        )
    planned = _planned(changes, origin)
    _refuse_unowned_sources(reading, planned, source, zone)
    new_text = _edit(reading, planned)
    try:
        new = served(load_zone(new_text, origin, target.parent, label))
    except (dns.exception.DNSException, OSError, ValueError, KeyError) as e:
        raise _self_check(label, zone, f"the edited text does not parse: {e}") from e
    problem = _verify(old, new, planned, origin)
    if problem:
        raise _self_check(label, zone, problem)
    return new_text


def _cannot_edit(label: str, zone: str, why: str) -> ZoneFileError:
    return ZoneFileError(
        f"{label}: cannot edit zone {zone} safely ({why}); make the change by hand; "
        "nothing was written"
    )


def _self_check(label: str, zone: str, why: str) -> ZoneFileError:
    return ZoneFileError(
        f"{label}: self-check of the edited zone {zone} failed ({why}); nothing was written"
    )


def _describe(key: Key, origin: dns.name.Name) -> str:
    return f"{show(key[0], origin)} {dns.rdatatype.to_text(dns.rdatatype.RdataType.make(key[1]))}"


def _differs(a: dns.rdataset.Rdataset | None, b: dns.rdataset.Rdataset | None) -> bool:
    if a is None or b is None:
        return a is not b
    return a != b or a.ttl != b.ttl


def _planned(changes: Iterable[Change], origin: dns.name.Name) -> dict[Key, Change | None]:
    out: dict[Key, Change | None] = {}
    for change in changes:
        name = dns.name.from_text(change.name, origin) if change.name else origin
        rdtype = dns.rdatatype.from_text(change.rdtype)
        if rdtype == SOA:
            raise ZoneFileError(f"zone {origin}: refusing a planned SOA change")
        out[(name, rdtype, 0)] = change if change.values is not None else None
    return out


def _planned_rdataset(change: Change, origin: dns.name.Name) -> dns.rdataset.Rdataset:
    assert change.values is not None
    assert change.ttl is not None
    rdtype = dns.rdatatype.from_text(change.rdtype)
    rdatas = [dns.rdata.from_text(IN, rdtype, v, origin, relativize=False) for v in change.values]
    return dns.rdataset.from_rdata_list(change.ttl, rdatas)


def _refuse_unowned_sources(
    reading: Reading, planned: dict[Key, Change | None], source: Path, zone: str
) -> None:
    """Included files and $GENERATE are the user's: a planned rrset there stops the apply."""
    by_hand = "autodiscover-dns never rewrites them: make the change by hand; nothing was written"
    for rec in reading.records:
        if not rec.in_zone:
            continue
        if rec.rdtype == SOA and rec.name == reading.zone and rec.file is not None:
            raise ZoneFileError(
                f"zone {zone}: the SOA record is in $INCLUDE file {_shown(rec.file)} (line "
                f"{rec.lineno + 1}), so its serial cannot be raised; {by_hand}"
            )
        if rec.key not in planned:
            continue
        what = _describe(rec.key, reading.zone)
        if rec.generated:
            raise ZoneFileError(
                f"zone {zone}: {what} comes from the $GENERATE on line {rec.lineno + 1} of "
                f"{_shown(rec.file or source)}; {by_hand}"
            )
        if rec.file is not None:
            raise ZoneFileError(
                f"zone {zone}: {what} is in $INCLUDE file {_shown(rec.file)} (line "
                f"{rec.lineno + 1}); {by_hand}"
            )


def _shown(path: Path) -> str:
    """A path for messages: live/../examples/live/x.inc shown as examples/live/x.inc."""
    return os.path.normpath(path)


def _edit(reading: Reading, planned: dict[Key, Change | None]) -> str:
    items = [
        _Item(reading.lines[e.first : e.last + 1], reading.eols[e.first : e.last + 1], idx)
        for idx, e in enumerate(reading.entries)
    ]
    removed = {idx for idx, rec in reading.by_entry.items() if rec.in_zone and rec.key in planned}
    _bump_serial(reading, items)

    before: dict[int, list[_Item]] = {}
    after: dict[int, list[_Item]] = {}
    at_end: list[_Item] = []
    for key, change in planned.items():
        if change is None:
            continue
        own = [i for i, r in reading.by_entry.items() if r.in_zone and r.name == key[0]]
        same = [i for i in own if reading.by_entry[i].key == key]
        kept = [i for i in own if i not in removed]
        if same:  # an update: where the old set was
            where, slot = min(same), before
        elif kept:  # after the last line of the same owner
            where, slot = max(kept), after
        elif own:  # where the owner's deleted lines were
            where, slot = min(own), before
        else:
            where, slot = -1, None
        if slot is None:
            line_origin, style = reading.origin_at_end, _reference(reading)
        else:
            line_origin, style = reading.origin_before[where], reading.entries[where]
        eol = _eol_near(reading, where)
        lines = _record_lines(key, change, line_origin, reading, style)
        new_items = [_Item([line], [eol]) for line in lines]
        if slot is None:
            at_end.extend(new_items)
        else:
            slot.setdefault(where, []).extend(new_items)

    out: list[_Item] = []
    for idx, item in enumerate(items):
        out.extend(before.get(idx, []))
        if idx not in removed:
            out.append(item)
        out.extend(after.get(idx, []))
    out.extend(at_end)
    eol = _eol_near(reading, -1)
    for item in out[:-1]:
        if not item.eols[-1]:
            item.eols[-1] = eol  # a file without a final newline got lines after its last
    if out and out[-1].entry is None and reading.eols and not reading.eols[-1]:
        out[-1].eols[-1] = ""  # ... and still ends without one
    return _keep_readings(reading, out)


def _keep_readings(reading: Reading, items: list[_Item]) -> str:
    """Write an explicit owner or TTL on each kept line whose reading the edit changes
    (it named the owner of blank-owner lines, or stated the TTL they inherit)."""
    for _ in range(2 * len(items) + 1):
        text = "".join(item.rendered() for item in items)
        try:
            new = read_zone_text(text, reading.zone, reading.base_dir)
        except ZoneSyntaxError:
            return text  # the self-check reports it
        if len(new.entries) != len(items):
            return text  # the self-check reports it
        fixed = False
        for pos, item in enumerate(items):
            old = reading.by_entry.get(item.entry) if item.entry is not None else None
            now = new.by_entry.get(pos)
            if old is None or now is None:
                continue
            if now.name != old.name and not old.explicit_owner and (0, 0) not in item.mods:
                item.mods[(0, 0)] = (0, show(old.name, now.origin))
                fixed = True
            elif old.in_zone and now.ttl != old.ttl and not old.explicit_ttl and old.ttl_at:
                first = reading.entries[item.entry].first  # type: ignore[index]
                slot = (old.ttl_at.line - first, old.ttl_at.col)
                if slot not in item.mods:
                    item.mods[slot] = (0, f"{old.ttl} ")
                    fixed = True
            if fixed:
                break  # re-read: the fix may already repair the lines after it
        if not fixed:
            _refuse_changed_sources(reading, new)
            return text
    return "".join(item.rendered() for item in items)


def _refuse_changed_sources(old: Reading, new: Reading) -> None:
    """$INCLUDE files and $GENERATE inherit owner and TTL from the lines before them,
    and cannot be given explicit ones: an edit that changes their reading is refused."""
    for was, now in zip(_outside(old), _outside(new), strict=False):
        if (was.key, was.ttl) != (now.key, now.ttl):
            break
    else:
        if len(_outside(old)) == len(_outside(new)):
            return
        was = _outside(old)[-1]
    if was.generated:
        where = f"the $GENERATE on line {was.lineno + 1}"
        where += f" of $INCLUDE file {_shown(was.file)}" if was.file else ""
    else:
        where = f"$INCLUDE file {_shown(was.file)} (line {was.lineno + 1})"  # type: ignore[arg-type]
    raise ZoneFileError(
        f"zone {old.zone}: the edit would change how {where} is read ("
        f"{_describe(was.key, old.zone)} inherits its owner or TTL from the line before it); "
        "make the change by hand; nothing was written"
    )


def _outside(reading: Reading) -> list[Line]:
    return [r for r in reading.records if r.file is not None or r.generated]


def _bump_serial(reading: Reading, items: list[_Item]) -> None:
    soas = [i for i, r in reading.by_entry.items() if r.rdtype == SOA and r.name == reading.zone]
    if not soas:
        return  # in an $INCLUDE file: refused before
    idx = soas[-1]  # SOA is a singleton: the last one counts
    rec, entry = reading.by_entry[idx], reading.entries[idx]
    token = entry.tokens[rec.type_index + 3]  # mname rname serial
    serial = (rec.soa.serial + 1) % 2**32  # type: ignore[union-attr]
    items[idx].mods[(token.line - entry.first, token.col)] = (len(token.raw), str(serial))


def _reference(reading: Reading) -> Entry | None:
    """The last record line with an explicit owner: lines added at the end follow it."""
    for idx in sorted(reading.by_entry, reverse=True):
        if reading.by_entry[idx].explicit_owner:
            return reading.entries[idx]
    return None


def _eol_near(reading: Reading, where: int) -> str:
    if where >= 0:
        eol = reading.eols[reading.entries[where].last]
        if eol:
            return eol
    return next((e for e in reversed(reading.eols) if e), "\n")


def _layout(style: Entry | None, lines: list[str]) -> tuple[str, int]:
    """Field separator and owner column of a neighbouring line."""
    if style is None or not style.tokens:
        return " ", 0
    toks = style.tokens
    if style.blank_owner:
        field_tok, gap_start = toks[0], 0
    elif len(toks) > 1:
        field_tok, gap_start = toks[1], toks[0].col + len(toks[0].raw)
    else:
        return " ", 0
    if field_tok.line != style.first:
        return " ", 0
    gap = lines[style.first][gap_start : field_tok.col]
    return ("\t", 0) if "\t" in gap else (" ", field_tok.col)


def _record_lines(
    key: Key, change: Change, line_origin: dns.name.Name, reading: Reading, style: Entry | None
) -> list[str]:
    """New lines: explicit owner (absolute unless under the $ORIGIN in effect), TTL,
    class and type; names in the data absolute."""
    name, zone = key[0], reading.zone
    owner = show(name, line_origin)
    if not name.is_subdomain(line_origin) or (owner == "@" and line_origin != zone):
        owner = name.to_text()
    sep, width = _layout(style, reading.lines)
    head = owner + "\t" if sep == "\t" else owner.ljust(width - 1) + " "
    rdtype = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(key[1]))
    rdataset = _planned_rdataset(change, zone)
    return [f"{head}{change.ttl}{sep}IN{sep}{rdtype}{sep}{rd.to_text()}" for rd in rdataset]


def _verify(
    old: Served, new: Served, planned: dict[Key, Change | None], origin: dns.name.Name
) -> str | None:
    """Every unplanned rrset as it was, every planned one as planned, the serial + 1."""
    for key in sorted(set(old) | set(new) | set(planned)):
        got = new.get(key)
        if key == (origin, SOA, 0):
            was = old[key]
            want_rd = was[0].replace(serial=(was[0].serial + 1) % 2**32)
            if got is None or got.ttl != was.ttl or list(got) != [want_rd]:
                return "the SOA record would change beyond its serial"
            continue
        if key in planned:
            change = planned[key]
            want = None if change is None else _planned_rdataset(change, origin)
        else:
            want = old.get(key)
        if _differs(want, got):
            what = _describe(key, origin)
            if key in planned:
                return f"{what} would not be as planned"
            return f"{what}, which the plan does not change, would change"
    return None
