"""The ``rewrites`` check: ``logic/dropped-none-check``, ``logic/changed-case`` and
``logic/changed-base-class``."""

from __future__ import annotations

import difflib

from bot.core.diff import parse_diff
from subagents._hunks import file_blocks
from subagents.checks.logic.rewrites import changed_base_classes, changed_cases, dropped_none_checks


def _fc(base: str, head: str, path: str = "app/m.py"):
    lines = difflib.unified_diff(base.splitlines(True), head.splitlines(True), f"a/{path}", f"b/{path}", n=3)
    return parse_diff(f"diff --git a/{path} b/{path}\n" + "".join(lines)).files[0]


def _run(check, base: str, head: str) -> list[tuple[str, int, str]]:
    path = "app/m.py"
    lines = difflib.unified_diff(base.splitlines(True), head.splitlines(True), f"a/{path}", f"b/{path}", n=3)
    fc = parse_diff(f"diff --git a/{path} b/{path}\n" + "".join(lines)).files[0]
    blocks = [b for b in file_blocks(fc) if b.removed and b.added]
    return [(f.rule_id, f.line, f.message) for f in check(fc, blocks)]


TAGS = '''\
def select(tags, default, secs, fmt, name):
    chosen = list(tags if tags is not None else default())
    shown = fmt % secs if secs is not None else "?"
    label = name
    return chosen, shown, label
'''


def test_dropped_none_check() -> None:
    (hit,) = _run(dropped_none_checks, TAGS, TAGS.replace("tags if tags is not None else default()", "tags or default()"))
    assert hit[:2] == ("logic/dropped-none-check", 2) and "truthiness" in hit[2] and "`tags`" in hit[2]
    (hit,) = _run(dropped_none_checks, TAGS, TAGS.replace(' if secs is not None else "?"', ""))
    assert hit[1] == 3 and "`None` now reaches" in hit[2]
    multi = TAGS.replace("list(tags if tags is not None else default())", "list(\n        default() if tags is None else tags\n    )")
    (hit,) = _run(dropped_none_checks, multi, TAGS.replace("tags if tags is not None else default()", "tags or default()"))
    assert hit[1] == 2 and "`is None`" in hit[2]


def test_dropped_none_check_quiet_cases() -> None:
    # the None test kept (other default), moved to an if statement, a statement-level guard, a deletion
    assert _run(dropped_none_checks, TAGS, TAGS.replace('else "?"', 'else "-"')) == []
    assert _run(dropped_none_checks, TAGS, TAGS.replace(
        '    shown = fmt % secs if secs is not None else "?"\n',
        '    shown = "?"\n    if secs is not None:\n        shown = fmt % secs\n')) == []
    guard = "def f(x):\n    if x is None:\n        return 0\n    return x\n"
    assert _run(dropped_none_checks, guard, "def f(x):\n    return x\n") == []
    assert _run(dropped_none_checks, TAGS, TAGS.replace('    shown = fmt % secs if secs is not None else "?"\n', "")) == []


CASE = '''\
def kwargs(event, charset):
    out = {kw: event.pop(kw) for kw in ("exc_info", "stacklevel") if kw in event}
    if charset.lower() != "utf-8":
        raise ValueError(charset)
    return out, "Done"
'''


def test_changed_case() -> None:
    (hit,) = _run(changed_cases, CASE, CASE.replace('"stacklevel"', '"stackLevel"'))
    assert hit[:2] == ("logic/changed-case", 2) and '`"stacklevel"` became `"stackLevel"`' in hit[2]
    (hit,) = _run(changed_cases, CASE, CASE.replace('charset.lower() != "utf-8"', 'charset != "UTF-8"'))
    assert hit[1] == 3 and "`.lower()`" in hit[2]


def test_changed_case_quiet_cases() -> None:
    # another word, prose, a case change with the normalisation kept, the call alone dropped
    assert _run(changed_cases, CASE, CASE.replace('"stacklevel"', '"stack_level"')) == []
    assert _run(changed_cases, "x = 'Not found here'\n", "x = 'not found here'\n") == []
    assert _run(changed_cases, CASE, CASE.replace('charset.lower() != "utf-8"', 'charset.casefold() != "UTF-8"')) == []
    assert _run(changed_cases, CASE, CASE.replace('charset.lower() != "utf-8"', 'charset != "utf-8"')) == []


def test_changed_base_class() -> None:
    base = "class Undefined(KeyError):\n    pass\n\n\nclass Store(object):\n    pass\n\n\nclass Box(Generic[T], Base):\n    pass\n"
    (hit,) = _run(changed_base_classes, base, base.replace("(KeyError)", "(ValueError)"))
    assert hit[:2] == ("logic/changed-base-class", 1) and "`KeyError`" in hit[2] and "`ValueError`" in hit[2]
    # object, Generic and added bases do not count; a renamed class is no edit in place
    assert _run(changed_base_classes, base, base.replace("Store(object)", "Store")) == []
    assert _run(changed_base_classes, base, base.replace("Box(Generic[T], Base)", "Box(Base)")) == []
    assert _run(changed_base_classes, base, base.replace("(KeyError)", "(KeyError, LookupError)")) == []
    assert _run(changed_base_classes, base, base.replace("Undefined(KeyError)", "Missing(ValueError)")) == []
    assert _run(changed_base_classes, base, base.replace("Box(Generic[T], Base)", "Box(Generic[T], pkg.Base)")) == []
    # a reworked hierarchy: one finding per file
    two = base.replace("(KeyError)", "(ValueError)").replace("Box(Generic[T], Base)", "Box(Other)")
    assert len(_run(changed_base_classes, base, two)) == 1


def test_identity_comparison() -> None:
    from subagents.checks.logic.rewrites import identity_comparisons

    base = "def check(value, mode):\n    if not math.isinf(value):\n        return 1\n    return mode is None\n"
    fc = _fc(base, base.replace("not math.isinf(value)", "value is not math.inf"))
    (hit,) = identity_comparisons(fc)
    assert hit.rule_id == "logic/identity-comparison" and hit.line == 2
    assert [f.line for f in identity_comparisons(_fc(base, base.replace("return 1", "return mode is float('nan')")))] == [3]
    # a literal on the right is the anti-pattern catalog's QPY008
    assert identity_comparisons(_fc(base, base.replace("return 1", "return mode is 'x'"))) == []
    # singletons and sentinels, an is-comparison already there, prose in a comment: quiet
    assert identity_comparisons(_fc(base, base.replace("mode is None", "mode is not None"))) == []
    assert identity_comparisons(_fc(base, base.replace("return 1", "return mode is _MISSING"))) == []
    same = base.replace("return mode is None", "return value is math.inf")
    assert identity_comparisons(_fc(same, same.replace("return value is math.inf", "return value is math.inf or mode"))) == []
    assert identity_comparisons(_fc(base, base.replace("return 1", "return 1  # value is math.inf here"))) == []
