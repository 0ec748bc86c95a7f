"""The files the anti-pattern checks read, chosen once per review (:func:`file_scope`), and the
revert rule they share.

A changed text file is in the scope when it has added lines or removed-only blocks
(:func:`removal_gaps`), is in a language the catalog covers, is readable, is at most
``max_file_bytes`` long (else: truncated) and is not generated, minified or vendored (a
``DO NOT EDIT`` marker near the top, ``*.min.js``-style names, ``node_modules/``, ``vendor/``,
``third_party/`` directories, or an average line longer than 400 bytes). Once the review's
deadline has passed the remaining files are left out (truncated).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from bot.core.catalog import Catalog
from bot.core.diff import ChangeKind, FileChange, LineKind
from bot.core.languages import language_for_path
from bot.core.models import Finding, Severity
from subagents._paths import is_code_path
from subagents.view import CheckView

_VENDOR_DIRS = frozenset({"node_modules", "vendor", "third_party", "bower_components"})
_MINIFIED_NAME = re.compile(r"\.(min|bundle)\.[cm]?js$|\.min\.[cm]?ts$")
_GENERATED_MARK = re.compile(rb"DO NOT EDIT|@generated\b")


@dataclass(frozen=True)
class Params:
    """The anti-patterns agent's settings its checks read (``view.params``): the rule ``catalog``
    and ``max_file_bytes``, the largest head file that is parsed."""

    catalog: Catalog
    max_file_bytes: int


@dataclass(frozen=True)
class ScopedFile:
    """One file the catalog reads: its change, head bytes and language, the head lines the pull
    request adds (sorted) and its removal gaps (:func:`removal_gaps`)."""

    change: FileChange
    data: bytes
    language: str
    added: list[int]
    gaps: list[int]


@dataclass
class FileScope:
    """The files in scope, in diff order, and those left out: ``uncovered`` (code in a language
    without rules), ``oversized`` (over the size cap), ``generated``; ``notes`` and ``truncated``
    for a deadline reached or a file too large to parse."""

    files: list[ScopedFile] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    oversized: list[str] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    truncated: bool = False


def _compute(view: CheckView, params: Params) -> FileScope:
    scope = FileScope()
    languages = params.catalog.languages()
    for change in view.text_files():
        added = sorted(change.changed_new_lines())
        gaps = removal_gaps(change)
        if not added and not gaps:
            continue
        language = change.language or language_for_path(change.path)
        if language not in languages:
            if added and is_code_path(change.path):
                scope.uncovered.append(change.path)
            continue
        if view.expired():
            scope.truncated = True
            scope.notes.append(f"deadline reached after {len(scope.files)} file(s); remaining files not checked")
            break
        data = view.files.read("head", change.path)
        if data is None:
            continue
        if len(data) > params.max_file_bytes:
            scope.truncated = True
            scope.oversized.append(change.path)
            continue
        if is_generated(change.path, data):
            scope.generated.append(change.path)
            continue
        scope.files.append(ScopedFile(change, data, language, added, gaps))
    return scope


def file_scope(view: CheckView) -> FileScope:
    """This review's :class:`FileScope` (computed on first use, shared by the checks); ``view.params``
    must be a :class:`Params`."""
    params = view.params
    if not isinstance(params, Params):
        raise TypeError(f"the anti-pattern checks need Params as view.params, got {type(params).__name__}")
    return view.memo("anti_patterns.scope", lambda: _compute(view, params))


_REVERT_TITLE = re.compile(r'^Revert\s+"')
_REVERT_BODY = re.compile(r"\bThis reverts commit [0-9a-f]{7,40}\b|^Reverts [\w.-]+/[\w.-]+#\d+", re.MULTILINE)


def is_revert(title: str, body: str) -> bool:
    """True for a revert made by git (``Revert "..."`` + ``This reverts commit <sha>``) or by GitHub's
    revert button (``Revert "..."`` + ``Reverts owner/repo#N``)."""
    return bool(_REVERT_TITLE.match(title or "")) and bool(_REVERT_BODY.search(body or ""))


def restored(f: Finding) -> Finding:
    """A match on a line a revert restores: the code was there (and reviewed) before; info, not a defect."""
    if f.severity is Severity.info:
        return f
    return f.model_copy(update={"severity": Severity.info, "message": f"{f.message} (restored by this revert)"})


def is_generated(path: str, data: bytes) -> bool:
    """Heuristic: generated (marker in the first 1 KB), minified, or vendored third-party code."""
    parts = path.split("/")
    if any(p in _VENDOR_DIRS for p in parts[:-1]) or _MINIFIED_NAME.search(posixpath.basename(path)):
        return True
    if _GENERATED_MARK.search(data[:1024]):
        return True
    return len(data) >= 4096 and len(data) / (data.count(b"\n") + 1) > 400


def removal_gaps(change: FileChange) -> list[int]:
    """Head positions of removed-only blocks: for each run of removed lines in a hunk that adds
    nothing, the head line just before the run (0 at the top of the file). The removed lines sat
    between head lines ``g`` and ``g + 1``; a match spanning both encloses the removal. Empty for a
    deleted file."""
    if change.kind is ChangeKind.deleted:
        return []
    gaps: list[int] = []
    for hunk in change.hunks:
        if hunk.added() or not hunk.removed():
            continue
        # ``+c,0``: the removal comes after head line c; otherwise the hunk starts at head line c
        prev = hunk.target_start if hunk.target_length == 0 else hunk.target_start - 1
        in_run = False
        for ln in hunk.lines:
            if ln.kind is LineKind.removed:
                if not in_run:
                    gaps.append(prev)
                in_run = True
            else:
                in_run = False
                prev = ln.new_lineno if ln.new_lineno is not None else prev
    return gaps


__all__ = ["FileScope", "Params", "ScopedFile", "file_scope", "is_generated", "is_revert", "removal_gaps", "restored"]
