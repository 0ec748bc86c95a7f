"""evaluate(): the action and its precedence, reasons, risk, the tree, decision ids."""

from __future__ import annotations

import pytest

from bot.core.models import AGENT_NAMES, Action
from bot.policy import PROMPT_INJECTION_RULE, PolicyInput, evaluate
from bot.policy.engine import PRECEDENCE, stronger
from bot.policy.explain import walk


def test_small_clean_pr_is_approved(mk, default_policy) -> None:
    d = evaluate(default_policy, mk.facts())
    assert d.action is Action.approve
    assert [r.rule_id for r in d.reasons] == ["auto_approve"]
    assert "gates held" in d.reasons[0].message
    assert d.policy_version == default_policy.version
    assert d.tree is not None and d.tree.status == "pass" and d.tree.action is Action.approve
    assert d.risk == pytest.approx(0.05)


def _parts(mk, name: str) -> dict:
    """One named condition on top of an otherwise approvable PR, as parts for ``mk.facts``:
    ``diff`` (a Diff), ``v`` (per-agent verdict overrides for ``mk.verdicts``), ``pr`` (PR fields)."""
    table = {
        "clean": {},
        "critical": {"v": {"safety": {"status": "block", "risk": 0.8, "findings": [mk.critical()]}}},
        "block": {"v": {"logic": {"status": "block", "risk": 0.8}}},
        "large": {"diff": mk.diff(mk.added("big.py", 801))},
        "many_files": {"diff": mk.diff(*(mk.added(f"f{i}.py") for i in range(41)))},
        "abstain": {"v": {"intent": {"status": "abstain", "risk": 1.0, "confidence": 0.0, "error": "timeout"}}},
        "truncated_diff": {"diff": mk.diff(mk.added("a.py", 5), mk.added("b.py"), max_files=1)},
        "truncated_verdict": {"v": {"logic": {"truncated": True}}},
        "injection": {"v": {"safety": {"findings": [mk.finding(PROMPT_INJECTION_RULE, "info", "safety")]}}},
        "human": {"pr": {"human_review_requested": True}},
        "sensitive": {"diff": mk.diff(mk.modified(".github/workflows/ci.yml"))},
        "concern": {"v": {"anti_patterns": {"status": "concern", "risk": 0.2}}},
        "size": {"diff": mk.diff(mk.added("a.py", 201))},
        "files": {"diff": mk.diff(*(mk.added(f"f{i}.py") for i in range(11)))},
        "empty": {"diff": mk.diff()},
        "binary": {"diff": mk.diff(mk.binary("logo.png"))},
        "missing_agent": {"v": {"execution_paths": None}},
        "low_confidence": {"v": {"intent": {"confidence": 0.5}}},
        "high_risk": {"v": {"intent": {"risk": 0.5}}},
        "draft": {"pr": {"is_draft": True}},
        "bot_author": {"pr": {"author": "dependabot[bot]", "author_is_bot": True}},
        "checks_red": {"pr": {"checks_passed": False}},
        "minor": {"v": {"anti_patterns": {"findings": [mk.finding(f"QPY00{i}", "minor", "anti_patterns") for i in (1, 4)]}}},
        "untested": {"v": {"logic": {"findings": [mk.finding("logic/untested-behaviour-change", "info")]}}},
    }
    return table[name]


def _scenario(mk, *names: str) -> PolicyInput:
    """Facts with all the named conditions at once (they touch different parts)."""
    diff, v, pr = None, {}, {}
    for name in names:
        parts = _parts(mk, name)
        assert not ("diff" in parts and diff is not None), "two scenarios both replace the diff"
        diff = parts.get("diff", diff)
        v.update(parts.get("v", {}))
        pr.update(parts.get("pr", {}))
    return mk.facts(diff=diff, verdicts=mk.verdicts(**v), **pr)


# condition -> (expected action, a rule id among the reasons)
SINGLE = [
    ("clean", Action.approve, "auto_approve"),
    ("critical", Action.request_changes, "findings.critical"),
    ("block", Action.request_changes, "verdicts.block"),
    ("large", Action.needs_human, "diff.split"),
    ("many_files", Action.needs_human, "diff.split"),
    ("abstain", Action.needs_human, "verdicts.abstain"),
    ("truncated_diff", Action.needs_human, "diff.truncated"),
    ("truncated_verdict", Action.needs_human, "verdicts.truncated"),
    ("injection", Action.needs_human, "findings.prompt_injection"),
    ("human", Action.needs_human, "pr.human_review"),
    ("sensitive", Action.needs_human, "paths.sensitive"),
    ("concern", Action.comment, "verdicts.concern"),
    ("size", Action.comment, "diff.changed_lines"),
    ("files", Action.comment, "diff.files"),
    ("empty", Action.comment, "diff.non_empty"),
    ("binary", Action.comment, "paths.special_files"),
    ("missing_agent", Action.comment, "verdicts.present"),
    ("low_confidence", Action.comment, "verdicts.confidence"),
    ("high_risk", Action.comment, "verdicts.risk"),
    ("draft", Action.comment, "pr.draft"),
    ("bot_author", Action.comment, "pr.author"),
    ("checks_red", Action.comment, "pr.checks"),
    ("minor", Action.comment, "findings.minor"),
    ("untested", Action.comment, "findings.hold_rules"),
]


@pytest.mark.parametrize(("name", "action", "rule"), SINGLE)
def test_each_condition_alone(mk, default_policy, name, action, rule) -> None:
    d = evaluate(default_policy, _scenario(mk, name))
    assert d.action is action
    assert rule in [r.rule_id for r in d.reasons]
    # every reason names a failing node that asked for exactly the decided action
    nodes = {n.rule_id: n for n, _ in walk(d.tree)}
    for reason in d.reasons:
        if action is Action.approve:
            continue
        node = nodes[reason.rule_id]
        assert node.status == "fail"
        assert (node.action or Action.comment) is action
        assert reason.message == node.message


def test_precedence_order() -> None:
    assert PRECEDENCE == (Action.approve, Action.comment, Action.needs_human, Action.request_changes)
    assert stronger(Action.comment, Action.needs_human) is Action.needs_human
    assert stronger(Action.request_changes, Action.needs_human) is Action.request_changes
    assert stronger(Action.approve, Action.comment) is Action.comment


@pytest.mark.parametrize(
    ("names", "action"),
    [
        (("concern", "sensitive"), Action.needs_human),
        (("concern", "critical"), Action.request_changes),
        (("abstain", "block"), Action.request_changes),
        (("sensitive", "critical"), Action.request_changes),
        (("human", "block", "concern"), Action.request_changes),
        (("injection", "truncated_verdict", "draft"), Action.needs_human),
        (("draft", "human"), Action.needs_human),
        (("size", "concern"), Action.comment),
        (("empty", "human"), Action.needs_human),
    ],
)
def test_precedence_with_combined_conditions(mk, default_policy, names, action) -> None:
    d = evaluate(default_policy, _scenario(mk, *names))
    assert d.action is action
    assert all(r.rule_id != "auto_approve" for r in d.reasons)


def test_reasons_only_name_the_deciding_action(mk, default_policy) -> None:
    facts = mk.facts(
        diff=mk.diff(mk.modified("poetry.lock"), mk.added("a.py", 250)),
        verdicts=mk.verdicts(logic={"status": "concern", "risk": 0.2}),
        is_draft=True,
    )
    d = evaluate(default_policy, facts)
    assert d.action is Action.needs_human
    assert [r.rule_id for r in d.reasons] == ["paths.sensitive"]
    failed = {n.rule_id for n, _ in walk(d.tree) if n.status == "fail" and not n.children}
    assert failed == {"paths.sensitive", "diff.changed_lines", "verdicts.concern", "pr.draft"}


def test_configured_actions_change_the_decision(mk) -> None:
    facts = _scenario(mk, "concern")
    assert evaluate(mk.policy("actions: {concern: needs_human}"), facts).action is Action.needs_human
    assert evaluate(mk.policy("actions: {gate_failed: needs_human}"), _scenario(mk, "draft")).action is Action.needs_human
    # gate_failed covers gates without their own action; concern keeps its own
    assert evaluate(mk.policy("actions: {gate_failed: needs_human}"), facts).action is Action.comment
    assert evaluate(mk.policy("actions: {sensitive_path: comment}"), _scenario(mk, "sensitive")).action is Action.comment


@pytest.mark.parametrize("name", ["abstain", "truncated_diff", "truncated_verdict", "injection"])
@pytest.mark.parametrize(
    "override",
    [
        None,
        "auto_approve: {min_confidence: 0, max_risk: 1, max_changed_lines: 100000, max_files: 100000}",
        "auto_approve: {required_agents: [intent]}\nactions: {gate_failed: comment, abstention: comment, truncation: comment, prompt_injection: comment}",
        "auto_approve: {require_checks_green: false, exclude_bots: false}\nsensitive_paths: {categories: {ci: false}}",
    ],
)
def test_fail_closed_conditions_never_approve_under_any_valid_policy(mk, name, override) -> None:
    d = evaluate(mk.policy(override), _scenario(mk, name))
    assert d.action is not Action.approve


def test_disabled_agent_blocks_approval_until_required_agents_is_narrowed(mk) -> None:
    facts = mk.facts(verdicts=mk.verdicts(logic=None))
    disabled = mk.policy("agents: {logic: {enabled: false}}")
    assert evaluate(disabled, facts).action is Action.comment
    narrowed = mk.policy(
        "agents: {logic: {enabled: false}}\nauto_approve: {required_agents: [intent, safety, anti_patterns, execution_paths]}"
    )
    assert evaluate(narrowed, facts).action is Action.approve


def test_shadow_mode_never_approves(mk) -> None:
    d = evaluate(mk.policy("auto_approve: {enabled: false}"), mk.facts())
    assert d.action is Action.comment
    assert [r.rule_id for r in d.reasons] == ["auto_approve.enabled"]


# --- risk ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "risk"),
    [
        ({}, 0.05),
        ({"logic": {"risk": 0.42}}, 0.42),
        ({"logic": {"risk": 0.42}, "intent": {"status": "concern", "risk": 0.6}}, 0.6),
        ({"safety": {"status": "abstain", "risk": 0.0, "confidence": 0.0}}, 1.0),  # abstain counts 1.0
        ({"safety": {"error": "crashed", "risk": 0.1}}, 1.0),
    ],
)
def test_risk_is_the_highest_verdict_risk(mk, default_policy, changes, risk) -> None:
    d = evaluate(default_policy, mk.facts(verdicts=mk.verdicts(**changes)))
    assert d.risk == pytest.approx(risk)


def test_no_verdict_means_unknown_worst_risk(mk, default_policy) -> None:
    d = evaluate(default_policy, mk.facts(verdicts=[]))
    assert d.risk == 1.0
    assert d.action is Action.comment


# --- decision ids ----------------------------------------------------------------------------------


def test_decision_id_is_deterministic_and_order_independent(mk, default_policy) -> None:
    vs = mk.verdicts(safety={"findings": [mk.finding("a/b", "minor", "safety"), mk.finding("c/d", "minor", "safety")]})
    a = evaluate(default_policy, mk.facts(verdicts=vs))
    shuffled = [v.model_copy(update={"findings": list(reversed(v.findings))}) for v in reversed(vs)]
    b = evaluate(default_policy, mk.facts(verdicts=shuffled))
    assert a.decision_id == b.decision_id
    assert a.decision_id.startswith("D") and len(a.decision_id) == 17
    int(a.decision_id[1:], 16)
    assert a == evaluate(default_policy, mk.facts(verdicts=vs))  # pure: the whole decision is equal


@pytest.mark.parametrize(
    "change",
    ["repo", "number", "head_sha", "policy", "diff", "status", "finding"],
)
def test_decision_id_changes_with_each_input(mk, default_policy, change) -> None:
    base = mk.facts()
    policy = default_policy
    facts = base
    if change == "repo":
        facts = mk.facts(repo="acme/other")
    elif change == "number":
        facts = mk.facts(number=8)
    elif change == "head_sha":
        facts = mk.facts(head_sha="c" * 40)
    elif change == "policy":
        policy = mk.policy("auto_approve: {max_files: 9}")
    elif change == "diff":
        facts = mk.facts(diff=mk.diff(mk.modified("src/app.py", added=4)))
    elif change == "status":
        facts = mk.facts(verdicts=mk.verdicts(logic={"status": "concern"}))
    elif change == "finding":
        facts = mk.facts(verdicts=mk.verdicts(logic={"findings": [mk.finding()]}))
    assert evaluate(policy, facts).decision_id != evaluate(default_policy, base).decision_id


def test_decision_id_ignores_non_identifying_fields(mk, default_policy) -> None:
    a = evaluate(default_policy, mk.facts())
    b = evaluate(default_policy, mk.facts(title="other title", verdicts=mk.verdicts(logic={"elapsed_ms": 999.0})))
    assert a.decision_id == b.decision_id


def test_tree_shape(mk, default_policy) -> None:
    d = evaluate(default_policy, mk.facts())
    root = d.tree
    assert root.rule_id == "policy" and [c.rule_id for c in root.children] == ["auto_approve"]
    auto = root.children[0]
    assert [c.rule_id for c in auto.children] == ["auto_approve.enabled", "diff", "paths", "verdicts", "findings", "pr", "risk"]
    ids = [n.rule_id for n, _ in walk(root)]
    assert len(ids) == len(set(ids))  # every node appears once
    assert root.details["decision_id"] == d.decision_id
    assert root.details["policy_version"] == default_policy.version
    assert {a for a in AGENT_NAMES} <= set(auto.children[3].children[0].details["present"])
