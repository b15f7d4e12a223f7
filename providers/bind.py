"""BIND (or any RFC 2136 server) through octodns-bind's Rfc2136Provider.

Reads by TSIG-signed AXFR, writes by TSIG-signed dynamic updates. Its errors
arrive as transfer failures with DNS jargon ("The peer didn't like the
signature we sent", NOTAUTH) or, for a secret that is not base64, a bare
``binascii.Error``; here each becomes one line that says what to fix.

The complete view of a zone (every owner with every type, for the RFC 4592
existence and zone-cut decisions of the policy) comes from the same AXFR that
gives octoDNS its records: the transfer is done here once, every (owner, type)
is remembered (HINFO, RP, URI, DNAME, glue below a delegation, names under a
DNAME: all of them), and only the types octodns-bind ``SUPPORTS`` become
octoDNS records, as upstream does. BIND has no disabled records: the
transfer is the zone (glue and occluded names are told apart by the policy
from the NS and DNAME above them). A zone the server does not serve (NOTAUTH)
is remembered as missing and still reported as an error.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import dns.exception
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.xfr
import dns.zone
from octodns.provider.plan import Plan
from octodns.record import Rr
from octodns.zone import Zone
from octodns_bind import (
    AxfrSourceZoneTransferFailed,
    Rfc2136ProviderUpdateFailed,
)
from octodns_bind import (
    Rfc2136Provider as _Rfc2136Provider,
)

from .core.errors import AutodiscoverError, ZoneMissingError
from .core.liveview import LiveViewMixin


class BindError(AutodiscoverError):
    """The server refused, did not answer, or rejected our key."""


class Rfc2136Provider(LiveViewMixin, _Rfc2136Provider):
    """Options as upstream: host, port, key_name, key_secret, key_algorithm, timeout."""

    def __init__(
        self,
        id: str,
        host: str,
        *args: Any,
        port: int | str = 53,
        key_secret: str | None = None,
        timeout: float = 10,
        **kwargs: Any,
    ) -> None:
        if key_secret is not None:
            key_secret = str(key_secret)
            try:
                base64.b64decode(key_secret, validate=True)
            except (binascii.Error, ValueError) as e:
                raise BindError(
                    f"provider {id}: BIND_TSIG_SECRET is not base64; copy the secret line of "
                    "the key that tsig-keygen printed"
                ) from e
        super().__init__(
            id, str(host), *args, port=int(port), key_secret=key_secret, timeout=timeout,
            **kwargs,
        )  # fmt: skip

    @property
    def where(self) -> str:
        return f"BIND at {self.host}:{self.port}"

    def zone_records(self, zone: Zone, target: bool) -> list[Rr]:
        """One AXFR: the complete view remembered, the supported types as octoDNS rrs."""
        try:
            transferred = self._transfer(zone.name)
        except (AxfrSourceZoneTransferFailed, EOFError, OSError) as e:
            # dnspython lets socket errors through as they are
            error = self._explain(zone.name, "zone transfer", e)
            if isinstance(error, ZoneMissingError):
                self.remember_live(zone.name, None)
            raise error from e
        self.remember_live(
            zone.name,
            (
                (name.to_text(), dns.rdatatype.to_text(rdataset.rdtype))
                for name, rdataset in transferred.iterate_rdatasets()
            ),
        )
        rrs = []
        for name, ttl, rdata in transferred.iterate_rdatas():
            rdtype = dns.rdatatype.to_text(rdata.rdtype)
            if rdtype in self.SUPPORTS:
                rrs.append(Rr(name.to_text(), rdtype, ttl, rdata.to_text()))
        return rrs

    def _transfer(self, zone_name: str) -> dns.zone.Zone:
        """The whole zone by (TSIG-signed) AXFR, names absolute."""
        messages = dns.query.xfr(
            self.host,
            zone_name,
            port=self.port,
            timeout=self.timeout,
            lifetime=self.timeout,
            relativize=False,
            **self._auth_params(),
        )
        try:
            return dns.zone.from_xfr(messages, relativize=False)
        except dns.exception.DNSException as e:
            raise AxfrSourceZoneTransferFailed(e) from e

    def _apply(self, plan: Plan) -> Any:
        try:
            return super()._apply(plan)
        except (Rfc2136ProviderUpdateFailed, dns.exception.DNSException, EOFError, OSError) as e:
            raise self._explain(plan.desired.name, "update", e) from e

    def _explain(self, zone: str, what: str, error: Exception) -> AutodiscoverError:
        """One line for a failed transfer or update, from the exception's type or the rcode."""
        cause = _cause(error)
        rcode = _rcode(cause)
        if isinstance(cause, dns.tsig.PeerBadSignature | dns.tsig.PeerBadKey):
            detail = str(cause).split(": ")[-1]
            return BindError(
                f"{self.where} rejected the TSIG key for the {what} of {zone} ({detail}); check "
                "BIND_TSIG_NAME, BIND_TSIG_SECRET and BIND_TSIG_ALGORITHM"
            )
        if rcode in (dns.rcode.NOTAUTH, dns.rcode.NOTZONE):
            return ZoneMissingError(
                f"zone {zone} is not served by {self.where} (NOTAUTH); create it there first "
                "(autodiscover-dns never creates zones)"
            )
        if rcode == dns.rcode.REFUSED:
            setting = "allow-transfer" if what == "zone transfer" else "allow-update"
            return BindError(
                f"{self.where} REFUSED the {what} of {zone}; grant the key with "
                f"{setting} {{ key {self.key_name or 'NAME'}; }}"
            )
        # an update that got no answer may still have been applied by the server
        unsure = "; it may have been applied: run plan again" if what == "update" else ""
        if isinstance(cause, dns.exception.Timeout | TimeoutError):
            return BindError(
                f"no answer from {self.where} for the {what} of {zone} within "
                f"{self.timeout:g}s (timeout){unsure}"
            )
        if isinstance(cause, ConnectionRefusedError):
            return BindError(
                f"{self.where} refused the TCP connection for the {what} of {zone}; check "
                "BIND_HOST and BIND_PORT and that the server is running"
            )
        if isinstance(cause, EOFError | ConnectionError):
            return BindError(
                f"{self.where} closed the connection without an answer to the {what} of "
                f"{zone}; check BIND_HOST and BIND_PORT point at a DNS server{unsure}"
            )
        if isinstance(cause, OSError):
            reason = cause.strerror or type(cause).__name__
            return BindError(f"cannot reach {self.where} for the {what} of {zone} ({reason})")
        return BindError(f"{self.where}: {what} of {zone} failed: {error}")


def _cause(error: BaseException) -> BaseException:
    """The dnspython or socket error behind octodns-bind's transfer wrapper."""
    if isinstance(error, AxfrSourceZoneTransferFailed) and error.__cause__ is not None:
        return error.__cause__
    return error


def _rcode(error: BaseException) -> dns.rcode.Rcode | None:
    """The DNS rcode a transfer or update was answered with, if that is what failed.

    dnspython's transfer error carries it; octodns-bind's update error only
    names it (``Unable to perform update: REFUSED``), as ``dns.rcode.to_text``
    wrote it.
    """
    if isinstance(error, dns.xfr.TransferError):
        return dns.rcode.Rcode.make(error.rcode)
    if isinstance(error, Rfc2136ProviderUpdateFailed):
        try:
            return dns.rcode.from_text(str(error).rsplit(": ", 1)[-1])
        except dns.rcode.UnknownRcode:
            return None
    return None
