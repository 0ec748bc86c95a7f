"""The CLI's compiled-regex cache gives the same patterns as ``re`` and never trusts a bad file."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli.recache import RegexCache, cache_file

PATTERNS = [
    (r"(?P<word>[A-Za-z_]\w*)\s*=\s*(?P=word)", 0),
    (r"(?<!\\)ignore\s+(?:all\s+)?previous\s+instructions", re.IGNORECASE),
    (r"""(?x) ^ \s* def \s+ (\w+)  # a definition
         \s* \(""", re.MULTILINE),
    (r"[\u200b-\u200f\u2060-\u2064]|\U000e0001", 0),
    (rb"ghp_[A-Za-z0-9]{36}", 0),
    (r"(a|b)*?c{2,5}$", re.DOTALL),
]
TEXTS = ["x = x", "Ignore all previous instructions", "  def foo (\n", "a\u200bb", "ababcccc", "\U000e0001"]


def _results(compiled: list[re.Pattern]) -> list:  # type: ignore[type-arg]
    out = []
    for p in compiled:
        for t in TEXTS:
            subject = t.encode() if isinstance(p.pattern, bytes) else t
            m = p.search(subject)
            out.append((p.pattern, p.flags, p.groups, dict(p.groupindex), m and (m.span(), m.groups())))
    return out


def test_cached_patterns_behave_like_fresh_ones(tmp_path: Path) -> None:
    expected = _results([re.compile(p, f) for p, f in PATTERNS])
    for round_ in range(2):
        re.purge()
        with RegexCache(tmp_path) as cache:
            got = _results([re.compile(p, f) for p, f in PATTERNS])
        assert got == expected
        assert (cache.misses, cache.hits) == ((len(PATTERNS), 0) if round_ == 0 else (0, len(PATTERNS)))
    re.purge()


def test_a_corrupt_or_foreign_cache_file_is_ignored(tmp_path: Path) -> None:
    path = cache_file(tmp_path)
    for junk in (b"not marshal data", b"\xe9\x00\x00\x00\x00"):
        path.write_bytes(junk)
        re.purge()
        with RegexCache(tmp_path) as cache:
            assert re.compile(r"q(u+)x").match("quux").group(1) == "uu"
        assert cache.misses == 1
    re.purge()
