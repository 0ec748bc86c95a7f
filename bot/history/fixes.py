"""Which commits are fixes and which are bots: one definition for the SZZ labels of the replay
(:mod:`bot.evals.labels`) and the history facts of a review (:mod:`bot.history.facts`).

A fix names a fix in its title (``fix``, ``bug``, ``regression``, ``crash``, ``error``, ``issue``)
or closes an issue in its body (``Fixes #12``, ``closes owner/repo#3``). Not fixes: bots
(dependabot, pre-commit-ci, renovate, ``[bot]`` accounts, github-actions), reverts and reapplies,
and titles naming non-functional work (typos, typing, docs, lint, comments, whitespace). The
keyword approach is the one of Sliwerski, Zimmermann and Zeller, "When do changes induce fixes?"
(MSR 2005) and of the Kamei et al. JIT data sets (TSE 2013). Pure; standard library only.
"""

from __future__ import annotations

import re

FIX_TITLE_RE = re.compile(
    r"\b((bug|hot)?fix(e[sd]|ing)?|bugs?|regressions?|crash(e[sd]|ing)?|errors?|issues?)\b", re.IGNORECASE
)
FIX_BODY_RE = re.compile(r"\b(fix(e[sd])?|close[sd]?|resolve[sd]?)\s+([\w.-]+/[\w.-]+)?#\d+", re.IGNORECASE)
NON_FUNCTIONAL_RE = re.compile(
    r"\b(typos?|spelling|typing|type[- ]hints?|type annotations?|annotations?|mypy|pyright|lint(ing|er)?|"
    r"flake8|ruff|docs?|documentation|docstrings?|readme|changelog|comments?|whitespace)\b",
    re.IGNORECASE,
)
BOT_RE = re.compile(r"dependabot|pre-commit-ci|pre-commit\.ci|renovate|\[bot\]|github-actions", re.IGNORECASE)
_PR_SUFFIX_RE = re.compile(r"\s*\(#\d+\)\s*$")


def is_bot_identity(*fields: str) -> bool:
    """True when any of ``fields`` (author name, e-mail, branch, title) names a bot account."""
    return any(BOT_RE.search(x) for x in fields if x)


def fix_kind_of(title: str, body: str, *, bot: bool = False) -> str | None:
    """Why a change titled ``title`` with description ``body`` is a fix: ``"title"`` (a fix word
    in the title) or ``"body"`` (a closing reference), or None when it is not a fix.

    ``bot``: the author is a bot (never a fix). Reverts, reapplies and non-functional titles are
    not fixes. A trailing GitHub squash suffix `` (#N)`` is ignored.
    """
    t = _PR_SUFFIX_RE.sub("", title.strip())
    if bot or t.lower().startswith(("revert", "reapply")):
        return None
    if NON_FUNCTIONAL_RE.search(t):
        return None
    if FIX_TITLE_RE.search(t):
        return "title"
    if FIX_BODY_RE.search(body):
        return "body"
    return None


def is_fix_commit(message: str, author: str = "", email: str = "") -> bool:
    """True when a commit (full ``message``, first line = title) is a fix by :func:`fix_kind_of`."""
    title, _, body = message.strip().partition("\n")
    return fix_kind_of(title, body, bot=is_bot_identity(author, email)) is not None
