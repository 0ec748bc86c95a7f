"""Check ``untested``: ``logic/untested-behaviour-change``, runtime code whose behaviour changed with
no test that the change adds or edits exercising it (see :mod:`subagents.logic`)."""

from __future__ import annotations

from bot.core.models import Finding
from subagents.checks.logic._scan import AGENT, _exercised, _stale_test, _tests_name_modules, _untested, scan
from subagents.framework import Check
from subagents.view import CheckView


def run(view: CheckView) -> list[Finding]:
    """One finding naming every runtime file of the scan whose changed behaviour no test exercises."""
    found = scan(view)
    review, tests_changed = found.review, found.tests_changed
    untested = [fc for fc in found.runtime_changed if not _exercised(view, fc, review)]
    if not untested:
        return []
    related = tests_changed and _tests_name_modules(view, untested, review)
    return [_untested(untested, _stale_test(view, untested, review), tests_changed=tests_changed, related=related)]


CHECK = Check(name="untested", agent=AGENT, rules=("logic/untested-behaviour-change",), run=run, order=20)

__all__ = ["CHECK", "run"]
