"""The ``removals`` check: ``logic/removed-definition``, ``logic/removed-parameter``,
``logic/changed-decorator`` and ``logic/unguarded-import``."""

from __future__ import annotations

import ast
import difflib

from bot.core.diff import parse_diff
from subagents.checks.logic.removals import (
    changed_decorators,
    removed_definitions,
    removed_parameters,
    unguarded_imports,
)


def _fc(base: str, head: str, path: str = "app/m.py"):
    lines = difflib.unified_diff(base.splitlines(True), head.splitlines(True), f"a/{path}", f"b/{path}", n=3)
    return parse_diff(f"diff --git a/{path} b/{path}\n" + "".join(lines)).files[0]


def _run(check, base: str, head: str, *extra, path: str = "app/m.py") -> list[tuple[str, int, str]]:
    fc = _fc(base, head, path)
    return [(f.rule_id, f.line, f.message) for f in check(fc, ast.parse(base), ast.parse(head), *extra)]


CLASS = '''\
class Store:
    def __init__(self, items):
        self._items = items

    def __reduce__(self):
        return (self.__class__, (list(self._items),))

    def popone(self, key):
        return self._items.pop(key)

    def _helper(self):
        return 1


def hook(session):
    return session
'''


def test_removed_dunder_public_method_and_function() -> None:
    head = CLASS.replace("    def __reduce__(self):\n        return (self.__class__, (list(self._items),))\n\n", "")
    (hit,) = _run(removed_definitions, CLASS, head, set())
    assert hit[0] == "logic/removed-definition" and "`Store.__reduce__` was removed" in hit[2]
    assert hit[1] == 4  # the head line before the gap, where the re-injected suite looks for a pure deletion
    head = CLASS.replace("def popone(self, key)", "def pop(self, key)")
    (hit,) = _run(removed_definitions, CLASS, head, set())
    assert hit[2].startswith("`Store.popone` was removed")
    # a module-level function: still called is paths/removed-still-called's, dead is a clean removal
    assert _run(removed_definitions, CLASS, CLASS.replace("def hook(session):\n    return session\n", ""), set()) == []


def test_removed_definition_quiet_cases() -> None:
    # a private helper, a method still bound by assignment, a class that went, a def moved elsewhere
    assert _run(removed_definitions, CLASS, CLASS.replace("def _helper(self):\n        return 1\n", ""), set()) == []
    head = CLASS.replace("def popone(self, key)", "def pop(self, key)") + "\nStore.popone = Store.pop\n"
    assert _run(removed_definitions, CLASS,
                CLASS.replace("def popone(self, key):\n        return self._items.pop(key)\n",
                              "popone = dict.pop\n"), set()) == []
    assert _run(removed_definitions, CLASS, "def hook(session):\n    return session\n", set()) == []
    assert _run(removed_definitions, CLASS, CLASS.replace("def hook(session):\n    return session\n", ""), {"hook"}) == []
    assert head  # the assignment form at module level binds a name on the class, which the head check does not see


def test_removed_parameter() -> None:
    base = "def _nop(self, event, *args, **kw):\n    return None\n\n\ndef render(event, colors=False):\n    return event\n"
    (hit,) = _run(removed_parameters, base, base.replace("event, *args, **kw", "event, **kw"))
    assert hit[:2] == ("logic/removed-parameter", 1) and "`*args`" in hit[2]
    (hit,) = _run(removed_parameters, base, base.replace("def render(event, colors=False)", "def render(event)"))
    assert "`colors`" in hit[2] and hit[1] == 5
    # a private function's named parameter, a kind change and a new parameter are not removals
    assert _run(removed_parameters, base, base.replace("_nop(self, event,", "_nop(self,")) == []
    assert _run(removed_parameters, base, base.replace("colors=False", "*, colors=False")) == []
    assert _run(removed_parameters, base, base.replace("colors=False", "colors=False, width=80")) == []


def test_removed_parameter_on_its_own_line_with_kwargs() -> None:
    base = ("class Formatter:\n    def __init__(\n        self,\n        fmt=None,\n        use_get_message=True,\n"
            "        *args,\n        **kwargs,\n    ):\n        self.fmt = fmt\n")
    (hit,) = _run(removed_parameters, base, base.replace("        use_get_message=True,\n", ""))
    assert "`use_get_message`" in hit[2] and "nobody reads" in hit[2]
    assert hit[1] in (4, 5)


def test_changed_decorator() -> None:
    base = ("import reprlib\n\n\nclass View:\n    @reprlib.recursive_repr()\n    def __repr__(self):\n        return 'v'\n\n"
            "    @overload\n    def get(self): ...\n\n\n@attrs.frozen(eq=False)\nclass Holder:\n    name: str\n")
    (hit,) = _run(changed_decorators, base, base.replace("    @reprlib.recursive_repr()\n", ""))
    assert hit[0] == "logic/changed-decorator" and "`@reprlib.recursive_repr()` was removed" in hit[2]
    (hit,) = _run(changed_decorators, base, base.replace("@attrs.frozen(eq=False)", "@attrs.frozen(eq=False, hash=False)"))
    assert hit[1] == 13 and "became `@attrs.frozen(eq=False, hash=False)`" in hit[2]
    # typing-only decorators and an unchanged decorator on a changed body stay quiet
    assert _run(changed_decorators, base, base.replace("    @overload\n", "")) == []
    assert _run(changed_decorators, base, base.replace("return 'v'", "return 'w'")) == []


GUARDED = '''\
from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from OpenSSL import SSL
    from collections.abc import Callable
    from .core import Runner

try:
    import ujson as json
except ImportError:
    import json
'''


def test_unguarded_import() -> None:
    head = GUARDED.replace("import attrs\n", "import attrs\nfrom OpenSSL import SSL\n")
    (hit,) = _run(unguarded_imports, GUARDED, head)
    assert hit[:2] == ("logic/unguarded-import", 6) and "`OpenSSL`" in hit[2]
    head = GUARDED.replace("import attrs\n", "import attrs\nimport ujson\n")
    assert _run(unguarded_imports, GUARDED, head)[0][1] == 6


def test_unguarded_import_quiet_cases() -> None:
    # standard library, the project's own relative import, an import already unguarded, a new dependency
    for line in ("from collections.abc import Callable\n", "from .core import Runner\n", "import attrs.validators\n",
                 "import requests\n"):
        assert _run(unguarded_imports, GUARDED, GUARDED.replace("import attrs\n", "import attrs\n" + line)) == [], line
    # the same package guarded in the head too
    head = GUARDED.replace("if TYPE_CHECKING:\n", "if TYPE_CHECKING:\n    from OpenSSL import crypto\n")
    assert _run(unguarded_imports, GUARDED, head) == []


def test_removed_finally() -> None:
    from subagents.checks.logic.removals import removed_finallys

    base = ("def run(task, ctx, fn):\n    old = task.context\n    try:\n        result = fn()\n    finally:\n"
            "        task.context = old\n    return result\n")
    head = "def run(task, ctx, fn):\n    old = task.context\n    result = fn()\n    task.context = old\n    return result\n"
    (hit,) = _run(removed_finallys, base, head)
    assert hit[:2] == ("logic/removed-finally", 4) and "`task.context = old`" in hit[2]
    # the cleanup dropped altogether, or still in a finally after a rewrite: not this rule
    assert _run(removed_finallys, base, head.replace("    task.context = old\n", "")) == []
    rewritten = base.replace("        result = fn()\n", "        result = fn()\n        result += 1\n")
    assert _run(removed_finallys, base, rewritten) == []


def test_collapsed_conditional() -> None:
    from subagents.checks.logic.removals import collapsed_conditionals

    base = ('"""Doc."""\nif __doc__ is None:\n    DESCRIPTION = ""\nelse:\n    DESCRIPTION = __doc__.strip()\n\n\n'
            "def f():\n    if x:\n        return 1\n    return 2\n")
    head = '"""Doc."""\nDESCRIPTION = __doc__.strip()\n\n\ndef f():\n    if x:\n        return 1\n    return 2\n'
    (hit,) = _run(collapsed_conditionals, base, head)
    assert hit[:2] == ("logic/collapsed-conditional", 2) and "`else` branch" in hit[2]
    # the test still made elsewhere in the scope, or a function body's if: quiet
    kept = head.replace('DESCRIPTION = __doc__.strip()\n', 'DESCRIPTION = "" if __doc__ is None else __doc__.strip()\n')
    assert _run(collapsed_conditionals, base, kept) == []
    assert _run(collapsed_conditionals, head, head.replace("    if x:\n        return 1\n", "")) == []


def test_removed_definitions_of_internals_and_many_at_once() -> None:
    # the methods of a private class are internals
    private = CLASS.replace("class Store:", "class _Store:")
    assert _run(removed_definitions, private, private.replace("def popone(self, key)", "def pop(self, key)"), set()) == []
    # a dunder method of a public class in a private module still counts; several at once give one finding
    head = CLASS.replace("    def __reduce__(self):\n        return (self.__class__, (list(self._items),))\n\n", "")
    head = head.replace("def popone(self, key)", "def pop(self, key)")
    (hit,) = _run(removed_definitions, CLASS, head, set(), path="app/_impl.py")
    assert "`Store.__reduce__` (and 1 more of its definitions) was removed" in hit[2]


def test_removed_parameter_once_per_name_and_decorator_strings() -> None:
    base = "def get(url, allow_redirects=True):\n    return url\n\n\ndef post(url, allow_redirects=True):\n    return url\n"
    (hit,) = _run(removed_parameters, base, base.replace(", allow_redirects=True", ""))
    assert hit[1] == 1 and "`allow_redirects`" in hit[2]
    base = "@deprecated('use b')\ndef a():\n    pass\n\n\n@register('x', priority=1)\ndef b():\n    pass\n"
    assert _run(changed_decorators, base, base.replace("'use b'", "'use c'").replace("'x'", "'y'")) == []
    (hit,) = _run(changed_decorators, base, base.replace("priority=1", "priority=2"))
    assert hit[1] == 6


def test_changed_decorator_of_a_nested_wrapper() -> None:
    base = ("import functools\n\n\nclass Retrying:\n    def wraps(self, fn):\n        @functools.wraps(fn)\n"
            "        async def wrapped(*args):\n            return await fn(*args)\n\n        return wrapped\n")
    (hit,) = _run(changed_decorators, base, base.replace("        @functools.wraps(fn)\n", ""))
    assert hit[0] == "logic/changed-decorator" and "`Retrying.wraps.wrapped`" in hit[2] and "was removed" in hit[2]
    (hit,) = _run(changed_decorators, base, base.replace("@functools.wraps(fn)", "@six.wraps(fn)"))
    assert "`@functools.wraps(fn)` became `@six.wraps(fn)`" in hit[2]
    assert _run(changed_decorators, base, base.replace("return await fn(*args)", "return await fn(*args, 1)")) == []
