"""The hash chain of the decision log: canonical JSON, record hashes, and the chain walk.

Pure functions, no I/O. A record's hash is

    record_hash = SHA-256( prev_hash (ASCII hex) + b"\\n" + canonical_json(record) ), as lowercase hex

where ``prev_hash`` is the previous record's ``record_hash`` (``GENESIS_HASH`` for the first one)
and ``record`` is the record as appended, *without* the ``seq``, ``prev_hash`` and ``record_hash``
bookkeeping keys. The store keeps exactly those canonical bytes, and verification hashes the
stored text as it is (never a re-serialization of it) and requires it to be canonical: a stored
text with a duplicate key, extra whitespace or reordered keys fails, because another reader (SQL's
``json_extract``, a JSONL consumer) could see a different record than the one that was hashed. Anyone holding a full JSONL export can re-check the chain with these functions
(or with ``verify_rows``) without the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first record in a chain."""

CHAIN_KEYS: tuple[str, ...] = ("seq", "prev_hash", "record_hash")
"""Bookkeeping keys the store adds around a record; a record itself may not use them."""

REASON_RECORD_HASH = "record_hash mismatch"
REASON_PREV_HASH = "prev_hash does not match previous record"
REASON_GAP = "gap in sequence"
REASON_BAD_JSON = "record JSON is not valid"
REASON_NOT_CANONICAL = "record JSON is not canonical"
REASON_COLUMNS = "indexed columns do not match record JSON"
REASON_HEAD = "chain head does not match last record"


def canonical_json(obj: Any) -> bytes:
    """Serialize ``obj`` as canonical JSON: sorted keys, no whitespace, UTF-8, non-ASCII kept as is.

    Returns bytes. Raises ``TypeError`` for values JSON cannot represent (datetimes, sets, objects)
    and ``ValueError`` for NaN/infinite floats or strings that are not valid Unicode (lone
    surrogates). Parsing the output and serializing again yields the same bytes, so a stored record
    can be re-hashed after a round trip through the database or a JSONL export.
    """
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"record holds text that is not valid Unicode: {exc.reason}") from exc


def compute_record_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """SHA-256 (lowercase hex, 64 chars) over ``prev_hash`` bytes + ``b"\\n"`` + ``canonical_json(record)``.

    ``prev_hash`` is a 64-hex-digit string (``GENESIS_HASH`` for the first record). Raises like
    ``canonical_json``.
    """
    return hash_stored_bytes(prev_hash, canonical_json(dict(record)))


def hash_stored_bytes(prev_hash: str, stored: bytes) -> str:
    """SHA-256 (lowercase hex) over ``prev_hash`` bytes + ``b"\\n"`` + ``stored`` (a record's exact
    stored UTF-8 text)."""
    h = hashlib.sha256()
    h.update(prev_hash.encode("ascii"))
    h.update(b"\n")
    h.update(stored)
    return h.hexdigest()


def parse_stored_record(text: str) -> dict[str, Any]:
    """Parse a record's stored text strictly: a JSON object, no duplicate keys, no bookkeeping
    keys, and byte-for-byte canonical (``canonical_json`` of the parsed value equals the text).

    Raises ValueError whose message starts with ``REASON_BAD_JSON`` or ``REASON_NOT_CANONICAL``.
    Python's JSON limits (nesting depth, ``sys.get_int_max_str_digits`` digits) are bad JSON too.
    """
    try:
        record = json.loads(text, object_pairs_hook=_reject_duplicates)
    except _DuplicateKey as exc:
        raise ValueError(f"{REASON_NOT_CANONICAL}: duplicate key {exc.args[0]!r}") from exc
    except (ValueError, RecursionError) as exc:
        raise ValueError(REASON_BAD_JSON) from exc
    if not isinstance(record, dict) or any(k in record for k in CHAIN_KEYS):
        raise ValueError(REASON_BAD_JSON)
    try:
        canonical = canonical_json(record)
    except (TypeError, ValueError) as exc:
        raise ValueError(REASON_BAD_JSON) from exc
    if canonical != text.encode("utf-8", "surrogatepass"):
        raise ValueError(f"{REASON_NOT_CANONICAL}: stored text differs from its canonical form")
    return record


class _DuplicateKey(ValueError):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of walking a chain.

    ``ok`` is True when every record checked out. ``checked`` counts the records that verified
    before the first break (all of them when ``ok``). ``first_broken_seq`` is the ``seq`` of the
    first record that failed (for a deleted tail: the first missing seq), and ``reason`` says why,
    starting with one of ``"record_hash mismatch"``, ``"prev_hash does not match previous record"``,
    ``"gap in sequence"``, ``"record JSON is not valid"``, ``"indexed columns do not match record
    JSON"`` or ``"chain head does not match last record"``.
    """

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    head_hash: str | None = None

    def summary(self) -> str:
        """One line for people: ``verified N records, chain intact`` or where and why it broke."""
        if self.ok:
            noun = "record" if self.checked == 1 else "records"
            return f"verified {self.checked} {noun}, chain intact"
        return (
            f"chain broken at seq {self.first_broken_seq}: {self.reason} "
            f"({self.checked} records verified before it)"
        )


@dataclass(frozen=True)
class ChainRow:
    """One stored record as the chain walk sees it.

    ``record_json`` is the stored text; ``columns`` optionally holds the store's query columns for
    that row, handed to ``verify_rows``'s ``check_columns`` callback.
    """

    seq: int
    prev_hash: str
    record_hash: str
    record_json: str
    columns: Mapping[str, Any] | None = field(default=None, compare=False)


def verify_rows(
    rows: Iterable[ChainRow],
    *,
    check_columns: Callable[[Mapping[str, Any] | None, dict[str, Any]], str | None] | None = None,
    head: tuple[int, str] | None = None,
) -> VerifyReport:
    """Walk ``rows`` (in ascending ``seq`` order) and recompute the chain.

    Checks for each row, in this order: the seq follows the previous one (first row: 1); its
    ``prev_hash`` equals the previous ``record_hash`` (first row: ``GENESIS_HASH``); its JSON parses
    to an object without bookkeeping keys; the recomputed hash equals ``record_hash``; and, when
    ``check_columns`` is given, that callback, called with ``(row.columns, record)``, returns None
    (else the name of the column that disagrees with the JSON). ``head`` is the store's chain head ``(seq, record_hash)``; when given,
    it must match the last row (this catches a deleted tail). Stops at the first break.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    for row in rows:
        if row.seq != expected_seq:
            return VerifyReport(False, checked, row.seq, f"{REASON_GAP}: expected seq {expected_seq}, found {row.seq}")
        if row.prev_hash != prev_hash:
            return VerifyReport(False, checked, row.seq, REASON_PREV_HASH)
        try:
            record = parse_stored_record(row.record_json)
        except ValueError as exc:
            return VerifyReport(False, checked, row.seq, str(exc))
        recomputed = hash_stored_bytes(row.prev_hash, row.record_json.encode("utf-8"))
        if recomputed != row.record_hash:
            return VerifyReport(False, checked, row.seq, REASON_RECORD_HASH)
        if check_columns is not None:
            column = check_columns(row.columns, record)
            if column is not None:
                return VerifyReport(False, checked, row.seq, f"{REASON_COLUMNS} ({column})")
        checked += 1
        prev_hash = row.record_hash
        expected_seq += 1
    if head is not None:
        head_seq, head_hash = head
        last_seq = expected_seq - 1
        if head_seq > last_seq:
            return VerifyReport(
                False, checked, last_seq + 1,
                f"{REASON_HEAD}: head is seq {head_seq}, last record is seq {last_seq} (records missing)",
            )
        if head_seq < last_seq:
            return VerifyReport(
                False, checked - (last_seq - head_seq), head_seq + 1,
                f"{REASON_HEAD}: head is seq {head_seq}, records continue to seq {last_seq}",
            )
        if head_hash != prev_hash:
            return VerifyReport(False, max(checked - 1, 0), last_seq, f"{REASON_HEAD}: head hash differs")
    return VerifyReport(True, checked, head_hash=prev_hash)
