"""Helpers shared by the per-language extractors: scope sweeps, line numbers, reference scans."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from tree_sitter import Node

from bot.core import treesitter

CONSTANT_NAME = re.compile(r"_*[A-Z][A-Z0-9_]*[A-Z0-9]\Z")
"""Names that look like constants by convention (``MAX_SIZE``, ``_DEFAULT``; two characters or more)."""

_DOTTED = re.compile(rb"[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*")
_WS = re.compile(rb"\s+")
_WS_BYTES = b" \t\n\r\x0b\x0c"
"""What ``\\s`` matches in a bytes pattern."""


def text(node: Node | None) -> str:
    """Node text as str (UTF-8 with replacement); ``""`` for None."""
    if node is None:
        return ""
    data = node.text
    return "" if data is None else data.decode("utf-8", "replace")


@lru_cache(maxsize=None)
def field_ids(language: str, *names: str) -> tuple[int, ...]:
    """Grammar field ids of ``names`` (``Node.child_by_field_id`` skips the by-name lookup that
    ``child_by_field_name`` repeats on every call). Raises ``ValueError`` for a name the grammar
    does not define."""
    lang = treesitter.get_language(language)
    ids = tuple(lang.field_id_for_name(n) for n in names)
    if None in ids:
        raise ValueError(f"{language} grammar has no field {names[ids.index(None)]!r}")
    return ids  # type: ignore[return-value]


def dotted_callee(fn: Node, name: str) -> str:
    """The callee as written when it is a plain dotted name (whitespace removed), else ``<expr>.name``."""
    data = fn.text or b""
    if len(data) <= 200 and _DOTTED.fullmatch(data):
        return data.translate(None, _WS_BYTES).decode("utf-8", "replace")
    return "<expr>." + name


def short(data: bytes | None, limit: int = 200) -> str:
    """Collapse whitespace and cut to ``limit`` characters (signatures, decorators)."""
    if not data:
        return ""
    if b"\n" in data or b"  " in data or b"\t" in data:
        data = _WS.sub(b" ", data)
    s = data.decode("utf-8", "replace").strip()
    return s if len(s) <= limit else s[: limit - 1] + "…"


def in_order(nodes: Iterable[Node]) -> list[Node]:
    """``nodes`` in document (pre-)order: by start byte, an enclosing node before the nodes it contains.

    ``QueryCursor.captures`` does not promise that order: with tree-sitter 0.26 the order of
    one capture's nodes can differ between two parses of the same source (seen on Go import
    specs and on nested calls that start at the same byte), which made the index's import,
    definition and call lists differ from one build to the next.
    """
    return sorted(nodes, key=_document_order)


def _document_order(node: Node) -> tuple[int, int]:
    return node.start_byte, -node.end_byte


def enclosing_scopes(spans: Sequence[tuple[int, int, str]], starts: Iterable[int], top: str) -> list[str]:
    """For each position in ``starts`` (ascending byte offsets), the innermost span containing it.

    ``spans`` are ``(start_byte, end_byte, qualname)`` sorted by start; properly nested (as
    syntax-tree nodes are). Returns qualnames, ``top`` where no span contains the position.
    O(len(spans) + len(starts)).
    """
    out: list[str] = []
    stack: list[tuple[int, int, str]] = []
    i = 0
    n = len(spans)
    for pos in starts:
        while i < n and spans[i][0] <= pos:
            while stack and stack[-1][1] <= spans[i][0]:
                stack.pop()
            stack.append(spans[i])
            i += 1
        while stack and stack[-1][1] <= pos:
            stack.pop()
        out.append(stack[-1][2] if stack else top)
    return out


_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$") | frozenset(range(128, 256))
_UPPER_RUN = re.compile(rb"[A-Z][A-Z0-9_]*[A-Z0-9]")
_IDENT_AT = re.compile(rb"\s*\.\s*([A-Za-z_$][\w$]*)")
_CALL_AFTER = re.compile(rb"[ \t]*\(")
_CONSTANT_BYTES = re.compile(rb"_*[A-Z][A-Z0-9_]*[A-Z0-9]\Z")  # found by the upper-case scan already


def _candidates(source: bytes, names: Iterable[str], module_aliases: Iterable[str]) -> Iterable[tuple[int, int]]:
    """Byte spans that may be reads of interesting names (see :func:`scan_references`)."""
    n = len(source)
    for m in _UPPER_RUN.finditer(source):
        s, e = m.span()
        while s > 0 and source[s - 1] == 95:  # leading underscores
            s -= 1
        if (s > 0 and source[s - 1] in _WORD_BYTES) or (e < n and source[e] in _WORD_BYTES):
            continue
        yield s, e
    for name in {x for x in names if x and (x[0].islower() or x[0] == "_") and not CONSTANT_NAME.match(x)}:
        needle = name.encode()
        i = source.find(needle)
        while i >= 0:
            e = i + len(needle)
            if not (i > 0 and (source[i - 1] in _WORD_BYTES or source[i - 1] == 46)) and not (
                e < n and (source[e] in _WORD_BYTES or _CALL_AFTER.match(source, e))
            ):
                yield i, e
            i = source.find(needle, e)
    for alias in {x for x in module_aliases if x}:
        needle = alias.encode()
        i = source.find(needle)
        while i >= 0:
            e = i + len(needle)
            if not (i > 0 and (source[i - 1] in _WORD_BYTES or source[i - 1] == 46)):
                m = _IDENT_AT.match(source, e)
                if m is not None and not _CALL_AFTER.match(source, m.end()) and not _CONSTANT_BYTES.match(m.group(1)):
                    yield m.span(1)
            i = source.find(needle, e)


def scan_references(
    root: Node,
    source: bytes,
    *,
    names: Iterable[str],
    module_aliases: Iterable[str],
    identifier_types: frozenset[str],
    skip_starts: set[int],
    skip_parent_types: frozenset[str] = frozenset(),
    skip_leading_in: frozenset[str] = frozenset(),
) -> dict[str, tuple[int, ...]]:
    """Find reads of interesting names: constant-like identifiers, ``names`` (imported bindings;
    only lower-case ones: capitalized imports are classes and types, seen through calls) and
    ``alias.attr`` for ``module_aliases``. Names directly followed by ``(`` are calls, recorded
    as call sites, not here.

    Candidates come from a fixed regular expression and ``bytes.find`` over the raw source
    (fast, in C); each is kept only when the syntax tree has an identifier node of one of
    ``identifier_types`` exactly there (so strings and comments drop out), it does not start at
    an offset in ``skip_starts`` (definition sites) and its parent is not of
    ``skip_parent_types`` (import statements, parameter lists), nor is it the first child of a
    ``skip_leading_in`` parent (a keyword argument's name, a defaulted parameter's name).
    Returns name -> sorted unique lines.
    """
    found: dict[str, set[int]] = {}
    seen: set[int] = set()
    check_parent = bool(skip_parent_types or skip_leading_in)  # ``Node.parent`` walks down from the root
    for s, e in _candidates(source, names, module_aliases):
        if s in skip_starts or s in seen:
            continue
        seen.add(s)
        node = root.descendant_for_byte_range(s, e)
        if node is None or node.start_byte != s or node.end_byte != e or node.type not in identifier_types:
            continue
        parent = node.parent if check_parent else None
        if parent is not None:
            pt = parent.type
            if pt in skip_parent_types or (pt in skip_leading_in and parent.start_byte == s):
                continue
        name = source[s:e].decode("utf-8", "replace")
        found.setdefault(name, set()).add(node.start_point[0] + 1)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def is_public_name(name: str) -> bool:
    """No leading underscore, except dunder names (``__init__``) which are public protocol."""
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__") and len(name) > 4)
