"""Check ``hidden_unicode``: ``safety/hidden-unicode`` (major; critical for bidi controls in code,
Trojan Source CVE-2021-42574).

Hidden characters by Unicode property (default-ignorable, format, variation selectors, tags,
blanks; see :mod:`bot.core.unicode_text`) in added lines or the PR title and body, except those
doing their ordinary job (:func:`bot.core.sanitize.legitimate_invisible`: an emoji ZWJ, an RLM in
Hebrew text, a BOM opening a file); and words mixing Latin letters with look-alike letters of
another script (UTS #39 mixed-script confusables, :func:`bot.core.unicode_text.lookalike_words`).
"""

from __future__ import annotations

from bot.core.diff import DiffLine, FileChange
from bot.core.models import Finding, Severity
from bot.core.sanitize import char_kind, find_invisible, legitimate_invisible, strip_hidden
from bot.core.unicode_text import lookalike_words
from subagents.checks.safety._common import AGENT, finding, is_code, safe_excerpt
from subagents.checks.safety._scope import scan_scope
from subagents.framework import Check
from subagents.view import CheckView

RULE = "safety/hidden-unicode"


def hidden_in_pr_text(text: str) -> list[tuple[int, int]]:
    """``[(code point, offset)]`` of the invisible characters of a PR title or body that are not
    doing an ordinary job (see :func:`bot.core.sanitize.legitimate_invisible`)."""
    return [(cp, idx) for cp, idx in strip_hidden(text).invisible_chars if not legitimate_invisible(text, idx)]


def hidden_points(hidden: list[tuple[int, int]]) -> tuple[list[str], list[str]]:
    """``(kinds, points)``: the sorted kinds of the hidden characters, and up to ten of them described
    as ``U+XXXX (kind) at offset N`` (plus a count of the rest)."""
    kinds = sorted({char_kind(cp) or "?" for cp, _ in hidden})
    points = [f"U+{cp:04X} ({char_kind(cp)}) at offset {idx}" for cp, idx in hidden[:10]]
    if len(hidden) > 10:
        points.append(f"... {len(hidden) - 10} more")
    return kinds, points


def lookalikes(where: str, text: str, *, anchor: str, path: str | None = None, line: int | None = None) -> list[Finding]:
    """Words of ``text`` mixing Latin letters with look-alike letters of another script (TR39
    mixed-script confusables): zero or one finding."""
    words = lookalike_words(text)
    if not words:
        return []
    evidence = [f"{safe_excerpt(w, 60)!r} reads as {s!r} (" + ", ".join(
        f"U+{ord(c):04X}" for c in w if not c.isascii())[:80] + ")" for _, w, s in words[:10]]
    return [finding(
        RULE, Severity.major,
        f"{where} mixes Latin letters with look-alike letters of another script in {len(words)} word(s)",
        path=path, line=line, evidence=evidence,
        suggestion="Use one script per word; look-alike letters make text read differently than it matches.",
        anchor=f"lookalike:{anchor}:{','.join(s for _, _, s in words[:10])}",
    )]


def _pr_text(view: CheckView) -> list[Finding]:
    out: list[Finding] = []
    for field_name, text in (("title", view.pr.title), ("body", view.pr.body)):
        if not text:
            continue
        hidden = hidden_in_pr_text(text)
        if hidden:
            kinds, points = hidden_points(hidden)
            out.append(finding(
                RULE, Severity.major,
                f"The PR {field_name} contains {len(hidden)} invisible character(s) ({', '.join(kinds)})",
                evidence=points,
                suggestion="Remove invisible characters; a reader cannot see what a model reads.",
                anchor=f"{field_name}:{','.join(kinds)}",
            ))
        out += lookalikes(f"The PR {field_name}", text, anchor=field_name)
    return out


def _line(f: FileChange, line: DiffLine, code: bool) -> list[Finding]:
    out = lookalikes("An added line", line.text, anchor=f.path, path=f.path, line=line.new_lineno)
    found = [(cp, idx) for cp, idx in find_invisible(line.text)
             if not (cp == 0xFEFF and idx == 0 and line.new_lineno == 1)  # a BOM opening the file
             and not (cp != 0xFEFF and legitimate_invisible(line.text, idx))]  # emoji ZWJ, RLM in Hebrew, ...
    if not found:
        return out
    kinds = sorted({char_kind(cp) or "?" for cp, _ in found})
    trojan = code and "bidi" in kinds
    out.append(finding(
        RULE, Severity.critical if trojan else Severity.major,
        ("Bidirectional control characters in code can make it read differently than it runs "
         "(Trojan Source, CVE-2021-42574)") if trojan
        else f"Invisible characters ({', '.join(kinds)}) in an added line",
        path=f.path, line=line.new_lineno,
        evidence=[f"U+{cp:04X} ({char_kind(cp)}) at column {idx + 1}" for cp, idx in found[:10]]
        + [f"visible text: {safe_excerpt(line.text)}"],
        suggestion="Remove the invisible characters (or escape them explicitly, e.g. \\u202e).",
        anchor=f"hidden:{','.join(kinds)}:{safe_excerpt(line.text)}",
    ))
    return out


def run(view: CheckView) -> list[Finding]:
    """Hidden characters and look-alike words in the PR text, then in each scanned added line."""
    out = _pr_text(view)
    for fv in scan_scope(view).files:
        code = is_code(fv.change)
        for line in fv.added:
            out += _line(fv.change, line, code)
    return out


CHECK = Check(name="hidden_unicode", agent=AGENT, rules=(RULE,), run=run, order=10)

__all__ = ["CHECK", "hidden_in_pr_text", "hidden_points", "lookalikes", "run"]
