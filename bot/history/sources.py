"""Where a review's history comes from, and what a review gets when there is none.

- :func:`checkout_history`: a local clone (``quorum review``, the Action's checkout). A shallow
  clone has lost the history the facts count, so it is refused rather than read.
- :class:`UnavailableHistory`: the history source of a review whose history could not be had
  (the App's mirror failed to fetch, a shallow checkout, no checkout). Every read raises
  :class:`HistoryUnavailable`, so the risk step reports an ``error`` assessment and the risk gate
  fails closed: no approval, unless the policy turns the gate off (``risk_model.enabled: false``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.adapters.gitrun import run_git
from bot.core.errors import SourceError
from bot.history.cache import HistoryCache


class HistoryUnavailable(SourceError):
    """The review has no history; ``str(exc)`` is ``history unavailable: <why>``."""


class UnavailableHistory:
    """A history source that has none: ``reason`` says why (one line). Every read raises
    :class:`HistoryUnavailable`; ``cache`` is an empty in-memory cache (the interface of
    :class:`bot.history.gitlog.LocalHistory`)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason.splitlines()[0][:300] if reason else "unknown reason"
        self.cache = HistoryCache(None)

    def _fail(self, *_: Any, **__: Any) -> Any:
        raise HistoryUnavailable(f"history unavailable: {self.reason}")

    base_time = files = read_base = blame = _fail

    def close(self) -> None:
        """Nothing to close."""


def checkout_history(repo: str | Path, cache: HistoryCache | None, *, what: str = "the clone") -> Any:
    """A :class:`bot.history.gitlog.LocalHistory` over the local repository ``repo``, or an
    :class:`UnavailableHistory` when ``repo`` is not a git repository or is shallow
    (``git rev-parse --is-shallow-repository``). ``what`` names ``repo`` in the reason
    (e.g. "the checkout"). Never raises."""
    from bot.history.gitlog import LocalHistory  # noqa: PLC0415

    path = Path(repo)
    if not path.is_dir():
        return UnavailableHistory(f"{what} ({path}) does not exist")
    probe = run_git(path, "rev-parse", "--is-shallow-repository", check=False)
    answer = probe.stdout.strip()
    if probe.returncode != 0 or answer not in (b"true", b"false"):
        return UnavailableHistory(f"{what} ({path}) is not a git repository")
    if answer == b"true":
        return UnavailableHistory(f"{what} is shallow: its history is cut, so the risk facts would be wrong "
                                  "(actions/checkout: set fetch-depth: 0)")
    return LocalHistory(path, cache)


__all__ = ["HistoryUnavailable", "UnavailableHistory", "checkout_history"]
