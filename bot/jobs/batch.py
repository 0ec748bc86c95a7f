"""Group commit for deliveries: one writer thread stores queued deliveries in batched transactions.

Many request threads each opening their own SQLite write transaction contend for one lock, and
SQLite's busy handler makes the losers sleep (up to 100 ms per try): long, unfair tails. Here
request threads hand their delivery to a single writer thread and wait for its outcome; the writer
takes everything queued so far (up to ``max_batch``) and commits it in one transaction, so the
acknowledgement still means "durably stored", at one commit per batch instead of per delivery.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import structlog

from bot.jobs.store import Delivery, DeliveryOutcome, JobStore, JobStoreError

log = structlog.get_logger("quorum.jobs")

_STOP = object()


class DeliveryWriter:
    """Stores deliveries for many threads through one writer thread (started on first use)."""

    def __init__(self, store: JobStore, *, max_batch: int = 128) -> None:
        self.store = store
        self.max_batch = max_batch
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.largest_batch = 0

    def submit(self, item: Delivery, timeout_s: float = 30.0) -> DeliveryOutcome:
        """Store ``item`` (blocking until committed). Raises JobStoreError when it could not be."""
        try:
            return self.submit_future(item).result(timeout=timeout_s)
        except TimeoutError as exc:
            raise JobStoreError(f"delivery {item.delivery_id} not stored within {timeout_s:g}s") from exc

    def submit_future(self, item: Delivery) -> Future[DeliveryOutcome]:
        """Queue ``item``; the future resolves once it is committed (or fails with JobStoreError).

        For async callers: ``await asyncio.wrap_future(writer.submit_future(item))``.
        """
        self._ensure_started()
        fut: Future[DeliveryOutcome] = Future()
        self._queue.put((item, fut))
        return fut

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="quorum-delivery-writer", daemon=True)
                self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Finish what is queued, then stop the writer thread."""
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout_s)

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._write(batch)  # type: ignore[arg-type]
            if stop:
                return

    def _write(self, batch: list[tuple[Delivery, Future[DeliveryOutcome]]]) -> None:
        self.batches += 1
        self.largest_batch = max(self.largest_batch, len(batch))
        try:
            outcomes = self.store.record_deliveries([item for item, _ in batch])
        except JobStoreError as exc:
            if len(batch) > 1:
                log.warning("delivery.batch_failed", size=len(batch), error=str(exc), action="storing one by one")
                for pair in batch:
                    self._write([pair])
                return
            batch[0][1].set_exception(exc)
            return
        for (_, fut), outcome in zip(batch, outcomes, strict=True):
            fut.set_result(outcome)
