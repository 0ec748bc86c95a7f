"""GitHubSink and the write helpers against the fake GitHub: check runs, inline comments, guarded approvals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from bot.adapters.github import (
    GitHubPullRequestSource,
    GitHubSink,
    dismiss_bot_approvals,
    github_approval_guards,
    post_comment,
    request_codeowners,
)
from bot.core.guards import ApprovalGate
from bot.core.models import Action, Decision, Finding, Reason, ReviewResult, Status, Timings, Verdict
from bot.core.protocols import Snapshot
from bot.testing.fake_github import FakeGitHub

REPO = "acme/widgets"
BOT = "quorum[bot]"
SECRET_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_repo(REPO, 42, {"src/a.py": "".join(f"v{i} = {i}\n" for i in range(1, 21)),
                                   "CODEOWNERS": "* @lead\n/src/ @carol @acme/core\n"})
        yield server


def _pull(fake: FakeGitHub, **kw):  # noqa: ANN003, ANN202
    text = "".join(f"v{i} = {i}\n" if i != 10 else "v10 = compute()\n" for i in range(1, 21)) + "extra = 1\n"
    return fake.open_pull(REPO, {"src/a.py": text}, **kw)


def _result(snap: Snapshot, action: Action, findings: list[Finding] | None = None) -> ReviewResult:
    verdict = Verdict(agent="logic", status=Status.passed if not findings else Status.concern, risk=0.1,
                      confidence=0.9, findings=findings or [])
    decision = Decision(action=action, reasons=[Reason(rule_id="gates", message="all gates hold")], risk=0.1,
                        policy_version="sha256:" + "0" * 64, decision_id="d-1")
    return ReviewResult(pr=snap.pr, verdicts=[verdict], decision=decision, timings=Timings())


def _gate(client, number: int, *extra) -> ApprovalGate:  # noqa: ANN001, ANN002
    """The gate run_review hands the sink: the standard GitHub approval guards (plus ``extra``)."""
    return ApprovalGate(github_approval_guards(client, number, BOT, extra=list(extra)))


def _finding(line: int, message: str = "check this", path: str = "src/a.py", severity: str = "major") -> Finding:
    return Finding.make(rule_id="logic/x", agent="logic", severity=severity, message=message, path=path, line=line,
                        anchor=f"{path}:{line}:{message}")


def test_approve_binds_commit_id_and_posts_check(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff)
    posted = sink.publish(_result(snap, Action.approve), _gate(client, pull.number))
    assert [p.kind for p in posted] == ["check_run", "review"] and sink.approved
    (review,) = fake.reviews(REPO, pull.number)
    assert review["state"] == "APPROVED" and review["commit_id"] == pull.head_sha
    (run,) = fake.check_runs(REPO)
    assert run["conclusion"] == "success" and run["head_sha"] == pull.head_sha and run["name"] == "quorum"
    assert "Quorum" in run["output"]["summary"]
    # the head was re-read just before approving
    pulls = fake.calls("GET", r"/pulls/1$")
    reviews_post = fake.calls("POST", r"/pulls/1/reviews$")
    assert fake.requests.index(pulls[-1]) < fake.requests.index(reviews_post[0])


def test_no_approval_when_head_moved(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    fake.before("POST", r"/check-runs$", lambda f, _r: f.push(REPO, pull.number, {"src/b.py": "x = 1\n"}))
    sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff)
    with capture_logs() as logs:
        posted = sink.publish(_result(snap, Action.approve), _gate(client, pull.number))
    assert not sink.approved and "head moved" in (sink.withheld or "")
    assert [p.kind for p in posted] == ["check_run"]
    assert fake.reviews(REPO, pull.number) == []
    assert any(e["event"] == "github.approval_withheld" and "head moved" in e["reason"] for e in logs)


@pytest.mark.parametrize("who", ["author", "committer"])
def test_never_approves_its_own_pull_request(fake: FakeGitHub, client, who: str) -> None:  # noqa: ANN001
    if who == "author":
        pull = _pull(fake, author=BOT)
    else:
        pull = _pull(fake)
        fake.push(REPO, pull.number, {"src/c.py": "c = 1\n"}, author="alice", committer=BOT)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff)
    sink.publish(_result(snap, Action.approve), _gate(client, pull.number))
    assert not sink.approved and "Quorum" in (sink.withheld or "")
    assert not [r for r in fake.reviews(REPO, pull.number) if r["state"] == "APPROVED"]


def test_blocker_withholds_approval(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff)
    sink.publish(_result(snap, Action.approve), _gate(client, pull.number, lambda _r: "human asked"))
    assert not sink.approved and sink.withheld == "human asked"
    assert fake.reviews(REPO, pull.number) == []


def test_non_approve_decisions_never_approve(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    for action, conclusion in [(Action.comment, "neutral"), (Action.request_changes, "failure"),
                               (Action.needs_human, "neutral")]:
        sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff)
        sink.publish(_result(snap, action, [_finding(10)]), _gate(client, pull.number))
        assert not sink.approved
        assert fake.check_runs(REPO)[-1]["conclusion"] == conclusion
    assert {r["state"] for r in fake.reviews(REPO, pull.number)} == {"COMMENTED"}


def test_inline_comments_only_on_diff_lines_and_annotations_batched(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    findings = [_finding(10, "on the change"), _finding(1, "far from the change"), _finding(21, "added line")]
    findings += [_finding(1, f"note {i}") for i in range(120)]
    GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff).publish(_result(snap, Action.comment, findings), _gate(client, pull.number))
    (review,) = fake.reviews(REPO, pull.number)
    assert sorted(c["line"] for c in review["comments"]) == [10, 21]
    assert review["commit_id"] == pull.head_sha
    (run,) = fake.check_runs(REPO)
    assert len(run["output"]["annotations"]) == 123
    sizes = [len(r.body["output"]["annotations"]) for r in fake.calls(None, r"/repos/acme/widgets/check-runs")]
    assert sizes == [50, 50, 23]


def test_info_notes_go_to_the_summary_only(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    """An info-level note on a changed line is neither an inline comment nor an annotation; the
    check run's summary still lists it."""
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    findings = [_finding(10, "a real problem", severity="minor"), _finding(21, "reach note", severity="info")]
    GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff).publish(_result(snap, Action.comment, findings), _gate(client, pull.number))
    (review,) = fake.reviews(REPO, pull.number)
    assert [c["line"] for c in review["comments"]] == [10]
    (run,) = fake.check_runs(REPO)
    assert [a["start_line"] for a in run["output"]["annotations"]] == [10]
    assert "reach note" in run["output"]["summary"]


def test_quiet_rules_are_not_posted_inline(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    """A rule marked quiet in the registry (measured precision under 50%) is summary-only even at major."""
    from bot.core.registry import default_registry

    assert default_registry().require("logic/changed-return").quiet
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    loud = _finding(10, "a real problem")
    quiet = Finding.make(rule_id="logic/changed-return", agent="logic", severity="major", message="return changed",
                         path="src/a.py", line=21, anchor="q")
    GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff).publish(_result(snap, Action.comment, [loud, quiet]), _gate(client, pull.number))
    (review,) = fake.reviews(REPO, pull.number)
    assert [c["line"] for c in review["comments"]] == [10]
    (run,) = fake.check_runs(REPO)
    assert [a["start_line"] for a in run["output"]["annotations"]] == [10]
    assert "return changed" in run["output"]["summary"]


def test_refused_inline_comments_fall_back_to_the_body(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    fake.fail("POST", r"/pulls/1/reviews$", 422, message="pull_request_review_thread.line must be part of the diff")
    GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff).publish(_result(snap, Action.comment, [_finding(10)]), _gate(client, pull.number))
    (review,) = fake.reviews(REPO, pull.number)
    assert review["comments"] == [] and "src/a.py:10" in review["body"]


def test_secrets_are_redacted_from_everything_posted(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    finding = _finding(10, f"token {SECRET_TOKEN} in code")
    GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff).publish(_result(snap, Action.comment, [finding]), _gate(client, pull.number))
    post_comment(client, pull.number, f"explain: {SECRET_TOKEN}")
    for rec in fake.requests:
        assert SECRET_TOKEN not in str(rec.body)


def test_dismiss_only_the_bots_stale_approvals(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff).publish(_result(snap, Action.approve), _gate(client, pull.number))
    fake.repos[REPO].reviews[pull.number].append({"id": 1, "user": {"login": "carol"}, "state": "APPROVED",
                                                  "commit_id": pull.head_sha})
    assert dismiss_bot_approvals(client, pull.number, BOT, "new push", keep_commit=pull.head_sha) == []
    new_head = fake.push(REPO, pull.number, {"z.txt": "z\n"})
    dismissed = dismiss_bot_approvals(client, pull.number, BOT, "new push", keep_commit=new_head)
    assert len(dismissed) == 1 and dismissed[0].kind == "dismissal"
    states = {r["user"]["login"]: r["state"] for r in fake.reviews(REPO, pull.number)}
    assert states == {BOT: "DISMISSED", "carol": "APPROVED"}


def test_codeowners_reviewers_requested(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake, author="carol")
    art = request_codeowners(client, pull.number, "* @lead\n/src/ @carol @dave @acme/core\n", ["src/a.py"],
                             author="carol", bot_login=BOT)
    assert art is not None
    (call,) = fake.calls("POST", r"/requested_reviewers$")
    assert call.body == {"reviewers": ["dave"], "team_reviewers": ["core"]}
    assert request_codeowners(client, pull.number, "/docs/ @lead\n", ["src/a.py"], author="x", bot_login=BOT) is None


def test_publishing_twice_does_not_post_twice(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    for _ in range(2):  # e.g. a job retried after a crash between posting and logging
        sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff)
        posted = sink.publish(_result(snap, Action.approve), _gate(client, pull.number))
        assert sink.approved
    assert len(fake.check_runs(REPO)) == 1 and len(fake.calls("PATCH", r"/check-runs/\d+$")) == 1
    assert len(fake.reviews(REPO, pull.number)) == 1
    assert [p.kind for p in posted] == ["check_run", "review"]
    result = _result(snap, Action.comment, [_finding(10)])
    for _ in range(2):
        GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff).publish(result, _gate(client, pull.number))
    states = [r["state"] for r in fake.reviews(REPO, pull.number)]
    assert states == ["DISMISSED", "COMMENTED"]  # the approval of this head withdrawn, one comment review


def test_unapproving_decision_withdraws_an_earlier_approval_of_the_same_head(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff).publish(_result(snap, Action.approve), _gate(client, pull.number))
    sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff)
    posted = sink.publish(_result(snap, Action.needs_human), _gate(client, pull.number))
    assert not sink.approved and "dismissal" in [p.kind for p in posted]
    assert [r["state"] for r in fake.reviews(REPO, pull.number)] == ["DISMISSED"]


def test_never_approves_without_a_gate(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff)
    posted = sink.publish(_result(snap, Action.approve))
    assert not sink.approved and "no approval guards" in (sink.withheld or "")
    assert [p.kind for p in posted] == ["check_run"] and fake.reviews(REPO, pull.number) == []


def test_a_guard_that_raises_withholds_the_approval(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = _pull(fake)
    snap = GitHubPullRequestSource(client, pull.number).snapshot()

    def broken(_result: ReviewResult) -> str | None:
        raise RuntimeError("required checks unreadable")

    sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff)
    sink.publish(_result(snap, Action.approve), _gate(client, pull.number, broken))
    assert not sink.approved and "broken failed: RuntimeError: required checks unreadable" in (sink.withheld or "")
    assert fake.reviews(REPO, pull.number) == []
