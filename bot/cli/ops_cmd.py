"""Operator commands: ``quorum worker``, ``quorum db upgrade|status``, ``quorum jobs list|show|retry``,
``quorum mirrors list|evict`` (the App's repository mirrors, :mod:`bot.adapters.mirror`).

Each reads Settings once (``QUORUM_DATABASE_URL``: PostgreSQL for the scale-out deployment; unset
means the embedded SQLite files under ``QUORUM_DATA_DIR``) and imports its heavy dependencies
inside the command.
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from bot.cli.common import fail, run_guarded

db_app = typer.Typer(no_args_is_help=True, add_completion=False, help="Schema migrations of the job database.")
jobs_app = typer.Typer(no_args_is_help=True, add_completion=False, help="Inspect and retry review jobs.")
mirrors_app = typer.Typer(no_args_is_help=True, add_completion=False,
                          help="The App's repository mirrors, where reviews read history for the risk gate.")


def _jobs_url() -> str:
    from bot.app.runtime import default_jobs_url  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415

    return default_jobs_url(Settings().resolved_database_url())


def _store():  # noqa: ANN202 - JobStore or PgJobStore
    from bot.app.runtime import is_postgres  # noqa: PLC0415
    from bot.cli.serve_cmd import check_schema  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415
    from bot.jobs import JobStore  # noqa: PLC0415

    url = _jobs_url()
    if is_postgres(url):
        check_schema(Settings())
        from bot.jobs.pg import PgJobStore  # noqa: PLC0415

        return PgJobStore(url)
    return JobStore(url)


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if ts else "-"


def register(app: typer.Typer) -> None:
    """Add ``worker`` and mount ``db`` and ``jobs`` on the ``quorum`` CLI."""
    app.add_typer(db_app, name="db")
    app.add_typer(jobs_app, name="jobs")
    app.add_typer(mirrors_app, name="mirrors")

    @app.command()
    def worker(
        threads: Annotated[int | None, typer.Option("--threads", "-t", help="Jobs run at once (default: QUORUM_WORKERS or 4).")] = None,
        console_logs: Annotated[bool, typer.Option("--console-logs", help="Human-readable logs instead of JSON lines.")] = False,
    ) -> None:
        """Run only review workers (no webhook receiver); any number may run on any hosts."""
        run_guarded(lambda: _worker(threads, console_logs))


def _worker(threads: int | None, console_logs: bool) -> None:
    from bot.app.runtime import ConfigError, build_runtime, check_settings, pipeline_options_from_settings, run_workers  # noqa: PLC0415
    from bot.cli.serve_cmd import check_schema, configure_logging  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415

    settings = Settings()
    try:
        check_settings(settings)
    except ConfigError as exc:
        fail(str(exc))
    count = settings.workers if threads is None else threads
    if count < 1:
        fail(f"--threads must be at least 1, not {count}")
    check_schema(settings)
    try:
        runtime = build_runtime(settings, threads=count, pipeline_options=pipeline_options_from_settings(settings),
                                seconds_between_writes=settings.github_write_interval_s or None)
    except ConfigError as exc:
        fail(str(exc))
    configure_logging(json_lines=not console_logs)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        run_workers(runtime, stop, threads=count)
    finally:
        runtime.close()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations (Alembic) to the PostgreSQL database; safe to run concurrently."""

    def go() -> None:
        from bot.app.runtime import is_postgres  # noqa: PLC0415

        url = _jobs_url()
        if not is_postgres(url):
            typer.echo("embedded SQLite database: its tables are created on first use; nothing to upgrade")
            return
        from bot.jobs import migrate  # noqa: PLC0415

        before, after = migrate.upgrade(url)
        typer.echo(f"schema at revision {after}" + (" (already up to date)" if before == after else f" (was {before})"))

    run_guarded(go)


@db_app.command("status")
def db_status() -> None:
    """Print the database's schema revision and the one this Quorum needs; exit 1 when they differ."""

    def go() -> None:
        from bot.jobs import migrate  # noqa: PLC0415

        have, want = migrate.current_revision(_jobs_url()), migrate.head_revision()
        typer.echo(f"database: {have or 'none'}; needed: {want}")
        if have != want:
            raise typer.Exit(1)

    run_guarded(go)


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str | None, typer.Option(help="queued, running, done, failed (dead letters), cancelled, superseded")] = None,
    limit: Annotated[int, typer.Option(help="At most this many of the newest jobs.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the newest jobs with their status, attempts and note (the reason, for dead letters)."""

    def go() -> None:
        store = _store()
        try:
            rows = _recent(store, status, limit)
        finally:
            store.close()
        for r in rows:
            if as_json:
                typer.echo(json.dumps(_public(r), sort_keys=True, default=str))
            else:
                pr = f"{r['repo']}#{r['pr_number']}" if r.get("repo") else "-"
                typer.echo(f"{r['id']:>7}  {r['status']:<10} {r['kind']:<16} {pr:<40} attempts={r['attempts']}  "
                           f"{(r.get('note') or '')[:120]}")

    run_guarded(go)


@jobs_app.command("show")
def jobs_show(job_id: Annotated[int, typer.Argument(help="The job id (from `quorum jobs list`).")]) -> None:
    """Print one job as JSON."""

    def go() -> None:
        store = _store()
        try:
            row = store.job(job_id)
        finally:
            store.close()
        if row is None:
            fail(f"no job {job_id}")
        typer.echo(json.dumps(_public(row), indent=2, sort_keys=True, default=str))

    run_guarded(go)


@jobs_app.command("retry")
def jobs_retry(job_id: Annotated[int, typer.Argument(help="A failed (dead-letter) or cancelled job.")]) -> None:
    """Queue a failed or cancelled job again, now, with its attempts reset."""

    def go() -> None:
        store = _store()
        try:
            row = store.job(job_id)
            if row is None:
                fail(f"no job {job_id}")
            if not store.retry(job_id):
                fail(f"job {job_id} is {row['status']}: only failed or cancelled jobs can be retried")
        finally:
            store.close()
        typer.echo(f"job {job_id} queued again")

    run_guarded(go)


def _recent(store: Any, status: str | None, limit: int) -> list[dict[str, Any]]:
    if hasattr(store, "recent_jobs"):
        return store.recent_jobs(status=status, limit=limit)
    return store.all_jobs(status=status)[-limit:]


def _public(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("created_at", "updated_at", "lease_until", "not_before"):
        if isinstance(out.get(key), float):
            out[key] = _when(out[key])
    return out


__all__ = ["register"]


def _mirror_store():  # noqa: ANN202 - MirrorStore
    from bot.adapters.mirror import MirrorStore, git_host_url  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415

    settings = Settings()
    return MirrorStore(settings.resolved_mirror_dir(), git_url=settings.git_url or git_host_url(settings.github_api_url),
                       max_bytes=settings.mirror_max_bytes, timeout_s=settings.mirror_timeout_s)


@mirrors_app.command("list")
def mirrors_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Each mirror (``QUORUM_MIRROR_DIR``) with its size and last use, most recent first, then the total
    against the cap (``QUORUM_MIRROR_MAX_BYTES``)."""

    def go() -> None:
        store = _mirror_store()
        infos = sorted(store.mirrors(), key=lambda m: m.used, reverse=True)
        for m in infos:
            name = f"{m.path.parent.name}/{m.path.name.removesuffix('.git').replace('+', '/', 1)}"
            if as_json:
                typer.echo(json.dumps({"mirror": name, "path": str(m.path), "bytes": m.size, "last_used": _when(m.used)}))
            else:
                typer.echo(f"{name:<60} {m.size / 1e6:>10.1f} MB  last used {_when(m.used)}")
        if not as_json:
            total = sum(m.size for m in infos)
            typer.echo(f"{len(infos)} mirror(s), {total / 1e6:.1f} MB of {store.max_bytes / 1e6:.1f} MB")

    run_guarded(go)


@mirrors_app.command("evict")
def mirrors_evict() -> None:
    """Remove least recently used mirrors, never one a review holds, until the total is within
    ``QUORUM_MIRROR_MAX_BYTES`` (workers also do this after each fetch)."""

    def go() -> None:
        store = _mirror_store()
        removed, total = store.evict()
        for path in removed:
            typer.echo(f"evicted {path}")
        typer.echo(f"{len(removed)} evicted; {total / 1e6:.1f} MB of {store.max_bytes / 1e6:.1f} MB left")

    run_guarded(go)
