"""The auto-approval gates, one small module per family, in the order they are reported.

``GATE_GROUPS`` lists ``(group_id, description, predicates)``; each predicate is a pure function
``(Policy, PolicyInput) -> RuleResult`` (see :mod:`bot.policy.predicates.base`).
"""

from __future__ import annotations

from bot.policy.predicates import diff, findings, paths, pr, risk, verdicts
from bot.policy.predicates.base import Predicate

TOP_GATES: tuple[Predicate, ...] = (pr.enabled,)
"""Gates placed directly under the ``auto_approve`` node."""

GATE_GROUPS: tuple[tuple[str, str, tuple[Predicate, ...]], ...] = (
    (
        "diff",
        "The diff is non-empty, complete and small",
        (diff.non_empty, diff.changed_lines, diff.files, diff.split, diff.truncated),
    ),
    (
        "paths",
        "No sensitive path and nothing that cannot be reviewed as text",
        (paths.sensitive, paths.special_files),
    ),
    (
        "verdicts",
        "Every required sub-agent passed, confident and low-risk",
        (
            verdicts.present,
            verdicts.abstain,
            verdicts.block,
            verdicts.concern,
            verdicts.confidence,
            verdicts.risk,
            verdicts.truncated,
        ),
    ),
    (
        "findings",
        "No critical finding, no suspected prompt injection, no holding rule, few minor findings",
        (findings.critical, findings.prompt_injection, findings.hold_rules, findings.minor),
    ),
    (
        "pr",
        "The pull request is ready, unrestricted and green",
        (pr.draft, pr.human_review, pr.author, pr.checks),
    ),
    (
        "risk",
        "The repository's own history does not predict trouble",
        (risk.probability,),
    ),
)

__all__ = ["GATE_GROUPS", "TOP_GATES", "Predicate"]
