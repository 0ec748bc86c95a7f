"""Syntax-tree access for every language the sub-agents read: the review's parse-once trees
(:class:`bot.core.changeset.ChangedFiles`), node text and lines, walking and finding nodes, the
definitions (functions, methods, classes) of a tree by qualified name, and the regions of a tree
that the diff's hunks touch.

Language-agnostic: node type tables come from :mod:`bot.core.languages`. The canonical token
streams that compare two revisions are in :mod:`subagents._canonical`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tree_sitter import Node, Tree

from bot.core import treesitter
from bot.core import changeset
from bot.core.changeset import ChangedFiles
from bot.core.languages import ALL_NAMED_FUNCTION_NODES
from bot.core.protocols import TreeView


COMMENT_TYPES = frozenset({"comment", "line_comment", "block_comment", "html_comment", "doc_comment"})
STRING_TYPES = frozenset(
    {
        "string", "template_string", "interpreted_string_literal", "raw_string_literal",
        "string_literal", "char_literal", "character_literal", "text_block", "heredoc_body",
    }
)
PAREN_TYPES = frozenset({"parenthesized_expression", "parenthesized_statements"})
FUNCTION_TYPES = ALL_NAMED_FUNCTION_NODES
"""Named function and method node types of every grammar (``bot.core.languages``, their one home)."""
CLASS_TYPES = frozenset(
    {"class_definition", "class_declaration", "class", "module", "impl_item", "interface_declaration", "trait_item"}
)


def parse_bytes(lang: str | None, data: bytes | None) -> Tree | None:
    """Parse ``data`` as ``lang``; None for no data, an unsupported language or an oversize file."""
    if data is None or lang is None or not treesitter.supported(lang) or len(data) > changeset.MAX_PARSE_BYTES:
        return None
    return treesitter.parse(lang, data)


def parsed(files: ChangedFiles, side: str, path: str, lang: str | None, data: bytes | None) -> Tree | None:
    """The tree of ``path`` in ``side`` from the review's parse-once view (``ctx.files``): each file
    version is parsed at most once per review, whichever agent asks. None when ``data`` is None
    (the caller has no such version), the language has no grammar, or the file is too large."""
    if data is None:
        return None
    return files.tree(side, path, lang)


def read(files: ChangedFiles, view: TreeView, side: str, path: str) -> bytes | None:
    """The bytes of ``path`` in ``side`` (``view`` is that side's tree), read once per review
    through ``ctx.files``."""
    return files.read(side, path)


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


def find(node: Node, lang: str, types: frozenset[str] | set[str], *, lines: set[int] | None = None) -> list[Node]:
    """Every node below (and including) ``node`` whose type is in ``types``, in document order,
    found with a compiled tree-sitter query (types the grammar does not know are ignored).

    ``lines`` (1-based): only nodes overlapping the band from the first to the last of these lines
    are looked at, so the cost follows the changed lines, not the file (callers that want nodes
    starting on changed lines pass those lines and filter; an empty set finds nothing)."""
    if lines is not None and not lines:
        return []
    names = _known_types(lang, types)
    if not names:
        return []
    if lang == "python" and lines is None and _PY_DEFINITION_TYPES.issuperset(names) and node.parent is None and not node.has_error:
        return _python_find(node, frozenset(names))
    q = treesitter.query(lang, _pattern(names))
    band = None if lines is None else (min(lines), max(lines))
    return sorted(treesitter.captures(q, node, lines=band).get("n", []), key=lambda n: n.start_byte)


def _known_types(lang: str, types: frozenset[str] | set[str]) -> list[str]:
    """The node types of ``types`` that the grammar of ``lang`` knows, sorted."""
    language = treesitter.get_language(lang)
    return sorted(t for t in types if language.id_for_node_kind(t, True) is not None)


def _pattern(names: list[str]) -> str:
    """The query :func:`find` compiles for the node types ``names``."""
    return "[" + " ".join(f"({t})" for t in names) + "] @n"


PY_SEARCHES = (
    frozenset({"if_statement", "raise_statement", "assert_statement"}),
    frozenset({"except_clause"}),
    frozenset({"assert_statement", "call"}),
)
"""The Python node-type sets the logic agent searches with :func:`find` (guards, ``except``
clauses, a test's asserts and calls: ``subagents.logic_python``), named here so that
:func:`static_queries` compiles their queries too (1-1.5 ms of CPU each per served review)."""


def static_queries() -> list[tuple[str, str]]:
    """``(language, pattern)`` of the queries :func:`find` compiles for the fixed type sets of
    :func:`definitions`, :func:`classes` and :func:`text_lines`, in every language whose grammar
    loads, and for :data:`PY_SEARCHES`: the command server compiles them once before it forks (each costs 2.5-5 ms of CPU in
    TypeScript or TSX, every served review of such a file paid it, ~11 ms)."""
    out = []
    for lang in treesitter.LANGUAGES:
        try:
            known = [_known_types(lang, types) for types in (FUNCTION_TYPES, CLASS_TYPES, STRING_TYPES | COMMENT_TYPES)]
        except (ImportError, ValueError):
            continue
        out += [(lang, _pattern(names)) for names in known if names]
    return out + [("python", _pattern(_known_types("python", types))) for types in PY_SEARCHES]


NEAR_GAP = 20
"""Runs of lines closer than this many lines are searched as one band by :func:`find_near`."""


def line_bands(lines: set[int] | frozenset[int], gap: int = NEAR_GAP) -> list[tuple[int, int]]:
    """``lines`` (1-based) as inclusive ``(first, last)`` bands in increasing order: consecutive
    lines, and runs less than ``gap`` lines apart, share a band."""
    bands: list[tuple[int, int]] = []
    for line in sorted(lines):
        if bands and line - bands[-1][1] <= gap:
            bands[-1] = (bands[-1][0], line)
        else:
            bands.append((line, line))
    return bands


def find_near(node: Node, lang: str, types: frozenset[str] | set[str], lines: set[int] | frozenset[int]) -> list[Node]:
    """Nodes below (and including) ``node`` whose type is in ``types`` and that overlap one of
    ``lines`` (1-based), plus possibly others that :func:`find` with ``lines=lines`` also gives;
    in document order, as :func:`find` orders them.

    :func:`find` searches one band from the first to the last of ``lines``, which is the whole
    file when a change touches its top and its bottom; here each band of :func:`line_bands` is
    searched on its own (a node overlapping several is kept once, where it is first met), so the
    cost follows the changed lines. For callers that keep only nodes overlapping ``lines`` (a node
    starting on one of them, or holding a statement that does), the answer is :func:`find`'s, in
    its order when no two such nodes start at the same byte (statements of one kind, except
    clauses, string literals and comments never do; nested calls such as ``f(a)(b)`` do, and
    tree-sitter orders those differently from one band to another)."""
    if not lines:
        return []
    bands = line_bands(lines)
    if len(bands) == 1:
        return find(node, lang, types, lines=set(bands[0]))
    seen: set[int] = set()
    out: list[Node] = []
    for first, last in bands:
        for n in find(node, lang, types, lines={first, last}):
            if n.id not in seen:
                seen.add(n.id)
                out.append(n)
    out.sort(key=lambda n: n.start_byte)  # stable: among nodes starting together, the outer first, as find
    return out


def same_source(a: Node, b: Node, names: list[bytes] | tuple[bytes, ...] = ()) -> bool:
    """True when nodes ``a`` and ``b`` (of two error-free trees of one language) have the same
    source text and neither mentions any of ``names`` (helpers whose calls a canonical stream
    inlines on one side only): their canonical streams (:mod:`subagents._canonical`) are then
    equal without computing them, since a stream depends only on the node's own subtree."""
    text = a.text
    if text is None or text != b.text:
        return False
    return not any(n in text for n in names)


def defs_cache(files: ChangedFiles) -> dict:
    """The review-wide cache for :func:`definitions`, kept in the parse-once view ``ctx.files``."""
    return files.memo("subagents._pyast.definitions", dict)


def _name(n: Node) -> str:
    name = n.child_by_field_name("name")
    return node_text(name) if name is not None else "<anonymous>"


def definitions(root: Node, lang: str = "python", *, cache: dict | None = None) -> dict[str, Definition]:
    """Functions and methods below ``root`` by qualified name, in document order (any tree-sitter
    language; ``lang`` names the grammar of ``root``'s tree). With ``cache`` (a dict living as
    long as the review, e.g. from :func:`defs_cache`), each root is walked once; the returned
    dict must then not be modified."""
    if cache is not None:
        key = (root, lang)
        if key not in cache:
            cache[key] = definitions(root, lang)
        return cache[key]
    found: dict[str, Definition] = {}
    seen: Counter[str] = Counter()
    if lang == "python" and root.parent is None and not root.has_error:
        located = _python_functions(root)
    else:
        located = [(n, _qualname(n, root), n.parent) for n in find(root, lang, FUNCTION_TYPES)]
    for n, qual, parent in located:
        seen[qual] += 1
        key = qual if seen[qual] == 1 else f"{qual}#{seen[qual]}"
        outer = parent if parent is not None and parent.type == "decorated_definition" else n
        found[key] = Definition(key, n, outer, outer.start_point[0] + 1, outer.end_point[0] + 1)
    return found


def classes(root: Node, lang: str, *, cache: dict | None = None) -> list[Node]:
    """:func:`find` of :data:`CLASS_TYPES` below ``root``; with ``cache`` (see :func:`definitions`)
    each root is searched once, and the returned list must not be modified."""
    if cache is None:
        return find(root, lang, CLASS_TYPES)
    key = (root, lang, "classes")
    if key not in cache:
        cache[key] = find(root, lang, CLASS_TYPES)
    return cache[key]  # type: ignore[no-any-return]


def defined_names(root: Node, lang: str, *, cache: dict | None = None) -> frozenset[str]:
    """Simple names of the functions, methods and classes defined below ``root`` (a repeated
    name's ``#2`` dropped); with ``cache`` (see :func:`definitions`) computed once per root."""
    if cache is not None:
        key = (root, lang, "names")
        if key not in cache:
            cache[key] = _defined_names(root, lang, cache)
        return cache[key]  # type: ignore[no-any-return]
    return _defined_names(root, lang, None)


def _defined_names(root: Node, lang: str, cache: dict | None) -> frozenset[str]:
    names = {q.split("#")[0].rsplit(".", 1)[-1] for q in definitions(root, lang, cache=cache)}
    for c in classes(root, lang, cache=cache):
        name = c.child_by_field_name("name")
        if name is not None:
            names.add(node_text(name))
    return frozenset(names)


_SCOPES = FUNCTION_TYPES | CLASS_TYPES

_PY_STATEMENT_HOLDERS = frozenset({
    "module", "block", "decorated_definition", "class_definition", "function_definition", "if_statement",
    "elif_clause", "else_clause", "for_statement", "while_statement", "try_statement", "except_clause",
    "except_group_clause", "finally_clause", "with_statement", "match_statement", "case_clause",
})
"""Python node types whose children may be statements: in an error-free tree a function
definition sits only below these (expressions hold no statements)."""
_PY_WALKED = _PY_STATEMENT_HOLDERS | {"function_definition"}


def _qualname(n: Node, root: Node) -> str:
    """``n``'s name after the names of its enclosing functions and classes below ``root``."""
    parts = [_name(n)]
    up = n.parent
    while up is not None and up.id != root.id:
        if up.type in _SCOPES:
            parts.append(_name(up))
        up = up.parent
    return ".".join(reversed(parts))


def _python_functions(root: Node) -> list[tuple[Node, str, Node | None]]:
    """``(function node, qualified name, parent node)`` of every function below the root of an
    error-free Python tree, in document order: the same as :func:`find` with :func:`_qualname`,
    found by walking statements only and carrying the enclosing names down."""
    out: list[tuple[Node, str, Node | None]] = []
    stack: list[tuple[Node, Node | None, str]] = [(root, None, "")]
    while stack:
        node, parent, prefix = stack.pop()
        kind = node.type
        if kind == "function_definition":
            out.append((node, prefix + _name(node), parent))
            body = node.child_by_field_name("body")
            # A function's statements are only in its body; a body whose text has no ``def`` holds
            # no function (the keyword is part of every definition's text): not walked.
            if body is not None and body.type in _PY_WALKED and _holds(body, _DEF_WORD):
                stack.append((body, node, prefix + _name(node) + "."))
            continue
        if kind in _PY_STATEMENT_HOLDERS:
            # Only the root has no parent here (``Node.parent`` would walk down from the root).
            inner = prefix + _name(node) + "." if parent is not None and kind in _SCOPES else prefix
            for child in node.named_children:
                if child.type in _PY_WALKED:
                    stack.append((child, node, inner))
    out.sort(key=lambda item: item[0].start_byte)
    return out


_PY_DEFINITION_TYPES = frozenset({"module", "class_definition", "function_definition", "decorated_definition"})
"""Python node types :func:`find` looks for in a whole error-free tree by walking statements only."""
_DEF_WORD = re.compile(rb"def\b")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _holds(node: Node, word: re.Pattern[bytes]) -> bool:
    """False only when ``node``'s text lacks the keyword ``word`` (a pattern ``keyword\\b``) as a
    word of its own (not preceded by a letter, digit or underscore): no definition it names is then
    below ``node``. The pattern starts with the keyword, a literal the regex engine skips ahead to
    (``\\bdef\\b`` is tried at every byte: slower than the walk it would save)."""
    text = node.text
    if text is None:
        return True
    for m in word.finditer(text):
        if m.start() == 0 or text[m.start() - 1] not in _WORD_BYTES:
            return True
    return False


def _python_find(root: Node, types: frozenset[str]) -> list[Node]:
    """:func:`find` of definition node types (:data:`_PY_DEFINITION_TYPES`) in the whole error-free
    Python tree ``root``: a definition is a statement, and statements sit only below
    :data:`_PY_STATEMENT_HOLDERS` (as for :func:`_python_functions`), so the walk skips every
    expression, where a query visits every node (~20 ms of CPU for the class nodes of the files
    of one pydantic review). Same nodes, same order."""
    out = [root] if root.type in types and root.end_byte > 0 else []  # a query skips an empty file's root
    # Looking for functions only, a function body whose text has no ``def`` is not walked. Classes
    # are often defined in function bodies (tests): there the text check costs more than it saves.
    skip_bodies = "function_definition" in types and not types & {"class_definition", "decorated_definition"}
    stack = [root]
    while stack:
        for child in stack.pop().named_children:
            kind = child.type
            if kind in types:
                out.append(child)
            if skip_bodies and kind == "function_definition":  # its statements are in its body
                body = child.child_by_field_name("body")
                if body is not None and body.type in _PY_STATEMENT_HOLDERS and _holds(body, _DEF_WORD):
                    stack.append(body)
            elif kind in _PY_STATEMENT_HOLDERS:
                stack.append(child)
    out.sort(key=lambda n: n.start_byte)
    return out


_COMMENT_OR_BLANK = re.compile(r"^\s*(#|//|/\*|\*|$)")
_IMPORT_LINE = re.compile(r"^\s*(import\b|from\s+\S+\s+import\b)")


def only_removes_definitions(
    lang: str | None, base: Tree | None, head: Tree | None, added: list[str], removed: list[tuple[int, str]],
    *, cache: dict | None = None,
) -> bool:
    """True when a change adds no code (``added``: the added lines' texts are all blank or
    comments) and every removed code line (``removed``: base line number and text) lies in a
    function or class that no longer exists in the ``head`` tree, or is an import line."""
    if base is None or head is None or not lang or base.root_node.has_error:
        return False
    if any(not _COMMENT_OR_BLANK.match(text) for text in added):
        return False
    head_defs = definitions(head.root_node, lang, cache=cache)
    gone = [(d.start, d.end) for q, d in definitions(base.root_node, lang, cache=cache).items() if q not in head_defs]
    head_classes = {node_text(n) for c in classes(head.root_node, lang, cache=cache) if (n := c.child_by_field_name("name")) is not None}
    for c in classes(base.root_node, lang, cache=cache):
        name = c.child_by_field_name("name")
        if name is not None and node_text(name) not in head_classes:
            outer = c.parent if c.parent is not None and c.parent.type == "decorated_definition" else c
            gone.append((outer.start_point[0] + 1, outer.end_point[0] + 1))
    for lineno, text in removed:
        if _COMMENT_OR_BLANK.match(text) or _IMPORT_LINE.match(text):
            continue
        if not any(a <= lineno <= b for a, b in gone):
            return False
    return True


def text_lines(root: Node, lang: str, lines: set[int] | None = None) -> set[int]:
    """1-based lines inside multi-line string literals and comments (docstrings, block comments):
    a line-level check must not read prose there as code. With ``lines``, only the literals and
    comments overlapping those are looked at (:func:`find_near`): the answer is then exact for
    the lines of ``lines`` only."""
    out: set[int] = set()
    found = find(root, lang, STRING_TYPES | COMMENT_TYPES) if lines is None else find_near(root, lang, STRING_TYPES | COMMENT_TYPES, lines)
    for n in found:
        start, end = n.start_point[0] + 1, n.end_point[0] + 1
        if end > start:
            out.update(range(start, end + 1))
    return out


def is_generator(func: Node) -> bool:
    """True when a Python function body contains ``yield`` outside nested functions/lambdas/classes.
    A body whose text holds no ``yield`` has no yield node (the keyword is part of its text) and
    is not walked."""
    body = func.child_by_field_name("body")
    if body is None:
        return False
    text = body.text
    if text is not None and b"yield" not in text:
        return False
    return any(True for _ in iter_nodes(body, frozenset({"yield"}), stop=_nested_scope))


def _nested_scope(n: Node) -> bool:
    return n.type in ("function_definition", "lambda", "class_definition", "decorated_definition")


_OWN_STATEMENTS = frozenset({"return_statement", "raise_statement"})
"""Statement types :func:`own_nodes` finds by walking statements only."""
_ASSIGNMENT_HOLDERS = frozenset({"expression_statement", "assignment", "augmented_assignment"})
"""Where an ``assignment`` sits in an error-free Python tree: an expression statement, or the right
side of an assignment (``a = b = c``) or augmented assignment."""
_PY_SCOPES = frozenset({"function_definition", "class_definition", "decorated_definition"})


def own_nodes(func: Node, types: frozenset[str]) -> list[Node]:
    """Nodes of ``types`` in a Python function's body, excluding nested functions, lambdas, classes,
    in document order. For ``return``/``raise`` statements and assignments in an error-free body,
    only statements (and the expression statements holding assignments) are walked, not
    expressions: the same nodes as a walk of every node."""
    body = func.child_by_field_name("body")
    if body is None:
        return []
    if body.type == "block" and not body.has_error and types <= _OWN_STATEMENTS | {"assignment"}:
        return _own_statements(body, types)
    return list(iter_nodes(body, types, stop=_nested_scope))


def _own_statements(body: Node, types: frozenset[str]) -> list[Node]:
    """:func:`own_nodes` of statement types (and ``assignment``) below the error-free ``body``: a
    pre-order walk of statement holders (:data:`_PY_STATEMENT_HOLDERS`, not entering nested
    definitions), and of the expression statements and assignments that may hold an assignment."""
    walked = (_PY_STATEMENT_HOLDERS - _PY_SCOPES) | (_ASSIGNMENT_HOLDERS if "assignment" in types else frozenset())
    out: list[Node] = []
    stack = [body]
    while stack:
        n = stack.pop()
        if n.type in types:
            out.append(n)
        if n is body or n.type in walked:
            stack.extend(reversed(n.named_children))
    return out


def line_of(node: Node) -> int:
    """1-based start line of ``node``."""
    return node.start_point[0] + 1


def end_line_of(node: Node) -> int:
    """1-based end line of ``node``."""
    return node.end_point[0] + 1
