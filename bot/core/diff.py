"""The diff model: a unified diff (as ``git diff --full-index -M`` prints it) parsed with unidiff.

Pure: takes text, returns dataclass records (:class:`bot.core.models.Record`: Quorum builds them
from git's output itself, so no pydantic validation). Binary files, renames, mode changes, submodules,
symlinks and non-UTF-8 content are represented, never dropped. Caps (files, lines) mark the
diff ``truncated`` instead of failing; a truncated diff can never be approved.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from bot.core.languages import language_for_path
from bot.core.models import Record


class DiffError(ValueError):
    """The diff text could not be parsed at all."""


class ChangeKind(StrEnum):
    """What happened to a file between base and head."""

    added = "added"
    modified = "modified"
    deleted = "deleted"
    renamed = "renamed"
    copied = "copied"


class LineKind(StrEnum):
    added = "+"
    removed = "-"
    context = " "


@dataclass(slots=True, kw_only=True)
class DiffLine(Record):
    """One line of a hunk. ``old_lineno`` is None for added lines, ``new_lineno`` for removed."""

    kind: LineKind
    text: str
    old_lineno: int | None = None
    new_lineno: int | None = None

    def __post_init__(self) -> None:
        self.kind = LineKind(self.kind)


@dataclass(slots=True, kw_only=True)
class Hunk(Record):
    """One ``@@ -a,b +c,d @@`` hunk."""

    source_start: int
    source_length: int
    target_start: int
    target_length: int
    section_header: str = ""
    lines: list[DiffLine] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lines = list(self.lines)

    def added(self) -> list[DiffLine]:
        """The added lines, in order."""
        return [ln for ln in self.lines if ln.kind is LineKind.added]

    def removed(self) -> list[DiffLine]:
        """The removed lines, in order."""
        return [ln for ln in self.lines if ln.kind is LineKind.removed]

    def header(self) -> str:
        """The hunk header line as git prints it."""
        return (
            f"@@ -{self.source_start},{self.source_length} +{self.target_start},{self.target_length} @@"
            f"{(' ' + self.section_header) if self.section_header else ''}"
        )

    def content_hash(self) -> str:
        """SHA-256 hex of the hunk's lines (kind + text), independent of line numbers."""
        h = hashlib.sha256()
        for ln in self.lines:
            h.update(ln.kind.value.encode())
            h.update(ln.text.encode("utf-8", "replace"))
            h.update(b"\n")
        return h.hexdigest()


@dataclass(slots=True, kw_only=True)
class FileChange(Record):
    """One file's change. ``path`` is the head path (the base path for deletions)."""

    path: str
    old_path: str | None = None
    kind: ChangeKind
    old_mode: str | None = None
    new_mode: str | None = None
    old_blob: str | None = None
    new_blob: str | None = None
    is_binary: bool = False
    is_submodule: bool = False
    is_symlink: bool = False
    non_utf8: bool = False
    language: str | None = None
    hunks: list[Hunk] = field(default_factory=list)
    additions: int = 0
    deletions: int = 0

    def __post_init__(self) -> None:
        self.kind = ChangeKind(self.kind)
        self.hunks = list(self.hunks)

    @property
    def mode_changed(self) -> bool:
        """True when the file mode changed (e.g. 100644 -> 100755)."""
        return bool(self.old_mode and self.new_mode and self.old_mode != self.new_mode)

    def added_lines(self) -> list[DiffLine]:
        """All added lines of all hunks, in order."""
        return [ln for h in self.hunks for ln in h.added()]

    def removed_lines(self) -> list[DiffLine]:
        """All removed lines of all hunks, in order."""
        return [ln for h in self.hunks for ln in h.removed()]

    def changed_new_lines(self) -> set[int]:
        """Head line numbers of added lines (where inline comments can be placed)."""
        return {ln.new_lineno for ln in self.added_lines() if ln.new_lineno is not None}

    def changed_old_lines(self) -> set[int]:
        """Base line numbers of removed lines (the twin of :meth:`changed_new_lines`)."""
        return {ln.old_lineno for ln in self.removed_lines() if ln.old_lineno is not None}


@dataclass(slots=True, kw_only=True)
class Diff(Record):
    """A parsed diff. ``sha256`` is the hash of the exact diff text that was parsed."""

    files: list[FileChange] = field(default_factory=list)
    sha256: str = ""
    truncated: bool = False
    truncation_reasons: list[str] = field(default_factory=list)
    whole: dict[str, int] | None = None
    """When ``truncated``: the size of the whole change, counted past the caps (``files``,
    ``additions``, ``deletions``), e.g. from ``git diff --numstat`` or the pull request's own
    counts. None when not truncated or unknown. ``files`` / ``additions`` / ``deletions`` above
    always describe only what was parsed and reviewed."""

    def __post_init__(self) -> None:
        self.files = list(self.files)
        self.truncation_reasons = list(self.truncation_reasons)
        if self.whole is not None:
            self.whole = dict(self.whole)

    @property
    def additions(self) -> int:
        return sum(f.additions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)

    @property
    def changed_lines(self) -> int:
        """Additions plus deletions."""
        return self.additions + self.deletions

    def stats(self) -> dict[str, int]:
        """``{"files", "additions", "deletions", "changed_lines"}`` of the whole change.

        A truncated diff adds ``truncated: 1`` and ``reviewed_files`` / ``reviewed_changed_lines``
        (what was parsed); its ``files`` / ``additions`` / ``deletions`` come from :attr:`whole`
        (never smaller than what was parsed) and ``whole_known`` says whether they are exact (1) or
        lower bounds (0), so a header never shows "0 files, +0/-0" for a change too big to read.
        """
        reviewed = {
            "files": len(self.files),
            "additions": self.additions,
            "deletions": self.deletions,
            "changed_lines": self.changed_lines,
        }
        if not self.truncated:
            return reviewed
        whole = self.whole or {}
        files = max(whole.get("files", 0), reviewed["files"])
        additions = max(whole.get("additions", 0), reviewed["additions"])
        deletions = max(whole.get("deletions", 0), reviewed["deletions"])
        return {
            "files": files,
            "additions": additions,
            "deletions": deletions,
            "changed_lines": additions + deletions,
            "truncated": 1,
            "whole_known": int(self.whole is not None),
            "reviewed_files": reviewed["files"],
            "reviewed_changed_lines": reviewed["changed_lines"],
        }

    def file(self, path: str) -> FileChange | None:
        """The change for ``path`` (head path), or None."""
        for f in self.files:
            if f.path == path:
                return f
        return None


_INDEX_RE = re.compile(r"^index ([0-9a-f]+)\.\.([0-9a-f]+)(?: (\d{6}))?$")
_MODE_RE = re.compile(r"^(old|new|deleted file|new file) mode (\d{6})$")
_ZERO = re.compile(r"^0+$")
SUBMODULE_MODE = "160000"
SYMLINK_MODE = "120000"


def _strip_prefix(name: str | None) -> str | None:
    if name is None or name == "/dev/null":
        return None
    if name.startswith(("a/", "b/")):
        return name[2:]
    return name


def parse_diff(
    text: str,
    *,
    max_files: int = 3000,
    max_lines: int = 200_000,
) -> Diff:
    """Parse unified diff text (``git diff --full-index -M`` output) into a :class:`Diff`.

    Undecodable bytes should have been decoded with ``errors="surrogateescape"``; files whose lines
    carry such surrogates are marked ``non_utf8`` and their text gets U+FFFD replacements.
    More than ``max_files`` files or ``max_lines`` changed lines marks the diff truncated and keeps
    only what fits. Raises :class:`DiffError` when the text is not a unified diff.
    """
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    if not text.strip():
        return Diff(sha256=digest)
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:  # pragma: no cover - exercised through adapters
        raise DiffError(f"unparseable diff: {exc}") from exc
    diff = Diff(sha256=digest)
    total_lines = 0
    for pf in patch:
        if len(diff.files) >= max_files:
            diff.truncated = True
            diff.truncation_reasons.append(f"more than {max_files} files changed")
            break
        change = _file_change(pf)
        if total_lines + change.additions + change.deletions > max_lines:
            diff.truncated = True
            diff.truncation_reasons.append(f"more than {max_lines} changed lines")
            break
        total_lines += change.additions + change.deletions
        diff.files.append(change)
    if diff.truncated:  # unidiff already counted every file's lines: the whole size is known
        diff.whole = {"files": len(patch), "additions": patch.added, "deletions": patch.removed}
    return diff


def _clean(s: str) -> tuple[str, bool]:
    try:
        s.encode("utf-8")
        return s, False
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), True


def _file_change(pf) -> FileChange:  # noqa: ANN001 - unidiff.PatchedFile
    old_mode = new_mode = old_blob = new_blob = None
    for raw in str(pf.patch_info or "").splitlines():
        m = _INDEX_RE.match(raw)
        if m:
            old_blob, new_blob = m.group(1), m.group(2)
            if m.group(3):
                old_mode = new_mode = m.group(3)
            continue
        m = _MODE_RE.match(raw)
        if m:
            if m.group(1) in ("old", "deleted file"):
                old_mode = m.group(2)
            else:
                new_mode = m.group(2)
    if old_blob and _ZERO.match(old_blob):
        old_blob = None
    if new_blob and _ZERO.match(new_blob):
        new_blob = None
    source = _strip_prefix(pf.source_file)
    target = _strip_prefix(pf.target_file)
    if pf.is_added_file:
        kind = ChangeKind.added
    elif pf.is_removed_file:
        kind = ChangeKind.deleted
    elif pf.is_rename:
        kind = ChangeKind.renamed
    else:
        kind = ChangeKind.modified
    info = str(pf.patch_info or "")
    if "\ncopy from " in info:
        kind = ChangeKind.copied
    path = target or source or pf.path
    path, bad_path = _clean(path)
    hunks: list[Hunk] = []
    non_utf8 = bad_path
    adds = dels = 0
    for h in pf:
        lines: list[DiffLine] = []
        for ln in h:
            if ln.line_type not in ("+", "-", " "):
                continue
            text, bad = _clean(ln.value.rstrip("\n").rstrip("\r"))
            non_utf8 = non_utf8 or bad
            kind_l = LineKind(ln.line_type)
            if kind_l is LineKind.added:
                adds += 1
            elif kind_l is LineKind.removed:
                dels += 1
            lines.append(
                DiffLine(
                    kind=kind_l,
                    text=text,
                    old_lineno=ln.source_line_no,
                    new_lineno=ln.target_line_no,
                )
            )
        header, _ = _clean(h.section_header or "")
        hunks.append(
            Hunk(
                source_start=h.source_start,
                source_length=h.source_length,
                target_start=h.target_start,
                target_length=h.target_length,
                section_header=header.strip(),
                lines=lines,
            )
        )
    modes = {old_mode, new_mode}
    return FileChange(
        path=path,
        old_path=(_clean(source)[0] if source and source != path else None),
        kind=kind,
        old_mode=old_mode,
        new_mode=new_mode,
        old_blob=old_blob,
        new_blob=new_blob,
        is_binary=bool(getattr(pf, "is_binary_file", False)),
        is_submodule=SUBMODULE_MODE in modes,
        is_symlink=SYMLINK_MODE in modes,
        non_utf8=non_utf8,
        language=language_for_path(path),
        hunks=hunks,
        additions=adds,
        deletions=dels,
    )
