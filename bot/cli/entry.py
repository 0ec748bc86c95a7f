"""The ``quorum`` console script. Standard library only until it knows what to run: a review is
handed to the command server when one runs (``quorum server start``; see
:mod:`bot.cli.cmdserver`), everything else (and a review without a server, or with
``QUORUM_SERVER=0``) runs in this process through :func:`bot.cli.main.main`, and a review that completed there starts a
server for the next ones (:mod:`bot.cli.autostart`; ``QUORUM_SERVER_AUTOSTART=0`` or ``CI`` set: none). Whether a server may
listen is decided by one ``listdir`` (:mod:`bot.cli.serverprobe`) before the client module is imported.
"""

from __future__ import annotations

import time

from bot.cli import serverprobe
from bot.cli.clock import process_age_s

_AGE_AT_ENTRY = process_age_s()
_ENTRY_WALL = time.time()


def main() -> None:
    """Console-script entry point (``quorum``)."""
    import os  # noqa: PLC0415
    import sys  # noqa: PLC0415

    if sys.argv[1:2] == ["review"]:
        from bot.cli import gcstart  # noqa: PLC0415

        gcstart.pause(for_good=True)  # resumed when the review starts (bot.cli.review_cmd); one review, then os._exit
    if (sys.argv[1:2] == ["review"] and not serverprobe.turned_off(os.environ, "QUORUM_SERVER")
            and serverprobe.socket_present(os.environ)):
        from bot.cli import cmdclient  # noqa: PLC0415

        code = cmdclient.try_review(sys.argv[1:], age_at_entry=_AGE_AT_ENTRY, entry_wall=_ENTRY_WALL)
        if code is not None:
            sys.stdout.flush()
            os._exit(code)
    from bot.cli.main import main as run_here  # noqa: PLC0415

    run_here(autostart=True)  # a completed review leaves a command server behind (bot.cli.autostart)
