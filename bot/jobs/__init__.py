"""The durable job queue behind the GitHub App (SQLite embedded default, PostgreSQL at scale)."""

from bot.jobs.store import DeliveryOutcome, Job, JobStore, JobStoreError
from bot.jobs.worker import WorkerPool

__all__ = ["DeliveryOutcome", "Job", "JobStore", "JobStoreError", "WorkerPool"]
