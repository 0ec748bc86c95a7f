"""The command server's warm state (issue 14): what the next review of a repository needs and
that does not depend on the pull request, loaded in the server between requests so that each
forked child inherits it (copy-on-write) instead of reading it again.

What is kept: the **code index's cache rows of the last reviewed head tree** of each
repository, ``(blob, path, language) -> (header, data)`` exactly as the index cache
(:class:`bot.codeindex.cache.SymbolCache`) returned them, each row decoded
(:meth:`bot.codeindex.index.FileEntry.from_row`, with the renamed imports each file calls,
:meth:`~bot.codeindex.index.FileEntry.renamed_imports`, which a caller query otherwise reads
from every file's imports), and what listing and selecting that tree's
files found: its ``git ls-tree`` entries, each parsed (:func:`bot.adapters.gitlocal.listing_entries`:
an entry names mode, blob and path, so it means the same in any tree), and the index's decision
for each path (:func:`bot.codeindex.builder.path_selection`, a function of the path alone).
The next review still lists its own tree (one ``git ls-tree``) but parses and selects only the
entries that changed (a review's forked agent child spent ~6 of its ~14 ms of index load CPU
there on grpc-go). Consecutive pull requests of one repository
share almost every file, so the next review's index takes most of its rows, decoded, from
memory and asks the cache's SQLite file only for the others (a warm index load read and decoded
every row of the tree: 9-11 ms of CPU on pydantic and grpc-go, of its 13-17 ms). Nothing is trusted
that the index would not trust itself: a row is the cache's answer for that blob, path,
language and extractor version (the key of the cache, which is content-addressed: a blob SHA
names its bytes, and the server's code, extractor included, cannot change under it, see
:func:`bot.cli.cmdclient.code_fingerprint`); the file list always comes from the reviewed
tree itself (``git ls-tree`` of the head, as in any review), rows are used only for a review
whose index cache directory is the one they were read from, and anything else (a new file, a
changed blob, a renamed path, another cache directory) goes to the cache or is parsed, as in a
fresh process. A failure while loading leaves no state for that repository.

Bounded: rows of at most :data:`MAX_WARM_TREES` trees (one per repository, least recently
reviewed dropped first) and :data:`MAX_WARM_BYTES` bytes of rows in all. A child's changes to
what it inherited never reach the server (it is another process).
"""

from __future__ import annotations

from collections import ChainMap, OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_WARM_TREES = 4
"""Repositories whose last reviewed tree's rows the server keeps."""
MAX_WARM_BYTES = 64 * 1024 * 1024
"""Bytes of rows (headers and data, plus :data:`ROW_OVERHEAD_BYTES` each) the server keeps in all."""
ROW_OVERHEAD_BYTES = 1024
"""What each kept row is counted for beyond its bytes: its key, tuple and decoded entry."""

Rows = dict[tuple[str, str, str], tuple[bytes | None, bytes | None]]


@dataclass(frozen=True)
class WarmJob:
    """What to load after a review: the repository (absolute path, as the review resolves it),
    its head (a ref or SHA as the review was given it) and the index cache directory."""

    repo: str
    head: str
    cache_dir: Path


def job_of(request: Mapping[str, Any]) -> WarmJob | None:
    """The :class:`WarmJob` of a served request (``{"argv", "cwd", "env"}`` of
    :func:`bot.cli.cmdclient.decode_request`), or None when it is no review whose arguments the
    fast path takes (``--help``, a usage error, another command)."""
    from bot.cli.review_cmd import parse_review_argv  # noqa: PLC0415
    from bot.localsettings import local_settings  # noqa: PLC0415

    argv = list(request.get("argv") or [])
    if argv[:1] != ["review"]:
        return None
    values = parse_review_argv(argv[1:])
    if values is None:
        return None
    try:
        repo = (Path(request["cwd"]) / Path(values["repo"]).expanduser()).resolve()
        cache_dir = local_settings(dict(request["env"])).cache_dir / "index"
    except (OSError, ValueError, RuntimeError):
        return None
    return WarmJob(str(repo), str(values["head"]), Path(cache_dir))


@dataclass
class _Kept:
    """What :class:`WarmIndexRows` keeps of one repository's tree (see the module docstring)."""

    cache_dir: Path
    rows: Rows
    entries: dict[tuple[str, str, str], Any]
    size: int
    """Bytes counted against :attr:`WarmIndexRows.max_bytes`."""
    listing: dict[bytes, tuple[str, str]] = field(default_factory=dict)
    selection: dict[str, str | None] = field(default_factory=dict)


class WarmIndexRows:
    """The index cache rows of the last reviewed tree of up to ``max_trees`` repositories
    (see the module docstring). Not thread-safe: the server is single-threaded."""

    def __init__(self, *, max_trees: int = MAX_WARM_TREES, max_bytes: int = MAX_WARM_BYTES) -> None:
        self.max_trees = max_trees
        self.max_bytes = max_bytes
        self._trees: OrderedDict[str, _Kept] = OrderedDict()
        """repository -> what is kept of its last tree, least recently loaded first."""

    def load(self, job: WarmJob) -> int:
        """Read the cache rows of ``job``'s head tree (its file list from ``git ls-tree``, the
        rows from the cache) and keep them for that repository in place of any before. Returns
        the number of rows kept; 0 (and nothing kept for the repository) when the head does not
        resolve, git or the cache fails, or the rows alone exceed :attr:`max_bytes`."""
        from bot.adapters.gitlocal import CatFile, Git, GitTree, listing_entries  # noqa: PLC0415
        from bot.codeindex.builder import path_selection, select_files  # noqa: PLC0415
        from bot.codeindex.cache import CACHE_FILE, CacheError, SymbolCache  # noqa: PLC0415
        from bot.codeindex.index import FileEntry  # noqa: PLC0415
        from bot.core.errors import SourceError  # noqa: PLC0415

        self._trees.pop(job.repo, None)
        if not (job.cache_dir / CACHE_FILE).is_file():
            return 0  # nothing cached yet: never create a cache here
        git = Git(job.repo)
        try:
            sha = git.rev(job.head)
            if sha is None:
                return 0
            files = GitTree(git, CatFile(job.repo), sha).list_files()
            selection = path_selection(files)
            selected, _ = select_files(files, selection)
            with SymbolCache(job.cache_dir) as cache:
                hits = cache.get_many((blob, path, lang) for path, blob, lang in selected)
        except (SourceError, CacheError, OSError, ValueError):
            return 0
        rows: Rows = {}
        entries: dict[tuple[str, str, str], Any] = {}
        size = 0
        for path, blob, lang in selected:
            hit = hits.get((blob, path))
            if hit is None:
                continue
            rows[(blob, path, lang)] = hit
            size += len(hit[0] or b"") + len(hit[1] or b"") + ROW_OVERHEAD_BYTES
            if hit[0] is not None:
                try:
                    decoded = FileEntry.from_row(path, blob, hit[0], hit[1])
                    entries[(blob, path, lang)] = decoded
                    decoded.renamed_imports()
                except (ValueError, TypeError):
                    pass  # a corrupt header or imports: the review decodes them and meets the error itself
            if size > self.max_bytes:
                return 0
        listing = listing_entries(files)
        size += sum(len(entry) for entry in listing) + ROW_OVERHEAD_BYTES * len(selection)
        if size > self.max_bytes:
            return 0
        self._trees[job.repo] = _Kept(job.cache_dir, rows, entries, size, listing, selection)
        while len(self._trees) > self.max_trees or sum(t.size for t in self._trees.values()) > self.max_bytes:
            self._trees.popitem(last=False)
        return len(rows)

    def rows_for(self, cache_dir: Path | None) -> Mapping[tuple[str, str, str], tuple[bytes | None, bytes | None]] | None:
        """Every kept row read from ``cache_dir`` (most recently loaded tree first), or None."""
        return self._kept(cache_dir, "rows")

    def entries_for(self, cache_dir: Path | None) -> Mapping[tuple[str, str, str], Any] | None:
        """The :class:`~bot.codeindex.index.FileEntry` decoded from each kept row of
        ``cache_dir`` (same keys as :meth:`rows_for`), or None."""
        return self._kept(cache_dir, "entries")

    def listing_for(self, cache_dir: Path | None) -> Mapping[bytes, tuple[str, str]] | None:
        """The parsed ``git ls-tree`` entries of the trees whose rows :meth:`rows_for` gives
        (``known`` of :meth:`bot.adapters.gitlocal.GitTree.list_files`), or None."""
        return self._kept(cache_dir, "listing")

    def selection_for(self, cache_dir: Path | None) -> Mapping[str, str | None] | None:
        """The index's decision for each path of those trees (``known`` of
        :func:`bot.codeindex.builder.select_files`), or None."""
        return self._kept(cache_dir, "selection")

    def _kept(self, cache_dir: Path | None, part: str) -> Mapping[Any, Any] | None:
        if cache_dir is None:
            return None
        found = [getattr(kept, part) for kept in reversed(self._trees.values()) if kept.cache_dir == Path(cache_dir)]
        if not found:
            return None
        return found[0] if len(found) == 1 else ChainMap(*found)

    def builder(self) -> Callable[..., Any]:
        """An ``index_builder`` for :class:`bot.pipeline.PipelineOptions`: the review's usual
        :func:`bot.codeindex.lazy.lazy_index`, given the rows kept for its cache directory, their
        decoded entries and the kept trees' listing and selection (a
        :class:`~bot.adapters.gitlocal.GitTree` not listed yet lists itself with them)."""
        from bot.adapters.gitlocal import GitTree  # noqa: PLC0415
        from bot.codeindex.lazy import lazy_index  # noqa: PLC0415

        def build(tree: Any, cache_dir: Path | None = None) -> Any:
            listing = self.listing_for(cache_dir)
            if listing and isinstance(tree, GitTree):
                tree.list_files(listing)
            return lazy_index(tree, cache_dir, warm=self.rows_for(cache_dir), entries=self.entries_for(cache_dir),
                              selection=self.selection_for(cache_dir))

        return build

    def __len__(self) -> int:
        return len(self._trees)
