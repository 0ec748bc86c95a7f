"""Shared CLI plumbing: one-line errors on stderr and exit codes, never a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import typer

from bot.core.errors import QuorumError

EXIT_USAGE = 2
EXIT_INTERNAL = 3


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``quorum: error: <message>`` (first line only) to stderr and exit with ``code``."""
    line = " ".join(str(message).split("\n")[0].split())
    sys.stderr.write(f"quorum: error: {line}\n")
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
    except typer.Exit:
        raise
    except QuorumError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - last-resort guard for a one-line error
        if os.environ.get("QUORUM_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
