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
