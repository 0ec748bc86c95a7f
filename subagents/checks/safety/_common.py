"""Helpers shared by the safety agent's checks: the agent name, finding construction, safe
excerpts (secrets redacted, invisible characters dropped) and what counts as a code file."""

from __future__ import annotations

import posixpath

from bot.core.diff import FileChange
from bot.core.languages import family
from bot.core.models import Finding, Severity
from bot.core.sanitize import redact_secrets, remove_invisible

AGENT = "safety"
EXCERPT_CHARS = 200
"""Longest excerpt of untrusted text quoted in a message or evidence (characters)."""

CODE_FAMILIES = frozenset({"python", "javascript", "typescript", "go", "java", "rust", "ruby"})
_CODE_EXTS = frozenset({
    ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".kt", ".kts", ".scala", ".swift", ".m", ".php", ".pl",
    ".sh", ".bash", ".zsh", ".ps1", ".lua", ".r", ".dart", ".ex", ".exs", ".erl", ".hs", ".clj", ".groovy",
    ".vue", ".svelte", ".sql",
})


def truncate(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` with whitespace runs collapsed, cut to ``limit`` characters (ending in an ellipsis)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Redact secrets, drop invisible characters, collapse whitespace, truncate."""
    return truncate(remove_invisible(redact_secrets(text)[0]), limit)


def is_code(f: FileChange) -> bool:
    """True for a program source file (by language family or extension)."""
    return family(f.language) in CODE_FAMILIES or posixpath.splitext(f.path)[1].lower() in _CODE_EXTS


def finding(rule: str, severity: Severity, message: str, *, path: str | None = None, line: int | None = None,
            evidence: list[str] | None = None, suggestion: str | None = None, anchor: str | None = None) -> Finding:
    """A finding of the safety agent (see :meth:`bot.core.models.Finding.make`)."""
    return Finding.make(rule_id=rule, agent=AGENT, severity=severity, message=message, path=path, line=line,
                        evidence=evidence, suggestion=suggestion, anchor=anchor)


__all__ = ["AGENT", "CODE_FAMILIES", "EXCERPT_CHARS", "finding", "is_code", "safe_excerpt", "truncate"]
