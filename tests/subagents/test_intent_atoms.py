"""The intent agent's refactor atoms (:func:`subagents.checks.intent._refactor.atoms`) with a memo
shared by the base and head calls: the same atoms, first lines and order as without it."""

from __future__ import annotations

from bot.core import treesitter
from subagents import _syntax
from subagents.checks.intent import _refactor

_LONG = "".join(f"        total += helper_{i}(value, {i}) if value > {i} else -{i}\n" for i in range(12))

BASE = f'''\
import os


def unchanged(value):
    total = 0
{_LONG.replace("        ", "    ")}    if value and not os.path.exists("x"):
        raise ValueError("bad")
    return total


class Thing:
    def method(self, value):
        total = 0
        for item in value:
{_LONG.replace("        ", "            ")}        if total > 10 or value is None:
            return call_a(total)
        return call_b(total * 2)
'''

HEAD = BASE.replace("return call_b(total * 2)", "return call_c(total * 3)").replace(
    "import os\n", "import os\nimport sys\n\n\nEXTRA = 1\n")


def _fields(a: _refactor.Atoms) -> list:
    return [list(x.items()) for x in (a.calls, a.literals, a.clauses, a.conditions, a.raises)] + [sorted(a.ops.items())]


def _sides(base: str, head: str, whole: bool) -> list[list]:
    out = []
    for text, side in ((base, "base"), (head, "head")):
        root = treesitter.parse("python", text.encode()).root_node
        if whole:
            out.append([root])
        else:
            hunks = [type("H", (), {"source_start": 1, "source_length": 60, "target_start": 1, "target_length": 64})()]
            out.append(_syntax.regions(root, _syntax.hunk_ranges(hunks, side)))
    return out


def test_memo_gives_the_same_atoms_and_lines() -> None:
    for whole in (False, True):
        base_nodes, head_nodes = _sides(BASE, HEAD, whole)
        for strings_free in (False, True):
            memo: _refactor.AtomsMemo = {}
            got = [_refactor.atoms(nodes, "python", strings_free=strings_free, memo=memo) for nodes in (base_nodes, head_nodes)]
            want = [_refactor.atoms(nodes, "python", strings_free=strings_free) for nodes in (base_nodes, head_nodes)]
            assert [_fields(a) for a in got] == [_fields(a) for a in want]
            assert memo, "the long statements were memoized"


def test_memoized_statement_keeps_its_own_lines_on_the_head_side() -> None:
    """``unchanged`` moved down 4 lines in the head: its calls' first lines are the head's."""
    base_nodes, head_nodes = _sides(BASE, HEAD, True)
    memo: _refactor.AtomsMemo = {}
    base = _refactor.atoms(base_nodes, "python", strings_free=False, memo=memo)
    head = _refactor.atoms(head_nodes, "python", strings_free=False, memo=memo)
    assert head.calls["helper_0"] == base.calls["helper_0"] + 4
    assert head.raises["ValueError"] == base.raises["ValueError"] + 4
    assert "call_c" in head.calls and "call_c" not in base.calls
