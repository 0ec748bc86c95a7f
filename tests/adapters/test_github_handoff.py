"""Reviewers on every hand-off: a needs_human decision requests CODEOWNERS (users and teams,
deduplicated, never the author or a bot), else the policy's fallback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.adapters.github import GitHubPullRequestSource, GitHubSink, Handoff
from bot.adapters.github.sink import handoff_reviewers
from bot.core.models import Action, Decision, Reason, ReviewResult, Status, Timings, Verdict
from bot.policy import load_policy
from bot.testing.fake_github import FakeGitHub

REPO = "acme/widgets"
BOT = "quorum[bot]"
OWNERS = "* @lead\n/src/ @carol @Carol @dave @acme/core @acme/core @renovate[bot] @quorum[bot] dev@example.com\n/docs/\n"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_repo(REPO, 42, {"src/a.py": "a = 1\n", "docs/x.md": "x\n", "CODEOWNERS": OWNERS})
        yield server


def _result(snap, action: Action) -> ReviewResult:  # noqa: ANN001
    decision = Decision(action=action, reasons=[Reason(rule_id="sensitive_path", message="touches src")], risk=0.2,
                        policy_version="sha256:" + "0" * 64, decision_id="d-h")
    return ReviewResult(pr=snap.pr, verdicts=[Verdict(agent="logic", status=Status.passed, risk=0.1, confidence=0.9)],
                        decision=decision, timings=Timings())


def test_owner_selection_is_deduplicated_and_excludes_author_and_bots() -> None:
    handoff = Handoff(OWNERS, ("src/a.py",), "dave")
    users, teams, source = handoff_reviewers(handoff, bot_login=BOT)
    assert ([u.casefold() for u in users], teams, source) == (["carol"], ["core"], "codeowners")  # Carol == carol
    # docs/ is un-owned by its last rule: nobody owns it, so the fallback applies
    fallback = Handoff(OWNERS, ("docs/x.md",), "dave", ("rita", "dave", "ci[bot]"), ("platform",))
    assert handoff_reviewers(fallback, bot_login=BOT) == (["rita"], ["platform"], "fallback")
    assert handoff_reviewers(Handoff(None, ("docs/x.md",), "dave"), bot_login=BOT) == ([], [], "none")


@pytest.mark.parametrize("action", [Action.needs_human, Action.comment])
def test_needs_human_requests_codeowners(fake: FakeGitHub, client, action: Action) -> None:  # noqa: ANN001
    pull = fake.open_pull(REPO, {"src/a.py": "a = 2\n"}, author="dave")
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    handoff = Handoff.of(snap, load_policy().reviewers)
    posted = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff, handoff=handoff).publish(_result(snap, action))
    calls = fake.calls("POST", r"/requested_reviewers$")
    if action is Action.comment:
        assert calls == [] and "review_request" not in [p.kind for p in posted]
        return
    (call,) = calls
    assert [u.casefold() for u in call.body["reviewers"]] == ["carol"] and call.body["team_reviewers"] == ["core"]
    assert len(fake.repos[REPO].pulls[pull.number].requested_reviewers) == 1
    assert "review_request" in [p.kind for p in posted]


def test_fallback_from_the_policy_when_no_owner_matches(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    pull = fake.open_pull(REPO, {"docs/x.md": "y\n"}, author="dave")
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    policy = load_policy("reviewers:\n  fallback_users: ['@Rita', rita]\n  fallback_teams: [acme/platform]\n")
    assert policy.reviewers.fallback_users == ["Rita"] and policy.reviewers.fallback_teams == ["platform"]
    sink = GitHubSink(client, pull.number, bot_login=BOT, diff=snap.diff, handoff=Handoff.of(snap, policy.reviewers))
    sink.publish(_result(snap, Action.needs_human))
    (call,) = fake.calls("POST", r"/requested_reviewers$")
    assert call.body == {"reviewers": ["Rita"], "team_reviewers": ["platform"]}


def test_policy_can_turn_handoff_requests_off_and_rejects_bad_logins(fake: FakeGitHub, client) -> None:  # noqa: ANN001
    off = load_policy("reviewers:\n  request_on_handoff: false\n").reviewers
    pull = fake.open_pull(REPO, {"src/a.py": "a = 3\n"}, author="dave")
    snap = GitHubPullRequestSource(client, pull.number).snapshot()
    assert Handoff.of(snap, off) is None
    assert Handoff.of(snap, off, asked=True) is not None  # an explicit /quorum human still asks
    from bot.core.errors import PolicyError

    with pytest.raises(PolicyError, match="not a GitHub login"):
        load_policy("reviewers:\n  fallback_users: ['not a login']\n")
    with pytest.raises(PolicyError, match="fallback_user"):
        load_policy("reviewers:\n  fallback_user: [x]\n")
