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


_ORPHAN = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
print(child.pid, flush=True)
time.sleep(60)
"""
_CHILD = """
import signal, sys, time
from bot.app.workerproc import _stop_with_parent
def on_term(*_):
    open(sys.argv[1], "w").write("stopped")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
_stop_with_parent()
open(sys.argv[1] + ".ready", "w").write("ready")
time.sleep(60)
"""


def test_a_worker_child_is_told_to_stop_when_its_parent_is_killed(tmp_path: Path) -> None:
    """SIGKILL of the web process must not leave its worker child running (PR_SET_PDEATHSIG)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    marker = tmp_path / "stopped"
    ready = tmp_path / "stopped.ready"
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN, _CHILD, str(marker)], stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    try:
        # the child has installed its handler and asked for the signal once it writes ``ready``
        assert _wait(ready.exists, timeout_s=60), "the worker child never got ready"
        parent.kill()
        parent.wait(10)
        assert _wait(marker.exists, timeout_s=20), "the orphaned child was not told to stop"
        assert _wait(lambda: not Path(f"/proc/{child_pid}").exists() or
                     Path(f"/proc/{child_pid}/stat").read_text().split()[2] == "Z", timeout_s=20)
    finally:
        parent.stdout.close()
        if Path(f"/proc/{child_pid}").exists():
            os.kill(child_pid, signal.SIGKILL)


def test_a_worker_child_whose_parent_is_already_gone_builds_nothing(tmp_path: Path) -> None:
    """A child that starts after the web process died returns at once, before it reads its settings."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    code = ("from bot.app.workerproc import child_main\n"
            "child_main(None, 1, {'parent_pid': 1 if __import__('os').getppid() != 1 else 2,"
            " 'nice': 0})\nprint('returned')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "returned"
