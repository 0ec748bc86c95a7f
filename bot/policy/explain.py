"""Renderings of a decision's result tree: readable lines and flat rows for logs.

Both are derived from ``Decision.tree`` only, so an explanation and an audit record can never
disagree about what the policy looked at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.core.models import Decision, RuleResult

MARKS = {"pass": "✓", "fail": "✗", "skip": "–"}
"""Status marks: ✓ the gate holds, ✗ it fails, – not applicable."""

INDENT = "  "


def explain(decision: Decision) -> list[str]:
    """One line per node of ``decision.tree``, depth-first, indented two spaces per level::

        ✗ policy [needs_human]: needs_human: paths.sensitive
          ✗ auto_approve [comment]: 1 of 6 gates failed: paths
            ✓ auto_approve.enabled: auto-approval is enabled
            ...

    A failing node that asks for an action shows it in brackets. Without a tree (a decision not
    made by :func:`~bot.policy.engine.evaluate`) the action and reasons are listed instead.
    """
    if decision.tree is None:
        return [f"{decision.action.value}"] + [f"{INDENT}✗ {r.rule_id}: {r.message}" for r in decision.reasons]
    return [_line(node, depth) for node, depth in walk(decision.tree)]


def walk(node: RuleResult, depth: int = 0) -> Iterator[tuple[RuleResult, int]]:
    """Nodes of the tree depth-first (parents before children) with their depth (root = 0)."""
    yield node, depth
    for child in node.children:
        yield from walk(child, depth + 1)


def _line(node: RuleResult, depth: int) -> str:
    mark = MARKS.get(node.status, "?")
    tag = f" [{node.action.value}]" if node.action is not None and node.status == "fail" else ""
    return f"{INDENT * depth}{mark} {node.rule_id}{tag}: {node.message}"


def tree_rows(decision: Decision) -> list[dict[str, Any]]:
    """The tree as flat rows for structured logs and audit records:
    ``{"rule_id", "parent", "depth", "status", "action", "message"}`` per node, depth-first."""
    if decision.tree is None:
        return []
    rows: list[dict[str, Any]] = []
    parents: list[str] = []
    for node, depth in walk(decision.tree):
        del parents[depth:]
        rows.append(
            {
                "rule_id": node.rule_id,
                "parent": parents[-1] if parents else None,
                "depth": depth,
                "status": node.status,
                "action": node.action.value if node.action is not None else None,
                "message": node.message,
            }
        )
        parents.append(node.rule_id)
    return rows
