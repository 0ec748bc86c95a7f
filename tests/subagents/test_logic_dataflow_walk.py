"""``dataflow._flow`` in one walk gives what the two walks gave: loads everywhere, stores outside
nested definitions in the same order and lines, and the ``locals()`` case."""

from __future__ import annotations

import ast

import pytest

from subagents.checks.logic import dataflow


def _reference(func: ast.AST) -> tuple[dict[str, int], set[str], set[str]]:
    """The two-walk definition (loads breadth-first over everything, stores by a walk that skips
    nested definitions)."""
    stores: dict[str, int] = {}
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
            skip.update(loads | set(stores) | {"*"})
    if "*" in skip:
        return {}, loads, skip
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, dataflow._NESTED):
            continue
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and getattr(node, "value", None) is not None:
            target = node.target
        elif isinstance(node, ast.NamedExpr):
            target = node.target
        if isinstance(target, ast.Name) and not target.id.startswith("_"):
            stores.setdefault(target.id, node.lineno)
        stack.extend(ast.iter_child_nodes(node))
    return stores, loads, skip


CASES = {
    "nested definitions": """
def f(a, b=default()):
    x = a
    y: int = 2
    z += 1
    if (w := g(x)) and y:
        def inner():
            hidden = z
            return hidden + outer_only
        k = lambda q: (q, late)
    class C:
        member = 1
    x = 3
    return w
""",
    "two stores on one line": "def f():\n    x = (y := 3)\n    a = b = 4\n    del x\n    return y\n",
    "global and nonlocal": "def f():\n    global g\n    g = 1\n    def h():\n        nonlocal t\n        t = 2\n    t = 3\n",
    "locals": "def f(a):\n    b = a\n    del b\n    c = 1\n    return locals()\n",
    "vars inside a nested function": "def f(a):\n    b = a\n    def h():\n        return vars()\n    d = b\n",
    "comprehensions": "def f(xs):\n    total = sum(v for v in xs if v)\n    keys = [k for k in xs]\n    return [total, keys]\n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_walk_equals_two(name: str) -> None:
    func = ast.parse(CASES[name]).body[0]
    want, got = _reference(func), dataflow._flow(func)
    assert list(got[0].items()) == list(want[0].items())
    assert got[1:] == want[1:]


def test_stores_are_outside_nested_definitions_only() -> None:
    stores, loads, skip = dataflow._flow(ast.parse(CASES["nested definitions"]).body[0])
    assert set(stores) == {"x", "k", "w", "z", "y"}
    assert "hidden" not in stores and "member" not in stores
    assert {"outer_only", "late", "z"} <= loads and not skip
    assert "*" in dataflow._flow(ast.parse(CASES["locals"]).body[0])[2]
