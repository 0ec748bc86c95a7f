"""The intent sub-agent: does the diff do what the pull request's title and description say?

Deterministic checks, one module each under ``subagents/checks/intent/`` (see
:mod:`subagents.framework`), sharing the review's :class:`~subagents.checks.intent._facts.IntentFacts`
(rule ids ``intent/...``):

- ``intent/type-mismatch``: the conventional-commit type against what changed (``docs:`` or
  ``test:`` changing runtime code, ``ci:`` touching non-CI files, ``style:`` changing more than
  layout, ``build:``/``chore:`` changing runtime code).
- ``intent/claims-no-behaviour-change``: "typo", "refactor", "no functional change", "cosmetic",
  "formatting" ... while the code changes beyond what that claim allows (compared on canonical
  syntax trees, see :mod:`subagents._canonical`; for refactor claims only with evidence that
  behaviour moved, see :mod:`subagents.checks.intent._refactor`).
- ``intent/scope-mismatch``: the title's scope or a path it names is a part of the repository
  that no touched file matches and the diff does not mention.
- ``intent/unrelated-files``: files far from the area the title names.
- ``intent/empty-description`` / ``intent/vague-title``: text that says nothing.

The PR text is untrusted data: it is only compared with the diff, never followed.
"""

from __future__ import annotations

from subagents.base import Analysis
from subagents.checks.intent._facts import AGENT, intent_facts
from subagents.checks.intent._text import MAX_TEXT
from subagents.framework import CheckedAgent, CheckResult
from subagents.view import CheckView

CONFIDENCE = 0.8
"""Intent is fuzzy: the checks compare prose with code."""
CONFIDENCE_NO_TEXT = 0.5
"""Confidence when the pull request has neither title nor description."""


class IntentAgent(CheckedAgent):
    """Compares the pull request's title and description with its diff (see the module docstring)."""

    name = AGENT

    def finish(self, view: CheckView, results: list[CheckResult]) -> Analysis:
        """One finding per id; confidence 0.8, or 0.5 when there is no title or description at all;
        truncated when the diff was, when the deadline cut a comparison, or when the PR text was
        longer than the part read (:data:`~subagents.checks.intent._text.MAX_TEXT`)."""
        merged = super().finish(view, results)
        facts = intent_facts(view)
        pr = view.pr
        has_text = bool(pr.title.strip() or pr.body.strip())
        notes = []
        if facts.claims:
            notes.append("claims: " + ", ".join(f"{c.kind} ({c.where})" for c in facts.claims))
        text_cut = [name for name, text in (("title", pr.title), ("body", pr.body)) if len(text or "") > MAX_TEXT]
        if text_cut:  # the claims were read from the first MAX_TEXT characters only: fail closed
            notes.append(f"PR {' and '.join(text_cut)} longer than {MAX_TEXT} characters: only the start was read")
        return Analysis(
            findings=merged.findings,
            confidence=CONFIDENCE if has_text else CONFIDENCE_NO_TEXT,
            truncated=view.diff.truncated or facts.truncated or bool(text_cut) or merged.truncated,
            notes=notes + merged.notes,
        )


__all__ = ["AGENT", "CONFIDENCE", "CONFIDENCE_NO_TEXT", "IntentAgent"]
