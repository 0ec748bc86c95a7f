"""GitHubPullRequestSource and GitHubTree over the fake GitHub: the rebuilt diff matches git's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.adapters.github import BlobCache, GitHubApp, GitHubPullRequestSource, HeadMovedError, RetryPolicy
from bot.adapters.github.source import checks_state, file_diff_text
from bot.adapters.gitlocal import LocalGitSource
from bot.core.diff import ChangeKind, parse_diff
from bot.core.errors import SourceError
from bot.testing.fake_github import FakeGitHub, blob_sha
from bot.testing.gitrepo import make_repo

REPO = "acme/widgets"
BASE = {
    "README.md": "# Widgets\n",
    "src/app.py": "".join(f"line {i}\n" for i in range(1, 40)),
    "src/old.py": "def gone():\n    return 0\n",
    "assets/logo.png": b"\x89PNG\x00\x01\x02",
    ".quorum.yml": "version: 1\n",
    ".github/CODEOWNERS": "* @carol\n",
}
HEAD = {
    "src/app.py": "".join(f"line {i}\n" if i not in (5, 30) else f"changed {i}\n" for i in range(1, 40)) + "tail\n",
    "src/old.py": None,
    "src/new.py": "def fresh():\n    return 1\n",
    "assets/logo.png": b"\x89PNG\x00\x09\x09",
    ".quorum.yml": "version: 1\nauto_approve: {}\n",
}


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_repo(REPO, 42, BASE)
        yield server


def client(fake: FakeGitHub):  # noqa: ANN201
    app = GitHubApp(fake.app_id, fake.private_key_pem, fake.base_url, retry=RetryPolicy(sleep=lambda s: None),
                    seconds_between_writes=None)
    return app.repo(42, REPO)


def _lines(diff) -> dict[str, tuple[str, list, list]]:  # noqa: ANN001
    return {f.path: (f.kind.value, [(ln.new_lineno, ln.text) for ln in f.added_lines()],
                     [(ln.old_lineno, ln.text) for ln in f.removed_lines()]) for f in diff.files}


def test_snapshot_diff_matches_local_git(fake: FakeGitHub, tmp_path: Path) -> None:
    pull = fake.open_pull(REPO, HEAD, title="feat: new", body="Adds new.", author="alice")
    snap = GitHubPullRequestSource(client(fake), pull.number).snapshot()
    repo, base_sha, head_sha = make_repo(tmp_path, BASE, HEAD)
    local = LocalGitSource(repo, base="main", head="feature").snapshot()
    assert _lines(snap.diff) == _lines(local.diff)
    by_path = {f.path: f for f in snap.diff.files}
    assert by_path["assets/logo.png"].is_binary
    assert by_path["src/old.py"].kind is ChangeKind.deleted
    assert by_path["src/new.py"].kind is ChangeKind.added
    assert by_path["src/new.py"].new_blob == blob_sha(b"def fresh():\n    return 1\n")
    assert by_path["src/app.py"].old_blob == blob_sha(BASE["src/app.py"].encode())
    assert snap.pr.head_sha == pull.head_sha and snap.pr.author == "alice" and snap.pr.title == "feat: new"
    assert snap.pr.committers == ["alice"]
    assert not snap.diff.truncated


def test_policy_and_codeowners_come_from_the_base(fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, HEAD)
    snap = GitHubPullRequestSource(client(fake), pull.number).snapshot()
    assert snap.policy_text == "version: 1\n"  # the head's edited .quorum.yml is ignored
    assert snap.codeowners_text == "* @carol\n"


def test_contents_are_lazy_and_cached_by_blob_sha(fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, {"src/new.py": "x = 1\n"})
    cache = BlobCache()
    source = GitHubPullRequestSource(client(fake), pull.number, cache=cache)
    snap = source.snapshot()
    blobs_after_snapshot = len(fake.calls("GET", r"/git/blobs/"))
    assert blobs_after_snapshot == 2  # .quorum.yml and CODEOWNERS only
    assert snap.head.read("README.md") == b"# Widgets\n"
    assert snap.base.read("README.md") == b"# Widgets\n"  # same blob: served from the cache
    assert snap.head.read("src/new.py") == b"x = 1\n"
    assert snap.base.read("src/new.py") is None
    assert len(fake.calls("GET", r"/git/blobs/")) == blobs_after_snapshot + 2
    assert cache.hits >= 1
    assert set(snap.head.list_files()) == set(BASE) | {"src/new.py"}


def test_truncated_tree_is_walked(fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, {"src/deep/x/y.py": "y = 1\n"})
    fake.repos[REPO].tree_truncated = True
    snap = GitHubPullRequestSource(client(fake), pull.number).snapshot()
    assert "src/deep/x/y.py" in snap.head.list_files()
    assert snap.head.read("src/deep/x/y.py") == b"y = 1\n"
    assert len(fake.calls("GET", r"/git/trees/")) > 2


def test_omitted_patch_marks_diff_truncated(fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, {"src/app.py": "rewritten\n"})
    fake.repos[REPO].omit_patches.add("src/app.py")
    snap = GitHubPullRequestSource(client(fake), pull.number).snapshot()
    assert snap.diff.truncated
    assert any("src/app.py" in r for r in snap.diff.truncation_reasons)


def test_many_files_use_the_files_api_and_detect_a_moving_head(fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, {f"gen/f{i}.txt": f"{i}\n" for i in range(305)})
    snap = GitHubPullRequestSource(client(fake), pull.number).snapshot()
    assert len(snap.diff.files) == 305 and not snap.diff.truncated
    assert fake.calls("GET", r"/pulls/1/files$")
    fake.before("GET", r"/pulls/1/files$", lambda f, _r: f.push(REPO, 1, {"gen/late.txt": "late\n"}))
    with pytest.raises(HeadMovedError, match="moved"):
        GitHubPullRequestSource(client(fake), pull.number).snapshot()


def test_api_failure_is_a_source_error(fake: FakeGitHub) -> None:
    fake.open_pull(REPO, {"a": "b\n"})
    with pytest.raises(SourceError, match="404"):
        GitHubPullRequestSource(client(fake), 99).snapshot()


def test_bot_commits_and_draft_are_reported(fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, {"a.txt": "1\n"}, draft=True)
    fake.push(REPO, pull.number, {"a.txt": "2\n"}, author="alice", committer="quorum[bot]")
    snap = GitHubPullRequestSource(client(fake), pull.number).snapshot()
    assert snap.pr.is_draft and "quorum[bot]" in snap.pr.committers


@pytest.mark.parametrize(
    ("runs", "statuses", "expected"),
    [
        ([], [], None),
        ([{"name": "ci", "status": "completed", "conclusion": "success"}], [], True),
        ([{"name": "ci", "status": "in_progress", "conclusion": None}], [], None),
        ([{"name": "ci", "status": "completed", "conclusion": "failure"}], [], False),
        ([{"name": "quorum", "status": "completed", "conclusion": "failure"}], [], None),
        ([{"name": "ci", "status": "completed", "conclusion": "success"}], [{"state": "pending"}], None),
        ([], [{"state": "error"}], False),
        ([], [{"state": "success"}], True),
    ],
)
def test_checks_state(runs: list, statuses: list, expected: bool | None) -> None:
    assert checks_state(runs, {"statuses": statuses}) is expected


def test_checks_read_from_the_head(fake: FakeGitHub) -> None:
    pull = fake.open_pull(REPO, {"a.txt": "1\n"})
    fake.add_check(REPO, pull.head_sha, "ci", "failure")
    assert GitHubPullRequestSource(client(fake), pull.number).snapshot().pr.checks_passed is False


def test_rename_and_mode_change_entries_parse() -> None:
    entry = {"filename": "b.py", "previous_filename": "a.py", "status": "renamed", "additions": 1, "deletions": 1,
             "sha": "2" * 40, "patch": "@@ -1 +1 @@\n-x = 1\n+x = 2"}
    text, missing = file_diff_text(entry, ("100644", "1" * 40), ("100755", "2" * 40))
    assert not missing
    f = parse_diff(text).files[0]
    assert f.kind is ChangeKind.renamed and f.old_path == "a.py" and f.path == "b.py" and f.mode_changed
    pure = {"filename": "c.py", "previous_filename": "a.py", "status": "renamed", "additions": 0, "deletions": 0,
            "sha": "1" * 40}
    text, missing = file_diff_text(pure, ("100644", "1" * 40), ("100644", "1" * 40))
    f = parse_diff(text).files[0]
    assert f.kind is ChangeKind.renamed and not f.is_binary and not missing
