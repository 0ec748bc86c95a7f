"""Gates on the sub-agent verdicts: presence, status, confidence, risk, truncation.

Every verdict present is checked, not only the required ones: an agent that ran and objected is
never ignored. An abstention is also a verdict with ``error`` set (a timeout or crash), whatever
its status says. Abstaining verdicts are judged by ``verdicts.abstain`` alone, not again by the
confidence and risk gates.
"""

from __future__ import annotations

from bot.core.models import RuleResult, Status, Verdict
from bot.policy.facts import PolicyInput
from bot.policy.model import Policy
from bot.policy.predicates.base import leaf, listing, plural, quote


def is_abstention(v: Verdict) -> bool:
    """True for ``status == abstain`` or a verdict carrying an ``error``."""
    return v.status is Status.abstain or v.error is not None


def _judged(facts: PolicyInput) -> list[Verdict]:
    return [v for v in facts.verdicts if not is_abstention(v)]


def present(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``verdicts.present``: every agent of ``auto_approve.required_agents`` returned a verdict."""
    required = policy.auto_approve.required_agents
    have = {v.agent for v in facts.verdicts}
    missing = [a for a in required if a not in have]
    if missing:
        disabled = [a for a in missing if not policy.agents.get(a).enabled]
        message = "no verdict from " + listing(missing)
        if disabled:
            message += (
                f" ({listing(disabled)} disabled under agents; remove from auto_approve.required_agents "
                "to approve without)"
            )
    else:
        message = f"all {plural(len(required), 'required agent')} reported"
    return leaf(
        "verdicts.present",
        "Every required sub-agent reported",
        not missing,
        message,
        details={"required": list(required), "present": sorted(have), "missing": missing},
    )


def abstain(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``verdicts.abstain``: no agent abstained. Fails closed; asks for ``actions.abstention``."""
    gone = [v for v in facts.verdicts if is_abstention(v)]
    if gone:
        message = "abstained: " + listing(
            f"{quote(v.agent, 40)} ({quote(v.error, 80)})" if v.error else quote(v.agent, 40) for v in gone
        )
    else:
        message = "no agent abstained"
    return leaf(
        "verdicts.abstain",
        "No sub-agent abstained",
        not gone,
        message,
        action=policy.actions.of("abstention"),
        details={"abstained": [{"agent": v.agent, "error": v.error} for v in gone]},
    )


def _status_gate(policy: Policy, facts: PolicyInput, status: Status, condition: str, word: str) -> RuleResult:
    hit = [v for v in _judged(facts) if v.status is status]
    if hit:
        message = f"{word}: " + listing(
            f"{quote(v.agent, 40)} (risk {v.risk:.2f}, {plural(len(v.findings), 'finding')})" for v in hit
        )
    else:
        message = f"no agent reported {status.value}"
    return leaf(
        f"verdicts.{status.value}",
        f"No sub-agent verdict {status.value}",
        not hit,
        message,
        action=policy.actions.of(condition),
        details={"agents": [v.agent for v in hit]},
    )


def block(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``verdicts.block``: no verdict ``block``; asks for ``actions.block_verdict``."""
    return _status_gate(policy, facts, Status.block, "block_verdict", "blocked by")


def concern(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``verdicts.concern``: no verdict ``concern``; asks for ``actions.concern``."""
    return _status_gate(policy, facts, Status.concern, "concern", "concerns from")


def confidence(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``verdicts.confidence``: every (non-abstaining) verdict has confidence >= ``auto_approve.min_confidence``."""
    floor = policy.auto_approve.min_confidence
    low = [v for v in _judged(facts) if v.confidence < floor]
    return leaf(
        "verdicts.confidence",
        f"Every sub-agent is at least {floor:.2f} confident",
        not low,
        ("low confidence: " + listing(f"{quote(v.agent, 40)} {v.confidence:.2f}" for v in low))
        if low
        else f"every verdict at least {floor:.2f} confident",
        details={"min_confidence": floor, "confidence": {v.agent: v.confidence for v in _judged(facts)}},
    )


def risk(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``verdicts.risk``: every (non-abstaining) verdict has risk <= ``auto_approve.max_risk``."""
    cap = policy.auto_approve.max_risk
    high = [v for v in _judged(facts) if v.risk > cap]
    return leaf(
        "verdicts.risk",
        f"Every sub-agent reports a risk of at most {cap:.2f}",
        not high,
        ("high risk: " + listing(f"{quote(v.agent, 40)} {v.risk:.2f}" for v in high))
        if high
        else f"every verdict at most {cap:.2f} risk",
        details={"max_risk": cap, "risk": {v.agent: v.risk for v in _judged(facts)}},
    )


def truncated(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``verdicts.truncated``: no agent reported truncated input. Fails closed; asks for ``actions.truncation``."""
    cut = [v.agent for v in facts.verdicts if v.truncated]
    return leaf(
        "verdicts.truncated",
        "Every sub-agent read all of its input",
        not cut,
        ("input truncated for " + listing(quote(a, 40) for a in cut)) if cut else "no agent input was truncated",
        action=policy.actions.of("truncation"),
        details={"agents": cut},
    )
