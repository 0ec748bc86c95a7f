"""Filters, JSONL and CSV exports (SQLite)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.audit import CSV_COLUMNS, ChainRow, DecisionStore, canonical_json, event_record, record_from_result, verify_rows
from bot.core.errors import AuditError
from bot.core.models import Action
from bot.core.protocols import PostedArtifact

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def filled(sqlite_url, result_factory):
    """Six records over two repos and three days; returns the store."""
    store = DecisionStore(sqlite_url)
    plan = [
        ("acme/widgets", Action.approve, 0),
        ("acme/widgets", Action.request_changes, 1),
        ("acme/gears", Action.comment, 1),
        ("acme/gears", Action.approve, 2),
        ("acme/widgets", Action.needs_human, 2),
    ]
    for i, (repo, action, day) in enumerate(plan):
        result = result_factory(repo=repo, action=action, head_sha=f"{i:x}" * 40, findings=i % 3)
        posted = [PostedArtifact(kind="check_run", id=f"cr{i}"), PostedArtifact(kind="review", id=f"rv{i}")]
        store.append(record_from_result(result, posted=posted, delivery_id=f"d{i}", now=T0 + timedelta(days=day, hours=i)))
    store.append(event_record("human_review_requested", repo="acme/widgets", pr_number=7, actor="carol",
                              details={"reason": "=HYPERLINK(\"x\")"}, now=T0 + timedelta(days=2, hours=9)))
    yield store
    store.close()


def _seqs(rows):
    return [row["seq"] for row in rows]


def test_list_is_newest_first_with_limit(filled):
    assert _seqs(filled.list()) == [6, 5, 4, 3, 2, 1]
    assert _seqs(filled.list(limit=2)) == [6, 5]
    assert _seqs(filled.list(limit=None)) == [6, 5, 4, 3, 2, 1]


def test_filters(filled):
    assert _seqs(filled.list(repo="acme/gears")) == [4, 3]
    assert _seqs(filled.list(action="approve")) == [4, 1]
    assert _seqs(filled.list(action=Action.approve)) == [4, 1]
    assert _seqs(filled.list(kind="human_review_requested")) == [6]
    assert _seqs(filled.list(since=T0 + timedelta(days=1))) == [6, 5, 4, 3, 2]
    assert _seqs(filled.list(since=T0 + timedelta(days=2))) == [6, 5, 4]
    # A naive `since` is UTC; an aware one is converted.
    assert _seqs(filled.list(since=datetime(2024, 5, 3))) == [6, 5, 4]
    assert _seqs(filled.list(since=datetime(2024, 5, 3, 2, 0, tzinfo=timezone(timedelta(hours=2))))) == [6, 5, 4]
    assert _seqs(filled.list(repo="acme/widgets", action="approve")) == [1]
    assert filled.list(repo="nobody/else") == []


def test_jsonl_export_round_trips_and_reverifies(filled):
    out = io.StringIO()
    assert filled.export("jsonl", out) == 6
    lines = out.getvalue().splitlines()
    exported = [json.loads(line) for line in lines]
    assert exported == list(reversed(filled.list(limit=None)))
    # An auditor can re-check the full export without the database.
    rows = [
        ChainRow(r["seq"], r["prev_hash"], r["record_hash"],
                 canonical_json({k: v for k, v in r.items() if k not in ("seq", "prev_hash", "record_hash")}).decode())
        for r in exported
    ]
    assert verify_rows(rows).ok
    exported[2]["action"] = "approve"
    tampered = [
        ChainRow(r["seq"], r["prev_hash"], r["record_hash"],
                 canonical_json({k: v for k, v in r.items() if k not in ("seq", "prev_hash", "record_hash")}).decode())
        for r in exported
    ]
    report = verify_rows(tampered)
    assert (report.ok, report.first_broken_seq, report.reason) == (False, 3, "record_hash mismatch")


def test_jsonl_export_with_filters(filled):
    out = io.StringIO()
    assert filled.export("jsonl", out, repo="acme/widgets", since=T0 + timedelta(days=1)) == 3
    assert [json.loads(line)["seq"] for line in out.getvalue().splitlines()] == [2, 5, 6]


def test_csv_export_flattens(filled):
    out = io.StringIO(newline="")
    assert filled.export("csv", out) == 6
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert list(rows[0]) == list(CSV_COLUMNS)
    stored = list(reversed(filled.list(limit=None)))
    for row, record in zip(rows, stored, strict=True):
        assert int(row["seq"]) == record["seq"]
        for name in ("created_at", "kind", "repo", "record_hash", "prev_hash"):
            assert row[name] == record[name]
    second, event = rows[1], rows[5]
    record = stored[1]
    assert second["decision_id"] == record["decision_id"]
    assert (second["base_sha"], second["head_sha"]) == (record["base_sha"], record["head_sha"])
    assert second["action"] == "request_changes" and float(second["risk"]) == record["risk"]
    assert second["policy_version"] == record["policy_version"] and second["pr_number"] == "7"
    assert second["reasons"] == "gate.agents_pass: safety raised a concern"
    assert second["agents"] == "intent:pass; safety:concern"
    assert second["findings"] == "1" and rows[2]["findings"] == "2" and rows[0]["findings"] == "0"
    assert second["posted"] == "check_run:cr1; review:rv1"
    assert event["kind"] == "human_review_requested" and event["actor"] == "carol"
    assert event["action"] == "" and event["findings"] == "" and event["agents"] == ""


def test_csv_neutralizes_formulas(sqlite_url, result_factory):
    store = DecisionStore(sqlite_url)
    store.append(event_record("feedback", repo="=cmd|' /C calc'!A0", pr_number=1, actor="@evil",
                              now=T0))
    out = io.StringIO(newline="")
    store.export("csv", out)
    store.close()
    row = next(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert row["repo"] == "'=cmd|' /C calc'!A0"
    assert row["actor"] == "'@evil"


def test_export_rejects_unknown_format_and_filters(filled):
    with pytest.raises(AuditError, match="valid formats: jsonl, csv"):
        filled.export("xml", io.StringIO())
    with pytest.raises(AuditError, match="valid filters"):
        filled.export("jsonl", io.StringIO(), author="x")


def test_export_of_missing_log_is_empty(tmp_path):
    store = DecisionStore(f"sqlite:///{tmp_path / 'none.sqlite3'}")
    out = io.StringIO()
    assert store.export("jsonl", out) == 0 and out.getvalue() == ""
    assert not (tmp_path / "none.sqlite3").exists()
