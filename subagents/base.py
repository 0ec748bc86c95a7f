"""Base class for sub-agents: deterministic analyzers first, an optional LLM reasoner beside them.

A sub-agent turns a :class:`~bot.core.context.ReviewContext` into a
:class:`~bot.core.models.Verdict`. Subclasses implement :meth:`SubAgent.analyze` (pure parsing:
tree-sitter, unidiff, regexes — never import, build or run the code under review) and may
override :meth:`SubAgent.confidence` and :meth:`SubAgent.risk`.

When ``ctx.llm`` is set (``bot.llm.Reasoner``), :meth:`SubAgent.review` asks it for an advisory
verdict after the deterministic analysis and merges it with :func:`merge_advice`: the LLM may add
findings, raise risk, block or abstain; it can never lower the deterministic status.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bot.core.context import ReviewContext
from bot.core.models import AGENT_NAMES, Finding, Severity, Status, Verdict
from bot.core.registry import Registry, default_registry

_STATUS_RANK = {Status.passed: 0, Status.concern: 1, Status.block: 2, Status.abstain: 3}


def status_for(findings: list[Finding]) -> Status:
    """Default mapping from findings to a status.

    critical -> ``block``; major -> ``concern``; minor or info only -> ``pass``.
    """
    worst = max((f.severity.rank for f in findings), default=-1)
    if worst >= Severity.critical.rank:
        return Status.block
    if worst >= Severity.major.rank:
        return Status.concern
    return Status.passed


def risk_for(findings: list[Finding]) -> float:
    """Default risk in [0, 1]: 1 - prod(1 - w) over findings, w = 0.02/0.1/0.35/0.8 by severity."""
    weights = {Severity.info: 0.02, Severity.minor: 0.1, Severity.major: 0.35, Severity.critical: 0.8}
    keep = 1.0
    for f in findings:
        keep *= 1.0 - weights[f.severity]
    return round(1.0 - keep, 4)


def merge_status(deterministic: Status, advisory: Status) -> Status:
    """The stricter of two statuses (pass < concern < block < abstain): an advisory reasoner can
    only tighten a deterministic status, never relax it."""
    return deterministic if _STATUS_RANK[deterministic] >= _STATUS_RANK[advisory] else advisory


def merge_advice(deterministic: Verdict, advice: Verdict) -> Verdict:
    """Merge the LLM's advisory verdict into the deterministic one; the result is never laxer.

    Findings: the deterministic ones, then the advisory ones not already present (same id, or
    same rule, path and line). Status: :func:`merge_status` (so a deterministic concern can never
    become a pass, and an advisory abstention always wins). Risk: the maximum. Confidence: the
    minimum (0 when abstaining). ``truncated``: either. ``model``, ``prompt_version``, ``tokens``,
    ``cost_usd`` come from the advice; ``error`` is the advice's, else the deterministic one.
    """
    seen = {f.id for f in deterministic.findings} | {(f.rule_id, f.path, f.line) for f in deterministic.findings}
    added = [f for f in advice.findings if f.id not in seen and (f.rule_id, f.path, f.line) not in seen]
    findings = sorted(
        [*deterministic.findings, *added],
        key=lambda f: (f.path or "", f.line or 0, -f.severity.rank, f.rule_id),
    )
    status = merge_status(merge_status(deterministic.status, advice.status), status_for(added))
    return deterministic.model_copy(
        update={
            "status": status,
            "risk": max(deterministic.risk, advice.risk),
            "confidence": 0.0 if status is Status.abstain else min(deterministic.confidence, advice.confidence),
            "findings": findings,
            "model": advice.model,
            "prompt_version": advice.prompt_version,
            "tokens": advice.tokens,
            "cost_usd": advice.cost_usd,
            "truncated": deterministic.truncated or advice.truncated,
            "error": advice.error or deterministic.error,
            "notes": [*deterministic.notes, *advice.notes],
        }
    )


def verdict_or_abstain(agent: SubAgent, ctx: ReviewContext) -> Verdict:
    """``agent.review(ctx)``, or the abstention ``internal error: <Type>: <message>`` (cut to 500
    characters) when it raises: how the pipeline runs an agent, in a thread or in a forked process
    (:func:`bot.pipeline.run_agents`, :mod:`bot.agentprocs`)."""
    started = time.perf_counter()
    try:
        return agent.review(ctx)
    except Exception as exc:  # noqa: BLE001 - any agent failure must turn into an abstention
        elapsed = (time.perf_counter() - started) * 1000
        return Verdict.abstain(agent.name, f"internal error: {type(exc).__name__}: {exc}"[:500], elapsed_ms=round(elapsed, 2))


def timed_out(name: str, budget: float) -> Verdict:
    """The abstention of agent ``name`` that overran its budget of ``budget`` seconds."""
    return Verdict.abstain(name, f"timed out after {budget:g}s", elapsed_ms=budget * 1000)


def check_registered(findings: list[Finding], registry: Registry) -> None:
    """Raise :class:`~bot.core.registry.UnknownRuleError` when a finding's ``rule_id`` is not in the
    registry (the pipeline turns the error into an abstention: fail closed)."""
    for f in findings:
        registry.require(f.rule_id)


@dataclass
class Analysis:
    """What the deterministic analyzers of one agent produced.

    ``confidence`` in [0, 1]: how much of the change the analyzers could actually understand
    (e.g. lower when files are in languages without a parser). ``truncated`` when caps cut input.
    """

    findings: list[Finding] = field(default_factory=list)
    confidence: float = 0.9
    truncated: bool = False
    notes: list[str] = field(default_factory=list)


class SubAgent:
    """One reviewer. Subclasses set ``name`` (one of ``AGENT_NAMES``) and implement ``analyze``."""

    name: str = ""

    def analyze(self, ctx: ReviewContext) -> Analysis:
        """Run the deterministic analyzers. Must not raise for bad input; may raise on bugs
        (the pipeline turns an exception into an abstention)."""
        raise NotImplementedError

    def review(self, ctx: ReviewContext) -> Verdict:
        """Analyze and build the Verdict (status, risk, confidence, findings, elapsed_ms)."""
        start = time.perf_counter()
        analysis = self.analyze(ctx)
        findings = sorted(
            analysis.findings,
            key=lambda f: (f.path or "", f.line or 0, -f.severity.rank, f.rule_id),
        )
        verdict = Verdict(
            agent=self.name,
            status=status_for(findings),
            risk=risk_for(findings),
            confidence=analysis.confidence,
            findings=findings,
            truncated=analysis.truncated,
            notes=analysis.notes,
        )
        if ctx.llm is not None:
            verdict = merge_advice(verdict, self._advise(ctx, analysis))
        registry = default_registry()
        check_registered(verdict.findings, registry)
        options = ctx.agent_options(self.name) if self.name in AGENT_NAMES else None
        if options is not None and any(not options.reports(f.rule_id, registry) for f in verdict.findings):
            kept = [f for f in verdict.findings if options.reports(f.rule_id, registry)]
            verdict = verdict.model_copy(update={
                "findings": kept,
                "notes": [*verdict.notes, f"{len(verdict.findings) - len(kept)} finding(s) of rules switched off "
                          f"by the policy (disable, or off by default) not reported"],
            })
        verdict.elapsed_ms = round((time.perf_counter() - start) * 1000, 2)
        return verdict

    def _advise(self, ctx: ReviewContext, analysis: Analysis) -> Verdict:
        """Ask the LLM reasoner (``ctx.llm(agent, ctx, analysis) -> Verdict``); any failure of
        the reasoner itself becomes an abstention with the error (fail closed)."""
        try:
            advice = ctx.llm(self.name, ctx, analysis)  # type: ignore[misc]
        except Exception as exc:  # noqa: BLE001 - an LLM failure must abstain, never pass
            return Verdict.abstain(self.name, f"LLM reasoner failed: {type(exc).__name__}: {exc}"[:500])
        if not isinstance(advice, Verdict):
            return Verdict.abstain(self.name, f"LLM reasoner returned {type(advice).__name__}, not a Verdict")
        return advice
