"""A moto Route53 endpoint for tests, seeded and read back with plain boto3.

moto's ThreadedMotoServer runs as a thread of the test process, so its state
(and the patches below) is process-global: one MotoRoute53 at a time. A CLI
started in a subprocess with ``env`` talks to the same server.

Two patches make moto 5.2.5 answer as Route53 does (test harness only):
ListHealthChecks carries ``IsTruncated``, and a DELETE must name exactly one
existing record set with all its values (moto deletes every set of the name
and type, or every set of that SetIdentifier in the zone, whatever the values).
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import boto3
import requests
from moto.core.responses import ActionResult
from moto.route53.exceptions import Route53ClientError
from moto.route53.models import Route53Backend
from moto.route53.responses import Route53
from moto.server import ThreadedMotoServer

from tests.servers import HOST

__all__ = [
    "MotoRoute53",
    "R53Record",
    "alias_set",
    "patch_moto_exact_deletes",
    "patch_moto_list_health_checks",
    "routed_set",
]

# (name, type, ttl, [values]) with values in Route53 syntax (TXT quoted).
R53Record = tuple[str, str, int, list[str]]

_PATCH_LOCK = threading.Lock()
_PATCHED_ATTR = "_autodiscover_dns_is_truncated_patch"


def patch_moto_list_health_checks() -> None:
    """Make moto's ListHealthChecks reply carry IsTruncated/Marker/MaxItems.

    moto 5.2.5 returns only ``HealthChecks``; octodns-route53 reads
    ``resp['IsTruncated']`` whenever it deletes a record and dies with
    KeyError. Real Route53 always sends these required fields. Idempotent;
    test harness only, never product code.
    """
    with _PATCH_LOCK:
        if getattr(Route53.list_health_checks, _PATCHED_ATTR, False):
            return
        original = Route53.list_health_checks

        def list_health_checks(self: Route53) -> ActionResult:
            result = original(self)
            data = dict(result.result)  # type: ignore[call-overload]
            data.setdefault("IsTruncated", False)
            data.setdefault("Marker", "")
            data.setdefault("MaxItems", "100")
            return ActionResult(data)

        setattr(list_health_checks, _PATCHED_ATTR, True)
        Route53.list_health_checks = list_health_checks  # type: ignore[method-assign]


#: while True (set by MotoRoute53.start), moto's DELETEs behave as Route53's
_EXACT_DELETES = {"on": False}
_EXACT_ATTR = "_autodiscover_dns_exact_deletes_patch"
#: the routing and health fields Route53 compares, besides name, type and SetIdentifier
_SET_FIELDS = ("Weight", "Region", "Failover", "GeoLocation", "HealthCheckId")


def _norm_name(name: str) -> str:
    return name.replace("\\052", "*").lower().rstrip(".")


def _stored(record_set) -> dict[str, Any]:
    """A moto RecordSet as Route53 compares it on DELETE."""
    values = [v["Value"] if isinstance(v, dict) else v for v in record_set.records or []]
    alias = record_set.alias_target
    return {
        "Name": _norm_name(record_set.name),
        "Type": record_set.type,
        "SetIdentifier": record_set.set_identifier,
        "TTL": None if record_set.ttl is None else int(record_set.ttl),
        "ResourceRecords": sorted(values),
        "AliasTarget": _alias(alias),
        "Weight": None if record_set.weight is None else int(record_set.weight),
        "Region": record_set.region,
        "Failover": record_set.failover,
        "GeoLocation": record_set.geo_location or None,
        "MultiValueAnswer": bool(record_set.multi_value_answer),
        "HealthCheckId": record_set.health_check_id,
    }


def _requested(rrset: dict[str, Any]) -> dict[str, Any]:
    """The ResourceRecordSet of a DELETE request, in the form of :func:`_stored`."""
    values = [v["Value"] if isinstance(v, dict) else v for v in rrset.get("ResourceRecords") or []]
    out = {
        "Name": _norm_name(rrset["Name"]),
        "Type": rrset.get("Type"),
        "SetIdentifier": rrset.get("SetIdentifier"),
        "TTL": None if rrset.get("TTL") is None else int(rrset["TTL"]),
        "ResourceRecords": sorted(values),
        "AliasTarget": _alias(rrset.get("AliasTarget")),
        "MultiValueAnswer": str(rrset.get("MultiValueAnswer", False)).lower() == "true",
    }
    for key in _SET_FIELDS:
        out[key] = rrset.get(key) or None
    if out["Weight"] is not None:
        out["Weight"] = int(out["Weight"])
    return out


def _alias(target: dict[str, Any] | None) -> tuple | None:
    if not target:
        return None
    evaluate = str(target.get("EvaluateTargetHealth", False)).lower() == "true"
    return (_norm_name(target["DNSName"]), target["HostedZoneId"], evaluate)


def _delete_exactly(zone, rrset: dict[str, Any]) -> None:
    """Remove the one set ``rrset`` names, if every value matches, as Route53 does."""
    wanted = _requested(rrset)
    ident = (wanted["Name"], wanted["Type"], wanted["SetIdentifier"])
    for record_set in zone.rrsets:
        have = _stored(record_set)
        if (have["Name"], have["Type"], have["SetIdentifier"]) != ident:
            continue
        if have != wanted:
            raise Route53ClientError(
                "InvalidChangeBatch",
                f"[Tried to delete resource record set {_label(rrset)} but the values provided "
                "do not match the current values]",
            )
        zone.rrsets.remove(record_set)
        return
    raise Route53ClientError(
        "InvalidChangeBatch",
        f"[Tried to delete resource record set {_label(rrset)} but it was not found]",
    )


def _label(rrset: dict[str, Any]) -> str:
    """Route53's way of naming a set in its errors."""
    ident = f", set-identifier='{rrset['SetIdentifier']}'" if rrset.get("SetIdentifier") else ""
    return f"[name='{rrset['Name']}', type='{rrset.get('Type')}'{ident}]"


def patch_moto_exact_deletes() -> None:
    """While ``_EXACT_DELETES['on']``: a batch's DELETEs must each match one set exactly
    (name, type, SetIdentifier, TTL, values or alias target, routing fields, health
    check), else InvalidChangeBatch and nothing changes; only that set is removed.

    DELETEs are done before the batch's CREATE/UPSERTs (octodns-route53 sorts them
    first anyway). A failing batch leaves the zone as it was. Idempotent.
    """
    with _PATCH_LOCK:
        if getattr(Route53Backend.change_resource_record_sets, _EXACT_ATTR, False):
            return
        original = Route53Backend.change_resource_record_sets

        def change_resource_record_sets(self, zoneid, change_list):
            if not _EXACT_DELETES["on"]:
                return original(self, zoneid, change_list)
            zone = self.get_hosted_zone(zoneid)
            saved = (list(zone.rrsets), list(zone.rr_changes))
            try:
                rest = []
                for change in change_list:
                    if change["Action"] != "DELETE":
                        rest.append(change)
                        continue
                    _delete_exactly(zone, change["ResourceRecordSet"])
                    zone.rr_changes.append(copy.deepcopy(change))
                if rest:
                    original(self, zoneid, rest)
            except BaseException:
                zone.rrsets[:] = saved[0]
                zone.rr_changes[:] = saved[1]
                raise

        setattr(change_resource_record_sets, _EXACT_ATTR, True)
        Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


def routed_set(
    name: str, rtype: str, ttl: int, values: list[str], set_id: str, **policy: Any
) -> dict[str, Any]:
    """A routing-policy ResourceRecordSet (name relative to the zone, '@' or absolute);
    ``policy``: Weight=, Failover=, GeoLocation=, Region=, MultiValueAnswer=, HealthCheckId=."""
    return {
        "Name": name,
        "Type": rtype,
        "SetIdentifier": set_id,
        **policy,
        "TTL": ttl,
        "ResourceRecords": [{"Value": v} for v in values],
    }


def alias_set(
    name: str, rtype: str, dns_name: str, hosted_zone_id: str, evaluate: bool = False,
    **policy: Any,
) -> dict[str, Any]:  # fmt: skip
    """An alias ResourceRecordSet (plus SetIdentifier= and routing fields if given)."""
    return {
        "Name": name,
        "Type": rtype,
        **policy,
        "AliasTarget": {
            "HostedZoneId": hosted_zone_id,
            "DNSName": dns_name,
            "EvaluateTargetHealth": evaluate,
        },
    }


class MotoRoute53:
    """moto Route53 on 127.0.0.1:<free port> plus a boto3 client to seed/read it."""

    access_key = "testing"
    secret_key = "testing"
    region = "us-east-1"

    def __init__(self, exact_deletes: bool = True) -> None:
        #: moto's DELETEs behave as Route53's (see patch_moto_exact_deletes)
        self.exact_deletes = exact_deletes
        self.host = HOST
        self.port = 0
        self.startup_seconds: float | None = None
        self._server: ThreadedMotoServer | None = None
        self._client: Any = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for a subprocess (or monkeypatch) to reach this server."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL_ROUTE_53": self.url,
            "AWS_ENDPOINT_URL": self.url,
        }

    @property
    def client(self) -> Any:
        """boto3 Route53 client bound to this server (not to the environment)."""
        if self._client is None:
            raise RuntimeError("start() the server first")
        return self._client

    # ---------------------------------------------------------------- life cycle

    def start(self) -> MotoRoute53:
        """Patch moto, start the server on a free port (port 0: no race), reset state."""
        if self._server is not None:
            raise RuntimeError("MotoRoute53 already started")
        began = time.monotonic()
        patch_moto_list_health_checks()
        patch_moto_exact_deletes()
        _EXACT_DELETES["on"] = self.exact_deletes
        # werkzeug logs every request at INFO to stderr; keep test output readable.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address=self.host, port=0, verbose=False)
        self._server.start()
        self.port = self._server.get_host_and_port()[1]
        self._reset()
        self._client = boto3.client(
            "route53",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )
        self._client.list_hosted_zones()  # proves the endpoint answers
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """Wipe moto's global state and stop the server thread. Safe to call twice."""
        if self._server is None:
            return
        try:
            self._reset()
        finally:
            _EXACT_DELETES["on"] = False
            self._server.stop()
            self._server = None
            self._client = None

    def __enter__(self) -> MotoRoute53:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -------------------------------------------------------- boto3 interface

    def create_zone(self, name: str) -> str:
        """Create a public hosted zone (moto adds SOA + NS); return its bare id."""
        resp = self.client.create_hosted_zone(
            Name=_absolute(name), CallerReference=str(uuid.uuid4())
        )
        return resp["HostedZone"]["Id"].rsplit("/", 1)[-1]

    def create_private_zone(self, name: str, vpc_id: str = "vpc-0a1b2c3d4e5f60718") -> str:
        """Create a private hosted zone attached to ``vpc_id``; return its bare id."""
        resp = self.client.create_hosted_zone(
            Name=_absolute(name),
            CallerReference=str(uuid.uuid4()),
            HostedZoneConfig={"PrivateZone": True, "Comment": "split horizon"},
            VPC={"VPCRegion": self.region, "VPCId": vpc_id},
        )
        return resp["HostedZone"]["Id"].rsplit("/", 1)[-1]

    def create_health_check(self, ip: str, port: int = 443) -> str:
        """A plain HTTPS health check (as a console user makes one); return its id."""
        resp = self.client.create_health_check(
            CallerReference=str(uuid.uuid4()),
            HealthCheckConfig={"IPAddress": ip, "Port": port, "Type": "HTTPS"},
        )
        return resp["HealthCheck"]["Id"]

    def health_check_ids(self) -> set[str]:
        return {h["Id"] for h in self.client.list_health_checks()["HealthChecks"]}

    def zone_name(self, zone_id: str) -> str:
        return self.client.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"]

    def add_records(self, zone_id: str, records: Sequence[R53Record]) -> None:
        """UPSERT simple RRsets in one change batch.

        Names: '@', relative to the zone, or absolute. Wildcards are sent as a
        literal '*' (moto stores it that way; real Route53 answers '\\052').
        """
        zone = self.zone_name(zone_id)
        changes = []
        for name, rtype, ttl, values in records:
            fqdn = zone if name in ("@", "") else name if name.endswith(".") else f"{name}.{zone}"
            changes.append(
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": fqdn,
                        "Type": rtype,
                        "TTL": ttl,
                        "ResourceRecords": [{"Value": v} for v in values],
                    },
                }
            )
        self.client.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": changes}
        )

    def add_sets(self, zone_id: str, sets: Sequence[dict[str, Any]]) -> None:
        """CREATE whole ResourceRecordSets (see routed_set, alias_set) in one batch.

        Names as in add_records; an alias target's ``HostedZoneId`` of None becomes
        this zone's id (an alias to a record of the same zone).
        """
        zone = self.zone_name(zone_id)
        changes = []
        for rrset in sets:
            rrset = copy.deepcopy(dict(rrset))
            name = rrset["Name"]
            if name in ("@", ""):
                rrset["Name"] = zone
            elif not name.endswith("."):
                rrset["Name"] = f"{name}.{zone}"
            target = rrset.get("AliasTarget")
            if target is not None and target.get("HostedZoneId") is None:
                target["HostedZoneId"] = zone_id
            changes.append({"Action": "CREATE", "ResourceRecordSet": rrset})
        self.client.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": changes}
        )

    def records(self, zone_id: str) -> list[dict[str, Any]]:
        """All RRsets (every page), as boto3 returns them, sorted by (Name, Type)."""
        out: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("list_resource_record_sets")
        for page in paginator.paginate(HostedZoneId=zone_id):
            out.extend(page["ResourceRecordSets"])
        return sorted(out, key=lambda r: (r["Name"], r["Type"], r.get("SetIdentifier", "")))

    # ----------------------------------------------------------------- internals

    def _reset(self) -> None:
        """moto's state is per process, not per server: start and end empty."""
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
