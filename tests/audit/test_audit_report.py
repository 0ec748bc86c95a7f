"""Exceptions report, plot series, rule statistics and the shared record queries, on hand-made logs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.audit import DecisionStore
from bot.audit.query import RecordFilter, decode_cursor, iter_records, list_records
from bot.audit.report import compute_stats, feedback_votes, find_exceptions, muted_rules, rule_stats
from bot.testing.auditlog import T0, decision, exceptions_log, feedback, finding, merge, sha


@pytest.fixture
def store(tmp_path: Path) -> DecisionStore:
    s = DecisionStore(f"sqlite:///{tmp_path / 'log.sqlite3'}")
    yield s
    s.close()


def test_exceptions_report_names_each_kind_and_who_decided(store: DecisionStore) -> None:
    records, expected = exceptions_log()
    for r in records:
        store.append(r)
    rows = find_exceptions(iter_records(store))
    assert [(r["exception"], r["pr_number"]) for r in rows] == expected
    by = {(r["exception"], r["pr_number"]): r for r in rows}
    assert by[("held_back_merged", 4)]["decided_by"] == "rita"
    assert by[("held_back_merged", 4)]["quorum_action"] == "comment"
    assert "merged by maria after approval by rita" in by[("held_back_merged", 4)]["explanation"]
    assert by[("held_back_merged", 7)]["decided_by"] == "maria"
    assert "approval withheld" in by[("held_back_merged", 7)]["explanation"]
    assert by[("unreviewed_sha", 3)]["quorum_decided_sha"] == sha("B1") and by[("unreviewed_sha", 3)]["head_sha"] == sha("B2")
    assert by[("no_decision", 6)]["decided_by"] == "bob"
    assert store.verify().ok


def test_a_decision_logged_after_the_merge_does_not_cover_it() -> None:
    late = decision("o/r", 9, sha("Z"), "approve", at=T0 + timedelta(days=1), approved=True)
    early_merge = merge("o/r", 9, sha("Z"), at=T0)
    rows = find_exceptions([early_merge | {"seq": 1}, late | {"seq": 2}])
    assert [r["exception"] for r in rows] == ["no_decision", "unreviewed_sha"]


def test_quorum_approval_at_the_merged_sha_is_clean() -> None:
    d = decision("o/r", 1, sha("A"), "approve", at=T0, approved=True)
    assert find_exceptions([d, merge("o/r", 1, sha("A"), at=T0 + timedelta(hours=1), quorum_approved=True)]) == []


def test_feedback_last_vote_per_user_and_finding_counts_and_mutes() -> None:
    at = T0
    records = [
        feedback("o/r", 1, "paths/wide-reach", "up", "ann", at=at, finding_id="Q1"),
        feedback("o/r", 1, "paths/wide-reach", "down", "ann", at=at, finding_id="Q1"),  # replaces ann's up
        feedback("o/r", 2, "paths/wide-reach", "down", "bob", at=at, finding_id="Q2"),
        feedback("o/r", 3, "paths/wide-reach", "down", "cy", at=at, finding_id="Q3"),
        feedback("o/other", 3, "paths/wide-reach", "down", "cy", at=at, finding_id="Q3"),
        feedback("o/r", 3, "logic/removed-guard", "up", "cy", at=at, finding_id="Q4"),
    ]
    votes = feedback_votes(records)
    assert votes[("o/r", "paths/wide-reach")] == {"up": 0, "down": 3}
    assert votes[("o/other", "paths/wide-reach")] == {"up": 0, "down": 1}
    assert muted_rules(votes, "o/r", 3) == {"paths/wide-reach": {"up": 0, "down": 3}}
    assert muted_rules(votes, "o/r", 4) == {}
    assert muted_rules(votes, "o/other", 3) == {}
    assert muted_rules(votes, "o/r", 0) == {}


def test_rule_stats_counts_findings_votes_precision_and_mutes() -> None:
    d = decision("o/r", 1, sha("A"), "comment", at=T0, findings=[finding("paths/wide-reach"), finding("paths/wide-reach", line=20)])
    records = [d, feedback("o/r", 1, "paths/wide-reach", "up", "ann", at=T0, finding_id="Q1"),
               feedback("o/r", 1, "paths/wide-reach", "down", "bob", at=T0, finding_id="Q1"),
               feedback("o/r", 1, "paths/wide-reach", "down", "cy", at=T0, finding_id="Q1"),
               {"kind": "rule_muted", "repo": "o/r", "pr_number": None, "created_at": "2026-03-02T10:00:00Z",
                "details": {"rule_id": "paths/wide-reach"}}]
    (entry,) = rule_stats(records)
    assert entry["rule_id"] == "paths/wide-reach" and entry["findings"] == 2 and entry["decisions"] == 1
    assert (entry["up"], entry["down"], entry["precision"]) == (1, 2, 0.333)
    assert entry["muted_in"] == ["o/r"] and entry["by_repo"]["o/r"]["findings"] == 2


def test_stats_series_per_week() -> None:
    records, _ = exceptions_log()
    later = decision("acme/widgets", 20, sha("W"), "approve", at=T0 + timedelta(days=15), total_ms=100.0)
    stats = compute_stats([*records, later])
    assert stats["weeks"] == ["2026-03-02", "2026-03-09", "2026-03-16"]  # the empty middle week is kept
    assert stats["decisions_by_action"]["approve"] == [3, 0, 1]
    assert stats["decisions_by_action"]["comment"] == [2, 0, 0]
    assert stats["approval_rate"] == [0.6, None, 1.0]
    assert stats["latency_p50_ms"] == [850.0, None, 100.0]
    assert stats["merges"] == [7, 0, 0]
    assert stats["top_holdbacks"] == [{"rule_id": "findings.hold_rules", "count": 2}]
    assert stats["totals"] == {"decisions": 6, "approvals": 4, "merges": 7, "exceptions": 6}


def test_list_records_filters_and_cursor_pages(store: DecisionStore) -> None:
    for i in range(12):
        store.append(decision("o/r" if i % 2 else "o/s", i, sha(f"h{i}"), "approve" if i % 3 == 0 else "comment",
                              at=T0 + timedelta(hours=i), author="ann" if i < 6 else "bob",
                              findings=[finding("paths/wide-reach")] if i % 4 == 0 else []))
    page = list_records(store, RecordFilter(kind="decision"), limit=5)
    assert [r["pr_number"] for r in page.items] == [11, 10, 9, 8, 7]
    assert decode_cursor(page.next_cursor) == page.items[-1]["seq"]
    page2 = list_records(store, RecordFilter(kind="decision"), cursor=page.next_cursor, limit=5)
    page3 = list_records(store, RecordFilter(kind="decision"), cursor=page2.next_cursor, limit=5)
    assert [r["pr_number"] for r in page2.items + page3.items] == [6, 5, 4, 3, 2, 1, 0]
    assert page3.next_cursor is None
    assert [r["pr_number"] for r in list_records(store, RecordFilter(repo="o/r", action="approve")).items] == [9, 3]
    assert [r["pr_number"] for r in list_records(store, RecordFilter(author="bob", rule_id="paths/wide-reach")).items] == [8]
    assert [r["pr_number"] for r in list_records(store, RecordFilter(rule_id="paths/")).items] == [8, 4, 0]
    assert [r["pr_number"] for r in list_records(store, RecordFilter(rule_id="paths/wide")).items] == []
    assert [r["pr_number"] for r in list_records(store, RecordFilter(pr_number=5)).items] == [5]
    window = RecordFilter(since=T0 + timedelta(hours=3), until=T0 + timedelta(hours=5))
    assert [r["pr_number"] for r in list_records(store, window).items] == [4, 3]
    assert [r["pr_number"] for r in list_records(store, RecordFilter(author="ANN")).items] == []  # exact, not LIKE's case folding


@pytest.mark.parametrize("cursor", ["nonsense", "c2VxPGFi", ""])
def test_bad_cursor_is_a_one_line_error(store: DecisionStore, cursor: str) -> None:
    store.append(decision("o/r", 1, sha("A"), "approve", at=T0))
    if cursor == "":
        assert list_records(store, RecordFilter(), cursor=cursor).items
        return
    with pytest.raises(ValueError, match="invalid cursor"):
        list_records(store, RecordFilter(), cursor=cursor)


def test_queries_on_a_missing_log_return_nothing(tmp_path: Path) -> None:
    store = DecisionStore(f"sqlite:///{tmp_path / 'absent.sqlite3'}")
    assert list_records(store, RecordFilter()).items == [] and list(iter_records(store)) == []
    assert not (tmp_path / "absent.sqlite3").exists()


def test_author_and_rule_filters_use_terms_and_backfill_an_older_log(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    store = DecisionStore(url)
    for i in range(6):
        store.append(decision("o/r", i, sha(f"t{i}"), "comment", at=T0 + timedelta(hours=i), author="ann" if i % 2 else "bob",
                              findings=[finding("paths/wide-reach")] if i % 3 == 0 else []))
    store.close()
    engine = create_engine(url)  # make it look like a log written before decision_terms existed
    with engine.begin() as conn:  # (by a version that did not mark its logs ready either)
        conn.execute(text("DROP TABLE decision_terms"))
        conn.execute(text("PRAGMA user_version = 0"))
    engine.dispose()
    old = DecisionStore(url)
    assert not old.has_terms()
    assert [r["pr_number"] for r in list_records(old, RecordFilter(author="ann")).items] == [5, 3, 1]  # LIKE path
    old.prepare()  # what the next append does: create the table and fill it from the records
    assert old.has_terms()
    assert [r["pr_number"] for r in list_records(old, RecordFilter(author="ann")).items] == [5, 3, 1]
    assert [r["pr_number"] for r in list_records(old, RecordFilter(rule_id="paths/")).items] == [3, 0]
    assert [r["pr_number"] for r in list_records(old, RecordFilter(rule_id="paths/wide-reach", author="bob")).items] == [0]
    assert [r["pr_number"] for r in list_records(old, RecordFilter(rule_id="findings.hold_rules"), limit=2).items] == [5, 4]
    assert old.verify().ok
    old.close()
