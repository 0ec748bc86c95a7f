"""The safety agent's scan scope: which added lines its line checks read (computed once per review).

Every changed text file (not binary, a submodule, a symlink or deleted) with added lines is in the
scope, in diff order, with its added lines, unless:

- its added text exceeds :data:`MAX_FILE_BYTES` (UTF-8): skipped;
- the added lines of all files together exceed :data:`MAX_ADDED_LINES`: the rest are skipped;
- the review's deadline passed: the remaining files are skipped.

Each cut is a note and marks the verdict truncated (the agent's ``prepare`` reports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.diff import ChangeKind
from subagents.checks.safety._fileview import FileView
from subagents.view import CheckView

MAX_FILE_BYTES = 1_000_000
"""Added text of one file above this many bytes (UTF-8) is skipped (verdict truncated)."""
MAX_ADDED_LINES = 20_000
"""Added lines beyond this many (all files together) are skipped (verdict truncated)."""


@dataclass
class Scope:
    """The files the line checks read (each a :class:`FileView` of its scanned added lines) and the
    cuts made (``notes``; ``truncated`` when any)."""

    files: list[FileView] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        """True when some added text was left unread."""
        return bool(self.notes)


def _compute(view: CheckView) -> Scope:
    scope = Scope()
    budget = MAX_ADDED_LINES
    for f in view.diff.files:
        if f.is_binary or f.is_submodule or f.is_symlink or f.kind is ChangeKind.deleted:
            continue
        if view.expired():
            scope.notes.append(f"time budget exhausted before {f.path}")
            break
        added = f.added_lines()
        if not added:
            continue
        size = sum(len(ln.text.encode("utf-8", "surrogatepass")) + 1 for ln in added)
        if size > MAX_FILE_BYTES:
            scope.notes.append(f"skipped {f.path}: {size} bytes added (cap {MAX_FILE_BYTES})")
            continue
        if budget <= 0:
            scope.notes.append(f"skipped {f.path}: more than {MAX_ADDED_LINES} added lines in total")
            continue
        if len(added) > budget:
            scope.notes.append(f"scanned only {budget} of {len(added)} added lines of {f.path}")
            added = added[:budget]
        budget -= len(added)
        scope.files.append(FileView(change=f, added=added, files=view.files))
    return scope


def scan_scope(view: CheckView) -> Scope:
    """The scan scope of this review (computed on first use, then shared by the checks)."""
    return view.memo("safety.scope", lambda: _compute(view))


__all__ = ["MAX_ADDED_LINES", "MAX_FILE_BYTES", "Scope", "scan_scope"]
