"""What confirm, doctor and report share: the declared domains a command line asks
about, read by the planner, and the live-DNS view it opens (--nameserver, --serve-local
or each zone's NS set). The only place where the planner's data reaches live DNS."""

from __future__ import annotations

from pathlib import Path

from ..core.declared import Declared
from ..live.localserver import LocalZone
from ..live.nameservers import LiveDns
from ..live.queries import Settings
from ..live.servers import ConfirmError, servers_from_specs
from .options import DEFAULT_CONFIG

ZONEFILE_PROVIDER = "providers.zonefile.ZoneFileProvider"
MANUAL_PROVIDER = "providers.manual.ManualProvider"


def settings_from(args) -> Settings:
    return Settings(timeout=args.timeout)


def make_suffix(config: str) -> str:
    """What fix commands add to ``make plan`` for this config."""
    return "" if config == DEFAULT_CONFIG else f" CONFIG={config}"


def select_declared(args) -> list[Declared]:
    """The declared email domains the command line asks about; none at all is an error."""
    from ..live.checks import select
    from ..planner.engine import in_shard, load_declarations

    config = Path(args.config)
    declared = load_declarations(config)
    if not declared:
        raise ConfirmError(
            f"no email domain is declared for {config}; add one with plan.py add DOMAIN "
            "--platform NAME --provider ID"
        )
    shard = getattr(args, "shard", None)
    if shard is not None:
        declared = [d for d in declared if in_shard(d.zone_file.zone, *shard)]
    return select(declared, args.zones, config)


def local_zones(config: Path) -> dict[str, LocalZone]:
    """Zones of this config whose target is the zone-file provider, with their files."""
    from ..planner.configuration import prepare
    from ..zonefile import ZoneFileProvider

    run = prepare(config)
    providers = run.data.get("providers") or {}
    found = {}
    for zf in run.zone_files:
        target = run.folders.get(zf.provider)
        conf = providers.get(target) or {}
        if target is None or conf.get("class") != ZONEFILE_PROVIDER:
            continue
        options = {k: v for k, v in conf.items() if k != "class"}
        provider = ZoneFileProvider(target, **options)
        found[zf.zone] = LocalZone(
            zone=zf.zone,
            provider=str(target),
            live_path=provider.live_path(zf.zone),
            read_path=provider.read_path(zf.zone),
        )
    return found


def open_live_dns(args, targets: list[Declared], settings: Settings) -> LiveDns:
    """The servers to ask (not yet started: the live functions open it)."""
    config = Path(args.config)
    nameservers = servers_from_specs(args.nameserver or [])
    zones = sorted({d.zone_file.zone for d in targets})
    resolvers = getattr(args, "resolver", None) or []
    return LiveDns(
        config, zones, nameservers, args.serve_local, settings, lambda: local_zones(config),
        resolver=resolvers[0] if resolvers else None,
    )  # fmt: skip


def manual_folders(config: str) -> tuple[tuple[str, str], ...]:
    """zones/ folders planned by a manual provider (a DNS host without an API), each with
    the folder its work orders go to."""
    from ..planner.configuration import prepare

    run = prepare(Path(config))
    providers = run.data.get("providers") or {}
    found = []
    for folder, target in sorted(run.folders.items()):
        conf = providers.get(target) or {}
        if conf.get("class") == MANUAL_PROVIDER:
            found.append((folder, str(conf.get("work_orders", "./work-orders"))))
    return tuple(found)


def processor_catalog(config: str):
    """The platform catalog the config's processor uses."""
    from ..planner.configuration import prepare
    from ..planner.engine import load_processor_catalog

    return load_processor_catalog(prepare(Path(config)).data)
