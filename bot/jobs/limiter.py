"""GitHub's secondary write limits, shared per installation by every worker through the database.

GitHub: "No more than 80 content-generating requests per minute and no more than 500
content-generating requests per hour are allowed" (REST API docs, "Rate limits for the REST API",
section "About secondary rate limits",
https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits).
Every worker process on every host asks ``WriteLimiter.acquire(installation_id)`` before a write
(POST, PATCH, PUT, DELETE) for that installation; a slot is a row in ``quorum_write_log``. Counting
and inserting happen in one transaction while the installation's row in
``quorum_installation_gate`` is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite writers
hold the file's write lock), so two workers can never both take the 81st slot of a minute.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from sqlalchemy import delete, func, insert, select

from bot.jobs.schema import installation_gate, write_log
from bot.jobs.store import JobStore, JobStoreError

log = structlog.get_logger("quorum.jobs")

PER_MINUTE = 80
"""Content-creating requests per minute per installation (GitHub, see module docstring)."""
PER_HOUR = 500
"""Content-creating requests per hour per installation (GitHub, see module docstring)."""


class WriteLimitTimeout(JobStoreError):
    """No write slot became free within the caller's bound; ``retry_after_s`` says when one will."""

    retryable = True

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class WriteLimiter:
    """Sliding-window limiter over ``store``'s database: ``per_minute`` and ``per_hour`` writes per
    installation. ``sleep``/``clock`` are injectable for tests."""

    def __init__(self, store: JobStore, *, per_minute: int = PER_MINUTE, per_hour: int = PER_HOUR,
                 max_wait_s: float = 120.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.per_minute = per_minute
        self.per_hour = per_hour
        self.max_wait_s = max_wait_s
        self.sleep = sleep
        self._lock = threading.Lock()
        self._last_prune = 0.0

    def try_acquire(self, installation_id: int) -> float:
        """Take a slot now and return 0.0, or return how many seconds until one frees up."""
        now = self.store.clock()
        with self.store.transaction() as conn:
            if not self.store.is_sqlite:
                locked = conn.execute(select(installation_gate.c.installation_id)
                                      .where(installation_gate.c.installation_id == installation_id)
                                      .with_for_update()).first()
                if locked is None:
                    conn.execute(_insert_ignore(installation_id, now))
                    conn.execute(select(installation_gate.c.installation_id)
                                 .where(installation_gate.c.installation_id == installation_id).with_for_update())
            rows = select(write_log.c.at).where(write_log.c.installation_id == installation_id)
            minute = conn.execute(rows.where(write_log.c.at > now - 60).order_by(write_log.c.at)).scalars().all()
            hour_n = conn.execute(select(func.count()).select_from(write_log).where(
                write_log.c.installation_id == installation_id, write_log.c.at > now - 3600)).scalar() or 0
            if len(minute) >= self.per_minute:
                return max(0.01, minute[len(minute) - self.per_minute] + 60 - now)
            if hour_n >= self.per_hour:
                oldest = conn.execute(rows.where(write_log.c.at > now - 3600).order_by(write_log.c.at)
                                      .offset(hour_n - self.per_hour).limit(1)).scalar()
                return max(0.01, float(oldest or now) + 3600 - now)
            conn.execute(insert(write_log).values(installation_id=installation_id, at=now))
            if now - self._last_prune > 600:
                self._last_prune = now
                conn.execute(delete(write_log).where(write_log.c.at < now - 3700))
        return 0.0

    def acquire(self, installation_id: int) -> float:
        """Block until a write slot for ``installation_id`` is taken; returns the seconds waited.

        Raises WriteLimitTimeout (retryable: the job is retried later) after ``max_wait_s``.
        """
        waited = 0.0
        while True:
            wait = self.try_acquire(installation_id)
            if wait <= 0:
                if waited:
                    log.info("github.write_limited", installation_id=installation_id, waited_s=round(waited, 2))
                return waited
            if waited + wait > self.max_wait_s:
                raise WriteLimitTimeout(f"installation {installation_id}: GitHub write budget used up "
                                        f"({self.per_minute}/min, {self.per_hour}/h)", retry_after_s=wait)
            self.sleep(wait)
            waited += wait


def _insert_ignore(installation_id: int, now: float):  # noqa: ANN202 - a dialect-specific statement
    from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415

    return pg_insert(installation_gate).values(installation_id=installation_id, updated_at=now).on_conflict_do_nothing()


__all__ = ["PER_HOUR", "PER_MINUTE", "WriteLimitTimeout", "WriteLimiter"]
