"""Check ``type_mismatch``: ``intent/type-mismatch``, the conventional-commit type against what changed
(``docs:`` or ``test:`` changing runtime code, ``ci:`` touching non-CI files, ``style:`` changing
more than layout, ``build:``/``chore:`` changing runtime code). Runs before ``claims``, which
skips the files it reports (:func:`type_mismatches`)."""

from __future__ import annotations

from bot.core.diff import ChangeKind
from bot.core.models import Finding, Severity
from subagents import _paths
from subagents.checks.intent._facts import AGENT, IntentFacts, code_changed, finding, intent_facts, only_deletes_code, where
from subagents.framework import Check
from subagents.view import CheckView

_TYPE_RULES: dict[str, tuple[dict[str, Severity], str]] = {
    # type -> ({category: severity when such a file changes code}, what the type promises)
    "docs": ({"runtime": Severity.major, "ci": Severity.minor, "tooling": Severity.minor}, "documentation only"),
    "test": ({"runtime": Severity.major, "tooling": Severity.minor}, "tests only"),
    "ci": ({"runtime": Severity.major, "other": Severity.minor, "test": Severity.minor}, "CI configuration only"),
    "style": ({"runtime": Severity.major, "test": Severity.minor, "tooling": Severity.minor}, "formatting only"),
    "build": ({"runtime": Severity.minor}, "build or dependency changes"),
    "chore": ({"runtime": Severity.minor}, "maintenance without runtime changes"),
}


def check_type_mismatch(facts: IntentFacts) -> list[Finding]:
    """``intent/type-mismatch``: files whose change the conventional-commit type does not cover.

    Code files count only when their code changed (canonical trees differ; comments, docstrings
    and layout are free for every type); other files count when touched at all. ``chore:`` and
    ``build:`` may delete whole functions and classes (removing dead code is maintenance).
    """
    ctype = facts.title.type
    if ctype not in _TYPE_RULES:
        return []
    rules, promise = _TYPE_RULES[ctype]
    out = []
    for fc in facts.files:
        cat = _paths.category(fc.path)
        severity = rules.get(cat)
        if severity is None:
            continue
        if _paths.is_code_path(fc.path) and not code_changed(facts, fc):
            continue
        if ctype in ("chore", "build") and only_deletes_code(facts, fc):
            continue
        line, evidence = where(facts, fc) if fc.kind is not ChangeKind.deleted else (None, [])
        what = "changes code" if _paths.is_code_path(fc.path) else "is touched"
        out.append(finding(
            "intent/type-mismatch", severity,
            f"The title's type `{ctype}:` promises {promise}, but {cat} file `{fc.path}` {what}.",
            path=fc.path, line=line, anchor=f"{ctype}:{fc.path}", evidence=evidence,
            suggestion="Use the type that matches the change (e.g. `fix:` or `feat:`), or split the pull request.",
        ))
    return out


def type_mismatches(view: CheckView) -> list[Finding]:
    """This review's ``intent/type-mismatch`` findings (computed once, shared with ``claims``)."""
    return view.memo("intent.type-mismatch", lambda: check_type_mismatch(intent_facts(view)))

CHECK = Check(name="type_mismatch", agent=AGENT, rules=("intent/type-mismatch",), run=type_mismatches, order=10)

__all__ = ['CHECK', 'check_type_mismatch', 'type_mismatches']
