"""The LLM reasoner: what ``ReviewContext.llm`` holds when a model is configured.

``Reasoner(client, config, cache=...)(agent, ctx, analysis) -> Verdict`` reviews the agent's
units (see :mod:`bot.llm.payload`) with its versioned prompt, its read-only tools and budgets,
and returns an *advisory* verdict that :func:`subagents.base.merge_advice` merges into the
deterministic one (findings added, risk = max, status = the stricter, confidence = the lower).

Fail closed: a unit that fails makes the whole advisory verdict ``abstain`` (with the reason);
units left out for the token budget or the deadline, and prompts cut to fit, make it
``truncated``. Instructions aimed at the reviewer are reported deterministically by the
``safety`` agent (``safety/prompt-injection``), whatever a model says; a model that reports them
(``injection_suspected`` or a ``prompt_injection`` finding) adds a ``safety/prompt-injection``
finding (major, like the safety agent's: the policy routes it to a human, never to approval) to
its own agent.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.context import ReviewContext
from bot.core.models import Finding, Severity, Status, Verdict
from bot.core.sanitize import redact_secrets, strip_hidden
from bot.llm.cache import AnswerCache, cache_key
from bot.llm.client import LLMClient
from bot.llm.conversation import TokenBudget, UnitOutcome, converse
from bot.llm.payload import Unit, build_units
from bot.llm.prompts import load_prompt
from bot.llm.schema import AgentAnswer, AnswerFinding, FindingKind
from bot.llm.tools import ToolBox, traced_context

_STATUS_RANK = {Status.passed: 0, Status.concern: 1, Status.block: 2, Status.abstain: 3}
_SEVERITY_STATUS = {Severity.critical: Status.block, Severity.major: Status.concern}
_RISK_WEIGHT = {Severity.info: 0.02, Severity.minor: 0.1, Severity.major: 0.35, Severity.critical: 0.8}
TRACED_AGENTS: frozenset[str] = frozenset({"logic", "execution_paths"})
"""Agents whose file units include callers traced by the code index."""
INJECTION_RULE = "safety/prompt-injection"


class _Analysis(Protocol):
    findings: list[Finding]


@dataclass(frozen=True)
class ReasonerConfig:
    """Budgets and models. Token figures are tokens; ``unit_workers`` threads per agent.

    - ``model``: litellm model id used by every agent unless ``agent_models`` names another;
      ``fallback_models`` are tried in order after it fails.
    - ``max_steps``: tool-call rounds per unit; ``max_input_tokens``: estimated size cap of a
      unit's first prompt (also capped by the model's context window); ``max_output_tokens``:
      per answer; ``agent_token_budget``: everything one agent may spend in one review.
    - ``min_time_left_s``: a unit is not started with less time than this before the deadline.
    """

    model: str
    agent_models: Mapping[str, str] = field(default_factory=dict)
    fallback_models: Sequence[str] = ()
    max_steps: int = 4
    max_input_tokens: int = 12_000
    max_output_tokens: int = 1_500
    agent_token_budget: int = 100_000
    unit_workers: int = 4
    tools: bool = True
    min_time_left_s: float = 5.0

    def models_for(self, agent: str) -> list[str]:
        """The model chain of ``agent``: its model, then the fallbacks (duplicates removed)."""
        chain = [self.agent_models.get(agent) or self.model, *self.fallback_models]
        return list(dict.fromkeys(m for m in chain if m))


def _clean(text: str, limit: int) -> str:
    """Model text made safe to post: hidden markup stripped, secrets redacted, length capped."""
    visible, _ = redact_secrets(strip_hidden(text).text)
    return visible if len(visible) <= limit else visible[: limit - 1] + "…"


class Reasoner:
    """Callable LLM layer for sub-agents. Thread-safe: agents call it concurrently.

    ``client`` is an :class:`~bot.llm.client.LLMClient` (``bot.adapters.llm.LiteLLMClient``);
    ``cache`` an :class:`~bot.llm.cache.AnswerCache` (None: no caching).
    """

    def __init__(self, client: LLMClient, config: ReasonerConfig, *, cache: AnswerCache | None = None) -> None:
        self.client = client
        self.config = config
        self.cache = cache
        self._windows: dict[str, int | None] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ entry point

    def __call__(self, agent: str, ctx: ReviewContext, analysis: _Analysis) -> Verdict:
        """Review ``ctx`` as ``agent`` and return the advisory Verdict (never raises for model
        failures: those abstain)."""
        start = time.perf_counter()
        cfg = self.config
        prompt = load_prompt(agent, cfg.max_steps)
        models = cfg.models_for(agent)
        budget_tokens = self._unit_budget(models[0])
        traced = (lambda change: traced_context(ctx, change)) if agent in TRACED_AGENTS else None
        units, skipped = build_units(agent, prompt.version, ctx, list(analysis.findings), budget_tokens, traced)
        toolbox = ToolBox(ctx) if cfg.tools else None
        budget = TokenBudget(cfg.agent_token_budget)
        outcomes = self._run_units(agent, ctx, prompt.text, prompt.version, models, units, toolbox, budget)

        findings: list[Finding] = []
        notes: list[str] = []
        status = Status.passed
        risk = 0.0
        confidence = 1.0
        errors: list[str] = []
        truncated = False
        for unit, outcome in zip(units, outcomes, strict=True):
            truncated = truncated or unit.truncated
            notes.extend(f"left out of the prompt: {o}" for o in unit.omitted)
            if outcome is None:
                truncated = True
                continue
            notes.extend(outcome.notes)
            if outcome.error is not None:
                errors.append(f"{unit.id}: {outcome.error}")
                continue
            answer = outcome.answer
            assert answer is not None
            found = self._findings(agent, ctx, unit, answer)
            findings.extend(found)
            status = _stricter(status, answer.status, *(_SEVERITY_STATUS.get(f.severity, Status.passed) for f in found))
            risk = max(risk, answer.risk)
            confidence = min(confidence, answer.confidence)
            if answer.status is Status.abstain:
                errors.append(f"{unit.id}: the model abstained: {_clean(answer.summary, 300) or 'no reason given'}")
            elif answer.status is not Status.passed and answer.summary:
                notes.append(f"{unit.id}: {_clean(answer.summary, 300)}")
        skipped_units = [u.id for u, o in zip(units, outcomes, strict=True) if o is None]
        if skipped_units:
            notes.append(f"not reviewed by the model (budget or deadline): {', '.join(skipped_units[:10])}")
        if skipped:
            notes.append("files left to the analyzers: " + ", ".join(f"{s.path} ({s.reason})" for s in skipped[:10]))
        findings = _dedupe(findings)
        status = _stricter(status, *(_SEVERITY_STATUS.get(f.severity, Status.passed) for f in findings))
        risk = max(risk, _risk_for(findings))
        done = [o for o in outcomes if o is not None]
        notes.extend(_usage_notes(units, done, skipped, outcomes))
        tokens = sum(o.tokens for o in done)
        cost = round(sum(o.cost_usd for o in done), 6)
        if any(not o.cost_known for o in done):
            notes.append("cost unknown for a model missing from litellm's offline cost map (counted as 0)")
        model = _answered_by(done, models[0])
        elapsed = round((time.perf_counter() - start) * 1000, 2)
        if errors:
            verdict = Verdict.abstain(agent, "LLM: " + errors[0][:400], elapsed_ms=elapsed, model=model)
            return verdict.model_copy(
                update={
                    "findings": findings,
                    "prompt_version": prompt.version,
                    "tokens": tokens,
                    "cost_usd": cost,
                    "truncated": truncated,
                    "notes": notes + [f"LLM: {e}"[:400] for e in errors[1:5]],
                }
            )
        return Verdict(
            agent=agent,
            status=status,
            risk=round(min(1.0, risk), 4),
            confidence=round(confidence, 4),
            findings=findings,
            model=model,
            prompt_version=prompt.version,
            tokens=tokens,
            cost_usd=cost,
            elapsed_ms=elapsed,
            truncated=truncated,
            notes=notes,
        )

    # ------------------------------------------------------------------ units

    def _unit_budget(self, model: str) -> int:
        with self._lock:
            if model not in self._windows:
                self._windows[model] = self.client.context_window(model)
            window = self._windows[model]
        cap = self.config.max_input_tokens
        if window:
            cap = min(cap, max(1000, window - self.config.max_output_tokens - 1000))
        return cap

    def _run_units(
        self,
        agent: str,
        ctx: ReviewContext,
        system: str,
        version: str,
        models: list[str],
        units: list[Unit],
        toolbox: ToolBox | None,
        budget: TokenBudget,
    ) -> list[UnitOutcome | None]:
        """Outcomes in unit order; None for a unit not attempted (budget, deadline, or an
        earlier unit already failed, which makes the agent abstain anyway)."""
        cfg = self.config
        results: list[UnitOutcome | None] = [None] * len(units)
        failed = threading.Event()
        lock = threading.Lock()
        queue = list(enumerate(units))

        def work() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    i, unit = queue.pop(0)
                results[i] = self._one_unit(agent, ctx, system, version, models, unit, toolbox, budget, failed)
                if results[i] is not None and results[i].error is not None:
                    failed.set()

        workers = [
            threading.Thread(target=work, name=f"quorum-llm-{agent}-{n}", daemon=True)
            for n in range(max(1, min(cfg.unit_workers, len(units))))
        ]
        for t in workers:
            t.start()
        for t in workers:
            left = ctx.time_left()
            t.join(None if left is None else max(0.0, left))
        return list(results)

    def _one_unit(
        self,
        agent: str,
        ctx: ReviewContext,
        system: str,
        version: str,
        models: list[str],
        unit: Unit,
        toolbox: ToolBox | None,
        budget: TokenBudget,
        failed: threading.Event,
    ) -> UnitOutcome | None:
        cfg = self.config
        key = cache_key(
            agent=agent,
            prompt_version=version,
            models=models,
            system_text=system,
            unit_text=unit.text,
            tools=toolbox is not None,
            max_steps=cfg.max_steps,
        )
        hit = self._cached(key, unit.id)
        if hit is not None:
            return hit
        left = ctx.time_left()
        if failed.is_set() or (left is not None and left < cfg.min_time_left_s):
            return None
        outcome = converse(
            self.client,
            models,
            system,
            unit.text,
            unit_id=unit.id,
            toolbox=toolbox,
            max_steps=cfg.max_steps,
            max_output_tokens=cfg.max_output_tokens,
            budget=budget,
        )
        if outcome.answer is not None and self.cache is not None:
            self.cache.put(
                key,
                {"unit": unit.id, "model": outcome.model, "answer": outcome.answer.model_dump(mode="json"),
                 "tokens": outcome.tokens},
            )
        return outcome

    def _cached(self, key: str, unit_id: str) -> UnitOutcome | None:
        if self.cache is None:
            return None
        value = self.cache.get(key)
        if not value:
            return None
        try:
            answer = AgentAnswer.model_validate(value.get("answer"))
        except ValueError:
            return None
        return UnitOutcome(unit_id=unit_id, answer=answer, model=str(value.get("model") or ""), cached=True)

    # ------------------------------------------------------------------ findings

    def _findings(self, agent: str, ctx: ReviewContext, unit: Unit, answer: AgentAnswer) -> list[Finding]:
        out = [self._finding(agent, ctx, unit, f) for f in answer.findings]
        if answer.injection_suspected and not any(f.rule_id == INJECTION_RULE for f in out):
            out.append(
                Finding.make(
                    rule_id=INJECTION_RULE,
                    agent=agent,
                    severity=Severity.major,
                    path=unit.path,
                    message="The model reported instructions aimed at the reviewer in this "
                    f"{'file' if unit.path else 'pull request'}; it is never auto-approved.",
                    anchor=f"llm-injection:{unit.id}",
                )
            )
        return out

    def _finding(self, agent: str, ctx: ReviewContext, unit: Unit, f: AnswerFinding) -> Finding:
        path = f.path.strip().removeprefix("./") if f.path else unit.path
        line, end_line = f.line, f.end_line
        message = _clean(f.message, 1000)
        text_lines: list[str] = []
        if path and ctx.diff.file(path) is None:
            data = ctx.head.read(path)
            if data is None:
                message = f"{message} (the model cited {_clean(path, 200)!r}, which is not in the head revision)"
                path, line, end_line = None, None, None
            else:
                text_lines = data.decode("utf-8", "replace").splitlines()
        elif path:
            text_lines = (ctx.head_text(path) or "").splitlines()
        if line is not None and (not text_lines or line > len(text_lines)):
            line, end_line = None, None
        if end_line is not None and line is not None and end_line < line:
            end_line = line
        anchor_text = text_lines[line - 1].strip() if line is not None else ""
        if f.kind is FindingKind.prompt_injection:
            rule_id, severity = INJECTION_RULE, Severity.major
        else:
            rule_id, severity = f"{agent}/llm-{f.kind.value.replace('_', '-')}", f.severity
        return Finding.make(
            rule_id=rule_id,
            agent=agent,
            severity=severity,
            path=path,
            line=line,
            end_line=end_line,
            message=message,
            evidence=[_clean(e, 300) for e in f.evidence],
            suggestion=_clean(f.suggestion, 1000) if f.suggestion else None,
            anchor=f"{anchor_text}\x1f{message}",
        )


def _stricter(*statuses: Status) -> Status:
    return max(statuses, key=lambda s: _STATUS_RANK[s])


def _risk_for(findings: list[Finding]) -> float:
    keep = 1.0
    for f in findings:
        keep *= 1.0 - _RISK_WEIGHT[f.severity]
    return round(1.0 - keep, 4)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.id not in seen:
            seen.add(f.id)
            out.append(f)
    return out


def _answered_by(done: list[UnitOutcome], primary: str) -> str:
    """The model that answered most units (the primary when nothing was asked)."""
    counts = Counter(o.model for o in done if o.model)
    return counts.most_common(1)[0][0] if counts else primary


def _usage_notes(
    units: list[Unit], done: list[UnitOutcome], skipped: list[Any], outcomes: list[UnitOutcome | None]
) -> list[str]:
    notes = []
    cached = sum(1 for o in done if o.cached)
    calls = sum(o.calls for o in done)
    latency = sum(o.latency_ms for o in done)
    notes.append(
        f"LLM: {len(units)} unit(s), {cached} from cache, {calls} call(s), "
        f"{sum(o.steps for o in done)} tool round(s), {latency:.0f} ms model latency"
    )
    models = sorted({o.model for o in done if o.model and not o.cached})
    if len(models) > 1:
        notes.append("answered by: " + ", ".join(models))
    redactions = sum(u.redactions for u in units)
    hidden = sum(u.hidden for u in units)
    invisible = sum(u.invisible for u in units)
    if redactions:
        notes.append(f"{redactions} secret(s) redacted before sending")
    if hidden or invisible:
        notes.append(
            f"hidden content neutralized before sending: {hidden} hidden comment(s), {invisible} invisible character(s)"
        )
    return notes
