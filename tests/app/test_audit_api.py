"""The read-only auditor API: tokens, 401s, filters, cursor pages, detail, exceptions, export, verify."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from bot.app.auditweb import create_audit_app
from bot.audit import DecisionStore
from bot.audit.access import AccessStore
from bot.audit.checkpoint import checkpoint_file_name, create_checkpoint, write_checkpoint
from bot.testing.auditlog import T0, decision, exceptions_log, feedback, finding, sha


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[DecisionStore, AccessStore]]:
    url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    decisions, access = DecisionStore(url), AccessStore(url)
    records, _ = exceptions_log()
    for r in records:
        decisions.append(r)
    decisions.append(decision("acme/gadgets", 30, sha("G"), "needs_human", at=T0 + timedelta(days=8), author="bob",
                              findings=[finding("logic/removed-guard", severity="major")]))
    decisions.append(feedback("acme/gadgets", 30, "logic/removed-guard", "down", "carol", at=T0 + timedelta(days=8)))
    yield decisions, access
    decisions.close()
    access.close()


@pytest.fixture
def api(stores: tuple[DecisionStore, AccessStore]) -> Iterator[TestClient]:
    with TestClient(create_audit_app(*stores)) as tc:
        yield tc


@pytest.fixture
def token(stores: tuple[DecisionStore, AccessStore]) -> dict[str, str]:
    return {"Authorization": f"Bearer {stores[1].create('auditor-ann')}"}


def test_no_or_bad_token_is_401_and_logged(api: TestClient, stores: tuple[DecisionStore, AccessStore]) -> None:
    for path in ("/api/v1/decisions", "/api/v1/openapi.json", "/api/v1/export?format=csv", "/api/v1/nope"):
        r = api.get(path)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert api.get("/api/v1/decisions", headers={"Authorization": "Bearer qa_wrong"}).status_code == 401
    outcomes = [a["outcome"] for a in stores[1].accesses(limit=10)]
    assert outcomes[0] == "denied: unknown token" and outcomes.count("denied: no token") == 4


def test_revoked_and_expired_tokens_are_refused(api: TestClient, stores: tuple[DecisionStore, AccessStore],
                                                token: dict[str, str]) -> None:
    assert api.get("/api/v1/decisions", headers=token).status_code == 200
    assert stores[1].revoke("auditor-ann") and not stores[1].revoke("auditor-ann")
    r = api.get("/api/v1/decisions", headers=token)
    assert r.status_code == 401 and "revoked" in r.json()["error"]
    secret = stores[1].create("short", expires_at=datetime.now(UTC) + timedelta(seconds=1))
    with stores[1]._engine.begin() as conn:  # age the token instead of sleeping
        from bot.audit.access import tokens  # noqa: PLC0415

        conn.execute(tokens.update().where(tokens.c.name == "short").values(expires_at=datetime(2000, 1, 1)))
    r = api.get("/api/v1/decisions", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401 and "expired" in r.json()["error"]
    (stored,) = [t for t in stores[1].list() if t.name == "short"]
    assert stored.status() == "expired"


def test_tokens_are_stored_hashed(stores: tuple[DecisionStore, AccessStore], tmp_path: Path) -> None:
    secret = stores[1].create("hashed")
    raw = (tmp_path / "log.sqlite3").read_bytes() + (tmp_path / "log.sqlite3-wal").read_bytes()
    assert secret.encode() not in raw
    with pytest.raises(Exception, match="already exists"):
        stores[1].create("hashed")
    with pytest.raises(Exception, match="invalid token name"):
        stores[1].create("bad name!")


def test_nothing_can_write(api: TestClient, token: dict[str, str], stores: tuple[DecisionStore, AccessStore]) -> None:
    before = stores[0].verify().checked
    for method in ("post", "put", "patch", "delete"):
        for path in ("/api/v1/decisions", "/api/v1/decisions/1", "/console/decisions", "/console/"):
            r = api.request(method.upper(), path, headers=token)
            assert r.status_code == 405, (method, path)
    schema = api.get("/api/v1/openapi.json", headers=token).json()
    methods = {m for ops in schema["paths"].values() for m in ops}
    assert methods == {"get"}
    assert {"/decisions", "/decisions/{ident}", "/merges", "/exceptions", "/verify", "/export", "/stats", "/rules"} <= set(schema["paths"])
    assert stores[0].verify().checked == before


def test_decisions_filters_and_cursor(api: TestClient, token: dict[str, str]) -> None:
    r = api.get("/api/v1/decisions", headers=token, params={"limit": 2})
    body = r.json()
    assert [i["pr_number"] for i in body["items"]] == [30, 7] and body["next_cursor"]
    r2 = api.get("/api/v1/decisions", headers=token, params={"limit": 2, "cursor": body["next_cursor"]}).json()
    assert [i["pr_number"] for i in r2["items"]] == [5, 4]
    assert [i["pr_number"] for i in api.get("/api/v1/decisions", headers=token, params={"repo": "acme/gadgets"}).json()["items"]] == [30]
    assert [i["pr_number"] for i in api.get("/api/v1/decisions", headers=token, params={"action": "approve"}).json()["items"]] == [7, 3, 1]
    assert [i["pr_number"] for i in api.get("/api/v1/decisions", headers=token, params={"rule_id": "paths/wide-reach"}).json()["items"]] == [4]
    assert [i["pr_number"] for i in api.get("/api/v1/decisions", headers=token, params={"author": "bob"}).json()["items"]] == [30]
    assert [i["pr_number"] for i in api.get("/api/v1/decisions", headers=token, params={"pr": 3}).json()["items"]] == [3]
    span = {"since": "2026-03-02T12:00:00Z", "until": "2026-03-02T18:00:00"}
    assert [i["pr_number"] for i in api.get("/api/v1/decisions", headers=token, params=span).json()["items"]] == [4, 3]
    bad = api.get("/api/v1/decisions", headers=token, params={"since": "yesterday"})
    assert bad.status_code == 400 and "since" in bad.json()["detail"]
    assert api.get("/api/v1/decisions", headers=token, params={"cursor": "zzz"}).status_code == 400
    assert api.get("/api/v1/decisions", headers=token, params={"limit": 501}).status_code == 422


def test_decision_detail_has_tree_findings_posted_and_merge(api: TestClient, token: dict[str, str]) -> None:
    items = api.get("/api/v1/decisions", headers=token, params={"pr": 4}).json()["items"]
    detail = api.get(f"/api/v1/decisions/{items[0]['decision_id']}", headers=token).json()
    record = detail["record"]
    assert record["policy_tree"]["children"][0]["rule_id"] == "findings.hold_rules"
    (f,) = [f for v in record["verdicts"] for f in v["findings"]]
    assert f["rule_id"] == "paths/wide-reach" and len(f["evidence"]) == 2
    assert record["posted"] == [{"kind": "check_run", "id": "40", "url": None}]
    (m,) = detail["merges"]
    assert m["merged_by"] == "maria" and m["human_approvers"] == ["rita"] and m["head_sha"] == sha("C")
    assert api.get("/api/v1/decisions/999999", headers=token).status_code == 404


def test_merges_exceptions_stats_rules(api: TestClient, token: dict[str, str],
                                       stores: tuple[DecisionStore, AccessStore]) -> None:
    merges = api.get("/api/v1/merges", headers=token).json()["items"]
    assert [m["pr_number"] for m in merges] == [7, 6, 5, 4, 3, 2, 1]
    ex = api.get("/api/v1/exceptions", headers=token).json()
    assert [(r["exception"], r["pr_number"]) for r in ex["items"]] == exceptions_log()[1]
    csv_text = api.get("/api/v1/exceptions", headers=token, params={"format": "csv", "kind": "held_back_merged"}).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [(r["pr_number"], r["decided_by"]) for r in rows] == [("4", "rita"), ("7", "maria")]
    stats = api.get("/api/v1/stats", headers=token).json()
    assert stats["totals"]["decisions"] == 6 and stats["feedback_by_rule"] == [{"rule_id": "logic/removed-guard", "up": 0, "down": 1}]
    rules = {r["rule_id"]: r for r in api.get("/api/v1/rules", headers=token).json()["items"]}
    assert rules["logic/removed-guard"]["down"] == 1 and rules["logic/removed-guard"]["precision"] == 0.0
    stores[0].append(decision("acme/gadgets", 31, sha("H"), "comment", at=T0 + timedelta(days=9),
                              findings=[finding("QPY004")]))  # the cached report follows the log
    rules = {r["rule_id"]: r for r in api.get("/api/v1/rules", headers=token).json()["items"]}
    assert rules["QPY004"]["docs"]["name"] == "assert-for-runtime-check"
    assert rules["logic/removed-guard"]["docs"]["what"].startswith("Compares the removed and added lines")  # every registered rule has docs
    page = api.get("/console/rules", headers=token)  # the console takes the bearer token too
    assert page.status_code == 200 and "assert-for-runtime-check" in page.text


def test_export_matches_the_cli_export(api: TestClient, token: dict[str, str], stores: tuple[DecisionStore, AccessStore]) -> None:
    for fmt in ("csv", "jsonl"):
        expected = io.StringIO(newline="")
        stores[0].export(fmt, expected, kind="decision")
        r = api.get("/api/v1/export", headers=token, params={"format": fmt, "kind": "decision"})
        assert r.status_code == 200 and r.text == expected.getvalue()
    lines = api.get("/api/v1/export", headers=token).text.splitlines()
    assert len(lines) == 14 and json.loads(lines[0])["seq"] == 1


def test_verify_reports_the_chain(api: TestClient, token: dict[str, str]) -> None:
    body = api.get("/api/v1/verify", headers=token).json()
    assert body["ok"] and body["checked"] == 14 and body["summary"] == "verified 14 records, chain intact"
    assert body["checkpoint"] is None and "QUORUM_AUDIT_CHECKPOINT_DIR" in body["checkpoint_note"]


def _verify_with(stores: tuple[DecisionStore, AccessStore], checkpoint_dir: Path, public_key,  # noqa: ANN001
                 path: str = "/api/v1/verify") -> Any:
    with TestClient(create_audit_app(*stores, checkpoint_dir=checkpoint_dir, public_key=public_key)) as tc:
        name = f"auditor-{len(stores[1].list())}"
        headers = {"Authorization": f"Bearer {stores[1].create(name)}"}
        response = tc.get(path, headers=headers)
        assert response.status_code == 200
        return response.json() if path.startswith("/api/") else response.text


def test_verify_reads_the_newest_checkpoint_and_checks_the_log_extends_it(
        stores: tuple[DecisionStore, AccessStore], tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    directory = tmp_path / "checkpoints"
    directory.mkdir()
    assert _verify_with(stores, directory, key.public_key())["checkpoint_note"].startswith("no checkpoint written yet")
    old = create_checkpoint(stores[0], key)
    write_checkpoint(old, directory / "checkpoint-000000000001-20250101T000000Z.json")  # older name sorts first
    newest = create_checkpoint(stores[0], key)
    write_checkpoint(newest, directory / checkpoint_file_name(newest))
    body = _verify_with(stores, directory, key.public_key())
    cp = body["checkpoint"]
    assert cp["file"] == checkpoint_file_name(newest) and cp["seq"] == 14 and cp["head_hash"] == newest.head_hash
    assert cp["verified"] is True and cp["reason"] is None
    page = _verify_with(stores, directory, key.public_key(), "/console/verify")
    assert f"The log extends checkpoint {checkpoint_file_name(newest)} (seq 14)" in page
    # Signed by some other key: reported, not trusted.
    forged = _verify_with(stores, directory, Ed25519PrivateKey.generate().public_key())["checkpoint"]
    assert forged["verified"] is False and "not by the operator's key" in forged["reason"]
    # No public key configured: shown, but never called verified.
    unchecked = _verify_with(stores, directory, None)["checkpoint"]
    assert unchecked["verified"] is False and "not checked" in unchecked["reason"]


def test_verify_says_when_the_log_no_longer_extends_the_checkpoint(
        stores: tuple[DecisionStore, AccessStore], tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    directory = tmp_path / "checkpoints"
    directory.mkdir()
    # A checkpoint of a longer log: the served log was truncated (or rolled back) since.
    longer = DecisionStore(f"sqlite:///{tmp_path / 'longer.sqlite3'}")
    for r in exceptions_log()[0]:
        longer.append(r)
    for n in range(3):
        longer.append(decision("acme/gadgets", 40 + n, sha(f"L{n}"), "comment", at=T0 + timedelta(days=9)))
    ahead = create_checkpoint(longer, key)
    longer.close()
    write_checkpoint(ahead, directory / checkpoint_file_name(ahead))
    cp = _verify_with(stores, directory, key.public_key())["checkpoint"]
    assert cp["verified"] is False and cp["reason"]
    (directory / checkpoint_file_name(ahead)).write_text("{not json", encoding="utf-8")
    body = _verify_with(stores, directory, key.public_key())
    assert body["checkpoint"] is None and body["checkpoint_note"].startswith("checkpoint unreadable")


def test_every_access_is_logged_with_who_what_when(api: TestClient, token: dict[str, str],
                                                    stores: tuple[DecisionStore, AccessStore]) -> None:
    api.get("/api/v1/decisions?repo=acme%2Fwidgets", headers=token)
    api.get("/api/v1/verify", headers=token)
    (v, d) = stores[1].accesses(limit=2)
    assert (v["token_name"], v["method"], v["path"], v["outcome"]) == ("auditor-ann", "GET", "/api/v1/verify", "ok")
    assert d["path"] == "/api/v1/decisions?repo=acme%2Fwidgets" and d["at"].endswith("Z")
    (t,) = [t for t in stores[1].list() if t.name == "auditor-ann"]
    assert t.last_used_at is not None
