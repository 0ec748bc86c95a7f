"""The CLI's SQLite append without SQLAlchemy (bot.audit.sqliteappend) writes exactly the rows the
store writes, keeps the store's idempotency, and touches nothing that is not a ready log."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import DecisionStore, event_record, record_from_result
from bot.audit.sqliteappend import append_ready, sqlite_datetime, sqlite_path_of
from bot.core.errors import AuditError
from bot.testing.gitrepo import make_repo

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _records(result_factory) -> list[dict]:  # noqa: ANN001 - the conftest factory
    """Decisions, an idempotent repeat, a repeat that posted another review, events with and
    without a PR, non-ASCII text, a time with microseconds and an offset."""
    first = record_from_result(result_factory(head_sha="a" * 40), posted=[{"kind": "review", "id": "101"}], now=T0)
    return [
        first,
        event_record("feedback", repo="acme/widgets", pr_number=7, actor="bob", details={"vote": "up", "note": "très bien ✓"},
                     now=T0 + timedelta(minutes=1)),
        record_from_result(result_factory(head_sha="a" * 40), posted=[{"kind": "review", "id": "101"}], now=T0),
        record_from_result(result_factory(head_sha="a" * 40), posted=[{"kind": "review", "id": "202"}],
                           now=T0 + timedelta(minutes=2)),
        record_from_result(result_factory(head_sha="b" * 40), delivery_id="d-2", now=T0 + timedelta(minutes=3)),
        {**event_record("human_review_requested", repo="acme/other", pr_number=None, actor="ann", details={},
                        now=T0), "created_at": "2024-05-01T14:00:00.123456+02:00"},
    ]


def _rows(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        return {t: conn.execute(f"SELECT rowid, * FROM {t} ORDER BY rowid").fetchall()  # noqa: S608 - fixed names
                for t in ("decision_log", "decision_terms", "decision_chain_head")}


def _new_log(path: Path, first: dict) -> str:
    store = DecisionStore(f"sqlite:///{path}")
    try:
        return store.append(first)
    finally:
        store.close()


def test_both_writers_leave_the_same_rows_and_return_the_same_hashes(tmp_path: Path, result_factory) -> None:  # noqa: ANN001
    records = _records(result_factory)
    seed = event_record("feedback", repo="acme/widgets", pr_number=1, actor="x", details={}, now=T0)
    by_store, by_sqlite = tmp_path / "store.sqlite3", tmp_path / "sqlite.sqlite3"
    assert _new_log(by_store, seed) == _new_log(by_sqlite, seed)
    store = DecisionStore(f"sqlite:///{by_store}")
    expected = [store.append(r) for r in records]
    store.close()
    got = [append_ready(by_sqlite, r) for r in records]
    assert got == expected
    assert expected[2] == expected[0]  # the idempotent repeat wrote nothing
    assert _rows(by_sqlite) == _rows(by_store)
    reader = DecisionStore(f"sqlite:///{by_sqlite}")
    try:
        report = reader.verify()
        assert report.ok and report.checked == 6  # seed + 5 written (the repeat is not)
        assert [r["kind"] for r in reader.list(limit=10)][:2] == ["human_review_requested", "decision"]
    finally:
        reader.close()


def test_the_two_writers_take_turns_on_one_log(tmp_path: Path, result_factory) -> None:  # noqa: ANN001
    path = tmp_path / "log.sqlite3"
    _new_log(path, event_record("feedback", repo="r/r", pr_number=1, actor="x", details={}, now=T0))
    store = DecisionStore(f"sqlite:///{path}")
    for i in range(6):
        record = event_record("feedback", repo="r/r", pr_number=i, actor="x", details={"i": i}, now=T0 + timedelta(seconds=i))
        assert (append_ready(path, record) if i % 2 else store.append(record)) is not None
    report = store.verify()
    store.close()
    assert report.ok and report.checked == 7


def test_nothing_but_a_ready_log_is_written(tmp_path: Path) -> None:
    record = event_record("feedback", repo="r/r", pr_number=1, actor="x", details={}, now=T0)
    missing = tmp_path / "nope" / "log.sqlite3"
    assert append_ready(missing, record) is None and not missing.parent.exists()
    older = tmp_path / "older.sqlite3"
    _new_log(older, record)
    with sqlite3.connect(older) as conn:
        conn.execute("PRAGMA user_version = 0")
    before = _rows(older)
    assert append_ready(older, dict(record, pr_number=2)) is None
    assert _rows(older) == before
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database " * 100)
    assert append_ready(junk, record) is None
    assert junk.read_bytes() == b"not a database " * 100


def test_a_malformed_record_is_a_one_line_error_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    _new_log(path, event_record("feedback", repo="r/r", pr_number=1, actor="x", details={}, now=T0))
    before = _rows(path)
    for bad in ({"kind": "feedback", "repo": "r/r", "created_at": "yesterday"}, {"kind": "x", "repo": "r", "seq": 3,
                                                                                 "created_at": "2024-01-01T00:00:00Z"}):
        with pytest.raises(AuditError) as err:
            append_ready(path, bad)
        assert "\n" not in str(err.value)
    assert _rows(path) == before


@pytest.mark.parametrize(("url", "expected"), [
    ("sqlite:////tmp/x/decisions.sqlite3", Path("/tmp/x/decisions.sqlite3")),
    ("sqlite:///rel/log.sqlite3", Path("rel/log.sqlite3")),
    ("sqlite://", None), ("sqlite:///:memory:", None), ("sqlite:///file:x?mode=ro&uri=true", None),
    ("sqlite:////tmp/a%20b.sqlite3", None), ("sqlite:////tmp/x.sqlite3?timeout=5", None),
    ("postgresql+psycopg://u@h/db", None), ("", None),
])
def test_only_a_plain_sqlite_file_url_names_a_file(url: str, expected: Path | None) -> None:
    assert sqlite_path_of(url) == expected


def test_the_stored_time_is_sqlalchemys_sqlite_datetime() -> None:
    assert sqlite_datetime(datetime(987, 1, 2, 3, 4, 5, 6)) == "0987-01-02 03:04:05.000006"


def test_a_review_appends_to_a_ready_log_without_sqlalchemy(tmp_path: Path) -> None:
    """``quorum review`` with the decision log on: the first run creates the log through the store
    (SQLAlchemy), the next ones append with sqlite3 alone, and the chain stays whole."""
    repo, _, _ = make_repo(tmp_path, {"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}, title="fix: x")
    env = {"QUORUM_DATA_DIR": str(tmp_path / "data"), "QUORUM_CACHE_DIR": str(tmp_path / "cache"), "QUORUM_SERVER": "0",
           "PATH": "/usr/bin:/bin"}
    script = ("import sys, json; from bot.cli import review_cmd; "
              "code = review_cmd.run_fast(['quorum', 'review', '--repo', sys.argv[1], '--format', 'json', '--base', sys.argv[2]]); "
              "sys.stdout.flush(); sys.stderr.write(json.dumps({'code': code, 'sqlalchemy': 'sqlalchemy' in sys.modules}))")
    seen = []
    for base in ("main", "main", "feature~1"):
        out = subprocess.run([sys.executable, "-c", script, str(repo), base], capture_output=True, text=True, env=env,
                             timeout=120)
        status = json.loads(out.stderr.strip().splitlines()[-1])
        assert status["code"] == 0, out.stderr
        seen.append(status["sqlalchemy"])
    assert seen == [True, False, False]
    store = DecisionStore(f"sqlite:///{tmp_path / 'data' / 'decisions.sqlite3'}")
    try:
        assert store.verify().ok and store.verify().checked == 1  # the same decision three times: one record
    finally:
        store.close()
