"""Record building, canonical JSON and the record hash."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.audit import (
    EVENT_KINDS,
    GENESIS_HASH,
    canonical_json,
    compute_record_hash,
    event_record,
    record_from_result,
    utc_timestamp,
)
from bot.core.models import Action
from bot.core.protocols import PostedArtifact

NOW = datetime(2024, 5, 1, 12, 0, 0, 987654, tzinfo=UTC)

DECISION_KEYS = {
    "kind", "decision_id", "created_at", "delivery_id", "repo", "pr_number", "pr_author", "pr_url", "base_sha", "head_sha",
    "policy_sha",
    "diff_sha256", "diff_stats", "policy_version", "action", "reasons", "risk", "verdicts", "posted", "extra",
    "policy_tree", "timings",
}
VERDICT_KEYS = {
    "agent", "status", "risk", "confidence", "model", "prompt_version", "tokens", "cost_usd", "elapsed_ms",
    "truncated", "error", "findings",
}


def test_record_from_result_has_every_contract_field(result_factory):
    result = result_factory(action=Action.request_changes, findings=2)
    posted = [PostedArtifact(kind="check_run", id="123", url="https://x/1"), {"kind": "review", "id": "9"}]
    record = record_from_result(result, delivery_id="dlv-1", posted=posted, extra={"trigger": "push"}, now=NOW)

    assert set(record) == DECISION_KEYS
    assert record["kind"] == "decision"
    assert record["created_at"] == "2024-05-01T12:00:00Z"
    assert record["delivery_id"] == "dlv-1"
    assert (record["repo"], record["pr_number"]) == (result.pr.repo, result.pr.number)
    assert (record["base_sha"], record["head_sha"]) == (result.pr.base_sha, result.pr.head_sha)
    assert record["diff_sha256"] == result.diff_sha256
    assert record["diff_stats"] == result.diff_stats
    assert record["policy_version"] == result.decision.policy_version
    assert record["decision_id"] == result.decision.decision_id
    assert record["action"] == "request_changes"
    assert record["reasons"] == [{"rule_id": "gate.agents_pass", "message": "safety raised a concern"}]
    assert record["risk"] == result.decision.risk
    assert [v["agent"] for v in record["verdicts"]] == [v.agent for v in result.verdicts]
    for verdict in record["verdicts"]:
        assert set(verdict) == VERDICT_KEYS
    safety = record["verdicts"][1]
    assert safety["status"] == "concern"
    assert safety["prompt_version"] == "safety-v1"
    assert safety["tokens"] == 120 and safety["cost_usd"] == 0.0012
    assert safety["findings"] == [f.model_dump(mode="json") for f in result.verdicts[1].findings]
    assert safety["findings"][0]["evidence"] == ["app/run.py:10 run"]
    assert record["posted"] == [
        {"kind": "check_run", "id": "123", "url": "https://x/1"},
        {"kind": "review", "id": "9", "url": None},
    ]
    assert record["extra"] == {"trigger": "push"}
    # Plain JSON data: survives a JSON round trip unchanged.
    assert json.loads(json.dumps(record)) == record


def test_record_defaults_and_current_time(result_factory):
    record = record_from_result(result_factory(number=None))
    assert record["pr_number"] is None
    assert record["posted"] == [] and record["extra"] == {} and record["delivery_id"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["created_at"])
    stamped = datetime.fromisoformat(record["created_at"])
    assert abs(stamped - datetime.now(UTC)) < timedelta(minutes=1)


def test_utc_timestamp_converts_offsets():
    plus_two = datetime(2024, 5, 1, 14, 30, 5, 999, tzinfo=timezone(timedelta(hours=2)))
    assert utc_timestamp(plus_two) == "2024-05-01T12:30:05Z"
    assert utc_timestamp(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05Z"


@pytest.mark.parametrize("kind", sorted(EVENT_KINDS))
def test_event_record(kind):
    record = event_record(kind, repo="acme/widgets", pr_number=3, head_sha="c" * 40, delivery_id="d-2",
                          actor="alice", details={"reason": "touches auth"}, now=NOW)
    assert record == {
        "kind": kind,
        "created_at": "2024-05-01T12:00:00Z",
        "delivery_id": "d-2",
        "repo": "acme/widgets",
        "pr_number": 3,
        "head_sha": "c" * 40,
        "actor": "alice",
        "details": {"reason": "touches auth"},
    }


def test_event_record_rejects_unknown_kind():
    with pytest.raises(ValueError, match="valid kinds"):
        event_record("decision", repo="r", pr_number=1)


def test_canonical_json_is_sorted_compact_utf8():
    obj = {"b": [1, 2.5, None, True], "a": {"z": "é✓", "y": "x"}}
    out = canonical_json(obj)
    assert out == '{"a":{"y":"x","z":"é✓"},"b":[1,2.5,null,true]}'.encode()
    assert canonical_json(json.loads(out)) == out
    # Key order of the input does not matter.
    assert canonical_json({"a": 1, "b": 2}) == canonical_json({"b": 2, "a": 1})


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": float("inf")}, {"x": "\ud800"}])
def test_canonical_json_rejects_non_json_values(bad):
    with pytest.raises(ValueError):
        canonical_json(bad)


def test_canonical_json_rejects_objects():
    with pytest.raises(TypeError):
        canonical_json({"when": datetime(2024, 1, 1)})


def test_compute_record_hash_matches_definition():
    record = {"kind": "feedback", "repo": "r", "n": 1}
    expected = hashlib.sha256(GENESIS_HASH.encode() + b"\n" + canonical_json(record)).hexdigest()
    assert compute_record_hash(GENESIS_HASH, record) == expected
    assert len(expected) == 64
    assert compute_record_hash("1" * 64, record) != expected
    assert compute_record_hash(GENESIS_HASH, {**record, "n": 2}) != expected
