"""Per-domain results: every nameserver's observation judged, and one verdict per
email domain with one sentence saying why."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.declarations import Policy
from ..core.declared import Declared
from .nameservers import ZoneSource
from .observe import Observation, conflict_text, describe_obs, expected_srv, judge

STATUSES = ("confirmed", "pending", "conflict", "error")


@dataclass
class DomainResult:
    declared: Declared
    expected: list[str]
    observations: list[Observation]
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

    def to_json(self) -> dict:
        data = {
            "domain": self.domain,
            "zone": self.zone,
            "status": self.status,
            "expected": self.expected,
            "nameservers": [
                {
                    "name": o.server.name,
                    "address": o.server.address,
                    "status": o.status,
                    "srv": o.srv,
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
    for obs in observations:
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
            f"{every} SRV {', '.join(expected)} and nothing answers for autodiscover.{domain}"
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
        srv_ok = all(o.srv == expected and not o.srv_cname for o in observations)
        result.settled = kept and srv_ok
    else:
        result.status = "pending"
        first = observations[0]
        result.message = (
            f"no nameserver serves the declared SRV yet ({first.server.label} serves "
            f"{describe_obs(first)}); apply the plan (make apply), then allow 15 minutes to "
            "24 hours"
        )
    return result
