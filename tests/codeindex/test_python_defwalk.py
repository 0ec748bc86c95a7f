"""``_python.definition_nodes``: the statement walk finds exactly the nodes the definitions query
captures, in the same (document) order, with and without the keyword filter."""

from __future__ import annotations

import pytest

from bot.codeindex import _python
from bot.codeindex._common import in_order
from bot.core import treesitter

SAMPLE = b'''
import os
X = 1
A, B = 2, 3
Y: int = 4
Z = W = 5
__all__ = ["f"]

@decorator
def f(a, b=1, *args, c, **kw):
    def inner():
        class Local:
            def m(self): pass
        return Local
    if a:
        def in_if(): pass
    elif b:
        def in_elif(): pass
    else:
        def in_else(): pass
    for i in range(3):
        def in_for(): pass
    else:
        def in_for_else(): pass
    while False:
        def in_while(): pass
    try:
        def in_try(): pass
    except ValueError:
        def in_except(): pass
    except* TypeError:
        def in_except_group(): pass
    finally:
        def in_finally(): pass
    with open("x") as fh:
        def in_with(): pass
    match a:
        case 1:
            def in_case(): pass
    lam = lambda: "def class"
    return inner

class C(Base):
    K = 1
    async def am(self):
        async with x:
            def in_async_with(): pass
        async for y in z:
            def in_async_for(): pass

    @property
    def p(self): return 1

if __name__ == "__main__":
    def main(): pass
    M = 2
else:
    class Other: pass
'''


def _query(root):  # noqa: ANN001, ANN202
    caps = treesitter.captures(treesitter.query("python", _python.DEFINITIONS_QUERY), root)
    return {k: [(n.start_byte, n.end_byte, n.type) for n in in_order(caps.get(k, ()))] for k in ("def", "assign")}


def _walk(root, source):  # noqa: ANN001, ANN202
    got = _python.definition_nodes(root, source)
    return {k: [(n.start_byte, n.end_byte, n.type) for n in got[k]] for k in ("def", "assign")}


@pytest.mark.parametrize("with_source", [True, False])
def test_walk_equals_query(with_source: bool) -> None:
    root = treesitter.parse("python", SAMPLE).root_node
    assert not root.has_error
    expected = _query(root)
    assert len(expected["def"]) == 23 and len(expected["assign"]) == 5
    assert _walk(root, SAMPLE if with_source else None) == expected


def test_keyword_filter_skips_only_statements_without_definitions() -> None:
    source = b"if x:\n    y = 1\nelse:\n    z = 'def'\nfor i in y:\n    class K: pass\n"
    root = treesitter.parse("python", source).root_node
    assert _walk(root, source) == _query(root)
    assert [n.type for n in _python.definition_nodes(root, source)["def"]] == ["class_definition"]


def test_tree_with_errors_is_queried() -> None:
    source = b"def ok(): pass\nif (:\n    def broken(: pass\nclass After: pass\n"
    root = treesitter.parse("python", source).root_node
    assert root.has_error
    assert _walk(root, source) == _query(root)


def test_python_definitions_unchanged_by_the_walk() -> None:
    tree = treesitter.parse("python", SAMPLE)
    module, defs = _python.python_definitions("pkg/mod.py", SAMPLE, tree)
    full = _python.extract_python("pkg/mod.py", SAMPLE, tree)
    assert module == full.module == "pkg.mod"
    assert defs == full.definitions


def test_py_targets_are_remembered_and_equal_to_a_fresh_answer() -> None:
    from bot.codeindex import CodeIndex  # noqa: PLC0415

    files = {
        "pkg/__init__.py": b"from .impl import *\nfrom .alias import thing as renamed\n",
        "pkg/impl.py": b"def helper(): pass\n__all__ = ['helper']\n",
        "pkg/alias.py": b"from .deep import thing\n",
        "pkg/deep.py": b"def thing(): pass\n",
    }
    index = CodeIndex.from_symbols(_python.extract_python(p, src) for p, src in files.items())
    questions = [("pkg", "helper"), ("pkg", "renamed"), ("pkg", "missing"), ("elsewhere", "x"), ("pkg.alias", "thing")]
    fresh = {q: index._py_targets_of(*q, 3) for q in questions}
    assert fresh[("pkg", "helper")] == {("pkg/impl.py", "helper")}
    assert fresh[("pkg", "renamed")] == {("pkg/deep.py", "thing")}
    assert fresh[("elsewhere", "x")] == {("elsewhere", "x")}
    for q in questions:
        first = index._py_targets(*q)
        assert first == fresh[q]
        assert index._py_targets(*q) is first  # remembered
