"""Provider capabilities (providers/core/capabilities.py) against everything that repeats them.

The data is checked against the provider classes and their defaults, README's providers
tables, ``import``'s "can list zones" check, the configs' ``env/NAME`` entries,
``.env.example`` and the CI secret lists. When one of these fails after a change, change
the data and regenerate README's tables (``.venv/bin/python -m providers.core.capabilities``),
or fix the file that drifted; docs/adding-a-provider.md lists every place.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
import yaml

from providers.core import capabilities
from providers.core.capabilities import PROVIDERS, Capabilities, cannot
from providers.core.liveview import LiveViewMixin
from providers.planner.configuration import YAML_PROVIDERS, env_names
from providers.planner.importer import ProviderZones
from tests.helpers import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
GITLAB = ROOT / ".gitlab-ci.yml"
ENV_EXAMPLE = ROOT / ".env.example"
CONFIGS = {name: ROOT / "config" / name for name in ("octodns.yaml", "local.yaml")}
#: an environment variable's name: upper case with at least one underscore
VARIABLE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
#: the shell loops that unset empty CI secrets: for name in A B \ C; do
UNSET_LOOP = re.compile(r"for name in ((?:[A-Z0-9_\s\\])+?); do")

IDS = list(PROVIDERS)


def provider_class(caps: Capabilities) -> type:
    module, _, name = caps.cls.rpartition(".")
    return getattr(importlib.import_module(module), name)


def config(name: str) -> dict:
    return yaml.safe_load(CONFIGS[name].read_text())


def default(function, parameter: str):
    return inspect.signature(function).parameters[parameter].default


# -- the data itself ----------------------------------------------------------------------


def test_core_module_imports_nothing_of_ours():
    tree = ast.parse(Path(capabilities.__file__).read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "dataclasses"}


@pytest.mark.parametrize("pid", IDS)
def test_entry_is_complete_and_safe(pid):
    caps = PROVIDERS[pid]
    assert caps.id == pid
    for feature in (caps.lists_zones, caps.atomic_apply, caps.complete_view, caps.creates_zones):
        assert feature.how, f"{pid}: say how (or why not), as DNSControl's notes do"
    assert caps.retries.attempts >= 1
    assert caps.retries.how
    assert caps.retries.timeout
    assert caps.rate_limit.limit
    assert caps.permissions
    assert not caps.creates_zones.has, "autodiscover-dns never creates zones"
    assert caps.complete_view.has, "the processor refuses a target without the complete view"
    if not caps.atomic_apply.has:  # the host has no transaction: say what a failure leaves
        assert re.search(r"no transaction|writes nothing", caps.atomic_apply.how), pid
    assert caps.required_env or caps.optional_env or caps.credentials, f"{pid}: no credentials?"
    assert not set(caps.required_env) & set(caps.optional_env)


@pytest.mark.parametrize("pid", IDS)
def test_class_puts_the_live_view_first(pid):
    cls = provider_class(PROVIDERS[pid])
    assert cls.__bases__[0] is LiveViewMixin
    assert capabilities.of(object.__new__(cls)) is PROVIDERS[pid]


@pytest.mark.parametrize("pid", IDS)
def test_lists_zones_is_what_the_class_can_do(pid):
    caps = PROVIDERS[pid]
    assert hasattr(provider_class(caps), "list_zones") == caps.lists_zones.has


def test_retries_timeouts_and_limits_are_the_code_defaults():
    from octodns_bind import Rfc2136Provider as UpstreamBind
    from octodns_cloudflare import CloudflareProvider as UpstreamCloudflare
    from octodns_route53 import Route53Provider as UpstreamRoute53

    from providers import bind, cloudflare, dnsmadeeasy, godaddy, powerdns, route53, zonefile
    from providers.live.queries import DEFAULT_TIMEOUT, TRIES

    cf = PROVIDERS["cloudflare"]
    init = cloudflare.CloudflareProvider.__init__
    assert default(init, "retry_count") + 1 == cf.retries.attempts
    assert default(init, "retry_period") == 1.0
    assert "from 1 s" in cf.retries.how
    assert f"{default(init, 'max_retry_after'):g} s" in cf.retries.how
    assert default(init, "requests_per_window") == 1100
    assert default(init, "window_seconds") == 300
    assert cf.rate_limit.budget.startswith("1,100 requests per 300 s")
    assert cf.retries.timeout.startswith(f"{UpstreamCloudflare.TIMEOUT} s ")
    assert default(init, "batch") is True
    assert cf.atomic_limit == cloudflare.BATCH_LIMIT

    r53 = PROVIDERS["route53"]
    assert default(route53.Route53Provider.__init__, "client_max_attempts") + 1 == (
        r53.retries.attempts
    )
    assert default(UpstreamRoute53.__init__, "max_changes") == r53.atomic_limit

    b = PROVIDERS["bind"]
    assert b.retries.timeout.startswith(f"{default(bind.Rfc2136Provider.__init__, 'timeout')} s ")
    assert default(UpstreamBind.__init__, "update_batch_size") == b.atomic_limit

    pdns = PROVIDERS["powerdns"]
    built = powerdns.PowerDnsProvider("powerdns", "http://127.0.0.1:8081", "key")
    assert pdns.retries.timeout.startswith(f"{built.timeout} s ")

    assert PROVIDERS["local"].retries.timeout.startswith(f"{zonefile.LOCK_TIMEOUT:g} s ")

    dme, init = PROVIDERS["dnsmadeeasy"], dnsmadeeasy.DnsMadeEasyProvider.__init__
    assert default(init, "retry_count") + 1 == dme.retries.attempts
    assert f"from {default(init, 'retry_period'):g} s" in dme.retries.how
    assert f"{default(init, 'max_retry_after'):g} s" in dme.retries.how
    assert dme.rate_limit.budget.startswith(
        f"{default(init, 'requests_per_window')} requests per {default(init, 'window_seconds'):g} s"
    )
    assert dme.retries.timeout.startswith(f"{default(init, 'timeout'):g} s ")

    gd, init = PROVIDERS["godaddy"], godaddy.GoDaddyProvider.__init__
    assert default(init, "retry_count") + 1 == gd.retries.attempts
    assert f"{default(init, 'max_retry_after'):g} s" in gd.retries.how
    assert gd.rate_limit.budget.startswith(
        f"{default(init, 'requests_per_window')} requests per {default(init, 'window_seconds'):g} s"
    )
    assert gd.retries.timeout.startswith(f"{default(init, 'timeout'):g} s ")

    man = PROVIDERS["manual"]
    assert man.retries.attempts == TRIES
    assert man.retries.timeout.startswith(f"{DEFAULT_TIMEOUT:g} s ")


# -- (1) README -----------------------------------------------------------------------------


def test_readme_tables_are_generated_from_the_data():
    readme = (ROOT / "README.md").read_text()
    assert capabilities.readme_tables() in readme, (
        "README's providers tables differ from providers/core/capabilities.py: replace them "
        "with the output of .venv/bin/python -m providers.core.capabilities"
    )
    providers_section = readme.split("## Providers", 1)[1].split("\n## ", 1)[0]
    assert "docs/adding-a-provider.md" in providers_section
    assert (ROOT / "docs" / "adding-a-provider.md").is_file()


def test_readme_rows_name_every_variable_and_permission():
    table = capabilities.readme_tables()
    for caps in PROVIDERS.values():
        (row,) = [line for line in table.splitlines() if line.startswith(f"| `{caps.id}` | `")]
        assert caps.cls in row
        assert caps.permissions in row
        assert all(f"`{name}`" in row for name in caps.env)


# -- (2) import's "can list zones" ------------------------------------------------------------


def test_import_lists_zones_only_where_the_data_says(tmp_path, monkeypatch):
    from providers.bind import Rfc2136Provider
    from providers.zonefile import ZoneFileProvider

    (tmp_path / "example.com.zone").write_text("")
    local = ZoneFileProvider("local", directory=str(tmp_path))
    bind = Rfc2136Provider("bind", host="127.0.0.1")

    class Unknown:  # has list_zones, but no entry says it may be used for it
        def list_zones(self):
            raise AssertionError("called")

    zones = ProviderZones({"local": local, "bind": bind, "other": Unknown()})
    assert zones._list("local") == {"example.com."}
    assert zones._list("bind") is None
    assert zones._list("other") is None

    # the data decides, not the class: an entry saying "cannot" stops the listing
    entry = PROVIDERS["local"]
    patched = {**PROVIDERS, "local": type(entry)(**{**vars(entry), "lists_zones": cannot("x")})}
    monkeypatch.setattr(capabilities, "PROVIDERS", patched)
    assert zones._list("local") is None


def test_nothing_else_decides_whether_a_provider_lists_zones():
    sources = {p: p.read_text() for p in sorted((ROOT / "providers").rglob("*.py"))}
    for path, text in sources.items():
        assert not re.search(r"hasattr\([^)]*list_zones", text), f"{path}: ask capabilities"
    # import's --zones help names the providers that cannot list, from the data
    assert any("capabilities.not_listing()" in text for text in sources.values())
    assert capabilities.not_listing() == ["bind", "godaddy", "manual"]


# -- (3) CI secret lists, the credentials of each CI job, and .env.example ----------------------

#: the protected environment (GitHub) / environment scope (GitLab) of the write credentials
APPLY_ENVIRONMENT = "dns-apply"


def job_credentials(kind: str) -> dict[str, str]:
    """Variable -> the CI secret or variable it comes from, in ``kind`` ("plan": plan and
    drift jobs, "apply": the apply job) jobs, over every provider."""
    return {
        variable: source
        for caps in PROVIDERS.values()
        for variable, source in getattr(caps.job_credentials, kind)
    }


def github_secrets(kind: str) -> dict[str, str]:
    """Variable -> the secret it comes from, in a GitHub job of ``kind`` that runs the planner
    (the settings under their own names, the credentials from the data)."""
    everything = capabilities.all_env()
    sources = {name: name for name in everything}
    sources.update({v: s for v, s in job_credentials(kind).items() if v in everything})
    return sources


def github_env(kind: str) -> dict[str, str]:
    """The env mapping a GitHub job of ``kind`` that runs the planner must have."""
    return {name: f"${{{{ secrets.{s} }}}}" for name, s in github_secrets(kind).items()}


def is_apply_job(job: dict) -> bool:
    environment = job.get("environment")
    if isinstance(environment, dict):
        environment = environment.get("name")
    return environment == APPLY_ENVIRONMENT


@pytest.mark.parametrize("pid", IDS)
def test_plan_and_apply_jobs_get_their_own_credential(pid):
    caps = PROVIDERS[pid]
    creds = caps.job_credentials
    assert creds.read_only.how, f"{pid}: say how plans read (or why no read-only credential)"
    if caps.credentials == "none":
        assert creds == capabilities.NO_CREDENTIALS
        return
    assert creds.plan, f"{pid}: which credential do plan and drift jobs get?"
    assert [v for v, _ in creds.plan] == [v for v, _ in creds.apply]
    assert not set(creds.plan_sources) & set(creds.apply_sources), (
        f"{pid}: plan jobs must never get the apply job's credential"
    )
    for variable, source in creds.plan + creds.apply:
        if variable in caps.env:  # a CI secret, under a name of its own or the variable's
            assert VARIABLE.fullmatch(source), source
        else:  # read by the client library itself (boto3): a CI variable of the provider
            assert variable in caps.ambient_env, variable
            assert source in caps.ci_variables, source
    # README's permissions column says what each kind of job needs, or that plans cannot be
    # read-only
    if creds.read_only.has:
        assert "plans" in caps.permissions, caps.permissions
        assert "apply" in caps.permissions, caps.permissions
    else:
        assert "no read-only" in caps.permissions, caps.permissions


def test_github_secret_lists_hold_every_provider_variable():
    everything = capabilities.all_env()
    assert capabilities.required_env() <= everything
    known = set(github_secrets("plan").values()) | set(github_secrets("apply").values())
    for path in WORKFLOWS:
        text = path.read_text()
        secrets = set(re.findall(r"\bsecrets\.([A-Za-z0-9_]+)", text))
        assert secrets <= known, f"{path.name}: unknown secrets {secrets - known}"
        data = yaml.safe_load(text)
        for name, job in data["jobs"].items():
            kind = "apply" if is_apply_job(job) else "plan"
            for envs in [job.get("env") or {}] + [s.get("env") or {} for s in job["steps"]]:
                given = {k: v for k, v in envs.items() if "secrets." in str(v)}
                if given:
                    assert given == github_env(kind), f"{path.name} job {name} ({kind})"
        for loop in UNSET_LOOP.findall(text):
            names = set(loop.replace("\\", " ").split())
            assert names == everything, f"{path.name}: {names ^ everything}"
        variables = set(re.findall(r"\bvars\.([A-Za-z0-9_]+)", text))
        assert variables <= {"DNS_CONFIG"} | capabilities.ci_variables(), path.name


def test_github_workflows_that_run_plan_get_the_secrets():
    for path in WORKFLOWS:
        text = path.read_text()
        if "plan.py" not in text and "make plan" not in text:
            continue
        assert UNSET_LOOP.search(text), f"{path.name}: no loop unsetting empty secrets"
        assert "secrets.CLOUDFLARE_API_TOKEN" in text, path.name


def test_gitlab_secret_list_holds_every_provider_variable():
    text = GITLAB.read_text()
    loops = UNSET_LOOP.findall(text)
    assert loops, "the setup script unsets empty CI/CD variables"
    for loop in loops:
        assert set(loop.replace("\\", " ").split()) == capabilities.all_env()
    aws = {name for name in VARIABLE.findall(text) if name.startswith("AWS_")}
    assert aws <= capabilities.ambient_env() | capabilities.ci_variables(), aws


def test_gitlab_read_only_jobs_map_the_read_credentials_of_the_data():
    """Plan and drift export each credential variable from its read-only CI/CD variable
    (the mapping of the data, no more, no less); apply reads the write ones as they are."""
    data = yaml.safe_load(GITLAB.read_text())
    script = "\n".join(data[".read-credentials"])
    exported = dict(re.findall(r'export ([A-Z0-9_]+)="\$\{([A-Z0-9_]+):-\}"', script))
    assert exported == job_credentials("plan")
    assert job_credentials("apply") == {v: v for v in job_credentials("apply")}
    # the write credentials it warns about, when one reaches a read-only job
    (warned,) = re.findall(r"for write in ([A-Z0-9_ ]+); do", script)
    assert set(warned.split()) == set(job_credentials("apply").values())


def test_readme_ci_section_names_each_jobs_credentials():
    """README's credentials-per-job table: one row per provider that needs credentials, the
    plan and drift jobs' secrets, then the apply job's; "no read-only" where there is none."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Use it in CI", 1)[1].split("\n## ", 1)[0]
    assert f"`{APPLY_ENVIRONMENT}`" in section
    for caps in PROVIDERS.values():
        creds = caps.job_credentials
        if not creds.plan:
            continue
        rows = [line for line in section.splitlines() if line.startswith(f"| `{caps.id}` |")]
        assert len(rows) == 1, f"README, Use it in CI: one credentials row for {caps.id}"
        _, _, plan_cell, apply_cell, *_ = rows[0].split("|")
        assert all(f"`{s}`" in plan_cell for s in creds.plan_sources), (caps.id, plan_cell)
        assert all(f"`{s}`" in apply_cell for s in creds.apply_sources), (caps.id, apply_cell)
        assert ("no read-only" in plan_cell) == (not creds.read_only.has), plan_cell


def test_env_example_sets_every_provider_variable_and_nothing_unknown():
    text = ENV_EXAMPLE.read_text()
    assigned = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.M))
    assert assigned == capabilities.all_env()
    mentioned = set(VARIABLE.findall(text))
    assert mentioned <= capabilities.all_env() | capabilities.ambient_env(), mentioned


# -- (4) the configs ------------------------------------------------------------------------


@pytest.mark.parametrize("pid", IDS)
def test_config_entry_reads_the_declared_variables(pid):
    caps = PROVIDERS[pid]
    entry = config("octodns.yaml")["providers"][pid]
    assert entry["class"] == caps.cls
    required = env_names(entry)
    assert required == set(caps.required_env)
    assert env_names(entry, with_defaults=True) - required == set(caps.optional_env)


def test_every_target_of_every_config_is_described():
    for name in CONFIGS:
        data = config(name)
        for pid, entry in data["providers"].items():
            if entry["class"] in YAML_PROVIDERS:
                continue
            described = [c for c in PROVIDERS.values() if c.cls == entry["class"]]
            assert described, f"config/{name}: provider {pid} ({entry['class']}) has no entry"


def test_each_provider_has_its_zones_folder_and_route():
    data = config("octodns.yaml")
    for pid in PROVIDERS:
        assert (ROOT / "zones" / pid).is_dir(), f"zones/{pid}/ (with a .gitkeep)"
        source = data["providers"][f"zones-{pid}"]
        assert source["directory"] == f"./zones/{pid}"
        assert data["zones"][f"*{pid}"]["targets"] == [pid]


def test_the_tests_dummy_environment_covers_every_provider_variable():
    """octodns-sync builds every provider: the tests' dummies must cover each one's variables."""
    from tests.helpers import ALL_PROVIDER_ENV

    assert capabilities.required_env() <= set(ALL_PROVIDER_ENV)
