"""A SQLite decision log marks itself ready (``PRAGMA user_version``) once its schema and WAL are in
place, so a later process appends without inspecting it; an older or foreign file still gets the
full check."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import DecisionStore, event_record, schema
from bot.audit import store as store_module
from bot.audit.sqliteappend import SQLITE_SCHEMA_VERSION
from bot.core.errors import AuditError

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)

SCHEMA_OF_VERSION_1 = "c0e69ab18462"
"""A digest of ``bot.audit.schema`` (tables, columns, types, indexes) when
``SQLITE_SCHEMA_VERSION`` was last set. When this test fails, the schema changed: raise
``bot.audit.sqliteappend.SQLITE_SCHEMA_VERSION`` (so existing logs get the full check and the new table or
index) and put the new digest here."""


def _schema_digest() -> str:
    parts = []
    for table in sorted(schema.metadata.tables.values(), key=lambda t: t.name):
        parts.append(table.name + "(" + ",".join(f"{c.name}:{c.type}:{c.nullable}:{c.unique}:{c.primary_key}"
                                                  for c in table.columns) + ")")
        parts += sorted(f"{i.name}[{','.join(c.name for c in i.columns)}]" for i in table.indexes)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def _event(i: int) -> dict:
    return event_record("feedback", repo="acme/widgets", pr_number=7, actor="bob", details={"i": i},
                        now=T0 + timedelta(minutes=i))


def _pragmas(path: Path) -> tuple[int, str]:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0], conn.execute("PRAGMA journal_mode").fetchone()[0]


def test_the_schema_version_names_this_schema() -> None:
    assert _schema_digest() == SCHEMA_OF_VERSION_1, (
        "bot.audit.schema changed: raise SQLITE_SCHEMA_VERSION and update SCHEMA_OF_VERSION_1")
    assert SQLITE_SCHEMA_VERSION == 1


def test_a_ready_log_is_appended_to_without_inspecting_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log.sqlite3"
    first = DecisionStore(f"sqlite:///{path}")
    first.append(_event(0))
    first.close()
    assert _pragmas(path) == (SQLITE_SCHEMA_VERSION, "wal")

    def no_inspection(*_a: object, **_k: object) -> None:
        raise AssertionError("a ready log was inspected")

    monkeypatch.setattr(store_module, "inspect", no_inspection)
    monkeypatch.setattr(store_module, "_enable_wal", no_inspection)
    second = DecisionStore(f"sqlite:///{path}")
    second.append(_event(1))
    report = second.verify()
    second.close()
    assert report.ok and report.checked == 2


def test_an_older_log_gets_the_full_check_and_its_missing_index(tmp_path: Path) -> None:
    """A log written before the mark (user_version 0), missing an index added since, is brought up
    to date by the next append, then marked."""
    path = tmp_path / "log.sqlite3"
    store = DecisionStore(f"sqlite:///{path}")
    store.append(_event(0))
    store.close()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP INDEX ix_decision_terms_term_seq")
        conn.execute("PRAGMA user_version = 0")
    store = DecisionStore(f"sqlite:///{path}")
    store.append(_event(1))
    store.close()
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "ix_decision_terms_term_seq" in names
    assert _pragmas(path) == (SQLITE_SCHEMA_VERSION, "wal")


def test_a_file_that_is_no_database_is_still_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    path.write_bytes(b"this is not a database, just text " * 100)
    store = DecisionStore(f"sqlite:///{path}")
    with pytest.raises(AuditError) as err:
        store.append(_event(0))
    store.close()
    assert "\n" not in str(err.value) and "not a database" in str(err.value)


def test_appending_imports_no_logging_library(tmp_path: Path) -> None:
    """``quorum review`` appends to the log on every run: the store imports structlog only to report
    a failing listener, never to append."""
    code = ("import sys\n"
            "from datetime import UTC, datetime\n"
            "from bot.audit import DecisionStore, event_record\n"
            "s = DecisionStore(sys.argv[1])\n"
            "s.append(event_record('feedback', repo='a/b', pr_number=1, actor='x', details={}, now=datetime.now(UTC)))\n"
            "s.close()\n"
            "print(sorted(m for m in ('structlog', 'rich', 'tenacity') if m in sys.modules))\n")
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    for _ in range(2):  # a new log, then a ready one
        out = subprocess.run([sys.executable, "-c", code, url], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "[]"
