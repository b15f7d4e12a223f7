"""Plans scoped to a change (``--changed-since REF``), through the CLI in real git repositories.

Each test copies config/, zones/ and examples/ into a temporary directory, commits them in a
new git repository, changes files as a pull request would, and runs plan.py as a user does.
The last tests run the GitHub and GitLab pipelines' own step scripts in such a repository.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from providers.planner.engine import in_shard
from tests.helpers import one_error_line, run_cli, srv_zone_yaml
from tests.test_workflows import Pipeline

LOCAL = ("adatum.com.", "contoso.com.", "fabrikam.net.", "northwind.io.", "tailspin.org.")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com",
         "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture
def repo(workspace: Path) -> Path:
    """The fresh-clone workspace as a git repository with one commit on main."""
    (workspace / ".gitignore").write_text("/live/\n/.locks/\n/.venv/\n")
    (workspace / "NOTES.md").write_text("notes\n")
    git(workspace, "init", "-q")
    commit_all(workspace, "base")
    return workspace


def plan_json(root: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    done = run_cli("plan", "--quiet", "--format", "json", *args, cwd=root)
    assert "Traceback" not in done.stderr, done.stderr
    return done, json.loads(done.stdout) if done.stdout else {}


def planned(report: dict) -> list[str]:
    return [z["zone"] for z in report["zones"]]


def scope_line(stderr: str) -> str:
    (line,) = [x for x in stderr.splitlines() if x.startswith("scope: ")]
    return line


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def live_copy(root: Path, zone: str, like: str) -> None:
    """The provider's zone file for a new zone ``zone``, made from ``like``'s."""
    text = (root / "examples/live" / f"{like}zone").read_text()
    (root / "examples/live" / f"{zone}zone").write_text(text.replace(like, zone))


# -- which zones ---------------------------------------------------------------------------


def test_a_changed_zone_file_plans_only_its_zone(repo: Path):
    edit(repo / "zones/local/contoso.com.yaml", "ttl: 3600", "ttl: 600")
    done, report = plan_json(repo, "--changed-since", "HEAD")
    assert done.returncode == 0, done.stderr
    reason = "1 zone(s) changed since HEAD (zones/local/contoso.com.yaml)"
    assert scope_line(done.stderr) == f"scope: {reason}"
    assert report["scope"] == {"changed_since": "HEAD", "zones": ["contoso.com."], "reason": reason}
    assert planned(report) == ["contoso.com."]
    srv = next(c for c in report["zones"][0]["changes"] if c["type"] == "SRV")
    assert srv["after"]["ttl"] == 600

    # committed on a branch: the same set against the branch it started from
    git(repo, "checkout", "-q", "-b", "feature")
    commit_all(repo, "contoso TTL")
    done, again = plan_json(repo, "--changed-since", "main")
    assert done.returncode == 0, done.stderr
    assert again["scope"]["zones"] == ["contoso.com."]
    assert again["checksum"] == report["checksum"]
    _, nothing = plan_json(repo, "--changed-since", "HEAD")
    assert nothing["scope"]["zones"] == []


def test_a_renamed_zone_file_plans_the_new_name_and_reports_the_old(repo: Path):
    live_copy(repo, "fabrikam.org.", "fabrikam.net.")
    git(repo, "mv", "zones/local/fabrikam.net.yaml", "zones/local/fabrikam.org.yaml")
    done, report = plan_json(repo, "--changed-since", "HEAD")
    assert done.returncode == 0, done.stderr
    assert report["scope"]["zones"] == ["fabrikam.org."]
    note = scope_line(done.stderr)
    assert "zones/local/fabrikam.net.yaml -> zones/local/fabrikam.org.yaml" in note
    assert note.endswith("no longer managed (zone file deleted), nothing to plan: fabrikam.net")
    assert planned(report) == ["fabrikam.org."]
    assert report["zones"][0]["changes"], "the new zone is planned against its provider"

    # renamed without git (mv): a deleted file and an untracked one, the same set
    git(repo, "reset", "-q")
    assert (repo / "zones/local/fabrikam.org.yaml").exists()
    done, unstaged = plan_json(repo, "--changed-since", "HEAD")
    assert done.returncode == 0, done.stderr
    assert unstaged["scope"]["zones"] == ["fabrikam.org."]
    assert "fabrikam.net.yaml (deleted)" in unstaged["scope"]["reason"]
    assert "fabrikam.org.yaml (added)" in unstaged["scope"]["reason"]
    assert unstaged["checksum"] == report["checksum"]


def test_a_deleted_zone_file_plans_nothing_and_says_so(repo: Path):
    (repo / "zones/local/tailspin.org.yaml").unlink()
    done, report = plan_json(repo, "--changed-since", "HEAD", "--detailed-exitcode")
    assert done.returncode == 0, done.stderr
    assert scope_line(done.stderr) == (
        "scope: no zone to plan since HEAD (zones/local/tailspin.org.yaml (deleted)); "
        "no longer managed (zone file deleted), nothing to plan: tailspin.org"
    )
    assert report["scope"]["zones"] == []
    assert planned(report) == []
    assert report["summary"]["zones"] == 0


def test_an_added_untracked_zone_file_is_planned(repo: Path):
    live_copy(repo, "contoso.net.", "contoso.com.")
    added = run_cli("add", "contoso.net", "--platform", "exchange-2016", "--provider", "local",
                    cwd=repo)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert git(repo, "status", "--porcelain", "zones") == "?? zones/local/contoso.net.yaml"
    done, report = plan_json(repo, "--changed-since", "HEAD")
    assert done.returncode == 0, done.stderr
    assert report["scope"]["zones"] == ["contoso.net."]
    assert "zones/local/contoso.net.yaml (added)" in scope_line(done.stderr)
    assert planned(report) == ["contoso.net."]
    assert any(c["action"] == "create" for c in report["zones"][0]["changes"])


def test_a_subdomain_declared_in_its_parent_zone_file_plans_the_parent(repo: Path):
    added = run_cli("add", "eu.contoso.com", "--platform", "cloudmail", "--provider", "local",
                    cwd=repo)  # fmt: skip
    assert added.returncode == 0, added.stderr
    done, report = plan_json(repo, "--changed-since", "HEAD")
    assert done.returncode == 0, done.stderr
    assert report["scope"]["zones"] == ["contoso.com."]
    assert planned(report) == ["contoso.com."]
    names = {c["name"] for c in report["zones"][0]["changes"]}
    assert "_autodiscover._tcp.eu" in names

    # tailspin.org declares eu.tailspin.org: its change scopes tailspin.org
    git(repo, "checkout", "-q", "--", "zones")
    eu = "platform: exchange-2016\n"  # the eu.tailspin.org entry's
    edit(repo / "zones/local/tailspin.org.yaml", eu, eu + "      policy: report\n")
    _, tailspin = plan_json(repo, "--changed-since", "HEAD")
    assert tailspin["scope"]["zones"] == ["tailspin.org."]


def test_a_zone_file_added_below_a_zone_scopes_the_parent_too(repo: Path):
    (repo / "zones/local/eu.northwind.io.yaml").write_text(srv_zone_yaml([""]))
    live_copy(repo, "eu.northwind.io.", "northwind.io.")
    done, report = plan_json(repo, "--changed-since", "HEAD")
    assert done.returncode == 0, done.stderr
    assert report["scope"]["zones"] == ["eu.northwind.io.", "northwind.io."]
    assert sorted(planned(report)) == ["eu.northwind.io.", "northwind.io."]


@pytest.mark.parametrize(
    ("path", "tracked"),
    [("config/local.yaml", True), ("config/extra.yaml", False),
     ("requirements-dev.lock", False), ("pyproject.toml", False)],
)  # fmt: skip
def test_a_change_beside_the_zone_files_plans_the_whole_estate(
    repo: Path, path: str, tracked: bool
):
    edit(repo / "zones/local/contoso.com.yaml", "ttl: 3600", "ttl: 600")
    target = repo / path
    if tracked:
        target.write_text(target.read_text() + "# reviewed\n")
    else:
        target.write_text("# new\n")
    done, report = plan_json(repo, "--changed-since", "HEAD")
    assert done.returncode == 0, done.stderr
    reason = f"whole estate: {path} changed since HEAD"
    assert scope_line(done.stderr) == f"scope: {reason}"
    assert report["scope"] == {"changed_since": "HEAD", "zones": None, "reason": reason}
    assert planned(report) == sorted(LOCAL)


def test_only_unrelated_files_changed_plans_nothing(repo: Path):
    (repo / "NOTES.md").write_text("more notes\n")
    (repo / "examples/README").write_text("untracked, outside zones/ and config/\n")
    done, report = plan_json(repo, "--changed-since", "HEAD", "--detailed-exitcode")
    assert done.returncode == 0, done.stderr
    assert scope_line(done.stderr) == "scope: no zone files changed since HEAD"
    assert report["scope"]["zones"] == []
    assert planned(report) == []
    assert report["summary"]["zones_with_changes"] == 0
    text = run_cli("plan", "--quiet", "--changed-since", "HEAD", cwd=repo)
    assert text.returncode == 0, text.stderr
    assert "no zone files changed since HEAD" in text.stderr


def test_zone_filters_and_shards_narrow_the_set(repo: Path):
    for zone in ("contoso.com", "adatum.com", "northwind.io"):
        edit(repo / f"zones/local/{zone}.yaml", "ttl: 3600", "ttl: 600")
    changed = ["adatum.com.", "contoso.com.", "northwind.io."]
    _, named = plan_json(repo, "--changed-since", "HEAD", "contoso.com")
    assert named["scope"]["zones"] == changed
    assert planned(named) == ["contoso.com."]
    done, outside = plan_json(repo, "--changed-since", "HEAD", "fabrikam.net")
    assert done.returncode == 0, done.stderr
    assert planned(outside) == []
    for index in (1, 2):
        _, shard = plan_json(repo, "--changed-since", "HEAD", "--shard", f"{index}/2")
        expected = [z for z in changed if in_shard(z, index, 2)]
        assert sorted(planned(shard)) == expected


# -- errors --------------------------------------------------------------------------------


def test_a_bad_ref_is_one_error_line(repo: Path):
    done = run_cli("plan", "--changed-since", "no-such-branch", cwd=repo)
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert "--changed-since no-such-branch: no such commit" in line
    assert not done.stdout
    applied = run_cli("apply", "--changed-since", "no-such-branch", cwd=repo)
    assert applied.returncode == 1
    assert "no such commit" in one_error_line(applied.stderr)
    assert not (repo / "live").exists()


def test_not_a_git_repository_is_one_error_line(workspace: Path):
    done = run_cli("plan", "--changed-since", "HEAD", cwd=workspace)
    assert done.returncode == 1
    assert "is not in a git work tree" in one_error_line(done.stderr)


# -- nothing outside the set is read ---------------------------------------------------------


def test_zones_outside_the_set_are_not_read_from_the_provider(repo: Path):
    """The embedded default's provider reads examples/live/: a zone file there that is
    corrupt or missing refuses its zone whenever the zone is read."""
    (repo / "examples/live/fabrikam.net.zone").write_text("this is { not a zone file\n")
    (repo / "examples/live/tailspin.org.zone").unlink()
    edit(repo / "zones/local/contoso.com.yaml", "ttl: 3600", "ttl: 600")

    done, scoped = plan_json(repo, "--changed-since", "HEAD")
    assert done.returncode == 0, done.stderr
    assert planned(scoped) == ["contoso.com."]
    assert "fabrikam" not in done.stdout + done.stderr
    assert "tailspin" not in done.stdout + done.stderr

    whole = run_cli("plan", "--quiet", cwd=repo)
    assert whole.returncode == 1
    assert "fabrikam.net. at local: REFUSED" in whole.stdout
    assert "tailspin.org. at local: REFUSED" in whole.stdout

    # a config change puts the whole estate in scope: read, and refused, again
    edit(repo / "config/local.yaml", "max_deletes: 5", "max_deletes: 6")
    done, estate = plan_json(repo, "--changed-since", "HEAD")
    assert done.returncode == 1
    assert estate["scope"]["zones"] is None
    assert {z["zone"] for z in estate["zones"] if z["refused"]} == {
        "fabrikam.net.", "tailspin.org.",
    }  # fmt: skip


# -- apply -----------------------------------------------------------------------------------


def test_apply_applies_the_scoped_set_pinned_by_its_checksum(repo: Path):
    edit(repo / "zones/local/contoso.com.yaml", "ttl: 3600", "ttl: 600")
    _, reviewed = plan_json(repo, "--changed-since", "HEAD")
    checksum = reviewed["checksum"]

    # the same checksum over another set is another plan: refused, nothing written
    whole = run_cli("apply", "--checksum", checksum, cwd=repo)
    assert whole.returncode == 1
    assert "the plan changed since it was reviewed" in whole.stderr
    assert not (repo / "live").exists() or not list((repo / "live").glob("*.zone"))

    applied = run_cli("apply", "--changed-since", "HEAD", "--checksum", checksum, cwd=repo)
    assert applied.returncode == 0, applied.stderr
    assert scope_line(applied.stderr) == f"scope: {reviewed['scope']['reason']}"
    assert "applied contoso.com. at local: 3 change(s)" in applied.stdout
    assert "Tally: 1 zone(s) applied" in applied.stdout
    assert sorted(p.name for p in (repo / "live").glob("*")) == ["contoso.com.zone"]

    done, after = plan_json(repo, "--changed-since", "HEAD", "--detailed-exitcode")
    assert done.returncode == 0, done.stderr
    assert after["summary"]["zones_with_changes"] == 0


# -- the pipelines ---------------------------------------------------------------------------


@pytest.fixture
def pipeline_repo(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """A CI checkout as a git repository: main with one commit, and branch ``pr`` that
    changes contoso.com's zone file after main moved on (an unrelated file)."""
    p = Pipeline(workspace, tmp_path_factory.mktemp("tools"))
    root = p.root
    (root / ".gitignore").write_text("/live/\n/.locks/\n/.venv/\n")
    (root / "NOTES.md").write_text("notes\n")
    git(root, "init", "-q")
    commit_all(root, "base")
    git(root, "checkout", "-q", "-b", "pr")
    edit(root / "zones/local/contoso.com.yaml", "ttl: 3600", "ttl: 600")
    commit_all(root, "contoso TTL")
    git(root, "checkout", "-q", "main")
    (root / "NOTES.md").write_text("main moved on\n")
    commit_all(root, "notes")
    git(root, "update-ref", "refs/remotes/origin/main", "main")
    return p


def merge_pr(root: Path) -> tuple[str, str]:
    """Merge ``pr`` into main as the merge button does: (main before, merge commit)."""
    git(root, "checkout", "-q", "main")
    before = git(root, "rev-parse", "HEAD")
    git(root, "merge", "-q", "--no-ff", "-m", "Merge pull request #5", "pr")
    return before, git(root, "rev-parse", "HEAD")


def test_github_plan_is_scoped_to_the_pull_request_and_apply_to_the_merge(
    pipeline_repo: Pipeline,
):
    p, root = pipeline_repo, pipeline_repo.root
    # the pull_request checkout: GitHub's test merge of the branch into main, detached
    git(root, "checkout", "-q", "--detach", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "test merge", "pr")
    github_env = root.parent / "github_env"
    github_env.write_text("")
    found = p.github("plan.yml", "Merge base", GITHUB_BASE_REF="main", GITHUB_ENV=str(github_env))
    assert found.returncode == 0, found.stderr
    base = git(root, "rev-parse", "main")
    assert github_env.read_text().splitlines() == [f"CHANGED_SINCE={base}"]

    planned_ = p.github("plan.yml", "Plan", CHANGED_SINCE=base)
    assert planned_.returncode == 0, planned_.stderr
    assert "scope: 1 zone(s) changed since" in planned_.stderr
    report = json.loads((root / "plan.json").read_text())
    assert report["scope"]["zones"] == ["contoso.com."]
    assert planned(report) == ["contoso.com."]
    env = {"PR": "5", "HEAD_SHA": "d" * 40, "RUN_URL": "https://ci.example/run/1"}
    built = p.github("plan.yml", "Build the comment", PLAN_OUTCOME="success",
                     ARTIFACT_URL="https://ci.example/artifacts/9", **env)  # fmt: skip
    assert built.returncode == 0, built.stderr
    assert p.github("plan.yml", "Post or update the plan comment", **env).returncode == 0
    for name in ("plan.json", "plan.md", "comment.md", "comments.json"):
        (root / name).unlink()

    # the merge: apply.yml on the push, with the commit main was at before it
    before, merge = merge_pr(root)
    p.update(merged={merge: [{"number": 5, "merged_at": "2026-01-02T00:00:00Z",
                              "merge_commit_sha": merge}]})  # fmt: skip
    found = p.github("apply.yml", "Find the reviewed checksum", SHA=merge, INPUT_CHECKSUM="")
    assert found.returncode == 0, found.stderr
    assert p.output("checksum") == report["checksum"]

    # without the push's previous commit (a run by hand) the plan is the whole estate: refused
    manual = p.github("apply.yml", "Apply the reviewed plan", CHECKSUM=report["checksum"])
    assert manual.returncode == 1
    assert not (root / "live").exists() or not list((root / "live").glob("*.zone"))

    applied = p.github("apply.yml", "Apply the reviewed plan", CHECKSUM=report["checksum"],
                       BEFORE=before)  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    assert f"scope: 1 zone(s) changed since {before}" in applied.stderr
    assert "applied contoso.com. at local: 3 change(s)" in applied.stdout
    assert "Tally: 1 zone(s) applied" in applied.stdout


def test_gitlab_plan_is_scoped_to_the_merge_request_and_apply_to_the_merge(
    pipeline_repo: Pipeline,
):
    p, root = pipeline_repo, pipeline_repo.root
    env = {
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        "CI_PROJECT_ID": "1",
        "CI_MERGE_REQUEST_IID": "12",
        "CI_JOB_URL": "https://gitlab.example/g/domains/-/jobs/77",
        "GITLAB_API_TOKEN": "fake",
    }
    # a merge request pipeline checks out the source branch; the diff base is the fork point
    git(root, "checkout", "-q", "pr")
    base = git(root, "merge-base", "main", "pr")
    head = git(root, "rev-parse", "HEAD")
    planned_ = p.gitlab("plan", CI_COMMIT_SHA=head, CI_MERGE_REQUEST_DIFF_BASE_SHA=base, **env)
    assert planned_.returncode == 0, planned_.stderr
    assert f"scope: 1 zone(s) changed since {base}" in planned_.stderr
    report = json.loads((root / "plan.json").read_text())
    assert planned(report) == ["contoso.com."]
    for name in ("plan.json", "plan.md", "comment.md"):
        (root / name).unlink()

    before, merge = merge_pr(root)
    p.update(merged={merge: [{"iid": 12, "state": "merged", "merge_commit_sha": merge}]})
    checksum = report["checksum"]
    # a pipeline run by hand with the checksum only plans the whole estate: refused
    manual = p.gitlab("apply", CI_COMMIT_SHA=merge, REVIEWED_CHECKSUM=checksum, **env)
    assert manual.returncode == 1
    assert "the plan changed since it was reviewed" in manual.stderr

    applied = p.gitlab("apply", CI_COMMIT_SHA=merge, CI_COMMIT_BEFORE_SHA=before, **env)
    assert applied.returncode == 0, applied.stderr
    assert f"reviewed plan of merge request !12: {checksum}" in applied.stdout
    assert "applied contoso.com. at local: 3 change(s)" in applied.stdout
    assert "Tally: 1 zone(s) applied" in applied.stdout

    # by hand with the set too: the same plan, already live (the whole estate is not)
    again = p.gitlab("apply", CI_COMMIT_SHA=merge, REVIEWED_CHECKSUM=checksum,
                     REVIEWED_CHANGED_SINCE=before, **env)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "Nothing to apply" in again.stdout
