"""PowerDNS, through octodns-powerdns, configured by one URL and never creating zones.

octodns-powerdns takes host, port and scheme separately, reports a bad API key
as a bare ``Exception``, and on a 404/422 during apply falls back to
``POST zones``: it would create a zone that vanished between plan and apply.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from octodns_powerdns import PowerDnsProvider as _PowerDnsProvider
from requests import HTTPError

from .errors import AutodiscoverError, ZoneMissingError


class PowerDnsAuthError(AutodiscoverError):
    """The API key was refused."""


class PowerDnsProvider(_PowerDnsProvider):
    """Options: ``api_url`` (e.g. http://127.0.0.1:8081), ``api_key``; others as upstream."""

    def __init__(self, id: str, api_url: str, api_key, *args, **kwargs) -> None:
        parts = urlsplit(str(api_url))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AutodiscoverError(
                f"provider {id}: PDNS_API_URL {api_url!r} is not an http(s) URL; "
                "use e.g. http://127.0.0.1:8081"
            )
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

    def _request(self, method, path, data=None):
        try:
            return super()._request(method, path, data=data)
        except HTTPError as e:
            if e.response is not None and e.response.status_code in (401, 403):
                raise PowerDnsAuthError(
                    f"PowerDNS at {self.scheme}://{self.host}:{self.port} refused the API key "
                    f"(HTTP {e.response.status_code}); check PDNS_API_KEY"
                ) from None
            raise

    def _post(self, path, data=None):
        if path.rstrip("/") == "zones":
            name = (data or {}).get("name", "?")
            raise ZoneMissingError(
                f"zone {name} does not exist on PowerDNS at {self.host}:{self.port}; create it "
                "there first (autodiscover-dns never creates zones); nothing written"
            )
        return super()._post(path, data=data)
