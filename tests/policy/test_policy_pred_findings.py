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


HOLD = [
    # hold_rules, findings (rule, severity), expected status, how many findings hold
    (["logic/untested-behaviour-change"], [], "pass", 0),
    (["logic/untested-behaviour-change"], [("logic/untested-behaviour-change", "minor")], "fail", 1),
    (["logic/untested-behaviour-change"], [("logic/untested-behaviour-change", "info")], "fail", 1),  # any severity
    (["logic/untested-behaviour-change"], [("logic/untested-behaviour-change-x", "minor")], "pass", 0),  # exact id
    (["logic/untested-behaviour-change"], [("Logic/Untested-Behaviour-Change", "minor")], "fail", 1),  # case
    (["logic/"], [("logic/removed-guard", "info"), ("logic/llm-logic-error", "minor"), ("logical/x", "minor")], "fail", 2),
    (["tag:control-flow"], [("logic/removed-guard", "minor"), ("logic/changed-constant", "minor")], "fail", 1),  # tag
    (["safety/dangerous-call"], [("safety/dangerous-call/shell-true", "major"), ("safety/secret", "minor")], "fail", 1),
    (["QPY004", "intent/"], [("QPY004", "minor"), ("QPY0041", "minor"), ("intent/vague-title", "info")], "fail", 2),
]


@pytest.mark.parametrize(("rules", "spec", "status", "count"), HOLD)
def test_hold_rules(mk, rules, spec, status, count) -> None:
    policy = mk.policy("auto_approve: {hold_rules: [" + ", ".join(f"'{r}'" for r in rules) + "]}")
    found = [mk.finding(rule, sev, "logic") for rule, sev in spec]
    r = gates.hold_rules(policy, mk.facts(verdicts=mk.verdicts(logic={"findings": found})))
    assert r.status == status
    assert r.action is None  # asks for actions.gate_failed
    assert r.details["count"] == count
    if status == "fail":
        assert "auto_approve.hold_rules" in r.message and "src/app.py:2" in r.message


def test_hold_rules_are_validated_against_the_registry(mk) -> None:
    """A bare word is an id, not a prefix: ``logic`` selects nothing and fails, naming valid ones."""
    from bot.core.errors import PolicyError

    with pytest.raises(PolicyError, match="unknown rule id or prefix 'logic'"):
        mk.policy("auto_approve: {hold_rules: [logic]}")
    with pytest.raises(PolicyError, match="did you mean paths/wide-reach"):
        mk.policy("auto_approve: {hold_rules: [paths/wide-rech]}")


def test_hold_rules_skipped_when_empty(mk) -> None:
    policy = mk.policy("auto_approve: {hold_rules: []}")
    found = [mk.finding("logic/untested-behaviour-change", "minor")]
    assert gates.hold_rules(policy, mk.facts(verdicts=mk.verdicts(logic={"findings": found}))).status == "skip"


@pytest.mark.parametrize(("rule", "agent"), [("logic/untested-behaviour-change", "logic"), ("paths/wide-reach", "execution_paths")])
def test_default_hold_rules(mk, default_policy, rule, agent) -> None:
    found = [mk.finding(rule, "info", agent)]
    assert gates.hold_rules(default_policy, mk.facts(verdicts=mk.verdicts(**{agent: {"findings": found}}))).status == "fail"
    assert gates.hold_rules(default_policy, mk.facts()).status == "pass"


def test_default_allows_one_minor_finding(mk, default_policy) -> None:
    one = mk.verdicts(anti_patterns={"findings": [mk.finding("QPY004", "minor", "anti_patterns")]})
    assert gates.minor(default_policy, mk.facts(verdicts=one)).status == "pass"
    two = mk.verdicts(anti_patterns={"findings": [mk.finding(r, "minor", "anti_patterns") for r in ("QPY004", "QPY007")]})
    assert gates.minor(default_policy, mk.facts(verdicts=two)).status == "fail"


MINOR = [
    # cap, findings by severity, expected status
    (0, [], "pass"),
    (0, ["info", "info"], "pass"),  # info notes never count
    (0, ["minor"], "fail"),
    (1, ["minor"], "pass"),
    (1, ["minor", "minor"], "fail"),
    (1, ["minor", "major", "critical"], "pass"),  # other severities have their own gates
    (None, ["minor"] * 9, "skip"),
]


@pytest.mark.parametrize(("cap", "sevs", "status"), MINOR)
def test_minor_findings_cap(mk, cap, sevs, status) -> None:
    policy = mk.policy("auto_approve: {max_minor_findings: " + ("null" if cap is None else str(cap)) + "}")
    # spread over two agents: the cap counts all of them together
    found = [mk.finding(f"anti/r{i}", sev, "anti_patterns") for i, sev in enumerate(sevs)]
    half = len(found) // 2
    verdicts = mk.verdicts(anti_patterns={"findings": found[:half]}, intent={"findings": found[half:]})
    r = gates.minor(policy, mk.facts(verdicts=verdicts))
    assert r.status == status
    assert r.details["count"] == sevs.count("minor")
    if status == "fail":
        assert f"over the cap of {cap}" in r.message
