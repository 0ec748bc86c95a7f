"""Forked child processes that report back over a pipe: the fork and the kill-and-reap that the
parallel agent runner (:mod:`bot.agentprocs`) and the forked history step (:mod:`bot.risk.step`)
share, so that each child starts alike and none is left running or as a zombie. POSIX only."""

from __future__ import annotations

import gc
import os


def fork_piped() -> tuple[int, int, int]:
    """``os.fork()`` with a fresh pipe: ``(pid, read end, write end)``, ``pid`` 0 in the child.
    Both ends are open in both processes; each closes the one it does not use.

    Where this process collects garbage automatically, the collector's objects are frozen across
    the fork (``gc.freeze``), so the child's collections do not touch, and so copy, the parent's
    pages; the parent thaws them again only when nothing was frozen before (a freeze made earlier
    stays), and the child never does. Where automatic collection is off (:func:`collecting` is
    False: a ``quorum review`` process or the command server's child, :mod:`bot.cli.gcstart`),
    neither process collects unless asked to, so nothing is frozen: the check "was anything frozen
    before" (``gc.get_freeze_count()``) walks every frozen object, 5-7 ms for the ~77,000 that a
    command server's child holds (measured on this project's 2-core machine; CPython's
    ``gc_list_size`` counts a linked list). The child starts with the default SIGINT and SIGTERM
    actions (killed by them, not raising in code it inherited).

    Raises OSError when no pipe or process can be had (EMFILE, EAGAIN, ENOMEM); nothing is left open
    then. Call only from a process that runs no other thread (a child must not inherit a lock)."""
    r, w = os.pipe()
    freeze = collecting()
    thaw = freeze and not gc.get_freeze_count()  # nothing frozen before: the parent undoes its own freeze
    if freeze:
        gc.freeze()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        if thaw:
            gc.unfreeze()
        raise
    if pid == 0:  # pragma: no cover - runs in the forked child (tested through its callers)
        import signal  # noqa: PLC0415 - only where a process forks

        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    elif thaw:
        gc.unfreeze()
    return pid, r, w


def collecting() -> bool:
    """True when the cyclic garbage collector runs automatically in this process: it is enabled
    and its youngest generation's threshold is not 0 (which CPython reads as "never", Python
    documentation of ``gc.set_threshold``)."""
    return gc.isenabled() and gc.get_threshold()[0] != 0


def kill_and_reap(pid: int) -> int:
    """SIGKILL ``pid`` (already gone is fine) and wait for it; its wait status (``os.waitpid``'s
    second item), or 0 when it was already reaped (``ChildProcessError``). Blocks until the child
    has ended, which after SIGKILL is at once."""
    import signal  # noqa: PLC0415 - only where a child is killed

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return reap(pid)


def reap(pid: int) -> int:
    """Wait for ``pid`` to end; its wait status (``os.waitpid``'s second item), or 0 when it was
    already reaped (``ChildProcessError``). Blocks until the child ends."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def exit_reason(status: int) -> str:
    """How a child with wait status ``status`` ended, for a message: ``ended by signal N`` or
    ``exited with status N``."""
    if os.WIFSIGNALED(status):
        return f"ended by signal {os.WTERMSIG(status)}"
    return f"exited with status {os.WEXITSTATUS(status)}"


__all__ = ["collecting", "exit_reason", "fork_piped", "kill_and_reap", "reap"]
