"""subagents._hunks.pair_lines: the pairing is the one every ratio computed in full gives; the
similarity of two texts is computed once whatever ``min_ratio`` the checks pair with."""

from __future__ import annotations

import random
from difflib import SequenceMatcher

from bot.core.diff import DiffLine, LineKind
from subagents import _hunks


def _reference(removed: list[str], added: list[str], min_ratio: float) -> list[tuple[int, int]]:
    """pair_lines' rule with every ratio computed (no bounds, no cache)."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    start = 0
    for i, text in enumerate(removed):
        rt = text.strip()
        if not rt:
            continue
        best, best_ratio = -1, min_ratio
        for j in range(start, min(len(added), start + _hunks.PAIR_WINDOW)):
            at = added[j].strip()
            if j in used or not at:
                continue
            if at == rt:
                best, best_ratio = j, 1.0
                break
            ratio = SequenceMatcher(None, rt, at, autojunk=False).ratio()
            if ratio >= best_ratio and (best < 0 or ratio > best_ratio):
                best, best_ratio = j, ratio
        if best >= 0:
            used.add(best)
            start = best + 1
            pairs.append((i, best))
    return pairs


def _lines(texts: list[str], kind: LineKind) -> list[DiffLine]:
    return [DiffLine(kind=kind, text=t, old_lineno=i + 1 if kind is LineKind.removed else None,
                     new_lineno=i + 1 if kind is LineKind.added else None) for i, t in enumerate(texts)]


def test_pairs_are_those_of_every_ratio_computed_in_full() -> None:
    rng = random.Random(5)
    words = ["x", "y", "self.value", "return", "if", "None", "not", "and", "(", ")", "[0]", "+ 1", "== 2", "items"]
    for _ in range(300):
        removed = [" ".join(rng.choices(words, k=rng.randint(0, 6))) for _ in range(rng.randint(1, 6))]
        added = [rng.choice([r, r.replace("x", "y"), r + " + 1", " ".join(rng.choices(words, k=4)), ""]) for r in removed]
        rng.shuffle(added)
        rem, add = _lines(removed, LineKind.removed), _lines(added, LineKind.added)
        for min_ratio in (0.5, 0.6, 0.7, 0.75, 0.8):
            got = [(rem.index(r), add.index(a)) for r, a in _hunks.pair_lines(rem, add, min_ratio=min_ratio)]
            assert got == _reference(removed, added, min_ratio), (removed, added, min_ratio)


def test_the_similarity_of_two_texts_is_computed_once_for_every_min_ratio() -> None:
    removed = _lines(["value = compute(alpha, beta)  # unique 1f3a"], LineKind.removed)
    added = _lines(["value = compute(alpha, gamma)  # unique 1f3a"], LineKind.added)
    before = _hunks._ratio.cache_info()
    for min_ratio in (0.5, 0.6, 0.7, 0.75, 0.8):
        assert len(_hunks.pair_lines(removed, added, min_ratio=min_ratio)) == 1
    after = _hunks._ratio.cache_info()
    assert after.misses - before.misses == 1 and after.hits - before.hits == 4
