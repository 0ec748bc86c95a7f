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
    # rule ids, expected status, how many count as injection
    ([], "pass", 0),
    ([PROMPT_INJECTION_RULE], "fail", 1),
    ([PROMPT_INJECTION_RULE + "/hidden-comment"], "fail", 1),
    (["intent/llm-prompt_injection"], "fail", 1),  # the LLM layer's naming, from any agent
    (["Safety/Prompt_Injection"], "fail", 1),
    (["logic/x", PROMPT_INJECTION_RULE], "fail", 1),
    (["safety/sql-injection", "safety/prompt"], "pass", 0),
]


@pytest.mark.parametrize(("rules", "status", "count"), INJECTION)
def test_prompt_injection(mk, default_policy, rules, status, count) -> None:
    # severity info: even a low-severity injection finding holds the PR for a human
    found = [mk.finding(r, "info", "intent") for r in rules]
    facts = mk.facts(verdicts=mk.verdicts(intent={"findings": found}))
    r = gates.prompt_injection(default_policy, facts)
    assert r.status == status
    assert r.action is Action.needs_human
    assert r.details["count"] == count


def test_prompt_injection_action_can_be_escalated_but_not_approved(mk) -> None:
    policy = mk.policy("actions: {prompt_injection: request_changes}")
    facts = mk.facts(verdicts=mk.verdicts(safety={"findings": [mk.finding(PROMPT_INJECTION_RULE, "major", "safety")]}))
    assert gates.prompt_injection(policy, facts).action is Action.request_changes
