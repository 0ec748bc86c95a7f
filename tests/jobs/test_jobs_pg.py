"""The PostgreSQL job store on procrastinate: migrations, the start-up schema check, coalescing,
fair-share priorities, bounded retries ending in the dead-letter state, stalled-job recovery."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from bot.core.webhook import Task
from bot.jobs import migrate
from bot.jobs.pg import PgJobStore
from bot.jobs.pgworker import QuorumRetry, build_app, run_worker

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_cluster) -> str:  # noqa: ANN001
    url = pg_cluster.new_log_url()
    migrate.upgrade(url)
    return url


def review(pr: int, head: str, inst: int = 1, repo: str = "acme/w") -> Task:
    return Task(kind="review", repo=repo, pr_number=pr, installation_id=inst, head_sha=head)


def test_schema_check_refuses_an_unmigrated_database_in_one_line(pg_cluster) -> None:  # noqa: ANN001
    url = pg_cluster.new_log_url()
    with pytest.raises(migrate.SchemaOutOfDate) as err:
        migrate.check(url)
    assert "run `quorum db upgrade`" in str(err.value) and "\n" not in str(err.value)
    before, after = migrate.upgrade(url)
    assert (before, after) == (None, migrate.head_revision())
    migrate.check(url)
    assert migrate.upgrade(url) == (after, after)  # idempotent


def test_concurrent_upgrades_apply_once(pg_cluster) -> None:  # noqa: ANN001
    url = pg_cluster.new_log_url()
    errors: list[BaseException] = []

    def go() -> None:
        try:
            migrate.upgrade(url)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    migrate.check(url)


def test_reviews_coalesce_per_pr_and_newest_head_wins(pg_url: str) -> None:
    store = PgJobStore(pg_url)
    try:
        first = store.enqueue(review(1, "a" * 40))
        second = store.enqueue(review(1, "b" * 40))
        assert second.superseded == 1 and second.job_ids == first.job_ids
        (job,) = store.all_jobs()
        assert job["status"] == "queued" and job["head_sha"] == "b" * 40
        out = store.record_delivery("d1", "pull_request", action="closed", installation_id=1, repo="acme/w",
                                    body=b"{}", tasks=[Task(kind="close", repo="acme/w", pr_number=1)])
        assert out.cancelled == 1 and store.job(job["id"])["status"] == "cancelled"
    finally:
        store.close()


def test_a_flood_in_one_installation_does_not_hold_back_another(pg_url: str) -> None:
    store = PgJobStore(pg_url)
    try:
        for pr in range(1, 201):
            store.enqueue(review(pr, "a" * 40, inst=1))
        single = store.enqueue(review(1, "c" * 40, inst=2, repo="other/x")).job_ids[0]
        engine = create_engine(pg_url)
        with engine.connect() as conn:
            order = [r.id for r in conn.execute(text(
                "SELECT id FROM procrastinate_jobs WHERE status = 'todo' ORDER BY priority DESC, id ASC"))]
        engine.dispose()
        assert order.index(single) <= 1  # runs after at most one job of the flooding installation
        flood = [j for j in store.all_jobs() if j["installation_id"] == 1]
        assert [j["id"] for j in sorted(flood, key=lambda j: (-j["priority"], j["id"]))] == [j["id"] for j in flood]
    finally:
        store.close()


def test_retry_strategy_is_bounded_with_backoff() -> None:
    class Flaky(Exception):
        retryable = True
        retry_after_s = None

    r = QuorumRetry(max_attempts=3, backoff_s=2.0)
    assert [r.delay(Flaky(), n) for n in (1, 2, 3)] == [2.0, 4.0, None]
    assert r.delay(ValueError("no"), 1) is None


def _run_until(app, stop: threading.Event, cond, timeout_s: float = 40.0, lease_s: float = 30.0):  # noqa: ANN001, ANN202
    worker = threading.Thread(target=run_worker, args=(app,), kwargs={"concurrency": 2, "stop": stop, "lease_s": lease_s,
                                                                     "poll_s": 0.2}, daemon=True)
    worker.start()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not cond():
        time.sleep(0.1)
    stop.set()
    worker.join(30)
    assert not worker.is_alive()


def test_worker_runs_jobs_and_dead_letters_a_failing_one_with_its_reason(pg_url: str) -> None:
    store = PgJobStore(pg_url)
    seen: list[tuple[int, int]] = []

    class Unavailable(Exception):
        retryable = True
        retry_after_s = 0.0

    def handler(job):  # noqa: ANN001, ANN202
        seen.append((job.id, job.attempts))
        if job.pr_number == 2:
            raise Unavailable("GitHub 503")
        return "reviewed"

    try:
        ok = store.enqueue(review(1, "a" * 40)).job_ids[0]
        bad = store.enqueue(review(2, "a" * 40)).job_ids[0]
        app = build_app(store, handler, url=pg_url, max_attempts=3, backoff_s=0.01)
        _run_until(app, threading.Event(),
                   lambda: store.job(bad)["status"] == "failed" and store.job(ok)["status"] == "done")
        assert store.job(ok)["status"] == "done" and store.job(ok)["note"] == "reviewed"
        dead = store.job(bad)
        assert dead["status"] == "failed" and "GitHub 503" in dead["note"] and "gave up after 3 runs" in dead["note"]
        assert sorted(a for j, a in seen if j == bad) == [1, 2, 3]
        assert store.retry(bad) is True and store.job(bad)["status"] == "queued"
    finally:
        store.close()


def test_a_stalled_workers_job_is_retried_but_a_live_one_is_not(pg_url: str) -> None:
    store = PgJobStore(pg_url)
    engine = create_engine(pg_url)
    try:
        dead = store.enqueue(review(1, "a" * 40)).job_ids[0]
        alive = store.enqueue(review(2, "a" * 40)).job_ids[0]
        with engine.begin() as conn:  # two workers took a job each; one of them stopped heartbeating
            stale = conn.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES "
                                      "(now() - interval '1 hour') RETURNING id")).scalar()
            fresh = conn.execute(text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES "
                                      "(now() + interval '1 hour') RETURNING id")).scalar()
            conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE id = :j"),
                         {"w": stale, "j": dead})
            conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w WHERE id = :j"),
                         {"w": fresh, "j": alive})
        runs: list[int] = []
        app = build_app(store, lambda job: runs.append(job.id) or "ok", url=pg_url, lease_s=3.0)
        _run_until(app, threading.Event(), lambda: store.job(dead)["status"] == "done", lease_s=3.0)
        assert runs == [dead]
        assert store.job(dead)["attempts"] == 2 and store.job(alive)["status"] == "running"
    finally:
        engine.dispose()
        store.close()


def test_a_failing_review_with_a_newer_one_queued_ends_instead_of_colliding(pg_url: str) -> None:
    store = PgJobStore(pg_url)

    class Unavailable(Exception):
        retryable = True
        retry_after_s = 0.0

    heads: list[str] = []

    def handler(job):  # noqa: ANN001, ANN202
        heads.append(job.head_sha)
        if job.head_sha == "a" * 40:
            store.enqueue(review(3, "b" * 40))  # a push arrives while this review fails
            raise Unavailable("GitHub 503")
        return "reviewed"

    try:
        first = store.enqueue(review(3, "a" * 40)).job_ids[0]
        app = build_app(store, handler, url=pg_url, max_attempts=3, backoff_s=0.01)
        _run_until(app, threading.Event(), lambda: len(store.all_jobs(status="done")) == 2)
        assert heads == ["a" * 40, "b" * 40]
        assert "superseded by queued job" in store.job(first)["note"]
        assert store.runnable(include_delayed=True) == 0
    finally:
        store.close()
