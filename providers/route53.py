"""Route53, through octodns-route53: retries for throttling, and no zone creation.

octodns-route53 already sends one atomic ChangeResourceRecordSets batch per
zone and decodes ``\\052`` wildcards; it would also create a missing hosted
zone during apply, which we refuse.
"""

from __future__ import annotations

from botocore.exceptions import ClientError
from octodns_route53 import Route53Provider as _Route53Provider

from .errors import ZoneMissingError


class Route53Provider(_Route53Provider):
    """Credentials from the standard AWS chain; ``client_max_attempts`` defaults to 10."""

    def __init__(self, id: str, *args, client_max_attempts: int = 10, **kwargs) -> None:
        super().__init__(id, *args, client_max_attempts=client_max_attempts, **kwargs)

    def _get_zone_id(self, name, create=False):
        zone_id = super()._get_zone_id(name, create=False)
        if create and not zone_id:
            raise ZoneMissingError(
                f"zone {name} has no Route53 hosted zone; create it there first "
                "(autodiscover-dns never creates zones); nothing written"
            )
        return zone_id

    def _apply(self, plan):
        try:
            return super()._apply(plan)
        except ClientError as e:  # the hosted zone went away after planning
            if e.response.get("Error", {}).get("Code") != "NoSuchHostedZone":
                raise
            raise ZoneMissingError(
                f"zone {plan.desired.name} has no Route53 hosted zone any more (deleted after "
                "the plan was made); autodiscover-dns never creates zones; nothing written"
            ) from None
