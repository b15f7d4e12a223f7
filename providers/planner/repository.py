"""The repository's zone files: strict offline checks and writing new ones.

octoDNS's YAML loader silently keeps the last of duplicate keys and reports
errors without file and line; these checks run first so a reviewer's typo
becomes one clear line naming the file, before any provider is built.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..core.catalog import CUSTOM, Catalog
from ..core.declarations import DEFAULT_POLICY, META_KEY, POLICIES, check_srv_values
from ..core.declared import ZoneFile
from ..core.errors import AutodiscoverError
from ..core.files import write_atomically
from ..core.ownership import SRV_LABEL, declared_name_problem, email_domain_for
from ..libyaml import strict_loader

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class RepositoryError(AutodiscoverError):
    """A zone file or folder in the repository is not acceptable."""


def check_domain_name(name: str, where: str) -> str:
    """Return the canonical (lower-case ASCII) domain or explain how to fix it."""
    if name != name.lower():
        raise RepositoryError(f"{where}: domain {name!r} has upper case; use {name.lower()!r}")
    try:
        name.encode("ascii")
    except UnicodeEncodeError as e:
        try:
            puny = name.encode("idna").decode()
        except UnicodeError:
            puny = None
        hint = f"write it in punycode: {puny!r}" if puny else "it is not a valid domain"
        raise RepositoryError(f"{where}: internationalised domain {name!r}; {hint}") from e
    labels = name.split(".")
    if (
        len(name) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise RepositoryError(
            f"{where}: {name!r} is not a valid DNS domain name (letters, digits and hyphens, "
            "dot-separated labels of at most 63 characters)"
        )
    return name


def yaml_fix(problem: str) -> str:
    """What to do about a YAML problem in a zone file."""
    if "keys out of order" in problem:
        return "octoDNS zone files keep keys sorted"
    return "fix the YAML"


def load_zone_yaml(path: Path, order: str | None = None) -> dict:
    """Parse one zone file strictly (duplicate keys; key ``order`` if given); errors name
    the file and line."""
    try:
        with path.open() as fh:  # a file, so octoDNS's line context names it
            text = fh.read()
            if "\t" in text:
                line = text[: text.index("\t")].count("\n") + 1
                raise RepositoryError(
                    f"{path}:{line}: a tab character; indent and separate with spaces "
                    "(octoDNS's YAML reader refuses tabs)"
                )
            fh.seek(0)
            data = yaml.load(fh, Loader=strict_loader(order))
    except OSError as e:
        raise RepositoryError(f"{path}: cannot read ({e.strerror})") from e
    except UnicodeDecodeError as e:
        raise RepositoryError(f"{path}: not UTF-8 text; save it as UTF-8") from e
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at = f":{mark.line + 1}" if mark else ""
        problem = e.problem or e.context or "invalid YAML"
        raise RepositoryError(f"{path}{at}: {problem}; {yaml_fix(problem)}") from e
    except yaml.YAMLError as e:
        raise RepositoryError(f"{path}: invalid YAML ({' '.join(str(e).split())})") from e
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RepositoryError(
            f"{path}: a zone file is a mapping of record names; got a list or text"
        )
    return data


def check_zone_data(path: Path, zone: str, data: dict) -> None:
    """Check raw declared records (catches what octoDNS would coerce, like priority 1.5)."""
    for name, records in data.items():
        entries = records if isinstance(records, list) else [records]
        for entry in entries:
            where = f"{path}: record {name or '@'}"
            if not isinstance(entry, dict):
                raise RepositoryError(f"{where}: expected a mapping with type and value(s)")
            _type = entry.get("type")
            if email_domain_for(zone, str(name)) is None:
                raise RepositoryError(
                    f"{where} {_type}: only _autodiscover._tcp[.<subdomain>] SRV records may be "
                    "declared; remove it (records you do not declare stay untouched)"
                )
            problem = declared_name_problem(str(name))
            if problem:
                raise RepositoryError(f"{where}: {problem}")
            if _type == "CNAME":
                raise RepositoryError(
                    f"{where} CNAME: a CNAME cannot be the Autodiscover record; declare the SRV "
                    "of a platform (plan.py add DOMAIN --platform NAME)"
                )
            if _type != "SRV":
                raise RepositoryError(f"{where}: only type SRV may be declared here, not {_type!r}")
            if "value" in entry and "values" in entry:
                raise RepositoryError(f"{where}: has both value and values; keep one")
            values = entry.get("values", entry.get("value"))
            if values is None:
                values = []
            check_srv_values(f"{where} SRV", values if isinstance(values, list) else [values])
            meta = (entry.get("octodns") or {}).get(META_KEY) or {}
            policy = meta.get("policy", DEFAULT_POLICY) if isinstance(meta, dict) else None
            if policy not in POLICIES:
                raise RepositoryError(
                    f"{where}: unknown policy {policy!r}; use one of {', '.join(POLICIES)}"
                )


def check_zone_cuts(zf: ZoneFile, data: dict, zones: dict[str, ZoneFile]) -> None:
    """A subdomain declared in a parent zone's file must not lie in a zone of its own.

    With ``eu.contoso.com.yaml`` in the repository, ``_autodiscover._tcp.eu`` in
    ``contoso.com.yaml`` is below that zone's cut: resolvers never see it, and the
    two files would manage the same names in two places. ``zones``: every zone
    file of the repository by domain (no trailing dot).
    """
    for name in data:
        domain = email_domain_for(zf.zone, str(name))
        if domain is None or not domain.sub:
            continue
        labels = domain.name.split(".")
        for i in range(len(labels) - len(zf.zone.rstrip(".").split("."))):
            inner = zones.get(".".join(labels[i:]))
            if inner is not None:
                raise RepositoryError(
                    f"{zf.path}: record {name}: {domain.name} lies in zone {inner.zone}, which "
                    f"has its own file ({inner.path}); declare it there as "
                    f"{_relative_srv(domain.name, inner.zone)}, not in {zf.zone}"
                )


def _relative_srv(domain: str, zone: str) -> str:
    sub = domain.removesuffix(zone.rstrip(".")).rstrip(".")
    return f"{SRV_LABEL}.{sub}" if sub else SRV_LABEL


def discover(zones_dir: Path, known_providers: set[str]) -> list[ZoneFile]:
    """Every ``zones/<provider>/<domain>.yaml``; bad names and duplicates are errors."""
    found: dict[str, ZoneFile] = {}
    if not zones_dir.is_dir():
        return []
    for folder in sorted(p for p in zones_dir.iterdir() if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
        if files and folder.name not in known_providers:
            known = ", ".join(sorted(known_providers))
            raise RepositoryError(
                f"{folder}/: no provider '{folder.name}' is defined in config/; move its zone "
                f"files to a provider folder ({known})"
            )
        for path in files:
            if path.suffix == ".yml":
                raise RepositoryError(f"{path}: zone files end in .yaml; rename it")
            domain = check_domain_name(path.name[: -len(".yaml")], str(path))
            zone = domain + "."
            if zone in found:
                raise RepositoryError(
                    f"{path}: {domain} is also declared in {found[zone].path}; keep one file"
                )
            found[zone] = ZoneFile(provider=folder.name, zone=zone, path=path)
    return sorted(found.values(), key=lambda z: z.zone)


def render_declaration(platform_value: dict, platform: str, policy: str, ttl: int) -> dict:
    """The octoDNS record data for one declared SRV, keys in octoDNS's sorted order."""
    meta = {"platform": platform}
    if policy != DEFAULT_POLICY:
        meta["policy"] = policy
    return {
        "octodns": {META_KEY: meta},
        "ttl": ttl,
        "type": "SRV",
        "value": dict(sorted(platform_value.items())),
    }


#: RFC 2181 section 8: a TTL is at most 2**31 - 1 seconds (octoDNS only refuses negative ones)
MAX_TTL = 2**31 - 1
#: what ``add`` writes for a custom target: the host name's characters (IDNs in punycode)
_TARGET_CHARS = re.compile(r"^[A-Za-z0-9._-]+$")


def add_declaration(
    zones_dir: Path,
    provider: str,
    domain: str,
    platform: str,
    catalog: Catalog,
    policy: str = DEFAULT_POLICY,
    ttl: int = 3600,
    existing: list[ZoneFile] | None = None,
    target: str | None = None,
    live_zone: str | None = None,
) -> tuple[Path, str]:
    """Declare ``domain``'s SRV in its zone file (the parent zone's, if one is declared).

    ``target``: the host of ``platform`` custom. ``live_zone``: the apex of the live
    zone holding the domain, as DNS shows it (``add --resolver``); a parent zone
    there gets the declaration even without a file yet. Returns the
    file written and the record name. Refuses to change an existing declaration of
    the domain; on any refusal nothing is written.
    """
    domain = check_domain_name(domain.rstrip(".").lower(), f"domain {domain}")
    value = _srv_value(domain, platform, catalog, target)
    if policy not in POLICIES:
        raise RepositoryError(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")
    record = render_declaration(value, platform, policy, ttl)
    check_record(domain, record, custom=platform == CUSTOM)
    existing = existing or []
    zone, path = _home(zones_dir, provider, domain, existing, live_zone)
    sub = domain[: -len(zone)].rstrip(".")
    name = f"{SRV_LABEL}.{sub}" if sub else SRV_LABEL
    parent = _parent_zone(domain, existing)
    if parent is not None and parent.path != path:  # the domain moves to a zone below
        held = _relative_srv(domain, parent.zone)
        if held in plain(load_zone_yaml(parent.path)):
            raise RepositoryError(
                f"{parent.path}: {domain} is already declared ({held}); edit the file to change it"
            )
    previous = _read_existing(path)
    data = plain(load_zone_yaml(path)) if previous is not None else {}
    if name in data:
        raise RepositoryError(
            f"{path}: {domain} is already declared ({name}); edit the file to change it"
        )
    data[name] = record
    if not write_zone_file(path, f"{zone}.", data, previous=previous):
        raise RepositoryError(
            f"{path} was created or changed while adding {domain}; not overwritten, run add again"
        )
    return path, name


def _srv_value(domain: str, platform: str, catalog: Catalog, target: str | None) -> dict:
    """The SRV value to declare: the catalog platform's, or the custom target's."""
    if platform != CUSTOM:
        entry = catalog.get(platform)
        if target is not None:
            raise RepositoryError(
                f"{domain}: a target is given only with platform custom; platform {platform} "
                f"has its own ({entry.target})"
            )
        return entry.srv_value
    if target is None:
        raise RepositoryError(
            f"{domain}: platform custom needs the target host, e.g. --target "
            "autodiscover.example.com."
        )
    if not target.isascii():
        try:
            hint = f"write it in punycode: {target.encode('idna').decode()}"
        except UnicodeError:
            hint = "it is not a valid host name"
        raise RepositoryError(f"{domain}: custom target {target} is internationalised; {hint}")
    if not _TARGET_CHARS.match(target):
        raise RepositoryError(
            f"{domain}: custom target {target!r} is not a host name; give a fully qualified "
            "host name with a trailing dot, e.g. autodiscover.example.com."
        )
    value = {"port": 443, "priority": 0, "target": target, "weight": 0}
    check_srv_values(domain, [value])  # an IP, no trailing dot, '.'
    return value


def check_record(domain: str, record: dict, custom: bool = False) -> None:
    """octoDNS's own validation of a record ``add`` writes, plus RFC 2181's TTL cap.

    octoDNS refuses a negative TTL (and, for a custom target, a name that is no
    valid FQDN); it accepts TTLs beyond 2**31 - 1, which DNS reads as 0.
    """
    from octodns.record import Record, ValidationError  # the planner loads octoDNS anyway
    from octodns.zone import Zone

    ttl = record["ttl"]
    allowed = f"use a whole number of seconds from 0 to {MAX_TTL}"
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise RepositoryError(f"{domain}: TTL {ttl!r} is not a whole number; {allowed}")
    try:
        Record.new(Zone(f"{domain}.", []), SRV_LABEL, record)
    except ValidationError as e:
        reasons = [str.__str__(r) for r in e.reasons]
        ids = {getattr(r, "validator_id", None) for r in e.reasons}
        if "ttl-rfc" in ids or any("ttl" in r for r in reasons):
            raise RepositoryError(f"{domain}: TTL {ttl} is out of range; {allowed}") from e
        hint = (
            "; give a fully qualified host name with a trailing dot, e.g. autodiscover.example.com."
            if custom
            else ""
        )
        raise RepositoryError(f"{domain}: {'; '.join(reasons)} (octoDNS){hint}") from e
    if ttl > MAX_TTL:
        raise RepositoryError(f"{domain}: TTL {ttl} is out of range; {allowed} (RFC 2181)")


def _home(
    zones_dir: Path,
    provider: str,
    domain: str,
    existing: list[ZoneFile],
    live_zone: str | None,
) -> tuple[str, Path]:
    """The zone (no trailing dot) and zone file that declare ``domain``.

    A declared zone file at or above the domain holds it (its provider must be
    ``provider``). Given ``live_zone``, live DNS decides where there is no such
    file, or when the domain lies in a zone of its own below that file's zone; a
    live zone above the declared one contradicts the repository and is refused.
    """
    parent = _parent_zone(domain, existing)
    apex = None
    if live_zone is not None:
        found = live_zone.rstrip(".").lower()
        apex = check_domain_name(found, f"live zone {found} of {domain}")
        if domain != apex and not domain.endswith("." + apex):
            raise RepositoryError(f"{domain}: live DNS names zone {apex}., which does not hold it")
    if parent is not None:
        declared = parent.zone.rstrip(".")
        if apex is None or apex == declared:
            if parent.provider != provider:
                raise RepositoryError(
                    f"{domain} lies in zone {parent.zone} which is declared for provider "
                    f"{parent.provider} ({parent.path}); use --provider {parent.provider}"
                )
            return declared, parent.path
        if not apex.endswith("." + declared):
            raise RepositoryError(
                f"{domain}: live DNS puts it in zone {apex}., but {parent.path} declares zone "
                f"{parent.zone} for it; fix the zone files, or add without --resolver"
            )
    zone = apex or domain
    return zone, zones_dir / provider / f"{zone}.yaml"


def render_zone_file(data: dict) -> str:
    """A zone file's text: records by name, keys sorted, as octoDNS's YamlProvider wants."""
    records = dict(sorted(plain(data).items()))
    body = yaml.safe_dump(records, default_flow_style=False, sort_keys=True)
    return "---\n" + body


def write_zone_file(path: Path, zone: str, data: dict, previous: str | None = None) -> bool:
    """Check ``data`` as validate does, render it and write it atomically; True if written.

    Never overwrites what the caller has not read: ``previous=None`` creates the
    file and returns False if it exists already; otherwise ``previous`` is the
    text the caller read, and False means the file no longer holds it.
    """
    check_zone_data(path, zone, data)
    text = render_zone_file(data)
    if previous is None:
        return write_atomically(path, text, replace=False)
    if _read_existing(path) != previous:
        return False
    return write_atomically(path, text)  # keeps the file's mode


def _read_existing(path: Path) -> str | None:
    """A zone file's text, or None if there is no such file."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise RepositoryError(f"{path}: cannot read ({e.strerror})") from e
    except UnicodeDecodeError as e:
        raise RepositoryError(f"{path}: not UTF-8 text; save it as UTF-8") from e


def plain(value):
    """Plain dicts and lists for yaml.safe_dump (octoDNS's loader gives its ContextDict)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def _parent_zone(domain: str, zone_files: list[ZoneFile]) -> ZoneFile | None:
    best = None
    for zf in zone_files:
        zone = zf.zone.rstrip(".")
        if (domain == zone or domain.endswith("." + zone)) and (
            best is None or len(zone) > len(best.zone)
        ):
            best = zf
    return best
