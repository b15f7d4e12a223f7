"""Running the checks: every nameserver of every zone asked at once, and confirm's
--wait rounds until the domains are confirmed or the time is over."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from ..core.declared import Declared
from ..progress import Progress
from .nameservers import LiveDns
from .observe import DeadServers, Observation, describe_obs, observe_zone
from .queries import QueryPipeline, Server, Settings, on_two_cores
from .servers import ConfirmError
from .verdicts import STATUSES, DomainResult, conclude

DEFAULT_INTERVAL = 5.0
MAX_INTERVAL = 60.0
BACKOFF = 1.5


def select(declared: list[Declared], names: list[str], config: object) -> list[Declared]:
    """Only the given zones or email domains; unknown names are an error."""
    if not names:
        return declared
    chosen: list[Declared] = []
    for raw in names:
        name = raw.lower().rstrip(".")
        hits = [
            d
            for d in declared
            if d.zone_file.zone.rstrip(".") == name or d.declaration.domain.name == name
        ]
        if not hits:
            raise ConfirmError(
                f"{raw} is not declared for {config} (no zones/<provider>/{name}.yaml and no such "
                "email domain); add it with plan.py add"
            )
        chosen += [d for d in hits if d not in chosen]
    return chosen


def check(
    targets: list[Declared], live: LiveDns, settings: Settings, deep: bool = False
) -> list[DomainResult]:
    """Ask every server of every zone about its domains, many questions in flight at once."""
    by_zone: dict[str, list[Declared]] = {}
    for d in targets:
        by_zone.setdefault(d.zone_file.zone, []).append(d)
    jobs = []
    for zone, domains in by_zone.items():
        for server in live.sources[zone].servers:
            jobs.append((zone, domains, server))
    observed: dict[tuple[str, Server], Observation] = {}

    def observe(part: Sequence[tuple[str, list[Declared], Server]]) -> list:
        dead = DeadServers()
        tasks = (observe_zone(zone, domains, server, deep, dead) for zone, domains, server in part)
        return QueryPipeline(settings).run(tasks)

    for (_zone, _domains, server), found in zip(jobs, on_two_cores(observe, jobs), strict=True):
        for domain, obs in found.items():
            observed[(domain, server)] = obs
    results = []
    for d in targets:
        source = live.sources[d.zone_file.zone]
        observations = [observed[(d.declaration.domain.name, s)] for s in source.servers]
        for server, error in source.broken:
            observations.append(Observation(server, error=error))
        results.append(conclude(d, source, observations))
    return results


def confirm(
    targets: list[Declared], live: LiveDns, settings: Settings, wait: float, interval: float,
    progress: Progress, started: float | None = None,
) -> list[DomainResult]:  # fmt: skip
    """Open ``live`` and check; with ``wait`` seconds (counted from ``started``) poll with
    backoff (from ``interval``) until every domain is confirmed or settled, rounds shown
    through ``progress``."""
    started = time.monotonic() if started is None else started
    with live:
        results = check(targets, live, settings)
        deadline = started + wait
        delay = interval
        rounds = 1
        while wait and not _done(results):
            left = deadline - time.monotonic()
            if left <= 0:
                progress.say(f"confirm: --wait {wait:g} s is over; reporting what is live now")
                break
            sleep = min(delay, left)
            progress.say(_progress_line(results, rounds, sleep, left))
            time.sleep(sleep)
            delay = min(delay * BACKOFF, MAX_INTERVAL)
            rounds += 1
            live.refresh()
            open_ = [r for r in results if r.status != "confirmed" and not r.settled]
            again = {r.domain: r for r in check([r.declared for r in open_], live, settings)}
            results = [again.get(r.domain, r) for r in results]
        if wait:
            progress.say(_progress_line(results, rounds, None, None))
    return results


def _done(results: list[DomainResult]) -> bool:
    return all(r.status == "confirmed" or r.settled for r in results)


def _progress_line(results: list[DomainResult], rounds: int, sleep, left) -> str:
    confirmed = sum(r.status == "confirmed" for r in results)
    waiting = [f"{r.domain} ({r.status})" for r in results if r.status != "confirmed"]
    shown = ", ".join(waiting[:5]) + (f" and {len(waiting) - 5} more" if len(waiting) > 5 else "")
    head = f"confirm: round {rounds}: {confirmed} of {len(results)} confirmed"
    if sleep is None:
        return head + (f"; not confirmed: {shown}" if waiting else "")
    return f"{head}; waiting for {shown}; next check in {sleep:.0f} s ({left:.0f} s left)"


def summary(results: list[DomainResult], seconds: float) -> dict:
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    return {"domains": len(results), **counts, "seconds": round(seconds, 2)}


def render_text(results: list[DomainResult], totals: dict) -> str:
    lines = []
    for r in results:
        platform = r.declared.declaration.platform_name
        lines.append(f"{r.domain} ({r.zone}, {platform}): {r.status.upper()}")
        expected = f"  expected  _autodiscover._tcp.{r.domain}. {r.ttl} SRV {', '.join(r.expected)}"
        if r.newest_serial is not None and any(o.newer for o in r.observations):
            expected += f"; newest SOA serial {r.newest_serial}"
        lines.append(expected)
        for o in r.observations:
            lines.append(f"  {o.status:<9} {o.server.label}: {describe_obs(o)}")
        lines.append(f"  -> {r.message}")
        for view in r.resolvers:
            expiry = f" (expires within {view['expires_in']} s)" if view["expires_in"] else ""
            lines.append(f"  resolver  {view['status']}{expiry}: {view.get('note', '')}")
    lines.append(
        f"summary: {totals['confirmed']} confirmed, {totals['pending']} pending, "
        f"{totals['conflict']} conflict, {totals['error']} error of {totals['domains']} "
        f"domain(s) in {totals['seconds']:.1f} s"
    )
    if totals["pending"]:
        lines.append(
            "DNS changes take 15 minutes to 24 hours to reach every nameserver and cache: run "
            "confirm again later, or with --wait SECONDS"
        )
    return "\n".join(lines) + "\n"


def render_json(results: list[DomainResult], totals: dict) -> str:
    return json.dumps({"zones": [r.to_json() for r in results], "summary": totals}, indent=2) + "\n"
