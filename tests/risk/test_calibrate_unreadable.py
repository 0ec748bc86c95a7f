"""``build_dataset`` on a repository that lacks an object one PR needs (a mirror missing a blob):
that PR is left out and named, the rest are labelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.risk.calibrate import CalibrateError, build_dataset
from bot.testing.gitrepo import commit, git, init_repo, write_files


def _date(day: int) -> str:
    return (datetime(2021, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)).isoformat()


def _repo(root: Path) -> Path:
    repo = init_repo(root / "repo")
    write_files(repo, {"pkg/mod.py": "x = 0\n"})
    commit(repo, "Initial", date=_date(0))
    for k in range(1, 7):
        write_files(repo, {f"pkg/f{k}.py": f"def f{k}():\n    return {k}\n"})
        commit(repo, f"Add f{k} (#{k})", date=_date(2 * k))
    write_files(repo, {"README.md": "done\n"})
    commit(repo, "Release", date=_date(400))
    return repo


def _drop_blob(repo: Path, rev: str, path: str) -> None:
    sha = git(repo, "rev-parse", f"{rev}:{path}").strip()
    (repo / ".git" / "objects" / sha[:2] / sha[2:]).unlink()


def test_a_pr_git_cannot_read_is_left_out_and_named(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    pr3 = git(repo, "log", "--format=%H", "--grep", r"(#3)", "-F").split()[0]
    _drop_blob(repo, pr3, "pkg/f3.py")
    examples, window = build_dataset(repo, cache_path=tmp_path / "h.sqlite")
    assert sorted(e.number for e in examples) == [1, 2, 4, 5, 6]
    assert window["unreadable_prs"] == [3] and window["prs"] == 5


def test_nothing_readable_is_a_one_line_error(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    for k in range(1, 7):
        sha = git(repo, "log", "--format=%H", "--grep", f"(#{k})", "-F").split()[0]
        _drop_blob(repo, sha, f"pkg/f{k}.py")
    with pytest.raises(CalibrateError, match="could not read any"):
        build_dataset(repo, cache_path=tmp_path / "h.sqlite")
