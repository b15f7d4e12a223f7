"""Servers and answers: where a ``--nameserver``/``--resolver`` points, and whether an
answer counts as authoritative data of a zone."""

from __future__ import annotations

import socket
from collections.abc import Iterable

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from ..core.declarations import is_ip
from ..core.errors import AutodiscoverError
from .queries import QueryFailed, Server


class ConfirmError(AutodiscoverError):
    """confirm/doctor cannot run as asked (bad zone list, no nameserver to ask)."""


def split_host_port(spec: str) -> tuple[str, int | None]:
    """'host', 'host:port', '[v6]:port' or a bare IPv6 address -> (host, port or None)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{spec!r}: write an IPv6 address with a port as [ADDRESS]:PORT")
        return host, _port(rest[1:], spec) if rest else None
    if spec.count(":") == 1:
        host, port = spec.split(":")
        return host, _port(port, spec)
    return spec, None


def _port(text: str, spec: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{spec!r}: port must be a number from 1 to 65535")
    return int(text)


def servers_from_specs(specs: Iterable[str]) -> list[Server]:
    """--nameserver/--resolver values -> addresses; a host name is resolved once, here."""
    servers: list[Server] = []
    for spec in specs:
        host, port = split_host_port(spec)
        if is_ip(host):
            servers.append(Server(spec, host, port or 53))
            continue
        try:
            infos = socket.getaddrinfo(host, port or 53, type=socket.SOCK_DGRAM)
        except socket.gaierror as e:
            raise ConfirmError(
                f"--nameserver {spec}: cannot resolve {host} ({e.strerror})"
            ) from None
        for address in sorted({info[4][0] for info in infos}):
            servers.append(Server(spec, str(address), port or 53))
    return list(dict.fromkeys(servers))


def fqdn(name: str) -> dns.name.Name:
    """A DNS name, absolute whether or not ``name`` ends with a dot."""
    return dns.name.from_text(name if name.endswith(".") else name + ".")


def rrsets(response: dns.message.Message, owner: dns.name.Name, types: Iterable[int]) -> list:
    """The answer section's RRsets at ``owner`` of the ``types``."""
    wanted = set(types)
    return [r for r in response.answer if r.name == owner and r.rdtype in wanted]


def check_answer(response: dns.message.Message, zone: str) -> None:
    """Refuse answers that are not authoritative data of ``zone``, naming why."""
    rcode = response.rcode()
    if rcode == dns.rcode.REFUSED:
        raise QueryFailed("REFUSED", f"the server refuses to answer for {zone} (does not serve it)")
    if rcode == dns.rcode.SERVFAIL:
        raise QueryFailed(
            "SERVFAIL", f"the server failed to answer for {zone} (zone not loaded or expired)"
        )
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise QueryFailed(dns.rcode.to_text(rcode), f"unexpected answer for {zone}")
    if not response.flags & dns.flags.AA:
        ns = [r for r in response.authority if r.rdtype == dns.rdatatype.NS]
        if ns and not response.answer:
            hosts = ", ".join(sorted(rd.target.to_text() for rd in ns[0]))
            raise QueryFailed(
                "not authoritative",
                f"referral: {ns[0].name.to_text()} is delegated to {hosts}",
            )
        raise QueryFailed(
            "not authoritative",
            f"answered without the AA bit: it does not host {zone} (a resolver or an old server?)",
        )


def negative_ttl(response: dns.message.Message) -> int | None:
    """RFC 2308: how long NXDOMAIN/NODATA is cached, min(SOA TTL, SOA MINIMUM)."""
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            return min(rrset.ttl, rrset[0].minimum)
    return None
