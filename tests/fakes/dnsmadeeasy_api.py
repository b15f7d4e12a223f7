"""Strict local fake of DNS Made Easy's REST API v2.0 (managed DNS), for tests.

DNS Made Easy has a sandbox but no emulator, so this module serves, on 127.0.0.1
and from memory, the endpoints octodns-dnsmadeeasy and our provider
(providers/dnsmadeeasy.py) use, written from DNS Made Easy's published API v2.0
documentation ("API V2.0 Documentation", the api-docs.dnsmadeeasy.com pages) and
from what users of the API report. Stdlib only: the server of tests/fakes/http.py
(``http.server`` in a daemon thread), like tests/fakes/cloudflare_api.py.

Served routes, relative to ``FakeDnsMadeEasy.url`` (``.../V2.0/dns/managed``)::

    GET     /                            the account's domains (paged)
    GET     /id/{name}                   one domain by name (upstream's ``_apply``;
                                         ours uses the list); 404 when unknown
    GET     /{domainId}/records          the domain's records (paged; filters
                                         ``type``, ``recordName``)
    POST    /{domainId}/records/createMulti   create records (a JSON list)
    PUT     /{domainId}/records/updateMulti   update records by id (a JSON list)
    DELETE  /{domainId}/records?ids=..&ids=.. delete records by id

Not served, because nothing of ours calls them: domain creation and deletion
(``POST /``: we never create zones; tests remove a domain with
``remove_domain``, the store, not HTTP), single-record create/update/delete,
folders, SOA, vanity, templates, secondary DNS. Any other route answers 404
``{"error": ["..."]}``.

Assumptions about the real API (what the documentation says, or the model where it
is silent), all checked here:

- Authentication: every request carries ``x-dnsme-apiKey``, ``x-dnsme-requestDate``
  (an HTTP date, RFC 1123; "GMT" or "+0000") and ``x-dnsme-hmac`` (hex HMAC-SHA1
  of that date string, keyed with the secret key). A missing header, an unknown
  key, a wrong signature or a date further than ``max_skew`` seconds from the
  server's clock answers 403 with the API's error shape ``{"error": ["..."]}``.
- Rate limit: 150 requests per rolling 5 minutes per account (``limit``,
  ``window``: tests scale both down). Every authenticated answer carries
  ``x-dnsme-requestLimit``, ``x-dnsme-requestsRemaining`` and
  ``x-dnsme-requestId``. Past the limit the API answers HTTP 400
  ``{"error": ["Rate limit exceeded"]}`` with ``x-dnsme-requestsRemaining: 0``
  (as users observe it; ``rate_status=429`` models a 429 with ``Retry-After``,
  the seconds until the window frees a request, instead). A refused
  request does not count against the window.
- Lists are ``{"totalRecords", "totalPages", "page", "data"}``; pages are
  numbered from 0 (the first page says ``"page": 0``) and chosen with ``page``;
  ``rows`` sets the page size (default ``page_size``). A page past the end has
  no data. Unknown query parameters are refused (400): stricter than the real
  API, to catch client mistakes.
- Records: ``name`` is relative to the domain (``""`` the apex, ``*`` a
  wildcard), never with a trailing dot or the domain's name appended (refused
  here); names keep the case they were written with and compare without it.
  Host-name values (CNAME, ANAME, MX, NS, PTR, SRV) are absolute with a
  trailing dot or relative to the domain. TXT, SPF and CAA values are stored
  quoted (an unquoted value gets quotes). MX needs ``mxLevel``; SRV needs
  ``priority``, ``weight``, ``port`` and a target that is not ``.``; CAA needs
  ``caaType`` (issue, issuewild, iodef) and ``issuerCritical`` (0 or 128).
  ``gtdLocation`` defaults to ``DEFAULT`` and must be ``DEFAULT`` unless the
  domain has Global Traffic Director enabled. Records come back with ``id``,
  ``source``/``sourceId`` and the monitoring flags; those read-only fields are
  accepted and ignored on update, other unknown fields are refused (400).
- A CNAME cannot share its name with any other record; a record identical to
  an existing one (name, type, value, type fields, location) is refused (400).
- Multi-record requests take at most ``batch_limit`` (200) records and are
  validated as a whole: one bad record refuses the request (400) and nothing
  changes. ``updateMulti`` cannot change a record's name or type; an id that is
  not in the domain answers 404. DELETE with an unknown id answers 404 and
  deletes nothing. ``createMulti`` answers 201 with the created records;
  ``updateMulti`` and DELETE answer 200 with an empty body.
- An unknown domain id answers 404 ``{"error": ["..."]}``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import ipaddress
import itertools
import re
import time
import uuid
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote

from tests.fakes.http import FakeApi, Handler, Incoming, admit, expire

API_PREFIX = "/V2.0/dns/managed"
RECORD_TYPES = frozenset(
    {"A", "AAAA", "ANAME", "CAA", "CNAME", "HTTPRED", "MX", "NS", "PTR", "SPF", "SRV", "TXT"}
)
HOST_TYPES = frozenset({"ANAME", "CNAME", "MX", "NS", "PTR", "SRV"})
QUOTED_TYPES = frozenset({"TXT", "SPF", "CAA"})
#: fields a record may carry on create/update, with their JSON kinds
WRITABLE: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "type": str,
    "value": str,
    "ttl": int,
    "gtdLocation": str,
    "mxLevel": int,
    "priority": int,
    "weight": int,
    "port": int,
    "caaType": str,
    "issuerCritical": int,
    "dynamicDns": bool,
    "password": str,
    "monitor": bool,
    "failover": bool,
    "hardLink": bool,
    "redirectType": str,
    "title": str,
    "keywords": str,
    "description": str,
}
READ_ONLY = frozenset({"id", "source", "sourceId", "failed"})
TYPE_FIELDS = {
    "MX": ("mxLevel",),
    "SRV": ("priority", "weight", "port"),
    "CAA": ("caaType", "issuerCritical"),
    "HTTPRED": ("redirectType", "title", "keywords", "description", "hardLink"),
}
_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")


class ApiError(Exception):
    """An error answer in DNS Made Easy's shape; raised inside the fake only."""

    def __init__(self, status: int, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.messages = list(messages)


class FakeDnsMadeEasy(FakeApi):
    """In-memory DNS Made Easy API v2.0 over HTTP on 127.0.0.1.

    Seed and read with ``add_domain``/``add_record``/``records`` (the store: no
    HTTP, no log entry, the API's own validation); point the client at ``url``.
    Every request is logged in ``requests`` as ``{method, path, query, body,
    status}`` (``path`` relative to ``url``).
    """

    name = "dnsmadeeasy"
    prefix = API_PREFIX

    def __init__(
        self,
        api_key: str = "dme-test-key",
        secret_key: str = "dme-test-secret",
        *,
        limit: int = 150,
        window: float = 300.0,
        page_size: int = 1000,
        batch_limit: int = 200,
        max_skew: float = 120.0,
        rate_status: int = 400,
    ) -> None:
        if rate_status not in (400, 429):
            raise ValueError("rate_status must be 400 or 429")
        super().__init__()
        self.api_key = api_key
        self.secret_key = secret_key
        self.limit = limit
        self.window = window
        self.page_size = page_size
        self.batch_limit = batch_limit
        self.max_skew = max_skew
        self.rate_status = rate_status
        self._ids = itertools.count(1001)
        self._domains: dict[int, dict[str, Any]] = {}
        self._records: dict[int, dict[int, dict[str, Any]]] = {}
        self._use_up_later: int | None = None

    def env(self) -> dict[str, str]:
        """The variables the config reads, pointing at this server."""
        return {
            "DNSMADEEASY_API_KEY": self.api_key,
            "DNSMADEEASY_SECRET_KEY": self.secret_key,
            "DNSMADEEASY_API_URL": self.url,
        }

    # ----------------------------------------------------- seeding/reading

    def add_domain(self, name: str, *, gtd_enabled: bool = False) -> int:
        with self._lock:
            domain_id = next(self._ids)
            now = int(time.time() * 1000)
            self._domains[domain_id] = {
                "id": domain_id,
                "name": name.lower().rstrip("."),
                "folderId": 1,
                "gtdEnabled": gtd_enabled,
                "processMulti": False,
                "activeThirdParties": [],
                "pendingActionId": 0,
                "created": now,
                "updated": now,
            }
            self._records[domain_id] = {}
            return domain_id

    def remove_domain(self, name: str) -> None:
        with self._lock:
            domain_id = self.domain_id(name)
            del self._domains[domain_id]
            del self._records[domain_id]

    def domain_id(self, name: str) -> int:
        name = name.lower().rstrip(".")
        with self._lock:
            for domain_id, domain in self._domains.items():
                if domain["name"] == name:
                    return domain_id
        raise KeyError(name)

    def add_record(
        self, domain: str, name: str, type: str, value: str, ttl: int = 300, **fields: Any
    ) -> int:
        """Seed one record through the API's validation ('@' is the apex); returns its id."""
        name = "" if name == "@" else name
        with self._lock:
            domain_id = self.domain_id(domain)
            body = {"name": name, "type": type, "value": value, "ttl": ttl, **fields}
            try:
                (created,) = self._create(domain_id, [body])
            except ApiError as e:
                raise ValueError(str(e)) from e
            return created["id"]

    def remove_record(self, domain: str, record_id: int) -> None:
        """Delete a record directly (the store: no HTTP, no log entry), as another user would."""
        with self._lock:
            del self._records[self.domain_id(domain)][record_id]

    def records(self, domain: str) -> list[dict[str, Any]]:
        """Deep copies of the domain's records, in API shape and id order."""
        with self._lock:
            records = self._records[self.domain_id(domain)]
            return copy.deepcopy([records[k] for k in sorted(records)])

    def use_up(self, count: int | None = None, *, at_next_request: bool = False) -> None:
        """Spend ``count`` (default all) of the window's requests, as another client would:
        now, or ``at_next_request`` (just before it is counted, whenever it comes)."""
        with self._lock:
            if at_next_request:
                self._use_up_later = count if count is not None else self.limit
                return
            now = time.monotonic()
            expire(self._window, self.window, now)
            free = self.limit - len(self._window)
            self._window.extend([now] * min(free, free if count is None else count))

    def remaining(self) -> int:
        with self._lock:
            expire(self._window, self.window, time.monotonic())
            return self.limit - len(self._window)

    def inject(
        self, status: int, *, method: str | None = None, path: str | None = None, times: int = 1
    ) -> None:
        """The next ``times`` matching requests answer ``status`` (after authentication and
        the rate limit), changing nothing."""
        self._arm(method, path, status, times)

    # ------------------------------------------------------------- serving

    def _serve(self, handler: Handler) -> None:
        incoming = Incoming.read(handler)
        method, path, query = incoming.method, incoming.path, incoming.query
        entry: dict[str, Any] = {
            "method": method,
            "path": path.removeprefix(API_PREFIX),
            "query": query,
            "body": None if incoming.bad_json else incoming.body,
            "status": None,
        }
        headers: dict[str, str] = {}
        payload: Any
        with self._lock:
            self.requests.append(entry)
        try:
            if incoming.bad_json:
                raise ApiError(400, "Malformed JSON in the request body")
            self._authenticate(handler)
            headers, allowed = self._count()
            if not allowed:
                raise ApiError(self.rate_status, "Rate limit exceeded")
            if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
                raise ApiError(404, f"No API resource at {path}")
            status, payload = self._route(method, entry["path"], query, entry["body"])
        except ApiError as e:
            status, payload = e.status, {"error": e.messages}
        with self._lock:
            entry["status"] = status
            if headers:
                headers["x-dnsme-requestsRemaining"] = str(self.remaining())
        handler.send_json(status, payload, headers)

    def _authenticate(self, handler: Handler) -> None:
        key = handler.headers.get("x-dnsme-apiKey")
        date = handler.headers.get("x-dnsme-requestDate")
        signature = handler.headers.get("x-dnsme-hmac")
        if not key or not date or not signature:
            raise ApiError(403, "API key, request date and HMAC headers are required")
        if not hmac.compare_digest(key, self.api_key):
            raise ApiError(403, "Invalid API key")
        try:
            sent = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError) as e:
            raise ApiError(403, "Invalid request date") from e
        if abs(sent - time.time()) > self.max_skew:
            raise ApiError(403, "Request sent with date header too far out of sync")
        wanted = hmac.new(self.secret_key.encode(), date.encode(), hashlib.sha1).hexdigest()
        if not hmac.compare_digest(signature.lower(), wanted):
            raise ApiError(403, "HMAC validation failed")

    def _count(self) -> tuple[dict[str, str], bool]:
        """Count an authenticated request against the window: (headers, allowed)."""
        with self._lock:
            if self._use_up_later is not None:
                count, self._use_up_later = self._use_up_later, None
                self.use_up(count)
            headers = {
                "x-dnsme-requestLimit": str(self.limit),
                "x-dnsme-requestId": str(uuid.uuid4()),
            }
            wait = admit(self._window, self.limit, self.window)
            if wait is not None:
                self.rate_limited += 1
                if self.rate_status == 429:  # modelled: a 429 says when to come back
                    headers["Retry-After"] = str(wait)
                return headers, False
            return headers, True

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        with self._lock:
            fault = self._take_fault(method, path)
            if fault is not None and fault.status is not None:
                raise ApiError(fault.status, f"Injected failure (HTTP {fault.status})")
            if path in ("", "/"):
                self._only(method, "GET")
                return 200, self._page(list(self._domains.values()), query, set())
            match = re.fullmatch(r"/id/([^/]+)", path)
            if match:
                self._only(method, "GET")
                self._params(query, set())
                name = unquote(match[1]).lower().rstrip(".")
                for domain in self._domains.values():
                    if domain["name"] == name:
                        return 200, copy.deepcopy(domain)
                raise ApiError(404, f"Domain {name} not found")
            match = re.fullmatch(r"/(\d+)/records(/createMulti|/updateMulti)?", path)
            if not match:
                raise ApiError(404, f"No API resource at {path}")
            domain_id = int(match[1])
            if domain_id not in self._domains:
                raise ApiError(404, f"Domain {domain_id} not found")
            action = match[2]
            if action is None and method == "GET":
                return 200, self._list_records(domain_id, query)
            if action is None and method == "DELETE":
                return 200, self._delete(domain_id, query)
            if action == "/createMulti":
                self._only(method, "POST")
                self._params(query, set())
                return 201, self._create(domain_id, self._batch(body))
            if action == "/updateMulti":
                self._only(method, "PUT")
                self._params(query, set())
                self._update(domain_id, self._batch(body))
                return 200, None
            raise ApiError(405, f"Method {method} not allowed on {path}")

    @staticmethod
    def _only(method: str, allowed: str) -> None:
        if method != allowed:
            raise ApiError(405, f"Method {method} not allowed here")

    @staticmethod
    def _params(query: dict[str, list[str]], allowed: set[str]) -> None:
        unknown = sorted(set(query) - allowed)
        if unknown:
            raise ApiError(400, f"Unknown query parameter(s): {', '.join(unknown)}")

    def _page(
        self, items: list[dict[str, Any]], query: dict[str, list[str]], extra: set[str]
    ) -> dict[str, Any]:
        self._params(query, {"page", "rows"} | extra)
        for key, values in query.items():
            if len(values) > 1:
                raise ApiError(400, f"Query parameter {key} given twice")
        try:
            page = int(query.get("page", ["0"])[0])
            rows = int(query.get("rows", [str(self.page_size)])[0])
        except ValueError as e:
            raise ApiError(400, "page and rows must be integers") from e
        if page < 0 or rows < 1:
            raise ApiError(400, "page must be 0 or more and rows 1 or more")
        total = len(items)
        return {
            "totalRecords": total,
            "totalPages": max(1, -(-total // rows)),
            "page": page,
            "data": copy.deepcopy(items[page * rows : (page + 1) * rows]),
        }

    def _list_records(self, domain_id: int, query: dict[str, list[str]]) -> dict[str, Any]:
        records = [self._records[domain_id][k] for k in sorted(self._records[domain_id])]
        if "type" in query:
            records = [r for r in records if r["type"] == query["type"][0].upper()]
        if "recordName" in query:
            wanted = query["recordName"][0].lower()
            records = [r for r in records if r["name"].lower() == wanted]
        return self._page(records, query, {"type", "recordName"})

    @staticmethod
    def _batch(body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, list) or not body or not all(isinstance(r, dict) for r in body):
            raise ApiError(400, "The request body must be a non-empty list of records")
        return body

    def _check_size(self, count: int) -> None:
        if count > self.batch_limit:
            raise ApiError(400, f"At most {self.batch_limit} records per request")

    # ------------------------------------------------------------- records

    def _create(self, domain_id: int, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self._check_size(len(bodies))
        records = copy.deepcopy(self._records[domain_id])
        created = []
        for body in bodies:
            if "id" in body:
                raise ApiError(400, "A new record cannot name an id")
            record = self._build(domain_id, body, {})
            record["id"] = next(self._ids)
            self._check_conflicts(records.values(), record)
            records[record["id"]] = record
            created.append(record)
        self._records[domain_id] = records
        return copy.deepcopy(created)

    def _update(self, domain_id: int, bodies: list[dict[str, Any]]) -> None:
        self._check_size(len(bodies))
        records = copy.deepcopy(self._records[domain_id])
        seen: set[int] = set()
        for body in bodies:
            record_id = body.get("id")
            if not isinstance(record_id, int) or isinstance(record_id, bool):
                raise ApiError(400, "Every record to update needs its id")
            if record_id not in records:
                raise ApiError(404, f"Record {record_id} not found")
            if record_id in seen:
                raise ApiError(400, f"Record {record_id} named twice")
            seen.add(record_id)
            old = records.pop(record_id)
            record = self._build(domain_id, body, old)
            if record["name"].lower() != old["name"].lower() or record["type"] != old["type"]:
                raise ApiError(400, "An update cannot change a record's name or type")
            record["id"] = record_id
            self._check_conflicts(records.values(), record)
            records[record_id] = record
        self._records[domain_id] = records

    def _delete(self, domain_id: int, query: dict[str, list[str]]) -> None:
        self._params(query, {"ids"})
        try:
            ids = [int(v) for values in query.get("ids", []) for v in values.split(",")]
        except ValueError as e:
            raise ApiError(400, "ids must be record ids") from e
        if not ids:
            raise ApiError(400, "ids is required")
        self._check_size(len(ids))
        missing = [i for i in ids if i not in self._records[domain_id]]
        if missing:
            raise ApiError(404, f"Record(s) {', '.join(map(str, missing))} not found")
        for record_id in ids:
            del self._records[domain_id][record_id]

    def _build(self, domain_id: int, body: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
        """A record in API shape from a create/update body, validated as the API does."""
        domain = self._domains[domain_id]
        unknown = sorted(set(body) - set(WRITABLE) - READ_ONLY)
        if unknown:
            raise ApiError(400, f"Unrecognized field(s): {', '.join(unknown)}")
        for key, kind in WRITABLE.items():
            value = body.get(key)
            if value is None:
                continue
            bad_int = kind is int and isinstance(value, bool)
            if not isinstance(value, kind) or bad_int:
                raise ApiError(400, f"Field {key} has the wrong type")
        for key in ("name", "type", "value", "ttl"):
            if key not in body:
                raise ApiError(400, f"Field {key} is required")
        rtype = body["type"].upper()
        if rtype not in RECORD_TYPES:
            raise ApiError(400, f"Record type {body['type']} is not supported")
        name = body["name"]
        self._check_name(name, domain["name"])
        if not 0 <= body["ttl"] <= 2147483647:
            raise ApiError(400, "TTL out of range")
        location = body.get("gtdLocation") or "DEFAULT"
        if location != "DEFAULT" and not domain["gtdEnabled"]:
            raise ApiError(400, "Global Traffic Director is not enabled for this domain")
        record: dict[str, Any] = {
            "name": name,
            "type": rtype,
            "value": self._check_value(rtype, body["value"], body),
            "ttl": body["ttl"],
            "gtdLocation": location,
            "source": 1,
            "sourceId": domain_id,
            "dynamicDns": body.get("dynamicDns", old.get("dynamicDns", False)),
            "failover": body.get("failover", old.get("failover", False)),
            "monitor": body.get("monitor", old.get("monitor", False)),
            "failed": False,
        }
        if "password" in body or "password" in old:
            record["password"] = body.get("password", old.get("password"))
        for key in TYPE_FIELDS.get(rtype, ()):
            if key in body:
                record[key] = body[key]
            elif key in old:
                record[key] = old[key]
        return record

    @staticmethod
    def _check_name(name: str, domain: str) -> None:
        if name == "":
            return
        lowered = name.lower()
        if lowered.endswith(".") or lowered == domain or lowered.endswith("." + domain):
            raise ApiError(400, f"Record name {name} must be relative to the domain")
        labels = name.split(".")
        if labels[0] == "*":
            labels = labels[1:]
        if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
            raise ApiError(400, f"Record name {name} is invalid")

    @staticmethod
    def _check_value(rtype: str, value: str, body: dict[str, Any]) -> str:
        def number(key: str, low: int, high: int) -> None:
            got = body.get(key)
            if not isinstance(got, int) or isinstance(got, bool) or not low <= got <= high:
                raise ApiError(400, f"{rtype} records need {key} from {low} to {high}")

        if rtype == "A":
            try:
                ipaddress.IPv4Address(value)
            except ValueError as e:
                raise ApiError(400, f"{value} is not an IPv4 address") from e
        elif rtype == "AAAA":
            try:
                ipaddress.IPv6Address(value)
            except ValueError as e:
                raise ApiError(400, f"{value} is not an IPv6 address") from e
        elif rtype in HOST_TYPES:
            host = value.rstrip(".")
            if value in ("", ".") or not all(_LABEL.match(x) for x in host.split(".")):
                raise ApiError(400, f"Record value {value!r} is not a host name")
            if rtype == "MX":
                number("mxLevel", 0, 65535)
            if rtype == "SRV":
                for key in ("priority", "weight", "port"):
                    number(key, 0, 65535)
        elif rtype in QUOTED_TYPES:
            if rtype == "CAA":
                if body.get("caaType") not in ("issue", "issuewild", "iodef"):
                    raise ApiError(400, "CAA records need caaType issue, issuewild or iodef")
                if body.get("issuerCritical") not in (0, 128):
                    raise ApiError(400, "CAA records need issuerCritical 0 or 128")
            if not value:
                raise ApiError(400, f"{rtype} records need a value")
            if not (len(value) >= 2 and value[0] == value[-1] == '"'):
                value = f'"{value}"'
        elif rtype == "HTTPRED" and not re.match(r"^https?://", value):
            raise ApiError(400, "HTTPRED records need a URL")
        return value

    @staticmethod
    def _check_conflicts(others: Any, record: dict[str, Any]) -> None:
        name = record["name"].lower()
        same_name = [r for r in others if r["name"].lower() == name]
        if record["type"] == "CNAME" and same_name:
            raise ApiError(400, f"A CNAME cannot share the name {record['name']!r} with records")
        if any(r["type"] == "CNAME" for r in same_name):
            raise ApiError(400, f"The name {record['name']!r} already has a CNAME record")
        fields = ("type", "value", "gtdLocation", *TYPE_FIELDS.get(record["type"], ()))
        for other in same_name:
            if all(other.get(f) == record.get(f) for f in fields):
                raise ApiError(
                    400,
                    f"Record with this type ({record['type']}), name ({record['name']}), and "
                    f"value ({record['value']}) already exists.",
                )
