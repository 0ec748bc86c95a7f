"""The parse-once view of a review's changed files: both versions' bytes and syntax trees, shared by
every agent of one review.

``ReviewContext.files`` is a :class:`ChangedFiles`. Agents read a file version with
:meth:`ChangedFiles.read` and get its tree-sitter tree with :meth:`ChangedFiles.tree`. Each
(side, path) is read once and parsed at most once per review, whichever agent asks first. Agents
run in parallel threads: a per-key lock makes the second asker wait for the first parse instead
of parsing again. :attr:`ChangedFiles.parses` counts the parses, which tests use to check the
invariant. Files over :data:`MAX_PARSE_BYTES` are not parsed (``tree`` returns None). Callers then
fall back to line-level checks and say so.

Pure apart from the two read-only :class:`~bot.core.protocols.TreeView` objects it wraps.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Literal

from tree_sitter import Tree

from bot.core import treesitter
from bot.core.diff import ChangeKind, FileChange
from bot.core.protocols import TreeView

Side = Literal["base", "head"]

MAX_PARSE_BYTES = 1_500_000
"""Versions larger than this are not parsed (tree-sitter parses ~7 MB/s per core here; DESIGN.md)."""


class ChangedFiles:
    """Read-once, parse-once access to the base and head versions of files in one review.

    Methods are thread-safe. ``parses`` counts parses by ``(side, path)``. Other per-review facts
    derived from the trees (the definitions cache of :func:`subagents._syntax.defs_cache`) are
    computed once through :meth:`memo`.
    """

    def __init__(self, base: TreeView, head: TreeView, changes: Iterable[FileChange] = ()) -> None:
        self._views: dict[str, TreeView] = {"base": base, "head": head}
        self._changes: dict[str, FileChange] = {
            fc.path: fc for fc in changes
            if fc.kind in (ChangeKind.modified, ChangeKind.renamed) and not fc.is_binary and not fc.is_submodule
        }
        self._bytes: dict[tuple[str, str], bytes | None] = {}
        self._trees: dict[tuple[str, str, str | None], Tree | None] = {}
        self._memo: dict[Hashable, Any] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()
        self.parses: Counter[tuple[str, str]] = Counter()

    def _lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    def read(self, side: Side | str, path: str) -> bytes | None:
        """The bytes of ``path`` in the ``side`` revision (None when absent), read once."""
        key = (side, path)
        if key in self._bytes:
            return self._bytes[key]
        with self._lock(("read", *key)):
            if key not in self._bytes:
                self._bytes[key] = self._views[side].read(path)
        return self._bytes[key]

    def text(self, side: Side | str, path: str) -> str | None:
        """:meth:`read`, decoded as UTF-8 with replacement."""
        data = self.read(side, path)
        return None if data is None else data.decode("utf-8", "replace")

    def tree(self, side: Side | str, path: str, language: str | None) -> Tree | None:
        """The tree-sitter tree of ``path`` in ``side``, parsed with grammar ``language`` at most once
        per review. None when the file is absent, larger than :data:`MAX_PARSE_BYTES`, or the
        language has no grammar."""
        key = (side, path, language)
        if key in self._trees:
            return self._trees[key]
        with self._lock(("tree", *key)):
            if key not in self._trees:
                data = self.read(side, path)
                tree = None
                if data is not None and language is not None and treesitter.supported(language) and len(data) <= MAX_PARSE_BYTES:
                    tree = self._from_base(path, language, data) if side == "head" else None
                    if tree is None:
                        tree = treesitter.parse(language, data)
                    self.parses[(side, path)] += 1
                self._trees[key] = tree
        return self._trees[key]

    def _from_base(self, path: str, language: str, data: bytes) -> Tree | None:
        """The head tree of a modified or renamed file parsed incrementally from its base tree
        (:func:`~bot.core.treesitter.reparse`, edits from the diff's hunks): it shares every
        unchanged subtree with the base tree, so a small change to a large file costs little time
        and memory. None (parse from scratch) when the file is not a modified one of the diff, the
        base has no tree or a syntax error, the hunks do not describe the bytes exactly, or the
        result has a syntax error (error recovery may differ from a fresh parse; then the fresh
        parse is the one kept)."""
        change = self._changes.get(path)
        if change is None or change.language != language:
            return None
        old_path = change.old_path or change.path
        base = self.tree("base", old_path, language)
        old = self.read("base", old_path)
        if base is None or old is None or base.root_node.has_error:
            return None
        spans = [(h.source_start - 1 if h.source_length else h.source_start, h.source_length,
                  h.target_start - 1 if h.target_length else h.target_start, h.target_length) for h in change.hunks]
        edits = treesitter.line_edits(old, data, spans, old_starts=self.line_starts("base", old_path),
                                      new_starts=self.line_starts("head", path))
        if edits is None:
            return None
        tree = treesitter.reparse(language, base, data, edits)
        return None if tree.root_node.has_error else tree

    def line_starts(self, side: Side | str, path: str) -> list[int] | None:
        """The byte offset of each line of ``path`` in ``side`` (:func:`~bot.core.treesitter.line_starts`),
        computed once per review (the incremental parse of a head tree computes both versions';
        the execution_paths agent finds definitions by line); None when the file is absent. The
        caller must not change the list."""
        data = self.read(side, path)
        if data is None:
            return None
        return self.memo(("line_starts", side, path), lambda: treesitter.line_starts(data))

    def change_tree(self, change: FileChange, side: Side | str) -> Tree | None:
        """The tree of one side of a changed file: the base uses ``old_path`` for renames."""
        path = (change.old_path or change.path) if side == "base" else change.path
        return self.tree(side, path, change.language)

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per review for ``key`` (thread-safe); later calls return the same object."""
        if key in self._memo:
            return self._memo[key]
        with self._lock(("memo", key)):
            if key not in self._memo:
                self._memo[key] = compute()
        return self._memo[key]


__all__ = ["MAX_PARSE_BYTES", "ChangedFiles", "Side"]
