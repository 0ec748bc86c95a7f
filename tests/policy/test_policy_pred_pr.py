"""Table tests for the pull-request gates: enabled, draft, human review, author, checks."""

from __future__ import annotations

import pytest

from bot.core.models import Action
from bot.policy.predicates import pr as gates


@pytest.mark.parametrize(("enabled", "status"), [("true", "pass"), ("false", "fail")])
def test_enabled(mk, enabled, status) -> None:
    r = gates.enabled(mk.policy(f"auto_approve: {{enabled: {enabled}}}"), mk.facts())
    assert r.status == status


@pytest.mark.parametrize(("draft", "status"), [(False, "pass"), (True, "fail")])
def test_draft(mk, default_policy, draft, status) -> None:
    r = gates.draft(default_policy, mk.facts(is_draft=draft))
    assert (r.status, r.action) == (status, None)


@pytest.mark.parametrize(("asked", "status"), [(False, "pass"), (True, "fail")])
def test_human_review(mk, default_policy, asked, status) -> None:
    r = gates.human_review(default_policy, mk.facts(human_review_requested=asked))
    assert (r.status, r.action) == (status, Action.needs_human)


AUTHOR = [
    # policy override, author, author_is_bot, status
    (None, "alice", False, "pass"),
    (None, "dependabot[bot]", False, "fail"),  # [bot] suffix counts even if the flag is missing
    (None, "renovate", True, "fail"),
    ("auto_approve: {exclude_bots: false}", "renovate", True, "skip"),
    ("auto_approve: {exclude_bots: false, excluded_authors: [Mallory]}", "renovate", True, "pass"),
    ("auto_approve: {excluded_authors: [Mallory]}", "mallory", False, "fail"),
    ("auto_approve: {excluded_authors: [mallory]}", "MALLORY", False, "fail"),
    ("auto_approve: {excluded_authors: [mallory]}", "alice", False, "pass"),
    (None, "", False, "pass"),
]


@pytest.mark.parametrize(("override", "author", "is_bot", "status"), AUTHOR)
def test_author(mk, override, author, is_bot, status) -> None:
    r = gates.author(mk.policy(override), mk.facts(author=author, author_is_bot=is_bot))
    assert r.status == status
    assert r.action is None


CHECKS = [
    # require_checks_green, allow_unknown_checks, checks_passed, status
    (True, True, True, "pass"),
    (True, True, False, "fail"),
    (True, True, None, "pass"),
    (True, False, None, "fail"),
    (True, False, True, "pass"),
    (False, False, False, "skip"),
    (False, True, None, "skip"),
]


@pytest.mark.parametrize(("require", "allow_unknown", "passed", "status"), CHECKS)
def test_checks(mk, require, allow_unknown, passed, status) -> None:
    policy = mk.policy(
        f"auto_approve: {{require_checks_green: {str(require).lower()}, allow_unknown_checks: {str(allow_unknown).lower()}}}"
    )
    r = gates.checks(policy, mk.facts(checks_passed=passed))
    assert r.status == status
