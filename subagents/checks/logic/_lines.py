"""Line helpers shared by the logic checks ``dropped`` and ``slips``: tokens, comment lines, the
changed runtime files of a review, the added lines of the whole change (to tell moved code from
removed code), and the minor finding they report. Not a check."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.core.diff import ChangeKind, FileChange
from bot.core.models import Finding, Severity
from subagents import _paths
from subagents.checks.logic._scan import AGENT
from subagents.view import CheckView

COMMENT = ("#", "//", "/*", "*", "--", "<!--")
TOKEN = re.compile(r"[rbufRBUF]{0,2}\"(?:\\.|[^\"\\])*\"|[rbufRBUF]{0,2}'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`|"
                   r"[A-Za-z_$][\w$]*|\d[\w.]*|::|->|=>|==|!=|<=|>=|\S")
"""One token: a string literal, a name, a number, a two-character operator or any other character."""
OPEN, CLOSE = "([{", ")]}"


def finding(rule: str, path: str, line: int, anchor: str, message: str, suggestion: str) -> Finding:
    """A minor finding of the logic agent."""
    return Finding.make(rule_id=rule, agent=AGENT, severity=Severity.minor, message=message, path=path, line=line,
                        anchor=anchor[:120], suggestion=suggestion)


def code(text: str) -> str:
    """The stripped line, or "" for a blank or comment line."""
    s = text.strip()
    return "" if not s or s.startswith(COMMENT) else s


def shorten(text: str, limit: int = 70) -> str:
    """``text`` with its whitespace runs made single spaces, cut to ``limit`` characters (an ellipsis
    of three dots marks a cut): code quoted in a finding's message."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def norm(text: str) -> str:
    """The line without whitespace and trailing ``;``/``,`` (to compare moved lines)."""
    return re.sub(r"\s+", "", text).rstrip(";,")


def balanced(s: str) -> bool:
    """True when the brackets of ``s`` (outside string literals) close in order."""
    depth = 0
    for tok in TOKEN.findall(s):
        if tok in OPEN:
            depth += 1
        elif tok in CLOSE:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def runtime_files(view: CheckView) -> list[FileChange]:
    """The review's modified or renamed runtime source files (no tests, docs, build or tooling files)."""
    return [fc for fc in view.diff.files
            if fc.kind in (ChangeKind.modified, ChangeKind.renamed) and not fc.is_binary and not fc.is_submodule
            and _paths.is_runtime_source(fc.path)]


def live_runtime_files(view: CheckView, language: str | None = None) -> Iterator[FileChange]:
    """:func:`runtime_files` in order, only ``language``'s when given, ending as soon as the review's
    deadline has passed (``view.expired()`` is asked before every runtime file, as a check's loop
    would; the check then reports what it found so far)."""
    for fc in runtime_files(view):
        if view.expired():
            return
        if language is None or (fc.language or "") == language:
            yield fc


def added_anywhere(view: CheckView) -> set[str]:
    """:func:`norm` of every added code line of the change (memoised per review)."""
    return view.memo("logic.added_anywhere", lambda: {
        norm(ln.text) for fc in view.diff.files for ln in fc.added_lines() if code(ln.text)})
