"""Where to ask: each zone's authoritative nameservers (its NS set), the servers given
with --nameserver, or a local named serving the zone-file provider's zones."""

from __future__ import annotations

import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.resolver

from .localserver import INSTALL_HINT, LocalNamed, LocalZone, named_binary
from .queries import Server, Settings
from .servers import ConfirmError, split_host_port

MAX_WORKERS = 32  # I/O-bound against remote servers; more only adds GIL contention locally


@dataclass
class ZoneSource:
    """The servers to ask for one zone, or why there are none."""

    zone: str
    servers: list[Server] = field(default_factory=list)
    broken: list[tuple[Server, str]] = field(default_factory=list)  # known before asking
    error: str | None = None
    settled: bool = False  # waiting cannot change the error
    local: bool = False


def system_resolver(settings: Settings) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver()
    resolver.lifetime = settings.timeout * settings.tries
    resolver.timeout = settings.timeout
    return resolver


def resolver_at(spec: str, settings: Settings) -> dns.resolver.Resolver:
    """A resolver that asks only ``spec`` (IP[:PORT] or [IPv6]:PORT): --resolver."""
    host, port = split_host_port(spec)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port or 53
    resolver.lifetime = settings.timeout * settings.tries
    resolver.timeout = settings.timeout
    return resolver


def _resolver_name(resolver: dns.resolver.Resolver) -> str:
    return ", ".join(str(n) for n in resolver.nameservers) or "none"


def resolver_has_internet(resolver: dns.resolver.Resolver) -> bool:
    """A resolver that cannot find the root zone's NS has no view of public DNS."""
    try:
        resolver.resolve(".", "NS")
    except dns.exception.DNSException:
        return False
    return True


def find_nameservers(
    zone: str, resolver: dns.resolver.Resolver, cache: dict[str, list[str]] | None = None
) -> ZoneSource:
    """The zone's NS set, then each NS name's IPv4 and IPv6 addresses.

    ``cache`` keeps NS name -> addresses across zones: many zones share one DNS host.
    """
    cache = {} if cache is None else cache
    source = ZoneSource(zone)
    where = f"the resolver ({_resolver_name(resolver)})"
    try:
        answer = resolver.resolve(zone, "NS", raise_on_no_answer=True)
        names = sorted({rd.target.to_text() for rd in answer})
    except dns.exception.DNSException as e:
        kind = {
            dns.resolver.NXDOMAIN: "NXDOMAIN",
            dns.resolver.NoAnswer: "no NS records",
            dns.resolver.NoNameservers: "SERVFAIL",
            dns.resolver.LifetimeTimeout: "timeout",
            dns.resolver.NoResolverConfiguration: "no resolver",
        }.get(type(e), type(e).__name__)
        if resolver_has_internet(resolver):
            source.error = (
                f"cannot find the nameservers of {zone}: {kind} from {where}; check the "
                "delegation at the registrar, or give --nameserver"
            )
        else:
            source.error = (
                f"cannot find the nameservers of {zone} ({kind}): {where} cannot resolve the "
                "root zone either, so this machine has no view of public DNS; give --nameserver "
                "HOST[:PORT] for the servers that publish it"
            )
        return source
    for name in names:
        if name not in cache:
            addresses = []
            for rdtype in ("A", "AAAA"):
                with suppress(dns.exception.DNSException):
                    addresses += [rd.address for rd in resolver.resolve(name, rdtype)]
            cache[name] = addresses
        addresses = cache[name]
        reachable = [a for a in addresses if _routable(a)]
        if not addresses:
            source.broken.append(
                (Server(name, "-"), f"no address: {name} has no A or AAAA record (lame delegation)")
            )
        source.servers += [Server(name, a) for a in reachable]
        if addresses and not reachable:
            source.broken.append((Server(name, addresses[0]), "network error: no route from here"))
    return source


def _routable(address: str) -> bool:
    """Skip IPv6 addresses this machine has no route to (common, and not the zone's fault)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((address, 53))  # UDP connect sends nothing; it only picks a route
        except OSError:
            return False
    return True


class LiveDns:
    """Which servers to ask for each zone: --nameserver, the local named, or the NS set.

    ``local_zones`` lists the zones the zone-file provider hosts with their files (the
    command line reads the config); it is asked again between --wait rounds, because
    the first apply writes live/<zone>.zone beside the examples/ seed.
    """

    def __init__(
        self, config: object, zones: list[str], nameservers: list[Server], serve_local: bool,
        settings: Settings, local_zones: Callable[[], dict[str, LocalZone]],
        resolver: str | None = None,
    ) -> None:  # fmt: skip
        self.config = config  # named in messages only
        self.zones = zones
        self.nameservers = nameservers
        self.serve_local = serve_local
        self.settings = settings
        self.local_zones = local_zones
        self.resolver = resolver  # --resolver: finds each zone's NS set (default: the system's)
        # zones hosted by the zone-file provider: needed to serve them, or to say that
        # nothing serves them; --nameserver alone asks the given servers for every zone
        wanted = set(zones)
        needed = serve_local or not nameservers
        hosted = local_zones() if needed else {}
        self.local = {z: lz for z, lz in hosted.items() if z in wanted}
        self.named: LocalNamed | None = None
        self.sources: dict[str, ZoneSource] = {}
        self._stack = ExitStack()

    def __enter__(self) -> LiveDns:
        if self.serve_local:
            if not self.local:
                raise ConfirmError(
                    f"--serve-local: no zone of {self.config} is hosted by the zone-file provider; "
                    "use --nameserver or the zones' own nameservers"
                )
            files = {z: lz.read_path for z, lz in self.local.items() if lz.read_path is not None}
            if files:
                self.named = self._stack.enter_context(LocalNamed(files))
        self._discover()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def refresh(self) -> None:
        """Between --wait rounds: serve zone files that changed meanwhile."""
        if self.named is not None:
            # the first apply writes live/<zone>.zone beside the examples/ seed: follow it
            fresh = self.local_zones()
            for zone in self.local:
                path = fresh[zone].read_path if zone in fresh else None
                if path is not None:
                    self.local[zone] = fresh[zone]
                    self.named.zones[zone] = path
            self.named.refresh()
            self._discover()

    def _local_source(self, zone: str, lz: LocalZone) -> ZoneSource:
        if lz.read_path is None or self.named is None:
            return ZoneSource(
                zone,
                error=f"zone {zone} has no zone file ({lz.live_path}) for provider {lz.provider}: "
                "it does not exist there, and the planner never creates zones",
                local=True,
            )
        failed = self.named.failed.get(zone)
        if failed:
            return ZoneSource(zone, error=f"named refused {lz.read_path}: {failed}", local=True)
        server = Server(f"local named ({lz.read_path})", self.named.host, self.named.port)
        return ZoneSource(zone, servers=[server], local=True)

    def _discover(self) -> None:
        remote = []
        for zone in self.zones:
            lz = self.local.get(zone)
            if lz is not None and self.serve_local:
                self.sources[zone] = self._local_source(zone, lz)
            elif self.nameservers:
                self.sources[zone] = ZoneSource(zone, servers=list(self.nameservers))
            elif lz is not None:
                self.sources[zone] = ZoneSource(
                    zone,
                    error=unserved_message(zone, lz.read_path or lz.live_path),
                    settled=True,
                    local=True,
                )
            else:
                remote.append(zone)
        if remote:
            resolver = (
                resolver_at(self.resolver, self.settings)
                if self.resolver
                else system_resolver(self.settings)
            )
            cache: dict[str, list[str]] = {}
            with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(remote))) as pool:
                for source in pool.map(lambda z: find_nameservers(z, resolver, cache), remote):
                    self.sources[source.zone] = source


def unserved_message(zone: str, path: Path) -> str:
    named = named_binary()
    serve = (
        f"run with --serve-local to load them into a local BIND ({named})"
        if named
        else f"install BIND ({INSTALL_HINT}) and run with --serve-local"
    )
    return (
        f"zone {zone} lives in the zone file {path}, and these zone files are served by no "
        f"nameserver, so nothing can be confirmed by asking DNS: {serve}, or give --nameserver "
        "HOST[:PORT] for the server that publishes them"
    )
