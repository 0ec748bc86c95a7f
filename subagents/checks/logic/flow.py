"""Check ``flow``: statements that stay but run under other conditions or protections. Written for
what reversed bug fixes re-introduce on the development corpora (issue 12, evals/RESULTS.md
"Re-injected bugs", fifth session): an ``elif`` branch moved after another that also matches, a
``try``/``except`` or ``with`` taken apart around code that stays. Python only; both versions are
parsed with :mod:`ast` (shared per review) only when an ``if``/``elif`` line is both removed and added,
or a ``try:`` or ``with`` line is removed. Every rule is minor:

- ``logic/removed-handler``: a ``try`` with ``except`` clauses was taken apart while its first
  statement stays in the same function, now outside any ``try`` that handles exceptions: the
  errors the handler dealt with now propagate to the caller.
- ``logic/removed-context-manager``: a ``with`` block was taken apart while its first statement
  stays in the same function, now outside any ``with``: the lock is no longer held, the error no
  longer suppressed, the resource no longer closed. (A ``with`` that changed its manager is not
  a removal.)
- ``logic/reordered-branches``: an ``if``/``elif`` chain of a function keeps the same branch
  tests (and bodies) but in another order, and the change touches the chain: where two tests can
  both hold, the other branch now wins.

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterator

from bot.core.diff import FileChange
from bot.core.models import Finding
from subagents.checks.logic._lines import finding, live_runtime_files, shorten
from subagents.checks.logic._scan import AGENT
from subagents.framework import Check
from subagents.logic_calls import qualified_functions, touched_trees
from subagents.view import CheckView

REORDERED_BRANCHES = "logic/reordered-branches"
REMOVED_HANDLER = "logic/removed-handler"
REMOVED_CONTEXT_MANAGER = "logic/removed-context-manager"
_BLOCK_LINE = re.compile(r"^\s*(?:try\s*:|except\b|(?:async\s+)?with\b)")

_BRANCH_LINE = re.compile(r"^\s*(?:if|elif)\b")
_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_HOLDERS = (ast.stmt, ast.excepthandler, ast.match_case)
"""The nodes that can hold a definition or an ``if``/``try``/``with`` (expressions cannot)."""


def run(view: CheckView) -> list[Finding]:
    """The rules of this module over the review's changed Python runtime files, in file order."""
    out: list[Finding] = []
    for fc in live_runtime_files(view, "python"):
        # reordered-branches needs an ``if``/``elif`` line removed and one added; the removed
        # blocks a removed ``try:`` or ``with`` line (the finding's own conditions, tested cheaply)
        reorder = (any(_BRANCH_LINE.match(ln.text) for ln in fc.removed_lines())
                   and any(_BRANCH_LINE.match(ln.text) for ln in fc.added_lines()))
        blocks = any(_BLOCK_LINE.match(ln.text) for ln in fc.removed_lines())
        if not reorder and not blocks:
            continue
        base, head = touched_trees(view, fc)  # each rule compares a changed function with its namesake
        if base is None or head is None:
            continue
        functions = (_functions(base), _functions(head))
        if reorder:
            out += reordered_branches(fc, base, head, functions)
        if blocks:
            out += removed_blocks(fc, base, head, functions)
    return sorted(out, key=lambda f: f.line or 0)


def _functions(tree: ast.AST) -> dict[str, ast.AST]:
    """Qualified name -> function (module- and class-level, nested ones by their own path, those
    under ``if``/``try``/``with`` too): :func:`subagents.logic_calls.qualified_functions`."""
    return qualified_functions(tree)


def _spans(node: ast.AST, removed: list[int]) -> bool:
    """A line of ``removed`` (sorted) lies within ``node``'s lines."""
    i = bisect.bisect_left(removed, node.lineno)  # type: ignore[attr-defined]
    return i < len(removed) and removed[i] <= (node.end_lineno or node.lineno)  # type: ignore[attr-defined]


def _chains(func: ast.AST) -> list[list[ast.If]]:
    """Every ``if``/``elif`` chain of two or more branches in ``func``'s own body, as the list of
    its ``ast.If`` nodes in order."""
    out = []
    seen: set[int] = set()
    stack = [n for n in ast.iter_child_nodes(func) if isinstance(n, _HOLDERS)]
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED):
            continue
        if isinstance(node, ast.If) and id(node) not in seen:
            chain = [node]
            while len(chain[-1].orelse) == 1 and isinstance(chain[-1].orelse[0], ast.If):
                chain.append(chain[-1].orelse[0])
            seen.update(id(n) for n in chain)
            if len(chain) >= 2:
                out.append(chain)
        stack.extend(n for n in ast.iter_child_nodes(node) if isinstance(n, _HOLDERS))
    return out


def _branches(chain: list[ast.If]) -> list[str]:
    return [ast.dump(n.test) + "|" + "".join(ast.dump(s) for s in n.body) for n in chain]


Functions = tuple[dict[str, ast.AST], dict[str, ast.AST]]
"""``(_functions(base), _functions(head))``, computed once per file by :func:`run`."""


def _touched_pairs(functions: Functions, removed: list[int]) -> Iterator[tuple[str, ast.AST, ast.AST]]:
    """``(qualified name, base function, head function)`` for each base function that a removed
    line (``removed``: sorted base line numbers) falls in and that the head still defines."""
    bfuncs, hfuncs = functions
    for qual, bfunc in bfuncs.items():
        hfunc = hfuncs.get(qual)
        if hfunc is not None and _spans(bfunc, removed):
            yield qual, bfunc, hfunc


def reordered_branches(fc: FileChange, base: ast.AST, head: ast.AST, functions: Functions | None = None) -> list[Finding]:
    """``logic/reordered-branches``: see the module doc; one finding per chain, at the head line
    of the first branch that moved. ``functions``: both trees' functions when the caller has them."""
    removed = fc.changed_old_lines()
    added = fc.changed_new_lines()
    ordered = sorted(removed)
    out = []
    for qual, bfunc, hfunc in _touched_pairs(functions or (_functions(base), _functions(head)), ordered):
        touched = [c for c in _chains(bfunc) if any(n.lineno in removed for n in c)]
        if not touched:
            continue
        hchains = [(c, _branches(c)) for c in _chains(hfunc)]
        for chain in touched:
            order = _branches(chain)
            for hchain, horder in hchains:
                if horder == order or sorted(horder) != sorted(order) or len(set(order)) != len(order):
                    continue
                moved = next(i for i, (a, b) in enumerate(zip(order, horder, strict=True)) if a != b)
                node = hchain[moved]
                if node.lineno not in added and not any(n.lineno in added for n in hchain):
                    continue
                first = ast.unparse(chain[moved].test)
                out.append(finding(
                    REORDERED_BRANCHES, fc.path, node.lineno, f"{qual}: elif {ast.unparse(node.test)}"[:120],
                    f"The branches of an `if`/`elif` chain in `{qual}` are the same but in another order: "
                    f"`{shorten(ast.unparse(node.test))}` is now tested before `{shorten(first)}`, so a value for which "
                    "both hold now takes the other branch.",
                    "Keep the order of the branches, or say in the description why the other branch must win.",
                ))
                break
    return out


def _own_statements(func: ast.AST) -> list[ast.stmt]:
    """Every statement of ``func``'s own body, at any depth (nested definitions left out)."""
    out: list[ast.stmt] = []
    stack = list(getattr(func, "body", []))
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED) or not isinstance(node, ast.stmt):
            continue
        out.append(node)
        for field in ("body", "orelse", "finalbody"):
            stack.extend(getattr(node, field, []) or [])
        for handler in getattr(node, "handlers", []) or []:
            stack.extend(handler.body)
        for case in getattr(node, "cases", []) or []:
            stack.extend(case.body)
    return out


class _Inside:
    """The statements of a head function's body (nested definitions left out), each with whether
    a ``kind`` block for which ``keep(block)`` holds encloses it (its body, not its handlers), in
    a fixed walk order; :meth:`get` answers what a table from every statement's ``ast.dump`` to
    its occurrences answered, dumping only the statements of the asked statement's type (dumping
    every statement of a large function, each nested one again inside its parent, cost more than
    the rest of the check)."""

    def __init__(self, stmts: list[ast.stmt], kind: type | tuple[type, ...], keep: object) -> None:
        self._seq: list[tuple[ast.stmt, bool]] = []
        self._dumps: dict[int, str] = {}

        def visit(body: list[ast.stmt], inside: bool) -> None:
            for stmt in body:
                if isinstance(stmt, _NESTED):
                    continue
                self._seq.append((stmt, inside))
                here = inside or (isinstance(stmt, kind) and keep(stmt))  # type: ignore[operator]
                visit(getattr(stmt, "body", []) or [], here)
                for field in ("orelse", "finalbody"):
                    visit(getattr(stmt, field, []) or [], inside)
                for handler in getattr(stmt, "handlers", []) or []:
                    visit(handler.body, inside)

        visit(stmts, False)

    def get(self, stmt: ast.stmt) -> list[tuple[ast.stmt, bool]]:
        """Occurrences (statement, enclosed), in walk order, of the statements whose ``ast.dump``
        equals ``stmt``'s (equal dumps name the same node type)."""
        want = ast.dump(stmt)
        out = []
        for node, inside in self._seq:
            if type(node) is type(stmt):
                got = self._dumps.get(id(node))
                if got is None:
                    got = self._dumps[id(node)] = ast.dump(node)
                if got == want:
                    out.append((node, inside))
        return out


def removed_blocks(fc: FileChange, base: ast.AST, head: ast.AST, functions: Functions | None = None) -> list[Finding]:
    """``logic/removed-handler`` and ``logic/removed-context-manager``: see the module doc; one
    finding per block, at the head line of its first statement. ``functions`` as for
    :func:`reordered_branches`."""
    removed = fc.changed_old_lines()
    ordered = sorted(removed)
    out = []
    for qual, bfunc, hfunc in _touched_pairs(functions or (_functions(base), _functions(head)), ordered):
        hbody = list(getattr(hfunc, "body", []))
        handled: _Inside | None = None
        managed: _Inside | None = None
        for node in _own_statements(bfunc):
            if isinstance(node, ast.Try) and node.handlers and node.lineno in removed and node.body:
                first = node.body[0]
                if handled is None:
                    handled = _Inside(hbody, ast.Try, lambda t: bool(t.handlers))
                occ = handled.get(first)
                if len(occ) != 1 or occ[0][1]:
                    continue
                caught = ", ".join(ast.unparse(h.type) if h.type is not None else "everything" for h in node.handlers)
                out.append(finding(
                    REMOVED_HANDLER, fc.path, occ[0][0].lineno, f"{qual}: try/except {caught}"[:120],
                    f"`{shorten(ast.unparse(first))}` in `{qual}` ran inside `try` ... `except {shorten(caught, 50)}`, which "
                    "was removed: those errors now propagate to the caller instead of being handled here.",
                    "Keep the handler, or say in the description why those errors can no longer happen or must propagate.",
                ))
            elif isinstance(node, (ast.With, ast.AsyncWith)) and node.lineno in removed and node.body:
                if managed is None:
                    managed = _Inside(hbody, (ast.With, ast.AsyncWith), lambda w: True)
                first = node.body[0]
                occ = managed.get(first)
                if len(occ) != 1 or occ[0][1]:
                    continue
                cm = ", ".join(ast.unparse(i.context_expr) for i in node.items)
                out.append(finding(
                    REMOVED_CONTEXT_MANAGER, fc.path, occ[0][0].lineno, f"{qual}: with {cm}"[:120],
                    f"`{shorten(ast.unparse(first))}` in `{qual}` ran inside `with {shorten(cm, 50)}:`, which was removed: "
                    "whatever it provided (a held lock, suppressed errors, a closed resource, a timeout) is gone.",
                    "Keep the `with`, or say in the description why the code no longer needs it.",
                ))
    return out


CHECK = Check(name="flow", agent=AGENT, rules=(REMOVED_CONTEXT_MANAGER, REMOVED_HANDLER, REORDERED_BRANCHES),
              run=run,
              languages=("python",), order=18)

__all__ = ["CHECK", "run"]
