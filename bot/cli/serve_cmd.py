"""``quorum serve``: run the GitHub App (FastAPI under uvicorn) configured from ``QUORUM_*``.

FastAPI, uvicorn and PyGithub are imported only inside the command, so ``quorum review`` never
loads them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bot.cli.common import fail, run_guarded


def configure_logging(json_lines: bool = True) -> None:
    """structlog to stderr: one JSON object per line (or console output), ISO timestamps, levels."""
    import logging  # noqa: PLC0415

    import structlog  # noqa: PLC0415

    renderer = structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )


def check_schema(settings) -> None:  # noqa: ANN001 - bot.config.Settings, imported lazily
    """On PostgreSQL: exit with one line unless ``quorum db upgrade`` brought the schema up to date."""
    from bot.app.runtime import default_jobs_url, is_postgres  # noqa: PLC0415

    url = default_jobs_url(settings.resolved_database_url())
    if not is_postgres(url):
        return
    try:
        from bot.jobs import migrate  # noqa: PLC0415
    except ImportError as exc:
        fail(f"PostgreSQL needs the [postgres] extra (pip install 'quorum-review[postgres]'): {exc}")
    migrate.check(url)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``quorum`` CLI."""

    @app.command()
    def serve(
        host: Annotated[str | None, typer.Option(help="Listen address (default: QUORUM_HOST or 127.0.0.1).")] = None,
        port: Annotated[int | None, typer.Option(help="Listen port (default: QUORUM_PORT or 8080).")] = None,
        workers: Annotated[int | None, typer.Option(
            help="Review worker threads (default: QUORUM_WORKERS or 4); 0 runs only the webhook receiver "
                 "(review workers then run as `quorum worker` processes).")] = None,
        workers_in_process: Annotated[bool, typer.Option(
            "--workers-in-process", help="Run review workers as threads of the web process (default: a child process).")] = False,
        console_logs: Annotated[bool, typer.Option("--console-logs", help="Human-readable logs instead of JSON lines.")] = False,
        console_only: Annotated[bool, typer.Option(
            "--console-only", help="Serve only the auditor API and console over the decision log (no GitHub App settings needed).")] = False,
    ) -> None:
        """Run the GitHub App: POST /webhook, GET /healthz, the review workers, the auditor API (/api/v1) and console (/console)."""
        if console_only:
            run_guarded(lambda: _serve_console(host, port, console_logs))
            return
        run_guarded(lambda: _serve(host, port, workers, workers_in_process, console_logs))


def _serve_console(host: str | None, port: int | None, console_logs: bool) -> None:
    from bot.config import Settings  # noqa: PLC0415

    settings = Settings()
    import uvicorn  # noqa: PLC0415

    from bot.app.auditweb import checkpoint_settings, create_audit_app  # noqa: PLC0415
    from bot.audit import DecisionStore  # noqa: PLC0415
    from bot.audit.access import AccessStore  # noqa: PLC0415

    url = settings.resolved_database_url()
    checkpoint_dir, public_key = checkpoint_settings(settings)
    decisions, access = DecisionStore(url), AccessStore(url)
    configure_logging(json_lines=not console_logs)
    bind_host, bind_port = host or settings.host, port or settings.port
    sys.stderr.write(f"quorum: auditor console on http://{bind_host}:{bind_port}/console/ (log {decisions.url})\n")
    try:
        uvicorn.run(create_audit_app(decisions, access, checkpoint_dir=checkpoint_dir, public_key=public_key), host=bind_host, port=bind_port, log_level="warning",
                    access_log=False, proxy_headers=False)
    finally:
        decisions.close()
        access.close()


def _serve(host: str | None, port: int | None, workers: int | None, in_process: bool, console_logs: bool) -> None:
    from bot.config import Settings  # noqa: PLC0415

    settings = Settings()
    from bot.app.runtime import ConfigError, build_runtime, check_settings, pipeline_options_from_settings  # noqa: PLC0415

    try:
        check_settings(settings)
    except ConfigError as exc:
        fail(str(exc))
    if workers is not None and workers < 0:
        fail(f"--workers must be 0 or more, not {workers}")
    check_schema(settings)
    import uvicorn  # noqa: PLC0415

    from bot.app.main import create_app  # noqa: PLC0415
    from bot.app.workerproc import WorkerProcess  # noqa: PLC0415

    threads = settings.workers if workers is None else workers
    try:
        runtime = build_runtime(settings, threads=threads, pipeline_options=pipeline_options_from_settings(settings),
                                seconds_between_writes=settings.github_write_interval_s or None)
    except ConfigError as exc:
        fail(str(exc))
    configure_logging(json_lines=not console_logs)  # only once the configuration is known to be usable
    # The web path (event loop, delivery writer) shares the GIL with request threads and, with
    # --workers-in-process, with CPU-bound review threads: a 1 ms switch interval (default 5 ms)
    # keeps it from queueing behind them.
    sys.setswitchinterval(0.001)
    child = None
    if not in_process and threads > 0:
        child = WorkerProcess(settings.model_dump(), threads=threads,
                              options={"json_logs": not console_logs})
    app = create_app(runtime, worker_process=child, start_workers=threads > 0)
    try:
        uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level="warning",
                    access_log=False, proxy_headers=False)
    finally:
        runtime.close()
