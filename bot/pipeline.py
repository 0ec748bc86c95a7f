"""The review pipeline: Snapshot -> ReviewContext -> sub-agents in parallel -> policy -> sinks -> log.

:func:`run_review` is the only review path: the webhook worker, ``quorum review``, ``quorum
action``, ``quorum replay`` and ``quorum eval`` differ only in the PullRequestSource, the sinks,
the decision log, the approval guards and the hooks they pass in.

Fail closed: an agent that raises or overruns its time budget abstains (never approve); a
policy that cannot be read raises :class:`bot.core.errors.PolicyError` for the caller to report.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.agent_options import AgentOptions, parse_all
from bot.core.context import ReviewContext
from bot.core.dedup import merge_same_cause
from bot.core.errors import PolicyError
from bot.core.guards import ApprovalGate, ApprovalGuard
from bot.core.models import AGENT_NAMES, ReviewResult, Timings, Verdict
from bot.core.protocols import DecisionLog, PostedArtifact, PullRequestSource, ReviewSink, Snapshot
from bot.core.registry import default_registry
from subagents.base import SubAgent, timed_out, verdict_or_abstain

if TYPE_CHECKING:
    from bot.policy import Policy

DEFAULT_AGENT_TIMEOUT_S = 30.0
"""Per-agent wall-clock budget when the policy does not set one (seconds)."""


@dataclass
class PipelineOptions:
    """How to run one review.

    - ``policy_text``: overrides the base-branch ``.quorum.yml`` (the local user's own file, CLI only).
    - ``cache_dir``: where the code index caches parsed files by blob SHA (None: no cache).
    - ``agents``: agent instances to run (default: all five, built fresh).
    - ``reasoner``: optional LLM layer (issue 4); passed to agents through the context.
    - ``agent_timeout_s``: fallback per-agent budget when the policy has none.
    - ``muted_rules``: rule ids muted by ``/quorum feedback`` votes (policy ``feedback``).
    - ``history``: where the base's history is read for the risk model
      (:class:`bot.history.gitlog.LocalHistory`); None: no history, the risk gate is skipped.
    - ``risk_model_text``: a risk model file overriding the repository's (``--risk-model``).
    """

    policy_text: str | None = None
    cache_dir: Path | None = None
    agents: Sequence[SubAgent] | None = None
    reasoner: Any | None = None
    agent_timeout_s: float = DEFAULT_AGENT_TIMEOUT_S
    index_builder: Callable[..., Any] | None = None
    muted_rules: frozenset[str] = frozenset()
    """Rules muted in this repository by feedback votes (see ``mute_findings``)."""
    history: Any | None = None
    risk_model_text: str | None = None
    linters: Any | None = None
    """Runs ruff/oxlint for the lint checks (:class:`bot.core.protocols.Linters`); None: the
    installed binaries (:class:`bot.lint.ExternalLinters`)."""
    agent_procs: int = 1
    """Processes the agents may run in (:mod:`bot.agentprocs`): 1 runs them in threads of this
    process; more lets a large review fork (:func:`bot.agentprocs.plan` decides). 1 by default:
    callers that run reviews in parallel already (the App worker, ``quorum eval``, ``quorum replay
    --jobs N``) use the cores that way; ``quorum review`` takes ``QUORUM_AGENT_PROCS`` (default
    ``auto``)."""
    agent_procs_min_work: int | None = None
    """The work estimate from which to fork (None: :data:`bot.agentprocs.MIN_WORK`; 0: always)."""


def _default_linters() -> Any:
    from bot.lint import ExternalLinters  # noqa: PLC0415 - like bot.codeindex: a service, imported when used

    return ExternalLinters()


@dataclass
class ReviewHooks:
    """Caller-specific steps on the review path (all optional).

    - ``before_policy(snapshot) -> skip note | None``: e.g. the App skips a closed PR or a draft
      (and withdraws stale approvals); the CLI refuses an empty diff by raising a QuorumError.
    - ``on_policy_error(snapshot, error) -> skip note``: handle an invalid policy (the App posts a
      failing check run) instead of raising PolicyError.
    - ``before_review(snapshot, policy) -> skip note | None``: e.g. the App skips a head already
      decided under the same policy version.
    """

    before_policy: Callable[[Snapshot], str | None] | None = None
    on_policy_error: Callable[[Snapshot, PolicyError], str] | None = None
    before_review: Callable[[Snapshot, Policy], str | None] | None = None


@dataclass
class ReviewOutcome:
    """What :func:`run_review` did: the snapshot (closed), the result (None when ``skipped``), what
    the sinks posted, the approval gate (``gate.withheld``: why an approval was withheld) and the
    decision-log ``record_hash`` (None without a log)."""

    snapshot: Snapshot
    gate: ApprovalGate
    result: ReviewResult | None = None
    posted: list[PostedArtifact] = field(default_factory=list)
    skipped: str | None = None
    record_hash: str | None = None


class SnapshotSource:
    """A PullRequestSource over a snapshot already taken (eval cases build their own snapshots)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def snapshot(self) -> Snapshot:
        """The snapshot given at construction."""
        return self._snapshot


class LazyIndex:
    """Thread-safe, build-once accessor for the head code index (``ReviewContext.code_index``).

    ``warm()`` builds it ahead of time without raising; a build error is remembered and raised
    to every caller of ``__call__`` (the agent that needs the index then abstains).
    """

    def __init__(self, snapshot: Snapshot, options: PipelineOptions, timings: Timings) -> None:
        self._snapshot = snapshot
        self._options = options
        self._timings = timings
        self._lock = threading.Lock()
        self._index: Any = None
        self._error: Exception | None = None
        self.built_here_ms = 0.0
        """Milliseconds this process spent building the index (0 until built, or when a forked
        child built it: :mod:`bot.agentprocs` reports that child's time)."""

    def _build(self) -> None:
        start = time.perf_counter()
        builder = self._options.index_builder
        if builder is None:
            from bot.codeindex import lazy_index as builder  # noqa: PLC0415 - heavy; parses on demand
        try:
            self._index = builder(self._snapshot.head, cache_dir=self._options.cache_dir)
        except Exception as exc:  # noqa: BLE001 - remembered and re-raised to the agents
            self._error = exc
        self._timings.index_ms = self.built_here_ms = round((time.perf_counter() - start) * 1000, 2)

    def warm(self) -> bool:
        """Build now (if not built yet); True when an index is available."""
        with self._lock:
            if self._index is None and self._error is None:
                self._build()
            return self._index is not None

    def lazy_ms(self) -> float:
        """Milliseconds the index spent parsing on demand inside queries (0 for a full index)."""
        stats = getattr(self._index, "stats", None)
        return round(float(getattr(stats, "lazy_ms", 0.0)), 2)

    def __call__(self) -> Any:
        """The index; raises the build error if building failed."""
        self.warm()
        if self._error is not None:
            raise self._error
        return self._index


def run_agents(ctx: ReviewContext, agents: Sequence[SubAgent], timeouts: dict[str, float]) -> list[Verdict]:
    """Run agents in parallel daemon threads, each within its own budget (seconds).

    An agent that raises abstains with ``error="internal error: <Type>: <msg>"``; one that overruns
    abstains with ``error="timed out after Ns"`` (its thread is abandoned, never awaited).
    Verdicts come back in the order of ``agents``. (:class:`bot.agentprocs.ProcessRun` is the
    same in several processes.)
    """
    results: dict[str, Verdict] = {}
    threads: list[tuple[SubAgent, threading.Thread, float]] = []

    def work(agent: SubAgent) -> None:
        results[agent.name] = verdict_or_abstain(agent, ctx)

    for agent in agents:
        t = threading.Thread(target=work, args=(agent,), name=f"quorum-agent-{agent.name}", daemon=True)
        t.start()
        threads.append((agent, t, time.monotonic() + timeouts.get(agent.name, DEFAULT_AGENT_TIMEOUT_S)))
    verdicts: list[Verdict] = []
    for agent, t, deadline in threads:
        t.join(max(0.0, deadline - time.monotonic()))
        verdict = results.get(agent.name)
        if t.is_alive() or verdict is None:
            verdict = timed_out(agent.name, timeouts.get(agent.name, DEFAULT_AGENT_TIMEOUT_S))
        verdicts.append(verdict)
    return verdicts


def run_review(
    source: PullRequestSource,
    options: PipelineOptions | None = None,
    *,
    sinks: Sequence[ReviewSink] = (),
    log: DecisionLog | None = None,
    guards: Sequence[ApprovalGuard] = (),
    hooks: ReviewHooks | None = None,
    delivery_id: str | None = None,
    record_extra: dict[str, Any] | Callable[[ReviewOutcome], dict[str, Any]] | None = None,
) -> ReviewOutcome:
    """The one review path (CLI, App worker, Action, replay, eval): snapshot -> policy -> agents ->
    policy decision -> sinks (with an approval gate over ``guards``) -> decision log.

    - ``source`` yields the Snapshot (closed again before returning, whatever happens).
    - ``hooks`` lets a caller skip before any review (a closed PR, a draft, a head already
      decided) or handle an invalid policy; see :class:`ReviewHooks`.
    - ``guards`` are the approval-time checks (:mod:`bot.core.guards`); every sink gets one
      :class:`~bot.core.guards.ApprovalGate` over them and asks it right before approving.
    - ``log`` receives ``record_from_result`` with what the sinks posted and ``record_extra``
      (a dict, or a function of the outcome, called after the sinks published).

    Returns a :class:`ReviewOutcome` (``result`` None when a hook skipped the review). Raises
    SourceError (snapshot failed), PolicyError (invalid policy and no ``on_policy_error`` hook),
    whatever a sink raises (nothing is logged then, so the caller can retry), and whatever
    ``log.append`` raises (AuditError: the sinks have published; publishing is idempotent per head).
    """
    options = options or PipelineOptions()
    hooks = hooks or ReviewHooks()
    t0 = time.perf_counter()
    snapshot = source.snapshot()
    try:
        snapshot_ms = _ms(t0)
        outcome = ReviewOutcome(snapshot=snapshot, gate=ApprovalGate(guards))
        if hooks.before_policy is not None and (note := hooks.before_policy(snapshot)):
            outcome.skipped = note
            return outcome
        t1 = time.perf_counter()
        try:
            policy = _load_policy(snapshot, options)
        except PolicyError as err:
            if hooks.on_policy_error is None:
                raise
            outcome.skipped = hooks.on_policy_error(snapshot, err)
            return outcome
        policy_load_ms = _ms(t1)
        if hooks.before_review is not None and (note := hooks.before_review(snapshot, policy)):
            outcome.skipped = note
            return outcome
        result = _review(snapshot, policy, options)
        outcome.result = result
        timings = result.timings
        timings.snapshot_ms = snapshot_ms
        timings.policy_ms = round(timings.policy_ms + policy_load_ms, 2)
        t2 = time.perf_counter()
        for sink in sinks:
            outcome.posted.extend(sink.publish(result, outcome.gate))
        timings.publish_ms = _ms(t2)
        if log is not None:
            from bot.audit import record_from_result  # noqa: PLC0415 - only when logging

            t3 = time.perf_counter()
            extra = record_extra(outcome) if callable(record_extra) else record_extra
            record = record_from_result(result, delivery_id=delivery_id, posted=outcome.posted, extra=extra)
            result.record_hash = outcome.record_hash = log.append(record)
            timings.log_ms = _ms(t3)
        timings.total_ms = _ms(t0)
        return outcome
    finally:
        snapshot.close()


def _review(snapshot: Snapshot, policy: Policy, options: PipelineOptions) -> ReviewResult:
    """Agents in parallel over one ReviewContext, then the policy decision (timings filled in).
    The history risk step runs beside them: in a process of its own (:func:`_forked_risk_step`),
    else in a thread started once the agents have forked."""
    t0 = time.perf_counter()
    agents = list(options.agents) if options.agents is not None else _enabled_agents(policy)
    _prefetch_listing(snapshot, agents)
    risk_step = _forked_risk_step(snapshot, policy, options)
    try:
        return _review_with(snapshot, policy, options, t0, risk_step, agents)
    finally:
        if risk_step is not None:
            risk_step.close()  # still running (something raised): killed and reaped


def _prefetch_listing(snapshot: Snapshot, agents: Sequence[SubAgent]) -> None:
    """Start listing the head tree now (``prefetch_listing``, :class:`bot.adapters.gitlocal.GitTree`)
    when this review will build a code index: execution_paths runs and a changed file is code. The
    listing (``git ls-tree -r`` of the whole tree, 5-10 ms on a ~1,500-file tree) then runs on
    another CPU while this process sets up and parses, not when the index is built (in a forked
    child, after the fork: :mod:`bot.agentprocs` settles it before forking)."""
    start = getattr(snapshot.head, "prefetch_listing", None)
    if callable(start) and any(a.name == "execution_paths" for a in agents) and any(f.language for f in snapshot.diff.files):
        start()


def _forked_risk_step(snapshot: Snapshot, policy: Policy, options: PipelineOptions) -> Any:
    """The history risk step forked now, first thing of the review, when there is history, the
    gate is on, the review may fork (:func:`bot.agentprocs.may_fork`; the process runs no other
    thread yet) and the history below the base was not read before
    (:func:`bot.risk.step.history_cached`): it then runs while this process sets up and parses, on a CPU idle meanwhile,
    and never takes this process's GIL from the agents (:class:`bot.risk.step.ForkedRiskStep`).
    None otherwise, or when the fork fails (a thread then runs the step)."""
    if options.history is None or not policy.risk_model.enabled or options.agent_procs <= 1:
        return None
    from bot import agentprocs  # noqa: PLC0415 - only where a review may fork

    if not agentprocs.may_fork(options.agent_procs, options.reasoner):
        return None
    from bot.risk import step  # noqa: PLC0415 - only when history is available

    if step.history_cached(options.history, snapshot.pr.base_sha):
        return None  # mostly cache reads: cheaper in a thread than the pages a fork makes this process copy
    try:
        return step.ForkedRiskStep(snapshot, options.history, options.risk_model_text)
    except OSError:
        return None


def _review_with(snapshot: Snapshot, policy: Policy, options: PipelineOptions, t0: float,
                 risk_step: Any, agents: list[SubAgent]) -> ReviewResult:
    """:func:`_review` once the risk step has forked (``risk_step``) or not (None), with the
    review's ``agents``."""
    from bot.policy import PolicyInput, evaluate  # noqa: PLC0415

    timings = Timings()
    timeouts = {
        a.name: policy.agents.get(a.name).timeout_s if a.name in AGENT_NAMES else options.agent_timeout_s
        for a in agents
    }
    if options.reasoner is not None:
        # Model calls take longer than parsing: the LLM budget from settings is a floor.
        timeouts = {name: max(t, options.agent_timeout_s) for name, t in timeouts.items()}
    index = LazyIndex(snapshot, options, timings)
    ctx = ReviewContext(
        pr=snapshot.pr,
        diff=snapshot.diff,
        base=snapshot.base,  # type: ignore[arg-type]
        head=snapshot.head,  # type: ignore[arg-type]
        code_index=index,
        deadline=time.monotonic() + max(timeouts.values(), default=options.agent_timeout_s) * 0.9,
        options=_agent_options(policy),
        llm=options.reasoner,
        linters=options.linters if options.linters is not None else _default_linters(),
    )
    processes = 1
    if options.agent_procs > 1:
        from bot import agentprocs  # noqa: PLC0415 - only where a review may fork

        min_work = agentprocs.MIN_WORK if options.agent_procs_min_work is None else options.agent_procs_min_work
        processes = agentprocs.plan(ctx, agents, options.agent_procs, min_work=min_work)
    index_agent = next((i for i, a in enumerate(agents) if a.name == "execution_paths"), None)
    if index_agent is not None and processes == 1 and any(f.language for f in snapshot.diff.files):
        # Build the index on the main thread before agent threads exist, so the builder may fork
        # its parse workers; a failure here is left for the agent to meet (and abstain on). When
        # the agents fork, the child that runs execution_paths (the index's one user) builds it,
        # beside the other agents.
        index.warm()
    t1 = time.perf_counter()
    forked = None
    if processes > 1:
        # Fork before any thread starts (the history step's, when it has no process of its own):
        # a child must not inherit a thread's locks.
        forked = agentprocs.ProcessRun(ctx, agents, timeouts, processes, default_timeout=DEFAULT_AGENT_TIMEOUT_S,
                                       first_in_child=index_agent)
    if risk_step is None and options.history is not None and policy.risk_model.enabled:
        from bot.risk.step import RiskStep  # noqa: PLC0415 - only when history is available

        risk_step = RiskStep(snapshot, options.history, options.risk_model_text)
    children_lazy_ms = 0.0
    try:
        if forked is not None:
            ran = forked.verdicts()
            timings.agent_procs = dict(forked.stats)
            timings.index_ms = forked.children_total("index_ms")
            children_lazy_ms = forked.children_total("lazy_ms")
        else:
            ran = run_agents(ctx, agents, timeouts)
        verdicts = merge_same_cause(mute_findings(ran, options.muted_rules), default_registry())
        t2 = time.perf_counter()
        risk = None
        if risk_step is not None:
            budget = max(timeouts.values(), default=options.agent_timeout_s)
            risk = risk_step.result(max(1.0, budget - (t2 - t1)), findings=[f for v in verdicts for f in v.findings])
            timings.history_ms = risk.elapsed_ms
            timings.agent_procs.update(risk_step.stats)
        decision = evaluate(policy, PolicyInput(pr=snapshot.pr, diff=snapshot.diff, verdicts=verdicts, risk=risk))
    finally:
        if forked is not None:
            forked.close()  # the agent children that were exiting, reaped (after the decision: see bot.agentprocs)
    timings.setup_ms = round((t1 - t0) * 1000 - index.built_here_ms, 2)
    timings.agents_ms = round((t2 - t1) * 1000, 2)
    timings.index_lazy_ms = round(index.lazy_ms() + children_lazy_ms, 2)
    timings.policy_ms = _ms(t2)  # includes waiting for the history risk step, a policy input
    timings.agents = {v.agent: v.elapsed_ms for v in verdicts}
    return ReviewResult(
        pr=snapshot.pr,
        verdicts=verdicts,
        decision=decision,
        timings=timings,
        diff_sha256=snapshot.diff.sha256,
        diff_stats=snapshot.diff.stats(),
        risk=None if risk is None else risk.model_dump(mode="json"),
    )


def _load_policy(snapshot: Snapshot, options: PipelineOptions) -> Policy:
    from bot.policy import load_policy  # noqa: PLC0415

    if options.policy_text is not None:
        return load_policy(options.policy_text, source="--policy")
    return load_policy(snapshot.policy_text, source=".quorum.yml (base)" if snapshot.policy_text else "default")


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


NEVER_MUTED_AGENTS = frozenset({"safety"})
"""Agents whose findings feedback can never mute: secrets, injection and dangerous calls."""


def mute_findings(verdicts: list[Verdict], muted: frozenset[str]) -> list[Verdict]:
    """``verdicts`` without the findings of ``muted`` rules, except critical findings and those of
    ``NEVER_MUTED_AGENTS``. Statuses, risks and confidences are kept as the agents set them, so a
    mute can stop a comment and a finding-count gate, never turn a concern into a pass."""
    if not muted:
        return verdicts
    out = []
    for v in verdicts:
        kept = [f for f in v.findings if f.rule_id not in muted or f.severity.value == "critical"
                or v.agent in NEVER_MUTED_AGENTS]
        out.append(v if len(kept) == len(v.findings) else v.model_copy(update={
            "findings": kept, "notes": [*v.notes, f"{len(v.findings) - len(kept)} finding(s) of muted rules not reported"]}))
    return out


def _enabled_agents(policy: Policy) -> list[SubAgent]:
    from subagents import default_agents  # noqa: PLC0415

    return default_agents(policy.agents.enabled_names())


def _agent_options(policy: Policy) -> dict[str, AgentOptions]:
    """Per-agent typed options from the policy, plus the switched-on sensitive-path categories for
    the safety agent, so that it and the policy's ``paths.sensitive`` gate agree."""
    options = policy.agents.options_by_agent()
    options.setdefault("safety", {}).setdefault("sensitive_categories", policy.sensitive_paths.categories.enabled())
    return parse_all(options)
