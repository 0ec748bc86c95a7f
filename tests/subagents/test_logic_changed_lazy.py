"""``_scan._exercised`` and ``_scan._stale_test`` ask whether a function changed (its canonical
streams) only for the functions the test code names; their answers equal those of the eager
definitions, which compared every function whose text differs first."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from bot.core.context import ReviewContext
from bot.core.diff import FileChange
from subagents import _canonical, _syntax, logic_imports
from subagents.checks.logic import _scan
from subagents.checks.logic._scan import scan
from subagents.view import CheckView


def _eager_changed(view: CheckView, fc: FileChange, review: _scan._Review) -> list[str]:
    """``_changed_functions`` before: every function on both sides whose text differs, streamed."""
    if not fc.language or fc.kind is _scan.ChangeKind.added:
        return []
    base_path = fc.old_path or fc.path
    bt = _syntax.parsed(view.files, "base", base_path, fc.language, view.files.read("base", base_path))
    ht = _syntax.parsed(view.files, "head", fc.path, fc.language, view.files.read("head", fc.path))
    if bt is None or ht is None:
        return []
    py = fc.language == "python"
    bdefs, hdefs = _syntax.definitions(bt.root_node, fc.language), _syntax.definitions(ht.root_node, fc.language)
    error_free = not bt.root_node.has_error and not ht.root_node.has_error
    helper_names = [n.encode() for n in (*review.base_inline, *review.head_inline)] if py else []
    out = []
    for q, hd in hdefs.items():
        bd = bdefs.get(q)
        if bd is None or (error_free and _syntax.same_source(bd.node, hd.node, helper_names)):
            continue
        a = _canonical.canonical(bd.node, python=py, inline=review.base_inline if py else None)
        b = _canonical.canonical(hd.node, python=py, inline=review.head_inline if py else None)
        if a != b and _canonical.rename_map(a, b) is None:
            out.append(q.split("#")[0].rsplit(".", 1)[-1])
    return out


def _eager_exercised(view: CheckView, fc: FileChange, review: _scan._Review) -> bool:
    if not review.exercising:
        return False
    names = list(dict.fromkeys(_eager_changed(view, fc, review) + _scan._changed_symbols(view, fc, review)))
    if names:
        return review.exercises_any(names)
    return review.exercises_any(logic_imports.changed_line_names(fc)) or review.covers(fc, None)


def _eager_stale(view: CheckView, files: list[FileChange], review: _scan._Review) -> tuple[str, str] | None:
    if _scan._NO_NEW_BEHAVIOUR.search(view.pr.title or ""):
        return None
    by_module: dict[str, list[str]] = {}
    for path in view.repository_paths("base"):
        subject = _scan._paths.module_under_test(path)
        if subject and _scan._paths.is_code_path(path):
            by_module.setdefault(subject, []).append(path)
    for fc in files:
        tests = by_module.get(_scan._paths.module_stem(fc.path), [])
        changed = _eager_changed(view, fc, review) if tests else []
        for path in tests[:3] if changed else []:
            data = view.files.read("base", path)
            if data is None or len(data) > _scan.MAX_STALE_TEST_BYTES:
                continue
            text = data.decode("utf-8", "replace")
            for name in changed:
                if len(name) < 4 or name.startswith("__") or name.lower() in _scan._GENERIC_NAMES:
                    continue
                if re.search(r"\b" + re.escape(name) + r"\s*\(", text):
                    return path, name
    return None


RANK = ("def rank(results, query):\n    return sorted(results)\n\n\ndef score(item):\n    return item.score\n\n\n"
        "def open(p):\n    return p\n\n\nLIMIT = 3\n")
TEST_RANK = "from search.rank import open, rank, score\n\n\ndef test_by_score():\n    assert rank([], 'x') == open([])\n"
GO = "package rank\n\nfunc Rank(xs []int) []int {\n\treturn xs\n}\n\nfunc Score(x int) int {\n\treturn x\n}\n"
GO_TEST = "package rank\n\nimport \"testing\"\n\nfunc TestRank(t *testing.T) {\n\tRank(nil)\n}\n"
JS = "export function rank(xs) {\n  return xs.slice();\n}\n\nexport function score(x) {\n  return x.score;\n}\n"
JS_TEST = "import { rank } from '../src/rank';\n\nit('ranks', () => {\n  expect(rank([])).toEqual([]);\n});\n"

CASES = {
    "changed, no test edited": ({"src/search/rank.py": RANK, "tests/test_rank.py": TEST_RANK},
                                {"src/search/rank.py": RANK.replace("sorted(results)", "sorted(results, reverse=True)")}),
    "reformatted only": ({"src/search/rank.py": RANK, "tests/test_rank.py": TEST_RANK},
                         {"src/search/rank.py": RANK.replace("sorted(results)", "sorted(\n        results,\n    )")}),
    "renamed parameter only": ({"src/search/rank.py": RANK, "tests/test_rank.py": TEST_RANK},
                               {"src/search/rank.py": RANK.replace("(item):\n    return item.", "(it):\n    return it.")}),
    "test added for the changed function": (
        {"src/search/rank.py": RANK, "tests/test_rank.py": TEST_RANK},
        {"src/search/rank.py": RANK.replace("return item.score", "return item.score * 2"),
         "tests/test_rank.py": TEST_RANK + "\n\ndef test_score():\n    assert score(1)\n"}),
    "test added for something else": (
        {"src/search/rank.py": RANK, "tests/test_rank.py": TEST_RANK},
        {"src/search/rank.py": RANK.replace("return item.score", "return item.score * 2"),
         "tests/test_rank.py": TEST_RANK + "\n\ndef test_other():\n    assert other(1)\n"}),
    "constant only, test names the module": (
        {"src/search/rank.py": RANK, "tests/test_rank.py": TEST_RANK},
        {"src/search/rank.py": RANK.replace("LIMIT = 3", "LIMIT = 4"),
         "tests/test_rank.py": TEST_RANK + "\n\ndef test_limit():\n    assert rank.LIMIT\n"}),
    "go": ({"rank/rank.go": GO, "rank/rank_test.go": GO_TEST},
           {"rank/rank.go": GO.replace("return xs", "return xs[1:]"),
            "rank/rank_test.go": GO_TEST + "\nfunc TestScore(t *testing.T) {\n\tScore(1)\n}\n"}),
    "javascript": ({"src/rank.js": JS, "test/rank.test.js": JS_TEST},
                   {"src/rank.js": JS.replace("xs.slice()", "xs.slice(1)").replace("x.score", "x.total"),
                    "test/rank.test.js": JS_TEST + "\nit('scores', () => {\n  expect(other(1)).toBe(1);\n});\n"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_answers_as_the_eager_definitions(name: str, make_context: Callable[..., ReviewContext]) -> None:
    base, head = CASES[name]
    for title in ("feat(search): best first", "Drop support for Python 3.8"):
        view = CheckView(make_context(base, head, title=title, pr_title=title), "logic")
        found = scan(view)
        review = found.review
        files = [fc for fc in view.diff.files if _scan._paths.is_runtime_source(fc.path)]
        assert files
        for fc in files:
            assert _scan._exercised(view, fc, review) == _eager_exercised(view, fc, review)
            assert _scan._changed_functions(view, fc, review) == _eager_changed(view, fc, review)
        assert _scan._stale_test(view, files, review) == _eager_stale(view, files, review)


def test_the_cases_reach_both_answers(make_context: Callable[..., ReviewContext]) -> None:
    """The cases above are not all alike: some files are exercised and some not, a stale test is
    found and not found, a function changed and one only looks changed."""
    seen = set()
    for name, (base, head) in CASES.items():
        view = CheckView(make_context(base, head, title="feat: x", pr_title="feat: x"), "logic")
        review = scan(view).review
        files = [fc for fc in view.diff.files if _scan._paths.is_runtime_source(fc.path)]
        seen.add(("exercised", any(_scan._exercised(view, fc, review) for fc in files)))
        seen.add(("stale", _scan._stale_test(view, files, review) is not None))
        seen.add(("changed", bool(_scan._changed_functions(view, files[0], review)), name == "reformatted only"))
    assert {("exercised", True), ("exercised", False), ("stale", True), ("stale", False),
            ("changed", False, True), ("changed", True, False)} <= seen
