"""Approval guards for GitHub (see :mod:`bot.core.guards`): what must still hold right before
Quorum posts an APPROVE review.

:func:`github_approval_guards` gives the standard list, in order: the PR was not opened or
committed to by the bot, no human review was requested, it is not a draft (all from the reviewed
snapshot), then :class:`HeadUnchanged`, which re-reads the pull request from GitHub
(``GET /repos/{owner}/{repo}/pulls/{n}``) and withholds the approval when the head moved, the PR
closed, became a draft or was opened by the bot. Callers (App worker, Action) add their own guards
before these, so the live re-read stays the last thing before the approval.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.adapters.github.client import RepoClient
from bot.core.guards import ApprovalGuard
from bot.core.models import ReviewResult


def same_login(login: str | None, other: str | None) -> bool:
    """Case-insensitive login equality; False when either is empty (GitHub logins are case-insensitive)."""
    return bool(login and other and login.lower() == other.lower())


class NotOwnPullRequest:
    """Withholds the approval of a PR opened, authored or committed to by the bot, one that asked
    for a human review, or a draft (facts from the reviewed snapshot)."""

    name = "not_own_pull_request"

    def __init__(self, bot_login: str) -> None:
        self.bot_login = bot_login

    def __call__(self, result: ReviewResult) -> str | None:
        """Reason to withhold, or None."""
        pr = result.pr
        if same_login(pr.author, self.bot_login):
            return "the pull request was opened by Quorum itself"
        if any(same_login(c, self.bot_login) for c in pr.committers):
            return "Quorum authored or committed to this pull request"
        if pr.human_review_requested:
            return "a human review was requested"
        if pr.is_draft:
            return "the pull request is a draft"
        return None


class HeadUnchanged:
    """Re-reads the pull request just before approving: the head must still be the reviewed SHA
    and the PR open, not a draft, and not opened by the bot. Raises (so the gate withholds) when
    GitHub cannot be read."""

    name = "head_unchanged"

    def __init__(self, client: RepoClient, number: int, bot_login: str) -> None:
        self.client = client
        self.number = number
        self.bot_login = bot_login

    def __call__(self, result: ReviewResult) -> str | None:
        """Reason to withhold, or None."""
        head_sha = result.pr.head_sha
        pull = self.client.pull(self.number)
        now = pull["head"]["sha"]
        if now != head_sha:
            return f"head moved from {head_sha[:12]} to {now[:12]} during the review"
        if pull.get("state") != "open":
            return f"the pull request is {pull.get('state')}"
        if pull.get("draft"):
            return "the pull request was converted to a draft"
        if same_login((pull.get("user") or {}).get("login"), self.bot_login):
            return "the pull request was opened by Quorum itself"
        return None


def github_approval_guards(client: RepoClient, number: int, bot_login: str,
                           extra: Sequence[ApprovalGuard] = ()) -> list[ApprovalGuard]:
    """The standard guards for approving PR ``number``: snapshot facts, then ``extra`` (the
    caller's own, e.g. "no ``/quorum human`` meanwhile"), then the live head re-read last."""
    return [NotOwnPullRequest(bot_login), *extra, HeadUnchanged(client, number, bot_login)]
