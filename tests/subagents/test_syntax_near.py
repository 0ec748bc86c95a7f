"""subagents._syntax.find_near: one band per run of nearby lines instead of one band from the first
to the last line; the nodes that overlap the lines are :func:`find`'s, in its order, and
``text_lines(lines=)`` answers as the whole-file search for those lines."""

from __future__ import annotations

import random

import pytest

from bot.core import treesitter
from subagents import _syntax
from subagents.logic_python import _GUARD_TYPES

_BLOCK = '''\
def f{i}(x):
    """Doc of f{i}
    on two lines."""
    if x is None:
        raise ValueError("none")  # a comment
    try:
        return g(x)
    except KeyError:
        pass
    assert x, "set"
    s = """a
b"""
    return s

'''
SOURCE = "".join(_BLOCK.format(i=i) for i in range(40)).encode()
TYPES = [_GUARD_TYPES, frozenset({"except_clause"}), _syntax.STRING_TYPES | _syntax.COMMENT_TYPES]


def _overlaps(n, lines: set[int]) -> bool:
    return any(n.start_point[0] + 1 <= line <= n.end_point[0] + 1 for line in lines)


@pytest.mark.parametrize(("lines", "bands"), [
    (set(), []),
    ({5}, [(5, 5)]),
    ({5, 6, 7}, [(5, 7)]),
    ({5, 25}, [(5, 25)]),
    ({5, 26}, [(5, 5), (26, 26)]),
    ({300, 1, 2, 90}, [(1, 2), (90, 90), (300, 300)]),
])
def test_line_bands(lines: set[int], bands: list[tuple[int, int]]) -> None:
    assert _syntax.line_bands(lines, gap=20) == bands


def test_find_near_keeps_finds_nodes_on_the_lines_in_order() -> None:
    root = treesitter.parse("python", SOURCE).root_node
    total = SOURCE.count(b"\n")
    rnd = random.Random(3)
    for _ in range(200):
        lines = set(rnd.sample(range(1, total + 1), rnd.randint(1, 8)))
        for types in TYPES:
            old = _syntax.find(root, "python", types, lines=lines)
            new = _syntax.find_near(root, "python", types, lines)
            assert [n.id for n in new] == [n.id for n in old if n.id in {m.id for m in new}]  # find's order
            assert {n.id for n in old if _overlaps(n, lines)} <= {n.id for n in new}
            prose = _syntax.text_lines(root, "python")
            assert _syntax.text_lines(root, "python", lines=lines) & lines == prose & lines


def test_far_apart_lines_do_not_search_between() -> None:
    root = treesitter.parse("python", SOURCE).root_node
    first, last = 4, SOURCE.count(b"\n") - 10  # the `if` line in the first and in the last function
    new = _syntax.find_near(root, "python", _GUARD_TYPES, {first, last})
    assert [n.start_point[0] + 1 for n in new] == [first, last]
    assert len(_syntax.find(root, "python", _GUARD_TYPES, lines={first, last})) > 100
    assert _syntax.find_near(root, "python", _GUARD_TYPES, set()) == []
