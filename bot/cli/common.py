"""Shared CLI plumbing: one-line errors on stderr and exit codes, never a traceback; consoles
that follow the terminal's width and never wrap piped output; quiet exits on a broken pipe.

typer is imported only to exit (``typer.Exit``): ``quorum review`` runs without it
(:mod:`bot.cli.review_cmd`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

from bot.core.errors import QuorumError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE (13): what a Unix tool killed by SIGPIPE reports, e.g. ``git log | head``."""

PIPED_WIDTH = 10_000
"""Console width when output is not a terminal: wide enough that no table cell or line wraps
(rich would otherwise wrap at 80 columns, splitting messages mid-sentence in logs and pipes)."""


def make_console(stream: IO[str] | None = None, *, stderr: bool = False) -> Console:
    """A rich Console for command output.

    On a terminal its width follows the terminal (re-read at every print, so a resize is
    honoured); otherwise (a pipe, a file, CI logs) it neither wraps nor pads: ``soft_wrap`` and a
    width of :data:`PIPED_WIDTH`, no colour codes (rich drops styles off a terminal).
    ``stream`` defaults to stdout (stderr with ``stderr=True``).
    """
    from rich.console import Console  # noqa: PLC0415

    out = stream if stream is not None else (sys.stderr if stderr else sys.stdout)
    if getattr(out, "isatty", lambda: False)():
        return Console(file=out, highlight=False)
    return Console(file=out, highlight=False, width=PIPED_WIDTH, soft_wrap=True)


def exit_quietly_on_broken_pipe() -> NoReturn:
    """The reader of our stdout went away (``quorum audit export | head``): exit 141, silently.

    stdout is pointed at /dev/null first, so the interpreter's final flush cannot raise a second
    BrokenPipeError ("Exception ignored ... Broken pipe"); see the Python docs, signal module,
    "Note on SIGPIPE".
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (tests): nothing to redirect
        pass
    import typer  # noqa: PLC0415 - see the module docstring

    raise typer.Exit(EXIT_BROKEN_PIPE)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``quorum: error: <message>`` (first line only) to stderr and exit with ``code``."""
    line = " ".join(str(message).split("\n")[0].split())
    sys.stderr.write(f"quorum: error: {line}\n")
    import typer  # noqa: PLC0415 - see the module docstring

    raise typer.Exit(code)


def read_policy_file(path: Path | None) -> str | None:
    """Text of a user-supplied policy file (``--policy``), or None; unreadable -> one-line error, exit 2."""
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read policy file {path}: {exc.strerror}")
    except UnicodeDecodeError as exc:
        fail(f"cannot read policy file {path}: not UTF-8 ({exc.reason})")


def run_guarded(fn: Callable[[], None]) -> None:
    """Run a command body; QuorumError -> exit 2, any other exception -> exit 3, one line each.

    Set ``QUORUM_DEBUG=1`` to re-raise unexpected errors with their traceback.
    """
    try:
        fn()
    except BrokenPipeError:
        exit_quietly_on_broken_pipe()
    except QuorumError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - last-resort guard for a one-line error
        typer = sys.modules.get("typer")  # a typer.Exit can only come from an imported typer
        if typer is not None and isinstance(exc, typer.Exit):
            raise
        if os.environ.get("QUORUM_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
