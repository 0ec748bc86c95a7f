"""The ``flow`` check: ``logic/reordered-branches``, ``logic/removed-handler`` and
``logic/removed-context-manager``."""

from __future__ import annotations

import ast
import difflib

from bot.core.diff import parse_diff
from subagents.checks.logic.flow import (
    reordered_branches,
)


def _fc(base: str, head: str):
    lines = difflib.unified_diff(base.splitlines(True), head.splitlines(True), "a/app/m.py", "b/app/m.py", n=3)
    return parse_diff("diff --git a/app/m.py b/app/m.py\n" + "".join(lines)).files[0]


def _run(check, base: str, head: str) -> list[tuple[str, int, str]]:
    return [(f.rule_id, f.line, f.message) for f in check(_fc(base, head), ast.parse(base), ast.parse(head))]


CHAIN = '''\
def schema(obj):
    if is_typeddict(obj):
        return typed(obj)
    elif isclass(obj) and issubclass(obj, Enum):
        return enum(obj)
    elif is_namedtuple(obj):
        return named(obj)
    else:
        return other(obj)
'''


def test_reordered_branches() -> None:
    head = CHAIN.replace("    elif isclass(obj) and issubclass(obj, Enum):\n        return enum(obj)\n", "").replace(
        "        return named(obj)\n", "        return named(obj)\n    elif isclass(obj) and issubclass(obj, Enum):\n"
        "        return enum(obj)\n")
    (hit,) = _run(reordered_branches, CHAIN, head)
    assert hit[:2] == ("logic/reordered-branches", 4) and "`is_namedtuple(obj)` is now tested before" in hit[2]
    # a branch body changed, or a branch added: not a reordering
    assert _run(reordered_branches, CHAIN, CHAIN.replace("return named(obj)", "return named(obj, 1)")) == []
    assert _run(reordered_branches, CHAIN, CHAIN.replace("    else:\n", "    elif x:\n        return 0\n    else:\n")) == []


def test_removed_handler_and_context_manager() -> None:
    from subagents.checks.logic.flow import removed_blocks

    base = ("def main_thread(signal, lock):\n    try:\n        signal.signal(2, signal.getsignal(2))\n        return True\n"
            "    except ValueError:\n        return False\n\n\ndef put(self, item):\n    with self._lock:\n"
            "        self._items.append(item)\n    return item\n")
    head = base.replace("    try:\n        signal.signal(2, signal.getsignal(2))\n        return True\n"
                        "    except ValueError:\n        return False\n",
                        "    signal.signal(2, signal.getsignal(2))\n    return True\n")
    (hit,) = _run(removed_blocks, base, head)
    assert hit[:2] == ("logic/removed-handler", 2) and "`except ValueError`" in hit[2]
    head = base.replace("    with self._lock:\n        self._items.append(item)\n", "    self._items.append(item)\n")
    (hit,) = _run(removed_blocks, base, head)
    assert hit[:2] == ("logic/removed-context-manager", 10) and "`with self._lock:`" in hit[2]


def test_removed_block_quiet_cases() -> None:
    from subagents.checks.logic.flow import removed_blocks

    base = "def put(self, item):\n    with self._lock:\n        self._items.append(item)\n    return item\n"
    # the whole block went, the manager changed (another rule's business, or a rename), or it is still managed
    assert _run(removed_blocks, base, "def put(self, item):\n    return item\n") == []
    assert _run(removed_blocks, base, base.replace("with self._lock:", "with self._mutex:")) == []
    assert _run(removed_blocks, base, base.replace("    with self._lock:\n", "    with self._lock, timer():\n")) == []
