"""The columns a decision-log record gives its row: the query columns copied from its JSON, its
lookup terms, its idempotency key, and the ``decision_repeat`` record of a second decision. Standard
library only: :mod:`bot.audit.schema` (the SQLAlchemy tables) and :mod:`bot.audit.sqliteappend`
(the CLI's append without SQLAlchemy) share them, so both write the same row.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from collections.abc import Mapping
from typing import Any

from bot.audit.chain import CHAIN_KEYS, canonical_json
from bot.core.errors import AuditError

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


def repeat_record(new: dict[str, Any], first_hash: str, first: dict[str, Any]) -> dict[str, Any] | None:
    """The ``decision_repeat`` record for a second decision on the same key, or None when the new
    record posted nothing the first one does not already name."""
    def ids(record: dict[str, Any]) -> set[tuple[str, str]]:
        return {(str(p.get("kind")), str(p.get("id"))) for p in record.get("posted") or [] if isinstance(p, dict)}

    extra = sorted(ids(new) - ids(first))
    if not extra:
        return None
    return {
        "kind": "decision_repeat", "created_at": new["created_at"], "delivery_id": new.get("delivery_id"),
        "repo": new["repo"], "pr_number": new.get("pr_number"), "head_sha": new.get("head_sha"),
        "decision_id": new.get("decision_id"), "policy_version": new.get("policy_version"),
        "action": new.get("action"), "actor": None,
        "details": {"first_record_hash": first_hash, "first_decision_id": first.get("decision_id"),
                    "posted": new.get("posted") or [], "not_in_first": [{"kind": k, "id": i} for k, i in extra],
                    "job_id": new.get("job_id")},
    }


def checked_record(record: object) -> tuple[bytes, dict[str, Any]]:
    """``(canonical JSON, query columns)`` of a record about to be appended. Raises ``AuditError``
    (one line) when it is not a dict, sets a key the store assigns (:data:`CHAIN_KEYS`) or is
    malformed (:func:`indexed_values`). The one check of both writers (the store and
    :mod:`bot.audit.sqliteappend`)."""
    if not isinstance(record, Mapping):
        raise AuditError(f"a decision-log record must be a dict, not {type(record).__name__}")
    reserved = [key for key in CHAIN_KEYS if key in record]
    if reserved:
        raise AuditError(f"a record may not set {', '.join(reserved)}: the store assigns them")
    try:
        return canonical_json(dict(record)), indexed_values(dict(record))
    except (TypeError, ValueError) as exc:
        raise AuditError(f"malformed decision-log record: {exc}") from exc

