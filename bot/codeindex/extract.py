"""Per-file symbol extraction with tree-sitter (pure: bytes in, :class:`FileSymbols` out).

Supported languages: ``python`` (definitions with full signatures, calls, imports, constant
references), ``javascript`` / ``typescript`` / ``tsx`` and ``go`` (definitions, parameters,
calls, imports, constant references). Names are those of :mod:`bot.core.languages`.
"""

from __future__ import annotations

from tree_sitter import Tree

from bot.codeindex._ecmascript import ecmascript_definitions, extract_ecmascript
from bot.codeindex._go import extract_go, go_definitions
from bot.codeindex._python import extract_python, python_definitions
from bot.codeindex.model import Definition, FileSymbols

SUPPORTED_LANGUAGES: frozenset[str] = frozenset({"python", "javascript", "typescript", "tsx", "go"})
"""Languages :func:`extract` understands."""


def extract(language: str, path: str, source: bytes, *, tree: Tree | None = None) -> FileSymbols:
    """Extract definitions, call sites, imports and references of one file.

    ``path`` is the repository-relative POSIX path (it names the module); ``source`` the raw
    bytes (any encoding; tree-sitter works on bytes, names are decoded as UTF-8 with
    replacement). Syntax errors never raise: the parser recovers and ``FileSymbols.errors``
    is set. ``tree`` is an already parsed tree of ``source`` in that language (saves a parse).
    Raises ``ValueError`` for a language outside :data:`SUPPORTED_LANGUAGES`.
    """
    if language == "python":
        return extract_python(path, source, tree)
    if language in ("javascript", "typescript", "tsx"):
        return extract_ecmascript(language, path, source, tree)
    if language == "go":
        return extract_go(path, source, tree)
    raise ValueError(f"no symbol extractor for language {language!r}; supported: {sorted(SUPPORTED_LANGUAGES)}")


def extract_definitions(language: str, path: str, source: bytes, *, tree: Tree | None = None) -> tuple[str, tuple[Definition, ...]]:
    """``(module, definitions)`` of one file: the same as :func:`extract`'s ``module`` and
    ``definitions``, for a caller that needs nothing else (each language reads only its
    definition patterns: no calls, imports or references). Same arguments and errors as
    :func:`extract`."""
    if language == "python":
        return python_definitions(path, source, tree)
    if language in ("javascript", "typescript", "tsx"):
        return ecmascript_definitions(language, path, source, tree)
    if language == "go":
        return go_definitions(path, source, tree)
    syms = extract(language, path, source, tree=tree)  # raises for a language it does not know
    return syms.module, syms.definitions
