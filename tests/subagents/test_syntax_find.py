"""subagents._syntax.find: definitions of a whole error-free Python tree are found by walking
statements only, with the same nodes in the same order as the query over every node."""

from __future__ import annotations

import pytest

from bot.core import treesitter
from subagents import _syntax

SOURCE = b'''\
"""Doc."""
import os


class A:
    class Inner:
        def m(self):
            class InMethod:
                pass
            return InMethod


@decorator
class B(A):
    @property
    def p(self):
        return [lambda: 1 for _ in range(3)]


def outer():
    def inner():
        return 1
    if os.environ:
        class Conditional:
            pass
    try:
        class InTry:
            pass
    except Exception:
        class InExcept:
            pass
    else:
        def in_else():
            pass
    finally:
        pass
    with open("x") as f:
        class InWith:
            pass
    for _ in f:
        def in_for():
            pass
    else:
        class ForElse:
            pass
    while False:
        class InWhile:
            pass
    match f:
        case 1:
            class InCase:
                pass
    return inner


async def coroutine():
    async with x:
        class InAsyncWith:
            pass
'''

TYPE_SETS = [_syntax.CLASS_TYPES, _syntax.FUNCTION_TYPES, frozenset({"class_definition", "decorated_definition"}),
             frozenset({"module"}), frozenset({"function_definition"})]

WORDS = b"""\
def plain(default=1):
    undef = default
    return "def inner(): pass"  # def in a string and a comment


def holds(x):
    undefined = x
    if x:
        def \\
                continued():
            pass
    async def coro():
        def deeper():
            pass
    return undefined


class K:
    def m(self):
        class_ = 1
        def local():
            pass
"""
"""Bodies whose text holds ``def`` only inside other words, strings or comments, and real nested
definitions after such words (a function body is walked only when its text holds ``def`` as a word)."""


def _by_query(root, types):  # noqa: ANN001, ANN202
    language = treesitter.get_language("python")
    names = sorted(t for t in types if language.id_for_node_kind(t, True) is not None)
    q = treesitter.query("python", "[" + " ".join(f"({t})" for t in names) + "] @n")
    return sorted(treesitter.captures(q, root).get("n", []), key=lambda n: n.start_byte)


@pytest.mark.parametrize("source", [SOURCE, WORDS, b"", b"\n", b"# only a comment\n", b"x = 1\n"], ids=["nested", "words", "empty", "newline", "comment", "statement"])
@pytest.mark.parametrize("types", TYPE_SETS, ids=["classes", "functions", "class-decorated", "module", "function-only"])
def test_a_statement_walk_finds_what_the_query_finds(source: bytes, types: frozenset[str], monkeypatch: pytest.MonkeyPatch) -> None:
    root = treesitter.parse("python", source).root_node
    assert not root.has_error
    want = _by_query(root, types)

    def no_query(*args: object) -> object:
        raise AssertionError("a query over the whole tree")

    monkeypatch.setattr(treesitter, "query", no_query)
    got = _syntax.find(root, "python", types)
    assert [(n.type, n.start_byte, n.end_byte) for n in got] == [(n.type, n.start_byte, n.end_byte) for n in want]
    if source == SOURCE and types is _syntax.CLASS_TYPES:
        assert len(want) == 13  # the module and every class (12), however deeply nested


def test_a_tree_with_errors_or_a_band_still_uses_the_query() -> None:
    broken = treesitter.parse("python", SOURCE.replace(b"class B(A):", b"class B(A:")).root_node
    assert broken.has_error
    assert [n.id for n in _syntax.find(broken, "python", _syntax.CLASS_TYPES)] == [n.id for n in _by_query(broken, _syntax.CLASS_TYPES)]
    root = treesitter.parse("python", SOURCE).root_node
    banded = _syntax.find(root, "python", _syntax.CLASS_TYPES, lines={6, 7})
    assert [n.type for n in banded] == ["module", "class_definition", "class_definition"]  # A and Inner overlap lines 6-7


@pytest.mark.parametrize("source", [SOURCE, WORDS], ids=["nested", "words"])
def test_definitions_are_the_querys_functions_with_their_qualified_names(source: bytes) -> None:
    root = treesitter.parse("python", source).root_node
    assert not root.has_error
    want = [(_syntax._qualname(n, root), n.start_byte) for n in _by_query(root, _syntax.FUNCTION_TYPES)]
    got = [(d.qualname, d.node.start_byte) for d in _syntax.definitions(root, "python").values()]
    assert got == want
    if source == WORDS:
        assert [q for q, _ in got] == ["plain", "holds", "holds.continued", "holds.coro", "holds.coro.deeper", "K.m", "K.m.local"]


def test_defined_names_and_classes_are_computed_once_per_root() -> None:
    root = treesitter.parse("python", SOURCE).root_node
    cache: dict = {}
    names = _syntax.defined_names(root, "python", cache=cache)
    want = {q.split("#")[0].rsplit(".", 1)[-1] for q in _syntax.definitions(root, "python")}
    want |= {_syntax.node_text(c.child_by_field_name("name")) for c in _by_query(root, _syntax.CLASS_TYPES) if c.type != "module"}
    assert names == want and "InAsyncWith" in names and "in_else" in names
    assert _syntax.defined_names(root, "python", cache=cache) is names
    assert _syntax.classes(root, "python", cache=cache) is _syntax.classes(root, "python", cache=cache)
