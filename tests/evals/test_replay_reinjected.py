"""The ``reinjected`` suite: fix PRs reversed in a scratch clone and reviewed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.adapters.gitrun import run_git
from bot.core.models import Finding
from bot.evals.history import find_merged_prs
from bot.evals.reinjected import (
    build_reversal,
    overlaps,
    plan_reversal,
    run_reinjected,
    same_at_runtime,
    scratch_clone,
    select_fixes,
)
from bot.testing.gitrepo import git


def _fix(h: Any, number: int):  # noqa: ANN202
    return next(p for p in find_merged_prs(h.path) if p.number == number)


def test_select_fixes_newest_first(pr_history: Any) -> None:
    fixes = select_fixes(find_merged_prs(pr_history.path))
    assert [p.number for p in fixes] == [13, 11, 10, 9, 6]


def test_reversal_puts_back_only_runtime_code(pr_history: Any, tmp_path: Path) -> None:
    fix = _fix(pr_history, 6)
    plan = plan_reversal(pr_history.path, fix)
    assert plan is not None
    assert plan.files == ["app/parser.py"]  # the test the fix added stays
    assert plan.title == "Update parser.py"
    assert plan.hunks == {"app/parser.py": [(6, 7)]}  # head-side lines of the reversed hunk
    scratch = scratch_clone(pr_history.path, tmp_path / "scratch.git")
    head = build_reversal(scratch, plan, tmp_path)
    assert git(scratch, "rev-parse", f"{head}^") == fix.sha
    assert git(scratch, "log", "-1", "--format=%s", head) == "Update parser.py"
    assert git(scratch, "show", f"{head}:app/parser.py") == git(pr_history.path, "show", f"{fix.base}:app/parser.py")
    assert git(scratch, "show", f"{head}:tests/test_parser.py") == git(pr_history.path, "show", f"{fix.sha}:tests/test_parser.py")
    changed = git(scratch, "diff", "--name-only", fix.sha, head).split()
    assert changed == ["app/parser.py"]
    # Nothing was written into the original repository.
    probe = run_git(pr_history.path, "cat-file", "-e", head, check=False)
    assert probe.returncode != 0


def test_reversal_of_an_added_file_removes_it(tmp_path: Path) -> None:
    from bot.evals.history import MergedPR
    from bot.testing.gitrepo import commit, init_repo, write_files

    repo = init_repo(tmp_path / "r")
    write_files(repo, {"app/a.py": "x = 1\n"})
    base = commit(repo, "init")
    write_files(repo, {"app/guard.py": "def ok(x):\n    return x is not None\n", "app/a.py": "x = 2\n"})
    sha = commit(repo, "Fix crash (#1)")
    fix = MergedPR(number=1, sha=sha, base=base, kind="squash", title="Fix crash", body="", author="a", email="a@x",
                   timestamp=0)
    plan = plan_reversal(repo, fix)
    assert plan is not None and plan.files == ["app/a.py", "app/guard.py"] and plan.runtime_change
    scratch = scratch_clone(repo, tmp_path / "s.git")
    head = build_reversal(scratch, plan, tmp_path)
    assert git(scratch, "ls-tree", "-r", "--name-only", head).split() == ["app/a.py"]
    assert git(scratch, "show", f"{head}:app/a.py") == "x = 1"


def test_same_at_runtime_sets_aside_docstrings_comments_and_annotations() -> None:
    fixed = b'def f(x: int | None) -> int:\n    """Return x, e.g. `f(1)`."""\n    return x  # ok\n'
    doc = b'def f(x: int) -> str:\n    """Return x, e.g. `f(2)`."""\n    return x\n'
    assert same_at_runtime("app/a.py", fixed, doc)
    assert not same_at_runtime("app/a.py", fixed, b"def f(x):\n    return x or 0\n")
    assert not same_at_runtime("app/a.py", fixed, b"def f(x:\n")  # unparsable: counted as a change
    assert not same_at_runtime("app/a.js", b"x", b"x")  # other languages are not judged
    assert not same_at_runtime("app/a.py", None, fixed)


def test_same_at_runtime_sets_aside_attribute_docstrings_but_not_other_strings() -> None:
    base = b'class C:\n    size: int\n    """Defaults to `0`."""\n\n    def f(self):\n        return "a"\n'
    assert same_at_runtime("app/c.py", base, base.replace(b"`0`", b"`None`"))
    assert not same_at_runtime("app/c.py", base, base.replace(b'return "a"', b'return "b"'))


def test_a_reversed_docstring_fix_is_not_a_runtime_change(tmp_path: Path) -> None:
    from bot.evals.history import MergedPR
    from bot.evals.reinjected import reinjected_figures, ReinjectedResult
    from bot.testing.gitrepo import commit, init_repo, write_files

    repo = init_repo(tmp_path / "r")
    write_files(repo, {"app/a.py": 'def f():\n    """Retrun 1."""\n    return 1\n'})
    base = commit(repo, "init")
    write_files(repo, {"app/a.py": 'def f():\n    """Return 1."""\n    return 1\n'})
    sha = commit(repo, "Fix typo (#1)")
    fix = MergedPR(number=1, sha=sha, base=base, kind="squash", title="Fix typo", body="", author="a", email="a@x",
                   timestamp=0)
    plan = plan_reversal(repo, fix)
    assert plan is not None and not plan.runtime_change
    figures = reinjected_figures([ReinjectedResult(reversal=plan, action="approve", caught=False)])
    assert figures["auto_approved"] == 1 and figures["runtime_cases"] == 0 and figures["runtime_auto_approved"] == 0
    assert figures["no_runtime_change_cases"] == [plan.case_id]


def test_overlaps() -> None:
    hunks = {"app/p.py": [(6, 7), (20, 20)]}

    def f(path: str | None, line: int | None, end: int | None = None) -> Finding:
        return Finding.make(rule_id="r", agent="logic", severity="major", message="m", path=path, line=line, end_line=end)

    assert overlaps(f("app/p.py", 7), hunks)
    assert overlaps(f("app/p.py", 1, 6), hunks)
    assert overlaps(f("app/p.py", 19, 25), hunks)
    assert not overlaps(f("app/p.py", 8, 19), hunks)
    assert not overlaps(f("app/other.py", 7), hunks)
    assert not overlaps(f(None, None), hunks)


def test_run_reinjected_counts_approvals_and_catches(pr_history: Any) -> None:
    seen: list[Any] = []
    results, figures = run_reinjected(pr_history.path, limit=3, on_done=seen.append)
    assert [r.reversal.fix.number for r in results] == [13, 11, 10] and len(seen) == 3
    assert figures["cases"] == 3 and figures["errors"] == 0
    assert figures["auto_approved"] == sum(r.action == "approve" for r in results)
    for r in results:
        assert r.action in {"approve", "comment", "request_changes", "needs_human"}
        assert r.caught == any(overlaps(x, r.reversal.hunks) and x.severity.value != "info" for x in r.findings)
    assert figures["catch"]["k"] == sum(r.caught for r in results)
    specific = sum(any(f.rule_id != "logic/untested-behaviour-change" for f in r.catching) for r in results)
    assert figures["catch_specific"]["k"] == specific <= figures["catch"]["k"]
    assert set(figures["catching_by_case"]) == {r.reversal.case_id for r in results}
    assert figures["head"] == pr_history.sha["head"]


def test_suite_registry_runs_reinjected(pr_history: Any) -> None:
    from bot.evals.scenarios import ScenarioError
    from bot.evals.suites import SuiteConfig, run_suite

    report = run_suite("reinjected", SuiteConfig(repo=pr_history.path, extra={"limit": 2}))
    assert report.suite == "reinjected" and report.figures["cases"] == 2 and len(report.cases) == 2
    assert all(c.decision_ok == (c.action is not None and c.action.value != "approve") for c in report.cases)
    with pytest.raises(ScenarioError, match="--repo"):
        run_suite("reinjected", SuiteConfig())
