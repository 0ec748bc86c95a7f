"""explain() and tree_rows(): renderings of the result tree, never a second source of truth."""

from __future__ import annotations

from bot.core.models import Action, Decision, Reason
from bot.policy import evaluate, explain, tree_rows
from bot.policy.explain import walk


def test_lines_follow_the_tree(mk, default_policy) -> None:
    d = evaluate(default_policy, mk.facts(diff=mk.diff(mk.modified(".github/workflows/ci.yml")), is_draft=True))
    lines = explain(d)
    nodes = list(walk(d.tree))
    assert len(lines) == len(nodes)
    for line, (node, depth) in zip(lines, nodes, strict=True):
        assert line.startswith("  " * depth + {"pass": "✓", "fail": "✗", "skip": "–"}[node.status] + " " + node.rule_id)
        assert line.endswith(node.message)
        assert "\n" not in line


def test_explain_shows_marks_actions_and_messages(mk, default_policy) -> None:
    d = evaluate(
        mk.policy("auto_approve: {require_checks_green: false}"),
        mk.facts(diff=mk.diff(mk.modified(".github/workflows/ci.yml")), is_draft=True),
    )
    lines = explain(d)
    assert lines[0] == "✗ policy [needs_human]: needs_human: paths.sensitive"
    assert lines[1].startswith("  ✗ auto_approve [comment]: 2 of ")
    assert "      ✗ paths.sensitive [needs_human]: touches sensitive paths: .github/workflows/ci.yml (ci)" in lines
    assert "      ✗ pr.draft: the pull request is a draft" in lines
    assert "      – pr.checks: not required by the policy" in lines
    assert "      ✓ diff.non_empty: 1 file changed" in lines


def test_approval_explained(mk, default_policy) -> None:
    lines = explain(evaluate(default_policy, mk.facts()))
    assert lines[0].startswith("✓ policy: approve: all ")
    assert not any("✗" in ln for ln in lines)


def test_decision_without_tree_lists_reasons() -> None:
    d = Decision(
        action=Action.needs_human,
        reasons=[Reason(rule_id="pipeline.error", message="agents crashed")],
        risk=1.0,
        policy_version="sha256:0",
        decision_id="D0",
    )
    assert explain(d) == ["needs_human", "  ✗ pipeline.error: agents crashed"]
    assert tree_rows(d) == []


def test_tree_rows_mirror_the_tree(mk, default_policy) -> None:
    d = evaluate(default_policy, mk.facts(verdicts=mk.verdicts(logic={"status": "concern"})))
    rows = tree_rows(d)
    assert [r["rule_id"] for r in rows] == [n.rule_id for n, _ in walk(d.tree)]
    by_id = {r["rule_id"]: r for r in rows}
    assert by_id["policy"]["parent"] is None and by_id["policy"]["action"] == "comment"
    assert by_id["auto_approve"]["parent"] == "policy"
    assert by_id["verdicts.concern"] == {
        "rule_id": "verdicts.concern",
        "parent": "verdicts",
        "depth": 3,
        "status": "fail",
        "action": "comment",
        "message": "concerns from: logic (risk 0.05, 0 findings)",
    }
    assert by_id["pr.draft"]["parent"] == "pr"
