"""The ``quorum`` command line. An entry point: the only layer (with the web app) that reads the
environment, through :class:`bot.config.Settings`.

Exit status: 0 whenever a review completed, whatever the decision; 2 with a one-line error on
stderr when it could not review (bad repository, unknown ref, empty diff, invalid policy,
decision log unwritable); 3 for an unexpected internal error (still one line).

This module stays light: ``quorum review`` runs through :mod:`bot.cli.review_cmd` (standard
library argument parsing) and imports the typer application (:mod:`bot.cli.app`) only for
``--help``, usage errors and every other command. ``app``, ``review`` and
``_register_subcommands`` are served from :mod:`bot.cli.app` on first access.
"""

from __future__ import annotations

import time

from bot.cli.clock import process_age_s

# First thing: the CLI's entry point, for timings.startup_ms (process start -> here) and cli_ms.
_AGE_AT_ENTRY = process_age_s()
_ENTRY = time.perf_counter()

import sys  # noqa: E402
from typing import Any  # noqa: E402

from bot.cli import review_cmd  # noqa: E402
from bot.cli.common import EXIT_BROKEN_PIPE, exit_quietly_on_broken_pipe  # noqa: E402
from bot.cli.review_cmd import read_risk_model_file  # noqa: E402, F401 - used by replay_cmd

review_cmd.set_entry(_AGE_AT_ENTRY, _ENTRY)

_FROM_APP = frozenset({"app", "review", "_register_subcommands", "_group"})


def __getattr__(name: str) -> Any:
    """``app``, ``review`` and ``_register_subcommands`` from :mod:`bot.cli.app` (imported on first use)."""
    if name in _FROM_APP:
        from bot.cli import app as typer_app  # noqa: PLC0415

        return getattr(typer_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def set_entry(age_at_entry: float | None, entry_perf: float, *, served: bool = False) -> None:
    """See :func:`bot.cli.review_cmd.set_entry` (the command server's child sets the client's origin)."""
    review_cmd.set_entry(age_at_entry, entry_perf, served=served)


def run(argv: list[str]) -> int:
    """Run ``quorum review ...`` (``argv[0]`` is the program name) and return its exit status,
    output flushed. The arguments are parsed without typer when they can be
    (:func:`bot.cli.review_cmd.run_fast`); ``quorum review`` mounts no other subcommand."""
    sys.argv = list(argv)
    code = review_cmd.run_fast(sys.argv)
    if code is None:
        from bot.cli.app import app  # noqa: PLC0415

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


def main(*, autostart: bool = False) -> None:
    """Full entry point (``python -m bot.cli.main``; the ``quorum`` script is
    :func:`bot.cli.entry.main`, which tries the command server first and passes ``autostart``:
    a review that completed then leaves a command server behind, :mod:`bot.cli.autostart`).

    Every command but ``review`` mounts all subcommands and runs normally. After a review the
    process ends with ``os._exit``: nothing is left to clean up (the decision log is committed and
    closed) and interpreter teardown of hundreds of modules, or of an agent thread abandoned after
    its budget, would only add to the wall time.
    """
    import os  # noqa: PLC0415

    if sys.argv[1:2] != ["review"]:
        import typer  # noqa: PLC0415

        from bot.cli.app import _register_subcommands, app  # noqa: PLC0415

        _register_subcommands()
        try:
            app()
        except BrokenPipeError:  # the reader went away (`quorum audit export | head`): exit 141, quietly
            try:
                exit_quietly_on_broken_pipe()
            except typer.Exit as done:
                sys.exit(done.exit_code)
        return
    code = run(sys.argv)
    if autostart and code == 0 and review_cmd.parse_review_argv(sys.argv[2:]) is not None:  # not --help
        from bot.cli.autostart import start_after_review  # noqa: PLC0415

        start_after_review(argv=sys.argv[1:])
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
