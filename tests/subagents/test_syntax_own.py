"""subagents._syntax.own_nodes: for ``return``/``raise`` statements and assignments of an error-free
body only statements are walked; the nodes and their order are those of the walk of every node."""

from __future__ import annotations

import pytest

from bot.core import treesitter
from subagents import _syntax

SOURCE = b"""\
def f(x, y=lambda: 1):
    a = b = c = x
    a += d = 2
    if x:
        return a
    elif y:
        raise ValueError(a)
    else:
        e: int = 3
    for i in x:
        try:
            return [lambda q: q for _ in i]
        except KeyError:
            raise
        except* OSError:
            pass
        else:
            z = 1
        finally:
            w = 2
    else:
        v = 3
    while y:
        with open(x) as fh:
            return fh
    match x:
        case [1, *rest] if rest:
            r = rest
            return r
        case _:
            raise TypeError
    def inner():
        n = 1
        return n
    class C:
        m = 1
        def meth(self):
            raise KeyError
    @decorator
    def decorated():
        return 2
    g = (lambda: (yield))
    return a if (k := x) else b
"""
TYPES = [frozenset({"return_statement"}), frozenset({"raise_statement"}), frozenset({"assignment"}),
         frozenset({"return_statement", "raise_statement"}), frozenset({"call"})]


def _every_node(func, types):  # noqa: ANN001, ANN202 - the definition the statement walk replaces
    body = func.child_by_field_name("body")
    return list(_syntax.iter_nodes(body, types, stop=_syntax._nested_scope))


@pytest.mark.parametrize("types", TYPES, ids=["return", "raise", "assignment", "return-raise", "call"])
@pytest.mark.parametrize("broken", [False, True], ids=["clean", "with-error"])
def test_own_nodes_match_the_walk_of_every_node(types: frozenset[str], broken: bool) -> None:
    source = SOURCE.replace(b"v = 3", b"v = = 3") if broken else SOURCE
    root = treesitter.parse("python", source).root_node
    assert root.has_error is broken
    func = _syntax.find(root, "python", frozenset({"function_definition"}))[0]
    got = _syntax.own_nodes(func, types)
    assert [(n.type, n.start_byte) for n in got] == [(n.type, n.start_byte) for n in _every_node(func, types)]
    if types == frozenset({"assignment"}) and not broken:
        assert [n.text.split(b"=")[0].strip() for n in got] == [b"a", b"b", b"c", b"d", b"e: int", b"z", b"w", b"v", b"r", b"g"]
    if types == frozenset({"return_statement"}):
        assert len(got) == 5  # none of inner's, meth's or decorated's


def test_only_statements_are_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    root = treesitter.parse("python", SOURCE).root_node
    func = _syntax.find(root, "python", frozenset({"function_definition"}))[0]

    def no_walk(*args: object, **kwargs: object) -> object:
        raise AssertionError("walked every node")

    monkeypatch.setattr(_syntax, "iter_nodes", no_walk)
    assert len(_syntax.own_nodes(func, frozenset({"raise_statement"}))) == 3
