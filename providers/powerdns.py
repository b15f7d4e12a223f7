"""PowerDNS, through octodns-powerdns, configured by one URL and never creating zones.

octodns-powerdns takes host, port and scheme separately, reports a bad API key
as a bare ``Exception``, and on a 404/422 during apply falls back to
``POST zones``: it would create a zone that vanished between plan and apply.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
from octodns_powerdns import PowerDnsProvider as _PowerDnsProvider
from requests import HTTPError

from .errors import AutodiscoverError, ZoneMissingError


class PowerDnsAuthError(AutodiscoverError):
    """The API key was refused."""


class PowerDnsError(AutodiscoverError):
    """The API failed, did not answer in time, or could not be reached."""


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

    @property
    def where(self) -> str:
        return f"PowerDNS at {self.scheme}://{self.host}:{self.port}"

    def _request(self, method, path, data=None):
        """Upstream's request, with every failure but "zone not found" as one clear line.

        Upstream handles 404/422 "Could not find domain" itself (a missing zone);
        any other HTTP error it logs at ERROR level and re-raises, which printed
        a second error line; connection failures and timeouts surfaced as urllib3
        jargon. No retries: one request per zone and step, each within ``timeout``.
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
                ) from None
            if status == 404 or (status == 422 and error.startswith("Could not find domain ")):
                raise  # the zone does not exist: upstream and _post deal with it
            detail = f" ({' '.join(error.split())})" if error else ""
            raise PowerDnsError(
                f"{self.where} answered HTTP {status} to {what}{detail}{left}"
            ) from None
        except requests.Timeout:
            raise PowerDnsError(
                f"no answer from {self.where} within {self.timeout}s to {what} (timeout){left}"
            ) from None
        except requests.ConnectionError as e:
            raise PowerDnsError(
                f"cannot talk to {self.where} for {what} ({_connection_reason(e)}); check "
                f"PDNS_API_URL and that the PowerDNS API is enabled{left}"
            ) from None

    def _post(self, path, data=None):
        if path.rstrip("/") == "zones":
            name = (data or {}).get("name", "?")
            raise ZoneMissingError(
                f"zone {name} does not exist on PowerDNS at {self.host}:{self.port}; create it "
                "there first (autodiscover-dns never creates zones); nothing written"
            )
        return super()._post(path, data=data)


def _connection_reason(error: Exception) -> str:
    text = str(error).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    if "reset" in text or "aborted" in text or "closed" in text or "disconnected" in text:
        return "connection closed without an answer"
    return type(error).__name__
