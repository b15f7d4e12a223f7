"""Strict local fake of the Cloudflare API v4, for tests.

Cloudflare has no emulator, so this module serves the subset of the API that
octodns-cloudflare and our own provider use, on 127.0.0.1, from memory. It is
deliberately stricter than the real service in a few places (unknown query
parameters and body fields are rejected, record names must be fully
qualified) so that client bugs surface in tests instead of in production.

Stdlib only: the server of tests/fakes/http.py (``http.server`` in a daemon thread) plus json.

Served routes (relative to ``FakeCloudflare.url``), and who calls them with the
settings of config/octodns.yaml (``pagerules: false``, ``batch`` true or false)::

    GET     /zones                                   octodns-cloudflare ``zones`` (paged;
                                                     ``account.id`` with CLOUDFLARE_ACCOUNT_ID)
    GET     /zones/{zone_id}/dns_records             our ``zone_records`` (paged), and the
                                                     check after an unanswered batch
    POST    /zones/{zone_id}/dns_records/batch       our ``_apply`` (deletes, patches, posts;
                                                     chunks of 200 above BATCH_LIMIT)
    POST    /zones/{zone_id}/dns_records             our ``_apply`` with ``batch: false``
    PATCH   /zones/{zone_id}/dns_records/{id}        our ``_apply`` with ``batch: false``
    DELETE  /zones/{zone_id}/dns_records/{id}        our ``_apply`` with ``batch: false``

Not served, because nothing of ours calls them: zone creation, reading,
settings and deletion (``POST /zones``, ``/zones/{id}``, ``available_plans``:
we never create zones and set no ``plan_type``), record ``GET``/``PUT`` by id
and batch ``puts`` (our updates PATCH, so a record keeps its id and metadata),
and page rules (``pagerules: false``; URLFWD is refused before any request).
Tests remove a zone with ``remove_zone`` (the store, not HTTP). Any other
route answers 400 code 7000, as the real API does for an unknown URI.

Error codes follow the real API where known (10000 auth, 971 rate limit, 7000
no route, 7003 unknown object, 81044 record missing, 81053/81054 CNAME
conflicts, 81058 identical record, 9004 not proxiable); the rest are modelled
on it and listed in the ``E_*`` constants below.

Assumptions about the real API that the product relies on, and the fake
models (Cloudflare documents the endpoints, not all of these details):

- a batch is one transaction, run as deletes, then patches, then posts; one
  failing operation rolls back all of them (400, nothing changed); at most
  200 operations per batch (the Free plan's limit; more is refused, 81059);
- a batch that names one record id twice among ``deletes``/``patches``
  fails as a whole: a second delete of an id finds no record (81044, as the
  real transaction fails), and so does a patch of a deleted id. Two patches
  of one id are refused too (400): the real API may apply them in turn, but
  no client of ours has a reason to send them;
- a retried batch whose first attempt was applied finds its deleted ids gone
  and is refused (400, 81044): nothing is applied twice;
- PATCH (alone or as batch ``patches``) keeps every field it does not name,
  comment and tags included, and the record keeps its id;
- record metadata (``comment``, ``tags``) is kept and returned on every
  record (create, batch posts/patches, list), ``null``/``[]`` when unset, and
  never affects DNS. Shapes as Cloudflare documents them ("Record
  attributes"): a comment is a string without newline or carriage return, at
  most 100 characters (the Free plan's limit); tags are ``name:value``
  strings whose name holds only letters, digits, ``-`` and ``_`` and whose
  value (possibly empty) follows the comment rules;
- lists are paged with ``page``/``per_page`` (zones at most 50 per page,
  octodns-cloudflare reads until a short page); ``result_info`` carries the
  totals; 401/403 on a bad token (code 10000); 429 with ``Retry-After``
  when the account's rate limit (1,200 requests per 5 minutes) is exceeded;
- a proxied A/AAAA/CNAME is served with TTL 1 ("automatic"), other types
  cannot be proxied (9004); names are stored lower-case and fully qualified
  without the trailing dot; a CNAME cannot share its name with other data.
"""

from __future__ import annotations

import copy
import ipaddress
import math
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar

from tests.fakes.http import FakeApi, Fault, Handler, Incoming, admit

API_PREFIX = "/client/v4"

# Error codes. Real ones where known, otherwise modelled on the real API.
E_AUTH = 10000
E_RATE_LIMIT = 971
E_GENERIC = 10001
E_NO_ROUTE = 7000
E_METHOD = 7001
E_NOT_FOUND = 7003
E_RECORD_NOT_FOUND = 81044
E_BAD_JSON = 6007
E_BAD_BODY = 9207
E_BAD_PARAM = 1004
E_NAME = 9000
E_PROXY = 9004
E_CONTENT_A = 9005
E_CONTENT_AAAA = 9006
E_CONTENT = 9007
E_TYPE = 9020
E_TTL = 9021
E_PRIORITY = 9100
E_DATA = 9101
E_CNAME_EXISTS = 81053
E_HOST_HAS_CNAME = 81054
E_NS_EXCLUSIVE = 81056
E_IDENTICAL = 81058
E_ZONE_EXISTS = 1061
E_ZONE_NAME = 1099
E_PLAN = 1005
E_BATCH_LIMIT = 81059

#: Record types the fake accepts.
RECORD_TYPES = frozenset(
    {
        "A",
        "AAAA",
        "CAA",
        "CNAME",
        "DS",
        "HTTPS",
        "LOC",
        "MX",
        "NAPTR",
        "NS",
        "PTR",
        "SRV",
        "SSHFP",
        "SVCB",
        "TLSA",
        "TXT",
        "URI",
    }
)
PROXIABLE_TYPES = frozenset({"A", "AAAA", "CNAME"})
#: Body fields accepted on record create/update (batch adds ``id``).
RECORD_FIELDS = frozenset(
    {
        "name",
        "type",
        "content",
        "ttl",
        "proxied",
        "priority",
        "data",
        "comment",
        "tags",
        "settings",
    }
)
ZONE_LIST_PARAMS = frozenset(
    {
        "name",
        "status",
        "account.id",
        "account.name",
        "page",
        "per_page",
        "order",
        "direction",
        "match",
    }
)
RECORD_LIST_PARAMS = frozenset(
    {
        "name",
        "type",
        "content",
        "proxied",
        "page",
        "per_page",
        "order",
        "direction",
        "match",
    }
)
PAGERULE_LIST_PARAMS = frozenset({"status", "order", "direction", "match"})
ZONES_PER_PAGE = (5, 50, 20)  # min, max, default
RECORDS_PER_PAGE = (5, 5_000_000, 100)
MIN_TTL, MAX_TTL = 60, 86400

_INT = "int"
_NUM = "num"
_STR = "str"
# Required ``data`` fields per type: name -> (kind, min, max).
_DATA_SPECS: dict[str, dict[str, tuple[str, float | None, float | None]]] = {
    "CAA": {
        "flags": (_INT, 0, 255),
        "tag": (_STR, None, None),
        "value": (_STR, None, None),
    },
    "SRV": {
        "priority": (_INT, 0, 65535),
        "weight": (_INT, 0, 65535),
        "port": (_INT, 0, 65535),
        "target": (_STR, None, None),
    },
    "LOC": {
        "lat_degrees": (_INT, 0, 90),
        "lat_minutes": (_INT, 0, 59),
        "lat_seconds": (_NUM, 0, 59.999),
        "lat_direction": (_STR, None, None),
        "long_degrees": (_INT, 0, 180),
        "long_minutes": (_INT, 0, 59),
        "long_seconds": (_NUM, 0, 59.999),
        "long_direction": (_STR, None, None),
        "altitude": (_NUM, -100000, 42849672.95),
        "size": (_NUM, 0, 90000000),
        "precision_horz": (_NUM, 0, 90000000),
        "precision_vert": (_NUM, 0, 90000000),
    },
    "NAPTR": {
        "order": (_INT, 0, 65535),
        "preference": (_INT, 0, 65535),
        "flags": (_STR, None, None),
        "service": (_STR, None, None),
        "regex": (_STR, None, None),
        "replacement": (_STR, None, None),
    },
    "SSHFP": {
        "algorithm": (_INT, 0, 255),
        "type": (_INT, 0, 255),
        "fingerprint": (_STR, None, None),
    },
    "DS": {
        "key_tag": (_INT, 0, 65535),
        "algorithm": (_INT, 0, 255),
        "digest_type": (_INT, 0, 255),
        "digest": (_STR, None, None),
    },
    "TLSA": {
        "usage": (_INT, 0, 255),
        "selector": (_INT, 0, 255),
        "matching_type": (_INT, 0, 255),
        "certificate": (_STR, None, None),
    },
    "HTTPS": {
        "priority": (_INT, 0, 65535),
        "target": (_STR, None, None),
        "value": (_STR, None, None),
    },
    "SVCB": {
        "priority": (_INT, 0, 65535),
        "target": (_STR, None, None),
        "value": (_STR, None, None),
    },
    "URI": {"weight": (_INT, 0, 65535), "target": (_STR, None, None)},
}
# Legacy SRV data fields: accepted (octodns-cloudflare still sends them with
# inconsistent shapes) but the record name is authoritative, as in the API.
_SRV_LEGACY = frozenset({"service", "proto", "name"})
_CAA_TAGS = frozenset({"issue", "issuewild", "iodef"})
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")

_PLANS = [
    {
        "id": "0feeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
        "name": "Free Website",
        "price": 0,
        "legacy_id": "free",
    },
    {
        "id": "a577b510288e82b26486fa3ef96ae1a1",
        "name": "Pro Website",
        "price": 20,
        "legacy_id": "pro",
    },
    {
        "id": "bf7c2e2d8f0e4f0b9d7b5c3a1e6f4d20",
        "name": "Business Website",
        "price": 200,
        "legacy_id": "business",
    },
    {
        "id": "e4a2b1c0d9f8e7a6b5c4d3e2f1a0b9c8",
        "name": "Enterprise Website",
        "price": 0,
        "legacy_id": "enterprise",
    },
]


def record_fields(rtype: str, value: str) -> dict[str, Any]:
    """The API fields (content, priority or data) of one zone-file value, e.g. '10 mx.x.'."""
    if rtype == "MX":
        priority, host = value.split()
        return {"priority": int(priority), "content": host.rstrip(".")}
    if rtype == "SRV":
        priority, weight, port, target = value.split()
        return {
            "data": {
                "priority": int(priority),
                "weight": int(weight),
                "port": int(port),
                "target": target.rstrip("."),
            }
        }
    if rtype == "CAA":
        flags, tag, text = value.split(" ", 2)
        return {"data": {"flags": int(flags), "tag": tag, "value": text.strip('"')}}
    if rtype == "TXT":
        return {"content": value.strip('"')}
    return {"content": value.rstrip(".")}


class ApiError(Exception):
    """A Cloudflare-style error response; raised inside the fake only."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def envelope(self) -> dict[str, Any]:
        """The JSON body the real API sends for an error."""
        return _envelope(None, errors=[{"code": self.code, "message": self.message}])


def _envelope(
    result: Any,
    *,
    errors: list[dict[str, Any]] | None = None,
    result_info: dict[str, int] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "success": not errors,
        "errors": errors or [],
        "messages": [],
        "result": result,
    }
    if result_info is not None:
        body["result_info"] = result_info
    return body


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id() -> str:
    return uuid.uuid4().hex


def _num_text(value: float) -> str:
    """Render a number the way Cloudflare renders LOC content (52.1, 10)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _to_ascii(name: str) -> str:
    """Punycode each label; the API always answers in punycode."""
    labels = []
    for label in name.split("."):
        try:
            label.encode("ascii")
            labels.append(label)
        except UnicodeEncodeError:
            try:
                labels.append(label.encode("idna").decode("ascii"))
            except UnicodeError as e:
                raise ApiError(400, E_NAME, f"DNS name is invalid: {name}") from e
    return ".".join(labels)


def _valid_hostname(name: str, *, wildcard: bool = False) -> bool:
    if not name or len(name) > 253:
        return False
    labels = name.split(".")
    if wildcard and labels[0] == "*":
        labels = labels[1:]
    return bool(labels) and all(_LABEL.match(label) for label in labels)


def _valid_comment(value: Any) -> bool:
    """A record comment: a string of at most 100 characters, no newline or carriage return."""
    return isinstance(value, str) and len(value) <= 100 and not set(value) & {"\n", "\r"}


_TAG_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def _valid_tag(value: Any) -> bool:
    """A record tag: ``name:value``, the name of letters, digits, ``-``, ``_``."""
    if not isinstance(value, str) or ":" not in value:
        return False
    name, text = value.split(":", 1)
    return bool(_TAG_NAME.match(name)) and not set(text) & {"\n", "\r"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Handler(Handler):
    """Cloudflare answers HEAD and OPTIONS like GET."""

    do_HEAD = do_OPTIONS = Handler.do_GET


Route = tuple["re.Pattern[str]", dict[str, str]]


class FakeCloudflare(FakeApi):
    """In-memory Cloudflare API v4 served over HTTP on 127.0.0.1.

    Seed and inspect state with ``add_zone``/``add_record``/``records``; point
    the client under test at ``url``. Every request is appended to
    ``requests`` as ``{method, path, query, body, status, at}`` where ``path`` is
    relative to ``url``, ``status`` is None for a reset connection and ``at`` is
    the ``time.monotonic()`` it arrived.
    """

    name = "cloudflare"
    prefix = API_PREFIX
    handler = _Handler

    _ROUTES: ClassVar[list[Route]] = [
        (re.compile(r"^/zones$"), {"GET": "list_zones"}),
        (
            re.compile(r"^/zones/(?P<zone_id>[^/]+)/dns_records$"),
            {"GET": "list_records", "POST": "create_record"},
        ),
        (
            re.compile(r"^/zones/(?P<zone_id>[^/]+)/dns_records/batch$"),
            {"POST": "batch_records"},
        ),
        (
            re.compile(r"^/zones/(?P<zone_id>[^/]+)/dns_records/(?P<item_id>[^/]+)$"),
            {"PATCH": "patch_record", "DELETE": "delete_record"},
        ),
    ]

    def __init__(
        self,
        token: str = "test-token",
        *,
        rate_limit: tuple[int, float] | None = None,
        auth_failure_status: int = 403,
        email: str | None = None,
        batch_limit: int = 200,
        default_account_id: str = "acc1",
    ) -> None:
        if auth_failure_status not in (401, 403):
            raise ValueError("auth_failure_status must be 401 or 403")
        super().__init__()
        self.token = token
        self.email = email
        self.rate_limit = rate_limit
        self.auth_failure_status = auth_failure_status
        self.batch_limit = batch_limit
        self.default_account_id = default_account_id
        self._accounts: dict[str, str] = {}
        self._zones: dict[str, dict[str, Any]] = {}
        self._records: dict[str, dict[str, dict[str, Any]]] = {}

    # ----------------------------------------------------- seeding/reading

    def add_zone(
        self,
        name: str,
        account_id: str = "acc1",
        *,
        account_name: str | None = None,
        status: str = "active",
        plan: str = "free",
    ) -> str:
        """Create a zone directly (no HTTP, no log entry); returns its id."""
        with self._lock:
            return self._new_zone(name, account_id, account_name, status, plan)["id"]

    def remove_zone(self, name: str) -> None:
        """Delete a zone and its records directly (no HTTP, no log entry)."""
        with self._lock:
            zone_id = self._zone_by_name(name)["id"]
            del self._zones[zone_id]
            del self._records[zone_id]

    def zone_id(self, name: str) -> str:
        """Id of the zone called ``name`` (trailing dot optional)."""
        return self._zone_by_name(name)["id"]

    def zones(self) -> list[dict[str, Any]]:
        """Deep copies of all zones, in API shape."""
        with self._lock:
            return copy.deepcopy(list(self._zones.values()))

    def add_record(
        self,
        zone_name: str,
        type: str,
        name: str,
        content: str | None = None,
        ttl: int = 300,
        proxied: bool = False,
        data: dict[str, Any] | None = None,
        priority: int | None = None,
        *,
        comment: str | None = None,
        tags: list[str] | None = None,
        validate: bool = True,
    ) -> str:
        """Seed a record; ``name`` may be relative, '@'/'' or FQDN.

        Runs the same validation as the API unless ``validate`` is False
        (for states the API would refuse, e.g. a legacy CNAME+A clash).
        """
        with self._lock:
            zone = self._zone_by_name(zone_name)
            fqdn = self._expand_name(zone["name"], name)
            body: dict[str, Any] = {
                "type": type,
                "name": fqdn,
                "ttl": ttl,
                "proxied": proxied,
            }
            for key, value in (
                ("content", content),
                ("data", data),
                ("priority", priority),
                ("comment", comment),
                ("tags", tags),
            ):
                if value is not None:
                    body[key] = value
            records = self._records[zone["id"]]
            try:
                record = self._build_record(zone, body)
                if validate:
                    self._check_conflicts(records.values(), record)
            except ApiError as e:
                raise ValueError(f"{e.code}: {e.message}") from e
            records[record["id"]] = record
            return record["id"]

    def records(self, zone_name: str) -> list[dict[str, Any]]:
        """Deep copies of the zone's records, in API shape and list order."""
        with self._lock:
            zone = self._zone_by_name(zone_name)
            return copy.deepcopy(list(self._records[zone["id"]].values()))

    # ------------------------------------------------------------- serving

    def _path(self, path: str) -> str:
        return path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else path

    def _answer(
        self, handler: Handler, incoming: Incoming, path: str
    ) -> tuple[int, Any, dict[str, str]]:
        headers: dict[str, str] = {}
        try:
            if not incoming.path.startswith(API_PREFIX + "/"):
                raise ApiError(400, E_NO_ROUTE, "No route for that URI")
            self._authenticate(handler)
            self._rate_check()
            if incoming.bad_json:
                raise ApiError(400, E_BAD_JSON, "Malformed JSON in request body")
            status, payload = self._route(incoming.method, path, incoming.query, incoming.body)
        except ApiError as e:
            status, payload, headers = e.status, e.envelope(), e.headers
        return status, payload, headers

    def _fault_body(self, status: int, fault: Fault) -> Any:
        return _fault_body(status)

    def _authenticate(self, handler: Handler) -> None:
        auth = handler.headers.get("Authorization")
        ok = False
        if auth is not None:
            ok = auth == f"Bearer {self.token}"
        elif self.email is not None:
            ok = handler.headers.get("X-Auth-Email") == self.email and (
                handler.headers.get("X-Auth-Key") == self.token
            )
        if not ok:
            raise ApiError(self.auth_failure_status, E_AUTH, "Authentication error")

    def _rate_check(self) -> None:
        if self.rate_limit is None:
            return
        with self._lock:
            wait = admit(self._window, *self.rate_limit)
        if wait is not None:
            raise ApiError(
                429,
                E_RATE_LIMIT,
                "Rate limited. Please wait and consider throttling your request speed",
                {"Retry-After": str(wait)},
            )

    def _route(
        self,
        method: str,
        path: str,
        raw_query: dict[str, list[str]],
        body: Any,
    ) -> tuple[int, dict[str, Any]]:
        for pattern, methods in self._ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            name = methods.get(method)
            if name is None:
                raise ApiError(400, E_METHOD, f"Method {method} not available for that URI.")
            for key, values in raw_query.items():
                if len(values) > 1:
                    raise ApiError(400, E_BAD_PARAM, f"Query parameter {key} given twice")
            query = {k: v[0] for k, v in raw_query.items()}
            if method in ("POST", "PUT", "PATCH") and not isinstance(body, dict):
                raise ApiError(400, E_BAD_BODY, "Request body is invalid.")
            api: Callable[..., tuple[int, dict[str, Any]]]
            api = getattr(self, f"_api_{name}")
            with self._lock:
                return api(query=query, body=body, **match.groupdict())
        raise ApiError(400, E_NO_ROUTE, "No route for that URI")

    # -------------------------------------------------------- query helpers

    @staticmethod
    def _check_params(query: dict[str, str], allowed: Iterable[str]) -> None:
        unknown = sorted(set(query) - set(allowed))
        if unknown:
            raise ApiError(400, E_BAD_PARAM, f"Unknown query parameter(s): {', '.join(unknown)}")

    @staticmethod
    def _page_params(query: dict[str, str], limits: tuple[int, int, int]) -> tuple[int, int]:
        low, high, default = limits
        try:
            page = int(query.get("page", "1"))
            per_page = int(query.get("per_page", str(default)))
        except ValueError as e:
            raise ApiError(400, E_BAD_PARAM, "page and per_page must be integers") from e
        if page < 1:
            raise ApiError(400, E_BAD_PARAM, "page must be at least 1")
        if not low <= per_page <= high:
            raise ApiError(
                400,
                E_BAD_PARAM,
                f"per_page must be between {low} and {high}, got {per_page}",
            )
        return page, per_page

    @staticmethod
    def _paginate(
        items: list[dict[str, Any]], page: int, per_page: int
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        total = len(items)
        chunk = items[(page - 1) * per_page : page * per_page]
        info = {
            "page": page,
            "per_page": per_page,
            "count": len(chunk),
            "total_count": total,
            "total_pages": math.ceil(total / per_page),
        }
        return copy.deepcopy(chunk), info

    @staticmethod
    def _filter_and_order(
        items: list[dict[str, Any]],
        query: dict[str, str],
        filters: dict[str, Callable[[dict[str, Any], str], bool]],
        orderable: dict[str, Callable[[dict[str, Any]], Any]],
    ) -> list[dict[str, Any]]:
        match = query.get("match", "all")
        if match not in ("all", "any"):
            raise ApiError(400, E_BAD_PARAM, "match must be all or any")
        active = [(f, query[k]) for k, f in filters.items() if k in query]
        if active:
            combine = all if match == "all" else any
            items = [i for i in items if combine(f(i, v) for f, v in active)]
        direction = query.get("direction", "asc")
        if direction not in ("asc", "desc"):
            raise ApiError(400, E_BAD_PARAM, "direction must be asc or desc")
        order = query.get("order")
        if order is not None:
            if order not in orderable:
                raise ApiError(400, E_BAD_PARAM, f"Cannot order by {order}")
            items = sorted(items, key=orderable[order], reverse=direction == "desc")
        elif direction == "desc":
            items = list(reversed(items))
        return items

    # ---------------------------------------------------------------- zones

    def _zone_by_name(self, name: str) -> dict[str, Any]:
        wanted = _to_ascii(name.lower().rstrip("."))
        with self._lock:
            for zone in self._zones.values():
                if zone["name"] == wanted:
                    return zone
        raise KeyError(f"no zone named {name}")

    def _zone(self, zone_id: str) -> dict[str, Any]:
        zone = self._zones.get(zone_id)
        if zone is None:
            raise ApiError(
                404,
                E_NOT_FOUND,
                f"Could not route to /zones/{zone_id}, perhaps your object identifier is invalid?",
            )
        return zone

    def _new_zone(
        self,
        name: Any,
        account_id: str,
        account_name: str | None,
        status: str,
        plan: str,
    ) -> dict[str, Any]:
        if not isinstance(name, str):
            raise ApiError(400, E_ZONE_NAME, "Zone name is required")
        name = _to_ascii(name.lower().rstrip("."))
        if "." not in name or name.startswith("*") or not _valid_hostname(name):
            raise ApiError(400, E_ZONE_NAME, f"Invalid domain name: {name}")
        if any(z["name"] == name for z in self._zones.values()):
            raise ApiError(400, E_ZONE_EXISTS, f"{name} already exists")
        plan_info = next((p for p in _PLANS if p["legacy_id"] == plan), None)
        if plan_info is None:
            raise ApiError(400, E_PLAN, f"Unknown plan {plan}")
        if account_id not in self._accounts:
            self._accounts[account_id] = account_name or f"Account {account_id}"
        now = _now()
        zone = {
            "id": _new_id(),
            "name": name,
            "status": status,
            "paused": False,
            "type": "full",
            "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": None,
            "original_registrar": None,
            "original_dnshost": None,
            "modified_on": now,
            "created_on": now,
            "activated_on": now if status == "active" else None,
            "meta": {
                "step": 2,
                "custom_certificate_quota": 0,
                "page_rule_quota": 3,
                "phishing_detected": False,
            },
            "owner": {"id": None, "type": "user", "email": None},
            "account": {"id": account_id, "name": self._accounts[account_id]},
            "permissions": ["#dns_records:edit", "#dns_records:read", "#zone:read"],
            "plan": _plan_view(plan_info),
        }
        self._zones[zone["id"]] = zone
        self._records[zone["id"]] = {}
        return zone

    def _api_list_zones(self, query: dict[str, str], **_: Any) -> tuple[int, Any]:
        self._check_params(query, ZONE_LIST_PARAMS)
        page, per_page = self._page_params(query, ZONES_PER_PAGE)
        statuses = ("initializing", "pending", "active", "moved")
        if "status" in query and query["status"] not in statuses:
            raise ApiError(400, E_BAD_PARAM, f"Invalid status {query['status']}")
        zones = sorted(self._zones.values(), key=lambda z: z["name"])
        zones = self._filter_and_order(
            zones,
            query,
            {
                "name": lambda z, v: z["name"] == v.lower().rstrip("."),
                "status": lambda z, v: z["status"] == v,
                "account.id": lambda z, v: z["account"]["id"] == v,
                "account.name": lambda z, v: z["account"]["name"] == v,
            },
            {
                "name": lambda z: z["name"],
                "status": lambda z: z["status"],
                "account.id": lambda z: z["account"]["id"],
                "account.name": lambda z: z["account"]["name"],
            },
        )
        result, info = self._paginate(zones, page, per_page)
        return 200, _envelope(result, result_info=info)

    # -------------------------------------------------------------- records

    def _expand_name(self, zone_name: str, name: str) -> str:
        """Seeding convenience: relative names become FQDNs."""
        name = name.rstrip(".")
        if name in ("", "@"):
            return zone_name
        lowered = _to_ascii(name.lower())
        if lowered == zone_name or lowered.endswith("." + zone_name):
            return name
        return f"{name}.{zone_name}"

    def _record(self, zone_id: str, record_id: str) -> dict[str, Any]:
        self._zone(zone_id)
        record = self._records[zone_id].get(record_id)
        if record is None:
            raise ApiError(404, E_RECORD_NOT_FOUND, "Record does not exist.")
        return record

    def _build_record(
        self,
        zone: dict[str, Any],
        body: dict[str, Any],
        current: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Validate a full record body and return the stored API shape."""
        _check_fields(body, RECORD_FIELDS)
        rtype = body.get("type")
        if not isinstance(rtype, str) or rtype not in RECORD_TYPES:
            raise ApiError(400, E_TYPE, f"Invalid DNS record type: {rtype!r}")
        name = self._record_name(zone["name"], body.get("name"))

        ttl = body.get("ttl", 1)
        if not _is_int(ttl) or not (ttl == 1 or MIN_TTL <= ttl <= MAX_TTL):
            raise ApiError(
                400,
                E_TTL,
                f"Invalid TTL {ttl!r}. Must be between {MIN_TTL} and {MAX_TTL} "
                "seconds, or 1 for Automatic.",
            )
        proxied = body.get("proxied", False)
        if not isinstance(proxied, bool):
            raise ApiError(400, E_PROXY, "proxied must be a boolean")
        if proxied and rtype not in PROXIABLE_TYPES:
            raise ApiError(400, E_PROXY, "This record type cannot be proxied.")
        if proxied:
            ttl = 1  # proxied records are always automatic TTL

        comment = body.get("comment")
        if comment is not None and not _valid_comment(comment):
            raise ApiError(
                400,
                E_BAD_BODY,
                "comment must be a string of at most 100 characters without newlines",
            )
        tags = body.get("tags", [])
        if not isinstance(tags, list) or not all(_valid_tag(t) for t in tags):
            raise ApiError(
                400,
                E_BAD_BODY,
                "tags must be a list of name:value strings (the name letters, digits, - and _)",
            )
        settings = body.get("settings", {})
        if not isinstance(settings, dict):
            raise ApiError(400, E_BAD_BODY, "settings must be an object")

        priority = body.get("priority")
        data: dict[str, Any] | None = None
        if rtype in _DATA_SPECS:
            data, content, priority = self._record_data(rtype, name, body, priority)
        else:
            if priority is not None and rtype != "MX":
                raise ApiError(400, E_PRIORITY, f"priority is not valid for {rtype} records")
            content = self._record_content(rtype, body.get("content"))
            if rtype == "MX" and (not _is_int(priority) or not 0 <= priority <= 65535):
                raise ApiError(400, E_PRIORITY, "MX priority must be an integer 0-65535")

        now = _now()
        record: dict[str, Any] = {
            "id": current["id"] if current else _new_id(),
            "zone_id": zone["id"],
            "zone_name": zone["name"],
            "name": name,
            "type": rtype,
            "content": content,
        }
        if priority is not None:
            record["priority"] = priority
        if data is not None:
            record["data"] = data
        record.update(
            {
                "proxiable": rtype in PROXIABLE_TYPES,
                "proxied": proxied,
                "ttl": ttl,
                "settings": copy.deepcopy(settings),
                "meta": {
                    "auto_added": False,
                    "managed_by_apps": False,
                    "managed_by_argo_tunnel": False,
                    "source": "primary",
                },
                "comment": comment,
                "tags": list(tags),
                "created_on": current["created_on"] if current else now,
                "modified_on": now,
            }
        )
        return record

    @staticmethod
    def _record_name(zone_name: str, raw: Any) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise ApiError(400, E_NAME, "DNS record name is required")
        name = raw.strip().lower()
        if name == "@":
            return zone_name
        name = _to_ascii(name[:-1] if name.endswith(".") else name)
        if name != zone_name and not name.endswith("." + zone_name):
            raise ApiError(
                400,
                E_NAME,
                f"DNS record name {raw} is not within zone {zone_name}; "
                "send the fully qualified name",
            )
        if not _valid_hostname(name, wildcard=True):
            raise ApiError(400, E_NAME, f"DNS name is invalid: {raw}")
        return name

    @staticmethod
    def _record_content(rtype: str, content: Any) -> str:
        if not isinstance(content, str) or content == "":
            raise ApiError(400, E_CONTENT, f"Content for {rtype} record is required.")
        if rtype == "A":
            try:
                ipaddress.IPv4Address(content)
            except ValueError as e:
                raise ApiError(
                    400, E_CONTENT_A, "Content for A record must be a valid IPv4 address."
                ) from e
            return content
        if rtype == "AAAA":
            try:
                ipaddress.IPv6Address(content)
            except ValueError as e:
                raise ApiError(
                    400,
                    E_CONTENT_AAAA,
                    "Content for AAAA record must be a valid IPv6 address.",
                ) from e
            return content
        if rtype == "TXT":
            if len(content) > 2048:
                raise ApiError(400, E_CONTENT, "Content for TXT record is too long.")
            return content
        # CNAME, MX, NS, PTR: a hostname; the API drops the trailing dot.
        if rtype == "MX" and content == ".":
            return content
        host = _to_ascii(content[:-1] if content.endswith(".") else content)
        if not _valid_hostname(host):
            raise ApiError(400, E_CONTENT, f"Content for {rtype} record is invalid.")
        return host

    @staticmethod
    def _record_data(
        rtype: str, name: str, body: dict[str, Any], priority: Any
    ) -> tuple[dict[str, Any], str, int | None]:
        raw = body.get("data")
        if not isinstance(raw, dict):
            raise ApiError(400, E_DATA, f"data is required for {rtype} records.")
        raw = dict(raw)
        spec = _DATA_SPECS[rtype]
        if rtype == "SRV" and "priority" not in raw and priority is not None:
            raw["priority"] = priority
        allowed = set(spec) | (_SRV_LEGACY if rtype == "SRV" else set())
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise ApiError(400, E_DATA, f"Unknown data field(s) for {rtype}: {', '.join(unknown)}")
        data: dict[str, Any] = {}
        for field, (kind, low, high) in spec.items():
            if field not in raw:
                raise ApiError(400, E_DATA, f"{field} is a required data field.")
            value = raw[field]
            ok = {_INT: _is_int, _NUM: _is_num, _STR: lambda v: isinstance(v, str)}[kind](value)
            if ok and low is not None and high is not None:
                ok = low <= value <= high
            if not ok:
                raise ApiError(400, E_DATA, f"{field} is invalid for {rtype}: {value!r}")
            data[field] = value

        if rtype in ("MX", "URI") or rtype == "URI":
            pass
        if rtype == "URI":
            if not _is_int(priority) or not 0 <= priority <= 65535:
                raise ApiError(400, E_PRIORITY, "URI priority must be an integer 0-65535")
        elif rtype == "SRV":
            priority = data["priority"]
        elif priority is not None:
            raise ApiError(400, E_PRIORITY, f"priority is not valid for {rtype} records")

        if rtype == "CAA":
            if data["tag"] not in _CAA_TAGS:
                raise ApiError(400, E_DATA, f"CAA tag {data['tag']} is not supported.")
            content = f'{data["flags"]} {data["tag"]} "{data["value"]}"'
        elif rtype == "SRV":
            labels = name.split(".")
            if len(labels) < 3 or not all(x.startswith("_") for x in labels[:2]):
                raise ApiError(400, E_NAME, "SRV record name must be _service._proto.name")
            for field in _SRV_LEGACY & set(raw):
                if not isinstance(raw[field], str):
                    raise ApiError(400, E_DATA, f"{field} must be a string.")
            target = data["target"]
            if target != ".":
                target = _to_ascii(target[:-1] if target.endswith(".") else target)
                if not _valid_hostname(target):
                    raise ApiError(400, E_DATA, f"SRV target {target} is invalid.")
            data = {
                "service": labels[0],
                "proto": labels[1],
                "name": ".".join(labels[2:]),
                "priority": data["priority"],
                "weight": data["weight"],
                "port": data["port"],
                "target": target,
            }
            content = f"{data['weight']} {data['port']} {target}"
        elif rtype == "LOC":
            if data["lat_direction"] not in ("N", "S") or data["long_direction"] not in (
                "E",
                "W",
            ):
                raise ApiError(400, E_DATA, "LOC directions must be N/S and E/W.")
            d = data
            content = (
                f"IN LOC {d['lat_degrees']} {d['lat_minutes']} "
                f"{_num_text(d['lat_seconds'])} {d['lat_direction']} "
                f"{d['long_degrees']} {d['long_minutes']} "
                f"{_num_text(d['long_seconds'])} {d['long_direction']} "
                f"{_num_text(d['altitude'])}m {_num_text(d['size'])}m "
                f"{_num_text(d['precision_horz'])}m {_num_text(d['precision_vert'])}m"
            )
        elif rtype == "NAPTR":
            d = data
            content = (
                f'{d["order"]} {d["preference"]} "{d["flags"]}" "{d["service"]}" '
                f'"{d["regex"]}" {d["replacement"]}'
            )
        elif rtype == "SSHFP":
            content = f"{data['algorithm']} {data['type']} {data['fingerprint']}"
        elif rtype == "DS":
            d = data
            content = f"{d['key_tag']} {d['algorithm']} {d['digest_type']} {d['digest']}"
        elif rtype == "TLSA":
            d = data
            content = f"{d['usage']} {d['selector']} {d['matching_type']} {d['certificate']}"
        elif rtype in ("HTTPS", "SVCB"):
            data["value"] = data["value"].strip()
            content = f"{data['priority']} {data['target']} {data['value']}".strip()
        else:  # URI
            content = f'{data["weight"]} "{data["target"]}"'
        return data, content, priority

    @staticmethod
    def _check_conflicts(existing: Iterable[dict[str, Any]], record: dict[str, Any]) -> None:
        """Enforce CNAME/NS exclusivity and refuse identical duplicates."""
        rtype, name = record["type"], record["name"]
        apex = name == record["zone_name"]
        for other in existing:
            if other["id"] == record["id"] or other["name"] != name:
                continue
            otype = other["type"]
            if rtype == "CNAME":
                raise ApiError(
                    400,
                    E_CNAME_EXISTS,
                    "An A, AAAA, or CNAME record with that host already exists.",
                )
            if otype == "CNAME":
                raise ApiError(
                    400, E_HOST_HAS_CNAME, "A CNAME record with that host already exists."
                )
            if not apex and ({rtype, otype} & {"NS"}) and {rtype, otype} - {"NS", "DS"}:
                raise ApiError(
                    400,
                    E_NS_EXCLUSIVE,
                    "NS records cannot exist on the same name as any other record type.",
                )
            if (
                otype == rtype
                and other["content"] == record["content"]
                and other.get("priority") == record.get("priority")
            ):
                raise ApiError(400, E_IDENTICAL, "An identical record already exists.")

    def _record_input(self, record: dict[str, Any]) -> dict[str, Any]:
        """Turn a stored record back into a request body (for PATCH)."""
        body = {
            k: copy.deepcopy(record[k])
            for k in ("name", "type", "ttl", "proxied", "comment", "tags", "settings")
        }
        if record["type"] in _DATA_SPECS:
            body["data"] = copy.deepcopy(record["data"])
            if record["type"] == "URI":
                body["priority"] = record["priority"]
        else:
            body["content"] = record["content"]
            if "priority" in record:
                body["priority"] = record["priority"]
        return body

    def _patched_body(self, record: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
        base = self._record_input(record)
        if "type" in patch and patch["type"] != record["type"]:
            for key in ("content", "data", "priority"):
                base.pop(key, None)
        base.update(patch)
        return base

    # The write primitives operate on an explicit record dict so that batch
    # can run them against a scratch copy and commit all-or-nothing.

    def _do_create(
        self, zone: dict[str, Any], records: dict[str, dict[str, Any]], body: dict[str, Any]
    ) -> dict[str, Any]:
        record = self._build_record(zone, body)
        self._check_conflicts(records.values(), record)
        records[record["id"]] = record
        return record

    def _do_patch(
        self,
        zone: dict[str, Any],
        records: dict[str, dict[str, Any]],
        record_id: Any,
        body: dict[str, Any],
    ) -> dict[str, Any]:
        current = records.get(record_id) if isinstance(record_id, str) else None
        if current is None:
            raise ApiError(404, E_RECORD_NOT_FOUND, "Record does not exist.")
        record = self._build_record(zone, self._patched_body(current, body), current)
        self._check_conflicts(records.values(), record)
        records[record_id] = record
        return record

    def _do_delete(self, records: dict[str, dict[str, Any]], record_id: Any) -> dict[str, Any]:
        record = records.pop(record_id, None) if isinstance(record_id, str) else None
        if record is None:
            raise ApiError(404, E_RECORD_NOT_FOUND, "Record does not exist.")
        return record

    def _api_list_records(self, query: dict[str, str], zone_id: str, **_: Any) -> tuple[int, Any]:
        self._zone(zone_id)
        self._check_params(query, RECORD_LIST_PARAMS)
        page, per_page = self._page_params(query, RECORDS_PER_PAGE)
        if "type" in query and query["type"] not in RECORD_TYPES:
            raise ApiError(400, E_TYPE, f"Invalid DNS record type: {query['type']}")
        if "proxied" in query and query["proxied"] not in ("true", "false"):
            raise ApiError(400, E_BAD_PARAM, "proxied must be true or false")
        records = self._filter_and_order(
            list(self._records[zone_id].values()),
            query,
            {
                "name": lambda r, v: r["name"] == v.lower(),
                "type": lambda r, v: r["type"] == v,
                "content": lambda r, v: r["content"] == v,
                "proxied": lambda r, v: r["proxied"] == (v == "true"),
            },
            {
                "type": lambda r: r["type"],
                "name": lambda r: r["name"],
                "content": lambda r: r["content"],
                "ttl": lambda r: r["ttl"],
                "proxied": lambda r: r["proxied"],
            },
        )
        result, info = self._paginate(records, page, per_page)
        return 200, _envelope(result, result_info=info)

    def _api_create_record(
        self, query: dict[str, str], body: dict[str, Any], zone_id: str, **_: Any
    ) -> tuple[int, Any]:
        zone = self._zone(zone_id)
        self._check_params(query, ())
        record = self._do_create(zone, self._records[zone_id], body)
        return 200, _envelope(copy.deepcopy(record))

    def _api_patch_record(
        self, query: dict[str, str], body: dict[str, Any], zone_id: str, item_id: str, **_: Any
    ) -> tuple[int, Any]:
        zone = self._zone(zone_id)
        self._check_params(query, ())
        record = self._do_patch(zone, self._records[zone_id], item_id, body)
        return 200, _envelope(copy.deepcopy(record))

    def _api_delete_record(
        self, query: dict[str, str], zone_id: str, item_id: str, **_: Any
    ) -> tuple[int, Any]:
        self._zone(zone_id)
        self._check_params(query, ())
        self._do_delete(self._records[zone_id], item_id)
        return 200, _envelope({"id": item_id})

    def _api_batch_records(
        self, query: dict[str, str], body: dict[str, Any], zone_id: str, **_: Any
    ) -> tuple[int, Any]:
        """Deletes, patches, posts, in that order, all or nothing."""
        zone = self._zone(zone_id)
        self._check_params(query, ())
        kinds = ("deletes", "patches", "posts")
        _check_fields(body, set(kinds))
        ops: dict[str, list[Any]] = {}
        for kind in kinds:
            items = body.get(kind, [])
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ApiError(400, E_BAD_BODY, f"{kind} must be a list of objects")
            ops[kind] = items
        total = sum(len(v) for v in ops.values())
        if total > self.batch_limit:
            raise ApiError(
                400,
                E_BATCH_LIMIT,
                f"Batch of {total} operations exceeds the limit of {self.batch_limit}",
            )
        self._check_batch_ids(ops)
        scratch = copy.deepcopy(self._records[zone_id])
        result: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
        for kind in kinds:
            for index, item in enumerate(ops[kind]):
                try:
                    result[kind].append(self._batch_op(zone, scratch, kind, item))
                except ApiError as e:
                    raise ApiError(400, e.code, f"{kind}[{index}]: {e.message}") from e
        self._records[zone_id] = scratch
        return 200, _envelope(copy.deepcopy(result))

    @staticmethod
    def _check_batch_ids(ops: dict[str, list[Any]]) -> None:
        """Refuse a batch that names one record id twice (see the module docstring)."""
        seen: dict[Any, str] = {}
        for kind in ("deletes", "patches"):
            for index, item in enumerate(ops[kind]):
                record_id = item.get("id")
                if record_id is None or not isinstance(record_id, str):
                    continue  # refused with its own message when the batch runs
                where = f"{kind}[{index}]"
                first = seen.get(record_id)
                if first is None:
                    seen[record_id] = where
                elif first.startswith("deletes"):
                    raise ApiError(
                        400,
                        E_RECORD_NOT_FOUND,
                        f"{where}: Record does not exist ({first} deleted {record_id} in this "
                        "batch).",
                    )
                else:
                    raise ApiError(
                        400, E_BAD_BODY, f"{where}: record {record_id} is already in {first}"
                    )

    def _batch_op(
        self,
        zone: dict[str, Any],
        records: dict[str, dict[str, Any]],
        kind: str,
        item: dict[str, Any],
    ) -> dict[str, Any]:
        if kind == "posts":
            return self._do_create(zone, records, item)
        if "id" not in item:
            raise ApiError(400, E_BAD_BODY, "id is required")
        fields = dict(item)
        record_id = fields.pop("id")
        if kind == "deletes":
            if fields:
                raise ApiError(400, E_BAD_BODY, "deletes take only an id")
            return self._do_delete(records, record_id)
        return self._do_patch(zone, records, record_id, fields)


def _check_fields(body: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(400, E_BAD_BODY, f"Unknown field(s): {', '.join(unknown)}")


def _plan_view(plan: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": plan["id"],
        "name": plan["name"],
        "price": plan["price"],
        "currency": "USD",
        "frequency": "monthly" if plan["price"] else "",
        "is_subscribed": True,
        "can_subscribe": True,
        "legacy_id": plan["legacy_id"],
        "legacy_discount": False,
        "externally_managed": False,
    }


def _fault_body(status: int) -> dict[str, Any]:
    """Envelope for an injected status, shaped like the real one."""
    if status in (401, 403):
        code, message = E_AUTH, "Authentication error"
    elif status == 429:
        code, message = (
            E_RATE_LIMIT,
            ("Rate limited. Please wait and consider throttling your request speed"),
        )
    else:
        try:
            message = HTTPStatus(status).phrase
        except ValueError:
            message = "Error"
        code = E_GENERIC
    return _envelope(None, errors=[{"code": code, "message": message}])
