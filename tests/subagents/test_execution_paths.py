"""The execution_paths sub-agent on real git repositories with a real head code index."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.codeindex import build_index
from bot.core.context import ReviewContext
from bot.core.models import Severity, Status
from subagents.execution_paths import ExecutionPathsAgent

Files = dict[str, "str | bytes | None"]

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture
def review(make_context: Callable[..., ReviewContext]) -> Callable:
    """``review(base, head, deadline=None) -> Verdict`` with the head index built by the test."""

    def run(base: Files, head: Files, *, deadline: float | None = None):  # noqa: ANN202
        ctx = make_context(base, head, title="change", deadline=deadline)
        index = build_index(ctx.head)
        ctx.code_index = lambda: index
        return ExecutionPathsAgent().review(ctx)

    return run


def by_rule(verdict, rule: str) -> list:  # noqa: ANN001
    return [f for f in verdict.findings if f.rule_id == rule]


CORE = (
    "TIMEOUT = 30\n"
    "GREETING = 'Welcome!'\n"
    "\n"
    "def compute(a, b, scale=1):\n"
    "    return (a + b) * scale\n"
    "\n"
    "def helper(x):\n"
    "    return compute(x, 1)\n"
)
BASE: Files = {
    "app/__init__.py": "",
    "app/core.py": CORE,
    "app/report.py": (
        "from app.core import compute\n"
        "\n"
        "def summary(rows):\n"
        "    return compute(rows, 0, scale=2)\n"
    ),
    "app/cli.py": (
        "from app.report import summary\n"
        "\n"
        "def main():\n"
        "    print(summary(3))\n"
    ),
    "docs/guide.md": "# Guide\n",
}
REMOVED_B = CORE.replace("def compute(a, b, scale=1):\n    return (a + b) * scale", "def compute(a, scale=1):\n    return a * scale").replace(
    "compute(x, 1)", "compute(x)"
)


def test_removed_parameter_with_stale_caller_in_another_file(review) -> None:  # noqa: ANN001
    verdict = review(BASE, {"app/core.py": REMOVED_B})
    stale = by_rule(verdict, "paths/stale-call-site")
    assert len(stale) == 1
    f = stale[0]
    assert f.severity is Severity.major and f.path == "app/core.py" and f.line == 4
    assert "app/report.py:4" in f.message
    assert f.evidence == [
        "app/core.py:4 app.core.compute(a, scale=1)",
        "app/report.py:4 app.report.summary",
        "app/cli.py:4 app.cli.main",
    ]
    assert verdict.status is Status.concern and verdict.confidence == 0.9


def test_updated_caller_is_not_flagged(review) -> None:  # noqa: ANN001
    head = {
        "app/core.py": REMOVED_B,
        "app/report.py": "from app.core import compute\n\ndef summary(rows):\n    return compute(rows, scale=2)\n",
    }
    verdict = review(BASE, head)
    assert by_rule(verdict, "paths/stale-call-site") == []
    reach = by_rule(verdict, "paths/wide-reach")
    assert reach and all(f.severity is Severity.info for f in reach)
    assert verdict.status is Status.passed


def test_positional_argument_shift_is_flagged(review) -> None:  # noqa: ANN001
    base = {**BASE, "app/batch.py": "from app.core import compute\n\ndef run():\n    return compute(1, 2)\n"}
    verdict = review(base, {"app/core.py": REMOVED_B})
    messages = [f.message for f in by_rule(verdict, "paths/stale-call-site")]
    assert any("app/batch.py:4" in m and "now binds to `scale` instead of `b`" in m for m in messages)


def test_new_required_keyword_breaks_callers(review) -> None:  # noqa: ANN001
    head = {"app/core.py": CORE.replace("def compute(a, b, scale=1):", "def compute(a, b, scale=1, *, mode):")}
    stale = by_rule(review(BASE, head), "paths/stale-call-site")
    assert [f.evidence[1] for f in stale] == ["app/core.py:8 app.core.helper", "app/report.py:4 app.report.summary"]


def test_removed_function_still_called_is_critical(review) -> None:  # noqa: ANN001
    head = {"app/core.py": "TIMEOUT = 30\nGREETING = 'Welcome!'\n\ndef helper(x):\n    return x\n"}
    verdict = review(BASE, head)
    [f] = by_rule(verdict, "paths/removed-symbol-still-called")
    assert f.severity is Severity.critical and f.path == "app/core.py"
    assert f.evidence[0] == "app/core.py:4 app.core.compute (removed)"
    assert "app/report.py:4 app.report.summary" in f.evidence
    assert "app/report.py:1 import compute" in f.evidence
    assert verdict.status is Status.block


def test_deleted_module_still_imported(review) -> None:  # noqa: ANN001
    base = {**BASE, "app/legacy.py": "def old_api():\n    return 1\n", "app/use.py": "from app.legacy import old_api\n\nX = old_api()\n"}
    verdict = review(base, {"app/legacy.py": None})
    [f] = by_rule(verdict, "paths/removed-symbol-still-called")
    assert f.severity is Severity.critical
    assert f.evidence[:2] == ["app/legacy.py:1 app.legacy.old_api (removed)", "app/use.py:3 app.use"]


def test_changed_constant_used_elsewhere(review) -> None:  # noqa: ANN001
    base = {
        **BASE,
        "app/net.py": "from app.core import TIMEOUT\n\ndef fetch():\n    return TIMEOUT * 2\n",
        "app/ui.py": "from app import core\n\ndef banner():\n    return core.GREETING\n",
    }
    head = {"app/core.py": CORE.replace("TIMEOUT = 30", "TIMEOUT = 5").replace("'Welcome!'", "'Hi!'")}
    verdict = review(base, head)
    found = {f.message.split("`")[1]: f for f in by_rule(verdict, "paths/changed-constant-used")}
    assert set(found) == {"TIMEOUT", "GREETING"}
    assert found["TIMEOUT"].severity is Severity.minor
    assert found["TIMEOUT"].evidence == ["app/core.py:1 app.core.TIMEOUT", "app/net.py:4 reads TIMEOUT"]
    assert found["GREETING"].evidence[1] == "app/ui.py:4 reads GREETING"


def test_constant_used_in_many_files_is_major(review) -> None:  # noqa: ANN001
    users = {f"app/user{i}.py": "from app.core import TIMEOUT\n\nLIMIT = TIMEOUT + 1\n" for i in range(5)}
    verdict = review({**BASE, **users}, {"app/core.py": CORE.replace("TIMEOUT = 30", "TIMEOUT = 31")})
    [f] = by_rule(verdict, "paths/changed-constant-used")
    assert f.severity is Severity.major and "5 other file(s)" in f.message


def test_pure_docs_change_passes(review) -> None:  # noqa: ANN001
    verdict = review(BASE, {"docs/guide.md": "# Guide\n\nMore words.\n"})
    assert verdict.status is Status.passed and verdict.findings == [] and verdict.confidence == 0.9
    assert not verdict.truncated


def test_comment_only_change_has_no_reach(review) -> None:  # noqa: ANN001
    head = {"app/core.py": CORE.replace("    return (a + b) * scale", "    # scaled sum\n    return (a + b) * scale")}
    assert review(BASE, head).findings == []


def test_wide_reach_grows_with_callers(review) -> None:  # noqa: ANN001
    callers = {
        f"svc/mod{i}.py": f"from app.core import compute\n\ndef job{i}():\n    return compute({i}, 1)\n" for i in range(22)
    }
    head = {"app/core.py": CORE.replace("return (a + b) * scale", "return (a + b) * scale + 0")}
    verdict = review({**BASE, **callers}, head)
    [f] = [x for x in by_rule(verdict, "paths/wide-reach") if "compute" in x.message]
    assert f.severity is Severity.major and "24 call site(s)" in f.message
    assert f.evidence[0] == "app/core.py:4 app.core.compute"
    assert all(":" in step and " " in step for step in f.evidence)
    few = review({**BASE, **{k: callers[k] for k in list(callers)[:11]}}, head)
    [g] = [x for x in by_rule(few, "paths/wide-reach") if "compute" in x.message]
    assert g.severity is Severity.minor


def test_unsupported_language_lowers_confidence(review) -> None:  # noqa: ANN001
    base = {**BASE, "lib/Main.kt": "fun main() {}\n"}
    verdict = review(base, {"lib/Main.kt": "fun main() { println(1) }\n"})
    assert verdict.confidence == 0.5 and verdict.findings == []


def test_typescript_stale_call_and_confidence(review) -> None:  # noqa: ANN001
    base = {
        "src/math.ts": "export function add(a: number, b: number): number { return a + b }\n",
        "src/app.ts": "import { add } from './math'\nexport function run() { return add(1, 2) }\n",
    }
    verdict = review(base, {"src/math.ts": "export function add(a: number): number { return a }\n"})
    [f] = by_rule(verdict, "paths/stale-call-site")
    assert f.evidence[:2] == ["src/math.ts:1 src/math.add(a: number)", "src/app.ts:2 src/app.run"]
    assert verdict.confidence == 0.75


def test_go_removed_function_still_called(review) -> None:  # noqa: ANN001
    base = {
        "store/store.go": "package store\n\nfunc Open(p string) error { return nil }\nfunc Close() {}\n",
        "cmd/app/main.go": "package main\n\nimport \"example.com/x/store\"\n\nfunc main() { store.Open(\"db\") }\n",
    }
    verdict = review(base, {"store/store.go": "package store\n\nfunc Close() {}\n"})
    [f] = by_rule(verdict, "paths/removed-symbol-still-called")
    assert f.severity is Severity.critical and "cmd/app/main.go:5 cmd/app.main" in f.evidence


def test_out_of_time_reports_truncation(review) -> None:  # noqa: ANN001
    verdict = review(BASE, {"app/core.py": REMOVED_B}, deadline=time.monotonic() - 1)
    assert verdict.truncated and by_rule(verdict, "paths/stale-call-site") == []


def test_method_moved_to_a_base_class_is_not_flagged(review) -> None:  # noqa: ANN001
    base = {
        "shop/base.py": "class BaseCart:\n    pass\n",
        "shop/cart.py": "from shop.base import BaseCart\n\nclass Cart(BaseCart):\n    def total(self):\n        return 1\n\n    def show(self):\n        return self.total()\n",
    }
    head = {
        "shop/base.py": "class BaseCart:\n    def total(self):\n        return 1\n",
        "shop/cart.py": "from shop.base import BaseCart\n\nclass Cart(BaseCart):\n    def show(self):\n        return self.total()\n",
    }
    assert by_rule(review(base, head), "paths/removed-symbol-still-called") == []


def test_removed_method_still_called_on_self(review) -> None:  # noqa: ANN001
    base = {"shop/cart.py": "class Cart:\n    def total(self):\n        return 1\n\n    def show(self):\n        return self.total()\n"}
    head = {"shop/cart.py": "class Cart:\n    def show(self):\n        return self.total()\n"}
    [f] = by_rule(review(base, head), "paths/removed-symbol-still-called")
    assert f.severity is Severity.critical and "shop/cart.py:3 shop.cart.Cart.show" in f.evidence


def test_function_moved_and_reimported_is_not_flagged(review) -> None:  # noqa: ANN001
    base = {"app/a.py": "def f():\n    return 1\n\ndef g():\n    return f()\n", "app/b.py": ""}
    head = {"app/a.py": "from app.b import f\n\ndef g():\n    return f()\n", "app/b.py": "def f():\n    return 1\n"}
    assert by_rule(review(base, head), "paths/removed-symbol-still-called") == []


def test_renamed_module_still_imported_from_old_path(review) -> None:  # noqa: ANN001
    base = {**BASE}
    head = {"app/core.py": None, "app/engine.py": CORE}
    verdict = review(base, head)
    found = by_rule(verdict, "paths/removed-symbol-still-called")
    assert [f.message.split("`")[1] for f in found] == ["app.core.compute"]
    [f] = found
    assert f.severity is Severity.critical and f.path == "app/engine.py" and f.line == 4
    assert f.evidence[:3] == [
        "app/core.py:4 app.core.compute (moved to app/engine.py)",
        "app/report.py:4 app.report.summary",
        "app/report.py:1 import compute",
    ]
    updated = review(base, {**head, "app/report.py": BASE["app/report.py"].replace("app.core", "app.engine")})
    assert by_rule(updated, "paths/removed-symbol-still-called") == []


# ---------------------------------------------------------------- paths/wide-reach noise (issue 10)
_UTIL = "def parse(s):\n    return s.strip()\n\n\ndef use(s):\n    return parse(s)\n"


def test_no_wide_reach_when_nothing_outside_the_file_and_tests_is_reached(review) -> None:  # noqa: ANN001
    """Called only from its own file and from tests: 0 files / 0 entry points reached -> no note."""
    base = {"app/__init__.py": "", "app/util.py": _UTIL,
            "tests/test_util.py": "from app.util import parse\n\n\ndef test_parse():\n    assert parse(' a ') == 'a'\n"}
    verdict = review(base, {"app/util.py": _UTIL.replace("s.strip()", "s.strip().lower()")})
    assert by_rule(verdict, "paths/wide-reach") == []


def test_no_wide_reach_when_the_only_callers_are_test_helpers(review) -> None:  # noqa: ANN001
    base = {"app/__init__.py": "", "app/util.py": _UTIL,
            "app/testing.py": "from app.util import parse\n\n\ndef make_row(s):\n    return parse(s)\n",
            "app/checks.py": "from app.util import parse\n\n\ndef assert_parsed(s):\n    assert parse(s)\n"}
    verdict = review(base, {"app/util.py": _UTIL.replace("s.strip()", "s.strip().lower()")})
    assert by_rule(verdict, "paths/wide-reach") == []
    # a real caller in another file is still reported, at info
    base["app/views.py"] = "from app.util import parse\n\n\ndef view(s):\n    return parse(s)\n"
    verdict = review(base, {"app/util.py": _UTIL.replace("s.strip()", "s.strip().lower()")})
    (f,) = by_rule(verdict, "paths/wide-reach")
    assert f.severity is Severity.info
    assert "(1 outside tests)" in f.message  # one real call site; the helpers' calls are not counted


def test_constant_with_the_same_value_or_a_type_alias_is_not_reported() -> None:
    """Rewrapping a string constant, or changing a type alias, is not a changed value (rich #3195, click #3396)."""
    from bot.codeindex import build_index
    from bot.testing.fake_tree import memory_context
    from subagents.execution_paths import ExecutionPathsAgent

    base = {
        "pkg/box.py": 'ASCII = """\\\n+--+\n| ||\n"""\nLIMIT = 10\n',
        "pkg/types.py": "import typing as t\nUNSET_T: t.TypeAlias = t.Literal[1]\n",
        "pkg/use.py": "from pkg.box import ASCII, LIMIT\nfrom pkg.types import UNSET_T\n\n\ndef f(x: UNSET_T):\n    return ASCII * LIMIT\n",
    }
    head = {
        "pkg/box.py": 'ASCII = (\n    "+--+\\n"\n    "| ||\\n"\n)\nLIMIT = 20\n',
        "pkg/types.py": "import typing as t\nUNSET_T: t.TypeAlias = t.Literal[2]\n",
    }
    ctx = memory_context(base, head)
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    found = [(f.rule_id, f.message) for f in ExecutionPathsAgent().analyze(ctx).findings
             if f.rule_id == "paths/changed-constant-used"]
    assert [m for _, m in found if "ASCII" in m or "UNSET_T" in m] == []
    assert any("LIMIT" in m for _, m in found)


def test_go_symbol_moved_to_another_file_of_its_package_is_not_removed() -> None:
    from bot.codeindex import build_index
    from bot.testing.fake_tree import memory_context
    from subagents.execution_paths import ExecutionPathsAgent

    ctx_go = "package gin\n\nfunc safeInt8(n int) int8 {\n\treturn int8(n)\n}\n\nfunc Use() int8 {\n\treturn safeInt8(3)\n}\n"
    base = {"context.go": ctx_go, "tree.go": "package gin\n\nfunc count() int8 {\n\treturn safeInt8(1)\n}\n"}
    head = {"context.go": "package gin\n\nfunc Use() int8 {\n\treturn safeInt8(3)\n}\n",
            "utils.go": "package gin\n\nfunc safeInt8(n int) int8 {\n\treturn int8(n)\n}\n"}
    ctx = memory_context(base, head)
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    assert "paths/removed-symbol-still-called" not in {f.rule_id for f in ExecutionPathsAgent().analyze(ctx).findings}
    gone = {"context.go": "package gin\n\nfunc Use() int8 {\n\treturn safeInt8(3)\n}\n",
            "render/utils.go": "package render\n\nfunc safeInt8(n int) int8 {\n\treturn int8(n)\n}\n"}  # another package
    ctx = memory_context(base, gone)
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    assert "paths/removed-symbol-still-called" in {f.rule_id for f in ExecutionPathsAgent().analyze(ctx).findings}


def test_constant_built_by_a_call_with_a_rewrapped_argument_is_not_reported() -> None:
    """rich #3195: ``ASCII: Box = Box(\"\"\"...\"\"\", ascii=True)`` re-written with concatenated literals."""
    from bot.codeindex import build_index
    from bot.testing.fake_tree import memory_context
    from subagents.execution_paths import ExecutionPathsAgent

    base = {"pkg/box.py": 'ASCII: Box = Box(\n    """\\\n+--+\n| ||\n""",\n    ascii=True,\n)\n',
            "pkg/use.py": "from pkg.box import ASCII\n\n\ndef f():\n    return ASCII\n"}
    head = {"pkg/box.py": 'ASCII: Box = Box(\n    "+--+\\n"\n    "| ||\\n",\n    ascii=True,\n)\n'}
    ctx = memory_context(base, head)
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    assert "paths/changed-constant-used" not in {f.rule_id for f in ExecutionPathsAgent().analyze(ctx).findings}


def test_call_sites_updated_in_the_same_change_are_not_stale() -> None:
    """echo #2267: a parameter inserted and every call rewritten with it in the same change."""
    from bot.codeindex import build_index
    from bot.testing.fake_tree import memory_context
    from subagents.execution_paths import ExecutionPathsAgent

    base = {"app/nodes.py": "def new_node(kind, prefix, handler):\n    return (kind, prefix, handler)\n",
            "app/use.py": "from app.nodes import new_node\n\n\ndef f():\n    return new_node(1, 'a', None)\n",
            "app/old.py": "from app.nodes import new_node\n\n\ndef g():\n    return new_node(2, 'b', None)\n"}
    head = {"app/nodes.py": "def new_node(kind, prefix, path, handler):\n    return (kind, prefix, path, handler)\n",
            "app/use.py": "from app.nodes import new_node\n\n\ndef f():\n    return new_node(1, 'a', '', None)\n"}
    ctx = memory_context(base, head)
    ctx.code_index = lambda: build_index(ctx.head, workers=1)
    stale = [f.message for f in ExecutionPathsAgent().analyze(ctx).findings if f.rule_id == "paths/stale-call-site"]
    assert not any("app/use.py" in m for m in stale)  # updated by the change
    assert any("app/old.py" in m for m in stale)  # left behind
