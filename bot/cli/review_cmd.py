"""``quorum review``: the command's body, and a fast path that parses its arguments without typer.

A review is a one-shot process, so what it imports before it starts working is paid on every
run: typer (with its vendored click) alone costs more than reading the diff of a small change.
:func:`run_fast` parses ``quorum review`` arguments with the standard library's ``argparse``
(the same options as the typer command in :mod:`bot.cli.app`, which stays the reference: it
serves ``--help``, and any argument list ``argparse`` does not accept exactly, so usage errors
read the same as for every other command). Nothing here imports typer, pydantic or rich at
module level; each output format imports its renderer when used.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.cli.common import EXIT_BROKEN_PIPE, fail, make_console, read_policy_file, run_guarded
from bot.core.errors import SourceError

_AGE_AT_ENTRY: float | None = None
_ENTRY = time.perf_counter()
_SERVED = False
_INDEX_BUILDER: Any = None


def set_index_builder(builder: Any) -> None:
    """The code index builder this process's reviews use (:class:`bot.pipeline.PipelineOptions`
    ``index_builder``; None: the pipeline's own). The command server's child sets one that starts
    from the rows the server kept (:mod:`bot.cli.warmstate`)."""
    global _INDEX_BUILDER  # noqa: PLW0603 - process-level, set once by the server's child
    _INDEX_BUILDER = builder


def set_entry(age_at_entry: float | None, entry_perf: float, *, served: bool = False) -> None:
    """Where this process's timings start: the process age at the entry point (seconds) and the
    ``time.perf_counter()`` of that moment. The command server's child sets the client's, with
    ``served`` (its regular expressions are compiled already: no regex cache to read)."""
    global _AGE_AT_ENTRY, _ENTRY, _SERVED  # noqa: PLW0603 - process-level clock origin, set once
    _AGE_AT_ENTRY, _ENTRY, _SERVED = age_at_entry, entry_perf, served


class OutputFormat(StrEnum):
    """``--format`` of ``quorum review``."""

    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"


REVIEW_OPTIONS: dict[str, tuple[str, Any]] = {
    "--repo": ("repo", Path), "--base": ("base", str), "--head": ("head", str), "--title": ("title", str),
    "--body": ("body", str), "--author": ("author", str), "--policy": ("policy", Path),
    "--format": ("output_format", OutputFormat), "--no-log": ("no_log", bool), "--explain": ("explain", bool),
    "--model": ("model", str), "--profile": ("profile", Path), "--risk-model": ("risk_model", Path),
}
"""Every option of ``quorum review``: flag -> (parameter of :func:`review`, type; ``bool`` for a
switch). The typer command in :mod:`bot.cli.app` declares the same ones (a test holds them equal)."""

REVIEW_DEFAULTS: dict[str, Any] = {"repo": Path("."), "head": "HEAD", "output_format": OutputFormat.text}
"""Defaults that are not None / False (as the typer command declares them)."""


class _Refused(Exception):
    """argparse could not take the arguments as they are: the typer command handles them."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: ANN201 - never returns
        raise _Refused(message)


def _formatter(prog: str) -> argparse.HelpFormatter:
    # argparse builds a formatter for every add_argument; given no width, it imports shutil (and
    # with it bz2 and lzma) to read the terminal's. This parser never prints help (typer does).
    return argparse.HelpFormatter(prog, width=100)


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The parser of ``quorum review``'s options, built once per process (``parse_args`` does not
    change it): the command server builds it before it forks (:func:`bot.cli.earlysnap.warm_up`),
    so a served review parses its arguments without building one (~2-4 ms of CPU in a child)."""
    parser = _Parser(prog="quorum review", add_help=False, allow_abbrev=False, formatter_class=_formatter)
    for flag, (dest, kind) in REVIEW_OPTIONS.items():
        if kind is bool:
            parser.add_argument(flag, dest=dest, action="store_true")
        elif kind is OutputFormat:
            parser.add_argument(flag, dest=dest, choices=[f.value for f in OutputFormat])
        else:
            parser.add_argument(flag, dest=dest)
    return parser


def parse_review_argv(args: list[str]) -> dict[str, Any] | None:
    """Keyword arguments of :func:`review` for ``quorum review ARGS`` (``args`` after ``review``),
    or None when ``argparse`` does not take them exactly (``--help``, an unknown option, a
    missing value, an abbreviation): then typer parses them and reports any error itself."""
    if any(a in ("--help", "-h") or a.startswith("--help=") for a in args):
        return None
    try:
        ns = _parser().parse_args(args)
    except _Refused:
        return None
    values: dict[str, Any] = {}
    for dest, kind in REVIEW_OPTIONS.values():
        value = getattr(ns, dest)
        if value is None:
            value = REVIEW_DEFAULTS.get(dest)
        elif kind in (Path, OutputFormat):
            value = kind(value)
        values[dest] = value
    return values


def run_fast(argv: list[str]) -> int | None:
    """Run ``quorum review ...`` (``argv[0]`` the program, ``argv[1]`` ``"review"``) without typer
    and return the exit status (0, 2 bad input, 3 internal error, 141 broken pipe); None when the
    arguments are for typer to parse (see :func:`parse_review_argv`)."""
    if argv[1:2] != ["review"]:
        return None
    values = parse_review_argv(list(argv[2:]))
    if values is None:
        return None
    try:
        run_guarded(lambda: review(**values))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # typer.Exit from fail() (typer is imported only to fail)
        code = getattr(exc, "exit_code", None)
        if not isinstance(code, int):
            raise
        return code
    return 0


def review(
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
    """The body of ``quorum review`` (the options of the typer command, already parsed).

    Exits through :func:`bot.cli.common.fail` (typer.Exit) on bad input. Unless the user set it,
    ``PYDANTIC_DISABLE_PLUGINS`` is set to ``__all__`` for this process before the first model is
    built: pydantic otherwise scans the entry points of every installed distribution for
    validation plugins (reading each ``entry_points.txt``, ~10 ms) on every review, and a
    third-party plugin has no business observing the validation of a pull request's data.
    Source: pydantic documentation, "Plugins" (the variable and its ``__all__`` value).
    """
    import os  # noqa: PLC0415

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    profiler = None
    if profile is not None:
        import cProfile  # noqa: PLC0415 - only with --profile

        profiler = cProfile.Profile()
        profiler.enable()
    from bot.cli.dccache import DataclassCodeCache  # noqa: PLC0415
    from bot.cli.recache import RegexCache  # noqa: PLC0415
    from bot.core.yamldata import ParsedYamlCache  # noqa: PLC0415
    from bot.localsettings import local_settings  # noqa: PLC0415

    settings = local_settings(os.environ)
    if model or settings.model:  # the LLM layer reads a dozen more settings, validated
        from bot.config import Settings  # noqa: PLC0415

        settings = Settings()
    with RegexCache(settings.cache_dir) if not _SERVED else _nothing(), \
            DataclassCodeCache(settings.cache_dir) if not _SERVED else _nothing(), \
            ParsedYamlCache(settings.cache_dir) if not _SERVED else _nothing():
        _review_with(settings, repo, base, head, title, body, author, policy, output_format, no_log, explain, model,
                     risk_model)
    if profiler is not None:
        profiler.disable()
        _write_profile(profiler, profile)


def _review_with(settings,  # noqa: ANN001 - bot.config.Settings, or LocalSettings without a model
                  repo: Path, base: str | None, head: str, title: str | None, body: str | None,
                 author: str | None, policy: Path | None, output_format: OutputFormat, no_log: bool, explain: bool,
                 model: str | None, risk_model: Path | None = None) -> None:
    from bot.adapters.gitlocal import LocalGitSource  # noqa: PLC0415
    from bot.cli import gcstart  # noqa: PLC0415
    from bot.cli.earlysnap import EarlySnapshot, warm_up  # noqa: PLC0415

    policy_text = read_policy_file(policy)
    source = LocalGitSource(repo, base=base, head=head, title=title, body=body, author=author)
    review_start = time.perf_counter()
    start_cpu = time.process_time()
    # git reads the change in a thread while this one imports and prepares (bot.cli.earlysnap). A
    # usage error below is still the one reported: the snapshot's own error surfaces only when
    # run_review asks for it, and an unused snapshot is discarded.
    early = EarlySnapshot(source)
    decision_log = None
    try:
        from bot.pipeline import PipelineOptions, ReviewHooks, run_review  # noqa: PLC0415

        options = PipelineOptions(policy_text=policy_text, cache_dir=settings.cache_dir / "index",
                                  risk_model_text=read_risk_model_file(risk_model), index_builder=_INDEX_BUILDER)
        options.history = _history(repo, settings)
        options.agent_procs = _agent_procs()
        if model or settings.model:
            from bot.adapters.llm import reasoner_from_settings  # noqa: PLC0415 - only with a model configured

            options.reasoner = reasoner_from_settings(settings, model=model)
            options.agent_timeout_s = settings.llm_agent_timeout_s
        decision_log = None if no_log else _ReportingLog(settings)
        warm_up()
        gcstart.resume()  # paused by the console script while it imported (see bot.cli.gcstart)
        before_ms = (time.perf_counter() - review_start) * 1000  # set-up done beside the snapshot
        outcome = run_review(early, options, log=decision_log, hooks=ReviewHooks(before_policy=_refuse_empty))
    finally:
        early.discard()
        if decision_log is not None:
            decision_log.close()
    result = outcome.result
    result.timings.setup_ms = round(result.timings.setup_ms + before_ms, 2)
    result.timings.total_ms = round(result.timings.total_ms + before_ms, 2)
    _process_timings(result.timings, review_start, None if _SERVED else start_cpu)
    _emit(result, output_format, explain, changed_paths=[f.path for f in outcome.snapshot.diff.files])
    if decision_log is not None and decision_log.error:
        fail(decision_log.error)


def _agent_procs() -> int:
    """Processes the review's agents may use: ``QUORUM_AGENT_PROCS`` (default ``auto``: a large
    review forks on a machine with two or more CPUs, see :mod:`bot.agentprocs`); a bad value is a
    usage error (exit 2)."""
    import os  # noqa: PLC0415

    from bot.agentprocs import procs_setting  # noqa: PLC0415

    try:
        return procs_setting(os.environ)
    except ValueError as exc:
        fail(str(exc))


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


def _history(repo: Path, settings):  # noqa: ANN001  # noqa: ANN202
    """The repository's history for the risk gate, cached in ``<cache>/history.sqlite``."""
    from bot.history.cache import HistoryCache  # noqa: PLC0415
    from bot.history.gitlog import LocalHistory  # noqa: PLC0415

    return LocalHistory(repo, HistoryCache(settings.cache_dir / "history.sqlite"))


def _process_timings(timings, review_start: float, start_cpu: float | None = None) -> None:  # noqa: ANN001
    """Fill in the process stages (see :class:`bot.core.models.Timings`); ``render_ms`` and
    ``wall_ms`` are completed by ``_emit``. ``start_cpu`` is ``time.process_time()`` at the
    start of the review (None when the command server's child runs it)."""
    startup_s = _AGE_AT_ENTRY if _AGE_AT_ENTRY is not None else 0.0
    timings.startup_ms = round(startup_s * 1000, 2)
    timings.cli_ms = round((review_start - _ENTRY) * 1000, 2)
    if start_cpu is not None:
        timings.start_cpu_ms = round(start_cpu * 1000, 2)


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

    def __init__(self, settings) -> None:  # noqa: ANN001 - bot.config.Settings or LocalSettings
        self.settings = settings
        self.store = None
        self.error: str | None = None

    def append(self, record: dict) -> str | None:
        """Append ``record``: to a ready local SQLite log with the standard library only
        (:func:`bot.audit.sqliteappend.append_ready`, no SQLAlchemy import), otherwise (a new or
        older log, PostgreSQL) through :class:`bot.audit.store.DecisionStore`."""
        from bot.audit.sqliteappend import append_ready, sqlite_path_of  # noqa: PLC0415
        from bot.core.errors import AuditError  # noqa: PLC0415

        try:
            url = self.settings.resolved_database_url()
            path = sqlite_path_of(url)
            stored = append_ready(path, record) if path is not None else None
            if stored is not None:
                return stored
            from bot.audit import DecisionStore  # noqa: PLC0415

            self.store = DecisionStore(url)
            return self.store.append(record)
        except AuditError as exc:
            self.error = f"decision log not written: {exc}"
            return None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _emit(result, output_format: OutputFormat, explain: bool, changed_paths: list[str] | None = None) -> None:  # noqa: ANN001
    """Write the review to stdout. ``timings.render_ms`` is the time to render it; for JSON, the
    time to render everything but the ``timings`` object, which is rendered after it with that
    figure in (:func:`_json_text`)."""
    start = time.perf_counter()
    if output_format is OutputFormat.json:
        head = _json_head(result)
        _finish_wall(result.timings, start)
        sys.stdout.write(_json_text(result, head))
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


def _json_head(result) -> str:  # noqa: ANN001
    """The review as JSON without its ``timings``: ``{"pr", "verdicts", "decision"}``, indented by 2."""
    return json.dumps({
        "pr": result.pr.model_dump(mode="json"),
        "verdicts": [v.model_dump(mode="json") for v in result.verdicts],
        "decision": result.decision.model_dump(mode="json"),
    }, indent=2, ensure_ascii=False)


def _json_text(result, head: str) -> str:  # noqa: ANN001
    """The review as JSON (``{"pr", "verdicts", "decision", "timings"}``, indented by 2, ending in a
    newline): ``head`` (:func:`_json_head`, rendered before) with the ``timings`` object set in
    as its last member. The same text as ``json.dumps`` of the whole payload: a member one level
    down is the object's own indented text with every line but the first indented 2 more (JSON
    strings hold no raw newline). Rendering the large part once saves a second pure-Python
    indented encoding (~2 ms per 13 KB on pydantic's reviews)."""
    timings = json.dumps(result.timings.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return head[:-2] + ',\n  "timings": ' + timings.replace("\n", "\n  ") + "\n}\n"


def _nothing():  # noqa: ANN202
    import contextlib  # noqa: PLC0415

    return contextlib.nullcontext()
