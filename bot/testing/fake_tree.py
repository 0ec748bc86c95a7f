"""An in-memory tree fake: two revisions as dicts, the git-style diff between them, a ReviewContext.

The one shared fake of :class:`~bot.core.protocols.TreeView` (STYLE.md: one fake per interface), so
agent tests and rule fixtures need no git repository. Blob SHAs are git's (SHA-1 of
``b"blob <len>\\0" + data``), so the code index caches them like real blobs. The diff is
written the way ``git diff --full-index`` writes it (index lines, new/deleted file modes, whole-file
context ``-U3``) and parsed by :func:`bot.core.diff.parse_diff`, so hunks and line numbers are real.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping

from bot.core.context import ReviewContext
from bot.core.diff import parse_diff
from bot.core.models import PullRequestInfo
from bot.core.protocols import Snapshot

Files = Mapping[str, "str | bytes | None"]
_ZERO = "0" * 40


def blob_sha(data: bytes) -> str:
    """git's blob id: SHA-1 over ``b"blob <len>\\0" + data`` (hex, 40 characters)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class MemoryTree:
    """A read-only revision held in memory: ``{path: str | bytes}`` (str is encoded as UTF-8;
    None entries are ignored). ``sha`` is derived from the content unless given."""

    def __init__(self, files: Files, sha: str | None = None) -> None:
        self._files: dict[str, bytes] = {
            p: (c.encode("utf-8") if isinstance(c, str) else c) for p, c in files.items() if c is not None
        }
        self._blobs = {blob_sha(d): d for d in self._files.values()}
        self.sha = sha or hashlib.sha1(
            b"".join(p.encode() + b"\0" + blob_sha(d).encode() for p, d in sorted(self._files.items())),
            usedforsecurity=False,
        ).hexdigest()

    def list_files(self) -> dict[str, str]:
        """``{path: blob SHA}`` of every file."""
        return {p: blob_sha(d) for p, d in self._files.items()}

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None."""
        return self._files.get(path)

    def read_blob(self, blob_sha_hex: str) -> bytes | None:
        """The bytes of a blob by SHA, or None."""
        return self._blobs.get(blob_sha_hex)

    def close(self) -> None:
        """Nothing to release (the Snapshot contract calls it)."""


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "surrogateescape").splitlines(keepends=True)


def diff_text(base: MemoryTree, head: MemoryTree, *, context: int = 3) -> str:
    """The unified diff from ``base`` to ``head`` in ``git diff --full-index`` form (no renames;
    binary files are reported as ``Binary files ... differ``)."""
    out: list[str] = []
    for path in sorted(set(base.list_files()) | set(head.list_files())):
        old, new = base.read(path), head.read(path)
        if old == new:
            continue
        old_id = blob_sha(old) if old is not None else _ZERO
        new_id = blob_sha(new) if new is not None else _ZERO
        out.append(f"diff --git a/{path} b/{path}\n")
        if old is None:
            out.append("new file mode 100644\n")
            out.append(f"index {old_id}..{new_id}\n")
        elif new is None:
            out.append("deleted file mode 100644\n")
            out.append(f"index {old_id}..{new_id}\n")
        else:
            out.append(f"index {old_id}..{new_id} 100644\n")
        if b"\0" in (old or b"") or b"\0" in (new or b""):
            a = "/dev/null" if old is None else f"a/{path}"
            b = "/dev/null" if new is None else f"b/{path}"
            out.append(f"Binary files {a} and {b} differ\n")
            continue
        a_lines, b_lines = _lines(old or b""), _lines(new or b"")
        for seq in (a_lines, b_lines):
            if seq and not seq[-1].endswith("\n"):
                seq[-1] += "\n\\ No newline at end of file\n"
        body = list(difflib.unified_diff(
            a_lines, b_lines,
            fromfile="/dev/null" if old is None else f"a/{path}",
            tofile="/dev/null" if new is None else f"b/{path}",
            n=context,
        ))
        out.extend(body)
    return "".join(out)


def memory_snapshot(
    base: Files,
    head: Files,
    *,
    title: str = "Update code",
    body: str = "",
    author: str = "dev",
    repo: str = "example/repo",
    policy_text: str | None = None,
) -> Snapshot:
    """A :class:`Snapshot` of a pull request from ``base`` to ``head`` (``head`` lists only the files the
    head commit writes; None deletes one, as in :func:`bot.testing.gitrepo.make_repo`)."""
    head_files: dict[str, str | bytes | None] = dict(base)
    head_files.update(head)
    base_tree, head_tree = MemoryTree(base), MemoryTree(head_files)
    diff = parse_diff(diff_text(base_tree, head_tree))
    pr = PullRequestInfo(repo=repo, number=1, title=title, body=body, author=author,
                         base_ref="main", head_ref="feature", base_sha=base_tree.sha, head_sha=head_tree.sha)
    return Snapshot(pr=pr, diff=diff, base=base_tree, head=head_tree, policy_text=policy_text)


def memory_context(base: Files, head: Files, *, title: str = "Update code", body: str = "",
                   author: str = "dev", **ctx_kwargs: object) -> ReviewContext:
    """A :class:`ReviewContext` over :func:`memory_snapshot`; ``ctx_kwargs`` go to ReviewContext
    (``options=``, ``deadline=``, ``code_index=`` ...)."""
    s = memory_snapshot(base, head, title=title, body=body, author=author)
    return ReviewContext(pr=s.pr, diff=s.diff, base=s.base, head=s.head, **ctx_kwargs)  # type: ignore[arg-type]


__all__ = ["MemoryTree", "blob_sha", "diff_text", "memory_context", "memory_snapshot"]
