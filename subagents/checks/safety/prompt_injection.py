"""Check ``prompt_injection``: ``safety/prompt-injection`` (major; the policy routes it to a human,
never to approval).

Text aimed at an AI reviewer (see :func:`bot.core.injection.find_injection`) in the PR title, the
body (also inside hidden HTML comments, encoded text and tag characters) or the added lines; and
invisible characters in the PR title or body, a way to smuggle text past a human reader, with the
code points as evidence. Data-like patterns (verdict JSON, role tags) count in added lines only
inside comments. A scan that reports text it could not read (encoding nested too deep) marks the
verdict truncated.
"""

from __future__ import annotations

import bisect

from bot.core.injection import DATA_LIKE_PATTERNS, ENCODED_PATTERN_ID, scan_injection
from bot.core.models import Severity
from bot.core.sanitize import strip_hidden
from subagents.checks.safety._common import AGENT, finding, is_code, safe_excerpt
from subagents.checks.safety._fileview import FileView
from subagents.checks.safety._scope import scan_scope
from subagents.checks.safety.hidden_unicode import hidden_in_pr_text, hidden_points
from subagents.framework import Check, CheckResult
from subagents.view import CheckView

RULE = "safety/prompt-injection"

_INVISIBLE_ENCODINGS = ("tag-character", "bidi-reversed")
"""Encodings (see :func:`bot.core.injection.find_injection`) whose decoded-text hits can only be
found in the raw PR text, before invisible characters are stripped."""

_SUGGESTION = "Remove instructions addressed to the reviewer; a human must review this PR."


def _pr_text(view: CheckView, out: CheckResult) -> None:
    for field_name, text in (("title", view.pr.title), ("body", view.pr.body)):
        if not text:
            continue
        clean = strip_hidden(text)
        hidden = hidden_in_pr_text(text)
        if hidden:
            kinds, points = hidden_points(hidden)
            spelled = "".join(chr(cp - 0xE0000) for cp, _ in hidden if 0x20 <= cp - 0xE0000 < 0x7F)
            extra = [f"tag characters spell: {safe_excerpt(spelled)!r}"] if len(spelled) >= 3 else []
            out.findings.append(finding(
                RULE, Severity.major,
                f"The PR {field_name} hides {len(hidden)} invisible character(s) ({', '.join(kinds)}): "
                "text a reader cannot see can carry instructions to a model",
                evidence=[f"PR {field_name}: {p}" for p in points] + extra,
                suggestion="Remove the invisible characters; a human must review this PR.",
                anchor=f"{field_name}:hidden:{','.join(kinds)}",
            ))
        sources = [("", clean.text)] + [(" (hidden HTML comment)", c) for c in clean.hidden_comments]
        if hidden:  # tag characters and right-to-left overrides are decoded only in the raw text
            sources.append((" (invisible characters)", text))
        for where, chunk in sources:
            scan = scan_injection(chunk)
            for reason in scan.truncated:
                out.truncated = True
                out.notes.append(f"PR {field_name}{where}: {reason}")
            for hit in scan.hits:
                if where == " (invisible characters)" and not (
                    hit.pattern_id == ENCODED_PATTERN_ID and hit.excerpt.startswith(_INVISIBLE_ENCODINGS)
                ):
                    continue
                excerpt = safe_excerpt(hit.excerpt)
                out.findings.append(finding(
                    RULE, Severity.major,
                    f"The PR {field_name}{where} contains text aimed at an AI reviewer ({hit.pattern_id})",
                    evidence=[f"PR {field_name}{where}: {excerpt}"], suggestion=_SUGGESTION,
                    anchor=f"{field_name}{where}:{hit.pattern_id}:{excerpt}",
                ))


def _file(view: FileView, out: CheckResult) -> None:
    f = view.change
    code = is_code(f)
    # All added lines of the file in one text (the scan reads all of it, however long a line
    # is, so an instruction spanning lines or at the end of a huge line is seen).
    lines = view.added
    text = "\n".join(ln.text for ln in lines)
    starts: list[int] = []
    pos = 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln.text) + 1
    scan = scan_injection(text)
    for reason in scan.truncated:
        out.truncated = True
        out.notes.append(f"{f.path}: {reason}")
    for hit in scan.hits:
        idx = bisect.bisect_right(starts, hit.offset) - 1
        line = lines[idx]
        col = hit.offset - starts[idx]
        if code:
            region = view.region(line, col)
        elif text.rfind("<!--", 0, hit.offset) > text.rfind("-->", 0, hit.offset):
            region = "html-comment"
        else:
            region = "text"
        if hit.pattern_id in DATA_LIKE_PATTERNS and region not in ("comment", "html-comment"):
            continue  # verdict JSON / role tags as visible data: fixtures, docs, pom.xml <system>
        where = {"comment": "a comment", "string": "a string literal", None: "code",
                 "html-comment": "a hidden HTML comment"}.get(region, "text")
        excerpt = safe_excerpt(hit.excerpt)
        out.findings.append(finding(
            RULE, Severity.major, f"Added text aimed at an AI reviewer ({hit.pattern_id}) in {where}",
            path=f.path, line=line.new_lineno, evidence=[f"{f.path}:{line.new_lineno} ({where}): {excerpt}"],
            suggestion=_SUGGESTION, anchor=f"injection:{hit.pattern_id}:{excerpt}",
        ))


def run(view: CheckView) -> CheckResult:
    """Scan the PR title and body, then the added text of each file in the scan scope."""
    out = CheckResult()
    _pr_text(view, out)
    for fv in scan_scope(view).files:
        _file(fv, out)
    return out


CHECK = Check(name="prompt_injection", agent=AGENT, rules=(RULE,), run=run, order=20)

__all__ = ["CHECK", "run"]
