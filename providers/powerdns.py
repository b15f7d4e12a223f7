"""PowerDNS, through octodns-powerdns, configured by one URL and never creating zones.

octodns-powerdns takes host, port and scheme separately, reports a bad API key
as a bare ``Exception``, and on a 404/422 during apply falls back to
``POST zones``: it would create a zone that vanished between plan and apply.

What PowerDNS serves is read from the one response populate already gets
(``GET /api/v1/servers/localhost/zones/<zone>``), before octoDNS sees it:

- Disabled records are not served, so they are removed from that response:
  octoDNS's records and the complete view (every owner with every type,
  HINFO, RP, URI, DNAME and glue included, for the policy's RFC 4592 and
  zone-cut decisions) hold enabled records only, and an RRset whose records
  are all disabled does not exist. A disabled SRV equal to the declared one
  therefore plans a Create; upstream sends it as a ``REPLACE`` of the whole
  RRset with ``disabled: false``, which leaves the SRV enabled and served.
- PowerDNS changes whole RRsets (``REPLACE``/``DELETE`` of a name and type),
  so a change at an owned (name, type) whose RRset mixes enabled and disabled
  records replaces or deletes it whole: its disabled records go too (a
  warning at plan names them). Disabled records anywhere else are invisible
  to octoDNS and never part of a change, so they are never touched.
- A LUA record is served, as the type its script answers (``A "..."``
  serves A), only when the server runs with ``enable-lua-records``; otherwise
  PowerDNS answers as if it were not there. The view follows the server's
  setting, read once (``GET /config``) and only for a zone holding LUA
  records; octoDNS's records keep them as upstream models them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
from octodns.record import Change
from octodns.zone import Zone
from octodns_powerdns import PowerDnsProvider as _PowerDnsProvider
from requests import HTTPError

from .core.errors import AutodiscoverError, ZoneMissingError, connection_failure
from .core.liveview import LiveViewMixin, relative_name
from .core.unreachable import cannot_reach

#: the variable config/octodns.yaml reads the API's base URL from
API_URL_VARIABLE = "PDNS_API_URL"


class PowerDnsAuthError(AutodiscoverError):
    """The API key was refused."""


class PowerDnsError(AutodiscoverError):
    """The API failed, did not answer in time, or could not be reached."""


class PowerDnsProvider(LiveViewMixin, _PowerDnsProvider):
    """Options: ``api_url`` (e.g. http://127.0.0.1:8081), ``api_key``; others as upstream."""

    def __init__(
        self, id: str, api_url: str, api_key: str | int, *args: Any, **kwargs: Any
    ) -> None:
        parts = urlsplit(str(api_url))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AutodiscoverError(
                f"provider {id}: PDNS_API_URL {api_url!r} is not an http(s) URL; "
                "use e.g. http://127.0.0.1:8081"
            )
        #: the base URL as configured, for errors that name it
        self.api_url = str(api_url).strip().rstrip("/")
        kwargs.setdefault("enable_dynamic", False)  # else it probes GET /config and warns
        kwargs.setdefault("timeout", 10)
        super().__init__(
            id,
            parts.hostname,
            str(api_key),  # env secrets that look numeric arrive as int
            *args,
            port=parts.port or (443 if parts.scheme == "https" else 80),
            scheme=parts.scheme,
            **kwargs,
        )
        #: the zone populate is reading in this thread, and what its GET returned
        self._reading = threading.local()
        self._disabled_lock = threading.Lock()
        #: zone -> (relative name, PowerDNS type) -> contents of its disabled records
        self._disabled: dict[str, dict[tuple[str, str], list[str]]] = {}
        self._lua_served: bool | None = None

    @property
    def where(self) -> str:
        return f"PowerDNS at {self.scheme}://{self.host}:{self.port}"

    def populate(self, zone: Zone, target: bool = False, lenient: bool = False) -> bool:
        """Upstream's populate over the enabled records only; the view remembered."""
        self._reading.zone, self._reading.served = zone.name, None
        try:
            exists = super().populate(zone, target=target, lenient=lenient)
            served = self._reading.served
        finally:
            self._reading.zone = self._reading.served = None
        if not exists or served is None:
            self.remember_live(zone.name, None)
        else:
            lua = any(r.get("type") == "LUA" for r in served) and self.lua_served
            self.remember_live(zone.name, _served_pairs(served, lua))
        return exists

    @property
    def lua_served(self) -> bool:
        """Does the server answer from LUA records (``enable-lua-records``)? Asked once."""
        if self._lua_served is None:
            settings = {item.get("name"): item.get("value") for item in self._get("config").json()}
            self._lua_served = settings.get("enable-lua-records") in ("yes", "shared")
        return self._lua_served

    def _get(self, path: str, data: Any = None) -> requests.Response | _Served:
        response = super()._get(path, data=data)
        zone = getattr(self._reading, "zone", None)
        if zone is None or not _is_zone_path(path):
            return response
        body = response.json()
        served, disabled = _split_disabled(body.get("rrsets") or [], zone)
        self._reading.served = served
        with self._disabled_lock:
            self._disabled[zone] = disabled
        return _Served(response, {**body, "rrsets": served})

    def disabled_records(self, zone_name: str) -> dict[tuple[str, str], list[str]]:
        """The disabled records the last populate of ``zone_name`` left out.

        (relative name, PowerDNS type) -> their contents; {} when none (or not read).
        """
        with self._disabled_lock:
            return dict(self._disabled.get(zone_name, {}))

    def change_notes(self, zone_name: str, changes: Iterable[Change]) -> list[str]:
        """Which disabled records a change at an owned RRset removes with it (for the plan)."""
        disabled = self.disabled_records(zone_name)
        notes = []
        for change in changes:
            record = change.record
            _, pdns_type = self._records_for(record)
            contents = disabled.get((record.name, pdns_type))
            if contents:
                verb = "deletes" if type(change).__name__ == "Delete" else "replaces"
                notes.append(
                    f"zone {zone_name}: the {type(change).__name__.lower()} of "
                    f"{record.name or '@'} {pdns_type} {verb} the whole RRset: its "
                    f"{len(contents)} disabled record(s) ({', '.join(contents)}) go with it"
                )
        return notes

    def _request(self, method: str, path: str, data: Any = None) -> requests.Response:
        """Upstream's request, with every failure but "zone not found" as one clear line.

        Upstream handles 404/422 "Could not find domain" itself (a missing zone);
        any other HTTP error it logs at ERROR level and re-raises, which printed
        a second error line; connection failures and timeouts surfaced as urllib3
        jargon. No retries: one request per zone and step, each within ``timeout``.
        A refused connection or an unknown host names the URL and ``PDNS_API_URL``.
        """
        what = f"{method} {path}"
        left = "; run plan again to see what is left" if method != "GET" else ""
        try:
            return super()._request(method, path, data=data)
        except HTTPError as e:
            status = e.response.status_code if e.response is not None else None
            error = self._get_error(e)
            if status in (401, 403):
                raise PowerDnsAuthError(
                    f"{self.where} refused the API key (HTTP {status}); check PDNS_API_KEY"
                ) from e
            if status == 404 or (status == 422 and error.startswith("Could not find domain ")):
                raise  # the zone does not exist: upstream and _post deal with it
            detail = f" ({' '.join(error.split())})" if error else ""
            raise PowerDnsError(
                f"{self.where} answered HTTP {status} to {what}{detail}{left}"
            ) from e
        except requests.Timeout as e:
            raise PowerDnsError(
                f"no answer from {self.where} within {self.timeout}s to {what} (timeout){left}"
            ) from e
        except requests.ConnectionError as e:
            stop = cannot_reach(e, self.id, self.api_url, [API_URL_VARIABLE])
            if stop is not None:  # nothing was sent: the URL is wrong or the server down
                raise stop from e
            raise PowerDnsError(
                f"cannot talk to {self.where} for {what} ({_connection_reason(e)}); check "
                f"PDNS_API_URL and that the PowerDNS API is enabled{left}"
            ) from e

    def _post(self, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        if path.rstrip("/") == "zones":
            name = (data or {}).get("name", "?")
            raise ZoneMissingError(
                f"zone {name} does not exist on PowerDNS at {self.host}:{self.port}; create it "
                "there first (autodiscover-dns never creates zones); nothing written"
            )
        return super()._post(path, data=data)


class _Served:
    """The zone response as populate reads it: ``json()`` holds served RRsets only."""

    def __init__(self, response: requests.Response, body: dict[str, Any]) -> None:
        self._response = response
        self._body = body

    def json(self, **_kwargs: Any) -> Any:
        return self._body

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)


def _is_zone_path(path: str) -> bool:
    """``zones/<zone>`` (the one read of a whole zone), not ``zones`` or a sub-resource."""
    parts = str(path).strip("/").split("/")
    return len(parts) == 2 and parts[0] == "zones" and bool(parts[1])


def _split_disabled(
    rrsets: list[dict[str, Any]], zone: str
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], list[str]]]:
    """RRsets with their enabled records only (none left: dropped), and the disabled ones."""
    served = []
    disabled: dict[tuple[str, str], list[str]] = {}
    for rrset in rrsets:
        records = rrset.get("records") or []
        enabled = [r for r in records if not r.get("disabled")]
        off = [str(r.get("content", "")) for r in records if r.get("disabled")]
        if off:
            owner = str(rrset.get("name", ""))
            name = relative_name(owner, zone)
            disabled[(name if name is not None else owner, str(rrset.get("type")))] = off
        if enabled:
            served.append({**rrset, "records": enabled})
    return served, disabled


def _served_pairs(rrsets: Iterable[dict[str, Any]], lua: bool) -> Iterable[tuple[str, str]]:
    """(owner, type) of every served RRset; a LUA record as the type its script answers."""
    for rrset in rrsets:
        rdtype = str(rrset["type"]).upper()
        if rdtype != "LUA":
            yield rrset["name"], rdtype
            continue
        for record in rrset["records"] if lua else ():
            answered = str(record.get("content", "")).split(" ", 1)[0].upper()
            yield rrset["name"], answered if answered.isalnum() else rdtype


def _connection_reason(error: Exception) -> str:
    failure = connection_failure(error)
    if failure == "refused":
        return "connection refused"
    if failure == "unknown host":
        return "unknown host"
    if failure in ("reset", "closed"):
        return "connection closed without an answer"
    return type(error).__name__
