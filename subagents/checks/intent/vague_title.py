"""Check ``vague_title``: ``intent/vague-title`` (info), a title that does not say what the change does."""

from __future__ import annotations

from bot.core.models import Finding, Severity
from subagents.checks.intent._facts import AGENT, IntentFacts, finding, intent_facts
from subagents.checks.intent._text import is_merge_subject, title_is_vague
from subagents.framework import Check
from subagents.view import CheckView

def check_title(facts: IntentFacts) -> list[Finding]:
    """``intent/vague-title`` (info): "update", "fix", "changes", "wip", GitHub's "Update x.py".
    Not for merge commits (see :func:`is_merge_subject`)."""
    if not title_is_vague(facts.view.pr.title) or is_merge_subject(facts.view.pr.title):
        return []
    return [finding(
        "intent/vague-title", Severity.info,
        f"The title \"{facts.title.raw[:80]}\" does not say what the change does.",
        anchor="vague-title",
        suggestion="Name the behaviour that changes, e.g. `fix(parser): accept empty hunks`.",
    )]


def run(view: CheckView) -> list[Finding]:
    """:func:`check_title` over this review's intent facts."""
    return check_title(intent_facts(view))

CHECK = Check(name="vague_title", agent=AGENT, rules=("intent/vague-title",), run=run, order=50)

__all__ = ['CHECK', 'check_title', 'run']
