"""The worker pool: outcomes, retries, per-PR serialization under concurrency."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.core.errors import QuorumError
from bot.core.webhook import Task
from bot.jobs import Job, JobStore, WorkerPool


class Flaky(QuorumError):
    retryable = True
    retry_after_s = 0.0


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    s = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    yield s
    s.close()


def test_jobs_run_serialized_per_pull_request(store: JobStore) -> None:
    active: dict[int, int] = {}
    overlaps: list[int] = []
    lock = threading.Lock()
    done: list[int] = []

    def handler(job: Job) -> str:
        with lock:
            active[job.pr_number] = active.get(job.pr_number, 0) + 1
            if active[job.pr_number] > 1:
                overlaps.append(job.pr_number)
        time.sleep(0.01)
        with lock:
            active[job.pr_number] -= 1
            done.append(job.id)
        return "ok"

    pool = WorkerPool(store, handler, threads=4, poll_s=0.02)
    pool.start()
    for i in range(30):
        store.enqueue(Task(kind="command", repo="acme/w", pr_number=i % 3, installation_id=1, data={"n": i}))
        pool.notify()
    assert pool.drain(20)
    pool.stop()
    assert overlaps == [] and len(done) == 30
    assert store.counts() == {"done": 30}


def test_retryable_errors_are_retried_then_succeed(store: JobStore) -> None:
    calls: list[int] = []

    def handler(job: Job) -> str:
        calls.append(job.attempts)
        if job.attempts < 3:
            raise Flaky("GitHub answered 503")
        return "fine"

    pool = WorkerPool(store, handler, threads=1, poll_s=0.01, backoff_s=0.01)
    store.enqueue(Task(kind="review", repo="acme/w", pr_number=1, installation_id=1))
    with capture_logs() as logs:
        pool.start()
        assert pool.drain(10)
        pool.stop()
    assert calls == [1, 2, 3]
    assert [e["event"] for e in logs if e["event"].startswith("job.")].count("job.retry_later") == 2
    assert store.all_jobs()[0]["status"] == "done"


def test_retryable_errors_give_up_after_max_attempts(store: JobStore) -> None:
    def handler(job: Job) -> str:
        raise Flaky("still 503")

    pool = WorkerPool(store, handler, threads=1, poll_s=0.01, backoff_s=0.001, max_attempts=3)
    store.enqueue(Task(kind="review", repo="acme/w", pr_number=1, installation_id=1))
    with capture_logs() as logs:
        pool.start()
        assert pool.drain(10)
        pool.stop()
    job = store.all_jobs()[0]
    assert job["status"] == "failed" and job["attempts"] == 3
    assert any(e["event"] == "job.failed" and "gave up after 3 attempts" in e["reason"] for e in logs)


def test_other_errors_fail_at_once_and_the_worker_survives(store: JobStore) -> None:
    seen: list[int] = []

    def handler(job: Job) -> str:
        seen.append(job.id)
        if job.data.get("boom"):
            raise KeyError("missing field")
        return "ok"

    pool = WorkerPool(store, handler, threads=1, poll_s=0.01)
    store.enqueue(Task(kind="review", repo="acme/w", pr_number=1, installation_id=1, data={"boom": True}))
    store.enqueue(Task(kind="review", repo="acme/w", pr_number=2, installation_id=1))
    with capture_logs() as logs:
        pool.start()
        assert pool.drain(10)
        pool.stop()
    assert [j["status"] for j in store.all_jobs()] == ["failed", "done"]
    assert any(e["event"] == "job.failed" and "KeyError" in e["error"] for e in logs)


def test_every_log_line_of_a_job_carries_job_delivery_and_installation(store: JobStore) -> None:
    import structlog

    captured = structlog.testing.LogCapture()
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, captured])
    try:
        store.record_delivery("dlv-7", "pull_request", action="opened", installation_id=77, repo="acme/w", body=b"{}",
                              tasks=[Task(kind="review", repo="acme/w", pr_number=3, installation_id=77, head_sha="a")])
        pool = WorkerPool(store, lambda job: structlog.get_logger("quorum.app").info("inside.handler") or "ok")
        pool.run_one(store.claim())
    finally:
        structlog.reset_defaults()
    lines = [e for e in captured.entries if e["event"] in ("inside.handler", "job.done")]
    assert len(lines) == 2
    for e in lines:
        assert e["delivery_id"] == "dlv-7" and e["installation_id"] == 77 and e["job_id"] >= 1 and e["pr"] == 3
