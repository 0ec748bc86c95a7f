"""A code index that parses only the files a query can read (the cold index of a review).

A review asks the index specific questions: the callers of a few changed definitions, their
reach, the files importing or reading a name, the module a path names. :class:`LazyCodeIndex`
answers each exactly as the full :class:`~bot.codeindex.index.CodeIndex` of the same tree would,
while parsing only the files that can hold a matching record:

- **Name questions** (who defines, calls, reads or imports ``name``; which classes derive from
  ``name``). Every such record's name is a slice of its file's source: an identifier node's text
  decoded as UTF-8 (callees lose only whitespace around dots, class bases are cut at their last
  dot). A file can therefore hold one only if the name's UTF-8 bytes occur in its blob, and,
  for a plain ASCII identifier, only where they can be a whole token: tokens are lexed longest
  first, so the next byte does not continue an identifier, nor do the bytes before it unless they
  end a number or (JS/TS) a regular expression's flags (:func:`name_occurs`). A byte search over
  the unparsed blobs gives a superset of those files; exactly those are parsed
  before the name's lookup tables are read. Names for which that argument does not hold fall
  back to parsing every file: one with U+FFFD (the decoder's replacement for undecodable
  bytes, so the bytes may differ), ``default`` (the name JS/TS default imports record without
  writing it) and anything that is not a non-empty string.
- **Path questions** (the records of one file): that file is parsed.
- **Module maps** (Python module name -> path, JS/TS module id -> path) come from paths alone,
  as in the full index; Python re-exports read every package ``__init__``, which are parsed.
- **Anything that walks every file** (``files`` iterated, ``entry_points()`` of the whole tree,
  the LLM tool's substring search over definition names) parses every file first.

So no answer ever comes from a partial index (fail closed). A file whose extraction fails (an
extractor bug, reported in ``stats.failed``) leaves the full index: the lazy index then parses
every file and recomputes its module maps, so later answers match the full build.

Parsed files go to the per-blob cache as usual: the cache is what remembers, per tree, which
blobs are indexed, and a later review of the same tree (or of one sharing blobs) starts from
them. Thread-safe (agents query from their threads; one lock serialises parsing and lookups).
"""

from __future__ import annotations

import bisect
import posixpath
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from bot.codeindex._ecmascript import module_name as js_module_name
from bot.codeindex._python import module_name as py_module_name
from bot.codeindex import builder
from bot.codeindex.builder import MAX_FILE_BYTES, BuildStats, encode_entry, header_of, lookup, parse_rows, store
from bot.codeindex.cache import CacheError, SymbolCache
from bot.codeindex.extract import extract
from bot.codeindex.index import CodeIndex, FileEntry
from bot.codeindex.model import CallSite, Definition, Import
from bot.codeindex.modules import family_of, is_init_path, js_module_map, python_module_map
from bot.codeindex.resolve import COMMON_METHOD_NAMES, CONSTRUCTOR_NAMES, owner_of
from bot.core.languages import language_for_path

if TYPE_CHECKING:
    from bot.core.protocols import TreeView

__all__ = ["LazyCodeIndex", "lazy_index", "name_is_searchable", "name_occurs"]

ESCALATE_SHARE = 0.7
"""When a name's files would take the source parsed on demand past this share of what was
unparsed at the start, every remaining file is parsed at once (in worker processes when large):
the review reads most of the tree anyway, and one parallel batch beats many serial ones. At 0.4
pydantic's widest reviews (``c4eac98eba19``, ``c82f870d4cb6``, ``f00275901873``), which read
46-54% of its source, parsed all of it: 6.1 MB instead of 2.8-3.3 MB, more than the two worker
processes gained (RESULTS.md, "Seventh session, cold index"). At 0.7 the batch it may add is at
most the 30% left."""

FAMILY_FIRST_SHARE = 0.1
"""A method's callers: when the files naming its class hold more than this share of the source
unparsed at the start, a candidate file's calls are matched before the class family is looked up
(see ``LazyCodeIndex._file_callers``)."""

SCOPE_MIN_BYTES = 100_000
"""The scope of a module-level Python definition (``LazyCodeIndex._py_scope``) is worked out for
its module when the unparsed files holding its name are this large (below it, parsing them costs
less); once worked out, it serves every definition of the module."""

SCOPE_BUDGET = 1.0
"""Working out that scope may parse files not holding the name, up to this multiple of the bytes
of the unparsed files holding it; beyond it, no scope (those files are parsed)."""

NAME_SCANS = 64
"""Name lookups answered by testing every parsed file (``LazyCodeIndex._get``) before the name
tables of every parsed file are built. Building them took 65-80 ms of CPU on grpc-go and 23-38 ms
on pydantic at a review's first lookup (a PR whose base tree was cached: its changed files are
parsed on demand), for reviews making 22 and 77 lookups; a test of every file costs 0.1-0.5 ms
(RESULTS.md, "Eighth session, warm index load"). An answer is kept until a file is parsed."""

_UNSEARCHABLE = frozenset({"default"})
"""Names a record may carry without the file's source containing them (JS/TS default imports)."""


_WORD_BYTES = {
    "python": frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"),
    "go": frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"),
    "ecmascript": frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$"),
}
"""Per language family, the ASCII bytes an identifier token can continue with."""

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _whole_token(data: bytes, lo: int, i: int, j: int, word: frozenset[int], ecmascript: bool) -> bool:
    """Can ``data[i:j]`` (a plain ASCII identifier inside the file starting at ``lo``) be a whole
    identifier token? Tokens are lexed longest first, so the byte after a token never continues
    an identifier; the bytes before it may only when they end another kind of token that can
    touch it: a number (its run of word bytes starts with a digit: ``1_x``, ``0xfx``) or, in
    JS/TS, a regular expression's flags (the run follows ``/``)."""
    if j < len(data) and data[j] in word:
        return False
    p = i
    while p > lo and data[p - 1] in word:
        p -= 1
    return p == i or 48 <= data[p] <= 57 or (ecmascript and p > lo and data[p - 1] == 0x2F)


ESCALATE_NAMES = 100
"""Once this many names have been searched for, every remaining file is parsed at once (in worker
processes when large): such a review (pydantic's 98a08d3e4bd2, 116 files changed, ~1,500 names)
reads most of the tree anyway, and searching the buffer name by name costs more than parsing it.
98a08d3e4bd2 passes 100 names after parsing 0.2 MB on demand, 200 only after 1.6 MB; the other
59 bench reviews of pydantic, vuejs/core and grpc-go search at most 53 names before their last
parse (RESULTS.md, "Seventh session, cold index")."""


def name_occurs(source: bytes, name: str, language: str) -> bool:
    """True when ``source`` can hold a record named ``name`` by the byte search the lazy index
    makes: ``name``'s UTF-8 bytes occur, as a whole token (:func:`_whole_token`) when ``name``
    is a plain ASCII identifier and the language is known. (``index_equal.py names`` checks
    this premise on every record of real trees.)"""
    needle = name.encode("utf-8")
    word = _WORD_BYTES.get(family_of(language)) if _PLAIN_NAME.match(name) else None
    i = source.find(needle)
    while i >= 0:
        if word is None or _whole_token(source, 0, i, i + len(needle), word, family_of(language) == "ecmascript"):
            return True
        i = source.find(needle, i + 1)
    return False


_JS_DOT_SEGMENT = re.compile(
    rb"""(?:['"`/]|\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|u\{[0-9a-fA-F]+\}|[0-7]{1,3}|[\s\S]))\.\.?/*['"`\\]"""
)
"""An import specifier ending with a ``.`` or ``..`` segment (the module it resolves to is then
named by the importing file's own directories, not by the specifier's bytes). The specifier is a
string's first fragment: it starts after the opening quote or an escape sequence, and ends at the
closing quote or an escape; the segment starts there or after a ``/``."""


def name_is_searchable(name: object) -> bool:
    """True when every file holding a record named ``name`` contains ``name``'s UTF-8 bytes."""
    return isinstance(name, str) and bool(name) and "\ufffd" not in name and name not in _UNSEARCHABLE


class _Blobs:
    """The unparsed files' bytes in one buffer, joined by NUL (no name contains one): one
    ``find`` per name searches them all, and each file's source is a slice of it."""

    def __init__(self, sources: dict[str, bytes], families: dict[str, str]) -> None:
        self.paths = sorted(sources)
        self._families = families
        """path -> language family (for token boundaries)."""
        self.starts: list[int] = []
        self._at: dict[str, int] = {}
        pos = 0
        for k, p in enumerate(self.paths):
            self._at[p] = k
            self.starts.append(pos)
            pos += len(sources[p]) + 1
        self.data = b"\0".join(sources[p] for p in self.paths)

    def span(self, path: str) -> tuple[int, int]:
        """Start and end offsets of ``path``'s bytes in :attr:`data`."""
        k = self._at[path]
        return self.starts[k], (self.starts[k + 1] - 1 if k + 1 < len(self.starts) else len(self.data))

    def source(self, path: str) -> bytes:
        """The bytes of ``path`` (one of :attr:`paths`)."""
        start, end = self.span(path)
        return self.data[start:end]

    def size(self, path: str) -> int:
        """Length of :meth:`source` without copying it."""
        k = self._at[path]
        end = self.starts[k + 1] - 1 if k + 1 < len(self.starts) else len(self.data)
        return end - self.starts[k]

    def matches(self, path: str, pattern: re.Pattern[bytes]) -> bool:
        """True when ``pattern`` matches in the source of ``path`` (``\\Z`` is its end)."""
        k = self._at[path]
        end = self.starts[k + 1] - 1 if k + 1 < len(self.starts) else len(self.data)
        return pattern.search(self.data, self.starts[k], end) is not None

    def containing(self, name: str) -> Iterator[str]:
        """Paths whose source contains ``name`` as :func:`name_occurs` searches it (``name``
        non-empty, without NUL)."""
        data, starts, find, paths, families = self.data, self.starts, self.data.find, self.paths, self._families
        needle = name.encode("utf-8")
        plain = _PLAIN_NAME.match(name) is not None
        i = find(needle)
        while i >= 0:
            k = bisect.bisect_right(starts, i) - 1
            family = families.get(paths[k], "")
            word = _WORD_BYTES.get(family) if plain else None
            if word is None or _whole_token(data, starts[k], i, i + len(needle), word, family == "ecmascript"):
                yield paths[k]
                i = find(needle, starts[k + 1] if k + 1 < len(starts) else len(data))
            else:
                i = find(needle, i + 1)


def _nowhere(path: str, blobs: _Blobs) -> bool:
    """The scope of a definition callable from its own file only."""
    return False


class _BufferTree:
    """The part of a TreeView that parsing reads, over a :class:`_Blobs` buffer: each blob is a
    memoryview of it (nothing copied; the parser copies each source when it parses it)."""

    def __init__(self, blobs: _Blobs, paths: dict[str, str]) -> None:
        self._blobs = blobs
        self._paths = paths
        """blob -> a path holding it."""
        self._view = memoryview(blobs.data)

    def read_blob(self, blob: str) -> memoryview | None:
        path = self._paths.get(blob)
        if path is None:
            return None
        start, end = self._blobs.span(path)
        return self._view[start:end]


class _Files(dict):  # type: ignore[type-arg]  # path -> FileEntry
    """``CodeIndex.files`` of a lazy index: the files parsed so far. Reading a path parses it
    first; listing, iterating or counting parses every file first (so the answer is exact)."""

    def __init__(self, owner: LazyCodeIndex) -> None:
        super().__init__()
        self._owner = owner

    def __getitem__(self, path: str) -> FileEntry:
        self._owner._ensure_path(path)
        return dict.__getitem__(self, path)

    def get(self, path: str, default: object = None) -> object:  # type: ignore[override]
        self._owner._ensure_path(path)
        return dict.get(self, path, default)

    def __contains__(self, path: object) -> bool:
        if isinstance(path, str):
            self._owner._ensure_path(path)
        return dict.__contains__(self, path)

    def __iter__(self) -> Iterator[str]:
        self._owner._ensure_all()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._owner._ensure_all()
        return dict.__len__(self)

    def keys(self):  # type: ignore[override]  # noqa: ANN201
        self._owner._ensure_all()
        return dict.keys(self)

    def values(self):  # type: ignore[override]  # noqa: ANN201
        self._owner._ensure_all()
        return dict.values(self)

    def items(self):  # type: ignore[override]  # noqa: ANN201
        self._owner._ensure_all()
        return dict.items(self)

    def __reduce__(self):  # noqa: ANN204 - a plain dict when copied or pickled
        self._owner._ensure_all()
        return (dict, (dict(dict.items(self)),))


class LazyCodeIndex(CodeIndex):
    """A :class:`CodeIndex` over ``tree`` whose files are parsed when a query can read them.

    Build with :func:`lazy_index`. Every query answers as the full index would (see the module
    docstring for why). ``stats`` grows as files are parsed (``parsed``, ``parse_ms``, ``files``,
    ``lines``); ``stats.lazy_ms`` is the wall time spent searching and parsing inside queries.
    """

    def __init__(
        self,
        rows: list[tuple[str, str, str, bytes, bytes]],
        pending: dict[str, tuple[str, str, bytes]],
        stats: BuildStats,
        cache_dir: Path | None,
        *,
        workers: int | None = None,
        entries: Mapping[tuple[str, str, str], FileEntry] | None = None,
    ) -> None:
        self.files = _Files(self)
        self._callers_memo = {}
        self.stats = stats
        self._lock = threading.RLock()
        self._cache_dir = cache_dir
        self._workers = workers
        self._pending: dict[str, tuple[str, str]] = {p: (v[0], v[1]) for p, v in pending.items()}
        """path -> (blob, language) of files not parsed yet."""
        self._families = {p: family_of(v[1]) for p, v in pending.items()}
        self._blobs: _Blobs | None = _Blobs({p: v[2] for p, v in pending.items()}, self._families) if pending else None
        """Their bytes."""
        self._initial_bytes = len(self._blobs.data) if self._blobs else 0
        self._parsed_bytes = 0
        self._present = sorted([*(r[0] for r in rows), *pending])
        """Every path the full index would hold (bar extraction failures, see :meth:`_parse`)."""
        self._languages = {r[0]: r[2] for r in rows} | {p: v[1] for p, v in pending.items()}
        self._searched: set[str] = set()
        self._cache: SymbolCache | None = None
        self._maps: dict[str, dict] | None = None
        """The name tables of every parsed file, once :data:`NAME_SCANS` answers were scanned (:meth:`_get`)."""
        self._answers: dict[tuple[str, object], list | set] = {}  # type: ignore[type-arg]
        """``(table, name)`` -> its answer over the files parsed so far (emptied when one is added)."""
        self._scans = 0
        self._parsed_sorted: list[tuple[str, FileEntry]] | None = None
        self._dear: dict[str, bool] = {}
        """Class name -> :meth:`_family_dear`'s answer (decided once per review)."""
        self._held: dict[str, frozenset[str]] = {}
        """Name -> :meth:`_holding`."""
        self._py_scopes: dict[str, frozenset[str] | None] = {}
        """Path of a module-level Python definition -> :meth:`_reexporters` (None: over budget)."""
        for path, blob, lang, header, data in rows:
            self._add(_entry(entries, path, blob, lang, header, data))

    # ------------------------------------------------------------- parsing
    def _add(self, entry: FileEntry) -> None:
        dict.__setitem__(self.files, entry.path, entry)
        if self._answers:
            self._answers.clear()
        self._parsed_sorted = None
        self.stats.files += 1
        self.stats.lines += entry.lines
        if self._maps is not None:
            self._map_entry(self._maps, entry)

    def _parse(self, paths: Iterable[str]) -> None:
        """Parse the pending ``paths`` (caller holds the lock)."""
        todo = sorted({p for p in paths if p in self._pending})
        if not todo:
            return
        start = time.perf_counter()
        blobs = self._blobs
        assert blobs is not None  # there is something pending
        size = sum(blobs.size(p) for p in todo)
        self._parsed_bytes += size
        failed_before = len(self.stats.failed)
        workers = builder.default_workers() if self._workers is None else self._workers
        if workers > 1 and size >= builder.SUBPROCESS_MIN_BYTES and len(todo) >= builder.PARALLEL_MIN_FILES:
            items = [(p, self._pending[p][0], self._pending[p][1]) for p in todo]
            memory = _BufferTree(blobs, {self._pending[p][0]: p for p in todo})
            if len(todo) == len(self._pending):  # the last batch: the buffer goes once the workers have it
                self._blobs = blobs = None  # type: ignore[assignment]
            rows, fresh = parse_rows(memory, items, self.stats, workers=workers, size_hint=size)  # type: ignore[arg-type]
            del memory
            entries = [FileEntry.from_row(path, blob, header, data) for path, blob, _l, header, data in rows]
        else:
            entries, fresh = self._parse_here(todo)
        for entry in sorted(entries, key=lambda e: e.path):
            self._add(entry)
        for p in todo:  # after the entries are in: another thread never sees a path in neither
            del self._pending[p]
        self._store(fresh)
        if not self._pending or blobs is None:
            self._blobs = None
        elif len(self._pending) * 2 < len(blobs.paths):  # keep only what is still unparsed
            self._blobs = _Blobs({p: blobs.source(p) for p in self._pending}, self._families)
        self.stats.lazy_ms += (time.perf_counter() - start) * 1000
        if len(self.stats.failed) > failed_before:
            # A file that would have been in the module maps is not in the full index: parse
            # everything so that the maps below are those of the full build.
            bad = set(self.stats.failed)
            self._present = [p for p in self._present if p not in bad]
            for name in ("_py_modules", "_js_modules", "_py_reexported", "_py_targets_memo", "_imports_module_memo"):
                self.__dict__.pop(name, None)
            self._callers_memo.clear()
            self._ensure_all()

    def _store(self, fresh: list[tuple[str, str, str, bytes | None, bytes | None]]) -> None:
        """Write parsed rows to the cache through one connection kept for the index's life (a
        review may parse in dozens of small batches; caller holds the lock)."""
        if not fresh or self._cache_dir is None or self.stats.cache_error is not None:
            return
        try:
            if self._cache is None:
                self._cache = SymbolCache(self._cache_dir, any_thread=True)
                weakref.finalize(self, self._cache.close)
            self._cache.put_many(fresh)
        except CacheError as exc:
            self.stats.cache_error = str(exc)

    def _parse_here(self, todo: list[str]) -> tuple[list[FileEntry], list[tuple[str, str, str, bytes | None, bytes | None]]]:
        """Parse in this thread (the cache row is encoded here; its header is taken as built)."""
        t0 = time.perf_counter()
        entries: list[FileEntry] = []
        fresh: list[tuple[str, str, str, bytes | None, bytes | None]] = []
        for path in todo:
            blob, language = self._pending[path]
            source = self._blobs.source(path)  # type: ignore[union-attr]
            try:
                symbols = extract(language, path, source)
                header, data = encode_entry(symbols)
            except builder.EXTRACT_ERRORS as exc:
                self.stats.failed[path] = f"{type(exc).__name__}: {exc}"
                continue
            # The symbols are not kept: most files parsed for a name are ruled out by their header
            # alone, and holding every one's records would cost more memory than decoding the few read.
            entries.append(FileEntry(path, blob, header_of(symbols), data))
            fresh.append((blob, path, language, header, data))
            self.stats.bytes_parsed += len(source)
        self.stats.parsed += len(entries)
        self.stats.parse_ms += (time.perf_counter() - t0) * 1000
        return entries, fresh

    def _ensure_path(self, path: str) -> None:
        if path in self._pending:
            with self._lock:
                self._parse((path,))

    def _ensure_all(self) -> None:
        if self._pending:
            with self._lock:
                self._parse(list(self._pending))

    def _ensure_names(self, names: Iterable[object]) -> None:
        """Parse every unparsed file whose blob contains one of ``names`` (all files for a name
        that is not :func:`name_is_searchable`)."""
        with self._lock:
            if not self._pending:
                return
            wanted = [n for n in names if n not in self._searched]
            if not wanted:
                return
            if not all(name_is_searchable(n) for n in wanted):
                self._ensure_all()
                return
            start = time.perf_counter()
            hits: set[str] = set()
            for n in wanted:
                hits.update(p for p in self._holding(n) if p in self._pending)
            self.stats.lazy_ms += (time.perf_counter() - start) * 1000
            self._parse_hits(hits)
            self._searched.update(wanted)  # type: ignore[arg-type]

    def _holding(self, name: str) -> frozenset[str]:
        """The files whose bytes held ``name`` (searchable, see :meth:`_Blobs.containing`) when the
        buffer was first searched for it (the files still unparsed then); remembered, so each
        name is searched once. The first search past :data:`ESCALATE_NAMES` names parses every
        file instead (caller holds the lock)."""
        found = self._held.get(name)
        if found is None:
            if self._pending and len(self._held) >= ESCALATE_NAMES:
                self._parse(list(self._pending))
            blobs = self._blobs
            found = frozenset(blobs.containing(name)) if blobs is not None and self._pending else frozenset()
            self._held[name] = found
        return found

    def _parse_hits(self, hits: set[str]) -> None:
        """Parse ``hits`` (pending paths), or every pending file once the source parsed on
        demand would pass :data:`ESCALATE_SHARE` (caller holds the lock)."""
        blobs = self._blobs
        if blobs is None or not self._pending:  # everything parsed meanwhile (ESCALATE_NAMES)
            return
        if self._parsed_bytes + sum(blobs.size(p) for p in hits) > ESCALATE_SHARE * self._initial_bytes:
            hits = set(self._pending)  # most of the tree anyway: one batch, in worker processes
        self._parse(hits)

    # --------------------------------------------------------- call queries
    def _file_callers(self, d: Definition, entry: FileEntry, names: set[str]) -> list[tuple[CallSite, str]]:
        # ``may_call_from`` and ``match_call`` must both hold; which one is asked first cannot
        # change the answer. For a method whose class is named in much of the unparsed source
        # (pydantic's ``BaseModel``), ``may_call_from``'s class family would parse all of it:
        # then the file's calls are matched first, and the family is needed only for a file
        # holding a call that matches.
        decided = self._may_call_unless_family(d, entry)
        if decided is False:
            return []
        if decided is None and self._family_dear(owner_of(d)):
            found = self._matched_calls(d, entry, names)
            return found if found and self.may_call_from(d, entry) else []
        if decided is None and not self.may_call_from(d, entry):
            return []
        return self._matched_calls(d, entry, names)

    def _family_dear(self, owner: str) -> bool:
        """True when looking up the subclasses of class ``owner`` would first parse more than
        :data:`FAMILY_FIRST_SHARE` of the source that was unparsed at the start."""
        with self._lock:
            dear = self._dear.get(owner)
            if dear is None:
                blobs = self._blobs
                if not self._pending or blobs is None or owner in self._searched or not name_is_searchable(owner):
                    dear = False
                else:
                    size = sum(blobs.size(p) for p in self._holding(owner) if p in self._pending)
                    dear = size > FAMILY_FIRST_SHARE * self._initial_bytes
                self._dear[owner] = dear
            return dear

    def _call_candidates(self, d: Definition, name: str) -> dict[str, set[str]]:
        # Where ``may_call_from`` and ``match_call`` admit callers of ``d`` from only some files
        # (``_callers_scope``), only the files holding ``name`` among those are parsed: the
        # others cannot hold a call that resolves to ``d``, so leaving them unparsed does not
        # change the callers found.
        scope = self._callers_scope(d)
        if scope is None or not name_is_searchable(name):
            return super()._call_candidates(d, name)
        with self._lock:
            self._parse_scoped(name, d.path, scope)
            wanted: dict[str, set[str]] = {p: {name} for p in self._get("call", name)}
            for path, alias in self._get("renamed", name):
                wanted.setdefault(path, set()).add(alias)
        return wanted

    def _parse_scoped(self, name: str, home: str, scope: Callable[[str, _Blobs], bool]) -> None:
        """Parse the unparsed files holding ``name`` that are ``home`` or pass ``scope`` (``name``
        searchable; caller holds the lock). ``name`` is not marked searched: other files may
        still hold records named so."""
        if not self._pending or name in self._searched:
            return
        start = time.perf_counter()
        blobs = self._blobs
        assert blobs is not None
        hits = {p for p in self._holding(name) if p in self._pending and (p == home or scope(p, blobs))}
        self.stats.lazy_ms += (time.perf_counter() - start) * 1000
        self._parse_hits(hits)

    def _import_candidates(self, d: Definition) -> list[tuple[str, FileEntry, Import]]:
        scope = self._py_scope(d)
        if scope is None:
            return super()._import_candidates(d)
        with self._lock:
            self._parse_scoped(d.name, d.path, scope)
            return list(self._get("imports", d.name))

    def _candidate_ref_paths(self, d: Definition) -> list[str]:
        scope = self._py_scope(d)
        if scope is None:
            return super()._candidate_ref_paths(d)
        with self._lock:
            self._parse_scoped(d.name, d.path, scope)
            out = set(self._get("ref", d.name))
            out.update(path for path, _, imp in self._get("imports", d.name) if imp.alias != d.name)
        return sorted(out)

    def _py_scope(self, d: Definition) -> Callable[[str, _Blobs], bool] | None:
        """For a module-level Python definition, a test true for every unparsed file that can call,
        import or read it; None when there is none worth its cost.

        Every way the index binds a name in another file to ``d`` goes through a module name M
        taken from that file's imports (``_py_binding``, wildcards, ``import m; m.d``,
        ``from pkg import mod; mod.d``), followed through at most 3 re-exports (``_py_targets``),
        and M then names ``d``'s file or a re-exporting file (``_py_modules``), or, unknown, ends
        with ``d``'s module name. M's last part is a slice of the file's source (an import's
        module or name, or the dotted callee), except for ``from . import x`` and the like, where
        M is a package above the file itself. So a file can bind ``d`` only if its bytes hold the
        last part of the module name of ``d``'s file or of a re-exporting file, as a whole
        token, or a package above it is one of those modules (:meth:`_reexporters`)."""
        if d.parent is not None or family_of(self._language(d)) != "python" or not name_is_searchable(d.name):
            return None
        with self._lock:
            if not self._pending or d.name in self._searched:
                return None
            if d.path not in self._py_scopes:
                blobs = self._blobs
                assert blobs is not None
                holding = {p for p in self._holding(d.name) if p in self._pending}
                own = sum(blobs.size(p) for p in holding)
                if own < SCOPE_MIN_BYTES:
                    return None
                self._py_scopes[d.path] = self._reexporters(d, holding, int(SCOPE_BUDGET * own))
            found = self._py_scopes[d.path]
        if found is None:
            return None
        module = py_module_name(d.path)
        parts = sorted({py_module_name(p).rsplit(".", 1)[-1] for p in found})

        def py_scope(path: str, blobs: _Blobs) -> bool:
            if self._languages.get(path) != "python":
                return False
            return any(path in self._holding(part) for part in parts) or self._package_names(path, found, module)

        return py_scope

    def _package_names(self, path: str, found: frozenset[str], module: str) -> bool:
        """True when a package above ``path`` (what ``from . import x`` in it names) is the module
        of a file in ``found`` or, naming no file, ends ``module`` (see ``_py_module_is``)."""
        parts = py_module_name(path).split(".")
        if not is_init_path(path):
            parts = parts[:-1]
        return any(self._names_one_of(".".join(parts[:k]), found, module) for k in range(1, len(parts) + 1))

    def _names_one_of(self, name: str, found: frozenset[str] | set[str], module: str) -> bool:
        """Does Python module name ``name`` denote a file of ``found`` (``module``: the first one's)?"""
        known = self._py_modules.get(name)
        return known in found if known is not None else (name == module or module.endswith("." + name))

    def _reexporters(self, d: Definition, holding: set[str], budget: int) -> frozenset[str] | None:
        """``d``'s file and every file re-exporting ``d`` from it, up to 3 hops: a file holding
        ``from M import *``, or ``from M import n`` with ``n`` a name under which M's file
        exports ``d`` (that file exports it as the import's alias), where M names such a file
        (``_py_targets`` follows exactly these). The unparsed files that can hold such an import
        (by the argument of :meth:`_py_scope`) are parsed; None when those outside ``holding``
        (the files holding ``d``'s name, parsed anyway when in scope) would pass ``budget`` bytes
        (caller holds the lock)."""
        module = py_module_name(d.path)
        python = [p for p in self._present if self._languages[p] == "python"]
        exports: dict[str, set[str]] = {d.path: {d.name}}
        """path -> names under which its module may export ``d``."""
        frontier: set[str] = {d.path}
        spent = 0
        for _hop in range(3):
            parts = {py_module_name(p).rsplit(".", 1)[-1] for p in frontier}
            if not all(name_is_searchable(p) for p in parts):
                return None
            blobs = self._blobs
            if self._pending and blobs is not None:
                todo: set[str] = set()
                for part in parts:
                    todo.update(p for p in self._holding(part) if p in self._pending and self._languages[p] == "python")
                todo.update(p for p in python if p in self._pending and self._package_names(p, frozenset(frontier), module))
                spent += sum(blobs.size(p) for p in todo if p not in holding)
                if spent > budget:
                    return None
                self._parse(todo)
            known = frozenset(exports)
            added: dict[str, set[str]] = {}
            for p in python:
                entry = dict.get(self.files, p)
                if entry is None:
                    continue
                for imp in entry.imports:
                    if imp.name is None:
                        continue
                    source = self._file_named(self._py_absolute(entry, imp), known, module, d.path)
                    if source is None:
                        continue
                    names = exports[source] if imp.name == "*" else {imp.alias} if imp.name in exports[source] else set()
                    fresh = names - exports.get(p, set())
                    if fresh:
                        added.setdefault(p, set()).update(fresh)
            if not added:
                break
            for p, names in added.items():
                exports.setdefault(p, set()).update(names)
            frontier = set(added)
        return frozenset(exports)

    def _file_named(self, name: str, found: frozenset[str], module: str, home: str) -> str | None:
        """The file of ``found`` that Python module name ``name`` denotes: its known file, or
        ``home`` (whose module is ``module``) when no file has that name and it ends ``module``."""
        known = self._py_modules.get(name)
        if known is not None:
            return known if known in found else None
        return home if name == module or module.endswith("." + name) else None

    def _callers_scope(self, d: Definition) -> Callable[[str, _Blobs], bool] | None:
        """For a definition whose callers outside its own file can only be in some files, a test
        of an unparsed path (with the buffer holding its bytes) that is true for every such
        file; None when any file may call it. Constructors and methods whose name is unique in
        the tree (callable from anywhere, see ``Resolution.may_call_from``) have none; otherwise:

        - Go: a file in the package directory or importing it. An import path is its literal's
          text without the quotes, and a string's text ends at a quote, a line end or the end of
          the file, so an import path ending with the directory leaves those bytes in the source.
        - JS/TS: a file importing ``d``'s module (``match_call`` resolves a call of a function or
          class to ``d`` only through such an import) or, for a method, naming its class or a
          subclass (``may_call_from``). An import specifier is a slice of the source, and the
          last segment of the module it resolves to is its own last segment unless that is
          ``.`` or ``..`` (:data:`_JS_DOT_SEGMENT`).
        - Python: for a function or class nested in another definition, its own file only
          (``_match_python`` matches such a definition only from there); for a module-level one,
          :meth:`_py_scope`; methods and constructors have none.
        """
        family = family_of(self._language(d))
        if family == "python" and d.kind in ("function", "class"):
            return self._py_scope(d) if d.parent is None else _nowhere
        if family not in ("go", "ecmascript") or d.name in CONSTRUCTOR_NAMES:
            return None
        if d.kind == "method" and self._unique_name(d.name):
            return None
        if family == "ecmascript":
            return self._js_callers_scope(d)
        directory = posixpath.dirname(d.path)
        if "\ufffd" in directory:
            return None
        try:
            needle = directory.encode("utf-8")
        except UnicodeEncodeError:
            return None
        importer = re.compile(re.escape(needle) + rb'(?:["`\r\n]|\Z)') if directory else None

        def go_scope(path: str, blobs: _Blobs) -> bool:
            return self._families[path] == "go" and (
                posixpath.dirname(path) == directory or (importer is not None and blobs.matches(path, importer))
            )

        return go_scope

    def _js_callers_scope(self, d: Definition) -> Callable[[str, _Blobs], bool] | None:
        """The JS/TS case of :meth:`_callers_scope`: None for a method of an unsearchable class
        name. A method's class family (its class and subclasses) is looked up only when a file
        outside ``d``'s own needs it, as ``may_call_from`` does."""
        module = js_module_name(d.path)
        segments = [posixpath.basename(module)]
        if segments[0] == "index":  # an index module is also imported by its directory
            segments.append(posixpath.basename(posixpath.dirname(module)))
        names = [s for s in segments if s]
        if len(names) < len(segments) or not all(name_is_searchable(n) for n in names):
            return None  # the root index module is also the empty specifier's
        owner = owner_of(d)
        if d.kind == "method" and not name_is_searchable(owner):
            return None
        family: list[str] = []

        def js_scope(path: str, blobs: _Blobs) -> bool:
            if self._families[path] != "ecmascript":
                return False
            source = blobs.source(path)
            if _JS_DOT_SEGMENT.search(source) is not None or any(name_occurs(source, n, "javascript") for n in names):
                return True
            if d.kind != "method":
                return False
            if not family:
                family.extend(sorted({owner} | self._descendants(owner)))
            return not all(name_is_searchable(n) for n in family) or any(name_occurs(source, n, "javascript") for n in family)

        return js_scope

    # ------------------------------------------------------------ name maps
    @staticmethod
    def _map_entry(maps: dict[str, dict], entry: FileEntry) -> None:
        path = entry.path
        for kind, names in (("def", entry.def_names), ("call", entry.call_names), ("ref", entry.ref_names)):
            m = maps[kind]
            for n in names:
                bisect.insort(m.setdefault(n, []), path)
        for imp in entry.imports:
            bisect.insort(maps["imports"].setdefault(imp.name, []), (path, entry, imp), key=lambda x: x[0])
            if imp.name and imp.alias and imp.name != imp.alias and imp.alias in entry.call_names:
                bisect.insort(maps["renamed"].setdefault(imp.name, []), (path, imp.alias), key=lambda x: x[0])
        for cls, bases in entry.class_bases:
            for b in bases:
                maps["subclasses"].setdefault(b, set()).add(cls)

    def _tables(self) -> dict[str, dict]:
        """The name tables of the files parsed so far (caller holds the lock)."""
        if self._maps is None:
            maps: dict[str, dict] = {k: {} for k in ("def", "call", "ref", "imports", "renamed", "subclasses")}
            for path in sorted(dict.keys(self.files)):
                self._map_entry(maps, dict.__getitem__(self.files, path))
            self._maps = maps
        return self._maps

    def _get(self, table: str, name: object) -> list | set:  # type: ignore[type-arg]
        """``self._tables()[table].get(name, ())`` without building the tables for a few names:
        the first :data:`NAME_SCANS` answers are found by testing every parsed file
        (:meth:`_scan`) and kept until a file is parsed; later ones build the tables, kept up to
        date by :meth:`_add` from then on. Caller holds the lock."""
        if self._maps is not None:
            return self._maps[table].get(name, ())
        key = (table, name)
        found = self._answers.get(key)
        if found is None:
            if self._scans >= NAME_SCANS:
                return self._tables()[table].get(name, ())
            self._scans += 1
            found = self._answers[key] = self._scan(table, name)
        return found

    def _scan(self, table: str, name: object) -> list | set:  # type: ignore[type-arg]
        """What ``table`` of the files parsed so far holds under ``name`` (see :meth:`_map_entry`):
        the same lists in the same order (by path, then the file's order), or the set of classes."""
        if self._parsed_sorted is None:
            self._parsed_sorted = sorted(dict.items(self.files), key=lambda item: item[0])
        parsed = self._parsed_sorted
        if table in ("def", "call", "ref"):
            if isinstance(name, str) and "\n" not in name:
                needle = "\n" + name + "\n"
                return [path for path, entry in parsed if entry.has_name(table, name, needle)]
            attr = table + "_names"
            return [path for path, entry in parsed if name in getattr(entry, attr)]
        if table == "subclasses":
            return {cls for _, entry in parsed for cls, bases in entry.class_bases if name in bases}
        if isinstance(name, str):
            needle_bytes = name.encode("utf-8", "surrogatepass")
            parsed = [(path, entry) for path, entry in parsed if entry.may_import(needle_bytes)]
        if table == "imports":
            return [(path, entry, imp) for path, entry in parsed for imp in entry.imports if imp.name == name]
        return [(path, alias) for path, entry in parsed for alias in self._renamed_of(entry, name)]  # "renamed"

    def _lookup(self, table: str, name: str) -> list:
        self._ensure_names((name,))
        with self._lock:
            return list(self._get(table, name))

    def _defined_twice(self, name: str) -> bool:
        """True when the files parsed so far define ``name`` at least twice (caller holds the lock)."""
        paths = self._get("def", name)
        return len(paths) > 1 or (
            len(paths) == 1 and sum(d.name == name for d in dict.__getitem__(self.files, paths[0]).symbols().definitions) > 1
        )

    def _unique_name(self, name: str) -> bool:
        # Two definitions among the files parsed so far settle it (the full index holds them
        # too): no need to parse every file that mentions the name. Before that search, the
        # files whose bytes look like they define it (a Go ``func``, a Python ``def`` or
        # ``class``) are parsed first: often two of them settle it. The pattern only orders
        # the parsing; the answer comes from parsed records or from the full search.
        if name in COMMON_METHOD_NAMES or len(name) < 3:
            return False
        with self._lock:
            if self._defined_twice(name):
                return False
            if self._pending and name not in self._searched and name_is_searchable(name) and name.isidentifier():
                start = time.perf_counter()
                pattern = re.compile(
                    rb"(?:\bfunc\s*(?:\([^)\n]*\)\s*)?|\b(?:def|class)\s+)" + re.escape(name.encode("utf-8")) + rb"\b"
                )
                blobs = self._blobs
                assert blobs is not None
                probe = {p for p in self._holding(name) if p in self._pending and pattern.search(blobs.source(p))}
                self.stats.lazy_ms += (time.perf_counter() - start) * 1000
                if probe:
                    self._parse_hits(probe)
                    if self._defined_twice(name):
                        return False
        return super()._unique_name(name)

    def _paths_with(self, kind: str, name: str) -> list[str]:
        return self._lookup(kind, name)

    def _aliases_of(self, name: str) -> list[tuple[str, str]]:
        return self._lookup("renamed", name)

    def _importers_named(self, name: str) -> list[tuple[str, FileEntry, Import]]:
        return self._lookup("imports", name)

    def _subclasses_of(self, base: str) -> set[str]:
        return set(self._lookup("subclasses", base))

    # ---------------------------------------------------------- module maps
    def _language(self, d: Definition) -> str:
        # An entry's language is its path's (files are selected by language_for_path).
        return language_for_path(d.path) or ""

    @cached_property
    def _py_modules(self) -> dict[str, str]:
        return python_module_map((py_module_name(path), path) for path in self._present if self._languages[path] == "python")

    @cached_property
    def _js_modules(self) -> dict[str, str]:
        return js_module_map((js_module_name(path), path) for path in self._present
                             if family_of(self._languages[path]) == "ecmascript")

    @cached_property
    def _py_reexported(self) -> dict[str, set[str]]:
        inits = [p for p in self._present if self._languages[p] == "python" and is_init_path(p)]
        with self._lock:
            self._parse(inits)
        out: dict[str, set[str]] = {}
        for path in inits:
            entry = dict.get(self.files, path)
            if entry is None:
                continue
            for imp in entry.imports:
                if imp.name is None:
                    continue
                target = self._py_modules.get(self._py_absolute(entry, imp))
                if target is not None and target != path:
                    out.setdefault(target, set()).add(imp.name)
        return out


def _read(tree: TreeView, todo: list[tuple[str, str, str]]) -> Iterator[tuple[str, str, str, bytes | memoryview | int | None]]:
    """``(path, blob, language, data)`` for ``todo``: the bytes (or a view of them), the size when over
    :data:`MAX_FILE_BYTES`, None when unreadable. In two git processes when the tree can read
    in bulk (``blob_sizes`` / ``read_blobs``, :class:`bot.adapters.gitlocal.GitTree`), else blob by blob."""
    sizes_of = getattr(tree, "blob_sizes", None)
    read_many = getattr(tree, "read_blobs", None)
    if sizes_of is None or read_many is None:
        for path, blob, language in todo:
            data = tree.read_blob(blob)
            yield path, blob, language, (len(data) if data is not None and len(data) > MAX_FILE_BYTES else data)
        return
    sizes = sizes_of(sorted({b for _, b, _ in todo}))
    blobs = read_many(sorted(b for b, size in sizes.items() if size <= MAX_FILE_BYTES))
    for path, blob, language in todo:
        size = sizes.get(blob)
        yield path, blob, language, (size if size is not None and size > MAX_FILE_BYTES else blobs.get(blob))


def lazy_index(tree: TreeView, cache_dir: Path | None = None, *, workers: int | None = None,
               warm: Mapping[tuple[str, str, str], tuple[bytes | None, bytes | None]] | None = None,
               entries: Mapping[tuple[str, str, str], FileEntry] | None = None,
               selection: Mapping[str, str | None] | None = None) -> CodeIndex:
    """The code index of ``tree`` for one review: cached files loaded, the others parsed on demand.

    Reads the uncached blobs (their bytes are searched for the names queries ask about). When
    every file is cached, returns the plain :class:`CodeIndex`. ``workers`` as for
    :meth:`CodeIndex.build` (used for large on-demand batches); ``warm``: rows of ``cache_dir``
    already read (:func:`bot.codeindex.builder.lookup`), and ``entries``: the
    :meth:`FileEntry.from_row` of some of them, same keys (each taken in place of decoding that
    row again; :mod:`bot.cli.warmstate`); ``selection``: as for
    :func:`bot.codeindex.builder.select_files`. Git errors from ``tree``
    propagate; a broken cache is recorded in ``stats.cache_error``.
    """
    start = time.perf_counter()
    rows, todo, stats = lookup(tree, cache_dir, warm, selection=selection)
    if not todo:
        rows.sort()
        index = CodeIndex([_entry(entries, p, b, lang, h, d) for p, b, lang, h, d in rows], stats)
        index.symbol_cache_dir = cache_dir
        stats.files = len(rows)
        stats.ms = (time.perf_counter() - start) * 1000
        return index
    pending: dict[str, tuple[str, str, bytes]] = {}
    large: list[tuple[str, str, str, bytes | None, bytes | None]] = []
    for path, blob, language, data in _read(tree, todo):
        if data is None:
            stats.skipped += 1
        elif isinstance(data, int):
            stats.skipped += 1
            stats.too_large.append((blob, path, language))
            large.append((blob, path, language, None, None))
        else:
            pending[path] = (blob, language, data)
    store(cache_dir, large, stats)
    stats.mode = "lazy"
    index = LazyCodeIndex(rows, pending, stats, cache_dir, workers=workers, entries=entries)
    index.symbol_cache_dir = cache_dir
    stats.ms = (time.perf_counter() - start) * 1000
    return index


def _entry(entries: Mapping[tuple[str, str, str], FileEntry] | None, path: str, blob: str, language: str,
           header: bytes, data: bytes | None) -> FileEntry:
    """The entry of a cache row: the one in ``entries`` for its key, else decoded."""
    entry = entries.get((blob, path, language)) if entries else None
    return entry if entry is not None else FileEntry.from_row(path, blob, header, data)
