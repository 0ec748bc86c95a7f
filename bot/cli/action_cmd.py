"""``quorum action``: the GitHub Action's entry point (see ``action.yml`` and
:mod:`bot.action.runner`).

Reads the environment GitHub Actions sets for every step (GitHub docs, "Variables": default
environment variables): ``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH`` (the event payload),
``GITHUB_REPOSITORY``, ``GITHUB_API_URL``, ``GITHUB_STEP_SUMMARY``, ``GITHUB_OUTPUT``,
``GITHUB_WORKSPACE`` (the checkout whose git history feeds the risk gate), and the token passed
as ``GITHUB_TOKEN``; plus the ``QUORUM_*`` settings. Options override each of them.

Exit status: 0 when the event was handled (a review completed, whatever the decision, or the event
needs nothing); 2 with a one-line error when it could not be (no token, unreadable event, GitHub
refused or was unreachable, invalid policy); 3 for an unexpected internal error.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, run_guarded


def register(app: typer.Typer) -> None:
    """Add the ``action`` command to ``app``."""
    app.command(name="action")(action_command)


def action_command(
    event_path: Annotated[Path | None, typer.Option("--event-path", help="Event payload (default: GITHUB_EVENT_PATH).")] = None,
    event_name: Annotated[str | None, typer.Option("--event-name", help="Event name (default: GITHUB_EVENT_NAME).")] = None,
    repository: Annotated[str | None, typer.Option("--repository", help="owner/name (default: GITHUB_REPOSITORY).")] = None,
    api_url: Annotated[str | None, typer.Option("--api-url", help="REST API root (default: GITHUB_API_URL).")] = None,
    sarif: Annotated[Path | None, typer.Option("--sarif", help="Also write the review as SARIF 2.1.0 to this file.")] = None,
    upload_sarif: Annotated[bool, typer.Option(
        "--upload-sarif", help="Upload the SARIF to code scanning (needs security-events: write).")] = False,
    no_log: Annotated[bool, typer.Option("--no-log", help="Do not append to the decision log.")] = False,
    checkout: Annotated[Path | None, typer.Option(
        "--checkout", help="Clone with full history for the risk gate (default: GITHUB_WORKSPACE).")] = None,
) -> None:
    """Review the pull request of the current GitHub Actions event with GITHUB_TOKEN."""
    run_guarded(lambda: _action(event_path, event_name, repository, api_url, sarif, upload_sarif, no_log, checkout))


def _action(event_path: Path | None, event_name: str | None, repository: str | None, api_url: str | None,
            sarif: Path | None, upload_sarif: bool, no_log: bool, checkout: Path | None = None) -> None:
    from bot.action.event import parse_event  # noqa: PLC0415
    from bot.action.runner import ActionConfig, ActionRunner  # noqa: PLC0415
    from bot.adapters.github import GitHubToken  # noqa: PLC0415
    from bot.app.runtime import pipeline_options_from_settings  # noqa: PLC0415
    from bot.cli.serve_cmd import configure_logging  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415

    env = os.environ
    token = env.get("GITHUB_TOKEN") or env.get("INPUT_GITHUB_TOKEN") or ""
    if not token:
        fail("no token: set GITHUB_TOKEN (in a workflow: env: GITHUB_TOKEN: ${{ github.token }})")
    path = event_path or (Path(env["GITHUB_EVENT_PATH"]) if env.get("GITHUB_EVENT_PATH") else None)
    name = event_name or env.get("GITHUB_EVENT_NAME") or ""
    if path is None:
        fail("no event: run inside GitHub Actions, or pass --event-path and --event-name")
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        fail(f"cannot read the event payload {path}: {getattr(exc, 'strerror', None) or exc}")
    if not isinstance(payload, dict):
        fail(f"the event payload {path} is not a JSON object")
    event = parse_event(name, payload)
    repo = repository or env.get("GITHUB_REPOSITORY") or event.repo
    if event.repo and repo and event.repo.lower() != repo.lower():
        fail(f"the event is about {event.repo}, not {repo}")
    settings = Settings()
    configure_logging(json_lines=False)
    github = GitHubToken(token, api_url or env.get("GITHUB_API_URL") or settings.github_api_url,
                         seconds_between_writes=settings.github_write_interval_s or None)
    decision_log = None
    if not no_log:
        from bot.audit import DecisionStore  # noqa: PLC0415

        decision_log = DecisionStore(settings.resolved_database_url())
    config = ActionConfig(
        sarif_path=sarif, upload_sarif=upload_sarif,
        summary_path=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
        output_path=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
        pipeline_options=pipeline_options_from_settings(settings), decision_log=decision_log,
        checkout=checkout or (Path(env["GITHUB_WORKSPACE"]) if env.get("GITHUB_WORKSPACE") else None),
        history_cache=settings.cache_dir / "history.sqlite",
    )
    client = github.repo(repo)
    try:
        report = ActionRunner(client, github.bot_login(), config).run(event)
    except Exception as exc:
        from bot.adapters.github import GitHubError  # noqa: PLC0415

        if isinstance(exc, GitHubError):
            fail(f"GitHub: {exc}")
        raise
    finally:
        client.close()
        if decision_log is not None:
            decision_log.close()
    for warning in report.warnings:
        sys.stderr.write(f"quorum: warning: {warning}\n")
    sys.stdout.write(f"quorum action: {event.event_name or 'event'} {event.action}".rstrip()
                     + f" on {repo}{'#' + str(event.number) if event.number else ''}: {report.note}\n")
    if report.posted:
        sys.stdout.write(f"posted: {', '.join(report.posted)}\n")


__all__ = ["action_command", "register"]
