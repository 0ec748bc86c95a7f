"""The ``swaps`` check: ``logic/look-alike-name``, ``logic/dropped-copy``,
``logic/dropped-method-call`` and ``logic/narrowed-except``."""

from __future__ import annotations

import ast
import difflib

from bot.core.diff import parse_diff
from subagents._hunks import file_blocks
from subagents.checks.logic.swaps import (
    dropped_calls,
    look_alike_names,
    narrowed_excepts,
)


def _fc(base: str, head: str, path: str = "app/m.py"):
    lines = difflib.unified_diff(base.splitlines(True), head.splitlines(True), f"a/{path}", f"b/{path}", n=3)
    return parse_diff(f"diff --git a/{path} b/{path}\n" + "".join(lines)).files[0]


def _blocks(fc):
    return [b for b in file_blocks(fc) if b.removed and b.added]


def _look_alike(base: str, head: str) -> list[tuple[str, int, str]]:
    fc = _fc(base, head)
    return [(f.rule_id, f.line, f.message) for f in look_alike_names(fc, _blocks(fc), head, base)]


def _dropped(base: str, head: str) -> list[tuple[str, int, str]]:
    fc = _fc(base, head)
    return [(f.rule_id, f.line, f.message) for f in dropped_calls(fc, _blocks(fc))]


TASKS = '''\
def start(coro, name, extra_groups, group):
    final_name = name or coro.__name__
    handle = Handle(coro, final_name)
    kwargs = {}
    kwargs["extra_groups"] = extra_groups
    return handle, final_name, kwargs
'''


def test_look_alike_name() -> None:
    (hit,) = _look_alike(TASKS, TASKS.replace("Handle(coro, final_name)", "Handle(coro, name)"))
    assert hit[:2] == ("logic/look-alike-name", 3) and "`final_name` became the look-alike `name`" in hit[2]
    (hit,) = _look_alike(TASKS, TASKS.replace('= extra_groups\n', '= group\n'))
    assert hit[1] == 5


def test_look_alike_name_quiet_cases() -> None:
    # a rename everywhere, a new name, an assignment target, unrelated names
    renamed = TASKS.replace("final_name", "task_name")
    assert _look_alike(TASKS, renamed) == []
    assert _look_alike(TASKS, TASKS.replace("Handle(coro, final_name)", "Handle(coro, final_name_x)")) == []
    assert _look_alike(TASKS, TASKS.replace("    final_name = name", "    final_names = name")) == []
    assert _look_alike(TASKS, TASKS.replace("Handle(coro, final_name)", "Handle(coro, group)")) == []


def test_dropped_copy_and_method_call() -> None:
    base = ("def load(reg, styles, now, fmt):\n    for d in list(reg.dists()):\n        pass\n    t = (\n        styles\n"
            "    ).copy()\n    s = now().astimezone().strftime(fmt)\n    u = reg.items[:]\n    return t, s, u\n")
    got = _dropped(base, base.replace("list(reg.dists())", "reg.dists()"))
    assert [(r, n) for r, n, _ in got] == [("logic/dropped-copy", 2)]
    got = _dropped(base, base.replace("    ).copy()\n", "    )\n"))
    assert [(r, n) for r, n, _ in got] == [("logic/dropped-copy", 6)]
    got = _dropped(base, base.replace(".astimezone()", ""))
    assert [(r, n) for r, n, _ in got] == [("logic/dropped-method-call", 7)] and "`.astimezone()`" in got[0][2]
    got = _dropped(base, base.replace("reg.items[:]", "reg.items"))
    assert [(r, n) for r, n, _ in got] == [("logic/dropped-copy", 8)]


def test_dropped_call_quiet_cases() -> None:
    base = "def f(x, y):\n    a = sorted(x.keys())\n    b = x.get(y).strip()\n    return a, b\n"
    assert _dropped(base, base.replace("x.get(y).strip()", "x.get(y).lower()")) == []  # replaced, not dropped
    assert _dropped(base, base.replace("sorted(x.keys())", "sorted(x)")) == []  # unwrapped-value's domain
    assert _dropped(base, base.replace("x.get(y).strip()", "x.get(y).strip().lower()")) == []  # added


def _excepts(base: str, head: str) -> list[tuple[str, int, str]]:
    fc = _fc(base, head)
    return [(f.rule_id, f.line, f.message) for f in narrowed_excepts(fc, ast.parse(base), ast.parse(head))]


def test_narrowed_except() -> None:
    base = ("def f(sig):\n    try:\n        sig()\n    except (TypeError, ValueError):\n        return False\n"
            "    except KeyError as exc:\n        raise LookupError from exc\n")
    (hit,) = _excepts(base, base.replace("(TypeError, ValueError)", "ValueError"))
    assert hit[:2] == ("logic/narrowed-except", 4) and "`TypeError`" in hit[2]
    (hit,) = _excepts(base, base.replace("except KeyError as exc", "except IndexError as exc"))
    assert hit[1] == 6
    # broadened, re-ordered, or renamed binding: quiet
    assert _excepts(base, base.replace("(TypeError, ValueError)", "(TypeError, ValueError, OSError)")) == []
    assert _excepts(base, base.replace("(TypeError, ValueError)", "(ValueError, TypeError)")) == []
    assert _excepts(base, base.replace("except KeyError as exc", "except KeyError as err").replace("from exc", "from err")) == []
    assert _excepts(base, base.replace("(TypeError, ValueError)", "Exception")) == []


def test_look_alike_classes_and_modules_are_not_slips() -> None:
    base = ("import typing\nimport typing_extensions\nfrom pathlib import Path, PurePath\n\n\n"
            "def f(p: Path) -> typing.Any:\n    return typing.cast(int, p)\n\n\ndef g():\n    return PurePath('.')\n")
    assert _look_alike(base, base.replace("def f(p: Path)", "def f(p: PurePath)")) == []
    assert _look_alike(base, base.replace("return typing.cast", "return typing_extensions.cast")) == []


def _swaps(base: str, head: str, path: str = "app/m.py") -> list[tuple[str, int, str]]:
    from subagents.checks.logic.swaps import dropped_awaits, token_swaps

    fc = _fc(base, head, path)
    return [(f.rule_id, f.line, f.message) for f in [*token_swaps(fc, _blocks(fc)), *dropped_awaits(fc, _blocks(fc))]]


SWAP = '''\
async def f(a, b, items):
    out = combine(a, b, strict=True)
    async with lock:
        await flush(out)
    x, y = a, b
    if a < b:
        return True
    return out
'''


def test_swapped_arguments_flipped_boolean_and_dropped_await() -> None:
    (hit,) = _swaps(SWAP, SWAP.replace("combine(a, b,", "combine(b, a,"))
    assert hit[:2] == ("logic/swapped-arguments", 2)
    (hit,) = _swaps(SWAP, SWAP.replace("strict=True", "strict=False"))
    assert hit[:2] == ("logic/flipped-boolean", 2) and "`True` became `False`" in hit[2]
    (hit,) = _swaps(SWAP, SWAP.replace("        await flush(out)", "        flush(out)"))
    assert hit[:2] == ("logic/dropped-await", 4)
    (hit,) = _swaps(SWAP, SWAP.replace("async with lock", "with lock"))
    assert hit[:2] == ("logic/dropped-await", 3) and "`async`" in hit[2]


def test_token_swap_quiet_cases() -> None:
    # a tuple swap, a comparison turned round, a return value (changed-return's), an added await
    assert _swaps(SWAP, SWAP.replace("x, y = a, b", "x, y = b, a")) == []
    assert _swaps(SWAP, SWAP.replace("if a < b", "if b < a")) == []
    assert _swaps(SWAP, SWAP.replace("        return True", "        return False")) == []
    assert _swaps(SWAP, SWAP.replace("    out = combine", "    out = await combine")) == []
    doc = 'def f():\n    """Defaults to True.\n\n    More.\n    """\n'
    assert _swaps(doc, doc.replace("to True", "to False")) == []


def test_changed_operator() -> None:
    base = "def f(a, b, n, flags):\n    total = a + b\n    share = n * 2\n    mask = flags & READ\n    x = -a\n    return total\n"
    (hit,) = _swaps(base, base.replace("a + b", "a - b"))
    assert hit[:2] == ("logic/changed-operator", 2) and "`+` became `-`" in hit[2]
    assert _swaps(base, base.replace("n * 2", "n / 2"))[0][:2] == ("logic/changed-operator", 3)
    assert _swaps(base, base.replace("flags & READ", "flags | READ"))[0][:2] == ("logic/changed-operator", 4)
    aug = base.replace("    total = a + b\n", "    total += b\n")
    assert _swaps(aug, aug.replace("total += b", "total -= b"))[0][:2] == ("logic/changed-operator", 2)
    # a unary sign and a power are not binary swaps
    assert _swaps(base, base.replace("x = -a", "x = +a")) == []
    assert _swaps(base, base.replace("n * 2", "n ** 2")) == []


def _regex(base: str, head: str) -> list[tuple[str, int, str]]:
    from subagents.checks.logic.swaps import dropped_flags, loosened_regexes

    fc = _fc(base, head)
    return [(f.rule_id, f.line, f.message) for f in [*loosened_regexes(fc, _blocks(fc)), *dropped_flags(fc, _blocks(fc))]]


REGEX = '''\
def clean(text, path):
    text = re.sub(r"(?m)^<!--.*-->\\n", "", text)
    m = re.match(r"^v(\\d+)$", text, re.IGNORECASE)
    ok = re.search(r"[^a-z]\\bword\\b", text)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    return text, m, ok, fd
'''


def test_loosened_regex_and_dropped_flag() -> None:
    (hit,) = _regex(REGEX, REGEX.replace('r"(?m)^<!--', 'r"^<!--'))
    assert hit[:2] == ("logic/loosened-regex", 2) and "`(?m)`" in hit[2]
    assert _regex(REGEX, REGEX.replace('(\\d+)$"', '(\\d+)"'))[0][2].startswith("The regular expression lost `$`")
    assert "`re.IGNORECASE`" in _regex(REGEX, REGEX.replace(", re.IGNORECASE)", ")"))[0][2]
    assert "`\\b`" in _regex(REGEX, REGEX.replace("\\bword", "word"))[0][2]
    (hit,) = _regex(REGEX, REGEX.replace(" | os.O_TRUNC", ""))
    assert hit[:2] == ("logic/dropped-flag", 5) and "`os.O_TRUNC`" in hit[2]


def test_regex_and_flag_quiet_cases() -> None:
    # a negated class's ^ is no anchor; a pattern rewritten, tightened or extended; a flag swapped
    assert _regex(REGEX, REGEX.replace("[^a-z]", "[a-z]")) == []
    assert _regex(REGEX, REGEX.replace('r"^v(', 'r"^V(')) == []
    assert _regex(REGEX, REGEX.replace('r"^<!--', 'r"(?m)^<!--')) == []
    assert _regex(REGEX, REGEX.replace("os.O_TRUNC", "os.O_APPEND")) == []
    assert _regex("x = a | b\n", "x = a\n") == []  # lower-case operands are not named flags


def test_loosened_regex_anchor_and_scoped_flag_group() -> None:
    base = 'END = re.compile(r"\\Z")\nNAME = re.compile(r"^[\\w.]+\\Z", re.UNICODE)\n'
    (hit,) = _regex(base, base.replace('r"\\Z")', 'r"$")'))
    assert hit[:2] == ("logic/loosened-regex", 1) and "`\\Z` became `$`" in hit[2]
    verbose = 'PATTERN = r"""\n    v(?:\n        (?a:[-_.]?dev)    # dev release\n    )?\n"""\n'
    (hit,) = _regex(verbose, verbose.replace("(?a:[-_.]?dev)    #", "(?:[-_.]?dev)     #"))
    assert hit[:2] == ("logic/loosened-regex", 3) and "`(?a:`" in hit[2]
    # tightened ($ -> \\Z), or a group that only changes its content, stays quiet
    assert _regex(base.replace('r"\\Z")', 'r"$")'), base) == []
    assert _regex(verbose, verbose.replace("(?a:[-_.]?dev)", "(?a:[-_]?dev)")) == []


def test_narrowed_except_a_removed_clause() -> None:
    base = ("def beat(marker):\n    try:\n        touch(marker)\n    except FileNotFoundError:\n        return False\n"
            "    except OSError:\n        pass\n    return True\n")
    head = base.replace("    except OSError:\n        pass\n", "")
    (hit,) = _excepts(base, head)
    assert hit[0] == "logic/narrowed-except" and "`except OSError` clause" in hit[2] and "`OSError`" in hit[2]
    # a clause whose classes a remaining clause still catches, or the whole try taken apart: quiet here
    wide = base.replace("FileNotFoundError", "Exception")
    assert _excepts(wide, wide.replace("    except OSError:\n        pass\n", "")) == []
    assert _excepts(base, "def beat(marker):\n    touch(marker)\n    return True\n") == []
