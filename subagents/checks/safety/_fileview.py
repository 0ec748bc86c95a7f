"""Telling code from comments and strings on the added lines of one changed file, for the safety
checks: :class:`FileView` holds a file's added lines in the scan scope and, lazily, its head tree
from the review's parse-once view. Files in languages without a grammar (or too large to parse)
fall back to a line-comment heuristic. Parsing only: nothing is imported or run.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from tree_sitter import Node, Tree

from bot.core import treesitter
from bot.core.changeset import ChangedFiles
from bot.core.diff import DiffLine, FileChange
from bot.core.languages import family

MAX_PARSE_BYTES = 1_000_000
"""Head files larger than this are not parsed (the line-comment heuristic is used instead)."""

_HASH_COMMENT_FAMILIES = frozenset({"python", "ruby"})
_HASH_COMMENT_EXTS = frozenset({
    ".sh", ".bash", ".zsh", ".yml", ".yaml", ".toml", ".ini", ".cfg", ".conf", ".env", ".properties",
    ".r", ".pl", ".tf", ".mk", ".dockerfile",
})

# --------------------------------------------------------------------------------------------
# Telling code from comments and strings (tree-sitter)
# --------------------------------------------------------------------------------------------

_STRING_TYPES = frozenset({
    "string", "string_content", "template_string", "string_fragment", "interpreted_string_literal",
    "raw_string_literal", "string_literal", "character_literal", "string_value", "heredoc_body",
    "concatenated_string", "text_block",
})
_CODE_INSIDE_STRING = frozenset({"interpolation", "template_substitution"})


def _region(tree: Tree | None, row: int, byte_col: int) -> str | None:
    """``"comment"``, ``"string"`` or None (code) for a position of the head file."""
    if tree is None:
        return None
    node: Node | None = tree.root_node.descendant_for_point_range((row, byte_col), (row, byte_col))
    while node is not None:
        t = node.type
        if t in _CODE_INSIDE_STRING:
            return None
        if "comment" in t:
            return "comment"
        if t in _STRING_TYPES:
            return "string"
        node = node.parent
    return None


def _line_comment_region(f: FileChange, text: str, col: int) -> str | None:
    """Without a parse tree: ``"comment"`` when a line-comment marker precedes ``col``."""
    stripped = text.lstrip()
    if stripped.startswith(("//", "/*", "* ", "<!--", "--")) or stripped == "*":
        return "comment"
    ext = posixpath.splitext(f.path)[1].lower()
    hash_lang = family(f.language) in _HASH_COMMENT_FAMILIES or ext in _HASH_COMMENT_EXTS or ext == ""
    if hash_lang and "#" in text[:col] and stripped.startswith("#"):
        return "comment"
    if family(f.language) in {"javascript", "typescript", "go", "java", "rust"} and "//" in text[:col]:
        before = text[: text.index("//")]
        if before.count('"') % 2 == 0 and before.count("'") % 2 == 0 and before.count("`") % 2 == 0:
            return "comment"
    return None


@dataclass
class FileView:
    """One changed text file: its added lines (possibly capped) and, lazily, the head parse tree."""

    change: FileChange
    added: list[DiffLine]
    files: ChangedFiles
    _tree: Tree | None = None
    _parsed: bool = False
    unparsed: str | None = None
    """Why a file in a language with a grammar was not parsed (too large, unreadable), else None."""

    def tree(self) -> Tree | None:
        """The head tree from the review's parse-once view (``ctx.files``), or None (no grammar, or
        larger than :data:`MAX_PARSE_BYTES`)."""
        if not self._parsed:
            self._parsed = True
            lang = self.change.language
            if lang and treesitter.supported(lang):
                data = self.files.read("head", self.change.path)
                if data is None:
                    self.unparsed = "head revision unreadable"
                elif len(data) > MAX_PARSE_BYTES:
                    self.unparsed = f"{len(data)} bytes (parse cap {MAX_PARSE_BYTES})"
                else:
                    self._tree = self.files.tree("head", self.change.path, lang)
                    if self._tree is None:
                        self.unparsed = f"{len(data)} bytes (over the shared parse cap of bot.core.changeset)"
        return self._tree

    def region(self, line: DiffLine, col: int) -> str | None:
        """Whether column ``col`` (characters) of an added line is in a comment, a string or code."""
        if line.new_lineno is None:
            return None
        tree = self.tree()
        if tree is None:
            return _line_comment_region(self.change, line.text, col)
        byte_col = len(line.text[:col].encode("utf-8", "surrogatepass"))
        return _region(tree, line.new_lineno - 1, byte_col)



__all__ = ["MAX_PARSE_BYTES", "FileView"]
