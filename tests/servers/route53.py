"""A moto Route53 endpoint for tests, seeded and read back with plain boto3.

moto's ThreadedMotoServer runs as a thread of the test process, so its state
(and the ListHealthChecks patch below) is process-global: one MotoRoute53 at a
time. A CLI started in a subprocess with ``env`` talks to the same server.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

import boto3
import requests
from moto.core.responses import ActionResult
from moto.route53.responses import Route53
from moto.server import ThreadedMotoServer

from tests.servers import HOST

__all__ = ["MotoRoute53", "R53Record", "patch_moto_list_health_checks"]

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


def _absolute(name: str) -> str:
    return name if name.endswith(".") else name + "."


class MotoRoute53:
    """moto Route53 on 127.0.0.1:<free port> plus a boto3 client to seed/read it."""

    access_key = "testing"
    secret_key = "testing"
    region = "us-east-1"

    def __init__(self) -> None:
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
            if name in ("@", ""):
                fqdn = zone
            else:
                fqdn = name if name.endswith(".") else f"{name}.{zone}"
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
