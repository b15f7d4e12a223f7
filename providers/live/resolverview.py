"""A caching resolver's view: what it hands out now, and when its stale or negative
answers expire (RFC 2308). Asked only with --resolver, never to confirm."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import dns.message
import dns.rcode
import dns.rdatatype

from ..core.declarations import Policy, srv_text
from .nameservers import MAX_WORKERS
from .observe import srv_value
from .queries import QueryFailed, Server, Settings, ask
from .servers import fqdn, negative_ttl, rrsets
from .verdicts import DomainResult


def resolver_view(resolver: Server, result: DomainResult, settings: Settings) -> dict:
    """What a caching resolver hands out now, and when its stale answers expire."""
    domain = result.domain
    view: dict = {
        "resolver": resolver.address,
        "status": "error",
        "srv": [],
        "conflicts": [],
        "expires_in": None,
        "error": None,
    }
    stale_ttls: list[int | None] = []
    notes = []
    try:
        srv_name = fqdn(f"_autodiscover._tcp.{domain}")
        response = _resolve(resolver, srv_name, dns.rdatatype.SRV, settings)
        srv = rrsets(response, srv_name, [dns.rdatatype.SRV])
        view["srv"] = sorted(srv_text(srv_value(rd)) for rd in srv[0]) if srv else []
        if view["srv"] != result.expected:
            ttl = srv[0].ttl if srv else negative_ttl(response)
            stale_ttls.append(ttl)
            what = f"SRV {', '.join(view['srv'])}" if srv else _negative_word(response)
            notes.append(f"caches {what} for the SRV for {_secs(ttl)} more")
        host = fqdn(f"autodiscover.{domain}")
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            response = _resolve(resolver, host, rdtype, settings)
            for rrset in rrsets(response, host, [rdtype, dns.rdatatype.CNAME]):
                kind = dns.rdatatype.to_text(rrset.rdtype)
                for rd in rrset:
                    entry = {"name": host.to_text(), "type": kind, "value": rd.to_text(),
                             "ttl": rrset.ttl}  # fmt: skip
                    if entry not in view["conflicts"]:
                        view["conflicts"].append(entry)
                        if result.declared.declaration.policy is not Policy.REPORT:
                            stale_ttls.append(rrset.ttl)
                            notes.append(
                                f"caches {kind} {rd.to_text()} for {_secs(rrset.ttl)} more"
                            )
    except QueryFailed as e:
        view["error"] = str(e)
        view["note"] = f"{resolver.address}: {e}"
        return view
    if not stale_ttls:
        view["status"] = "current"
        view["note"] = f"{resolver.address} already hands out the declared SRV record"
        return view
    view["status"] = "stale"
    known = [t for t in stale_ttls if t is not None]
    view["expires_in"] = max(known) if len(known) == len(stale_ttls) else None
    upstream = (
        ""
        if result.status == "confirmed"
        else "; the nameservers themselves are not all updated yet, so it may fetch old data again"
    )
    view["note"] = f"{resolver.address} " + "; ".join(notes) + upstream
    return view


def _resolve(server: Server, qname, rdtype: int, settings: Settings) -> dns.message.Message:
    response = ask(server, qname, rdtype, settings, recursion=True)
    rcode = response.rcode()
    if rcode == dns.rcode.REFUSED:
        raise QueryFailed("REFUSED", f"the resolver refuses to answer {qname}")
    if rcode == dns.rcode.SERVFAIL:
        raise QueryFailed("SERVFAIL", f"the resolver could not resolve {qname}")
    return response


def _negative_word(response: dns.message.Message) -> str:
    return "NXDOMAIN" if response.rcode() == dns.rcode.NXDOMAIN else "NODATA (no SRV)"


def _secs(ttl: int | None) -> str:
    if ttl is None:
        return "an unknown time (no SOA in the answer)"
    if ttl >= 120:
        return f"up to {ttl} s ({ttl / 60:.0f} min)"
    return f"up to {ttl} s"


def add_resolver_views(
    results: list[DomainResult], resolvers: list[Server], settings: Settings
) -> None:
    if not resolvers:
        return
    pairs = [(r, res) for r in results for res in resolvers]
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(pairs))) as pool:
        views = list(pool.map(lambda p: resolver_view(p[1], p[0], settings), pairs))
    for (result, _), view in zip(pairs, views, strict=True):
        result.resolvers.append(view)
