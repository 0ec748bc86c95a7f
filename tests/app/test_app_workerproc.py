"""Review workers in a child process: deliveries wake it, it reviews, and it is restarted if it dies."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from app_helpers import REPO, deliver, make_runtime, make_settings, pr_payload
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from bot.app.main import create_app
from bot.app.workerproc import WorkerProcess
from bot.testing.fake_github import FakeGitHub


def _wait(predicate, timeout_s: float = 30.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_child_process_reviews_and_is_restarted_after_a_crash(fake: FakeGitHub, tmp_path: Path) -> None:
    settings = make_settings(fake, tmp_path, github_write_interval_s=0.0)
    runtime = make_runtime(fake, tmp_path, github_write_interval_s=0.0)
    child = WorkerProcess(settings.model_dump(), threads=1, options={"configure_logging": False, "poll_s": 0.05})
    first = fake.open_pull(REPO, {"docs/guide.md": "# Guide\n\nOne.\n"}, title="docs: one", body="1")
    second = fake.open_pull(REPO, {"docs/other.md": "# Other\n"}, title="docs: two", body="2")
    try:
        with capture_logs() as logs, TestClient(create_app(runtime, worker_process=child)) as tc:
            assert deliver(tc, "pull_request", pr_payload(fake, first.number)).status_code == 202
            assert _wait(lambda: fake.reviews(REPO, first.number))
            assert runtime.pool._threads == []  # nothing ran in this process
            os.kill(child._proc.pid, signal.SIGKILL)
            assert _wait(lambda: child.restarts == 1 and child.alive())
            assert deliver(tc, "pull_request", pr_payload(fake, second.number)).status_code == 202
            assert _wait(lambda: fake.reviews(REPO, second.number))
        assert not child.alive()
        assert any(e["event"] == "workers.process_died" for e in logs)
        assert [r["state"] for r in fake.reviews(REPO, first.number)] == ["APPROVED"]
        assert [r["commit_id"] for r in fake.reviews(REPO, second.number)] == [second.head_sha]
        assert len(runtime.decisions.list(kind="decision")) == 2
    finally:
        runtime.close()
