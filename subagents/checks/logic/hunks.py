"""Check ``hunks``: the logic agent's hunk-level rules, found in one pass per changed file by
:mod:`subagents.checks.logic._scan` (Python syntax trees, token diffs of replaced lines, regexes);
see :mod:`subagents.logic` for what each rule reports. One check for all of them, because one
finding per spot is chosen across rules (a flipped condition explains the return change it causes).
"""

from __future__ import annotations

from bot.core.models import Finding
from subagents.checks.logic._scan import AGENT, scan
from subagents.framework import Check
from subagents.view import CheckView


def run(view: CheckView) -> list[Finding]:
    """The scan's hunk-level findings, in file order."""
    return list(scan(view).findings)


CHECK = Check(name="hunks", agent=AGENT, rules=(
    "logic/boundary-change", "logic/changed-constant", "logic/changed-return", "logic/deleted-test",
    "logic/dropped-argument", "logic/inverted-condition", "logic/loosened-condition", "logic/lost-f-string",
    "logic/removed-branch", "logic/removed-guard", "logic/swallowed-exception", "logic/unwrapped-value",
), run=run, order=10)

__all__ = ["CHECK", "run"]
