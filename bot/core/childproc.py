"""Ending a forked child process for good: the one kill-and-reap that the parallel agent runner
(:mod:`bot.agentprocs`) and the forked history step (:mod:`bot.risk.step`) share, so that no child
they fork is left running or as a zombie."""

from __future__ import annotations

import os


def kill_and_reap(pid: int) -> int:
    """SIGKILL ``pid`` (already gone is fine) and wait for it; its wait status (``os.waitpid``'s
    second item), or 0 when it was already reaped (``ChildProcessError``). Blocks until the child
    has ended, which after SIGKILL is at once. POSIX only."""
    import signal  # noqa: PLC0415 - only where a child is killed

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


__all__ = ["kill_and_reap"]
