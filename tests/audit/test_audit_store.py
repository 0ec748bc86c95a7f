"""DecisionStore on SQLite and PostgreSQL: chain, lookups, idempotency, tamper evidence, concurrency."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.audit import GENESIS_HASH, DecisionStore, compute_record_hash, event_record, record_from_result
from bot.core.errors import AuditError

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def _fill(store: DecisionStore, result_factory, n: int = 5) -> list[str]:
    """Append n records: decisions on distinct head SHAs, with a feedback event every third."""
    hashes = []
    for i in range(n):
        if i % 3 == 2:
            record = event_record("feedback", repo="acme/widgets", pr_number=7, actor="bob",
                                  details={"vote": "up", "i": i}, now=T0 + timedelta(minutes=i))
        else:
            record = record_from_result(result_factory(head_sha=f"{i:x}" * 40), delivery_id=f"d{i}",
                                        now=T0 + timedelta(minutes=i))
        hashes.append(store.append(record))
    return hashes


@pytest.fixture
def store(store_url):
    s = DecisionStore(store_url)
    yield s
    s.close()


def test_init_does_no_io(tmp_path):
    path = tmp_path / "not" / "yet" / "log.sqlite3"
    store = DecisionStore(f"sqlite:///{path}")
    assert not path.parent.exists()
    # Reads on a log that does not exist create nothing either.
    assert store.list() == [] and store.get("1") is None and store.verify().ok
    assert store.find_decision("r", 1, "h", "p") is None
    assert not path.parent.exists()
    store.close()


def test_default_url(tmp_path):
    assert DecisionStore.default_url(str(tmp_path)) == f"sqlite:///{tmp_path}/decisions.sqlite3"


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db", "not a url"])
def test_rejects_unsupported_urls(url):
    with pytest.raises(AuditError):
        DecisionStore(url)


def test_append_builds_a_chain(store, result_factory):
    hashes = _fill(store, result_factory, 5)
    rows = sorted(store.list(limit=None), key=lambda r: r["seq"])
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    prev = GENESIS_HASH
    for row, expected_hash in zip(rows, hashes, strict=True):
        assert row["prev_hash"] == prev
        record = {k: v for k, v in row.items() if k not in ("seq", "prev_hash", "record_hash")}
        assert compute_record_hash(prev, record) == row["record_hash"] == expected_hash
        prev = row["record_hash"]
    report = store.verify()
    assert (report.ok, report.checked, report.first_broken_seq, report.reason) == (True, 5, None, None)
    assert report.summary() == "verified 5 records, chain intact"


def test_get_by_seq_decision_id_and_hash_prefix(store, result_factory):
    hashes = _fill(store, result_factory, 4)
    by_seq = store.get("2")
    assert by_seq["seq"] == 2 and by_seq["record_hash"] == hashes[1]
    assert store.get(by_seq["decision_id"])["seq"] == 2
    assert store.get(hashes[3][:8])["seq"] == 4
    assert store.get(hashes[3][:8].upper())["seq"] == 4
    assert store.get(hashes[3])["seq"] == 4
    assert store.get("99") is None
    assert store.get("nope") is None
    assert store.get("") is None
    # Three hex digits are too short to be a hash prefix.
    short = next(h[:3] for h in hashes if not h[:3].isdigit())
    assert store.get(short) is None and store.get(short + "0" * 61) is None


def test_ambiguous_hash_prefix(sqlite_url):
    store = DecisionStore(sqlite_url)
    seen: dict[str, str] = {}
    for i in range(3000):
        record_hash = store.append(event_record("posted", repo="acme/widgets", pr_number=i, now=T0))
        if record_hash[:4] in seen:
            break
        seen[record_hash[:4]] = record_hash
    else:
        pytest.fail("no 4-digit prefix collision in 3000 records")
    with pytest.raises(AuditError, match="ambiguous"):
        store.get(record_hash[:4])
    assert store.get(record_hash[:12])["record_hash"] == record_hash
    assert store.get(seen[record_hash[:4]][:12])["record_hash"] == seen[record_hash[:4]]
    store.close()


def test_a_second_decision_that_posted_another_review_is_recorded_not_hidden(store, result_factory):
    first = record_from_result(result_factory(head_sha="e" * 40), posted=[{"kind": "review", "id": "101"}], now=T0)
    h1 = store.append(first)
    same = record_from_result(result_factory(head_sha="e" * 40), posted=[{"kind": "review", "id": "101"}], now=T0)
    assert store.append(same) == h1  # nothing new posted: idempotent
    second = record_from_result(result_factory(head_sha="e" * 40), delivery_id="d2",
                                posted=[{"kind": "check_run", "id": "9"}, {"kind": "review", "id": "202"}], now=T0)
    h2 = store.append(second)
    assert h2 != h1
    repeat = store.get(h2[:16])
    assert repeat["kind"] == "decision_repeat" and repeat["details"]["first_record_hash"] == h1
    assert {"kind": "review", "id": "202"} in repeat["details"]["not_in_first"]
    assert len(store.list(kind="decision", limit=None)) == 1  # still one decision per key
    assert store.verify().ok


def test_decisions_are_idempotent_per_key(store, result_factory):
    first = record_from_result(result_factory(head_sha="e" * 40), now=T0)
    h1 = store.append(first)
    again = record_from_result(result_factory(head_sha="e" * 40), delivery_id="redelivery", now=T0 + timedelta(hours=1))
    assert store.append(again) == h1
    assert len(store.list(limit=None)) == 1
    found = store.find_decision("acme/widgets", 7, "e" * 40, "p" * 64)
    assert found["record_hash"] == h1 and found["delivery_id"] is None
    # Another head, PR or policy version is another decision.
    assert store.find_decision("acme/widgets", 7, "f" * 40, "p" * 64) is None
    store.append(record_from_result(result_factory(head_sha="f" * 40), now=T0))
    store.append(record_from_result(result_factory(head_sha="e" * 40, policy_version="q" * 64), now=T0))
    store.append(record_from_result(result_factory(head_sha="e" * 40, number=None), now=T0))
    assert len(store.list(limit=None)) == 4
    assert store.find_decision("acme/widgets", None, "e" * 40, "p" * 64)["pr_number"] is None
    # Events are never deduplicated.
    event = event_record("feedback", repo="acme/widgets", pr_number=7, now=T0)
    assert store.append(event) != store.append(dict(event))
    assert store.verify().checked == 6


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seq": 1}, "may not set seq"),
        ({"record_hash": "x"}, "may not set record_hash"),
        ({"created_at": "2024-05-01T12:00:00"}, "no UTC offset"),
        ({"created_at": "yesterday"}, "malformed"),
        ({"repo": ""}, "repo"),
        ({"pr_number": "7"}, "pr_number"),
        ({"extra": {"x": float("nan")}}, "malformed"),
        ({"extra": {"when": datetime(2024, 1, 1)}}, "malformed"),
        ({"head_sha": None}, "head_sha"),
    ],
)
def test_malformed_records_are_refused_and_not_stored(store, result_factory, change, message):
    store.append(event_record("posted", repo="acme/widgets", pr_number=1, now=T0))
    record = {**record_from_result(result_factory(), now=T0), **change}
    with pytest.raises(AuditError, match=message):
        store.append(record)
    assert len(store.list(limit=None)) == 1 and store.verify().ok


def test_refuses_non_dict(store):
    with pytest.raises(AuditError, match="must be a dict"):
        store.append(["not", "a", "record"])  # type: ignore[arg-type]


# -- tamper evidence ----------------------------------------------------------------------


Statement = tuple[str, dict]


def _tamper(url: str, *statements: Statement) -> None:
    """Edit the database behind the store's back (what an attacker with write access could do)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)
    engine.dispose()


def _edited(store: DecisionStore, seq: int) -> tuple[str, str]:
    """Record ``seq`` with its action flipped to approve: (JSON text, hash an attacker would recompute)."""
    row = store.get(str(seq))
    record = {k: v for k, v in row.items() if k not in ("seq", "prev_hash", "record_hash")}
    record["action"] = "approve"
    return json.dumps(record, sort_keys=True, separators=(",", ":")), compute_record_hash(row["prev_hash"], record)


def _sql(sql: str, **params: object) -> Statement:
    return sql, params


TAMPER_CASES = {
    "record_json edited": (
        lambda s: [_sql("UPDATE decision_log SET record_json = :j WHERE seq = 3", j=_edited(s, 3)[0])],
        3, "record_hash mismatch"),
    "record_hash edited": (
        lambda s: [_sql("UPDATE decision_log SET record_hash = :h WHERE seq = 3", h="f" * 64)],
        3, "record_hash mismatch"),
    "prev_hash edited": (
        lambda s: [_sql("UPDATE decision_log SET prev_hash = :h WHERE seq = 3", h="e" * 64)],
        3, "prev_hash does not match previous record"),
    "seq order swapped": (
        lambda s: [_sql("UPDATE decision_log SET seq = -1 WHERE seq = 2"),
                   _sql("UPDATE decision_log SET seq = 2 WHERE seq = 3"),
                   _sql("UPDATE decision_log SET seq = 3 WHERE seq = -1")],
        2, "prev_hash does not match previous record"),
    "middle row deleted": (lambda s: [_sql("DELETE FROM decision_log WHERE seq = 3")], 4, "gap in sequence"),
    "first row deleted": (lambda s: [_sql("DELETE FROM decision_log WHERE seq = 1")], 2, "gap in sequence"),
    "last row deleted": (lambda s: [_sql("DELETE FROM decision_log WHERE seq = 5")], 5, "chain head does not match"),
    "indexed column edited": (
        lambda s: [_sql("UPDATE decision_log SET repo = :r WHERE seq = 4", r="acme/other")],
        4, "indexed columns do not match record JSON (repo)"),
    "action column edited": (
        lambda s: [_sql("UPDATE decision_log SET action = :a WHERE seq = 2", a="approve")],
        2, "indexed columns do not match record JSON (action)"),
    "json edited and rehashed": (
        lambda s: [_sql("UPDATE decision_log SET record_json = :j, record_hash = :h, action = :a WHERE seq = 2",
                        j=_edited(s, 2)[0], h=_edited(s, 2)[1], a="approve")],
        3, "prev_hash does not match previous record"),
    "json not json": (
        lambda s: [_sql("UPDATE decision_log SET record_json = :j WHERE seq = 1", j="{oops")],
        1, "record JSON is not valid"),
}


@pytest.mark.parametrize("case", list(TAMPER_CASES))
def test_tampering_names_first_broken_record(store_url, result_factory, case):
    store = DecisionStore(store_url)
    _fill(store, result_factory, 5)
    assert store.verify().ok
    make_statements, broken_seq, reason = TAMPER_CASES[case]
    _tamper(store_url, *make_statements(store))
    report = store.verify()
    store.close()
    assert not report.ok
    assert report.first_broken_seq == broken_seq, report
    assert report.reason.startswith(reason), report
    assert report.checked < 5
    assert f"seq {broken_seq}" in report.summary()


def test_tampered_chain_head_is_detected(store_url, result_factory):
    store = DecisionStore(store_url)
    _fill(store, result_factory, 3)
    _tamper(store_url, _sql("UPDATE decision_chain_head SET record_hash = :h", h="a" * 64))
    report = store.verify()
    assert not report.ok and report.first_broken_seq == 3 and "chain head" in report.reason
    _tamper(store_url, _sql("DELETE FROM decision_chain_head"))
    report = store.verify()
    store.close()
    assert not report.ok and report.reason == "chain head row is missing"


# -- concurrency --------------------------------------------------------------------------


def _assert_contiguous(store: DecisionStore, n: int) -> None:
    report = store.verify()
    assert report.ok and report.checked == n, report
    rows = store.list(limit=None)
    assert sorted(r["seq"] for r in rows) == list(range(1, n + 1))
    assert len({r["prev_hash"] for r in rows}) == n


def _hammer(stores: list[DecisionStore], per_thread: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(stores))

    def work(index: int, store: DecisionStore) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                store.append(event_record("posted", repo="acme/widgets", pr_number=index,
                                          details={"thread": index, "i": i}))
        except BaseException as exc:  # collected and re-raised by the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i, s)) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_appends_shared_store(store_url):
    store = DecisionStore(store_url)
    assert _hammer([store] * 4, 25) == []
    _assert_contiguous(store, 100)
    store.close()


def test_concurrent_appends_separate_stores(store_url):
    """One store per thread: no in-process lock, so only the database serializes the writers."""
    stores = [DecisionStore(store_url) for _ in range(4)]
    assert _hammer(stores, 25) == []
    _assert_contiguous(stores[0], 100)
    for s in stores:
        s.close()


def test_concurrent_appends_from_processes(sqlite_url, tmp_path):
    script = textwrap.dedent(
        """
        import sys
        from bot.audit import DecisionStore, event_record
        store = DecisionStore(sys.argv[1])
        for i in range(15):
            store.append(event_record("feedback", repo="acme/widgets", pr_number=int(sys.argv[2]), details={"i": i}))
        store.close()
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, sqlite_url, str(n)], stderr=subprocess.PIPE, text=True)
        for n in range(3)
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]  # every child reaped, even when one failed
    assert [proc.returncode for proc in procs] == [0, 0, 0], errors
    store = DecisionStore(sqlite_url)
    _assert_contiguous(store, 45)
    store.close()
    assert Path(sqlite_url.removeprefix("sqlite:///")).exists()
