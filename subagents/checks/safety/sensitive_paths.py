"""Check ``sensitive_paths``: ``safety/sensitive-path`` (major), a changed path (or the old path of
a rename) in a category of :mod:`bot.core.sensitive` (CI, auth, crypto, dependencies ...). The
policy's ``safety.sensitive_categories`` narrows the categories (default: all built-in ones)."""

from __future__ import annotations

from bot.core.agent_options import SafetyOptions
from bot.core.models import Finding, Severity
from bot.core.sensitive import classify_path
from subagents.checks.safety._common import AGENT, finding
from subagents.framework import Check
from subagents.view import CheckView


def run(view: CheckView) -> list[Finding]:
    """One finding per changed path (and renamed-from path) in a switched-on sensitive category."""
    options = view.options
    categories = options.sensitive_categories if isinstance(options, SafetyOptions) else None
    out: list[Finding] = []
    for f in view.diff.files:
        paths = [f.path] + ([f.old_path] if f.old_path and f.old_path != f.path else [])
        for p in paths:
            cats = classify_path(p, categories)
            if cats:
                role = "" if p == f.path else f" (renamed from {p})"
                out.append(finding(
                    "safety/sensitive-path", Severity.major,
                    f"{f.kind.value.capitalize()} a sensitive path{role}: {', '.join(cats)}",
                    path=f.path, evidence=[f"{p}: category {c}" for c in cats],
                    suggestion="Changes to these paths need a human reviewer.",
                    anchor=f"{p}:{','.join(cats)}",
                ))
    return out


CHECK = Check(name="sensitive_paths", agent=AGENT, rules=("safety/sensitive-path",), run=run, order=0)

__all__ = ["CHECK", "run"]
