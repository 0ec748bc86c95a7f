"""The execution_paths sub-agent: follow each changed symbol to its callers across the head tree.

A collection of checks (:mod:`subagents.framework`) under ``subagents/checks/execution_paths/``; today
one, ``call_paths`` (:mod:`subagents.checks.execution_paths.call_paths`), reports the four
``paths/...`` rules, because they share the changed symbols, the code index lookups and one reach
budget: ``paths/removed-symbol-still-called``, ``paths/stale-call-site``,
``paths/changed-constant-used`` and ``paths/wide-reach``. See that module for what each reports.
"""

from __future__ import annotations

from subagents.base import Analysis
from subagents.checks.execution_paths.call_paths import AGENT
from subagents.framework import CheckedAgent, CheckResult, merged_confidence
from subagents.view import CheckView


class ExecutionPathsAgent(CheckedAgent):
    """Traces changed symbols through the head code index (see the module docstring)."""

    name = AGENT

    def finish(self, view: CheckView, results: list[CheckResult]) -> Analysis:
        """The checks' findings in order, as reported (the reach findings are already ranked and
        capped); confidence the check's (0.9 Python, 0.75 JS/TS/Go, 0.5 other code)."""
        return Analysis(findings=[f for r in results for f in r.findings],
                        confidence=merged_confidence(results, self.confidence_default),
                        truncated=any(r.truncated for r in results), notes=[n for r in results for n in r.notes])


__all__ = ["AGENT", "ExecutionPathsAgent"]
