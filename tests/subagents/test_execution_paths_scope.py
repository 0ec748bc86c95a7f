"""paths/removed-symbol-still-called resolves what a remaining call names before reporting it.

Regression tests for two false findings of the findings corpus (evals/findings): echo #2419
renamed a Go type and kept its methods (``n.methods.isHandler()`` was matched to the removed
``methodHandler.isHandler`` by name), and jinja #1807 moved a pytest fixture to conftest.py (the
tests call the fixture value they receive as a parameter). Each has a control that must still fire.
"""

from __future__ import annotations

from bot.codeindex import build_index
from bot.testing.fake_tree import memory_context
from subagents.execution_paths import ExecutionPathsAgent

RULE = "paths/removed-symbol-still-called"


def removed(base: dict, head: dict) -> list:
    ctx = memory_context(base, head)
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    return [f for f in ExecutionPathsAgent().analyze(ctx).findings if f.rule_id == RULE]


GO_BASE = {
    "router.go": (
        "package echo\n\ntype methodHandler struct{ n int }\n\n"
        "func (m *methodHandler) isHandler() bool {\n\treturn m.n > 0\n}\n"
    ),
    "node.go": (
        "package echo\n\ntype node struct{ methods *methodHandler }\n\n"
        "func (x *node) ready() bool {\n\treturn x.methods.isHandler()\n}\n"
    ),
}


def test_method_of_a_renamed_type_is_not_removed() -> None:
    head = {"router.go": GO_BASE["router.go"].replace("methodHandler", "routeMethods"),
            "node.go": GO_BASE["node.go"].replace("methodHandler", "routeMethods")}
    assert removed(GO_BASE, head) == []


def test_method_removed_everywhere_is_still_reported() -> None:
    head = {"router.go": "package echo\n\ntype methodHandler struct{ n int }\n"}
    [f] = removed(GO_BASE, head)
    assert "isHandler" in f.message and "matched by method name only" in f.message


CONFTEST = "import pytest\n\n\n@pytest.fixture\ndef run_async_fn():\n    return lambda fn: fn()\n"
TESTS = (
    "import pytest\n\n\n@pytest.fixture\ndef run_async_fn():\n    return lambda fn: fn()\n\n\n"
    "def test_one(run_async_fn):\n    assert run_async_fn(lambda: 1) == 1\n"
)


def test_fixture_moved_to_conftest_is_not_removed() -> None:
    base = {"tests/__init__.py": "", "tests/conftest.py": "", "tests/test_async.py": TESTS}
    head = {"tests/conftest.py": CONFTEST,
            "tests/test_async.py": "def test_one(run_async_fn):\n    assert run_async_fn(lambda: 1) == 1\n"}
    assert removed(base, head) == []


def test_removed_helper_called_by_its_module_name_is_still_reported() -> None:
    base = {"pkg/__init__.py": "", "pkg/util.py": "def helper(x):\n    return x\n\n\ndef use(y):\n    return helper(y)\n"}
    head = {"pkg/util.py": "def use(y):\n    return helper(y)\n"}
    [f] = removed(base, head)
    assert "helper" in f.message


def test_parameter_of_an_enclosing_function_shadows_the_removed_name() -> None:
    base = {"pkg/__init__.py": "",
            "pkg/util.py": "def helper(x):\n    return x\n\n\ndef use(helper, y):\n    def inner():\n        return helper(y)\n    return inner()\n"}
    head = {"pkg/util.py": "def use(helper, y):\n    def inner():\n        return helper(y)\n    return inner()\n"}
    assert removed(base, head) == []
