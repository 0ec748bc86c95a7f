"""The history risk step in a forked process of its own (bot/risk/step.py, ForkedRiskStep): the
thread's assessment; fail closed (an ``error`` assessment, on which the risk gate holds back) when
the child dies, hangs or sends garbage; every child reaped; a failed fork raises (the pipeline then
runs the thread).

Each body runs in a fresh ``spawn`` interpreter (:func:`_fresh`): a process must not fork while
other threads of it may hold locks, and earlier tests leave threads in pytest's process."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.gitlocal import LocalGitSource
from bot.history.cache import HistoryCache
from bot.history.gitlog import LocalHistory
from bot.risk import step
from bot.risk.assess import RiskAssessment
from bot.testing.gitrepo import make_repo

PY = ({"pkg/core.py": "def add(a, b):\n    return a + b\n\n\ndef scale(x, k=2):\n    return x * k\n"},
      {"pkg/core.py": "def add(a, b):\n    return a - b\n\n\ndef scale(x, k):\n    return x * k\n"})


def _fresh(body: Callable[..., Any], *args: Any) -> Any:
    """``body(*args)`` in a fresh interpreter; its exceptions and failed assertions are raised here."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(body, *args).result(timeout=300)


def _assert_no_children() -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def _setup(tmp_path: Path) -> tuple[Any, LocalHistory]:
    repo, _, _ = make_repo(tmp_path, *PY, title="fix add", body="Fixes add.")
    return LocalGitSource(repo).snapshot(), LocalHistory(repo, HistoryCache(tmp_path / "history.sqlite"))


def _same(a: RiskAssessment, b: RiskAssessment) -> bool:
    x, y = a.model_dump(mode="json"), b.model_dump(mode="json")
    x.pop("elapsed_ms")
    y.pop("elapsed_ms")
    return x == y


def test_the_forked_step_gives_the_threads_assessment(tmp_path: Path) -> None:
    _fresh(_gives_the_threads_assessment, tmp_path)


def _gives_the_threads_assessment(tmp_path: Path) -> None:
    snapshot, history = _setup(tmp_path)
    try:
        threaded = step.RiskStep(snapshot, history, None).result(30)
        forked_step = step.ForkedRiskStep(snapshot, LocalHistory(history.repo, HistoryCache(tmp_path / "other.sqlite")),
                                          None)
        forked = forked_step.result(30)
        forked_step.close()  # safe after result()
    finally:
        snapshot.close()
        history.close()
    assert threaded.status == "scored", threaded
    assert _same(forked, threaded)
    assert forked.elapsed_ms > 0
    assert forked_step.stats["history_fork_ms"] > 0 and forked_step.stats["history_cpu_ms"] > 0
    assert forked_step.stats["history_wall_ms"] >= forked.elapsed_ms
    _assert_no_children()


def _forked_with(tmp_path: Path, prepare: Callable[..., Any], timeout_s: float = 30) -> tuple[RiskAssessment, float]:
    snapshot, history = _setup(tmp_path)
    step._prepare = prepare  # a fresh process: the forked child runs this instead
    started = time.monotonic()
    try:
        forked = step.ForkedRiskStep(snapshot, history, None)
        out = forked.result(timeout_s)
    finally:
        snapshot.close()
    _assert_no_children()
    return out, time.monotonic() - started


def _crash(*_: Any) -> Any:
    os.kill(os.getpid(), 9)


def _hang(*_: Any) -> Any:
    time.sleep(60)


def _garbage(*_: Any) -> Any:
    return {"not": "an assessment"}


def _exit_3(*_: Any) -> Any:
    os._exit(3)


def test_a_crashing_history_process_fails_closed(tmp_path: Path) -> None:
    out, _ = _fresh(_forked_with, tmp_path, _crash)
    assert out.status == "error" and out.error == "history facts: process ended by signal 9"
    out, _ = _fresh(_forked_with, tmp_path / "exit", _exit_3)
    assert out.status == "error" and out.error == "history facts: process exited with status 3"


def test_a_hanging_history_process_times_out_and_is_killed(tmp_path: Path) -> None:
    out, took = _fresh(_forked_with, tmp_path, _hang, 0.5)
    assert out.status == "error" and out.error == "history facts timed out after 0.5s"  # the thread's text
    assert took < 30  # killed, not waited for


def test_garbage_from_the_history_process_fails_closed(tmp_path: Path) -> None:
    out, _ = _fresh(_forked_with, tmp_path, _garbage)
    assert out.status == "error" and out.error == "history facts: process sent an unreadable message"


def _forked_with_small_cap(tmp_path: Path) -> tuple[RiskAssessment, float]:
    step.MAX_MESSAGE_BYTES = 4096  # a fresh process: only this test's copy of the module
    real = step._prepare

    def huge(*args: Any) -> Any:
        model, source, facts = real(*args)
        # Well-formed, but more than a pipe holds: the child blocks writing until it is killed.
        return model, source + " " * (1 << 20), facts

    return _forked_with(tmp_path, huge)


def test_an_oversize_message_from_the_history_process_fails_closed(tmp_path: Path) -> None:
    out, took = _fresh(_forked_with_small_cap, tmp_path)
    assert out.status == "error" and out.error == "history facts: process sent an unreadable message"
    assert took < 30  # the writer was killed, not waited for (_forked_with checked it was reaped)


def test_close_kills_and_reaps_a_running_history_process(tmp_path: Path) -> None:
    _fresh(_close_kills, tmp_path)


def _close_kills(tmp_path: Path) -> None:
    snapshot, history = _setup(tmp_path)
    step._prepare = _hang
    try:
        forked = step.ForkedRiskStep(snapshot, history, None)
        forked.close()
        forked.close()
    finally:
        snapshot.close()
    _assert_no_children()


def test_a_failed_fork_raises_for_the_caller(tmp_path: Path) -> None:
    _fresh(_failed_fork, tmp_path)


def _failed_fork(tmp_path: Path) -> None:
    snapshot, history = _setup(tmp_path)

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    os.fork = no_fork  # a fresh process: nothing else forks here
    opened = len(os.listdir("/proc/self/fd"))
    try:
        with pytest.raises(BlockingIOError):
            step.ForkedRiskStep(snapshot, history, None)
        assert len(os.listdir("/proc/self/fd")) == opened  # its pipe closed again
    finally:
        snapshot.close()
        history.close()


def test_history_cached_once_the_base_was_read(tmp_path: Path) -> None:
    snapshot, history = _setup(tmp_path)
    try:
        opened = len(os.listdir("/proc/self/fd"))
        assert not step.history_cached(history, snapshot.pr.base_sha)
        assert len(os.listdir("/proc/self/fd")) == opened  # no database connection left for a fork
        assert step.assess_snapshot(snapshot, history, None).status == "scored"
        assert step.history_cached(history, snapshot.pr.base_sha)
        again = LocalHistory(history.repo, HistoryCache(tmp_path / "history.sqlite"))  # a later review's
        assert step.history_cached(again, snapshot.pr.base_sha)
        again.close()
        assert not step.history_cached(LocalHistory(history.repo, HistoryCache(None)), snapshot.pr.base_sha)
        assert not step.history_cached(object(), snapshot.pr.base_sha)
    finally:
        snapshot.close()
        history.close()
