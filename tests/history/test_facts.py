"""History facts from a hand-made git history with known values; no future leaks; the cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.gitlocal import Git
from bot.core.diff import parse_diff
from bot.history.cache import HistoryCache
from bot.history.facts import compute_facts, function_spans
from bot.history.features import FEATURES, diff_features
from bot.history.gitlog import LocalHistory
from bot.testing.gitrepo import commit, git, init_repo, write_files

BASE_DAY = 1000  # the base commit's day; others are counted back from it


def _date(day: int) -> str:
    # Day 0 is 2020-01-01; one commit per day at noon UTC.
    from datetime import UTC, datetime, timedelta

    return (datetime(2020, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)).isoformat()


def _core(a: str = "1", b: str = "2", g: str = "3", note: str = "") -> str:
    return (
        "def f(x):\n"
        f"    y = x + {a}\n"
        f"    return y * {b}\n"
        "\n"
        "\n"
        "def g(x):\n"
        f"    return x - {g}\n"
        f"# {note}\n"
    )


@pytest.fixture()
def history_repo(tmp_path: Path) -> dict[str, object]:
    """A repository whose core.py has a known history below the base, and more after it."""
    repo = init_repo(tmp_path / "repo")
    write_files(repo, {"pkg/core.py": _core(), "README.md": "hello\n"})
    commit(repo, "Add core (#1)", author="Alice", email="alice@example.invalid", date=_date(BASE_DAY - 800))  # outside 24 months
    write_files(repo, {"pkg/core.py": _core(a="10")})
    commit(repo, "Fix crash in f (#2)", author="Bob", email="bob@example.invalid", date=_date(BASE_DAY - 300))  # 12m, fix, line 2 of f
    write_files(repo, {"pkg/core.py": _core(a="10", g="30")})
    commit(repo, "Add feature to g (#3)", author="Alice", email="alice@example.invalid", date=_date(BASE_DAY - 100))  # 6m, g only
    write_files(repo, {"pkg/core.py": _core(a="10", b="20", g="30")})
    commit(repo, "Handle None\n\nFixes #7", author="Carol", email="carol@example.invalid", date=_date(BASE_DAY - 30))  # 6m, fix by body, line 3
    write_files(repo, {"pkg/core.py": _core(a="10", b="20", g="30", note="typo"), "README.md": "hi\n"})
    base = commit(repo, "Fix typo in a comment (#5)", author="Dave", email="dave@example.invalid", date=_date(BASE_DAY))  # not a fix (typo)
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, {"pkg/core.py": _core(a="11", b="20", g="30", note="typo"),
                       "tests/test_core.py": "def test_f():\n    assert True\n"})
    head = commit(repo, "Tweak f", author="Alice", email="alice@example.invalid", date=_date(BASE_DAY + 1))
    return {"repo": repo, "base": base, "head": head}


def _diff(repo: Path, base: str, head: str):  # noqa: ANN202
    raw = Git(repo).run("diff", "--no-color", "--full-index", "--src-prefix=a/", "--dst-prefix=b/", base, head, "--")
    return parse_diff(raw.decode())


def test_known_values(history_repo: dict[str, object], tmp_path: Path) -> None:
    repo, base, head = history_repo["repo"], history_repo["base"], history_repo["head"]
    facts = compute_facts(_diff(repo, base, head), "Alice", base, LocalHistory(repo, HistoryCache(tmp_path / "h.sqlite")))
    f = facts.features
    assert set(f) == set(FEATURES)
    # core.py: commits at -300 (Bob, fix), -100 (Alice), -30 (Carol, fix), 0 (Dave, typo: no fix).
    assert (f["file_commits_6m"], f["file_commits_12m"], f["file_commits_24m"]) == (3, 4, 4)
    assert (f["file_authors_6m"], f["file_authors_12m"]) == (3, 4)
    assert (f["file_fixes_6m"], f["file_fixes_12m"], f["file_fixes_24m"]) == (1, 2, 2)
    assert f["file_age_days"] == 730  # added before the 24-month horizon: capped
    assert f["file_loc"] == 8
    assert f["author_file_commits_24m"] == 1  # Alice's commit at -800 is outside the window
    assert facts.where["file_fixes_12m"] == "pkg/core.py"
    # The head changes line 2 of f(); f's current lines were last changed by #2 (line 2) and the
    # Fixes #7 commit (line 3): two commits, both fixes, one of them within 6 months.
    assert f["functions_changed"] == 1
    assert (f["func_commits_6m"], f["func_commits_12m"]) == (1, 2)
    assert (f["func_fixes_6m"], f["func_fixes_12m"]) == (1, 2)
    assert facts.where["func_fixes_12m"] == "f() in pkg/core.py"
    # Diff features: 1+1 runtime lines, 2 test lines added, a new test file.
    assert (f["lines_added"], f["lines_deleted"], f["files_changed"]) == (3, 1, 2)
    assert (f["runtime_lines"], f["test_lines"], f["tests_changed"], f["new_files"]) == (2, 2, 1, 1)
    assert f["subsystems_changed"] == 2 and 0 < f["entropy"] <= 1


def test_no_future_leak(history_repo: dict[str, object], tmp_path: Path) -> None:
    """Commits after the base (on main, even fixes of the same lines) change nothing."""
    repo, base, head = history_repo["repo"], history_repo["base"], history_repo["head"]
    before = compute_facts(_diff(repo, base, head), "Alice", base, LocalHistory(repo)).features
    git(repo, "checkout", "-q", "main")
    write_files(repo, {"pkg/core.py": _core(a="12", b="21", g="31")})
    commit(repo, "Fix f again (#9)", author="Erin", email="erin@example.invalid", date=_date(BASE_DAY + 5))
    commit(repo, "Fix g (#10)", author="Erin", email="erin@example.invalid", date=_date(BASE_DAY + 6))
    after = compute_facts(_diff(repo, base, head), "Alice", base, LocalHistory(repo)).features
    assert after == before


def test_warm_cache_reads_no_history(history_repo: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base, head = history_repo["repo"], history_repo["base"], history_repo["head"]
    path = tmp_path / "h.sqlite"
    diff = _diff(repo, base, head)
    cold = compute_facts(diff, "Alice", base, LocalHistory(repo, HistoryCache(path)))
    warm_history = LocalHistory(repo, HistoryCache(path))
    calls: list[tuple[str, ...]] = []
    real = warm_history.git.run

    def spy(*args: str, **kw: object) -> bytes:
        calls.append(args)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(warm_history.git, "run", spy)
    warm = compute_facts(diff, "Alice", base, warm_history)
    assert warm.features == cold.features
    assert not [c for c in calls if c[0] in ("log", "blame")], calls


def test_function_spans_qualify_methods() -> None:
    src = b"class A:\n    def m(self):\n        return 1\n\n\ndef top():\n    pass\n"
    spans = {s.qualname: (s.start, s.end) for s in function_spans("x.py", src)}
    assert spans == {"A.m": (2, 3), "top": (6, 7)}
    assert function_spans("x.unknown", src) == []


def test_diff_features_of_a_docs_only_change() -> None:
    diff = parse_diff("diff --git a/docs/a.md b/docs/a.md\n--- a/docs/a.md\n+++ b/docs/a.md\n@@ -1 +1 @@\n-a\n+b\n")
    f = diff_features(diff)
    assert (f["doc_lines"], f["runtime_lines"], f["test_lines"], f["entropy"]) == (2, 0, 0, 0.0)
