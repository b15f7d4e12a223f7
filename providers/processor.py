"""The Autodiscover policy as an octoDNS processor.

Configured on every zone, it makes octoDNS manage only the Autodiscover
(name, type) pairs the policy chooses; every other record is removed from the
existing zone before planning, so octoDNS never sees it and never deletes it.
Plain ``octodns-sync`` with our config therefore plans exactly what
``plan.py`` plans. Guards that octoDNS's percentage thresholds cannot provide
(they ignore zones under ten records) are enforced here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from octodns.processor.base import BaseProcessor
from octodns.provider.base import BaseProvider
from octodns.provider.plan import Plan, UnsafePlan
from octodns.record import Record
from octodns.zone import Zone

from .core.catalog import load_catalog
from .core.declarations import Declaration, declaration_from_record
from .core.errors import AutodiscoverError, DeclarationError, UnsafePlanError, ZoneMissingError
from .core.liveview import LiveZone
from .core.policy import SHIELD_TEXT, ZoneAnalysis, analyze

DEFAULT_MAX_DELETES = 5


class TooManyDeletes(UnsafePlan, UnsafePlanError):
    """More deletes in one zone than the configured bound; --force overrides."""


class AutodiscoverPlan(Plan):
    """An octoDNS plan whose safety check also bounds deletes per zone.

    Only such plans are applied by our providers (``autodiscover_analysed``):
    a config entry without the processor cannot reach a write.
    """

    autodiscover_analysed = True

    def __init__(self, plan: Plan, max_deletes: int, analysis: ZoneAnalysis | None = None) -> None:
        super().__init__(
            plan.existing,
            plan.desired,
            plan.changes,
            plan.exists,
            update_pcent_threshold=plan.update_pcent_threshold,
            delete_pcent_threshold=plan.delete_pcent_threshold,
            meta=plan.meta,
        )
        self.max_deletes = max_deletes
        #: the policy's decision (reasons, declarations): what a work order explains
        self.analysis = analysis

    def raise_if_unsafe(self) -> None:
        deletes = self.change_counts["Delete"]
        if deletes > self.max_deletes:
            raise TooManyDeletes(
                f"zone {self.desired.name}: {deletes} deletes exceed max_deletes "
                f"{self.max_deletes}; review the plan, then apply with --force-zone "
                f"{self.desired.name.rstrip('.')}"
            )
        super().raise_if_unsafe()


class AutodiscoverProcessor(BaseProcessor):
    """Owns the Autodiscover names of each declared email domain, nothing else.

    Example usage::

      processors:
        autodiscover:
          class: providers.processor.AutodiscoverProcessor
          # The platform catalog: which SRV value each email platform needs
          # (default: config/platforms.yaml, relative to the working directory)
          catalog: ./config/platforms.yaml
          # Refuse to apply a plan with more deletes than this in one zone
          # (default: 5); plan.py apply --force overrides after review
          max_deletes: 5
          # Optional: as if every zone using this processor said lenient: true
          # (default: false); see "lenient" below
          # lenient: false

      zones:
        contoso.com.:
          sources:
            - config
          processors:
            - autodiscover
          targets:
            - cloudflare

    Every zone that declares ``_autodiscover._tcp`` SRV records must list the
    processor, and only providers of this package (``providers.*``) can be its
    targets: they show the processor the complete zone and refuse to apply a
    plan it did not analyse.

    ``lenient`` (the processor option, or ``lenient: true`` on a zone, which
    octoDNS passes to every call) means what it means to octoDNS: record
    validation problems in records built here become warnings. It is passed
    on, as ``self.lenient or lenient``, to the octoDNS record and zone calls
    the processor makes (the shield TXT record it adds to the desired zone).
    It never relaxes the policy: declarations are checked as strictly,
    nothing outside the owned (name, type) pairs becomes visible or
    changeable, and the missing-zone, unanalysed-plan, complete-view and
    ``max_deletes`` guards still refuse.
    """

    def __init__(
        self,
        id: str,
        catalog: str = "config/platforms.yaml",
        max_deletes: int = DEFAULT_MAX_DELETES,
        **kwargs: Any,
    ) -> None:
        super().__init__(id, **kwargs)
        self.catalog = load_catalog(catalog)
        self.max_deletes = int(max_deletes)
        self._lock = threading.Lock()
        #: (zone name, target id) -> the policy's decision, for plan renderers
        self.analyses: dict[tuple[str, str], ZoneAnalysis] = {}
        #: zone name -> declarations, checked once per run in process_source_zone
        self._declared: dict[str, list[Declaration]] = {}
        #: callables told of each zone planned (progress reporting), with the target id
        self.observers: list[Callable[[str], object]] = []

    def declarations(self, zone: Zone) -> list[Declaration]:
        """The zone's declarations; any bad declared record stops the run."""
        declarations = [declaration_from_record(r, self.catalog) for r in _sorted(zone.records)]
        if not declarations:
            raise DeclarationError(
                f"zone {zone.name}: declares no _autodiscover._tcp SRV record; add one with "
                "plan.py add DOMAIN --platform NAME --provider ID"
            )
        return declarations

    def process_source_zone(
        self, desired: Zone, sources: Sequence[BaseProvider], lenient: bool = False
    ) -> Zone:
        declarations = self.declarations(desired)
        with self._lock:
            self._declared[desired.name] = declarations
        return desired

    def process_source_and_target_zones(
        self, desired: Zone, existing: Zone, target: BaseProvider, lenient: bool = False
    ) -> tuple[Zone, Zone]:
        lenient = self.lenient or lenient
        declarations = self._declared.get(desired.name) or self.declarations(desired)
        analysis = analyze(desired.name, declarations, existing, live_view(target, existing))
        for record in list(existing.records):
            if (record.name, record._type) not in analysis.visible:
                existing.remove_record(record)
        for name, ttl in analysis.shields:
            data = {"type": "TXT", "ttl": ttl, "value": SHIELD_TEXT}
            shield = Record.new(desired, name, data, lenient=lenient)
            desired.add_record(shield, replace=True, lenient=lenient)
        with self._lock:
            self.analyses[(desired.name, target.id)] = analysis
        return desired, existing

    def process_plan(
        self,
        plan: Plan | None,
        sources: Sequence[BaseProvider],
        target: BaseProvider,
        lenient: bool = False,
    ) -> AutodiscoverPlan | None:
        for observer in self.observers:
            observer(target.id)
        if plan is None:
            return None
        try:
            return self._checked(plan, target)
        except AutodiscoverError as e:
            # plan.py isolates the zone (see LiveViewMixin.on_zone_error); octodns-sync stops
            report = getattr(target, "on_zone_error", None)
            if report is None:
                raise
            report(plan.desired.name, target.id, e)
            return None

    def _checked(self, plan: Plan, target: BaseProvider) -> AutodiscoverPlan:
        zone = plan.desired.name
        if plan.exists is False:
            raise ZoneMissingError(
                f"zone {zone} does not exist at provider {target.id}; create it there first "
                "(autodiscover-dns never creates zones)"
            )
        analysis = self.analyses.get((zone, target.id))
        allowed = analysis.visible if analysis else set()
        for change in plan.changes:
            pair = (change.record.name, change.record._type)
            if pair not in allowed:
                raise UnsafePlanError(
                    f"zone {zone}: refusing a change to {change.record.name or '@'} "
                    f"{change.record._type}, which autodiscover-dns does not own"
                )
        notes = getattr(target, "change_notes", None)
        if analysis is not None and notes is not None:
            analysis.warnings.extend(notes(zone, plan.changes))
        return AutodiscoverPlan(plan, self.max_deletes, analysis)


def live_view(target: BaseProvider, existing: Zone) -> LiveZone:
    """The complete view ``target`` recorded when it populated ``existing``.

    A provider that cannot tell which names and types it serves would let the
    policy guess existence from octoDNS's records: refuse it.
    """
    getter = getattr(target, "live_zone", None)
    if getter is None:
        raise UnsafePlanError(
            f"zone {existing.name}: provider {target.id} ({type(target).__name__}) cannot show "
            "its complete zone; autodiscover-dns plans only against its own providers "
            "(providers.*), which read every record type the server holds"
        )
    try:
        view = getter(existing.name)
    except KeyError as e:
        raise UnsafePlanError(
            f"zone {existing.name}: provider {target.id} has not read the zone; nothing planned"
        ) from e
    return view if view is not None else LiveZone(existing.name)


def _sorted(records: Iterable[Record]) -> list[Record]:
    return sorted(records, key=lambda r: (r.name, r._type))
