"""paths/removed-symbol-still-called: regression tests for the false findings of round 2's held-out
set (evals/findings, now development), each with a control that must still fire.

- gorilla/mux 8771f97 renamed ``context_native.go`` to ``context.go`` in the same directory: a Go
  package is its directory, so the package's callers still compile.
- marshmallow 70d95e1 removed ``class UTC(tzinfo)``: ``dt.utcoffset()`` and pytz's ``tz.localize()``
  elsewhere were matched to its methods by name alone, but a method of a class extending a library
  class shares its name with every other object of that interface.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.codeindex import build_index
from bot.core.context import ReviewContext
from subagents.execution_paths import ExecutionPathsAgent

RULE = "paths/removed-symbol-still-called"

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def removed(make_context: Callable[..., ReviewContext]) -> Callable:
    def run(base: dict, head: dict) -> list:
        ctx = make_context(base, head, title="change")
        index = build_index(ctx.head, workers=1)
        ctx.code_index = lambda: index
        return [f for f in ExecutionPathsAgent().review(ctx).findings if f.rule_id == RULE]

    return run


NATIVE = "package mux\n\nimport \"context\"\n\nfunc contextGet(r int, key interface{}) interface{} {\n\treturn key\n}\n"
ROUTER = "package mux\n\nfunc route(r int) interface{} {\n\treturn contextGet(r, 1)\n}\n"


def test_go_file_renamed_within_its_directory_is_not_reported(removed) -> None:  # noqa: ANN001
    base = {"context_native.go": NATIVE, "mux.go": ROUTER}
    assert removed(base, {"context_native.go": None, "context.go": NATIVE + "\n// merged\n"}) == []


def test_go_file_moved_to_another_directory_is_still_reported(removed) -> None:  # noqa: ANN001
    base = {"context_native.go": NATIVE, "mux.go": ROUTER}
    found = removed(base, {"context_native.go": None, "internal/ctx/context.go": NATIVE + "\n// merged\n"})
    assert found and "contextGet" in found[0].message and "moved to" in found[0].message


UTIL = (
    "from datetime import timedelta, tzinfo\n\n\nclass UTC(tzinfo):\n"
    "    def utcoffset(self, dt):\n        return timedelta(0)\n\n"
    "    def localize(self, dt):\n        return dt.replace(tzinfo=self)\n\n\n"
    "def keep():\n    return 1\n"
)
CALLER = "def offset(value, tz):\n    return value.utcoffset(), tz.localize(value)\n"


def test_method_of_a_class_extending_a_library_class_matched_by_name_is_not_reported(removed) -> None:  # noqa: ANN001
    base = {"pkg/__init__.py": "", "pkg/utils.py": UTIL, "pkg/fields.py": CALLER}
    head = {"pkg/utils.py": "def keep():\n    return 1\n"}
    assert removed(base, head) == []


def test_same_methods_of_a_class_extending_a_local_class_are_still_reported(removed) -> None:  # noqa: ANN001
    local = "class Zone:\n    def base(self):\n        return 0\n\n\n" + UTIL.replace("(tzinfo)", "(Zone)")
    base = {"pkg/__init__.py": "", "pkg/utils.py": local, "pkg/fields.py": CALLER}
    head = {"pkg/utils.py": "class Zone:\n    def base(self):\n        return 0\n\n\ndef keep():\n    return 1\n"}
    found = removed(base, head)
    assert {f.message.split("`")[1] for f in found} >= {"pkg.utils.UTC.utcoffset", "pkg.utils.UTC.localize"}
