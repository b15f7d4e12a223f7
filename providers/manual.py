"""DNS hosts without a usable API: read through DNS, changed by a person.

Many customer domains sit at registrars' and web hosts' DNS panels (Network
Solutions, Bluehost, HostGator, ...) or at a GoDaddy account below its API
gate. For those the plan's live view comes from DNS: each zone's authoritative
nameservers are asked for the Autodiscover names the planner owns
(:mod:`providers.live.dnsview`), and ``apply`` writes nothing to DNS: it writes
a **work order** per customer, markdown to send and CSV to track, listing what
to remove (with the reason) and what to add in the fields DNS panels ask for.
``confirm`` then shows when the person has made the change.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

import dns.resolver
from octodns.provider.base import BaseProvider
from octodns.provider.plan import Plan
from octodns.record import Record
from octodns.record.rr import Rrset
from octodns.zone import Zone

from .core.files import write_atomically
from .core.liveview import LiveViewMixin
from .core.ownership import email_domain_for
from .core.workorder import WorkItem, file_stem, render_csv, render_markdown
from .live.dnsview import DnsViewError, read_owned
from .live.nameservers import find_nameservers, resolver_at, system_resolver
from .live.queries import DEFAULT_TIMEOUT, Settings
from .live.servers import servers_from_specs

__all__ = ["ManualProvider"]


class ManualProvider(LiveViewMixin, BaseProvider):
    """Plans through DNS, applies by writing work orders.

    Example usage::

      providers:
        manual:
          class: providers.manual.ManualProvider
          # where apply writes <customer>.md and <customer>.csv (default ./work-orders)
          work_orders: ./work-orders
          # optional: ask these servers instead of each zone's NS set (HOST[:PORT])
          # nameservers: [192.0.2.53]
          # optional: the recursive resolver that finds each zone's NS set
          # (IP[:PORT]; default the system's)
          # resolver: 192.0.2.1
          # timeout: 2.0

    plan.py's ``--nameserver``, ``--resolver``, ``--timeout`` and ``apply
    --work-orders DIR`` override these for one run.
    """

    SUPPORTS_GEO = False
    SUPPORTS_DYNAMIC = False
    SUPPORTS_ROOT_NS = False
    SUPPORTS: ClassVar[set[str]] = {"A", "AAAA", "CNAME", "SRV", "TXT"}
    #: plan.py shows this provider's changes as manual work, and apply as work orders
    MANUAL = True

    def __init__(
        self,
        id: str,
        work_orders: str = "./work-orders",
        nameservers: list[str] | None = None,
        resolver: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.log = logging.getLogger(f"{self.__class__.__name__}[{id}]")
        super().__init__(id, *args, **kwargs)
        self.work_orders = Path(work_orders)
        self.nameservers = list(nameservers or [])
        self.resolver = resolver
        self.settings = Settings(timeout=float(timeout))
        self._subs: dict[str, list[str]] = {}
        self._items: dict[str | None, dict[str, list[WorkItem]]] = {}  # customer -> zone -> items
        #: zone -> the work-order files apply wrote for it
        self.written: dict[str, list[Path]] = {}

    def use_dns(
        self, nameservers: list[str] | None, resolver: str | None, timeout: float | None
    ) -> None:
        """The command line's --nameserver, --resolver and --timeout, for this run."""
        if nameservers:
            self.nameservers = list(nameservers)
        if resolver:
            self.resolver = resolver
        if timeout:
            self.settings = Settings(timeout=timeout)

    # -- reading -----------------------------------------------------------------

    def plan(self, desired: Zone, *args: Any, **kwargs: Any) -> Plan | None:
        """Remember which email domains the zone declares: only their names are asked."""
        subs = set()
        for record in desired.records:
            domain = email_domain_for(desired.name, record.name)
            if domain is not None and record._type == "SRV":
                subs.add(domain.sub)
        self._subs[desired.name] = sorted(subs)
        return super().plan(desired, *args, **kwargs)

    def _servers(self, zone_name: str) -> list:
        if self.nameservers:
            return servers_from_specs(self.nameservers)
        resolver = resolver_at(self.resolver, self.settings) if self.resolver else None
        source = find_nameservers(zone_name, resolver or system_resolver(self.settings))
        if source.error:
            raise DnsViewError(f"zone {zone_name}: {source.error}")
        if source.broken:
            server, why = source.broken[0]
            raise DnsViewError(f"zone {zone_name}: nameserver {server.label}: {why}")
        return source.servers

    def populate(self, zone: Zone, target: bool = False, lenient: bool = False) -> bool:
        subs = self._subs.get(zone.name, [""])
        try:
            owned = read_owned(zone.name, subs, self._servers(zone.name), self.settings)
        except dns.resolver.NoResolverConfiguration as e:
            raise DnsViewError(
                f"zone {zone.name}: no resolver configured; give --resolver IP or --nameserver"
            ) from e
        if not owned.exists:
            self.remember_live(zone.name, None)
            return False
        for (name, _type), (ttl, rdatas) in sorted(owned.records.items()):
            if _type not in self.SUPPORTS:
                continue
            fqdn = f"{name}.{zone.name}" if name else zone.name
            rrset = Rrset(fqdn, _type, ttl, list(rdatas))
            record = Record.from_rrset(zone, rrset, lenient=True, source=self)
            zone.add_record(record, lenient=True, replace=True)
        self.remember_live(zone.name, owned.pairs)
        return True

    # -- "applying": work orders ---------------------------------------------------

    def _apply(self, plan: Plan) -> None:
        zone = plan.desired.name
        analysis = getattr(plan, "analysis", None)
        declarations = analysis.declarations if analysis else []
        reasons = analysis.reasons if analysis else {}
        by_customer: dict[str | None, list[WorkItem]] = {}
        for change in plan.changes:
            record = change.record
            declaration = next(
                (d for d in declarations if (record.name, record._type)
                 in d.domain.owned_pairs(shield=True)),
                None,
            )  # fmt: skip
            customer = declaration.customer if declaration else None
            domain = declaration.domain.name if declaration else zone.rstrip(".")
            reason = reasons.get((record.name, record._type), "")
            items = by_customer.setdefault(customer, [])
            if change.existing is not None:
                items += _items(customer, domain, zone, "remove", change.existing, reason)
            if change.new is not None:
                items += _items(customer, domain, zone, "add", change.new, reason)
        self.written[zone] = []
        for customer, items in by_customer.items():
            self._items.setdefault(customer, {})[zone] = items
            self.written[zone] += self._write(customer)

    def _write(self, customer: str | None) -> list[Path]:
        """Rewrite one customer's work order with every zone of this run."""
        items = [i for zone in sorted(self._items[customer]) for i in self._items[customer][zone]]
        stem = self.work_orders / file_stem(customer)
        md, csv = stem.with_suffix(".md"), stem.with_suffix(".csv")
        self.work_orders.mkdir(parents=True, exist_ok=True)
        write_atomically(md, render_markdown(customer, items))
        write_atomically(csv, render_csv(items))
        return [md, csv]


def _items(
    customer: str | None, domain: str, zone: str, action: str, record: Record, reason: str
) -> list[WorkItem]:
    """One work item per value (panels edit one value at a time)."""
    rrset = record.to_rrset()
    host = record.name or "@"
    items = []
    values = list(record.values) if hasattr(record, "values") else [record.value]
    for rdata, value in zip(rrset.rdatas, values, strict=True):
        srv = None
        if record._type == "SRV":
            srv = {
                "priority": value.priority, "weight": value.weight, "port": value.port,
                "target": value.target,
            }  # fmt: skip
        item = WorkItem(
            customer, domain, zone.rstrip("."), action, record._type, host, rdata, record.ttl,
            reason, srv,
        )  # fmt: skip
        items.append(item)
    return items
