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


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to the ``quorum`` CLI."""

    @app.command()
    def serve(
        host: Annotated[str | None, typer.Option(help="Listen address (default: QUORUM_HOST or 127.0.0.1).")] = None,
        port: Annotated[int | None, typer.Option(help="Listen port (default: QUORUM_PORT or 8080).")] = None,
        workers: Annotated[int | None, typer.Option(help="Review worker threads (default: QUORUM_WORKERS or 4).")] = None,
        console_logs: Annotated[bool, typer.Option("--console-logs", help="Human-readable logs instead of JSON lines.")] = False,
    ) -> None:
        """Run the GitHub App: POST /webhook, GET /healthz, and the review workers."""
        run_guarded(lambda: _serve(host, port, workers, console_logs))


def _serve(host: str | None, port: int | None, workers: int | None, console_logs: bool) -> None:
    from bot.config import Settings  # noqa: PLC0415

    settings = Settings()
    from bot.app.runtime import ConfigError, build_runtime, check_settings  # noqa: PLC0415

    try:
        check_settings(settings)
    except ConfigError as exc:
        fail(str(exc))
    import uvicorn  # noqa: PLC0415

    from bot.app.main import create_app  # noqa: PLC0415

    configure_logging(json_lines=not console_logs)
    # Review workers are CPU-bound threads; a shorter GIL switch interval (default 5 ms) keeps the
    # webhook path (event loop, request threads, delivery writer) from queueing behind them.
    sys.setswitchinterval(0.001)
    options = _pipeline_options(settings)
    try:
        runtime = build_runtime(settings, threads=workers, pipeline_options=options,
                                seconds_between_writes=settings.github_write_interval_s or None)
    except ConfigError as exc:
        fail(str(exc))
    app = create_app(runtime)
    try:
        uvicorn.run(app, host=host or settings.host, port=port or settings.port, log_level="warning",
                    access_log=False, proxy_headers=False)
    finally:
        runtime.close()


def _pipeline_options(settings):  # noqa: ANN001, ANN202 - Settings -> factory of PipelineOptions
    """Per-review options: offline agents, or the LLM layer when ``QUORUM_MODEL`` is set."""
    from bot.pipeline import PipelineOptions  # noqa: PLC0415

    cache_dir = settings.cache_dir / "index"
    model = getattr(settings, "model", None)

    def build() -> PipelineOptions:
        options = PipelineOptions(cache_dir=cache_dir)
        if model:
            from bot.adapters.llm import reasoner_from_settings  # noqa: PLC0415

            options.reasoner = reasoner_from_settings(settings)
            options.agent_timeout_s = getattr(settings, "llm_agent_timeout_s", options.agent_timeout_s)
        return options

    return build
