"""Table tests for the finding gates: critical severity, suspected prompt injection."""

from __future__ import annotations

import pytest

from bot.core.models import Action
from bot.policy import PROMPT_INJECTION_RULE
from bot.policy.predicates import findings as gates

CRITICAL = [
    ([], "pass"),
    ([("logic/x", "minor")], "pass"),
    ([("logic/x", "major"), ("logic/y", "info")], "pass"),
    ([("safety/hardcoded-secret", "critical")], "fail"),
    ([("logic/x", "minor"), ("safety/sql-injection", "critical")], "fail"),
]


@pytest.mark.parametrize(("spec", "status"), CRITICAL)
def test_critical(mk, default_policy, spec, status) -> None:
    found = [mk.finding(rule, sev, "safety") for rule, sev in spec]
    # a verdict can carry a critical finding whatever its status (e.g. an LLM-adjusted concern)
    facts = mk.facts(verdicts=mk.verdicts(safety={"status": "concern", "findings": found}))
    r = gates.critical(default_policy, facts)
    assert r.status == status
    assert r.action is Action.request_changes
    assert r.details["count"] == sum(1 for _, s in spec if s == "critical")
    if status == "fail":
        assert "safety/" in r.message and "src/app.py:2" in r.message


INJECTION = [
    ([], "pass"),
    ([PROMPT_INJECTION_RULE], "fail"),
    ([PROMPT_INJECTION_RULE + "/hidden-comment"], "fail"),
    (["safety/prompt-injection-like"], "pass"),  # a different rule id, not a sub-rule
    (["logic/x", PROMPT_INJECTION_RULE], "fail"),
]


@pytest.mark.parametrize(("rules", "status"), INJECTION)
def test_prompt_injection(mk, default_policy, rules, status) -> None:
    # severity info: even a low-severity injection finding holds the PR for a human
    found = [mk.finding(r, "info", "intent") for r in rules]
    facts = mk.facts(verdicts=mk.verdicts(intent={"findings": found}))
    r = gates.prompt_injection(default_policy, facts)
    assert r.status == status
    assert r.action is Action.needs_human
    assert r.details["count"] == sum(1 for x in rules if x.startswith(PROMPT_INJECTION_RULE + "/") or x == PROMPT_INJECTION_RULE)


def test_prompt_injection_action_can_be_escalated_but_not_approved(mk) -> None:
    policy = mk.policy("actions: {prompt_injection: request_changes}")
    facts = mk.facts(verdicts=mk.verdicts(safety={"findings": [mk.finding(PROMPT_INJECTION_RULE, "major", "safety")]}))
    assert gates.prompt_injection(policy, facts).action is Action.request_changes
