"""A warm code index for a long-lived process (``quorum replay``, the App worker): an
``index_builder`` for :class:`bot.pipeline.PipelineOptions` that keeps the decoded
:class:`~bot.codeindex.index.FileEntry` of every file of the last tree it indexed, in memory.

Reviewing PR after PR of one repository, consecutive head trees share almost every blob: the
next build takes the cached rows (or parses what is new) as usual, but reuses the FileEntry
objects (their parsed headers and, once decoded, their symbols) of unchanged files instead of
decoding them again. Memory stays bounded by one tree: entries of files not in the latest tree
are dropped after each build.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bot.codeindex.builder import collect
from bot.codeindex.index import CodeIndex, FileEntry
from bot.core.protocols import TreeView


class WarmIndex:
    """``WarmIndex(workers=None)(tree, cache_dir=None) -> CodeIndex``; thread-safe.

    ``workers`` is passed to the builder (None: its default; 0 or 1: parse in process, which a
    pool of review processes should choose so as not to fork parse workers of its own). Raises
    what :meth:`CodeIndex.build` raises (git errors from ``tree``).
    """

    def __init__(self, *, workers: int | None = None) -> None:
        self.workers = workers
        self.reused = 0
        self._entries: dict[tuple[str, str], FileEntry] = {}
        self._lock = threading.Lock()

    def __call__(self, tree: TreeView, cache_dir: Path | None = None) -> CodeIndex:
        """Index ``tree``, reusing the entries of files whose (path, blob) were in the last tree."""
        rows, stats = collect(tree, cache_dir, workers=self.workers)
        with self._lock:
            known = self._entries
            entries: list[FileEntry] = []
            for path, blob, _language, header, data in rows:
                entry = known.get((path, blob))
                if entry is None:
                    entry = FileEntry.from_row(path, blob, header, data)
                else:
                    self.reused += 1
                entries.append(entry)
            self._entries = {(e.path, e.blob): e for e in entries}
        return CodeIndex(entries, stats)
