"""Syntax-tree helpers for the intent and logic agents (Python first, other tree-sitter languages
where the same idea applies): parse a file once per review, reduce code to a *canonical token
stream* that ignores formatting, and compare two revisions.

Canonical stream: a pre-order walk of the tree-sitter tree emitting ``<type`` / ``>`` around
inner nodes, ``@name`` for identifiers, ``type=text`` for other named leaves, ``S:content`` for
string literals (quote style and prefix case normalized) and the operator text for anonymous
leaves. Dropped: comments and other "extra" nodes, Python docstrings, the commas, semicolons and
brackets (the node types already encode structure, so trailing commas and bracket layout
disappear), and parentheses around a single expression (the tree already encodes precedence).
So two revisions with equal streams differ only in layout, comments, docstrings, quote style and
redundant parentheses — which is what formatters such as black change.

Pure: operates on bytes and trees; parsing goes through :mod:`bot.core.treesitter`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import IntEnum

from tree_sitter import Node, Tree

from bot.core import treesitter
from bot.core.protocols import TreeView

MAX_PARSE_BYTES = 1_500_000
"""Files larger than this are not parsed (the caller falls back to lines and says so)."""

COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment", "html_comment", "doc_comment"})
STRING_TYPES = frozenset(
    {
        "string", "template_string", "interpreted_string_literal", "raw_string_literal",
        "string_literal", "char_literal", "character_literal", "text_block", "heredoc_body",
    }
)
PAREN_TYPES = frozenset({"parenthesized_expression", "parenthesized_statements"})
_DROPPED_PUNCT = frozenset({",", ";", "(", ")", "[", "]", "{", "}"})
_NUMBER_HINTS = ("integer", "float", "number", "int_literal", "float_literal", "imaginary")
_STRING_RE = re.compile(r"^([A-Za-z]{0,3})(\"\"\"|'''|\"|'|`)(.*)\2$", re.DOTALL)
FUNCTION_TYPES = frozenset(
    {
        "function_definition", "function_declaration", "method_declaration", "method_definition",
        "function_item", "method", "singleton_method", "constructor_declaration",
        "generator_function_declaration",
    }
)
CLASS_TYPES = frozenset(
    {"class_definition", "class_declaration", "class", "module", "impl_item", "interface_declaration", "trait_item"}
)


class Level(IntEnum):
    """How much two revisions of a file differ, from the canonical streams."""

    same = 0
    """Only layout, comments, docstrings, quote style or redundant parentheses changed."""
    renamed = 1
    """Equal up to a consistent one-to-one renaming of identifiers."""
    changed = 2
    """Anything else: the code does something different (or may)."""


@dataclass(frozen=True)
class Comparison:
    """Result of comparing the base and head text of one file.

    ``parsed`` is False when no parser was used (unknown language, parse errors, too large): the
    comparison was then a whitespace- and comment-insensitive line compare, which cannot see renames.
    ``renames`` lists the ``(old, new)`` identifier pairs when ``level`` is ``renamed``.
    """

    level: Level
    parsed: bool
    renames: tuple[tuple[str, str], ...] = ()


def parse_bytes(lang: str | None, data: bytes | None) -> Tree | None:
    """Parse ``data`` as ``lang``; None for no data, an unsupported language or an oversize file."""
    if data is None or lang is None or not treesitter.supported(lang) or len(data) > MAX_PARSE_BYTES:
        return None
    return treesitter.parse(lang, data)


def parsed(shared: dict, side: str, path: str, lang: str | None, data: bytes | None) -> Tree | None:
    """:func:`parse_bytes`, cached in the review's ``ctx.shared`` under ``(side, path)`` so the
    agents of one review parse each file once. ``side`` is ``"base"`` or ``"head"``."""
    cache = shared.setdefault("subagents._pyast.trees", {})
    key = (side, path, lang, len(data) if data is not None else -1)
    if key not in cache:
        cache[key] = parse_bytes(lang, data)
    return cache[key]


def read(shared: dict, view: TreeView, side: str, path: str) -> bytes | None:
    """``view.read(path)``, cached in the review's ``ctx.shared`` under ``(side, path)``."""
    cache = shared.setdefault("subagents._pyast.bytes", {})
    key = (side, path)
    if key not in cache:
        cache[key] = view.read(path)
    return cache[key]


def node_text(node: Node) -> str:
    """The node's source text (UTF-8, errors replaced)."""
    return treesitter.node_text(node)


def is_docstring(node: Node) -> bool:
    """True for a Python docstring statement: a lone string expression that is the first
    statement of a module, class or function body."""
    if node.type != "expression_statement" or node.named_child_count != 1:
        return False
    child = node.named_children[0]
    if child.type not in ("string", "concatenated_string"):
        return False
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "block":
        owner = parent.parent
        if owner is None or owner.type not in ("function_definition", "class_definition"):
            return False
    elif parent.type != "module":
        return False
    for sib in parent.named_children:
        if sib.type == "comment":
            continue
        return sib.id == node.id
    return False


def _normal_string(text: str) -> str:
    m = _STRING_RE.match(text)
    if not m:
        return text
    prefix = m.group(1).lower().replace("u", "")
    return "".join(sorted(prefix)) + ":" + m.group(3)


_OPEN, _SILENT, _SKIP = 0, 1, 2
_PY_ANNOTATION_FIELDS = frozenset({"type", "return_type"})
"""Python fields holding type annotations: not evaluated for behaviour (PEP 563/649), so dropped."""
_PY_SAME_AS = {"expression_list": "tuple", "pattern_list": "tuple_pattern", "typed_default_parameter": "default_parameter"}
"""Python node types that mean the same at run time: ``return a, b`` and ``return (a, b)``."""


def canonical(node: Node, *, python: bool = True, blank_strings: bool = False) -> list[str]:
    """The canonical token stream of ``node`` (see the module docstring).

    ``python`` enables the Python specifics: docstrings and type annotations (parameter, return
    and variable annotations) are dropped, ``a, b`` equals ``(a, b)``, and colons are kept only
    in slices (elsewhere the node types say where they were). ``blank_strings`` replaces every string literal by the
    token ``S`` (used to check "typo" claims, where string contents may change freely).
    """
    out: list[str] = []

    def visit(n: Node, field: str | None) -> int:
        t = n.type
        if n.is_extra or t in COMMENT_TYPES:
            return _SKIP
        if python and field in _PY_ANNOTATION_FIELDS:
            return _SKIP
        if not n.is_named:
            if t in _DROPPED_PUNCT:
                return _SKIP
            if python and t in (":", "->") and not (t == ":" and n.parent is not None and n.parent.type == "slice"):
                return _SKIP
            out.append(t)
            return _SKIP
        if python and t == "typed_parameter":
            return _SILENT
        if t in STRING_TYPES:
            out.append("S" if blank_strings else "S" + _normal_string(node_text(n)))
            return _SKIP
        if python and t == "expression_statement" and is_docstring(n):
            return _SKIP
        if t in PAREN_TYPES and n.named_child_count == 1:
            return _SILENT
        if n.child_count == 0:
            text = node_text(n)
            if t.endswith("identifier"):
                out.append("@" + text)
            elif any(h in t for h in _NUMBER_HINTS):
                out.append(t + "=" + text.lower().replace("_", ""))
            else:
                out.append(t + "=" + text)
            return _SKIP
        out.append("<" + (_PY_SAME_AS.get(t, t) if python else t))
        return _OPEN

    cur = node.walk()
    opened: list[bool] = []
    while True:
        action = visit(cur.node, cur.field_name)
        if action != _SKIP:
            if cur.goto_first_child():
                opened.append(action == _OPEN)
                continue
            if action == _OPEN:
                out.append(">")
        while not cur.goto_next_sibling():
            if not opened or not cur.goto_parent():
                return out
            if opened.pop():
                out.append(">")


def rename_map(a: list[str], b: list[str]) -> dict[str, str] | None:
    """When streams ``a`` and ``b`` are equal up to a consistent one-to-one renaming of identifiers,
    the renaming ``{old: new}`` restricted to changed names (possibly empty); otherwise None."""
    if len(a) != len(b):
        return None
    fwd: dict[str, str] = {}
    bwd: dict[str, str] = {}
    for x, y in zip(a, b, strict=True):
        if x == y and not x.startswith("@"):
            continue
        if not (x.startswith("@") and y.startswith("@")):
            return None
        if fwd.setdefault(x, y) != y or bwd.setdefault(y, x) != x:
            return None
    return {k[1:]: v[1:] for k, v in fwd.items() if k != v}


def edit_distance(a: str, b: str, *, cap: int = 3) -> int:
    """Levenshtein distance of ``a`` and ``b``, cut off at ``cap`` (returns ``cap`` when larger)."""
    if abs(len(a) - len(b)) >= cap:
        return cap
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) >= cap:
            return cap
        prev = cur
    return min(prev[-1], cap)


_COMMENT_LINE = re.compile(r"^(#|//|/\*|\*|--|;|%|<!--|\"\"\"|''')")


def _loose_lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        s = "".join(line.split())
        if s and not _COMMENT_LINE.match(s):
            out.append(s)
    return out


Ranges = list[tuple[int, int]]
"""Inclusive 1-based line ranges."""


def hunk_ranges(hunks: list, side: str) -> Ranges:
    """The line ranges the hunks cover on ``side`` (``"base"`` or ``"head"``), context included and
    widened by one line each way (so a pure insertion still names the statement it lands in).
    ``hunks`` are :class:`bot.core.diff.Hunk` s."""
    out: Ranges = []
    for h in hunks:
        start, length = (h.source_start, h.source_length) if side == "base" else (h.target_start, h.target_length)
        out.append((max(1, start - 1), start + length))
    return out


def _overlaps(node: Node, ranges: Ranges) -> bool:
    s, e = node.start_point[0] + 1, node.end_point[0] + 1
    return any(s <= b and e >= a for a, b in ranges)


def regions(root: Node, ranges: Ranges) -> list[Node]:
    """The top-level statements of ``root`` that overlap ``ranges``, in order; a class whose
    header (decorators, name, bases) is untouched is replaced by its overlapping members,
    recursively. Comments are skipped. Aligned hunk ranges of base and head (see
    :func:`hunk_ranges`) give corresponding region lists, so comparing their canonical streams
    compares the changed code only."""
    out: list[Node] = []
    for child in root.named_children:
        if child.is_extra or child.type in COMMENT_TYPES or not _overlaps(child, ranges):
            continue
        inner = child
        if child.type == "decorated_definition":
            inner = child.child_by_field_name("definition") or child
        body = inner.child_by_field_name("body") if inner.type in CLASS_TYPES else None
        if body is not None and body.start_point[0] > child.start_point[0]:
            header = [(child.start_point[0] + 1, body.start_point[0])]
            if not any(a <= hb and b >= ha for a, b in ranges for ha, hb in header):
                out.extend(regions(body, ranges))
                continue
        out.append(child)
    return out


def compare(
    lang: str | None,
    base: bytes | None,
    head: bytes | None,
    *,
    blank_strings: bool = False,
    base_tree: Tree | None = None,
    head_tree: Tree | None = None,
    base_ranges: Ranges | None = None,
    head_ranges: Ranges | None = None,
) -> Comparison:
    """Compare two revisions of one file (None = file absent on that side).

    With a parser for ``lang`` and error-free trees: canonical streams, then a renaming check;
    with ``base_ranges``/``head_ranges`` (see :func:`hunk_ranges`) only the statements in those
    ranges are compared (much faster on large files). Otherwise a line compare of the whole
    files ignoring whitespace and comment-looking lines (``parsed=False``).
    Absent on one side and present with code on the other is ``changed``.
    """
    if base is None or head is None:
        other = head if base is None else base
        empty = other is None or not _loose_lines(other.decode("utf-8", "replace"))
        return Comparison(Level.same if empty else Level.changed, parsed=False)
    bt = base_tree if base_tree is not None else parse_bytes(lang, base)
    ht = head_tree if head_tree is not None else parse_bytes(lang, head)
    if bt is None or ht is None or bt.root_node.has_error or ht.root_node.has_error:
        same = _loose_lines(base.decode("utf-8", "replace")) == _loose_lines(head.decode("utf-8", "replace"))
        return Comparison(Level.same if same else Level.changed, parsed=False)
    py = lang == "python"
    if base_ranges is not None and head_ranges is not None:
        a = [t for n in regions(bt.root_node, base_ranges) for t in canonical(n, python=py, blank_strings=blank_strings)]
        b = [t for n in regions(ht.root_node, head_ranges) for t in canonical(n, python=py, blank_strings=blank_strings)]
    else:
        a = canonical(bt.root_node, python=py, blank_strings=blank_strings)
        b = canonical(ht.root_node, python=py, blank_strings=blank_strings)
    if a == b:
        return Comparison(Level.same, parsed=True)
    renames = rename_map(a, b)
    if renames is not None:
        return Comparison(Level.renamed, parsed=True, renames=tuple(sorted(renames.items())))
    return Comparison(Level.changed, parsed=True)


def iter_nodes(node: Node, types: frozenset[str] | set[str], *, stop: Callable[[Node], bool] | None = None) -> Iterator[Node]:
    """Pre-order nodes below (and including) ``node`` whose type is in ``types``; subtrees for which
    ``stop(n)`` is true (other than ``node`` itself) are not entered."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in types:
            yield n
        if n is not node and stop is not None and stop(n):
            continue
        stack.extend(reversed(n.children))


@dataclass(frozen=True)
class Definition:
    """A function or method: ``qualname`` (``Class.method``, ``outer.inner``; a repeated name gets
    ``#2``...), ``node`` (the definition, decorators excluded), ``outer`` (including decorators),
    1-based ``start``/``end`` lines of ``outer``."""

    qualname: str
    node: Node
    outer: Node
    start: int
    end: int


def find(node: Node, lang: str, types: frozenset[str] | set[str]) -> list[Node]:
    """Every node below (and including) ``node`` whose type is in ``types``, in document order,
    found with a compiled tree-sitter query (types the grammar does not know are ignored)."""
    language = treesitter.get_language(lang)
    names = sorted(t for t in types if language.id_for_node_kind(t, True) is not None)
    if not names:
        return []
    q = treesitter.query(lang, "[" + " ".join(f"({t})" for t in names) + "] @n")
    return sorted(treesitter.captures(q, node).get("n", []), key=lambda n: n.start_byte)


def _name(n: Node) -> str:
    name = n.child_by_field_name("name")
    return node_text(name) if name is not None else "<anonymous>"


def definitions(root: Node, lang: str = "python") -> dict[str, Definition]:
    """Functions and methods below ``root`` by qualified name, in document order (any tree-sitter
    language; ``lang`` names the grammar of ``root``'s tree)."""
    found: dict[str, Definition] = {}
    seen: Counter[str] = Counter()
    scopes = FUNCTION_TYPES | CLASS_TYPES
    for n in find(root, lang, FUNCTION_TYPES):
        parts = [_name(n)]
        up = n.parent
        while up is not None and up.id != root.id:
            if up.type in scopes:
                parts.append(_name(up))
            up = up.parent
        qual = ".".join(reversed(parts))
        seen[qual] += 1
        key = qual if seen[qual] == 1 else f"{qual}#{seen[qual]}"
        outer = n.parent if n.parent is not None and n.parent.type == "decorated_definition" else n
        found[key] = Definition(key, n, outer, outer.start_point[0] + 1, outer.end_point[0] + 1)
    return found


def text_lines(root: Node, lang: str) -> set[int]:
    """1-based lines inside multi-line string literals and comments (docstrings, block comments):
    a line-level check must not read prose there as code."""
    out: set[int] = set()
    for n in find(root, lang, STRING_TYPES | COMMENT_TYPES):
        start, end = n.start_point[0] + 1, n.end_point[0] + 1
        if end > start:
            out.update(range(start, end + 1))
    return out


def is_generator(func: Node) -> bool:
    """True when a Python function body contains ``yield`` outside nested functions/lambdas/classes."""
    body = func.child_by_field_name("body")
    if body is None:
        return False
    return any(True for _ in iter_nodes(body, frozenset({"yield"}), stop=_nested_scope))


def _nested_scope(n: Node) -> bool:
    return n.type in ("function_definition", "lambda", "class_definition", "decorated_definition")


def own_nodes(func: Node, types: frozenset[str]) -> list[Node]:
    """Nodes of ``types`` in a Python function's body, excluding nested functions, lambdas, classes."""
    body = func.child_by_field_name("body")
    if body is None:
        return []
    return list(iter_nodes(body, types, stop=_nested_scope))


def top_level_chunks(root: Node, *, python: bool = True) -> Counter[str]:
    """Multiset of the canonical streams (joined) of the top-level statements, imports and
    docstrings excluded: equal multisets across a change mean code was only moved or reordered."""
    chunks: Counter[str] = Counter()
    for child in root.named_children:
        if child.is_extra or child.type in COMMENT_TYPES:
            continue
        if child.type in ("import_statement", "import_from_statement", "future_import_statement", "import_declaration", "package_clause"):
            continue
        if python and is_docstring(child):
            continue
        chunks["\x1f".join(canonical(child, python=python))] += 1
    return chunks


def line_of(node: Node) -> int:
    """1-based start line of ``node``."""
    return node.start_point[0] + 1


def end_line_of(node: Node) -> int:
    """1-based end line of ``node``."""
    return node.end_point[0] + 1
