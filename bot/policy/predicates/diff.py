"""Gates on the diff's size and completeness: caps, emptiness, the split threshold, truncation."""

from __future__ import annotations

from bot.core.models import RuleResult
from bot.policy.facts import PolicyInput
from bot.policy.model import Policy
from bot.policy.predicates.base import leaf, plural, quote


def non_empty(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``diff.non_empty``: an empty diff is never approved (there is nothing to approve)."""
    n = len(facts.diff.files)
    return leaf(
        "diff.non_empty",
        "The diff changes at least one file",
        n > 0,
        f"{plural(n, 'file')} changed" if n else "the diff is empty: nothing to approve",
        details={"files": n},
    )


def changed_lines(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``diff.changed_lines``: additions + deletions <= ``auto_approve.max_changed_lines``."""
    cap = policy.auto_approve.max_changed_lines
    n = facts.diff.changed_lines
    ok = n <= cap
    return leaf(
        "diff.changed_lines",
        f"At most {cap:,} changed lines",
        ok,
        f"{plural(n, 'changed line')} ({'within' if ok else 'over'} the cap of {cap:,})",
        details={
            "changed_lines": n,
            "additions": facts.diff.additions,
            "deletions": facts.diff.deletions,
            "max_changed_lines": cap,
        },
    )


def files(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``diff.files``: number of changed files <= ``auto_approve.max_files``."""
    cap = policy.auto_approve.max_files
    n = len(facts.diff.files)
    ok = n <= cap
    return leaf(
        "diff.files",
        f"At most {plural(cap, 'changed file')}",
        ok,
        f"{plural(n, 'changed file')} ({'within' if ok else 'over'} the cap of {cap:,})",
        details={"files": n, "max_files": cap},
    )


def split(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``diff.split``: a diff over ``large_diff.split_threshold_lines`` lines or
    ``split_threshold_files`` files asks for ``actions.large_diff`` and suggests splitting the PR."""
    lines_cap = policy.large_diff.split_threshold_lines
    files_cap = policy.large_diff.split_threshold_files
    lines = facts.diff.changed_lines
    n_files = len(facts.diff.files)
    over = lines > lines_cap or n_files > files_cap
    if over:
        message = (
            f"{plural(lines, 'changed line')} in {plural(n_files, 'file')} is over the split threshold "
            f"({lines_cap:,} lines or {files_cap:,} files): consider splitting this pull request into "
            "smaller ones that can be reviewed one at a time"
        )
    else:
        message = f"{plural(lines, 'changed line')} in {plural(n_files, 'file')} (split threshold {lines_cap:,} lines / {files_cap:,} files)"
    return leaf(
        "diff.split",
        "The diff is small enough to review in one piece",
        not over,
        message,
        action=policy.actions.of("large_diff"),
        details={
            "changed_lines": lines,
            "files": n_files,
            "split_threshold_lines": lines_cap,
            "split_threshold_files": files_cap,
        },
    )


def truncated(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``diff.truncated``: the diff was parsed in full (not cut by size caps). Fails closed."""
    reasons = [quote(r) for r in facts.diff.truncation_reasons]
    cut = facts.diff.truncated
    return leaf(
        "diff.truncated",
        "The whole diff was read",
        not cut,
        ("the diff was truncated: " + ("; ".join(reasons) or "reason not given")) if cut else "the whole diff was read",
        action=policy.actions.of("truncation"),
        details={"truncated": cut, "reasons": reasons},
    )
