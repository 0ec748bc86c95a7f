"""SQLAlchemy Core tables of the job queue (SQLite or PostgreSQL; may share the decision log's URL).

- ``quorum_deliveries``: one row per ``X-GitHub-Delivery`` (primary key: redeliveries dedupe here),
  with the raw body (zlib) so a delivery is never lost once acknowledged.
- ``quorum_jobs``: units of work. Review jobs are coalesced per (repo, PR): at most one queued.
- ``quorum_pr_state``: per-PR state set by comment commands (``/quorum human``).
- ``quorum_feedback``: ``/quorum feedback`` votes, one per (repo, PR, finding, user).
- ``quorum_installations``: installations seen through ``installation`` events.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

deliveries = Table(
    "quorum_deliveries",
    metadata,
    Column("delivery_id", String(200), primary_key=True),
    Column("event", String(100), nullable=False),
    Column("action", String(100), nullable=True),
    Column("installation_id", BigInteger, nullable=True),
    Column("repo", Text, nullable=True),
    Column("received_at", Float, nullable=False),
    Column("body_sha256", String(64), nullable=False),
    Column("body", LargeBinary, nullable=True),
    Column("note", Text, nullable=True),
    Column("jobs", Integer, nullable=False, default=0),
)

jobs = Table(
    "quorum_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("repo", Text, nullable=True),
    Column("pr_number", BigInteger, nullable=True),
    Column("installation_id", BigInteger, nullable=True),
    Column("head_sha", String(64), nullable=True),
    Column("actor", Text, nullable=True),
    Column("data", Text, nullable=False),
    Column("delivery_id", String(200), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("not_before", Float, nullable=False, default=0.0),
    Column("lease_until", Float, nullable=True),
    Column("worker", String(100), nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("note", Text, nullable=True),
)
Index("ix_quorum_jobs_status", jobs.c.status, jobs.c.not_before)
Index("ix_quorum_jobs_pr", jobs.c.repo, jobs.c.pr_number, jobs.c.status)

pr_state = Table(
    "quorum_pr_state",
    metadata,
    Column("repo", String(300), primary_key=True),
    Column("pr_number", BigInteger, primary_key=True),
    Column("human_required", Boolean, nullable=False, default=False),
    Column("reason", Text, nullable=True),
    Column("actor", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
)

feedback = Table(
    "quorum_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("repo", String(300), nullable=False),
    Column("pr_number", BigInteger, nullable=False),
    Column("finding_id", String(100), nullable=False),
    Column("rule_id", String(200), nullable=False),
    Column("agent", String(100), nullable=True),
    Column("vote", String(10), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("repo", "pr_number", "finding_id", "actor", name="uq_quorum_feedback_vote"),
)

installations = Table(
    "quorum_installations",
    metadata,
    Column("installation_id", BigInteger, primary_key=True),
    Column("account", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("repositories", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
)

JOB_STATUSES = ("queued", "running", "done", "superseded", "cancelled", "failed")
"""``queued`` -> ``running`` -> ``done`` | ``failed`` (or back to ``queued`` for a retry);
``superseded`` (a newer head's review replaced it) and ``cancelled`` (PR closed, App removed)
only from ``queued``."""

postings = Table(
    "quorum_postings",
    metadata,
    Column("kind", String(20), primary_key=True),
    Column("key", String(400), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("state", String(20), nullable=False),
    Column("artifact_id", String(100), nullable=True),
    Column("claimed_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
"""One row per GitHub write that must happen at most once: ``approve`` per (repo, PR, head SHA),
``check_run`` per (repo, head SHA), ``dismissal`` per (repo, review id). The primary key makes a
second claim fail inside the claimer's transaction (see ``bot.jobs.postings``)."""

write_log = Table(
    "quorum_write_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("installation_id", BigInteger, nullable=False),
    Column("at", Float, nullable=False),
)
Index("ix_quorum_write_log_inst_at", write_log.c.installation_id, write_log.c.at)

installation_gate = Table(
    "quorum_installation_gate",
    metadata,
    Column("installation_id", BigInteger, primary_key=True),
    Column("updated_at", Float, nullable=False),
)
"""One row per installation, locked (``SELECT ... FOR UPDATE``) while a write slot is counted."""

job_notes = Table(
    "quorum_job_notes",
    metadata,
    Column("job_id", BigInteger, primary_key=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("note", Text, nullable=True),
    Column("updated_at", Float, nullable=False),
)
"""PostgreSQL deployments: the outcome note of each procrastinate job (why it was retried or
dead-lettered), shown by ``quorum jobs``. The SQLite queue keeps its note on the job row."""
