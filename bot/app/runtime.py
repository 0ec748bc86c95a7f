"""Wiring of the App's parts from Settings: job store, decision log, GitHub client, service,
receiver and worker pool. Only entry points (``quorum serve``, tests, the benchmark) call this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.adapters.github import GitHubApp, GitHubError, RetryPolicy, load_private_key
from bot.adapters.mirror import MirrorStore, git_host_url
from bot.app.receiver import Receiver
from bot.app.service import QuorumService, ServiceOptions
from bot.audit import DecisionStore
from bot.audit.access import AccessStore
from bot.audit.checkpoint import CheckpointWriter, load_or_create_signing_key
from bot.config import Settings
from bot.core.errors import AuditError
from bot.jobs import DeliveryWriter, JobStore, WorkerPool
from bot.jobs.limiter import WriteLimiter
from bot.pipeline import PipelineOptions


class ConfigError(ValueError):
    """The settings cannot run the App; ``str(exc)`` is one line naming the variable."""


@dataclass
class Runtime:
    """Everything ``create_app`` needs."""

    receiver: Receiver
    jobs: JobStore
    decisions: DecisionStore
    github: GitHubApp
    service: QuorumService
    pool: WorkerPool
    max_body_bytes: int
    access: AccessStore | None = None
    """Auditor tokens and access log (None: no auditor API or console)."""
    settings: Settings | None = None
    jobs_url: str = ""
    backoff_s: float = 5.0
    checkpoints: CheckpointWriter | None = None
    read_timeout_s: float = 30.0
    """Time limit for receiving one webhook body, seconds."""

    def close(self) -> None:
        """Close databases and connections (after the pool stopped); write a final signed
        checkpoint of the decision log when checkpoints are configured."""
        if self.receiver.writer is not None:
            self.receiver.writer.stop()
        self.github.close()
        self.jobs.close()
        if self.checkpoints is not None:
            self.checkpoints.close()
        self.decisions.close()
        if self.access is not None:
            self.access.close()


def check_settings(settings: Settings) -> None:
    """Raise ConfigError (one line) when ``quorum serve`` cannot start with these settings."""
    if not settings.webhook_secret:
        raise ConfigError("QUORUM_WEBHOOK_SECRET is not set: refusing to start, webhooks could not be verified")
    if not settings.github_app_id:
        raise ConfigError("QUORUM_GITHUB_APP_ID is not set: the App cannot authenticate to GitHub")
    if not settings.github_private_key:
        raise ConfigError("QUORUM_GITHUB_PRIVATE_KEY is not set (PEM text or a path to the App's private key)")


def default_jobs_url(decision_log_url: str) -> str:
    """Where the job queue lives: PostgreSQL shares the decision log's database; a SQLite log gets a
    sibling file ``<name>.jobs.sqlite3``, because SQLite has one write lock per file and the webhook
    path should not wait behind decision-log appends (each one an fsync)."""
    url = make_url(decision_log_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return decision_log_url
    path = Path(url.database)
    return url.set(database=str(path.with_name(path.stem + ".jobs.sqlite3"))).render_as_string(hide_password=False)


def build_runtime(settings: Settings, *, retry: RetryPolicy | None = None, seconds_between_writes: float | None = 1.0,
                  threads: int | None = None, pipeline_options: Callable[[], PipelineOptions] | None = None,
                  jobs_url: str | None = None, poll_s: float = 0.5, backoff_s: float = 5.0,
                  lease_s: float | None = None) -> Runtime:
    """Build the runtime. Raises ConfigError for missing settings (see ``check_settings``).

    The job tables live next to the decision log (see ``default_jobs_url``) unless ``jobs_url`` is
    given. ``pipeline_options`` builds the
    options of each review (default: offline agents, code-index cache under ``cache_dir``).
    No network I/O happens here.
    """
    check_settings(settings)
    try:
        pem = load_private_key(str(settings.github_private_key))
    except GitHubError as exc:
        raise ConfigError(str(exc)) from exc
    db_url = settings.resolved_database_url()
    url = jobs_url or default_jobs_url(db_url)
    if is_postgres(url):
        from bot.jobs.pg import PgJobStore  # noqa: PLC0415 - procrastinate and psycopg: the [postgres] extra

        jobs: JobStore = PgJobStore(url)
    else:
        jobs = JobStore(url, **({"lease_s": lease_s} if lease_s else {}))
    decisions = DecisionStore(db_url)
    limiter = WriteLimiter(jobs, per_minute=settings.github_writes_per_minute, per_hour=settings.github_writes_per_hour)
    checkpoints = _checkpoint_writer(settings, decisions)
    github = GitHubApp(str(settings.github_app_id), pem, settings.github_api_url, retry=retry,
                       seconds_between_writes=seconds_between_writes, write_gate=limiter.acquire)
    cache_dir = settings.cache_dir / "index"

    def options() -> PipelineOptions:
        return PipelineOptions(cache_dir=cache_dir)

    mirrors = MirrorStore(settings.resolved_mirror_dir(), git_url=settings.git_url or git_host_url(settings.github_api_url),
                          max_bytes=settings.mirror_max_bytes, timeout_s=settings.mirror_timeout_s)
    service = QuorumService(github, jobs, decisions,
                            ServiceOptions(pipeline_options=pipeline_options or options, bot_login=settings.bot_login,
                                           mirrors=mirrors, history_cache=settings.cache_dir / "history.sqlite"))
    pool = WorkerPool(jobs, service.handle, threads=threads or settings.workers, poll_s=poll_s, backoff_s=backoff_s)
    receiver = Receiver(secret=str(settings.webhook_secret).encode("utf-8"), jobs=jobs, on_queued=pool.notify,
                        bot_login=lambda: service.known_bot_login, writer=DeliveryWriter(jobs))
    return Runtime(receiver=receiver, jobs=jobs, decisions=decisions, github=github, service=service, pool=pool,
                   max_body_bytes=settings.max_body_bytes, access=AccessStore(db_url), settings=settings,
                   jobs_url=url, backoff_s=backoff_s, checkpoints=checkpoints,
                   read_timeout_s=settings.webhook_read_timeout_s)


def is_postgres(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (the scale-out deployment)."""
    return make_url(url).get_backend_name() == "postgresql"


def run_workers(runtime: Runtime, stop: threading.Event, *, threads: int) -> None:
    """Run review workers until ``stop`` is set, on whichever queue the runtime has: procrastinate
    workers on PostgreSQL (``bot.jobs.pgworker``), the embedded WorkerPool on SQLite."""
    if is_postgres(runtime.jobs_url):
        from bot.jobs.pgworker import build_app, run_worker  # noqa: PLC0415

        lease = runtime.settings.worker_lease_s if runtime.settings is not None else 30.0
        app = build_app(runtime.jobs, runtime.service.handle, url=runtime.jobs_url,  # type: ignore[arg-type]
                        lease_s=lease, backoff_s=runtime.backoff_s)
        run_worker(app, concurrency=threads, stop=stop, lease_s=lease)
        return
    runtime.pool.start()
    try:
        stop.wait()
    finally:
        runtime.pool.stop()


def _checkpoint_writer(settings: Settings, decisions: DecisionStore) -> CheckpointWriter | None:
    """A CheckpointWriter on ``decisions`` when ``QUORUM_AUDIT_CHECKPOINT_DIR`` is set (the signing key
    is loaded, or generated with mode 0600, now). Raises ConfigError when the key is unusable."""
    if settings.audit_checkpoint_dir is None:
        return None
    try:
        key = load_or_create_signing_key(settings.resolved_signing_key())
    except AuditError as exc:
        raise ConfigError(f"QUORUM_AUDIT_SIGNING_KEY: {exc}") from exc
    writer = CheckpointWriter(decisions, key, settings.audit_checkpoint_dir, settings.audit_checkpoint_every)
    decisions.add_listener(writer.appended)
    return writer


def pipeline_options_from_settings(settings: Settings) -> Callable[[], PipelineOptions]:
    """Per-review PipelineOptions: offline agents, or the LLM layer when ``QUORUM_MODEL`` is set."""
    cache_dir = settings.cache_dir / "index"
    model = getattr(settings, "model", None)

    def build() -> PipelineOptions:
        options = PipelineOptions(cache_dir=cache_dir)
        if model:
            from bot.adapters.llm import reasoner_from_settings  # noqa: PLC0415 - only with a model configured

            options.reasoner = reasoner_from_settings(settings)
            options.agent_timeout_s = getattr(settings, "llm_agent_timeout_s", options.agent_timeout_s)
        return options

    return build
