"""Hunk helpers shared by the intent and logic agents: where to anchor a finding about a removed
line, which removed line an added line replaced. Pure functions over :mod:`bot.core.diff` models.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from bot.core.diff import ChangeKind, DiffLine, FileChange, Hunk, LineKind


@dataclass(frozen=True)
class ChangeBlock:
    """A run of removed lines followed by a run of added lines inside one hunk (either may be empty)."""

    hunk: Hunk
    removed: list[DiffLine]
    added: list[DiffLine]
    head_line: int
    """The head line a finding about this block anchors on: the first added line, else the next
    context line after the block, else the one before, else the hunk's target start (>= 1)."""


def change_blocks(hunk: Hunk) -> list[ChangeBlock]:
    """Split ``hunk`` into :class:`ChangeBlock` s (context lines separate blocks)."""
    blocks: list[ChangeBlock] = []
    lines = hunk.lines
    i = 0
    while i < len(lines):
        if lines[i].kind is LineKind.context:
            i += 1
            continue
        start = i
        removed: list[DiffLine] = []
        added: list[DiffLine] = []
        while i < len(lines) and lines[i].kind is not LineKind.context:
            (removed if lines[i].kind is LineKind.removed else added).append(lines[i])
            i += 1
        blocks.append(ChangeBlock(hunk, removed, added, _anchor_line(hunk, start, i)))
    return blocks


def _anchor_line(hunk: Hunk, start: int, end: int) -> int:
    for ln in hunk.lines[start:end]:
        if ln.kind is LineKind.added and ln.new_lineno:
            return ln.new_lineno
    for ln in hunk.lines[end:]:
        if ln.new_lineno:
            return ln.new_lineno
    for ln in reversed(hunk.lines[:start]):
        if ln.new_lineno:
            return ln.new_lineno
    return max(1, hunk.target_start)


def file_blocks(fc: FileChange) -> list[ChangeBlock]:
    """All change blocks of a file, in order."""
    return [b for h in fc.hunks for b in change_blocks(h)]


def head_line_for_old(fc: FileChange, old_lineno: int) -> int:
    """The head line to anchor a finding about base line ``old_lineno`` on: the anchor of the
    change block that removed it; for a base line outside every block, the head line that
    corresponds to it by offset (1 when the file has no hunks)."""
    offset = 0
    for block in file_blocks(fc):
        olds = [ln.old_lineno for ln in block.removed if ln.old_lineno is not None]
        if old_lineno in olds:
            return block.head_line
    for h in fc.hunks:
        if h.source_start + h.source_length <= old_lineno:
            offset = (h.target_start + h.target_length) - (h.source_start + h.source_length)
    return max(1, old_lineno + offset)


def removed_lines(fc: FileChange) -> dict[int, str]:
    """Base line number -> text of every removed line."""
    return {ln.old_lineno: ln.text for ln in fc.removed_lines() if ln.old_lineno is not None}


def added_lines(fc: FileChange) -> dict[int, str]:
    """Head line number -> text of every added line."""
    return {ln.new_lineno: ln.text for ln in fc.added_lines() if ln.new_lineno is not None}


PAIR_WINDOW = 8
"""How many added lines after the last paired one a removed line is compared with."""


def pair_lines(removed: list[DiffLine], added: list[DiffLine], *, min_ratio: float = 0.5) -> list[tuple[DiffLine, DiffLine]]:
    """Pair removed with added lines of one block: one-to-one and in order, each removed line with
    the most similar of the next :data:`PAIR_WINDOW` added lines after the previous pair whose
    similarity (difflib ratio of the stripped texts) is at least ``min_ratio``. Blank lines never
    pair. Cost: O(len(removed) * PAIR_WINDOW) ratio computations, once per distinct block (the
    logic checks pair the same blocks several times: the pairing is cached by the lines' texts,
    and the similarity of two texts once for every ``min_ratio``)."""
    pairs = _pair_indices(tuple(r.text for r in removed), tuple(a.text for a in added), min_ratio)
    return [(removed[i], added[j]) for i, j in pairs]


@lru_cache(maxsize=4096)
def _pair_indices(removed: tuple[str, ...], added: tuple[str, ...], min_ratio: float) -> tuple[tuple[int, int], ...]:
    """:func:`pair_lines` on texts: ``(removed index, added index)`` pairs (a pure function)."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    start = 0
    for i, text in enumerate(removed):
        rt = text.strip()
        if not rt:
            continue
        best, best_ratio = -1, min_ratio
        for j in range(start, min(len(added), start + PAIR_WINDOW)):
            if j in used:
                continue
            at = added[j].strip()
            if not at:
                continue
            if at == rt:
                best, best_ratio = j, 1.0
                break
            if 2.0 * min(len(rt), len(at)) / (len(rt) + len(at)) < best_ratio or _quick_ratio(rt, at) < best_ratio:
                continue  # difflib's real_quick_ratio and quick_ratio: upper bounds of the ratio
            ratio = _ratio(rt, at)
            if ratio >= best_ratio and (best < 0 or ratio > best_ratio):
                best, best_ratio = j, ratio
        if best >= 0:
            used.add(best)
            start = best + 1
            pairs.append((i, best))
    return tuple(pairs)


@lru_cache(maxsize=1 << 16)
def _quick_ratio(a: str, b: str) -> float:
    """``SequenceMatcher(None, a, b, autojunk=False).quick_ratio()``, once per pair of texts: the
    checks pair the same blocks with different ``min_ratio`` s."""
    return SequenceMatcher(None, a, b, autojunk=False).quick_ratio()


@lru_cache(maxsize=1 << 16)
def _ratio(a: str, b: str) -> float:
    """``SequenceMatcher(None, a, b, autojunk=False).ratio()``, once per pair of texts."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def first_code_line(fc: FileChange) -> tuple[int | None, str]:
    """Where a file-level finding anchors: the first added line that is not blank or a comment,
    else the first non-blank added line, as ``(head line, stripped text)``; for a change that only
    removes lines, ``(first hunk's target start, "")``; ``(None, "")`` for a deleted file."""
    for ln in fc.added_lines():
        s = ln.text.strip()
        if s and not s.startswith(("#", "//", "/*", "*", "--")):
            return ln.new_lineno, s
    for ln in fc.added_lines():
        if ln.text.strip():
            return ln.new_lineno, ln.text.strip()
    if fc.kind is not ChangeKind.deleted and fc.hunks:
        return max(1, fc.hunks[0].target_start), ""
    return None, ""
