"""GoDaddy, on its v1 Domains API: an octoDNS provider of our own (no upstream package).

No maintained octoDNS provider exists for GoDaddy, so this one is built on
octoDNS's ``BaseProvider`` (as :mod:`providers.zonefile`) and uses three
endpoints only, with ``Authorization: sso-key KEY:SECRET``:

- ``GET /v1/domains/{domain}/records?offset=N&limit=M``: every record of the
  domain, read page by page until a short page. The same read gives octoDNS
  its records (A, AAAA, CNAME, MX, TXT, SRV, NS, CAA) and the complete view
  (every owner with every type the API returns, SOA and any type not modelled
  here included: :mod:`providers.core.liveview`).
- ``PUT /v1/domains/{domain}/records/{type}/{name}`` with a list body: replaces
  the records of one type at one name.
- ``DELETE /v1/domains/{domain}/records/{type}/{name}``: deletes them.

GoDaddy names are relative to the domain, ``@`` for the apex. An SRV record
carries its owner in three fields: ``service`` (``_autodiscover``),
``protocol`` (``_tcp``) and ``name``, the host part (``@`` at the apex), and
its target in ``data``. We take the ``{name}`` of an SRV path to be that host
part, so ``PUT .../records/SRV/@`` replaces *every* SRV at the apex, whatever
its service (GoDaddy documents no other key). A change to one SRV owner
therefore sends the other SRV records of the same host back unchanged in the
body (and a delete that leaves some of them PUTs those instead of DELETE):
only the planned (name, type) set changes. Host names in ``data`` are fully
qualified without the trailing dot; ``@`` means the domain itself.

What we add, as for every provider here:

- **Never create a zone.** A domain the account does not hold answers 404:
  ``populate`` reports it missing (the processor refuses the plan) and
  ``_apply`` raises :class:`ZoneMissingError`. There is no create call at all.
- **Bounded retries and a request budget.** GoDaddy documents 60 requests per
  minute; a sliding-window budget (55 per 60 s by default) paces every
  request. 429, 5xx, timeouts and resets are retried a bounded number of times
  with exponential backoff, honouring ``Retry-After`` or, when the header is
  missing (it has been seen missing), the body's ``retryAfterSec``, each wait
  capped. PUT and DELETE of one set are idempotent, so a retried write cannot
  apply twice. 401/403/404/422 are never retried; a refused connection or an
  unknown host stops at once, naming the URL and ``GODADDY_API_URL``.
- **One line per refusal.** 401 names ``GODADDY_API_KEY`` and
  ``GODADDY_API_SECRET``; 403 ``ACCESS_DENIED`` is GoDaddy's API access gate
  (accounts with fewer than 10 domains and no paid plan, since 2024) and points
  to ``zones/manual/``; 422 names the record GoDaddy refused, with its
  ``fields`` (path, message). The key and secret never appear in a message.
- **Not one write per zone.** The API has no transaction: one request per
  changed set. The deletes a PUT needs go first (a CNAME where the SRV goes),
  then the PUTs, then the other deletes, so a PUT GoDaddy refuses (a TTL
  below its 600 s minimum, which the plan already warns about) stops the zone
  before its conflicts are removed. A failure part-way is reported for the
  zone; the next plan shows exactly what is left.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote

import requests
from octodns.provider.base import BaseProvider
from octodns.provider.plan import Plan
from octodns.record import Change, Record
from octodns.zone import Zone

from .core.errors import AutodiscoverError, UnsafePlanError, ZoneMissingError
from .core.http import RequestBudget, back_off, retry_after, transport_why
from .core.liveview import LiveViewMixin
from .core.unreachable import cannot_reach

__all__ = [
    "GoDaddyAccessDeniedError",
    "GoDaddyAuthError",
    "GoDaddyError",
    "GoDaddyProvider",
    "GoDaddyUnavailableError",
    "GoDaddyValidationError",
]

#: where the API is unless the config says otherwise, and the variables the config reads
DEFAULT_API_URL = "https://api.godaddy.com"
OTE_API_URL = "https://api.ote-godaddy.com"
API_URL_VARIABLE = "GODADDY_API_URL"
KEY_VARIABLES = "GODADDY_API_KEY and GODADDY_API_SECRET"
#: where a domain goes when GoDaddy's API is closed to the account
MANUAL_FOLDER = "zones/manual/"

#: GoDaddy's smallest TTL (seconds): a record below it is refused (422)
MIN_TTL = 600
#: one record or error body as the API writes it (JSON)
Json = dict[str, Any]

#: the body fields of one record per type (PUT of a (type, name) set)
_FIELDS: dict[str, tuple[str, ...]] = {
    "A": ("data", "ttl"),
    "AAAA": ("data", "ttl"),
    "CAA": ("data", "ttl"),
    "CNAME": ("data", "ttl"),
    "MX": ("data", "priority", "ttl"),
    "NS": ("data", "ttl"),
    "SRV": ("service", "protocol", "data", "port", "priority", "weight", "ttl"),
    "TXT": ("data", "ttl"),
}
#: types whose ``data`` is a host name (case-insensitive, trailing dot optional)
_HOST_DATA = frozenset({"CNAME", "MX", "NS", "SRV"})


class GoDaddyError(AutodiscoverError):
    """GoDaddy refused a request (400, 409, ...): one line with its code and message."""


class GoDaddyAuthError(GoDaddyError):
    """401: the key or secret was refused; retrying cannot help."""


class GoDaddyAccessDeniedError(GoDaddyError):
    """403: the account may not use the Domains API (or not for this domain)."""


class GoDaddyValidationError(GoDaddyError):
    """422: GoDaddy refused a record's shape or value."""


class GoDaddyUnavailableError(GoDaddyError):
    """A request still failed (429, 5xx, timeout, reset) after every retry."""


class _NotFound(Exception):
    """HTTP 404 (internal: the callers decide what it means)."""

    def __init__(self, body: Json) -> None:
        super().__init__(body.get("message") or "not found")
        self.code = str(body.get("code") or "")


class _Retryable(Exception):
    """429 or 5xx (internal): retried, then reported by :meth:`GoDaddyProvider._gave_up`."""

    def __init__(self, status: int, body: Json, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.code = str(body.get("code") or "")
        self.retry_after = retry_after


class GoDaddyProvider(LiveViewMixin, BaseProvider):
    """GoDaddy's v1 Domains API (see the module docstring).

    Options: ``api_key``, ``api_secret``, ``api_url`` (default
    https://api.godaddy.com; the OTE test environment is
    https://api.ote-godaddy.com), ``timeout`` (seconds per request, 15),
    ``retry_count`` (retries after the first attempt, 4), ``retry_period``
    (first backoff, 1 s, doubling), ``max_retry_after`` (cap on one wait, 60 s),
    ``requests_per_window`` / ``window_seconds`` (the budget, 55 per 60 s),
    ``records_per_page`` (500).
    """

    SUPPORTS_GEO = False
    SUPPORTS_DYNAMIC = False
    SUPPORTS_ROOT_NS = False
    SUPPORTS: ClassVar[set[str]] = set(_FIELDS)

    def __init__(
        self,
        id: str,
        api_key: str | int,
        api_secret: str | int,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 15.0,
        retry_count: int = 4,
        retry_period: float = 1.0,
        max_retry_after: float = 60.0,
        requests_per_window: int = 55,
        window_seconds: float = 60.0,
        records_per_page: int = 500,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self.log = logging.getLogger(f"{self.__class__.__name__}[{id}]")
        super().__init__(id, *args, **kwargs)
        # octoDNS turns env secrets that look numeric into numbers: keep them strings
        self._key = str(api_key).strip()
        self._secret = str(api_secret).strip()
        self.api_url = str(api_url or DEFAULT_API_URL).rstrip("/")
        self.timeout = float(timeout)
        self.retry_count = int(retry_count)
        self.retry_period = float(retry_period)
        self.max_retry_after = float(max_retry_after)
        self.records_per_page = int(records_per_page)
        if self.records_per_page < 1:
            raise ValueError("records_per_page must be at least 1")
        if int(requests_per_window) < 1 or float(window_seconds) <= 0:
            raise ValueError("requests_per_window must be at least 1 and window_seconds positive")
        self.budget = RequestBudget(int(requests_per_window), float(window_seconds))
        self._session = requests.Session()
        self._session.headers.update(
            {
                "Authorization": f"sso-key {self._key}:{self._secret}",
                "Accept": "application/json",
                "User-Agent": "autodiscover-dns",
            }
        )
        self._lock = threading.Lock()
        #: zone name -> every record the last populate read, of every type (API shape)
        self._raw: dict[str, list[Json]] = {}
        self.request_counts = {"read": 0, "write": 0, "retried": 0, "rate_limited": 0}

    def __repr__(self) -> str:  # never the secret, whatever prints the provider
        return f"GoDaddyProvider({self.id!r}, api_url={self.api_url!r})"

    # -- requests --------------------------------------------------------------

    def _request(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        """One request with the budget, bounded retries and one-line errors.

        ``what`` says what the request is for ("the records of example.com.",
        "the _autodiscover._tcp SRV of example.com."), for the messages.
        """
        attempt = 0
        while True:
            try:
                return self._send(method, path, what, **kwargs)
            except (_Retryable, requests.ConnectionError, requests.Timeout) as e:
                if isinstance(e, requests.ConnectionError):
                    stop = cannot_reach(
                        e, self.id, self.api_url, [API_URL_VARIABLE], DEFAULT_API_URL
                    )
                    if stop is not None:  # never sent: a wrong URL, retrying cannot help
                        raise stop from e
                attempt += 1
                if attempt > self.retry_count:
                    raise self._gave_up(method, path, what, attempt, e) from e
                self.request_counts["retried"] += 1
                why = f"{_why(e)} for {method} {path}"
                back_off(self, attempt, getattr(e, "retry_after", None), why)

    def _send(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        self.budget.acquire()
        with self._lock:
            self.request_counts["read" if method == "GET" else "write"] += 1
        resp = self._session.request(
            method, f"{self.api_url}{path}", timeout=self.timeout, **kwargs
        )
        status = resp.status_code
        if 200 <= status < 300:
            if status == 204 or not resp.content:
                return None
            try:
                return resp.json()
            except ValueError as e:
                raise GoDaddyError(
                    f"GoDaddy answered {method} {path} ({what}) with HTTP {status} and a body "
                    f"that is not JSON; is {API_URL_VARIABLE} ({self.api_url}) GoDaddy's API?"
                ) from e
        body = _body(resp)
        if status == 429 or status >= 500:
            if status == 429:
                with self._lock:
                    self.request_counts["rate_limited"] += 1
            raise _Retryable(status, body, retry_after(resp.headers, body.get("retryAfterSec")))
        detail = self._detail(status, body)
        if status == 401:
            raise GoDaddyAuthError(
                f"GoDaddy refused the API key ({detail}) for {method} {path}; check "
                f"{KEY_VARIABLES} (a production key does not work on the OTE test environment "
                f"and an OTE key not on production: {API_URL_VARIABLE} is {self.api_url})"
            )
        if status == 403:
            raise GoDaddyAccessDeniedError(
                f"GoDaddy denied API access to {what} ({detail}): GoDaddy's Domains API "
                "answers only accounts with 10 or more domains or a paid plan (and only for "
                "domains the key's account holds); make this change by hand instead: move the "
                f"domain's zone file from zones/{self.id}/ to {MANUAL_FOLDER}"
            )
        if status == 404:
            raise _NotFound(body)
        if status == 422:
            raise GoDaddyValidationError(
                f"GoDaddy refused {what} ({method} {path}: {detail}); fix the record in the "
                "zone file and plan again"
            )
        raise GoDaddyError(f"GoDaddy refused {method} {path} ({what}): {detail}")

    def _detail(self, status: int, body: Json) -> str:
        """``HTTP 422 INVALID_BODY: message; records[0].ttl: message``, secrets removed."""
        text = f"HTTP {status}"
        if body.get("code"):
            text += f" {body['code']}"
        if body.get("message"):
            text += f": {body['message']}"
        fields = body.get("fields")
        if isinstance(fields, list):
            for field in fields[:5]:
                if isinstance(field, dict):
                    where = field.get("path") or field.get("pathRelated") or "?"
                    text += f"; {where}: {field.get('message') or field.get('code') or '?'}"
        return self._scrub(" ".join(text.split()))

    def _scrub(self, text: str) -> str:
        for secret in (self._secret, self._key):
            if len(secret) >= 4:
                text = text.replace(secret, "***")
        return text

    def _gave_up(
        self, method: str, path: str, what: str, attempts: int, error: Exception
    ) -> GoDaddyUnavailableError:
        text = (
            f"GoDaddy {method} {path} ({what}) failed {attempts} time(s), the last with "
            f"{_why(error)}; retries exhausted (retry_count {self.retry_count}); try again later"
        )
        if method != "GET":
            text += "; the zone may be part-way changed: run plan again to see what is left"
        return GoDaddyUnavailableError(text)

    # -- reading -----------------------------------------------------------------

    def _read(self, zone_name: str) -> list[Json] | None:
        """Every record of the domain, page by page; None when GoDaddy does not hold it."""
        domain = zone_name.rstrip(".")
        path = f"/v1/domains/{quote(domain, safe='')}/records"
        records: list[Json] = []
        offset = 0
        while True:
            params = {"offset": offset, "limit": self.records_per_page}
            try:
                page = self._request("GET", path, f"the records of {zone_name}", params=params)
            except _NotFound:
                return None
            if not isinstance(page, list) or not all(isinstance(r, dict) for r in page):
                raise GoDaddyError(
                    f"GoDaddy GET {path} did not answer with a list of records; is "
                    f"{API_URL_VARIABLE} ({self.api_url}) GoDaddy's API?"
                )
            records += page
            if len(page) < self.records_per_page:
                return records
            offset += len(page)

    def populate(self, zone: Zone, target: bool = False, lenient: bool = False) -> bool:
        raw = self._read(zone.name)
        if raw is None:
            self.remember_live(zone.name, None)
            with self._lock:
                self._raw.pop(zone.name, None)
            return False
        with self._lock:
            self._raw[zone.name] = raw
        sets: dict[tuple[str, str], list[Json]] = {}
        pairs = []
        for record in raw:
            _type = str(record.get("type") or "").upper()
            owner = _owner(record)
            pairs.append((_absolute(owner, zone.name), _type))  # every type: the policy's view
            if _type in self.SUPPORTS:
                sets.setdefault((owner, _type), []).append(record)
        for (owner, _type), records in sets.items():
            data = _octodns_data(_type, records, zone.name)
            name = "" if owner == "@" else owner
            octodns_record = Record.new(zone, name, data, source=self, lenient=True)
            zone.add_record(octodns_record, lenient=True, replace=True)
        self.remember_live(zone.name, pairs)
        return True

    # -- planning ----------------------------------------------------------------

    def change_notes(self, zone_name: str, changes: Iterable[Change]) -> list[str]:
        """Plan warnings: a TTL GoDaddy will refuse (below its 600 s minimum)."""
        notes = []
        for change in changes:
            new = change.new
            if new is not None and new.ttl < MIN_TTL:
                notes.append(
                    f"zone {zone_name}: {new.name or '@'} {new._type} has TTL {new.ttl}, below "
                    f"GoDaddy's minimum of {MIN_TTL} s: GoDaddy will refuse it at apply; raise "
                    "the ttl in the zone file"
                )
        return notes

    # -- writing -----------------------------------------------------------------

    def _apply(self, plan: Plan) -> None:
        zone_name = plan.desired.name
        live = self._raw.get(zone_name)
        if live is None:  # not read in this run (or missing when it was): read now
            live = self._read(zone_name)
        if live is None:
            raise ZoneMissingError(self._missing(zone_name))
        writes = self._writes(zone_name, plan.changes, live)
        domain = quote(zone_name.rstrip("."), safe="")
        try:
            for write in writes:
                path = f"/v1/domains/{domain}/records/{write.type}/{_path_name(write.host)}"
                if write.body is not None:
                    self._request("PUT", path, write.what, json=write.body)
                    continue
                try:
                    self._request("DELETE", path, write.what)
                except _NotFound as e:  # the set is gone already, or the domain is
                    if self._read(zone_name) is None:
                        raise ZoneMissingError(self._missing(zone_name, after_plan=True)) from e
                    self.log.warning(
                        "%s was already gone at GoDaddy (%s)", write.what, e.code or 404
                    )
        except _NotFound as e:
            raise ZoneMissingError(self._missing(zone_name, after_plan=True)) from e
        finally:
            with self._lock:
                self._raw.pop(zone_name, None)

    def _missing(self, zone_name: str, after_plan: bool = False) -> str:
        when = " any more (deleted after the plan was made)" if after_plan else ""
        return (
            f"zone {zone_name}: GoDaddy does not hold the domain {zone_name.rstrip('.')}{when} "
            "for this API key; add it to the GoDaddy account first (autodiscover-dns never "
            "creates zones)"
        )

    def _writes(self, zone_name: str, changes: Iterable[Change], live: list[Json]) -> list[_Write]:
        """The DELETEs and PUTs that make exactly the planned (name, type) sets as desired.

        Changes are grouped by what one GoDaddy request addresses, (type, host):
        for every type but SRV that is the octoDNS (name, type) itself; for SRV
        it is every SRV at the host, so the sets of other services at that host
        are sent back as they are. A group whose result is empty is deleted; one
        whose result equals the live records is not written at all.

        Order: the deletes a PUT needs first (a CNAME leaving the owner a PUT
        writes), then the PUTs, then the other deletes. A PUT GoDaddy refuses
        thus stops the zone before its conflicts are removed.
        """
        seen: set[tuple[str, str]] = set()
        groups: dict[tuple[str, str], list[Change]] = {}
        for change in changes:
            record = change.record
            key = (record.name, record._type)
            if key in seen:
                raise UnsafePlanError(
                    f"zone {zone_name}: the plan holds two changes to {record.name or '@'} "
                    f"{record._type}; refusing to apply it"
                )
            seen.add(key)
            if record._type not in self.SUPPORTS:
                raise UnsafePlanError(
                    f"zone {zone_name}: {record._type} records are not written to GoDaddy"
                )
            host = _split_srv(zone_name, record.name)[2] if record._type == "SRV" else None
            groups.setdefault((record._type, host or record.name or "@"), []).append(change)
        deletes: list[_Write] = []
        puts: list[_Write] = []
        for (_type, host), group in groups.items():
            current = [r for r in live if str(r.get("type")).upper() == _type and _host(r) == host]
            changed = {_owner_of(c.record) for c in group}
            kept = [_body_entry(_type, r) for r in current if _owner(r) not in changed]
            wanted = [
                entry for c in group if c.new is not None for entry in _entries(c.new, zone_name)
            ]
            body = kept + wanted
            names = ", ".join(sorted(f"{_owner_of(c.record)} {_type}" for c in group))
            what = f"the {names} of {zone_name}"
            written = frozenset(_owner_of(c.record) for c in group if c.new is not None)
            if not body:
                if current:
                    deletes.append(_Write(_type, host, what, None, frozenset(changed)))
                continue
            if _same(_type, body, [_body_entry(_type, r) for r in current]):
                continue
            puts.append(_Write(_type, host, what, body, written))
        needed = frozenset().union(*(p.owners for p in puts))
        first = [d for d in deletes if d.owners & needed]
        return first + puts + [d for d in deletes if not d.owners & needed]


@dataclass(frozen=True)
class _Write:
    """One request of an apply: a PUT of ``body`` or (``body`` None) a DELETE."""

    type: str
    host: str
    what: str  #: the planned sets it writes, for messages
    body: list[Json] | None
    owners: frozenset[str]  #: the octoDNS owners it changes (``@`` the apex)


# -- record shapes ---------------------------------------------------------------------


def _host(record: Json) -> str:
    """The ``name`` field, lower-case, ``@`` for the apex."""
    name = str(record.get("name") or "@").strip().lower().rstrip(".")
    return name or "@"


def _owner(record: Json) -> str:
    """The owner relative to the domain (``@`` the apex); SRV: service.protocol.host."""
    host = _host(record)
    if str(record.get("type")).upper() == "SRV" and record.get("service"):
        labels = [str(record["service"]), str(record.get("protocol") or "")]
        labels = [label.strip().lower() for label in labels if label]
        if host != "@":
            labels.append(host)
        return ".".join(labels)
    return host


def _owner_of(record: Record) -> str:
    return record.name or "@"


def _absolute(owner: str, zone_name: str) -> str:
    return zone_name if owner == "@" else f"{owner}.{zone_name}"


def _path_name(host: str) -> str:
    return quote(host, safe="@*")


def _split_srv(zone_name: str, name: str) -> tuple[str, str, str]:
    """(service, protocol, host) of an octoDNS SRV name such as ``_autodiscover._tcp.sub``."""
    labels = name.split(".") if name else []
    if len(labels) < 2 or not all(label.startswith("_") for label in labels[:2]):
        raise UnsafePlanError(
            f"zone {zone_name}: SRV name {name or '@'} is not _service._protocol[.host]; "
            "GoDaddy cannot store it"
        )
    return labels[0], labels[1], ".".join(labels[2:]) or "@"


def _fqdn(data: Any, zone_name: str) -> str:
    """A host name from ``data`` as octoDNS writes it: absolute, with the trailing dot."""
    text = str(data or "").strip()
    if text in ("", "@"):
        return zone_name
    return text if text.endswith(".") else f"{text}."


def _octodns_data(_type: str, records: list[Json], zone_name: str) -> Json:
    """octoDNS record data of one (owner, type) set read from the API."""
    ttl = min(int(r.get("ttl") or 3600) for r in records)
    values: list[Any]
    if _type in ("A", "AAAA"):
        values = [str(r.get("data") or "").strip() for r in records]
    elif _type in ("CNAME", "NS"):
        values = [_fqdn(r.get("data"), zone_name) for r in records]
    elif _type == "MX":
        values = [
            {"preference": int(r.get("priority") or 0), "exchange": _fqdn(r.get("data"), zone_name)}
            for r in records
        ]
    elif _type == "SRV":
        values = [
            {
                "priority": int(r.get("priority") or 0),
                "weight": int(r.get("weight") or 0),
                "port": int(r.get("port") or 0),
                "target": _fqdn(r.get("data"), zone_name),
            }
            for r in records
        ]
    elif _type == "CAA":
        values = [_caa(str(r.get("data") or "")) for r in records]
    else:  # TXT: octoDNS escapes semicolons
        values = [str(r.get("data") or "").replace(";", "\\;") for r in records]
    if _type == "CNAME":
        return {"type": _type, "ttl": ttl, "value": values[0]}
    return {"type": _type, "ttl": ttl, "values": values}


def _caa(data: str) -> Json:
    """``0 issue "ca.example.net"`` -> octoDNS CAA value."""
    parts = data.split(None, 2)
    if len(parts) < 3:
        return {"flags": 0, "tag": parts[0] if parts else "", "value": ""}
    flags, tag, value = parts
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return {"flags": int(flags) if flags.isdigit() else 0, "tag": tag, "value": value}


def _host_data(name: str) -> str:
    """An octoDNS host name as GoDaddy's ``data``: fully qualified, no trailing dot."""
    return name[:-1] if name.endswith(".") and name != "." else name


def _entries(record: Record, zone_name: str) -> list[Json]:
    """The PUT body entries of an octoDNS record (its values, with its TTL)."""
    _type = record._type
    ttl = int(record.ttl)
    if _type == "CNAME":
        return [{"data": _host_data(record.value), "ttl": ttl}]
    entries: list[Json] = []
    for value in record.values:
        if _type in ("A", "AAAA"):
            entries.append({"data": str(value), "ttl": ttl})
        elif _type == "NS":
            entries.append({"data": _host_data(str(value)), "ttl": ttl})
        elif _type == "MX":
            entries.append(
                {"data": _host_data(value.exchange), "priority": int(value.preference), "ttl": ttl}
            )
        elif _type == "SRV":
            service, protocol, _host_part = _split_srv(zone_name, record.name)
            entries.append(
                {
                    "service": service,
                    "protocol": protocol,
                    "data": _host_data(value.target),
                    "port": int(value.port),
                    "priority": int(value.priority),
                    "weight": int(value.weight),
                    "ttl": ttl,
                }
            )
        elif _type == "CAA":
            entries.append({"data": f'{int(value.flags)} {value.tag} "{value.value}"', "ttl": ttl})
        else:  # TXT
            entries.append({"data": str(value).replace("\\;", ";"), "ttl": ttl})
    return entries


def _body_entry(_type: str, record: Json) -> Json:
    """A live record as a PUT body entry, every field it has kept as it is."""
    return {k: record[k] for k in _FIELDS[_type] if record.get(k) is not None}


def _same(_type: str, body: list[Json], current: list[Json]) -> bool:
    """Do two lists of entries hold the same records (in any order)?"""

    def key(entry: Json) -> str:
        normal = dict(entry)
        if _type in _HOST_DATA and isinstance(normal.get("data"), str):
            normal["data"] = normal["data"].lower().rstrip(".")
        for field in ("service", "protocol"):
            if isinstance(normal.get(field), str):
                normal[field] = normal[field].lower()
        return repr(sorted(normal.items()))

    return sorted(map(key, body)) == sorted(map(key, current))


def _body(resp: requests.Response) -> Json:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _why(error: Exception) -> str:
    if isinstance(error, _Retryable):
        if error.status == 429:
            return "GoDaddy rate limit (HTTP 429)"
        return f"GoDaddy server error (HTTP {error.status}{' ' + error.code if error.code else ''})"
    return transport_why("GoDaddy", error, timed_out=isinstance(error, requests.Timeout))
