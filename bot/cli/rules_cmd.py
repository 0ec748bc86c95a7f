"""``quorum rules stats``: per-rule findings, ``/quorum feedback`` votes and precision, from the decision log."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.cli.audit_cmd import DatabaseUrl, DataDir, _guarded, _store
from bot.cli.common import EXIT_USAGE, fail

app = typer.Typer(help="Rules: findings, feedback votes and precision.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


@app.callback()
def _group() -> None:
    """Rules: findings, feedback votes and precision."""


@app.command("stats")
@_guarded
def stats_cmd(
    repo: Annotated[str | None, typer.Option("--repo", help="Only votes and findings in this repository.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    database_url: DatabaseUrl = None,
    data_dir: DataDir = None,
) -> None:
    """Per rule: findings in the log, up/down votes, precision (up / (up + down)), repositories where it is muted."""
    from bot.audit.query import iter_records  # noqa: PLC0415
    from bot.audit.report import rule_stats  # noqa: PLC0415

    if fmt not in ("table", "json"):
        fail(f"--format must be table or json, not {fmt!r}", EXIT_USAGE)
    with _store(database_url, data_dir) as store:
        records = [r for r in iter_records(store) if repo is None or r.get("repo") == repo]
    items = rule_stats(records)
    if fmt == "json":
        sys.stdout.write(json.dumps(items, indent=2, sort_keys=True) + "\n")
        return
    table = Table(title=f"rules: {len(items)}" + (f" in {repo}" if repo else ""))
    for col, justify in (("rule", "left"), ("findings", "right"), ("decisions", "right"), ("up", "right"),
                         ("down", "right"), ("precision", "right"), ("repos", "right"), ("muted in", "left")):
        table.add_column(col, justify=justify, overflow="fold")
    for e in items:
        precision = "-" if e["precision"] is None else f"{100 * e['precision']:.0f}%"
        table.add_row(e["rule_id"], str(e["findings"]), str(e["decisions"]), str(e["up"]), str(e["down"]), precision,
                      str(len(e["by_repo"])), ", ".join(e["muted_in"]))
    (Console() if sys.stdout.isatty() else Console(width=160)).print(table)
