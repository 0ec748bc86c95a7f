"""``is_generator`` and the helper check skip the walk when the body's text cannot hold what they
look for, and answer as the walk does otherwise."""

from __future__ import annotations

import pytest

from bot.core import treesitter
from subagents import _canonical, _syntax


def _func(src: str):
    root = treesitter.parse("python", src.encode()).root_node
    return _syntax.find(root, "python", frozenset({"function_definition"}))[0]


@pytest.mark.parametrize(("src", "want"), [
    ("def f(x):\n    yield x\n", True),
    ("def f(x):\n    y = yield\n    return y\n", True),
    ("def f(x):\n    yield from g(x)\n", True),
    ("def f(x):\n    def g():\n        yield x\n    return g\n", False),
    ("def f(x):\n    return lambda: (yield)\n", False),
    ("def f(x):\n    return 'yield'  # yield\n", False),
    ("def f(x):\n    return x\n", False),
])
def test_is_generator(src: str, want: bool) -> None:
    assert _syntax.is_generator(_func(src)) is want


def test_a_body_without_the_keyword_is_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    func = _func("def f(x):\n    return x + 1\n")

    def no_walk(*args: object, **kwargs: object) -> object:
        raise AssertionError("walked")

    monkeypatch.setattr(_syntax, "iter_nodes", no_walk)
    monkeypatch.setattr(_canonical, "iter_nodes", no_walk)
    assert _syntax.is_generator(func) is False
    assert _canonical._holds_definitions(func.child_by_field_name("body")) is False
    assert _canonical._helper(func, "f", False) is not None


@pytest.mark.parametrize(("src", "want"), [
    ("def f(x):\n    return x\n", False),
    ("def f(x):\n    return key(x, lambda v: v)\n", True),
    ("def f(x):\n    class C:\n        pass\n    return C\n", True),
    ("def f(x):\n    def g():\n        return 1\n    return g\n", True),
    ("def f(x):\n    return 'def class lambda'\n", False),
])
def test_holds_definitions(src: str, want: bool) -> None:
    assert _canonical._holds_definitions(_func(src).child_by_field_name("body")) is want


NESTED = '''
import x


@decorator
class Outer(Base):
    """A class whose text says def and class in strings: 'def', "class"."""

    attribute = "no methods here"

    class Inner:
        def method(self):
            def local():
                class Deep:
                    def deepest(self):
                        return 1
                return Deep
            return local

    if x:
        @property
        def conditional(self):
            return lambda: 1


def plain(a):
    return a


async def coroutine():
    try:
        pass
    except E:
        def handler():
            pass


class Empty:
    value = "define"


def defined_defaults(default=defaultdict):
    return default
'''


def _query_reference(root, types):
    q = treesitter.query("python", "[" + " ".join(f"({t})" for t in sorted(types)) + "] @n")
    return sorted(treesitter.captures(q, root).get("n", []), key=lambda n: n.start_byte)


def test_definitions_and_find_equal_a_query_through_every_nesting() -> None:
    root = treesitter.parse("python", NESTED.encode()).root_node
    assert not root.has_error
    funcs = _query_reference(root, {"function_definition"})
    assert [(q, d.node.id) for q, d in _syntax.definitions(root, "python").items()] == [
        (_syntax._qualname(n, root), n.id) for n in funcs]
    assert len(funcs) == 8
    for types in ({"class_definition"}, {"function_definition"}, {"decorated_definition"},
                  {"class_definition", "decorated_definition"}, set(_syntax._PY_DEFINITION_TYPES)):
        want = [n.id for n in _query_reference(root, types)]
        assert [n.id for n in _syntax.find(root, "python", frozenset(types))] == want, types
