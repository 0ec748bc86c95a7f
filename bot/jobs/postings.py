"""At-most-once GitHub writes: a unique posting record claimed in a database transaction.

GitHub has no compare-and-set for reviews, so reading "is there an approval already?" and then
approving races with any other worker doing the same (the duplicate approvals of issue 11).
Instead, a worker claims ``(kind, key)`` by inserting a row whose primary key is that pair; the
database lets exactly one insert commit. Only the claimer posts. Rules per kind:

- ``approve`` (key ``repo#pr@head``): never taken over. If the claimer died between claiming and
  posting, that head gets no automatic approval (fail closed) rather than risking a second one.
  The owner includes the attempt number, so even a retry of the same job cannot approve again.
  A claimer that got an error answer from GitHub releases its claim (``release``); the next run
  claims afresh and re-reads the PR's reviews before approving, while no one else can.
- ``check_run`` (key ``repo@head``): the same job may re-enter; another owner may take a claim
  over once it is older than ``takeover_after_s`` and still unfinished (its claimer died), so a
  crash cannot leave a head without a check run forever.
- ``dismissal`` (key ``repo#review_id``): re-entrant until done; GitHub answers 422 to a second
  dismissal of the same review, which the caller treats as done.
"""

from __future__ import annotations

import structlog
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.jobs.schema import postings
from bot.jobs.store import JobStore, JobStoreError

log = structlog.get_logger("quorum.jobs")

TAKEOVER_AFTER_S = {"approve": None, "check_run": 300.0, "dismissal": 0.0}
"""How old an unfinished claim must be before another owner may take it (None: never)."""


class PostingLedger:
    """Claims and completions of at-most-once writes in the job database (``store``'s engine).

    Raises ``JobStoreError`` when the database cannot be written: callers then do not post.
    """

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def claim(self, kind: str, key: str, owner: str) -> bool:
        """True when ``owner`` may post ``(kind, key)`` now (see the module docstring for the rules)."""
        now = self.store.clock()
        key = key[:400]
        try:
            with self.store.transaction() as conn:
                conn.execute(insert(postings).values(kind=kind, key=key, owner=owner, state="claimed",
                                                     claimed_at=now, updated_at=now))
            return True
        except JobStoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError):
                raise
        with self.store.transaction() as conn:
            row = conn.execute(select(postings).where(postings.c.kind == kind, postings.c.key == key)).first()
            if row is None or row.state == "posted":
                return False
            if row.owner == owner and kind != "approve":
                return True
            after = TAKEOVER_AFTER_S.get(kind)
            if after is None or now - row.claimed_at < after:
                return False
            res = conn.execute(update(postings).where(postings.c.kind == kind, postings.c.key == key,
                                                      postings.c.owner == row.owner, postings.c.state == "claimed")
                               .values(owner=owner, claimed_at=now, updated_at=now))
        if res.rowcount == 1:
            log.warning("posting.taken_over", kind=kind, key=key, previous_owner=row.owner, owner=owner)
            return True
        return False

    def done(self, kind: str, key: str, owner: str, artifact_id: str | None) -> None:
        """Record that ``owner`` posted ``(kind, key)`` (GitHub's id of what was created)."""
        with self.store.transaction() as conn:
            conn.execute(update(postings).where(postings.c.kind == kind, postings.c.key == key[:400],
                                                postings.c.owner == owner)
                         .values(state="posted", artifact_id=artifact_id, updated_at=self.store.clock()))

    def release(self, kind: str, key: str, owner: str) -> None:
        """Delete ``owner``'s unfinished claim (GitHub answered the write with an error, so this
        process knows the outcome; a later run re-reads GitHub while holding a fresh claim)."""
        with self.store.transaction() as conn:
            conn.execute(delete(postings).where(postings.c.kind == kind, postings.c.key == key[:400],
                                                postings.c.owner == owner, postings.c.state == "claimed"))

    def get(self, kind: str, key: str) -> dict | None:
        """The posting record of ``(kind, key)`` as a dict, or None."""
        with self.store.transaction(write=False) as conn:
            row = conn.execute(select(postings).where(postings.c.kind == kind, postings.c.key == key[:400])).first()
        return None if row is None else dict(row._mapping)


class JobPostingGuard:
    """A ``PostingGuard`` (bot.core.protocols) for one run of one job: ``owner`` names the job and
    its attempt (``job:<id>/<attempt>``), so neither another job nor a retry of this one can post
    an approval that this run claimed."""

    def __init__(self, ledger: PostingLedger, owner: str) -> None:
        self.ledger = ledger
        self.owner = owner

    def claim(self, kind: str, key: str) -> bool:
        """See ``PostingLedger.claim``."""
        return self.ledger.claim(kind, key, self.owner)

    def done(self, kind: str, key: str, artifact_id: str | None) -> None:
        """See ``PostingLedger.done``."""
        self.ledger.done(kind, key, self.owner, artifact_id)

    def release(self, kind: str, key: str) -> None:
        """See ``PostingLedger.release``."""
        self.ledger.release(kind, key, self.owner)


__all__ = ["TAKEOVER_AFTER_S", "JobPostingGuard", "PostingLedger"]
