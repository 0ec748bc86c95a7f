"""On-disk cache of extracted symbols, keyed by git blob SHA (SQLite, stdlib ``sqlite3``).

One row per ``(blob, path, language, extractor version)``: the path is part of the key because
qualified names are derived from it (a renamed file is parsed again, an unchanged one never).
Each row holds what :func:`bot.codeindex.builder.extract_entry` produced: a small header (names,
imports) and the full symbol data (zlib-compressed, decoded lazily), both ``marshal`` of plain
data. Never pickle: whoever can write the cache directory must not be able to run code
through it (loading marshal data builds values, it never calls anything).

Several processes may share a directory (WAL mode, 10 s busy timeout). A corrupt or unreadable
cache is reported by :class:`CacheError` and callers fall back to parsing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from bot.codeindex.model import EXTRACTOR_VERSION

CACHE_FILE = "codeindex-v4.sqlite3"
"""v4: 64 KiB pages (a v3 file, 4 KiB pages, is left unused where it is)."""

PAGE_SIZE = 65_536
"""SQLite page size of a new cache file. A warm review reads one row per file of its tree, spread
over the whole file; with 4 KiB pages each row cost several ``pread`` calls (B-tree descent and
overflow pages), and reading grpc-go's 1,055 rows took 12-16 ms of CPU in a fresh process, 9-12
ms with 64 KiB pages on a cache filled the same way (RESULTS.md, "Eighth session, warm index
load"). Writing is as cheap either way (1,222 rows in batches of 20: 0.04 s CPU)."""

_CHUNK = 400


def _path_key(path: str) -> bytes:
    """Paths are stored as bytes: git paths need not be UTF-8 (they arrive surrogate-escaped)."""
    return path.encode("utf-8", "surrogateescape")


class CacheError(Exception):
    """The cache database could not be opened, read or written (message names the file)."""


class SymbolCache:
    """Blob-SHA keyed store of extraction results in ``<directory>/codeindex-v4.sqlite3``.

    Raises :class:`CacheError` from the constructor when the directory or database is unusable.
    Use as a context manager or call :meth:`close`.
    """

    def __init__(self, directory: Path, *, version: int = EXTRACTOR_VERSION, any_thread: bool = False,
                 reader: bool = False) -> None:
        """``any_thread``: the connection may be used from threads other than this one (the
        caller then serialises every use, as :class:`bot.codeindex.lazy.LazyCodeIndex` does).
        ``reader``: only :meth:`get_many` will be used: an existing cache file is opened with no
        set-up statements (its WAL mode is stored in the file; a missing file or table is a
        :class:`CacheError`, at once or from :meth:`get_many`). Each statement releases the GIL,
        and a thread getting it back beside busy agent threads waits up to the switch interval
        (5 ms), so a read from an agent's thread makes as few as it can."""
        self.path = Path(directory) / CACHE_FILE
        self.version = version
        if reader:
            try:
                if not self.path.is_file():
                    raise CacheError(f"code index cache {self.path} unusable: no such file")
                self._db = sqlite3.connect(str(self.path), timeout=10.0, isolation_level=None, check_same_thread=not any_thread)
            except (sqlite3.Error, OSError) as exc:
                raise CacheError(f"code index cache {self.path} unusable: {exc}") from exc
            return
        try:
            Path(directory).mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=10.0, isolation_level=None, check_same_thread=not any_thread)
            self._db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect only in a new, empty file
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS symbols ("
                " blob TEXT NOT NULL, path BLOB NOT NULL, language TEXT NOT NULL, version INTEGER NOT NULL,"
                " header TEXT, data BLOB,"
                " PRIMARY KEY (blob, path, language, version)) WITHOUT ROWID"
            )
        except (sqlite3.Error, OSError) as exc:
            raise CacheError(f"code index cache {self.path} unusable: {exc}") from exc

    def get_many(self, keys: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str], tuple[bytes | None, bytes | None]]:
        """Look up ``(blob, path, language)`` keys; returns ``{(blob, path): (header, data)}`` for hits.

        ``header`` and ``data`` are None for a remembered skip (e.g. a file too large to index).
        Raises :class:`CacheError`.
        """
        wanted: dict[tuple[str, bytes, str], str] = {(blob, _path_key(path), language): path for blob, path, language in keys}
        """Row key as stored -> the path asked for (rows are matched without decoding their paths)."""
        blobs = sorted({blob for blob, _, _ in wanted})
        out: dict[tuple[str, str], tuple[bytes | None, bytes | None]] = {}
        try:
            for i in range(0, len(blobs), _CHUNK):
                part = blobs[i : i + _CHUNK]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT blob, path, language, header, data FROM symbols WHERE version = ? AND blob IN ({marks})",
                    (self.version, *part),
                )
                for blob, raw_path, language, header, data in rows:
                    path = wanted.get((blob, raw_path, language))
                    if path is not None:
                        out[(blob, path)] = (header, data)
        except sqlite3.Error as exc:
            raise CacheError(f"code index cache {self.path} unreadable: {exc}") from exc
        return out

    def put_many(self, rows: Iterable[tuple[str, str, str, bytes | None, bytes | None]]) -> int:
        """Store ``(blob, path, language, header, data)`` rows in one transaction; returns the count.

        Raises :class:`CacheError`.
        """
        items = [(b, _path_key(p), lang, self.version, h, d) for b, p, lang, h, d in rows]
        if not items:
            return 0
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO symbols VALUES (?, ?, ?, ?, ?, ?)", items)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise CacheError(f"code index cache {self.path} not writable: {exc}") from exc
        return len(items)

    def count(self) -> int:
        """Rows stored for this extractor version."""
        return int(self._db.execute("SELECT COUNT(*) FROM symbols WHERE version = ?", (self.version,)).fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def __enter__(self) -> SymbolCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
