"""The job store at scale: deliveries and PR state in Quorum's tables, jobs on procrastinate.

``PgJobStore`` is a ``JobStore`` whose jobs live in procrastinate's ``procrastinate_jobs`` table
(https://procrastinate.readthedocs.io) instead of ``quorum_jobs``. A delivery and its jobs are
still written in ONE transaction: the job is created by procrastinate's own SQL function
``procrastinate_defer_jobs_v1`` inside the receiver's SQLAlchemy transaction, so an acknowledged
delivery always has its job, and a delivery that failed to store has none.

Per job, procrastinate gives us (names as in its docs):

- **queueing lock** ``review:<repo>#<pr>``: at most one *queued* review per PR. A newer push finds
  the queued job and moves its ``head_sha`` to the new head (the old head is superseded; the
  worker always reviews the PR's current head anyway).
- **lock** ``pr:<repo>#<pr>``: jobs of one PR never run at the same time, in queue order.
- **priority** (higher runs first): a fair-share tag per installation, see ``fair_priority``.
- **retries**: ``QuorumRetry`` (bounded, exponential back-off, honours GitHub's Retry-After);
  a job that keeps failing ends ``failed`` with its reason in ``quorum_job_notes``.
- **heartbeats**: each worker renews ``procrastinate_workers.last_heartbeat``; jobs of a worker
  whose heartbeat is older than the lease are retried by a periodic task (``bot.jobs.pgworker``).

The schema belongs to Alembic (``quorum db upgrade``), so this store never creates tables.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.exc import IntegrityError

from bot.core.webhook import Task
from bot.jobs.schema import job_notes
from bot.jobs.store import DEFAULT_LEASE_S, DeliveryOutcome, Job, JobStore, JobStoreError

log = structlog.get_logger("quorum.jobs")

QUEUE = "quorum"
"""The procrastinate queue every Quorum job goes to."""
TASK = "quorum.run_job"
"""The procrastinate task name of every Quorum job (its ``kind`` is in the arguments)."""

_STATUS = {"todo": "queued", "doing": "running", "succeeded": "done", "failed": "failed",
           "cancelled": "cancelled", "aborting": "running", "aborted": "cancelled"}

_FAIR_TAG = text("""
SELECT GREATEST(
  COALESCE((SELECT max(-priority) FROM procrastinate_jobs
             WHERE status = 'todo' AND queue_name = :queue AND args->>'installation_id' = :inst), -2147483000) + 1,
  COALESCE((SELECT min(-priority) FROM procrastinate_jobs WHERE status = 'todo' AND queue_name = :queue), 0))
""")
_DEFER = text("""
SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, :lock, :qlock,
       CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1]))
""")
_MOVE_HEAD = text("""
UPDATE procrastinate_jobs
   SET args = jsonb_set(jsonb_set(args, '{head_sha}', COALESCE(to_jsonb(CAST(:head AS text)), 'null'::jsonb)),
                        '{delivery_id}', COALESCE(to_jsonb(CAST(:delivery AS text)), 'null'::jsonb))
 WHERE queueing_lock = :qlock AND status = 'todo' RETURNING id, args->>'head_sha' AS head
""")
_CANCEL_PR = text("""
UPDATE procrastinate_jobs SET status = 'cancelled'
 WHERE status = 'todo' AND queue_name = :queue AND queueing_lock = :qlock
""")
_CANCEL_INST = text("""
UPDATE procrastinate_jobs SET status = 'cancelled'
 WHERE status = 'todo' AND queue_name = :queue AND args->>'installation_id' = :inst
   AND (CAST(:any_repo AS boolean) OR args->>'repo' = ANY(:repos))
""")
_JOB_COLUMNS = "id, status::text AS status, attempts, priority, lock, queueing_lock, args, scheduled_at, worker_id"


def fair_priority(conn: Connection, installation_id: int | None) -> int:
    """The procrastinate priority of a new job of ``installation_id``: start-time fair queuing.

    Each job gets a tag ``max(last queued tag of its installation + 1, smallest queued tag)`` and
    priority ``-tag`` (procrastinate runs the highest priority first, oldest first among equals).
    An installation that queues 1,000 jobs gets tags ``t, t+1, ..., t+999``; another installation's
    single job gets the smallest queued tag, so it runs after at most one queued job of each other
    installation, however long their backlog (Demers, Keshav, Shenker, "Analysis and Simulation
    of a Fair Queueing Algorithm", SIGCOMM 1989; start-time tags as in Goyal et al., 1996).
    """
    tag = conn.execute(_FAIR_TAG, {"queue": QUEUE, "inst": str(installation_id)}).scalar()
    return -int(tag or 0)


def _args(task: Task, delivery_id: str | None) -> dict[str, Any]:
    return {"kind": task.kind, "repo": task.repo, "pr_number": task.pr_number,
            "installation_id": task.installation_id, "head_sha": task.head_sha, "actor": task.actor,
            "data": task.data, "delivery_id": delivery_id}


def job_from_args(job_id: int, attempt: int, args: dict[str, Any]) -> Job:
    """The ``Job`` a handler sees for procrastinate job ``job_id`` on run number ``attempt``."""
    return Job(id=job_id, kind=str(args.get("kind")), repo=args.get("repo"), pr_number=args.get("pr_number"),
               installation_id=args.get("installation_id"), head_sha=args.get("head_sha"), actor=args.get("actor"),
               data=dict(args.get("data") or {}), delivery_id=args.get("delivery_id"), attempts=attempt)


class PgJobStore(JobStore):
    """``JobStore`` on PostgreSQL with procrastinate jobs (see the module docstring).

    ``url`` is a ``postgresql+psycopg://`` URL whose schema ``quorum db upgrade`` applied
    (entry points check it with ``bot.jobs.migrate.check`` first). Raises JobStoreError.
    """

    def __init__(self, url: str, *, clock: Callable[[], float] = time.time, lease_s: float = DEFAULT_LEASE_S,
                 keep_bodies: bool = True) -> None:
        super().__init__(url, clock=clock, lease_s=lease_s, keep_bodies=keep_bodies, create_schema=False)
        if self.is_sqlite:
            raise JobStoreError("PgJobStore needs a PostgreSQL URL")

    # ------------------------------------------------------------------ writing jobs

    def _apply(self, conn: Connection, task: Task, delivery_id: str | None, now: float, out: DeliveryOutcome) -> None:
        if task.kind == "installation":
            self._installation(conn, task, now, out)
            return
        pr_key = f"{task.repo}#{task.pr_number}"
        if task.kind == "close":
            out.cancelled += conn.execute(_CANCEL_PR, {"queue": QUEUE, "qlock": f"review:{pr_key}"}).rowcount or 0
            return
        lock = f"pr:{pr_key}" if task.pr_number is not None else None
        qlock = f"review:{pr_key}" if task.kind == "review" else None
        args = json.dumps(_args(task, delivery_id), sort_keys=True)
        for _ in range(3):
            priority = fair_priority(conn, task.installation_id)
            try:
                with conn.begin_nested():
                    job_id = conn.execute(_DEFER, {"queue": QUEUE, "task": TASK, "priority": priority, "lock": lock,
                                                   "qlock": qlock, "args": args}).scalar()
                out.job_ids.append(int(job_id))
                return
            except IntegrityError:
                if qlock is None:
                    raise
            # A review of this PR is already queued: it now reviews the newer head (coalesced).
            moved = conn.execute(_MOVE_HEAD, {"head": task.head_sha, "delivery": delivery_id, "qlock": qlock}).first()
            if moved is not None:
                out.superseded += 1
                out.job_ids.append(int(moved.id))
                return
            # The queued review was picked up meanwhile: queue a new one behind it.
        raise JobStoreError(f"could not queue a review of {pr_key}: its queue entry kept changing")

    def _cancel_installation(self, conn: Connection, inst: int | None, repos: list[str] | None, now: float,
                             why: str) -> int:
        res = conn.execute(_CANCEL_INST, {"queue": QUEUE, "inst": str(inst), "any_repo": repos is None,
                                          "repos": list(repos or [])})
        return res.rowcount or 0

    # ------------------------------------------------------------------ job notes (outcomes)

    def note(self, job_id: int, status: str, attempts: int, note: str) -> None:
        """Record the outcome of a run (``done``, ``retry``, ``failed``) with its note or reason."""
        values = {"status": status, "attempts": attempts, "note": note[:1000], "updated_at": self.clock()}
        with self._tx() as conn:
            from sqlalchemy.dialects.postgresql import insert as pg_insert  # noqa: PLC0415

            conn.execute(pg_insert(job_notes).values(job_id=job_id, **values)
                         .on_conflict_do_update(index_elements=[job_notes.c.job_id], set_=values))

    # ------------------------------------------------------------------ reading jobs (operators, tests)

    def _rows(self, where: str = "", params: dict[str, Any] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        sql = f"SELECT {_JOB_COLUMNS} FROM procrastinate_jobs WHERE queue_name = :queue {where} ORDER BY id"
        if limit is not None:
            sql += f" DESC LIMIT {int(limit)}"
        with self._tx(write=False) as conn:
            rows = conn.execute(text(sql), {"queue": QUEUE, **(params or {})}).all()
            ids = [r.id for r in rows]
            notes = {n.job_id: n for n in conn.execute(select(job_notes).where(
                job_notes.c.job_id.in_(bindparam("ids", expanding=True))), {"ids": ids})} if ids else {}
        out = []
        for r in rows:
            args = r.args if isinstance(r.args, dict) else json.loads(r.args)
            n = notes.get(r.id)
            status = _STATUS.get(r.status, r.status)
            out.append({"id": r.id, "kind": args.get("kind"), "status": status, "repo": args.get("repo"),
                        "pr_number": args.get("pr_number"), "installation_id": args.get("installation_id"),
                        "head_sha": args.get("head_sha"), "actor": args.get("actor"), "data": args.get("data") or {},
                        "delivery_id": args.get("delivery_id"), "attempts": r.attempts + (1 if r.status == "doing" else 0),
                        "priority": r.priority, "lock": r.lock, "worker": r.worker_id,
                        "not_before": r.scheduled_at.timestamp() if r.scheduled_at else 0.0,
                        "note": n.note if n is not None else None})
        return out if limit is None else list(reversed(out))

    def job(self, job_id: int) -> dict[str, Any] | None:
        rows = self._rows("AND id = :id", {"id": job_id})
        return rows[0] if rows else None

    def all_jobs(self, *, kind: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        rows = self._rows()
        return [r for r in rows if (kind is None or r["kind"] == kind) and (status is None or r["status"] == status)]

    def recent_jobs(self, *, status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ``limit`` jobs (optionally of one status), oldest first."""
        where, params = "", {}
        if status is not None:
            wanted = [k for k, v in _STATUS.items() if v == status] or [status]
            where, params = "AND status::text = ANY(:st)", {"st": wanted}
        return self._rows(where, params, limit=limit)

    def counts(self) -> dict[str, int]:
        with self._tx(write=False) as conn:
            rows = conn.execute(text("SELECT status::text, count(*) FROM procrastinate_jobs WHERE queue_name = :queue "
                                     "GROUP BY status"), {"queue": QUEUE}).all()
        out: dict[str, int] = {}
        for st, n in rows:
            out[_STATUS.get(st, st)] = out.get(_STATUS.get(st, st), 0) + int(n)
        return out

    def runnable(self, *, include_delayed: bool = False) -> int:
        cond = "status IN ('todo', 'doing')" if include_delayed else \
            "(status = 'doing' OR (status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())))"
        with self._tx(write=False) as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM procrastinate_jobs WHERE queue_name = :queue AND {cond}"),
                                    {"queue": QUEUE}).scalar() or 0)

    def retry(self, job_id: int) -> bool:
        """Operator retry: queue a failed or cancelled job again, now (attempts restart)."""
        try:
            with self._tx() as conn:
                res = conn.execute(text("UPDATE procrastinate_jobs SET status = 'todo', attempts = 0, scheduled_at = NULL, "
                                        "worker_id = NULL WHERE id = :id AND status IN ('failed', 'cancelled', 'aborted')"),
                                   {"id": job_id})
                if res.rowcount == 1:
                    conn.execute(text("UPDATE quorum_job_notes SET status = 'queued', note = 'retried by an operator' "
                                      "WHERE job_id = :id"), {"id": job_id})
                return res.rowcount == 1
        except JobStoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise JobStoreError(f"job {job_id}: another review of the same pull request is already queued") from exc
            raise

    def queued_review(self, repo: str | None, pr_number: int | None) -> int | None:
        """The id of the queued review of the PR (its queueing lock), or None."""
        with self._tx(write=False) as conn:
            return conn.execute(text("SELECT id FROM procrastinate_jobs WHERE queueing_lock = :q AND status = 'todo'"),
                                {"q": f"review:{repo}#{pr_number}"}).scalar()

    def claim(self) -> Job | None:
        raise JobStoreError("jobs on PostgreSQL are run by procrastinate workers (quorum worker), not claimed")


__all__ = ["QUEUE", "TASK", "PgJobStore", "fair_priority", "job_from_args"]
