"""Shared tree-sitter loading: languages, parsers and compiled queries, cached per language.

Pure: the grammars come from the per-language wheels (``tree_sitter_python.language()``,
``tree_sitter_typescript.language_typescript()`` / ``.language_tsx()``, ...); nothing is read from
disk or the environment. Caches are ``functools.lru_cache`` only (no other module state).

Language names are those of :mod:`bot.core.languages` (``python``, ``javascript``, ``typescript``,
``tsx``, ``go``; see :data:`LANGUAGES`).

API facts (py-tree-sitter 0.26, checked by experiment): ``Language(capsule)``, ``Parser(language)``,
``Parser.parse(bytes) -> Tree``, ``Query(language, source)`` raises ``QueryError`` on a bad pattern,
``QueryCursor(query).captures(node) -> dict[capture_name, list[Node]]`` and
``.matches(node) -> list[(pattern_index, dict[capture_name, list[Node]])]``; ``#eq?``, ``#match?``
and friends are evaluated by the binding. ``Parser.parse`` holds the GIL, so one cached parser per
language is safe to share between threads; a ``QueryCursor`` carries state, so make one per use
(see :func:`captures` / :func:`matches`).
"""

from __future__ import annotations

import bisect
import importlib
import itertools
import os
import sys
from collections.abc import Mapping
from functools import cache, lru_cache
from importlib.machinery import EXTENSION_SUFFIXES, ExtensionFileLoader
from importlib.util import module_from_spec, spec_from_file_location
from types import MappingProxyType, ModuleType

from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

from bot.core.packagedata import package_dir

_GRAMMARS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "python": ("tree_sitter_python", "language"),
    "javascript": ("tree_sitter_javascript", "language"),
    "typescript": ("tree_sitter_typescript", "language_typescript"),
    "tsx": ("tree_sitter_typescript", "language_tsx"),
    "go": ("tree_sitter_go", "language"),
})
"""Language name -> (grammar module, function returning the language capsule). Read-only.

Only the languages Quorum has rules and extractors for; their grammar wheels are base
dependencies (pyproject.toml). Files in other languages (``java``, ``rust``, ``ruby`` in
:mod:`bot.core.languages`) get the text-level checks only: :func:`supported` is False for them."""

LANGUAGES: tuple[str, ...] = tuple(_GRAMMARS)
"""Every language name :func:`get_language` accepts."""


def supported(name: str | None) -> bool:
    """True when ``name`` is a language this module can parse."""
    return name in _GRAMMARS


@cache
def get_language(name: str) -> Language:
    """The tree-sitter ``Language`` for ``name`` (cached).

    Raises ``ValueError`` for an unknown name, ``ImportError`` when the grammar wheel is missing.
    """
    try:
        module_name, func = _GRAMMARS[name]
    except KeyError:
        raise ValueError(f"unknown tree-sitter language {name!r}; known: {', '.join(LANGUAGES)}") from None
    return Language(getattr(_binding(module_name), func)())


def _binding(package: str) -> ModuleType:
    """The grammar wheel's compiled ``<package>._binding`` module, where its ``language*()``
    functions live (the wheel's ``__init__`` re-exports them; tree-sitter's Python binding template).

    Loaded from its file without running the package's ``__init__``, which imports
    ``importlib.resources`` (and with it ``tempfile``, ``shutil``, ``zipfile``...) to read the
    grammar's highlight queries, which Quorum never reads: ~7 ms of CPU in a fresh process
    (``time.process_time`` around ``import tree_sitter_python``). The module is registered in
    ``sys.modules`` under its own name, so a later ``import <package>`` uses it rather than
    loading the extension again. A package that is not one directory holding one ``_binding``
    extension file (a zip import, another layout) is imported the ordinary way. Raises
    ImportError when the package is missing."""
    name = f"{package}._binding"
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    root = package_dir(package) if package not in sys.modules else None
    if root is not None:
        for suffix in EXTENSION_SUFFIXES:
            path = str(root / f"_binding{suffix}")
            if os.path.isfile(path):
                binding_spec = spec_from_file_location(name, path, loader=ExtensionFileLoader(name, path))
                if binding_spec is None:
                    break
                module = module_from_spec(binding_spec)
                sys.modules[name] = module
                try:
                    binding_spec.loader.exec_module(module)  # type: ignore[union-attr]
                except BaseException:
                    del sys.modules[name]
                    raise
                return module
    return importlib.import_module(name)


@cache
def get_parser(name: str) -> Parser:
    """A ``Parser`` for ``name``, cached per language (see the module docstring on threads).

    Raises ``ValueError`` for an unknown name.
    """
    return Parser(get_language(name))


def parse(name: str, source: bytes) -> Tree:
    """Parse ``source`` (bytes, any encoding; tree-sitter works on bytes) as language ``name``.

    Never raises on malformed source: syntax errors become ``ERROR`` / ``MISSING`` nodes.
    Raises ``ValueError`` for an unknown language name. Caution: running a query with text
    predicates (``#eq?``, ``#match?``) over a tree of non-UTF-8 bytes raises ``UnicodeDecodeError``
    in py-tree-sitter 0.26; parse :func:`utf8_safe` ``(source)`` when you will run such queries.
    """
    return get_parser(name).parse(source)


def line_starts(data: bytes) -> list[int]:
    """Byte offset at which each line of ``data`` starts (``[0]``, then one past every ``\\n``).

    Summed from the lengths of the lines (``bytes.split``, ``itertools.accumulate``): about half
    the time of a loop of ``bytes.find`` calls, the same offsets."""
    lengths = [len(line) + 1 for line in data.split(b"\n")]
    lengths.pop()  # the text after the last newline starts no further line
    return list(itertools.accumulate(lengths, initial=0))


def _point(starts: list[int], offset: int) -> tuple[int, int]:
    row = bisect.bisect_right(starts, offset) - 1
    return row, offset - starts[row]


def line_edits(old: bytes, new: bytes, spans: list[tuple[int, int, int, int]], *, old_starts: list[int] | None = None,
               new_starts: list[int] | None = None) -> list[dict[str, object]] | None:
    """The ``Tree.edit`` keyword arguments that turn ``old`` into ``new``, from changed line spans
    ``(old_first, old_count, new_first, new_count)`` (0-based first lines, in order, not
    overlapping: a diff's hunks), or None when the spans do not describe the change exactly
    (the bytes outside them differ, or a span lies past the end of a file).

    Edits are in the order ``Tree.edit`` takes them: each in the coordinates left by the ones
    before it (tree-sitter's ``ts_tree_edit``; rows and byte columns, 0-based). ``old_starts`` /
    ``new_starts``: :func:`line_starts` of ``old`` / ``new`` when the caller has them."""
    if old_starts is None:
        old_starts = line_starts(old)
    if new_starts is None:
        new_starts = line_starts(new)
    old_ends, new_ends = [*old_starts, len(old)], [*new_starts, len(new)]
    out: list[dict[str, object]] = []
    done_old = done_new = 0
    for o_first, o_count, n_first, n_count in spans:
        if min(o_first, o_count, n_first, n_count) < 0 or o_first + o_count >= len(old_ends) or n_first + n_count >= len(new_ends):
            return None
        s_old, e_old = old_ends[o_first], old_ends[o_first + o_count]
        s_new, e_new = new_ends[n_first], new_ends[n_first + n_count]
        if s_old < done_old or s_new < done_new or old[done_old:s_old] != new[done_new:s_new]:
            return None
        # The text before the edit is the same on both sides, so the edit starts at the same
        # column and its old end lies as many rows below its start as in the old file.
        old_row, _ = _point(old_starts, s_old)
        old_end_row, old_end_col = _point(old_starts, e_old)
        start = _point(new_starts, s_new)
        out.append({
            "start_byte": s_new, "old_end_byte": s_new + (e_old - s_old), "new_end_byte": e_new,
            "start_point": start, "old_end_point": (start[0] + old_end_row - old_row, old_end_col),
            "new_end_point": _point(new_starts, e_new),
        })
        done_old, done_new = e_old, e_new
    if old[done_old:] != new[done_new:]:
        return None
    return out


def reparse(name: str, old_tree: Tree, new: bytes, edits: list[dict[str, object]]) -> Tree:
    """Parse ``new`` incrementally from ``old_tree`` (left unchanged: a copy is edited) after
    ``edits`` (from :func:`line_edits`). The result shares every subtree the edits did not touch
    with ``old_tree`` (tree-sitter's incremental parsing: ``ts_parser_parse`` with an edited old
    tree), so it costs memory and time in proportion to the change, not to the file."""
    edited = old_tree.copy()
    for edit in edits:
        edited.edit(**edit)  # type: ignore[arg-type]
    return get_parser(name).parse(new, edited)


def utf8_safe(source: bytes) -> bytes:
    """``source`` itself when it is valid UTF-8, else re-encoded with U+FFFD for each bad byte.

    Line numbers are preserved (no newline is added or removed); byte offsets after the first
    invalid byte may shift.
    """
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return source.decode("utf-8", "replace").encode("utf-8")
    return source


@lru_cache(maxsize=1024)
def query(name: str, pattern: str) -> Query:
    """Compile the tree-sitter query ``pattern`` for language ``name`` (cached by both).

    Raises ``tree_sitter.QueryError`` when the pattern does not compile for that grammar,
    ``ValueError`` for an unknown language name.
    """
    return Query(get_language(name), pattern)


def captures(q: Query, node: Node, *, lines: tuple[int, int] | None = None) -> dict[str, list[Node]]:
    """Run ``q`` over ``node`` with a fresh cursor: capture name -> nodes (predicates applied).

    ``lines`` (1-based, inclusive ``(first, last)``) limits the walk to that band of lines
    (``QueryCursor.set_point_range``): for a one-node pattern every matching node that overlaps
    the band is returned, ancestors included, and the cost follows the band instead of the file
    (checked against unrestricted captures on the 435 Python files of pydantic: same nodes)."""
    cursor = QueryCursor(q)
    if lines is not None:
        cursor.set_point_range((max(0, lines[0] - 1), 0), (max(0, lines[1]), 0))
    return cursor.captures(node)


def matches(q: Query, node: Node, *, lines: tuple[int, int] | None = None) -> list[tuple[int, dict[str, list[Node]]]]:
    """Run ``q`` over ``node`` with a fresh cursor: ``[(pattern_index, {capture: [nodes]})]``.

    ``lines`` (1-based, inclusive ``(first, last)``): only matches overlapping that band of lines
    (``QueryCursor.set_point_range``; see :func:`captures`)."""
    cursor = QueryCursor(q)
    if lines is not None:
        cursor.set_point_range((max(0, lines[0] - 1), 0), (max(0, lines[1]), 0))
    return cursor.matches(node)


def node_text(node: Node) -> str:
    """The node's source text decoded as UTF-8 with replacement ("" when the tree has no text)."""
    data = node.text
    return "" if data is None else data.decode("utf-8", "replace")
