"""Pydantic models shared by every layer: findings, verdicts, decisions, pull-request facts.

These shapes are contracts (see DESIGN.md, "Contracts"): the GitHub App, the evals, the decision
log and outside checks rely on the field names. Add fields; never rename or remove them.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

AGENT_NAMES: tuple[str, ...] = ("intent", "safety", "logic", "anti_patterns", "execution_paths")
"""The five sub-agents, in the order they are reported."""


class Severity(StrEnum):
    """How much a finding matters. Ordered: info < minor < major < critical."""

    info = "info"
    minor = "minor"
    major = "major"
    critical = "critical"

    @property
    def rank(self) -> int:
        """0 for info .. 3 for critical."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.info: 0, Severity.minor: 1, Severity.major: 2, Severity.critical: 3}


class Status(StrEnum):
    """A sub-agent's overall verdict on the pull request."""

    passed = "pass"
    concern = "concern"
    block = "block"
    abstain = "abstain"


class Action(StrEnum):
    """What the policy engine decides to do with the pull request."""

    approve = "approve"
    comment = "comment"
    request_changes = "request_changes"
    needs_human = "needs_human"


class Finding(BaseModel):
    """One problem (or note) a sub-agent found, anchored to a file and line of the head revision.

    ``id`` is stable across re-reviews of the same code: it hashes the rule id, the path and the
    anchor text (not the line number), so a finding keeps its id when unrelated lines move.
    ``evidence`` holds human-readable steps; for execution-path traces each step is
    ``"path:line symbol"``.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    rule_id: str
    agent: str
    severity: Severity
    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    message: str
    evidence: list[str] = Field(default_factory=list)
    suggestion: str | None = None
    same_cause: list[str] = Field(default_factory=list)
    """Other rule ids that reported the same cause on the same line; merged into this finding
    (see :func:`bot.core.dedup.merge_same_cause`)."""

    @classmethod
    def make(
        cls,
        *,
        rule_id: str,
        agent: str,
        severity: Severity | str,
        message: str,
        path: str | None = None,
        line: int | None = None,
        end_line: int | None = None,
        evidence: list[str] | None = None,
        suggestion: str | None = None,
        anchor: str | None = None,
    ) -> Finding:
        """Build a finding with a stable id.

        ``anchor`` is the text that identifies the spot (usually the stripped source line); when
        omitted the message is used. The id is ``Q`` + the first 10 hex digits of
        SHA-256(rule_id, path, anchor).
        """
        key = "\x1f".join([rule_id, path or "", (anchor if anchor is not None else message).strip()])
        fid = "Q" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:10]
        return cls(
            id=fid,
            rule_id=rule_id,
            agent=agent,
            severity=Severity(severity),
            path=path,
            line=line,
            end_line=end_line if end_line is not None else line,
            message=message,
            evidence=list(evidence or []),
            suggestion=suggestion,
        )


class Verdict(BaseModel):
    """One sub-agent's result. ``risk`` and ``confidence`` are in [0, 1]; ``elapsed_ms`` is wall time."""

    agent: str
    status: Status
    risk: float = Field(ge=0.0, le=1.0)
    confidence: float = Field(ge=0.0, le=1.0)
    findings: list[Finding] = Field(default_factory=list)
    model: str = "offline"
    prompt_version: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    elapsed_ms: float = 0.0
    truncated: bool = False
    """True when the agent could not look at all of its input (size caps, context window)."""
    error: str | None = None
    """Why the agent abstained, when it did because of an internal error or timeout."""
    notes: list[str] = Field(default_factory=list)
    """Short free-form remarks (what was skipped, which model answered after a fallback)."""

    @classmethod
    def abstain(cls, agent: str, reason: str, *, elapsed_ms: float = 0.0, model: str = "offline") -> Verdict:
        """The verdict of an agent that could not decide: never compatible with approval."""
        return cls(
            agent=agent,
            status=Status.abstain,
            risk=1.0,
            confidence=0.0,
            error=reason,
            elapsed_ms=elapsed_ms,
            model=model,
        )


class Reason(BaseModel):
    """One reason for a decision: the policy rule that produced it and a sentence."""

    rule_id: str
    message: str


class RuleResult(BaseModel):
    """A node of the policy result tree (palantir/policy-bot's ``common.Result`` shape).

    ``status`` is ``"pass"`` (the gate holds), ``"fail"`` (it does not) or ``"skip"`` (not
    applicable). ``details`` holds the values the rule looked at, for explanations and audits.
    """

    rule_id: str
    description: str
    status: str
    message: str = ""
    action: Action | None = None
    """The action this node asks for when it fails (None for pure approval gates)."""
    details: dict[str, Any] = Field(default_factory=dict)
    children: list[RuleResult] = Field(default_factory=list)


class Decision(BaseModel):
    """The policy engine's decision for one evaluated head SHA."""

    action: Action
    reasons: list[Reason]
    risk: float = Field(ge=0.0, le=1.0)
    policy_version: str
    decision_id: str
    tree: RuleResult | None = None


class PullRequestInfo(BaseModel):
    """Facts about the pull request under review (or the local branch treated as one).

    ``repo`` is ``owner/name`` on GitHub and for a local clone with a GitHub remote
    (:func:`bot.core.repoid.repo_identity`), else the absolute path of the local repository.
    ``checks_passed`` is None where required checks are unknown (local review).
    ``base_sha`` is the merge base the diff was taken from; ``policy_sha`` is the commit the policy
    (``.quorum.yml``) and CODEOWNERS were read from: the tip of the target branch at review time
    (as palantir/policy-bot: "read from the most recent commit on the target branch"). None only in
    records written before it was recorded.
    ``description_known`` is False when ``body`` is not a pull-request description the author wrote
    for reviewers, but a commit message (a local review of a commit, a replayed squash merge).
    """

    repo: str
    number: int | None = None
    title: str = ""
    body: str = ""
    author: str = ""
    author_is_bot: bool = False
    base_ref: str = ""
    head_ref: str = ""
    base_sha: str
    head_sha: str
    policy_sha: str | None = None
    is_draft: bool = False
    labels: list[str] = Field(default_factory=list)
    url: str | None = None
    human_review_requested: bool = False
    checks_passed: bool | None = None
    committers: list[str] = Field(default_factory=list)
    description_known: bool = True


class Timings(BaseModel):
    """Wall-clock milliseconds per stage; ``agents`` maps agent name to its own time.

    Review stages (their sum is about ``total_ms``, from taking the snapshot to the log append):
    ``snapshot_ms`` (git or GitHub reads), ``policy_ms`` (loading and evaluating the policy),
    ``setup_ms`` (building the review context and agents), ``index_ms`` (code index build or
    warm load; a cold review's index parses most files on demand, inside the agents' queries:
    that part is ``index_lazy_ms``, counted in ``agents_ms`` too), ``agents_ms`` (the agents, in parallel), ``publish_ms`` (sinks) and ``log_ms``
    (decision log append, including opening the store when the caller times it).

    Process stages, filled in by the CLI only (0 elsewhere): ``startup_ms`` (process start, from
    ``/proc/self/stat``, to the CLI's entry point: interpreter start and imports), ``cli_ms`` (entry
    point to the start of the review: settings, argument parsing, imports) and ``render_ms``
    (writing the output). ``wall_ms`` is process start to the end of rendering; what remains of
    the process's life after that is interpreter exit. ``start_cpu_ms`` is the CPU time (user +
    system, ``time.process_time``) the process spent from its start to the start of the review:
    what start-up costs whatever the load of the machine (0 when the command server ran the
    review: the client's own CPU is not this process's).
    """

    snapshot_ms: float = 0.0
    index_ms: float = 0.0
    index_lazy_ms: float = 0.0
    setup_ms: float = 0.0
    agents_ms: float = 0.0
    policy_ms: float = 0.0
    publish_ms: float = 0.0
    log_ms: float = 0.0
    history_ms: float = 0.0
    """History facts and risk score (git log/blame below the base, cached). It runs beside the
    agents; any wait for it after they finish is counted in ``policy_ms``."""
    total_ms: float = 0.0
    startup_ms: float = 0.0
    cli_ms: float = 0.0
    render_ms: float = 0.0
    wall_ms: float = 0.0
    start_cpu_ms: float = 0.0
    agents: dict[str, float] = Field(default_factory=dict)


class ReviewResult(BaseModel):
    """Everything one review produced: the JSON output of ``quorum review --format json``.

    The four contract keys are ``pr``, ``verdicts``, ``decision`` and ``timings``; the others are
    extra context for renderers and the decision log.
    """

    pr: PullRequestInfo
    verdicts: list[Verdict]
    decision: Decision
    timings: Timings
    diff_sha256: str = ""
    diff_stats: dict[str, int] = Field(default_factory=dict)
    record_hash: str | None = None
    risk: dict[str, Any] | None = None
    """The history risk assessment (``bot.risk.assess.RiskAssessment`` as a dict), or None when
    the review had no history source."""
