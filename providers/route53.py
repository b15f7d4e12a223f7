"""Route53, through octodns-route53: retries for throttling, and no zone creation.

octodns-route53 already sends one atomic ChangeResourceRecordSets batch per
zone and decodes ``\\052`` wildcards; it would also create a missing hosted
zone during apply, which we refuse. botocore retries throttling and transient
errors ("standard" mode: backoff capped at 20 s); what still fails is reported
in one line naming the zone and what to do.
"""

from __future__ import annotations

import threading

from botocore.exceptions import BotoCoreError, ClientError
from octodns_route53 import Route53Provider as _Route53Provider

from .errors import AutodiscoverError, ZoneMissingError

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


class Route53Error(AutodiscoverError):
    """Route53 refused, throttled on every attempt, or could not be reached."""


class Route53Provider(_Route53Provider):
    """Credentials from the standard AWS chain; ``client_max_attempts`` defaults to 10."""

    def __init__(self, id: str, *args, client_max_attempts: int = 10, **kwargs) -> None:
        self.client_max_attempts = client_max_attempts
        self._zone_id_lock = threading.Lock()
        super().__init__(id, *args, client_max_attempts=client_max_attempts, **kwargs)

    def _get_zone_id(self, name, create=False):
        # octoDNS plans zones in parallel: unlocked, each worker lists every hosted zone
        with self._zone_id_lock:
            zone_id = super()._get_zone_id(name, create=False)
        if create and not zone_id:
            raise ZoneMissingError(
                f"zone {name} has no Route53 hosted zone; create it there first "
                "(autodiscover-dns never creates zones); nothing written"
            )
        return zone_id

    def populate(self, zone, target=False, lenient=False):
        try:
            return super().populate(zone, target=target, lenient=lenient)
        except (ClientError, BotoCoreError) as e:
            raise self._explain(zone.name, "reading", e) from None

    def _apply(self, plan):
        try:
            return super()._apply(plan)
        except ClientError as e:  # the hosted zone went away after planning
            if e.response.get("Error", {}).get("Code") != "NoSuchHostedZone":
                raise self._explain(plan.desired.name, "changing", e) from None
            raise ZoneMissingError(
                f"zone {plan.desired.name} has no Route53 hosted zone any more (deleted after "
                "the plan was made); autodiscover-dns never creates zones; nothing written"
            ) from None
        except BotoCoreError as e:
            raise self._explain(plan.desired.name, "changing", e) from None

    def _explain(self, zone: str, what: str, error: Exception) -> Route53Error:
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
        else:  # no answer, no connection, no credentials
            text = f"{type(error).__name__}: {text}"
        if what == "changing":
            text += "; run plan again to see what is left"
        return Route53Error(f"Route53 failed {what} zone {zone}: {text}")
