"""The durable job queue: delivery dedupe, coalescing, per-PR serialization, restart recovery."""

from __future__ import annotations

from pathlib import Path

import pytest
from structlog.testing import capture_logs

from bot.core.webhook import Task
from bot.jobs import JobStore


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> JobStore:
    s = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}", clock=clock, lease_s=60)
    yield s
    s.close()


def review(pr: int, head: str, repo: str = "acme/w", inst: int = 1) -> Task:
    return Task(kind="review", repo=repo, pr_number=pr, installation_id=inst, head_sha=head)


def test_delivery_dedupe_and_body_kept(store: JobStore) -> None:
    first = store.record_delivery("d1", "pull_request", action="opened", installation_id=1, repo="acme/w",
                                  body=b'{"x": 1}', tasks=[review(1, "a")])
    again = store.record_delivery("d1", "pull_request", action="opened", installation_id=1, repo="acme/w",
                                  body=b'{"x": 1}', tasks=[review(1, "a")])
    assert not first.duplicate and len(first.job_ids) == 1
    assert again.duplicate and again.job_ids == []
    assert len(store.all_jobs()) == 1 and store.delivery_count() == 1
    assert store.delivery("d1")["body"] == b'{"x": 1}'


def test_newer_head_supersedes_queued_review(store: JobStore) -> None:
    store.record_delivery("d1", "pull_request", action="opened", installation_id=1, repo="acme/w", body=b"{}",
                          tasks=[review(1, "a")])
    out = store.record_delivery("d2", "pull_request", action="synchronize", installation_id=1, repo="acme/w",
                                body=b"{}", tasks=[review(1, "b")])
    store.record_delivery("d3", "pull_request", action="opened", installation_id=1, repo="acme/w", body=b"{}",
                          tasks=[review(2, "c")])
    assert out.superseded == 1
    statuses = [(j["pr_number"], j["head_sha"], j["status"]) for j in store.all_jobs()]
    assert statuses == [(1, "a", "superseded"), (1, "b", "queued"), (2, "c", "queued")]


def test_one_running_job_per_pull_request(store: JobStore) -> None:
    store.enqueue(review(1, "a"))
    store.enqueue(Task(kind="command", repo="acme/w", pr_number=1, installation_id=1, data={"body": "/quorum help"}))
    store.enqueue(review(2, "b"))
    first = store.claim()
    second = store.claim()
    assert (first.pr_number, second.pr_number) == (1, 2)
    assert store.claim() is None  # PR 1's command waits for its review
    store.finish(first.id, "ok")
    third = store.claim()
    assert third.kind == "command" and third.pr_number == 1


def test_retry_later_and_fail(store: JobStore, clock: Clock) -> None:
    store.enqueue(review(1, "a"))
    job = store.claim()
    store.retry_later(job.id, 30, "503")
    assert store.claim() is None
    clock.now += 31
    again = store.claim()
    assert again.id == job.id and again.attempts == 2
    store.fail(again.id, "gave up")
    assert store.job(job.id)["status"] == "failed" and store.job(job.id)["note"] == "gave up"


def test_recover_requeues_jobs_of_a_dead_process(tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    before = JobStore(url, clock=clock)
    before.enqueue(review(1, "a"))
    assert before.claim() is not None  # in flight when the process "dies"
    before.close()
    after = JobStore(url, clock=clock)
    assert after.recover() == 0  # its lease still runs: the old worker may be alive
    clock.now += 61  # nobody renewed the lease
    with capture_logs() as logs:
        assert after.recover() == 1
    assert any(e["event"] == "job.recovered" for e in logs)
    job = after.claim()
    assert job is not None and job.attempts == 2
    after.close()


def test_expired_lease_is_requeued(store: JobStore, clock: Clock) -> None:
    store.enqueue(review(1, "a"))
    assert store.claim() is not None
    clock.now += 61
    with capture_logs() as logs:
        job = store.claim()
    assert job is not None and any(e["event"] == "job.lease_expired" for e in logs)


def test_close_cancels_queued_reviews(store: JobStore) -> None:
    store.enqueue(review(1, "a"))
    out = store.enqueue(Task(kind="close", repo="acme/w", pr_number=1, installation_id=1))
    assert out.cancelled == 1 and store.claim() is None


def test_installation_events(store: JobStore) -> None:
    store.enqueue(review(1, "a", inst=7))
    store.enqueue(review(1, "a", repo="acme/x", inst=7))
    store.enqueue(Task(kind="installation", installation_id=7,
                       data={"action": "created", "account": "acme", "repositories": ["acme/w", "acme/x"]}))
    assert store.installation_status(7) == "active"
    out = store.enqueue(Task(kind="installation", installation_id=7,
                             data={"action": "repositories_removed", "account": "acme", "removed": ["acme/x"]}))
    assert out.cancelled == 1
    out = store.enqueue(Task(kind="installation", installation_id=7, data={"action": "deleted", "account": "acme"}))
    assert out.cancelled == 1 and store.installation_status(7) == "deleted"
    assert store.installation_status(8) is None
    assert store.claim() is None


def test_human_flag_and_feedback(store: JobStore) -> None:
    assert store.human_required("acme/w", 1) == (False, None)
    store.set_human_required("acme/w", 1, actor="maria", reason="touches billing")
    store.set_human_required("acme/w", 1, actor="maria", reason="still")
    assert store.human_required("acme/w", 1) == (True, "still")
    assert store.human_required("acme/w", 2) == (False, None)
    store.add_feedback("acme/w", 1, finding_id="Q1", rule_id="R1", agent="logic", vote="down", actor="maria")
    store.add_feedback("acme/w", 1, finding_id="Q1", rule_id="R1", agent="logic", vote="up", actor="maria")
    store.add_feedback("acme/w", 1, finding_id="Q1", rule_id="R1", agent="logic", vote="down", actor="bob")
    store.add_feedback("acme/w", 2, finding_id="Q2", rule_id="R2", agent="logic", vote="down", actor="bob")
    assert store.feedback_counts() == {"R1": {"up": 1, "down": 1}, "R2": {"up": 0, "down": 1}}


def test_live_worker_keeps_its_job_and_a_lost_lease_is_fenced(tmp_path: Path, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    old, new = JobStore(url, clock=clock, lease_s=60), JobStore(url, clock=clock, lease_s=60)
    old.enqueue(review(1, "a"))
    job = old.claim()
    for _ in range(5):  # the old worker is alive and renews its lease
        clock.now += 30
        assert old.heartbeat() == 1
        assert new.recover() == 0 and new.claim() is None
    clock.now += 61  # now it stopped renewing: the job is requeued and taken by the new worker
    again = new.claim()
    assert again is not None and again.id == job.id and again.attempts == 2
    with capture_logs() as logs:
        assert old.finish(job.id, "late") is False  # fenced: the old worker cannot record an outcome
    assert any(e["event"] == "job.lease_lost" for e in logs)
    assert new.finish(again.id, "ok") is True
    assert new.job(job.id)["status"] == "done" and new.job(job.id)["note"] == "ok"
    old.close()
    new.close()


def test_operator_retry_requeues_a_dead_letter(store: JobStore) -> None:
    store.enqueue(review(1, "a"))
    job = store.claim()
    store.fail(job.id, "RuntimeError: boom")
    assert store.job(job.id)["status"] == "failed"
    assert store.retry(job.id) is True and store.retry(job.id) is False
    assert store.claim().id == job.id


def test_job_of_an_exited_local_worker_process_is_requeued_at_once(store: JobStore) -> None:
    import socket
    import subprocess
    import sys

    from sqlalchemy import update

    from bot.jobs.schema import jobs

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    store.enqueue(review(1, "a"))
    store.enqueue(review(2, "a"))
    first, second = store.claim(), store.claim()
    with store.transaction() as conn:  # job 1 was run by a process of this host that has exited
        conn.execute(update(jobs).where(jobs.c.id == first.id)
                     .values(worker=f"{socket.gethostname()[:60]}:{gone.pid}:dead"))
    assert store.recover() == 1  # well within the lease; job 2's worker (this process) is alive
    assert store.job(first.id)["status"] == "queued" and store.job(second.id)["status"] == "running"
