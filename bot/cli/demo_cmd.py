"""``quorum demo seed``: fill a local decision log from a real repository's merged pull requests,
so a new user can open the console on real decisions and merges (see ``bot.evals.seed``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.audit_cmd import DatabaseUrl, DataDir, _guarded, _resolve_url
from bot.cli.common import fail, read_policy_file

app = typer.Typer(help="Try Quorum on real history.", no_args_is_help=True, pretty_exceptions_enable=False)


def _origin_name(repo: Path) -> str | None:
    """``owner/name`` from the clone's ``origin`` URL (GitHub-style), else None."""
    from bot.adapters.gitlocal import Git  # noqa: PLC0415
    from bot.core.errors import SourceError  # noqa: PLC0415

    try:
        url = Git(repo).run("config", "--get", "remote.origin.url").decode().strip()
    except SourceError:
        return None
    tail = url.rstrip("/").removesuffix(".git").replace(":", "/").split("/")
    return "/".join(tail[-2:]) if len(tail) >= 2 and all(tail[-2:]) else None


@app.callback()
def _group() -> None:
    """Try Quorum on real history."""


@app.command("seed")
@_guarded
def seed_cmd(
    repo: Annotated[Path, typer.Option("--repo", help="Local clone whose merged PRs to replay into the log.")],
    name: Annotated[str | None, typer.Option("--name", help="owner/name the records carry (default: from origin, else the directory name).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=5000, help="Newest N merged PRs.")] = 60,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML instead of the default.")] = None,
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Review the newest merged PRs offline and append each decision and its merge to the decision log."""
    from bot.audit import DecisionStore  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415
    from bot.core.errors import AuditError, PolicyError, SourceError  # noqa: PLC0415
    from bot.evals.seed import seed_log  # noqa: PLC0415

    repo = repo.expanduser().resolve()
    if not repo.is_dir():
        fail(f"not a directory: {repo}")
    policy_text = read_policy_file(policy)
    repo_name = name or _origin_name(repo) or f"local/{repo.name}"
    store = DecisionStore(_resolve_url(database_url, data_dir))

    from bot.cli.progress import progress  # noqa: PLC0415 - a bar on a terminal, periodic lines in logs

    try:
        with progress() as report_progress:
            report = seed_log(repo, store, repo_name=repo_name, limit=limit, policy_text=policy_text,
                              cache_dir=Settings().cache_dir / "index",
                              on_progress=lambda done, total: report_progress("reviewing merged PRs", done, total))
    except (AuditError, PolicyError, SourceError) as exc:
        fail(str(exc))
    finally:
        store.close()
    typer.echo(f"seeded {report.seeded} merged PR(s) of {report.repo_name} ({report.records} records) into {store.url}")
    for line in report.errors:
        typer.echo(f"  skipped {line}", err=True)
