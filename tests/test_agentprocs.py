"""Agents in parallel processes (bot/agentprocs.py): the same verdicts as the threaded path, and
fail closed when a child crashes, hangs or sends garbage; the switch that decides when to fork.

A review forks only from a process that runs no other thread, and earlier tests may leave threads
behind in pytest's process (litellm's logging workers, for one): each test that needs the process
path therefore runs its body in a fresh interpreter (:func:`_fresh`), with two idle CPUs assumed
(:func:`_two_idle_cpus`)."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot import agentprocs
from bot.adapters.gitlocal import LocalGitSource
from bot.core.models import Status, Verdict
from bot.evals.runner import from_scenario
from bot.evals.scenarios import load_cases
from bot.pipeline import PipelineOptions, SnapshotSource, run_review
from bot.testing.gitrepo import make_repo
from subagents import default_agents
from subagents.base import Analysis, SubAgent

MACHINE_BUSY = agentprocs.machine_busy  # the real one: tests below run with two idle CPUs
SCENARIOS = Path(__file__).resolve().parents[1] / "evals" / "scenarios"
PY = ({"pkg/core.py": "def add(a, b):\n    return a + b\n\n\ndef scale(x, k=2):\n    return x * k\n"},
      {"pkg/core.py": "def add(a, b):\n    return a - b\n\n\ndef scale(x, k):\n    return x * k\n",
       "pkg/use.py": "from pkg.core import scale\n\n\ndef twice(x):\n    return scale(x)\n"})


def _no_stray_threads() -> None:
    """The process path forks only from a single-threaded process: wait for threads that earlier
    tests released (bounded), so that these tests exercise it."""
    until = time.monotonic() + 5
    while threading.active_count() > 1 and time.monotonic() < until:
        time.sleep(0.05)
    assert threading.active_count() == 1, [t.name for t in threading.enumerate()]


def _comparable(result):  # noqa: ANN001, ANN202
    verdicts = [v.model_dump(mode="json") for v in result.verdicts]
    for v in verdicts:
        v.pop("elapsed_ms")
    return verdicts, result.decision.model_dump(mode="json")


def _review(snapshot, *, procs: int, **kw):  # noqa: ANN001, ANN003, ANN202
    if procs > 1:
        _no_stray_threads()
    options = PipelineOptions(agent_procs=procs, agent_procs_min_work=0, **kw)
    return run_review(SnapshotSource(snapshot), options).result


def _fix_add(tmp_path: Path):  # noqa: ANN202
    """The repository of the :data:`PY` change ("fix add") and its snapshot (the caller closes it)."""
    repo, _, _ = make_repo(tmp_path, *PY, title="fix add", body="Fixes add.")
    return repo, LocalGitSource(repo).snapshot()


def _assert_no_children() -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def _two_idle_cpus() -> None:
    """In the fresh process: plan as on a machine with two idle CPUs (whatever this one is)."""
    agentprocs.available_cpus = lambda: 2
    agentprocs.machine_busy = lambda cpus: False


def _run_fresh(body: Callable[..., Any], *args: Any) -> Any:
    _two_idle_cpus()
    return body(*args)


def _fresh(body: Callable[..., Any], *args: Any) -> Any:
    """``body(*args)`` in a fresh interpreter (``spawn``: no thread, no lock of this process);
    its exceptions, failed assertions included, are raised here."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_run_fresh, body, *args).result(timeout=600)


def test_same_verdicts_as_threads_on_scenario_cases(tmp_path: Path) -> None:
    _fresh(_same_verdicts_as_threads, tmp_path)


def _same_verdicts_as_threads(tmp_path: Path) -> None:
    cases = [c for c in load_cases(SCENARIOS / "python", "scenarios") if c.expect.findings][:12]
    cases += [c for c in load_cases(SCENARIOS / "javascript", "scenarios") if c.expect.findings][:3]
    assert len(cases) >= 10
    flagged = 0
    for case in cases:
        snapshot = from_scenario(case).build(tmp_path / case.id)
        try:
            threaded = _review(snapshot, procs=1)
            forked = _review(snapshot, procs=2)
        finally:
            snapshot.close()
        assert threaded.timings.agent_procs == {}
        assert forked.timings.agent_procs["processes"] == 2, case.id
        assert _comparable(forked) == _comparable(threaded), case.id
        flagged += any(v.findings for v in threaded.verdicts)
    assert flagged >= len(cases) // 2  # the comparison covers findings, not only passes
    _assert_no_children()


def test_children_parts_are_recorded(tmp_path: Path) -> None:
    _fresh(_children_parts_are_recorded, tmp_path)


def _children_parts_are_recorded(tmp_path: Path) -> None:
    _, snapshot = _fix_add(tmp_path)
    try:
        result = _review(snapshot, procs=2)
    finally:
        snapshot.close()
    parts = result.timings.agent_procs
    assert parts["processes"] == 2 and parts["child1_cpu_ms"] > 0 and parts["child1_wall_ms"] > 0
    # execution_paths ran in the child, which built the code index there
    assert parts["child1_index_ms"] > 0 and result.timings.index_ms == parts["child1_index_ms"]
    assert parts["preparse_ms"] + parts["fork_ms"] <= result.timings.agents_ms
    assert result.timings.agents_ms <= result.timings.total_ms
    _assert_no_children()


def test_the_child_builds_the_index_from_the_listing_read_before_the_fork(tmp_path: Path) -> None:
    _fresh(_listing_read_before_the_fork, tmp_path)


def _listing_read_before_the_fork(tmp_path: Path) -> None:
    from bot.adapters.gitlocal import Git  # noqa: PLC0415

    log = tmp_path / "git-runs.txt"
    real = Git.run

    def logged(self, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {' '.join(args)}\n")
        return real(self, *args, **kw)

    Git.run = logged  # type: ignore[method-assign]
    _, snapshot = _fix_add(tmp_path)
    try:
        parts = _review(snapshot, procs=2).timings.agent_procs
    finally:
        snapshot.close()
        Git.run = real  # type: ignore[method-assign]
    assert parts["processes"] == 2 and parts["child1_index_ms"] > 0  # the child built the index
    runs = log.read_text(encoding="utf-8").split("\n") if log.exists() else []
    # the head tree was listed ahead and read before the fork: nobody listed it again (the logic
    # agent may list the base tree)
    assert not [r for r in runs if " ls-tree " in r and r.endswith(snapshot.pr.head_sha)], runs
    _assert_no_children()


def test_a_child_that_sent_everything_is_reaped_by_close(tmp_path: Path) -> None:
    _fresh(_child_reaped_by_close, tmp_path)


def _child_reaped_by_close(tmp_path: Path) -> None:
    snapshot, ctx = _context(tmp_path)
    try:
        agents = default_agents()
        run = agentprocs.ProcessRun(ctx, agents, {a.name: 60.0 for a in agents}, 2, default_timeout=60.0)
        verdicts = run.verdicts()
        assert [v.agent for v in verdicts] == [a.name for a in agents]
        assert not any(v.error for v in verdicts)
        assert len(run._unreaped) == 1, run.stats  # done and exiting: left to close(), not waited for by verdicts()
        run.close()
        run.close()  # idempotent
    finally:
        snapshot.close()  # its git cat-file process is a child too
    _assert_no_children()


def test_fork_keeps_an_earlier_freeze_and_thaws_its_own(tmp_path: Path) -> None:
    _fresh(_fork_keeps_an_earlier_freeze, tmp_path)


def _fork_keeps_an_earlier_freeze(tmp_path: Path) -> None:
    import gc  # noqa: PLC0415

    _, snapshot = _fix_add(tmp_path)
    try:
        gc.unfreeze()
        assert _review(snapshot, procs=2).timings.agent_procs["processes"] == 2
        assert gc.get_freeze_count() == 0  # nothing was frozen before: the fork's own freeze is undone
        sentinel = [[]]  # a container the collector tracks, alive throughout
        gc.freeze()  # as bot.cli.gcstart does at the start of quorum review
        assert gc.get_freeze_count() > 0
        assert not any(o is sentinel for o in gc.get_objects())  # frozen objects are not listed
        assert _review(snapshot, procs=2).timings.agent_procs["processes"] == 2
        # That freeze is not thawed by the fork: the sentinel is still frozen. (The freeze count
        # itself may fall: a frozen object that dies leaves the permanent generation.)
        assert not any(o is sentinel for o in gc.get_objects())
    finally:
        gc.unfreeze()
        snapshot.close()
    _assert_no_children()


class _InChild(SubAgent):
    """Passes in the review's own process (after ``delay_s``); in a forked child does ``act``."""

    def __init__(self, name: str, act: str, delay_s: float = 0.3) -> None:
        self.name = name
        self.act = act
        self.delay_s = delay_s
        self.parent = os.getpid()

    def review(self, ctx):  # noqa: ANN001, ANN201
        if os.getpid() == self.parent:
            time.sleep(self.delay_s)  # long enough for the child to claim an agent meanwhile
            return Verdict(agent=self.name, status=Status.passed, risk=0.0, confidence=0.9)
        if self.act == "crash":
            os.kill(os.getpid(), 9)
        if self.act == "hang":
            time.sleep(60)
        if self.act == "garbage":
            return Verdict(agent="not-" + self.name, status=Status.passed, risk=0.0, confidence=0.9)
        if self.act == "raise":
            raise RuntimeError("boom in child")
        if self.act == "gc":
            import gc  # noqa: PLC0415

            return Verdict(agent=self.name, status=Status.abstain, risk=0.0, confidence=0.9,
                           notes=[f"collector enabled: {gc.isenabled()}"])
        return Verdict(agent=self.name, status=Status.passed, risk=0.0, confidence=0.9)

    def analyze(self, ctx):  # noqa: ANN001, ANN201
        return Analysis()


def _run_in_child(tmp_path: Path, act: str, policy: str | None = None):  # noqa: ANN202
    _, snapshot = _fix_add(tmp_path)
    agents = [_InChild(n, act) for n in ("logic", "execution_paths", "anti_patterns")]
    started = time.monotonic()
    try:
        result = _review(snapshot, procs=2, agents=agents, policy_text=policy)
    finally:
        snapshot.close()
    assert result.timings.agent_procs["processes"] == 2
    by_child = [v for v in result.verdicts if v.status is Status.abstain]
    in_parent = [v for v in result.verdicts if v.status is Status.passed]
    assert by_child, "the child claimed no agent"
    assert len(by_child) + len(in_parent) == 3
    _assert_no_children()
    return result, by_child, time.monotonic() - started


def test_the_collector_is_off_in_a_child_and_left_on_in_the_review_process(tmp_path: Path) -> None:
    notes, after = _fresh(_collector_in_child, tmp_path)
    assert notes == {"collector enabled: False"}
    assert after


def _collector_in_child(tmp_path: Path) -> tuple[set[str], bool]:
    import gc  # noqa: PLC0415

    assert gc.isenabled()
    _, in_child, _ = _run_in_child(tmp_path, "gc")
    return {n for v in in_child for n in v.notes}, gc.isenabled()


def test_a_crashing_child_makes_its_agent_abstain(tmp_path: Path) -> None:
    result, abstained, _ = _fresh(_run_in_child, tmp_path, "crash")
    for v in abstained:
        assert v.error == "internal error: agent process ended by signal 9 before its verdict"
    assert result.decision.action.value != "approve"


def test_a_hanging_child_agent_times_out_and_is_killed(tmp_path: Path) -> None:
    policy = "".join(f"  {n}: {{enabled: true, timeout_s: 1.5, options: {{}}}}\n"
                     for n in ("logic", "execution_paths", "anti_patterns"))
    result, abstained, took = _fresh(_run_in_child, tmp_path, "hang", "agents:\n" + policy)
    assert [v.error for v in abstained] == ["timed out after 1.5s"]
    assert took < 10
    assert result.decision.action.value != "approve"


def test_a_child_that_sends_a_wrong_verdict_fails_closed(tmp_path: Path) -> None:
    _, abstained, _ = _fresh(_run_in_child, tmp_path, "garbage")
    for v in abstained:
        assert v.error == "internal error: agent process sent an unreadable message before its verdict"


def test_an_oversize_message_from_a_child_fails_closed(tmp_path: Path) -> None:
    _, abstained, _ = _fresh(_oversize_message, tmp_path)
    for v in abstained:
        assert v.error == "internal error: agent process sent an unreadable message before its verdict"


def _oversize_message(tmp_path: Path):  # noqa: ANN202
    agentprocs.MAX_MESSAGE_BYTES = 8  # every message of the child is over it, its first claim too
    return _run_in_child(tmp_path, "pass")


def test_an_agent_that_raises_in_a_child_abstains_as_in_a_thread(tmp_path: Path) -> None:
    _, abstained, _ = _fresh(_run_in_child, tmp_path, "raise")
    for v in abstained:
        assert v.error == "internal error: RuntimeError: boom in child"


def _context(tmp_path: Path):  # noqa: ANN202
    from bot.core.context import ReviewContext  # noqa: PLC0415

    _, snapshot = _fix_add(tmp_path)
    return snapshot, ReviewContext(pr=snapshot.pr, diff=snapshot.diff, base=snapshot.base, head=snapshot.head)


def test_plan_forks_only_when_it_may_and_it_pays(tmp_path: Path) -> None:
    _fresh(_plan_forks_only_when_it_may_and_it_pays, tmp_path)


def _plan_forks_only_when_it_may_and_it_pays(tmp_path: Path) -> None:
    snapshot, ctx = _context(tmp_path)
    try:
        agents = default_agents()
        _no_stray_threads()
        work = agentprocs.work_estimate(ctx)
        assert work > 0
        assert agentprocs.plan(ctx, agents, 2, min_work=work) == 2
        assert agentprocs.plan(ctx, agents, 2, min_work=work + 1) == 1  # too small to pay
        assert agentprocs.plan(ctx, agents, 1, min_work=0) == 1
        assert agentprocs.plan(ctx, agents[:1], 2, min_work=0) == 1
        assert agentprocs.plan(ctx, agents, 8, min_work=0) == 2  # no more than the CPUs
        release = threading.Event()
        thread = threading.Thread(target=release.wait, daemon=True)
        thread.start()
        try:
            assert agentprocs.plan(ctx, agents, 2, min_work=0) == 1  # never fork beside a thread
        finally:
            release.set()
            thread.join()
        agentprocs.machine_busy = lambda cpus: True
        assert agentprocs.plan(ctx, agents, 2, min_work=0) == 1  # no CPU free for a second process
        agentprocs.machine_busy = lambda cpus: False
        agentprocs.available_cpus = lambda: 1
        assert agentprocs.plan(ctx, agents, 2, min_work=0) == 1
    finally:
        snapshot.close()


def test_small_review_keeps_the_threads(tmp_path: Path) -> None:
    _fresh(_small_review_keeps_the_threads, tmp_path)


def _small_review_keeps_the_threads(tmp_path: Path) -> None:
    _, snapshot = _fix_add(tmp_path)
    try:
        _no_stray_threads()
        result = run_review(SnapshotSource(snapshot), PipelineOptions(agent_procs=2)).result
    finally:
        snapshot.close()
    assert result.timings.agent_procs == {}  # far below MIN_WORK
    again, ctx = _context(tmp_path / "again")
    try:
        assert agentprocs.plan(ctx, default_agents(), 2, min_work=0) == 2  # it could have forked
    finally:
        again.close()


def test_machine_busy_reads_the_load_average_and_the_threads_runnable_now() -> None:
    assert MACHINE_BUSY(2, lambda: (2.0, 0.1, 0.1), lambda: 2)  # busy for a minute, and now
    assert MACHINE_BUSY(2, lambda: (2.0, 0.1, 0.1), lambda: None)  # no count: the average decides
    assert not MACHINE_BUSY(2, lambda: (2.0, 0.1, 0.1), lambda: 1)  # only this review runs now
    assert not MACHINE_BUSY(2, lambda: (1.4, 3.0, 3.0), lambda: 5)  # a quiet minute

    def unreadable() -> tuple[float, float, float]:
        raise OSError("no /proc")

    assert not MACHINE_BUSY(2, unreadable, lambda: 5)


def test_runnable_now_counts_the_caller() -> None:
    now = agentprocs.runnable_now()
    if os.path.exists("/proc/loadavg"):
        assert now is not None and now >= 1  # this test's own thread is running
    else:
        assert now is None


def test_work_estimate_counts_code_bytes_and_changed_lines(tmp_path: Path) -> None:
    repo, _, _ = make_repo(tmp_path, {**PY[0], "README.md": "a\n"}, {**PY[1], "README.md": "a\nb\nc\n"},
                           title="fix add", body="Fixes add.")
    snapshot = LocalGitSource(repo).snapshot()
    try:
        from bot.core.context import ReviewContext  # noqa: PLC0415

        ctx = ReviewContext(pr=snapshot.pr, diff=snapshot.diff, base=snapshot.base, head=snapshot.head)
        code = sum(len(t.encode()) for t in (*PY[0].values(), *PY[1].values()))
        # core.py: 2 lines changed on each side; use.py: 5 lines added; README.md: 2 lines added
        assert agentprocs.work_estimate(ctx) == code + 1000 * (4 + 5) + 250 * 2
    finally:
        snapshot.close()
    repo, _, _ = make_repo(tmp_path / "docs", {"README.md": "a\n"}, {"README.md": "a\nb\nc\n"}, title="docs", body="Docs.")
    snapshot = LocalGitSource(repo).snapshot()
    try:
        ctx = ReviewContext(pr=snapshot.pr, diff=snapshot.diff, base=snapshot.base, head=snapshot.head)
        assert agentprocs.work_estimate(ctx) == 0  # no code: the agents only scan lines
    finally:
        snapshot.close()


def test_procs_setting() -> None:
    assert agentprocs.procs_setting({}) == agentprocs.AUTO_PROCS
    assert agentprocs.procs_setting({"QUORUM_AGENT_PROCS": "off"}) == 1
    assert agentprocs.procs_setting({"QUORUM_AGENT_PROCS": "0"}) == 1
    assert agentprocs.procs_setting({"QUORUM_AGENT_PROCS": " 3 "}) == 3
    assert agentprocs.procs_setting({}, default="1") == 1
    for bad in ("two", "-1", "1.5"):
        with pytest.raises(ValueError, match="QUORUM_AGENT_PROCS"):
            agentprocs.procs_setting({"QUORUM_AGENT_PROCS": bad})


def test_a_failed_fork_leaves_every_agent_to_this_process(tmp_path: Path) -> None:
    _fresh(_a_failed_fork_leaves_every_agent_to_this_process, tmp_path)


def _a_failed_fork_leaves_every_agent_to_this_process(tmp_path: Path) -> None:
    repo, snapshot = _fix_add(tmp_path)

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    try:
        threaded = _review(snapshot, procs=1, history=_history(repo))
        os.fork = no_fork  # a fresh process: nothing else forks here
        forked = _review(snapshot, procs=2, history=_history(repo))
    finally:
        snapshot.close()
    assert forked.timings.agent_procs["fork_error"] == 11
    assert "history_fork_ms" not in forked.timings.agent_procs  # the history step ran in a thread
    assert forked.risk is not None and forked.risk["status"] == "scored"
    assert _comparable(forked) == _comparable(threaded)  # the decision holds the risk gate's reason


def _history(repo: Path):  # noqa: ANN202
    from bot.history.cache import HistoryCache  # noqa: PLC0415
    from bot.history.gitlog import LocalHistory  # noqa: PLC0415

    return LocalHistory(repo, HistoryCache(None))


def _risk_reason(result) -> str:  # noqa: ANN001
    return next(r.message for r in result.decision.reasons if r.rule_id == "risk.probability")


def test_the_history_step_runs_in_its_own_process_with_the_same_decision(tmp_path: Path) -> None:
    _fresh(_history_in_its_own_process, tmp_path)


def _history_in_its_own_process(tmp_path: Path) -> None:
    repo, snapshot = _fix_add(tmp_path)
    try:
        threaded = _review(snapshot, procs=1, history=_history(repo))
        forked = _review(snapshot, procs=2, history=_history(repo))
    finally:
        snapshot.close()
    parts = forked.timings.agent_procs
    assert parts["processes"] == 2 and parts["history_fork_ms"] > 0 and parts["history_cpu_ms"] > 0
    assert "history_fork_ms" not in threaded.timings.agent_procs
    assert forked.risk is not None and forked.risk["status"] == "scored"
    assert _comparable(forked) == _comparable(threaded)
    assert {k: v for k, v in forked.risk.items() if k != "elapsed_ms"} == \
        {k: v for k, v in threaded.risk.items() if k != "elapsed_ms"}
    assert 0 < forked.timings.history_ms <= forked.timings.total_ms
    # a review too small to fork its agents still forks the history step
    small = run_review(SnapshotSource(snapshot := LocalGitSource(repo).snapshot()),
                       PipelineOptions(agent_procs=2, history=_history(repo))).result
    assert "processes" not in small.timings.agent_procs and small.timings.agent_procs["history_cpu_ms"] > 0
    assert _comparable(small) == _comparable(threaded)
    # never beside another thread of this process
    release = threading.Event()
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    try:
        beside = _review_beside_a_thread(snapshot, repo)
    finally:
        release.set()
        thread.join()
        snapshot.close()
    assert beside.timings.agent_procs == {}
    assert _comparable(beside) == _comparable(threaded)
    # history read before (the cache on disk has this base): a thread, which costs less than a fork
    from bot.history.cache import HistoryCache  # noqa: PLC0415
    from bot.history.gitlog import LocalHistory  # noqa: PLC0415

    snapshot = LocalGitSource(repo).snapshot()
    try:
        first = _review(snapshot, procs=2, history=LocalHistory(repo, HistoryCache(tmp_path / "h.sqlite")))
        second = _review(snapshot, procs=2, history=LocalHistory(repo, HistoryCache(tmp_path / "h.sqlite")))
    finally:
        snapshot.close()
    assert "history_fork_ms" in first.timings.agent_procs and "history_fork_ms" not in second.timings.agent_procs
    assert second.timings.agent_procs["processes"] == 2
    assert _comparable(first) == _comparable(second) == _comparable(threaded)
    _assert_no_children()


def _review_beside_a_thread(snapshot, repo: Path):  # noqa: ANN001, ANN202
    options = PipelineOptions(agent_procs=2, agent_procs_min_work=0, history=_history(repo))
    return run_review(SnapshotSource(snapshot), options).result


def test_a_failed_history_process_holds_back_as_a_failed_history_thread(tmp_path: Path) -> None:
    _fresh(_failed_history_holds_back, tmp_path)


def _failed_history_holds_back(tmp_path: Path) -> None:
    from bot.history import facts  # noqa: PLC0415
    repo, snapshot = _fix_add(tmp_path)
    parent = os.getpid()

    def broken(*_: Any) -> Any:
        if os.getpid() != parent:
            os.kill(os.getpid(), 9)  # the forked history process dies
        raise RuntimeError("history unreadable")  # the thread's step fails

    facts.compute_facts = broken
    try:
        threaded = _review(snapshot, procs=1, history=_history(repo))
        forked = _review(snapshot, procs=2, history=_history(repo))
    finally:
        snapshot.close()
    assert forked.timings.agent_procs["processes"] == 2 and "history_fork_ms" in forked.timings.agent_procs
    assert threaded.risk["status"] == forked.risk["status"] == "error"
    assert _risk_reason(threaded) == "history risk could not be assessed: RuntimeError: history unreadable"
    assert _risk_reason(forked) == "history risk could not be assessed: history facts: process ended by signal 9"
    for result in (threaded, forked):
        assert result.decision.action.value != "approve"
        assert any(r.rule_id == "risk.probability" for r in result.decision.reasons)
    _assert_no_children()


def test_the_collector_stops_when_the_last_verdict_lands_between_two_looks() -> None:
    """A worker thread of this process may record the last verdict at any moment: the collector
    must not then take the earliest deadline of no pending agent (``min`` of nothing raised
    ValueError and failed the review, seen once in a full suite run under load)."""
    from bot.agentprocs import ProcessRun  # noqa: PLC0415
    from bot.core.models import Verdict  # noqa: PLC0415

    run = ProcessRun.__new__(ProcessRun)
    run._agents = [type("A", (), {"name": "logic"})()]
    run._budgets = [60.0]
    run._deadlines = [time.monotonic() + 0.3]  # the new code's one wait, with nothing to wake it
    run._results = {}
    run._lock = threading.Lock()
    run._wake_r, run._wake_w = os.pipe()
    run._claim_r, claim_w = os.pipe()
    os.close(claim_w)
    run._children, run._workers, run._parent_running = [], [], {}
    run._claim_eof, run._closed = True, False
    run._cpu0 = 0.0
    run.stats = {}
    verdict = Verdict.abstain("logic", "test")
    looks = iter(range(1000))

    def pending() -> list[int]:  # the verdict lands right after the third look
        if next(looks) == 3:
            run._results[0] = verdict
        return [i for i in range(len(run._agents)) if i not in run._results]

    run._pending = pending
    assert run.verdicts() == [verdict]
