"""The records shared by every layer: findings, verdicts, decisions, pull-request facts.

These shapes are contracts (see DESIGN.md, "Contracts"): the GitHub App, the evals, the decision
log and outside checks rely on the field names. Add fields; never rename or remove them.

They are Quorum's own data, built by Quorum's code, so they are standard-library dataclasses
(slotted; ``Finding`` frozen) rather than pydantic models: building ~8 pydantic classes cost every
``quorum review`` process several milliseconds before any work. What pydantic did on construction
that the code relies on is kept in ``__post_init__``: enum fields accept their string values,
float fields accept ints (and hold floats, so JSON shows ``1.0``), ``risk``/``confidence`` outside
[0, 1] raise ValueError, and list/dict arguments are copied. ``model_dump`` and ``model_copy``
keep the names and results of pydantic's methods for their callers (:class:`Record`). Input
that is not Quorum's own (LLM answers, webhook payloads, stored records) is validated by pydantic
models where it is parsed and only then turned into these records.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, fields, replace
from enum import Enum, StrEnum
from functools import lru_cache
from typing import Any, Self

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


def _jsonable(value: Any) -> Any:
    """``value`` as pydantic's ``model_dump(mode="json")`` renders a field of type ``Any``: enums
    by value, tuples/sets as lists, non-finite floats as None, records as dicts; anything else
    (a path, a date) through ``pydantic_core.to_jsonable_python`` itself."""
    if value is None or isinstance(value, (str, bool, int)) and not isinstance(value, Enum):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, Record):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict) and all(type(k) is str for k in value):
        return {k: _jsonable(v) for k, v in value.items()}
    from pydantic_core import to_jsonable_python  # noqa: PLC0415 - only for values outside plain JSON data

    return to_jsonable_python(value)


def _python(value: Any) -> Any:
    """``value`` as pydantic's ``model_dump()`` (python mode) renders it: records as dicts, fresh
    lists and dicts, everything else as it is."""
    if isinstance(value, Record):
        return value.model_dump()
    if isinstance(value, list):
        return [_python(v) for v in value]
    if isinstance(value, dict):
        return {k: _python(v) for k, v in value.items()}
    return value


class Record:
    """Base of Quorum's own dataclass records (here, :class:`bot.core.protocols.Snapshot`,
    :class:`bot.policy.facts.PolicyInput`): ``model_dump`` / ``model_copy`` with pydantic's names
    and results (their callers were written against pydantic models)."""

    __slots__ = ()

    def model_dump(self, *, mode: str = "python") -> dict[str, Any]:
        """The fields as a dict in declaration order; ``mode="json"``: JSON-ready values (enums by
        value; an int set on a float field after construction as a float), as pydantic's
        ``model_dump(mode="json")``. Raises ValueError for another mode."""
        if mode == "json":
            out = {}
            for f in fields(self):  # type: ignore[arg-type]
                value = getattr(self, f.name)
                if f.type == "float" and type(value) is int:
                    value = float(value)
                elif f.type == "dict[str, float]":
                    value = {k: float(v) if type(v) is int else v for k, v in value.items()}
                out[f.name] = _jsonable(value)
            return out
        if mode == "python":
            return {f.name: _python(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]
        raise ValueError(f"unknown mode {mode!r}")

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """A record from input Quorum did not build itself (e.g. a finding read back from the
        decision log): checked by pydantic against the field types (imported only here), then
        built as usual. Raises pydantic's ``ValidationError`` (a ValueError) on bad data."""
        return _adapter(cls).validate_python(data)

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with the fields in ``update`` replaced (checked and coerced like the constructor)."""
        return replace(self, **(update or {}))  # type: ignore[type-var]


@lru_cache(maxsize=None)
def _adapter(cls: type) -> Any:
    """pydantic's ``TypeAdapter`` for the dataclass ``cls``, built once per class."""
    from pydantic import TypeAdapter  # noqa: PLC0415 - only where outside input is parsed

    return TypeAdapter(cls)


def _unit(name: str, value: Any) -> float:
    """``value`` as a float in [0, 1]; ValueError naming ``name`` otherwise."""
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
    return number


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding(Record):
    """One problem (or note) a sub-agent found, anchored to a file and line of the head revision.

    ``id`` is stable across re-reviews of the same code: it hashes the rule id, the path and the
    anchor text (not the line number), so a finding keeps its id when unrelated lines move.
    ``evidence`` holds human-readable steps; for execution-path traces each step is
    ``"path:line symbol"``.
    """

    id: str
    rule_id: str
    agent: str
    severity: Severity
    path: str | None = None
    line: int | None = None
    end_line: int | None = None
    message: str
    evidence: list[str] = field(default_factory=list)
    suggestion: str | None = None
    same_cause: list[str] = field(default_factory=list)
    """Other rule ids that reported the same cause on the same line; merged into this finding
    (see :func:`bot.core.dedup.merge_same_cause`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "evidence", list(self.evidence))
        object.__setattr__(self, "same_cause", list(self.same_cause))

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


@dataclass(slots=True, kw_only=True)
class Verdict(Record):
    """One sub-agent's result. ``risk`` and ``confidence`` are in [0, 1] (ValueError otherwise);
    ``elapsed_ms`` is wall time."""

    agent: str
    status: Status
    risk: float
    confidence: float
    findings: list[Finding] = field(default_factory=list)
    model: str = "offline"
    prompt_version: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    elapsed_ms: float = 0.0
    truncated: bool = False
    """True when the agent could not look at all of its input (size caps, context window)."""
    error: str | None = None
    """Why the agent abstained, when it did because of an internal error or timeout."""
    notes: list[str] = field(default_factory=list)
    """Short free-form remarks (what was skipped, which model answered after a fallback)."""

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        self.risk = _unit("risk", self.risk)
        self.confidence = _unit("confidence", self.confidence)
        self.cost_usd = float(self.cost_usd)
        self.elapsed_ms = float(self.elapsed_ms)
        self.findings = list(self.findings)
        self.notes = list(self.notes)

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


@dataclass(slots=True, kw_only=True)
class Reason(Record):
    """One reason for a decision: the policy rule that produced it and a sentence."""

    rule_id: str
    message: str


@dataclass(slots=True, kw_only=True)
class RuleResult(Record):
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
    details: dict[str, Any] = field(default_factory=dict)
    children: list[RuleResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.action is not None:
            self.action = Action(self.action)
        self.details = dict(self.details)
        self.children = list(self.children)


@dataclass(slots=True, kw_only=True)
class Decision(Record):
    """The policy engine's decision for one evaluated head SHA; ``risk`` in [0, 1] (ValueError otherwise)."""

    action: Action
    reasons: list[Reason]
    risk: float
    policy_version: str
    decision_id: str
    tree: RuleResult | None = None

    def __post_init__(self) -> None:
        self.action = Action(self.action)
        self.reasons = list(self.reasons)
        self.risk = _unit("risk", self.risk)


@dataclass(slots=True, kw_only=True)
class PullRequestInfo(Record):
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
    labels: list[str] = field(default_factory=list)
    url: str | None = None
    human_review_requested: bool = False
    checks_passed: bool | None = None
    committers: list[str] = field(default_factory=list)
    description_known: bool = True

    def __post_init__(self) -> None:
        self.labels = list(self.labels)
        self.committers = list(self.committers)


@dataclass(slots=True, kw_only=True)
class Timings(Record):
    """Wall-clock milliseconds per stage; ``agents`` maps agent name to its own time.

    Review stages (their sum is about ``total_ms``, from taking the snapshot to the log append):
    ``snapshot_ms`` (git or GitHub reads), ``policy_ms`` (loading and evaluating the policy),
    ``setup_ms`` (building the review context and agents), ``index_ms`` (code index build or
    warm load; a cold review's index parses most files on demand, inside the agents' queries:
    that part is ``index_lazy_ms``, counted in ``agents_ms`` too), ``agents_ms`` (the agents, in parallel), ``publish_ms`` (sinks) and ``log_ms``
    (decision log append, including opening the store when the caller times it). ``quorum review``
    imports the pipeline and the agents while git reads the change (:mod:`bot.cli.earlysnap`): that
    time is counted in ``setup_ms`` (and ``total_ms``), and ``snapshot_ms`` is then the wait for the
    snapshot after it.

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
    agents: dict[str, float] = field(default_factory=dict)
    agent_procs: dict[str, float] = field(default_factory=dict)
    """Empty when the agents ran in threads of the review's process; when they ran in several
    processes (:mod:`bot.agentprocs`): ``processes``, ``preparse_ms`` and ``preparse_cpu_ms``
    (parsing the changed files before forking), ``fork_ms``, ``main_cpu_ms`` (this process's CPU
    from the fork to the last verdict, its threads included), ``reap_ms`` (waiting for the
    children to exit) and per child ``child<k>_cpu_ms``, ``child<k>_wall_ms``,
    ``child<k>_index_ms`` (the code index built in that child, where execution_paths runs: then
    ``index_ms`` too, inside ``agents_ms``) and ``child<k>_lazy_ms`` (its index's parsing on
    demand, also in ``index_lazy_ms``);
    ``fork_error`` (an errno) when a fork failed and fewer processes ran the agents. All inside
    ``agents_ms``. Also, with threads or processes, when the history risk step ran in a process of
    its own (:class:`bot.risk.step.ForkedRiskStep`): ``history_fork_ms`` (forking it, inside
    ``setup_ms``), ``history_cpu_ms`` and ``history_wall_ms`` (its CPU, git included, and wall
    time, beside the rest of the review)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.type == "float":
                setattr(self, f.name, float(getattr(self, f.name)))
        self.agents = {name: float(ms) for name, ms in self.agents.items()}
        self.agent_procs = {name: float(ms) for name, ms in self.agent_procs.items()}


@dataclass(slots=True, kw_only=True)
class ReviewResult(Record):
    """Everything one review produced: the JSON output of ``quorum review --format json``.

    The four contract keys are ``pr``, ``verdicts``, ``decision`` and ``timings``; the others are
    extra context for renderers and the decision log.
    """

    pr: PullRequestInfo
    verdicts: list[Verdict]
    decision: Decision
    timings: Timings
    diff_sha256: str = ""
    diff_stats: dict[str, int] = field(default_factory=dict)
    record_hash: str | None = None
    risk: dict[str, Any] | None = None
    """The history risk assessment (``bot.risk.assess.RiskAssessment`` as a dict), or None when
    the review had no history source."""

    def __post_init__(self) -> None:
        self.verdicts = list(self.verdicts)
        self.diff_stats = dict(self.diff_stats)
        if self.risk is not None:
            self.risk = dict(self.risk)
