"""The durable job queue and the App's small per-PR state, in SQL (SQLite embedded, or PostgreSQL).

One write transaction per delivery stores the delivery (deduplicated by ``X-GitHub-Delivery``) and
its jobs, so an acknowledged delivery is never lost. Review jobs are coalesced per (repo, PR): a
new review supersedes a queued one (the worker always reviews the PR's current head, so the newest
push wins whatever order deliveries arrive in). Jobs of one PR never run concurrently. A running job holds a lease
that its worker renews (``heartbeat``); a job whose lease ran out (its worker died) is queued again,
and its old worker can no longer record an outcome for it (``finish``/``fail``/``retry_later`` are
fenced by the worker id). This SQL queue is the embedded, one-machine default; at scale the jobs
live on procrastinate (``bot.jobs.pg``), see docs/scaling.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, and_, bindparam, create_engine, event, exists, func, insert, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.core.errors import QuorumError
from bot.core.webhook import Task
from bot.jobs import schema
from bot.jobs.schema import deliveries, feedback, installations, jobs, pr_state

log = structlog.get_logger("quorum.jobs")

DEFAULT_LEASE_S = 60.0
"""A running job's lease (seconds). The worker that runs it renews it (``heartbeat``) every quarter
lease, so a job is requeued only once its worker stopped renewing it (the process died or hung):
a crashed worker's job resumes within a minute, and never while its worker is still alive."""


_PG_SCHEMA_LOCK = 0x51_55_4F_4A_4F_42  # advisory lock key for concurrent job-table creation ("QUOJOB")


class JobStoreError(QuorumError):
    """The job database cannot be read or written."""


@dataclass
class Job:
    """A claimed job. ``data`` is the task's JSON payload; ``attempts`` counts this run."""

    id: int
    kind: str
    repo: str | None
    pr_number: int | None
    installation_id: int | None
    head_sha: str | None
    actor: str | None
    data: dict[str, Any]
    delivery_id: str | None
    attempts: int
    status: str = "running"


@dataclass
class Delivery:
    """A verified delivery to store: GitHub's delivery id and event name, the raw body, its tasks."""

    delivery_id: str
    event: str
    action: str | None
    installation_id: int | None
    repo: str | None
    body: bytes
    tasks: list[Task]
    note: str = ""
    body_sha256: str = field(init=False)

    def __post_init__(self) -> None:
        self.body_sha256 = hashlib.sha256(self.body).hexdigest()


@dataclass
class DeliveryOutcome:
    """What ``record_delivery`` did: ``duplicate`` (already seen), job ids created, coalesced count."""

    duplicate: bool
    job_ids: list[int] = field(default_factory=list)
    superseded: int = 0
    cancelled: int = 0
    inactive_installation: str | None = None


# Statements built once: SQLAlchemy then reuses their compiled form (building ``insert().values()``
# per call costs more than the database work on the webhook path).
_SEEN_DELIVERIES = select(deliveries.c.delivery_id).where(deliveries.c.delivery_id.in_(bindparam("ids", expanding=True)))
_INACTIVE_INSTALLATIONS = select(installations.c.installation_id, installations.c.status).where(
    installations.c.installation_id.in_(bindparam("ids", expanding=True)),
    installations.c.status.in_(["deleted", "suspended"]),
)
_INSERT_DELIVERY = insert(deliveries)
_INSERT_JOB = insert(jobs)
_SUPERSEDE = (
    update(jobs)
    .where(jobs.c.kind == "review", jobs.c.status == "queued", jobs.c.repo == bindparam("b_repo"),
           jobs.c.pr_number == bindparam("b_pr"))
    .values(status="superseded", updated_at=bindparam("b_now"), note=bindparam("b_note"))
)


def _sqlite_immediate(engine: Engine) -> None:
    """Make SQLAlchemy emit ``BEGIN IMMEDIATE`` so writers take SQLite's write lock up front (no
    read-then-upgrade deadlocks). SQLAlchemy docs, SQLite dialect, "Serializable isolation"."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('quorum_begin', 'IMMEDIATE')}")


class JobStore:
    """Deliveries, jobs and PR state at a SQLAlchemy URL (``sqlite:///PATH`` or ``postgresql+psycopg://``).

    Thread-safe. Every method raises JobStoreError (one line) on a database failure.
    ``create_schema``: create missing tables at start (on PostgreSQL under an advisory lock, so
    processes starting together on a fresh database do not collide); False where Alembic owns the
    schema (``bot.jobs.pg``).
    ``clock`` is injectable for tests; ``lease_s`` bounds how long a running job may go unfinished.
    """

    def __init__(self, url: str, *, clock: Callable[[], float] = time.time, lease_s: float = DEFAULT_LEASE_S,
                 keep_bodies: bool = True, create_schema: bool = True) -> None:
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        self._sqlite = parsed.get_backend_name() == "sqlite"
        self.clock = clock
        self.lease_s = lease_s
        self.keep_bodies = keep_bodies
        self.worker_id = f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._next_reap = 0.0
        self._write_lock = threading.Lock()
        try:
            if self._sqlite:
                if parsed.database and parsed.database != ":memory:":
                    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
                self._engine = create_engine(parsed, connect_args={"timeout": 30.0, "check_same_thread": False})
                _sqlite_immediate(self._engine)
            else:
                self._engine = create_engine(parsed, pool_pre_ping=True)
            if create_schema:
                with self._tx() as conn:
                    if not self._sqlite:  # processes starting together on a fresh database take turns
                        conn.execute(select(func.pg_advisory_xact_lock(_PG_SCHEMA_LOCK)))
                    schema.metadata.create_all(conn, checkfirst=True)
        except (SQLAlchemyError, OSError) as exc:
            raise JobStoreError(f"job queue {parsed.render_as_string(hide_password=True)}: {_line(exc)}") from exc

    def close(self) -> None:
        """Release pooled connections."""
        self._engine.dispose()

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[Connection]:
        """A transaction; on SQLite writers take the write lock at BEGIN, readers do not.

        Writers of this process also queue on a Python lock first: SQLite's busy handler retries
        with sleeps of up to 100 ms, which under many concurrent writers makes long, unfair waits.
        """
        lock = self._write_lock if write and self._sqlite else contextlib.nullcontext()
        try:
            with lock, self._engine.connect() as conn:
                if not write:
                    conn.execution_options(quorum_begin="DEFERRED")
                with conn.begin():
                    yield conn
        except SQLAlchemyError as exc:
            raise JobStoreError(f"job queue: {_line(exc)}") from exc

    def transaction(self, *, write: bool = True) -> contextlib.AbstractContextManager[Connection]:
        """A transaction on the job database (for the posting ledger and the write limiter).
        Raises JobStoreError on a database failure."""
        return self._tx(write=write)

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite queue."""
        return self._sqlite

    # ------------------------------------------------------------------ deliveries

    def record_delivery(self, delivery_id: str, event_name: str, *, action: str | None, installation_id: int | None,
                        repo: str | None, body: bytes, tasks: list[Task], note: str = "") -> DeliveryOutcome:
        """Store one verified delivery and its tasks in one transaction (see ``record_deliveries``)."""
        item = Delivery(delivery_id, event_name, action, installation_id, repo, body, tasks, note)
        return self.record_deliveries([item])[0]

    def record_deliveries(self, items: list[Delivery]) -> list[DeliveryOutcome]:
        """Store verified deliveries and their tasks, all in one transaction (group commit).

        Per delivery: an id seen before (earlier, or earlier in ``items``) gives
        ``DeliveryOutcome(duplicate=True)`` and changes nothing. ``installation`` and ``close``
        tasks are applied at once (bookkeeping only); the others become queued jobs, review jobs
        coalesced per (repo, PR). When the installation is known to be deleted or suspended, its
        repository tasks are dropped and ``inactive_installation`` says so (the delivery itself
        is still stored). Raises JobStoreError when the transaction fails: nothing is stored then.
        """
        now = self.clock()
        try:
            with self._tx() as conn:
                return self._record_batch(conn, items, now)
        except JobStoreError as exc:
            if isinstance(exc.__cause__, IntegrityError) and len(items) == 1:
                return [DeliveryOutcome(duplicate=True)]  # another process stored the same delivery first
            raise

    def _record_batch(self, conn: Connection, items: list[Delivery], now: float) -> list[DeliveryOutcome]:
        ids = list({item.delivery_id[:200] for item in items})
        seen = set(conn.execute(_SEEN_DELIVERIES, {"ids": ids}).scalars())
        insts = list({i.installation_id for i in items if i.installation_id is not None})
        inactive = dict(conn.execute(_INACTIVE_INSTALLATIONS, {"ids": insts}).all()) if insts else {}
        outcomes: list[DeliveryOutcome] = []
        rows: list[dict[str, Any]] = []
        for item in items:
            delivery_id = item.delivery_id[:200]
            if delivery_id in seen:
                outcomes.append(DeliveryOutcome(duplicate=True))
                continue
            seen.add(delivery_id)
            outcome = DeliveryOutcome(duplicate=False)
            tasks, note = item.tasks, item.note
            status = inactive.get(item.installation_id)
            if status is not None and any(t.kind != "installation" for t in tasks):
                outcome.inactive_installation = status
                tasks = [t for t in tasks if t.kind == "installation"]
                note = f"installation {item.installation_id} is {status}: ignored"
            for task in tasks:
                self._apply(conn, task, delivery_id, now, outcome)
                if task.kind == "installation":
                    inactive = dict(conn.execute(_INACTIVE_INSTALLATIONS, {"ids": insts}).all()) if insts else {}
            rows.append({"delivery_id": delivery_id, "event": item.event[:100], "action": item.action or None,
                         "installation_id": item.installation_id, "repo": item.repo, "received_at": now,
                         "body_sha256": item.body_sha256, "body": zlib.compress(item.body, 1) if self.keep_bodies else None,
                         "note": note[:500], "jobs": len(outcome.job_ids)})
            outcomes.append(outcome)
        if rows:
            conn.execute(_INSERT_DELIVERY, rows)
        return outcomes

    def _apply(self, conn: Connection, task: Task, delivery_id: str | None, now: float, out: DeliveryOutcome) -> None:
        if task.kind == "installation":
            self._installation(conn, task, now, out)
            return
        if task.kind == "close":
            out.cancelled += self._cancel_reviews(conn, task.repo, task.pr_number, now, "pull request closed")
            return
        if task.kind == "review":
            res = conn.execute(_SUPERSEDE, {"b_repo": task.repo, "b_pr": task.pr_number, "b_now": now,
                                            "b_note": f"superseded by {task.head_sha}"})
            out.superseded += res.rowcount or 0
        out.job_ids.append(self._insert_job(conn, task, delivery_id, now))

    def _insert_job(self, conn: Connection, task: Task, delivery_id: str | None, now: float) -> int:
        res = conn.execute(_INSERT_JOB, {
            "kind": task.kind, "status": "queued", "repo": task.repo, "pr_number": task.pr_number,
            "installation_id": task.installation_id, "head_sha": task.head_sha, "actor": task.actor,
            "data": json.dumps(task.data, sort_keys=True), "delivery_id": delivery_id, "attempts": 0,
            "not_before": 0.0, "created_at": now, "updated_at": now,
        })
        return int(res.inserted_primary_key[0])

    def enqueue(self, task: Task, *, delivery_id: str | None = None) -> DeliveryOutcome:
        """Queue one task outside a delivery (e.g. ``/quorum review``), coalesced like a delivery's."""
        now = self.clock()
        out = DeliveryOutcome(duplicate=False)
        with self._tx() as conn:
            self._apply(conn, task, delivery_id, now, out)
        return out

    def _cancel_reviews(self, conn: Connection, repo: str | None, pr: int | None, now: float, why: str) -> int:
        res = conn.execute(update(jobs).where(jobs.c.kind == "review", jobs.c.status == "queued", jobs.c.repo == repo,
                                              jobs.c.pr_number == pr).values(status="cancelled", updated_at=now, note=why))
        return res.rowcount or 0

    def _installation(self, conn: Connection, task: Task, now: float, out: DeliveryOutcome) -> None:
        action = str(task.data.get("action", ""))
        inst = task.installation_id
        status = {"deleted": "deleted", "suspend": "suspended"}.get(action, "active")
        current = conn.execute(select(installations).where(installations.c.installation_id == inst)).first()
        repos = set(json.loads(current.repositories or "[]")) if current is not None else set()
        repos |= set(task.data.get("repositories", [])) | set(task.data.get("added", []))
        repos -= set(task.data.get("removed", []))
        values = {"account": task.data.get("account"), "status": status, "repositories": json.dumps(sorted(repos)),
                  "updated_at": now}
        if current is None:
            conn.execute(insert(installations).values(installation_id=inst, **values))
        else:
            conn.execute(update(installations).where(installations.c.installation_id == inst).values(**values))
        if status != "active" or task.data.get("removed"):
            repos_gone = None if status != "active" else list(task.data.get("removed", []))
            out.cancelled += self._cancel_installation(conn, inst, repos_gone, now, f"installation {action}")
        log.info("installation.updated", installation_id=inst, action=action, status=status,
                 account=task.data.get("account"), cancelled_jobs=out.cancelled)

    def _cancel_installation(self, conn: Connection, inst: int | None, repos: list[str] | None, now: float,
                             why: str) -> int:
        """Cancel the installation's queued jobs (only those of ``repos`` when given); returns how many."""
        cond = [jobs.c.status == "queued", jobs.c.installation_id == inst]
        if repos is not None:
            cond.append(jobs.c.repo.in_(repos))
        res = conn.execute(update(jobs).where(*cond).values(status="cancelled", updated_at=now, note=why))
        return res.rowcount or 0

    def installation_status(self, installation_id: int) -> str | None:
        """``active``, ``suspended``, ``deleted``, or None when no installation event was ever seen."""
        with self._tx(write=False) as conn:
            return conn.execute(select(installations.c.status)
                                .where(installations.c.installation_id == installation_id)).scalar()

    def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        """A stored delivery (body decompressed), or None."""
        with self._tx(write=False) as conn:
            row = conn.execute(select(deliveries).where(deliveries.c.delivery_id == delivery_id)).first()
        if row is None:
            return None
        out = dict(row._mapping)
        out["body"] = zlib.decompress(row.body) if row.body is not None else None
        return out

    def delivery_count(self) -> int:
        """Number of distinct deliveries stored."""
        with self._tx(write=False) as conn:
            return int(conn.execute(select(func.count()).select_from(deliveries)).scalar() or 0)

    # ------------------------------------------------------------------ jobs

    def claim(self) -> Job | None:
        """Take the oldest runnable job whose PR has no job running, mark it running; None if none.

        Also requeues jobs whose lease ran out (their process died).
        """
        now = self.clock()
        running = jobs.alias("running")
        busy = exists().where(running.c.status == "running", running.c.repo == jobs.c.repo,
                              running.c.pr_number == jobs.c.pr_number)
        candidate = (select(jobs).where(jobs.c.status == "queued", jobs.c.not_before <= now,
                                        or_(jobs.c.repo.is_(None), ~busy)).order_by(jobs.c.id).limit(1))
        reap = now >= self._next_reap
        if not reap:
            with self._tx(write=False) as conn:  # cheap probe: no write lock when there is nothing to do
                if conn.execute(candidate.with_only_columns(jobs.c.id)).first() is None:
                    return None
        with self._tx() as conn:
            if reap:
                self._next_reap = now + self.lease_s / 10
                expired = conn.execute(update(jobs).where(jobs.c.status == "running", jobs.c.lease_until < now)
                                       .values(status="queued", worker=None, updated_at=now, note="lease expired: requeued"))
                if expired.rowcount:
                    log.warning("job.lease_expired", count=expired.rowcount, action="requeued")
            if not self._sqlite:  # SQLite writers hold the file lock; PostgreSQL needs row locks
                candidate = candidate.with_for_update(skip_locked=True, of=jobs)
            row = conn.execute(candidate).first()
            if row is None:
                return None
            taken = conn.execute(update(jobs).where(jobs.c.id == row.id, jobs.c.status == "queued").values(
                status="running", attempts=row.attempts + 1, lease_until=now + self.lease_s,
                worker=self.worker_id, updated_at=now))
            if taken.rowcount != 1:  # another claimer won the row: never run a job twice
                return None
        return Job(id=row.id, kind=row.kind, repo=row.repo, pr_number=row.pr_number,
                   installation_id=row.installation_id, head_sha=row.head_sha, actor=row.actor,
                   data=json.loads(row.data), delivery_id=row.delivery_id, attempts=row.attempts + 1)

    def _set(self, job_id: int, **values: Any) -> bool:
        """Record a running job's outcome, fenced: only while this store's worker still holds it."""
        with self._tx() as conn:
            res = conn.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status == "running",
                                                  jobs.c.worker == self.worker_id)
                               .values(updated_at=self.clock(), **values))
        if res.rowcount != 1:
            log.warning("job.lease_lost", job_id=job_id, worker=self.worker_id,
                        action="outcome not recorded: the job's lease ran out and it was requeued")
            return False
        return True

    def finish(self, job_id: int, note: str = "") -> bool:
        """Mark a job done. False when this worker no longer holds the job (lease lost)."""
        return self._set(job_id, status="done", lease_until=None, note=note[:1000])

    def fail(self, job_id: int, error: str) -> bool:
        """Mark a job failed for good (the dead-letter state; ``note`` keeps the reason)."""
        return self._set(job_id, status="failed", lease_until=None, note=error[:1000])

    def retry_later(self, job_id: int, delay_s: float, error: str) -> bool:
        """Queue a job again, runnable after ``delay_s`` seconds."""
        return self._set(job_id, status="queued", lease_until=None, worker=None,
                         not_before=self.clock() + delay_s, note=error[:1000])

    def heartbeat(self) -> int:
        """Renew the lease of every job this store's worker is running; returns how many."""
        now = self.clock()
        with self._tx() as conn:
            res = conn.execute(update(jobs).where(jobs.c.status == "running", jobs.c.worker == self.worker_id)
                               .values(lease_until=now + self.lease_s))
        return res.rowcount or 0

    def recover(self) -> int:
        """Queue again the running jobs whose worker is gone: their lease ran out, or their worker
        was a process on this host that no longer exists (``kill(pid, 0)``; a restarted worker
        child then resumes its predecessor's job at once instead of after the lease).

        Jobs whose worker is alive keep being renewed by its heartbeat and are left alone, so a
        new process never takes over the jobs of a live one. Returns how many were requeued.
        """
        now = self.clock()
        with self._tx() as conn:
            owners = conn.execute(select(jobs.c.worker).where(jobs.c.status == "running").distinct()).scalars().all()
            dead = [w for w in owners if w and _local_process_gone(w)]
            res = conn.execute(update(jobs).where(jobs.c.status == "running",
                                                  or_(jobs.c.lease_until < now, jobs.c.worker.in_(dead)))
                               .values(status="queued", lease_until=None, worker=None, updated_at=now,
                                       note="worker gone: requeued"))
        n = res.rowcount or 0
        if n:
            log.warning("job.recovered", count=n, action="requeued jobs whose worker is gone (lease ran out, or its process exited)")
        return n

    def retry(self, job_id: int) -> bool:
        """Operator retry (``quorum jobs retry``): queue a failed or cancelled job again, now."""
        now = self.clock()
        with self._tx() as conn:
            res = conn.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.status.in_(["failed", "cancelled"]))
                               .values(status="queued", attempts=0, not_before=0.0, worker=None, updated_at=now,
                                       note="retried by an operator"))
        return res.rowcount == 1

    def job(self, job_id: int) -> dict[str, Any] | None:
        """One job row as a dict (``data`` parsed), or None."""
        with self._tx(write=False) as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else {**dict(row._mapping), "data": json.loads(row.data)}

    def all_jobs(self, *, kind: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        """Jobs in id order, optionally filtered (tests, benchmarks, diagnostics)."""
        query = select(jobs).order_by(jobs.c.id)
        if kind is not None:
            query = query.where(jobs.c.kind == kind)
        if status is not None:
            query = query.where(jobs.c.status == status)
        with self._tx(write=False) as conn:
            return [{**dict(r._mapping), "data": json.loads(r.data)} for r in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        """Jobs per status."""
        with self._tx(write=False) as conn:
            rows = conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status)).all()
        return {status: int(n) for status, n in rows}

    def runnable(self, *, include_delayed: bool = False) -> int:
        """Queued jobs whose time has come (any queued job with ``include_delayed``) plus running
        ones; 0 means idle."""
        now = self.clock()
        queued = jobs.c.status == "queued" if include_delayed else and_(jobs.c.status == "queued", jobs.c.not_before <= now)
        with self._tx(write=False) as conn:
            return int(conn.execute(select(func.count()).select_from(jobs).where(
                or_(jobs.c.status == "running", queued))).scalar() or 0)

    # ------------------------------------------------------------------ PR state and feedback

    def human_required(self, repo: str, pr_number: int) -> tuple[bool, str | None]:
        """``(True, reason)`` once ``/quorum human`` was accepted on the PR."""
        with self._tx(write=False) as conn:
            row = conn.execute(select(pr_state).where(pr_state.c.repo == repo, pr_state.c.pr_number == pr_number)).first()
        return (bool(row.human_required), row.reason) if row is not None else (False, None)

    def set_human_required(self, repo: str, pr_number: int, *, actor: str, reason: str | None) -> None:
        """Persist "no auto-approval on this PR from now on"."""
        now = self.clock()
        with self._tx() as conn:
            found = conn.execute(select(pr_state.c.repo).where(pr_state.c.repo == repo,
                                                               pr_state.c.pr_number == pr_number)).first()
            values = {"human_required": True, "reason": reason, "actor": actor, "updated_at": now}
            if found is None:
                conn.execute(insert(pr_state).values(repo=repo, pr_number=pr_number, **values))
            else:
                conn.execute(update(pr_state).where(pr_state.c.repo == repo, pr_state.c.pr_number == pr_number)
                             .values(**values))

    def add_feedback(self, repo: str, pr_number: int, *, finding_id: str, rule_id: str, agent: str | None,
                     vote: str, actor: str) -> None:
        """Store a vote; a user's later vote on the same finding replaces the earlier one."""
        now = self.clock()
        key = (feedback.c.repo == repo, feedback.c.pr_number == pr_number, feedback.c.finding_id == finding_id,
               feedback.c.actor == actor)
        with self._tx() as conn:
            if conn.execute(select(feedback.c.id).where(*key)).first() is None:
                conn.execute(insert(feedback).values(repo=repo, pr_number=pr_number, finding_id=finding_id,
                                                     rule_id=rule_id, agent=agent, vote=vote, actor=actor, created_at=now))
            else:
                conn.execute(update(feedback).where(*key).values(vote=vote, created_at=now))

    def feedback_counts(self, rule_id: str | None = None) -> dict[str, dict[str, int]]:
        """``{rule_id: {"up": n, "down": m}}`` over all stored votes (false-positive telemetry)."""
        query = select(feedback.c.rule_id, feedback.c.vote, func.count()).group_by(feedback.c.rule_id, feedback.c.vote)
        if rule_id is not None:
            query = query.where(feedback.c.rule_id == rule_id)
        out: dict[str, dict[str, int]] = {}
        with self._tx(write=False) as conn:
            for rid, vote, n in conn.execute(query):
                out.setdefault(rid, {"up": 0, "down": 0})[vote] = int(n)
        return out


def _local_process_gone(worker_id: str) -> bool:
    """True when ``worker_id`` (``host:pid:nonce``) names a process of this host that has exited."""
    host, _, rest = worker_id.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:60] or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


__all__ = ["Delivery", "DeliveryOutcome", "Job", "JobStore", "JobStoreError"]
