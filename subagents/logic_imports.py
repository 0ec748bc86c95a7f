"""Import edits that change behaviour, for the logic agent's ``logic/untested-behaviour-change``
check (issue 12): the check otherwise treats imports as typing or layout. Parsing only
(:mod:`ast` and regular expressions): nothing from the change is imported or run.

Three edits count as behaviour, and plain re-ordering or re-formatting of imports does not
(:func:`only_reorders_imports`):

- **A removed re-export** (:func:`removed_reexports`): a public name that a public module
  imported for others to import from it stops being imported there, so ``from pkg.mod import
  name`` breaks for every user. A name counts as re-exported when it is listed in the module's
  ``__all__``, imported in the redundant-alias form (``from m import x as x``, the form PEP 484
  and type checkers treat as an explicit re-export), imported by a package's ``__init__.py``, or
  imported by a public module from a private one (``from ._core import x`` in ``socket.py``) and
  never used by the module itself.
- **A new or dropped runtime dependency on ``typing_extensions``**
  (:func:`typing_dependency_changed`): :class:`subagents.logic_typing.StripTypes` removes
  ``typing_extensions`` imports as typing-only, but at module level such an import runs, and the
  package is a third-party one: moving it out of ``if TYPE_CHECKING:`` makes importing the module
  fail wherever the package is absent; moving it in breaks any runtime use of the name.
- **Module-level changes are exercised only by test code that names them**
  (:func:`changed_line_names`): when no function is involved, the changed test code must name a
  name on the changed lines (or the module), not merely sit in a test file that imports it.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import posixpath
import re
from collections.abc import Iterable, Iterator

from bot.core.diff import FileChange

_TYPING_DEPENDENCY = re.compile(rb"^(?:from\s+typing_extensions\s+import\b|import\s+typing_extensions\b)", re.MULTILINE)
"""A module-level (column 0) import of ``typing_extensions``: a runtime dependency."""

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMMON = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | frozenset({
    "self", "cls", "import", "from", "typing", "TYPE_CHECKING", "annotations", "__future__", "__all__",
})
"""Words on a changed line that name nothing the change made: keywords, builtins, ``self``."""


def typing_dependency_changed(base: bytes | None, head: bytes | None) -> bool:
    """True when exactly one of the two file versions imports ``typing_extensions`` at module
    level (a line starting in column 0; imports under ``if TYPE_CHECKING:``, ``try:`` or a version
    check are indented and do not count). ``None`` (file absent) counts as no import."""
    return bool(base and _TYPING_DEPENDENCY.search(base)) != bool(head and _TYPING_DEPENDENCY.search(head))


def changed_line_names(fc: FileChange, *, min_length: int = 3) -> list[str]:
    """Identifiers (``min_length`` characters or more) on the added and removed lines of ``fc``,
    keywords, builtins and ``self`` left out, in first-seen order: what test code must name to
    exercise a module-level change (a constant, an import, an ``__all__`` entry). Comment text
    after ``#`` is ignored; string contents count (``__all__`` lists names as strings)."""
    seen: dict[str, None] = {}
    for ln in [*fc.added_lines(), *fc.removed_lines()]:
        code = ln.text.split("#", 1)[0]
        for word in _IDENT.findall(code):
            if len(word) >= min_length and word not in _COMMON:
                seen.setdefault(word, None)
    return list(seen)


def removed_reexports(path: str, base: bytes | None, head: bytes | None) -> list[str]:
    """Public names that the base version of Python module ``path`` re-exports (see the module
    doc) and the head version no longer imports or defines, sorted. Empty when either version is
    absent or does not parse, or for a private module (file stem starting with ``_`` other than
    ``__init__``)."""
    if base is None or head is None:
        return []
    stem = posixpath.splitext(posixpath.basename(path))[0]
    package = stem == "__init__"
    if stem.startswith("_") and not package:
        return []
    try:
        base_tree, head_tree = ast.parse(base), ast.parse(head)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    head_bound = _bound_names(head_tree)
    exported = _all_entries(base_tree)
    gone = [(name, node, alias) for name, node, alias in _imports(base_tree) if name not in head_bound]
    if not gone:
        return []
    used = _used_names(base_tree)
    out: set[str] = set()
    for name, node, alias in gone:
        if name.startswith("_"):
            continue
        explicit = alias.asname is not None and alias.asname == alias.name
        private_source = isinstance(node, ast.ImportFrom) and _private_module(node)
        if name in exported or explicit or (package and isinstance(node, ast.ImportFrom)) or (
            private_source and name not in used
        ):
            out.add(name)
    return sorted(out)


_IMPORT_EDIT_LINE = re.compile(r"^\s*(?:import\b.*|from\s+\S+\s+import\b.*|[\w\s,.()]*)$")
"""A changed line that can only belong to an import statement: ``import x``, ``from m import (``,
a continuation line of names (``    a, b as c,``), a closing parenthesis, or a blank line."""


def only_reorders_imports(fc: FileChange, base: bytes | None, head: bytes | None) -> bool:
    """True when ``fc`` (a Python file) only re-orders, re-wraps or re-formats its module-level
    imports: every changed line looks like part of an import (a cheap gate, so the two versions
    are parsed only then), both versions bind the same imports (module, level, name, alias), and
    without the top-level import statements the two modules are equal. False when either version
    is absent or does not parse."""
    if base is None or head is None:
        return False
    lines = [ln.text for ln in (*fc.added_lines(), *fc.removed_lines())]
    if not lines or not all(_IMPORT_EDIT_LINE.match(text) for text in lines):
        return False
    try:
        trees = [ast.parse(base), ast.parse(head)]
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    imports = [sorted(_import_keys(t.body)) for t in trees]
    rest = [ast.dump(ast.Module(body=[s for s in t.body if not isinstance(s, (ast.Import, ast.ImportFrom))], type_ignores=[]))
            for t in trees]
    return imports[0] == imports[1] and rest[0] == rest[1]


def _import_keys(body: list[ast.stmt]) -> list[tuple[str, int, str, str]]:
    """``(module, level, name, alias)`` of each import among the top-level statements ``body``."""
    out = []
    for stmt in body:
        if isinstance(stmt, ast.ImportFrom):
            out += [(stmt.module or "", stmt.level, a.name, a.asname or "") for a in stmt.names]
        elif isinstance(stmt, ast.Import):
            out += [("", 0, a.name, a.asname or "") for a in stmt.names]
    return out


def _module_statements(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, descending into top-level ``if``/``try`` blocks (imports and
    assignments there still bind module names); ``if TYPE_CHECKING:`` bodies bind nothing at run time."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            if ast.unparse(stmt.test).split(".")[-1] == "TYPE_CHECKING":
                yield from _module_statements(stmt.orelse)
                continue
            yield from _module_statements(stmt.body)
            yield from _module_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            for block in (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody):
                yield from _module_statements(block)
        else:
            yield stmt


def _imports(tree: ast.Module) -> Iterator[tuple[str, ast.Import | ast.ImportFrom, ast.alias]]:
    """``(bound name, import statement, alias)`` for each module-level import of ``tree``."""
    for stmt in _module_statements(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            for alias in stmt.names:
                if alias.name == "*":
                    continue
                yield (alias.asname or alias.name.split(".")[0]), stmt, alias


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module binds at run time: imports, definitions and assignment targets."""
    names = {name for name, _, _ in _imports(tree)}
    for stmt in _module_statements(tree.body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def _all_entries(tree: ast.Module) -> set[str]:
    """The string entries of the module's ``__all__`` list or tuple literals (``=`` and ``+=``)."""
    out: set[str] = set()
    for stmt in _module_statements(tree.body):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AugAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            value = stmt.value
            if isinstance(value, (ast.List, ast.Tuple)):
                out |= {e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return out


def _used_names(tree: ast.Module) -> set[str]:
    """Names the module reads anywhere (``ast.Name`` loads and the roots of attribute chains)."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _private_module(node: ast.ImportFrom) -> bool:
    """``from ._core import x`` / ``from pkg._impl import x``: the source is a private module."""
    parts = (node.module or "").split(".")
    return any(p.startswith("_") and not p.startswith("__") for p in parts if p)
