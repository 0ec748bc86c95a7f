"""``quorum action`` end to end, as a real process, against the fake GitHub API, fed with real event
payloads from octokit/webhooks (tests/fixtures/octokit-webhooks, MIT). Where a test needs values
the upstream example cannot know (the fake repository's pull request number and SHAs, a fork's
head repository, a comment body), it changes those fields of a copy and says so."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.action.runner import FORK_NOTE
from bot.testing.fake_github import FakeGitHub, FakePull
from bot.testing.gitrepo import git

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "octokit-webhooks"
REPO = "Codertocat/Hello-World"  # the repository every octokit example is about
BOT = "github-actions[bot]"
BASE_FILES = {
    "README.md": "# Hello World\n\nA greeting.\n",
    "src/app.py": "def greet(name):\n    return 'hello ' + name\n",
    "CODEOWNERS": "* @lead\n/src/ @carol @Codertocat/core\n",
}


def payload(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def for_pull(event: dict, pull: FakePull) -> dict:
    """The upstream example with the fake PR's number and SHAs (the only fields changed)."""
    event = copy.deepcopy(event)
    event["number"] = pull.number
    event["pull_request"]["number"] = pull.number
    event["pull_request"]["head"]["sha"] = pull.head_sha
    event["pull_request"]["base"]["sha"] = pull.base_sha
    return event


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub(git_root=tmp_path / "git") as server:
        server.add_repo(REPO, 7, BASE_FILES)
        server.set_permission(REPO, "maria", "write")
        yield server


def run_action(fake: FakeGitHub, tmp_path: Path, event_name: str, event: dict, *extra: str,
               read_only: bool = False, token: str | None = None,
               checkout: str = "full") -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """Run ``quorum action``; ``checkout``: "full" (a clone of the fake's repository with all its
    history, as actions/checkout with fetch-depth: 0), "shallow" (--depth 1) or "none"."""
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUORUM_", "GITHUB_"))}
    env.update(
        GITHUB_EVENT_NAME=event_name, GITHUB_EVENT_PATH=str(event_path), GITHUB_REPOSITORY=REPO,
        GITHUB_API_URL=fake.base_url, GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(outputs),
        GITHUB_TOKEN=fake.actions_token(REPO, read_only=read_only) if token is None else token,
        QUORUM_DATA_DIR=str(tmp_path / "data"), QUORUM_CACHE_DIR=str(tmp_path / "cache"),
        QUORUM_GITHUB_WRITE_INTERVAL_S="0",
    )
    if checkout != "none":
        workspace = tmp_path / "workspace"
        if not workspace.exists():
            depth = ["--depth", "1"] if checkout == "shallow" else []
            git(tmp_path, "clone", "--quiet", "--no-checkout", *depth, f"{fake.git_url}/{REPO}.git", str(workspace))
        env["GITHUB_WORKSPACE"] = str(workspace)
    proc = subprocess.run([sys.executable, "-m", "bot.cli.main", "action", *extra], capture_output=True, text=True,
                          env=env, timeout=180)
    return proc, summary, outputs


def test_opened_docs_change_is_approved_bound_to_the_head(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.repos[REPO].actions_can_approve = True
    pull = fake.open_pull(REPO, {"README.md": "# Hello World\n\nA warm greeting.\n"}, title="docs: warmer greeting",
                          body="Rewords the README.", author="Codertocat")
    proc, summary, outputs = run_action(fake, tmp_path, "pull_request", for_pull(payload("pull_request.opened.payload.json"), pull))
    assert proc.returncode == 0, proc.stderr
    assert "approve (approved)" in proc.stdout
    (review,) = fake.reviews(REPO, pull.number)
    assert review["state"] == "APPROVED" and review["commit_id"] == pull.head_sha and review["user"]["login"] == BOT
    (run,) = fake.check_runs(REPO)
    assert run["head_sha"] == pull.head_sha and run["conclusion"] == "success" and run["app"]["slug"] == "github-actions"
    # the head was re-read right before approving
    last_pull_read = max(i for i, r in enumerate(fake.requests) if r.method == "GET" and r.path.endswith(f"/pulls/{pull.number}"))
    approve = next(i for i, r in enumerate(fake.requests) if r.method == "POST" and r.path.endswith("/reviews"))
    assert last_pull_read < approve
    assert "decision=approve" in outputs.read_text() and "approved=true" in outputs.read_text()
    assert "## Quorum" in summary.read_text()


@pytest.mark.parametrize(("checkout", "why"), [("shallow", "the checkout (GITHUB_WORKSPACE) is shallow"),
                                                ("none", "no checkout")])
def test_without_full_history_the_risk_gate_fails_closed_and_says_why(fake: FakeGitHub, tmp_path: Path,
                                                                      checkout: str, why: str) -> None:
    fake.repos[REPO].actions_can_approve = True
    fake.commit(REPO, "main", {"docs/intro.md": "# Intro\n"}, message="docs: intro")  # so that depth 1 cuts history
    pull = fake.open_pull(REPO, {"README.md": "# Hello World\n\nA warm greeting.\n"}, title="docs: warmer greeting",
                          body="Rewords the README.", author="Codertocat")
    proc, summary, outputs = run_action(fake, tmp_path, "pull_request",
                                        for_pull(payload("pull_request.opened.payload.json"), pull), checkout=checkout)
    assert proc.returncode == 0, proc.stderr
    assert "approved=false" in outputs.read_text() and "decision=approve" not in outputs.read_text()
    assert all(r["state"] != "APPROVED" for r in fake.reviews(REPO, pull.number))
    assert f"history unavailable: {why}" in proc.stderr and "fetch-depth: 0" in proc.stderr
    text = summary.read_text()
    assert f"history unavailable: {why}" in text and "risk.probability" in text


def test_a_policy_without_the_risk_gate_needs_no_history(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.repos[REPO].actions_can_approve = True
    fake.commit(REPO, "main", {".quorum.yml": "risk_model:\n  enabled: false\n"}, message="policy: no risk gate")
    pull = fake.open_pull(REPO, {"README.md": "# Hello World\n\nA warm greeting.\n"}, title="docs: warmer greeting",
                          body="Rewords the README.", author="Codertocat")
    proc, _, outputs = run_action(fake, tmp_path, "pull_request",
                                  for_pull(payload("pull_request.opened.payload.json"), pull), checkout="shallow")
    assert proc.returncode == 0, proc.stderr
    assert "approved=true" in outputs.read_text(), proc.stdout + proc.stderr


def test_approval_refused_by_the_repository_setting_becomes_a_comment_review(fake: FakeGitHub, tmp_path: Path) -> None:
    pull = fake.open_pull(REPO, {"README.md": "# Hello World\n\nA kind greeting.\n"}, title="docs: kinder",
                          body="Rewords the README.", author="Codertocat")
    proc, summary, outputs = run_action(fake, tmp_path, "pull_request", for_pull(payload("pull_request.opened.payload.json"), pull))
    assert proc.returncode == 0, proc.stderr
    (review,) = fake.reviews(REPO, pull.number)
    assert review["state"] == "COMMENTED" and "not permitted to approve" in review["body"]
    assert "Allow GitHub Actions to create and approve pull requests" in summary.read_text()
    assert "approved=false" in outputs.read_text()


def test_synchronize_with_findings_posts_inline_comments_and_uploads_sarif(fake: FakeGitHub, tmp_path: Path) -> None:
    # a shell command built from input: a loud (posted) finding, not a quiet one
    pull = fake.open_pull(REPO, {"src/app.py": "import os\n\n\ndef greet(name):\n    return os.system(\"echo \" + name)\n"},
                          title="feat: dynamic greeting", body="Builds the greeting dynamically.", author="Codertocat")
    sarif = tmp_path / "quorum.sarif"
    proc, _, outputs = run_action(fake, tmp_path, "pull_request",
                                  for_pull(payload("pull_request.synchronize.payload.json"), pull),
                                  "--sarif", str(sarif), "--upload-sarif")
    assert proc.returncode == 0, proc.stderr
    assert "decision=approve" not in outputs.read_text()
    reviews = fake.reviews(REPO, pull.number)
    assert reviews and all(r["state"] != "APPROVED" for r in reviews), proc.stdout + proc.stderr
    assert any(c["path"] == "src/app.py" for r in reviews for c in r["comments"])
    (run,) = fake.check_runs(REPO)
    assert run["output"]["annotations"] and run["head_sha"] == pull.head_sha
    (upload,) = fake.repos[REPO].sarif_uploads
    assert upload["commit_sha"] == pull.head_sha and upload["ref"] == f"refs/pull/{pull.number}/head"
    assert upload["sarif"] == json.loads(sarif.read_text())
    assert "sarif" in proc.stdout
    # code scanning got what was written: gzip + base64 of the same log
    (post,) = fake.calls("POST", r"/code-scanning/sarifs$")
    assert json.loads(gzip.decompress(base64.b64decode(post.body["sarif"]))) == upload["sarif"]


def test_fork_pull_request_degrades_to_the_job_summary(fake: FakeGitHub, tmp_path: Path) -> None:
    pull = fake.open_pull(REPO, {"README.md": "# Hello World\n\nHi.\n"}, title="docs: hi", body="Shorter.", author="someone")
    event = for_pull(payload("pull_request.opened.payload.json"), pull)
    event["pull_request"]["head"]["repo"]["full_name"] = "someone/Hello-World"  # changed: the head is a fork
    proc, summary, outputs = run_action(fake, tmp_path, "pull_request", event, "--upload-sarif", read_only=True)
    assert proc.returncode == 0, proc.stderr
    assert "read-only token" in proc.stdout
    assert [r for r in fake.requests if r.method != "GET"] == []  # nothing was even attempted
    text = summary.read_text()
    assert FORK_NOTE.split(":")[0] in text and "## Quorum" in text
    assert "SARIF not uploaded" in text and "degraded=true" in outputs.read_text()


def test_token_without_write_access_also_degrades(fake: FakeGitHub, tmp_path: Path) -> None:
    """A same-repository run whose token cannot write (e.g. no permissions block): GitHub answers 403
    to the first write; the review still completes, into the summary."""
    pull = fake.open_pull(REPO, {"README.md": "# Hello World\n\nHey.\n"}, title="docs: hey", body="Hey.", author="Codertocat")
    proc, summary, _ = run_action(fake, tmp_path, "pull_request", for_pull(payload("pull_request.opened.payload.json"), pull),
                                  read_only=True)
    assert proc.returncode == 0, proc.stderr
    assert "Resource not accessible by integration" in proc.stderr
    assert "read-only token" in summary.read_text() and fake.check_runs(REPO) == []


def test_needs_human_requests_codeowners(fake: FakeGitHub, tmp_path: Path) -> None:
    pull = fake.open_pull(REPO, {".github/workflows/ci.yml": "on: push\njobs: {}\n"}, title="ci: add workflow",
                          body="Adds CI.", author="carol")
    proc, _, outputs = run_action(fake, tmp_path, "pull_request", for_pull(payload("pull_request.opened.payload.json"), pull))
    assert proc.returncode == 0, proc.stderr
    assert "decision=needs_human" in outputs.read_text()
    (req,) = fake.calls("POST", r"/requested_reviewers$")
    assert req.body == {"reviewers": ["lead"], "team_reviewers": []}


def test_issue_comment_on_an_issue_is_ignored(fake: FakeGitHub, tmp_path: Path) -> None:
    proc, summary, _ = run_action(fake, tmp_path, "issue_comment", payload("issue_comment.created.payload.json"))
    assert proc.returncode == 0, proc.stderr
    assert "nothing to do: the comment is on an issue, not a pull request" in proc.stdout
    assert [r for r in fake.requests if r.method != "GET"] == []


def test_human_command_from_the_author_then_no_approval(fake: FakeGitHub, tmp_path: Path) -> None:
    fake.repos[REPO].actions_can_approve = True
    pull = fake.open_pull(REPO, {"README.md": "# Hello World\n\nA greeting!\n"}, title="docs: excited",
                          body="Adds an exclamation mark.", author="Codertocat")
    opened = for_pull(payload("pull_request.opened.payload.json"), pull)
    proc, _, _ = run_action(fake, tmp_path, "pull_request", opened)
    assert proc.returncode == 0, proc.stderr
    assert [r["state"] for r in fake.reviews(REPO, pull.number)] == ["APPROVED"]
    comment = copy.deepcopy(payload("issue_comment.created.payload.json"))
    comment["issue"]["number"] = pull.number  # changed: the comment is on the fake's pull request
    comment["issue"]["pull_request"] = {"url": f"{fake.base_url}/repos/{REPO}/pulls/{pull.number}"}
    comment["comment"]["body"] = "/quorum human the greeting is user-facing"
    fake.add_comment(REPO, pull.number, "Codertocat", comment["comment"]["body"])  # as GitHub stores it
    proc, _, _ = run_action(fake, tmp_path, "issue_comment", comment)
    assert proc.returncode == 0, proc.stderr
    assert "human review: 1 dismissed" in proc.stdout  # Codertocat has read access but opened the PR
    assert [r["state"] for r in fake.reviews(REPO, pull.number)] == ["DISMISSED"]
    (req,) = fake.calls("POST", r"/requested_reviewers$")
    assert req.body == {"reviewers": ["lead"], "team_reviewers": []}
    assert "no auto-approval" in fake.comments(REPO, pull.number)[-1]["body"]
    # the next push is reviewed, but the request found in the comments holds the approval back
    fake.push(REPO, pull.number, {"README.md": "# Hello World\n\nA greeting!!\n"})
    proc, _, outputs = run_action(fake, tmp_path, "pull_request",
                                  for_pull(payload("pull_request.synchronize.payload.json"), fake.repos[REPO].pulls[pull.number]))
    assert proc.returncode == 0, proc.stderr
    assert "decision=needs_human" in outputs.read_text()
    assert "APPROVED" not in [r["state"] for r in fake.reviews(REPO, pull.number)]


def test_review_command_needs_write_access(fake: FakeGitHub, tmp_path: Path) -> None:
    pull = fake.open_pull(REPO, {"README.md": "x\n"}, title="docs: x", body="x", author="Codertocat")
    comment = copy.deepcopy(payload("issue_comment.created.payload.json"))
    comment["issue"]["number"] = pull.number  # changed, as above
    comment["issue"]["pull_request"] = {"url": "x"}
    comment["comment"]["body"] = "/quorum review"
    proc, _, _ = run_action(fake, tmp_path, "issue_comment", comment)
    assert proc.returncode == 0 and "refused: Codertocat has read access" in proc.stdout
    comment["comment"]["user"]["login"] = "maria"  # changed: a writer asks
    proc, _, _ = run_action(fake, tmp_path, "issue_comment", comment)
    assert proc.returncode == 0, proc.stderr
    assert fake.check_runs(REPO) and "posted: check_run" in proc.stdout


def test_missing_token_is_a_one_line_error(fake: FakeGitHub, tmp_path: Path) -> None:
    proc, _, _ = run_action(fake, tmp_path, "pull_request", payload("pull_request.opened.payload.json"), token="")
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and proc.stderr.startswith("quorum: error: no token")
