"""The durable job queue behind the GitHub App (SQLite embedded default, PostgreSQL at scale)."""

from bot.jobs.batch import DeliveryWriter
from bot.jobs.store import Delivery, DeliveryOutcome, Job, JobStore, JobStoreError
from bot.jobs.worker import WorkerPool

__all__ = ["Delivery", "DeliveryOutcome", "DeliveryWriter", "Job", "JobStore", "JobStoreError", "WorkerPool"]
