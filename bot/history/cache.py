"""A small SQLite cache of history facts, keyed by (kind, base SHA, key).

History below a commit never changes, so an entry keyed by the base SHA is valid forever; there is
no invalidation, only a size cap (the oldest rows are dropped past :data:`MAX_ROWS`). One file per
cache directory (``history.sqlite``); each call opens its own short transaction, so several
processes (App workers, a replay) may share it. Any SQLite error is swallowed and the cache
behaves as empty: a broken cache costs time, never correctness.

:meth:`HistoryCache.prefetch` reads all of one base's rows of some kinds in one query: the history
step runs in a thread beside the agents, every SQLite call releases the GIL, and getting it back
from a busy agent thread waits up to the interpreter's switch interval (5 ms). Key by key, a warm
review's ~15 reads took 20-120 ms of wall time for ~4 ms of CPU.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

MAX_ROWS = 200_000
"""Rows kept; past this the oldest tenth is deleted on the next write."""
PREFETCH_ROWS = 2_000
"""Rows :meth:`HistoryCache.prefetch` reads for one base at most; a base with more is read key by key."""
PREFETCH_GROUPS = 64
"""``(kind, base)`` groups held from prefetches; past this they are dropped (then read key by key)."""


class HistoryCache:
    """Get/put JSON values by ``(kind, base, key)``; ``path`` None keeps them in memory only."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._mem: dict[tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._broken = path is None
        self._writes = 0
        self._pre: dict[tuple[str, str], dict[str, str]] = {}
        """``(kind, base)`` -> every stored ``key -> JSON text`` of that group (complete: a key
        absent here is absent from the file, as far as this process has read or written it)."""

    def _db(self) -> sqlite3.Connection | None:
        if self._broken:
            return None
        if self._conn is None:
            try:
                assert self._path is not None
                self._path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(self._path), timeout=5.0, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS facts (kind TEXT NOT NULL, base TEXT NOT NULL, key TEXT NOT NULL, "
                    "value TEXT NOT NULL, PRIMARY KEY (kind, base, key))"
                )
                conn.commit()
                self._conn = conn
            except (sqlite3.Error, OSError):
                self._broken = True
                return None
        return self._conn

    def prefetch(self, base: str, kinds: tuple[str, ...]) -> None:
        """Read every stored row of ``base`` of the given ``kinds`` in one query (best effort), so
        that the :meth:`get` calls that follow need no query: hits come from memory and keys absent
        from the file are misses at once. Nothing is held when the base has more than
        :data:`PREFETCH_ROWS` rows of those kinds (they are then read key by key)."""
        if not kinds:
            return
        with self._lock:
            if all((kind, base) in self._pre for kind in kinds):
                return
            db = self._db()
            if db is None:
                return
            marks = ",".join("?" * len(kinds))
            try:
                rows = db.execute(f"SELECT kind, key, value FROM facts WHERE kind IN ({marks}) AND base=? LIMIT ?",
                                  (*kinds, base, PREFETCH_ROWS + 1)).fetchall()
            except sqlite3.Error:
                return
            if len(rows) > PREFETCH_ROWS:
                return
            if len(self._pre) + len(kinds) > PREFETCH_GROUPS:
                self._pre.clear()
            groups: dict[tuple[str, str], dict[str, str]] = {(kind, base): {} for kind in kinds}
            for kind, key, value in rows:
                groups[(kind, base)][key] = value
            self._pre.update(groups)

    def get(self, kind: str, base: str, key: str) -> Any | None:
        """The stored value, or None when absent (or the cache is unusable)."""
        k = (kind, base, key)
        with self._lock:
            if k in self._mem:
                return self._mem[k]
            group = self._pre.get((kind, base))
            if group is not None:
                return self._decode(k, group.get(key))
            db = self._db()
            if db is None:
                return None
            try:
                row = db.execute("SELECT value FROM facts WHERE kind=? AND base=? AND key=?", k).fetchone()
            except sqlite3.Error:
                return None
            return self._decode(k, None if row is None else row[0])

    def _decode(self, k: tuple[str, str, str], text: str | None) -> Any | None:
        """The value of the stored JSON ``text`` of key ``k``, kept in memory (None: absent or not JSON)."""
        if text is None:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
        self._mem[k] = value
        return value

    def put(self, kind: str, base: str, key: str, value: Any) -> None:
        """Store a JSON-able value (best effort)."""
        k = (kind, base, key)
        with self._lock:
            self._mem[k] = value
            if len(self._mem) > 10_000:
                self._mem.clear()
            db = self._db()
            if db is None:
                return
            text = json.dumps(value, separators=(",", ":"))
            group = self._pre.get((kind, base))
            if group is not None:
                group[key] = text
            try:
                db.execute("INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?)", (*k, text))
                self._writes += 1
                count = db.execute("SELECT count(*) FROM facts").fetchone()[0] if self._writes % 500 == 1 else 0
                if count > MAX_ROWS:
                    db.execute("DELETE FROM facts WHERE rowid IN (SELECT rowid FROM facts ORDER BY rowid LIMIT ?)",
                               (MAX_ROWS // 10,))
                db.commit()
            except sqlite3.Error:
                return

    def close(self) -> None:
        """Close the database connection (safe to call twice)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
