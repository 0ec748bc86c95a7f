"""Map file paths to the languages Quorum can parse with tree-sitter. Pure."""

from __future__ import annotations

import posixpath

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
