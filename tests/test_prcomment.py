"""The pull request comment: marker, update-in-place decision, counts, collapsing, size limit."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from providers.ci.prcomment import (
    GITHUB_LIMIT,
    MARKER,
    build_comment,
    build_failure_comment,
    extract_checksum,
    find_comment,
    load_comments,
    main,
    merged_request,
)
from tests.helpers import ROOT, run_cli

ARTIFACT = "https://github.com/example/domains/actions/runs/42/artifacts/4242"
BOT = {"login": "github-actions[bot]", "type": "Bot"}
HUMAN = {"login": "alice", "type": "User"}


def zone_entry(i: int, changes: int = 3, warnings: int = 0) -> dict:
    """One zone of the JSON contract with ``changes`` changes (a delete, a create, updates)."""
    name = f"customer-{i:05d}.example"
    srv = {"priority": 0, "weight": 0, "port": 443, "target": "exchange.emailservice.io."}
    kinds = [
        ("delete", "*", "A", {"type": "A", "ttl": 3600, "value": "203.0.113.10"}, None),
        ("create", "_autodiscover._tcp", "SRV", None, {"type": "SRV", "ttl": 3600, "value": srv}),
    ]
    out = []
    for n in range(changes):
        action, rname, rtype, before, after = kinds[n] if n < len(kinds) else (
            "update", f"autodiscover{n}", "TXT",
            {"type": "TXT", "ttl": 300, "value": "v=old"},
            {"type": "TXT", "ttl": 3600, "value": "v=new"},
        )  # fmt: skip
        out.append(
            {
                "action": action,
                "name": rname,
                "type": rtype,
                "before": before,
                "after": after,
                "reason": f"{rname} {rtype} makes Outlook's Autodiscover lookup go astray",
            }
        )
    return {
        "zone": name + ".",
        "provider": "cloudflare",
        "domains": [name],
        "platform": "exchange-2016",
        "policy": "remove",
        "email_domains": [{"domain": name, "platform": "exchange-2016", "policy": "remove"}],
        "changes": out,
        "warnings": [f"warning {w} for {name}" for w in range(warnings)],
    }


def synthetic_report(zones: list[dict]) -> dict:
    """A report of the ``plan --format json`` contract, its summary computed from the zones."""
    changes = [c for z in zones for c in z["changes"]]
    count = {a: sum(1 for c in changes if c["action"] == a) for a in ("create", "update", "delete")}
    return {
        "checksum": "c0ffee" * 10 + "beef",
        "zones": zones,
        "summary": {
            "zones": len(zones),
            "zones_with_changes": sum(1 for z in zones if z["changes"]),
            **count,
            "conflicts_removed": count["delete"],
            "warnings": sum(len(z["warnings"]) for z in zones),
        },
    }


def summary_row(comment: str) -> list[int]:
    """The numbers of the summary table, in column order."""
    lines = comment.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| zones |"))
    return [int(cell) for cell in lines[header + 2].strip("| ").split(" | ")]


SUMMARY_ORDER = ("zones", "zones_with_changes", "zones_refused", "create", "update", "delete",
                 "conflicts_removed", "warnings")  # fmt: skip


# -- marker and checksum ----------------------------------------------------------


def test_marker_opens_the_comment_and_the_checksum_is_recoverable():
    report = synthetic_report([zone_entry(1), zone_entry(2, changes=0)])
    comment = build_comment(report, ARTIFACT)
    assert comment.startswith(MARKER + "\n")
    assert comment.count(MARKER) == 1
    assert extract_checksum(comment) == report["checksum"]
    assert f"Checksum: `{report['checksum']}`" in comment, "the reviewer sees it too"


def test_failure_comment_has_the_marker_but_no_checksum():
    comment = build_failure_comment("https://ci.example/run/7", "a" * 40)
    assert comment.startswith(MARKER)
    assert extract_checksum(comment) is None
    assert "https://ci.example/run/7" in comment
    assert "`aaaaaaaaaaaa`" in comment


def test_checksum_only_from_a_plan_comment():
    assert extract_checksum("Checksum: `" + "a" * 64 + "`") is None, "no marker: not ours"
    hidden = f"{MARKER}\n<!-- autodiscover-dns-checksum: {'b' * 64} -->\nChecksum: `{'c' * 64}`"
    assert extract_checksum(hidden) == "b" * 64, "the hidden line wins"


# -- update-in-place decision -------------------------------------------------------


def comment(cid: int, body: str, user: dict, created: str) -> dict:
    return {"id": cid, "body": body, "user": user, "created_at": created}


def test_existing_marked_comment_is_updated():
    comments = [
        comment(1, "LGTM", HUMAN, "2026-01-01T00:00:00Z"),
        comment(2, f"{MARKER}\nold plan", BOT, "2026-01-01T00:01:00Z"),
        comment(3, "please look at contoso", HUMAN, "2026-01-01T00:02:00Z"),
    ]
    assert find_comment(comments)["id"] == 2
    assert find_comment(comments, author="github-actions[bot]")["id"] == 2


def test_no_marked_comment_means_create():
    comments = [
        comment(1, "LGTM", HUMAN, "2026-01-01T00:00:00Z"),
        comment(2, "CI bot says hello", BOT, "2026-01-01T00:01:00Z"),
    ]
    assert find_comment(comments) is None
    assert find_comment([]) is None


def test_other_comments_are_ignored_and_the_bots_newest_wins():
    comments = [
        comment(5, f"quoting: {MARKER}", HUMAN, "2026-01-03T00:00:00Z"),
        comment(2, f"{MARKER}\nfirst", BOT, "2026-01-01T00:00:00Z"),
        comment(4, f"{MARKER}\nduplicate from a race", BOT, "2026-01-02T00:00:00Z"),
        comment(
            9,
            f"{MARKER}\nanother app",
            {"login": "renovate[bot]", "type": "Bot"},
            "2026-01-04T00:00:00Z",
        ),
    ]
    assert find_comment(comments, author="github-actions[bot]")["id"] == 4
    assert find_comment(comments)["id"] == 9, "without an author: any bot's newest"
    humans_only = [comments[0]]
    assert find_comment(humans_only)["id"] == 5
    assert find_comment(humans_only, author="github-actions[bot]") is None, "never trust others"


def test_gitlab_notes_shape():
    notes = [
        {"id": 10, "body": f"{MARKER}\nplan", "author": {"username": "project_7_bot_x"},
         "system": False, "created_at": "2026-01-01T00:00:00Z"},
        {"id": 11, "body": f"changed the description {MARKER}", "author": {"username": "bob"},
         "system": True, "created_at": "2026-01-02T00:00:00Z"},
    ]  # fmt: skip
    assert find_comment(notes, author="project_7_bot_x")["id"] == 10
    assert find_comment(notes)["id"] == 10, "system notes never count"


def test_pages_from_gh_paginate_and_slurp():
    page1 = [comment(1, "a", HUMAN, "1")]
    page2 = [comment(2, MARKER, BOT, "2")]
    assert load_comments(json.dumps(page1) + json.dumps(page2)) == page1 + page2
    assert load_comments(json.dumps([page1, page2])) == page1 + page2
    assert load_comments("") == []


def test_merged_request_for_a_commit():
    sha = "f" * 40
    pulls = [
        {"number": 7, "merged_at": None, "merge_commit_sha": "1" * 40},
        {"number": 8, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": "2" * 40},
        {"number": 9, "merged_at": "2026-01-01T00:00:00Z", "merge_commit_sha": sha},
    ]
    assert merged_request(pulls, sha) == 9
    assert merged_request(pulls[:2], sha) is None, "only the request whose merge made sha"
    assert merged_request([{**pulls[0], "merge_commit_sha": sha}], sha) is None, "not merged"
    mrs = [{"iid": 3, "state": "merged", "merge_commit_sha": None, "squash_commit_sha": sha}]
    assert merged_request(mrs, sha) == 3
    fast_forward = [{"iid": 4, "state": "merged", "merge_commit_sha": None, "sha": sha}]
    assert merged_request(fast_forward, sha) == 4


# -- content: counts, collapsing ----------------------------------------------------


def test_summary_counts_match_the_plan_json(workspace: Path):
    out = run_cli("plan", "--format", "json", cwd=workspace)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    text = build_comment(report, ARTIFACT)
    assert summary_row(text) == [report["summary"].get(k, 0) for k in SUMMARY_ORDER]
    assert summary_row(text)[:6] == [5, 4, 0, 5, 1, 6]
    for zone in report["zones"]:
        if zone["changes"]:
            assert f"<b>{zone['zone']}</b>" in text


def test_summary_counts_of_a_synthetic_plan():
    report = synthetic_report([zone_entry(i, changes=i % 4, warnings=i % 2) for i in range(40)])
    assert summary_row(build_comment(report)) == [
        report["summary"].get(k, 0) for k in SUMMARY_ORDER
    ]


def test_each_zone_is_one_collapsed_block():
    zones = [zone_entry(1), zone_entry(2, warnings=1), zone_entry(3, changes=0)]
    text = build_comment(synthetic_report(zones), ARTIFACT)
    assert text.count("<details>") == 2, "a zone without changes gets no block"
    assert text.count("</details>") == 2
    assert text.count("<summary>") == 2
    assert "<details open" not in text, "collapsed"
    assert text.index("| zones |") < text.index("<details>"), "summary table first"
    assert re.search(r"^1 zone\(s\) without changes .*not listed", text, re.MULTILINE)
    assert "not shown" not in text
    assert ARTIFACT in text, "the full plan is linked even when nothing was cut"


# -- size ------------------------------------------------------------------------------


def test_two_thousand_domains_with_changes_stay_below_the_limit():
    report = synthetic_report(
        [zone_entry(i, changes=3, warnings=int(i % 3 == 0)) for i in range(2000)]
    )
    full = build_comment(report, ARTIFACT, limit=10**9)
    assert len(full) > 4 * GITHUB_LIMIT, "the test must really need truncation"

    text = build_comment(report, ARTIFACT)
    assert len(text) < GITHUB_LIMIT
    assert len(text.encode()) < GITHUB_LIMIT
    shown = text.count("<details>")
    assert 0 < shown < 2000
    assert text.count("<details>") == text.count("</details>"), "no block cut in half"
    match = re.search(r"\*\*(\d+) more zone\(s\) not shown\*\*[^\n]*", text)
    assert match, "says that details were cut"
    assert int(match.group(1)) + shown == 2000
    assert ARTIFACT in match.group(0), "points to the full plan artifact where it says so"
    assert summary_row(text) == [report["summary"].get(k, 0) for k in SUMMARY_ORDER]
    assert extract_checksum(text) == report["checksum"]


@pytest.mark.parametrize("limit", [4000, 20000, 65536, 1000000])
def test_any_limit_is_respected(limit: int):
    report = synthetic_report([zone_entry(i, changes=5) for i in range(3000)])
    text = build_comment(report, None, limit=limit)
    assert len(text.encode()) < limit
    assert "this run's artifacts" in text


def test_multibyte_text_is_counted_safely():
    zones = [zone_entry(i) for i in range(1500)]
    for z in zones:
        z["warnings"] = ["Zone hébergée chez un panneau qui recrée « * » — à vérifier"] * 2
    text = build_comment(synthetic_report(zones), ARTIFACT)
    assert len(text.encode()) < GITHUB_LIMIT


def test_too_small_a_limit_is_an_error():
    with pytest.raises(ValueError, match="too small"):
        build_comment(synthetic_report([zone_entry(1)]), limit=200)


# -- CLI ------------------------------------------------------------------------------


def test_cli_build_find_checksum_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture):
    report = synthetic_report([zone_entry(i) for i in range(2000)])
    (tmp_path / "plan.json").write_text(json.dumps(report))
    out = tmp_path / "comment.md"
    assert main(["build", "--plan", str(tmp_path / "plan.json"), "--out", str(out),
                 "--artifact-url", ARTIFACT, "--commit", "d" * 40]) == 0  # fmt: skip
    body = out.read_text()
    assert len(body) < GITHUB_LIMIT
    assert "`dddddddddddd`" in body

    comments = [comment(1, "hi", HUMAN, "1"), comment(77, body, BOT, "2")]
    (tmp_path / "comments.json").write_text(json.dumps(comments[:1]) + json.dumps(comments[1:]))
    capsys.readouterr()
    assert main(["find", "--comments", str(tmp_path / "comments.json"),
                 "--author", "github-actions[bot]"]) == 0  # fmt: skip
    assert capsys.readouterr().out.strip() == "77"
    assert main(["find", "--comments", str(tmp_path / "comments.json"), "--author", "x"]) == 0
    assert capsys.readouterr().out == "", "nothing printed: create a new comment"

    assert main(["checksum", "--comment-body", str(out)]) == 0
    assert capsys.readouterr().out.strip() == report["checksum"]


def test_cli_checksum_of_a_failed_plan_is_refused(tmp_path: Path):
    body = tmp_path / "body.md"
    body.write_text(build_failure_comment())
    done = subprocess.run(
        [sys.executable, "-m", "providers.ci.prcomment", "checksum", "--comment-body", str(body)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert "no reviewed plan checksum" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_rejects_what_is_not_a_plan(tmp_path: Path, capsys: pytest.CaptureFixture):
    (tmp_path / "plan.json").write_text('{"zones": []}')
    args = ["build", "--plan", str(tmp_path / "plan.json"), "--out", str(tmp_path / "c.md")]
    assert main(args) == 1
    assert "not a plan written by 'plan --format json'" in capsys.readouterr().err
    assert not (tmp_path / "c.md").exists()


def test_refused_zones_are_listed_with_their_reasons_and_not_counted_as_changes(
    workspace: Path,
):
    config = workspace / "config/local.yaml"
    config.write_text(config.read_text().replace("max_deletes: 5", "max_deletes: 1"))
    out = run_cli("plan", "--format", "json", "--output", "plan.json", cwd=workspace)
    assert out.returncode == 1, "two zones are refused"
    report = json.loads((workspace / "plan.json").read_text())
    comment = build_comment(report)
    assert "**2 zone(s) refused** (not applied; the others are):" in comment
    assert "- `contoso.com.` at local: 2 deletes exceed max_deletes 1" in comment
    assert summary_row(comment)[:7] == [5, 2, 2, 2, 1, 0, 0], "refused zones' changes not counted"
