"""Writers for decision-log exports: JSON Lines (complete, re-verifiable) and flat CSV (for people).

A stored row (as returned by ``DecisionStore.get``/``list``) is the record plus ``seq``,
``prev_hash`` and ``record_hash``. JSONL writes it whole, one object per line, so a full export can
be re-verified offline with ``bot.audit.chain.verify_rows``. CSV keeps one line per record with the
columns in ``CSV_COLUMNS``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

CSV_COLUMNS: tuple[str, ...] = (
    "seq", "created_at", "kind", "decision_id", "repo", "pr_number", "base_sha", "head_sha", "action",
    "risk", "policy_version", "reasons", "agents", "findings", "posted", "record_hash", "prev_hash",
    "actor",
)
"""CSV header. ``reasons``: ``rule_id: message`` joined with ``"; "``; ``agents``: ``agent:status``
joined with ``"; "``; ``findings``: total number of findings over all verdicts; ``posted``:
``kind:id`` joined with ``"; "``; ``actor``: who caused a non-decision event."""

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell. Text starting like a spreadsheet formula gets a leading ``'`` (OWASP CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def csv_row(row: dict[str, Any]) -> dict[str, str]:
    """Flatten one stored row into the ``CSV_COLUMNS`` cells (missing keys give empty cells)."""
    verdicts = row.get("verdicts") or []
    flat: dict[str, Any] = {name: row.get(name) for name in CSV_COLUMNS}
    flat["reasons"] = "; ".join(f"{r.get('rule_id')}: {r.get('message')}" for r in row.get("reasons") or [])
    flat["agents"] = "; ".join(f"{v.get('agent')}:{v.get('status')}" for v in verdicts)
    flat["findings"] = sum(len(v.get("findings") or []) for v in verdicts) if verdicts else (0 if "verdicts" in row else None)
    flat["posted"] = "; ".join(f"{p.get('kind')}:{p.get('id')}" for p in row.get("posted") or [])
    return {name: _cell(flat[name]) for name in CSV_COLUMNS}


def write_jsonl(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write one JSON object per line (sorted keys, UTF-8 text); returns the number of rows."""
    count = 0
    for row in rows:
        out.write(json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count


def write_csv(rows: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Write a header and one flattened line per row (see ``CSV_COLUMNS``); returns the row count.

    Open files with ``newline=""`` so the csv module controls line endings.
    """
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS))
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(csv_row(row))
        count += 1
    return count
