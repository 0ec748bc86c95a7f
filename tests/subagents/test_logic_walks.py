"""The ``ast`` walks of ``subagents.logic_calls`` skip expression contexts and operators
(``child_nodes``): they find what the walks over ``ast.iter_child_nodes`` found, in the same
order, on every module and function of this repository."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from subagents import logic_calls

ROOT = Path(__file__).resolve().parents[2]
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_LEAVES = (ast.expr_context, ast.operator, ast.boolop, ast.cmpop, ast.unaryop)


def _own(func: ast.AST, kinds: tuple[type, ...], *, reverse: bool = False) -> Iterator[ast.AST]:
    order = (lambda xs: list(reversed(xs))) if reverse else list
    stack = order(list(ast.iter_child_nodes(func)))
    while stack:
        node = stack.pop()
        if isinstance(node, _DEFS):
            continue
        if isinstance(node, kinds):
            yield node
        stack.extend(order(list(ast.iter_child_nodes(node))))


def _conditions(func: ast.AST) -> set[str]:
    out: set[str] = set()
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.If, ast.While, ast.IfExp)):
            out.add(ast.dump(node.test))
            if isinstance(node.test, ast.BoolOp):
                out.update(ast.dump(v) for v in node.test.values)
        stack.extend(ast.iter_child_nodes(node))
    return out


def _scoped(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, qual = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stack.append((child, f"{qual}.{child.name}" if qual else child.name))
                continue
            yield qual, child
            stack.append((child, qual))


def _qualified(tree: ast.AST, descend: tuple[type, ...]) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, prefix = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qual = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    out.setdefault(qual, child)
                stack.append((child, qual + "."))
            elif descend and isinstance(child, descend):
                stack.append((child, prefix))
    return out


def _trees() -> list[ast.Module]:
    paths = sorted((ROOT / "subagents").rglob("*.py")) + sorted((ROOT / "bot" / "core").rglob("*.py"))
    return [ast.parse(p.read_text(encoding="utf-8")) for p in paths]


def test_walks_find_the_same_nodes_in_the_same_order() -> None:
    functions = 0
    for tree in _trees():
        want = [(q, n) for q, n in _scoped(tree) if not isinstance(n, _LEAVES)]
        assert list(logic_calls.scoped_nodes(tree)) == want
        for descend in (logic_calls._STATEMENT_HOLDERS, (ast.If, ast.Try), ()):
            got = logic_calls.qualified_functions(tree, descend=descend)
            assert list(got.items()) == list(_qualified(tree, descend).items())
        for func in [tree, *logic_calls.qualified_functions(tree).values()]:
            assert list(logic_calls._own_calls(func)) == list(_own(func, (ast.Call,)))
            assert list(logic_calls._tests(func)) == list(_own(func, (ast.If, ast.While)))
            assert list(logic_calls._own_ifs(func)) == list(_own(func, (ast.If,), reverse=True))
            assert logic_calls._conditions(func) == _conditions(func)
            functions += 1
    assert functions > 1000


def test_child_nodes_leaves_out_only_contexts_and_operators() -> None:
    for tree in _trees()[:20]:
        for node in ast.walk(tree):
            got: list[ast.AST] = []
            logic_calls.child_nodes(node, got)
            assert got == [c for c in ast.iter_child_nodes(node) if not isinstance(c, _LEAVES)]
