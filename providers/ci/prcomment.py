"""The pull/merge request comment: one per request, updated in place, pinning the reviewed plan.

CI posts the plan as ONE comment carrying :data:`MARKER`; every later run finds
it with :func:`find_comment` and edits it instead of adding another. The
comment also carries the plan's checksum in a hidden line, so the apply job on
the default branch can recover exactly what the reviewer last saw
(``checksum`` command) and refuse anything else. No network code here: the
workflows do the HTTP with ``gh`` or ``curl`` and hand JSON files to this CLI.

    python -m providers.ci.prcomment build --plan plan.json --out comment.md [--artifact-url URL]
    python -m providers.ci.prcomment failure --out comment.md [--run-url URL]
    python -m providers.ci.prcomment find --comments comments.json [--author LOGIN]
        [--field id|body]
    python -m providers.ci.prcomment merged --requests pulls.json --sha SHA
    python -m providers.ci.prcomment checksum --comment-body FILE
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from ..planner.render import render_markdown

MARKER = "<!-- autodiscover-dns-plan -->"
#: GitHub's comment body limit, in characters
GITHUB_LIMIT = 65536
_CHECKSUM_LINE = "<!-- autodiscover-dns-checksum: {} -->"
_HIDDEN = re.compile(r"<!-- autodiscover-dns-checksum: ([0-9a-f]{64}) -->")
_VISIBLE = re.compile(r"^Checksum: `([0-9a-f]{64})`", re.MULTILINE)


def _size(text: str) -> int:
    """Characters, counted as UTF-8 bytes: never fewer than GitHub counts."""
    return len(text.encode())


def build_comment(
    report: dict,
    artifact_url: str | None = None,
    limit: int = GITHUB_LIMIT,
    commit: str | None = None,
) -> str:
    """Marker, hidden checksum and the markdown plan, cut to stay below ``limit``.

    Per-zone details are dropped from the end when they do not fit; the
    comment then says how many are missing and points to the full plan.
    """
    where = f"[the plan artifact]({artifact_url})" if artifact_url else "this run's artifacts"
    pointer = f"The full plan (plan.json, plan.md) is in {where}."
    prefix = f"{MARKER}\n{_CHECKSUM_LINE.format(report['checksum'])}\n"
    planned = f"Planned for commit `{commit[:12]}`. " if commit else ""
    pinned = (
        f"{planned}Merging applies this plan only if the plan computed then has the same "
        "checksum; otherwise the apply is refused and writes nothing."
    )
    footer = f"\n---\n{pointer} {pinned}\n"
    budget = limit - _size(prefix) - _size(footer) - 1
    while True:
        body = render_markdown(report, limit=budget, full_plan_hint=pointer)
        cut = pointer in body  # the details were cut and already point to the full plan
        text = prefix + body.rstrip("\n") + "\n" + (f"\n---\n{pinned}\n" if cut else footer)
        over = _size(text) - (limit - 1)
        if over <= 0:
            return text
        if budget <= 0:
            raise ValueError(f"limit {limit} is too small for the plan summary")
        budget -= over


def build_failure_comment(run_url: str | None = None, commit: str | None = None) -> str:
    """The comment when validate or plan failed: no checksum, so nothing can be applied."""
    where = f"[the run log]({run_url})" if run_url else "the run log"
    planned = f" for commit `{commit[:12]}`" if commit else ""
    lines = [
        MARKER,
        "### autodiscover-dns plan",
        "",
        f":x: **No plan**: validation or planning failed{planned}. "
        f"See {where}, fix the zone files or config, and push again.",
        "",
        "Merging now would apply nothing: the apply job needs the checksum of a reviewed plan.",
        "",
    ]
    return "\n".join(lines)


def _author(comment: dict) -> dict:
    return comment.get("user") or comment.get("author") or {}


def _login(comment: dict) -> str:
    who = _author(comment)
    return str(who.get("login") or who.get("username") or "")


def _is_bot(comment: dict) -> bool:
    who = _author(comment)
    return who.get("type") == "Bot" or who.get("bot") is True or _login(comment).endswith("[bot]")


def find_comment(comments: list[dict], author: str | None = None) -> dict | None:
    """The plan comment to update: the newest one carrying the marker, a bot's first.

    With ``author``, only that account's comments count (the CI token's own
    account: the only comments it may edit, and the only ones trusted for apply).
    GitLab system notes are ignored.
    """
    marked = [c for c in comments if MARKER in (c.get("body") or "") and not c.get("system", False)]
    if author is not None:
        marked = [c for c in marked if _login(c) == author]
    pool = [c for c in marked if _is_bot(c)] or marked
    if not pool:
        return None
    return max(pool, key=lambda c: (str(c.get("created_at") or ""), int(c.get("id") or 0)))


def extract_checksum(body: str) -> str | None:
    """The reviewed plan checksum a plan comment carries, or None."""
    if MARKER not in body:
        return None
    match = _HIDDEN.search(body) or _VISIBLE.search(body)
    return match.group(1) if match else None


def merged_request(requests: list[dict], sha: str) -> int | None:
    """The number (GitHub) or iid (GitLab) of the merged request whose merge is commit ``sha``.

    ``requests`` is GitHub's ``commits/{sha}/pulls`` or GitLab's
    ``repository/commits/{sha}/merge_requests`` answer.
    """
    for r in requests:
        merged = r.get("merged_at") or r.get("state") == "merged"
        # GitLab: a fast-forward merge has no merge commit, the request's head is the commit
        made = sha in {r.get("merge_commit_sha"), r.get("squash_commit_sha"), r.get("sha")}
        if merged and made:
            return int(r.get("iid") or r["number"])
    return None


def load_comments(text: str) -> list[dict]:
    """A JSON list of comments; also concatenated pages (``gh api --paginate``) or a list of
    pages (``--slurp``)."""
    decoder = json.JSONDecoder()
    items: list = []
    pos, text = 0, text.strip()
    while pos < len(text):
        value, end = decoder.raw_decode(text, pos)
        items.extend(value if isinstance(value, list) else [value])
        pos = end
        while pos < len(text) and text[pos].isspace():
            pos += 1
    flat: list[dict] = []
    for item in items:
        flat.extend(item if isinstance(item, list) else [item])
    return [c for c in flat if isinstance(c, dict)]


# -- CLI -------------------------------------------------------------------------


def _cmd_build(args: argparse.Namespace) -> int:
    try:
        report = json.loads(Path(args.plan).read_text())
    except (OSError, ValueError):
        report = None
    if not isinstance(report, dict) or not {"checksum", "zones", "summary"} <= set(report):
        print(f"error: {args.plan}: not a plan written by 'plan --format json'", file=sys.stderr)
        return 1
    text = build_comment(report, args.artifact_url or None, args.limit, args.commit or None)
    Path(args.out).write_text(text)
    print(f"comment written to {args.out} ({len(text)} characters)", file=sys.stderr)
    return 0


def _cmd_failure(args: argparse.Namespace) -> int:
    Path(args.out).write_text(build_failure_comment(args.run_url or None, args.commit or None))
    return 0


def _cmd_find(args: argparse.Namespace) -> int:
    try:
        comments = load_comments(Path(args.comments).read_text())
    except (OSError, ValueError) as e:
        print(f"error: {args.comments}: not a JSON list of comments ({e})", file=sys.stderr)
        return 1
    found = find_comment(comments, args.author)
    if found is not None:  # nothing printed: none yet, so create one
        print(found["id"] if args.field == "id" else found.get("body", ""))
    return 0


def _cmd_merged(args: argparse.Namespace) -> int:
    try:
        requests = load_comments(Path(args.requests).read_text())
    except (OSError, ValueError) as e:
        print(f"error: {args.requests}: not a JSON list ({e})", file=sys.stderr)
        return 1
    number = merged_request(requests, args.sha)
    if number is None:
        print(
            f"error: commit {args.sha} is not the merge of a pull/merge request; nothing "
            "was reviewed for it",
            file=sys.stderr,
        )
        return 1
    print(number)
    return 0


def _cmd_checksum(args: argparse.Namespace) -> int:
    try:
        body = Path(args.comment_body).read_text()
    except OSError as e:
        print(f"error: {args.comment_body}: {e.strerror}", file=sys.stderr)
        return 1
    found = extract_checksum(body)
    if found is None:
        print(
            f"error: {args.comment_body}: no reviewed plan checksum (no plan comment, or its last "
            "plan failed); nothing can be applied. Plan again, review, then apply.",
            file=sys.stderr,
        )
        return 1
    print(found)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m providers.ci.prcomment", description="The plan comment of a pull request."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="write the comment for a JSON plan")
    p.add_argument("--plan", required=True, help="plan.json from 'plan --format json'")
    p.add_argument("--out", required=True, help="write the comment body here")
    p.add_argument("--artifact-url", help="where the full plan artifact is")
    p.add_argument("--commit", help="the commit the plan was made for")
    p.add_argument("--limit", type=int, default=GITHUB_LIMIT, help="stay below N characters")
    p.set_defaults(func=_cmd_build)
    p = sub.add_parser("failure", help="write the comment for a failed plan (no checksum)")
    p.add_argument("--out", required=True)
    p.add_argument("--run-url")
    p.add_argument("--commit")
    p.set_defaults(func=_cmd_failure)
    p = sub.add_parser("find", help="print the id (or body) of the comment to update")
    p.add_argument("--comments", required=True, help="the API's JSON list of comments/notes")
    p.add_argument("--author", help="only this account's comments (the CI token's)")
    p.add_argument("--field", choices=("id", "body"), default="id")
    p.set_defaults(func=_cmd_find)
    p = sub.add_parser("merged", help="print the pull/merge request that merged a commit")
    p.add_argument("--requests", required=True, help="the API's JSON list for the commit")
    p.add_argument("--sha", required=True)
    p.set_defaults(func=_cmd_merged)
    p = sub.add_parser("checksum", help="print the reviewed checksum in a plan comment")
    p.add_argument("--comment-body", required=True, help="file holding the comment body")
    p.set_defaults(func=_cmd_checksum)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
