"""Cloudflare, through octodns-cloudflare, made fit for pipelines and large estates.

What octodns-cloudflare does that we change:

- ``populate`` reports a zone with no records as missing; we answer from the
  account's zone list, so "does the zone exist" is never guessed.
- On 429 it sleeps a fixed 300 s and ignores ``Retry-After``; 401 is a bare
  HTTPError; connection errors are not retried. We retry a bounded number of
  times with exponential backoff, honour ``Retry-After`` (capped), and turn
  401/403 into one clear authentication error.
- It sends one request per record change. We send one
  ``POST /zones/{id}/dns_records/batch`` per zone: deletes then posts, in one
  transaction, so a zone is changed all or nothing.
- A request budget keeps a run under the account's limit (1,200 requests per
  5 minutes) instead of running into 429s.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import deque

import requests
from octodns.record import Create, Delete, Update
from octodns_cloudflare import (
    Cloudflare5xxError,
    CloudflareAuthenticationError,
    CloudflareError,
    CloudflareRateLimitError,
)
from octodns_cloudflare import CloudflareProvider as _CloudflareProvider

from .errors import AutodiscoverError, ZoneMissingError

#: Cloudflare's documented maximum records per batch on the Free plan.
BATCH_LIMIT = 200


class CloudflareAuthError(AutodiscoverError):
    """The token was refused; retrying cannot help."""


class CloudflareUnavailableError(AutodiscoverError):
    """A request still failed (429, 5xx, timeout, connection) after every retry."""


class RequestBudget:
    """A sliding-window limit on requests: waits instead of earning a 429."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._times and now - self._times[0] >= self.window:
                    self._times.popleft()
                if len(self._times) < self.limit:
                    self._times.append(now)
                    return
                wait = self.window - (now - self._times[0])
            time.sleep(min(max(wait, 0.01), 5.0))


class _NotFound(CloudflareError):
    """HTTP 404: the zone (or record) in the path does not exist."""


class _RateLimited(CloudflareRateLimitError):
    def __init__(self, data, retry_after: float | None) -> None:
        super().__init__(data)
        self.retry_after = retry_after


class CloudflareProvider(_CloudflareProvider):
    """octodns-cloudflare with bounded retries, a request budget and batch writes.

    Extra options: ``max_retry_after`` (cap on one wait, seconds, default 60),
    ``requests_per_window`` / ``window_seconds`` (default 1,100 per 300 s),
    ``batch`` (default true).
    """

    def __init__(
        self,
        id: str,
        token=None,
        account_id=None,
        retry_count: int = 5,
        retry_period: float = 1.0,
        max_retry_after: float = 60.0,
        requests_per_window: int = 1100,
        window_seconds: float = 300.0,
        records_per_page: int = 50000,
        pagerules: bool = False,
        batch: bool = True,
        *args,
        **kwargs,
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
        self.request_counts = {
            "read": 0,
            "write": 0,
            "retried": 0,
            "rate_limited": 0,
            "unanswered_writes": 0,  # timeouts and connection errors of non-GET requests
        }

    # -- requests --------------------------------------------------------------

    def _request(self, method, path, params=None, data=None):
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
            raise _RateLimited(_json(resp), _retry_after(resp))
        if status >= 500:  # octodns-cloudflare's errors take the response envelope
            raise Cloudflare5xxError({"errors": [{"message": f"HTTP {status}"}]})
        if status == 400:
            raise CloudflareError(_json(resp))
        if status == 404:
            raise _NotFound(_json(resp) or {"errors": [{"message": f"{path} not found"}]})
        resp.raise_for_status()
        return resp.json()

    def _try_request(self, method, path, *args, **kwargs):
        attempt = 0
        unanswered = False  # a write got no answer: it may have been applied
        while True:
            try:
                return self._request(method, path, *args, **kwargs)
            except CloudflareAuthenticationError as e:  # 403 from a subclass' _request
                raise CloudflareAuthError(f"Cloudflare refused the API token: {e}") from None
            except (
                CloudflareRateLimitError,
                Cloudflare5xxError,
                requests.ConnectionError,
                requests.Timeout,
            ) as e:
                attempt += 1
                if method != "GET" and isinstance(e, requests.ConnectionError | requests.Timeout):
                    unanswered = True
                    self.request_counts["unanswered_writes"] += 1
                if attempt > self.retry_count:
                    raise self._gave_up(method, path, attempt, e, unanswered) from None
                self.request_counts["retried"] += 1
                wait = self.retry_period * 2 ** (attempt - 1) * (1 + random.random() / 2)
                retry_after = getattr(e, "retry_after", None)
                if retry_after is not None:
                    wait = max(wait, retry_after)
                wait = min(wait, self.max_retry_after)
                self.log.warning(
                    "%s; retry %d/%d in %.1fs", _why(e), attempt, self.retry_count, wait
                )
                time.sleep(wait)

    def _gave_up(self, method, path, attempts, error, unanswered) -> CloudflareUnavailableError:
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
    def zones(self):
        # octoDNS plans zones in parallel (max_workers): without the lock every
        # worker that finds the cache empty lists the whole account again.
        with self._zones_lock:
            return super().zones

    def populate(self, zone, target=False, lenient=False):
        super().populate(zone, target=target, lenient=lenient)
        return zone.name in self.zones

    # -- writing -----------------------------------------------------------------

    def _apply(self, plan):
        zone_name = plan.desired.name
        if zone_name not in self.zones:
            raise ZoneMissingError(
                f"zone {zone_name} is not in the Cloudflare account; create it there first "
                "(autodiscover-dns never creates zones)"
            )
        if not self.batch:
            return super()._apply(plan)
        zone_id = self.zones[zone_name]["id"]
        deletes, posts = [], []
        live = self.zone_records(plan.desired)
        for change in plan.changes:
            if isinstance(change, Delete | Update):
                old = change.existing
                name = old.fqdn[:-1]
                _type = "CNAME" if old._type == "ALIAS" else old._type
                deletes += [
                    {"id": r["id"]}
                    for r in live
                    if r.get("name") == name and r.get("type") == _type
                ]
            if isinstance(change, Create | Update):
                posts += list(self._gen_data(change.new))
        try:
            if len(deletes) + len(posts) <= BATCH_LIMIT:
                self._send_batch(zone_name, zone_id, {"deletes": deletes, "posts": posts})
            else:  # too large for one transaction: deletes first, then posts, in chunks
                for i in range(0, len(deletes), BATCH_LIMIT):
                    self._send_batch(zone_name, zone_id, {"deletes": deletes[i : i + BATCH_LIMIT]})
                for i in range(0, len(posts), BATCH_LIMIT):
                    self._send_batch(zone_name, zone_id, {"posts": posts[i : i + BATCH_LIMIT]})
        except _NotFound:  # the zone went away after planning (the batch is never 404 else)
            raise ZoneMissingError(
                f"zone {zone_name} is no longer in the Cloudflare account (deleted after the "
                "plan was made); autodiscover-dns never creates zones; run plan again"
            ) from None
        self._zone_records.pop(zone_name, None)

    def _send_batch(self, zone_name, zone_id, body) -> None:
        """POST one batch; when an attempt got no answer, a refused retry may mean it landed.

        A batch is one transaction and its deletes name record ids, so a batch
        sent twice is refused the second time (the ids are gone; an identical
        record cannot be created twice): nothing is duplicated. When the first
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
                raise CloudflareError({"errors": [{"message": message}]}) from None
            self.log.warning(
                "the batch for %s got no answer but Cloudflare had applied it (its retry was "
                "refused: %s)",
                zone_name,
                e,
            )

    def _batch_in_place(self, zone_id, body) -> bool:
        """Are the batch's deletes gone and its posts live (read fresh)?"""
        live = list(
            self._paginated_get(f"/zones/{zone_id}/dns_records", per_page=self.records_per_page)
        )
        ids = {r.get("id") for r in live}
        if any(d["id"] in ids for d in body.get("deletes", [])):
            return False
        return all(any(_same_record(post, r) for r in live) for post in body.get("posts", []))


def _same_record(post: dict, live: dict) -> bool:
    """Does the live record carry what ``post`` asked for (name, type, ttl, value)?"""
    for key in ("name", "type", "ttl", "content", "proxied"):
        if key in post and _norm(post[key]) != _norm(live.get(key)):
            return False
    wanted, have = post.get("data") or {}, live.get("data") or {}
    for key, value in wanted.items():
        if key in ("service", "proto", "name"):  # legacy SRV fields; the name decides
            continue
        if _norm(value) != _norm(have.get(key)):
            return False
    return True


def _norm(value):
    return value.rstrip(".") if isinstance(value, str) else value


def _json(resp) -> dict:
    try:
        return resp.json()
    except ValueError:
        return {}


def _retry_after(resp) -> float | None:
    value = resp.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _why(error: Exception) -> str:
    if isinstance(error, CloudflareRateLimitError):
        return "Cloudflare rate limit (429)"
    if isinstance(error, Cloudflare5xxError):
        return f"Cloudflare server error ({error})"
    if isinstance(error, requests.Timeout):
        return f"no answer from Cloudflare in time ({type(error).__name__})"
    text = str(error).lower()
    for words, what in (("refused", "refused"), ("reset", "reset"), ("aborted", "closed")):
        if words in text:
            return f"Cloudflare connection {what} ({type(error).__name__})"
    return f"Cloudflare connection problem ({type(error).__name__})"
