"""Per-domain results: every nameserver's observation judged, and one verdict per
email domain with one sentence saying why."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.declarations import Policy
from ..core.declared import Declared
from .nameservers import ZoneSource
from .observe import (
    Observation,
    conflict_text,
    describe_obs,
    expected_srv,
    judge,
    serial_newer,
    ttl_differs,
)

STATUSES = ("confirmed", "pending", "conflict", "error")


@dataclass
class DomainResult:
    declared: Declared
    expected: list[str]
    observations: list[Observation]
    newest_serial: int | None = None
    status: str = "error"
    message: str = ""
    settled: bool = False
    resolvers: list[dict] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return self.declared.declaration.domain.name

    @property
    def zone(self) -> str:
        return self.declared.zone_file.zone

    @property
    def ttl(self) -> int:
        """The declared TTL of the SRV record."""
        return self.declared.declaration.ttl

    def to_json(self) -> dict:
        data = {
            "domain": self.domain,
            "zone": self.zone,
            "status": self.status,
            "expected": self.expected,
            "expected_ttl": self.ttl,
            "newest_serial": self.newest_serial,
            "nameservers": [
                {
                    "name": o.server.name,
                    "address": o.server.address,
                    "status": o.status,
                    "srv": o.srv,
                    "ttl": o.srv_ttl,
                    "serial": o.serial,
                    "conflicts": o.conflicts,
                    "error": o.error,
                }
                for o in self.observations
            ],
            "message": self.message,
        }
        if self.resolvers:
            data["resolvers"] = self.resolvers
        return data


def conclude(
    declared: Declared, source: ZoneSource, observations: list[Observation]
) -> DomainResult:
    """The domain's status from all its nameservers, and one sentence saying why."""
    expected = expected_srv(declared)
    result = DomainResult(declared, expected, observations)
    result.newest_serial = _mark_behind(observations)
    for obs in observations:
        obs.declared_ttl = result.ttl
        obs.status = judge(obs, expected)
    domain = result.domain
    if source.error:
        result.status, result.message, result.settled = "error", source.error, source.settled
        return result
    if not observations:
        result.message = f"no nameserver to ask for {source.zone}"
        return result
    statuses = [o.status for o in observations]
    stale = [o for o in observations if o.status != "confirmed"]
    if "error" in statuses:
        result.status = "error"
        result.message = "; ".join(f"{o.server.label}: {o.error}" for o in observations if o.error)
    elif not stale:
        result.status = "confirmed"
        count = len(observations)
        every = "the nameserver serves" if count == 1 else f"all {count} nameservers serve"
        result.message = (
            f"{every} SRV {', '.join(expected)} with TTL {result.ttl} and nothing answers for "
            f"autodiscover.{domain}"
        )
    elif len(stale) < len(observations):
        result.status = "pending"
        result.message = (
            f"{len(observations) - len(stale)} of {len(observations)} nameserver address(es) "
            "updated; still old: "
            + "; ".join(f"{o.server.label} serves {describe_obs(o)}" for o in stale)
            + ". Nameservers copy changes on their own schedule: wait, or run with --wait"
        )
    elif any(o.conflicts for o in observations):
        result.status = "conflict"
        conflicts = {conflict_text(c) for o in observations for c in o.conflicts}
        policy = declared.declaration.policy
        kept = policy is Policy.REPORT
        wildcard = any(c.get("source") == "wildcard" for o in observations for c in o.conflicts)
        fix = policy.remedy(declared.zone_file.path, f"autodiscover.{domain}", wildcard)
        if not kept:
            fix += ", then confirm again"
        result.message = (
            f"{'; '.join(sorted(conflicts))}: Outlook goes to autodiscover.{domain} (steps 7 and "
            f"9) before the SRV record; {fix}"
        )
        srv_ok = all(
            o.srv == expected and not o.srv_cname and not ttl_differs(o) for o in observations
        )
        result.settled = kept and srv_ok
    elif not any(o.srv == expected and not o.srv_cname for o in observations):
        result.status = "pending"
        first = observations[0]
        result.message = (
            f"no nameserver serves the declared SRV yet ({first.server.label} serves "
            f"{describe_obs(first)}); apply the plan (make apply), then allow 15 minutes to "
            "24 hours"
        )
    else:  # the SRV set is served, but nowhere with the declared TTL
        result.status = "pending"
        result.message = (
            f"no nameserver serves the declared SRV with the declared TTL {result.ttl} yet ("
            + "; ".join(f"{o.server.label} serves {describe_obs(o)}" for o in observations)
            + "); apply the plan (make apply), then allow 15 minutes to 24 hours"
        )
    return result


def _mark_behind(observations: list[Observation]) -> int | None:
    """Mark each observation whose SOA serial is older (RFC 1982) than that of a peer
    naming the same primary (SOA MNAME), naming the peer with the newest serial; returns
    the newest serial, or None when the servers name different primaries. Those (a zone
    served by two DNS providers) number their serials independently: never compared."""
    by_primary: dict[str | None, list[tuple[int, Observation]]] = {}
    for o in observations:
        if o.serial is not None and not o.error:
            by_primary.setdefault(o.primary, []).append((o.serial, o))
    newest_per_primary: list[int] = []
    for peers in by_primary.values():
        newest, top = peers[0]
        for serial, o in peers[1:]:
            if serial_newer(serial, newest):
                newest, top = serial, o
        for serial, o in peers:
            if serial_newer(newest, serial):
                o.newer = (newest, top.server.label)
        newest_per_primary.append(newest)
    return newest_per_primary[0] if len(newest_per_primary) == 1 else None
