"""``quorum audit token create|list|revoke``, ``quorum audit access`` and ``quorum audit exceptions``
(mounted on ``quorum audit`` by ``bot.cli.audit_cmd``)."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.audit_cmd import DatabaseUrl, DataDir, _guarded, _resolve_url, _store
from bot.cli.common import EXIT_USAGE, fail
from bot.core.errors import AuditError

token_app = typer.Typer(help="Auditor tokens for the read-only API and console.", no_args_is_help=True,
                        pretty_exceptions_enable=False)


def _console() -> Console:
    return Console() if sys.stdout.isatty() else Console(width=160)


def _access(database_url: str | None, data_dir):  # noqa: ANN001, ANN202
    from bot.audit.access import AccessStore  # noqa: PLC0415

    try:
        return AccessStore(_resolve_url(database_url, data_dir))
    except Exception as exc:  # noqa: BLE001 - a bad URL is one line
        fail(f"cannot open the decision log database: {exc}")


def _fmt(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@token_app.command("create")
@_guarded
def token_create(
    name: Annotated[str, typer.Option("--name", help="Who or what the token is for (unique).")],
    expires_in_days: Annotated[int | None, typer.Option("--expires-in-days", min=1, help="Expire after N days (default: never).")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Create a read-only auditor token and print it once (only its SHA-256 is stored)."""
    store = _access(database_url, data_dir)
    expiry = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    try:
        secret = store.create(name, expires_at=expiry)
    except AuditError as exc:
        fail(str(exc))
    finally:
        store.close()
    typer.echo(secret)
    typer.echo(f"token {name!r} created (scope read{', expires ' + _fmt(expiry) if expiry else ''}); "
               "it is shown only now", err=True)


@token_app.command("list")
@_guarded
def token_list(database_url: DatabaseUrl = None, data_dir: DataDir = None) -> None:
    """List tokens (names, status, dates; never the secrets)."""
    store = _access(database_url, data_dir)
    try:
        items = store.list()
    except AuditError as exc:
        fail(str(exc))
    finally:
        store.close()
    table = Table(title=f"auditor tokens: {len(items)}")
    for col in ("name", "scope", "status", "created", "expires", "revoked", "last used"):
        table.add_column(col)
    for t in items:
        table.add_row(t.name, t.scope, t.status(), _fmt(t.created_at), _fmt(t.expires_at), _fmt(t.revoked_at),
                      _fmt(t.last_used_at))
    _console().print(table)


@token_app.command("revoke")
@_guarded
def token_revoke(
    name: Annotated[str, typer.Option("--name", help="The token to revoke.")],
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Revoke a token; the API and console refuse it from the next request on."""
    store = _access(database_url, data_dir)
    try:
        done = store.revoke(name)
    except AuditError as exc:
        fail(str(exc))
    finally:
        store.close()
    if not done:
        fail(f"no active token named {name!r}", 1)
    typer.echo(f"token {name!r} revoked")


def access_cmd(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many, newest first.")] = 50,
    name: Annotated[str | None, typer.Option("--name", help="Only this token's accesses.")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Show who read what through the API and console, and when (refused attempts included)."""
    store = _access(database_url, data_dir)
    try:
        rows = store.accesses(limit=limit, token_name=name)
    except AuditError as exc:
        fail(str(exc))
    finally:
        store.close()
    table = Table(title=f"access log: {len(rows)} request(s)")
    for col in ("at", "token", "method", "path", "outcome", "client"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["at"], r["token_name"] or "-", r["method"], r["path"], r["outcome"], r["client"] or "")
    _console().print(table)


def exceptions_cmd(
    fmt: Annotated[str, typer.Option("--format", help="table or csv.")] = "table",
    repo: Annotated[str | None, typer.Option("--repo", help="Only this repository.")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Merges with no decision, at an unreviewed SHA, or held back by Quorum and merged by a human."""
    from bot.audit.query import iter_records  # noqa: PLC0415
    from bot.audit.report import EXCEPTION_COLUMNS, find_exceptions  # noqa: PLC0415

    if fmt not in ("table", "csv"):
        fail(f"--format must be table or csv, not {fmt!r}", EXIT_USAGE)
    with _store(database_url, data_dir) as store:
        rows = [r for r in find_exceptions(iter_records(store)) if repo is None or r["repo"] == repo]
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(EXCEPTION_COLUMNS)
        for r in rows:
            writer.writerow([("; ".join(v) if isinstance(v, list) else ("" if v is None else v))
                             for v in (r.get(c) for c in EXCEPTION_COLUMNS)])
        return
    table = Table(title=f"exceptions: {len(rows)}")
    for col in ("exception", "repo", "pr", "merged by", "head", "quorum", "decided by", "explanation"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["exception"], str(r["repo"]), str(r["pr_number"]), str(r["merged_by"] or ""),
                      str(r["head_sha"] or "")[:12], str(r["quorum_action"] or "none"), str(r["decided_by"] or ""),
                      r["explanation"])
    _console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``token``, ``access`` and ``exceptions`` to ``quorum audit`` (once, however often called)."""
    if getattr(app, "_quorum_access_registered", False):
        return
    app._quorum_access_registered = True  # type: ignore[attr-defined]
    app.add_typer(token_app, name="token")
    app.command("access")(_guarded(access_cmd))
    app.command("exceptions")(_guarded(exceptions_cmd))
