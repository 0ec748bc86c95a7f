"""A pool of worker threads running jobs from the JobStore.

Each thread claims a job, hands it to the handler, and records the outcome. The handler returns a
short note (logged and stored) or raises:

- an exception with ``retryable = True`` (GitHub rate-limited or unavailable, head moved while
  reading): the job is queued again after ``max(retry_after_s, backoff)``, at most
  ``max_attempts`` runs in all;
- any other exception: the job fails for good, with a log line naming it. Nothing is swallowed
  silently and a worker thread never dies from a job.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from bot.jobs.store import Job, JobStore, JobStoreError

log = structlog.get_logger("quorum.jobs")


class WorkerPool:
    """``threads`` workers over ``store``; ``notify()`` wakes them when work is queued."""

    def __init__(self, store: JobStore, handler: Callable[[Job], str | None], *, threads: int = 4,
                 poll_s: float = 0.5, max_attempts: int = 5, backoff_s: float = 5.0) -> None:
        self.store = store
        self.handler = handler
        self.threads = max(1, threads)
        self.poll_s = poll_s
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self._wake = threading.Condition()
        self._pending_wakes = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Lock()

    def start(self, *, recover: bool = True) -> None:
        """Requeue jobs whose lease ran out (when ``recover``; jobs of live workers keep theirs),
        then start the worker threads and the heartbeat thread that renews this pool's leases."""
        if recover:
            self.store.recover()
        self._stop.clear()
        beat = threading.Thread(target=self._heartbeat, name="quorum-worker-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)
        for i in range(self.threads):
            t = threading.Thread(target=self._loop, name=f"quorum-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        log.info("workers.started", threads=self.threads)

    def notify(self) -> None:
        """Wake idle workers (called after a delivery queued jobs)."""
        with self._wake:
            self._pending_wakes += 1
            self._wake.notify_all()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the workers to stop after their current job and wait up to ``timeout_s`` for them."""
        self._stop.set()
        self.notify()
        deadline = time.monotonic() + timeout_s
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.warning("workers.stop_timeout", still_running=alive)
        self._threads = []

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until no job is queued (delayed retries included) or running (tests, benchmarks).

        True when idle in time.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._busy_lock:
                busy = self._busy
            if busy == 0 and self.store.runnable(include_delayed=True) == 0:
                return True
            time.sleep(0.02)
        return False

    def _heartbeat(self) -> None:
        interval = max(0.05, self.store.lease_s / 4)
        while not self._stop.wait(interval):
            try:
                self.store.heartbeat()
            except JobStoreError as exc:
                log.error("job.heartbeat_failed", error=str(exc), action="retrying; leases may run out")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.store.claim()
            except JobStoreError as exc:
                log.error("job.claim_failed", error=str(exc))
                self._stop.wait(self.poll_s)
                continue
            if job is None:
                with self._wake:
                    if self._pending_wakes == 0:
                        self._wake.wait(self.poll_s)
                    self._pending_wakes = 0
                continue
            with self._busy_lock:
                self._busy += 1
            try:
                self.run_one(job)
            finally:
                with self._busy_lock:
                    self._busy -= 1

    def run_one(self, job: Job) -> None:
        """Run one claimed job through the handler and record the outcome (see module docstring)."""
        bound = log.bind(kind=job.kind, attempt=job.attempts)
        started = time.perf_counter()
        # Every log line of this job (the handler's too) carries its ids: structlog context variables.
        structlog.contextvars.bind_contextvars(job_id=job.id, delivery_id=job.delivery_id,
                                               installation_id=job.installation_id, repo=job.repo, pr=job.pr_number)
        try:
            self._run(job, bound, started)
        finally:
            structlog.contextvars.clear_contextvars()

    def _run(self, job: Job, bound: structlog.typing.FilteringBoundLogger, started: float) -> None:
        try:
            note = self.handler(job) or ""
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded below
            elapsed = round((time.perf_counter() - started) * 1000, 1)
            message = f"{type(exc).__name__}: {exc}".splitlines()[0][:500] if str(exc) else type(exc).__name__
            if getattr(exc, "retryable", False) and job.attempts < self.max_attempts:
                hint = getattr(exc, "retry_after_s", None) or 0.0
                delay = max(float(hint), self.backoff_s * (2 ** (job.attempts - 1)))
                bound.warning("job.retry_later", error=message, delay_s=round(delay, 1), elapsed_ms=elapsed)
                self._record(lambda: self.store.retry_later(job.id, delay, message))
                return
            if getattr(exc, "retryable", False):
                bound.error("job.failed", error=message, reason=f"gave up after {job.attempts} attempts", elapsed_ms=elapsed)
            elif isinstance(exc, (KeyError, TypeError, AttributeError, AssertionError)):
                bound.exception("job.failed", error=message, reason="internal error", elapsed_ms=elapsed)
            else:
                bound.error("job.failed", error=message, elapsed_ms=elapsed)
            self._record(lambda: self.store.fail(job.id, message))
            return
        bound.info("job.done", note=note, elapsed_ms=round((time.perf_counter() - started) * 1000, 1))
        self._record(lambda: self.store.finish(job.id, note))

    @staticmethod
    def _record(fn: Callable[[], object]) -> None:
        try:
            fn()
        except JobStoreError as exc:
            log.error("job.state_not_saved", error=str(exc), action="the job stays running until its lease expires")
