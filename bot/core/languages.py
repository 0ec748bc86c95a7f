"""Map file paths to the languages Quorum can parse with tree-sitter. Pure."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from types import MappingProxyType

EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".rb": "ruby",
}
"""File extension -> tree-sitter language name (per-language grammar wheels)."""


def language_for_path(path: str | None) -> str | None:
    """Return the language name for ``path`` (e.g. ``"python"``), or None when unknown."""
    if not path:
        return None
    ext = posixpath.splitext(path)[1].lower()
    return EXTENSIONS.get(ext)


def family(language: str | None) -> str | None:
    """Collapse dialects for rule matching: ``tsx`` and ``typescript`` -> ``typescript``."""
    if language == "tsx":
        return "typescript"
    return language


_JS_NAMED = frozenset({"function_declaration", "generator_function_declaration", "method_definition"})
NAMED_FUNCTION_NODES: Mapping[str, frozenset[str]] = MappingProxyType({
    "python": frozenset({"function_definition"}),
    "javascript": _JS_NAMED,
    "typescript": _JS_NAMED,
    "tsx": _JS_NAMED,
    "go": frozenset({"function_declaration", "method_declaration"}),
    "java": frozenset({"method_declaration", "constructor_declaration"}),
    "rust": frozenset({"function_item"}),
    "ruby": frozenset({"method", "singleton_method"}),
})
"""Node types of named function and method definitions, per grammar. Read-only. The one home of
this table (the catalog's function boundaries and the sub-agents' definitions are built from it)."""

_JS_ANONYMOUS = frozenset({"function_expression", "arrow_function", "generator_function"})
FUNCTION_NODES: Mapping[str, frozenset[str]] = MappingProxyType({
    "python": NAMED_FUNCTION_NODES["python"] | {"lambda"},
    "javascript": _JS_NAMED | _JS_ANONYMOUS,
    "typescript": _JS_NAMED | _JS_ANONYMOUS,
    "tsx": _JS_NAMED | _JS_ANONYMOUS,
    "go": NAMED_FUNCTION_NODES["go"] | {"func_literal"},
    "java": NAMED_FUNCTION_NODES["java"] | {"lambda_expression"},
    "rust": NAMED_FUNCTION_NODES["rust"] | {"closure_expression"},
    "ruby": NAMED_FUNCTION_NODES["ruby"] | {"lambda", "block", "do_block"},
})
"""Node types that delimit a function body, named or anonymous, per grammar. Read-only."""

ALL_NAMED_FUNCTION_NODES: frozenset[str] = frozenset().union(*NAMED_FUNCTION_NODES.values())
"""Every grammar's named function node types (for code that walks trees of any language)."""
