"""Check ``file_modes``: what a file *is* rather than what it says.

- ``safety/symlink`` (major): a symbolic link added or changed (noting a target outside the
  repository);
- ``safety/submodule-change`` (major): a submodule added, moved or removed (its code is not in
  the diff);
- ``safety/mode-change`` (minor): a file made executable;
- ``safety/binary-added`` (minor): a binary file added or changed (its content cannot be reviewed).
"""

from __future__ import annotations

from bot.core.diff import ChangeKind, FileChange
from bot.core.models import Finding, Severity
from subagents.checks.safety._common import AGENT, EXCERPT_CHARS, finding, safe_excerpt
from subagents.framework import Check
from subagents.view import CheckView


def _file(f: FileChange) -> list[Finding]:
    out: list[Finding] = []
    if f.is_symlink:
        target = " ".join(ln.text for ln in f.added_lines())[:EXCERPT_CHARS]
        escapes = target.startswith("/") or target.startswith("..") or "/../" in target
        out.append(finding(
            "safety/symlink", Severity.major,
            "Symbolic link added or changed" + (" pointing outside the repository" if escapes else ""),
            path=f.path, evidence=[f"{f.path} -> {safe_excerpt(target)}"] if target else [],
            suggestion="Symlinks can make tools read or write outside the repository; check the target.",
            anchor=f"symlink:{target}",
        ))
    if f.is_submodule:
        moves = [f"{'+' if ln.kind.value == '+' else '-'}{ln.text.strip()}" for h in f.hunks for ln in h.lines
                 if ln.kind.value in "+-"]
        out.append(finding(
            "safety/submodule-change", Severity.major,
            f"Submodule {f.kind.value}: its code is not part of this diff",
            path=f.path, evidence=moves[:4],
            suggestion="Review the submodule's commits between the old and new revision.",
            anchor="submodule:" + " ".join(moves),
        ))
    executable = f.new_mode == "100755" and (f.mode_changed or (f.kind is ChangeKind.added and f.old_mode is None))
    if executable and not f.is_symlink and not f.is_submodule:
        how = f"mode {f.old_mode} -> {f.new_mode}" if f.mode_changed else f"added with mode {f.new_mode}"
        out.append(finding(
            "safety/mode-change", Severity.minor, f"File made executable ({how})", path=f.path,
            evidence=[f"{f.path}: {how}"], anchor=f"mode:{f.old_mode}:{f.new_mode}",
        ))
    if f.is_binary and f.kind is not ChangeKind.deleted:
        out.append(finding(
            "safety/binary-added", Severity.minor, f"Binary file {f.kind.value}: its content cannot be reviewed",
            path=f.path, evidence=[f"{f.path} ({f.kind.value}, blob {f.new_blob or '?'})"],
            anchor=f"binary:{f.new_blob}",
        ))
    return out


def run(view: CheckView) -> list[Finding]:
    """Symlinks, submodules, executable bits and binaries among the changed files."""
    return [x for f in view.diff.files for x in _file(f)]


CHECK = Check(name="file_modes", agent=AGENT, rules=(
    "safety/binary-added", "safety/mode-change", "safety/submodule-change", "safety/symlink"), run=run, order=0)

__all__ = ["CHECK", "run"]
