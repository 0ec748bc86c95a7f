"""Build real git repositories in a directory: a base commit on ``main`` and a head commit on a branch.

Used by tests and by the eval scenario suite. Runs only git (with a fixed identity and dates, so
SHAs are reproducible); never runs anything from the files it writes.
"""

from __future__ import annotations

from pathlib import Path

from bot.adapters.gitrun import run_git

FileMap = dict[str, "str | bytes | None"]

_ENV = {
    "GIT_AUTHOR_NAME": "Quorum Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Quorum Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "HOME": "/nonexistent",
}


def git(repo: Path | str, *args: str, author: str | None = None, date: str | None = None,
        email: str | None = None) -> str:
    """Run git in ``repo`` with a fixed identity through the project's git runner
    (:func:`bot.adapters.gitrun.run_git`); return stripped stdout. Raises GitError.

    ``author``/``email``: author name and e-mail (default: the fixed ones); ``date``: ISO 8601
    author and committer date instead of the fixed one."""
    env = dict(_ENV)
    if author:
        env["GIT_AUTHOR_NAME"] = author
    if email:
        env["GIT_AUTHOR_EMAIL"] = email
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return run_git(repo, *args, env=env).stdout.decode("utf-8", "replace").strip()


def write_files(repo: Path, files: FileMap) -> None:
    """Write (str -> UTF-8, bytes as is) or delete (None) files below ``repo``."""
    for rel, content in files.items():
        target = repo / rel
        if content is None:
            if target.exists() or target.is_symlink():
                target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def commit(repo: Path, message: str, *, author: str | None = None, date: str | None = None,
           email: str | None = None) -> str:
    """Stage everything and commit (allowing empty); return the new HEAD SHA. ``date``: ISO 8601."""
    git(repo, "add", "-A")
    if len(message) > 100_000:  # past the kernel's limit on one argument: pass it in a file
        msg = Path(git(repo, "rev-parse", "--absolute-git-dir")) / "QUORUM_COMMIT_MSG"
        msg.write_text(message, encoding="utf-8")
        git(repo, "commit", "-q", "--allow-empty", "--no-verify", "--cleanup=verbatim", "-F", str(msg), author=author,
            date=date, email=email)
        msg.unlink()
    else:
        git(repo, "commit", "-q", "--allow-empty", "--no-verify", "-m", message, author=author, date=date, email=email)
    return git(repo, "rev-parse", "HEAD")


def init_repo(path: Path) -> Path:
    """``git init`` on branch ``main`` (hooks disabled); return the path."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "core.hooksPath", "/dev/null")
    git(path, "config", "commit.gpgsign", "false")
    return path


def make_repo(
    root: Path,
    base_files: FileMap,
    head_files: FileMap,
    *,
    title: str = "Update code",
    body: str = "",
    author: str | None = None,
    name: str = "repo",
) -> tuple[Path, str, str]:
    """Create ``root/name`` with a base commit on ``main`` and a head commit on branch ``feature``.

    ``head_files`` is applied on top of ``base_files`` (None deletes). Returns
    ``(repo_path, base_sha, head_sha)``; HEAD is left on ``feature``.
    """
    repo = init_repo(root / name)
    write_files(repo, base_files)
    base_sha = commit(repo, "Initial commit")
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, head_files)
    message = title if not body else f"{title}\n\n{body}"
    head_sha = commit(repo, message, author=author)
    return repo, base_sha, head_sha
