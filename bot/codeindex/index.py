"""The code index of one tree: lookups of definitions, callers, callees, references and call paths.

Build with :meth:`CodeIndex.build` (or :func:`bot.codeindex.build_index`). Each file keeps a small
header (its imports and the names it defines, calls and reads) in memory; its full symbols are
decoded on first use, so a query touches only the files that mention the name asked about.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.codeindex.builder import BuildStats, collect, decode_data, header_of
from bot.codeindex.model import CallSite, Definition, FileSymbols, Import, Reference
from bot.codeindex.navigate import Navigation, Reach
from bot.core.paths import is_test_path
from bot.codeindex.resolve import Resolution, family_of

if TYPE_CHECKING:  # typing only: importing protocols pulls in pydantic
    from bot.core.protocols import TreeView

__all__ = ["CodeIndex", "FileEntry", "Reach", "is_test_path"]


class FileEntry:
    """One indexed file: header fields eagerly, :class:`FileSymbols` decoded on demand."""

    __slots__ = (
        "path", "blob", "language", "module", "imports", "exports", "has_main", "def_names", "call_names",
        "ref_names", "lines", "errors", "class_bases", "mentions", "_data", "_symbols", "_by_qual", "_locals",
    )

    def __init__(self, path: str, blob: str, header: list, data: bytes | None, symbols: FileSymbols | None = None) -> None:
        language, module, imports, exports, has_main, defs, calls, refs, lines, errors, bases = header
        self.path = path
        self.blob = blob
        self.language: str = language
        self.module: str = module
        self.imports: tuple[Import, ...] = tuple(i if isinstance(i, Import) else Import(*i) for i in imports)
        self.exports: tuple[str, ...] | None = None if exports is None else tuple(exports)
        self.has_main = bool(has_main)
        self.def_names: frozenset[str] = frozenset(defs)
        self.call_names: frozenset[str] = frozenset(calls)
        self.ref_names: frozenset[str] = frozenset(refs)
        self.lines = int(lines)
        self.errors = bool(errors)
        self.class_bases: tuple[tuple[str, tuple[str, ...]], ...] = tuple((c, tuple(b)) for c, b in bases)
        self.mentions: frozenset[str] = (
            self.def_names | self.call_names | {i.alias for i in self.imports} | {i.name for i in self.imports if i.name}
        )
        """Names this file defines, calls or imports (a cheap filter before decoding its calls)."""
        self._data = data
        self._symbols = symbols
        self._by_qual: dict[str, Definition] | None = None
        self._locals: dict[tuple[str, str], str] | None = None

    @classmethod
    def from_symbols(cls, symbols: FileSymbols, blob: str = "") -> FileEntry:
        """An entry for already extracted symbols (tests, single files)."""
        return cls(symbols.path, blob, header_of(symbols), None, symbols)

    def symbols(self) -> FileSymbols:
        """The file's full symbols (decoded from the compressed JSON on first call).

        Safe to call from several threads (the JSON text is kept, so a concurrent first call
        decodes it again rather than failing). Raises ``ValueError`` / ``TypeError`` for
        corrupt cached data.
        """
        symbols = self._symbols
        if symbols is None:
            if self._data is None:
                raise ValueError(f"no symbol data for {self.path}")
            symbols = decode_data(self.path, self._data)
            self._symbols = symbols
        return symbols

    def by_qualname(self) -> dict[str, Definition]:
        """Qualified name -> definition in this file (the first when a name is defined twice)."""
        if self._by_qual is None:
            out: dict[str, Definition] = {}
            for d in self.symbols().definitions:
                out.setdefault(d.qualname, d)
            self._by_qual = out
        return self._by_qual

    def local_types(self) -> dict[tuple[str, str], str]:
        """``(scope, variable) -> class`` from ``variable = Class(...)`` (the last assignment wins)."""
        if self._locals is None:
            self._locals = {(scope, var): ctor for scope, var, ctor in self.symbols().locals}
        return self._locals


SCAN_LOOKUPS = 64
"""Name lookups a :class:`CodeIndex` answers by scanning its headers before it builds its name
maps (:meth:`CodeIndex._paths_with`)."""

_NAME_FIELDS = {"def": "def_names", "call": "call_names", "ref": "ref_names"}
"""Lookup kind -> the :class:`FileEntry` header field it reads."""


class CodeIndex(Navigation, Resolution):
    """Definitions, calls, imports and references of every supported file of one tree.

    ``files`` maps path -> :class:`FileEntry`; ``stats`` describes the build. All queries are
    deterministic (sorted by path, line) and never raise for unknown names (empty results).
    """

    def __init__(self, entries: Iterable[FileEntry], stats: BuildStats | None = None) -> None:
        self.files: dict[str, FileEntry] = {e.path: e for e in entries}
        self._callers_memo: dict[Definition, tuple[tuple[CallSite, str], ...]] = {}
        self._scans = 0
        self.stats = stats or BuildStats(files=len(self.files))
        self.stats.lines = sum(e.lines for e in self.files.values())

    @classmethod
    def build(cls, tree: TreeView, cache_dir: Path | None = None, *, workers: int | None = None) -> CodeIndex:
        """Index ``tree`` (see :func:`bot.codeindex.builder.collect` for caching and parallelism).

        Files over 1 MB and vendored directories are skipped. ``workers`` defaults to
        min(2, CPUs); 0 or 1 parses in process. A broken cache is recorded in
        ``stats.cache_error``, never raised. Git errors from ``tree`` propagate.
        """
        rows, stats = collect(tree, cache_dir, workers=workers)
        entries = [FileEntry(path, blob, json.loads(header), data) for path, blob, _lang, header, data in rows]
        return cls(entries, stats)

    @classmethod
    def from_symbols(cls, files: Iterable[FileSymbols]) -> CodeIndex:
        """An index over already extracted files (no tree, no cache)."""
        return cls(FileEntry.from_symbols(f) for f in files)

    # ---------------------------------------------------------------- lookups
    @cached_property
    def _name_maps(self) -> dict[str, dict[str, list[str]]]:
        maps: dict[str, dict[str, list[str]]] = {"def": {}, "call": {}, "ref": {}}
        for path in sorted(self.files):
            e = self.files[path]
            for kind, names in (("def", e.def_names), ("call", e.call_names), ("ref", e.ref_names)):
                m = maps[kind]
                for n in names:
                    m.setdefault(n, []).append(path)
        return maps

    @cached_property
    def _by_path(self) -> list[FileEntry]:
        """The entries sorted by path (the order of :attr:`_name_maps`' lists)."""
        return [self.files[path] for path in sorted(self.files)]

    def _paths_with(self, kind: str, name: str) -> list[str]:
        """Paths whose header lists ``name`` as defined (``def``), called (``call``) or read (``ref``),
        sorted. The first :data:`SCAN_LOOKUPS` answers scan the headers (a set lookup per file);
        later ones read :attr:`_name_maps`, built once: most reviews ask fewer (a third of the
        benchmark PRs ask none, half of the rest fewer than 30), and building the maps costs 3-13 ms
        of CPU on the benchmark repositories, a scan 0.02-0.05 ms."""
        maps = self.__dict__.get("_name_maps")
        if maps is None and self._scans < SCAN_LOOKUPS:
            self._scans += 1
            field = _NAME_FIELDS[kind]
            return [e.path for e in self._by_path if name in getattr(e, field)]
        return self._name_maps[kind].get(name, [])

    def paths_calling(self, name: str) -> list[str]:
        """Paths of files that call something named ``name`` (from headers: cheap, unresolved)."""
        return list(self._paths_with("call", name))

    def file(self, path: str) -> FileSymbols | None:
        """The symbols of ``path``, or None when it is not indexed."""
        entry = self.files.get(path)
        return None if entry is None else entry.symbols()

    def definitions(self, name: str) -> list[Definition]:
        """Definitions named ``name`` (a bare name), or whose qualified name is ``name`` or ends
        with ``.name`` (``Class.method``), by path and line."""
        return sorted(self.iter_definitions(name), key=lambda d: (d.path, d.line))

    def iter_definitions(self, name: str, *, in_paths: Callable[[str], bool] | None = None) -> Iterator[Definition]:
        """:meth:`definitions`, file by file in path order (in each file's order), each file decoded
        only when the iteration reaches it: ``any(...)`` over it decodes the files up to the first
        hit only. ``in_paths``: only the files whose path it accepts."""
        bare = name.rsplit(".", 1)[-1]
        tail = "." + name
        for path in self._paths_with("def", bare):
            if in_paths is not None and not in_paths(path):
                continue
            for d in self.files[path].symbols().definitions:
                if d.name == bare and (name == bare or d.qualname == name or d.qualname.endswith(tail)):
                    yield d

    def definition(self, qualname: str, path: str | None = None) -> Definition | None:
        """The definition with this qualified name (in ``path`` when given), or None."""
        if path is not None:
            entry = self.files.get(path)
            return None if entry is None else entry.by_qualname().get(qualname)
        found = self.definitions(qualname)
        return next((d for d in found if d.qualname == qualname), None)

    def definitions_in(self, path: str, lines: Iterable[int] | None = None) -> list[Definition]:
        """Definitions of ``path``; with ``lines``, only those whose line range contains one of them."""
        syms = self.file(path)
        if syms is None:
            return []
        if lines is None:
            return list(syms.definitions)
        wanted = sorted(set(lines))
        return [d for d in syms.definitions if _overlaps(d.line, d.end_line, wanted)]

    def resolved_callers(self, target: str | Definition) -> list[tuple[CallSite, str]]:
        """Call sites that may call ``target``, with how each was resolved (see :mod:`resolve`).

        ``target`` is a :class:`Definition` (it may come from the base revision and be absent
        here) or a name / qualified name (all matching definitions).
        """
        defs = [target] if isinstance(target, Definition) else self.definitions(target)
        if len(defs) == 1 and defs[0] in self._callers_memo:
            return list(self._callers_memo[defs[0]])
        seen: set[tuple[str, int, str]] = set()
        out: list[tuple[CallSite, str]] = []
        for d in defs:
            if d.kind not in ("function", "method", "class"):
                continue
            name, _ = self.call_name(d)
            wanted = self._call_candidates(d, name)
            for path in sorted(wanted):
                for call, how in self._file_callers(d, self.files[path], wanted[path]):
                    key = (call.path, call.line, call.callee)
                    if key not in seen:
                        seen.add(key)
                        out.append((call, how))
        out.sort(key=lambda x: (x[0].path, x[0].line, x[0].callee))
        if len(defs) == 1:
            self._callers_memo[defs[0]] = tuple(out)
        return out

    def _file_callers(self, d: Definition, entry: FileEntry, names: set[str]) -> list[tuple[CallSite, str]]:
        """The calls of ``entry``'s file under one of ``names`` that may call ``d``, with how each
        matched, in file order: :meth:`may_call_from` (headers) and then :meth:`match_call`."""
        return self._matched_calls(d, entry, names) if self.may_call_from(d, entry) else []

    def _matched_calls(self, d: Definition, entry: FileEntry, names: set[str]) -> list[tuple[CallSite, str]]:
        """The calls of ``entry``'s file under one of ``names`` that :meth:`match_call` matches to
        ``d``, with how, in file order."""
        out: list[tuple[CallSite, str]] = []
        for call in entry.symbols().calls:
            if call.name in names:
                how = self.match_call(d, call)
                if how is not None:
                    out.append((call, how))
        return out

    def _call_candidates(self, d: Definition, name: str) -> dict[str, set[str]]:
        """Path -> local names under which its file may call ``d`` (whose calls use ``name``):
        files calling ``name`` and files importing it under another name. A superset of the
        files :meth:`resolved_callers` keeps (it then applies :meth:`may_call_from`)."""
        wanted: dict[str, set[str]] = {p: {name} for p in self._paths_with("call", name)}
        for path, alias in self._aliases_of(name):
            wanted.setdefault(path, set()).add(alias)
        return wanted

    @cached_property
    def _renamed_imports(self) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for path in sorted(self.files):
            entry = self.files[path]
            for imp in entry.imports:
                if imp.name and imp.alias and imp.name != imp.alias and imp.alias in entry.call_names:
                    out.setdefault(imp.name, []).append((path, imp.alias))
        return out

    def _aliases_of(self, name: str) -> list[tuple[str, str]]:
        """``(path, alias)`` for files importing ``name`` under another local name and calling it."""
        return self._renamed_imports.get(name, [])

    def callers(self, target: str | Definition) -> list[CallSite]:
        """Call sites that may call ``target`` (name, qualified name or Definition), by path and line."""
        return [c for c, _ in self.resolved_callers(target)]

    def callees(self, target: str | Definition) -> list[CallSite]:
        """Calls made directly inside ``target``'s body (not in nested definitions)."""
        defs = [target] if isinstance(target, Definition) else self.definitions(target)
        out: list[CallSite] = []
        for d in defs:
            syms = self.file(d.path)
            if syms is not None:
                out.extend(c for c in syms.calls if c.scope == d.qualname)
        return sorted(set(out), key=lambda c: (c.path, c.line, c.callee))

    def references(self, target: str | Definition) -> list[Reference]:
        """Reads of a module-level name (constants mostly) in any file, through imports.

        The definition's own file is included (its def line is never a reference).
        """
        defs = [target] if isinstance(target, Definition) else self.definitions(target)
        out: set[Reference] = set()
        for d in defs:
            if d.parent is not None:
                continue
            for path in self._candidate_ref_paths(d):
                entry = self.files[path]
                aliases = self.reference_aliases(d, entry)
                if not aliases or not (aliases & entry.ref_names):
                    continue
                refs = entry.symbols().references
                for alias in aliases:
                    for line in refs.get(alias, ()):
                        if not (path == d.path and d.line <= line <= d.end_line):
                            out.add(Reference(path, line, alias))
        return sorted(out)

    def importers(self, d: Definition) -> list[Reference]:
        """Import statements that import module-level ``d`` by name (``from m import d``,
        ``import { d } from "./m"``): ``Reference(path, line, local alias)``. An import of a
        removed name is itself an error (ImportError at import time)."""
        if d.parent is not None:
            return []
        fam = family_of(self._language(d))
        if fam not in ("python", "ecmascript"):
            return []  # no other family imports names (a Go file imports packages), so no import matches
        out: list[Reference] = []
        for path, entry, imp in self._import_candidates(d):
            if family_of(entry.language) != fam or path == d.path:
                continue
            if fam == "python":
                ok = self._py_denotes(self._py_absolute(entry, imp), imp.name, d, d.name)
            elif fam == "ecmascript":
                ok = self._js_module_is(self._js_resolve(path, imp.module), d.path)
            else:
                ok = False
            if ok:
                out.append(Reference(path, imp.line, imp.alias))
        return out

    def _import_candidates(self, d: Definition) -> list[tuple[str, FileEntry, Import]]:
        """``(path, entry, import)`` for imports that may import ``d`` (those of its name)."""
        return self._importers_named(d.name)

    def _candidate_ref_paths(self, d: Definition) -> list[str]:
        """Files that may read ``d`` (from headers): those reading its name, and those importing
        it under another name."""
        out: set[str] = set(self._paths_with("ref", d.name))
        out.update(path for path, _, i in self._importers_named(d.name) if i.alias != d.name)
        return sorted(out)

    @cached_property
    def _imports_by_name(self) -> dict[str | None, list[tuple[str, FileEntry, Import]]]:
        """Imported name -> ``(path, entry, import)`` for every import of it, by path then by the
        order of the file's imports (built once, so each lookup costs the name's importers only)."""
        out: dict[str, list[tuple[str, FileEntry, Import]]] = {}
        for path in sorted(self.files):
            entry = self.files[path]
            for imp in entry.imports:
                out.setdefault(imp.name, []).append((path, entry, imp))
        return out

    def _importers_named(self, name: str) -> list[tuple[str, FileEntry, Import]]:
        """``(path, entry, import)`` for every import of ``name`` (see :attr:`_imports_by_name`)."""
        return self._imports_by_name.get(name, [])

def _overlaps(start: int, end: int, sorted_lines: list[int]) -> bool:
    i = bisect.bisect_left(sorted_lines, start)
    return i < len(sorted_lines) and sorted_lines[i] <= end
