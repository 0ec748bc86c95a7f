"""WarmIndex: one process reviewing PR after PR reuses the decoded entries of unchanged files."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.gitlocal import LocalGitSource
from bot.codeindex import build_index
from bot.codeindex.warm import WarmIndex
from bot.testing.gitrepo import make_repo

BASE = {"pkg/a.py": "def a():\n    return 1\n", "pkg/b.py": "from pkg.a import a\n\n\ndef b():\n    return a()\n"}
HEAD = {**BASE, "pkg/a.py": "def a():\n    return 2\n"}


def test_second_build_reuses_unchanged_files_and_matches_a_fresh_index(tmp_path: Path) -> None:
    repo, base, head = make_repo(tmp_path, BASE, HEAD, title="change a")
    warm = WarmIndex(workers=0)
    snap = LocalGitSource(repo, base=base, head=head).snapshot()
    try:
        first = warm(snap.base, tmp_path / "cache")
        second = warm(snap.head, tmp_path / "cache")
        fresh = build_index(snap.head, None, workers=0)
    finally:
        snap.close()
    assert warm.reused == 1  # pkg/b.py: same blob in both trees; pkg/a.py changed
    assert second.files["pkg/b.py"] is first.files["pkg/b.py"]
    assert sorted(second.files) == sorted(fresh.files)
    assert [d.qualname for d in second.definitions("a")] == [d.qualname for d in fresh.definitions("a")]
    assert [c.path for c in second.callers(second.definitions("a")[0])] == \
           [c.path for c in fresh.callers(fresh.definitions("a")[0])] == ["pkg/b.py"]
