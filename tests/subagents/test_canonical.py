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


_GO_BODY = "".join(f"\tv{i} := x + {i}\n\tuse(v{i})\n" for i in range(20))
GO_CASES = {
    "a statement added": (f"func f(x int) {{\n{_GO_BODY}}}\n", f"func f(x int) {{\n{_GO_BODY}\tdone()\n}}\n"),
    "a value changed": (f"func f(x int) {{\n{_GO_BODY}}}\n", f"func f(x int) {{\n{_GO_BODY.replace('x + 7', 'x + 8')}}}\n"),
    "layout only": (f"func f(x int) {{\n{_GO_BODY}}}\n", f"func f(x int) {{\n{_GO_BODY.replace('x + 7', 'x+7')}}}\n"),
    "statements reordered": (f"func f(x int) {{\n{_GO_BODY}}}\n",
                             "func f(x int) {\n" + "".join(reversed(_GO_BODY.splitlines(True))) + "}\n"),
    "a name changed": (f"func f(x int) {{\n{_GO_BODY}}}\n", f"func f(x int) {{\n{_GO_BODY.replace('v3', 'w3')}}}\n"),
    "the body emptied": (f"func f(x int) {{\n{_GO_BODY}}}\n", "func f(x int) {\n}\n"),
}


@pytest.mark.parametrize("name", sorted(GO_CASES))
def test_differs_agrees_with_the_full_streams_on_go_statement_lists(name: str) -> None:
    base, head = GO_CASES[name]
    a = treesitter.parse("go", b"package p\n" + base.encode()).root_node.named_children[1]
    b = treesitter.parse("go", b"package p\n" + head.encode()).root_node.named_children[1]
    assert a.type == b.type == "function_declaration" and not a.has_error and not b.has_error
    assert differs(a, b, python=False) == (canonical(a, python=False) != canonical(b, python=False))


def test_go_statements_are_paired_one_by_one() -> None:
    from subagents._canonical import _paired_statements  # noqa: PLC0415

    base, head = GO_CASES["a value changed"]
    a = treesitter.parse("go", b"package p\n" + base.encode()).root_node.named_children[1]
    b = treesitter.parse("go", b"package p\n" + head.encode()).root_node.named_children[1]
    pairs = _paired_statements(a, b)
    assert len(pairs) == 39 and {x.type for x, _ in pairs} == {"short_var_declaration", "expression_statement"}


def test_the_cases_cover_both_answers() -> None:
    answers = set()
    for base, head in CASES.values():
        a = treesitter.parse("python", base.encode()).root_node.children[0]
        b = treesitter.parse("python", head.encode()).root_node.children[0]
        answers.add(differs(a, b))
    assert answers == {True, False}


def test_one_sided_helpers_are_found_among_the_definitions_without_a_query(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-sided helpers come from the (cached) definitions of each side: the same helpers, in
    the same order, as a query for every function of the file gives."""
    from subagents import _canonical  # noqa: PLC0415

    base = (b"class C:\n    def keep(self, x):\n        return x\n\n    def gone(self, x):\n        return x + 1\n\n\n"
            b"def twice(a):\n    return a\n\n\ndef twice(a):\n    return -a\n\n\ndef old(a, b):\n    return a * b\n")
    head = (b"class C:\n    def keep(self, x):\n        return x\n\n    def fresh(self, y):\n        self.y = y\n\n\n"
            b"def new(a):\n    if a:\n        return 1\n    return 2\n\n\ndef small(a):\n    return a - 1\n")
    bt, ht = treesitter.parse("python", base), treesitter.parse("python", head)
    expected = (_canonical.helpers(bt.root_node, only={"gone", "twice", "old"}),
                _canonical.helpers(ht.root_node, only={"fresh", "new", "small"}))
    assert set(expected[0]) == {"gone", "old"} and set(expected[1]) == {"fresh", "small"}

    def no_query(*args: object, **kwargs: object) -> object:
        raise AssertionError("a query over the whole tree")

    monkeypatch.setattr(_canonical, "find", no_query)
    got = _canonical.one_sided_helpers(bt.root_node, ht.root_node, cache={})
    assert got == expected and [list(d) for d in got] == [list(d) for d in expected]


def test_stream_memo_gives_canonical_once_per_node_and_arguments() -> None:
    from subagents import _canonical  # noqa: PLC0415

    tree = treesitter.parse("python", b"def f(a):\n    return g(a)\n\n\ndef g(x):\n    return x + 1\n")
    f, g = tree.root_node.named_children
    inline = _canonical.helpers(tree.root_node, only={"g"})
    memo = _canonical.StreamMemo()
    first = memo.stream(f, inline=inline)
    assert first == _canonical.canonical(f, inline=inline) != _canonical.canonical(f)
    assert memo.stream(f, inline=inline) is first  # computed once
    assert memo.stream(f) == _canonical.canonical(f)  # other arguments, another stream
    assert memo.stream(f, inline=dict(inline)) is not first  # inline is told apart by identity
    assert memo.stream(g, python=False) == _canonical.canonical(g, python=False)
