"""What a backend really serves for a zone: every owner name with every type.

octoDNS only models the types a provider ``SUPPORTS`` and counts records a
server does not serve (PowerDNS ``disabled``), so deciding from its records
gets RFC 4592 wrong: an ``autodiscover HINFO`` makes the name exist and stops
the wildcard, yet octoDNS does not see it. Every provider of ours records, while
it populates a zone, the complete set of (owner, type) pairs it read (enabled
records only, unsupported types included); the policy decides existence, empty
non-terminals and zone cuts from that view, never from octoDNS's records.

Names are relative to the zone and lower-case, as octoDNS writes them: ``''``
is the apex, ``'*'`` a wildcard, ``'x.autodiscover'`` a name below autodiscover.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .errors import UnsafePlanError

if TYPE_CHECKING:
    from octodns.provider.plan import Plan
    from octodns.zone import Zone

#: types whose presence below the apex ends the zone (delegation) or hides the
#: names below the owner (DNAME, RFC 6672): nothing at or below them is ours
CUT_TYPES = frozenset({"NS"})
#: the type of a name known (through DNS) to exist with types not asked for
NODE = "NODE"
OCCLUDING_TYPES = frozenset({"DNAME"})


def relative_name(owner: str, zone: str) -> str | None:
    """``owner`` (absolute or relative) relative to ``zone``; None when outside it."""
    zone = zone.lower().rstrip(".")
    owner = owner.lower()
    if not owner.endswith("."):
        if owner in ("", "@"):
            return ""
        return owner  # already relative
    owner = owner.rstrip(".")
    if owner == zone:
        return ""
    if owner.endswith("." + zone):
        return owner[: -len(zone) - 1]
    return None


def _at_or_below(name: str, top: str) -> bool:
    if top == "":
        return True
    return name == top or name.endswith("." + top)


@dataclass(frozen=True)
class LiveZone:
    """Every owner name of one zone with the DNS types it serves there."""

    zone: str
    nodes: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_pairs(cls, zone: str, pairs: Iterable[tuple[str, str]]) -> LiveZone:
        """Build from (owner, type) pairs; owners absolute or relative, others ignored."""
        nodes: dict[str, set[str]] = {}
        for owner, rdtype in pairs:
            name = relative_name(owner, zone)
            if name is None:
                continue
            nodes.setdefault(name, set()).add(str(rdtype).upper())
        return cls(zone, {k: frozenset(v) for k, v in nodes.items()})

    def types(self, name: str) -> frozenset[str]:
        return self.nodes.get(name, frozenset())

    def has_descendant(self, name: str) -> bool:
        """Is any name strictly below ``name`` held (which makes ``name`` exist, RFC 4592)?"""
        suffix = "." + name if name else ""
        return any(n != name and n.endswith(suffix) for n in self.nodes)

    def exists(self, name: str) -> bool:
        """RFC 4592 existence: the name holds a record, or some name below it does."""
        return bool(self.types(name)) or self.has_descendant(name)

    @cached_property
    def cuts(self) -> dict[str, frozenset[str]]:
        """Names below the apex that delegate (NS) or redirect their subtree (DNAME)."""
        return {
            name: types & (CUT_TYPES | OCCLUDING_TYPES)
            for name, types in self.nodes.items()
            if name and types & (CUT_TYPES | OCCLUDING_TYPES)
        }

    def cut_above(self, name: str) -> str | None:
        """The delegation (NS) at or above ``name``, or the DNAME strictly above it."""
        for cut, types in sorted(self.cuts.items(), key=lambda c: c[0].count(".")):
            if "NS" in types and _at_or_below(name, cut):
                return cut
            if "DNAME" in types and name != cut and _at_or_below(name, cut):
                return cut
        return None


class LiveViewMixin:
    """For our providers: keep the complete view of each populated zone, and refuse to
    apply a plan the Autodiscover processor did not analyse.

    Put it first in the bases (``class P(LiveViewMixin, UpstreamProvider)``) and
    call :meth:`remember_live` from ``populate`` with every (owner, type) pair the
    backend serves (enabled records only, every type, unsupported ones included).
    """

    def remember_live(self, zone_name: str, pairs: Iterable[tuple[str, str]] | None) -> None:
        """Record the view of ``zone_name``; ``None`` means the zone does not exist."""
        lock = self.__dict__.setdefault("_live_lock", threading.Lock())
        view = None if pairs is None else LiveZone.from_pairs(zone_name, pairs)
        with lock:
            self.__dict__.setdefault("_live_views", {})[zone_name] = view

    def live_zone(self, zone_name: str) -> LiveZone | None:
        """The view recorded by the last populate of ``zone_name`` (None: no such zone).

        Raises KeyError when the zone was never populated by this provider.
        """
        return self.__dict__.get("_live_views", {})[zone_name]

    #: plan.py sets this to report one zone's failure (``zone, provider id, error``) and go on
    #: with the next zone; plain octodns-sync leaves it unset, so a failure stops the run
    on_zone_error: Callable[[str, str, Exception], None] | None = None

    def plan(self, desired: Zone, *args: Any, **kwargs: Any) -> Plan | None:
        try:
            return super().plan(desired, *args, **kwargs)  # type: ignore[misc]
        except Exception as e:
            if self.on_zone_error is None:
                raise
            self.on_zone_error(desired.name, getattr(self, "id", "?"), e)
            return None

    def apply(self, plan: Plan) -> Any:
        if not getattr(plan, "autodiscover_analysed", False):
            raise UnsafePlanError(
                f"zone {plan.desired.name}: refusing to apply a plan that the Autodiscover "
                f"processor did not analyse (provider {getattr(self, 'id', '?')}); add "
                "processors: [autodiscover] to the zone's config entry"
            )
        return super().apply(plan)  # type: ignore[misc]
