"""Python ``ast`` trees of the two versions of one changed file, holding only the definitions the
change touches (issue 14: the logic checks' work grows with the changed lines and their enclosing
definitions, not with the file).

The logic checks that read :mod:`ast` trees (``subagents.logic_calls``, ``subagents.checks.logic``'s
``conditions``, ``contracts``, ``dataflow``, ``dropped`` and ``slips``) all work the same way: they
start from a changed line (a removed line on the base side, an added one on the head side, or the
line next to it), take the function, class or module scope that encloses it, and compare that scope
with the scope of the same qualified name on the other side. Nothing they report depends on a
definition that no changed line touches. So each version is parsed from a copy of its text in which
every other definition is replaced by blank lines: line numbers and columns stay those of the file,
and the statements kept are parsed exactly as in the whole file.

What is kept, per side, chosen on the review's tree-sitter trees (:mod:`bot.core.changeset`):

- every top-level definition (``def``, ``class``, decorated or not) that holds a changed line or the
  line before one, on either side, and every definition of the same name on both sides (so the
  first definition of a name still wins, as over the whole file);
- inside a class kept that way, the same rule applies to its methods: a method no changed line
  touches is blanked out, while the class's own code (attributes, docstring, nested classes) is
  kept, so that every name the class binds is still there (a changed line in that code keeps
  nothing more: each check compares the class's own code, or a method, with its namesake). A
  statement of the class body that may define a method (``if TYPE_CHECKING: def ...``, ``try``) is
  own code, kept; every method named like one it may define, on either side, is then kept too, so
  that for each name either all its definitions are there or none is, and the first one still wins
  (:func:`_conditional_names`). The whole class is kept when nothing of it would be left.

The whole text is parsed instead (the result is then the whole file's tree, as before) when a
changed line lies in module-level code outside a definition, when a statement outside the kept
definitions may define one of their names (``if ...: def f()``; only a compound statement can, see
:data:`_SIMPLE`), when a kept definition shares a
line with another statement, when tree-sitter found a syntax error or has no tree, and when the text
holds a carriage return or a NUL character (line numbering could then differ between tree-sitter and
Python) or a line of another Python version's syntax that tree-sitter accepts (:data:`_OTHER_VERSIONS`).
One difference remains possible: a file that tree-sitter parses without error but this Python rejects
for another reason (a non-default parameter after a default one, a nested f-string quote of Python
3.12) gives None as a whole and a tree of its kept definitions here when the offending statement is
blanked out; the checks may then report on a file they skipped before (more findings, never fewer).

Pure: reads texts and trees, never imports or runs the code.
"""

from __future__ import annotations

import ast
import bisect
import re
import unicodedata
from collections.abc import Iterable

from tree_sitter import Node, Tree

from bot.core import changeset

_DEFS = frozenset({"function_definition", "class_definition"})
_DEF_NAME = re.compile(r"\b(?:def|class)\s+(\w+)")
_OTHER_VERSIONS = tuple(re.compile(p) for p in (
    r"def[ \t]+\w+[ \t]*\[", r"class[ \t]+\w+[ \t]*\[", r"type[ \t]+\w+[ \t]*[\[=]", r"print[ \t]+[^\s(=]", r"exec[ \t]+[^\s(=]",
))
"""Syntax that tree-sitter's grammar accepts but this Python may not parse, when it starts a line
(:func:`_other_versions`): PEP 695 type parameters and ``type`` aliases (Python 3.12), Python 2's
``print x`` and ``exec code``. One pattern each, starting with a word, so that a search skips ahead
to that word (five searches cost less than one pattern of five alternatives)."""


def _other_versions(text: str) -> bool:
    """A line of ``text`` starts (after indentation, or ``async``) with :data:`_OTHER_VERSIONS`:
    the whole text is then parsed, so that a file this Python rejects stays rejected."""
    for pattern in _OTHER_VERSIONS:
        for m in pattern.finditer(text):
            before = text[text.rfind("\n", 0, m.start()) + 1:m.start()].strip()
            if before in ("", "async"):
                return True
    return False


class _Full(Exception):
    """Parse the whole texts: the kept definitions cannot be chosen safely."""


def parse(text: str | None) -> ast.AST | None:
    """``ast`` tree of a whole Python text; None for no text, a text larger than
    :data:`bot.core.changeset.MAX_PARSE_BYTES` (the parse-once view leaves such files unparsed, and
    the safety agent then withholds approval) or one that does not parse."""
    if text is None or len(text) > changeset.MAX_PARSE_BYTES:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _definition(node: Node) -> Node | None:
    """The ``def``/``class`` node of a top-level or member statement, else None."""
    if node.type == "decorated_definition":
        node = node.child_by_field_name("definition") or node
    return node if node.type in _DEFS else None


def _name(node: Node) -> str:
    name = node.child_by_field_name("name")
    text = "" if name is None or name.text is None else name.text.decode("utf-8", "replace")
    return unicodedata.normalize("NFKC", text)  # as Python's parser normalises identifiers


def _members(scope: Node) -> list[Node]:
    """The statements (and comments) of a module, or of a class's body."""
    if scope.type == "module":
        return list(scope.children)
    body = scope.child_by_field_name("body")
    return [] if body is None else list(body.children)


def _rows(node: Node) -> range:
    return range(node.start_point[0], node.end_point[0] + 1)


def _touched(node: Node, rows: list[int]) -> bool:
    """True when one of the sorted ``rows`` lies in ``node``'s rows (a search, not a walk of a
    large class's thousands of rows)."""
    i = bisect.bisect_left(rows, node.start_point[0])
    return i < len(rows) and rows[i] <= node.end_point[0]


def _header_rows(member: Node, definition: Node) -> range | None:
    """Rows of a class statement above its body (decorators, ``class`` line, bases), or None when
    the body starts on the header's last row (``class C: pass``): such a class is kept whole."""
    body = definition.child_by_field_name("body")
    colon = body.prev_sibling if body is not None else None
    if body is None or colon is None or body.start_point[0] <= colon.end_point[0]:
        return None
    return range(member.start_point[0], body.start_point[0])


def _seed(scope: Node, rows: set[int], prefix: Path, whole: set[Path], partial: set[Path],
          ordered: list[int] | None = None) -> None:
    """Record the definitions under ``scope`` that the changed ``rows`` touch: a function whole, a
    class partially (its members decide) unless its header changed; code outside a definition: in a
    class nothing more (a partially kept class keeps all its own code), at module level the path
    ``()`` in ``whole`` (every module-level statement is kept). ``ordered``: ``rows`` sorted."""
    if ordered is None:
        ordered = sorted(rows)
    for member in _members(scope):
        if member.type == "comment" or not _touched(member, ordered):
            continue
        definition = _definition(member)
        if definition is None:
            if not prefix:
                whole.add(prefix)
            continue
        path = (*prefix, _name(definition))
        header = _header_rows(member, definition) if definition.type == "class_definition" else None
        if header is None or any(r in rows for r in header):
            whole.add(path)
        else:
            partial.add(path)
            _seed(definition, rows, path, whole, partial, ordered)


_SIMPLE = frozenset({
    "expression_statement", "return_statement", "pass_statement", "import_statement", "import_from_statement",
    "future_import_statement", "assert_statement", "delete_statement", "raise_statement", "global_statement",
    "nonlocal_statement", "break_statement", "continue_statement", "print_statement", "exec_statement",
    "type_alias_statement",
})
"""tree-sitter's simple statements: none can hold a ``def`` or ``class`` statement (only compound
statements have blocks), so none defines a function or class, whatever words its text holds (a
docstring's "the class for ...")."""


def _may_define(member: Node) -> set[str]:
    """Names a statement outside a definition may define as a definition (a superset): none for a
    simple statement (:data:`_SIMPLE`), else every name after ``def``/``class`` in its text."""
    if member.type in _SIMPLE:
        return set()
    text = member.text or b""
    if b"def" not in text and b"class" not in text:
        return set()
    return {unicodedata.normalize("NFKC", n) for n in _DEF_NAME.findall(text.decode("utf-8", "replace"))}


def _keep(scope: Node, prefix: Path, whole: set[Path], partial: set[Path], out: list[range]) -> bool:
    """Append to ``out`` the row ranges to keep under ``scope`` (the module, or a partially kept
    class): the definitions named in ``whole`` entirely, those in ``partial`` by their header and
    their own kept members. False (nothing appended) when a partially kept class would keep no
    member. Raises :class:`_Full` when a statement left out may define a kept name or shares a row
    with a kept definition."""
    names = {p[len(prefix)] for p in whole | partial if len(p) > len(prefix) and p[:len(prefix)] == prefix}
    in_class = bool(prefix)
    code = in_class or prefix in whole  # a class keeps its own code; the module when () is whole
    kept: list[range] = []
    edges: set[int] = set()
    dropped: list[Node] = []
    for member in _members(scope):
        if member.type == "comment":
            continue
        definition = _definition(member)
        if definition is None:
            if in_class and any((*prefix, name) not in whole for name in _may_define(member)):
                return False  # a method it may define is not kept with its namesakes: keep the class whole
            if code:
                kept.append(_rows(member))
                edges.update((member.start_point[0], member.end_point[0]))
            elif names & _may_define(member):
                raise _Full
            else:
                dropped.append(member)
            continue
        path = (*prefix, _name(definition))
        if path not in whole and path not in partial:
            if in_class and definition.type == "class_definition":
                kept.append(_rows(member))  # a nested class: its name is bound in the class, like an attribute
                edges.update((member.start_point[0], member.end_point[0]))
            else:
                dropped.append(member)
            continue
        header = _header_rows(member, definition) if definition.type == "class_definition" else None
        inner: list[range] = []
        if path in partial and header is not None and _keep(definition, path, whole, partial, inner):
            kept += [header, *inner]
        else:
            kept.append(_rows(member))
        edges.update((member.start_point[0], member.end_point[0]))
    if not kept:
        return False
    if any(node.start_point[0] in edges or node.end_point[0] in edges for node in dropped):
        raise _Full
    out.extend(kept)
    return True


def _classes_at(tree: Tree, path: Path) -> list[Node]:
    """The class definitions of ``tree`` at the qualified ``path`` (through classes only; a name
    defined twice gives both, as :func:`_keep` keeps both)."""
    scopes = [tree.root_node]
    for name in path:
        scopes = [d for scope in scopes for member in _members(scope) if member.type != "comment"
                  and (d := _definition(member)) is not None and d.type == "class_definition" and _name(d) == name]
    return scopes


def _conditional_names(trees: tuple[Tree, Tree], partial: set[Path]) -> set[Path]:
    """Paths of every method a statement of a partially kept class's body (``partial``) may define
    (:func:`_may_define`: ``if TYPE_CHECKING: def __getattr__``), on either side: kept whole with
    all their namesakes, so that blanking the class's other methods changes no name's first
    definition."""
    out: set[Path] = set()
    for path in partial:
        for tree in trees:
            for cls in _classes_at(tree, path):
                for member in _members(cls):
                    if member.type != "comment" and _definition(member) is None:
                        out.update((*path, name) for name in _may_define(member))
    return out


def _rows_to_keep(tree: Tree, seeds: Iterable[int], whole: set[Path], partial: set[Path]) -> None:
    rows = set()
    for line in seeds:  # 1-based changed lines: the line and the one before it
        rows.update((line - 1, line - 2))
    _seed(tree.root_node, rows, (), whole, partial)


def outside_functions(tree: Tree | None, lines: Iterable[int]) -> bool:
    """Whether one of the 1-based ``lines`` may lie in module-level or class-level code of
    ``tree`` (outside every function); True when unsure (no tree, a syntax error, a line inside a
    statement other than a definition, which may hold a class)."""
    if tree is None or tree.root_node.has_error:
        return True
    for line in lines:
        scope: Node | None = tree.root_node
        while scope is not None:
            member = next((m for m in _members(scope) if m.type != "comment" and (line - 1) in _rows(m)), None)
            if member is None:
                break  # a blank or comment line of this scope
            definition = _definition(member)
            if definition is None:
                return True
            scope = definition if definition.type == "class_definition" else None
    return False


def _blanked(text: str, keep: list[range]) -> str:
    """``text`` with every line outside ``keep`` (0-based row ranges) emptied."""
    lines = text.split("\n")
    out = [""] * len(lines)
    for rows in keep:
        out[rows.start:rows.stop] = lines[rows.start:rows.stop]
    return "\n".join(out)


def _usable(text: str | None, tree: Tree | None) -> bool:
    return (text is not None and tree is not None and not tree.root_node.has_error
            and "\r" not in text and "\x00" not in text and len(text) <= changeset.MAX_PARSE_BYTES
            and not _other_versions(text))


def touched_texts(base_text: str | None, head_text: str | None, base_tree: Tree | None, head_tree: Tree | None,
                  removed: Iterable[int], added: Iterable[int]) -> tuple[str | None, str | None]:
    """The texts :func:`touched_trees` parses: ``base_text`` and ``head_text`` with every line
    outside the definitions that the ``removed`` (base) and ``added`` (head) 1-based lines touch
    emptied (see the module doc), or the texts themselves, unchanged, when those definitions cannot
    be chosen safely. ``base_tree``/``head_tree`` are the tree-sitter trees of the same texts."""
    if not (_usable(base_text, base_tree) and _usable(head_text, head_tree)):
        return base_text, head_text
    assert base_text is not None and head_text is not None and base_tree is not None and head_tree is not None
    whole: set[Path] = set()
    partial: set[Path] = set()
    try:
        _rows_to_keep(base_tree, removed, whole, partial)
        _rows_to_keep(head_tree, added, whole, partial)
        if () in whole:  # module-level code kept: with every definition it may make (``if X: def f()``)
            whole.update((name,) for tree in (base_tree, head_tree) for member in tree.root_node.children
                         if member.type != "comment" and _definition(member) is None for name in _may_define(member))
        partial -= {p for p in partial if any(p[:len(w)] == w for w in whole if w)}
        whole |= _conditional_names((base_tree, head_tree), partial)
        partial -= {p for p in partial if any(p[:len(w)] == w for w in whole if w)}
        keeps: list[list[range]] = [[], []]
        for tree, keep in ((base_tree, keeps[0]), (head_tree, keeps[1])):
            _keep(tree.root_node, (), whole, partial, keep)
    except _Full:
        return base_text, head_text
    return _blanked(base_text, keeps[0]), _blanked(head_text, keeps[1])


def touched_trees(base_text: str | None, head_text: str | None, base_tree: Tree | None, head_tree: Tree | None,
                  removed: Iterable[int], added: Iterable[int]) -> tuple[ast.AST | None, ast.AST | None]:
    """``(base, head)`` ``ast`` trees of one changed Python file holding the definitions that the
    ``removed`` (base) and ``added`` (head) 1-based lines touch (see the module doc), or the whole
    files' trees (:func:`parse`) when those cannot be chosen safely. ``base_tree``/``head_tree`` are
    the tree-sitter trees of the same texts. None for a side whose text is None, too large or does
    not parse."""
    base, head = touched_texts(base_text, head_text, base_tree, head_tree, removed, added)
    return parse(base), parse(head)


__all__ = ["outside_functions", "parse", "touched_texts", "touched_trees"]
