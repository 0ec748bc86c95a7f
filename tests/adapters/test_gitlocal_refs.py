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


def _side_threads() -> list[str]:
    import threading  # noqa: PLC0415

    return [t.name for t in threading.enumerate() if t.name == "quorum-git"]


def test_the_reads_beside_the_diff_give_what_one_after_another_gave(tmp_path: Path) -> None:
    from bot.adapters.gitlocal import CatFile, GitTree, _first_text, _remotes  # noqa: PLC0415
    from bot.core.repoid import repo_identity  # noqa: PLC0415

    policy = "version: 1\n"
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n", ".quorum.yml": policy, "CODEOWNERS": "* @me\n"},
                           {"a.py": "x = 2\n"})
    git = Git(repo)
    git.run("remote", "add", "origin", "https://github.com/octo/demo.git")
    snap = LocalGitSource(repo, base="main", head="feature").snapshot()
    try:
        assert _side_threads() == []
        subject, body, author = LocalGitSource._commit_facts(git, snap.pr.head_sha)
        assert (snap.pr.title, snap.pr.body, snap.pr.author) == (subject, body, author)
        assert snap.pr.repo == repo_identity(str(Path(repo).resolve()), _remotes(git)) == "octo/demo"
        tree = GitTree(git, CatFile(repo), snap.pr.policy_sha)
        try:
            assert snap.policy_text == _first_text(tree, (".quorum.yml",)) == policy
            assert snap.codeowners_text == "* @me\n"
            assert snap.base.list_files() == tree.list_files()  # type: ignore[attr-defined]
        finally:
            tree.close()
    finally:
        snap.close()


def test_the_first_failure_is_still_the_one_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})

    def no_facts(git: Git, sha: str) -> tuple[str, str, str]:
        raise SourceError("git show failed: facts")

    monkeypatch.setattr(LocalGitSource, "_commit_facts", staticmethod(no_facts))
    with pytest.raises(SourceError, match="facts"):
        LocalGitSource(repo, base="main", head="feature").snapshot()
    assert _side_threads() == []
    real_run = Git.run

    def no_diff(self: Git, *args: str, **kwargs: object) -> bytes:
        if args[0] == "diff":
            raise SourceError("git diff failed: diff")
        return real_run(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Git, "run", no_diff)
    with pytest.raises(SourceError, match="diff"):  # the diff came first when they ran one after another
        LocalGitSource(repo, base="main", head="feature").snapshot()
    assert _side_threads() == []
