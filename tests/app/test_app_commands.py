"""Comment commands end to end: permissions, /quorum human, explain, feedback, review, help."""

from __future__ import annotations

from app_helpers import REPO, comment_payload, deliver, pr_payload
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from bot.app.runtime import Runtime
from bot.testing.fake_github import FakeGitHub

DOCS_CHANGE = {"docs/guide.md": "# Guide\n\nUse widgets wisely.\n"}
SRC_CHANGE = {"src/widgets/util.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n\n\n"
              "def parse(s):\n    return eval(s)\n"}


def approvals(fake: FakeGitHub, number: int) -> list[dict]:
    return [r for r in fake.reviews(REPO, number) if r["state"] == "APPROVED"]


def _reviewed(client: TestClient, runtime: Runtime, fake: FakeGitHub, changes: dict, **kw) -> int:  # noqa: ANN003
    pull = fake.open_pull(REPO, changes, **kw)
    deliver(client, "pull_request", pr_payload(fake, pull.number))
    assert runtime.pool.drain(30)
    return pull.number


def test_human_command_withdraws_and_blocks_future_approvals(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    number = _reviewed(client, runtime, fake, DOCS_CHANGE, title="docs: wording", body="Clarify.", author="alice")
    assert approvals(fake, number)  # approved before the command
    with capture_logs() as logs:
        deliver(client, "issue_comment", comment_payload(number, "/quorum human touches billing", login="maria"))
        assert runtime.pool.drain(30)
    assert approvals(fake, number) == []
    assert runtime.jobs.human_required(REPO, number) == (True, "touches billing")
    (req,) = fake.calls("POST", r"/requested_reviewers$")
    assert req.body == {"reviewers": ["owner-team-lead"], "team_reviewers": []}  # CODEOWNERS: "* @owner-team-lead"
    (event,) = runtime.decisions.list(kind="human_review_requested")
    assert event["actor"] == "maria" and event["details"]["reason"] == "touches billing"
    assert len(event["details"]["dismissed_reviews"]) == 1
    assert "no auto-approval" in fake.comments(REPO, number)[-1]["body"]
    assert any(e["event"] == "command.accepted" for e in logs)
    # a later push is reviewed but never auto-approved
    fake.push(REPO, number, {"docs/guide.md": "# Guide\n\nEven better.\n"})
    deliver(client, "pull_request", pr_payload(fake, number, "synchronize"))
    assert runtime.pool.drain(30)
    assert approvals(fake, number) == []
    latest = runtime.decisions.list(kind="decision", limit=1)[0]
    assert latest["action"] != "approve"


def test_commands_need_write_access(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    number = _reviewed(client, runtime, fake, DOCS_CHANGE, title="docs: z", body="z")
    comments_before = len(fake.comments(REPO, number))
    with capture_logs() as logs:
        deliver(client, "issue_comment", comment_payload(number, "/quorum human", login="rita"))
        deliver(client, "issue_comment", comment_payload(number, "/quorum human", login="stranger"))
        assert runtime.pool.drain(30)
    refused = [e for e in logs if e["event"] == "command.refused"]
    assert [e["role"] for e in refused] == ["read", "read"]
    assert runtime.jobs.human_required(REPO, number) == (False, None)
    assert len(fake.comments(REPO, number)) == comments_before
    assert approvals(fake, number)


def test_bot_comments_are_ignored_without_a_job(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    number = _reviewed(client, runtime, fake, DOCS_CHANGE, title="docs: b", body="b")
    jobs_before = len(runtime.jobs.all_jobs())
    for login in (fake.bot_login, "renovate[bot]"):
        r = deliver(client, "issue_comment", comment_payload(number, "/quorum human", login=login, user_type="Bot"))
        assert r.json()["status"] == "ignored"
    assert len(runtime.jobs.all_jobs()) == jobs_before


def test_explain_and_feedback(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    number = _reviewed(client, runtime, fake, SRC_CHANGE, title="feat: parse", body="Adds parse().")
    record = runtime.decisions.list(kind="decision", limit=1)[0]
    finding = next(f for v in record["verdicts"] for f in v["findings"] if f.get("line"))
    deliver(client, "issue_comment", comment_payload(number, f"/quorum explain {finding['id']}", login="maria"))
    deliver(client, "issue_comment", comment_payload(number, f"/quorum feedback down {finding['id']}", login="maria",
                                                     comment_id=556))
    deliver(client, "issue_comment", comment_payload(number, "/quorum explain Qdoesnotexist", login="maria",
                                                     comment_id=557))
    assert runtime.pool.drain(30)
    bodies = [c["body"] for c in fake.comments(REPO, number)]
    assert finding["id"] in bodies[0] and finding["rule_id"] in bodies[0]
    assert "recorded down" in bodies[1] and "1 down" in bodies[1]
    assert "No finding `Qdoesnotexist`" in bodies[2]
    assert runtime.jobs.feedback_counts() == {finding["rule_id"]: {"up": 0, "down": 1}}
    (event,) = runtime.decisions.list(kind="feedback")
    assert event["details"] == {"finding_id": finding["id"], "rule_id": finding["rule_id"], "vote": "down"}


def test_explain_includes_catalog_docs_for_anti_pattern_rules(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    change = {"src/widgets/util.py": "def clamp(x, lo, hi):\n    try:\n        return max(lo, min(x, hi))\n"
              "    except:\n        pass\n"}
    number = _reviewed(client, runtime, fake, change, title="fix: clamp", body="Guard clamp.")
    record = runtime.decisions.list(kind="decision", limit=1)[0]
    finding = next(f for v in record["verdicts"] if v["agent"] == "anti_patterns" for f in v["findings"])
    deliver(client, "issue_comment", comment_payload(number, f"/quorum explain {finding['id']}", login="maria"))
    assert runtime.pool.drain(30)
    body = fake.comments(REPO, number)[-1]["body"]
    assert "Why is this bad?" in body and finding["rule_id"] in body


def test_unknown_command_gets_help_and_review_command_requeues(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    number = _reviewed(client, runtime, fake, DOCS_CHANGE, title="docs: h", body="h")
    deliver(client, "issue_comment", comment_payload(number, "/quorum approve please", login="maria"))
    deliver(client, "issue_comment", comment_payload(number, "/quorum review", login="maria", comment_id=600))
    assert runtime.pool.drain(30)
    bodies = [c["body"] for c in fake.comments(REPO, number)]
    assert "unknown command `approve`" in bodies[0] and "/quorum help" in bodies[0]
    assert "already reviewed" in bodies[1]
    assert len(runtime.decisions.list(kind="decision")) == 1
    kinds = [j["kind"] for j in runtime.jobs.all_jobs()]
    assert kinds.count("review") == 2


def test_human_command_works_for_the_pull_requests_author(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    number = _reviewed(client, runtime, fake, DOCS_CHANGE, title="docs: author asks", body="Clarify.", author="rita")
    assert approvals(fake, number)
    with capture_logs() as logs:  # rita has read access only, but she opened the pull request
        deliver(client, "issue_comment", comment_payload(number, "/quorum human please look", login="rita"))
        deliver(client, "issue_comment", comment_payload(number, "/quorum review", login="rita"))  # still refused
        assert runtime.pool.drain(30)
    assert runtime.jobs.human_required(REPO, number) == (True, "please look")
    assert approvals(fake, number) == []
    assert [e["command"] for e in logs if e["event"] == "command.refused"] == ["review"]
    (req,) = fake.calls("POST", r"/requested_reviewers$")
    assert req.body == {"reviewers": ["owner-team-lead"], "team_reviewers": []}


def test_needs_human_decision_requests_codeowners(client: TestClient, runtime: Runtime, fake: FakeGitHub) -> None:
    # a CI workflow is a sensitive path: the default policy hands the PR to a human
    number = _reviewed(client, runtime, fake, {".github/workflows/ci.yml": "on: push\njobs: {}\n"},
                       title="ci: tweak", body="Tweak CI.", author="carol")
    record = runtime.decisions.list(kind="decision", limit=1)[0]
    assert record["action"] == "needs_human"
    (req,) = fake.calls("POST", r"/requested_reviewers$")
    assert req.body == {"reviewers": ["owner-team-lead"], "team_reviewers": []}
    assert any(p["kind"] == "review_request" for p in record["posted"])
