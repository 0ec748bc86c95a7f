"""The App reads ``.quorum.yml`` and CODEOWNERS from the base branch's tip at review time (not from
the merge base the PR forked from, and never from the head); the decision records both SHAs."""

from __future__ import annotations

from app_helpers import REPO, comment_payload, deliver, pr_payload
from fastapi.testclient import TestClient

from bot.app.runtime import Runtime
from bot.testing.fake_github import FakeGitHub

DOCS_CHANGE = {"docs/guide.md": "# Guide\n\nUse widgets wisely.\n"}
EXCLUDE_ALICE = "version: 1\nauto_approve:\n  excluded_authors: [alice]\n"


def approvals(fake: FakeGitHub, number: int) -> list[dict]:
    return [r for r in fake.reviews(REPO, number) if r["state"] == "APPROVED"]


def test_policy_tightened_on_main_after_the_fork_holds_the_approval(client: TestClient, runtime: Runtime,
                                                                       fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: wording", body="Clarify.", author="alice")
    fork_point = pull.base_sha
    tip = fake.commit(REPO, "main", {".quorum.yml": EXCLUDE_ALICE}, message="policy: exclude alice")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []
    (record,) = runtime.decisions.list(kind="decision")
    assert record["action"] != "approve"
    assert any("alice" in r["message"] for r in record["reasons"])
    assert record["base_sha"] == fork_point and record["policy_sha"] == tip and tip != fork_point
    assert fake.calls("GET", r"/git/ref/heads/main$")


def test_untouched_main_approves_and_records_the_same_sha_twice(client: TestClient, runtime: Runtime,
                                                                   fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: wording", body="Clarify.", author="alice")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    assert approvals(fake, pull.number)
    (record,) = runtime.decisions.list(kind="decision")
    assert record["base_sha"] == record["policy_sha"] == pull.base_sha


def test_unrelated_commit_on_main_keeps_the_approval_and_records_the_tip(client: TestClient, runtime: Runtime,
                                                                          fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: wording", body="Clarify.", author="alice")
    tip = fake.commit(REPO, "main", {"README.md": "# Widgets\n\nNow with more.\n"})
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    (approval,) = approvals(fake, pull.number)
    assert approval["commit_id"] == pull.head_sha
    (record,) = runtime.decisions.list(kind="decision")
    assert (record["base_sha"], record["policy_sha"]) == (pull.base_sha, tip)


def test_codeowners_come_from_the_tip(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    fake.set_permission(REPO, "maria", "write")
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: wording", body="Clarify.", author="alice")
    fake.commit(REPO, "main", {"CODEOWNERS": "* @new-owner\n"})
    deliver(client, "issue_comment", comment_payload(pull.number, "/quorum human please", login="maria"))
    assert runtime.pool.drain(30)
    (req,) = fake.calls("POST", r"/requested_reviewers$")
    assert req.body == {"reviewers": ["new-owner"], "team_reviewers": []}


def test_deleted_base_branch_fails_closed(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: wording", body="Clarify.", author="alice")
    del fake.repos[REPO].branches["main"]
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []
    assert runtime.decisions.list(kind="decision") == []
