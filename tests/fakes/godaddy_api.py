"""Strict local fake of GoDaddy's v1 Domains API (DNS records only), for tests.

GoDaddy has no emulator. This module serves, on 127.0.0.1 from memory, the three
endpoints providers/godaddy.py uses, written from GoDaddy's published API
documentation (developer.godaddy.com, "Domains" v1: recordGet,
recordReplaceTypeName, recordDeleteTypeName; models DNSRecord,
DNSRecordCreateTypeName, Error, ErrorField, ErrorLimit) as we know it. Stdlib
only: the server of tests/fakes/http.py (``http.server`` in a daemon thread), plus json.

Routes (relative to ``FakeGoDaddy.url``, e.g. ``http://127.0.0.1:PORT``)::

    GET     /v1/domains/{domain}/records?offset=N&limit=M   every record, paged
    PUT     /v1/domains/{domain}/records/{type}/{name}      replace that set (list body)
    DELETE  /v1/domains/{domain}/records/{type}/{name}      delete that set (204)

Anything else answers 404 ``NOT_FOUND`` (405 for another method on a known
route): the ``records/{type}`` and ``records/{type}/{name}`` reads, ``PATCH``
(add records) and the whole-zone or whole-type ``PUT`` are not served, because
nothing of ours may call them (a whole-type PUT would rewrite sets we do not own).

Requests are checked in this order: the ``Authorization: sso-key KEY:SECRET``
header (401), the per-key rate limit (429), the API access gate (403), then the
route, the domain (404) and the body (422).

Assumptions about the real API (GoDaddy documents the endpoints and models, not
all of these details); where we were unsure the fake is the stricter side:

- **Errors** are ``{"code", "message", "fields": [{"path", "code", "message"}]}``
  (``Error``/``ErrorField``); 429 adds ``retryAfterSec`` (``ErrorLimit``).
- **401**: a missing header ``MISSING_CREDENTIALS``; a malformed one or a wrong
  key or secret ``MALFORMED_CREDENTIALS`` ("Unauthorized : Could not
  authenticate API key/secret"), as users report it.
- **403 ``ACCESS_DENIED``** ("Authenticated user is not allowed access"): since
  2024 the Domains API answers this to accounts with fewer than 10 domains and
  no paid plan, on every endpoint. ``small_account=True`` models such an account.
- **404 ``UNKNOWN_DOMAIN``** ("The given domain is not registered, or does not
  have a zone file") for a domain the account does not hold, on every route; a
  DELETE of a (type, name) without records answers 404 ``NOT_FOUND``. An
  invalid domain name answers 422 ``INVALID_DOMAIN``.
- **429 ``TOO_MANY_REQUESTS``** past 60 requests per minute per key (the
  documented limit; ``rate_limit=(limit, seconds)`` scales it for tests), with a
  ``Retry-After`` header (seconds) unless ``retry_after_header=False``: 429s
  without the header have been reported, the body's ``retryAfterSec`` is always
  there. A refused request does not count against the window.
- **Records** have ``type``, ``name`` (relative to the domain, ``@`` the apex,
  ``*`` a wildcard first label), ``data``, ``ttl``; MX and SRV ``priority``;
  SRV ``service`` (``_autodiscover``), ``protocol`` (``_tcp``), ``port``,
  ``weight``, where ``name`` is the host part (``@`` at the apex) and ``data``
  the target. An SRV's DNS owner is ``service.protocol.name``. Host names in
  ``data`` are fully qualified without the trailing dot, ``@`` the domain itself;
  CAA ``data`` is the presentation text ``0 issue "ca.example.net"``.
- **The ``{name}`` of a PUT/DELETE path is the record's ``name`` field**: for
  SRV the host part, so ``PUT .../records/SRV/@`` replaces every SRV at the
  apex, whatever its service and protocol. (This is the conservative reading:
  a client that is right here is right if GoDaddy keys SRV sets more narrowly.)
- **PUT bodies** are ``DNSRecordCreateTypeName`` lists: per record only the
  fields of its type (``data``, ``ttl``; MX ``priority``; SRV ``service``,
  ``protocol``, ``port``, ``priority``, ``weight``), all of them required
  except ``ttl`` (default 3600); unknown or foreign fields are refused (the
  real API may ignore them: stricter). An empty list is refused (use DELETE).
  Integers: ``port`` 1-65535, ``priority`` and ``weight`` 0-65535; ``service``
  and ``protocol`` start with ``_``. **TTL: at least 600 s** (GoDaddy's
  documented minimum; its panel offers nothing shorter) and at most 604,800 s
  (one week, the largest its panel offers). A, AAAA must be addresses of their
  family; CNAME, MX, NS, SRV data host names (or ``@``).
- A CNAME is alone at its owner (one record, no other type there); duplicate
  records in one body are refused; SOA and the apex NS are GoDaddy's own
  (refused: 422 on PUT, 409 on DELETE, as documented for "not eligible").
- GET pages with ``offset`` (records to skip) and ``limit`` (at most 500 here;
  GoDaddy documents no maximum); without ``limit`` every record comes back.
  Unknown query parameters are refused (400, stricter). Records are listed in
  the order they were stored; a PUT appends the new set at the end.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections import Counter
from typing import Any
from urllib.parse import unquote

from tests.fakes.http import FakeApi, Fault, Handler, Incoming, admit

#: the types GoDaddy's DNSRecord model lists (CAA added later); SOA is listed, never written
RECORD_TYPES = frozenset({"A", "AAAA", "CAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT"})
#: body fields per type, and which are required
FIELDS: dict[str, tuple[str, ...]] = {
    "A": ("data", "ttl"),
    "AAAA": ("data", "ttl"),
    "CAA": ("data", "ttl"),
    "CNAME": ("data", "ttl"),
    "MX": ("data", "priority", "ttl"),
    "NS": ("data", "ttl"),
    "SRV": ("data", "port", "priority", "protocol", "service", "ttl", "weight"),
    "TXT": ("data", "ttl"),
}
OPTIONAL = frozenset({"ttl"})
MIN_TTL, MAX_TTL, DEFAULT_TTL = 600, 604_800, 3600
MAX_LIMIT = 500
HOST_DATA = frozenset({"CNAME", "MX", "NS", "SRV"})
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?$")
_CAA = re.compile(r'^(\d{1,3}) (issue|issuewild|iodef) "[^"]*"$')
_SSO = re.compile(r"^sso-key ([^:\s]+):(\S+)$")


class ApiError(Exception):
    """A GoDaddy-style error answer; raised inside the fake only."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body


def _invalid(fields: list[dict[str, str]]) -> ApiError:
    return ApiError(
        422, "INVALID_BODY", "Request body doesn't fulfill schema, see details in `fields`", fields
    )


def _field(path: str, code: str, message: str) -> dict[str, str]:
    return {"path": path, "code": code, "message": message}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def valid_host(name: str) -> bool:
    """A host name as ``data`` holds it: ``@``, or labels without the trailing dot."""
    if name == "@":
        return True
    name = name.lower()
    if not name or len(name) > 253 or name.endswith("."):
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def valid_record_name(name: str) -> bool:
    """A record ``name``: ``@``, or relative labels, ``*`` allowed as the first label."""
    if name == "@":
        return True
    labels = name.lower().split(".")
    if labels[0] == "*":
        labels = labels[1:]
        if not labels:
            return True
    return all(_LABEL.match(label) for label in labels)


def owner(record: dict[str, Any]) -> str:
    """The DNS owner of a stored record, relative to the domain (``@`` the apex)."""
    name = record["name"]
    if record["type"] == "SRV":
        labels = [record["service"], record["protocol"]] + ([] if name == "@" else [name])
        return ".".join(labels).lower()
    return name.lower()


class FakeGoDaddy(FakeApi):
    """GoDaddy's v1 DNS records endpoints on 127.0.0.1, from memory.

    Seed and inspect with ``add_domain``/``add_record``/``records``/``snapshot``;
    point the client at ``url``. Every request is logged in ``requests`` as
    ``{method, path, query, body, status, at}`` (``path`` decoded, ``status`` None
    for a reset connection, ``at`` the ``time.monotonic()`` it arrived).
    """

    name = "godaddy"

    _ROUTES = (
        (re.compile(r"^/v1/domains/(?P<domain>[^/]+)/records$"), {"GET": "list"}),
        (
            re.compile(r"^/v1/domains/(?P<domain>[^/]+)/records/(?P<type>[^/]+)/(?P<name>[^/]+)$"),
            {"PUT": "replace", "DELETE": "delete"},
        ),
    )

    def __init__(
        self,
        key: str = "test-key",
        secret: str = "test-secret",
        *,
        small_account: bool = False,
        rate_limit: tuple[int, float] = (60, 60.0),
        retry_after_header: bool = True,
    ) -> None:
        super().__init__()
        self.key = key
        self.secret = secret
        self.small_account = small_account
        self.rate_limit = rate_limit
        self.retry_after_header = retry_after_header
        self._domains: dict[str, list[dict[str, Any]]] = {}

    # ------------------------------------------------------- seeding, reading

    def add_domain(self, domain: str) -> None:
        """A domain the account holds, without records (no HTTP, no log entry)."""
        with self._lock:
            self._domains.setdefault(_domain(domain), [])

    def remove_domain(self, domain: str) -> None:
        with self._lock:
            del self._domains[_domain(domain)]

    def add_record(
        self,
        domain: str,
        type: str,
        name: str,
        data: str,
        ttl: int = DEFAULT_TTL,
        *,
        validate: bool = True,
        **fields: Any,
    ) -> None:
        """Store one record in API shape (``fields``: priority, port, weight, service,
        protocol). Checked as a PUT would check it unless ``validate`` is False (for
        states the API itself creates, such as the SOA)."""
        with self._lock:
            records = self._domains[_domain(domain)]
            entry = {"data": data, "ttl": ttl, **fields}
            if not validate:
                records.append({"type": type, "name": name, **entry})
                return
            try:
                (record,) = self._check_body(type, name, [entry])
                self._check_conflicts(records, type, name, [record])
            except ApiError as e:
                raise ValueError(f"{e.code}: {e.message} {e.fields}") from e
            records.append(record)

    def records(self, domain: str) -> list[dict[str, Any]]:
        """Deep copies of the domain's records, in API shape and list order."""
        with self._lock:
            return copy.deepcopy(self._domains[_domain(domain)])

    def snapshot(self, domain: str) -> list[str]:
        """The domain's records as sorted canonical JSON: equal snapshots, same records."""
        return sorted(json.dumps(r, sort_keys=True) for r in self.records(domain))

    def counts(self) -> Counter[tuple[str, str]]:
        """(method, path) -> requests received (answered or not)."""
        with self._lock:
            return Counter((r["method"], r["path"]) for r in self.requests)

    # ------------------------------------------------------------- serving

    def _path(self, path: str) -> str:
        return unquote(path)

    def _answer(
        self, handler: Handler, incoming: Incoming, path: str
    ) -> tuple[int, Any, dict[str, str]]:
        headers: dict[str, str] = {}
        try:
            self._authenticate(handler.headers.get("Authorization"))
            self._rate_check()
            if self.small_account:
                raise ApiError(403, "ACCESS_DENIED", "Authenticated user is not allowed access")
            if incoming.bad_json:
                raise ApiError(400, "INVALID_BODY", "Request body is not valid JSON")
            status, payload = self._route(incoming.method, path, incoming.query, incoming.body)
        except ApiError as e:
            status, payload, headers = e.status, e.body(), e.headers
        return status, payload, headers

    def _fault_body(self, status: int, fault: Fault) -> Any:
        payload: dict[str, Any] = {"code": "INJECTED", "message": f"injected HTTP {status}"}
        if status == 429:
            payload["retryAfterSec"] = fault.retry_after or 0
        return payload

    def _authenticate(self, header: str | None) -> None:
        if not header:
            raise ApiError(
                401, "MISSING_CREDENTIALS", "Unauthorized : Credentials must be specified"
            )
        match = _SSO.match(header.strip())
        if match is None or (match[1], match[2]) != (self.key, self.secret):
            raise ApiError(
                401, "MALFORMED_CREDENTIALS", "Unauthorized : Could not authenticate API key/secret"
            )

    def _rate_check(self) -> None:
        with self._lock:
            wait = admit(self._window, *self.rate_limit)
        if wait is not None:
            headers = {"Retry-After": str(wait)} if self.retry_after_header else {}
            raise ApiError(
                429,
                "TOO_MANY_REQUESTS",
                "Too many requests received within interval",
                headers=headers,
                extra={"retryAfterSec": wait},
            )

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        for pattern, methods in self._ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            action = methods.get(method)
            if action is None:
                raise ApiError(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed on {path}")
            groups = match.groupdict()
            with self._lock:
                records = self._domain_records(groups["domain"])
                if action == "list":
                    return 200, self._list(records, query)
                if query:
                    raise ApiError(400, "INVALID_QUERY", "No query parameters are accepted here")
                _type, name = groups["type"].upper(), groups["name"]
                self._check_path(_type, name, method)
                if action == "replace":
                    return self._replace(records, _type, name, body)
                return self._delete(records, _type, name)
        raise ApiError(404, "NOT_FOUND", f"No route for {method} {path}")

    def _domain_records(self, domain: str) -> list[dict[str, Any]]:
        name = domain.lower()
        labels = name.split(".")
        if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
            raise ApiError(422, "INVALID_DOMAIN", f"`domain` ({domain}) is not a valid Domain name")
        if name not in self._domains:
            raise ApiError(
                404,
                "UNKNOWN_DOMAIN",
                "The given domain is not registered, or does not have a zone file",
            )
        return self._domains[name]

    # ------------------------------------------------------------ endpoints

    @staticmethod
    def _list(records: list[dict[str, Any]], query: dict[str, list[str]]) -> list[dict[str, Any]]:
        unknown = sorted(set(query) - {"offset", "limit"})
        if unknown:
            raise ApiError(
                400, "INVALID_QUERY", f"Unknown query parameter(s): {', '.join(unknown)}"
            )
        values = {}
        for key, (low, high) in (("offset", (0, None)), ("limit", (1, MAX_LIMIT))):
            if key not in query:
                continue
            if len(query[key]) != 1 or not re.fullmatch(r"\d+", query[key][0]):
                raise ApiError(422, "INVALID_QUERY", f"`{key}` must be an integer")
            value = int(query[key][0])
            if value < low or (high is not None and value > high):
                raise ApiError(
                    422, "INVALID_QUERY", f"`{key}` must be between {low} and {high or 'any'}"
                )
            values[key] = value
        offset = values.get("offset", 0)
        end = offset + values["limit"] if "limit" in values else None
        return copy.deepcopy(records[offset:end])

    @staticmethod
    def _check_path(_type: str, name: str, method: str) -> None:
        if _type not in RECORD_TYPES:
            raise ApiError(422, "INVALID_TYPE", f"`type` {_type} is not a DNS record type")
        if not valid_record_name(name):
            raise ApiError(422, "INVALID_NAME", f"`name` {name} is not a valid record name")
        if _type == "SOA" or (_type == "NS" and name == "@"):
            if method == "DELETE":
                raise ApiError(
                    409,
                    "NOT_ELIGIBLE",
                    "The given domain is not eligible to have its records deleted",
                )
            raise ApiError(
                422,
                "INVALID_TYPE",
                f"{_type} {name} is managed by GoDaddy (the domain's nameserver settings)",
            )

    def _replace(
        self, records: list[dict[str, Any]], _type: str, name: str, body: Any
    ) -> tuple[int, Any]:
        new = self._check_body(_type, name, body)
        others = [r for r in records if not _in_set(r, _type, name)]
        self._check_conflicts(others, _type, name, new)
        records[:] = others + new
        return 200, None

    @staticmethod
    def _delete(records: list[dict[str, Any]], _type: str, name: str) -> tuple[int, Any]:
        others = [r for r in records if not _in_set(r, _type, name)]
        if len(others) == len(records):
            raise ApiError(404, "NOT_FOUND", f"No {_type} records named {name}")
        records[:] = others
        return 204, None

    # ---------------------------------------------------------- validation

    @staticmethod
    def _check_body(_type: str, name: str, body: Any) -> list[dict[str, Any]]:
        """The records a PUT body makes, or 422 with every problem in ``fields``."""
        if not isinstance(body, list):
            raise _invalid([_field("records", "UNEXPECTED_TYPE", "must be an array")])
        if not body:
            raise _invalid([_field("records", "TOO_FEW", "must hold at least one record")])
        problems: list[dict[str, str]] = []
        made: list[dict[str, Any]] = []
        allowed = FIELDS[_type]
        for i, item in enumerate(body):
            where = f"records[{i}]"
            if not isinstance(item, dict):
                problems.append(_field(where, "UNEXPECTED_TYPE", "must be an object"))
                continue
            for key in sorted(set(item) - set(allowed)):
                problems.append(
                    _field(f"{where}.{key}", "UNEXPECTED_FIELD", f"not a field of {_type} records")
                )
            for key in allowed:
                if key not in item and key not in OPTIONAL:
                    problems.append(_field(f"{where}.{key}", "MISSING", "is required"))
            problems += _value_problems(_type, where, item)
            made.append(
                {
                    "type": _type,
                    "name": name,
                    **{k: item[k] for k in allowed if k in item},
                    "ttl": item.get("ttl", DEFAULT_TTL),
                }
            )
        keys = [json.dumps(_record_key(r), sort_keys=True) for r in made]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                problems.append(_field(f"records[{i}]", "DUPLICATE_RECORD", "is a duplicate"))
        if problems:
            raise _invalid(problems)
        return made

    @staticmethod
    def _check_conflicts(
        others: list[dict[str, Any]], _type: str, name: str, new: list[dict[str, Any]]
    ) -> None:
        """A CNAME is alone at its owner (RFC 1034): one record, no other type there."""
        for record in new:
            at = owner(record)
            here = [r for r in others if owner(r) == at]
            if _type == "CNAME" and (len(new) > 1 or here):
                raise _invalid(
                    [_field("records", "CONFLICT", f"a CNAME at {at} must be its only record")]
                )
            if _type != "CNAME" and any(r["type"] == "CNAME" for r in here):
                raise _invalid(
                    [_field("records", "CONFLICT", f"{at} holds a CNAME: no other record there")]
                )


def _domain(domain: str) -> str:
    return domain.lower().rstrip(".")


def _in_set(record: dict[str, Any], _type: str, name: str) -> bool:
    return record["type"] == _type and record["name"].lower() == name.lower()


def _record_key(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "ttl"}


def _value_problems(_type: str, where: str, item: dict[str, Any]) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []

    def bad(key: str, code: str, message: str) -> None:
        problems.append(_field(f"{where}.{key}", code, message))

    if "ttl" in item:
        ttl = item["ttl"]
        if not _is_int(ttl):
            bad("ttl", "UNEXPECTED_TYPE", "must be an integer")
        elif not MIN_TTL <= ttl <= MAX_TTL:
            bad("ttl", "OUT_OF_RANGE", f"TTL {ttl} is not between {MIN_TTL} and {MAX_TTL}")
    for key, low, high in (("port", 1, 65535), ("priority", 0, 65535), ("weight", 0, 65535)):
        if key in item and key in FIELDS[_type]:
            value = item[key]
            if not _is_int(value):
                bad(key, "UNEXPECTED_TYPE", "must be an integer")
            elif not low <= value <= high:
                bad(key, "OUT_OF_RANGE", f"{value} is not between {low} and {high}")
    for key in ("service", "protocol"):
        if key in item and key in FIELDS[_type]:
            value = item[key]
            if not isinstance(value, str) or not re.fullmatch(r"_[a-z0-9-]{1,62}", value.lower()):
                bad(key, "INVALID_VALUE", "must be a label starting with _")
    if "data" not in item:
        return problems
    data = item["data"]
    if not isinstance(data, str) or not data:
        bad("data", "UNEXPECTED_TYPE", "must be a non-empty string")
        return problems
    if _type in ("A", "AAAA"):
        family = ipaddress.IPv4Address if _type == "A" else ipaddress.IPv6Address
        try:
            family(data)
        except ValueError:
            bad(
                "data",
                "INVALID_VALUE",
                f"{data} is not an {'IPv4' if _type == 'A' else 'IPv6'} address",
            )
    elif _type in HOST_DATA and not valid_host(data):
        bad("data", "INVALID_VALUE", f"{data} is not a host name (no trailing dot)")
    elif _type == "CAA":
        match = _CAA.match(data)
        if match is None or int(match[1]) > 255:
            bad("data", "INVALID_VALUE", 'must be: flags tag "value"')
    return problems
