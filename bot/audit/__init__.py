"""Quorum's decision log: append-only, hash-chained, tamper-evident (DESIGN.md, "Decision log").

Build records with ``record_from_result`` (one per review decision) or ``event_record`` (human
review requests, dismissals, feedback, ...), append them to a ``DecisionStore`` (SQLite file by
default, PostgreSQL at scale), and check the chain with ``DecisionStore.verify``.
"""

from typing import TYPE_CHECKING

from bot.audit.chain import GENESIS_HASH, ChainRow, VerifyReport, canonical_json, compute_record_hash, verify_rows
from bot.audit.export import CSV_COLUMNS
from bot.audit.records import EVENT_KINDS, event_record, record_from_result, utc_timestamp

if TYPE_CHECKING:  # for type checkers and editors; at run time see __getattr__
    from bot.audit.store import DecisionStore


def __getattr__(name: str) -> object:
    """``DecisionStore`` on first use (PEP 562): it imports SQLAlchemy (~100 ms), which building a
    record (:func:`record_from_result`) and the CLI's SQLite append (:mod:`bot.audit.sqliteappend`)
    do not need."""
    if name == "DecisionStore":
        from bot.audit.store import DecisionStore  # noqa: PLC0415

        return DecisionStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CSV_COLUMNS",
    "EVENT_KINDS",
    "GENESIS_HASH",
    "ChainRow",
    "DecisionStore",
    "VerifyReport",
    "canonical_json",
    "compute_record_hash",
    "event_record",
    "record_from_result",
    "utc_timestamp",
    "verify_rows",
]
