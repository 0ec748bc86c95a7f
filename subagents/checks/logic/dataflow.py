"""Check ``dataflow``: ``logic/unused-variable`` (minor), a local variable that the change leaves
assigned but never read, where the base read it: the change removed or replaced its only use
(``handle = TaskHandle(coro, final_name)`` -> ``TaskHandle(coro, name)``: ``final_name`` is still
computed, for nothing). The same idea as pyflakes' F841 "local variable is assigned to but never
used", reported only when this change creates it. Written for what reversed bug fixes
re-introduce on the development corpora (issue 12, evals/RESULTS.md "Re-injected bugs", fourth
session). Python only; both versions are parsed with :mod:`ast` only when a removed line names a
variable that a function assigns.

Counted as stores: simple ``name = ...``, ``name: T = ...``, ``name += ...`` and ``(name := ...)``
in the function's own body (not nested definitions). Counted as reads: every load of the name
anywhere in the function, nested functions, lambdas and comprehensions included (closures read
outer variables). Names starting with ``_``, names declared ``global``/``nonlocal``, and functions
that call ``locals()``/``vars()`` or ``del`` the name are left out.

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import ast
import re

from bot.core.diff import FileChange
from bot.core.models import Finding
from subagents.checks.logic._lines import finding, live_runtime_files
from subagents.checks.logic._scan import AGENT
from subagents.checks.logic.contracts import _functions
from subagents.framework import Check
from subagents.logic_calls import child_nodes as _children
from subagents.logic_calls import touched_trees
from subagents.view import CheckView

UNUSED_VARIABLE = "logic/unused-variable"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_NESTED_TYPES = frozenset(_NESTED)


def run(view: CheckView) -> list[Finding]:
    """``logic/unused-variable`` over the review's changed Python runtime files, in file order."""
    out: list[Finding] = []
    for fc in live_runtime_files(view, "python"):
        if not fc.removed_lines() or not fc.added_lines():
            continue
        base, head = touched_trees(view, fc)
        if base is not None and head is not None:
            out += unused_variables(fc, base, head)
    return out


def unused_variables(fc: FileChange, base: ast.AST, head: ast.AST) -> list[Finding]:
    """``logic/unused-variable``: see the module doc; one finding per variable, at the first added
    line of the hunk that removed its last read."""
    removed = {ln.old_lineno: ln.text for ln in fc.removed_lines() if ln.old_lineno is not None}
    added = fc.changed_new_lines()
    removed_words = {w for text in removed.values() for w in _NAME.findall(text.split("#", 1)[0])}
    hdefs = _functions(head)
    out = []
    for qual, bfunc in _functions(base).items():
        hfunc = hdefs.get(qual)
        if hfunc is None or not _touches(hfunc, added):
            continue
        bstores, bloads, bskip = _flow(bfunc)
        if not (set(bstores) & bloads & removed_words):
            continue
        hstores, hloads, hskip = _flow(hfunc)
        for name, line in sorted(hstores.items(), key=lambda kv: kv[1]):
            if name in hloads or name in hskip or name in bskip or name not in bstores or name not in bloads:
                continue
            at = _replacing_line(fc, name, removed, bfunc)
            if at is None:
                continue
            out.append(finding(
                UNUSED_VARIABLE, fc.path, at, f"{qual}: {name}",
                f"`{name}` is still assigned in `{qual}` (line {line}) but no longer read: the change removed its "
                "last use, so the value is computed for nothing. Was it meant to be used here?",
                f"Use `{name}` where it was used before, or remove the assignment if the value is no longer needed.",
            ))
    return out


def _flow(func: ast.AST) -> tuple[dict[str, int], set[str], set[str]]:
    """``(stores: name -> first line, loads, skipped names)`` of one function (see the module doc);
    every name is skipped when the function calls ``locals()`` or ``vars()``.

    A depth-first stack walk of the function's own code (children pushed in field order, popped
    last first): loads, ``del`` and ``global``/``nonlocal`` names, and stores, each store's line
    the first met in this order. Nested definitions and lambdas are set aside and walked
    afterwards for loads only (:func:`_reads`): sets do not depend on the order, and stores are
    never taken from them. A function that calls ``locals()``/``vars()`` anywhere is answered by
    :func:`_flow_with_locals`. Node types are tested with ``type(node) is``: :func:`ast.parse`
    builds no subclasses."""
    stores: dict[str, int] = {}
    loads: set[str] = set()
    skip: set[str] = set()
    nested: list[ast.AST] = []
    stack: list[ast.AST] = []
    _children(func, stack)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            _name(node, loads, skip)  # a Name's only child is its context
            continue
        if kind is ast.Global or kind is ast.Nonlocal:
            skip.update(node.names)  # type: ignore[attr-defined]
        elif kind is ast.Call and _calls_locals(node):
            return _flow_with_locals(func)
        elif kind in _NESTED_TYPES:
            nested.append(node)
            continue
        else:
            target = None
            if kind is ast.Assign:
                if len(node.targets) == 1:  # type: ignore[attr-defined]
                    target = node.targets[0]  # type: ignore[attr-defined]
            elif kind is ast.AnnAssign or kind is ast.AugAssign:
                if node.value is not None:  # type: ignore[attr-defined]
                    target = node.target  # type: ignore[attr-defined]
            elif kind is ast.NamedExpr:
                target = node.target  # type: ignore[attr-defined]
            if type(target) is ast.Name and not target.id.startswith("_"):  # type: ignore[union-attr]
                stores.setdefault(target.id, node.lineno)  # type: ignore[union-attr,attr-defined]
        _children(node, stack)
    if nested and not _reads(nested, loads, skip):
        return _flow_with_locals(func)
    return stores, loads, skip


def _reads(nodes: list[ast.AST], loads: set[str], skip: set[str]) -> bool:
    """Add to ``loads``/``skip`` the loads, ``del`` and ``global``/``nonlocal`` names under
    ``nodes`` (themselves included); False when a ``locals()``/``vars()`` call is met."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            _name(node, loads, skip)
            continue
        if kind is ast.Global or kind is ast.Nonlocal:
            skip.update(node.names)  # type: ignore[attr-defined]
        elif kind is ast.Call and _calls_locals(node):
            return False
        _children(node, stack)
    return True


def _name(node: ast.AST, loads: set[str], skip: set[str]) -> None:
    context = type(node.ctx)  # type: ignore[attr-defined]
    if context is ast.Load:
        loads.add(node.id)  # type: ignore[attr-defined]
    elif context is ast.Del:
        loads.add(node.id)  # type: ignore[attr-defined]
        skip.add(node.id)  # type: ignore[attr-defined]


def _calls_locals(call: ast.AST) -> bool:
    func = call.func  # type: ignore[attr-defined]
    return type(func) is ast.Name and func.id in ("locals", "vars")


def _flow_with_locals(func: ast.AST) -> tuple[dict[str, int], set[str], set[str]]:
    """:func:`_flow` of a function that calls ``locals()`` or ``vars()``: no stores, every load,
    and ``*`` among the skipped names (with the loads met before the call in breadth-first order)."""
    loads: set[str] = set()
    skip: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Load, ast.Del)):
            loads.add(node.id)
            if isinstance(node.ctx, ast.Del):
                skip.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            skip.update(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("locals", "vars"):
            skip.update(loads | {"*"})
    return {}, loads, skip


def _replacing_line(fc: FileChange, name: str, removed: dict[int, str], func: ast.AST) -> int | None:
    """The first added line of the hunk whose removed lines (inside base function ``func``) read
    ``name``; for a hunk that only removes lines, the head line just before the gap."""
    word = re.compile(r"\b" + re.escape(name) + r"\b")
    first, last = func.lineno, func.end_lineno or func.lineno  # type: ignore[attr-defined]
    for hunk in fc.hunks:
        olds = [ln for ln in hunk.lines if ln.old_lineno is not None and ln.new_lineno is None]
        if not any(first <= ln.old_lineno <= last and ln.old_lineno in removed  # type: ignore[operator]
                   and word.search(ln.text.split("#", 1)[0]) for ln in olds):
            continue
        news = [ln.new_lineno for ln in hunk.lines if ln.new_lineno is not None and ln.old_lineno is None]
        return news[0] if news else max(1, hunk.target_start)
    return None


def _touches(func: ast.AST, lines: set[int]) -> bool:
    return any(n in lines for n in range(func.lineno, (func.end_lineno or func.lineno) + 1))  # type: ignore[attr-defined]


CHECK = Check(name="dataflow", agent=AGENT, rules=(UNUSED_VARIABLE,), run=run, languages=("python",), order=17)

__all__ = ["CHECK", "run"]
