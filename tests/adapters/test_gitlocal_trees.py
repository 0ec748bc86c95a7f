"""Reading a commit's files without listing its tree: ``GitTree.blob_ids`` / ``read`` /
``read_many`` find exactly the files ``list_files`` (``git ls-tree -r``) lists, ``CatFile.read_many``
answers as one ``read`` per object does, and ``commit_facts`` reads a commit as ``git show`` does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.adapters import gitlocal
from bot.adapters.gitlocal import (
    CatFile,
    Git,
    GitTree,
    LocalGitSource,
    commit_facts,
    listing_entries,
    resolve_commits,
    tree_entries,
)
from bot.core.errors import SourceError
from bot.testing.gitrepo import commit, git, init_repo, make_repo, write_files

ODD = os.fsdecode(b"caf\xe9 name.txt")  # not UTF-8: kept with surrogateescape, as the listing keeps it


def _tricky_repo(tmp_path: Path) -> tuple[Path, str]:
    repo = init_repo(tmp_path / "r")
    write_files(repo, {
        "a.py": "x = 1\n", "dir/b.py": "y = 2\n", "dir/sub/c.txt": "c\n", "dir/sub/deeper/d.md": "d\n",
        ".github/CODEOWNERS": "* @o\n", "docs/CODEOWNERS": "* @d\n", ".quorum/risk-model.json": "{}\n",
        "sp ace/é.py": "z = 3\n", "tool.sh": "#!/bin/sh\n",
    })
    (repo / ODD).write_bytes(b"odd\n")
    os.chmod(repo / "tool.sh", 0o755)
    os.symlink("a.py", repo / "link.py")
    os.symlink("dir", repo / "dirlink")
    commit(repo, "base")
    sub = git(repo, "rev-parse", "HEAD")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sub},vendored")
    return repo, commit(repo, "with a submodule")


def test_blob_ids_find_exactly_the_listed_files(tmp_path: Path) -> None:
    repo, sha = _tricky_repo(tmp_path)
    cat = CatFile(str(repo))
    try:
        listed = GitTree(Git(repo), cat, sha).list_files()
        assert {"a.py", "tool.sh", "dir/sub/deeper/d.md", ODD} <= set(listed)
        assert not {"link.py", "dirlink", "vendored", "dir"} & set(listed)
        asked = [*listed, "link.py", "dirlink", "dirlink/b.py", "vendored", "vendored/x", "dir", "dir/", "/a.py",
                 "dir//b.py", "", "a.py/x", "nope", "dir/nope.py", "dir/sub/deeper/nope", "./a.py", "dir/../a.py"]
        walked = GitTree(Git(repo), cat, sha)
        assert walked.blob_ids(asked) == {path: listed.get(path) for path in asked}
        assert walked._files is None  # no listing was read
        for path in asked:
            assert GitTree(Git(repo), cat, sha).read(path) == walked.read(path)
        listing = GitTree(Git(repo), cat, sha)
        listing.list_files()
        assert listing.read_many(asked) == walked.read_many(asked)
        assert walked.read_many(["a.py", "link.py", "dir/b.py"]) == {"a.py": b"x = 1\n", "link.py": None,
                                                                     "dir/b.py": b"y = 2\n"}
    finally:
        cat.close()


def test_a_listing_from_known_entries_is_the_listing(tmp_path: Path) -> None:
    """``list_files(known)`` with the entries of an earlier commit's listing (files since changed,
    made executable, removed, added; an odd name, a symbolic link, a submodule) lists exactly what
    ``list_files()`` lists, and takes a known entry as given instead of parsing it."""
    repo, sha = _tricky_repo(tmp_path)
    cat = CatFile(str(repo))
    try:
        first = GitTree(Git(repo), cat, sha).list_files()
        known = listing_entries(first)
        assert len(known) == 2 * len(first)
        write_files(repo, {"a.py": "x = 2\n", "new.py": "n = 1\n"})
        os.chmod(repo / "dir" / "b.py", 0o755)
        os.remove(repo / "dir" / "sub" / "c.txt")
        later = commit(repo, "later")
        for rev in (sha, later):
            plain = GitTree(Git(repo), cat, rev).list_files()
            assert GitTree(Git(repo), cat, rev).list_files(known) == plain
        assert GitTree(Git(repo), cat, later).list_files(known)["dir/b.py"] == first["dir/b.py"]
        entry = next(k for k, v in known.items() if v[0] == ODD and k.startswith(b"100644"))
        marked = GitTree(Git(repo), cat, sha)
        assert marked.list_files({entry: (ODD, "taken")})[ODD] == "taken"
        assert marked.list_files() == marked.list_files(known)  # listed once
    finally:
        cat.close()


def test_a_tree_git_cannot_give_is_an_error_not_an_absent_file(tmp_path: Path) -> None:
    repo, _ = _tricky_repo(tmp_path)
    cat = CatFile(str(repo))
    try:
        with pytest.raises(SourceError, match="cannot read tree"):
            GitTree(Git(repo), cat, "0" * 40).read(".quorum.yml")
    finally:
        cat.close()


def test_tree_entries_parse_modes_and_ids() -> None:
    data = b"100644 a.py\0" + bytes(range(20)) + b"40000 d\0" + bytes(20) + b"100644 a.py\0" + b"\xff" * 20
    assert tree_entries(data, 20) == {b"a.py": (0o100644, "ff" * 20), b"d": (0o40000, "00" * 20)}
    with pytest.raises(ValueError):
        tree_entries(b"100644 a.py\0" + bytes(5), 20)


def test_a_diff_of_two_commits_reads_no_filter_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``objects_only`` (the snapshot's diff) skips the filter-settings read; a plain ``git diff``
    through the runner still does it (it may read the work tree)."""
    from bot.adapters import gitrun  # noqa: PLC0415

    repo, base, head = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    asked: list[str] = []
    monkeypatch.setattr(gitrun, "filter_overrides", lambda repo: asked.append(str(repo)) or [])
    assert b"+x = 2" in gitrun.run_git(repo, "diff", base, head, objects_only=True).stdout
    assert asked == []
    gitrun.run_git(repo, "diff", base, head)
    assert asked == [str(repo)]


def test_read_many_answers_as_one_read_per_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, sha = _tricky_repo(tmp_path)
    listed = GitTree(Git(repo), CatFile(str(repo)), sha).list_files()  # ls-tree only: no cat-file process
    specs = [*listed.values(), "0" * 40, "no\nnewline", f"{sha}:a.py", "HEAD^{commit}", f"{sha}^{{tree}}", "main"]
    monkeypatch.setattr(gitlocal, "BATCH_BYTES", 100)  # several batches
    cat = CatFile(str(repo))
    try:
        many = cat.read_many(specs)
        one = [cat.read(spec) for spec in specs]
        assert [None if m is None else m[1:] for m in many] == one
        assert many[specs.index("main")][0] == git(repo, "rev-parse", "main")
    finally:
        cat.close()
    gone = CatFile(str(tmp_path))  # not a repository: git exits at once
    try:
        assert gone.read_many(["HEAD", "HEAD"]) == [None, None]
    finally:
        gone.close()


def _show_facts(repo: Path, sha: str) -> tuple[str, str, str]:
    return LocalGitSource._commit_facts(Git(repo), sha)


@pytest.mark.parametrize("message", [
    "one line", "subject\n\nbody line 1\nline 2\n", "  padded subject  \n\n\n  body  \n\n", "ünïcode ✓\n\nbödy",
    "subject\nsecond line without a blank", "\n\n\nleading blank lines\n\nbody",
])
@pytest.mark.parametrize("author", ["Ann Author", "  Spaced   Name  ", "Zoë Ünicode", "a.b"])
def test_commit_facts_read_a_commit_as_git_show_does(tmp_path: Path, message: str, author: str) -> None:
    repo = init_repo(tmp_path / "r")
    write_files(repo, {"a": "1"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--cleanup=verbatim", "-m", message, author=author)
    sha = git(repo, "rev-parse", "HEAD")
    raw = Git(repo).run("cat-file", "commit", sha)
    assert commit_facts(raw) == _show_facts(repo, sha)


def test_commit_facts_leave_to_git_show_what_it_could_read_otherwise() -> None:
    base = b"tree " + b"0" * 40 + b"\nauthor A <a@e> 1 +0000\ncommitter C <c@e> 1 +0000\n"
    assert commit_facts(base + b"\nsubject\n\nbody\n") == ("subject", "body", "A")
    assert commit_facts(base + b"encoding ISO-8859-1\n\ncaf\xe9\n") is None
    assert commit_facts(base + b"\nnul\0byte\n") is None
    assert commit_facts(base) is None  # no blank line
    assert commit_facts(base + b"author B <b@e> 2 +0000\n\ntwo authors\n") is None
    assert commit_facts(base.replace(b"A <a@e>", b"no mail") + b"\nm\n") is None
    assert commit_facts(base.replace(b"A <a@e>", b"A <unclosed") + b"\nm\n") is None


def test_a_commit_git_show_would_re_encode_is_read_by_git_show(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    git(repo, "config", "i18n.logOutputEncoding", "ISO-8859-1")
    git(repo, "commit", "-q", "--allow-empty", "-m", "café subject", author="Zoë")
    fast = LocalGitSource(repo, base="main", head="feature").snapshot()
    monkeypatch.setattr(gitlocal, "resolve_commits", lambda cat, refs: None)
    slow = LocalGitSource(repo, base="main", head="feature").snapshot()
    try:
        assert fast.pr == slow.pr
        assert fast.pr.title == "caf\ufffd subject"  # git show re-encoded it to Latin-1
    finally:
        fast.close()
        slow.close()


def test_the_snapshot_reads_policy_files_without_listing_a_tree(tmp_path: Path) -> None:
    repo, sha = _tricky_repo(tmp_path)
    write_files(repo, {".quorum.yml": "version: 1\n"})
    head = commit(repo, "policy")
    snap = LocalGitSource(repo, base=sha, head=head).snapshot()
    try:
        assert snap.codeowners_text == "* @o\n" and snap.risk_model_text == "{}\n" and snap.policy_text is None
        assert snap.base._files is None and snap.head._files is None  # type: ignore[attr-defined]
        cat = CatFile(str(repo))
        try:
            known = resolve_commits(cat, [head])
        finally:
            cat.close()
        assert known is not None and snap.pr.head_sha == known[0][0]
    finally:
        snap.close()


def test_a_tree_named_by_a_short_sha_or_a_ref_is_walked_the_same(tmp_path: Path) -> None:
    repo, sha = _tricky_repo(tmp_path)
    cat = CatFile(str(repo))
    try:
        paths = ["a.py", "dir/sub/deeper/d.md", "link.py", ODD, "nope"]
        full = GitTree(Git(repo), cat, sha).blob_ids(paths)
        assert full["a.py"] is not None and full["link.py"] is None
        assert GitTree(Git(repo), cat, sha[:12]).blob_ids(paths) == full
        assert GitTree(Git(repo), cat, "main").blob_ids(paths) == full
    finally:
        cat.close()


def test_a_failed_snapshot_stops_its_cat_file_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolution starts ``git cat-file`` first: a snapshot that then fails stops it (no process
    and no pipe left for the collector), and a git that is gone before its request is written
    (not a repository) closes without an error."""
    stopped: list[object] = []
    real_close = CatFile.close

    def close(self: CatFile) -> None:
        stopped.append(self)
        real_close(self)

    monkeypatch.setattr(CatFile, "close", close)
    with pytest.raises(SourceError, match="not a git repository"):
        LocalGitSource(tmp_path).snapshot()
    repo, _, _ = make_repo(tmp_path / "r", {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"})
    with pytest.raises(SourceError, match="unknown ref"):
        LocalGitSource(repo, base="main", head="no-such-ref").snapshot()
    assert len(stopped) == 2
    for _ in range(20):  # the broken pipe is a race: git may exit before or after the write
        gone = CatFile(str(tmp_path))
        assert gone.read_many(["HEAD"] * 50) == [None] * 50
        gone.close()


def _listing_ahead_in_a_fork(repo: str, sha: str, plain: dict[str, str]) -> None:
    """In a fresh interpreter (no thread): a child forked after the listing started lists on its
    own and leaves the parent's git run alone; the parent then reads that run."""
    cat = CatFile(repo)
    try:
        tree = GitTree(Git(repo), cat, sha)
        tree.prefetch_listing()
        started = tree._listing
        assert started is not None
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                code = 0 if tree.list_files() == plain else 1
            finally:
                os._exit(code)
        assert os.waitpid(pid, 0)[1] == 0
        assert started._proc is not None  # the child neither waited for nor read the parent's run
        assert tree.list_files() == plain
        assert started._proc is None and started._data is not None  # read by the parent
    finally:
        cat.close()


def test_a_listing_started_ahead_is_the_listing(tmp_path: Path) -> None:
    """``prefetch_listing`` starts ``git ls-tree`` early; ``list_files`` (with or without known
    entries) then gives exactly what it gives without, a second start runs nothing more, a
    failing run reports git's own error, and ``close`` stops and reaps a run nobody read."""
    import multiprocessing  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    repo, sha = _tricky_repo(tmp_path)
    cat = CatFile(str(repo))
    try:
        plain = GitTree(Git(repo), cat, sha).list_files()
        for known in (None, listing_entries(plain)):
            ahead = GitTree(Git(repo), cat, sha)
            ahead.prefetch_listing()
            started = ahead._listing
            ahead.prefetch_listing()
            assert ahead._listing is started is not None
            ahead.settle_listing()
            assert ahead._files is None and started._data is not None  # read, not parsed
            assert ahead.list_files(known) == plain
            assert ahead._listing is None
            ahead.prefetch_listing()  # listed already: nothing starts
            assert ahead._listing is None
        missing = "1" * 40
        bad = GitTree(Git(repo), cat, missing)
        bad.prefetch_listing()
        with pytest.raises(SourceError) as ahead_error:
            bad.list_files()
        with pytest.raises(SourceError) as plain_error:
            GitTree(Git(repo), cat, missing).list_files()
        assert str(ahead_error.value) == str(plain_error.value)
        unread = GitTree(Git(repo), cat, sha)
        unread.prefetch_listing()
        proc = unread._listing._proc  # type: ignore[union-attr]
        unread.close()
        assert proc is not None and proc.returncode is not None  # stopped or done, and reaped
    finally:
        cat.close()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(_listing_ahead_in_a_fork, str(repo), sha, plain).result(timeout=120)
