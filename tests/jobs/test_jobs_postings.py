"""At-most-once posting records and the shared GitHub write limiter, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.jobs import JobStore, migrate
from bot.jobs.limiter import WriteLimiter, WriteLimitTimeout
from bot.jobs.postings import PostingLedger


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    url = request.getfixturevalue("pg_cluster").new_log_url()
    migrate.upgrade(url)
    return url


def _stores(url: str, n: int, clock: Clock) -> list[JobStore]:
    return [JobStore(url, clock=clock) for _ in range(n)]


def test_exactly_one_of_many_concurrent_claims_wins(url: str) -> None:
    clock = Clock()
    stores = _stores(url, 2, clock)
    wins: list[str] = []
    barrier = threading.Barrier(8)

    def claim(i: int) -> None:
        ledger = PostingLedger(stores[i % 2])
        barrier.wait()
        if ledger.claim("approve", "acme/w#1@abc", f"job:{i}/1"):
            wins.append(f"job:{i}/1")

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(wins) == 1
    for s in stores:
        s.close()


def test_approve_claims_are_never_taken_over_but_released_on_an_error_answer(url: str) -> None:
    clock = Clock()
    (store,) = _stores(url, 1, clock)
    ledger = PostingLedger(store)
    assert ledger.claim("approve", "k", "job:1/1")
    assert not ledger.claim("approve", "k", "job:1/2")  # not even a retry of the same job
    clock.now += 10_000
    assert not ledger.claim("approve", "k", "job:2/1")  # a dead claimer's approval is never re-posted
    ledger.release("approve", "k", "job:1/1")  # GitHub answered with an error: nothing was posted
    assert ledger.claim("approve", "k", "job:2/1")
    ledger.done("approve", "k", "job:2/1", "555")
    assert ledger.get("approve", "k")["artifact_id"] == "555"
    ledger.release("approve", "k", "job:2/1")  # a finished posting cannot be released
    assert not ledger.claim("approve", "k", "job:3/1")
    store.close()


def test_check_run_claims_reenter_for_the_same_job_and_are_taken_over_after_a_while(url: str) -> None:
    clock = Clock()
    (store,) = _stores(url, 1, clock)
    ledger = PostingLedger(store)
    assert ledger.claim("check_run", "acme/w@abc", "job:1/1")
    assert ledger.claim("check_run", "acme/w@abc", "job:1/1")
    assert not ledger.claim("check_run", "acme/w@abc", "job:2/1")
    clock.now += 301
    assert ledger.claim("check_run", "acme/w@abc", "job:2/1")
    ledger.done("check_run", "acme/w@abc", "job:2/1", "77")
    clock.now += 10_000
    assert not ledger.claim("check_run", "acme/w@abc", "job:3/1")  # posted: never again
    store.close()


def test_write_limiter_is_shared_by_every_store_and_bounded(url: str) -> None:
    clock = Clock()
    stores = _stores(url, 2, clock)
    limiters = [WriteLimiter(s, per_minute=10, per_hour=15, max_wait_s=0.0) for s in stores]
    taken = [limiters[i % 2].try_acquire(42) for i in range(30)]
    assert taken.count(0.0) == 10 and all(0 < w <= 60 for w in taken if w)
    assert limiters[0].try_acquire(43) == 0.0  # another installation has its own budget
    clock.now += 61
    assert [limiters[i % 2].try_acquire(42) for i in range(10)].count(0.0) == 5  # the hour cap: 15
    with pytest.raises(WriteLimitTimeout) as err:
        limiters[0].acquire(42)
    assert err.value.retryable and err.value.retry_after_s > 0
    waits: list[float] = []
    clock.now += 3600
    patient = WriteLimiter(stores[0], per_minute=1, per_hour=100, max_wait_s=120.0, sleep=waits.append)
    assert patient.acquire(42) == 0.0
    assert patient.try_acquire(42) > 0  # the sleeping caller would wait, not write
    for s in stores:
        s.close()
