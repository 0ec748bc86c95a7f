"""Check ``removals``: what a change takes away from a module's interface or its import-time
behaviour while the module stays: a method, a parameter, a decorator, the guard
around an import. Written for what reversed bug fixes re-introduce on the development corpora
(issue 12, evals/RESULTS.md "Re-injected bugs", fifth session): a removed ``__reduce__`` (pickling
breaks), a removed ``*args`` (calls with arguments raise ``TypeError``), a removed
``@reprlib.recursive_repr()``, an optional dependency imported unconditionally. Python only; both
versions are parsed with :mod:`ast` (shared per review) only when a changed line could hold such
an edit. Every rule is minor:

- ``logic/removed-definition``: a public or dunder method of a public class whose ``def`` line
  the change removes, and which the head no longer defines or binds in the class that stays; not
  when another changed file adds a ``def`` of the same name (moved). One finding per class (a
  dunder method named first). Code that calls it, or a protocol that looks it up (``__reduce__``
  for pickling, ``__repr__``), now fails or silently falls back to a default. Module-level
  functions do not count: a removed function that is still called is
  ``paths/removed-still-called``'s, and removing a dead one is clean.
- ``logic/removed-parameter``: a function present in both versions lost a named parameter (public
  and dunder functions) or its ``*args``/``**kwargs`` (any function): calls that pass it now raise
  ``TypeError`` or, through ``**kwargs``, pass on an argument nobody reads. One finding per
  parameter name and file (an option taken out of a family of functions is one edit).
- ``logic/changed-decorator``: a decorator of a function or class present in both versions was
  removed or rewritten (``@reprlib.recursive_repr()`` removed; ``@attrs.frozen(eq=False)`` ->
  ``@attrs.frozen(eq=False, hash=False)``; ``@_utils.wraps(f)`` -> ``@six.wraps(f)``), functions
  nested in functions (a wrapper's ``@functools.wraps(fn)``) included. Typing-only and deprecation decorators (``overload``,
  ``override``, ``final``, ``dataclass_transform``, ``deprecated``) and edits of string arguments
  only do not count.
- ``logic/removed-finally``: a ``try`` lost its ``finally:`` while the cleanup statement that
  opened it stays in the same function, now outside any ``finally``: it no longer runs when the
  code above it raises (a context restored, a lock released only on success).
- ``logic/collapsed-conditional``: at module or class level (function bodies are
  ``logic/removed-branch``'s), an ``if`` whose ``if`` line the change removes, and one of whose
  branches now stands unconditionally in the same scope with the test gone from it
  (``if __doc__ is None: ... else: __description__ = __doc__.strip()`` -> the ``else`` alone):
  the case the condition handled is no longer handled at import time.
- ``logic/unguarded-import``: a module-level import that the change adds outside any ``if`` or
  ``try``, of a third-party module that the base imported only under ``if TYPE_CHECKING:`` or in a
  ``try`` that handles ``ImportError``: importing this module now needs that package at runtime
  (and fails where it is missing or differs). Standard-library and the project's own (relative)
  imports do not count.

Test files, deleted and added files are not examined; nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
import sys

from bot.core.diff import FileChange
from bot.core.models import Finding
from subagents._hunks import head_line_for_old
from subagents._pyast import outside_functions
from subagents.checks.logic._lines import (
    added_anywhere,
    finding,
    live_runtime_files,
    shorten,
)
from subagents.checks.logic._scan import AGENT
from subagents.framework import Check
from subagents.logic_calls import qualified_functions, shared_trees, touched_trees
from subagents.view import CheckView

REMOVED_DEFINITION = "logic/removed-definition"
REMOVED_PARAMETER = "logic/removed-parameter"
CHANGED_DECORATOR = "logic/changed-decorator"
UNGUARDED_IMPORT = "logic/unguarded-import"
REMOVED_FINALLY = "logic/removed-finally"
COLLAPSED_CONDITIONAL = "logic/collapsed-conditional"

_DEF_HINT = re.compile(r"^\s*(?:async\s+)?def\s|^\s*@|(?:^\s*|[(,]\s*)\*\*?\s*[A-Za-z_]")
"""A removed line that may remove a definition, a parameter or a decorator (a ``def`` line, a
decorator line, a ``*args`` after a bracket, a comma or at the start of a line: not a
multiplication); a parameter on a line of its own is :func:`_signature_edit`'s."""
_IMPORT_HINT = re.compile(r"^(?:from\s+\S+\s+)?import\s")
"""An added import at column 0: only a module-level import outside any ``if``/``try`` counts."""
_FINALLY = re.compile(r"^\s*finally\s*:")
_IF = re.compile(r"^\s*if\s")
_TYPING_DECORATORS = frozenset({"overload", "override", "final", "no_type_check", "type_check_only", "dataclass_transform",
                                "deprecated"})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))
"""The standard library's top-level module names (:data:`sys.stdlib_module_names`, Python 3.10+)."""
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def run(view: CheckView) -> list[Finding]:
    """The rules of this module over the review's changed Python runtime files, in file order."""
    out: list[Finding] = []
    for fc in live_runtime_files(view, "python"):
        defs = any(_DEF_HINT.search(ln.text) for ln in fc.removed_lines()) or _signature_edit(fc)
        imports = any(_IMPORT_HINT.search(ln.text) for ln in fc.added_lines())
        finals = any(_FINALLY.match(ln.text) for ln in fc.removed_lines())
        ifs = any(_IF.match(ln.text) for ln in fc.removed_lines())
        if not (defs or imports or finals or ifs):
            continue
        # collapsed-conditional reads every test of a module or class scope: the whole files when a
        # removed `if` line may lie there; every other rule reads only what the changed lines touch.
        scoped = ifs and outside_functions(view.files.tree("base", fc.old_path or fc.path, "python"),
                                           [ln.old_lineno for ln in fc.removed_lines() if ln.old_lineno and _IF.match(ln.text)])
        base, head = shared_trees(view, fc) if scoped else touched_trees(view, fc)
        if base is None or head is None:
            continue
        if defs:
            scopes = (_scopes(base), _scopes(head))
            out += removed_definitions(fc, base, head, _moved_defs(view), scopes=scopes)
            out += removed_parameters(fc, base, head, scopes=scopes)
            out += changed_decorators(fc, base, head, scopes=scopes)
        if imports:
            out += unguarded_imports(fc, base, head)
        if finals:
            out += removed_finallys(fc, base, head)
        if ifs:
            out += collapsed_conditionals(fc, base, head)
    return sorted(out, key=lambda f: (f.path or "", f.line or 0))


def _signature_edit(fc: FileChange) -> bool:
    """A removed line that ends inside an open parameter list (``name: T = x,``): a parameter on a
    line of its own (cheap text test; the tree decides)."""
    return any(re.match(r"^\s*[A-Za-z_]\w*\s*(?::[^=]+)?(?:=.+)?,\s*$", ln.text) for ln in fc.removed_lines())


def _moved_defs(view: CheckView) -> set[str]:
    """Names that some ``def`` line added anywhere in the change defines (memoised per review)."""
    def compute() -> set[str]:
        names = set()
        for text in added_anywhere(view):
            m = re.match(r"(?:async)?def([A-Za-z_]\w*)\(", text)
            if m:
                names.add(m.group(1))
        return names
    return view.memo("logic.removals.moved_defs", compute)  # type: ignore[no-any-return]


def _is_public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


# --- the definitions of a module --------------------------------------------------------------


class _Scope:
    """One class body or the module: its functions (name -> node, the first definition of a name
    under ``if``/``try`` included), its classes, and every other name it binds."""

    def __init__(self) -> None:
        self.functions: dict[str, ast.AST] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.bound: set[str] = set()


def _scopes(tree: ast.AST) -> dict[str, _Scope]:
    """Qualified scope name (``""`` for the module, ``Outer.Inner`` for classes) -> its
    :class:`_Scope`; classes nested in functions are left out."""
    out: dict[str, _Scope] = {}
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, qual = stack.pop()
        scope = out.setdefault(qual, _Scope())
        body = list(_statements(node))
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                scope.functions.setdefault(stmt.name, stmt)
            elif isinstance(stmt, ast.ClassDef):
                scope.classes.setdefault(stmt.name, stmt)
                scope.bound.add(stmt.name)
                stack.append((stmt, f"{qual}.{stmt.name}" if qual else stmt.name))
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for t in targets:
                    scope.bound.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
            elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
                scope.bound.update((a.asname or a.name).split(".")[0] for a in stmt.names)
    return out


def _statements(node: ast.AST) -> list[ast.stmt]:
    """The statements of a module or class body, those under ``if``/``try``/``with`` included."""
    out: list[ast.stmt] = []
    todo = list(getattr(node, "body", []))
    while todo:
        stmt = todo.pop(0)
        out.append(stmt)
        if isinstance(stmt, (ast.If, ast.Try, ast.With)):
            todo[:0] = [*stmt.body, *getattr(stmt, "orelse", []), *getattr(stmt, "finalbody", []),
                        *(s for h in getattr(stmt, "handlers", []) for s in h.body)]
    return out


def _is_overload(func: ast.AST) -> bool:
    return any(ast.unparse(d).split(".")[-1] == "overload" for d in getattr(func, "decorator_list", []))


# --- logic/removed-definition -------------------------------------------------------------------


Scopes = tuple[dict[str, "_Scope"], dict[str, "_Scope"]]
"""``(_scopes(base), _scopes(head))``, computed once per file by :func:`run` and shared by the rules."""


def removed_definitions(fc: FileChange, base: ast.AST, head: ast.AST, moved: set[str],
                        scopes: Scopes | None = None) -> list[Finding]:
    """``logic/removed-definition``: see the module doc; one finding per definition, at the head
    line of the change block that removed its ``def`` line. ``scopes``: both trees' scopes when
    the caller has them."""
    removed = fc.changed_old_lines()
    bscopes, hscopes = scopes or (_scopes(base), _scopes(head))
    out = []
    for qual, bscope in bscopes.items():
        hscope = hscopes.get(qual)
        if hscope is None:
            continue  # the class itself went (or moved): not a method removed from a class that stays
        if not qual:
            continue  # module-level functions: their callers are paths/removed-still-called's, a dead one's removal is clean
        if qual.rsplit(".", 1)[-1].startswith("_") and not _is_public(qual.rsplit(".", 1)[-1]):
            continue  # a private class: its callers are this module's own
        gone = []
        for name, func in bscope.functions.items():
            dunder = name.startswith("__") and name.endswith("__")
            public = _is_public(name)
            if (not public or func.lineno not in removed or name in hscope.functions or name in hscope.bound
                    or name in moved or _is_overload(func)):
                continue
            gone.append((name, func, dunder))
        if not gone:
            continue
        name, func, dunder = next((g for g in gone if g[2]), gone[0])
        where = f"class `{qual}`" if qual else "the module"
        what = f"`{qual}.{name}`" if qual else f"`{name}()`"
        more = f" (and {len(gone) - 1} more of its definitions)" if len(gone) > 1 else ""
        why = (f"Python looks `{name}` up on the class (pickling, printing, comparison, ...), so that behaviour "
               "silently falls back to the default" if dunder else "code that calls it now raises AttributeError "
               "or NameError, and a framework that looks it up by name (a plugin hook) no longer finds it")
        out.append(finding(
            REMOVED_DEFINITION, fc.path, head_line_for_old(fc, func.lineno), f"{qual + '.' if qual else ''}{name}",
            f"{what}{more} was removed while {where} stays: {why}.",
            f"Keep `{name}`, or say in the description why nothing needs it any more.",
        ))
    return out



# --- logic/removed-parameter --------------------------------------------------------------------


def _all_functions(scopes: dict[str, _Scope]) -> dict[str, ast.AST]:
    """Qualified name -> function for module- and class-level functions (``@overload`` stubs left out)."""
    out: dict[str, ast.AST] = {}
    for qual, scope in scopes.items():
        for name, func in scope.functions.items():
            if not _is_overload(func):
                out[f"{qual}.{name}" if qual else name] = func
    return out


def removed_parameters(fc: FileChange, base: ast.AST, head: ast.AST, scopes: Scopes | None = None) -> list[Finding]:
    """``logic/removed-parameter``: see the module doc; one finding per function, at the head line
    of the change block that removed its first lost parameter."""
    removed = fc.changed_old_lines()
    bscopes, hscopes = scopes or (_scopes(base), _scopes(head))
    hfuncs = _all_functions(hscopes)
    out = []
    seen: dict[str, list[str]] = {}
    for qual, bfunc in _all_functions(bscopes).items():
        hfunc = hfuncs.get(qual)
        if hfunc is None:
            continue
        bargs, hargs = bfunc.args, hfunc.args  # type: ignore[attr-defined]
        hnames = {a.arg for a in [*hargs.posonlyargs, *hargs.args, *hargs.kwonlyargs]}
        lost: list[tuple[str, ast.arg]] = []
        if _is_public(qual.rsplit(".", 1)[-1]):
            lost += [(a.arg, a) for a in [*bargs.posonlyargs, *bargs.args, *bargs.kwonlyargs]
                     if a.arg not in hnames and a.arg not in ("self", "cls")]
        if bargs.vararg is not None and hargs.vararg is None:
            lost.append((f"*{bargs.vararg.arg}", bargs.vararg))
        if bargs.kwarg is not None and hargs.kwarg is None:
            lost.append((f"**{bargs.kwarg.arg}", bargs.kwarg))
        lost = [(n, a) for n, a in lost if a.lineno in removed]
        if not lost:
            continue
        name, arg = lost[0]
        if name in seen:
            seen[name].append(qual)
            continue  # the same parameter taken out of several functions: one finding, at the first
        seen[name] = [qual]
        others = f" (and {', '.join(f'`{n}`' for n, _ in lost[1:])})" if len(lost) > 1 else ""
        absorbed = " or, through `**kwargs`, pass on an argument nobody reads" if hargs.kwarg is not None and not name.startswith("*") else ""
        out.append(finding(
            REMOVED_PARAMETER, fc.path, head_line_for_old(fc, arg.lineno), f"{qual}({name})",
            f"`{qual}` no longer takes `{name}`{others}: calls that pass it now raise TypeError{absorbed}.",
            f"Keep `{name}`, or update every caller and say so in the description.",
        ))
    return out


# --- logic/changed-decorator --------------------------------------------------------------------


def _decorated(scopes: dict[str, _Scope]) -> dict[str, ast.AST]:
    """Qualified name -> function or class node, for module- and class-level definitions."""
    out: dict[str, ast.AST] = {}
    for qual, scope in scopes.items():
        for name, node in [*scope.functions.items(), *scope.classes.items()]:
            out.setdefault(f"{qual}.{name}" if qual else name, node)
    return out


def _callee(dec: ast.expr) -> str:
    return ast.unparse(dec.func if isinstance(dec, ast.Call) else dec)


def _blank_strings(node: ast.expr) -> str:
    """``ast.dump`` of ``node`` with every string constant emptied."""
    copy = ast.parse(ast.unparse(node), mode="eval")
    for n in ast.walk(copy):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            n.value = ""
    return ast.dump(copy)


def changed_decorators(fc: FileChange, base: ast.AST, head: ast.AST, scopes: Scopes | None = None) -> list[Finding]:
    """``logic/changed-decorator``: see the module doc; one finding per definition, at the head
    line of its decorators' change."""
    removed, added = fc.changed_old_lines(), fc.changed_new_lines()
    bscopes, hscopes = scopes or (_scopes(base), _scopes(head))
    hdefs, bdefs = _decorated(hscopes), _decorated(bscopes)
    nested = any(ln.text[:1].isspace() and ln.text.lstrip().startswith("@") for ln in fc.removed_lines())
    for tree, defs in ((base, bdefs), (head, hdefs)) if nested else ():  # functions nested in functions too
        for qual, node in qualified_functions(tree).items():
            if node.decorator_list or tree is head:  # type: ignore[attr-defined]
                defs.setdefault(qual, node)
    out = []
    for qual, bnode in bdefs.items():
        if not any(d.lineno in removed for d in bnode.decorator_list):  # type: ignore[attr-defined]
            continue
        hnode = hdefs.get(qual)
        if hnode is None or type(hnode) is not type(bnode) or _is_overload(bnode):
            continue
        hdecs = {ast.dump(d): d for d in hnode.decorator_list}  # type: ignore[attr-defined]
        hcallees = {_callee(d): d for d in hnode.decorator_list}  # type: ignore[attr-defined]
        for dec in bnode.decorator_list:  # type: ignore[attr-defined]
            callee = _callee(dec)
            if ast.dump(dec) in hdecs or callee.split(".")[-1] in _TYPING_DECORATORS or dec.lineno not in removed:
                continue
            new = hcallees.get(callee) or next(
                (d for d in hnode.decorator_list if d.lineno in added and _callee(d).split(".")[-1] == callee.split(".")[-1]  # type: ignore[attr-defined]
                 and ast.dump(d) not in {ast.dump(x) for x in bnode.decorator_list}), None)  # type: ignore[attr-defined]
            if new is not None and _blank_strings(new) == _blank_strings(dec):
                continue  # only a message or other string argument changed
            if new is not None and new.lineno in added:
                line = new.lineno
                what = f"`@{ast.unparse(dec)}` became `@{ast.unparse(new)}`"
            elif new is None:
                line = head_line_for_old(fc, dec.lineno)
                what = f"`@{ast.unparse(dec)}` was removed"
            else:
                continue
            out.append(finding(
                CHANGED_DECORATOR, fc.path, line, f"{qual}: @{ast.unparse(dec)}"[:120],
                f"On `{qual}`, {what}: the decorator decides how it is called, cached, registered or compared, "
                "and that behaviour changes with it.",
                "Keep the decorator as it was, or say in the description why its behaviour is no longer needed.",
            ))
            break
    return out


# --- logic/unguarded-import ---------------------------------------------------------------------


def _module_imports(tree: ast.AST) -> tuple[dict[str, list[ast.stmt]], dict[str, list[ast.stmt]]]:
    """Module-level imports of third-party modules by module name (:func:`_tops`): ``(unguarded,
    guarded)``, guarded meaning under ``if TYPE_CHECKING:`` (either branch of such an ``if`` but
    the runtime ``else``) or in a ``try`` that handles ``ImportError``."""
    unguarded: dict[str, list[ast.stmt]] = {}
    guarded: dict[str, list[ast.stmt]] = {}

    def visit(stmts: list[ast.stmt], guard: bool) -> None:
        for stmt in stmts:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for top in _tops(stmt):
                    (guarded if guard else unguarded).setdefault(top, []).append(stmt)
            elif isinstance(stmt, ast.If):
                typing_only = "TYPE_CHECKING" in ast.unparse(stmt.test)
                visit(stmt.body, guard or typing_only)
                visit(stmt.orelse, guard or (typing_only and not ast.unparse(stmt.test).startswith("not ")))
            elif isinstance(stmt, ast.Try):
                handles = any(h.type is None or {n.id for n in ast.walk(h.type) if isinstance(n, ast.Name)} & _IMPORT_ERRORS
                              for h in stmt.handlers)
                visit(stmt.body, guard or handles)
                for h in stmt.handlers:
                    visit(h.body, True)
                visit(stmt.orelse, guard or handles)
                visit(stmt.finalbody, guard)

    visit(list(getattr(tree, "body", [])), False)
    return unguarded, guarded


def _tops(stmt: ast.Import | ast.ImportFrom) -> list[str]:
    """The third-party modules an import statement loads, by full dotted name (relative and
    standard-library imports give none): ``from _pytest.python import X`` needs ``_pytest.python``
    even where ``_pytest.fixtures`` is imported unconditionally."""
    if isinstance(stmt, ast.ImportFrom):
        if stmt.level or not stmt.module:
            return []
        names = [stmt.module]
    else:
        names = [a.name for a in stmt.names]
    return [n for n in names if n.split(".")[0] not in _STDLIB and n != "__future__"]


def unguarded_imports(fc: FileChange, base: ast.AST, head: ast.AST) -> list[Finding]:
    """``logic/unguarded-import``: see the module doc; one finding per package, at the added import."""
    added = fc.changed_new_lines()
    bunguarded, bguarded = _module_imports(base)
    hunguarded, _ = _module_imports(head)
    own = _own_package(fc.path)
    out = []
    for top, stmts in hunguarded.items():
        if top in bunguarded or top not in bguarded or top.split(".")[0] == own:
            continue
        stmt = next((s for s in stmts if any(n in added for n in range(s.lineno, (s.end_lineno or s.lineno) + 1))), None)
        if stmt is None:
            continue
        line = min(n for n in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1) if n in added)
        out.append(finding(
            UNGUARDED_IMPORT, fc.path, line, ast.unparse(stmt),
            f"`{ast.unparse(stmt)[:80]}` now runs when the module is imported; before, `{top}` was imported only for "
            "type checking or inside a `try` that handles ImportError, so importing this module now fails where "
            f"`{top}` is missing or lacks that name.",
            f"Keep the import under `if TYPE_CHECKING:` (or its `try`), or say in the description why `{top}` is now "
            "required at runtime.",
        ))
    return out


# --- logic/removed-finally ---------------------------------------------------------------------


def _function_bodies(tree: ast.AST) -> dict[str, ast.AST]:
    """Qualified name -> function (definitions' own nesting only), and ``""`` -> the module:
    :func:`subagents.logic_calls.qualified_functions`."""
    return {"": tree, **qualified_functions(tree, descend=())}


def _own_nodes(func: ast.AST) -> list[ast.AST]:
    """Every node of ``func``'s own body (nested functions and classes left out)."""
    out: list[ast.AST] = []
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


def removed_finallys(fc: FileChange, base: ast.AST, head: ast.AST) -> list[Finding]:
    """``logic/removed-finally``: see the module doc; one finding per ``try``, at the head line of
    its first cleanup statement."""
    removed = fc.changed_old_lines()
    hfuncs = _function_bodies(head)
    out = []
    for qual, bfunc in _function_bodies(base).items():
        hfunc = hfuncs.get(qual)
        if hfunc is None or not qual:
            continue  # module-level try/finally is not examined
        candidates = [node for node in _own_nodes(bfunc) if isinstance(node, ast.Try) and node.finalbody and (
            node.finalbody[0].lineno - 1 in removed or any(n in removed for n in range(node.lineno, node.finalbody[0].lineno)))]
        if not candidates:
            continue
        hnodes = _own_nodes(hfunc)
        protected = {ast.dump(s) for n in hnodes if isinstance(n, ast.Try) for s in n.finalbody}
        plain = {ast.dump(n): n for n in hnodes if isinstance(n, ast.stmt)}
        for node in candidates:
            first = node.finalbody[0]
            kept = plain.get(ast.dump(first))
            if kept is None or ast.dump(first) in protected:
                continue
            where = f"in `{qual}`" if qual else "at module level"
            out.append(finding(
                REMOVED_FINALLY, fc.path, kept.lineno, f"{qual}: finally: {ast.unparse(first)}"[:120],
                f"`{shorten(ast.unparse(first))}` {where} ran in a `finally:` and now runs only when the code before it "
                "does not raise: on an error the cleanup (a restored state, a released lock) is skipped.",
                "Keep the `try`/`finally`, or say in the description why the code before it cannot raise.",
            ))
    return out


# --- logic/collapsed-conditional ----------------------------------------------------------------


def _scope_bodies(tree: ast.AST) -> dict[str, list[ast.stmt]]:
    """Module (``""``) and class bodies by qualified name: their direct statements."""
    out: dict[str, list[ast.stmt]] = {"": list(getattr(tree, "body", []))}
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, qual = stack.pop()
        for stmt in _statements(node):
            if isinstance(stmt, ast.ClassDef):
                name = f"{qual}.{stmt.name}" if qual else stmt.name
                out.setdefault(name, list(stmt.body))
                stack.append((stmt, name))
    return out


def collapsed_conditionals(fc: FileChange, base: ast.AST, head: ast.AST) -> list[Finding]:
    """``logic/collapsed-conditional``: see the module doc; one finding per ``if``, at the head
    line of the branch that stands alone."""
    removed = fc.changed_old_lines()
    hbodies = _scope_bodies(head)
    out = []
    for qual, bbody in _scope_bodies(base).items():
        hbody = hbodies.get(qual)
        if hbody is None:
            continue
        candidates = [node for node in bbody if isinstance(node, ast.If) and node.lineno in removed]
        if not candidates:
            continue
        direct = {ast.dump(s): s for s in hbody}
        tests = {ast.dump(n.test) for s in hbody for n in ast.walk(s) if isinstance(n, (ast.If, ast.IfExp))}
        for node in candidates:
            if ast.dump(node.test) in tests:
                continue
            for branch, words in ((node.orelse, "its `else` branch"), (node.body, "its body")):
                kept = direct.get(ast.dump(branch[0])) if branch else None
                if kept is None:
                    continue
                where = f"in class `{qual}`" if qual else "at module level"
                out.append(finding(
                    COLLAPSED_CONDITIONAL, fc.path, kept.lineno, f"{qual}: if {ast.unparse(node.test)}"[:120],
                    f"The `if {shorten(ast.unparse(node.test))}:` {where} was removed and {words} now runs "
                    "unconditionally: the case the condition handled is no longer handled when the module is imported.",
                    "Keep the condition, or say in the description why that case can no longer happen.",
                ))
                break
    return out


def _own_package(path: str) -> str:
    """The top-level package a source path belongs to (``src/trio/_dtls.py`` -> ``trio``)."""
    parts = path.split("/")
    if parts and parts[0] in ("src", "lib", "python") and len(parts) > 2:
        parts = parts[1:]
    return parts[0].removesuffix(".py") if parts else ""


CHECK = Check(name="removals", agent=AGENT, rules=(
    CHANGED_DECORATOR, COLLAPSED_CONDITIONAL, REMOVED_DEFINITION, REMOVED_FINALLY, REMOVED_PARAMETER, UNGUARDED_IMPORT),
              run=run, languages=("python",), order=18)

__all__ = ["CHECK", "run"]
