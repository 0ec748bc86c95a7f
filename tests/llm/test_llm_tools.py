"""Read-only tools and traced context over a real repository and its real code index."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from bot.codeindex import build_index
from bot.core.context import ReviewContext
from bot.llm.tools import TOOL_NAMES, ToolBox, UnknownToolError, tool_specs, traced_context

BASE = {
    "pkg/__init__.py": "",
    "pkg/calc.py": "RATE = 3\n\n\ndef add(a, b):\n    return a + b\n",
    "pkg/app.py": (
        "from pkg.calc import RATE, add\n\n\ndef main():\n    return add(1, RATE)\n\n\n"
        "if __name__ == '__main__':\n    main()\n"
    ),
}
HEAD = {"pkg/calc.py": "RATE = 3\n\n\ndef add(a, b):\n    return a - b\n"}


@pytest.fixture
def ctx(make_ctx: Callable[..., ReviewContext]) -> ReviewContext:
    c = make_ctx(BASE, HEAD)
    index = build_index(c.head, workers=0)
    c.code_index = lambda: index
    return c


def call(ctx: ReviewContext, tool: str, **args: object) -> str:
    return ToolBox(ctx).call(tool, json.dumps(args))


def test_specs_are_openai_functions_with_strict_arguments() -> None:
    specs = tool_specs()
    assert {s["function"]["name"] for s in specs} == TOOL_NAMES
    read = next(s for s in specs if s["function"]["name"] == "read_file")["function"]["parameters"]
    assert read["additionalProperties"] is False and read["required"] == ["path"]


def test_index_tools_answer_from_the_head_index(ctx: ReviewContext) -> None:
    assert "pkg/calc.py:4-5 function pkg.calc.add" in call(ctx, "show_definition", name="add")
    assert "    5 |     return a - b" in call(ctx, "show_definition", name="add")
    assert "pkg/app.py:5 in pkg.app.main: calls add" in call(ctx, "find_callers", name="add")
    assert "pkg/app.py:5 RATE" in call(ctx, "find_references", name="RATE")
    assert "pkg/calc.py:4 pkg.calc.add -> pkg/app.py:5 pkg.app.main" in call(ctx, "trace_callers", name="add")
    assert "pkg.app.main" in call(ctx, "search_code", query="mai")
    assert call(ctx, "search_code", query="zzz").startswith("search_code result:")


def test_bad_arguments_and_unknown_tools(ctx: ReviewContext) -> None:
    assert call(ctx, "read_file", path="pkg/nope.py").startswith("error: no file 'pkg/nope.py'")
    assert call(ctx, "read_file", path="pkg/app.py", mode="w").startswith("error: invalid arguments")
    assert call(ctx, "read_file", path="/etc/passwd").startswith("error: invalid path")
    with pytest.raises(UnknownToolError):
        ToolBox(ctx).call("run_shell", "{}")


def test_index_unavailable_is_reported_not_raised(make_ctx: Callable[..., ReviewContext]) -> None:
    c = make_ctx(BASE, HEAD)
    assert call(c, "find_callers", name="add") == "error: the code index is not available for this review"


def test_traced_context_names_callers_and_paths(ctx: ReviewContext) -> None:
    change = ctx.diff.file("pkg/calc.py")
    assert change is not None
    lines = traced_context(ctx, change)
    assert lines[0] == "changed: pkg.calc.add (pkg/calc.py:4-5) (a, b)"
    assert "  called from pkg/app.py:5 in pkg.app.main: calls add" in lines
    assert any(line.startswith("  path: pkg/calc.py:4 pkg.calc.add -> pkg/app.py:5 pkg.app.main") for line in lines)
