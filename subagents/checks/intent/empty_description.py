"""Check ``empty_description``: ``intent/empty-description``, a large change with a description that
says nothing."""

from __future__ import annotations

from bot.core.models import Finding, Severity
from subagents.checks.intent._facts import AGENT, IntentFacts, finding, intent_facts
from subagents.checks.intent._text import body_is_unhelpful, is_merge_subject, title_is_vague
from subagents.framework import Check
from subagents.view import CheckView

EMPTY_BODY_MIN_LINES = 30
"""Changed lines above which an empty description is reported."""


def check_description(facts: IntentFacts) -> list[Finding]:
    """``intent/empty-description``: more than 30 changed lines and a description that says
    nothing. Major when the title says nothing either (see :func:`title_is_vague`): then nothing
    states what the change is meant to do, so its intent cannot be checked at all. Not for merge
    commits (see :func:`is_merge_subject`), and not when the text is a commit message rather than a
    pull-request description (``pr.description_known``): on 177 replayed squash merges of 12
    repositories all 37 such findings were false (evals/findings)."""
    if facts.view.diff.changed_lines <= EMPTY_BODY_MIN_LINES or not body_is_unhelpful(facts.view.pr.body):
        return []
    if is_merge_subject(facts.view.pr.title) or not facts.view.pr.description_known:
        return []
    vague = title_is_vague(facts.view.pr.title)
    return [finding(
        "intent/empty-description", Severity.major if vague else Severity.minor,
        f"The description is empty or a placeholder for a change of {facts.view.diff.changed_lines} lines"
        + (", and the title does not say what it does either." if vague else "."),
        anchor="empty-description",
        suggestion="Say what the change does and why, and how it was tested.",
    )]


def run(view: CheckView) -> list[Finding]:
    """:func:`check_description` over this review's intent facts."""
    return check_description(intent_facts(view))

CHECK = Check(name="empty_description", agent=AGENT, rules=("intent/empty-description",), run=run, order=40)

__all__ = ['CHECK', 'EMPTY_BODY_MIN_LINES', 'check_description', 'run']
