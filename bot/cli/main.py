"""The ``quorum`` command line. An entry point: the only layer (with the web app) that reads the
environment, through :class:`bot.config.Settings`.

Exit status: 0 whenever a review completed, whatever the decision; 2 with a one-line error on
stderr when it could not review (bad repository, unknown ref, empty diff, invalid policy,
decision log unwritable); 3 for an unexpected internal error (still one line).
"""

from __future__ import annotations

import time

from bot.cli.clock import process_age_s

# First thing: the CLI's entry point, for timings.startup_ms (process start -> here) and cli_ms.
_AGE_AT_ENTRY = process_age_s()
_ENTRY = time.perf_counter()
_SERVED = False

import json  # noqa: E402
import sys  # noqa: E402
from enum import StrEnum  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402

from bot.cli.common import EXIT_BROKEN_PIPE, exit_quietly_on_broken_pipe, fail, make_console, read_policy_file, run_guarded  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.errors import SourceError  # noqa: E402

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


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"


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
        lambda: _review(repo, base, head, title, body, author, policy, output_format, no_log, explain, model, profile,
                        risk_model)
    )


def _review(
    repo: Path,
    base: str | None,
    head: str,
    title: str | None,
    body: str | None,
    author: str | None,
    policy: Path | None,
    output_format: OutputFormat,
    no_log: bool,
    explain: bool,
    model: str | None = None,
    profile: Path | None = None,
    risk_model: Path | None = None,
) -> None:
    profiler = None
    if profile is not None:
        import cProfile  # noqa: PLC0415 - only with --profile

        profiler = cProfile.Profile()
        profiler.enable()
    from bot.cli.recache import RegexCache  # noqa: PLC0415

    settings = Settings()
    with RegexCache(settings.cache_dir) if not _SERVED else _nothing():
        _review_with(settings, repo, base, head, title, body, author, policy, output_format, no_log, explain, model,
                     risk_model)
    if profiler is not None:
        profiler.disable()
        _write_profile(profiler, profile)


def _review_with(settings: Settings, repo: Path, base: str | None, head: str, title: str | None, body: str | None,
                 author: str | None, policy: Path | None, output_format: OutputFormat, no_log: bool, explain: bool,
                 model: str | None, risk_model: Path | None = None) -> None:
    from bot.adapters.gitlocal import LocalGitSource  # noqa: PLC0415
    from bot.pipeline import PipelineOptions, ReviewHooks, run_review  # noqa: PLC0415

    policy_text = read_policy_file(policy)
    source = LocalGitSource(repo, base=base, head=head, title=title, body=body, author=author)
    options = PipelineOptions(policy_text=policy_text, cache_dir=settings.cache_dir / "index",
                              risk_model_text=read_risk_model_file(risk_model))
    options.history = _history(repo, settings)
    if model or settings.model:
        from bot.adapters.llm import reasoner_from_settings  # noqa: PLC0415 - only with a model configured

        options.reasoner = reasoner_from_settings(settings, model=model)
        options.agent_timeout_s = settings.llm_agent_timeout_s
    decision_log = None if no_log else _ReportingLog(settings)
    review_start = time.perf_counter()
    try:
        outcome = run_review(source, options, log=decision_log, hooks=ReviewHooks(before_policy=_refuse_empty))
    finally:
        if decision_log is not None:
            decision_log.close()
    result = outcome.result
    _process_timings(result.timings, review_start)
    _emit(result, output_format, explain, changed_paths=[f.path for f in outcome.snapshot.diff.files])
    if decision_log is not None and decision_log.error:
        fail(decision_log.error)


def read_risk_model_file(path: Path | None) -> str | None:
    """The text of a ``--risk-model`` file, validated; None without one. Fails with one line."""
    if path is None:
        return None
    from bot.risk.model import RiskModelError, load_model  # noqa: PLC0415

    try:
        text = path.read_text(encoding="utf-8")
        load_model(text, source=str(path))
    except OSError as exc:
        fail(f"cannot read risk model {path}: {exc.strerror or exc}")
    except RiskModelError as exc:
        fail(str(exc))
    return text


def _history(repo: Path, settings: Settings):  # noqa: ANN202
    """The repository's history for the risk gate, cached in ``<cache>/history.sqlite``."""
    from bot.history.cache import HistoryCache  # noqa: PLC0415
    from bot.history.gitlog import LocalHistory  # noqa: PLC0415

    return LocalHistory(repo, HistoryCache(settings.cache_dir / "history.sqlite"))


def _process_timings(timings, review_start: float) -> None:  # noqa: ANN001
    """Fill in the process stages (see :class:`bot.core.models.Timings`); ``render_ms`` and
    ``wall_ms`` are completed by ``_emit``."""
    startup_s = _AGE_AT_ENTRY if _AGE_AT_ENTRY is not None else 0.0
    timings.startup_ms = round(startup_s * 1000, 2)
    timings.cli_ms = round((review_start - _ENTRY) * 1000, 2)


def _finish_wall(timings, render_start: float) -> None:  # noqa: ANN001
    now = time.perf_counter()
    timings.render_ms = round((now - render_start) * 1000, 2)
    timings.wall_ms = round(timings.startup_ms + (now - _ENTRY) * 1000, 2)


def _write_profile(profiler, path: Path) -> None:  # noqa: ANN001
    try:
        profiler.dump_stats(str(path))
    except OSError as exc:
        fail(f"cannot write profile {path}: {exc.strerror}")
    sys.stderr.write(f"quorum: profile written to {path} (python -m pstats {path})\n")


def _refuse_empty(snapshot) -> None:  # noqa: ANN001
    if not snapshot.diff.files and not snapshot.diff.truncated:
        raise SourceError(
            f"nothing to review: no differences between {snapshot.pr.base_sha[:12]} and {snapshot.pr.head_sha[:12]}"
        )


class _ReportingLog:
    """The local decision log for ``run_review``: opened on the append (so ``log_ms`` includes
    opening it); an AuditError is kept (``error``) so the review is still printed before the CLI
    exits 2 with it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = None
        self.error: str | None = None

    def append(self, record: dict) -> str | None:
        from bot.audit import DecisionStore  # noqa: PLC0415
        from bot.core.errors import AuditError  # noqa: PLC0415

        try:
            self.store = DecisionStore(self.settings.resolved_database_url())
            return self.store.append(record)
        except AuditError as exc:
            self.error = f"decision log not written: {exc}"
            return None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _emit(result, output_format: OutputFormat, explain: bool, changed_paths: list[str] | None = None) -> None:  # noqa: ANN001
    """Write the review to stdout. ``timings.render_ms`` is the time to render it once; for JSON,
    the text is rendered again with that figure in (about a millisecond), then written."""
    start = time.perf_counter()
    if output_format is OutputFormat.json:
        _json_text(result)  # rendered once to time it
        _finish_wall(result.timings, start)
        sys.stdout.write(_json_text(result))
        return
    if output_format is OutputFormat.sarif:
        from bot.render.sarif import to_sarif  # noqa: PLC0415

        text = json.dumps(to_sarif(result, changed_paths=changed_paths or []), indent=2, ensure_ascii=False) + "\n"
    elif output_format is OutputFormat.markdown:
        from bot.render.markdown import to_markdown  # noqa: PLC0415

        text = to_markdown(result)
    else:
        from bot.render.text import print_review  # noqa: PLC0415

        console = make_console()  # the terminal's width; piped: no wrapping
        with console.capture() as captured:
            print_review(result, console, show_tree=explain)
        text = captured.get()
    _finish_wall(result.timings, start)
    sys.stdout.write(text)


def _json_text(result) -> str:  # noqa: ANN001
    payload = {
        "pr": result.pr.model_dump(mode="json"),
        "verdicts": [v.model_dump(mode="json") for v in result.verdicts],
        "decision": result.decision.model_dump(mode="json"),
        "timings": result.timings.model_dump(mode="json"),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _register_subcommands() -> None:
    """Mount ``audit`` and add ``serve``, ``eval``, ``replay`` and ``calibrate``; each imports its heavy
    dependencies only inside its command, so ``quorum review`` stays light."""
    from bot.cli import (  # noqa: PLC0415
        action_cmd,
        audit_access_cmd,
        audit_cmd,
        calibrate_cmd,
        demo_cmd,
        eval_cmd,
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
    for module in (serve_cmd, eval_cmd, replay_cmd, ops_cmd, calibrate_cmd, action_cmd):
        module.register(app)


def set_entry(age_at_entry: float | None, entry_perf: float, *, served: bool = False) -> None:
    """Where this process's timings start: the process age at the entry point (seconds) and the
    ``time.perf_counter()`` of that moment. The command server's child sets the client's, with
    ``served`` (its regular expressions are compiled already: no regex cache to read)."""
    global _AGE_AT_ENTRY, _ENTRY, _SERVED  # noqa: PLW0603 - process-level clock origin, set once
    _AGE_AT_ENTRY, _ENTRY, _SERVED = age_at_entry, entry_perf, served


def _nothing():  # noqa: ANN202
    import contextlib  # noqa: PLC0415

    return contextlib.nullcontext()


def run(argv: list[str]) -> int:
    """Run ``quorum review ...`` (``argv[0]`` is the program name) and return its exit status,
    output flushed. ``quorum review`` mounts no other subcommand (their modules import
    SQLAlchemy, FastAPI and the like)."""
    sys.argv = list(argv)
    code = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            sys.stderr.write(exc.code + "\n")
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # `quorum review | head`: the reader went away; exit like SIGPIPE, quietly
        code = code or EXIT_BROKEN_PIPE
    except ValueError:
        code = code or 1
    return code


def main() -> None:
    """Full entry point (``python -m bot.cli.main``; the ``quorum`` script is
    :func:`bot.cli.entry.main`, which tries the command server first).

    Every command but ``review`` mounts all subcommands and runs normally. After a review the
    process ends with ``os._exit``: nothing is left to clean up (the decision log is committed and
    closed) and interpreter teardown of hundreds of modules, or of an agent thread abandoned after
    its budget, would only add to the wall time.
    """
    import os  # noqa: PLC0415

    if sys.argv[1:2] != ["review"]:
        _register_subcommands()
        try:
            app()
        except BrokenPipeError:  # the reader went away (`quorum audit export | head`): exit 141, quietly
            try:
                exit_quietly_on_broken_pipe()
            except typer.Exit as done:
                sys.exit(done.exit_code)
        return
    os._exit(run(sys.argv))


if __name__ == "__main__":  # pragma: no cover
    main()
