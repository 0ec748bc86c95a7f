"""The code index of one tree: lookups of definitions, callers, callees, references and call paths.

Build with :meth:`CodeIndex.build` (or :func:`bot.codeindex.build_index`). Each file keeps a small
header (its imports and the names it defines, calls and reads) in memory; its full symbols are
decoded on first use, so a query touches only the files that mention the name asked about.
"""

from __future__ import annotations

import bisect
import hashlib
import marshal
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.codeindex.builder import BuildStats, collect, decode_compact, decode_data, decode_header, header_of
from bot.codeindex.cache import CacheError, SymbolCache
from bot.codeindex.model import (
    CallSite,
    Definition,
    DefinitionsByQualname,
    FileSymbols,
    Import,
    Reference,
    calls_of_checked,
    definitions_of_checked,
)
from bot.codeindex.navigate import Navigation, Reach
from bot.core.paths import is_test_path
from bot.codeindex.resolve import Resolution, family_of

if TYPE_CHECKING:  # typing only: importing protocols pulls in pydantic
    from bot.core.protocols import TreeView

__all__ = ["CodeIndex", "FileEntry", "Reach", "is_test_path"]


NAME_SCANS = 16
"""Names looked up in one table (the files defining, calling or reading a name; the imports of a
name) by testing every file, before that table is built for every name at once (see
:class:`_Lookup`). On grpc-go's 1,055 files a test costs 0.2 ms (names) to 0.5 ms (imports) and
a table 9-10 ms, on pydantic's 441 files 0.03-0.3 ms and 0.6-5 ms (RESULTS.md, "Eighth
session, warm index load"): a review asking a few names (most ask 1-10) pays a fraction of a
table, and one asking many pays at most about 1.4x it."""

NAME_TEXT_SCANS = 64
"""The same for the names a file defines, calls and reads, whose test is one search of every
file's names joined (:meth:`CodeIndex._scan_names`): 0.05-0.09 ms a name on grpc-go's 1,053 files,
where its call-name table costs 8.9 ms (4.2 ms on pydantic, 0.05 ms a name). The execution_paths
reviews deciding the p95 ask 26-53 names of a kind (tenth session, s16exec)."""


class _Lookup:
    """``get(name) -> list``: answers :data:`NAME_SCANS` names by ``scan(name)`` (remembered), then
    every name from ``build()`` (a dict; ``[]`` for a name absent from it). ``scan(n)`` must equal
    ``build().get(n, [])`` for every ``n``: the answer does not depend on which one gave it.
    Thread-safe (two threads asking at once compute equal answers)."""

    __slots__ = ("_scan", "_build", "_memo", "_full", "_text")

    def __init__(self, scan: Callable[[Any], list[Any]], build: Callable[[], dict[Any, list[Any]]], *, text: bool = False) -> None:
        """``text``: the scans search joined name texts (:data:`NAME_TEXT_SCANS` of them, not
        :data:`NAME_SCANS`)."""
        self._scan = scan
        self._build = build
        self._memo: dict[Any, list[Any]] = {}
        self._full: dict[Any, list[Any]] | None = None
        self._text = text

    def get(self, name: Any) -> list[Any]:
        """The answer for ``name`` (the table's list itself: callers must not change it)."""
        full = self._full
        if full is not None:
            return full.get(name, [])
        found = self._memo.get(name)
        if found is None:
            if len(self._memo) >= (NAME_TEXT_SCANS if self._text else NAME_SCANS):
                self._full = full = self._build()
                return full.get(name, [])
            found = self._memo[name] = self._scan(name)
        return found

    @property
    def built(self) -> bool:
        """True once the full table has been built."""
        return self._full is not None


def _names_of(value: str | frozenset[str]) -> frozenset[str]:
    """The names of a header's name field: a frozenset, or the text ``"\\na\\nb\\n"`` that
    :func:`~bot.codeindex.builder.encode_header` stores for names without a newline."""
    if type(value) is not str:
        return value  # type: ignore[return-value]
    return frozenset(value[1:-1].split("\n")) if len(value) > 1 else frozenset()


def _decode_imports(path: str, raw: bytes) -> tuple[tuple[Any, ...], ...]:
    """The imports a header stores as ``marshal`` bytes (5-tuples). Raises ``ValueError``."""
    try:
        imports = marshal.loads(raw)
    except (EOFError, ValueError, TypeError) as exc:
        raise ValueError(f"corrupt code index imports for {path}: {exc}") from exc
    if type(imports) is not tuple:
        raise ValueError(f"corrupt code index imports for {path}: not a tuple")
    return imports


def git_blob_sha(data: bytes) -> str:
    """The SHA-1 object id git gives a blob of ``data`` (``git hash-object``): the key of its
    rows in the symbol cache. In a SHA-256 repository it matches no row (a cache miss)."""
    digest = hashlib.sha1(b"blob %d\0" % len(data), usedforsecurity=False)
    digest.update(data)
    return digest.hexdigest()


class FileEntry:
    """One indexed file: a few header fields eagerly, the rest and :class:`FileSymbols` on demand.

    ``header`` is :func:`~bot.codeindex.builder.header_of`'s list or the tuple
    :func:`~bot.codeindex.builder.decode_header` returns. A warm index loads every file's header
    and asks about a few names, so a cached header keeps each kind of name as one string and the
    imports as ``marshal`` bytes: :attr:`def_names`, :attr:`call_names`, :attr:`ref_names`,
    :attr:`imports` and :attr:`mentions` are built on first use (:meth:`has_name` and
    :meth:`may_import` answer without building them). A corrupt ``imports`` field raises
    ``ValueError`` when first read.
    """

    __slots__ = (
        "path", "blob", "language", "module", "_imports", "_raw_imports", "exports", "has_main", "_def_names",
        "_call_names", "_ref_names", "lines", "errors", "class_bases", "_mentions", "_data", "_symbols",
        "_by_qual", "_locals", "_compact", "_calls", "_import_rows", "_renamed",
    )

    def __init__(self, path: str, blob: str, header: list | tuple, data: bytes | None, symbols: FileSymbols | None = None) -> None:  # type: ignore[type-arg]
        language, module, imports, exports, has_main, defs, calls, refs, lines, errors, bases = header
        self.path = path
        self.blob = blob
        self.language: str = language
        self.module: str = module
        self._raw_imports: bytes | tuple | list = imports  # type: ignore[type-arg]
        """The header's imports: ``marshal`` bytes of 5-tuples, or :class:`Import` records / plain
        5-tuples (each indexes as Import's fields)."""
        self._imports: tuple[Import, ...] | None = None
        self.exports: tuple[str, ...] | None = None if exports is None else tuple(exports)
        self.has_main = bool(has_main)
        self._def_names: str | frozenset[str] = defs if type(defs) is str else frozenset(defs)
        self._call_names: str | frozenset[str] = calls if type(calls) is str else frozenset(calls)
        self._ref_names: str | frozenset[str] = refs if type(refs) is str else frozenset(refs)
        self.lines = int(lines)
        self.errors = bool(errors)
        self.class_bases: tuple[tuple[str, tuple[str, ...]], ...] = tuple((c, tuple(b)) for c, b in bases) if bases else ()
        self._mentions: frozenset[str] | None = None
        self._renamed: tuple[tuple[str, str], ...] | None = None
        self._data = data
        self._symbols = symbols
        self._by_qual: Mapping[str, Definition] | None = None
        self._locals: dict[tuple[str, str], str] | None = None
        self._compact: tuple[Any, ...] | None = None
        """The cached data unpacked and checked (:func:`~bot.codeindex.builder.decode_compact`),
        kept while only :meth:`calls` / :meth:`local_types` have been asked (None once the full
        symbols are built, or before)."""
        self._calls: tuple[CallSite, ...] | None = None
        self._import_rows: tuple[Any, ...] | None = None
        """The stored imports unmarshalled and checked by :meth:`import_rows` (kept: a review asks
        for them once per changed definition and candidate file)."""

    @classmethod
    def from_row(cls, path: str, blob: str, header: bytes, data: bytes | None) -> FileEntry:
        """An entry for a cache row (``header`` as :func:`~bot.codeindex.builder.encode_header`
        wrote it). Raises ``ValueError`` for a corrupt header."""
        return cls(path, blob, decode_header(path, header), data)

    @property
    def def_names(self) -> frozenset[str]:
        """Names this file defines."""
        names = self._def_names
        if type(names) is str:
            names = self._def_names = _names_of(names)
        return names  # type: ignore[return-value]

    @property
    def call_names(self) -> frozenset[str]:
        """Names this file calls (the callee's last part)."""
        names = self._call_names
        if type(names) is str:
            names = self._call_names = _names_of(names)
        return names  # type: ignore[return-value]

    @property
    def ref_names(self) -> frozenset[str]:
        """Names this file reads (see :attr:`FileSymbols.references`)."""
        names = self._ref_names
        if type(names) is str:
            names = self._ref_names = _names_of(names)
        return names  # type: ignore[return-value]

    def stored_names(self, kind: str) -> str | frozenset[str]:
        """The ``kind`` (``"def"``, ``"call"``, ``"ref"``) names as stored: the set, or the text
        it was made from (see :meth:`has_name`)."""
        return self._def_names if kind == "def" else self._call_names if kind == "call" else self._ref_names

    def has_name(self, kind: str, name: str, needle: str) -> bool:
        """``name in`` :attr:`def_names` (``kind`` ``"def"``), :attr:`call_names` (``"call"``) or
        :attr:`ref_names` (``"ref"``), without building the set. ``needle`` is ``"\\n" + name +
        "\\n"`` and ``name`` a str without a newline: in the stored text every name stands
        between two newlines, so the needle occurs exactly where ``name`` is one of them."""
        names = self.stored_names(kind)
        return needle in names if type(names) is str else name in names

    @property
    def imports(self) -> tuple[Import, ...]:
        """The file's imports, in file order (built from the header on first use; thread-safe:
        a concurrent first use builds an equal tuple). Raises ``ValueError`` when corrupt."""
        imports = self._imports
        if imports is None:
            raw = self._raw_imports if self._import_rows is None else self._import_rows
            if type(raw) is bytes:
                raw = _decode_imports(self.path, raw)
            imports = self._imports = tuple(i if isinstance(i, Import) else Import(*i) for i in raw)
        return imports

    def import_rows(self) -> tuple[Any, ...]:
        """The file's imports in file order, each indexing as :class:`Import`'s fields (a 5-tuple or
        an :class:`Import`), without building :attr:`imports`' records when they are not built yet:
        for a caller that reads a field or two of every import of many files. Raises ``ValueError``
        when corrupt, as :attr:`imports` does (rows that :attr:`imports` would reject are given
        to it, so it raises)."""
        imports = self._imports
        if imports is not None:
            return imports
        rows = self._import_rows
        if rows is None:
            raw = self._raw_imports
            rows = _decode_imports(self.path, raw) if type(raw) is bytes else raw
            for i in rows:
                if type(i) is not tuple or len(i) != 5:
                    return self.imports  # raises, or builds records equal to these rows
            self._import_rows = rows = tuple(rows)
        return rows

    def renamed_imports(self) -> tuple[tuple[str, str], ...]:
        """``(name, alias)`` of each import of a name under another name that this file calls
        (by that alias), in file order: what a caller query asks of every file's imports
        (:meth:`CodeIndex._renamed_table`). Kept once computed: the command server computes it
        for the entries it keeps (:mod:`bot.cli.warmstate`), so a review reads no file's imports
        for it. Raises ``ValueError`` when the imports are corrupt, as :meth:`import_rows` does."""
        pairs = self._renamed
        if pairs is None:
            pairs = self._renamed = tuple(
                (imp[1], imp[2]) for imp in self.import_rows()  # Import's fields: module, name, alias, ...
                if imp[1] and imp[2] and imp[1] != imp[2] and self.calls_name(imp[2])
            )
        return pairs

    def calls_name(self, name: object) -> bool:
        """``name in`` :attr:`call_names`, without building the set when ``name`` is a str without
        a newline (:meth:`has_name`)."""
        if type(name) is str and "\n" not in name:
            return self.has_name("call", name, "\n" + name + "\n")
        return name in self.call_names

    def stored_imports(self) -> bytes | None:
        """The imports as the cache stores them (``marshal`` bytes), or None when given decoded."""
        raw = self._raw_imports
        return raw if type(raw) is bytes else None

    def may_import(self, needle: bytes) -> bool:
        """False only when no import of this file can have a name or alias whose UTF-8 bytes
        (``surrogatepass``) are ``needle``: ``marshal`` writes every string it stores in those
        bytes (a repeated string object once, then as a reference), so the stored imports then
        do not contain them. A cheap filter before :attr:`imports`. The same holds for a module
        (``Import.module``) and for any substring of a name, alias or module."""
        raw = self._raw_imports
        return type(raw) is not bytes or needle in raw

    def import_names(self) -> Iterator[tuple[str | None, str]]:
        """``(name, alias)`` of each import, in file order."""
        for i in self.imports:
            yield i.name, i.alias

    @property
    def mentions(self) -> frozenset[str]:
        """Names this file defines, calls or imports (a cheap filter before decoding its calls)."""
        mentions = self._mentions
        if mentions is None:
            rows = self.import_rows()  # Import's fields: module, name, alias, ...
            mentions = self._mentions = (
                self.def_names | self.call_names | {i[2] for i in rows} | {i[1] for i in rows if i[1]}
            )
        return mentions

    @classmethod
    def from_symbols(cls, symbols: FileSymbols, blob: str = "") -> FileEntry:
        """An entry for already extracted symbols (tests, single files)."""
        return cls(symbols.path, blob, header_of(symbols), None, symbols)

    def symbols(self) -> FileSymbols:
        """The file's full symbols (decoded from the cached data on first call).

        Safe to call from several threads (the cached data is kept, so a concurrent first call
        decodes it again rather than failing). Raises ``ValueError`` / ``TypeError`` for
        corrupt cached data.
        """
        symbols = self._symbols
        if symbols is None:
            compact = self._compact
            if compact is None:
                symbols = decode_data(self.path, self._stored_data())
            else:
                symbols = FileSymbols.from_checked(self.path, compact, self._calls)
            self._symbols = symbols
            self._compact = None
        return symbols

    def _stored_data(self) -> bytes:
        if self._data is None:
            raise ValueError(f"no symbol data for {self.path}")
        return self._data

    def _checked_compact(self) -> tuple[Any, ...]:
        """The cached data unpacked and checked, without building records (kept for later)."""
        compact = self._compact
        if compact is None:
            compact = self._compact = decode_compact(self.path, self._stored_data())
        return compact

    def calls(self) -> tuple[CallSite, ...]:
        """:meth:`symbols`' ``calls``, building only the call records when the full symbols are
        not built yet (a caller query reads the calls of many files and little else of most).
        The same records :meth:`symbols` then holds; raises as it does (the whole data is
        checked first)."""
        symbols = self._symbols
        if symbols is not None:
            return symbols.calls
        calls = self._calls
        if calls is None:
            compact = self._checked_compact()
            calls = self._calls = calls_of_checked(self.path, compact)
        return calls

    def by_qualname(self) -> Mapping[str, Definition]:
        """Qualified name -> definition in this file (the first when a name is defined twice).
        When the full symbols are not built, each definition is built when first asked for
        (:class:`~bot.codeindex.model.DefinitionsByQualname`; equal records). Raises as
        :meth:`symbols` does for corrupt data."""
        by_qual = self._by_qual
        if by_qual is None:
            symbols = self._symbols
            if symbols is not None:
                out: dict[str, Definition] = {}
                for d in symbols.definitions:
                    out.setdefault(d.qualname, d)
                by_qual = out
            else:
                compact = self._checked_compact()
                dict(compact[5])  # references and lines: raise where FileSymbols.from_checked would
                int(compact[9])
                by_qual = DefinitionsByQualname(self.path, compact)
            self._by_qual = by_qual
        return by_qual

    def local_types(self) -> dict[tuple[str, str], str]:
        """``(scope, variable) -> class`` from ``variable = Class(...)`` (the last assignment wins)."""
        if self._locals is None:
            symbols = self._symbols
            found = symbols.locals if symbols is not None else self._checked_compact()[10]  # FileSymbols.locals as stored
            self._locals = {(scope, var): ctor for scope, var, ctor in found}
        return self._locals


class CodeIndex(Navigation, Resolution):
    """Definitions, calls, imports and references of every supported file of one tree.

    ``files`` maps path -> :class:`FileEntry`; ``stats`` describes the build. All queries are
    deterministic (sorted by path, line) and never raise for unknown names (empty results).
    """

    symbol_cache_dir: Path | None = None
    """The symbol cache this index was loaded from (set by :func:`~bot.codeindex.lazy.lazy_index`
    and :meth:`build`; None: none), read by :meth:`cached_definitions`."""

    def __init__(self, entries: Iterable[FileEntry], stats: BuildStats | None = None) -> None:
        self.files: dict[str, FileEntry] = {e.path: e for e in entries}
        self._callers_memo: dict[Definition, tuple[tuple[CallSite, str], ...]] = {}
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
        entries = [FileEntry.from_row(path, blob, header, data) for path, blob, _lang, header, data in rows]
        index = cls(entries, stats)
        index.symbol_cache_dir = cache_dir
        return index

    def cached_definitions(self, files: Iterable[tuple[str, str, bytes]]) -> dict[str, tuple[str, tuple[Definition, ...]]]:
        """``path -> (module, definitions)`` of the ``(path, language, content)`` files (any
        revision: a base version, say) whose extraction :attr:`symbol_cache_dir` holds: the row of
        the content's git blob (:func:`git_blob_sha`), that path and language and this extractor
        version is what :func:`~bot.codeindex.extract.extract` made of exactly that input, so its
        module and definitions are those :func:`~bot.codeindex.extract.extract_definitions` returns,
        without parsing. Files not in the cache, remembered skips (too large), rows that do not
        decode, and every file when there is no cache or it cannot be read are left out: the caller
        extracts those, as they do a path given more than once. One cache query for all of them;
        never raises for the cache."""
        wanted: dict[tuple[str, str], str] = {}
        keys: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        twice: set[str] = set()
        for path, language, data in files:
            (twice if path in seen else seen).add(path)
            blob = git_blob_sha(data)
            wanted[(blob, path)] = language
            keys.append((blob, path, language))
        if self.symbol_cache_dir is None or not keys:
            return {}
        try:
            with SymbolCache(self.symbol_cache_dir, reader=True) as cache:  # an agent's thread: few statements
                hits = cache.get_many(keys)
        except CacheError:
            return {}
        out: dict[str, tuple[str, tuple[Definition, ...]]] = {}
        for (blob, path), (_header, data) in hits.items():
            if data is None or (blob, path) not in wanted or path in twice:
                continue
            try:
                compact = decode_compact(path, data)
            except (ValueError, TypeError):
                continue
            out[path] = (compact[1], definitions_of_checked(path, compact))
        return out

    @classmethod
    def from_symbols(cls, files: Iterable[FileSymbols]) -> CodeIndex:
        """An index over already extracted files (no tree, no cache)."""
        return cls(FileEntry.from_symbols(f) for f in files)

    # ---------------------------------------------------------------- lookups
    @cached_property
    def _sorted_entries(self) -> list[tuple[str, FileEntry]]:
        """``(path, entry)`` of every file, by path."""
        return sorted(self.files.items(), key=lambda item: item[0])

    @cached_property
    def _name_lookups(self) -> dict[str, _Lookup]:
        """Per kind (``def``, ``call``, ``ref``), name -> paths (see :meth:`_paths_with`)."""
        return {
            kind: _Lookup(lambda name, kind=kind: self._scan_names(kind, name), lambda attr=attr: self._name_table(attr), text=True)
            for kind, attr in (("def", "def_names"), ("call", "call_names"), ("ref", "ref_names"))
        }

    @cached_property
    def _name_fields(self) -> dict[str, list[tuple[str, str | frozenset[str]]]]:
        """Per kind, ``(path, the entry's stored names of that kind)`` by path (:meth:`FileEntry.stored_names`)."""
        return {kind: [(path, entry.stored_names(kind)) for path, entry in self._sorted_entries] for kind in ("def", "call", "ref")}

    @cached_property
    def _joined_names(self) -> dict[str, tuple[str, list[int], list[int], list[int]]]:
        """Per kind, the stored name texts of :attr:`_name_fields` joined in path order: ``(text,
        the start of each file's text in it, that file's place in _name_fields, the places of the
        files whose names are stored as a set)``."""
        out: dict[str, tuple[str, list[int], list[int], list[int]]] = {}
        for kind, fields in self._name_fields.items():
            parts: list[str] = []
            starts: list[int] = []
            owners: list[int] = []
            sets: list[int] = []
            pos = 0
            for k, (_path, names) in enumerate(fields):
                if type(names) is str:
                    starts.append(pos)
                    owners.append(k)
                    parts.append(names)
                    pos += len(names)
                else:
                    sets.append(k)
            out[kind] = ("".join(parts), starts, owners, sets)
        return out

    def _scan_names(self, kind: str, name: str) -> list[str]:
        """Paths of the files whose ``kind`` names hold ``name``, by path (tests every file).

        A non-empty name without a newline is searched for once in all the files' texts joined
        (:attr:`_joined_names`): in a file's text every name stands between two newlines, so
        ``"\n" + name + "\n"`` occurs inside that file's part exactly when the name is one of its
        names (:meth:`FileEntry.has_name`); an occurrence across two parts is skipped."""
        if isinstance(name, str) and name and "\n" not in name:
            fields = self._name_fields[kind]
            text, starts, owners, sets = self._joined_names[kind]
            needle = "\n" + name + "\n"
            size = len(needle)
            found = [k for k in sets if name in fields[k][1]]
            last = len(starts) - 1
            i = text.find(needle)
            while i >= 0:
                j = bisect.bisect_right(starts, i) - 1
                end = starts[j + 1] if j < last else len(text)
                if i + size <= end:
                    found.append(owners[j])
                    i = text.find(needle, end)
                else:
                    i = text.find(needle, i + 1)
            if sets:
                found.sort()
            return [fields[k][0] for k in found]
        if isinstance(name, str) and "\n" not in name:
            needle = "\n" + name + "\n"  # see FileEntry.has_name
            return [path for path, names in self._name_fields[kind] if (needle in names if type(names) is str else name in names)]
        attr = {"def": "def_names", "call": "call_names", "ref": "ref_names"}[kind]
        return [path for path, entry in self._sorted_entries if name in getattr(entry, attr)]

    def _name_table(self, attr: str) -> dict[str, list[str]]:
        """Name -> paths of the files whose ``attr`` (``def_names``...) holds it, by path."""
        out: dict[str, list[str]] = {}
        for path, entry in self._sorted_entries:
            for n in getattr(entry, attr):
                out.setdefault(n, []).append(path)
        return out

    def _paths_with(self, kind: str, name: str) -> list[str]:
        """Paths whose header lists ``name`` as defined (``def``), called (``call``) or read
        (``ref``), by path. A review asks about a few names (3-10 per review of pydantic,
        vuejs/core and grpc-go), so each is found by testing every file until
        :data:`NAME_SCANS` names of the kind have been (:class:`_Lookup`)."""
        return self._name_lookups[kind].get(name)

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
        for call in entry.calls():
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
    def _stored_imports(self) -> list[tuple[str, FileEntry, bytes | None]]:
        """``(path, entry, its imports as stored when bytes)`` of every file, by path."""
        return [(path, entry, entry.stored_imports()) for path, entry in self._sorted_entries]

    def _importing(self, name: str) -> list[tuple[str, FileEntry]]:
        """``(path, entry)`` by path, of every file that may import something named or aliased
        ``name`` (:meth:`FileEntry.may_import`, inlined)."""
        needle = name.encode("utf-8", "surrogatepass")
        return [(path, entry) for path, entry, raw in self._stored_imports if raw is None or needle in raw]

    @cached_property
    def _renamed_lookup(self) -> _Lookup:
        return _Lookup(self._scan_renamed, self._renamed_table)

    def _renamed_of(self, entry: FileEntry, name: str | None) -> Iterator[str]:
        """Aliases under which ``entry`` imports ``name`` (when it is another name) and calls it."""
        for imported, alias in entry.renamed_imports():
            if imported == name:
                yield alias

    def _scan_renamed(self, name: str) -> list[tuple[str, str]]:
        if not isinstance(name, str) or not name:
            return []
        return [(path, alias) for path, entry in self._importing(name) for alias in self._renamed_of(entry, name)]

    def _renamed_table(self) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for path, entry in self._sorted_entries:
            for name, alias in entry.renamed_imports():
                out.setdefault(name, []).append((path, alias))
        return out

    def _aliases_of(self, name: str) -> list[tuple[str, str]]:
        """``(path, alias)`` for files importing ``name`` under another local name and calling it,
        by path and then import order."""
        return self._renamed_lookup.get(name)

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
    def _imports_lookup(self) -> _Lookup:
        return _Lookup(self._scan_imports, self._imports_table)

    def _scan_imports(self, name: str | None) -> list[tuple[str, FileEntry, Import]]:
        entries = self._importing(name) if isinstance(name, str) else self._sorted_entries
        return [(path, entry, imp) for path, entry in entries for imp in entry.imports if imp.name == name]

    def _imports_table(self) -> dict[str | None, list[tuple[str, FileEntry, Import]]]:
        """Imported name -> ``(path, entry, import)`` for every import of it, by path then by the
        order of the file's imports."""
        out: dict[str | None, list[tuple[str, FileEntry, Import]]] = {}
        for path, entry in self._sorted_entries:
            for imp in entry.imports:
                out.setdefault(imp.name, []).append((path, entry, imp))
        return out

    def _importers_named(self, name: str) -> list[tuple[str, FileEntry, Import]]:
        """``(path, entry, import)`` for every import of ``name``, by path then by the order of
        the file's imports (:class:`_Lookup`)."""
        return self._imports_lookup.get(name)


def _overlaps(start: int, end: int, sorted_lines: list[int]) -> bool:
    i = bisect.bisect_left(sorted_lines, start)
    return i < len(sorted_lines) and sorted_lines[i] <= end
