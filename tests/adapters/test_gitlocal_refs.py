"""LocalGitSource resolves head and base with one ``git rev-parse`` and falls back to one ref at
a time (for the precise error) whenever that one call does not settle it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.gitlocal import Git, LocalGitSource
from bot.core.errors import SourceError
from bot.testing.gitrepo import make_repo


def test_revs_resolves_every_ref_or_none(tmp_path: Path) -> None:
    repo, base, head = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    git = Git(repo)
    assert git.revs(["feature", "main"]) == [git.rev("feature"), git.rev("main")]
    assert git.revs(["feature"])[0] == git.rev("feature")
    for refs in (["feature", "no-such-ref"], ["main..feature"], ["^main"], ["--all"], ["a b"], [""], []):
        assert git.revs(refs) is None, refs
    assert Git(tmp_path).revs(["HEAD"]) is None  # not a repository


def test_the_snapshot_is_the_same_with_the_fast_and_the_slow_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n", "b.py": "y = 1\n"})
    fast = LocalGitSource(repo, base="main", head="feature").snapshot()
    monkeypatch.setattr(Git, "revs", lambda self, refs: None)
    slow = LocalGitSource(repo, base="main", head="feature").snapshot()
    try:
        assert fast.pr == slow.pr and fast.diff == slow.diff and fast.policy_text == slow.policy_text
    finally:
        fast.close()
        slow.close()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"base": "no-such-ref"}, "unknown ref: 'no-such-ref'"),
    ({"head": "no-such-ref"}, "unknown ref: 'no-such-ref'"),
])
def test_a_bad_ref_is_still_named(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    with pytest.raises(SourceError, match=message):
        LocalGitSource(repo, **kwargs).snapshot()
