"""The ``anti_patterns`` sub-agent: the tree-sitter rule catalog (``rules/catalog``) and the external
linters (ruff, oxlint) run on the changed files, reporting only what the pull request adds.

Deterministic and offline: parsing only, never importing or running the code under review. The
agent is a collection of checks (:mod:`subagents.framework`), one module each under
``subagents/checks/anti_patterns/``:

- ``catalog`` (:mod:`subagents.checks.anti_patterns.catalog`): the ``Q<LANG><NNN>`` catalog rules on
  added lines, or enclosing a place where the PR only removed lines;
- ``lint`` (:mod:`subagents.checks.anti_patterns.lint`): ruff and oxlint diagnostics new in the head,
  as ``lint/<tool>/<code>`` rules.

Both read the files chosen once per review by :mod:`subagents.checks.anti_patterns._files`
(generated, minified and vendored files are skipped with a note; files over ``max_file_bytes``
are not parsed and the verdict is truncated). A revert's findings are info.

Options (``ctx.options["anti_patterns"]``, from the policy):

- ``disable``: rule selectors not to report (e.g. ``["QPY016"]``, ``tag:debugging``); validated
  against the rule registry when the policy loads (:mod:`bot.core.agent_options`). Disabled
  rules' queries do not run.
"""

from __future__ import annotations

from bot.core.catalog import Catalog, default_catalog
from subagents.base import Analysis
from subagents.checks.anti_patterns._files import Params, file_scope, is_revert
from subagents.framework import CheckedAgent, CheckResult, merged_confidence
from subagents.view import CheckView

MAX_FILE_BYTES = 1_000_000
"""Head files larger than this are not parsed; the analysis is then marked truncated."""

CONFIDENCE_FULL = 0.9
"""Confidence when every changed code file is in a language the catalog covers."""


class AntiPatternsAgent(CheckedAgent):
    """Reports catalog rule matches and new linter diagnostics on the lines a pull request adds.

    ``catalog`` defaults to the packaged catalog (loaded and compiled once per process);
    ``max_file_bytes`` caps the size of a head file that is parsed.
    """

    name = "anti_patterns"

    def __init__(self, catalog: Catalog | None = None, *, max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self.catalog = catalog if catalog is not None else default_catalog()
        self.max_file_bytes = max_file_bytes

    def params(self) -> Params:
        """The catalog and size cap the checks read as ``view.params``."""
        return Params(self.catalog, self.max_file_bytes)

    def prepare(self, view: CheckView) -> CheckResult:
        """Say when the pull request is a revert; choose the files (a deadline reached or a file
        too large to parse marks the verdict truncated)."""
        out = CheckResult()
        if is_revert(view.pr.title, view.pr.body):
            out.notes.append("a revert: matches on restored lines are reported as info")
        scope = file_scope(view)
        out.notes += scope.notes
        out.truncated = scope.truncated
        return out

    def finish(self, view: CheckView, results: list[CheckResult]) -> Analysis:
        """All findings in check order (linter findings may share an id when a file repeats a line;
        both are kept, as the linter reported both); confidence 0.6 when some changed code file is
        in a language without rules, else 0.9."""
        return Analysis(findings=[f for r in results for f in r.findings],
                        confidence=merged_confidence(results, CONFIDENCE_FULL),
                        truncated=any(r.truncated for r in results), notes=[n for r in results for n in r.notes])


__all__ = ["CONFIDENCE_FULL", "MAX_FILE_BYTES", "AntiPatternsAgent"]
