"""Signed webhook -> review -> check run, comments and (only when safe) an approval bound to the head SHA."""

from __future__ import annotations

from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from app_helpers import INSTALLATION, REPO, deliver, pr_payload
from bot.app.runtime import Runtime
from bot.testing.fake_github import FakeGitHub

DOCS_CHANGE = {"docs/guide.md": "# Guide\n\nUse widgets wisely.\n"}
RISKY_CHANGE = {"src/widgets/util.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n\n\n"
                "def parse(s):\n    try:\n        return int(s)\n    except:\n        pass\n    eval(s)\n"}


def approvals(fake: FakeGitHub, number: int) -> list[dict]:
    return [r for r in fake.reviews(REPO, number) if r["state"] == "APPROVED"]


def decisions(runtime: Runtime) -> list[dict]:
    return runtime.decisions.list(kind="decision")


def test_small_docs_change_is_approved_at_its_head(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: clarify the guide", body="Clarify wording.")
    r = deliver(client, "pull_request", pr_payload(fake, pull.number), delivery="d-approve")
    assert r.status_code == 202
    assert runtime.pool.drain(30)
    (approval,) = approvals(fake, pull.number)
    assert approval["commit_id"] == pull.head_sha and approval["user"]["login"] == fake.bot_login
    (run,) = fake.check_runs(REPO)
    assert run["conclusion"] == "success" and run["head_sha"] == pull.head_sha
    (record,) = decisions(runtime)
    assert record["action"] == "approve" and record["head_sha"] == pull.head_sha and record["delivery_id"] == "d-approve"
    assert {p["kind"]: p["id"] for p in record["posted"]} == {"check_run": str(run["id"]), "review": str(approval["id"])}
    assert record["extra"]["approved"] is True
    assert runtime.decisions.verify().ok


def test_findings_become_check_annotations_and_inline_comments(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, RISKY_CHANGE, title="feat: parse helper", body="Adds parse().")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []
    (review,) = fake.reviews(REPO, pull.number)
    assert review["state"] == "COMMENTED" and review["commit_id"] == pull.head_sha
    lines = {c["line"] for c in review["comments"]}
    assert 10 in lines  # eval(s)
    (run,) = fake.check_runs(REPO)
    assert run["conclusion"] in ("neutral", "failure") and run["output"]["annotations"]
    (record,) = decisions(runtime)
    assert record["action"] != "approve"


def test_redelivered_event_with_new_guid_decides_once(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: once", body="Once.")
    deliver(client, "pull_request", pr_payload(fake, pull.number, "opened"))
    assert runtime.pool.drain(30)
    with capture_logs() as logs:
        deliver(client, "pull_request", pr_payload(fake, pull.number, "reopened"))
        assert runtime.pool.drain(30)
    assert len(decisions(runtime)) == 1 and len(approvals(fake, pull.number)) == 1
    assert len(fake.check_runs(REPO)) == 1
    assert any(e["event"] == "review.already_decided" for e in logs)


def test_push_during_review_never_approves_the_new_head(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: racing", body="Race.")
    old_head = pull.head_sha
    pushed: list[str] = []

    def push(f: FakeGitHub, _req: object) -> None:
        pushed.append(f.push(REPO, pull.number, {"docs/guide.md": "# Guide\n\nUse widgets very wisely.\n"}))

    fake.before("POST", r"/check-runs$", push)
    with capture_logs() as logs:
        deliver(client, "pull_request", pr_payload(fake, pull.number))
        assert runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []
    withheld = [e for e in logs if e["event"] == "github.approval_withheld"]
    assert withheld and "head moved" in withheld[0]["reason"]
    (record,) = decisions(runtime)
    assert record["head_sha"] == old_head and record["extra"]["approved"] is False
    assert "head moved" in record["extra"]["approval_withheld"]
    # GitHub then sends synchronize for the pushed head: it is reviewed on its own merits.
    deliver(client, "pull_request", pr_payload(fake, pull.number, "synchronize"))
    assert runtime.pool.drain(30)
    assert [r["commit_id"] for r in approvals(fake, pull.number)] == [pushed[0]]
    assert {d["head_sha"] for d in decisions(runtime)} == {old_head, pushed[0]}


def test_new_push_dismisses_the_earlier_approval_before_rereview(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: v1", body="v1")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    first = approvals(fake, pull.number)[0]
    new_head = fake.push(REPO, pull.number, RISKY_CHANGE)
    deliver(client, "pull_request", pr_payload(fake, pull.number, "synchronize"))
    assert runtime.pool.drain(30)
    states = {r["id"]: r["state"] for r in fake.reviews(REPO, pull.number)}
    assert states[first["id"]] == "DISMISSED"
    assert approvals(fake, pull.number) == []
    dismissal = next(r for r in fake.calls("PUT", r"/dismissals$"))
    second_check = [r for r in fake.calls("POST", r"/check-runs$")][-1]
    assert fake.requests.index(dismissal) < fake.requests.index(second_check)
    withdrawn = runtime.decisions.list(kind="approval_withdrawn")
    assert withdrawn and withdrawn[0]["details"]["review_id"] == str(first["id"])
    assert {d["head_sha"] for d in decisions(runtime)} == {first["commit_id"], new_head}


def test_converted_to_draft_withdraws_the_approval(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: draft", body="d")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    assert approvals(fake, pull.number)
    pull.draft = True
    deliver(client, "pull_request", pr_payload(fake, pull.number, "converted_to_draft"))
    assert runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []
    (event,) = runtime.decisions.list(kind="approval_withdrawn")
    assert event["details"]["reason"] == "converted_to_draft"


def test_drafts_are_not_reviewed_until_ready(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: wip", body="w", draft=True)
    r = deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert r.json()["status"] == "ignored" and "draft" in r.json()["note"]
    pull.draft = False
    deliver(client, "pull_request", pr_payload(fake, pull.number, "ready_for_review"))
    assert runtime.pool.drain(30)
    assert len(approvals(fake, pull.number)) == 1


def test_pull_request_by_the_bot_is_never_approved(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: by the bot", body="b", author=fake.bot_login)
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []
    assert fake.check_runs(REPO)  # still reviewed and reported


def test_invalid_base_policy_fails_closed(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    fake.commit(REPO, "main", {".quorum.yml": "version: 1\nauto_aprove: {}\n"})
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: x", body="x")
    with capture_logs() as logs:
        deliver(client, "pull_request", pr_payload(fake, pull.number))
        assert runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []
    (run,) = fake.check_runs(REPO)
    assert run["conclusion"] == "failure" and ".quorum.yml" in run["output"]["title"]
    assert any(e["event"] == "review.policy_invalid" for e in logs)
    assert decisions(runtime) == []
    (posted,) = runtime.decisions.list(kind="posted")
    assert posted["details"]["id"] == str(run["id"]) and posted["details"]["kind"] == "check_run"


def test_head_policy_cannot_loosen_the_base_policy(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, {**RISKY_CHANGE, ".quorum.yml": "version: 1\n"}, title="feat: sneaky", body="s")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []


def test_human_dismissal_of_the_bot_review_is_recorded(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: y", body="y")
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    review = approvals(fake, pull.number)[0]
    payload = {"action": "dismissed",
               "review": {"id": review["id"], "user": {"login": fake.bot_login, "type": "Bot"}, "state": "dismissed",
                          "commit_id": pull.head_sha},
               "pull_request": pr_payload(fake, pull.number)["pull_request"], "repository": {"full_name": REPO},
               "installation": {"id": INSTALLATION}, "sender": {"login": "carol", "type": "User"}}
    deliver(client, "pull_request_review", payload)
    assert runtime.pool.drain(30)
    (event,) = runtime.decisions.list(kind="review_dismissed")
    assert event["actor"] == "carol" and event["details"]["review_id"] == review["id"]


def test_no_approval_when_the_decision_log_cannot_be_written(
    client: TestClient, runtime: Runtime, fake: FakeGitHub, monkeypatch
) -> None:
    """Every approval has a record behind it: a log that refuses writes withholds the approval."""
    from bot.core.errors import AuditError

    def refuse(record: dict) -> str:
        raise AuditError("disk full")

    monkeypatch.setattr(runtime.decisions, "append", refuse)
    pull = fake.open_pull(REPO, DOCS_CHANGE, title="docs: clarify the guide", body="Clarify wording.")
    with capture_logs() as logs:
        r = deliver(client, "pull_request", pr_payload(fake, pull.number), delivery="d-nolog")
        assert r.status_code == 202
        runtime.pool.drain(30)
    assert approvals(fake, pull.number) == []
    assert any(e.get("event") == "review.log_unwritable" for e in logs)
