"""What the policy engine looks at: the pull request, its parsed diff and the sub-agent verdicts."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.diff import Diff
from bot.core.models import PullRequestInfo, Record, Verdict
from bot.risk.assess import RiskAssessment


@dataclass(slots=True, kw_only=True)
class PolicyInput(Record):
    """The facts one evaluation runs on.

    ``pr``: pull-request facts (``checks_passed`` None when unknown, e.g. a local review);
    ``diff``: the parsed base..head diff (``diff.truncated`` when size caps cut it);
    ``verdicts``: one verdict per sub-agent that ran (disabled agents are simply absent);
    ``risk``: the history risk model's assessment (None: no history source for this review).
    """

    pr: PullRequestInfo
    diff: Diff
    verdicts: list[Verdict]
    risk: RiskAssessment | None = None

    def __post_init__(self) -> None:
        self.verdicts = list(self.verdicts)
