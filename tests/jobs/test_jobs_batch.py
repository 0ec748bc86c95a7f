"""Group commit of deliveries: many threads, one writer, every delivery stored once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.core.webhook import Task
from bot.jobs import Delivery, DeliveryWriter, JobStore, JobStoreError


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    s = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    yield s
    s.close()


def _delivery(i: int, guid: str | None = None) -> Delivery:
    return Delivery(guid or f"d{i}", "pull_request", "synchronize", 1, "acme/w", b'{"n": %d}' % i,
                    [Task(kind="review", repo="acme/w", pr_number=i % 5, installation_id=1, head_sha=f"{i:040x}")])


def test_concurrent_submissions_are_batched_and_deduplicated(store: JobStore) -> None:
    writer = DeliveryWriter(store)
    results: dict[int, object] = {}
    start = threading.Barrier(40)

    def send(i: int) -> None:
        start.wait()
        guid = f"d{i % 30}"  # ten ids are sent twice
        results[i] = writer.submit(_delivery(i, guid))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.stop()
    assert store.delivery_count() == 30
    assert sum(1 for r in results.values() if r.duplicate) == 10
    assert writer.batches < 40  # grouped
    queued = store.all_jobs(status="queued")
    assert sorted(j["pr_number"] for j in queued) == [0, 1, 2, 3, 4]  # one queued review per PR


def test_a_failing_batch_is_retried_one_by_one(store: JobStore) -> None:
    class Picky(JobStore):
        def record_deliveries(self, items: list[Delivery]):  # noqa: ANN201
            if len(items) > 1 or items[0].delivery_id == "bad":
                raise JobStoreError("job queue: boom")
            return super().record_deliveries(items)

    picky = Picky(store._engine.url.render_as_string(hide_password=False))
    writer = DeliveryWriter(picky)
    outcomes: dict[str, object] = {}
    gate = threading.Barrier(3)

    def send(guid: str) -> None:
        gate.wait()
        try:
            outcomes[guid] = writer.submit(_delivery(1, guid))
        except JobStoreError as exc:
            outcomes[guid] = exc

    threads = [threading.Thread(target=send, args=(g,)) for g in ("a", "bad", "c")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.stop()
    assert isinstance(outcomes["bad"], JobStoreError)
    assert not outcomes["a"].duplicate and not outcomes["c"].duplicate
    assert picky.delivery_count() == 2
    picky.close()
