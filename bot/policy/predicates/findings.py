"""Gates on individual findings: critical severity, suspected prompt injection."""

from __future__ import annotations

from bot.core.models import Finding, RuleResult, Severity
from bot.policy.facts import PolicyInput
from bot.policy.predicates.base import capped, leaf, listing, plural, quote
from bot.policy.schema import Policy

PROMPT_INJECTION_RULE = "safety/prompt-injection"
"""Rule id of the safety agent's finding for text that addresses the reviewer."""

_INJECTION_MARK = "prompt-injection"


def is_prompt_injection(f: Finding) -> bool:
    """True for a finding about suspected prompt injection, from any agent.

    Fails closed by matching broadly: ``safety/prompt-injection`` itself, more specific ids below
    it, and any rule id naming prompt injection with ``-`` or ``_`` in any case (the LLM layer names
    its findings ``<agent>/llm-prompt_injection``).
    """
    return _INJECTION_MARK in f.rule_id.lower().replace("_", "-")


def _all(facts: PolicyInput) -> list[Finding]:
    return [f for v in facts.verdicts for f in v.findings]


def _where(f: Finding) -> str:
    if not f.path:
        return f"{quote(f.id, 24)} {quote(f.rule_id, 60)}"
    return f"{quote(f.id, 24)} {quote(f.rule_id, 60)} at {quote(f.path, 80)}" + (f":{f.line}" if f.line else "")


def _ref(f: Finding) -> dict[str, object]:
    return {"id": f.id, "rule_id": f.rule_id, "agent": f.agent, "path": f.path, "line": f.line}


def critical(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``findings.critical``: no finding of severity ``critical``; asks for ``actions.critical_finding``."""
    hits = [f for f in _all(facts) if f.severity is Severity.critical]
    return leaf(
        "findings.critical",
        "No critical finding",
        not hits,
        f"{plural(len(hits), 'critical finding')}: {listing(_where(f) for f in hits)}" if hits else "no critical finding",
        action=policy.actions.of("critical_finding"),
        details={"findings": capped([_ref(f) for f in hits]), "count": len(hits)},
    )


def prompt_injection(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``findings.prompt_injection``: no suspected prompt injection. Fails closed; asks for
    ``actions.prompt_injection``."""
    hits = [f for f in _all(facts) if is_prompt_injection(f)]
    return leaf(
        "findings.prompt_injection",
        "No suspected prompt injection",
        not hits,
        f"suspected prompt injection: {listing(_where(f) for f in hits)}" if hits else "no suspected prompt injection",
        action=policy.actions.of("prompt_injection"),
        details={"findings": capped([_ref(f) for f in hits]), "count": len(hits)},
    )
