"""Review workers on procrastinate (PostgreSQL): ``quorum worker`` and ``quorum serve``'s child.

``build_app`` registers one task, ``quorum.run_job``, which turns the procrastinate job into a
``Job`` and calls the handler (``QuorumService.handle``) in a worker thread (procrastinate runs
synchronous tasks in threads, so its event loop keeps sending heartbeats during a review).
Outcomes:

- the handler returns: ``succeeded``, its note in ``quorum_job_notes``;
- it raises an exception with ``retryable = True`` (GitHub rate-limited or unavailable): retried
  after ``max(retry_after_s, backoff_s * 2 ** (run - 1))`` seconds, at most ``max_attempts`` runs
  in all (``QuorumRetry``);
- anything else, or the last retry failing: ``failed`` — the dead-letter state — with the reason
  in ``quorum_job_notes`` (``quorum jobs list --status failed``; ``quorum jobs retry ID``).

Leases: every worker renews its heartbeat every ``lease_s / 6`` seconds. A periodic task
(``quorum.recover_stalled``, deferred once per tick across all workers by procrastinate's periodic
deferrer) retries the running jobs of workers whose heartbeat is older than ``lease_s``: a crashed
worker's job resumes within ``lease_s`` plus one tick, and a job whose worker still heartbeats is
never taken from it. Procrastinate docs: "Retry stalled jobs" (howto/production/retry_stalled_jobs).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

import structlog
from procrastinate import App, JobContext, PsycopgConnector
from procrastinate.jobs import Job as ProcrastinateJob
from procrastinate.jobs import Status
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy.engine import make_url

from bot.jobs.pg import QUEUE, TASK, PgJobStore, job_from_args
from bot.jobs.store import Job

log = structlog.get_logger("quorum.jobs")

MAINTENANCE_QUEUE = "quorum-maintenance"
"""Queue of the periodic stalled-job recovery (kept out of the fair-share review queue)."""
DEFAULT_WORKER_LEASE_S = 30.0
"""Heartbeat age after which a worker is presumed dead and its running jobs are retried."""


def conninfo(url: str) -> str:
    """The libpq URI of a SQLAlchemy PostgreSQL URL (``postgresql+psycopg://`` -> ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class QuorumRetry(BaseRetryStrategy):
    """Bounded exponential back-off for exceptions marked ``retryable`` (see module docstring)."""

    def __init__(self, max_attempts: int = 5, backoff_s: float = 5.0) -> None:
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s

    def delay(self, exception: BaseException, run: int) -> float | None:
        """Seconds before the next run after run number ``run`` raised ``exception``; None: give up."""
        if not getattr(exception, "retryable", False) or run >= self.max_attempts:
            return None
        hint = float(getattr(exception, "retry_after_s", None) or 0.0)
        return max(hint, self.backoff_s * (2 ** (run - 1)))

    def get_retry_decision(self, *, exception: BaseException, job: ProcrastinateJob) -> RetryDecision | None:
        """procrastinate's hook: ``job.attempts`` counts the runs before this one."""
        wait = self.delay(exception, job.attempts + 1)
        return None if wait is None else RetryDecision(retry_in={"seconds": wait})


def build_app(store: PgJobStore, handler: Callable[[Job], str | None], *, url: str, lease_s: float = DEFAULT_WORKER_LEASE_S,
              max_attempts: int = 5, backoff_s: float = 5.0) -> App:
    """The procrastinate App of a worker process: the job task and the stalled-job recovery."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(url)))
    retry = QuorumRetry(max_attempts=max_attempts, backoff_s=backoff_s)

    @app.task(name=TASK, queue=QUEUE, pass_context=True, retry=retry)
    def run_job(context: JobContext, **args: Any) -> None:
        pj = context.job
        run = pj.attempts + 1
        job = job_from_args(int(pj.id or 0), run, args)
        structlog.contextvars.bind_contextvars(job_id=job.id, delivery_id=job.delivery_id,
                                               installation_id=job.installation_id, repo=job.repo, pr=job.pr_number)
        try:
            note = handler(job) or ""
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            wait = retry.delay(exc, run)
            if wait is None:
                reason = f"gave up after {run} runs" if getattr(exc, "retryable", False) else "not retryable"
                log.error("job.failed", error=message, reason=reason, attempt=run)
                _note(store, job.id, "failed", run, f"{message} ({reason})")
            else:
                newer = store.queued_review(job.repo, job.pr_number) if job.kind == "review" else None
                if newer is not None:
                    # Retrying would collide with the queued review's queueing lock; that review
                    # covers the PR's newest head anyway, so this run ends here.
                    log.info("job.superseded", error=message, by_job=newer, attempt=run)
                    _note(store, job.id, "done", run, f"{message}; superseded by queued job {newer}")
                    return
                log.warning("job.retry_later", error=message, delay_s=round(wait, 1), attempt=run)
                _note(store, job.id, "retry", run, f"{message} (retry in {wait:.0f}s)")
            raise
        finally:
            structlog.contextvars.clear_contextvars()
        log.info("job.done", job_id=job.id, note=note, attempt=run)
        _note(store, job.id, "done", run, note)

    @app.periodic(cron=f"* * * * * */{max(1, min(59, int(lease_s // 3) or 1))}")
    @app.task(name="quorum.recover_stalled", queue=MAINTENANCE_QUEUE, pass_context=True)
    async def recover_stalled(context: JobContext, timestamp: int) -> None:
        manager = context.app.job_manager
        for stalled in await manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=lease_s):
            try:
                await manager.retry_job(stalled)
                log.warning("job.stalled_retried", job_id=stalled.id, attempt=stalled.attempts + 1,
                            reason=f"its worker sent no heartbeat for {lease_s:g}s")
            except Exception as exc:  # noqa: BLE001 - a newer review of the PR is queued (queueing lock)
                await manager.finish_job(stalled, status=Status.FAILED, delete_job=False)
                log.warning("job.stalled_dropped", job_id=stalled.id, error=str(exc).splitlines()[0][:200],
                            reason="a newer review of the same pull request is already queued")

    return app


def _note(store: PgJobStore, job_id: int, status: str, run: int, note: str) -> None:
    try:
        store.note(job_id, status, run, note)
    except Exception as exc:  # noqa: BLE001 - a lost note must not turn a finished review into a retry
        log.error("job.note_not_saved", job_id=job_id, error=str(exc))


def run_worker(app: App, *, concurrency: int, stop: threading.Event, lease_s: float = DEFAULT_WORKER_LEASE_S,
               poll_s: float = 1.0) -> None:
    """Run procrastinate's worker (``concurrency`` jobs at a time) until ``stop`` is set; then it
    finishes the jobs in hand (procrastinate's graceful shutdown) and returns."""

    async def main() -> None:
        async with app.open_async():
            worker = asyncio.create_task(app.run_worker_async(
                queues=[QUEUE, MAINTENANCE_QUEUE], concurrency=concurrency, wait=True, install_signal_handlers=False,
                update_heartbeat_interval=max(0.5, lease_s / 6), stalled_worker_timeout=lease_s,
                fetch_job_polling_interval=poll_s, listen_notify=True, name=f"quorum-worker-{threading.get_ident()}"))
            while not stop.is_set() and not worker.done():
                await asyncio.sleep(0.2)
            if not worker.done():
                worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    log.info("workers.started", engine="procrastinate", concurrency=concurrency, lease_s=lease_s)
    asyncio.run(main())
    log.info("workers.stopped", engine="procrastinate")


__all__ = ["DEFAULT_WORKER_LEASE_S", "MAINTENANCE_QUEUE", "QuorumRetry", "build_app", "conninfo", "run_worker"]
