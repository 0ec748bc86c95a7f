"""Progress for long commands on stderr: a rich progress bar on a terminal, otherwise one line
per phase at most every :data:`LINE_EVERY_S` seconds (and at the end of each phase), so logs of
unattended runs show that work advances."""

from __future__ import annotations

import sys
import time
from typing import Any

LINE_EVERY_S = 10.0


class Progress:
    """Context manager returning an ``on_progress(phase, done, total)`` callback; ``labels``
    maps phases to descriptions."""

    def __init__(self, labels: dict[str, str]) -> None:
        self._labels = labels
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._last: dict[str, float] = {}

    def __enter__(self):  # noqa: ANN204 - returns the progress callback
        from rich.console import Console  # noqa: PLC0415
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn  # noqa: PLC0415
        from rich.progress import Progress as Bar  # noqa: PLC0415

        console = Console(stderr=True)
        if console.is_terminal:
            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            console=console, transient=False)
            self._bar.start()
        return self.update

    def update(self, phase: str, done: int, total: int) -> None:
        """Record progress of ``phase``."""
        label = self._labels.get(phase, phase)
        if self._bar is not None:
            if phase not in self._tasks:
                self._tasks[phase] = self._bar.add_task(label, total=total or None)
            self._bar.update(self._tasks[phase], completed=done, total=total or None)
            return
        now = time.monotonic()
        if done >= total or now - self._last.get(phase, 0.0) >= LINE_EVERY_S:
            self._last[phase] = now
            sys.stderr.write(f"quorum: {label}: {done}/{total}\n")
            sys.stderr.flush()

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
