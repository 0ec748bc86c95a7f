"""Real git repositories behind the fake GitHub (``FakeGitHub(git_root=...)``): each fake commit is
written as a real commit, so its SHA is the one git computes, and branches and ``refs/pull/<n>/head``
are real refs of a bare repository ``<git_root>/<owner>/<name>.git`` that a test fetches over
``file://`` as the App fetches ``https://github.com/<owner>/<name>.git``.

Only git object writes (``hash-object``, ``update-index`` with a private index, ``write-tree``,
``commit-tree``, ``update-ref``) through the project's git runner. Never used by production code.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.adapters.gitrun import run_git


class GitStore:
    """Bare repositories under ``root``, one per fake repository."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._tick = 0

    @property
    def url(self) -> str:
        """``file://<root>``: the git host of the fake (``<url>/<owner>/<name>.git``)."""
        return f"file://{self.root.resolve()}"

    def path(self, full_name: str) -> Path:
        """The bare repository of ``owner/name`` (created when missing)."""
        path = self.root / f"{full_name}.git"
        if not path.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            run_git(path.parent, "init", "--bare", "--quiet", str(path))
        return path

    def commit(self, full_name: str, files: dict[str, bytes], parents: list[str], *, author: str, committer: str,
               message: str) -> tuple[str, str]:
        """Write a commit of exactly ``files`` on ``parents``; returns ``(commit SHA, tree SHA)``.
        Dates advance one second per commit from now, so the order of commits is the order of calls."""
        repo = self.path(full_name)
        lines = []
        for path, data in sorted(files.items()):
            blob = run_git(repo, "hash-object", "-w", "--stdin", input=data).stdout.decode().strip()
            lines.append(f"100644 {blob}\t{path}\n")
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            run_git(repo, "update-index", "--add", "--index-info", input="".join(lines).encode(), env=env)
            tree = run_git(repo, "write-tree", env=env).stdout.decode().strip()
        self._tick += 1
        date = datetime.fromtimestamp(int(time.time()) + self._tick, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        env = {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": f"{author}@users.noreply.github.com",
               "GIT_COMMITTER_NAME": committer, "GIT_COMMITTER_EMAIL": f"{committer}@users.noreply.github.com",
               "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "HOME": "/nonexistent"}
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", parent]
        sha = run_git(repo, *args, input=message.encode(), env=env).stdout.decode().strip()
        return sha, tree

    def set_refs(self, full_name: str, refs: dict[str, str], head: str | None = None) -> None:
        """Point each ref (``refs/heads/main``, ``refs/pull/1/head``) at its commit, and ``HEAD`` at
        branch ``head`` (the default branch) when given."""
        repo = self.path(full_name)
        script = "".join(f"update {ref} {sha}\n" for ref, sha in sorted(refs.items()))
        run_git(repo, "update-ref", "--stdin", input=script.encode())
        if head is not None:
            run_git(repo, "symbolic-ref", "HEAD", f"refs/heads/{head}")


__all__ = ["GitStore"]
