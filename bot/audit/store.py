"""``DecisionStore``: the append-only, hash-chained decision log on SQLite or PostgreSQL.

Writers serialize on the chain head: SQLite takes the database write lock up front
(``BEGIN IMMEDIATE``, https://www.sqlite.org/lang_transaction.html), PostgreSQL locks the single
``decision_chain_head`` row with ``SELECT ... FOR UPDATE``
(https://www.postgresql.org/docs/15/explicit-locking.html#LOCKING-ROWS). Under that lock a writer
reads the head, inserts the next record and moves the head, so two records can never share a
``prev_hash`` (a UNIQUE constraint enforces it as well). The store has no update or delete method.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Select, create_engine, event, func, insert, inspect, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from bot.audit import schema
from bot.audit.chain import GENESIS_HASH, ChainRow, VerifyReport, canonical_json, hash_stored_bytes, verify_rows
from bot.audit.columns import checked_record, repeat_record
from bot.audit.export import write_csv, write_jsonl
from bot.audit.sqliteappend import BUSY_TIMEOUT_S, CHAIN_HEAD_ID, is_ready, mark_ready
from bot.audit.schema import chain_head, decision_log
from bot.core.errors import AuditError


_PG_INIT_LOCK = 0x51_55_4F_52_55_4D  # "QUORUM": advisory lock key for concurrent table creation
_BATCH = 500
_FILTERS = ("repo", "since", "action", "kind")
_MIN_HASH_PREFIX = 4
_HEX = frozenset("0123456789abcdef")


def _one_line(exc: BaseException) -> str:
    source: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(source).strip().splitlines()
    return lines[0] if lines else type(source).__name__


class DecisionStore:
    """The decision log at a SQLAlchemy URL.

    ``url`` is ``sqlite:///PATH`` (embedded default; a file, not ``:memory:``) or
    ``postgresql+psycopg://user@host/db`` (``postgresql://`` and ``postgres://`` are read as
    psycopg 3). The constructor only builds the engine; the first ``append`` creates the SQLite
    file's parent directory and the tables. Reads never create anything: on a log that does not
    exist yet they return nothing and ``verify`` reports 0 records.

    Every method raises ``bot.core.errors.AuditError`` (one-line message) when the database cannot
    be read or written or a record is malformed. Safe to share between threads; several processes
    may append to the same log at once.
    """

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise AuditError(f"invalid database URL: {_one_line(exc)}") from exc
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise AuditError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql+psycopg://...")
        self._sqlite_path: Path | None = None
        if backend == "sqlite":
            if not parsed.database or parsed.database == ":memory:" or parsed.database.startswith("file:"):
                raise AuditError("the decision log needs a SQLite file: use sqlite:///PATH")
            self._sqlite_path = Path(parsed.database)
        self._is_sqlite = backend == "sqlite"
        self._display_url = parsed.render_as_string(hide_password=True)
        try:
            if self._is_sqlite:
                self._engine: Engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_S})
                _install_sqlite_transactions(self._engine)
            else:
                self._engine = create_engine(parsed, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:
            raise AuditError(f"cannot open {self._display_url}: {_one_line(exc)}") from exc
        self._init_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._schema_ready = False
        self._listeners: list[Callable[[int, str], None]] = []

    def add_listener(self, listener: Callable[[int, str], None]) -> None:
        """Call ``listener(seq, record_hash)`` after each record this store object appends (in the
        appending thread, after the commit). A listener's exception is logged, never raised: the
        record is already stored. Used by the App's periodic checkpoints."""
        self._listeners.append(listener)

    @classmethod
    def default_url(cls, data_dir: str) -> str:
        """``sqlite:///<data_dir>/decisions.sqlite3`` (``data_dir`` from platformdirs, chosen by the entry point)."""
        return f"sqlite:///{Path(data_dir) / 'decisions.sqlite3'}"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file of the log, or None on PostgreSQL."""
        return self._sqlite_path

    @property
    def url(self) -> str:
        """The database URL with any password masked (for messages)."""
        return self._display_url

    def __enter__(self) -> DecisionStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release pooled connections. The store can be used again afterwards (it reconnects)."""
        self._engine.dispose()

    # -- setup -------------------------------------------------------------------------------

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise AuditError(f"decision log {self._display_url}: cannot {doing}: {_one_line(exc)}") from exc
        except BrokenPipeError:  # the reader of an export went away (`| head`): not a log failure
            raise
        except OSError as exc:
            raise AuditError(f"decision log {self._display_url}: cannot {doing}: {exc}") from exc

    def _ensure_schema(self) -> None:
        """Create the SQLite parent directory, the tables and the chain-head row, once per store."""
        if self._schema_ready:
            return
        with self._init_lock:
            if self._schema_ready:
                return
            if self._sqlite_path is not None:
                if _sqlite_ready(self._engine):
                    self._schema_ready = True
                    return
                self._sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            with self._write_conn() as conn, conn.begin():
                if not self._is_sqlite:
                    conn.execute(select(func.pg_advisory_xact_lock(_PG_INIT_LOCK)))
                had_terms = inspect(conn).has_table(schema.decision_terms.name)
                schema.metadata.create_all(conn, checkfirst=True)
                for index in (*decision_log.indexes, *schema.decision_terms.indexes):
                    index.create(conn, checkfirst=True)  # indexes added after a log was created
                if not had_terms:
                    self._backfill_terms(conn)
                has_head = conn.execute(select(chain_head.c.id).where(chain_head.c.id == CHAIN_HEAD_ID)).first()
                if has_head is None:
                    conn.execute(insert(chain_head).values(id=CHAIN_HEAD_ID, seq=0, record_hash=GENESIS_HASH))
            if self._is_sqlite:
                # WAL lets readers (the API, `quorum audit`) run while a writer appends; it is a
                # persistent property of the file. https://www.sqlite.org/wal.html
                _enable_wal(self._engine)
                _mark_sqlite_ready(self._engine)
            self._schema_ready = True

    @staticmethod
    def _backfill_terms(conn: Connection) -> None:
        """Fill ``decision_terms`` for records appended before that table existed (once)."""
        last = 0
        while True:
            rows = conn.execute(select(decision_log.c.seq, decision_log.c.record_json)
                                .where(decision_log.c.seq > last).order_by(decision_log.c.seq).limit(_BATCH)).all()
            values = [{"seq": r.seq, "term": t} for r in rows for t in schema.record_terms(json.loads(r.record_json))]
            if values:
                conn.execute(insert(schema.decision_terms), values)
            if len(rows) < _BATCH:
                return
            last = rows[-1].seq

    def prepare(self) -> None:
        """Create the tables and indexes that are missing, as the first ``append`` does (for a log
        created by an older version: new indexes and the ``decision_terms`` lookup table)."""
        with self._errors("prepare"):
            self._ensure_schema()

    def has_terms(self) -> bool:
        """Whether the ``decision_terms`` lookup table exists (True once any append ran this version)."""
        if self._schema_ready:
            return True
        with self._reader("read") as conn:
            return conn is not None and inspect(conn).has_table(schema.decision_terms.name)

    def _write_conn(self) -> Connection:
        conn = self._engine.connect()
        if self._is_sqlite:
            conn.execution_options(quorum_sqlite_begin="IMMEDIATE")
        return conn

    # -- writing -----------------------------------------------------------------------------

    def append(self, record: dict) -> str:
        """Append ``record`` at the end of the chain and return its ``record_hash`` (64 hex digits).

        ``record`` is a JSON-able dict (see ``record_from_result`` / ``event_record``) with at least
        ``kind``, ``repo`` and ``created_at`` (ISO-8601 with offset); it may not contain ``seq``,
        ``prev_hash`` or ``record_hash``. The store assigns ``seq`` (1, 2, ...) and ``prev_hash``
        (the previous ``record_hash``, ``GENESIS_HASH`` for the first) and stores the canonical JSON.

        Idempotent for decisions: when a ``"decision"`` record for the same (repo, pr_number,
        head_sha, policy_version) is already stored and the new one posted nothing that the stored
        one does not name, nothing is written and that record's hash is returned (see
        ``find_decision``). When the second run posted something else (another review or check
        run id), a ``decision_repeat`` record naming both is appended instead, so no posted review
        id is ever missing from the log; its hash is returned. Raises ``AuditError`` for a malformed record or a database
        failure; the record is then not stored.
        """
        body, values = checked_record(record)
        clean = json.loads(body)
        with self._errors("append"), self._write_lock:
            self._ensure_schema()
            with self._write_conn() as conn, conn.begin():
                head = conn.execute(
                    select(chain_head.c.seq, chain_head.c.record_hash)
                    .where(chain_head.c.id == CHAIN_HEAD_ID)
                    .with_for_update()
                ).first()
                if head is None:
                    raise AuditError(f"decision log {self._display_url}: chain head row is missing")
                if values["decision_key"] is not None:
                    existing = conn.execute(
                        select(decision_log.c.record_hash, decision_log.c.record_json)
                        .where(decision_log.c.decision_key == values["decision_key"])
                    ).first()
                    if existing is not None:
                        repeat = repeat_record(clean, existing.record_hash, json.loads(existing.record_json))
                        if repeat is None:
                            return existing.record_hash
                        clean = repeat  # a second run posted something else: record it, never hide it
                        body = canonical_json(clean)
                        values = schema.indexed_values(clean)
                seq = head.seq + 1
                record_hash = hash_stored_bytes(head.record_hash, body)
                conn.execute(
                    insert(decision_log).values(
                        seq=seq,
                        record_json=body.decode("utf-8"),
                        prev_hash=head.record_hash,
                        record_hash=record_hash,
                        **values,
                    )
                )
                terms = schema.record_terms(clean)
                if terms:
                    conn.execute(insert(schema.decision_terms), [{"seq": seq, "term": t} for t in terms])
                conn.execute(
                    update(chain_head).where(chain_head.c.id == CHAIN_HEAD_ID).values(seq=seq, record_hash=record_hash)
                )
        for listener in list(self._listeners):
            try:
                listener(seq, record_hash)
            except Exception as exc:  # noqa: BLE001 - the record is stored; a listener cannot undo it
                import structlog  # noqa: PLC0415 - only here: a review's append must not pay its import

                structlog.get_logger(__name__).error("audit.listener_failed", seq=seq,
                                                     error=f"{type(exc).__name__}: {exc}")
        return record_hash

    # -- reading -----------------------------------------------------------------------------

    @contextmanager
    def _reader(self, doing: str) -> Iterator[Connection | None]:
        """A connection for reading, or None when the log does not exist yet (nothing is created)."""
        with self._errors(doing):
            if self._sqlite_path is not None and not self._schema_ready and not self._sqlite_path.exists():
                yield None
                return
            with self._engine.connect() as conn:
                if not self._schema_ready:
                    inspector = inspect(conn)
                    present = inspector.has_table(decision_log.name) and inspector.has_table(chain_head.name)
                    conn.rollback()  # end the inspection's implicit transaction; callers begin their own
                    if not present:
                        yield None
                        return
                yield conn

    @contextmanager
    def reader(self) -> Iterator[Connection | None]:
        """A read connection for the query functions of ``bot.audit.query`` (None: no log yet).

        Database errors surface as ``AuditError``. Nothing is ever created by reading.
        """
        with self._reader("read") as conn:
            yield conn

    @staticmethod
    def row_dict(row: Any) -> dict:
        """A row with ``seq``, ``record_json``, ``prev_hash``, ``record_hash`` as the record plus those three."""
        return DecisionStore._row_dict(row)

    @staticmethod
    def _row_dict(row: Any) -> dict:
        out = json.loads(row.record_json)
        out["seq"] = row.seq
        out["prev_hash"] = row.prev_hash
        out["record_hash"] = row.record_hash
        return out

    @staticmethod
    def _unique(conn: Connection, query: Select, *, first: bool = False) -> dict | None:
        """The one row ``query`` matches (the earliest with ``first``); AuditError if several."""
        rows = conn.execute(query.order_by(decision_log.c.seq).limit(1 if first else 2)).all()
        if len(rows) > 1:
            raise AuditError("ambiguous identifier: it matches several records; give more characters")
        return DecisionStore._row_dict(rows[0]) if rows else None

    def get(self, ident: str) -> dict | None:
        """The stored record named by ``ident``, or None.

        ``ident`` is a ``decision_id`` (the earliest record carrying it), a ``seq`` number, or a
        ``record_hash`` prefix of at least 4 hex digits (tried in that order). The result is the
        record plus ``seq``, ``prev_hash`` and ``record_hash``. Raises ``AuditError`` when a hash
        prefix matches several records.
        """
        ident = str(ident).strip()
        if not ident:
            return None
        base = select(*_ROW_COLUMNS)
        lowered = ident.lower()
        with self._reader("read") as conn:
            if conn is None:
                return None
            found = self._unique(conn, base.where(decision_log.c.decision_id == ident), first=True)
            if found is None and ident.isdigit():
                found = self._unique(conn, base.where(decision_log.c.seq == int(ident)))
            if found is None and len(lowered) >= _MIN_HASH_PREFIX and set(lowered) <= _HEX:
                found = self._unique(conn, base.where(decision_log.c.record_hash.startswith(lowered, autoescape=True)))
            return found

    @staticmethod
    def _filtered(
        *,
        repo: str | None = None,
        since: datetime | None = None,
        action: str | None = None,
        kind: str | None = None,
    ) -> Select:
        query = select(*_ROW_COLUMNS)
        if repo is not None:
            query = query.where(decision_log.c.repo == repo)
        if since is not None:
            query = query.where(decision_log.c.created_at >= schema.to_utc_naive(since))
        if action is not None:
            query = query.where(decision_log.c.action == str(action))
        if kind is not None:
            query = query.where(decision_log.c.kind == kind)
        return query

    def list(
        self,
        *,
        repo: str | None = None,
        since: datetime | None = None,
        action: str | None = None,
        kind: str | None = None,
        limit: int | None = 100,
    ) -> list[dict]:
        """Stored records matching every given filter, newest first (descending ``seq``).

        ``repo`` matches exactly; ``since`` keeps records created at or after it (a naive datetime
        is read as UTC); ``action`` is a decision action (``approve``, ...); ``kind`` a record kind.
        ``limit`` caps the result (None: all). Each item is shaped like ``get``'s result.
        """
        query = self._filtered(repo=repo, since=since, action=action, kind=kind).order_by(decision_log.c.seq.desc())
        if limit is not None:
            query = query.limit(max(int(limit), 0))
        with self._reader("read") as conn:
            if conn is None:
                return []
            return [self._row_dict(row) for row in conn.execute(query)]

    def find_decision(self, repo: str, pr_number: int | None, head_sha: str, policy_version: str) -> dict | None:
        """The ``"decision"`` record for (repo, PR, head SHA, policy version), or None.

        There is at most one (``append`` is idempotent on this key), so a worker can skip a review
        that was already decided and reuse its record.
        """
        key = schema.decision_key(repo, pr_number, head_sha, policy_version)
        with self._reader("read") as conn:
            if conn is None:
                return None
            return self._unique(conn, select(*_ROW_COLUMNS).where(decision_log.c.decision_key == key))

    @staticmethod
    def _iter_rows(conn: Connection, query: Select) -> Iterator[Any]:
        """Rows of ``query`` in ascending seq order, fetched in batches (keyset pagination)."""
        last = 0
        while True:
            batch = conn.execute(query.where(decision_log.c.seq > last).order_by(decision_log.c.seq).limit(_BATCH)).all()
            yield from batch
            if len(batch) < _BATCH:
                return
            last = batch[-1].seq

    def chain_row(self, seq: int) -> ChainRow | None:
        """The stored row with sequence number ``seq`` (its exact stored text), or None."""
        with self._reader("read") as conn:
            if conn is None:
                return None
            row = conn.execute(select(*_ROW_COLUMNS).where(decision_log.c.seq == int(seq))).first()
            return None if row is None else ChainRow(row.seq, row.prev_hash, row.record_hash, row.record_json)

    def verify(self) -> VerifyReport:
        """Walk the whole chain in ``seq`` order and recompute every hash (see ``chain.verify_rows``).

        Also checks that the query columns still match each record's JSON and that the chain head
        matches the last record. Reads one consistent snapshot, so concurrent appends are fine.
        Returns a ``VerifyReport``; a log that does not exist yet verifies with 0 records.
        """
        with self._reader("verify") as conn:
            if conn is None:
                return VerifyReport(ok=True, checked=0, head_hash=GENESIS_HASH)
            if not self._is_sqlite:
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                head_row = conn.execute(
                    select(chain_head.c.seq, chain_head.c.record_hash).where(chain_head.c.id == CHAIN_HEAD_ID)
                ).first()
                rows = (
                    ChainRow(row.seq, row.prev_hash, row.record_hash, row.record_json, columns=row._mapping)
                    for row in self._iter_rows(conn, select(*decision_log.c))
                )
                if head_row is None:
                    report = verify_rows(rows, check_columns=_mismatched_column)
                    if report.ok and report.checked:
                        return VerifyReport(False, report.checked, report.checked, "chain head row is missing")
                    return report
                return verify_rows(rows, check_columns=_mismatched_column, head=(head_row.seq, head_row.record_hash))

    def export(self, fmt: str, out: TextIO, **filters: Any) -> int:
        """Write matching records to ``out`` in chain order (ascending ``seq``); returns how many.

        ``fmt`` is ``"jsonl"`` (each line: the record plus ``seq``/``prev_hash``/``record_hash``; an
        unfiltered export can be re-verified offline) or ``"csv"`` (flattened, see
        ``bot.audit.export.CSV_COLUMNS``). ``filters`` are ``list``'s: ``repo``, ``since``,
        ``action``, ``kind``. Raises ``AuditError`` for another format or filter name.
        """
        writers = {"jsonl": write_jsonl, "csv": write_csv}
        if fmt not in writers:
            raise AuditError(f"unknown export format {fmt!r}; valid formats: {', '.join(writers)}")
        unknown = sorted(set(filters) - set(_FILTERS))
        if unknown:
            raise AuditError(f"unknown export filter(s) {', '.join(unknown)}; valid filters: {', '.join(_FILTERS)}")
        query = self._filtered(**filters)
        with self._reader("export") as conn:
            if conn is None:
                return writers[fmt](iter(()), out)
            with conn.begin():
                return writers[fmt]((self._row_dict(row) for row in self._iter_rows(conn, query)), out)


_ROW_COLUMNS = (decision_log.c.seq, decision_log.c.record_json, decision_log.c.prev_hash, decision_log.c.record_hash)


def _mismatched_column(columns: Mapping[str, Any] | None, record: dict[str, Any]) -> str | None:
    """Name of the first query column whose stored value differs from the record's JSON, else None."""
    if columns is None:
        return None
    try:
        expected = schema.indexed_values(record)
    except (TypeError, ValueError):
        return "record fields"
    for name in schema.INDEXED_COLUMNS:
        actual = columns[name]
        if name == "created_at" and isinstance(actual, datetime):
            actual = schema.to_utc_naive(actual)
        if actual != expected[name]:
            return name
    return None


def _install_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, emit BEGIN, so writers can use ``BEGIN IMMEDIATE``.

    The recipe from SQLAlchemy's SQLite dialect docs ("Serializable isolation / Savepoints /
    Transactional DDL"): switch the DBAPI connection to autocommit and emit BEGIN from the
    ``begin`` event. A connection with execution option ``quorum_sqlite_begin="IMMEDIATE"`` takes
    the write lock at BEGIN, so two writers never read the same chain head.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("quorum_sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _sqlite_ready(engine: Engine) -> bool:
    """True when the SQLite file exists and is a ready log (:func:`bot.audit.sqliteappend.is_ready`);
    never creates the file: a missing one answers False."""
    database = engine.url.database
    if not database or not Path(database).exists():
        return False
    raw = engine.raw_connection()
    try:
        return is_ready(raw.driver_connection)
    finally:
        raw.close()


def _mark_sqlite_ready(engine: Engine) -> None:
    """:func:`bot.audit.sqliteappend.mark_ready` on a connection of ``engine``."""
    raw = engine.raw_connection()
    try:
        mark_ready(raw.driver_connection)
    finally:
        raw.close()


def _enable_wal(engine: Engine) -> None:
    """Put the SQLite file in WAL mode (a persistent property of the file) unless it already is.

    Switching the journal mode needs an exclusive lock, and SQLite may answer ``database is locked``
    at once instead of waiting in its busy handler while another process holds a lock (for example
    several workers opening a new log together). So: read the mode first (no lock needed), try the
    switch, then retry it up to 50 times, 0.1 s apart (at most ~5 s), before giving up with the
    error (tenacity is imported only then).
    https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html#pragma_journal_mode
    """
    def switch() -> None:
        raw = engine.raw_connection()
        try:
            conn = raw.driver_connection
            if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()

    try:
        switch()
        return
    except sqlite3.OperationalError:
        pass  # locked: retry below
    from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed  # noqa: PLC0415

    for attempt in Retrying(stop=stop_after_attempt(50), wait=wait_fixed(0.1), reraise=True,
                            retry=retry_if_exception_type(sqlite3.OperationalError)):
        with attempt:
            switch()
