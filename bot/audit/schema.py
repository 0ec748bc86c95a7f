"""SQLAlchemy Core tables of the decision log (SQLite and PostgreSQL).

``decision_log`` holds one row per record: the canonical JSON text that is hashed, the chain
bookkeeping (``seq``, ``prev_hash``, ``record_hash``) and a few columns copied from the JSON for
queries. ``verify`` checks that those copies still match the JSON. ``decision_chain_head`` has a
single row (``id = 1``) with the last ``seq`` and ``record_hash``: writers lock it to serialize
appends, and ``verify`` compares it with the last record (this catches a deleted tail).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text

from bot.audit.chain import canonical_json

metadata = MetaData()

decision_log = Table(
    "decision_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("created_at", DateTime(timezone=False), nullable=False),
    Column("kind", Text, nullable=False),
    Column("decision_id", Text, nullable=True),
    Column("repo", Text, nullable=False),
    Column("pr_number", BigInteger, nullable=True),
    Column("head_sha", Text, nullable=True),
    Column("policy_version", Text, nullable=True),
    Column("action", Text, nullable=True),
    Column("decision_key", String(64), nullable=True, unique=True),
    Column("record_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("record_hash", String(64), nullable=False, unique=True),
)
Index("ix_decision_log_repo_created", decision_log.c.repo, decision_log.c.created_at)
Index("ix_decision_log_created", decision_log.c.created_at)
Index("ix_decision_log_decision_id", decision_log.c.decision_id)
# Newest-first pages per filter (ORDER BY seq DESC LIMIT n walks these without sorting).
Index("ix_decision_log_repo_seq", decision_log.c.repo, decision_log.c.seq)
Index("ix_decision_log_pr_seq", decision_log.c.pr_number, decision_log.c.seq)

decision_terms = Table(
    "decision_terms",
    metadata,
    Column("term", Text, nullable=False),
    Column("seq", BigInteger, nullable=False),
)
"""Derived lookup terms of each record (``author:<login>``, ``rule:<rule id>``), written with the
record in the same transaction, so the API can filter by author and rule without scanning every
record's JSON. Not part of the chain: queries re-check each candidate against its JSON, so a
tampered term can hide a record from a filtered view but never put a wrong one in it."""
Index("ix_decision_terms_term_seq", decision_terms.c.term, decision_terms.c.seq)

chain_head = Table(
    "decision_chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("record_hash", String(64), nullable=False),
)

INDEXED_COLUMNS: tuple[str, ...] = (
    "created_at", "kind", "decision_id", "repo", "pr_number", "head_sha", "policy_version", "action",
    "decision_key",
)


def record_terms(record: dict[str, Any]) -> list[str]:
    """The ``decision_terms`` of a record: its PR author and every rule id in its findings and reasons."""
    terms = set()
    if isinstance(record.get("pr_author"), str):
        terms.add("author:" + record["pr_author"])
    for reason in record.get("reasons") or []:
        if isinstance(reason, dict) and isinstance(reason.get("rule_id"), str):
            terms.add("rule:" + reason["rule_id"])
    for verdict in record.get("verdicts") or []:
        for finding in (verdict.get("findings") or []) if isinstance(verdict, dict) else []:
            if isinstance(finding, dict) and isinstance(finding.get("rule_id"), str):
                terms.add("rule:" + finding["rule_id"])
    return sorted(terms)


def to_utc_naive(moment: datetime) -> datetime:
    """``moment`` in UTC without tzinfo (how the ``created_at`` column stores it); naive means UTC."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def decision_key(repo: str, pr_number: int | None, head_sha: str, policy_version: str) -> str:
    """SHA-256 hex identifying "one decision per repo, PR, head SHA, policy version"."""
    return hashlib.sha256(canonical_json([repo, pr_number, head_sha, policy_version])).hexdigest()


def indexed_values(record: dict[str, Any]) -> dict[str, Any]:
    """The query columns derived from a record (raises ValueError/TypeError on a malformed record).

    ``created_at`` must be an ISO-8601 string with a UTC offset; ``kind`` and ``repo`` non-empty
    strings; ``pr_number`` an int or None. A ``"decision"`` record also needs string ``head_sha``
    and ``policy_version``: its ``decision_key`` makes a second decision for the same key
    impossible at the database level.
    """
    kind = record.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ValueError("record needs a non-empty string 'kind'")
    repo = record.get("repo")
    if not isinstance(repo, str) or not repo:
        raise ValueError("record needs a non-empty string 'repo'")
    created = record.get("created_at")
    if not isinstance(created, str):
        raise ValueError("record needs 'created_at' as an ISO-8601 string")
    moment = datetime.fromisoformat(created)
    if moment.tzinfo is None:
        raise ValueError(f"created_at {created!r} has no UTC offset")
    pr_number = record.get("pr_number")
    if pr_number is not None and (isinstance(pr_number, bool) or not isinstance(pr_number, int)):
        raise ValueError("'pr_number' must be an integer or null")
    values: dict[str, Any] = {
        "created_at": to_utc_naive(moment),
        "kind": kind,
        "repo": repo,
        "pr_number": pr_number,
    }
    for name in ("decision_id", "head_sha", "policy_version", "action"):
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"'{name}' must be a string or null")
        values[name] = value
    values["decision_key"] = None
    if kind == "decision":
        if not values["head_sha"] or not values["policy_version"]:
            raise ValueError("a decision record needs 'head_sha' and 'policy_version'")
        values["decision_key"] = decision_key(repo, pr_number, values["head_sha"], values["policy_version"])
    return values
