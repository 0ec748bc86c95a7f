"""Check ``call_paths`` of the execution_paths agent: follow each changed symbol to its callers across
the head tree.

For every definition the diff touches (the innermost one around each added or removed line;
removed ones read from the base revision), with the head :class:`~bot.codeindex.CodeIndex`:

- ``paths/removed-symbol-still-called`` (critical; major when the only callers are guessed by
  a unique method name): a function, class or constant removed (or moved by renaming its
  file) while calls, imports or reads of it through the old module remain. A call guessed by a
  method name alone does not count while the head still defines a method of that name (a renamed
  type keeps its methods), nor does a bare call naming a parameter of its enclosing function (it
  calls the argument: a pytest fixture received by a test).
- ``paths/stale-call-site`` (major; minor for name-guessed callers): the parameters changed and a
  call site accepted by the old signature is rejected by the new one (too many or too few
  positional arguments, an unknown or missing keyword), or still accepted but with a positional
  argument now landing on a different parameter (one removed or inserted before it). Call
  sites passing ``*args`` / ``**kwargs`` are not judged.
- ``paths/changed-constant-used`` (minor; major when used in more than 3 files): a module-level
  constant (``UPPER_CASE`` or a string) whose value changed and which other files read.
- ``paths/wide-reach`` (info; minor above 10 call sites or 5 files; major above 20 files, all
  counted outside test code): how many call sites, files and entry points a behaviour change
  reaches, with a call path.
  Changes to comments, docstrings and layout only are not counted (canonical token streams of
  :mod:`subagents._canonical`).

Evidence steps are ``"path:line symbol"`` (the changed definition first, then each caller).
Confidence: 0.9 for Python, 0.75 when JS/TS/Go code changed, 0.5 when code in a language without
an extractor changed. Bounded by the review's deadline (``view.time_left()``): under 0.2 s left it
stops and reports ``truncated``.
"""

from __future__ import annotations

import ast
import bisect
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from tree_sitter import Node, Tree

from bot.codeindex import (
    MAX_FILE_BYTES,
    SUPPORTED_LANGUAGES,
    CallSite,
    CodeIndex,
    Definition,
    FileSymbols,
    Param,
    Step,
    accepts,
    extract,
    family_of,
    is_test_path,
    shifted,
)
from bot.codeindex.extract import extract_definitions
from bot.core.diff import ChangeKind, FileChange
from bot.core.languages import language_for_path
from bot.core.models import Finding, Severity
from subagents import _canonical, _syntax
from subagents._hunks import head_line_for_old
from subagents.framework import Check, CheckResult
from subagents.view import CheckView

AGENT = "execution_paths"
CONFIDENCE = {"python": 0.9, "ecmascript": 0.75, "go": 0.75}
CONFIDENCE_UNSUPPORTED = 0.5
MIN_TIME_LEFT = 0.2
"""Seconds: below this much time left the agent stops and reports truncation."""
MAX_CALLS_LISTED = 10
MAX_REACH_FINDINGS = 15
MAX_STALE_PER_SYMBOL = 10
_OTHER_CODE_EXTENSIONS = frozenset(
    ".c .h .cc .cpp .cxx .hpp .cs .php .kt .kts .swift .scala .sh .bash .pl .pm .lua .m .mm .r .dart .ex .exs "
    ".erl .clj .hs .ml .vue .svelte .groovy .java .rs .rb".split()
)
_DEF_NODE_TYPES = frozenset(
    {
        "function_definition", "class_definition", "assignment", "function_declaration", "generator_function_declaration",
        "class_declaration", "abstract_class_declaration", "method_definition", "variable_declarator",
        "interface_declaration", "type_alias_declaration", "enum_declaration", "method_declaration", "type_spec",
        "const_spec", "var_spec",
    }
)
_SKIP_SIGNATURE_DECORATORS = ("overload", "typing.overload", "property", "cached_property", "functools.cached_property")


class _Defs(NamedTuple):
    """The module name and definitions of one file version (:func:`extract_definitions`)."""

    module: str
    definitions: tuple[Definition, ...]


@dataclass
class Changed:
    """One changed symbol: its definitions in base and head (either may be None)."""

    fc: FileChange
    key: str
    base: Definition | None
    head: Definition | None


def run(view: CheckView) -> CheckResult:
    """Find stale call sites, removed-but-used symbols, changed constants in use, and reach."""
    code = [f for f in view.diff.files if not f.is_binary and not f.is_submodule]
    supported = [f for f in code if f.language in SUPPORTED_LANGUAGES]
    unsupported = [f for f in code if f.language not in SUPPORTED_LANGUAGES and _is_code(f.path)]
    notes: list[str] = []
    confidence = min((CONFIDENCE[family_of(f.language or "")] for f in supported), default=0.9)
    if unsupported:
        confidence = min(confidence, CONFIDENCE_UNSUPPORTED)
        notes.append(f"{len(unsupported)} changed code file(s) in languages without an extractor: not traced")
    truncated = view.diff.truncated
    if truncated:
        notes.append("diff truncated: only the files shown were traced")
    if not supported:
        return CheckResult(findings=[], confidence=confidence, truncated=truncated, notes=notes)
    index = view.code_index()
    if index is None:
        index = view.build_code_index()
        notes.append("no shared code index: built one for this agent")
    run = _Run(view, index)
    run.read_cached_base(supported)
    for sym in run.all_changed(supported):
        if run.out_of_time():
            truncated = True
            notes.append("stopped early: review time budget nearly used up")
            break
        run.check(sym)
    if not truncated and not run.reach_all():
        truncated = True
        notes.append("stopped early: review time budget nearly used up")
    return CheckResult(findings=run.finish(notes), confidence=confidence, truncated=truncated, notes=notes)


def _is_code(path: str) -> bool:
    return posixpath.splitext(path)[1].lower() in _OTHER_CODE_EXTENSIONS


def _local_key(d: Definition, module: str) -> str:
    return d.qualname[len(module) + 1 :] if d.qualname.startswith(module + ".") else d.qualname


def _innermost(defs: tuple[Definition, ...], lines: list[int]) -> list[Definition]:
    """For each line, the innermost definition containing it (deduplicated, in definition order):
    the containing definition that starts last (nested definitions start after their parents)."""
    if not lines:
        return []
    order = sorted(range(len(defs)), key=lambda i: (defs[i].line, -defs[i].end_line))
    starts = [defs[i].line for i in order]
    chosen: set[int] = set()
    for line in lines:
        k = bisect.bisect_right(starts, line) - 1
        while k >= 0:
            d = defs[order[k]]
            if d.end_line >= line:
                chosen.add(order[k])
                break
            k -= 1
    return [defs[i] for i in sorted(chosen)]


def _same_go_package(old: str, new: str) -> bool:
    """True when Go files ``old`` and ``new`` lie in the same directory (one package): a symbol
    moved between them keeps its qualified name for every caller in the package."""
    return old.endswith(".go") and new.endswith(".go") and posixpath.dirname(old) == posixpath.dirname(new)


def _moved_within_go_package(index: CodeIndex, b: Definition) -> bool:
    """True when ``b`` (a Go definition removed from its file) is defined in the head by another
    file of the same directory, with the same qualified name: Go packages are directories. Only
    the other files of that directory are decoded (a method name such as ``Close`` is defined in
    hundreds of files of a large Go repository: decoding them all took ~150 ms of one grpc-go
    review)."""
    if not b.path.endswith(".go"):
        return False
    directory = posixpath.dirname(b.path)

    def in_directory(path: str) -> bool:
        return path != b.path and posixpath.dirname(path) == directory

    return any(in_directory(d.path) and d.qualname == b.qualname for d in index.iter_definitions(b.name, in_paths=in_directory))


def _python_assignment(data: bytes | None, d: Definition) -> ast.Assign | ast.AnnAssign | None:
    """The module-level assignment statement of ``d`` parsed with :mod:`ast` (parsing only), or None."""
    if data is None:
        return None
    lines = data.decode("utf-8", "replace").splitlines()[d.line - 1:d.end_line]
    try:
        tree = ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    stmt = tree.body[0] if len(tree.body) == 1 else None
    return stmt if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None else None


def _is_type_alias(stmt: ast.Assign | ast.AnnAssign) -> bool:
    return isinstance(stmt, ast.AnnAssign) and ast.unparse(stmt.annotation).split(".")[-1] == "TypeAlias"


def _signature(params: tuple[Param, ...] | None) -> tuple[tuple[str, str, bool], ...]:
    return tuple((p.name, p.kind, p.has_default) for p in params or ())


class _Run:
    """State of one analysis: the context, the index, findings and per-file caches."""

    def __init__(self, ctx: CheckView, index: CodeIndex) -> None:
        self.ctx = ctx
        self._added_by_path = {fc.path: fc.changed_new_lines() for fc in ctx.diff.files}
        self.index = index
        self.findings: list[Finding] = []
        self.reach: list[tuple[int, Finding]] = []
        self.reach_todo: list[tuple[Changed, Definition]] = []
        self.notes: list[str] = []
        self._fc: FileChange | None = None
        self._head_data: bytes | None = None
        self._base_data: bytes | None = None
        self._base_syms: _Defs | None = None
        self._cached_base: dict[str, tuple[str, tuple[Definition, ...]]] = {}

    def read_cached_base(self, files: list[FileChange]) -> None:
        """Take the base definitions of ``files`` that the index's symbol cache holds (one query:
        :meth:`CodeIndex.cached_definitions`), for :meth:`_base_symbols`."""
        wanted: list[tuple[str, str, bytes]] = []
        for fc in files:
            if fc.kind is ChangeKind.added:
                continue
            path = fc.old_path or fc.path
            data = self.ctx.files.read("base", path)
            if data is not None and len(data) <= MAX_FILE_BYTES:
                wanted.append((path, fc.language or "", data))
        self._cached_base = self.index.cached_definitions(wanted)

    def out_of_time(self) -> bool:
        left = self.ctx.time_left()
        return left is not None and left < MIN_TIME_LEFT

    # ------------------------------------------------------------ symbols
    def _head_symbols(self, fc: FileChange) -> tuple[FileSymbols | None, bytes | None]:
        lang = fc.language or ""
        if fc.kind is ChangeKind.deleted:
            return None, None
        data = self.ctx.files.read("head", fc.path)
        syms = self.index.file(fc.path)
        if syms is None and data is not None and len(data) <= MAX_FILE_BYTES:
            syms = extract(lang, fc.path, data, tree=_syntax.parsed(self.ctx.files, "head", fc.path, lang, data))
        return syms, data

    def _base_symbols(self, fc: FileChange) -> tuple[_Defs | None, bytes | None]:
        """The base version's definitions (extracted without calls, imports and references: only
        definitions are read from the base)."""
        lang = fc.language or ""
        if fc.kind is ChangeKind.added:
            return None, None
        path = fc.old_path or fc.path
        data = self.ctx.files.read("base", path)
        if data is None or len(data) > MAX_FILE_BYTES:
            return None, data
        cached = self._cached_base.get(path)
        if cached is not None:  # the same input's extraction, from the symbol cache
            return _Defs(*cached), data
        return _Defs(*extract_definitions(lang, path, data, tree=_syntax.parsed(self.ctx.files, "base", path, lang, data))), data

    def all_changed(self, files: list[FileChange]) -> Iterator[Changed]:
        """Changed symbols of every file, lazily (per-file state is set while its symbols run)."""
        for fc in files:
            yield from self.changed_symbols(fc)

    def changed_symbols(self, fc: FileChange) -> list[Changed]:
        """Innermost definitions around added (head) and removed (base) lines, paired by local name."""
        head, self._head_data = self._head_symbols(fc)
        base, self._base_data = self._base_symbols(fc)
        self._base_syms = base
        self._fc = fc
        head_defs = {_local_key(d, head.module): d for d in reversed(head.definitions)} if head else {}
        base_defs = {_local_key(d, base.module): d for d in reversed(base.definitions)} if base else {}
        keys: list[str] = []
        if head is not None:
            keys += [_local_key(d, head.module) for d in _innermost(head.definitions, sorted(fc.changed_new_lines()))]
        if base is not None:
            removed = sorted(ln.old_lineno for ln in fc.removed_lines() if ln.old_lineno is not None)
            if fc.kind in (ChangeKind.deleted, ChangeKind.renamed):  # every module-level name moved or went
                keys += [_local_key(d, base.module) for d in base.definitions if d.parent is None]
            if fc.kind is not ChangeKind.deleted:
                keys += [_local_key(d, base.module) for d in _innermost(base.definitions, removed)]
        seen: set[str] = set()
        out: list[Changed] = []
        for k in keys:
            if k not in seen:
                seen.add(k)
                out.append(Changed(fc, k, base_defs.get(k), head_defs.get(k)))
        return out

    def _node(self, side: str, d: Definition) -> tuple[Node, bool] | None:
        """The syntax node of ``d`` in the current file's ``side`` and whether that tree has errors."""
        fc = self._fc
        data = self._head_data if side == "head" else self._base_data
        path = fc.path if side == "head" else (fc.old_path or fc.path)
        tree: Tree | None = _syntax.parsed(self.ctx.files, side, path, fc.language, data)
        if tree is None or data is None:
            return None
        starts = self.ctx.files.line_starts(side, path)  # once per review: the preparse computed most
        if starts is None:
            return None
        node = _def_node(tree, data, starts, d)
        return None if node is None else (node, tree.root_node.has_error)

    def _body_changed(self, sym: Changed) -> bool:
        """Whether the code of a symbol changed beyond layout, comments and docstrings (canonical
        streams; equal text in error-free trees needs no stream)."""
        if sym.base is None or sym.head is None:
            return True
        b, h = self._node("base", sym.base), self._node("head", sym.head)
        if b is None or h is None:
            return True
        if not b[1] and not h[1] and _syntax.same_source(b[0], h[0]):
            return False
        python = self._fc.language == "python"
        if not b[1] and not h[1]:
            return _canonical.differs(b[0], h[0], python=python)
        return _canonical.canonical(b[0], python=python) != _canonical.canonical(h[0], python=python)

    def _same_value(self, sym: Changed) -> bool:
        """True when a Python constant's value did not change although its text did: both sides
        parse to the same expression (a string re-wrapped from triple quotes into concatenated
        parts, ``Box("...")`` with its argument re-wrapped), or it is a type alias (``X: TypeAlias = ...``: read by annotations only). On the
        findings corpus 17 of 18 changed-constant findings were of these kinds."""
        if sym.base is None or sym.head is None or self._fc.language != "python":
            return False
        base = _python_assignment(self._base_data, sym.base)
        head = _python_assignment(self._head_data, sym.head)
        if base is None or head is None:
            return False
        if _is_type_alias(base) and _is_type_alias(head):
            return True
        # The same syntax tree: Python's parser folds adjacent string literals and quoting styles
        # into one constant, so a re-wrapped string or call argument compares equal.
        return ast.dump(base.value) == ast.dump(head.value)  # type: ignore[arg-type]

    # ------------------------------------------------------------- checks
    def check(self, sym: Changed) -> None:
        """Run every check that applies to one changed symbol."""
        b, h = sym.base, sym.head
        if b is not None and h is None:
            self._removed(sym, b)
            return
        if h is None:
            return
        if b is not None and b.parent is None and b.path != h.path:
            self._removed(sym, b, moved_to=h)
        if b is not None and h.kind in ("function", "method") and b.kind == h.kind:
            if _signature(b.params) != _signature(h.params):
                self._stale_calls(sym, b, h)
        if (b is not None and h.kind == "constant" and h.parent is None and self._body_changed(sym)
                and not self._same_value(sym)):
            self._constant_used(sym, h)
        if b is not None and h.kind in ("function", "method", "class") and self._body_changed(sym):
            self.reach_todo.append((sym, h))

    def _anchor_line(self, sym: Changed) -> int | None:
        if sym.head is not None:
            return sym.head.line
        if sym.fc.kind is ChangeKind.deleted or sym.base is None:
            return None
        return head_line_for_old(sym.fc, sym.base.line)

    def _trace_up(self, call: CallSite, depth: int = 2) -> list[Step]:
        caller = self.index.definition(call.scope, call.path)
        if caller is None:
            return []
        paths = self.index.trace(caller, depth=depth, fan_out=2, max_paths=1)
        return paths[0][1:] if paths else []

    def _removed(self, sym: Changed, b: Definition, moved_to: Definition | None = None) -> None:
        """``b`` is gone from its module (``moved_to``: it now lives in another file, after a
        rename): report calls, imports and reads that still resolve to the old place. A Go symbol
        that the head still defines in another file of the same directory moved within its package:
        every caller still compiles (gin #4467 moved helpers to utils.go), so nothing is reported."""
        if moved_to is None and _moved_within_go_package(self.index, b):
            return
        if moved_to is not None and _same_go_package(b.path, moved_to.path):
            return  # a Go file renamed or split within its directory (gorilla/mux 8771f97: context_native.go -> context.go)
        calls = self.index.resolved_callers(b) if b.kind in ("function", "method", "class") else []
        if b.kind == "method" and calls and self._maybe_inherited(sym, b):
            calls = [(c, how) for c, how in calls if how not in ("local", "inherit", "name")]
        if moved_to is not None or (b.kind == "method" and self._method_still_defined(b)):
            # A call matched by its method name alone (the receiver unknown) calls the method of
            # that name the head still defines, not the removed one (echo #2419 renamed the type
            # methodHandler to routeMethods, keeping its methods).
            calls = [(c, how) for c, how in calls if how != "name"]
        elif b.kind == "method" and self._extends_external(b):
            # The method implements an interface defined outside the repository: other objects of
            # that interface answer to the same name (marshmallow 70d95e1 removed `UTC(tzinfo)`; the
            # calls `dt.utcoffset()` and pytz's `tz.localize()` were never its own).
            calls = [(c, how) for c, how in calls if how != "name"]
        calls = [(c, how) for c, how in calls if not self._shadowed(c)]
        uses = [] if b.kind in ("function", "method", "class") else self.index.references(b)
        if sym.fc.kind is not ChangeKind.deleted:
            uses = [u for u in uses if u.path != b.path]
        imports = self.index.importers(b)
        if not calls and not uses and not imports:
            return
        strong = any(how != "name" for _, how in calls) or uses or imports
        gone = "removed" if moved_to is None else f"moved to {moved_to.path}"
        steps = [Step(b.path, b.line, f"{b.qualname} ({gone})")]
        steps += [Step(c.path, c.line, c.scope) for c, _ in calls[:MAX_CALLS_LISTED]]
        steps += [Step(r.path, r.line, f"import {r.name}") for r in imports[:MAX_CALLS_LISTED]]
        steps += [Step(r.path, r.line, f"reads {r.name}") for r in uses[:MAX_CALLS_LISTED]]
        if calls:
            steps += self._trace_up(calls[0][0])
        where = {c.path for c, _ in calls} | {r.path for r in imports} | {r.path for r in uses}
        kind = "called" if calls else "imported" if imports else "read"
        first = calls[0][0] if calls else None
        path, line = sym.fc.path, self._anchor_line(sym)
        if line is None and first is not None:
            path, line = first.path, first.line
        total = len(calls) + len(imports) + len(uses)
        self.findings.append(
            Finding.make(
                rule_id="paths/removed-symbol-still-called",
                agent=AGENT,
                severity=Severity.critical if strong else Severity.major,
                path=path,
                line=line,
                message=(
                    (
                        f"`{b.qualname}` was removed but is still {kind}"
                        if moved_to is None
                        else f"`{b.qualname}` moved to `{moved_to.qualname}` but is still {kind} from its old module"
                    )
                    + f": {total} use(s) in {len(where)} file(s)"
                    + ("" if strong else " (matched by method name only)")
                ),
                evidence=[s.render() for s in steps],
                suggestion="Update or remove the remaining uses, or keep a deprecated alias.",
                anchor=f"{'removed' if moved_to is None else 'moved'} {b.qualname}",
            )
        )

    def _method_still_defined(self, b: Definition) -> bool:
        """True when the head tree defines a method named like the removed method ``b`` (in the
        same language family): a call guessed by that name resolves to it."""
        fam = family_of(language_for_path(b.path) or "")
        return any(d.kind == "method" and family_of(language_for_path(d.path) or "") == fam
                   for d in self.index.iter_definitions(b.name))

    def _extends_external(self, b: Definition) -> bool:
        """True when the class of the removed method ``b`` (in the base version of its file) has a
        base class that no file of the head tree defines: a library's class, such as ``tzinfo``."""
        syms = self._base_syms
        if not b.parent or syms is None:
            return False
        cls = next((d for d in syms.definitions if d.kind == "class" and d.qualname == b.parent), None)
        if cls is None:
            return False
        return any(not any(d.kind == "class" for d in self.index.iter_definitions(base.rsplit(".", 1)[-1]))
                   for base in cls.bases if base.rsplit(".", 1)[-1] not in ("object", "ABC", "Generic", "Protocol"))

    def _shadowed(self, call: CallSite) -> bool:
        """True when a bare call ``name(...)`` names a parameter of its enclosing function (or of a
        function enclosing that one): it calls the argument, not a module-level definition. A
        pytest test calls the fixture value it receives by parameter (jinja #1807 moved the
        ``run_async_fn`` fixture to conftest.py; the tests calling ``run_async_fn(...)`` were fine)."""
        if call.callee != call.name:
            return False
        scope: str | None = call.scope
        for _ in range(8):  # nesting depth bound
            d = self.index.definition(scope, call.path) if scope else None
            if d is None:
                return False
            if d.params and any(p.name == call.name for p in d.params):
                return True
            scope = d.parent
        return False

    def _maybe_inherited(self, sym: Changed, b: Definition) -> bool:
        """A method removed from a class that still exists with base classes, while some class in
        the head tree defines a method of that name: ``self.name()`` may now be inherited."""
        if not b.parent or sym.fc.kind is ChangeKind.deleted:
            return False
        class_key = sym.key.rsplit(".", 1)[0]
        head_class = None
        for d in self.index.definitions(b.parent.rsplit(".", 1)[-1]):
            entry = self.index.files.get(d.path)
            if d.kind == "class" and d.path == sym.fc.path and entry and _local_key(d, entry.module) == class_key:
                head_class = d
        if head_class is None or not head_class.bases:
            return False
        return any(d.kind == "method" for d in self.index.iter_definitions(b.name))

    def _call_edited(self, call: CallSite) -> bool:
        """True when the change adds a line of ``call`` (its first line or one of the next lines
        its arguments can span): the author updated that call with the signature (echo #2267
        re-ordered ``newNode``'s parameters and rewrote its three calls in the same change)."""
        added = self._added_by_path.get(call.path)
        if not added:
            return False
        span = max(call.positional + len(call.keywords), 1) + 1
        return any(line in added for line in range(call.line, call.line + span + 1))

    def _stale_calls(self, sym: Changed, b: Definition, h: Definition) -> None:
        if any(dec.split("(", 1)[0] in _SKIP_SIGNATURE_DECORATORS for dec in h.decorators):
            return
        strict = sym.fc.language != "javascript"
        _, bound = self.index.call_name(h)
        stale: list[tuple[CallSite, str, str]] = []
        for call, how in self.index.resolved_callers(h):
            if self._call_edited(call):
                continue  # the change wrote or updated this call together with the signature
            call_bound = bound and not _explicit_self(call, h)
            now = accepts(h.params or (), call_bound, call, strict_missing=strict)
            before = accepts(b.params or (), call_bound, call, strict_missing=strict)
            if before is not True or now is None:
                continue
            if now is False:
                stale.append((call, how, "still matches the old signature only"))
                continue
            moved = shifted(b.params or (), h.params or (), call_bound, call)
            if moved is not None:
                stale.append((call, how, f"passes a positional argument that now binds to `{moved[1]}` instead of `{moved[0]}`"))
        for call, how, why in stale[:MAX_STALE_PER_SYMBOL]:
            steps = [Step(h.path, h.line, f"{h.qualname}{h.signature}"), Step(call.path, call.line, call.scope)]
            steps += self._trace_up(call)
            args = f"{call.positional} positional" + (f", keywords {', '.join(call.keywords)}" if call.keywords else "")
            self.findings.append(
                Finding.make(
                    rule_id="paths/stale-call-site",
                    agent=AGENT,
                    severity=Severity.major if how != "name" else Severity.minor,
                    path=h.path,
                    line=h.line,
                    message=(
                        f"`{h.name}` changed from `{b.signature}` to `{h.signature}` but the call at "
                        f"{call.path}:{call.line} ({args}) {why}"
                        + ("" if how != "name" else " (callee matched by method name only)")
                    ),
                    evidence=[s.render() for s in steps],
                    suggestion=f"Update the call in {call.path} (or give the new parameter a default).",
                    anchor=f"stale {h.qualname} {call.path} {call.scope} {call.callee}",
                )
            )
        if len(stale) > MAX_STALE_PER_SYMBOL:
            self.notes.append(f"{len(stale) - MAX_STALE_PER_SYMBOL} more stale call sites of {h.qualname} not listed")

    def _constant_used(self, sym: Changed, h: Definition) -> None:
        uses = [r for r in self.index.references(h) if r.path != h.path]
        if not uses:
            return
        files = sorted({r.path for r in uses})
        non_test = [f for f in files if not is_test_path(f)]
        severity = Severity.major if len(non_test) > 3 else Severity.minor
        evidence = [Step(h.path, h.line, h.qualname).render()]
        evidence += [Step(r.path, r.line, f"reads {r.name}").render() for r in uses[:MAX_CALLS_LISTED]]
        self.findings.append(
            Finding.make(
                rule_id="paths/changed-constant-used",
                agent=AGENT,
                severity=severity,
                path=h.path,
                line=h.line,
                message=f"Constant `{h.name}` changed and is read in {len(uses)} place(s) in {len(files)} other file(s)",
                evidence=evidence,
                suggestion="Check that every reader expects the new value.",
                anchor=f"constant {h.qualname}",
            )
        )

    def reach_all(self) -> bool:
        """Reach findings for changed symbols that may have callers (files calling their name
        first), until the time budget or :data:`MAX_REACH_FINDINGS` x 2 computations; False when
        the budget cut it short."""
        todo = self.reach_todo
        if len(todo) <= 2 * MAX_REACH_FINDINGS and len({(h.path, h.line) for _, h in todo}) == len(todo):
            # Every symbol is computed (time allowing) and finish() orders the findings, so the
            # ranking by callers' files is not needed; it would make a lazy index parse every
            # file that mentions each name.
            ranked = sorted(((0, sym, h) for sym, h in todo), key=lambda x: (x[2].path, x[2].line))
        else:
            ranked = sorted(
                ((len(self.index.paths_calling(self.index.call_name(h)[0])), sym, h) for sym, h in todo),
                key=lambda x: (-x[0], x[2].path, x[2].line),
            )
        for n, (_files, sym, h) in enumerate(ranked):
            if self.out_of_time():
                return False
            if n >= 2 * MAX_REACH_FINDINGS:
                self.notes.append(f"reach computed for the {n} most-called changed symbols only")
                break
            self._wide_reach(sym, h)
        return True

    def _wide_reach(self, sym: Changed, h: Definition) -> None:
        reach = self.index.reach(h, depth=3)
        if reach.call_sites == 0:
            return
        direct = [c for c, _ in self.index.resolved_callers(h)]
        real = [c for c in direct if not is_test_support_call(c)]
        helper_only = {c.path for c in direct} - {c.path for c in real}
        files = [f for f in reach.files if not is_test_support_path(f) and f not in helper_only]
        calls = len(real)
        entries = [e for e in reach.entry_points if e != h.qualname]
        if not files and not entries:
            return  # reaches no other file and no entry point outside tests and test helpers: nothing to look at
        if len(files) > 20:
            severity = Severity.major
        elif calls > 10 or len(files) > 5:
            severity = Severity.minor
        else:
            severity = Severity.info
        paths = self.index.trace(h, depth=3, fan_out=3, max_paths=3)
        steps: list[Step] = max(paths, key=len) if paths else [Step(h.path, h.line, h.qualname)]
        evidence = [s.render() for s in steps]
        entries = ", ".join(reach.entry_points[:5]) or "none found"
        finding = Finding.make(
            rule_id="paths/wide-reach",
            agent=AGENT,
            severity=severity,
            path=h.path,
            line=h.line,
            message=(
                f"`{h.qualname}` is called from {reach.call_sites} call site(s) ({calls} outside tests); the change reaches "
                f"{len(reach.files)} file(s) ({len(files)} outside tests) and {len(reach.entry_points)} "
                f"entry point(s): {entries}" + ("" if reach.complete else " (search bounded)")
            ),
            evidence=evidence,
            anchor=f"reach {h.qualname}",
        )
        self.reach.append((len(reach.files) * 1000 + reach.call_sites, finding))

    def finish(self, notes: list[str]) -> list[Finding]:
        """All findings, the widest reach findings first among reach ones (capped)."""
        ranked = sorted(self.reach, key=lambda x: (-x[0], x[1].path or "", x[1].line or 0))
        if len(ranked) > MAX_REACH_FINDINGS:
            notes.append(f"{len(ranked) - MAX_REACH_FINDINGS} smaller reach findings omitted")
        notes.extend(self.notes)
        return self.findings + [f for _, f in ranked[:MAX_REACH_FINDINGS]]


_TEST_HELPER_DIRS = frozenset({"testutil", "testutils", "testhelpers", "testhelper", "test_helpers", "test_utils",
                               "testing_utils", "mocks", "mock", "fakes", "stubs", "conftest"})
_TEST_HELPER_FILE = re.compile(r"^(?:_?testing|testutils?|test_?helpers?|mocks?|fakes?)\.(?:py|go|[cm]?[jt]sx?)$"
                               r"|_testutils?\.go$|\.mock\.[cm]?[jt]sx?$", re.IGNORECASE)
_TEST_HELPER_SCOPE = re.compile(r"(?:^|\.)(?:_*test|Test|assert|Assert|mock|Mock|fake|Fake|stub|Stub)\w*$")


def is_test_support_path(path: str) -> bool:
    """Test code (:func:`is_test_path`) or a test helper module: a ``testutil``/``mocks``/``fakes``
    directory, or a file named ``testing.py``, ``testutil.go``, ``test_helpers.ts``, ``*.mock.ts``."""
    if is_test_path(path):
        return True
    parts = path.split("/")
    return any(p.lower() in _TEST_HELPER_DIRS for p in parts[:-1]) or bool(_TEST_HELPER_FILE.search(parts[-1]))


def is_test_support_call(call: CallSite) -> bool:
    """A call from test code, a test helper module, or a helper function named like a test or a
    test double (``test_x``, ``TestX``, ``assert_valid``, ``mock_client``, ``fake_store``)."""
    return is_test_support_path(call.path) or bool(_TEST_HELPER_SCOPE.search(call.scope))


def _explicit_self(call: CallSite, d: Definition) -> bool:
    """``Class.method(obj, ...)``: the instance is passed explicitly."""
    if d.kind != "method" or not d.parent or any(x in ("classmethod", "staticmethod") for x in d.decorators):
        return False
    prefix = call.callee.rsplit(".", 1)[0] if "." in call.callee else ""
    return prefix == d.parent.rsplit(".", 1)[-1]


def _def_node(tree: Tree, data: bytes, starts: list[int], d: Definition) -> Node | None:
    """The definition node spanning exactly ``d``'s lines (decorators excluded), or None."""
    row, end = d.line - 1, d.end_line - 1
    if row >= len(starts):
        return None
    pos = starts[row]
    limit = starts[row + 1] if row + 1 < len(starts) else len(data)
    while pos < limit and data[pos] in b" \t\f":
        pos += 1
    node: Node | None = tree.root_node.descendant_for_byte_range(pos, pos)
    while node is not None:
        if node.type in _DEF_NODE_TYPES and node.start_point[0] == row and node.end_point[0] == end:
            return node
        node = node.parent
    return None


CHECK = Check(name="call_paths", agent=AGENT, rules=(
    "paths/changed-constant-used", "paths/removed-symbol-still-called", "paths/stale-call-site", "paths/wide-reach",
), run=run)
"""One check for the four rules: they share the changed symbols, the code index lookups and the
reach budget (the wide-reach findings are ranked across all symbols, :meth:`_Run.finish`)."""

__all__ = ["AGENT", "CHECK", "Changed", "is_test_support_call", "is_test_support_path", "run"]
