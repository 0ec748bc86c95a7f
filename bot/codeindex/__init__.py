"""Tree-sitter code index: definitions, call sites, imports and references of a whole tree.

Public API (re-exported here)::

    build_index(tree, cache_dir=None, *, workers=None) -> CodeIndex
    lazy_index(tree, cache_dir=None, *, workers=None) -> CodeIndex   (files parsed when a query can read them)
    extract(language, path, source) -> FileSymbols
    CodeIndex.definitions / definition / definitions_in / callers / resolved_callers / callees /
              references / entry_points / is_entry_point / trace / reach / file
    accepts(params, bound, call) / shifted(old, new, bound, call)   (signature compatibility)
    family_of(language) -> "python" | "ecmascript" | "go"
    records: Definition, Param, CallSite, Import, Reference, Step, FileSymbols, Reach, BuildStats

The cache (``cache_dir``) is keyed by git blob SHA: a second build of the same tree only parses
blobs it has not seen. Parsing only; nothing from the indexed repository is ever executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.codeindex.builder import MAX_FILE_BYTES, VENDORED_DIRS, BuildStats
from bot.codeindex.extract import SUPPORTED_LANGUAGES, extract
from bot.codeindex.index import CodeIndex, FileEntry, Reach, is_test_path
from bot.codeindex.lazy import LazyCodeIndex, lazy_index
from bot.codeindex.model import (
    EXTRACTOR_VERSION,
    CallSite,
    Definition,
    FileSymbols,
    Import,
    Param,
    Reference,
    Step,
)
from bot.codeindex.modules import family_of
from bot.codeindex.signatures import accepts, shifted

if TYPE_CHECKING:  # typing only: importing protocols pulls in pydantic
    from bot.core.protocols import TreeView

__all__ = [
    "EXTRACTOR_VERSION",
    "MAX_FILE_BYTES",
    "SUPPORTED_LANGUAGES",
    "VENDORED_DIRS",
    "BuildStats",
    "CallSite",
    "CodeIndex",
    "Definition",
    "FileEntry",
    "FileSymbols",
    "Import",
    "LazyCodeIndex",
    "Param",
    "Reach",
    "Reference",
    "Step",
    "accepts",
    "build_index",
    "extract",
    "family_of",
    "is_test_path",
    "lazy_index",
    "shifted",
]


def build_index(tree: TreeView, cache_dir: Path | None = None, *, workers: int | None = None) -> CodeIndex:
    """Build the :class:`CodeIndex` of ``tree`` (see :meth:`CodeIndex.build`)."""
    return CodeIndex.build(tree, cache_dir, workers=workers)
