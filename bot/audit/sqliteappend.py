"""Append one record to a ready SQLite decision log with the standard library's ``sqlite3`` only.

Every default ``quorum review`` appends its decision to the local log. Doing that through
:class:`bot.audit.store.DecisionStore` imports SQLAlchemy (~100 ms of a review that otherwise takes
a few hundred). :func:`append_ready` writes the same row the store writes, in the same
transaction shape (https://www.sqlite.org/lang_transaction.html: ``BEGIN IMMEDIATE`` takes the
write lock up front, as the store's SQLite connections do), but only to a log the store has
already set up and marked ready (``PRAGMA user_version`` = :data:`SQLITE_SCHEMA_VERSION`, WAL
mode). Anything else (no file yet, an older log, another schema version) answers ``None`` and the
caller appends through the store, which creates or brings the log up to date and marks it.

What is shared, not copied: the record's canonical JSON and hash (:mod:`bot.audit.chain`), its
query columns, lookup terms, idempotency key and ``decision_repeat`` record
(:mod:`bot.audit.columns`). ``created_at`` is stored as SQLAlchemy's SQLite ``DATETIME`` stores it
(``YYYY-MM-DD HH:MM:SS.ffffff``, UTC); ``tests/audit/test_sqliteappend.py`` checks that both
writers leave byte-identical rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from bot.audit.chain import canonical_json, hash_stored_bytes
from bot.audit.columns import checked_record, indexed_values, record_terms, repeat_record
from bot.core.errors import AuditError

SQLITE_SCHEMA_VERSION = 1
"""The ``PRAGMA user_version`` of a SQLite log whose tables, indexes, chain head and WAL mode are
in place (set by :class:`bot.audit.store.DecisionStore`; https://www.sqlite.org/pragma.html#pragma_user_version).
Raise it whenever ``bot.audit.schema`` gains a table or an index (``tests/audit/test_store_ready.py``
pins the schema it stands for), so older logs are brought up to date by the store."""

BUSY_TIMEOUT_S = 60.0
"""How long a writer waits for another writer's lock (seconds), as the store's SQLite engine does."""

CHAIN_HEAD_ID = 1
"""The ``id`` of the one ``decision_chain_head`` row (both writers lock and move it)."""
_COLUMNS = ("seq", "created_at", "kind", "decision_id", "repo", "pr_number", "head_sha", "policy_version", "action",
            "decision_key", "record_json", "prev_hash", "record_hash")
_INSERT = f"INSERT INTO decision_log ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


def sqlite_datetime(moment: datetime) -> str:
    """``moment`` (naive UTC) as SQLAlchemy's SQLite ``DATETIME`` type stores it:
    ``%04d-%02d-%02d %02d:%02d:%02d.%06d``."""
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}")


def sqlite_path_of(url: str) -> Path | None:
    """The file of a plain SQLite URL (``sqlite:///relative/path`` or ``sqlite:////absolute/path``,
    as SQLAlchemy reads them: https://docs.sqlalchemy.org/en/20/core/engines.html#sqlite); None for
    any other URL, and for one with a query string, percent-escapes, ``:memory:`` or a ``file:``
    URI, which are left to the store."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix):]
    if not rest or rest == ":memory:" or rest.startswith("file:") or any(c in rest for c in "?%#"):
        return None
    return Path(rest)


def append_ready(path: Path, record: Mapping) -> str | None:
    """Append ``record`` (see :meth:`bot.audit.store.DecisionStore.append`, same rules and the same
    idempotency for decisions) to the SQLite log at ``path`` and return its ``record_hash`` (64 hex
    digits); ``None``, having written nothing, when the file does not exist or is not a ready log
    (see the module docstring). Raises ``AuditError`` (one line) for a malformed record or a
    database failure; the record is then not stored."""
    body, values = checked_record(record)
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise AuditError(f"decision log sqlite:///{path}: cannot append: {_one_line(exc)}") from exc
    try:
        if not is_ready(conn):
            return None
        conn.execute("BEGIN IMMEDIATE")
        try:
            stored = _append(conn, json.loads(body), body, values, f"sqlite:///{path}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return stored
    except sqlite3.Error as exc:
        raise AuditError(f"decision log sqlite:///{path}: cannot append: {_one_line(exc)}") from exc
    finally:
        conn.close()


def is_ready(conn: sqlite3.Connection) -> bool:
    """True when the SQLite database of ``conn`` is in WAL mode and carries
    :data:`SQLITE_SCHEMA_VERSION`; False also when it cannot be read (not a database, locked): the
    store's full check then meets that and reports it."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    except sqlite3.Error:
        return False
    return version == SQLITE_SCHEMA_VERSION and mode == "wal"


def mark_ready(conn: sqlite3.Connection) -> None:
    """Record :data:`SQLITE_SCHEMA_VERSION` in the database of ``conn`` (the store, once the schema,
    the chain head and WAL are in place)."""
    conn.execute(f"PRAGMA user_version = {int(SQLITE_SCHEMA_VERSION)}")


def _append(conn: sqlite3.Connection, clean: dict, body: bytes, values: dict, url: str) -> str:
    head = conn.execute("SELECT seq, record_hash FROM decision_chain_head WHERE id = ?", (CHAIN_HEAD_ID,)).fetchone()
    if head is None:
        raise AuditError(f"decision log {url}: chain head row is missing")
    if values["decision_key"] is not None:
        existing = conn.execute("SELECT record_hash, record_json FROM decision_log WHERE decision_key = ?",
                                (values["decision_key"],)).fetchone()
        if existing is not None:
            repeat = repeat_record(clean, existing[0], json.loads(existing[1]))
            if repeat is None:
                return existing[0]
            clean = repeat  # a second run posted something else: record it, never hide it
            body = canonical_json(clean)
            values = indexed_values(clean)
    seq = head[0] + 1
    record_hash = hash_stored_bytes(head[1], body)
    row = {**values, "seq": seq, "record_json": body.decode("utf-8"), "prev_hash": head[1],
           "record_hash": record_hash, "created_at": sqlite_datetime(values["created_at"])}
    conn.execute(_INSERT, [row[c] for c in _COLUMNS])
    terms = record_terms(clean)
    if terms:
        conn.executemany("INSERT INTO decision_terms (term, seq) VALUES (?, ?)", [(t, seq) for t in terms])
    conn.execute("UPDATE decision_chain_head SET seq = ?, record_hash = ? WHERE id = ?", (seq, record_hash, CHAIN_HEAD_ID))
    return record_hash


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


__all__ = [
    "BUSY_TIMEOUT_S", "CHAIN_HEAD_ID", "SQLITE_SCHEMA_VERSION", "append_ready", "is_ready", "mark_ready", "sqlite_datetime",
    "sqlite_path_of",
]
