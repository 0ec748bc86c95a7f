"""The typer application of the ``quorum`` command line: every command, ``review`` included.

``quorum review`` usually runs without it (see :func:`bot.cli.review_cmd.run_fast`); the
``review`` command here is the reference for its options and serves ``--help`` and any argument
list the fast path leaves to typer. Only ``quorum review`` mounts no other subcommand (their
modules import SQLAlchemy, FastAPI and the like).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import review_cmd
from bot.cli.common import run_guarded
from bot.cli.review_cmd import OutputFormat

app = typer.Typer(
    name="quorum",
    help="Quorum: agentic pull-request review with policy-as-code and a hash-chained decision log.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _group() -> None:
    """Keeps ``review`` a subcommand when it is the only one mounted (see ``main``)."""


@app.command()
def review(
    repo: Annotated[Path, typer.Option("--repo", help="Local git repository (bare or not).")] = Path("."),
    base: Annotated[str | None, typer.Option(help="Base ref (default: merge base with the default branch).")] = None,
    head: Annotated[str, typer.Option(help="Head ref.")] = "HEAD",
    title: Annotated[str | None, typer.Option(help="PR title (default: head commit subject).")] = None,
    body: Annotated[str | None, typer.Option(help="PR description (default: head commit body).")] = None,
    author: Annotated[str | None, typer.Option(help="PR author (default: head commit author).")] = None,
    policy: Annotated[Path | None, typer.Option(help="Policy YAML to use instead of the base branch's .quorum.yml.")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = OutputFormat.text,
    no_log: Annotated[bool, typer.Option("--no-log", help="Do not append the decision to the decision log.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Print the whole policy result tree (text format).")] = False,
    model: Annotated[
        str | None,
        typer.Option("--model", help="LLM (litellm model id) for every agent; default: QUORUM_MODEL, else offline."),
    ] = None,
    profile: Annotated[
        Path | None,
        typer.Option("--profile", help="Write a cProfile profile of the review to this file (read with pstats or snakeviz)."),
    ] = None,
    risk_model: Annotated[
        Path | None,
        typer.Option("--risk-model", help="Risk model JSON (quorum calibrate) instead of the repository's .quorum/risk-model.json."),
    ] = None,
) -> None:
    """Review the change from BASE to HEAD of a local repository as if it were a pull request."""
    run_guarded(
        lambda: review_cmd.review(repo, base, head, title, body, author, policy, output_format, no_log, explain, model,
                                  profile, risk_model)
    )


def _register_subcommands() -> None:
    """Mount ``audit`` and add ``serve``, ``eval``, ``replay``, ``calibrate`` and ``index``; each imports its heavy
    dependencies only inside its command, so ``quorum review`` stays light."""
    from bot.cli import (  # noqa: PLC0415
        action_cmd,
        audit_access_cmd,
        audit_cmd,
        calibrate_cmd,
        demo_cmd,
        eval_cmd,
        index_cmd,
        ops_cmd,
        replay_cmd,
        rules_cmd,
        serve_cmd,
        server_cmd,
    )

    audit_access_cmd.register(audit_cmd.app)
    app.add_typer(audit_cmd.app, name="audit", help="Query and verify the decision log.")
    app.add_typer(server_cmd.app, name="server", help="Start, stop or check the review command server.")
    app.add_typer(rules_cmd.app, name="rules", help="Rules: findings, feedback votes and precision.")
    app.add_typer(demo_cmd.app, name="demo", help="Fill a local decision log from a real repository (to try the console).")
    for module in (serve_cmd, eval_cmd, replay_cmd, ops_cmd, calibrate_cmd, action_cmd, index_cmd):
        module.register(app)
