"""``quorum review``: the snapshot's git reads and the review's imports, side by side.

A one-shot review process spends its first tens of milliseconds of work in two ways that do not
wait for each other: the snapshot waits on git processes (``rev-parse``, ``merge-base``, ``diff``
and the reads beside them: ~20 ms of wall time for ~5 ms of this process's CPU on pydantic), and
the set-up imports the agents and the policy engine and loads the rule registry (~25-30 ms of
CPU). :class:`EarlySnapshot` takes the snapshot in a thread of its own, started as soon as the
CLI knows what to read, while the main thread imports the pipeline, builds its options and calls
:func:`warm_up`; :func:`bot.pipeline.run_review` then gets the snapshot from it (waiting for
what is left) and finds the modules imported.

Nothing the review computes changes: the snapshot is the one :class:`LocalGitSource` takes, and
the warm-up only imports modules and loads the registry the pipeline would import and load a few
milliseconds later (a failure there is ignored: the pipeline meets it again where it always
did, with the same message). The CLI counts the time from starting the snapshot to calling
``run_review`` in ``timings.setup_ms`` (and ``total_ms``); ``snapshot_ms`` is then the wait for
the snapshot after it. A usage error met meanwhile (a bad ``QUORUM_AGENT_PROCS``, an invalid
``--risk-model``) is reported as before: the snapshot's own error surfaces only when the pipeline
asks for the snapshot, and a snapshot nobody asked for is closed (:meth:`EarlySnapshot.discard`).
"""

from __future__ import annotations

import time
from typing import Any

from bot.core.beside import Beside

WARM_MODULES = (
    "bot.policy",
    "subagents.intent",
    "subagents.safety",
    "subagents.logic",
    "subagents.anti_patterns",
    "subagents.execution_paths",
    "bot.lint",
    "bot.risk.step",
    "bot.history.facts",
)
"""What :func:`bot.pipeline.run_review` imports before its agents start (the policy engine, the
default agents, the linters' runner, the history risk step)."""


def warm_up() -> float:
    """Import :data:`WARM_MODULES` and load the default rule registry, ignoring any failure (the
    pipeline then fails the same way where it always did), and build ``quorum review``'s argument
    parser (kept per process; a one-shot review built it already, the command server's preload
    builds it here for every review it forks). Returns the wall milliseconds spent."""
    import importlib  # noqa: PLC0415

    from bot.cli import review_cmd  # noqa: PLC0415

    start = time.perf_counter()
    review_cmd._parser()  # noqa: SLF001 - its own command's parser
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - see the docstring
            continue
    try:
        from bot.core.registry import default_registry  # noqa: PLC0415

        default_registry()
    except Exception:  # noqa: BLE001, S110 - see the docstring
        pass
    return round((time.perf_counter() - start) * 1000, 2)


class EarlySnapshot:
    """A ``PullRequestSource`` whose snapshot is taken in a thread started at construction.

    :meth:`snapshot` waits for it and returns it, or raises what taking it raised (a
    :class:`~bot.core.errors.SourceError` with the same message as when taken in the caller's
    thread). :meth:`discard` (for a caller that will not ask for it) waits for it and closes it.
    """

    def __init__(self, source: Any) -> None:
        self._jobs: list[Beside] = []
        self._job = Beside(self._jobs, source.snapshot, name="quorum-snapshot")
        self._taken = False

    def snapshot(self) -> Any:
        """The snapshot (see the class docstring); the caller closes it."""
        self._taken = True
        return self._job.result()

    def discard(self) -> None:
        """Wait for the snapshot and close it, unless :meth:`snapshot` handed it out already."""
        if self._taken:
            return
        self._taken = True
        try:
            snap = self._job.result()
        except BaseException:  # noqa: BLE001 - nobody asked for it: its error goes nowhere
            return
        snap.close()


__all__ = ["WARM_MODULES", "EarlySnapshot", "warm_up"]
