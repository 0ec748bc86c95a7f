"""One progress reporter for the long commands (``replay``, ``eval``, ``calibrate``, ``demo seed``).

Usage, from an entry point::

    from bot.cli.progress import progress

    with progress() as on_progress:           # on_progress(phase: str, done: int, total: int | None)
        for i, item in enumerate(items):
            work(item)
            on_progress("reviewing PRs", i + 1, len(items))

- On a terminal (``stream.isatty()``): a rich progress bar per phase (description, bar, done/total,
  time remaining), drawn on ``stream`` (stderr by default, so stdout stays clean for the report).
- Otherwise (CI logs, ``2> file``, a pipe): one plain line per phase at its first update, then at
  most one line every ``interval_s`` seconds, and one when the phase completes::

      quorum: reviewing PRs: 120/300 (40%) 00:42 elapsed, ~01:03 left

Nothing is written for a phase that never reports. The phase name is the label shown; a ``total``
of 0 or None means "unknown" (no percentage, no estimate). Time comes from ``clock`` (seconds,
monotonic; injectable for tests). Thread-safe: the callback may be called from worker threads.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

ProgressFn = Callable[[str, int, "int | None"], None]
"""``on_progress(phase, done, total)``: ``done`` items of ``total`` (None/0: unknown) finished."""

DEFAULT_INTERVAL_S = 10.0
"""Seconds between two plain progress lines of one phase (first and final lines always printed)."""


def _clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def progress_line(phase: str, done: int, total: int | None, elapsed_s: float) -> str:
    """The plain one-line form: ``quorum: <phase>: 12/300 (4%) 00:35 elapsed, ~13:58 left``.

    Without a known total: ``quorum: <phase>: 12 done, 00:35 elapsed``. Pure.
    """
    if total:
        pct = 100 * done // total
        line = f"quorum: {phase}: {done}/{total} ({pct}%) {_clock_text(elapsed_s)} elapsed"
        if 0 < done < total:
            line += f", ~{_clock_text(elapsed_s * (total - done) / done)} left"
        return line
    return f"quorum: {phase}: {done} done, {_clock_text(elapsed_s)} elapsed"


@dataclass
class _LinePhase:
    started: float
    last_line: float | None = None
    finished: bool = False


@dataclass
class LineProgress:
    """The non-terminal reporter: periodic one-line progress on ``stream`` (see the module docstring)."""

    stream: IO[str]
    interval_s: float = DEFAULT_INTERVAL_S
    clock: Callable[[], float] = time.monotonic
    _phases: dict[str, _LinePhase] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        """Record progress; writes a line when due (first update, every ``interval_s``, completion)."""
        now = self.clock()
        with self._lock:
            state = self._phases.setdefault(phase, _LinePhase(started=now))
            if state.finished:
                return
            complete = bool(total) and done >= total
            due = state.last_line is None or now - state.last_line >= self.interval_s
            if not (due or complete):
                return
            state.last_line = now
            state.finished = complete
            try:
                self.stream.write(progress_line(phase, done, total, now - state.started) + "\n")
                self.stream.flush()
            except (BrokenPipeError, ValueError):  # a closed log must never stop the work
                pass


class _BarProgress:
    """The terminal reporter: one rich progress bar per phase."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console  # noqa: PLC0415
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=Console(file=stream), transient=False,
        )
        self._tasks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        with self._lock:
            if phase not in self._tasks:
                self._tasks[phase] = self._bar.add_task(phase, total=total or None)
            self._bar.update(self._tasks[phase], completed=done, total=total or None)

    def start(self) -> None:
        self._bar.start()

    def stop(self) -> None:
        self._bar.stop()


@contextmanager
def progress(
    stream: IO[str] | None = None,
    *,
    tty: bool | None = None,
    interval_s: float = DEFAULT_INTERVAL_S,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[ProgressFn]:
    """Yield an ``on_progress(phase, done, total)`` callback for the duration of a long command.

    ``stream``: where progress goes (default ``sys.stderr``); ``tty``: force bar (True) or lines
    (False) instead of asking ``stream.isatty()``; ``interval_s``/``clock``: see :class:`LineProgress`.
    """
    out = stream if stream is not None else sys.stderr
    is_tty = tty if tty is not None else bool(getattr(out, "isatty", lambda: False)())
    if not is_tty:
        yield LineProgress(out, interval_s=interval_s, clock=clock)
        return
    bar = _BarProgress(out)
    bar.start()
    try:
        yield bar
    finally:
        bar.stop()


LINE_EVERY_S = DEFAULT_INTERVAL_S
"""Kept for callers of :class:`Progress` (the same interval)."""


class Progress:
    """Context manager returning an ``on_progress(phase, done, total)`` callback; ``labels`` maps
    phase names to the descriptions shown. A thin wrapper over :func:`progress` (same output)."""

    def __init__(self, labels: dict[str, str]) -> None:
        self._labels = labels
        self._cm: Any = None
        self._report: ProgressFn | None = None

    def __enter__(self) -> ProgressFn:
        self._cm = progress()
        self._report = self._cm.__enter__()
        return self.update

    def update(self, phase: str, done: int, total: int | None) -> None:
        """Record progress of ``phase`` (shown under its label)."""
        if self._report is not None:
            self._report(self._labels.get(phase, phase), done, total)

    def __exit__(self, *exc: object) -> None:
        if self._cm is not None:
            self._cm.__exit__(*exc)


__all__ = ["DEFAULT_INTERVAL_S", "LINE_EVERY_S", "LineProgress", "Progress", "ProgressFn", "progress", "progress_line"]
