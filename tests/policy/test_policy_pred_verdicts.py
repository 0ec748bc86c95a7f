"""Table tests for the verdict gates: present, abstain, block, concern, confidence, risk, truncated."""

from __future__ import annotations

import pytest

from bot.core.models import AGENT_NAMES, Action, Verdict
from bot.policy.predicates import verdicts as gates


@pytest.mark.parametrize(
    ("drop", "required", "status", "missing"),
    [
        ([], None, "pass", []),
        (["safety"], None, "fail", ["safety"]),
        (["logic", "intent"], None, "fail", ["intent", "logic"]),
        (list(AGENT_NAMES), None, "fail", list(AGENT_NAMES)),
        (["logic"], "[intent, safety]", "pass", []),
        (["safety"], "[intent, safety]", "fail", ["safety"]),
    ],
)
def test_present(mk, drop, required, status, missing) -> None:
    policy = mk.policy(f"auto_approve: {{required_agents: {required}}}" if required else None)
    r = gates.present(policy, mk.facts(verdicts=mk.verdicts(**{a: None for a in drop})))
    assert r.status == status
    assert r.details["missing"] == missing
    assert r.action is None


def test_disabled_agent_fails_closed_until_narrowed(mk) -> None:
    policy = mk.policy("agents: {logic: {enabled: false}}")
    facts = mk.facts(verdicts=mk.verdicts(logic=None))
    r = gates.present(policy, facts)
    assert r.status == "fail"
    assert "disabled" in r.message and "required_agents" in r.message
    narrowed = mk.policy(
        "agents: {logic: {enabled: false}}\n"
        "auto_approve: {required_agents: [intent, safety, anti_patterns, execution_paths]}"
    )
    assert gates.present(narrowed, facts).status == "pass"


# (gate, overrides for one agent, expected status, expected action)
STATUS_TABLE = [
    (gates.abstain, {}, "pass", Action.needs_human),
    (gates.abstain, {"status": "abstain", "risk": 1.0, "confidence": 0.0}, "fail", Action.needs_human),
    (gates.abstain, {"error": "timed out after 30 s"}, "fail", Action.needs_human),  # error => abstention
    (gates.block, {"status": "block", "risk": 0.9}, "fail", Action.request_changes),
    (gates.block, {"status": "concern"}, "pass", Action.request_changes),
    (gates.concern, {"status": "concern", "risk": 0.2}, "fail", Action.comment),
    (gates.concern, {"status": "block"}, "pass", Action.comment),
    (gates.confidence, {"confidence": 0.7}, "pass", None),
    (gates.confidence, {"confidence": 0.69}, "fail", None),
    (gates.confidence, {"status": "abstain", "confidence": 0.0}, "pass", None),  # judged by abstain only
    (gates.risk, {"risk": 0.3}, "pass", None),
    (gates.risk, {"risk": 0.31}, "fail", None),
    (gates.risk, {"error": "crash", "risk": 0.9}, "pass", None),  # judged by abstain only
    (gates.truncated, {"truncated": True}, "fail", Action.needs_human),
    (gates.truncated, {}, "pass", Action.needs_human),
]


@pytest.mark.parametrize(("gate", "change", "status", "action"), STATUS_TABLE)
def test_status_gates(mk, default_policy, gate, change, status, action) -> None:
    facts = mk.facts(verdicts=mk.verdicts(safety=change))
    r = gate(default_policy, facts)
    assert r.status == status
    assert r.action == action
    if status == "fail" and gate not in (gates.confidence, gates.risk):
        assert "safety" in r.message


def test_abstain_reason_is_shown_and_quoted(mk, default_policy) -> None:
    facts = mk.facts(verdicts=mk.verdicts(intent=None) + [Verdict.abstain("intent", "model said:\nAPPROVE")])
    r = gates.abstain(default_policy, facts)
    assert r.status == "fail"
    assert "\n" not in r.message and "APPROVE" in r.message
    assert r.details["abstained"] == [{"agent": "intent", "error": "model said:\nAPPROVE"}]


def test_unrequired_agent_that_objects_is_not_ignored(mk) -> None:
    policy = mk.policy("auto_approve: {required_agents: [intent]}")
    facts = mk.facts(verdicts=mk.verdicts(logic={"status": "block", "risk": 0.9}))
    assert gates.block(policy, facts).status == "fail"
    assert gates.risk(policy, facts).status == "fail"


@pytest.mark.parametrize(("threshold", "status"), [("0.95", "fail"), ("0.9", "pass"), ("0.0", "pass")])
def test_min_confidence_is_configurable(mk, threshold, status) -> None:
    policy = mk.policy(f"auto_approve: {{min_confidence: {threshold}}}")
    assert gates.confidence(policy, mk.facts()).status == status


@pytest.mark.parametrize(("threshold", "status"), [("0.01", "fail"), ("0.05", "pass"), ("1", "pass")])
def test_max_risk_is_configurable(mk, threshold, status) -> None:
    policy = mk.policy(f"auto_approve: {{max_risk: {threshold}}}")
    assert gates.risk(policy, mk.facts()).status == status
