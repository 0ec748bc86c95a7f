"""Check ``conditions``: ``logic/dropped-condition`` (minor), a boolean condition that lost one of
its ``and``/``or`` operands while the others stay, seen on the parsed code (:mod:`ast`), so an
operand on a line of its own (black's multi-line style) counts as well as one on the same line.
Written for what reversed bug fixes re-introduce on the development corpora (issue 12,
evals/RESULTS.md "Re-injected bugs", fourth session): a fix that adds ``and not <special case>``
to a condition is undone by dropping that operand. Python only; both versions are parsed only
when a removed line holds ``and``/``or``.

A base ``a and b and c`` matches a head expression in the same function whose operands are the
base's, in order, with one or more whole operands missing (``a and c``, or plain ``a`` where a
two-operand condition was, ``a`` possibly itself a condition of the other operator:
``forced or (tty and isatty())`` -> ``tty and isatty()``). The dropped operands must lie on removed lines, and a dropped ``and``
operand on a line of its own (one within a line is ``logic/loosened-condition``'s, see
:mod:`subagents.logic_lines`); the finding is at the head line next to the gap. Reordered, reworded or merged operands are not reported (other rules
see a flipped or loosened comparison).

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import ast
import re

from bot.core.diff import FileChange
from bot.core.models import Finding
from subagents.checks.logic._lines import finding, live_runtime_files, shorten
from subagents.checks.logic._scan import AGENT
from subagents.framework import Check
from subagents.logic_calls import scoped_nodes, touched_trees
from subagents.view import CheckView

DROPPED_CONDITION = "logic/dropped-condition"
_BOOL_WORD = re.compile(r"\b(?:and|or)\b")


def run(view: CheckView) -> list[Finding]:
    """``logic/dropped-condition`` over the review's changed Python runtime files, in file order."""
    out: list[Finding] = []
    for fc in live_runtime_files(view, "python"):
        if not any(_BOOL_WORD.search(ln.text.split("#", 1)[0]) for ln in fc.removed_lines()):
            continue
        base, head = touched_trees(view, fc)
        if base is not None and head is not None:
            out += dropped_conditions(fc, base, head)
    return out


def dropped_conditions(fc: FileChange, base: ast.AST, head: ast.AST) -> list[Finding]:
    """``logic/dropped-condition``: see the module doc; one finding per base condition."""
    removed = fc.changed_old_lines()
    added = fc.changed_new_lines()
    heads = _scopes(head)
    out = []
    for qual, nodes in _scopes(base).items():
        candidates = heads.get(qual)
        if not candidates:
            continue
        head_dumps = {ast.dump(c) for c in candidates}
        for node in nodes:
            if (not isinstance(node, ast.BoolOp) or not _touches(node, removed)
                    or ast.dump(node) in head_dumps):
                continue
            got = _match(node, candidates, removed, added)
            if got is None:
                continue
            match, dropped = got
            line = _line_at_gap(match, dropped[0], added)
            op = "and" if isinstance(node.op, ast.And) else "or"
            gone = f" {op} ".join(ast.unparse(node.values[i]) for i in dropped)
            where = f"in `{qual}`" if qual else "at module level"
            effect = ("so it now holds in the case that operand excluded" if op == "and"
                      else "so the case that operand let through now takes the other path")
            out.append(finding(
                DROPPED_CONDITION, fc.path, line, f"{qual}: {op} {gone}",
                f"A condition {where} lost its `{op} {shorten(gone)}` operand while the rest stays, {effect}.",
                "Keep the operand, or say in the description why that case no longer needs it.",
            ))
    return out


def _match(node: ast.BoolOp, candidates: list[ast.AST], removed: set[int], added: set[int]) -> tuple[ast.AST, list[int]] | None:
    """``(head expression, indices of the dropped base operands)`` for the first head expression
    whose operands are the base operands of ``node`` in order with some missing, every missing one
    on removed lines: a BoolOp of the same operator, or (when one operand is left) a condition
    that sits on an added line."""
    base = [ast.dump(v) for v in node.values]
    for cand in candidates:
        if isinstance(cand, ast.BoolOp) and type(cand.op) is type(node.op):
            if len(cand.values) >= len(base):
                continue
            kept = _subsequence([ast.dump(v) for v in cand.values], base)
        elif _touches(cand, added):  # one operand left (itself an expression of the other operator)
            kept = _subsequence([ast.dump(cand)], base)
        else:
            continue
        if kept is None:
            continue
        dropped = [i for i in range(len(base)) if i not in kept]
        if not dropped or not all(_within(node.values[i], removed) for i in dropped):
            continue
        if isinstance(node.op, ast.And) and _shares_line(node, dropped):
            continue  # a dropped `and` clause within a line is logic/loosened-condition's (logic_lines)
        return cand, dropped
    return None


def _shares_line(node: ast.BoolOp, dropped: list[int]) -> bool:
    """A dropped operand of ``node`` shares a line with a kept one."""
    def lines(v: ast.AST) -> set[int]:
        return set(range(v.lineno, (v.end_lineno or v.lineno) + 1))  # type: ignore[attr-defined]
    gone = set().union(*(lines(node.values[i]) for i in dropped))
    return any(gone & lines(v) for i, v in enumerate(node.values) if i not in dropped)


def _subsequence(short: list[str], long: list[str]) -> set[int] | None:
    """Indices of ``long`` that ``short`` matches in order (greedy), or None when it is not a subsequence."""
    out: set[int] = set()
    i = 0
    for item in short:
        while i < len(long) and long[i] != item:
            i += 1
        if i == len(long):
            return None
        out.add(i)
        i += 1
    return out


def _touches(node: ast.AST, lines: set[int]) -> bool:
    """Some line of ``node`` is in ``lines``."""
    return any(n in lines for n in range(node.lineno, (node.end_lineno or node.lineno) + 1))  # type: ignore[attr-defined]


def _line_at_gap(match: ast.AST, first_dropped: int, added: set[int]) -> int:
    """An added line of ``match`` when it has one (the condition was rewritten on its line), else
    the last line of the operand before the gap (a pure deletion lies just after it)."""
    span = range(match.lineno, (match.end_lineno or match.lineno) + 1)  # type: ignore[attr-defined]
    hit = [n for n in span if n in added]
    if hit:
        return hit[0]
    if isinstance(match, ast.BoolOp) and first_dropped > 0:
        before = match.values[min(first_dropped, len(match.values)) - 1]
        return before.end_lineno or before.lineno
    return match.lineno  # type: ignore[attr-defined]


def _within(node: ast.AST, lines: set[int]) -> bool:
    """Every line of ``node`` is in ``lines``."""
    return all(n in lines for n in range(node.lineno, (node.end_lineno or node.lineno) + 1))  # type: ignore[attr-defined]


def _scopes(tree: ast.AST) -> dict[str, list[ast.AST]]:
    """Per function (qualified name, ``""`` at module level): its boolean expressions and the tests
    of its ``if``/``while``/``assert``/conditional expressions and comprehension filters, in order."""
    out: dict[str, list[ast.AST]] = {}
    seen: set[int] = set()

    def add(qual: str, node: ast.AST) -> None:
        if id(node) not in seen:
            seen.add(id(node))
            out.setdefault(qual, []).append(node)

    for qual, child in scoped_nodes(tree):
        if isinstance(child, ast.BoolOp):
            add(qual, child)
        elif isinstance(child, (ast.If, ast.While, ast.IfExp, ast.Assert)):
            add(qual, child.test)
        elif isinstance(child, ast.comprehension):
            for test in child.ifs:
                add(qual, test)
    for nodes in out.values():
        nodes.sort(key=lambda n: (n.lineno, n.col_offset))  # type: ignore[attr-defined]
    return out


CHECK = Check(name="conditions", agent=AGENT, rules=(DROPPED_CONDITION,), run=run, languages=("python",), order=17)

__all__ = ["CHECK", "run"]
