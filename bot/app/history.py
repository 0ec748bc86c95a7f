"""Where an App review's history comes from: the repository's local mirror (:mod:`bot.adapters.mirror`),
fetched just before the review. Any failure gives the review an
:class:`~bot.history.sources.UnavailableHistory`, on which the risk gate fails closed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from bot.adapters.mirror import MirrorError, MirrorStore
from bot.core.protocols import Snapshot
from bot.history.cache import HistoryCache
from bot.history.sources import UnavailableHistory


def review_history(mirrors: MirrorStore | None, snapshot: Snapshot, held: contextlib.ExitStack, note: dict[str, Any],
                   log: Any, *, cache: HistoryCache, installation_id: int, token: Callable[[int], str]) -> Any:
    """The history source of one review of ``snapshot``: its repository's mirror, with the base
    branch (``pr.base_ref``) and the PR head fetched now (unless the base SHA is already there) and
    the base SHA checked present, leased in
    ``held`` until the review ends (not evicted meanwhile); or an :class:`UnavailableHistory`
    saying why not. ``token(installation_id)`` gives the installation token for the fetch.
    ``note`` receives what it cost, for the decision record: ``source``, ``cloned``, ``fetched``, ``fetch_s``
    and ``sync_s`` (seconds), ``mirror_bytes``, ``evicted``, or ``error``. ``log`` is a structlog
    logger. Never raises."""
    from bot.history.gitlog import LocalHistory  # noqa: PLC0415

    pr = snapshot.pr
    if mirrors is None:
        note.update(source="none", error="the App keeps no repository mirrors")
        return UnavailableHistory(note["error"])
    t0 = time.monotonic()
    try:
        lease = held.enter_context(mirrors.lease(installation_id, pr.repo))
        rep = lease.sync(base_ref=pr.base_ref, pr_number=pr.number, need=pr.base_sha,
                         token=lambda: token(installation_id))
    except Exception as exc:  # noqa: BLE001 - any mirror failure means no history, never a crashed review
        error = str(exc) if isinstance(exc, MirrorError) else f"mirror of {pr.repo}: {type(exc).__name__}: {exc}"
        note.update(source="mirror", error=error[:300], sync_s=round(time.monotonic() - t0, 3))
        log.warning("review.history_unavailable", error=note["error"], action="the risk gate fails closed")
        return UnavailableHistory(error)
    note.update(source="mirror", cloned=rep.cloned, fetched=rep.fetched, fetch_s=rep.fetch_s,
                sync_s=round(time.monotonic() - t0, 3), mirror_bytes=rep.size, evicted=len(rep.evicted))
    log.info("review.mirror_synced", **note)
    return LocalHistory(lease.path, cache)


__all__ = ["review_history"]
