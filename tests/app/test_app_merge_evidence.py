"""pull_request closed+merged -> a merge record in the chain: who, when, merged vs approved SHA, reviews, checks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app_helpers import REPO, deliver, pr_payload
from bot.app.runtime import Runtime
from bot.audit.query import iter_records
from bot.audit.report import find_exceptions
from bot.testing.fake_github import FakeGitHub

DOCS_CHANGE = {"docs/guide.md": "# Guide\n\nUse widgets wisely.\n"}


def merged_payload(fake: FakeGitHub, number: int) -> dict:
    payload = pr_payload(fake, number, "closed", sender="maria")
    pull = fake.repos[REPO].pulls[number]
    payload["pull_request"].update(merged=True, merged_at=pull.merged_at, merge_commit_sha=pull.merge_commit_sha,
                                   merged_by={"login": pull.merged_by, "type": "User"})
    return payload


def merges(runtime: Runtime) -> list[dict]:
    return runtime.decisions.list(kind="merge")


def test_merge_at_the_approved_sha_records_quorum_approval_and_required_checks(
        client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    fake.set_required_checks(REPO, "main", ["ci/test"])
    fake.set_required_checks(REPO, "main", ["lint"], ruleset=True)
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: clarify the guide", body="Clarify wording.")
    fake.add_check(REPO, pull.head_sha, "ci/test", "success")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    (decision,) = runtime.decisions.list(kind="decision")
    assert decision["action"] == "approve"
    fake.add_status(REPO, pull.head_sha, "lint", "success")
    merge_sha = fake.merge_pull(REPO, pull.number, merged_by="maria")
    r = deliver(client, "pull_request", merged_payload(fake, pull.number), delivery="d-merge")
    assert r.status_code == 202
    assert runtime.pool.drain(30)
    (m,) = merges(runtime)
    assert m["merged_by"] == "maria" and m["merge_commit_sha"] == merge_sha and m["head_sha"] == pull.head_sha
    assert m["quorum_approved"] is True and m["human_approvers"] == []
    assert m["quorum_decision_id"] == decision["decision_id"] and m["quorum_decided_sha"] == pull.head_sha
    assert m["required_checks"] == [{"context": "ci/test", "conclusion": "success"}, {"context": "lint", "conclusion": "success"}]
    assert m["delivery_id"] == "d-merge" and m["evidence_errors"] == []
    assert m["seq"] > decision["seq"] and runtime.decisions.verify().ok
    assert find_exceptions(iter_records(runtime.decisions)) == []


def test_push_after_approval_then_merge_is_an_unreviewed_sha_unless_a_human_approved(
        client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: first", body="First.")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    approved_sha = pull.head_sha
    fake.push(REPO, pull.number, {"docs/guide.md": "# Guide\n\nUse widgets very wisely.\n"})
    fake.add_review(REPO, pull.number, "rita", "APPROVED", commit_id=approved_sha)  # an approval of the OLD head
    fake.merge_pull(REPO, pull.number, merged_by="maria")
    deliver(client, "pull_request", merged_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    (m,) = merges(runtime)
    assert m["head_sha"] != approved_sha and m["quorum_approved"] is False and m["human_approvers"] == []
    assert {(a["login"], a["commit_id"]) for a in m["approvals"]} >= {("rita", approved_sha)}
    assert m["required_checks"] == []  # the branch has no protection
    rows = find_exceptions(iter_records(runtime.decisions))
    assert [(r["exception"], r["pr_number"], r["decided_by"]) for r in rows] == [("unreviewed_sha", pull.number, "maria")]


def test_human_merges_what_quorum_held_back(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, {".github/workflows/ci.yml": "on: push\n"}, title="ci: add workflow", body="CI.")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    (decision,) = runtime.decisions.list(kind="decision")
    assert decision["action"] != "approve"
    fake.add_review(REPO, pull.number, "carol", "APPROVED")
    fake.merge_pull(REPO, pull.number, merged_by="maria")
    deliver(client, "pull_request", merged_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    (m,) = merges(runtime)
    assert m["human_approvers"] == ["carol"] and m["quorum_action"] == decision["action"]
    (row,) = find_exceptions(iter_records(runtime.decisions))
    assert row["exception"] == "held_back_merged" and row["decided_by"] == "carol" and row["merged_by"] == "maria"


def test_unreadable_evidence_is_named_not_dropped(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: x", body="X.")
    fake.merge_pull(REPO, pull.number, merged_by="maria")
    fake.fail("GET", r"/branches/", 404, times=5, message="Not Found")
    fake.fail("GET", r"/rules/branches/", 404, times=5, message="Not Found")
    deliver(client, "pull_request", merged_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    (m,) = merges(runtime)
    assert m["required_checks"] is None
    assert any(e.startswith("branch protection") for e in m["evidence_errors"])
    assert any(e.startswith("rulesets") for e in m["evidence_errors"])
    kinds = [r["exception"] for r in find_exceptions(iter_records(runtime.decisions))]
    assert kinds == ["no_decision", "unreviewed_sha"]
