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

import importlib
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

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


@lru_cache(maxsize=None)
def get_language(name: str) -> Language:
    """The tree-sitter ``Language`` for ``name`` (cached).

    Raises ``ValueError`` for an unknown name, ``ImportError`` when the grammar wheel is missing.
    """
    try:
        module_name, func = _GRAMMARS[name]
    except KeyError:
        raise ValueError(f"unknown tree-sitter language {name!r}; known: {', '.join(LANGUAGES)}") from None
    module = importlib.import_module(module_name)
    return Language(getattr(module, func)())


@lru_cache(maxsize=None)
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
