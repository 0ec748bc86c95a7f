"""The ``contracts`` check: ``logic/changed-raise`` and ``logic/changed-parameter-kind``."""

from __future__ import annotations

import ast
import difflib

import pytest

from bot.core.diff import parse_diff
from subagents.checks.logic.contracts import changed_parameter_kinds, changed_raises

BASE = '''\
def check(stdin, stdout):
    if stdout is PIPE:
        raise ValueError(
            "stdout=PIPE is only valid with nursery.start"
        )


def lookup(table, key):
    try:
        return table[key]
    except KeyError as exc:
        raise LookupError(key) from exc
'''


def _run(check, base: str, head: str) -> list[tuple[str, int, str]]:
    lines = difflib.unified_diff(base.splitlines(True), head.splitlines(True), "a/app/m.py", "b/app/m.py", n=0)
    fc = parse_diff("diff --git a/app/m.py b/app/m.py\n" + "".join(lines)).files[0]
    return [(f.rule_id, f.line, f.message) for f in check(fc, ast.parse(base), ast.parse(head))]


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ('"stdout=PIPE is only', '"stdin=PIPE is only', 4, "message changed from `stdout=PIPE"),
    ("LookupError(key) from exc", "LookupError(key)", 12, "no longer chains `exc`"),
    ("LookupError(key) from exc", "KeyError(key) from None", 12, "now raises `KeyError` instead of `LookupError` and"),
    ("LookupError(key) from exc", "KeyError(key) from exc", 12, "code that catches `LookupError` no longer sees it"),
    ("LookupError(key) from exc", "LookupError(key, table) from exc", 12, "built with other arguments"),
    ('raise ValueError(\n            "stdout', 'raise ValueError(\n            "stdout', 0, ""),
])
def test_changed_raise(old: str, new: str, line: int, words: str) -> None:
    head = BASE.replace(old, new)
    got = _run(changed_raises, BASE, head)
    if not line:
        assert got == []
        return
    assert [(r, n) for r, n, _ in got] == [("logic/changed-raise", line)]
    assert words in got[0][2]


def test_from_none_added_and_quiet_edits() -> None:
    base = "def f(x):\n    if x:\n        raise TypeError(x)\n"
    (hit,) = _run(changed_raises, base, base.replace("TypeError(x)", "TypeError(x) from None"))
    assert "hides the exception" in hit[2]
    # re-wrapped or re-quoted: the same raise
    assert _run(changed_raises, BASE, BASE.replace('"stdout=PIPE is only valid with nursery.start"',
                                                  "'stdout=PIPE is only valid with nursery.start'")) == []
    # an added or removed raise is not an edit of one (other rules see removed guards)
    assert _run(changed_raises, base, base.replace("        raise TypeError(x)\n", "        return None\n")) == []
    assert _run(changed_raises, base, base + "    raise ValueError(x)\n") == []


def test_reworded_raises_of_a_file_make_one_finding() -> None:
    base = "def f(x):\n    raise ValueError('bad x')\n\n\ndef g(y):\n    raise ValueError('bad y')\n"
    (hit,) = _run(changed_raises, base, base.replace("'bad", "'wrong"))
    assert hit[1] == 2 and "1 more `raise` in this file changed the same way" in hit[2]
    # a class change stays a finding of its own
    got = _run(changed_raises, base, base.replace("'bad x'", "'wrong x'").replace("ValueError('bad y')", "TypeError('bad y')"))
    assert [n for _, n, _ in got] == [2, 6] and "instead of `ValueError`" in got[1][2]


def test_changed_parameter_kind() -> None:
    base = "class R:\n    def call(self, func, /, *args, **kwargs):\n        return func(*args, **kwargs)\n"
    (hit,) = _run(changed_parameter_kinds, base, base.replace("func, /, *args", "func, *args"))
    assert hit[:2] == ("logic/changed-parameter-kind", 2) and "`func` of `R.call` was positional-only" in hit[2]
    (kw,) = _run(changed_parameter_kinds, "def f(a, b=1):\n    pass\n", "def f(a, *, b=1):\n    pass\n")
    assert "now keyword-only" in kw[2]
    # a renamed or added parameter is not a change of kind; nor is a body edit
    assert _run(changed_parameter_kinds, "def f(a, b=1):\n    pass\n", "def f(a, b=1, c=2):\n    pass\n") == []
    assert _run(changed_parameter_kinds, "def f(a, /):\n    return a\n", "def f(a, /):\n    return -a\n") == []


# --- logic/dropped-condition (subagents/checks/logic/conditions.py) ------------------------------

def test_dropped_condition() -> None:
    from subagents.checks.logic.conditions import dropped_conditions

    base = "def f(a, b, c):\n    if (\n        a\n        and not b\n        and c\n    ):\n        return 1\n"
    (hit,) = _run(dropped_conditions, base, base.replace("        and not b\n", ""))
    assert hit[:2] == ("logic/dropped-condition", 3) and "lost its `and not b` operand" in hit[2]
    (narrowed,) = _run(dropped_conditions, "def f(a, b):\n    if a or b:\n        return 1\n", "def f(a, b):\n    if a:\n        return 1\n")
    assert "`or b`" in narrowed[2]
    # an `and` clause dropped within its line is logic/loosened-condition's; reordering drops nothing
    assert _run(dropped_conditions, "def f(a, b):\n    if a and b:\n        return 1\n", "def f(a, b):\n    if a:\n        return 1\n") == []
    assert _run(dropped_conditions, base, base.replace("        and not b\n        and c\n", "        and c\n        and not b\n")) == []
    # an operand rewritten (not dropped), or a whole condition removed, is not reported
    assert _run(dropped_conditions, base, base.replace("and not b", "and not b2")) == []
    assert _run(dropped_conditions, base, "def f(a, b, c):\n    return 1\n") == []


def test_dropped_condition_whose_kept_operand_is_of_the_other_operator() -> None:
    """``forced or (tty and isatty())`` -> ``tty and isatty()``: the ``or`` operand went, the
    kept one is itself an ``and``, outside an ``if`` (a keyword argument's value)."""
    from subagents.checks.logic.conditions import dropped_conditions

    base = ("R = Renderer(\n    colors=os.environ.get('FORCE') is not None\n    or (\n        tty\n        and out.isatty()\n"
            "    )\n)\n")
    head = "R = Renderer(\n    colors=tty\n    and out.isatty()\n)\n"
    (hit,) = _run(dropped_conditions, base, head)
    assert hit[0] == "logic/dropped-condition" and "lost its `or os.environ.get('FORCE') is not None`" in hit[2]
    # the same operands under the same operator with none missing: nothing dropped
    assert _run(dropped_conditions, base, base.replace("FORCE", "FORCE_COLOR")) == []


# --- logic/unused-variable (subagents/checks/logic/dataflow.py) ----------------------------------

TASK = "class T:\n    def start(self, coro, name):\n        final_name = name or 'x'\n        handle = Handle(coro, final_name)\n        return handle\n"


def test_unused_variable() -> None:
    from subagents.checks.logic.dataflow import unused_variables

    (hit,) = _run(unused_variables, TASK, TASK.replace("Handle(coro, final_name)", "Handle(coro, name)"))
    assert hit[:2] == ("logic/unused-variable", 4) and "`final_name` is still assigned in `T.start` (line 3)" in hit[2]
    # still read, removed together with its use, or read by a nested function: nothing to report
    assert _run(unused_variables, TASK, TASK.replace("Handle(coro, final_name)", "Handle(coro, final_name, 1)")) == []
    gone = TASK.replace("        final_name = name or 'x'\n", "").replace("final_name)", "name)")
    assert _run(unused_variables, TASK, gone) == []
    nested = TASK.replace("        return handle\n", "        return lambda: final_name\n")
    assert _run(unused_variables, nested, nested.replace("Handle(coro, final_name)", "Handle(coro, name)")) == []
    # a variable that was already unused, or a private one, is not this change's doing
    dead = "def f(a):\n    x = a + 1\n    y = a\n    return y\n"
    assert _run(unused_variables, dead, dead.replace("y = a", "y = a * 2")) == []
    private = TASK.replace("final_name", "_final")
    assert _run(unused_variables, private, private.replace("Handle(coro, _final)", "Handle(coro, name)")) == []


def test_cause_dropped_on_the_closing_line_of_a_multi_line_raise() -> None:
    """The gate of ``run`` sees ``) from exc`` on its own line (no ``raise`` on any changed line)."""
    from subagents.checks.logic.contracts import _CAUSE

    base = ("def check():\n    try:\n        return CANCEL[0]\n    except AttributeError as exc:\n        raise RuntimeError(\n"
            '            "not created by Trio"\n        ) from exc\n')
    head = base.replace("except AttributeError as exc:", "except AttributeError:").replace(") from exc", ")")
    assert _CAUSE.match("        ) from exc") and not _CAUSE.match("    )")
    (hit,) = _run(changed_raises, base, head)
    assert hit[0] == "logic/changed-raise" and "no longer chains `exc`" in hit[2]
