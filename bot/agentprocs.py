"""A large review's agents in parallel processes (issue 14).

:func:`bot.pipeline.run_agents` runs the agents in threads of one process: under the GIL a
review's agents take the sum of their CPU time. On a machine with more than one CPU a large
review instead runs them in several processes (:class:`ProcessRun`):

1. The parent parses both versions of every changed file once (:meth:`ChangedFiles.tree
   <bot.core.changeset.ChangedFiles.tree>`), so that the children inherit the trees
   (copy-on-write) instead of each parsing them again. The code index is not built before: its
   one user, ``execution_paths``, is given to the first child, which builds it beside the other
   processes' agents (``first_in_child``; in its main thread, so a cold build may still fork its
   parse workers). The head tree's listing, which the pipeline started ahead
   (``prefetch_listing``), is read in the parent before it forks (``settle_listing``), so that
   the child finds it, and no child waits on a process of its parent.
2. It forks ``processes - 1`` children, only from a process that runs no other thread (a thread
   may hold a lock the child would wait on for ever; :func:`plan` checks), with the garbage
   collector's objects frozen (``gc.freeze``: the child's collections do not touch, and so copy,
   the parent's pages). The parent thaws them again only when nothing was frozen before: a
   freeze already made (``quorum review`` freezes its imports, :mod:`bot.cli.gcstart`) stays
   (:func:`bot.core.childproc.fork_piped`, shared with the forked history step).
3. The other agents are handed out through a pipe holding one byte per agent, most expensive
   first (:data:`COST_ORDER`): each process reads one byte (a read of one byte from a pipe is atomic) to
   claim the next agent, runs it, and claims the next, until the pipe is empty. Whichever process
   is free takes the next agent: longest-first scheduling, balanced without a cost model per agent.
4. A child sends back, over its own pipe, each claim and each verdict as a length-prefixed pickle,
   then its CPU time and the time its code index spent parsing on demand, and leaves with
   ``os._exit`` (no ``atexit`` handler, no flush of buffers it inherited).
5. The parent runs its own claims in a worker thread; its main thread collects the children's
   messages and enforces every agent's deadline.

The verdicts are the threaded path's: each agent runs ``agent.review(ctx)`` on the same context,
an exception becomes the same abstention (:func:`subagents.base.verdict_or_abstain`), and the verdicts come back in
the order of ``agents``. Fail closed: an agent not done by its deadline abstains with ``timed out
after Ns`` (a child running it is killed); a child that dies, is killed, or sends something that is
not a verdict of the agent it claimed makes each agent it had claimed and not answered abstain
with ``internal error: agent process ...``; every child is reaped before :meth:`ProcessRun.verdicts`
returns, whatever happens, except one that sent everything (its verdicts, then its parts) and is
exiting: :meth:`ProcessRun.close` reaps those, which the pipeline calls after the policy decision,
so that the teardown of a child's address space (3-5 ms) overlaps that work (no zombie either way).

Only where it pays (:func:`plan`): forking and copying pages cost a few milliseconds, so small
reviews keep the threads. The estimate of the agents' work is the size of the changed code files
(bytes of both versions, which the agents parse and walk) plus their changed lines; see
:data:`MIN_WORK`. Off when this process may use one CPU only (``os.sched_getaffinity``), when the
1-minute load average and the threads runnable right now say no CPU is free (:func:`machine_busy`), when an LLM reasoner is set (the
agents then wait on the network, and its clients are not fork-safe), and when the caller asks for
one process (:func:`procs_setting`: ``QUORUM_AGENT_PROCS``).
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.core.childproc import exit_reason, fork_piped, kill_and_reap
from bot.core.models import Verdict
from subagents.base import SubAgent, timed_out, verdict_or_abstain

if TYPE_CHECKING:
    from bot.core.context import ReviewContext

# pickle, resource and select are imported where a review forks: plan() runs on
# every review of ``quorum review`` and must not pay for them.

AGENT_PROCS_ENV = "QUORUM_AGENT_PROCS"
"""Environment variable: how many processes a review's agents may use (``1`` or ``off``: threads
in the review's process only; ``auto``: :data:`AUTO_PROCS`, as many as the CPUs this process may
use; a number: up to that many)."""

AUTO_PROCS = 2
"""Processes for ``auto``: the machine this is measured on (and the target machine of issue 14) has
two cores, and the five agents' costs are uneven enough that a third process rarely shortens the
longest share."""

MIN_WORK = 20_000
"""Work estimate (:func:`work_estimate`) from which a review forks. Forking costs the parent about
4 ms of CPU and the child about as much (measured in a review-sized process of ~106 MB). On real
PRs every change to code, down to a few lines in a ~15 KB file (estimate ~35,000), kept the
longest process 50 ms or more shorter than the threaded run's CPU, while changes to no code lost
~20 ms (:func:`work_estimate` is 0 for those); below this, a one-line change to a small file.
RESULTS.md, "Sixth session, agents in parallel processes", gives the measurements."""

COST_ORDER = ("logic", "execution_paths", "anti_patterns", "safety", "intent")
"""The order in which agents are handed out: the most expensive first on the benchmark PRs (agents
not named here go last, in their own order)."""

_HEADER_BYTES = 4
"""Each message: its length as 4 bytes, big-endian, then its pickle."""
DRAIN_S = 1.0
"""Seconds a child may take, after the last verdict, to send its parts and exit (it has nothing
left to do but that) before it is killed."""
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
"""A child's message longer than this is garbage (a verdict is a few kilobytes)."""


def available_cpus() -> int:
    """CPUs this process may run on (``os.sched_getaffinity``; ``os.cpu_count()`` where the
    platform has no affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def procs_setting(env: Mapping[str, str], default: str = "auto") -> int:
    """Processes a review's agents may use, from ``QUORUM_AGENT_PROCS`` in ``env`` (else
    ``default``): ``auto`` -> :data:`AUTO_PROCS`; ``off``, ``0`` or ``1`` -> 1; a number -> that
    number. Raises ValueError for anything else (the caller reports a bad setting)."""
    raw = (env.get(AGENT_PROCS_ENV) or default).strip().lower()
    if raw == "auto":
        return AUTO_PROCS
    if raw == "off":
        return 1
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{AGENT_PROCS_ENV} must be auto, off or a number of processes, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"{AGENT_PROCS_ENV} must not be negative, got {value}")
    return max(1, value)


def work_estimate(ctx: ReviewContext) -> int:
    """A cheap estimate of the agents' work on ``ctx`` (no parsing), in arbitrary units: bytes of
    both versions of the changed files that have a tree-sitter grammar (parsed and walked), plus
    1,000 per changed line of those files and 250 per changed line of other text files (secret,
    injection and supply-chain scans read changed lines); 0 when no changed file has a grammar (the
    agents then only scan lines: a few dozen milliseconds, too little to split). Reads the files'
    bytes through ``ctx.files`` (read once per review: the agents read them anyway)."""
    from bot.core import treesitter  # noqa: PLC0415 - loaded with the parse-once view already

    code = other = 0
    for change in ctx.text_files():
        lines = len(change.changed_new_lines()) + len(change.changed_old_lines())
        if change.language is None or not treesitter.supported(change.language):
            other += 250 * lines
            continue
        code += len(ctx.files.read("head", change.path) or b"") + 1000 * lines
        if change.kind.value != "added":
            code += len(ctx.files.read("base", change.old_path or change.path) or b"")
    return code + other if code else 0


def runnable_now() -> int | None:
    """How many kernel scheduling entities (threads) are runnable at this instant, the caller's
    included: the fourth field of ``/proc/loadavg``, ``running/total`` (Linux, proc(5)). None where
    it cannot be read (another platform)."""
    try:
        with open("/proc/loadavg", "rb") as f:
            return int(f.read().split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return None


def machine_busy(cpus: int, loadavg: Callable[[], tuple[float, float, float]] | None = None,
                 runnable: Callable[[], int | None] | None = None) -> bool:
    """True when no CPU is likely to be free for a second process, which would then only add the
    cost of forking: the 1-minute load average (``os.getloadavg`` unless ``loadavg`` is given) is at
    least ``cpus`` **and** at least ``cpus`` threads, the caller's included, are runnable right now
    (:func:`runnable_now` unless ``runnable`` is given; when that cannot be read, the load average
    decides alone). The load average alone lags by a minute and counts this machine's recent
    reviews, whose processes have ended: a run of reviews one after the other (a hook, a replay,
    the bench) kept it near 2 on a 2-CPU machine while a CPU was idle at each review's start.
    False when the load average cannot be read."""
    try:
        if (loadavg or os.getloadavg)()[0] < cpus:
            return False
    except OSError:
        return False
    now = (runnable or runnable_now)()
    return now is None or now >= cpus


def may_fork(procs: int, llm: object | None = None) -> bool:
    """True when a review allowed ``procs`` processes may fork a second one now: ``procs`` > 1,
    no LLM reasoner (``llm``: its clients are not fork-safe, and the agents then wait on the
    network), the platform forks, this process may use more than one CPU, it runs no other thread
    (forking is safe) and the machine is not busy (:func:`machine_busy`)."""
    if procs <= 1 or llm is not None or not hasattr(os, "fork"):
        return False
    cpus = available_cpus()
    return cpus > 1 and threading.active_count() == 1 and not machine_busy(cpus)


def plan(ctx: ReviewContext, agents: Sequence[SubAgent], procs: int, *, min_work: int = MIN_WORK) -> int:
    """How many processes to run ``agents`` in: 1 (the threaded path) unless there are at least two
    agents, the review may fork (:func:`may_fork`, with ``ctx.llm``) and :func:`work_estimate`
    reaches ``min_work``; then ``min(procs, CPUs, len(agents))``."""
    if len(agents) < 2 or not may_fork(procs, ctx.llm):
        return 1
    if min_work > 0 and work_estimate(ctx) < min_work:
        return 1
    return min(procs, available_cpus(), len(agents))


def preparse(ctx: ReviewContext) -> None:
    """Parse both versions of every changed file that has a grammar, through ``ctx.files`` (the
    trees the agents ask for; each is parsed once per review whoever asks). A version that cannot
    be read or parsed is left for the agents to meet, as on the threaded path (each agent that
    needs it then abstains): this never raises."""
    for change in ctx.text_files():
        if change.language is None:
            continue
        try:
            if change.kind.value != "added":
                ctx.files.change_tree(change, "base")
            ctx.files.change_tree(change, "head")
        except Exception:  # noqa: BLE001, S112 - see the docstring
            continue


def _cpu_ms() -> float:
    import resource  # noqa: PLC0415 - see the imports

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def _send(fd: int, message: Any) -> None:
    import pickle  # noqa: PLC0415 - see the imports

    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(len(data).to_bytes(_HEADER_BYTES, "big") + data)
    while view:
        view = view[os.write(fd, view):]


class _Child:
    """One forked child as the parent sees it: its pid, the read end of its pipe, the bytes read
    and not yet decoded, the agents it claimed and has not answered, whether it has ended."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.buffer = b""
        self.claimed: set[int] = set()
        self.ended: str | None = None
        self.stats: dict[str, float] = {}


class ProcessRun:
    """Run ``agents`` over ``ctx`` in ``processes`` processes (this one and ``processes - 1``
    forked children): see the module docstring. The constructor parses the changed files and
    forks; :meth:`verdicts` waits for the verdicts (call it once). ``first_in_child``: the index of
    an agent the first child runs before claiming (claimed like the others when no child could be
    forked). ``stats`` then holds the parts for ``Timings.agent_procs`` (milliseconds; CPU per
    process)."""

    def __init__(self, ctx: ReviewContext, agents: Sequence[SubAgent], timeouts: Mapping[str, float],
                 processes: int, *, default_timeout: float, first_in_child: int | None = None) -> None:
        self._ctx = ctx
        self._agents = list(agents)
        self._budgets = [timeouts.get(a.name, default_timeout) for a in self._agents]
        started = time.monotonic()
        self._deadlines = [started + b for b in self._budgets]
        self._results: dict[int, Verdict] = {}
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self._children: list[_Child] = []
        self._unreaped: list[int] = []
        """Children done and exiting, reaped by :meth:`close`."""
        self._workers: list[threading.Thread] = []
        self._parent_running: dict[int, threading.Thread] = {}
        self._claim_eof = False
        self._closed = False
        t0 = time.perf_counter()
        cpu0 = _cpu_ms()
        preparse(ctx)
        self.stats: dict[str, float] = {"processes": float(processes), "preparse_ms": _ms(t0),
                                        "preparse_cpu_ms": round(_cpu_ms() - cpu0, 2)}
        t1 = time.perf_counter()
        settle = getattr(ctx.head, "settle_listing", None)
        if callable(settle):
            settle()  # a head listing started ahead (bot.pipeline) is read here: the child builds the index from it
        self._first = first_in_child
        self._claim_r, claim_w = os.pipe()
        try:
            for _ in range(processes - 1):
                self._fork(claim_w)
        except OSError as exc:  # no process to be had (EAGAIN, ENOMEM): fewer processes run the claims
            self.stats["fork_error"] = float(exc.errno or 0)
        finally:
            if not self._children:
                self._first = None  # no child to give it to: it is claimed like the others
            try:
                os.write(claim_w, bytes(self._claim_order()))  # a few bytes: never blocks
            finally:
                os.close(claim_w)
        self.stats["fork_ms"] = _ms(t1)
        self._cpu0 = _cpu_ms()
        self._start_worker()

    # ------------------------------------------------------------------ set-up
    def _claim_order(self) -> list[int]:
        """The agents to hand out through the claim pipe, most expensive first (the one given to
        the first child left out)."""
        rest = [i for i in range(len(self._agents)) if i != self._first]
        return sorted(rest, key=lambda i: (
            COST_ORDER.index(self._agents[i].name) if self._agents[i].name in COST_ORDER else len(COST_ORDER), i))

    def _fork(self, claim_w: int) -> None:
        pid, r, w = fork_piped()
        if pid == 0:  # pragma: no cover - runs in the forked child (tested through its effects)
            code = 1
            try:
                os.close(claim_w)
                os.close(r)
                for child in self._children:
                    os.close(child.fd)
                os.close(self._wake_r)
                os.close(self._wake_w)
                self._child_main(w, self._first if not self._children else None)
                code = 0
            finally:
                os._exit(code)
        os.close(w)
        self._children.append(_Child(pid, r))

    def _child_main(self, fd: int, first: int | None) -> None:  # pragma: no cover - runs in the forked child
        """Run ``first`` (if given), then claim, run and report agents until none is left; then
        the child's parts (its CPU and wall time, and its code index's build and lazy parse time:
        the index is built where execution_paths runs).

        The cyclic garbage collector is off in the child: it lives for the agents only and leaves
        with ``os._exit``, so a collection could only delay its end. What the agents keep (decoded
        code-index records, syntax trees, canonical streams) survives every collection, and each
        survivor was walked again by the younger collections: 10-70 ms of a large review's child
        (pydantic f00275901873, grpc-go 538bb2f7af6e; measured with ``gc.callbacks``), while its
        peak RSS stayed the same without them (pydantic 98a08d3e4bd2: 111-113 MB either way).
        Reference counting still frees everything else at once."""
        gc.disable()
        started = time.perf_counter()
        cpu0 = _cpu_ms()
        index = first
        while True:
            if index is None:
                got = os.read(self._claim_r, 1)
                if not got:
                    break
                index = got[0]
            _send(fd, ("claim", index))
            _send(fd, ("verdict", index, verdict_or_abstain(self._agents[index], self._ctx)))
            index = None
        lazy = getattr(self._ctx.code_index, "lazy_ms", None)
        _send(fd, ("done", {"cpu_ms": _cpu_ms() - cpu0, "wall_ms": _ms(started),
                            "index_ms": float(getattr(self._ctx.code_index, "built_here_ms", 0.0)),
                            "lazy_ms": float(lazy()) if callable(lazy) else 0.0}))
        for view in (self._ctx.base, self._ctx.head):  # stop this process's own git readers
            close = getattr(view, "close", None)
            if callable(close):
                close()

    def _start_worker(self) -> None:
        worker = threading.Thread(target=self._work, name="quorum-agent-claims", daemon=True)
        self._workers.append(worker)
        worker.start()

    def _work(self) -> None:
        """The parent's share: claim, run, store, until the claims are gone, or until this worker
        was left behind by a deadline (:meth:`_expire` then started another)."""
        me = threading.current_thread()
        while True:
            with self._lock:  # the claim pipe never blocks: its write end is closed
                if self._closed or me is not self._workers[-1]:
                    break
                got = os.read(self._claim_r, 1)
                if not got:
                    self._claim_eof = True
                    break
                index = got[0]
                self._parent_running[index] = me
            verdict = verdict_or_abstain(self._agents[index], self._ctx)
            with self._lock:
                self._parent_running.pop(index, None)
                self._results.setdefault(index, verdict)
            self._wake()
        self._wake()

    def _wake(self) -> None:
        """Wake the collecting main thread (nothing once it has returned)."""
        with self._lock:
            if not self._closed:
                os.write(self._wake_w, b"x")

    # ------------------------------------------------------------------ collecting
    def verdicts(self) -> list[Verdict]:
        """The verdicts in the order of the agents: see the module docstring for the abstentions.
        Kills and reaps every child before returning, whatever happens, except a child that sent
        all it had to (every verdict it claimed, then its parts) and is exiting: :meth:`close`
        reaps those."""
        import select  # noqa: PLC0415 - see the imports

        cpu0 = self._cpu0
        try:
            while not self._finished():
                self._expire()
                pending = self._pending()  # read once: a worker thread may finish the last agent at any moment
                if not pending:
                    break
                fds = [c.fd for c in self._children if c.ended is None] + [self._wake_r]
                wait = max(0.0, min(self._deadlines[i] for i in pending) - time.monotonic())
                ready, _, _ = select.select(fds, [], [], wait)
                for fd in ready:
                    if fd == self._wake_r:
                        os.read(self._wake_r, 4096)
                    else:
                        self._read(next(c for c in self._children if c.fd == fd))
                self._orphans()
            self._drain(select)
        finally:
            for child in self._children:
                self._end(child, kill=child.ended is None)
            with self._lock:  # a worker left behind by a deadline stops at its next step
                self._closed = True
                for fd in (self._wake_r, self._wake_w, self._claim_r):
                    os.close(fd)
        self.stats["main_cpu_ms"] = round(_cpu_ms() - cpu0, 2)
        for k, child in enumerate(self._children, start=1):
            for key, value in child.stats.items():
                self.stats[f"child{k}_{key}"] = round(value, 2)
        return [self._results[i] for i in range(len(self._agents))]

    def children_total(self, part: str) -> float:
        """The sum over the children of one of their parts (``index_ms``, ``lazy_ms``, ...; ms, as
        reported in :attr:`stats` as ``child<k>_<part>``); 0 before :meth:`verdicts` returned."""
        return sum(round(c.stats.get(part, 0.0), 2) for c in self._children)

    def _drain(self, select: Any) -> None:
        """With every verdict in: read each child's last message (its parts, sent right after its
        last verdict) and reap it, waiting at most :data:`DRAIN_S`; a child still running then is
        killed by the caller."""
        until = time.monotonic() + DRAIN_S
        while True:
            open_ = [c for c in self._children if c.ended is None and not c.stats]
            left = until - time.monotonic()
            if not open_ or left <= 0:
                break
            ready, _, _ = select.select([c.fd for c in open_], [], [], left)
            for fd in ready:
                self._read(next(c for c in open_ if c.fd == fd))
        t0 = time.perf_counter()
        for child in self._children:
            if child.ended is None and child.stats and not child.claimed:
                # Done: every verdict and its parts are in, and it leaves with os._exit. Its exit (the
                # teardown of a review-sized address space, ~3-5 ms) is waited for in close().
                self._release(child)
            elif child.ended is None and child.stats:
                self._end(child, kill=False)
        self.stats["reap_ms"] = _ms(t0)

    def _release(self, child: _Child) -> None:
        """Mark a child that sent its last message as done, to be reaped by :meth:`close`."""
        try:
            os.close(child.fd)
        except OSError:
            pass
        child.ended = "done"
        self._unreaped.append(child.pid)

    def close(self) -> None:
        """Reap the children :meth:`verdicts` left exiting (each had sent all it had to send): wait
        for each at most :data:`DRAIN_S`, then kill it. Idempotent; the caller calls it once the
        verdicts are used (:func:`bot.pipeline.run_review`: after the policy decision), so that the
        children's exit overlaps that work; no child is left after it."""
        pids, self._unreaped = self._unreaped, []
        for pid in pids:
            if _reap_wait(pid) is None:
                kill_and_reap(pid)

    @staticmethod
    def _reap(pid: int, kill: bool) -> int:
        """Reap ``pid``: at once after SIGKILL when ``kill``, else once it exits by itself (it has
        closed its pipe), killed when it has not within :data:`DRAIN_S`. Its wait status."""
        if not kill:
            status = _reap_wait(pid)
            if status is not None:
                return status
        return kill_and_reap(pid)

    def _pending(self) -> list[int]:
        with self._lock:
            return [i for i in range(len(self._agents)) if i not in self._results]

    def _finished(self) -> bool:
        return not self._pending()

    def _expire(self) -> None:
        """Agents past their deadline abstain; a child running one is killed; a parent worker
        running one is left behind and a new worker takes over the claims."""
        now = time.monotonic()
        restart = False
        for i in self._pending():
            if now < self._deadlines[i]:
                continue
            with self._lock:
                self._results.setdefault(i, timed_out(self._agents[i].name, self._budgets[i]))
                if self._parent_running.get(i) is self._workers[-1]:
                    restart = not self._claim_eof
            for child in self._children:
                if i in child.claimed and child.ended is None:
                    child.claimed.discard(i)
                    self._end(child, kill=True, reason="timed out")
        if restart:
            self._start_worker()

    def _orphans(self) -> None:
        """Agents no process can still answer: claimed by a child that ended (answered in
        :meth:`_end`), or claimed by a child that died before saying so. The latter are found
        once every child has ended and the parent has seen the claims run out."""
        with self._lock:
            if not self._claim_eof or any(i not in self._results for i in self._parent_running):
                return
        if any(c.ended is None for c in self._children):
            return
        reasons = "; ".join(sorted({c.ended for c in self._children if c.ended and c.ended != "done"})) or "ended"
        for i in self._pending():
            with self._lock:
                self._results.setdefault(i, Verdict.abstain(
                    self._agents[i].name, f"internal error: agent process {reasons} before its verdict"[:500]))

    def _read(self, child: _Child) -> None:
        try:
            data = os.read(child.fd, 1 << 16)
        except OSError as exc:
            self._end(child, kill=True, reason=f"could not be read ({exc.strerror})")
            return
        if not data:
            if child.stats and not child.claimed and not child.buffer:
                self._release(child)  # sent everything and exiting: reaped by close()
            else:
                self._end(child, kill=False)
            return
        child.buffer += data
        while len(child.buffer) >= _HEADER_BYTES:
            size = int.from_bytes(child.buffer[:_HEADER_BYTES], "big")
            if size > MAX_MESSAGE_BYTES:
                self._end(child, kill=True, reason="sent an unreadable message")
                return
            if len(child.buffer) < _HEADER_BYTES + size:
                break
            body = child.buffer[_HEADER_BYTES:_HEADER_BYTES + size]
            child.buffer = child.buffer[_HEADER_BYTES + size:]
            if not self._take(child, body):
                self._end(child, kill=True, reason="sent an unreadable message")
                return

    def _take(self, child: _Child, body: bytes) -> bool:
        """Apply one message; False when it is not one this child may send."""
        import pickle  # noqa: PLC0415 - see the imports

        try:
            message = pickle.loads(body)  # noqa: S301 - from this process's own forked child
        except Exception:  # noqa: BLE001 - garbage: the caller fails the child's agents closed
            return False
        if not isinstance(message, tuple) or not message:
            return False
        kind = message[0]
        if kind == "claim" and len(message) == 2 and message[1] in range(len(self._agents)):
            child.claimed.add(message[1])
            return True
        if kind == "verdict" and len(message) == 3 and message[1] in child.claimed:
            index, verdict = message[1], message[2]
            if not isinstance(verdict, Verdict) or verdict.agent != self._agents[index].name:
                return False
            child.claimed.discard(index)
            with self._lock:
                self._results.setdefault(index, verdict)
            return True
        if kind == "done" and len(message) == 2 and isinstance(message[1], dict):
            child.stats = {k: float(v) for k, v in message[1].items() if isinstance(v, (int, float))}
            return True
        return False

    def _end(self, child: _Child, *, kill: bool, reason: str | None = None) -> None:
        """Reap ``child`` (killed first when ``kill``), and make each agent it claimed and did
        not answer abstain with ``reason`` or its exit status."""
        if child.ended is not None:
            return
        status = self._reap(child.pid, kill)
        try:
            os.close(child.fd)
        except OSError:
            pass
        if reason is None and (os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0 or child.claimed):
            reason = exit_reason(status)
        child.ended = reason or "done"
        for index in sorted(child.claimed):
            with self._lock:
                self._results.setdefault(index, Verdict.abstain(
                    self._agents[index].name, f"internal error: agent process {child.ended} before its verdict"[:500]))
        child.claimed.clear()


def _reap_wait(pid: int) -> int | None:
    """The wait status of ``pid`` once it has exited, waiting at most :data:`DRAIN_S` (on a
    pidfd where Linux has them, else polling); None if it is still running then."""
    import select  # noqa: PLC0415 - see the imports

    until = time.monotonic() + DRAIN_S
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    delay = 0.0005
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 0
        left = until - time.monotonic()
        if done or left <= 0:
            if pidfd is not None:
                os.close(pidfd)
            return status if done else None
        if pidfd is not None:
            select.select([pidfd], [], [], left)
        else:
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.02)


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


__all__ = ["AGENT_PROCS_ENV", "AUTO_PROCS", "COST_ORDER", "MIN_WORK", "ProcessRun", "available_cpus", "machine_busy",
           "may_fork", "plan", "preparse", "procs_setting", "runnable_now", "work_estimate"]
