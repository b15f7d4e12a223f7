"""DNS Made Easy, through octodns-dnsmadeeasy, made fit for pipelines and large estates.

What octodns-dnsmadeeasy 1.0.1 does that we change:

- Its ``_apply`` looks the domain up by name (``GET /id/{name}``) and CREATES it
  on a 404. We never create zones: a domain missing from the account's domain
  list is a :class:`ZoneMissingError` before any write, the client's
  ``domain_create`` refuses too, and a 404 while writing (the domain deleted
  after the plan) is the same error.
- Its ``populate`` reports every zone as existing (it returns whether the
  records were cached, which they always are); we answer from the account's
  domain list. The same records read gives the complete view of the zone
  (:mod:`providers.core.liveview`): every record of every type, those octoDNS
  does not model included, HTTPRED (a redirect, served as A) as A and ANAME as
  A and AAAA.
- It reads only the first page of the domain list and of a zone's records; we
  follow ``page`` until ``totalRecords`` records are read.
- It has no timeout and no retries, sleeps a fixed ``ratelimit_delay`` after
  every request, and reports DNS Made Easy's rate limit (HTTP 400 "Rate limit
  exceeded") as a bad request, 401/403 as a bare "Unauthorized" and connection
  errors as raw tracebacks. We set a timeout, keep a request budget under the
  account's limit (150 requests per rolling 5 minutes), read the
  ``x-dnsme-requestLimit``/``x-dnsme-requestsRemaining`` headers of every
  answer, retry the rate limit (and a read's 5xx or timeout) a bounded number of
  times with exponential backoff honouring ``Retry-After``, and turn a refused
  key, an unreachable URL and every other failure into one line that says what
  to check (``DNSMADEEASY_API_KEY``/``DNSMADEEASY_SECRET_KEY``,
  ``DNSMADEEASY_API_URL``).
- DNS Made Easy has no transactions. Before a zone's first write we check that
  the requests the account has left (as the API last reported them) cover all of
  the zone's writes; if not, we stop with one line and write nothing, rather
  than leave the zone half-changed.
- Its Update deletes every record of the (name, type) and creates the desired
  values anew: two requests, the set briefly missing, record ids and settings
  lost; and it matches names exactly (a live ``Autodiscover`` would not be
  deleted). We reconcile each planned (name, type), names compared without
  case: a record whose value is wanted stays (its TTL fixed in place if it
  differs), a changed value is updated in place by id (``PUT
  records/updateMulti``), surplus records are deleted, missing values created.
  At most three multi-record requests per zone (deletes, updates, creates, in
  that order), and nothing outside the planned pairs is ever named.
- ``sandbox: true`` picks between two fixed URLs; we take ``api_url``
  (``DNSMADEEASY_API_URL``): the sandbox, or a local server for tests.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from octodns.provider.plan import Plan
from octodns.record import Change, Delete, Record
from octodns.zone import Zone
from octodns_dnsmadeeasy import (  # type: ignore[import-untyped, unused-ignore]
    DnsMadeEasyClient as _DnsMadeEasyClient,
)
from octodns_dnsmadeeasy import (  # type: ignore[import-untyped, unused-ignore]
    DnsMadeEasyClientNotFound,
)
from octodns_dnsmadeeasy import (  # type: ignore[import-untyped, unused-ignore]
    DnsMadeEasyProvider as _DnsMadeEasyProvider,
)

from .core.errors import AutodiscoverError, UnsafePlanError, ZoneMissingError
from .core.http import RequestBudget, back_off, retry_after, transport_why
from .core.liveview import LiveViewMixin
from .core.pairing import pair_records
from .core.unreachable import cannot_reach

#: where the API is unless the config says otherwise (upstream's production URL)
DEFAULT_API_URL = _DnsMadeEasyClient.PRODUCTION
SANDBOX_API_URL = _DnsMadeEasyClient.SANDBOX
#: the path of the managed-DNS API below a bare host URL
API_PATH = "/V2.0/dns/managed"
API_URL_VARIABLE = "DNSMADEEASY_API_URL"
CREDENTIAL_VARIABLES = "DNSMADEEASY_API_KEY and DNSMADEEASY_SECRET_KEY"
#: records per multi-record request (upstream's ``batch_size`` default)
BATCH_LIMIT = 200
#: DNS Made Easy's documented limit, per account, over a rolling window
ACCOUNT_LIMIT = 150
#: how DNS types are served for DNS Made Easy's own record types
SERVED_AS = {"HTTPRED": ("A",), "ANAME": ("A", "AAAA")}
#: types whose value is a host name, relative to the zone unless it ends with a dot
HOSTNAME_TYPES = frozenset({"ANAME", "ALIAS", "CNAME", "MX", "NS", "PTR", "SRV"})
#: upstream's conversion of live values (it makes these absolute, ANAME -> ALIAS)
UPSTREAM_ABSOLUTE = frozenset({"ALIAS", "CNAME", "MX", "NS", "SRV"})
#: the fields of a record that say what it answers, per type (besides value and ttl)
KEY_FIELDS = {
    "MX": ("mxLevel",),
    "SRV": ("priority", "weight", "port"),
    "CAA": ("caaType", "issuerCritical"),
}
#: fields the API reports but does not take back
READ_ONLY = frozenset({"source", "sourceId", "failed"})
_TXT_CHUNKS = re.compile(r'(?<!\\)""')

#: one record or response body as the API writes it (JSON)
Json = dict[str, Any]


class DnsMadeEasyAuthError(AutodiscoverError):
    """The API key or its signature was refused; retrying cannot help."""


class DnsMadeEasyError(AutodiscoverError):
    """The API refused a request, or it still failed after every retry."""


class DnsMadeEasyBudgetError(DnsMadeEasyError):
    """The account has too few requests left to write a whole zone: nothing written."""


class _NotFound(DnsMadeEasyClientNotFound):
    """HTTP 404: the domain (or a record) the request names does not exist."""

    def __init__(self, what: str = "") -> None:
        super().__init__()
        self.what = what


class _Retry(Exception):
    """A refusal worth another attempt: the rate limit, or a read's 5xx or timeout."""

    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.retry_after = retry_after


class AccountBudget(RequestBudget):
    """Our requests in the rolling window, and the account's as the API last reported them.

    ``acquire`` waits instead of sending a request past our own limit (as Cloudflare's
    budget); a request counts from when its answer came (``done``). ``report`` keeps
    what an answer says is left of the account's limit and which of our requests were
    in the window then; ``wait_for`` tells how long until ``needed`` requests are free
    again, counting only our own requests that age out of the window (the account's
    other clients are not predictable): ``None`` when even that is not enough.
    """

    def __init__(self, limit: int, window: float) -> None:
        super().__init__(limit, window)
        #: (when, remaining, the account's limit, our request times in the window then)
        self._report: tuple[float, int, int | None, list[float]] | None = None

    def report(self, remaining: int, limit: int | None) -> None:
        with self._lock:
            now = time.monotonic()
            ours = [c[0] for c in self._cells if now - c[0] < self.window]
            self._report = (now, remaining, limit, ours)

    def reported(self) -> tuple[int, int] | None:
        """(remaining, limit) as the API last reported them, if within the window."""
        with self._lock:
            if self._report is None or time.monotonic() - self._report[0] >= self.window:
                return None
            _at, remaining, limit, _ours = self._report
            return remaining, limit if limit is not None else ACCOUNT_LIMIT

    def wait_for(self, needed: int) -> float | None:
        """Seconds until the account has ``needed`` requests free, or None (see the class)."""
        with self._lock:
            now = time.monotonic()
            if self._report is None or now - self._report[0] >= self.window:
                return 0.0  # no recent report: the whole window has rolled since
            _at, remaining, _limit, ours = self._report
            short = needed - remaining
            if short <= 0:
                return 0.0
            if len(ours) < short:
                return None
            return max(0.0, sorted(ours)[short - 1] + self.window - now)


def api_base(url: str) -> str:
    """The managed-DNS base URL: ``url`` as given, or a bare host URL plus ``/V2.0/dns/managed``."""
    url = url.strip().rstrip("/")
    if urlsplit(url).path in ("", "/"):
        url += API_PATH
    return url


class DnsMadeEasyApi(_DnsMadeEasyClient):
    """Upstream's client (signing, session) with our requests: budget, retries, one-line errors."""

    def __init__(
        self,
        provider_id: str,
        api_key: str,
        secret_key: str,
        api_url: str,
        *,
        batch_size: int,
        retry_count: int,
        retry_period: float,
        max_retry_after: float,
        timeout: float,
        budget: AccountBudget,
        log: Any,
    ) -> None:
        super().__init__(api_key, secret_key, False, 0.0, batch_size)
        self._base = api_base(api_url)
        self._domains: dict[str, Any] | None = None
        self.provider_id = provider_id
        self.retry_count = int(retry_count)
        self.retry_period = float(retry_period)
        self.max_retry_after = float(max_retry_after)
        self.timeout = float(timeout)
        self.budget = budget
        self.log = log
        self._lock = threading.RLock()
        self._domains_lock = threading.RLock()
        self.request_counts = {"read": 0, "write": 0, "retried": 0, "rate_limited": 0}

    @property
    def base(self) -> str:
        return str(self._base)

    # -- requests --------------------------------------------------------------

    def _request(
        self, method: str, path: str, params: Json | None = None, data: Any = None
    ) -> requests.Response:
        attempt = 0
        while True:
            try:
                return self._send(method, path, params, data)
            except _Retry as e:
                attempt += 1
                if attempt > self.retry_count:
                    raise DnsMadeEasyError(
                        f"DNS Made Easy {method} {path} failed {attempt} time(s), the last with "
                        f"{e.why}; retries exhausted (retry_count {self.retry_count}); try again "
                        "in a few minutes"
                    ) from e
                with self._lock:
                    self.request_counts["retried"] += 1
                back_off(self, attempt, e.retry_after, f"DNS Made Easy {method} {path}: {e.why}")

    def _send(self, method: str, path: str, params: Json | None, data: Any) -> requests.Response:
        """One signed request; raises _Retry for what another attempt may cure."""
        cell = self.budget.acquire()
        with self._lock:
            self.request_counts["read" if method == "GET" else "write"] += 1
        now = self._current_time()
        headers = {"x-dnsme-hmac": self._hmac_hash(now), "x-dnsme-requestDate": now}
        try:
            resp = self._sess.request(
                method, f"{self._base}{path}", headers=headers, params=params, json=data,
                timeout=self.timeout,
            )  # fmt: skip
        except (requests.ConnectionError, requests.Timeout) as e:
            self.budget.done(cell)
            stop = cannot_reach(e, self.provider_id, self.base, [API_URL_VARIABLE], DEFAULT_API_URL)
            if stop is not None:  # never sent: a wrong URL, retrying cannot help
                raise stop from e
            why = transport_why("DNS Made Easy", e, timed_out=isinstance(e, requests.Timeout))
            if method == "GET":
                raise _Retry(why) from e
            raise DnsMadeEasyError(
                f"DNS Made Easy {method} {path}: {why}; the write got no answer and may have "
                "been applied: run plan again to see what is left"
            ) from e
        self.budget.done(cell)
        self._observe(resp)
        status = resp.status_code
        if status in (401, 403):
            raise DnsMadeEasyAuthError(
                f"DNS Made Easy refused the API key (HTTP {status}{self._said(resp)}) for "
                f"{method} {path}; check {CREDENTIAL_VARIABLES} (a key pair of this account "
                f"with API access, for {self.base}) and this machine's clock (requests are "
                "signed with the time)"
            )
        if status == 429 or (status == 400 and _rate_limited(resp)):
            with self._lock:
                self.request_counts["rate_limited"] += 1
            raise _Retry(
                f"DNS Made Easy's rate limit (HTTP {status}, {self._budget_text()})",
                retry_after(resp.headers),
            )
        if status >= 500:
            why = f"DNS Made Easy server error (HTTP {status}{self._said(resp)})"
            if method == "GET":
                raise _Retry(why)
            raise DnsMadeEasyError(
                f"DNS Made Easy {method} {path}: {why}; the write may have been applied: run "
                "plan again to see what is left"
            )
        if status == 404:
            raise _NotFound(f"{method} {path} answered HTTP 404{self._said(resp)}")
        if status >= 300:
            raise DnsMadeEasyError(
                f"DNS Made Easy refused {method} {path} (HTTP {status}{self._said(resp)})"
            )
        return resp

    def _observe(self, resp: requests.Response) -> None:
        """Keep the account's limit and remaining requests the answer reports."""
        remaining = _int(resp.headers.get("x-dnsme-requestsRemaining"))
        if remaining is not None:
            self.budget.report(remaining, _int(resp.headers.get("x-dnsme-requestLimit")))

    def _said(self, resp: requests.Response) -> str:
        """': <the API's error messages>', one line, with our secrets masked; '' when none."""
        try:
            body = resp.json()
        except ValueError:
            return ""
        errors = body.get("error") if isinstance(body, dict) else None
        if not isinstance(errors, list) or not errors:
            return ""
        text = " ".join("; ".join(str(e) for e in errors).split())
        for secret in (self.api_key, self.secret_key):
            if secret:
                text = text.replace(str(secret), "***")
        return f": {text[:300]}"

    def _budget_text(self) -> str:
        reported = self.budget.reported()
        if reported is None:
            return "no budget reported"
        return f"{reported[0]} of the {reported[1]} requests it allows per 5 minutes left"

    def reserve(self, needed: int, zone_name: str) -> None:
        """Start a zone's ``needed`` writes only when the account can take them all: wait for
        our own requests to leave the window, or stop with one line when other clients of the
        account hold too much of it."""
        wait = self.budget.wait_for(needed)
        if wait is None:
            raise DnsMadeEasyBudgetError(
                f"zone {zone_name}: DNS Made Easy reports {self._budget_text()}, the zone needs "
                f"{needed} write request(s) and other clients of the account hold the rest; "
                "nothing written to it (DNS Made Easy has no transactions: a zone stopped "
                "half-way would be left inconsistent); run apply again in a few minutes"
            )
        if wait > 0:
            self.log.warning(
                "zone %s: waiting %.0fs for DNS Made Easy's rate-limit window (%s) before its "
                "%d write request(s)", zone_name, wait, self._budget_text(), needed,
            )  # fmt: skip
            time.sleep(wait)

    # -- reading -----------------------------------------------------------------

    def _pages(self, path: str) -> Iterator[Json]:
        """Every item of a paged list: pages followed until ``totalRecords`` items are read."""
        seen: set[Any] = set()
        params: Json | None = None  # the first page: no page parameter
        for _ in range(10_000):
            body = self._request("GET", path, params=params).json()
            items = body.get("data") or []
            new = [item for item in items if item.get("id") not in seen]
            seen.update(item.get("id") for item in new)
            yield from new
            total, pages = _int(body.get("totalRecords")), _int(body.get("totalPages"))
            current = _int(body.get("page")) or 0
            if not new or (total is not None and len(seen) >= total):
                return
            if total is None and (pages is None or current + 1 >= pages):
                return
            params = {"page": current + 1}
        raise DnsMadeEasyError(f"DNS Made Easy GET {path}: the pages never end; nothing planned")

    @property
    def domains(self) -> dict[str, Any]:
        # octoDNS plans zones in parallel (max_workers): without the lock every
        # worker that finds the cache empty lists the whole account again.
        with self._domains_lock:
            if self._domains is None:
                self._domains = {
                    f"{d['name'].lower().rstrip('.')}.": d["id"] for d in self._pages("/")
                }
            return dict(self._domains)

    def raw_records(self, domain_id: Any) -> list[Json]:
        """Every record of the domain, as the API wrote it."""
        return list(self._pages(f"/{domain_id}/records"))

    def forget_domains(self) -> None:
        """The next ``domains`` lists the account again."""
        with self._domains_lock:
            self._domains = None

    def domain_create(self, name: str) -> None:
        raise ZoneMissingError(
            f"zone {name}. is not in the DNS Made Easy account; create it there first "
            "(autodiscover-dns never creates zones)"
        )

    # -- writing -----------------------------------------------------------------

    def write(self, domain_id: Any, kind: str, items: list[Any]) -> None:
        """One multi-record request: ``deletes`` (ids), ``updates`` or ``creates`` (records)."""
        if kind == "deletes":
            self._request("DELETE", f"/{domain_id}/records", params={"ids": items})
        elif kind == "updates":
            self._request("PUT", f"/{domain_id}/records/updateMulti", data=items)
        else:
            self._request("POST", f"/{domain_id}/records/createMulti", data=items)


class DnsMadeEasyProvider(LiveViewMixin, _DnsMadeEasyProvider):
    """octodns-dnsmadeeasy with a request budget, bounded retries, exact writes and the
    complete view of each zone.

    Options: ``api_key``, ``secret_key``, ``api_url`` (default the production API;
    a bare host URL gets ``/V2.0/dns/managed``), ``sandbox`` (the sandbox URL when
    ``api_url`` is the default), ``retry_count`` (default 4), ``retry_period`` (first
    wait, seconds, default 10), ``max_retry_after`` (cap on one wait, default 60),
    ``timeout`` (seconds, default 15), ``requests_per_window`` / ``window_seconds``
    (default 140 per 300 s), ``batch_size`` (records per request, default 200).
    """

    def __init__(
        self,
        id: str,
        api_key: str | int | None = None,
        secret_key: str | int | None = None,
        api_url: str = DEFAULT_API_URL,
        sandbox: bool = False,
        retry_count: int = 4,
        retry_period: float = 10.0,
        max_retry_after: float = 60.0,
        timeout: float = 15.0,
        requests_per_window: int = 140,
        window_seconds: float = 300.0,
        batch_size: int = BATCH_LIMIT,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if not api_key or not secret_key:
            raise DnsMadeEasyAuthError(
                f"provider {id}: no DNS Made Easy credentials; set {CREDENTIAL_VARIABLES}"
            )
        url = str(api_url or DEFAULT_API_URL)
        if sandbox and api_base(url) == DEFAULT_API_URL:
            url = SANDBOX_API_URL
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DnsMadeEasyError(
                f"provider {id}: {API_URL_VARIABLE} {url!r} is not an http(s) URL; use e.g. "
                f"{DEFAULT_API_URL}"
            )
        batch_size = int(batch_size)
        if not 1 <= batch_size <= BATCH_LIMIT:
            raise DnsMadeEasyError(f"provider {id}: batch_size must be 1 to {BATCH_LIMIT}")
        # env secrets that look numeric arrive as int: the key pair stays text
        super().__init__(id, str(api_key), str(secret_key), False, 0.0, batch_size, *args, **kwargs)
        self.window_seconds = float(window_seconds)
        self.budget = AccountBudget(int(requests_per_window), self.window_seconds)
        self._client = DnsMadeEasyApi(
            id, str(api_key), str(secret_key), url, batch_size=batch_size,
            retry_count=retry_count, retry_period=retry_period,
            max_retry_after=max_retry_after, timeout=timeout, budget=self.budget, log=self.log,
        )  # fmt: skip
        self.batch_size = batch_size
        #: zone name -> every record the last read returned, of every type, as the API wrote it
        self._raw_records: dict[str, list[Json]] = {}

    @property
    def api_url(self) -> str:
        return self._client.base

    @property
    def request_counts(self) -> dict[str, int]:
        return dict(self._client.request_counts)

    # -- reading -----------------------------------------------------------------

    def list_zones(self) -> list[str]:
        return sorted(self._client.domains)

    def zone_records(self, zone: Zone) -> list[Json]:
        """The zone's records as upstream reads them, keeping the raw list of every type.

        One paged read per zone and run, as upstream (which reads only the first page).
        """
        cached = self._zone_records.get(zone.name)
        if cached is not None:
            return list(cached)
        domain_id = self._client.domains.get(zone.name)
        raw = [] if domain_id is None else self._client.raw_records(domain_id)
        self._raw_records[zone.name] = raw
        # the types octoDNS does not model reach only the live view (upstream would warn
        # about each on every run)
        records = [
            r for r in (_as_upstream(zone.name, x) for x in raw) if r["type"] in self.SUPPORTS
        ]
        self._zone_records[zone.name] = records
        return list(records)

    def populate(self, zone: Zone, target: bool = False, lenient: bool = False) -> bool:
        super().populate(zone, target=target, lenient=lenient)
        if zone.name not in self._client.domains:
            self.remember_live(zone.name, None)
            return False
        self.remember_live(zone.name, live_pairs(self._raw_records.get(zone.name, [])))
        return True

    # -- writing -----------------------------------------------------------------

    def _apply(self, plan: Plan) -> None:
        zone = plan.desired
        domain_id = self._client.domains.get(zone.name)
        if domain_id is None:
            raise ZoneMissingError(
                f"zone {zone.name} is not in the DNS Made Easy account; create it there first "
                "(autodiscover-dns never creates zones)"
            )
        operations = self.operations(plan)
        requests_ = [
            (kind, items[i : i + self.batch_size])
            for kind, items in operations.items()
            for i in range(0, len(items), self.batch_size)
        ]
        self._client.reserve(len(requests_), zone.name)
        done = 0
        try:
            for kind, items in requests_:
                self._client.write(domain_id, kind, items)
                done += 1
        except _NotFound as e:  # the domain went away, or a record changed since the plan
            self._client.forget_domains()
            if zone.name not in self._client.domains:
                raise ZoneMissingError(
                    f"zone {zone.name} is no longer in the DNS Made Easy account (deleted after "
                    "the plan was made); autodiscover-dns never creates zones; run plan again"
                ) from e
            raise DnsMadeEasyError(
                f"zone {zone.name}: {done} of {len(requests_)} write request(s) done, then "
                f"{e.what} (a record changed since the plan); run plan again to see what is left"
            ) from e
        except AutodiscoverError as e:
            if done == 0:
                raise
            raise DnsMadeEasyError(
                f"zone {zone.name}: {done} of {len(requests_)} write request(s) done, then "
                f"{e}; run plan again to see what is left"
            ) from e
        finally:
            self._zone_records.pop(zone.name, None)
            self._raw_records.pop(zone.name, None)

    def operations(self, plan: Plan) -> dict[str, list[Any]]:
        """The plan as ``deletes`` (record ids), ``updates`` and ``creates`` (records).

        Only the records of the plan's (name, type) pairs are named, each at most once.
        """
        zone = plan.desired
        live = self._raw_records.get(zone.name)
        if live is None:  # not read in this run: read it now
            self.zone_records(zone)
            live = self._raw_records.get(zone.name, [])
        ops: dict[str, list[Any]] = {"deletes": [], "updates": [], "creates": []}
        seen: dict[tuple[str, str], Change] = {}
        for change in plan.changes:
            record = change.record
            name, rtype = record.name.lower(), _dme_type(record._type)
            if (name, rtype) in seen:
                raise UnsafePlanError(
                    f"zone {zone.name}: the plan holds two changes to {name or '@'} {rtype} "
                    f"({seen[(name, rtype)]} and {change}); refusing to apply it"
                )
            seen[(name, rtype)] = change
            current = [r for r in live if _pair(r) == (name, rtype)]
            if any(r.get("gtdLocation", "DEFAULT") != "DEFAULT" for r in current):
                raise UnsafePlanError(
                    f"zone {zone.name}: {name or '@'} {rtype} has Global Traffic Director "
                    "records (a location other than DEFAULT); autodiscover-dns does not write "
                    "them: change them in DNS Made Easy's control panel"
                )
            if isinstance(change, Delete):
                ops["deletes"] += [r["id"] for r in current]
                continue
            wanted = [_wire(p) for p in self._params(change.new)]
            for kind, item in _reconcile(zone.name, current, wanted):
                ops[kind].append(item)
        ids = ops["deletes"] + [u["id"] for u in ops["updates"]]
        if len(ids) != len(set(ids)):  # cannot happen: a live record has one (name, type)
            raise UnsafePlanError(
                f"zone {zone.name}: the writes would name a record id twice; refusing them"
            )
        return {kind: items for kind, items in ops.items() if items}

    def _params(self, record: Record) -> Iterable[Json]:
        params_for = getattr(self, f"_params_for_{record._type}")
        return list(params_for(record))


# -- records ----------------------------------------------------------------------------


def live_pairs(raw: Iterable[Json]) -> list[tuple[str, str]]:
    """(owner relative to the zone, served type) of every record: the complete view."""
    pairs = []
    for record in raw:
        name = str(record.get("name") or "").lower()
        rtype = str(record.get("type") or "").upper()
        for served in SERVED_AS.get(rtype, (rtype,)):
            pairs.append((name, served))
    return pairs


def _dme_type(rtype: str) -> str:
    return "ANAME" if rtype == "ALIAS" else rtype


def _pair(record: Json) -> tuple[str, str]:
    return str(record.get("name") or "").lower(), str(record.get("type") or "").upper()


def _as_upstream(zone_name: str, record: Json) -> Json:
    """What upstream's ``records`` makes of a live record: ANAME as ALIAS, host names
    absolute, and (ours) the name lower-case, as octoDNS writes names."""
    record = dict(record)
    record["name"] = str(record.get("name") or "").lower()
    if record.get("type") == "ANAME":
        record["type"] = "ALIAS"
    if record.get("type") in UPSTREAM_ABSOLUTE:
        record["value"] = _absolute(zone_name, str(record.get("value") or ""))
    return record


def _absolute(zone_name: str, value: str) -> str:
    if value in ("", "@"):
        return zone_name
    return value if value.endswith(".") else f"{value}.{zone_name}"


def _wire(params: Json) -> Json:
    """One of upstream's ``_params_for_*`` records as the API takes it."""
    record = dict(params)
    record["type"] = _dme_type(record["type"])
    record["gtdLocation"] = "DEFAULT"
    return record


def _text(value: str) -> str:
    """A TXT/SPF/CAA value without its quotes and DNS Made Easy's chunk delimiters."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    return _TXT_CHUNKS.sub("", value)


def _key(zone_name: str, record: Json) -> tuple[Any, ...]:
    """What a record answers, besides its TTL: value and type-specific fields, normalised."""
    rtype = str(record.get("type") or "").upper()
    value = str(record.get("value") or "")
    if rtype in HOSTNAME_TYPES:
        value = _absolute(zone_name, value).lower()
    elif rtype in ("TXT", "SPF", "CAA"):
        value = _text(value)
    elif rtype in ("A", "AAAA"):
        with contextlib.suppress(ValueError):
            value = str(ipaddress.ip_address(value))
    extra = tuple(_int(record.get(f)) for f in KEY_FIELDS.get(rtype, ()))
    return (value, *extra)


def _reconcile(
    zone_name: str, current: list[Json], wanted: list[Json]
) -> Iterator[tuple[str, Any]]:
    """(kind, item) writes that turn the live records ``current`` of one (name, type) into
    ``wanted``: a live record with a wanted value stays (its TTL updated if it differs), the
    other wanted values take over the remaining records by id, the rest is deleted or created.
    """
    key = functools.partial(_key, zone_name)
    pairs, surplus, missing = pair_records(current, wanted, key, key)
    for record, data in pairs:
        if key(record) != key(data) or _int(record.get("ttl")) != _int(data.get("ttl")):
            kept = {k: v for k, v in record.items() if k not in READ_ONLY}
            yield "updates", {**kept, **data, "id": record["id"], "name": record["name"]}
    for record in surplus:
        yield "deletes", record["id"]
    for data in missing:
        yield "creates", data


# -- answers ----------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _rate_limited(resp: requests.Response) -> bool:
    """DNS Made Easy's rate limit: HTTP 400 ``{"error": ["Rate limit exceeded"]}`` (as seen;
    the documented sign is ``x-dnsme-requestsRemaining: 0``)."""
    try:
        body = resp.json()
    except ValueError:  # no error body: the header alone says it
        return resp.headers.get("x-dnsme-requestsRemaining") == "0"
    errors = body.get("error") if isinstance(body, dict) else None
    return isinstance(errors, list) and any("rate limit" in str(e).lower() for e in errors)
