"""``plan.py add``: declare a domain's Autodiscover SRV record in its zone file."""

from __future__ import annotations

import argparse
from pathlib import Path

from .options import EXIT_OK, UsageError, add_common, resolver_arg

NAME = "add"


def add_parser(sub) -> argparse.ArgumentParser:
    return sub.add_parser(
        NAME,
        help="declare a domain's Autodiscover SRV record",
        description="Declare DOMAIN's _autodiscover._tcp SRV record in its zone file "
        "zones/<provider>/<zone>.yaml: the parent zone's file when one exists (or when "
        "--resolver shows the live zone is the parent), else the domain's own. Checked as "
        "validate checks; on any error nothing is written. Prints the plan command to run next.",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..core.catalog import CUSTOM
    from ..core.declarations import DEFAULT_POLICY, POLICIES

    add_common(p, zones=False)
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument(
        "--platform", required=True,
        help=f"catalog key, e.g. exchange-2016, or {CUSTOM} with --target",
    )  # fmt: skip
    p.add_argument(
        "--target", metavar="HOST.",
        help=f"the SRV target of --platform {CUSTOM}: a host name with a trailing dot",
    )  # fmt: skip
    p.add_argument("--provider", required=True, help="provider id: the zones/ folder")
    p.add_argument("--policy", choices=POLICIES, default=DEFAULT_POLICY)
    p.add_argument("--ttl", type=int, default=3600, help="SRV TTL in seconds (3600)")
    p.add_argument(
        "--resolver", metavar="IP[:PORT]", type=resolver_arg,
        help="find the live zone holding DOMAIN (SOA lookup through this resolver): a "
        "subdomain of a live zone goes into that zone's file",
    )  # fmt: skip
    p.set_defaults(func=run)


def run(args) -> int:
    from ..core.catalog import CUSTOM
    from ..core.declarations import srv_text
    from ..planner.configuration import add_domain
    from ..planner.repository import check_domain_name

    if args.target is not None and args.platform != CUSTOM:
        raise UsageError(
            f"--target is for --platform {CUSTOM}; platform {args.platform} has its own target"
        )
    if args.platform == CUSTOM and args.target is None:
        raise UsageError(
            f"--platform {CUSTOM} needs --target HOST. (e.g. --target autodiscover.example.com.)"
        )
    live_zone = None
    if args.resolver is not None:
        domain = check_domain_name(args.domain.rstrip(".").lower(), f"domain {args.domain}")
        live_zone = zone_apex(domain, args.resolver)
    added = add_domain(
        Path(args.config), args.domain, args.platform, args.provider,
        policy=args.policy, ttl=args.ttl, target=args.target, live_zone=live_zone,
    )  # fmt: skip
    entry = added.catalog.platforms.get(args.platform)
    value = entry.srv_value if entry else {"priority": 0, "weight": 0, "port": 443,
                                           "target": args.target}  # fmt: skip
    print(f"wrote {added.path}: {added.name} SRV {srv_text(value)} "
          f"({entry.name if entry else 'custom target'})")  # fmt: skip
    if entry and entry.note:
        print(f"note: {entry.note}")
    if entry is None and (same := added.catalog.match(value)) is not None:
        print(f"note: this is the target of platform {same.key}; --platform {same.key} names it")
    if live_zone is not None:
        print(f"live DNS: zone {live_zone} holds {args.domain.rstrip('.').lower()} "
              f"(SOA through {args.resolver})")  # fmt: skip
    for line in next_steps(added, Path(args.config)):
        print(line)
    return EXIT_OK


def next_steps(added, config: Path) -> list[str]:
    """Where the zone's live data must be (zone-file provider) and the plan to run next."""
    from ..core.layout import DEFAULT_CONFIG

    zone = added.zone.rstrip(".")
    out = []
    if added.live_file is not None:
        if added.read_file is None:
            out.append(
                f"live zone file: {added.live_file} does not exist; provider {added.provider} "
                f"plans {zone} against it, so create it (BIND format, with the zone's SOA and "
                "NS) first: the planner never creates zones"
            )
        elif added.read_file == added.live_file:
            out.append(f"live zone file: {added.live_file} (provider {added.provider})")
        else:
            out.append(
                f"live zone file: {added.live_file} (provider {added.provider}); until apply "
                f"writes it, plan reads {added.read_file}"
            )
    if added.plan_config is None:
        out.append(
            f"next: no config in {config.parent}/ plans zones/{added.path.parent.name}/; add a "
            f"zone entry for it, then make plan CONFIG=<that config> ZONES={zone}"
        )
    else:
        suffix = "" if added.plan_config == Path(DEFAULT_CONFIG) else f" CONFIG={added.plan_config}"
        out.append(f"next: make plan{suffix} ZONES={zone}")
    return out


def zone_apex(domain: str, resolver: str) -> str:
    """The apex of the live zone holding ``domain``, by SOA lookups through ``resolver``.

    Asks for the SOA of the domain, then of each parent: the first name with an
    SOA of its own is the apex, and a negative answer's SOA names it at once. A
    CNAME's target zone is never taken for the domain's.
    """
    import dns.rcode
    import dns.rdatatype

    from ..core.errors import AutodiscoverError
    from ..live.queries import QueryFailed, Settings, ask
    from ..live.servers import fqdn, servers_from_specs

    server = servers_from_specs([resolver])[0]
    name = fqdn(domain)
    while len(name) > 2:  # at least two labels besides the root
        try:
            response = ask(server, name, dns.rdatatype.SOA, Settings(), recursion=True)
        except QueryFailed as e:
            raise AutodiscoverError(f"--resolver {resolver}: SOA {name}: {e}") from None
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise AutodiscoverError(
                f"--resolver {resolver}: SOA {name}: {dns.rcode.to_text(rcode)}; the resolver "
                "cannot resolve it"
            )
        if any(r.rdtype == dns.rdatatype.SOA and r.name == name for r in response.answer):
            return name.to_text()
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA and name.is_subdomain(rrset.name):
                if len(rrset.name) <= 2:  # only a top-level domain holds it
                    raise AutodiscoverError(
                        f"--resolver {resolver}: DNS shows no zone holding {domain}, only "
                        f"{rrset.name.to_text()}; check the name, or add it without --resolver"
                    )
                return rrset.name.to_text().lower()
        name = name.parent()
    raise AutodiscoverError(
        f"--resolver {resolver}: no SOA found for {domain} or its parents; check the name and "
        "the resolver, or add it without --resolver"
    )
