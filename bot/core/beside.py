"""A call run in a thread of its own beside the caller's work: for work that waits on a child
process (git, ruff, oxlint) rather than on the GIL, so two such waits overlap.

Deliberately not :mod:`concurrent.futures`: that imports :mod:`logging`, which the review path's
start-up does not otherwise import (measured with ``python -X importtime``; issue 14's start-up budget).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Beside:
    """``fn(*args)`` run in a daemon thread named ``name``, started now and added to ``jobs`` (to be
    joined by the caller whatever happens); :meth:`result` waits for it and returns its value or
    raises its exception (any ``BaseException``, re-raised in the caller's thread)."""

    def __init__(self, jobs: list[Beside], fn: Callable[..., T], *args: object, name: str = "quorum-beside") -> None:
        self._fn, self._args = fn, args
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        jobs.append(self)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn(*self._args)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the result
            self._error = exc

    def join(self) -> None:
        """Wait for the thread to end."""
        self._thread.join()

    def result(self) -> Any:
        """The function's return value (after waiting); re-raises what it raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


__all__ = ["Beside"]
