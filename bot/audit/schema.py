"""SQLAlchemy Core tables of the decision log (SQLite and PostgreSQL).

``decision_log`` holds one row per record: the canonical JSON text that is hashed, the chain
bookkeeping (``seq``, ``prev_hash``, ``record_hash``) and a few columns copied from the JSON for
queries. ``verify`` checks that those copies still match the JSON. ``decision_chain_head`` has a
single row (``id = 1``) with the last ``seq`` and ``record_hash``: writers lock it to serialize
appends, and ``verify`` compares it with the last record (this catches a deleted tail).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text

from bot.audit.columns import INDEXED_COLUMNS, decision_key, indexed_values, record_terms, to_utc_naive

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

__all__ = [
    "INDEXED_COLUMNS", "chain_head", "decision_key", "decision_log", "decision_terms", "indexed_values", "metadata",
    "record_terms", "to_utc_naive",
]
