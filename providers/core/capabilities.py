"""What each provider can do, as data: one entry per provider id of config/octodns.yaml.

Read by ``plan.py import`` (can the provider list its zones?) and checked by
tests/test_capabilities.py against the provider classes' defaults, README's providers
tables (generated from here: ``python -m providers.core.capabilities``), the configs'
``env/NAME`` entries, ``.env.example``, the CI secret lists and the credentials each CI
job gets (plan and drift jobs read-only where the provider allows it). Adding a provider:
docs/adding-a-provider.md.

Each yes/no fact is a :class:`Feature`: whether the provider has it and how (or why
not), in a few words, as DNSControl's ``Can("...")``/``Cannot("...")`` notes do.
Pure data: no imports of ours, no network.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    """A yes/no capability and how it is done (or why it is not)."""

    has: bool
    how: str = ""


def can(how: str = "") -> Feature:
    return Feature(True, how)


def cannot(how: str = "") -> Feature:
    return Feature(False, how)


@dataclass(frozen=True)
class Retries:
    """How one request is retried with the default settings."""

    attempts: int  #: per request, the first one included; 1 = no retries
    how: str  #: backoff, Retry-After, what is never retried
    timeout: str  #: per request or socket operation, with the default settings


@dataclass(frozen=True)
class RateLimit:
    """The backend's request limit and what keeps us under it."""

    limit: str  #: the backend's own limit ("none" for our own servers and files)
    budget: str = ""  #: ours; "" = none (the backend's throttling is retried, if at all)


@dataclass(frozen=True)
class JobCredentials:
    """Least privilege in CI: the credential plan jobs (pull-request plan, drift) and the apply
    job get, each as pairs (variable the provider reads, CI secret or variable it comes from).

    The apply job's come only from the protected GitHub Environment ``dns-apply`` or from
    protected GitLab variables scoped to that environment; plan jobs never get them."""

    read_only: Feature  #: can: plans get a credential that cannot write (how); cannot: why not
    plan: tuple[tuple[str, str], ...] = ()  #: plan and drift jobs
    apply: tuple[tuple[str, str], ...] = ()  #: the apply job only

    @property
    def plan_sources(self) -> tuple[str, ...]:
        return tuple(source for _, source in self.plan)

    @property
    def apply_sources(self) -> tuple[str, ...]:
        return tuple(source for _, source in self.apply)


#: a provider that needs no credentials (its entry must say so; the test checks)
NO_CREDENTIALS = JobCredentials(read_only=can("no credentials"))


@dataclass(frozen=True)
class Capabilities:
    """One provider: what it can do, what it needs."""

    id: str  #: provider id in config/octodns.yaml, and its zones/<id>/ folder
    cls: str  #: the class path configs name
    extends: str  #: the upstream octoDNS package it subclasses ("" = octoDNS's BaseProvider)
    lists_zones: Feature  #: ``plan.py import`` lists the zones there
    atomic_apply: Feature  #: a zone's changes go in one request, transaction or rename
    atomic_limit: int | None  #: changes one atomic write takes at most (None: no limit)
    retries: Retries
    rate_limit: RateLimit
    required_env: tuple[str, ...]  #: config ``env/NAME``: must be set
    optional_env: tuple[str, ...]  #: config ``env/NAME/default``: may be set
    ambient_env: tuple[str, ...]  #: read by the client library itself, not through the config
    ci_variables: tuple[str, ...]  #: non-secret CI settings of its own (OIDC roles, regions)
    credentials: str  #: how credentials arrive, when not (only) through env/NAME entries
    permissions: str  #: what the credentials must be allowed to do (markdown)
    complete_view: Feature  #: reads every (owner, type) the backend serves (core/liveview.py)
    creates_zones: Feature  #: always cannot: a missing zone is an error, never created
    job_credentials: JobCredentials = NO_CREDENTIALS  #: read-only for plans, write for apply

    @property
    def env(self) -> tuple[str, ...]:
        """Every variable the config reads for this provider, required first."""
        return self.required_env + self.optional_env


NEVER_CREATES = "a missing zone is an error naming it; create it at the provider first"

PROVIDERS: dict[str, Capabilities] = {
    caps.id: caps
    for caps in (
        Capabilities(
            id="cloudflare",
            cls="providers.cloudflare.CloudflareProvider",
            extends="octodns-cloudflare",
            lists_zones=can("the account's zone list (`account_id` narrows it)"),
            atomic_apply=can(
                "one `POST /zones/{id}/dns_records/batch` per zone (deletes, patches, posts); "
                "above 200 operations, chunks of 200; `batch: false`: one request per record"
            ),
            atomic_limit=200,
            retries=Retries(
                attempts=6,
                how="429, 5xx, timeouts and connection errors: bounded (`retry_count` 5), "
                "exponential backoff from 1 s with jitter, `Retry-After` honoured, each wait "
                "capped at 60 s (`max_retry_after`); 401/403 never retried",
                timeout="15 s per socket operation",
            ),
            rate_limit=RateLimit(
                limit="1,200 requests per 5 minutes",
                budget="1,100 requests per 300 s (`requests_per_window`, `window_seconds`)",
            ),
            required_env=("CLOUDFLARE_API_TOKEN",),
            optional_env=("CLOUDFLARE_ACCOUNT_ID", "CLOUDFLARE_API_URL"),
            ambient_env=(),
            ci_variables=(),
            credentials="",
            permissions="plans: token with Zone:Read and DNS:Read; apply: Zone:Read and DNS:Edit",
            complete_view=can("the raw record list, one records request per zone"),
            creates_zones=cannot(NEVER_CREATES),
            job_credentials=JobCredentials(
                read_only=can("a second API token with Zone:Read and DNS:Read only"),
                plan=(("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_TOKEN_READ"),),
                apply=(("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_TOKEN"),),
            ),
        ),
        Capabilities(
            id="route53",
            cls="providers.route53.Route53Provider",
            extends="octodns-route53",
            lists_zones=can("the account's hosted zones (public, or private with `private_zones`)"),
            atomic_apply=can(
                "one `ChangeResourceRecordSets` change batch per zone; above 1,000 resource "
                "records (octodns-route53's `max_changes`), several batches"
            ),
            atomic_limit=1000,
            retries=Retries(
                attempts=11,
                how="botocore's standard retry mode (`client_max_attempts` 10), backoff capped "
                "at 20 s, throttling and transient errors only",
                timeout="60 s connect + 60 s read (botocore's defaults)",
            ),
            rate_limit=RateLimit(
                limit="10 requests/s per account (5/s in older AWS documentation) and a "
                "limit on record changes per second",
                budget="",
            ),
            required_env=(),
            optional_env=(),
            ambient_env=(
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "AWS_PROFILE",
                "AWS_ROLE_ARN",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_ROLE_SESSION_NAME",
                "AWS_DEFAULT_REGION",
                "AWS_ENDPOINT_URL_ROUTE_53",
            ),
            # GitHub: repository variables for aws-actions/configure-aws-credentials;
            # GitLab: AWS_ROLE_ARN and the job's ID token AWS_ID_TOKEN
            ci_variables=("AWS_ROLE_ARN", "AWS_PLAN_ROLE_ARN", "AWS_REGION", "AWS_ID_TOKEN"),
            credentials="the AWS credential chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, "
            "`AWS_PROFILE`, role/OIDC); `AWS_ENDPOINT_URL_ROUTE_53` honoured",
            permissions="plans (read-only role): `route53:ListHostedZones`, "
            "`ListHostedZonesByName`, `ListResourceRecordSets`, `ListHealthChecks`; apply: "
            "those and `ChangeResourceRecordSets`, `GetChange`",
            complete_view=can("the record sets listed per zone, routing-policy and alias sets"),
            creates_zones=cannot(NEVER_CREATES),
            job_credentials=JobCredentials(
                read_only=can("a role with the List actions only, assumed through OIDC"),
                plan=(("AWS_ROLE_ARN", "AWS_PLAN_ROLE_ARN"),),
                apply=(("AWS_ROLE_ARN", "AWS_ROLE_ARN"),),
            ),
        ),
        Capabilities(
            id="bind",
            cls="providers.bind.Rfc2136Provider",
            extends="octodns-bind",
            lists_zones=cannot(
                "RFC 2136 and AXFR have no zone list: `import` needs `--zones` or a CSV "
                "and reads each zone to see that it exists"
            ),
            atomic_apply=can(
                "one TSIG-signed RFC 2136 UPDATE per zone; above 1,000 changes "
                "(octodns-bind's `update_batch_size`), several"
            ),
            atomic_limit=1000,
            retries=Retries(
                attempts=1,
                how="none: a failure is reported for the zone and the next run plans what is left",
                timeout="10 s per AXFR (the whole transfer) and per UPDATE",
            ),
            rate_limit=RateLimit(limit="none"),
            required_env=("BIND_HOST", "BIND_TSIG_NAME", "BIND_TSIG_SECRET"),
            optional_env=("BIND_PORT", "BIND_TSIG_ALGORITHM"),
            ambient_env=(),
            ci_variables=(),
            credentials="",
            permissions="plans: a TSIG key in `allow-transfer { key NAME; };` only; apply: "
            "a key in `allow-transfer` and `allow-update { key NAME; };` (or an "
            "`update-policy` grant), per zone",
            complete_view=can("the AXFR itself: every type, glue, names under a DNAME"),
            creates_zones=cannot(NEVER_CREATES + " (RFC 2136 cannot create zones)"),
            job_credentials=JobCredentials(
                read_only=can("a second TSIG key that may transfer (AXFR) but not update"),
                plan=(
                    ("BIND_TSIG_NAME", "BIND_TSIG_NAME_READ"),
                    ("BIND_TSIG_SECRET", "BIND_TSIG_SECRET_READ"),
                ),
                apply=(
                    ("BIND_TSIG_NAME", "BIND_TSIG_NAME"),
                    ("BIND_TSIG_SECRET", "BIND_TSIG_SECRET"),
                ),
            ),
        ),
        Capabilities(
            id="powerdns",
            cls="providers.powerdns.PowerDnsProvider",
            extends="octodns-powerdns",
            lists_zones=can("`GET /api/v1/servers/localhost/zones`"),
            atomic_apply=can("one `PATCH` of the zone's RRsets per zone"),
            atomic_limit=None,
            retries=Retries(
                attempts=1,
                how="none: a failure is reported for the zone and the next run plans what is left",
                timeout="10 s per socket operation",
            ),
            rate_limit=RateLimit(limit="none"),
            required_env=("PDNS_API_URL", "PDNS_API_KEY"),
            optional_env=(),
            ambient_env=(),
            ci_variables=(),
            credentials="",
            permissions="API key; PowerDNS has no read-only key: plans need the full key",
            complete_view=can("the zone's `GET`, enabled records only, LUA as the server serves"),
            creates_zones=cannot(NEVER_CREATES + " (upstream's POST on 404 is refused)"),
            job_credentials=JobCredentials(
                read_only=cannot(
                    "the API key has no scopes: a plan job given `PDNS_API_KEY_PLAN` holds a key "
                    "that can write (restrict the API to the runners with "
                    "`webserver-allow-from`), or leave it unset and PowerDNS zones out of CI plans"
                ),
                plan=(("PDNS_API_KEY", "PDNS_API_KEY_PLAN"),),
                apply=(("PDNS_API_KEY", "PDNS_API_KEY"),),
            ),
        ),
        Capabilities(
            id="local",
            cls="providers.zonefile.ZoneFileProvider",
            extends="",
            lists_zones=can("the zone files in `directory` and `seed_directory`"),
            atomic_apply=can(
                "one rename per zone (temporary file, fsync, rename) under a per-zone lock"
            ),
            atomic_limit=None,
            retries=Retries(
                attempts=1,
                how="none; a zone locked by another apply is waited for, then refused",
                timeout="60 s wait for the zone's lock",
            ),
            rate_limit=RateLimit(limit="none"),
            required_env=(),
            optional_env=(),
            ambient_env=(),
            ci_variables=(),
            credentials="none",
            permissions="files in `live/`",
            complete_view=can("the parsed file, `$INCLUDE` and `$GENERATE` expanded"),
            creates_zones=cannot(NEVER_CREATES + " (a zone file must exist, live or seed)"),
            job_credentials=NO_CREDENTIALS,
        ),
        Capabilities(
            id="dnsmadeeasy",
            cls="providers.dnsmadeeasy.DnsMadeEasyProvider",
            extends="octodns-dnsmadeeasy",
            lists_zones=can("the account's domain list (`GET /dns/managed/`, every page)"),
            atomic_apply=cannot(
                "DNS Made Easy has no transactions: up to three multi-record requests per zone "
                "(deletes, `updateMulti` in place, `createMulti`), 200 records each; a zone's "
                "writes start only when the account's reported budget covers all of them"
            ),
            atomic_limit=None,
            retries=Retries(
                attempts=5,
                how='the rate limit (400 "Rate limit exceeded", 429) on any request, and 5xx, '
                "timeouts and dropped connections on reads: bounded (`retry_count` 4), "
                "exponential backoff from 10 s with jitter, `Retry-After` honoured, each wait "
                "capped at 60 s (`max_retry_after`); a write without an answer, 401/403 and "
                "refused connections never retried",
                timeout="15 s per socket operation",
            ),
            rate_limit=RateLimit(
                limit="150 requests per rolling 5 minutes per account (`x-dnsme-requestLimit`, "
                "`x-dnsme-requestsRemaining`)",
                budget="140 requests per 300 s (`requests_per_window`, `window_seconds`); a "
                "zone's writes wait for our own requests to leave the window, or stop with "
                "nothing written when other clients of the account hold it",
            ),
            required_env=("DNSMADEEASY_API_KEY", "DNSMADEEASY_SECRET_KEY"),
            optional_env=("DNSMADEEASY_API_URL",),
            ambient_env=(),
            ci_variables=(),
            credentials="",
            permissions="API key and secret key of a user with API access to the domains; "
            "no read-only key: plans need a pair that can write unless the account has a user "
            "without write access",
            complete_view=can(
                "the paged record list, every type (HTTPRED as A, ANAME as A and AAAA), one "
                "read per zone"
            ),
            creates_zones=cannot(NEVER_CREATES + " (upstream's domain create on 404 is refused)"),
            job_credentials=JobCredentials(
                read_only=cannot(
                    "a key pair has its user's rights: give plan jobs the pair of a user without "
                    "write access (`DNSMADEEASY_API_KEY_PLAN`, `DNSMADEEASY_SECRET_KEY_PLAN`) "
                    "where the account has such users, else leave them unset and DNS Made Easy "
                    "zones out of CI plans"
                ),
                plan=(
                    ("DNSMADEEASY_API_KEY", "DNSMADEEASY_API_KEY_PLAN"),
                    ("DNSMADEEASY_SECRET_KEY", "DNSMADEEASY_SECRET_KEY_PLAN"),
                ),
                apply=(
                    ("DNSMADEEASY_API_KEY", "DNSMADEEASY_API_KEY"),
                    ("DNSMADEEASY_SECRET_KEY", "DNSMADEEASY_SECRET_KEY"),
                ),
            ),
        ),
        Capabilities(
            id="godaddy",
            cls="providers.godaddy.GoDaddyProvider",
            extends="",
            lists_zones=cannot(
                "only the records endpoints are used: `import` needs `--zones` or a CSV and "
                "reads each zone to see that it exists"
            ),
            atomic_apply=cannot(
                "no transaction: one `PUT` or `DELETE` of "
                "`/v1/domains/{domain}/records/{type}/{name}` per changed set (an SRV PUT sends "
                "the host's other SRV records back unchanged); the deletes a PUT needs, the "
                "PUTs, then the other deletes"
            ),
            atomic_limit=None,
            retries=Retries(
                attempts=5,
                how="429, 5xx, timeouts and resets: bounded (`retry_count` 4), exponential "
                "backoff from 1 s with jitter, `Retry-After` (or the body's `retryAfterSec`) "
                "honoured, each wait capped at 60 s (`max_retry_after`); 401/403/404/422 never "
                "retried; a PUT or DELETE of one set is idempotent",
                timeout="15 s per request (connect, and each read)",
            ),
            rate_limit=RateLimit(
                limit="60 requests per minute",
                budget="55 requests per 60 s (`requests_per_window`, `window_seconds`)",
            ),
            required_env=("GODADDY_API_KEY", "GODADDY_API_SECRET"),
            optional_env=("GODADDY_API_URL",),
            ambient_env=(),
            ci_variables=(),
            credentials="",
            permissions="production API key and secret of the account holding the domains (no "
            "read-only key: plans need the full key); GoDaddy opens the Domains API only to "
            "accounts with 10 or more domains or a paid plan (else 403 `ACCESS_DENIED`: use "
            "`zones/manual/`)",
            complete_view=can(
                "the domain's record list (`GET /v1/domains/{domain}/records`, paged)"
            ),
            creates_zones=cannot(
                NEVER_CREATES + " (a 404 domain is refused; no create call exists)"
            ),
            job_credentials=JobCredentials(
                read_only=cannot(
                    "GoDaddy API keys have no scopes: a plan job given `GODADDY_API_KEY_PLAN` "
                    "holds a key that can write; leave it unset to keep GoDaddy zones out of CI "
                    "plans"
                ),
                plan=(
                    ("GODADDY_API_KEY", "GODADDY_API_KEY_PLAN"),
                    ("GODADDY_API_SECRET", "GODADDY_API_SECRET_PLAN"),
                ),
                apply=(
                    ("GODADDY_API_KEY", "GODADDY_API_KEY"),
                    ("GODADDY_API_SECRET", "GODADDY_API_SECRET"),
                ),
            ),
        ),
        Capabilities(
            id="manual",
            cls="providers.manual.ManualProvider",
            extends="",
            lists_zones=cannot("a DNS host without an API lists nothing: `import` needs a CSV"),
            atomic_apply=cannot(
                "writes nothing to DNS: apply writes the zone's work order (one atomic rename "
                "per file) and a person makes the change"
            ),
            atomic_limit=None,
            retries=Retries(
                attempts=2,
                how="each DNS query over UDP, resent once after `--timeout`; truncated answers "
                "over TCP",
                timeout="2 s per query try (`--timeout`)",
            ),
            rate_limit=RateLimit(limit="none (DNS queries to the zone's nameservers)"),
            required_env=(),
            optional_env=(),
            ambient_env=(),
            ci_variables=(),
            credentials="none",
            permissions="none: DNS queries to the zone's nameservers; a person with access to "
            "the DNS panel makes the change",
            complete_view=can(
                "the owned names as every authoritative nameserver serves them (a probe below "
                "`autodiscover` tells explicit records from a wildcard's answers)"
            ),
            creates_zones=cannot(NEVER_CREATES + " (an NXDOMAIN zone is refused)"),
            job_credentials=NO_CREDENTIALS,
        ),
    )
}


# -- accessors ------------------------------------------------------------------------


def get(provider_id: str) -> Capabilities | None:
    """The entry of a provider id, or None."""
    return PROVIDERS.get(provider_id)


def of(provider: object) -> Capabilities | None:
    """The entry of a provider object: its class, or the nearest base class we describe."""
    by_class = {caps.cls: caps for caps in PROVIDERS.values()}
    for klass in type(provider).__mro__:
        caps = by_class.get(f"{klass.__module__}.{klass.__qualname__}")
        if caps is not None:
            return caps
    return None


def lists_zones(provider: object) -> bool:
    """Can ``plan.py import`` list this provider's zones? (Unknown providers cannot.)"""
    caps = of(provider)
    return caps is not None and caps.lists_zones.has


def not_listing() -> list[str]:
    """Provider ids whose zones must be named (``--zones`` or a CSV)."""
    return [pid for pid, caps in PROVIDERS.items() if not caps.lists_zones.has]


def all_env() -> set[str]:
    """Every variable some provider's config entry reads (the CI secret lists)."""
    return {name for caps in PROVIDERS.values() for name in caps.env}


def required_env() -> set[str]:
    return {name for caps in PROVIDERS.values() for name in caps.required_env}


def ambient_env() -> set[str]:
    return {name for caps in PROVIDERS.values() for name in caps.ambient_env}


def ci_variables() -> set[str]:
    return {name for caps in PROVIDERS.values() for name in caps.ci_variables}


# -- README ---------------------------------------------------------------------------

README_BEGIN = "<!-- providers table: generated by `python -m providers.core.capabilities` -->"
README_END = "<!-- end of the generated providers table -->"


def _code(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _variables(caps: Capabilities) -> str:
    parts = []
    if caps.required_env:
        parts.append(_code(caps.required_env))
    if caps.optional_env:
        parts.append("optional " + _code(caps.optional_env))
    if caps.credentials:
        parts.append(caps.credentials)
    return ", ".join(parts)


def _yes(feature: Feature) -> str:
    return "yes" if feature.has else "no"


def readme_tables() -> str:
    """README's two providers tables, between their markers."""
    lines = [
        README_BEGIN,
        "",
        "| provider id | octoDNS provider | variables | permissions |",
        "|---|---|---|---|",
    ]
    for caps in PROVIDERS.values():
        extends = f" (extends {caps.extends})" if caps.extends else ""
        lines.append(
            f"| `{caps.id}` | `{caps.cls}`{extends} | {_variables(caps)} | {caps.permissions} |"
        )
    lines += [
        "",
        "| provider id | lists zones (`import`) | one write per zone | attempts per request "
        "| timeout | rate limit | complete view | creates zones |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for caps in PROVIDERS.values():
        limit = f"yes, up to {caps.atomic_limit:,} changes" if caps.atomic_limit else "yes"
        atomic = limit if caps.atomic_apply.has else "no"
        budget = caps.rate_limit.budget.split(" (")[0]
        budget = f"; our budget {budget}" if budget else ""
        lines.append(
            f"| `{caps.id}` | {_yes(caps.lists_zones)} | {atomic} | {caps.retries.attempts} "
            f"| {caps.retries.timeout} | {caps.rate_limit.limit}{budget} "
            f"| {_yes(caps.complete_view)} | {_yes(caps.creates_zones)} |"
        )
    lines += ["", README_END]
    return "\n".join(lines)


if __name__ == "__main__":
    print(readme_tables())
