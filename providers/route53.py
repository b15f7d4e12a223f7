"""Route53, through octodns-route53, reading and changing hosted zones as they really are.

What octodns-route53 (1.3.1) does that we change:

- It reads one record set per (name, type): of two weighted ``_autodiscover._tcp``
  SRV sets, one right and one pointing at an old server, it saw only the first
  and planned nothing. Routing-policy sets (``SetIdentifier``: weighted,
  latency, failover, geolocation, geoproximity, IP-based, multivalue) of a
  (name, type) are read here as one record whose values are the union of every
  set's values, with the sets themselves, exactly as listed, under
  ``octodns: {route53: {record_sets: [...]}}`` (the JSON plan shows them).
- It deletes such records without their ``SetIdentifier`` (Route53 refuses the
  batch). A Delete or Update of a (name, type) with routing-policy sets, or of
  an alias record (octoDNS type ``Route53Provider/ALIAS``), deletes each set
  exactly as the plan read it (routing fields, health check, TTL, values or
  alias target); an Update then creates the new plain set, all in the zone's
  one ChangeBatch. If a set changed since the plan, Route53 refuses the whole
  batch and nothing is written. Plain sets are planned and changed by
  octodns-route53 unchanged.
- Sets that make up an octoDNS "dynamic" record (owners ``_octodns-...`` and
  the rule sets whose alias targets point there) stay octodns-route53's.
- A public and a private hosted zone of the same name stopped every zone
  ("Multiple zones named"). Only public hosted zones are read and changed
  unless ``private_zones: true``. Two hosted zones of the same name and kind
  stop a run only when it plans that zone, with one line saying so.
- It would create a missing hosted zone during apply, which we refuse.
- Each populate records the complete view of the zone (every owner and type,
  alias sets as their DNS type, ``\\052`` read as ``*``) for the policy
  (:mod:`providers.core.liveview`), from the record sets it already listed.

botocore retries throttling and transient errors ("standard" mode: backoff
capped at 20 s); what still fails is reported in one line naming the zone and
what to do. A refused connection or an endpoint host that does not resolve is
not retried (botocore would, for about 25 s): the run stops at once with one line
naming the endpoint and ``AWS_ENDPOINT_URL_ROUTE_53`` (or ``AWS_ENDPOINT_URL``).
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from octodns.provider.plan import Plan
from octodns.record import Change, Delete, Record, Update
from octodns.zone import Zone
from octodns_route53 import Route53Provider as _Route53Provider
from octodns_route53.provider import Route53ProviderException, _octal_replace
from octodns_route53.record import Route53AliasRecord

from .core.errors import AutodiscoverError, ZoneMissingError
from .core.liveview import LiveViewMixin
from .core.unreachable import cannot_reach, never_connected

THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "PriorRequestNotComplete",
    "RequestLimitExceeded",
    "TooManyRequestsException",
}
DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "UnrecognizedClientException",
}

ALIAS_TYPE = Route53AliasRecord._type
#: octodns-route53 gives alias records this TTL (Route53 keeps none for them)
ALIAS_TTL = 942942942
#: how octodns-route53 names the sets of its own dynamic records
DYNAMIC_PREFIX = "_octodns-"
#: the variables botocore takes the Route53 endpoint from, the specific one first
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_ROUTE_53", "AWS_ENDPOINT_URL")
DEFAULT_ENDPOINT = "https://route53.amazonaws.com"


class Route53Error(AutodiscoverError):
    """Route53 refused, throttled on every attempt, or could not be reached."""


def _flag(value: object, option: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0", ""):
        return False
    raise Route53Error(f"Route53 provider option {option} must be true or false, not {value!r}")


def owner(rrset: dict) -> str:
    """The set's absolute owner name with Route53's octal escapes (``\\052``) decoded."""
    return _octal_replace(rrset["Name"])


def is_upstream_dynamic(rrset: dict) -> bool:
    """Part of an octoDNS dynamic record, as octodns-route53 writes and reads them: sets
    owned by ``_octodns-<pool>-...`` names, and the rule sets at the record's own name
    whose alias target is such a name (their SetIdentifiers ``<rule>-<geo>`` and
    ``<pool>-<nnn>`` are only parsed for these)."""
    if owner(rrset).startswith(DYNAMIC_PREFIX):
        return True
    target = (rrset.get("AliasTarget") or {}).get("DNSName", "")
    return _octal_replace(target).startswith(DYNAMIC_PREFIX)


def is_routed(sets: list[dict]) -> bool:
    """Several sets behind one (name, type): a routing policy (SetIdentifier)."""
    return any("SetIdentifier" in s for s in sets)


def _set_key(rrset: dict) -> str:
    return rrset.get("SetIdentifier", "")


def _unique(values: Iterable[Any]) -> list[Any]:
    seen: set[str] = set()
    out: list[Any] = []
    for value in values:
        key = json.dumps(value, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


class Route53Provider(LiveViewMixin, _Route53Provider):
    """Credentials from the standard AWS chain.

    Options besides octodns-route53's:

    - ``client_max_attempts`` (default 10): botocore attempts per API call.
    - ``private_zones`` (default ``false``): which hosted zones this provider
      reads and changes. ``false``: public hosted zones only (a private zone of
      the same name, split horizon, is ignored and never touched); ``true``:
      private hosted zones only (configure a second provider entry for them).
      Replaces octodns-route53's ``private``.
    """

    def __init__(
        self,
        id: str,
        *args: Any,
        client_max_attempts: int = 10,
        private_zones: bool | str = False,
        **kwargs: Any,
    ) -> None:
        if "private" in kwargs:
            raise Route53Error(
                f"Route53 provider {id}: use private_zones (true or false) instead of private"
            )
        self.client_max_attempts = client_max_attempts
        self.private_zones = _flag(private_zones, "private_zones")
        self._zone_id_lock = threading.Lock()
        super().__init__(
            id,
            *args,
            client_max_attempts=client_max_attempts,
            private=self.private_zones,
            **kwargs,
        )
        #: names held by more than one hosted zone of the kind we manage
        self._r53_duplicates: set[str] = set()
        # first among botocore's retry handlers, whatever the retry mode
        service = self._conn.meta.service_model.service_id.hyphenize()
        self._conn.meta.events.register_first(f"needs-retry.{service}", _no_retry_unreachable)

    @property
    def endpoint_url(self) -> str:
        return str(self._conn.meta.endpoint_url)

    #: (name -> hosted zone id) as octodns-route53 caches it, None until listed
    _r53_zones: dict[str, str] | None

    # -- hosted zones -------------------------------------------------------------

    def update_r53_zones(self, name: str) -> None:
        """List the account's hosted zones once; a duplicate name stops only that zone."""
        if self._r53_zones is not None or self.get_zones_by_name or self.vpc_id is not None:
            return super().update_r53_zones(name)
        zones: dict[str, str] = {}
        duplicates: set[str] = set()
        params: dict[str, str] = {}
        while True:
            resp = self._conn.list_hosted_zones(**params)
            for hosted in resp["HostedZones"]:
                private = hosted.get("Config", {}).get("PrivateZone", False)
                if private != self.private:
                    continue
                zone_name = _octal_replace(hosted["Name"])
                if zone_name in zones:
                    duplicates.add(zone_name)
                zones.setdefault(zone_name, hosted["Id"])
            if not resp.get("IsTruncated"):
                break
            params["Marker"] = resp["NextMarker"]
        self._r53_duplicates = duplicates
        self._r53_zones = zones

    def _get_zone_id(self, name: str, create: bool = False) -> str | None:
        # octoDNS plans zones in parallel: unlocked, each worker lists every hosted zone
        with self._zone_id_lock:
            zone_id = super()._get_zone_id(name, create=False)
        if name in self._r53_duplicates:
            kind = "private" if self.private_zones else "public"
            raise Route53Error(
                f"Route53 failed reading zone {name}: the account has several {kind} hosted "
                f"zones named {name}, so which one serves it is unclear; delete the unused one; "
                "nothing written"
            )
        if create and not zone_id:
            raise ZoneMissingError(
                f"zone {name} has no Route53 hosted zone; create it there first "
                "(autodiscover-dns never creates zones); nothing written"
            )
        return zone_id

    # -- reading ------------------------------------------------------------------

    def populate(self, zone: Zone, target: bool = False, lenient: bool = False) -> bool:
        try:
            exists = super().populate(zone, target=target, lenient=lenient)
            zone_id = self._get_zone_id(zone.name) if exists else None
            rrsets = self._load_records(zone_id) if zone_id else None  # cached: no new call
        except (ClientError, BotoCoreError, Route53ProviderException) as e:
            raise self._explain(zone.name, "reading", e) from e
        if rrsets is None:
            self.remember_live(zone.name, None)
            return exists
        self.remember_live(zone.name, ((owner(r), r["Type"]) for r in rrsets))
        for (name, _type), sets in self.record_sets(zone, rrsets).items():
            if is_routed(sets):
                record = self._routed_record(zone, name, _type, sets, lenient)
                zone.add_record(record, replace=True, lenient=lenient)
        return exists

    def record_sets(
        self, zone: Zone, rrsets: Iterable[dict[str, Any]]
    ) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """The Route53 sets behind each plain or alias octoDNS record of ``zone``, by
        (name, octoDNS type), as listed: alias sets of a name (any DNS type) are one
        ``Route53Provider/ALIAS`` record, as octodns-route53 reads them. Sets of its
        dynamic records, traffic-policy sets and unsupported types are left out."""
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for rrset in rrsets:
            if (
                rrset["Type"] not in self.SUPPORTS
                or "TrafficPolicyInstanceId" in rrset
                or is_upstream_dynamic(rrset)
            ):
                continue
            name = zone.hostname_from_fqdn(owner(rrset))
            _type = ALIAS_TYPE if "AliasTarget" in rrset else rrset["Type"]
            groups.setdefault((name, _type), []).append(rrset)
        return groups

    def _set_data(self, _type: str, sets: list[dict[str, Any]], zone_name: str) -> dict[str, Any]:
        if _type == ALIAS_TYPE:
            return dict(self._data_for_route53_alias(sets, zone_name), ttl=ALIAS_TTL)
        return getattr(self, f"_data_for_{_type}")(sets[0])

    def _routed_record(
        self, zone: Zone, name: str, _type: str, sets: list[dict[str, Any]], lenient: bool
    ) -> Record:
        """One record for every routing-policy set of (name, type): the union of their
        values (single-value types such as CNAME: the first set's), TTL of the first set
        (by SetIdentifier), and the sets as listed under ``octodns.route53.record_sets``."""
        ordered = sorted(sets, key=_set_key)
        if _type == ALIAS_TYPE:
            data = self._set_data(_type, ordered, zone.name)
            data["values"] = _unique(data["values"])
        else:
            datas = [self._set_data(_type, [s], zone.name) for s in ordered]
            data = dict(datas[0])
            if "values" in data:
                data["values"] = _unique(v for d in datas for v in d["values"])
        data["octodns"] = {"route53": {"record_sets": copy.deepcopy(ordered)}}
        return Record.new(zone, name, data, source=self, lenient=lenient)

    def _data_for_route53_alias(
        self, rrsets: list[dict[str, Any]], zone_name: str
    ) -> dict[str, Any]:
        """As octodns-route53, but a target outside the zone that it does not know as an
        AWS service keeps its full name (it cut the zone's length off it)."""
        data = super()._data_for_route53_alias(rrsets, zone_name)
        zone = zone_name.lower()
        for value, rrset in zip(data["values"], rrsets, strict=True):
            target = rrset["AliasTarget"]["DNSName"]
            decoded = _octal_replace(target).lower()
            in_zone = decoded == zone or decoded.endswith("." + zone)
            if not Route53AliasRecord.is_service_alias(target) and not in_zone:
                value["name"] = target
        return data

    # -- planning -----------------------------------------------------------------

    def _extra_changes(self, desired: Zone, changes: list[Change], **kwargs: Any) -> list[Change]:
        """An owned (name, type) served by routing-policy sets is rewritten as the declared
        plain set unless every set already answers exactly what is declared."""
        extras = super()._extra_changes(desired, changes, **kwargs)
        existing = kwargs.get("existing")
        if existing is None:
            return extras
        zone_id = self._get_zone_id(desired.name)
        if not zone_id:
            return extras
        groups = self.record_sets(desired, self._load_records(zone_id))
        planned = {(c.record.name, c.record._type) for c in [*changes, *extras]}
        current = {(r.name, r._type): r for r in existing.records}
        for record in desired.records:
            key = (record.name, record._type)
            sets = groups.get(key)
            if key in planned or key not in current or not sets or not is_routed(sets):
                continue
            if getattr(record, "dynamic", False) or record._type == ALIAS_TYPE:
                continue
            for rrset in sets:
                data = self._set_data(record._type, [rrset], desired.name)
                served = Record.new(existing, record.name, data, source=self, lenient=True)
                if served.changes(record, self):
                    extras.append(Update(current[key], record))
                    break
        return extras

    # -- writing ------------------------------------------------------------------

    def _exact_sets(
        self, record: Record, existing_rrsets: list[dict[str, Any]]
    ) -> list[dict[str, Any]] | None:
        """The listed sets to delete for ``record`` when octodns-route53 cannot rebuild
        them from its values (routing-policy sets, alias sets); None otherwise."""
        if getattr(record, "dynamic", False):
            return None
        sets = self.record_sets(record.zone, existing_rrsets).get((record.name, record._type))
        if not sets or (record._type != ALIAS_TYPE and not is_routed(sets)):
            return None
        return sorted(sets, key=_set_key)

    @staticmethod
    def _deletes(sets: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"Action": "DELETE", "ResourceRecordSet": copy.deepcopy(s)} for s in sets]

    def _mod_Delete(
        self,
        change: Delete,
        zone_id: str,
        existing_rrsets: list[dict[str, Any]],
        collection_id: str | None = None,
    ) -> list[dict[str, Any]]:
        sets = self._exact_sets(change.existing, existing_rrsets)
        if sets is None:
            return super()._mod_Delete(change, zone_id, existing_rrsets, collection_id)
        return self._deletes(sets)

    def _mod_Update(
        self,
        change: Update,
        zone_id: str,
        existing_rrsets: list[dict[str, Any]],
        collection_id: str | None = None,
    ) -> list[dict[str, Any]]:
        sets = self._exact_sets(change.existing, existing_rrsets)
        if sets is None:
            return super()._mod_Update(change, zone_id, existing_rrsets, collection_id)
        new = self._gen_records(change.new, zone_id, creating=True, collection_id=collection_id)
        return self._deletes(sets) + self._gen_mods("CREATE", new, existing_rrsets)

    def _apply(self, plan: Plan) -> Any:
        try:
            return super()._apply(plan)
        except ClientError as e:  # the hosted zone went away after planning
            if e.response.get("Error", {}).get("Code") != "NoSuchHostedZone":
                raise self._explain(plan.desired.name, "changing", e) from e
            raise ZoneMissingError(
                f"zone {plan.desired.name} has no Route53 hosted zone any more (deleted after "
                "the plan was made); autodiscover-dns never creates zones; nothing written"
            ) from e
        except BotoCoreError as e:
            raise self._explain(plan.desired.name, "changing", e) from e

    def unreachable(self, error: BaseException) -> AutodiscoverError | None:
        """The one line for an endpoint that refuses connections or does not resolve."""
        return cannot_reach(error, self.id, self.endpoint_url, ENDPOINT_VARIABLES, DEFAULT_ENDPOINT)

    def list_zones(self) -> list[str]:
        """Upstream's list (``import``), with an unreachable endpoint named in one line."""
        try:
            return list(super().list_zones())
        except BotoCoreError as e:
            raise self.unreachable(e) or e from e

    def _explain(self, zone: str, what: str, error: Exception) -> AutodiscoverError:
        unreachable = self.unreachable(error)
        if unreachable is not None:  # nothing was sent: the endpoint is wrong or unreachable
            return unreachable
        text = " ".join(str(error).split())
        if isinstance(error, ClientError):
            code = error.response.get("Error", {}).get("Code", "")
            if code in THROTTLED:
                text += (
                    f"; throttled on every attempt (client_max_attempts "
                    f"{self.client_max_attempts}): try again later"
                )
            elif code in DENIED:
                text += "; check the AWS credentials (or role) and their route53 permissions"
            elif code == "InvalidChangeBatch":
                text += (
                    "; the record sets are not what the plan read (changed since?), so "
                    "Route53 refused the whole batch and nothing was written"
                )
        elif not isinstance(error, Route53ProviderException):  # no answer, connection, creds
            text = f"{type(error).__name__}: {text}"
        if what == "changing":
            text += "; run plan again to see what is left"
        return Route53Error(f"Route53 failed {what} zone {zone}: {text}")


def _no_retry_unreachable(caught_exception: BaseException | None = None, **_: Any) -> None:
    """botocore's ``needs-retry`` hook: a refused connection or unknown host is raised now.

    The request never left the machine, so a retry meets the same wrong endpoint;
    botocore's own handlers (registered after this one) decide about the rest.
    """
    if caught_exception is not None and never_connected(caught_exception) is not None:
        raise caught_exception
