"""Review workers in a child process, so CPU-heavy reviews never hold the web server's GIL.

``quorum serve`` runs the webhook receiver (event loop + delivery writer) in the main process and
the WorkerPool (review threads) in one child process started with ``spawn``; both use the same
durable job queue, which the child polls (``poll_s``; a poll is one read transaction and takes no
lock). There is deliberately no cross-process lock, event or pipe between them: a child killed at
any moment cannot leave the web process waiting on it. The parent restarts a dead child (with
back-off, logged) and stops it with SIGTERM on shutdown (SIGKILL after a timeout); a child whose
parent dies (even by SIGKILL) gets SIGTERM from the kernel (``PR_SET_PDEATHSIG``) and a watcher thread
checks its parent from its first moments, so no worker outlives its web process. A new child
requeues only jobs whose lease ran out: a predecessor that is still alive (the web process was
killed, not the child) keeps renewing its leases, so its jobs are never run twice. On PostgreSQL
the child runs procrastinate workers instead of the WorkerPool (``bot.app.runtime.run_workers``).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from typing import Any

import structlog

log = structlog.get_logger("quorum.workers")

RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Waits before restarting a child that died, growing with consecutive deaths."""
CHILD_POLL_S = 0.25
"""How often the child looks for queued jobs (seconds)."""
CHILD_NICE = 5
"""The child lowers its CPU priority by this much (``os.nice``), so acks stay fast under review load."""


class WorkerProcess:
    """Parent-side handle of the worker child: ``start()``, ``alive()``, ``stop()``.

    ``settings`` is a ``bot.config.Settings`` dump (``model_dump()``, secrets kept) rebuilt in the
    child; ``threads`` is the child's worker-thread count; ``options`` extra keyword arguments for
    ``build_runtime`` in the child (tests), plus ``configure_logging`` / ``json_logs``.
    """

    def __init__(self, settings: dict[str, Any], *, threads: int, options: dict[str, Any] | None = None) -> None:
        self._ctx = multiprocessing.get_context("spawn")
        self.settings = settings
        self.threads = threads
        self.options = {"poll_s": CHILD_POLL_S, **(options or {})}
        self._proc: Any = None
        self._supervisor: threading.Thread | None = None
        self._closing = threading.Event()
        self._started_at = 0.0
        self.restarts = 0

    def start(self) -> None:
        """Start the child and a supervisor thread that restarts it if it dies."""
        self._closing.clear()
        self._spawn()
        self._supervisor = threading.Thread(target=self._supervise, name="quorum-worker-supervisor", daemon=True)
        self._supervisor.start()

    def _spawn(self) -> None:
        options = {**self.options, "parent_pid": os.getpid()}
        self._proc = self._ctx.Process(target=child_main, name="quorum-workers", daemon=True,
                                       args=(self.settings, self.threads, options))
        self._proc.start()
        self._started_at = time.monotonic()
        log.info("workers.process_started", pid=self._proc.pid, threads=self.threads)

    def _supervise(self) -> None:
        failures = 0
        while not self._closing.is_set():
            proc = self._proc
            proc.join(0.5)
            if self._closing.is_set():
                return
            if proc.is_alive():
                if time.monotonic() - self._started_at > 60:
                    failures = 0  # it ran for a minute: the next death starts the back-off anew
                continue
            delay = RESTART_BACKOFF_S[min(failures, len(RESTART_BACKOFF_S) - 1)]
            log.error("workers.process_died", pid=proc.pid, exitcode=proc.exitcode, restart_in_s=delay,
                      action="restarting; its running jobs are requeued")
            failures += 1
            if self._closing.wait(delay):
                return
            self.restarts += 1
            self._spawn()

    def alive(self) -> bool:
        """Whether the child is running."""
        return self._proc is not None and self._proc.is_alive()

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM the child (it finishes its current jobs), SIGKILL it after ``timeout_s``."""
        self._closing.set()
        if self._supervisor is not None:
            self._supervisor.join(2)
        proc = self._proc
        if proc is None:
            return
        if proc.is_alive():
            proc.terminate()
            proc.join(timeout_s)
        if proc.is_alive():
            log.warning("workers.kill", pid=proc.pid, reason=f"still running after {timeout_s:g}s")
            proc.kill()
            proc.join(5)


def child_main(settings: dict[str, Any], threads: int, options: dict[str, Any]) -> None:
    """Entry point of the child: build the runtime, run the WorkerPool until SIGTERM."""
    stop = threading.Event()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    parent = int(options.pop("parent_pid", 0)) or os.getppid()
    _stop_with_parent()
    if os.getppid() != parent:  # the web process died while this child was starting
        return
    threading.Thread(target=_watch_parent, args=(parent, stop), name="quorum-parent-watch", daemon=True).start()
    niceness = int(options.pop("nice", CHILD_NICE))
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)  # reviews are background work: the OS should favour the webhook process
    from bot.app.runtime import build_runtime, pipeline_options_from_settings, run_workers  # noqa: PLC0415
    from bot.cli.serve_cmd import configure_logging  # noqa: PLC0415
    from bot.config import Settings  # noqa: PLC0415

    json_logs = bool(options.pop("json_logs", True))
    if options.pop("configure_logging", True):
        configure_logging(json_lines=json_logs)
    config = Settings(**settings)
    kwargs = {"pipeline_options": pipeline_options_from_settings(config),
              "seconds_between_writes": config.github_write_interval_s or None, **options}
    runtime = build_runtime(config, threads=threads, **kwargs)
    if stop.is_set():  # the parent went away (or stopped us) while the runtime was being built
        runtime.close()
        return
    try:
        run_workers(runtime, stop, threads=threads)
    finally:
        runtime.close()
        log.info("workers.process_stopped")


def _watch_parent(parent: int, stop: threading.Event) -> None:
    """Set ``stop`` once the process ``parent`` (the web process) is no longer this child's parent.

    Checked every second from the child's first moments, so a web process killed while the child
    is still building its runtime does not leave the child behind (it would otherwise be reparented
    to init and keep polling the queue).
    """
    while not stop.wait(1.0):
        if os.getppid() != parent:  # the web process died without stopping us: do not outlive it
            log.warning("workers.parent_gone", parent_pid=parent, action="stopping")
            stop.set()


def _stop_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (``prctl(PR_SET_PDEATHSIG)``).

    Best effort and Linux only (``PR_SET_PDEATHSIG`` = 1, prctl(2)); elsewhere, or if libc cannot be
    loaded, the watcher thread (:func:`_watch_parent`) alone notices within a second.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes  # noqa: PLC0415

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return
