"""A per-user cache of compiled regular expressions for one-shot CLI processes.

Each ``quorum review`` process compiles about 400 regular expressions (injection, secret and
rule patterns) before it reads a line of the diff; Python's ``re`` parses and assembles each one in
pure Python, which costs more than the review of a small PR. The assembled program of a pattern
depends only on the pattern text, its flags and the Python version, so it is kept in
``<cache_dir>/regex-<python>-<sre magic>-b.marshal`` and handed straight to ``_sre.compile`` next
time: the same Pattern object, without the parse. Each program is stored as the bytes of an
``array`` of ``_sre.CODESIZE``-byte words (unpacked to a list only on a hit), so that reading the
file at every start is one ``marshal.loads`` of ~900 small entries rather than of ~130,000 ints.

Only the CLI entry point installs it, for the duration of one command (``with RegexCache(...)``).
Fail safe: a missing, unreadable or foreign cache file is ignored; a pattern with the DEBUG or
LOCALE flag, or a bytes/str type mismatch, is compiled the normal way. ``marshal`` (plain data:
str, bytes, int, list, dict, tuple) is used rather than pickle, so the file can never run code.
Relies on CPython's ``re._compiler.compile`` / ``_code`` and ``re._parser.parse`` (3.11+); when
they are missing the cache does nothing.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from bot.core.marshalfile import read_marshal, write_marshal

MAX_ENTRIES = 5000
"""Patterns kept at most (policy globs and the like can add new ones)."""

try:  # CPython 3.11+
    import _sre
    from array import array
    from re import _compiler, _parser  # type: ignore[attr-defined]

    _WORD = next((t for t in "IL" if array(t).itemsize == getattr(_sre, "CODESIZE", 0)), None)
    """The ``array`` type code of one word of a compiled program (``_sre.CODESIZE`` bytes)."""
    _SUPPORTED = (hasattr(_compiler, "compile") and hasattr(_compiler, "_code") and hasattr(_parser, "parse")
                  and _WORD is not None)
except ImportError:  # pragma: no cover - other interpreters
    _SUPPORTED = False


def cache_file(cache_dir: Path) -> Path:
    """Where the cache for this interpreter lives under ``cache_dir``."""
    tag = f"{sys.implementation.name}{sys.version_info[0]}{sys.version_info[1]}{sys.version_info[2]}"
    return cache_dir / f"regex-{tag}-{getattr(_sre, 'MAGIC', 0) if _SUPPORTED else 0}-b.marshal"


class RegexCache:
    """Context manager: while active, ``re`` compiles through the cache; on exit, new entries are
    written back (atomically; an unwritable directory is ignored). ``hits`` / ``misses`` count."""

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_file(cache_dir)
        self.entries: dict[tuple[Any, int], tuple[int, bytes, int, dict[str, int], tuple[Any, ...]]] = {}
        self.hits = 0
        self.misses = 0
        self._original: Any = None

    def __enter__(self) -> RegexCache:
        if not _SUPPORTED:
            return self
        loaded = read_marshal(self.path)
        self.entries = loaded if isinstance(loaded, dict) else {}
        self._original = _compiler.compile
        _compiler.compile = self._compile
        return self

    def __exit__(self, *exc: object) -> None:
        if self._original is None:
            return
        _compiler.compile = self._original
        self._original = None
        if self.misses:
            self._save()

    def _compile(self, p: Any, flags: int = 0) -> Any:
        if not isinstance(p, (str, bytes)) or flags & (re.DEBUG | re.LOCALE):
            return self._original(p, flags)
        key = (p, int(flags))
        hit = self.entries.get(key)
        if hit is not None:
            try:
                final_flags, packed, groups, groupindex, indexgroup = hit
                code = array(_WORD, packed).tolist()
                compiled = _sre.compile(p, final_flags, code, groups, groupindex, indexgroup)
            except (TypeError, ValueError, RuntimeError):
                self.entries.pop(key, None)
            else:
                self.hits += 1
                return compiled
        parsed = _parser.parse(p, flags)
        code = _compiler._code(parsed, flags)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[Any] = [None] * parsed.state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        final_flags, words = int(flags | parsed.state.flags), [int(op) for op in code]
        compiled = _sre.compile(p, final_flags, words, parsed.state.groups - 1, groupindex, tuple(indexgroup))
        if len(self.entries) < MAX_ENTRIES:
            self.entries[key] = (final_flags, array(_WORD, words).tobytes(), parsed.state.groups - 1, groupindex,
                                 tuple(indexgroup))
            self.misses += 1
        return compiled

    def _save(self) -> None:
        write_marshal(self.path, self.entries, ".regex-")
