"""Building a code index from a tree: file selection, blob-SHA cache, parallel cold parsing.

The expensive part (parsing and extraction, ~1 s per 6 MB of Python on one core here) runs in a
``ProcessPoolExecutor`` with ``workers`` processes when there is enough uncached source, else in
process. Workers return encoded results only (a small header and the full data as zlib-compressed
``marshal``, see :func:`extract_entry`), so the parent never materializes symbols it
is not asked about.
"""

from __future__ import annotations

import marshal
import os
import sys
import threading
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.codeindex.cache import CacheError, SymbolCache
from bot.codeindex.extract import SUPPORTED_LANGUAGES, extract
from bot.codeindex.model import FileSymbols, check_compact
from bot.core.languages import language_for_path

if TYPE_CHECKING:  # typing only: importing protocols pulls in pydantic
    import multiprocessing.context
    from concurrent.futures import Future

    from bot.core.protocols import TreeView

# multiprocessing, concurrent.futures, subprocess and pickle are imported where a cold build uses
# them: a warm build (every file cached) never does, and they cost ~15 ms of every review's start.

MAX_FILE_BYTES = 1_000_000
"""Files larger than this are not indexed (generated code, bundles, data)."""

VENDORED_DIRS = frozenset(
    {"node_modules", "vendor", ".venv", "venv", "site-packages", "third_party", "bower_components", "__pycache__", ".git"}
)
"""A path with any of these directory components is third-party code and is not indexed."""

PARALLEL_MIN_BYTES = 400_000
"""Below this much uncached source, parsing runs in process (a pool costs ~30-80 ms to start)."""

PARALLEL_MIN_FILES = 8
"""Nor with fewer uncached files than this."""

SUBPROCESS_MIN_BYTES = 1_500_000
"""Nor, when this process cannot fork (it runs threads), below this much: a fresh worker
interpreter costs ~0.2 s of start-up and imports, about what 0.5 MB of parsing costs in process."""

CHUNK_BYTES = 200_000
"""Target source bytes per work unit sent to a worker process."""

MARSHAL_FORMAT = 4
"""``marshal`` format of the cached headers (fixed, so that a newer Python writes what an older
one of the same major version reads; a Python that cannot read it raises, see :func:`decode_header`)."""


@dataclass
class BuildStats:
    """What one build did. ``ms`` is wall time; ``parse_ms`` the part spent extracting."""

    files: int = 0
    """Supported-language files indexed (cached + parsed)."""
    parsed: int = 0
    cached: int = 0
    skipped: int = 0
    """Files not indexed: too large, vendored, unreadable."""
    failed: dict[str, str] = field(default_factory=dict)
    """Path -> error for files whose extraction raised (a bug; reported, never hidden)."""
    lines: int = 0
    bytes_parsed: int = 0
    workers: int = 0
    mode: str = ""
    """How cold files were parsed: ``serial``, ``fork`` (forked workers) or ``subprocess`` (fresh
    worker interpreters, when this process runs threads), plus a note when a worker failed."""
    ms: float = 0.0
    parse_ms: float = 0.0
    lazy_ms: float = 0.0
    """A lazy index (:mod:`bot.codeindex.lazy`): wall time spent inside queries searching blobs
    and parsing the files they can read (part of the querying agent's time, not of ``ms``)."""
    cache_error: str | None = None
    too_large: list[tuple[str, str, str]] = field(default_factory=list)
    """``(blob, path, language)`` of files skipped for size (remembered in the cache)."""

    def as_dict(self) -> dict[str, object]:
        """Plain dict for JSON output."""
        return {
            "files": self.files,
            "parsed": self.parsed,
            "cached": self.cached,
            "skipped": self.skipped,
            "failed": len(self.failed),
            "lines": self.lines,
            "bytes_parsed": self.bytes_parsed,
            "workers": self.workers,
            "mode": self.mode,
            "ms": round(self.ms, 1),
            "parse_ms": round(self.parse_ms, 1),
            "lazy_ms": round(self.lazy_ms, 1),
            "cache_error": self.cache_error,
        }


def is_vendored(path: str) -> bool:
    """True when a directory component of ``path`` is in :data:`VENDORED_DIRS`."""
    return any(part in VENDORED_DIRS for part in path.split("/")[:-1])


VENDORED = ""
""":func:`path_selection`'s answer for a file of an indexed language under a vendored directory."""


def path_selection(paths: Iterable[str]) -> dict[str, str | None]:
    """``{path: its language}`` for each file the index would take, :data:`VENDORED` for one it
    skips as vendored and None for one of no indexed language: :func:`select_files`'s decision,
    which depends on the path alone (for its ``known``)."""
    out: dict[str, str | None] = {}
    for path in paths:
        language = language_for_path(path)
        if language not in SUPPORTED_LANGUAGES:
            out[path] = None
        else:
            out[path] = VENDORED if is_vendored(path) else language
    return out


def select_files(files: Mapping[str, str], known: Mapping[str, str | None] | None = None,
                 ) -> tuple[list[tuple[str, str, str]], int]:
    """``(path, blob, language)`` of indexable files, sorted by path, and the count skipped as vendored.

    ``known``: :func:`path_selection` of some paths (the command server keeps the last reviewed
    tree's, :mod:`bot.cli.warmstate`), taken for those paths instead of deciding again."""
    out: list[tuple[str, str, str]] = []
    vendored = 0
    if known:
        extra = path_selection([path for path in files if path not in known])
        for path, blob in files.items():
            language = extra[path] if extra and path in extra else known[path]
            if language:
                out.append((path, blob, language))
            elif language is not None:
                vendored += 1
        out.sort()
        return out, vendored
    for path, blob in files.items():
        language = language_for_path(path)
        if language not in SUPPORTED_LANGUAGES:
            continue
        if is_vendored(path):
            vendored += 1
            continue
        out.append((path, blob, language))
    out.sort()
    return out, vendored


def header_of(symbols) -> list[object]:  # noqa: ANN001 - FileSymbols
    """The eagerly loaded part of a file's entry: ``[language, module, imports, exports, has_main,
    def_names, call_names, ref_names, lines, errors, class_bases]`` (names sorted and unique;
    ``class_bases`` is ``[[class name, [base names, last component]]...]``)."""
    return [
        symbols.language,
        symbols.module,
        symbols.imports,
        symbols.exports,
        symbols.has_main,
        sorted({d.name for d in symbols.definitions}),
        sorted({c.name for c in symbols.calls}),
        sorted(symbols.references),
        symbols.lines,
        symbols.errors,
        sorted(
            [d.name, sorted({b.rsplit(".", 1)[-1] for b in d.bases})]
            for d in symbols.definitions
            if d.kind == "class" and d.bases
        ),
    ]


EXTRACT_ERRORS = (ValueError, RecursionError, UnicodeError, TypeError, AttributeError, IndexError)
"""What a failing extraction raises (an extractor bug: the file is reported in ``stats.failed``)."""


def _names_text(names: object) -> str | frozenset[str]:
    """One header name field as stored: ``"\\n" + "\\n".join(names) + "\\n"`` (``"\\n"`` when
    empty), in which each name stands between two newlines, or a frozenset when a name holds a
    newline (then the text could not tell names apart)."""
    names = sorted(set(names))  # type: ignore[call-overload]
    if any("\n" in n for n in names):
        return frozenset(names)
    return "".join("\n" + n for n in names) + "\n"


def encode_header(header: list[object]) -> bytes:
    """:func:`header_of`'s list as the cache stores it: ``marshal`` (plain data: str, bytes, int,
    bool, None, tuples, frozensets; loading it never runs code, unlike pickle) of the tuple
    ``(language, module, imports, exports tuple or None, has_main, def_names, call_names,
    ref_names, lines, errors, class_bases as (name, bases tuple))``, where the imports are
    ``marshal`` bytes of 5-tuples and each name field one string (:func:`_names_text`).

    A warm index loads every file's header but reads the names and imports of a few: one
    string per field loads ~20x faster than the ~50 strings and ~10 import tuples of a grpc-go
    file (RESULTS.md, "Eighth session, warm index load"), and
    :class:`~bot.codeindex.index.FileEntry` builds the sets and records on first use."""
    language, module, imports, exports, has_main, defs, calls, refs, lines, errors, bases = header
    return marshal.dumps(
        (
            language,
            module,
            marshal.dumps(tuple(tuple(i) for i in imports), MARSHAL_FORMAT),  # type: ignore[union-attr]
            None if exports is None else tuple(exports),  # type: ignore[arg-type]
            bool(has_main),
            _names_text(defs),
            _names_text(calls),
            _names_text(refs),
            int(lines),  # type: ignore[call-overload]
            bool(errors),
            tuple((c, tuple(b)) for c, b in bases),  # type: ignore[union-attr]
        ),
        MARSHAL_FORMAT,
    )


def decode_header(path: str, raw: bytes) -> tuple:  # type: ignore[type-arg]
    """Inverse of :func:`encode_header`: the 11-tuple. Raises ``ValueError`` for data that is
    not such a tuple (corrupt, or written by another format)."""
    try:
        header = marshal.loads(raw)
    except (EOFError, ValueError, TypeError) as exc:
        raise ValueError(f"corrupt code index header for {path}: {exc}") from exc
    if type(header) is not tuple or len(header) != 11:
        raise ValueError(f"corrupt code index header for {path}: not an 11-tuple")
    return header


def encode_entry(symbols: FileSymbols) -> tuple[bytes, bytes]:
    """``(header, data)`` of extracted symbols, the cache's row: :func:`encode_header`, and the
    zlib-compressed ``marshal`` of :meth:`FileSymbols.to_compact` (decoded ~2.5x faster than the
    JSON stored up to extractor version 10; RESULTS.md, "Eighth session, warm index load")."""
    data = zlib.compress(marshal.dumps(symbols.to_compact(), MARSHAL_FORMAT), 1)
    return encode_header(header_of(symbols)), data


def extract_entry(language: str, path: str, source: bytes) -> tuple[bytes, bytes]:
    """Extract one file and encode it (:func:`encode_entry`)."""
    return encode_entry(extract(language, path, source))


def decode_data(path: str, data: bytes) -> FileSymbols:
    """Inverse of the data part of :func:`extract_entry`. Raises ``ValueError`` (including
    ``zlib.error``-wrapped) / ``TypeError`` for corrupt data."""
    return FileSymbols.from_checked(path, decode_compact(path, data))


def decode_compact(path: str, data: bytes) -> tuple[Any, ...]:
    """The data part of :func:`extract_entry` unpacked to :meth:`FileSymbols.to_compact`'s plain
    tuples, every record's length checked (:func:`~bot.codeindex.model.check_compact`), before
    any record is built: what :func:`decode_data` builds its records from. Raises as it does."""
    try:
        compact = marshal.loads(zlib.decompress(data))
    except (zlib.error, EOFError, ValueError, TypeError) as exc:
        raise ValueError(f"corrupt code index data for {path}: {exc}") from exc
    return check_compact(path, compact)


def _extract_chunk(items: list[tuple[str, str, str, bytes]]) -> list[tuple[str, str, bytes | None, bytes | None, str | None]]:
    """Worker body: ``(blob, path, language, source)`` -> ``(blob, path, header, data, error)``."""
    out: list[tuple[str, str, bytes | None, bytes | None, str | None]] = []
    for blob, path, language, source in items:
        try:
            header, data = extract_entry(language, path, bytes(source))  # a memoryview is copied, bytes are not
        except EXTRACT_ERRORS as exc:
            out.append((blob, path, None, None, f"{type(exc).__name__}: {exc}"))
            continue
        out.append((blob, path, header, data, None))
    return out


def _fork_context() -> multiprocessing.context.BaseContext | None:
    """The ``fork`` start method when it is safe and cheap: POSIX and a single-threaded process.

    Forking a multi-threaded process can deadlock the child, and ``spawn``/``forkserver`` would
    re-import the program's main module in each worker; without fork, :func:`parse_missing`
    starts plain worker interpreters instead.
    """
    import multiprocessing  # noqa: PLC0415 - cold builds only (see the imports)

    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return None


def default_workers() -> int:
    """Worker processes for cold parsing: min(2, CPUs available to this process)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(2, cpus))


def _owned(chunk: list[tuple[str, str, str, bytes]]) -> list[tuple[str, str, str, bytes]]:
    """``chunk`` with every source as bytes (a tree may hand out memoryviews; they do not pickle)."""
    return [(blob, path, language, bytes(source)) for blob, path, language, source in chunk]


def _chunks(tree: TreeView, todo: list[tuple[str, str, str]], stats: BuildStats) -> Iterator[list[tuple[str, str, str, bytes]]]:
    """``todo``'s sources in lists of about :data:`CHUNK_BYTES` (a source may be bytes or a
    memoryview, as ``tree.read_blob`` returns it)."""
    chunk: list[tuple[str, str, str, bytes]] = []
    size = 0
    for path, blob, language in todo:
        data = tree.read_blob(blob)
        if data is None:
            stats.skipped += 1
            continue
        if len(data) > MAX_FILE_BYTES:
            stats.skipped += 1
            stats.too_large.append((blob, path, language))
            continue
        chunk.append((blob, path, language, data))
        size += len(data)
        if size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def parse_missing(
    tree: TreeView,
    todo: list[tuple[str, str, str]],
    stats: BuildStats,
    *,
    workers: int,
    size_hint: int | None = None,
) -> Iterator[tuple[str, str, bytes | None, bytes | None, str | None]]:
    """Read and extract ``todo`` files; yields ``(blob, path, header, data, error)``.

    Runs in ``workers`` processes when ``workers > 1`` and there are more than
    :data:`PARALLEL_MIN_BYTES` to parse (``size_hint``, else estimated at 12 kB a file) in at
    least :data:`PARALLEL_MIN_FILES` files: forked ones when this process may fork (see
    :func:`_fork_context`), else fresh interpreters (:func:`_subprocess_workers`) when there are
    at least :data:`SUBPROCESS_MIN_BYTES`. Work whose
    worker fails is parsed in process. Blobs over :data:`MAX_FILE_BYTES` or unreadable are
    counted in ``stats.skipped``.
    """
    estimate = size_hint if size_hint is not None else 12_000 * len(todo)
    big = workers > 1 and estimate >= PARALLEL_MIN_BYTES and len(todo) >= PARALLEL_MIN_FILES
    context = _fork_context() if big else None
    if context is None and estimate < SUBPROCESS_MIN_BYTES:
        big = False
    if not big:
        stats.workers = 0
        stats.mode = "serial"
        for chunk in _chunks(tree, todo, stats):
            stats.bytes_parsed += sum(len(c[3]) for c in chunk)
            yield from _extract_chunk(chunk)
        return
    stats.workers = workers
    if context is None:
        yield from _subprocess_workers(tree, todo, stats, workers)
        return
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415 - cold builds only
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    stats.mode = "fork"
    pending: list[tuple[list[tuple[str, str, str, bytes]], Future | None]] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for chunk in _chunks(tree, todo, stats):
            stats.bytes_parsed += sum(len(c[3]) for c in chunk)
            try:
                pending.append((chunk, pool.submit(_extract_chunk, _owned(chunk))))
            except (BrokenProcessPool, RuntimeError, OSError):
                pending.append((chunk, None))
        for chunk, fut in pending:
            try:
                result = fut.result() if fut is not None else None
            except (BrokenProcessPool, OSError):
                result = None
            if result is None:  # the pool failed: parse this chunk here
                stats.mode = "fork, partly in process (worker failure)"
                result = _extract_chunk(chunk)
            yield from result


_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from bot.codeindex._worker import main; raise SystemExit(main())"
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
SUBPROCESS_TIMEOUT_S = 300.0
"""A worker process taking longer than this is killed and its batch parsed in process."""


def _subprocess_workers(
    tree: TreeView, todo: list[tuple[str, str, str]], stats: BuildStats, workers: int
) -> Iterator[tuple[str, str, bytes | None, bytes | None, str | None]]:
    """Parse in ``workers`` fresh Python processes (``python -I``; see :mod:`bot.codeindex._worker`).

    For a parent that runs threads, where forking is unsafe. Files are split into batches of
    similar total size (largest first); a worker that fails or times out has its batch parsed in
    process, so the result never depends on the workers.
    """
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 - cold builds only

    stats.mode = "subprocess"
    items = [item for chunk in _chunks(tree, todo, stats) for item in chunk]
    stats.bytes_parsed += sum(len(i[3]) for i in items)
    batches: list[list[tuple[str, str, str, bytes]]] = [[] for _ in range(workers)]
    sizes = [0] * workers
    for item in sorted(items, key=lambda i: -len(i[3])):
        k = sizes.index(min(sizes))
        batches[k].append(item)
        sizes[k] += len(item[3])
    live = [b for b in batches if b]
    with ThreadPoolExecutor(max_workers=len(live) or 1) as threads:
        results = list(threads.map(_run_worker, live))
    for batch, result in zip(live, results):
        if result is None:
            stats.mode = "subprocess, partly in process (worker failure)"
            result = _extract_chunk(batch)
        yield from result


def _run_worker(batch: list[tuple[str, str, str, bytes]]) -> list[tuple[str, str, bytes | None, bytes | None, str | None]] | None:
    """Run one worker interpreter on ``batch``; None when it cannot start, fails, times out or
    does not answer for every file.

    The batch goes in frames of about :data:`CHUNK_BYTES` (each source copied into its frame
    only then) from a writer thread while this thread reads each frame's results, so the
    parent never holds the batch pickled, nor the whole output both pickled and unpickled.
    """
    import pickle  # noqa: PLC0415 - cold builds only (our own worker's output, never the PR's data)
    import subprocess  # noqa: PLC0415

    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _BOOT, _PACKAGE_ROOT],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
    except OSError:
        return None
    stdin, stdout = proc.stdin, proc.stdout
    assert stdin is not None and stdout is not None

    def feed() -> None:
        try:
            frame: list[tuple[str, str, str, bytes]] = []
            size = 0
            for blob, path, language, source in batch:
                frame.append((blob, path, language, bytes(source)))
                size += len(source)
                if size >= CHUNK_BYTES:
                    pickle.dump(frame, stdin, protocol=pickle.HIGHEST_PROTOCOL)
                    frame, size = [], 0
            if frame:
                pickle.dump(frame, stdin, protocol=pickle.HIGHEST_PROTOCOL)
            stdin.close()
        except (OSError, ValueError):  # the worker died or was killed: the reader sees it
            pass

    writer = threading.Thread(target=feed, name="quorum-index-feed", daemon=True)
    timer = threading.Timer(SUBPROCESS_TIMEOUT_S, proc.kill)
    timer.daemon = True
    writer.start()
    timer.start()
    out: list[tuple[str, str, bytes | None, bytes | None, str | None]] = []
    try:
        while len(out) < len(batch):
            out.extend(pickle.load(stdout))
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, OSError):
        proc.kill()
        out = []
    finally:
        timer.cancel()
        writer.join()
        for pipe in (stdin, stdout):
            try:
                pipe.close()
            except OSError:
                pass
        code = proc.wait()
    return out if code == 0 and len(out) == len(batch) else None


def lookup(tree: TreeView, cache_dir: Path | None,
           warm: Mapping[tuple[str, str, str], tuple[bytes | None, bytes | None]] | None = None,
           *, selection: Mapping[str, str | None] | None = None,
           ) -> tuple[list[tuple[str, str, str, bytes, bytes]], list[tuple[str, str, str]], BuildStats]:
    """First stage of a build: select the indexable files of ``tree`` and take what the cache holds.

    Returns ``(rows, todo, stats)``: ``rows`` are ``(path, blob, language, header, data)``
    of cached files, ``todo`` the ``(path, blob, language)`` still to parse (by path). Remembered
    skips are counted in ``stats.skipped``; a cache that cannot be opened or read is recorded in
    ``stats.cache_error`` (everything is then to parse). ``warm`` (with a ``cache_dir`` only):
    rows of this cache already read, ``(blob, path, language) -> (header, data)`` for this
    extractor version (the command server keeps the last reviewed tree's, :mod:`bot.cli.warmstate`);
    the cache is asked only for the other files (none asked: the cache is not opened).
    ``selection``: :func:`select_files`'s ``known`` (same result, less work).
    """
    stats = BuildStats()
    selected, vendored = select_files(tree.list_files(), selection)
    stats.skipped += vendored
    rows: list[tuple[str, str, str, bytes, bytes]] = []
    todo: list[tuple[str, str, str]] = []
    if cache_dir is None:
        stats.cached = 0
        return rows, list(selected), stats
    hits: dict[tuple[str, str, str], tuple[bytes | None, bytes | None]] = {}
    wanted = selected
    if warm:
        wanted = []
        for key in selected:
            row = warm.get((key[1], key[0], key[2]))
            if row is None:
                wanted.append(key)
            else:
                hits[key] = row
    try:
        if wanted:
            found = _read_rows(cache_dir, [(blob, path, lang) for path, blob, lang in wanted], reader=bool(warm))
            for key in wanted:
                row = found.get((key[1], key[0]))
                if row is not None:
                    hits[key] = row
    except CacheError as exc:
        stats.cache_error = str(exc)
    for key in selected:
        hit = hits.get(key)
        if hit is None:
            todo.append(key)
        elif hit[0] is None or hit[1] is None:
            stats.skipped += 1
        else:
            rows.append((*key, hit[0], hit[1]))
    stats.cached = len(rows)
    return rows, todo, stats


def _read_rows(cache_dir: Path, keys: list[tuple[str, str, str]], *, reader: bool,
               ) -> dict[tuple[str, str], tuple[bytes | None, bytes | None]]:
    """:meth:`SymbolCache.get_many` of ``keys``. ``reader``: first through a connection with no
    set-up statements (a cache whose rows were read before exists), then, if that fails, as
    without. Raises :class:`CacheError`."""
    if reader:
        try:
            with SymbolCache(cache_dir, reader=True) as cache:
                return cache.get_many(keys)
        except CacheError:
            pass  # a missing or unreadable file: the usual open creates or reports it
    with SymbolCache(cache_dir) as cache:
        return cache.get_many(keys)


def store(cache_dir: Path | None, fresh: list[tuple[str, str, str, bytes | None, bytes | None]], stats: BuildStats) -> None:
    """Write ``(blob, path, language, header, data)`` rows (None, None: a remembered skip) to the
    cache; a failure is recorded in ``stats.cache_error``, never raised."""
    if cache_dir is None or stats.cache_error is not None or not fresh:
        return
    try:
        with SymbolCache(cache_dir) as cache:
            cache.put_many(fresh)
    except CacheError as exc:
        stats.cache_error = str(exc)


def parse_rows(
    tree: TreeView, todo: list[tuple[str, str, str]], stats: BuildStats, *, workers: int | None, size_hint: int | None = None
) -> tuple[list[tuple[str, str, str, bytes, bytes]], list[tuple[str, str, str, bytes | None, bytes | None]]]:
    """Parse ``todo`` (see :func:`parse_missing`): ``(rows, cache rows)``; failures go to
    ``stats.failed``, size skips to ``stats.too_large`` (and to the cache rows, as remembered
    skips). Adds to ``stats.parsed`` and ``stats.parse_ms``."""
    languages = {path: language for path, _, language in todo}
    rows: list[tuple[str, str, str, bytes, bytes]] = []
    fresh: list[tuple[str, str, str, bytes | None, bytes | None]] = []
    t0 = time.perf_counter()
    known_large = len(stats.too_large)
    for blob, path, header, data, error in parse_missing(
        tree, todo, stats, workers=default_workers() if workers is None else workers, size_hint=size_hint
    ):
        if error is not None or header is None or data is None:
            stats.failed[path] = error or "no output"
            continue
        rows.append((path, blob, languages[path], header, data))
        fresh.append((blob, path, languages[path], header, data))
    stats.parse_ms += (time.perf_counter() - t0) * 1000
    stats.parsed += len(fresh)
    fresh.extend((b, p, lang, None, None) for b, p, lang in stats.too_large[known_large:])
    return rows, fresh


def collect(
    tree: TreeView,
    cache_dir: Path | None,
    *,
    workers: int | None = None,
) -> tuple[list[tuple[str, str, str, bytes, bytes]], BuildStats]:
    """Gather ``(path, blob, language, header, data)`` for every indexable file of ``tree``.

    Cached rows are reused (keyed by blob, path, language, extractor version); the rest are
    parsed and written back. A cache that cannot be opened or written is recorded in
    ``stats.cache_error`` and the build continues without it.
    """
    start = time.perf_counter()
    rows, todo, stats = lookup(tree, cache_dir)
    parsed, fresh = parse_rows(tree, todo, stats, workers=workers)
    rows.extend(parsed)
    store(cache_dir, fresh, stats)
    rows.sort()
    stats.files = len(rows)
    stats.ms = (time.perf_counter() - start) * 1000
    return rows, stats
