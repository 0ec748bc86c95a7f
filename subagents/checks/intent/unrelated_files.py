"""Check ``unrelated_files``: ``intent/unrelated-files``, files far from the area the title names."""

from __future__ import annotations

from bot.core.diff import ChangeKind, FileChange
from bot.core.models import Finding, Severity
from subagents import _paths
from subagents._hunks import first_code_line
from subagents.checks.intent._areas import CATEGORY_SCOPES, areas, matches_area
from subagents.checks.intent._facts import AGENT, IntentFacts, code_changed, finding, intent_facts
from subagents.framework import Check
from subagents.view import CheckView

MAX_UNRELATED = 10
"""Unrelated files reported one by one; beyond this, one summary finding."""
_GENERIC_ROOTS = frozenset({"src", "lib", "libs", "pkg", "packages", "internal", "app", "apps", "cmd", "source", "sources", "code", "modules"})


def _dir_parts(path: str) -> list[str]:
    return [p for p in path.split("/")[:-1] if p.lower() not in _GENERIC_ROOTS]


def _near(path: str, anchors: list[str]) -> bool:
    parts = _dir_parts(path)
    for other in anchors:
        oparts = _dir_parts(other)
        if parts and oparts and parts[0] == oparts[0]:
            return True
        if not parts and not oparts:
            return True
    return False


def check_unrelated(facts: IntentFacts) -> list[Finding]:
    """``intent/unrelated-files``: when the title names an area that some files match, the other
    runtime-source and configuration/data files that share no directory (below ``src/``-like
    roots) with any of them. Tests, docs, CI and build files often accompany a change and are
    left to the policy's sensitive-path gates. Major for a runtime file whose code changes
    (an unannounced behaviour change), minor otherwise."""
    out: list[Finding] = []
    far: list[FileChange] = []
    for token in areas(facts):
        matched = [fc for fc in facts.files if matches_area(token, fc)]
        if not matched:
            continue
        is_category = token in CATEGORY_SCOPES
        anchors = [fc.path for fc in matched]
        for fc in facts.files:
            if fc in matched or fc in far or _paths.category(fc.path) not in ("runtime", "other"):
                continue
            if "/" not in fc.path and fc.path.startswith("."):
                continue  # repository dotfiles (.editorconfig, .gitignore) go with any change
            if is_category or not _near(fc.path, anchors):
                far.append(fc)
        for fc in far[:MAX_UNRELATED]:
            line, _ = first_code_line(fc) if fc.kind is not ChangeKind.deleted else (None, "")
            behaviour = _paths.category(fc.path) == "runtime" and code_changed(facts, fc, allow_renames=True)
            out.append(finding(
                "intent/unrelated-files", Severity.major if behaviour else Severity.minor,
                f"The title is about `{token}`, but `{fc.path}` is far from it"
                + (" and its code changes." if behaviour else "."),
                path=fc.path, line=line, anchor=f"unrelated:{token}:{fc.path}",
                suggestion="Move unrelated changes to their own pull request, or mention them in the description.",
            ))
        if len(far) > MAX_UNRELATED:
            out.append(finding(
                "intent/unrelated-files", Severity.minor,
                f"{len(far) - MAX_UNRELATED} more files are far from `{token}`.",
                anchor=f"unrelated-more:{token}", evidence=[fc.path for fc in far[MAX_UNRELATED:]][:20],
            ))
        break
    return out


def run(view: CheckView) -> list[Finding]:
    """:func:`check_unrelated` over this review's intent facts."""
    return check_unrelated(intent_facts(view))

CHECK = Check(name="unrelated_files", agent=AGENT, rules=("intent/unrelated-files",), run=run, order=30)

__all__ = ['CHECK', 'MAX_UNRELATED', 'check_unrelated', 'run']
