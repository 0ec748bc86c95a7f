"""Read-only queries over the decision log, shared by ``quorum audit``, the HTTP API and the console.

``list_records`` pages through records newest first with filters and an opaque cursor. Column
filters (repository, PR, action, kind, time range) run in SQL on indexed columns; the rule-id and
author filters look inside the record JSON: a SQL ``LIKE`` over the canonical JSON narrows the rows
(keys are sorted and compact, so ``"pr_author":"alice"`` is an exact substring), then
``matches`` checks each candidate exactly in Python. Nothing here writes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from bot.audit import schema
from bot.audit.schema import decision_log, decision_terms
from bot.audit.store import DecisionStore

_ROWS = (decision_log.c.seq, decision_log.c.record_json, decision_log.c.prev_hash, decision_log.c.record_hash)
MAX_PAGE = 500
"""Largest page the API and CLI hand out."""
_SCAN_BATCH = 200


@dataclass(frozen=True)
class RecordFilter:
    """Which records to return. Every given field must match (``None``: any).

    ``rule_id``: a rule id, or a prefix ending in ``/`` (``paths/``); it matches a decision whose
    findings or policy reasons carry it. ``author``: the PR author's login (exact). ``since`` /
    ``until``: ``created_at`` bounds, inclusive / exclusive (naive datetimes are UTC).
    ``kind``: record kind (``decision``, ``merge``, ``feedback``, ...).
    """

    repo: str | None = None
    pr_number: int | None = None
    action: str | None = None
    rule_id: str | None = None
    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Page:
    """One page: ``items`` (newest first) and ``next_cursor`` (None on the last page)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(seq: int) -> str:
    """Opaque cursor for "records older than ``seq``"."""
    return base64.urlsafe_b64encode(f"seq<{seq}".encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The ``seq`` bound inside a cursor; ValueError (one line) for anything not made by ``encode_cursor``."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(f"invalid cursor {cursor[:40]!r}") from None
    if not text.startswith("seq<") or not text[4:].isdigit():
        raise ValueError(f"invalid cursor {cursor[:40]!r}")
    return int(text[4:])


def rule_ids(record: dict[str, Any]) -> set[str]:
    """Rule ids a record carries: its findings' ``rule_id`` and its policy reasons' ``rule_id``."""
    found = {str(r.get("rule_id")) for r in record.get("reasons") or [] if r.get("rule_id")}
    for verdict in record.get("verdicts") or []:
        found.update(str(f.get("rule_id")) for f in verdict.get("findings") or [] if f.get("rule_id"))
    return found


def _rule_matches(wanted: str, ids: set[str]) -> bool:
    if wanted.endswith("/"):
        return any(i.startswith(wanted) for i in ids)
    return wanted in ids


def matches(record: dict[str, Any], flt: RecordFilter) -> bool:
    """Whether ``record`` passes the JSON-level filters of ``flt`` (rule id and author)."""
    if flt.author is not None and record.get("pr_author") != flt.author:
        return False
    return flt.rule_id is None or _rule_matches(flt.rule_id, rule_ids(record))


def _json_fragment(key: str, value: str, *, prefix: bool = False) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return f'"{key}":{text[:-1] if prefix else text}'


def _term_seqs(term: str, *, prefix: bool = False) -> Select:
    t = decision_terms.c.term
    where = (t >= term, t < term[:-1] + chr(ord(term[-1]) + 1)) if prefix else (t == term,)
    return select(decision_terms.c.seq).where(*where)


def _select(flt: RecordFilter, *, terms: bool = False) -> Select:
    """The SQL side of ``flt``. With ``terms`` (the log has ``decision_terms``) author and rule
    filters use that indexed table; without, a ``LIKE`` over the canonical JSON narrows the rows."""
    q = select(*_ROWS)
    c = decision_log.c
    if flt.repo is not None:
        q = q.where(c.repo == flt.repo)
    if flt.pr_number is not None:
        q = q.where(c.pr_number == flt.pr_number)
    if flt.action is not None:
        q = q.where(c.action == flt.action)
    if flt.kind is not None:
        q = q.where(c.kind == flt.kind)
    if flt.since is not None:
        q = q.where(c.created_at >= schema.to_utc_naive(flt.since))
    if flt.until is not None:
        q = q.where(c.created_at < schema.to_utc_naive(flt.until))
    if terms:
        if flt.author is not None:
            q = q.where(c.seq.in_(_term_seqs("author:" + flt.author)))
        if flt.rule_id is not None:
            q = q.where(c.seq.in_(_term_seqs("rule:" + flt.rule_id, prefix=flt.rule_id.endswith("/"))))
        return q
    if flt.author is not None:
        q = q.where(c.record_json.contains(_json_fragment("pr_author", flt.author), autoescape=True))
    if flt.rule_id is not None:
        q = q.where(c.record_json.contains(_json_fragment("rule_id", flt.rule_id, prefix=flt.rule_id.endswith("/")),
                                           autoescape=True))
    return q


def list_records(store: DecisionStore, flt: RecordFilter, *, cursor: str | None = None, limit: int = 50) -> Page:
    """Records matching ``flt``, newest first (descending ``seq``), at most ``limit`` (1..MAX_PAGE).

    ``cursor`` is a previous page's ``next_cursor``. Raises ValueError for a bad cursor or limit,
    AuditError when the log cannot be read. Each item is the stored record plus ``seq``,
    ``prev_hash`` and ``record_hash``.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
    before = decode_cursor(cursor) if cursor else None
    terms = store.has_terms()
    base = _select(flt, terms=terms)
    # Only the LIKE pre-filter lets through rows that ``matches`` then drops: scan wider batches.
    batch_size = _SCAN_BATCH if not terms and (flt.author is not None or flt.rule_id is not None) else limit + 1
    items: list[dict[str, Any]] = []
    more = False
    with store.reader() as conn:
        if conn is None:
            return Page([], None)
        while True:
            q = base if before is None else base.where(decision_log.c.seq < before)
            # Pick the page's seqs first, then read those rows: a sort (e.g. after a time-range
            # index scan) then orders integers, not whole records.
            seqs = conn.execute(q.with_only_columns(decision_log.c.seq).order_by(decision_log.c.seq.desc())
                                .limit(batch_size)).scalars().all()
            batch = conn.execute(select(*_ROWS).where(decision_log.c.seq.in_(seqs))
                                 .order_by(decision_log.c.seq.desc())).all() if seqs else []
            for row in batch:
                record = DecisionStore.row_dict(row)
                before = row.seq
                if not matches(record, flt):
                    continue
                if len(items) == limit:
                    more = True
                    break
                items.append(record)
            if more or len(batch) < batch_size:
                break
    return Page(items, encode_cursor(items[-1]["seq"]) if more else None)


def iter_records(store: DecisionStore, flt: RecordFilter | None = None) -> Iterator[dict[str, Any]]:
    """Every record matching ``flt`` in chain order (ascending ``seq``), read in batches."""
    flt = flt or RecordFilter()
    base = _select(flt, terms=store.has_terms())
    last = 0
    with store.reader() as conn:
        if conn is None:
            return
        while True:
            batch = conn.execute(base.where(decision_log.c.seq > last).order_by(decision_log.c.seq).limit(500)).all()
            for row in batch:
                record = DecisionStore.row_dict(row)
                if matches(record, flt):
                    yield record
            if len(batch) < 500:
                return
            last = batch[-1].seq


def head_seq(store: DecisionStore) -> int:
    """The highest ``seq`` in the log (0 when empty or missing): a cheap change marker for caches."""
    with store.reader() as conn:
        if conn is None:
            return 0
        return int(conn.execute(select(func.max(decision_log.c.seq))).scalar() or 0)


def pr_records(store: DecisionStore, repo: str, pr_number: int, kind: str | None = None) -> list[dict[str, Any]]:
    """All records of one pull request in chain order (optionally of one ``kind``)."""
    return list(iter_records(store, RecordFilter(repo=repo, pr_number=pr_number, kind=kind)))


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """The list view of a record: identity, PR, action, risk, reason ids, finding count, merge facts."""
    verdicts = record.get("verdicts") or []
    out = {
        "seq": record.get("seq"), "created_at": record.get("created_at"), "kind": record.get("kind"),
        "decision_id": record.get("decision_id"), "repo": record.get("repo"), "pr_number": record.get("pr_number"),
        "pr_author": record.get("pr_author"), "head_sha": record.get("head_sha"), "action": record.get("action"),
        "risk": record.get("risk"), "reasons": [r.get("rule_id") for r in record.get("reasons") or []],
        "findings": sum(len(v.get("findings") or []) for v in verdicts), "record_hash": record.get("record_hash"),
    }
    if record.get("kind") == "merge":
        out.update({k: record.get(k) for k in ("merged_by", "merge_commit_sha", "quorum_approved", "human_approvers",
                                               "quorum_action", "quorum_decided_sha")})
    if record.get("kind") not in ("decision", "merge"):
        out.update(actor=record.get("actor"), details=record.get("details"))
    return out


def with_cursor_filters(flt: RecordFilter, **changes: Any) -> RecordFilter:
    """``flt`` with some fields replaced (a helper for callers that pin ``kind``)."""
    return replace(flt, **changes)
