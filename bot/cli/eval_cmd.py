"""``quorum eval``: run a labelled eval suite through the real review pipeline and report quality.

Exit status: 0 when the suite ran (whatever the figures); 2 with a one-line error for bad input
(unknown suite or case, invalid scenario data, unreadable policy, no LLM layer for ``--model``);
3 for an unexpected internal error.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail, make_console, read_policy_file, run_guarded


class EvalFormat(StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to ``app``."""
    app.command(name="eval")(eval_command)


def eval_command(
    suite: Annotated[str, typer.Option("--suite", help="Suite: scenarios, injection, all (or a registered one).")] = "all",
    model: Annotated[
        str | None, typer.Option("--model", help="LLM (litellm model id) for the reasoners; default: offline.")
    ] = None,
    output_format: Annotated[EvalFormat, typer.Option("--format", help="Output format.")] = EvalFormat.text,
    suite_dir: Annotated[
        Path | None, typer.Option("--suite-dir", help="Eval data directory (default: the packaged suites, or the checkout's evals/).")
    ] = None,
    case: Annotated[list[str] | None, typer.Option("--case", help="Run only this case id (repeatable).")] = None,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Policy YAML used for every case instead of its base .quorum.yml.")
    ] = None,
    repo: Annotated[Path | None, typer.Option("--repo", help="Repository, for suites built from history.")] = None,
    repos_dir: Annotated[
        Path | None,
        typer.Option("--repos-dir", help="findings suite: directory of local clones (<owner>+<name> or <name>)."),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=32, help="Cases run at once.")] = 4,
    quiet: Annotated[bool, typer.Option("--quiet", help="Text format: leave out the per-case problem list.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="History suites: newest N fix PRs.")] = None,
    sample: Annotated[int | None, typer.Option("--sample", min=1, help="History suites: N fix PRs at random.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="History suites: seed for --sample.")] = 0,
    since: Annotated[
        datetime | None, typer.Option("--since", help="History suites: PRs merged on or after this date.")
    ] = None,
    until: Annotated[datetime | None, typer.Option("--until", help="History suites: PRs merged before this date.")] = None,
    unrelated_test: Annotated[
        bool, typer.Option("--unrelated-test", help="reinjected suite: each PR also adds a trivially true, unrelated test."),
    ] = False,
) -> None:
    """Run an eval suite and report precision/recall/F1, the decision matrix and injection figures."""
    history = {"limit": limit, "sample": sample, "seed": seed, "since": _utc(since), "until": _utc(until),
               "unrelated_test": unrelated_test or None}
    history = {k: v for k, v in history.items() if v is not None}
    if repos_dir is not None:
        history["repos_dir"] = repos_dir.expanduser().resolve()
    run_guarded(
        lambda: _eval(suite, model, output_format, suite_dir, case or [], policy, repo, workers, quiet, history)
    )


def _utc(value: datetime | None) -> datetime | None:
    """Dates from the command line are taken as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _eval(
    suite: str,
    model: str | None,
    output_format: EvalFormat,
    suite_dir: Path | None,
    case_ids: list[str],
    policy: Path | None,
    repo: Path | None,
    workers: int,
    quiet: bool,
    history: dict,
) -> None:
    from bot.evals.suites import SuiteConfig, default_suite_dir, run_suite  # noqa: PLC0415

    directory = (suite_dir or default_suite_dir()).expanduser().resolve()
    if not directory.is_dir():
        fail(f"no eval data directory at {directory} (use --suite-dir)")
    policy_text = read_policy_file(policy)
    config = SuiteConfig(
        suite_dir=directory, case_ids=tuple(case_ids), policy_text=policy_text, workers=workers,
        repo=repo.expanduser().resolve() if repo else None, extra=history,
    )
    if model:
        config.reasoner, config.model = _reasoner(model), model
    from bot.cli.progress import progress  # noqa: PLC0415

    with progress() as on_progress:
        config.on_progress = on_progress
        report = run_suite(suite, config)
    if output_format is EvalFormat.json:
        from bot.evals.report import to_json  # noqa: PLC0415

        sys.stdout.write(to_json(report))
    else:
        from bot.evals.report import print_report  # noqa: PLC0415

        print_report(report, make_console(), show_cases=not quiet)


def _reasoner(model: str):  # noqa: ANN202 - returns bot.llm.Reasoner
    from bot.adapters.llm import reasoner_from_settings  # noqa: PLC0415 - fails with a one-line ConfigError without [llm]
    from bot.config import Settings  # noqa: PLC0415

    return reasoner_from_settings(Settings(), model=model)


__all__ = ["eval_command", "register"]
