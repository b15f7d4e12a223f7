"""Cloudflare, through octodns-cloudflare, made fit for pipelines and large estates.

What octodns-cloudflare does that we change:

- ``populate`` reports a zone with no records as missing; we answer from the
  account's zone list, so "does the zone exist" is never guessed. The same one
  records read also gives the complete view of the zone (every owner with
  every type, the ones octodns-cloudflare does not support included) that the
  policy decides existence and zone cuts from (:mod:`providers.core.liveview`).
- On 429 it sleeps a fixed 300 s and ignores ``Retry-After``; 401 is a bare
  HTTPError; connection errors are not retried. We retry a bounded number of
  times with exponential backoff, honour ``Retry-After`` (capped), and turn
  401/403 into one clear authentication error. A refused connection or a host
  name that does not resolve is not retried: the request was never sent and the
  URL is wrong, so the run stops at once with one line naming the URL and
  ``CLOUDFLARE_API_URL`` (:mod:`providers.core.unreachable`).
- Its ``_extra_changes`` adds an Update whenever a record's ``comment`` or
  ``tags`` differ from the desired record (ours never carry them), one per
  differing attribute: a correct SRV with a comment and tags got two identical
  Updates on every run. Metadata DNS does not serve never causes a change
  here; proxied/auto-TTL settings cause one only where they change what DNS
  answers (the proxied flag of an address record, the TTL served).
- It sends one request per record change and its updates PUT whole records,
  which drops their comment and tags. We send one
  ``POST /zones/{id}/dns_records/batch`` per zone (deletes, patches, posts in
  one transaction, so a zone is changed all or nothing). A value that changes
  PATCHes the live record by id: Cloudflare keeps the fields a PATCH does not
  name, so the record keeps its id, comment, tags and settings. One change per
  (name, type) reaches the batch and no record id is named twice in it.
- A request budget keeps a run under the account's limit (1,200 requests per
  5 minutes) instead of running into 429s.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import requests
from octodns.provider.plan import Plan
from octodns.record import Change, Delete, Record, Update
from octodns.zone import Zone
from octodns_cloudflare import (
    Cloudflare5xxError,
    CloudflareError,
    CloudflareRateLimitError,
)
from octodns_cloudflare import CloudflareProvider as _CloudflareProvider

from .core.errors import AutodiscoverError, UnsafePlanError, ZoneMissingError
from .core.http import RequestBudget, back_off, retry_after, transport_why
from .core.liveview import LiveViewMixin
from .core.pairing import pair_records
from .core.unreachable import cannot_reach

#: Cloudflare's documented maximum records per batch on the Free plan.
BATCH_LIMIT = 200
#: The TTL Cloudflare serves for records with automatic TTL (``ttl: 1``) and proxied ones.
AUTO_TTL = 300
#: Types whose ``proxied`` flag changes the answer (Cloudflare's addresses instead of the
#: origin); octoDNS calls an apex CNAME ALIAS.
PROXIABLE_TYPES = frozenset({"A", "AAAA", "CNAME", "ALIAS"})
#: The kinds of a batch body, in the order Cloudflare runs them.
BATCH_KINDS = ("deletes", "patches", "posts")
#: Cloudflare's error code for a record id that does not exist (404).
RECORD_MISSING = 81044
#: where the API is unless the config says otherwise, and the variable that says so
DEFAULT_API_URL = "https://api.cloudflare.com/client/v4"
API_URL_VARIABLE = "CLOUDFLARE_API_URL"

#: one record, batch operation or response body as the API writes it (JSON)
Json = dict[str, Any]


class CloudflareAuthError(AutodiscoverError):
    """The token was refused; retrying cannot help."""


class CloudflareUnavailableError(AutodiscoverError):
    """A request still failed (429, 5xx, timeout, connection) after every retry."""


class _NotFound(CloudflareError):
    """HTTP 404: the zone (or record) in the path does not exist."""

    def __init__(self, data: Json | None) -> None:
        super().__init__(data)
        self.codes = {e.get("code") for e in (data or {}).get("errors", []) if isinstance(e, dict)}


class _RateLimited(CloudflareRateLimitError):
    def __init__(self, data: Json, retry_after: float | None) -> None:
        super().__init__(data)
        self.retry_after = retry_after


class CloudflareProvider(LiveViewMixin, _CloudflareProvider):
    """octodns-cloudflare with bounded retries, a request budget, batch writes and the
    complete view of each zone.

    Extra options: ``max_retry_after`` (cap on one wait, seconds, default 60),
    ``requests_per_window`` / ``window_seconds`` (default 1,100 per 300 s),
    ``batch`` (default true).
    """

    def __init__(
        self,
        id: str,
        token: str | int | None = None,
        account_id: str | int | None = None,
        retry_count: int = 5,
        retry_period: float = 1.0,
        max_retry_after: float = 60.0,
        requests_per_window: int = 1100,
        window_seconds: float = 300.0,
        records_per_page: int = 50000,
        pagerules: bool = False,
        batch: bool = True,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        self._zones_lock = threading.RLock()
        super().__init__(
            id,
            *args,
            token=None if token is None else str(token),  # env secrets that look numeric
            account_id=str(account_id) if account_id not in (None, "") else None,
            retry_count=retry_count,
            retry_period=retry_period,
            records_per_page=records_per_page,
            pagerules=pagerules,
            **kwargs,
        )
        self.max_retry_after = float(max_retry_after)
        self.budget = RequestBudget(int(requests_per_window), float(window_seconds))
        self.batch = bool(batch)
        #: zone name -> every record the last read returned, of every type
        self._raw_records: dict[str, list[Json]] = {}
        self.request_counts = {
            "read": 0,
            "write": 0,
            "retried": 0,
            "rate_limited": 0,
            "unanswered_writes": 0,  # timeouts and connection errors of non-GET requests
        }

    # -- requests --------------------------------------------------------------

    def _request(self, method: str, path: str, params: Json | None = None, data: Any = None) -> Any:
        self.budget.acquire()
        self.request_counts["read" if method == "GET" else "write"] += 1
        url = f"{self.api_url}{path}"
        resp = self._sess.request(method, url, params=params, json=data, timeout=self.timeout)
        status = resp.status_code
        if status in (401, 403):
            raise CloudflareAuthError(
                f"Cloudflare refused the API token (HTTP {status}) for {method} {path}; check "
                "CLOUDFLARE_API_TOKEN and that it has Zone:Read and DNS:Edit on these zones"
            )
        if status == 429:
            self.request_counts["rate_limited"] += 1
            raise _RateLimited(_json(resp), retry_after(resp.headers))
        if status >= 500:  # octodns-cloudflare's errors take the response envelope
            raise Cloudflare5xxError({"errors": [{"message": f"HTTP {status}"}]})
        if status == 400:
            raise CloudflareError(_json(resp))
        if status == 404:
            raise _NotFound(_json(resp) or {"errors": [{"message": f"{path} not found"}]})
        resp.raise_for_status()
        return resp.json()

    def _try_request(self, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        attempt = 0
        unanswered = False  # a write got no answer: it may have been applied
        while True:
            try:
                return self._request(method, path, *args, **kwargs)
            except (
                CloudflareRateLimitError,
                Cloudflare5xxError,
                requests.ConnectionError,
                requests.Timeout,
            ) as e:
                if isinstance(e, requests.ConnectionError):
                    stop = cannot_reach(
                        e, self.id, self.api_url, [API_URL_VARIABLE], DEFAULT_API_URL
                    )
                    if stop is not None:  # never sent: a wrong URL, retrying cannot help
                        raise stop from e
                attempt += 1
                if method != "GET" and isinstance(e, requests.ConnectionError | requests.Timeout):
                    unanswered = True
                    self.request_counts["unanswered_writes"] += 1
                if attempt > self.retry_count:
                    raise self._gave_up(method, path, attempt, e, unanswered) from e
                self.request_counts["retried"] += 1
                back_off(self, attempt, getattr(e, "retry_after", None), _why(e))

    def _gave_up(
        self, method: str, path: str, attempts: int, error: Exception, unanswered: bool
    ) -> CloudflareUnavailableError:
        """One line for a request that failed on every attempt: what, where, why."""
        text = f"Cloudflare {method} {path}"
        match = re.match(r"^/zones/([^/]+)", path)
        names = [n for n, z in (self._zones or {}).items() if match and z.get("id") == match[1]]
        if names:
            text += f" (zone {names[0]})"
        text += (
            f" failed {attempts} time(s), the last with {_why(error)}; retries exhausted "
            f"(retry_count {self.retry_count}); try again later"
        )
        if unanswered:
            text += "; a write that got no answer may have been applied: run plan again first"
        return CloudflareUnavailableError(text)

    # -- reading -----------------------------------------------------------------

    @property
    def zones(self) -> dict[str, Json]:
        # octoDNS plans zones in parallel (max_workers): without the lock every
        # worker that finds the cache empty lists the whole account again.
        with self._zones_lock:
            return super().zones

    def zone_records(self, zone: Zone) -> list[Json]:
        """The zone's supported records (as upstream), keeping the raw list of every type.

        One paginated read per zone and run, as upstream; the raw list feeds the
        complete view and the batch (record ids), so nothing is read twice.
        """
        cached = self._zone_records.get(zone.name)
        if cached is not None:
            return cached
        zone_id = self.zones.get(zone.name, {}).get("id")
        if not zone_id:
            return []
        raw = list(
            self._paginated_get(f"/zones/{zone_id}/dns_records", per_page=self.records_per_page)
        )
        records = [r for r in raw if r.get("type") in self.SUPPORTS]
        if self.pagerules:  # upstream models forwarding page rules as URLFWD records
            answer = self._try_request(
                "GET", f"/zones/{zone_id}/pagerules", params={"status": "active"}
            )
            records += [
                rule for rule in answer["result"] if rule["actions"][0]["id"] == "forwarding_url"
            ]
        self._raw_records[zone.name] = raw
        self._zone_records[zone.name] = records
        return records

    def populate(self, zone: Zone, target: bool = False, lenient: bool = False) -> bool:
        super().populate(zone, target=target, lenient=lenient)
        if zone.name not in self.zones:
            self.remember_live(zone.name, None)
            return False
        raw = self._raw_records.get(zone.name, [])
        self.remember_live(zone.name, [(f"{r['name']}.", r["type"]) for r in raw])
        return True

    # -- planning ----------------------------------------------------------------

    def _served(self, record: Record) -> tuple[int, bool]:
        """What DNS answers for ``record`` besides its values: the TTL and the proxy."""
        proxied = self._record_is_proxied(record) and record._type in PROXIABLE_TYPES
        if proxied or self._record_is_just_auto_ttl(record):
            return AUTO_TTL, proxied
        return max(self.min_ttl, record.ttl), proxied

    def _extra_changes(self, existing: Zone, desired: Zone, changes: list[Change]) -> list[Change]:
        """Upstream's extra Updates, only where DNS would answer differently.

        Upstream adds one Update per differing attribute (proxied/auto-TTL,
        comment, tags), so a record whose comment and tags differ got two
        identical Updates. Comments and tags never reach DNS; a proxied or
        automatic-TTL setting counts only through what DNS serves. At most one
        change per (name, type).
        """
        changed = {(c.record.name, c.record._type) for c in changes}
        current = {(r.name, r._type): r for r in existing.records}
        extra = []
        for record in desired.records:
            key = (record.name, record._type)
            old = current.get(key)
            if old is None or key in changed:
                continue
            if self._served(old) != self._served(record):
                extra.append(Update(old, record))
                changed.add(key)
        return extra

    # -- writing -----------------------------------------------------------------

    def _apply(self, plan: Plan) -> None:
        zone_name = plan.desired.name
        if zone_name not in self.zones:
            raise ZoneMissingError(
                f"zone {zone_name} is not in the Cloudflare account; create it there first "
                "(autodiscover-dns never creates zones)"
            )
        zone_id = self.zones[zone_name]["id"]
        body = self._batch_body(plan)
        try:
            if not self.batch:
                self._send_each(zone_id, body)
            elif sum(len(items) for items in body.values()) <= BATCH_LIMIT:
                self._send_batch(zone_name, zone_id, body)
            else:  # too large for one transaction: deletes, patches, posts, in chunks
                for kind, items in body.items():
                    for i in range(0, len(items), BATCH_LIMIT):
                        self._send_batch(zone_name, zone_id, {kind: items[i : i + BATCH_LIMIT]})
        except _NotFound as e:  # the zone went away after planning (the batch is never 404 else)
            raise ZoneMissingError(
                f"zone {zone_name} is no longer in the Cloudflare account (deleted after the "
                "plan was made); autodiscover-dns never creates zones; run plan again"
            ) from e
        self._zone_records.pop(zone_name, None)
        self._raw_records.pop(zone_name, None)

    def _one_change_per_pair(self, plan: Plan) -> list[Change]:
        """The plan's changes with at most one per (name, Cloudflare type).

        Identical duplicates (the same action to the same data) are dropped;
        two different changes to one (name, type) cannot both be right: refuse.
        """
        chosen: dict[tuple[str, str], Change] = {}
        for change in plan.changes:
            key = _cf_pair(change.record)
            first = chosen.get(key)
            if first is None:
                chosen[key] = change
            elif _change_data(first) == _change_data(change):
                self.log.warning("dropped a duplicate %s of %s %s", type(change).__name__, *key)
            else:
                raise UnsafePlanError(
                    f"zone {plan.desired.name}: the plan holds two different changes to "
                    f"{key[0]} {key[1]} ({first} and {change}); refusing to apply it"
                )
        return list(chosen.values())

    def _batch_body(self, plan: Plan) -> dict[str, list[Json]]:
        """Deletes, patches and posts for the plan; each live record id named at most once.

        A Delete removes every live record of its (name, type). A Create or an
        Update pairs the wanted values with the live records: a value already
        live keeps its record, the other values take over the remaining records
        (PATCH by id, so the comment, tags and settings stay), and what is left
        over is deleted or posted (a post carries the comment and tags the
        (name, type) had, unless the desired record sets its own).
        """
        zone = plan.desired
        live = [r for r in self.zone_records(zone) if "name" in r]  # DNS records, not rules
        body: dict[str, list[Json]] = {kind: [] for kind in BATCH_KINDS}
        for change in self._one_change_per_pair(plan):
            if change.record._type == "URLFWD":
                raise UnsafePlanError(
                    f"zone {zone.name}: page rules (URLFWD) are not written by autodiscover-dns"
                )
            name, _type = _cf_pair(change.record)
            current = [r for r in live if r["name"] == name and r["type"] == _type]
            if isinstance(change, Delete):
                body["deletes"] += [{"id": r["id"]} for r in current]
                continue
            wanted = list(self._gen_data(change.new))
            for kind, item in self._pair(zone, current, wanted):
                body[kind].append(item)
        named = [item["id"] for kind in ("deletes", "patches") for item in body[kind]]
        if len(named) != len(set(named)):  # cannot happen: a live record has one (name, type)
            raise UnsafePlanError(
                f"zone {zone.name}: the batch would name a record id twice; refusing to send it"
            )
        return {kind: items for kind, items in body.items() if items}

    def _pair(
        self, zone: Zone, current: list[Json], wanted: list[Json]
    ) -> Iterator[tuple[str, Json]]:
        """(kind, item) operations that turn the live records ``current`` into ``wanted``."""
        pairs, surplus, missing = pair_records(
            current, wanted, lambda record: self._live_key(zone, record), self._gen_key
        )
        for record, data in pairs:
            if not _same_record(data, record):
                yield "patches", {"id": record["id"], **data}
        for record in surplus:
            yield "deletes", {"id": record["id"]}
        metadata = _metadata(current[0]) if current else {}
        for data in missing:
            yield "posts", {**metadata, **data}

    def _live_key(self, zone: Zone, record: Json) -> str:
        """Upstream's match key of a live record, through its own record round trip."""
        name = zone.hostname_from_fqdn(record["name"])
        octodns_record = self._record_for(zone, name, record["type"], [record], True)
        return self._gen_key(next(self._gen_data(octodns_record)))

    def _send_each(self, zone_id: str, body: dict[str, list[Json]]) -> None:
        """``batch: false``: the batch's operations one request each, in the batch's order.

        Not a transaction: a failure leaves the zone part-way; the next plan
        shows what is left.
        """
        path = f"/zones/{zone_id}/dns_records"
        requests_: list[tuple[str, str, Json | None]] = [
            ("DELETE", f"{path}/{item['id']}", None) for item in body.get("deletes", [])
        ]
        requests_ += [
            ("PATCH", f"{path}/{item['id']}", {k: v for k, v in item.items() if k != "id"})
            for item in body.get("patches", [])
        ]
        requests_ += [("POST", path, item) for item in body.get("posts", [])]
        for method, where, data in requests_:
            try:
                self._try_request(method, where, data=data)
            except _NotFound as e:
                if RECORD_MISSING not in e.codes:
                    raise  # the zone itself
                message = f"{method} {where}: the record is gone (changed since the plan)"
                raise CloudflareError({"errors": [{"message": message + "; plan again"}]}) from e

    def _send_batch(self, zone_name: str, zone_id: str, body: dict[str, list[Json]]) -> None:
        """POST one batch; when an attempt got no answer, a refused retry may mean it landed.

        A batch is one transaction and its deletes name record ids, so a batch
        sent twice is refused the second time (the ids are gone; an identical
        record cannot be created twice; a patch sets the same values again):
        nothing is duplicated. When the first
        attempt timed out but Cloudflare applied it, the retry is refused with a
        400; then the live records decide whether the batch is in place.
        """
        unanswered = self.request_counts["unanswered_writes"]
        path = f"/zones/{zone_id}/dns_records/batch"
        try:
            self._try_request("POST", path, data=body)
        except CloudflareError as e:
            retried_blind = self.request_counts["unanswered_writes"] > unanswered
            if type(e) is not CloudflareError or not retried_blind:  # only a 400 after that
                raise
            try:
                in_place = self._batch_in_place(zone_id, body)
            except Exception:  # cannot tell: say so
                in_place = False
            if not in_place:
                message = (
                    f"{e}, on a retry of a batch that had got no answer; it may have been "
                    "applied: run plan again to see what is left"
                )
                raise CloudflareError({"errors": [{"message": message}]}) from e
            self.log.warning(
                "the batch for %s got no answer but Cloudflare had applied it (its retry was "
                "refused: %s)",
                zone_name,
                e,
            )

    def _batch_in_place(self, zone_id: str, body: dict[str, list[Json]]) -> bool:
        """Are the batch's deletes gone, its patches and its posts live (read fresh)?"""
        live = list(
            self._paginated_get(f"/zones/{zone_id}/dns_records", per_page=self.records_per_page)
        )
        by_id = {r.get("id"): r for r in live}
        if any(d["id"] in by_id for d in body.get("deletes", [])):
            return False
        for patch in body.get("patches", []):
            record = by_id.get(patch["id"])
            if record is None or not _same_record(patch, record):
                return False
        return all(any(_same_record(post, r) for r in live) for post in body.get("posts", []))


def _cf_pair(record: Record) -> tuple[str, str]:
    """(name as the API writes it, type as the API stores it) of an octoDNS record."""
    return record.fqdn[:-1], "CNAME" if record._type == "ALIAS" else record._type


def _change_data(change: Change) -> tuple[str, tuple[str, Any] | None]:
    """What a change does: its action and the record it leaves (None for a delete)."""
    new = change.new
    return type(change).__name__, None if new is None else (new._type, new.data)


def _metadata(record: Json) -> Json:
    """The comment and tags of a live record, for a record written in its place."""
    kept: Json = {}
    if record.get("comment"):
        kept["comment"] = record["comment"]
    if record.get("tags"):
        kept["tags"] = list(record["tags"])
    return kept


def _same_record(post: Json, live: Json) -> bool:
    """Does the live record carry what ``post`` asked for (name, type, ttl, value, metadata)?"""
    for key in ("name", "type", "ttl", "content", "proxied", "comment"):
        if key in post and _norm(post[key]) != _norm(live.get(key)):
            return False
    if "tags" in post and sorted(post["tags"]) != sorted(live.get("tags") or []):
        return False
    wanted, have = post.get("data") or {}, live.get("data") or {}
    for key, value in wanted.items():
        if key in ("service", "proto", "name"):  # legacy SRV fields; the name decides
            continue
        if _norm(value) != _norm(have.get(key)):
            return False
    return True


def _norm(value: Any) -> Any:
    return value.rstrip(".") if isinstance(value, str) else value


def _json(resp: requests.Response) -> Json:
    try:
        return resp.json()
    except ValueError:
        return {}


def _why(error: Exception) -> str:
    if isinstance(error, CloudflareRateLimitError):
        return "Cloudflare rate limit (429)"
    if isinstance(error, Cloudflare5xxError):
        return f"Cloudflare server error ({error})"
    return transport_why("Cloudflare", error, timed_out=isinstance(error, requests.Timeout))
