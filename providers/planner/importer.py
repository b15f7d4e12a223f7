"""``plan.py import``: bring an existing estate under management in one step.

Lists the zones a provider already hosts (through the same octoDNS provider and
credentials as ``plan``) or reads a CSV of ``domain,platform[,provider][,policy]``
rows, and writes one new ``zones/<provider>/<zone>.yaml`` per zone, shaped
exactly like ``plan.py add`` writes it. It only reads from providers and never
changes a zone file that already exists: a domain declared differently is
reported as a conflict and left for a human.

A CSV row without a provider (and no ``--provider``) takes the provider where DNS
says the domain is hosted: the CLI locates those domains (``plan.py locate``'s
detection) and hands the result over as :class:`Detected` per domain; this module
never asks DNS itself.
"""

from __future__ import annotations

import csv
import fnmatch
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from octodns.zone import Zone

from ..core import capabilities
from ..core.catalog import CUSTOM, Catalog
from ..core.declarations import DEFAULT_POLICY, META_KEY, POLICIES, srv_text
from ..core.errors import AutodiscoverError, ZoneMissingError
from ..core.layout import DEFAULT_CONFIG, PRODUCTION_CONFIG
from ..core.ownership import SRV_LABEL
from ..progress import Progress
from .configuration import (
    YAML_PROVIDERS,
    RunConfig,
    load_config,
    load_processor_catalog,
    open_manager,
    prepare,
)
from .engine import describe
from .repository import (
    RepositoryError,
    ZoneFile,
    check_domain_name,
    load_zone_yaml,
    render_declaration,
    write_zone_file,
)

DEFAULT_TTL = 3600
#: the config plan.py uses by default; preferred when it defines the provider
PLAN_DEFAULT_CONFIG = Path(DEFAULT_CONFIG)
PRODUCTION_CONFIG_PATH = Path(PRODUCTION_CONFIG)
#: an estate this large gets progress lines on stderr
LARGE_ESTATE = 100
CSV_COLUMNS = ("domain", "platform", "provider", "policy")
MISSING_PROVIDER = (
    "--provider is required without --csv (the provider whose zones are listed); with --csv "
    "FILE, rows without a provider are located through DNS"
)


class ImportRunError(AutodiscoverError):
    """The import cannot run as asked; nothing was written."""


# -- the run ----------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One email domain to declare."""

    domain: str
    platform: str
    provider: str
    policy: str
    line: int | None = None  # CSV line; None for a zone listed at the provider
    zone: str | None = None  # the zone DNS says holds the domain (provider detected), no dot

    @property
    def where(self) -> str:
        return f"line {self.line}: " if self.line is not None else ""


@dataclass(frozen=True)
class Detected:
    """Where DNS says a domain's zone is hosted: a provider id (``manual`` for hosts
    without an API), or the one-line reason no provider can be told."""

    provider: str | None
    host: str = "unknown"  # the DNS host's name, as plan.py locate names it
    zone: str | None = None  # the zone holding the domain, without the trailing dot
    problem: str | None = None  # set when provider is None


@dataclass(frozen=True)
class CsvPreview:
    """What the CLI needs from a CSV before the config is chosen: the domains of rows
    without a provider (to locate; only those --match/--zones select) and the provider
    ids the rows name."""

    to_locate: list[str]
    providers: set[str]


@dataclass
class NewFile:
    """A zone file the run creates, with the records it declares."""

    zone: str  # with trailing dot
    provider: str
    path: Path
    items: dict[str, Item] = field(default_factory=dict)  # record name -> item

    def data(self, catalog: Catalog, ttl: int) -> dict:
        return {
            name: render_declaration(
                catalog.get(item.platform).srv_value, item.platform, item.policy, ttl
            )
            for name, item in sorted(self.items.items())
        }


@dataclass
class Result:
    """What a run did (or would do), for the summary."""

    listed: dict[str, int] = field(default_factory=dict)  # provider -> zones listed there
    written: list[NewFile] = field(default_factory=list)
    declared: list[tuple[Item, Path]] = field(default_factory=list)
    conflicts: list[tuple[Item, str]] = field(default_factory=list)
    existing: list[tuple[Item, Path]] = field(default_factory=list)
    missing: list[tuple[Item, str]] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    bad_rows: list[str] = field(default_factory=list)
    unmatched: int = 0
    catalog: Catalog | None = None

    def render(self, dry_run: bool, config: Path) -> str:
        out = []
        for provider, count in sorted(self.listed.items()):
            out.append(f"provider {provider}: {count} zone(s) listed")
        verb = "would write" if dry_run else "wrote"
        for new in self.written:
            for name, item in sorted(new.items.items()):
                platform = self.catalog.get(item.platform) if self.catalog else None
                if platform is None:
                    continue
                policy = f", policy {item.policy}" if item.policy != DEFAULT_POLICY else ""
                value = srv_text(platform.srv_value)
                out.append(f"{verb} {new.path}: {name} SRV {value} ({platform.name}{policy})")
        for item, why in self.conflicts:
            out.append(f"conflict: {item.where}{item.domain}: {why}; left unchanged")
        for item, path in self.existing:
            out.append(
                f"not changed: {item.where}{item.domain}: {path} exists and does not declare it "
                f"(import never changes a file); declare it with plan.py add {item.domain} "
                f"--platform {item.platform} --provider {item.provider}"
            )
        for item, why in self.missing:
            out.append(f"not found: {item.where}{item.domain}: {why}")
        for text in self.invalid:
            out.append(f"skipped: {text}")
        files = len(self.written)
        domains = sum(len(n.items) for n in self.written)
        parts = [
            f"{files} zone file(s) {'would be written' if dry_run else 'written'} "
            f"({domains} domain(s))",
            f"{len(self.declared)} skipped (already declared)",
            f"{len(self.conflicts)} conflict(s)",
            f"{len(self.missing)} not found at the provider",
        ]
        if self.existing:
            parts.append(f"{len(self.existing)} in existing zone files (not changed)")
        if self.invalid:
            parts.append(f"{len(self.invalid)} zone name(s) not importable")
        if self.bad_rows:
            parts.append(f"{len(self.bad_rows)} bad row(s) skipped")
        if self.unmatched:
            parts.append(f"{self.unmatched} outside --match/--zones")
        out.append("summary: " + ", ".join(parts))
        if dry_run:
            out.append("dry run: nothing written")
        elif files:
            target = "" if config == PLAN_DEFAULT_CONFIG else f" CONFIG={config}"
            out.append(f"next: review the new zone files, then make plan{target}")
        return "\n".join(out) + "\n"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Importer:
    def __init__(
        self,
        run: RunConfig,
        catalog: Catalog,
        folders: dict[str, str],
        provider: str | None,
        platform: str | None,
        policy: str,
        ttl: int,
        csv_path: Path | None,
        matches: list[str],
        zones: list[str],
        skip_bad: bool,
        zones_dir: Path = Path("zones"),
        detected: dict[str, Detected] | None = None,
        dns: tuple[str | None, float | None] = (None, None),
    ) -> None:
        self.cfg = run
        self.catalog = catalog
        self.folders = folders  # provider id -> zones/ folder name
        self.provider = provider
        self.platform = platform
        self.policy = policy
        self.ttl = ttl
        self.csv_path = csv_path
        self.matches = [m.lower().rstrip(".") for m in matches]
        self.zones = zones  # canonical names without trailing dot
        self.skip_bad = skip_bad
        self.zones_dir = zones_dir
        self.existing: dict[str, ZoneFile] = {zf.zone: zf for zf in run.zone_files + run.skipped}
        self.sources: ProviderZones | None = None
        self.detected = detected or {}  # domain -> where DNS says it is hosted
        self.dns = dns  # --resolver, --timeout: for providers read through DNS (manual)

    @classmethod
    def open(
        cls,
        config: Path,
        provider: str | None,
        platform: str | None,
        policy: str,
        ttl: int,
        csv_path: Path | None,
        matches: list[str],
        zones: list[str],
        skip_bad: bool,
        detected: dict[str, Detected] | None = None,
        dns: tuple[str | None, float | None] = (None, None),
    ) -> Importer:
        """Check the repository and the arguments; no provider is built yet.

        ``provider`` may be None with a CSV: rows without a provider then take the one
        ``detected`` names for their domain (rows it has no provider for are bad rows)."""
        run = prepare(config)
        catalog = load_processor_catalog(run.data)
        folders = _provider_folders(run)
        if provider is not None:
            _check_provider(provider, config, folders)
        elif csv_path is None:
            raise ImportRunError(MISSING_PROVIDER)
        if platform is not None:
            _check_platform(catalog, platform)
        elif csv_path is None:
            raise ImportRunError("--platform is required without --csv (e.g. exchange-2016)")
        if not 1 <= ttl <= 2147483647:
            raise ImportRunError(f"--ttl {ttl}: use a whole number of seconds from 1")
        return cls(
            run, catalog, folders, provider, platform, policy, ttl, csv_path, matches,
            canonical_zones(zones), skip_bad, detected=detected, dns=dns,
        )  # fmt: skip

    # -- planning -----------------------------------------------------------------

    def run(self, dry_run: bool) -> Result:
        result = Result(catalog=self.catalog)
        if self.csv_path is not None:
            items, bad = read_csv(self.csv_path, self)
            if bad:
                for text in bad:
                    _say(f"bad row: {text}")
                if not self.skip_bad:
                    raise ImportRunError(
                        f"{len(bad)} bad row(s) in {self.csv_path} (listed above); nothing "
                        "written. Fix them, or rerun with --skip-bad to import the good rows"
                    )
                result.bad_rows = bad
            wanted = self._filter(items, result)
            providers = sorted({i.provider for i in wanted})
            self.sources = ProviderZones.open(self.cfg, providers, self.dns)
        else:
            assert self.provider is not None, "open() requires --provider without --csv"
            self.sources = ProviderZones.open(self.cfg, [self.provider], self.dns)
            wanted = self._filter(self._listed_items(result), result)
        result.listed = {p: len(z) for p, z in self.sources.listed.items() if z is not None}
        self._assign(wanted, result)
        if not dry_run:
            self._write(result)
        return result

    def _listed_items(self, result: Result) -> list[Item]:
        """Without --csv: one item per zone at the provider (or per --zones name)."""
        assert self.sources is not None, "run() opens the providers first"
        assert self.provider is not None, "open() requires --provider without --csv"
        listed = self.sources.listed[self.provider]
        if listed is None:
            if not self.zones:
                raise ImportRunError(
                    f"provider {self.provider} cannot list its zones; name them with --zones "
                    "or give a --csv file"
                )
            names = list(self.zones)
        else:
            names = []
            for zone in sorted(listed):
                name = _punycode(zone.rstrip("."))
                try:
                    names.append(check_domain_name(name, f"zone {name} at {self.provider}"))
                except RepositoryError as e:
                    if self._matches(name):
                        result.invalid.append(str(e))
            if self.zones:
                result.unmatched += len([n for n in names if n not in self.zones])
                names = [n for n in names if n in self.zones]
                known = set(names)
                for name in self.zones:
                    if name not in known:
                        result.missing.append(
                            (self._item(name), f"no zone {name} at provider {self.provider}")
                        )
        return [self._item(name) for name in names]

    def _item(self, domain: str) -> Item:
        return Item(domain, self.platform or "", self.provider or "", self.policy)

    def _filter(self, items: list[Item], result: Result) -> list[Item]:
        """--match and --zones (CSV: the domain must lie in one of the --zones)."""
        kept = []
        for item in items:
            if not self._matches(item.domain) or (
                self.csv_path is not None and not _in_zones(item.domain, self.zones)
            ):
                result.unmatched += 1
                continue
            kept.append(item)
        return kept

    def _matches(self, domain: str) -> bool:
        return _matches_any(domain, self.matches)

    def selects(self, domain: str) -> bool:
        """Whether --match and --zones keep a CSV row's domain."""
        return self._matches(domain) and _in_zones(domain, self.zones)

    def _assign(self, items: list[Item], result: Result) -> None:
        """Decide, per email domain, which zone file declares it and whether to write it."""
        planned: dict[str, NewFile] = {}
        progress = Progress(
            len(items), enabled=len(items) >= LARGE_ESTATE, what="domains checked", final=True
        )
        if progress.enabled:
            _say(f"import: checking {len(items)} domain(s)")
        for item in items:
            self._assign_one(item, planned, result)
            progress.tick()
        result.written = [planned[z] for z in sorted(planned) if planned[z].items]

    def _assign_one(self, item: Item, planned: dict[str, NewFile], result: Result) -> None:
        for zone in _candidates(item.domain):
            fqdn = zone + "."
            sub = item.domain[: -len(zone) - 1] if item.domain != zone else ""
            name = f"{SRV_LABEL}.{sub}" if sub else SRV_LABEL
            if fqdn in self.existing:
                self._against_file(item, self.existing[fqdn], name, result)
                return
            if fqdn in planned:
                new = planned[fqdn]
                if new.provider != item.provider:
                    first = next(iter(new.items.values()))
                    result.conflicts.append(
                        (item, f"zone {zone} is already imported for provider {new.provider} "
                               f"({first.where}{first.domain}); one zone, one provider")
                    )  # fmt: skip
                else:
                    new.items[name] = item
                return
            if item.zone is not None and zone != item.zone:
                continue  # DNS named the zone: no other name is a zone at the provider
            if self.sources is not None and self.sources.has(item.provider, fqdn):
                folder = self.folders[item.provider]
                path = self.zones_dir / folder / f"{zone}.yaml"
                planned[fqdn] = NewFile(fqdn, item.provider, path, {name: item})
                return
        why = f"no zone at provider {item.provider} holds {item.domain}"
        if item.zone is not None:
            why += (f" (DNS says zone {item.zone} is hosted there: in another account, or "
                    "not yet added?)")  # fmt: skip
        result.missing.append((item, why))

    def _against_file(self, item: Item, zf: ZoneFile, name: str, result: Result) -> None:
        declared = _declared_platform(load_zone_yaml(zf.path), name, self.catalog)
        provider = self.folders_inverse().get(zf.provider, zf.provider)
        if declared is None:
            result.existing.append((item, zf.path))
        elif provider != item.provider:
            result.conflicts.append(
                (item, f"declared for provider {provider} in {zf.path}, not {item.provider}")
            )
        elif declared != item.platform:
            result.conflicts.append(
                (item, f"declared with platform {declared} in {zf.path}, not {item.platform}")
            )
        else:
            result.declared.append((item, zf.path))

    def folders_inverse(self) -> dict[str, str]:
        return {folder: provider for provider, folder in self.folders.items()}

    # -- writing ------------------------------------------------------------------

    def _write(self, result: Result) -> None:
        written = []
        for new in result.written:
            data = new.data(self.catalog, self.ttl)
            if write_zone_file(new.path, new.zone, data):  # checked as validate checks
                written.append(new)
            else:
                for item in new.items.values():
                    result.conflicts.append(
                        (item, f"{new.path} appeared while importing; not overwritten")
                    )
        result.written = written


# -- provider zones -----------------------------------------------------------------


class ProviderZones:
    """Zones at the providers, through octoDNS providers built as plan builds them."""

    def __init__(self, providers: dict) -> None:
        self.providers = providers
        self.listed: dict[str, set[str] | None] = {}
        self._exists: dict[tuple[str, str], bool] = {}

    @classmethod
    def open(
        cls,
        run: RunConfig,
        provider_ids: Iterable[str],
        dns: tuple[str | None, float | None] = (None, None),
    ) -> ProviderZones:
        """``dns``: the --resolver and --timeout for providers that read zones through DNS
        (the manual provider: a zone exists when its nameservers serve it)."""
        provider_ids = list(provider_ids)
        built = build_providers(run, provider_ids)
        resolver, timeout = dns
        for provider in built.values():
            if hasattr(provider, "use_dns"):
                provider.use_dns(None, resolver, timeout)
        zones = cls(built)
        for pid in provider_ids:
            zones.listed[pid] = zones._list(pid)
        return zones

    def _list(self, pid: str) -> set[str] | None:
        provider = self.providers[pid]
        if not capabilities.lists_zones(provider):
            return None
        _say(f"import: listing the zones at provider {pid}")
        try:
            names = provider.list_zones()
            return {_fqdn(n) for n in names}
        except AutodiscoverError:
            raise
        except Exception as e:
            raise ImportRunError(f"cannot list the zones at provider {pid}: {describe(e)}") from e

    def has(self, pid: str, zone: str) -> bool:
        listed = self.listed.get(pid)
        if listed is not None:
            return zone in listed
        key = (pid, zone)
        if key not in self._exists:
            self._exists[key] = self._probe(pid, zone)
        return self._exists[key]

    def _probe(self, pid: str, zone: str) -> bool:
        """A provider that cannot list zones: read the zone (e.g. AXFR) to see that it exists."""
        try:
            return bool(self.providers[pid].populate(Zone(zone, []), target=True, lenient=True))
        except ZoneMissingError:
            return False
        except AutodiscoverError:
            raise
        except Exception as e:
            raise ImportRunError(f"cannot read zone {zone} at provider {pid}: {describe(e)}") from e


def build_providers(run: RunConfig, provider_ids: list[str]) -> dict:
    """Build only these providers with octoDNS's Manager, secrets resolved as plan does."""
    if not provider_ids:
        return {}
    manager = open_manager(run, provider_ids, purpose="to list its zones")
    built = {pid: manager.providers[pid] for pid in provider_ids}
    for pid, provider in built.items():
        provider.apply = _read_only(pid)  # import reads; a write here is a bug
    return built


def _read_only(pid: str) -> Callable:
    def refuse(*_args, **_kwargs):
        raise ImportRunError(f"import never writes to a provider (attempted at {pid})")

    return refuse


# -- CSV ------------------------------------------------------------------------------


def read_csv(path: Path, importer: Importer) -> tuple[list[Item], list[str]]:
    """Rows as items (one per domain) and the bad rows as 'FILE:LINE: problem' lines."""
    rows, bad = _parse_csv(path)
    items: dict[str, Item] = {}
    bad_domains: dict[str, int] = {}  # domain -> first later line that differs
    for line, row in rows:
        item, problem = _row_item(path, line, row, importer)
        if problem or item is None:
            bad.append((line, problem or f"{path}:{line}: not a row"))
            continue
        first = items.get(item.domain)
        if first is None:
            items[item.domain] = item
            continue
        differs = [
            f"{what} {getattr(first, what)} on line {first.line} but {getattr(item, what)} here"
            for what in ("platform", "provider", "policy")
            if getattr(first, what) != getattr(item, what)
        ]
        if differs:
            bad.append((line, f"{path}:{line}: duplicate domain {item.domain}: "
                              f"{'; '.join(differs)}"))  # fmt: skip
            bad_domains.setdefault(item.domain, line)
    for domain, later in sorted(bad_domains.items()):  # ambiguous: neither row is imported
        first = items.pop(domain)
        text = f"{path}:{first.line}: duplicate domain {domain}: line {later} gives it differently"
        bad.append((first.line or 0, text))
    return sorted(items.values(), key=lambda i: i.line or 0), [t for _, t in sorted(bad)]


def preview_csv(path: Path, matches: list[str], zones: list[str]) -> CsvPreview:
    """The domains of the rows without a provider that --match/--zones select (valid
    names only, each once, in file order) and the providers the rows name. Bad rows are
    left for :func:`read_csv` to report."""
    rows, _bad = _parse_csv(path)
    patterns = [m.lower().rstrip(".") for m in matches]
    names = canonical_zones(zones)
    to_locate: dict[str, None] = {}
    providers = set()
    for line, row in rows:
        if row.get("provider"):
            providers.add(row["provider"])
            continue
        domain = row.get("domain", "").lower().rstrip(".")
        try:
            check_domain_name(domain, f"{path}:{line}")
        except RepositoryError:
            continue
        if _matches_any(domain, patterns) and _in_zones(domain, names):
            to_locate[domain] = None
    return CsvPreview(list(to_locate), providers)


def _parse_csv(path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[tuple[int, str]]]:
    """(line, {column: cell}) per row, and (line, problem) per row of too many fields."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ImportRunError(f"{path}: cannot read the CSV file ({e.strerror})") from e
    except UnicodeDecodeError as e:
        raise ImportRunError(f"{path}: not UTF-8 text; save the CSV as UTF-8") from e
    reader = csv.reader(text.splitlines())
    columns = list(CSV_COLUMNS)
    header_seen = False
    rows: list[tuple[int, dict[str, str]]] = []
    bad: list[tuple[int, str]] = []
    try:
        for cells in reader:
            line = reader.line_num
            cells = [c.strip() for c in cells]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if not header_seen and not rows and cells[0].lower() == "domain":
                header_seen = True
                columns = [c.lower() for c in cells]
                unknown = [c for c in columns if c not in CSV_COLUMNS]
                if unknown or len(set(columns)) != len(columns):
                    what = f"unknown column {unknown[0]!r}" if unknown else "a repeated column"
                    raise ImportRunError(
                        f"{path}:{line}: header has {what}; columns are "
                        "domain,platform[,provider][,policy]"
                    )
                continue
            if len(cells) > len(columns):
                bad.append((line, f"{path}:{line}: {len(cells)} fields; a row is "
                            f"{','.join(columns)} (at most {len(columns)} fields)"))  # fmt: skip
                continue
            rows.append((line, dict(zip(columns, cells, strict=False))))
    except csv.Error as e:
        raise ImportRunError(f"{path}:{reader.line_num}: not valid CSV ({e})") from e
    if not rows and not bad:
        raise ImportRunError(f"{path}: no rows; write domain,platform[,provider][,policy]")
    return rows, bad


def _row_item(
    path: Path, line: int, row: dict[str, str], importer: Importer
) -> tuple[Item | None, str | None]:
    where = f"{path}:{line}"
    raw = row.get("domain", "")
    if not raw:
        return None, f"{where}: no domain"
    domain = raw.lower().rstrip(".")
    try:
        check_domain_name(domain, where)
    except RepositoryError as e:
        return None, str(e)
    platform = row.get("platform") or importer.platform
    if not platform:
        return None, f"{where}: no platform for {domain}; add one or give --platform"
    if platform == CUSTOM:
        return None, (
            f"{where}: platform 'custom': import declares catalog platforms only; write a custom "
            "target by hand"
        )
    if platform not in importer.catalog.platforms:
        known = ", ".join(sorted(importer.catalog.platforms))
        return None, f"{where}: unknown platform {platform!r}; use one of {known}"
    known = ", ".join(sorted(importer.folders))
    provider = row.get("provider") or importer.provider
    zone = None
    if not provider:
        found = importer.detected.get(domain)
        if found is None:
            if importer.selects(domain):
                return None, f"{where}: no provider for {domain}; add one or give --provider"
            provider = ""  # outside --match/--zones: not located, counted as unmatched
        elif found.provider is None:
            return None, f"{where}: {domain}: {found.problem or 'no provider found'}"
        elif found.provider not in importer.folders:
            return None, (
                f"{where}: {domain} is hosted at {found.host} (provider {found.provider}), but "
                f"{importer.cfg.path} plans no zones/ folder for {found.provider}; give "
                f"another --config, or a provider column: one of {known}"
            )
        else:
            provider, zone = found.provider, found.zone
    elif provider not in importer.folders:
        return None, (
            f"{where}: unknown provider {provider!r} for {importer.cfg.path}; use one of {known}"
        )
    policy = (row.get("policy") or importer.policy).lower()
    if policy not in POLICIES:
        return None, f"{where}: unknown policy {policy!r}; use one of {', '.join(POLICIES)}"
    return Item(domain, platform, provider, policy, line, zone), None


# -- helpers ----------------------------------------------------------------------------


def choose_config(given: str | None, providers: Iterable[str]) -> Path:
    """The --config, or the config in config/ that plans a zones/ folder for every one of
    the providers (--provider, the CSV's, the ones DNS detected), config/local.yaml
    first; else the one planning most of them; else config/local.yaml."""
    if given:
        return Path(given)
    wanted = sorted(set(providers))
    candidates = [PLAN_DEFAULT_CONFIG, PRODUCTION_CONFIG_PATH]
    candidates += sorted(p for p in Path("config").glob("*.yaml") if p not in candidates)
    best: tuple[list[str], Path | None] = ([], None)
    for path in candidates:
        if not wanted or not path.is_file():
            continue
        planned = _planned_providers(_yaml(path))
        found = [p for p in wanted if p in planned]
        if len(found) > len(best[0]):
            best = (found, path)
        if len(found) == len(wanted):
            break
    found, chosen = best
    if chosen is not None:
        if chosen != PLAN_DEFAULT_CONFIG:
            _say(f"import: using {chosen} (it plans provider {', '.join(found)})")
        return chosen
    load_config(PLAN_DEFAULT_CONFIG)  # a missing or broken default says so itself
    return PLAN_DEFAULT_CONFIG


def _yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None


def _planned_providers(data: object) -> set[str]:
    """Provider ids a config plans zone files for: a zones entry targets the provider
    (defined, not a zone-file source) and reads a YAML directory (the zones/ folder)."""
    if not isinstance(data, dict):
        return set()
    providers = data.get("providers")
    entries = data.get("zones")
    if not isinstance(providers, dict) or not isinstance(entries, dict):
        return set()
    planned = set()
    for entry in entries.values():
        if not isinstance(entry, dict):
            continue
        sources = [providers.get(s) for s in entry.get("sources") or [] if isinstance(s, str)]
        if not any(
            isinstance(c, dict) and c.get("class") in YAML_PROVIDERS and c.get("directory")
            for c in sources
        ):
            continue
        for target in entry.get("targets") or []:
            conf = providers.get(target) if isinstance(target, str) else None
            if isinstance(conf, dict) and conf.get("class") not in YAML_PROVIDERS:
                planned.add(target)
    return planned


def canonical_zones(zones: list[str]) -> list[str]:
    """--zones names: canonical (lower case, no trailing dot) and checked."""
    names = []
    for name in zones:
        name = name.strip().lower().rstrip(".")
        names.append(check_domain_name(name, f"--zones {name}"))
    return names


def _matches_any(domain: str, patterns: list[str]) -> bool:
    """--match: no patterns, or one matching the domain."""
    return not patterns or any(fnmatch.fnmatchcase(domain, m) for m in patterns)


def _in_zones(domain: str, zones: list[str]) -> bool:
    """--zones with a CSV: no zones, or the domain lies in one of them."""
    return not zones or any(domain == z or domain.endswith("." + z) for z in zones)


def _provider_folders(run: RunConfig) -> dict[str, str]:
    """Target provider id -> the zones/ folder whose files plan sends to it."""
    out: dict[str, str] = {}
    for folder, provider in sorted(run.folders.items()):
        out.setdefault(provider, folder)
    return out


def _check_provider(provider: str, config: Path, folders: dict[str, str]) -> None:
    if provider not in folders:
        known = ", ".join(sorted(folders)) or "none"
        raise ImportRunError(
            f"unknown provider {provider!r} for {config} (no zones/<folder> is planned for it); "
            f"use one of {known}, or another --config"
        )


def _check_platform(catalog: Catalog, platform: str) -> None:
    if platform == CUSTOM:
        raise ImportRunError("import declares catalog platforms; write a custom target by hand")
    catalog.get(platform)  # unknown: a one-line CatalogError naming the known ones


def _declared_platform(data: dict, name: str, catalog: Catalog) -> str | None:
    """The platform key declared at ``name`` in a zone file's data, 'custom', or None."""
    entries = data.get(name)
    if entries is None:
        return None
    for entry in entries if isinstance(entries, list) else [entries]:
        if not isinstance(entry, dict) or entry.get("type") != "SRV":
            continue
        meta = (entry.get("octodns") or {}).get(META_KEY) or {}
        if isinstance(meta, dict) and meta.get("platform"):
            return str(meta["platform"])
        values = entry.get("values", entry.get("value"))
        values = values if isinstance(values, list) else [values]
        if len(values) == 1 and isinstance(values[0], dict):
            try:
                platform = catalog.match(values[0])
            except (KeyError, TypeError, ValueError):
                platform = None
            if platform is not None:
                return platform.key
        return CUSTOM
    return CUSTOM  # something else sits at the SRV name: never a match


def _candidates(domain: str) -> list[str]:
    """The domain, then each parent with at least two labels: where its zone may start."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def _punycode(name: str) -> str:
    """Providers may list internationalised zones in Unicode; zone files use punycode."""
    try:
        name.encode("ascii")
        return name
    except UnicodeEncodeError:
        try:
            return name.encode("idna").decode("ascii")
        except UnicodeError:
            return name  # reported as not importable


def _fqdn(name: str) -> str:
    return str(name).lower().rstrip(".") + "."
