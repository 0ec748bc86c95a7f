"""Canonical token streams: ``differs`` answers exactly what comparing the full streams answers."""

from __future__ import annotations

import pytest

from bot.core import treesitter
from subagents._canonical import canonical, differs

_METHODS = "".join(f"    def m{i}(self, x):\n        return x + {i}\n\n" for i in range(30))
CASES = {
    "a method added": (f"class C:\n{_METHODS}", f"class C:\n{_METHODS}    def extra(self):\n        return 1\n"),
    "a comment and layout only": (f"class C:\n{_METHODS}", f"class C:\n{_METHODS.replace('return x + 7', 'return (x + 7)  # why')}"),
    "a value changed": (f"class C:\n{_METHODS}", f"class C:\n{_METHODS.replace('x + 7', 'x + 8')}"),
    "methods reordered": (f"class C:\n{_METHODS}", "class C:\n" + "".join(reversed(_METHODS.split("\n\n"))).replace("    def", "\n    def")),
    "a docstring added before equal statements": ("def f():\n    'doc'\n    return 1\n", "def f():\n    'other'\n    'doc'\n    return 1\n"),
    "a statement became the docstring": ("def f():\n    x = 1\n    'doc'\n", "def f():\n    'doc'\n"),
    "the header changed": (f"class C:\n{_METHODS}", f"class C(Base):\n{_METHODS}"),
    "a method moved into a nested class": (f"class C:\n{_METHODS}", f"class C:\n  class D:\n{_METHODS.replace(chr(10) + '    ', chr(10) + '      ')}"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_differs_agrees_with_the_full_streams(name: str) -> None:
    base, head = CASES[name]
    a = treesitter.parse("python", base.encode()).root_node.children[0]
    b = treesitter.parse("python", head.encode()).root_node.children[0]
    assert not a.has_error and not b.has_error
    assert differs(a, b) == (canonical(a) != canonical(b))


def test_the_cases_cover_both_answers() -> None:
    answers = set()
    for base, head in CASES.values():
        a = treesitter.parse("python", base.encode()).root_node.children[0]
        b = treesitter.parse("python", head.encode()).root_node.children[0]
        answers.add(differs(a, b))
    assert answers == {True, False}
