"""LocalGitSource resolves head and base with one request to ``git cat-file --batch`` and falls
back to ``git rev-parse`` one ref at a time (for the precise error) whenever that does not settle
it; every way gives the same snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters import gitlocal
from bot.adapters.gitlocal import CatFile, Git, LocalGitSource, resolve_commits
from bot.core.errors import SourceError
from bot.testing.gitrepo import make_repo


def _slow(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every snapshot take the one-question-at-a-time path (``git rev-parse``, ``git show``)."""
    monkeypatch.setattr(gitlocal, "resolve_commits", lambda cat, refs: None)


def test_resolve_commits_resolves_every_ref_or_none(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    git = Git(repo)
    cat = CatFile(repo)
    try:
        got = resolve_commits(cat, ["feature", "main"])
        assert [sha for sha, _ in got] == [git.rev("feature"), git.rev("main")]
        assert got[0][1] == git.run("cat-file", "commit", git.rev("feature"))
        assert resolve_commits(cat, ["HEAD~0"])[0][0] == git.rev("HEAD")
        tree = git.run("rev-parse", "main^{tree}").decode().strip()
        for refs in (["feature", "no-such-ref"], ["main..feature"], ["^main"], ["--all"], ["a b"], [""], [], [tree],
                     ["main:a.py"]):
            assert resolve_commits(cat, refs) is None, refs
    finally:
        cat.close()
    not_repo = CatFile(str(tmp_path))
    try:
        assert resolve_commits(not_repo, ["HEAD"]) is None
    finally:
        not_repo.close()


def test_the_snapshot_is_the_same_with_the_fast_and_the_slow_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n", "b.py": "y = 1\n"})
    fast = LocalGitSource(repo, base="main", head="feature").snapshot()
    _slow(monkeypatch)
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
    from bot.adapters.gitlocal import GitTree, _config  # noqa: PLC0415
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
        assert snap.pr.repo == repo_identity(str(Path(repo).resolve()), _config(git)[0]) == "octo/demo"
        tree = GitTree(git, CatFile(repo), snap.pr.policy_sha)
        try:
            assert snap.policy_text == tree.read(".quorum.yml").decode() == policy
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
    monkeypatch.setattr(gitlocal, "commit_facts", lambda raw: None)  # the head commit read as git show would not
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


def _sh(repo: Path, *args: str) -> str:
    import subprocess  # noqa: PLC0415

    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e",
           "HOME": str(repo), "PATH": "/usr/bin:/bin:/usr/local/bin", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


def _commit(repo: Path, name: str, text: str, message: str) -> None:
    (repo / name).write_text(text)
    _sh(repo, "add", name)
    _sh(repo, "commit", "-q", "-m", message)


def _histories(tmp_path: Path) -> dict[str, tuple[Path, str, str]]:
    """(repo, base ref, head ref) with one merge base that is not the base's tip, with two merge
    bases (a criss-cross merge), and with none (unrelated histories)."""
    diverged, _, _ = make_repo(tmp_path / "d", {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    _sh(diverged, "checkout", "-q", "main")
    _commit(diverged, "m.py", "m = 1\n", "main moves on")
    cross, _, _ = make_repo(tmp_path / "c", {"a.py": "x = 1\n"}, {"b.py": "b = 1\n"})
    _sh(cross, "checkout", "-q", "main")
    _commit(cross, "m.py", "m = 1\n", "m1")
    m1 = _sh(cross, "rev-parse", "HEAD")
    _sh(cross, "merge", "-q", "--no-edit", "feature")
    _sh(cross, "checkout", "-q", "feature")
    _sh(cross, "merge", "-q", "--no-edit", m1)
    _commit(cross, "b.py", "b = 2\n", "feature after the criss-cross")
    _sh(cross, "checkout", "-q", "main")
    _commit(cross, "m.py", "m = 2\n", "main after the criss-cross")
    unrelated, _, _ = make_repo(tmp_path / "u", {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    _sh(unrelated, "checkout", "-q", "--orphan", "other")
    _sh(unrelated, "rm", "-rq", "--cached", ".")
    _commit(unrelated, "o.py", "o = 1\n", "an unrelated root")
    return {"diverged": (diverged, "main", "feature"), "criss-cross": (cross, "main", "feature"),
            "unrelated": (unrelated, "other", "feature")}


def test_the_diff_beside_the_merge_base_is_the_diff_from_the_merge_base(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """With both refs known, the snapshot asks ``git diff base...head`` beside ``git merge-base
    --all``; it keeps that diff only when there is exactly one merge base, and gives the same
    snapshot as the path that asks for the merge base first, on every history shape."""
    cases = _histories(tmp_path)
    assert len(_sh(cases["criss-cross"][0], "merge-base", "--all", "main", "feature").split()) == 2
    diffs: list[tuple[str, ...]] = []
    original = LocalGitSource._diff

    def spy(self: LocalGitSource, git: Git, *revs: str, check: bool = True) -> bytes:
        diffs.append(revs)
        return original(self, git, *revs, check=check)

    monkeypatch.setattr(LocalGitSource, "_diff", spy)
    for name, (repo, base, head) in cases.items():
        diffs.clear()
        fast = LocalGitSource(repo, base=base, head=head).snapshot()
        three_dot = [r for r in diffs if len(r) == 1 and "..." in r[0]]
        assert three_dot, name
        assert len(diffs) == (1 if name == "diverged" else 2), (name, diffs)
        with monkeypatch.context() as m:
            _slow(m)
            slow = LocalGitSource(repo, base=base, head=head).snapshot()
        try:
            assert fast.pr == slow.pr and fast.diff == slow.diff, name
            assert fast.diff.files, name
            expected = _sh(repo, "merge-base", base, head) if name != "unrelated" else _sh(repo, "rev-parse", base)
            assert fast.pr.base_sha == expected, name
        finally:
            fast.close()
            slow.close()


def test_without_a_base_the_default_branch_path_gives_the_one_after_another_snapshot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no ``--base``: ``origin/HEAD`` is read beside the head's resolution and the diff from
    the merge base beside ``merge-base --all``; the snapshot is the one the path that asks one
    question after another gives, whatever the history: a diverged default branch, a criss-cross
    merge, the head on the default branch (its first parent), ``origin/HEAD`` naming the branch,
    and no default branch at all."""
    cases = _histories(tmp_path)
    on_main, _, _ = make_repo(tmp_path / "m", {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    _sh(on_main, "checkout", "-q", "main")
    _sh(on_main, "merge", "-q", "--ff-only", "feature")
    with_origin, _, _ = make_repo(tmp_path / "o", {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    _sh(with_origin, "branch", "-q", "-m", "main", "trunkish")
    _sh(with_origin, "update-ref", "refs/remotes/origin/trunkish", "trunkish")
    _sh(with_origin, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunkish")
    no_default, _, _ = make_repo(tmp_path / "n", {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    _sh(no_default, "branch", "-q", "-m", "main", "develop")
    heads = {"diverged": cases["diverged"][0], "criss-cross": cases["criss-cross"][0], "on main": on_main,
             "origin/HEAD": with_origin, "no default branch": no_default}
    for name, repo in heads.items():
        head = "main" if name == "on main" else "feature"
        fast = LocalGitSource(repo, head=head).snapshot()
        with monkeypatch.context() as m:
            _slow(m)
            slow = LocalGitSource(repo, head=head).snapshot()
        try:
            assert fast.pr == slow.pr and fast.diff == slow.diff and fast.policy_text == slow.policy_text, name
            assert fast.diff.files, name
        finally:
            fast.close()
            slow.close()
    parent = _sh(on_main, "rev-parse", "main^1")
    snap = LocalGitSource(on_main, head="main").snapshot()
    try:
        assert snap.pr.base_sha == parent and snap.pr.policy_sha == parent
    finally:
        snap.close()


def test_fixed_commits_start_the_diff_beside_the_resolution_and_give_the_same_snapshot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Full SHAs (maybe with ^/~ steps) cannot move: the diff and merge base start before the refs
    are resolved, with the refs as given; the snapshot is the one a branch name gives, on every
    history shape; anything else waits for the resolution."""
    from bot.adapters.gitlocal import _fixed  # noqa: PLC0415

    sha = "a" * 40
    assert _fixed(sha) and _fixed(sha + "^") and _fixed(sha + "~2^2") and _fixed("b" * 64)
    for ref in ("main", "HEAD", sha[:39], sha + "x", sha.upper(), sha + "^{commit}", sha + "@{1}", "", sha + ":a.py"):
        assert not _fixed(ref), ref
    started: list[tuple[str, ...]] = []
    original = LocalGitSource._merge_bases_and_diff

    def spy(self: LocalGitSource, git: Git, side: list, target: str, head: str):  # noqa: ANN202
        started.append((target, head))
        return original(self, git, side, target, head)

    monkeypatch.setattr(LocalGitSource, "_merge_bases_and_diff", spy)
    for name, (repo, base, head) in _histories(tmp_path).items():
        base_sha, head_sha = _sh(repo, "rev-parse", base), _sh(repo, "rev-parse", head)
        started.clear()
        by_name = LocalGitSource(repo, base=base, head=head).snapshot()
        assert started == [(base_sha, head_sha)], name  # after the resolution, with its SHAs
        started.clear()
        by_sha = LocalGitSource(repo, base=base_sha, head=head_sha).snapshot()
        assert started == [(base_sha, head_sha)], name  # as given, before the resolution
        started.clear()
        parent = LocalGitSource(repo, base=head_sha + "^", head=head_sha).snapshot()
        assert started == [(head_sha + "^", head_sha)], name
        try:
            same = ("repo", "title", "body", "author", "base_sha", "head_sha", "policy_sha")
            assert [getattr(by_sha.pr, k) for k in same] == [getattr(by_name.pr, k) for k in same], name
            assert by_sha.diff == by_name.diff and by_sha.policy_text == by_name.policy_text, name
            assert parent.pr.policy_sha == _sh(repo, "rev-parse", head + "^"), name
        finally:
            by_name.close()
            by_sha.close()
            parent.close()
    assert _side_threads() == []
