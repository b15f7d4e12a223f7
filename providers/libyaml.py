"""octoDNS's YamlProvider, parsing zone files with libyaml, once per run.

octoDNS's loader runs on PyYAML's pure-Python parser: about 0.6 s per 1,000
small zone files, the largest cost of a plan on a fast backend. libyaml
builds the same node tree in a fifth of the time, and octoDNS's own
constructors (``ContextDict`` line context, key-order enforcement) turn it
into the same data, so the records do not change. libyaml is laxer in two
places, so those files go to octoDNS's own reader: tabs (PyYAML refuses
them as separators) and tags or directives (``!``, ``%``). Syntax errors
are worded by libyaml.

The strict offline checks (``configuration.prepare``) parse every zone file
first, with the same constructors plus a duplicate-key check; they leave the
data here (:func:`remember`) and the provider takes it instead of parsing the
unchanged file a second time.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, NoReturn

import yaml
from octodns.provider.yaml import YamlProvider
from octodns.record import Record
from octodns.yaml import (
    ContextLoader,
    NaturalSortEnforcingLoader,
    SimpleSortEnforcingLoader,
)
from octodns.zone import Zone

__all__ = [
    "ORDER_MODES",
    "LibYamlProvider",
    "libyaml_loader",
    "order_of",
    "plain_yaml",
    "remember",
    "strict_loader",
]

_CParser: type[Any] | None
try:
    from yaml import _yaml  # libyaml's bindings, as yaml.cyaml imports them

    _CParser = _yaml.CParser
except ImportError:  # PyYAML built without libyaml: octoDNS's own parser
    _CParser = None


def plain_yaml(text: str) -> bool:
    """No tab, tag or directive: libyaml and PyYAML's own parser read it alike."""
    return not any(c in text for c in "\t!%")


def libyaml_loader(base: type[ContextLoader]) -> type[ContextLoader]:
    """``base`` (an octoDNS loader) with libyaml's parser in place of the Python one."""
    if _CParser is None:
        return base

    parser: type[Any] = _CParser

    class Loader(parser, base):  # CParser first: its node methods win
        def __init__(self, stream: Any) -> None:
            parser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    if issubclass(base, NaturalSortEnforcingLoader):
        # the same natural sort key, remembered: zone files repeat the same few keys
        Loader.KEYGEN = staticmethod(functools.lru_cache(maxsize=65536)(base.KEYGEN))
    Loader.__name__ = f"LibYaml{base.__name__}"
    return Loader


_LOADERS = {
    None: libyaml_loader(ContextLoader),
    "natural": libyaml_loader(NaturalSortEnforcingLoader),
    "simple": libyaml_loader(SimpleSortEnforcingLoader),
}


def _no_include(loader: yaml.constructor.BaseConstructor, node: yaml.Node) -> NoReturn:
    raise yaml.constructor.ConstructorError(
        None, None, "!include is not supported in zone files; write the records here",
        node.start_mark,
    )  # fmt: skip


def _strict(base: type[ContextLoader]) -> type[ContextLoader]:
    """``base`` refusing duplicate keys (octoDNS keeps the last one silently), with line."""

    class Strict(base):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    hash(key)
                except TypeError as e:
                    raise yaml.constructor.ConstructorError(
                        None, None, "a list or mapping cannot be a key; use a record name",
                        key_node.start_mark,
                    ) from e  # fmt: skip
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r} (first on line {seen[key]})",
                        key_node.start_mark,
                    )  # fmt: skip
                seen[key] = key_node.start_mark.line + 1
            try:
                return super().construct_mapping(node, deep)
            except yaml.constructor.ConstructorError as e:
                if e.problem_mark is None and str(e.problem).startswith("keys out of order"):
                    problem = str(e.problem).split(" at ", 1)[0]  # the line goes in the mark
                    raise yaml.constructor.ConstructorError(
                        None, None, problem, node.start_mark
                    ) from e
                raise

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, Strict.construct_mapping)
    Strict.add_constructor("!include", _no_include)
    Strict.__name__ = f"Strict{base.__name__}"
    return Strict


_STRICT = {order: _strict(loader) for order, loader in _LOADERS.items()}


def strict_loader(order: str | None) -> type[ContextLoader]:
    """The loader for the offline checks: ``order`` None (no key order), natural or simple."""
    return _STRICT[order]


ORDER_MODES = tuple(k for k in _LOADERS if k)


def order_of(options: dict) -> str | None:
    """The key order a YamlProvider with these options enforces (None: none)."""
    return options.get("order_mode", "natural") if options.get("enforce_order", True) else None


#: (absolute path, order) -> (file identity, data) left by the offline checks
_parsed: dict[tuple[str, str | None], tuple[tuple[int, int], Any]] = {}


def _identity(path: str | Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def remember(path: Path, order: str | None, data: Any) -> None:
    """Keep ``data`` parsed from ``path`` for the provider's one read of it."""
    _parsed[(os.path.abspath(path), order)] = (_identity(path), data)


def _recall(path: str, order: str | None) -> Any:
    entry = _parsed.pop((os.path.abspath(path), order), None)
    if entry is None or entry[0] != _identity(path):
        return None  # not checked in this run, or changed since: read it again
    return entry[1]


class LibYamlProvider(YamlProvider):
    """YamlProvider with libyaml parsing; same options, same records.

    Only the default record handling is taken over (semicolons already escaped,
    no ``!include``); any other set-up falls back to octoDNS's own reader.
    """

    def _populate_from_file(self, filename: str, zone: Zone, lenient: bool) -> None:
        order = order_of({"enforce_order": self.enforce_order, "order_mode": self.order_mode})
        loader = _LOADERS.get(order)
        if loader is None or not self.escaped_semicolons:
            return super()._populate_from_file(filename, zone, lenient)
        data = _recall(filename, order)
        if data is None:
            with open(filename) as fh:
                if not plain_yaml(fh.read()):
                    return super()._populate_from_file(filename, zone, lenient)
                fh.seek(0)
                data = yaml.load(fh, Loader=loader)  # SafeConstructor-based
        for name, entries in (data or {}).items():
            for entry in entries if isinstance(entries, list) else [entries]:
                entry.setdefault("ttl", self.default_ttl)
                record = Record.new(zone, name, entry, source=self, lenient=lenient)
                zone.add_record(record, lenient=lenient, replace=self.populate_should_replace)
