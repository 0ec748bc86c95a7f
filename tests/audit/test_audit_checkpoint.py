"""Signed checkpoints anchor the decision log: ``quorum audit checkpoint`` and
``quorum audit verify --checkpoint`` as real processes, against every way a database writer can
rewrite history (on SQLite, and on PostgreSQL where the cluster fixture is available)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

from bot.audit import DecisionStore, compute_record_hash, record_from_result
from bot.audit.chain import GENESIS_HASH, canonical_json
from bot.audit.checkpoint import (
    Checkpoint,
    create_checkpoint,
    key_id,
    load_or_create_signing_key,
    read_checkpoint,
    verify_against_checkpoint,
    write_checkpoint,
)
from bot.core.models import Action

T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
ACTIONS = [Action.approve, Action.request_changes, Action.comment, Action.needs_human, Action.comment]


def audit(*args: str, data: Path, url: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = dict(os.environ, QUORUM_DATA_DIR=str(data), QUORUM_DATABASE_URL=url)
    full.pop("QUORUM_AUDIT_SIGNING_KEY", None)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "bot.cli.main", "audit", *args], capture_output=True, text=True,
                          env=full, timeout=120)


def fill(url: str, result_factory: Callable, count: int, start: int = 0) -> None:
    with DecisionStore(url) as store:
        for i in range(start, start + count):
            store.append(record_from_result(result_factory(action=ACTIONS[i % len(ACTIONS)], head_sha=f"{i:040x}"),
                                            now=T0 + timedelta(hours=i)))


def rows(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as conn:
        out = conn.execute(text("SELECT seq, prev_hash, record_hash, record_json FROM decision_log ORDER BY seq")).all()
    engine.dispose()
    return out


def execute(url: str, *statements: tuple[str, dict]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)
    engine.dispose()


def rewrite_and_recompute(url: str, seq: int, **changes: object) -> None:
    """What a database writer can do: change record ``seq``, recompute every later hash and the head."""
    stmts: list[tuple[str, dict]] = []
    prev = None
    for row in rows(url):
        record = json.loads(row.record_json)
        if row.seq == seq:
            record.update(changes)
        if row.seq < seq:
            prev = row.record_hash
            continue
        prev_hash = prev or GENESIS_HASH
        new_hash = compute_record_hash(prev_hash, record)
        stmts.append(("UPDATE decision_log SET record_json = :j, prev_hash = :p, record_hash = :h, action = :a "
                      "WHERE seq = :s", {"j": canonical_json(record).decode(), "p": "x" * 63 + str(row.seq % 10),
                                         "h": "y" * 63 + str(row.seq % 10), "a": record.get("action"), "s": row.seq}))
        stmts.append(("UPDATE decision_log SET prev_hash = :p, record_hash = :h WHERE seq = :s",
                      {"p": prev_hash, "h": new_hash, "s": row.seq}))
        prev = new_hash
    stmts.append(("UPDATE decision_chain_head SET record_hash = :h WHERE id = 1", {"h": prev}))
    execute(url, *stmts)


def delete_newest(url: str, keep: int) -> None:
    last = [r for r in rows(url) if r.seq <= keep][-1]
    execute(url, ("DELETE FROM decision_log WHERE seq > :k", {"k": keep}),
            ("UPDATE decision_chain_head SET seq = :s, record_hash = :h WHERE id = 1",
             {"s": last.seq, "h": last.record_hash}))


def empty(url: str) -> None:
    execute(url, ("DELETE FROM decision_log", {}), ("DELETE FROM decision_chain_head", {}))


@pytest.fixture
def anchored(tmp_path: Path, store_url: str, result_factory: Callable) -> tuple[str, Path, Path]:
    """A log of 5 records on ``store_url`` and a checkpoint of it written by the real CLI."""
    fill(store_url, result_factory, 5)
    data = tmp_path / "qdata"
    cp = tmp_path / "anchors" / "cp.json"
    cp.parent.mkdir()
    made = audit("checkpoint", "--output", str(cp), data=data, url=store_url)
    assert made.returncode == 0, made.stderr
    assert "checkpoint at seq 5" in made.stdout
    return store_url, data, cp


def check(anchored: tuple[str, Path, Path], *extra: str) -> subprocess.CompletedProcess[str]:
    url, data, cp = anchored
    return audit("verify", "--checkpoint", str(cp), *extra, data=data, url=url)


def assert_rejected(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("quorum: error: checkpoint check failed:") and needle in proc.stderr, proc.stderr
    assert proc.stderr.count("\n") == 1


def test_checkpoint_file_and_key(anchored: tuple[str, Path, Path]) -> None:
    url, data, cp = anchored
    body = json.loads(cp.read_text())
    assert sorted(body) == ["created_at", "format", "head_hash", "key_id", "record_count", "seq", "signature"]
    assert body["seq"] == body["record_count"] == 5 and body["head_hash"] == rows(url)[-1].record_hash
    key_file = data / "audit-signing-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The key is not in the database: no column or record holds it.
    pem = key_file.read_text()
    assert all(pem.splitlines()[1] not in r.record_json for r in rows(url))
    ok = check(anchored)
    assert ok.returncode == 0, ok.stderr
    assert "log extends the checkpoint at seq 5" in ok.stdout


def test_log_that_grew_after_the_checkpoint_still_extends_it(anchored: tuple[str, Path, Path],
                                                             result_factory: Callable) -> None:
    fill(anchored[0], result_factory, 3, start=5)
    ok = check(anchored)
    assert ok.returncode == 0 and "8 records verified" in ok.stdout


def test_rewrite_with_recomputed_chain_and_head_is_detected(anchored: tuple[str, Path, Path]) -> None:
    url, data, _ = anchored
    rewrite_and_recompute(url, 2, action="approve")
    plain = audit("verify", data=data, url=url)
    assert plain.returncode == 0 and "chain intact" in plain.stdout  # the chain alone cannot tell
    assert_rejected(check(anchored), "record seq 5 differs from the checkpoint")


def test_rewrite_of_the_newest_record_is_detected(anchored: tuple[str, Path, Path]) -> None:
    rewrite_and_recompute(anchored[0], 5, action="approve")
    assert_rejected(check(anchored), "record seq 5 differs")


def test_deleting_the_newest_records_is_detected(anchored: tuple[str, Path, Path]) -> None:
    url, data, _ = anchored
    delete_newest(url, keep=3)
    assert audit("verify", data=data, url=url).returncode == 0
    assert_rejected(check(anchored), "log ends at seq 3 but the checkpoint covers seq 5 (truncated or rolled back)")


def test_rollback_then_new_appends_is_detected(anchored: tuple[str, Path, Path], result_factory: Callable) -> None:
    url, _, _ = anchored
    delete_newest(url, keep=2)
    fill(url, result_factory, 4, start=20)  # history grows again past the checkpoint's seq
    assert_rejected(check(anchored), "record seq 5 differs")


def test_emptying_both_tables_is_detected(anchored: tuple[str, Path, Path]) -> None:
    url, data, _ = anchored
    empty(url)
    plain = audit("verify", data=data, url=url)
    assert plain.returncode == 0  # an empty log "verifies"
    assert_rejected(check(anchored), "log is empty but the checkpoint covers 5 records")


def test_duplicate_key_record_fails_plain_verify(anchored: tuple[str, Path, Path]) -> None:
    """The stored text gains a first ``"action":"approve"`` that SQL's json_extract may read while the
    re-parsed JSON (last key wins) still hashes to the old value."""
    url, data, _ = anchored
    row = rows(url)[1]
    assert '"action":"request_changes"' in row.record_json
    forged = '{"action":"approve",' + row.record_json[1:]
    assert json.loads(forged)["action"] == "request_changes"
    execute(url, ("UPDATE decision_log SET record_json = :j WHERE seq = :s", {"j": forged, "s": row.seq}))
    plain = audit("verify", data=data, url=url)
    assert plain.returncode == 1
    assert "chain broken at seq 2: record JSON is not canonical: duplicate key 'action'" in plain.stdout
    assert_rejected(check(anchored), "seq 2: record JSON is not canonical")


def test_non_canonical_whitespace_with_rehashed_exact_bytes_fails(anchored: tuple[str, Path, Path]) -> None:
    """Even with the hash recomputed over the exact new bytes, a non-canonical text is refused."""
    url, data, _ = anchored
    last = rows(url)[-1]
    spaced = last.record_json.replace(",", ", ", 1)
    import hashlib

    new_hash = hashlib.sha256(last.prev_hash.encode() + b"\n" + spaced.encode()).hexdigest()
    execute(url, ("UPDATE decision_log SET record_json = :j, record_hash = :h WHERE seq = :s",
                  {"j": spaced, "h": new_hash, "s": last.seq}),
            ("UPDATE decision_chain_head SET record_hash = :h WHERE id = 1", {"h": new_hash}))
    plain = audit("verify", data=data, url=url)
    assert plain.returncode == 1 and "record JSON is not canonical" in plain.stdout


def test_checkpoint_signed_with_another_key_is_rejected(anchored: tuple[str, Path, Path], tmp_path: Path) -> None:
    url, data, cp = anchored
    with DecisionStore(url) as store:
        forged = create_checkpoint(store, Ed25519PrivateKey.generate())
    write_checkpoint(forged, cp)
    assert_rejected(check(anchored), "not by the operator's key")
    # Claiming the operator's key id does not help: the signature is checked with the operator's key.
    body = json.loads(cp.read_text())
    body["key_id"] = key_id(load_or_create_signing_key(data / "audit-signing-key.pem").public_key())
    cp.write_text(json.dumps(body))
    assert_rejected(check(anchored), "signature is invalid")


def test_edited_checkpoint_is_rejected(anchored: tuple[str, Path, Path]) -> None:
    url, _, cp = anchored
    body = json.loads(cp.read_text())
    body["seq"] = body["record_count"] = 2
    body["head_hash"] = rows(url)[1].record_hash
    cp.write_text(json.dumps(body))
    assert_rejected(check(anchored), "signature is invalid")


def test_missing_checkpoint_or_missing_log_is_an_error(anchored: tuple[str, Path, Path], tmp_path: Path) -> None:
    url, data, cp = anchored
    gone = audit("verify", "--checkpoint", str(tmp_path / "nope.json"), data=data, url=url)
    assert_rejected(gone, "nope.json is missing")
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink()
        assert_rejected(check(anchored), "no decision log at")


def test_public_key_file_is_enough_and_the_auditor_needs_no_private_key(anchored: tuple[str, Path, Path],
                                                                       tmp_path: Path) -> None:
    url, data, cp = anchored
    pub = audit("public-key", data=data, url=url)
    assert pub.returncode == 0 and pub.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    (tmp_path / "operator.pub").write_text(pub.stdout)
    elsewhere = tmp_path / "auditor-data"  # no signing key here
    ok = audit("verify", "--checkpoint", str(cp), "--public-key", str(tmp_path / "operator.pub"), data=elsewhere, url=url)
    assert ok.returncode == 0, ok.stderr
    other = tmp_path / "other.pem"
    load_or_create_signing_key(other)
    wrong = audit("verify", "--checkpoint", str(cp), "--public-key", str(other), data=elsewhere, url=url)
    assert_rejected(wrong, "not by the operator's key")
    nokey = audit("verify", "--checkpoint", str(cp), data=elsewhere, url=url)
    assert nokey.returncode == 2 and "no public key" in nokey.stderr
    assert not (elsewhere / "audit-signing-key.pem").exists()  # verify never makes a key


def test_directory_of_checkpoints_each_must_hold(anchored: tuple[str, Path, Path], result_factory: Callable) -> None:
    url, data, cp = anchored
    fill(url, result_factory, 2, start=5)
    second = audit("checkpoint", "--output", str(cp.parent), data=data, url=url)
    assert second.returncode == 0, second.stderr
    cp.rename(cp.parent / "checkpoint-000000000005-first.json")
    ok = audit("verify", "--checkpoint", str(cp.parent), data=data, url=url)
    assert ok.returncode == 0 and "2 checkpoints checked, newest at seq 7" in ok.stdout
    delete_newest(url, keep=6)
    assert_rejected(audit("verify", "--checkpoint", str(cp.parent), data=data, url=url), "checkpoint covers seq 7")


def test_broken_chain_cannot_be_checkpointed(tmp_path: Path, sqlite_url: str, result_factory: Callable) -> None:
    fill(sqlite_url, result_factory, 3)
    execute(sqlite_url, ("UPDATE decision_log SET record_json = replace(record_json, 'comment', 'approve') "
                         "WHERE seq = 3", {}))
    made = audit("checkpoint", data=tmp_path / "d", url=sqlite_url)
    assert made.returncode == 2 and made.stderr.startswith("quorum: error: no checkpoint: chain broken at seq 3")


def test_empty_log_checkpoint_then_any_growth_extends_it(tmp_path: Path, sqlite_url: str,
                                                          result_factory: Callable) -> None:
    key = Ed25519PrivateKey.generate()
    fill(sqlite_url, result_factory, 0)
    with DecisionStore(sqlite_url) as store:
        cp = create_checkpoint(store, key)
        assert (cp.seq, cp.head_hash) == (0, GENESIS_HASH)
        assert verify_against_checkpoint(store, cp, key.public_key()).ok
    fill(sqlite_url, result_factory, 2)
    with DecisionStore(sqlite_url) as store:
        assert verify_against_checkpoint(store, cp, key.public_key()).ok


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    load_or_create_signing_key(path)
    path.chmod(0o644)
    from bot.core.errors import AuditError

    with pytest.raises(AuditError, match="readable by others"):
        load_or_create_signing_key(path)


def test_read_checkpoint_refuses_malformed_files(tmp_path: Path) -> None:
    from bot.core.errors import AuditError

    path = tmp_path / "c.json"
    for content, needle in [
        ("{", "not valid JSON"),
        ('{"seq": 1, "seq": 2}', "not valid JSON"),
        ("[]", "exactly the fields"),
        (json.dumps({"format": "x", "seq": 1, "record_count": 1, "head_hash": "h", "created_at": "t",
                     "key_id": "k", "signature": "s"}), "format"),
        (json.dumps({"format": "quorum-audit-checkpoint/1", "seq": -1, "record_count": 1, "head_hash": "h",
                     "created_at": "t", "key_id": "k", "signature": "s"}), "non-negative"),
    ]:
        path.write_text(content)
        with pytest.raises(AuditError, match=needle):
            read_checkpoint(path)
    assert isinstance(Checkpoint(1, 1, "h", "t", "k", "s").to_json(), str)
