"""The App writes signed checkpoints of the decision log every N records and on shutdown, into a
directory outside the database, with a key generated (mode 0600) in the data directory."""

from __future__ import annotations

import stat
from pathlib import Path

from app_helpers import REPO, deliver, make_runtime, pr_payload
from fastapi.testclient import TestClient

from bot.app.main import create_app
from bot.audit.checkpoint import load_public_key, read_checkpoint, verify_against_checkpoint
from bot.testing.fake_github import FakeGitHub


def test_checkpoints_every_n_records_and_on_shutdown(fake: FakeGitHub, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors"
    rt = make_runtime(fake, tmp_path, audit_checkpoint_dir=anchors, audit_checkpoint_every=2)
    try:
        with TestClient(create_app(rt)) as tc:
            for i in range(3):
                pull = fake.open_pull(REPO, {f"docs/p{i}.md": f"# Page {i}\n"}, title=f"docs: page {i}", body="p")
                assert deliver(tc, "pull_request", pr_payload(fake, pull.number)).status_code == 202
                assert rt.pool.drain(30)
        appended = rt.decisions.verify().checked
        periodic = sorted(anchors.glob("checkpoint-*.json"))
        assert len(periodic) == appended // 2
    finally:
        rt.close()
    files = sorted(anchors.glob("checkpoint-*.json"))
    assert len(files) >= len(periodic) and len(rt.checkpoints.written) == len(periodic) + 1  # + the shutdown one
    key_file = tmp_path / "data" / "audit-signing-key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    newest = read_checkpoint(files[-1])
    assert newest.seq == appended
    from bot.audit import DecisionStore

    with DecisionStore(f"sqlite:///{tmp_path / 'quorum.sqlite3'}") as store:
        assert verify_against_checkpoint(store, newest, load_public_key(key_file)).ok


def test_no_directory_no_checkpoints(fake: FakeGitHub, tmp_path: Path) -> None:
    rt = make_runtime(fake, tmp_path)
    rt.close()
    assert rt.checkpoints is None and not (tmp_path / "data" / "audit-signing-key.pem").exists()
