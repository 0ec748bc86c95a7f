"""Gates on individual findings: critical severity, suspected prompt injection, rules that hold an
approval back whatever their severity, and the number of minor findings."""

from __future__ import annotations

from bot.core.models import Finding, RuleResult, Severity
from bot.core.registry import default_registry
from bot.policy.facts import PolicyInput
from bot.policy.model import Policy, rule_selected
from bot.policy.predicates.base import capped, leaf, listing, plural, quote

PROMPT_INJECTION_RULE = "safety/prompt-injection"
"""Rule id of the safety agent's finding for text that addresses the reviewer."""

INJECTION_SELECTOR = "tag:injection"
"""Registry selector of the rules that report suspected prompt injection."""


def is_prompt_injection(f: Finding) -> bool:
    """True for a finding of a rule the registry tags ``injection`` (``safety/prompt-injection``;
    the LLM layer reports its injection suspicions under that id too). Selected by tag, never by
    substring; an unregistered id cannot reach here (the agent abstains on it)."""
    return default_registry().selects(INJECTION_SELECTOR, f.rule_id)


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


def _ref_sev(f: Finding) -> dict[str, object]:
    return {**_ref(f), "severity": f.severity.value}


def hold_rules(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``findings.hold_rules``: no finding of a rule listed in ``auto_approve.hold_rules`` (a rule
    id, or a prefix ending in ``/``), whatever its severity. Skipped when the list is empty."""
    selectors = policy.auto_approve.hold_rules
    if not selectors:
        return leaf("findings.hold_rules", "No finding of a rule that holds approval back", None,
                    "auto_approve.hold_rules is empty", details={"hold_rules": []})
    hits = [(f, sel) for f in _all(facts) if (sel := rule_selected(f.rule_id, selectors)) is not None]
    if hits:
        message = (f"{plural(len(hits), 'finding')} of rules that hold approval back (auto_approve.hold_rules): "
                   + listing(f"{_where(f)} ({f.severity.value})" for f, _ in hits))
    else:
        message = f"no finding of {listing(selectors, 3)}"
    return leaf(
        "findings.hold_rules",
        "No finding of a rule that holds approval back",
        not hits,
        message,
        details={
            "hold_rules": list(selectors),
            "findings": capped([{**_ref_sev(f), "selector": sel} for f, sel in hits]),
            "count": len(hits),
        },
    )


def minor(policy: Policy, facts: PolicyInput) -> RuleResult:
    """``findings.minor``: at most ``auto_approve.max_minor_findings`` findings of severity
    ``minor`` (from every agent). Skipped when the cap is null."""
    cap = policy.auto_approve.max_minor_findings
    found = [f for f in _all(facts) if f.severity is Severity.minor]
    details = {"count": len(found), "max_minor_findings": cap, "findings": capped([_ref(f) for f in found])}
    if cap is None:
        return leaf("findings.minor", "Few minor findings", None, "no cap on minor findings", details=details)
    ok = len(found) <= cap
    message = f"{plural(len(found), 'minor finding')} ({'within' if ok else 'over'} the cap of {cap:,})"
    if found and not ok:
        message += ": " + listing(_where(f) for f in found)
    return leaf("findings.minor", f"At most {plural(cap, 'minor finding')}", ok, message, details=details)
