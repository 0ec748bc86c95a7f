"""``quorum jobs list|show|retry`` and ``quorum db`` on the embedded SQLite queue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import _register_subcommands, app
from bot.core.webhook import Task
from bot.jobs import JobStore


@pytest.fixture
def dead_letter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    for key in ("QUORUM_DATABASE_URL",):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("QUORUM_DATA_DIR", str(tmp_path / "data"))
    store = JobStore(f"sqlite:///{tmp_path / 'data' / 'decisions.jobs.sqlite3'}")
    store.enqueue(Task(kind="review", repo="acme/w", pr_number=4, installation_id=9, head_sha="c" * 40),
                  delivery_id="dlv-4")
    job = store.claim()
    store.fail(job.id, "GitHubUnavailable: 503 (gave up after 5 attempts)")
    store.close()
    _register_subcommands()
    return job.id


def test_list_show_and_retry_a_dead_letter(dead_letter: int) -> None:
    runner = CliRunner()
    listed = runner.invoke(app, ["jobs", "list", "--status", "failed"])
    assert listed.exit_code == 0 and "failed" in listed.output and "gave up after 5 attempts" in listed.output
    shown = json.loads(runner.invoke(app, ["jobs", "show", str(dead_letter)]).output)
    assert shown["status"] == "failed" and shown["delivery_id"] == "dlv-4" and shown["repo"] == "acme/w"
    retried = runner.invoke(app, ["jobs", "retry", str(dead_letter)])
    assert retried.exit_code == 0 and "queued again" in retried.output
    again = runner.invoke(app, ["jobs", "retry", str(dead_letter)])
    assert again.exit_code == 2 and "only failed or cancelled jobs" in again.output
    missing = runner.invoke(app, ["jobs", "show", "999"])
    assert missing.exit_code == 2 and "no job 999" in missing.output
    assert "nothing to upgrade" in runner.invoke(app, ["db", "upgrade"]).output
