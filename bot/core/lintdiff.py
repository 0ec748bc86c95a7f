"""Which linter diagnostics a pull request introduces: pure functions over diagnostics (no I/O).

The processes themselves run in :mod:`bot.lint`; the ``anti_patterns`` agent's lint checks
(``subagents/checks/anti_patterns/lint.py``) compare the base's and the head's diagnostics here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnostic:
    """One linter diagnostic on a file version.

    ``tool``: ``ruff`` or ``oxlint``; ``code``: the tool's rule code (``F821``,
    ``eslint/no-unused-vars``); ``path``: repository-relative POSIX path; ``line``/``column``:
    1-based; ``url``: the upstream documentation of the rule.
    """

    tool: str
    code: str
    path: str
    line: int
    column: int
    message: str
    url: str = ""


def new_in_head(base: Iterable[Diagnostic], head: Iterable[Diagnostic], base_lines: Mapping[str, Sequence[str]],
                head_lines: Mapping[str, Sequence[str]], changed: Mapping[str, set[int]],
                renamed: Mapping[str, str] | None = None) -> list[Diagnostic]:
    """Head diagnostics that the base did not have, on changed (added) head lines.

    A diagnostic is identified by (path, code, stripped source line text), so one that merely
    moved with unrelated edits is not new; several identical ones are matched as a multiset.
    ``renamed`` maps head path -> base path. ``changed`` maps head path -> added line numbers.
    """
    renamed = renamed or {}

    def key(d: Diagnostic, lines: Mapping[str, Sequence[str]], path: str) -> tuple[str, str, str]:
        text = lines.get(d.path) or ()
        src = text[d.line - 1].strip() if 0 < d.line <= len(text) else ""
        return (path, d.code, src)

    before = Counter(key(d, base_lines, d.path) for d in base)
    out = []
    for d in sorted(head, key=lambda x: (x.path, x.line, x.column, x.code)):
        k = key(d, head_lines, renamed.get(d.path, d.path))
        if before[k] > 0:
            before[k] -= 1
            continue
        if d.line in changed.get(d.path, set()):
            out.append(d)
    return out


__all__ = ["Diagnostic", "new_in_head"]
