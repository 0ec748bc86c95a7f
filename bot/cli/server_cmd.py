"""``quorum server start|stop|status``: the opt-in review command server (see
:mod:`bot.cli.cmdserver`). Exit status 0 on success, 2 with a one-line error otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import fail

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

START_WAIT_S = 60.0
"""How long ``start`` waits for the server to listen (it imports and warms everything first)."""


def _running() -> tuple[Path, int | None]:
    from bot.cli.cmdclient import server_pid  # noqa: PLC0415
    from bot.cli.cmdserver import socket_path  # noqa: PLC0415

    path = socket_path()
    return path, server_pid(str(path))


@app.command("start")
def start(
    idle: Annotated[float, typer.Option("--idle", min=10, help="Exit after this many seconds without a review.")] = 1800.0,
) -> None:
    """Start the server for this code and QUORUM_CACHE_DIR (detached); `quorum review` then uses it."""
    from bot.cli.cmdclient import beside, server_command  # noqa: PLC0415
    from bot.cli.cmdserver import _private_dir  # noqa: PLC0415

    path, pid = _running()
    if pid is not None:
        sys.stdout.write(f"quorum server already running (pid {pid}) at {path}\n")
        return
    if not _private_dir(path.parent):
        fail(f"{path.parent} is not a private directory of this user")
    log = Path(beside(str(path), ".log"))
    with open(log, "wb") as err:  # in the private directory: the server's own errors
        server = subprocess.Popen(  # noqa: S603 - our own module, our interpreter
            server_command(path, idle),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
            cwd="/",  # a served review changes to the client's directory; the server holds none open
        )
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        if path.exists():
            sys.stdout.write(f"quorum server listening at {path}\n")
            return
        code = server.poll()
        if code:  # 0: another server holds the lock (bot.cli.cmdserver.hold_lock) and is starting: wait for it
            fail(f"the server exited with status {code} before listening: {_last_line(log)} (full log: {log})")
        time.sleep(0.1)
    fail(f"the server did not start within {START_WAIT_S:g}s")


def _last_line(log: Path) -> str:
    """The last non-blank line of the server's log (at most 300 characters), for a one-line error."""
    try:
        lines = [ln for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip()[:300] if lines else "no output"


@app.command("stop")
def stop() -> None:
    """Stop the server (SIGTERM); it finishes the reviews it has forked."""
    path, pid = _running()
    if pid is None:
        sys.stdout.write("no quorum server running\n")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline and _running()[1] is not None:
        time.sleep(0.1)
    sys.stdout.write(f"stopped quorum server (pid {pid})\n")


@app.command("status")
def status() -> None:
    """Say whether a server for this code runs, and where."""
    path, pid = _running()
    sys.stdout.write(f"quorum server running (pid {pid}) at {path}\n" if pid else f"no quorum server running ({path})\n")
