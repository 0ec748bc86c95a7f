"""bot.core.childproc: the fork both forked helpers use (pipe, frozen collector, default signals)
and the kill-and-reap. Forks run in a fresh interpreter: the test process may run threads."""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from bot.core.childproc import exit_reason, fork_piped, kill_and_reap, reap


def _fresh(body: Any) -> Any:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(body).result(timeout=120)


def _child_report() -> tuple[int, bytes]:
    """Fork; the child writes what it sees and exits; the parent returns (freeze count after, report)."""
    pid, r, w = fork_piped()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(r)
            sigint, sigterm = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
            os.write(w, f"{gc.get_freeze_count() > 0} {sigint == signal.SIG_DFL} {sigterm == signal.SIG_DFL}".encode())
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 1024):
        data += chunk
    os.close(r)
    assert os.waitpid(pid, 0)[1] == 0
    return gc.get_freeze_count(), data


def _fork_piped_behaviour() -> None:
    signal.signal(signal.SIGTERM, lambda *_: None)  # a handler of the parent's
    gc.unfreeze()
    after, seen = _child_report()
    assert seen == b"True True True"  # frozen in the child, default SIGINT/SIGTERM there
    assert after == 0  # nothing was frozen before: the parent thawed the fork's own freeze
    gc.freeze()  # an earlier freeze (bot.cli.gcstart's) stays in the parent
    frozen = gc.get_freeze_count()
    after, seen = _child_report()
    assert seen == b"True True True" and after >= frozen
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)  # the parent's own stays


def test_fork_piped_freezes_across_the_fork_and_resets_the_childs_signals() -> None:
    _fresh(_fork_piped_behaviour)


def _no_freeze_without_automatic_collection() -> None:
    from bot.core.childproc import collecting  # noqa: PLC0415

    gc.unfreeze()
    assert collecting()
    young, older, oldest = gc.get_threshold()
    gc.set_threshold(0, older, oldest)  # as bot.cli.gcstart.pause(for_good=True) leaves a review process
    try:
        assert not collecting()
        after, seen = _child_report()
        assert seen == b"False True True"  # nothing frozen in the child: it does not collect either
        assert after == 0
        gc.freeze()  # an earlier freeze stays as it was
        frozen = gc.get_freeze_count()
        after, seen = _child_report()
        assert seen == b"True True True" and after >= frozen - 50
        gc.set_threshold(young, older, oldest)
        gc.disable()  # a disabled collector: the same
        assert not collecting()
        gc.unfreeze()
        assert _child_report() == (0, b"False True True")
    finally:
        gc.enable()
        gc.set_threshold(young, older, oldest)
        gc.unfreeze()


def test_fork_piped_freezes_nothing_where_automatic_collection_is_off() -> None:
    _fresh(_no_freeze_without_automatic_collection)


def _failed_fork_leaves_nothing_open() -> None:
    gc.unfreeze()
    before = set(os.listdir("/proc/self/fd"))
    real = os.fork

    def no_fork() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    os.fork = no_fork
    try:
        with pytest.raises(OSError):
            fork_piped()
    finally:
        os.fork = real
    assert set(os.listdir("/proc/self/fd")) == before
    assert gc.get_freeze_count() == 0


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_a_failed_fork_closes_the_pipe_and_thaws() -> None:
    _fresh(_failed_fork_leaves_nothing_open)


def _kill_and_reap_a_sleeper() -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        time.sleep(60)
        os._exit(0)
    status = kill_and_reap(pid)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    assert kill_and_reap(pid) == 0  # already reaped: no error


def test_kill_and_reap_ends_a_running_child_and_tolerates_a_reaped_one() -> None:
    _fresh(_kill_and_reap_a_sleeper)


def test_reap_and_exit_reason_of_a_child_that_exits_and_one_that_is_killed() -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(3)
    status = reap(pid)
    assert os.WIFEXITED(status) and exit_reason(status) == "exited with status 3"
    assert reap(pid) == 0  # already reaped
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        signal.pause()
        os._exit(0)
    assert exit_reason(kill_and_reap(pid)) == f"ended by signal {int(signal.SIGKILL)}"
