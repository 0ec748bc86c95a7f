"""What the policy engine looks at: the pull request, its parsed diff and the sub-agent verdicts."""

from __future__ import annotations

from pydantic import BaseModel

from bot.core.diff import Diff
from bot.core.models import PullRequestInfo, Verdict
from bot.risk.assess import RiskAssessment


class PolicyInput(BaseModel):
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
