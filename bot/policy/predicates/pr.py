"""Gates on the pull request itself: the policy switch, draft state, human-review requests, author, checks."""

from __future__ import annotations

from bot.core.models import RuleResult
from bot.policy.facts import PolicyInput
from bot.policy.model import Policy
from bot.policy.predicates.base import leaf, quote


def enabled(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``auto_approve.enabled``: the policy allows auto-approval at all (false = shadow mode)."""
    on = policy.auto_approve.enabled
    return leaf(
        "auto_approve.enabled",
        "Auto-approval is enabled by the policy",
        on,
        "auto-approval is enabled" if on else "auto-approval is disabled by the policy (auto_approve.enabled: false)",
        details={"enabled": on},
    )


def draft(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``pr.draft``: the pull request is not a draft."""
    d = facts.pr.is_draft
    return leaf(
        "pr.draft",
        "The pull request is ready for review (not a draft)",
        not d,
        "the pull request is a draft" if d else "not a draft",
        details={"is_draft": d},
    )


def human_review(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``pr.human_review``: nobody asked for a human reviewer; asks for ``actions.human_review_requested``."""
    asked = facts.pr.human_review_requested
    return leaf(
        "pr.human_review",
        "No human review was requested",
        not asked,
        "a human review was requested" if asked else "no human review requested",
        action=policy.actions.of("human_review_requested"),
        details={"human_review_requested": asked},
    )


def is_bot_login(login: str, flagged: bool) -> bool:
    """True when GitHub says the author is a bot, or the login has the ``[bot]`` suffix of GitHub Apps."""
    return flagged or login.strip().lower().endswith("[bot]")


def author(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``pr.author``: the author is not in ``auto_approve.excluded_authors`` (case-insensitive)
    and, with ``auto_approve.exclude_bots``, not a bot. Skipped when neither applies."""
    cfg = policy.auto_approve
    login = facts.pr.author
    bot = is_bot_login(login, facts.pr.author_is_bot)
    details = {"author": login, "is_bot": bot, "exclude_bots": cfg.exclude_bots}
    if not cfg.excluded_authors and not cfg.exclude_bots:
        return leaf("pr.author", "The author may be auto-approved", None, "no author restrictions", details=details)
    problems = []
    if login.strip().casefold() in cfg.excluded_authors:
        problems.append(f"author '{quote(login, 60)}' is listed in auto_approve.excluded_authors")
    if cfg.exclude_bots and bot:
        problems.append(f"author '{quote(login, 60)}' is a bot (auto_approve.exclude_bots)")
    return leaf(
        "pr.author",
        "The author may be auto-approved",
        not problems,
        "; ".join(problems) if problems else (f"author '{quote(login, 60)}' may be auto-approved" if login else "author unknown, not excluded"),
        details=details,
    )


def checks(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``pr.checks``: required status checks are green. ``checks_passed`` None (unknown, e.g. a
    local review) passes only with ``auto_approve.allow_unknown_checks``. Skipped when
    ``auto_approve.require_checks_green`` is false."""
    cfg = policy.auto_approve
    state = facts.pr.checks_passed
    details = {"checks_passed": state, "allow_unknown_checks": cfg.allow_unknown_checks}
    if not cfg.require_checks_green:
        return leaf("pr.checks", "Required checks are green", None, "not required by the policy", details=details)
    if state is None:
        ok = cfg.allow_unknown_checks
        message = "check results unknown" + (" (allowed by the policy)" if ok else " (auto_approve.allow_unknown_checks: false)")
    else:
        ok = state
        message = "required checks are green" if ok else "required checks are not green"
    return leaf("pr.checks", "Required checks are green", ok, message, details=details)
