"""``dataflow._flow`` gives what the two walks gave, and what the single walk of every node gave
(before nested definitions were set aside and contexts and operators left out): loads everywhere,
stores outside nested definitions in the same order and lines, and the ``locals()`` case."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from subagents.checks.logic import dataflow


def _store(node: ast.AST, stores: dict[str, int]) -> None:
    """The reference definitions' store rule: a single-target assignment, an annotated or augmented
    assignment with a value, or a walrus, to a public name records the first line it is stored on."""
    target = None
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and getattr(node, "value", None) is not None:
        target = node.target
    elif isinstance(node, ast.NamedExpr):
        target = node.target
    if isinstance(target, ast.Name) and not target.id.startswith("_"):
        stores.setdefault(target.id, node.lineno)


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
        _store(node, stores)
        stack.extend(ast.iter_child_nodes(node))
    return stores, loads, skip


def _every_node(func: ast.AST) -> tuple[dict[str, int], set[str], set[str]]:
    """The single walk of every node (``ast.iter_child_nodes``, contexts and operators included)
    that ``_flow`` was until the eleventh session."""
    stores: dict[str, int] = {}
    loads: set[str] = set()
    skip: set[str] = set()
    stack: list[tuple[ast.AST, bool]] = [(child, False) for child in ast.iter_child_nodes(func)]
    while stack:
        node, nested = stack.pop()
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loads.add(node.id)
            elif isinstance(node.ctx, ast.Del):
                loads.add(node.id)
                skip.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            skip.update(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("locals", "vars"):
            return dataflow._flow_with_locals(func)
        if not nested:
            if isinstance(node, dataflow._NESTED):
                nested = True
            else:
                _store(node, stores)
        stack.extend((child, nested) for child in ast.iter_child_nodes(node))
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
    "stores in defaults, decorators and lambdas": (
        "def f(a):\n    @deco(d := 1)\n    def g(x=(e := 2), *, y=a + 1):\n        return x\n"
        "    h = lambda v=(m := 3): v and m\n    n: int\n    n = e = -a\n    n += not a\n    return d < e <= h\n"),
    "operators, del and comparisons": (
        "def f(a, b):\n    c = a + b * -a\n    c |= b\n    d = [a, *b]\n    del d[0], a\n    (p, q) = c, d\n"
        "    if a is not b or c in d and not q:\n        return c\n    return d\n"),
    "locals in a lambda": "def f(a):\n    b = a\n    g = lambda: locals()\n    return g\n",
    "match, try and with": (
        "def f(x):\n    match x:\n        case {\"k\": v, **rest}:\n            y = v\n        case [a, *others] if a:\n            y = a\n"
        "    try:\n        z = y\n    except (E, F) as err:\n        z = err\n    finally:\n        w = z\n"
        "    with open(z) as fh, g() as (u, t):\n        s = fh\n    async def ag():\n        async for i in w:\n            await i\n"
        "    return s, u, t\n"),
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


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_the_walk_of_every_node(name: str) -> None:
    func = ast.parse(CASES[name]).body[0]
    want, got = _every_node(func), dataflow._flow(func)
    assert list(got[0].items()) == list(want[0].items())
    assert got[1:] == want[1:]


def test_same_on_this_repository() -> None:
    """Every function of the project's own Python sources (thousands of real functions)."""
    root = Path(__file__).resolve().parents[2]
    count = 0
    for path in sorted((root / "subagents").rglob("*.py")) + sorted((root / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                want, got = _every_node(node), dataflow._flow(node)
                assert list(got[0].items()) == list(want[0].items()), (path, node.name)
                assert got[1:] == want[1:], (path, node.name)
                count += 1
    assert count > 1000
