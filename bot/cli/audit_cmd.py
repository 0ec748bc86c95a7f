"""``quorum audit``: query, verify and export the decision log (mounted by the main CLI).

Entry point: the only place here that reads the environment (``QUORUM_DATABASE_URL``, through
typer's ``envvar=``) and the platformdirs user data directory. Errors are one line on stderr
(``quorum: error: ...``), never a traceback. Exit status: 0 success; 1 the chain is broken
(``verify``) or no record matches (``show``); 2 the log could not be read or an option is invalid;
3 an unexpected internal error.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, ParamSpec

import platformdirs
import typer
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.audit import DecisionStore
from bot.audit.checkpoint import (
    KEY_FILE_NAME,
    checkpoint_file_name,
    create_checkpoint,
    load_or_create_signing_key,
    load_public_key,
    public_key_pem,
    read_checkpoint,
    verify_against_checkpoint,
    write_checkpoint,
)
from bot.cli.common import EXIT_USAGE, fail, make_console, run_guarded
from bot.core.errors import AuditError

app = typer.Typer(
    help="Query, verify and export the decision log (append-only, hash-chained).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

P = ParamSpec("P")
EXIT_BROKEN = 1
EXIT_NO_MATCH = 1

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="QUORUM_DATABASE_URL",
        help="SQLAlchemy URL of the log (sqlite:///PATH or postgresql+psycopg://...). "
        "Default: decisions.sqlite3 in the user data directory.",
        show_default=False,
    ),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar="QUORUM_DATA_DIR",
        help="Directory of the default SQLite log (as for quorum review). Default: the user data directory.",
        show_default=False,
    ),
]
RepoOpt = Annotated[str | None, typer.Option("--repo", help="Only this repository (owner/name).")]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Only records created at or after this date (YYYY-MM-DD or ISO-8601; UTC).")
]
ActionOpt = Annotated[
    str | None, typer.Option("--action", help="Only decisions with this action (approve, comment, request_changes, needs_human).")
]
KindOpt = Annotated[str | None, typer.Option("--kind", help="Only records of this kind (decision, feedback, ...).")]


def _resolve_url(database_url: str | None, data_dir: Path | None) -> str:
    """``--database-url``, else ``decisions.sqlite3`` in ``--data-dir`` or the platformdirs user data dir."""
    if database_url:
        return database_url
    return DecisionStore.default_url(str(data_dir) if data_dir else platformdirs.user_data_dir("quorum"))


@contextmanager
def _store(database_url: str | None, data_dir: Path | None) -> Iterator[DecisionStore]:
    """Open the store; turn AuditError/SQLAlchemy errors into one line on stderr and exit 2.

    A SQLite URL whose file is missing is an error: a typo in the path must not read as an empty,
    intact log.
    """
    url = _resolve_url(database_url, data_dir)
    try:
        store = DecisionStore(url)
    except AuditError as exc:
        fail(str(exc))
    try:
        if store.sqlite_path is not None and not store.sqlite_path.exists():
            fail(f"no decision log at {store.sqlite_path}")
        yield store
    except AuditError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        fail(f"decision log {store.url}: {first}")
    finally:
        store.close()


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        fail(f"--since: {value!r} is not a date (YYYY-MM-DD) or ISO-8601 time", EXIT_USAGE)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _guarded(command: Callable[P, None]) -> Callable[P, None]:
    """Run the command under ``run_guarded``: unexpected errors become one line (exit 3)."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        run_guarded(lambda: command(*args, **kwargs))

    return wrapper


def _short(value: object, width: int = 12) -> str:
    return "" if value is None else str(value)[:width]


@app.command("list")
@_guarded
def list_cmd(
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    repo: RepoOpt = None,
    since: SinceOpt = None,
    action: ActionOpt = None,
    kind: KindOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many records (newest first).")] = 50,
) -> None:
    """List records, newest first, as a table."""
    since_at = _parse_since(since)
    with _store(database_url, data_dir) as store:
        rows = store.list(repo=repo, since=since_at, action=action, kind=kind, limit=limit)
    table = Table(title=f"decision log: {len(rows)} record(s)", show_lines=False)
    for name, justify in (
        ("seq", "right"), ("created_at", "left"), ("kind", "left"), ("repo", "left"), ("pr", "right"),
        ("head", "left"), ("action", "left"), ("risk", "right"), ("record_hash", "left"),
    ):
        table.add_column(name, justify=justify, overflow="fold")
    for row in rows:
        risk = row.get("risk")
        table.add_row(
            str(row["seq"]),
            str(row.get("created_at", "")),
            str(row.get("kind", "")),
            str(row.get("repo", "")),
            "" if row.get("pr_number") is None else str(row["pr_number"]),
            _short(row.get("head_sha")),
            str(row.get("action") or ""),
            "" if risk is None else f"{risk:.2f}",
            _short(row["record_hash"]),
        )
    make_console().print(table)  # a terminal's width; piped: no wrapping at all


@app.command("show")
@_guarded
def show_cmd(
    ident: Annotated[str, typer.Argument(metavar="ID", help="decision_id, seq number, or record_hash prefix (>= 4 hex digits).")],
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Print one record as JSON (with its seq, prev_hash and record_hash)."""
    with _store(database_url, data_dir) as store:
        row = store.get(ident)
    if row is None:
        fail(f"no record matches {ident!r}", EXIT_NO_MATCH)
    typer.echo(json.dumps(row, indent=2, sort_keys=True, ensure_ascii=False))


SigningKeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--signing-key",
        envvar="QUORUM_AUDIT_SIGNING_KEY",
        help="Ed25519 PEM private key that signs checkpoints. Default: audit-signing-key.pem in the data "
        "directory (generated with mode 0600 on first use). Never stored in the database.",
        show_default=False,
    ),
]


def _key_path(signing_key: Path | None, data_dir: Path | None) -> Path:
    if signing_key:
        return signing_key
    base = data_dir if data_dir else Path(platformdirs.user_data_dir("quorum"))
    return base / KEY_FILE_NAME


@app.command("verify")
@_guarded
def verify_cmd(
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="A checkpoint file, or a directory of them: the log must still extend "
                     "each one (detects rollback, truncation, rewriting with recomputed hashes, an emptied log)."),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="The operator's Ed25519 public key (PEM) that checkpoints must be signed "
                     "with. Default: the public half of --signing-key."),
    ] = None,
    signing_key: SigningKeyOpt = None,
) -> None:
    """Walk the hash chain; exit 0 when intact, 1 naming the first broken record.

    With --checkpoint, also exit 1 with a one-line reason when the log no longer extends it.
    """
    if checkpoint is None:
        with _store(database_url, data_dir) as store:
            report = store.verify()
        typer.echo(report.summary())
        if not report.ok:
            raise typer.Exit(EXIT_BROKEN)
        return
    files = _checkpoint_files(checkpoint)
    key = _public_key(public_key, signing_key, data_dir)
    loaded = [read_checkpoint(f) for f in files]
    url = _resolve_url(database_url, data_dir)
    probe = DecisionStore(url)
    sqlite_missing = probe.sqlite_path
    probe.close()
    if sqlite_missing is not None and not sqlite_missing.exists():
        fail(f"checkpoint check failed: no decision log at {sqlite_missing} (the checkpoint covers "
             f"{max(c.seq for c in loaded)} records)", EXIT_BROKEN)
    with _store(database_url, data_dir) as store:
        for path, cp in zip(files, loaded, strict=True):
            result = verify_against_checkpoint(store, cp, key)
            if not result.ok:
                fail(f"{result.summary()} [{path.name}]", EXIT_BROKEN)
    newest = max(loaded, key=lambda c: c.seq)
    noun = "checkpoint" if len(loaded) == 1 else "checkpoints"
    typer.echo(f"{result.summary()}; {len(loaded)} {noun} checked, newest at seq {newest.seq}")


def _checkpoint_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.glob("checkpoint-*.json") if p.is_file())
        if not files:
            fail(f"checkpoint check failed: no checkpoint-*.json files in {path}", EXIT_BROKEN)
        return files
    if not path.exists():
        fail(f"checkpoint check failed: checkpoint {path} is missing", EXIT_BROKEN)
    return [path]


def _public_key(public_key: Path | None, signing_key: Path | None, data_dir: Path | None) -> Ed25519PublicKey:
    if public_key is not None:
        return load_public_key(public_key)
    path = _key_path(signing_key, data_dir)
    if not path.exists():
        fail(f"no public key: {path} does not exist; pass --public-key FILE (the operator's key)", EXIT_USAGE)
    return load_public_key(path)


@app.command("checkpoint")
@_guarded
def checkpoint_cmd(
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    signing_key: SigningKeyOpt = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the checkpoint to this file (or into this directory, named "
                     "checkpoint-<seq>-<time>.json). Default: stdout."),
    ] = None,
) -> None:
    """Verify the chain and write a signed checkpoint of its head (seq, head hash, record count, time, key id)."""
    key = load_or_create_signing_key(_key_path(signing_key, data_dir))
    with _store(database_url, data_dir) as store:
        cp = create_checkpoint(store, key)
    if output is None:
        typer.echo(cp.to_json(), nl=False)
        return
    target = output / checkpoint_file_name(cp) if output.is_dir() else output
    write_checkpoint(cp, target)
    typer.echo(f"checkpoint at seq {cp.seq} ({cp.head_hash[:12]}) signed by key {cp.key_id[:16]} written to {target}")


@app.command("public-key")
@_guarded
def public_key_cmd(data_dir: DataDir = None, signing_key: SigningKeyOpt = None) -> None:
    """Print the public half of the checkpoint signing key (PEM), for auditors to keep."""
    path = _key_path(signing_key, data_dir)
    if not path.exists():
        fail(f"no signing key at {path}: run quorum audit checkpoint first, or set QUORUM_AUDIT_SIGNING_KEY")
    typer.echo(public_key_pem(load_public_key(path)), nl=False)


@app.command("export")
@_guarded
def export_cmd(
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl (complete, re-verifiable) or csv (flattened).")] = "jsonl",
    repo: RepoOpt = None,
    since: SinceOpt = None,
    action: ActionOpt = None,
    kind: KindOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
) -> None:
    """Export records in chain order as JSON Lines or CSV."""
    if fmt not in ("jsonl", "csv"):
        fail(f"--format must be jsonl or csv, not {fmt!r}", EXIT_USAGE)
    since_at = _parse_since(since)
    filters = {"repo": repo, "since": since_at, "action": action, "kind": kind}
    with _store(database_url, data_dir) as store:
        if output is None:
            store.export(fmt, sys.stdout, **filters)
            return
        count = _write_file(output, lambda fh: store.export(fmt, fh, **filters))
    typer.echo(f"exported {count} record(s) to {output}")


def _write_file(path: Path, write: Callable[..., int]) -> int:
    try:
        with path.open("w", encoding="utf-8", newline="") as fh:
            return write(fh)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
