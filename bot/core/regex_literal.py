"""The literal text every match of a regular expression must contain, for cheap prefilters.

:func:`required_literal` reads a Python regex's source (it does not parse it with ``re``, whose
parser costs about as much as compiling) and returns a run of characters that every match holds;
a text without that run (compared ignoring case for a pattern matched ignoring case) cannot
match, so the regex need not run on it. Used by :mod:`bot.core.sensitive` (Renovate's file
patterns) and the safety agent's dangerous-call patterns. Pure functions, no state.
"""

from __future__ import annotations

import re

_FLAGS_NOT_FOLLOWED = re.compile(r"\(\?(?:[aiLmsux]+\)|[aiLmsux-]*x)")
"""Global inline flags (``(?i)``), and any group in verbose mode (``(?x:``), whose spaces and
``#`` comments this scan would misread."""
_PLAIN_RUN = re.compile(r"[A-Za-z0-9]+")


def _skip_class(rx: str, i: int) -> int:
    """The index after the character class opening at ``rx[i]`` (``[``), or -1 when it never closes."""
    j = i + 1
    if rx.startswith("^", j):
        j += 1
    if rx.startswith("]", j):  # a ']' first in the class is a literal
        j += 1
    while j < len(rx):
        if rx[j] == "\\":
            j += 2
            continue
        if rx[j] == "]":
            return j + 1
        j += 1
    return -1


def _skip_group(rx: str, i: int) -> int:
    """The index after the group opening at ``rx[i]`` (``(``), or -1 when it never closes."""
    depth = 0
    j = i
    while j < len(rx):
        c = rx[j]
        if c == "\\":
            j += 2
            continue
        if c == "[":
            j = _skip_class(rx, j)
            if j < 0:
                return -1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return -1


def _skip_quantifier(rx: str, i: int) -> int:
    """The index after a quantifier starting at ``rx[i]`` (``*``, ``+``, ``?`` or ``{...}``, and a
    lazy ``?`` or possessive ``+`` after it), ``i`` when none starts there, -1 for a ``{`` that
    never closes."""
    if i >= len(rx) or rx[i] not in "*+?{":
        return i
    j = rx.find("}", i) + 1 if rx[i] == "{" else i + 1
    if j <= 0:
        return -1
    return j + 1 if rx[j : j + 1] in ("?", "+") else j


_ESCAPE_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}


def _escape_end(rx: str, i: int) -> int:
    """The index after the escape at ``rx[i]`` (``\\``), its whole length: ``\\xhh``, ``\\uhhhh``,
    ``\\Uhhhhhhhh``, ``\\N{name}``, an octal escape or a group reference (up to 3 digits), or two
    characters for any other escape (``\\d``, ``\\.``). Its digits and name are never literals of
    the text: ``\\u00e9`` matches ``é``, not ``00e9`` (https://docs.python.org/3/library/re.html,
    "Regular Expression Syntax")."""
    nxt = rx[i + 1 : i + 2]
    if nxt in _ESCAPE_HEX_DIGITS:
        return i + 2 + _ESCAPE_HEX_DIGITS[nxt]
    if nxt == "N" and rx.startswith("{", i + 2):
        close = rx.find("}", i + 2)
        return len(rx) if close < 0 else close + 1
    if nxt.isdigit():
        j = i + 2
        while j < len(rx) and j < i + 4 and rx[j].isdigit():
            j += 1
        return j
    return i + 2


def required_literal(rx: str, *, keep_case: bool = False) -> str:
    """The longest run of literal characters that every match of the Python regex ``rx`` contains
    (in lower case unless ``keep_case``), or '' when none is found.

    A conservative scan of the top level of the pattern: global inline flags (``(?i)``), verbose
    mode (``(?x:``) or a top-level ``|`` mean nothing is required; groups, classes, ``.``, anchors and escapes of letters or digits (``\\d``, ``\\b``,
    ``\\1``, with all their digits or name: ``\\u00e9``, ``\\101``, ``\\N{...}``) end a run; a character followed by a quantifier (``?``, ``*``, ``+``, ``{..}``) ends
    one too; a letter, a digit or an escaped punctuation character (``\\.``) is a literal. So
    each character of the run is one item of the pattern's top-level sequence, matched by exactly
    itself (ignoring case), one after the other: a text that lacks the run (ignoring case) has no
    match. (A test checks every vendored pattern's literal against the ``re`` parser's own parse.)
    Only letters, digits and escaped ASCII punctuation are kept, so the literal is ASCII."""
    if _FLAGS_NOT_FOLLOWED.search(rx):
        return ""
    runs: list[str] = []
    run: list[str] = []
    i = 0
    while i < len(rx):
        plain = _PLAIN_RUN.match(rx, i)
        if plain is not None:  # letters and digits: each a literal, but a quantifier takes the last one
            end = plain.end()
            after = _skip_quantifier(rx, end)
            if after < 0:
                return ""
            if after == end:
                run.append(plain.group())
            else:
                run.append(plain.group()[:-1])
                runs.append("".join(run))
                run = []
            i = after
            continue
        c = rx[i]
        atom: str | None = None
        if c == "\\":
            nxt = rx[i + 1 : i + 2]
            if not nxt:
                return ""
            atom = nxt if nxt.isascii() and not nxt.isalnum() and nxt != "_" else None
            end = _escape_end(rx, i)
        elif c == "[":
            end = _skip_class(rx, i)
        elif c == "(":
            end = _skip_group(rx, i)
        elif c == "|" or c == ")" or c in "*+?{":
            return ""  # a top-level alternation, or a pattern this scan does not follow
        else:
            end = i + 1  # any other character (letters and digits are handled above): no literal
        if end < 0:
            return ""
        after = _skip_quantifier(rx, end)
        if after < 0:
            return ""
        if atom is None or after != end:
            runs.append("".join(run))
            run = []
        else:
            run.append(atom)
        i = after
    runs.append("".join(run))
    longest = max(runs, key=len)
    return longest if keep_case else longest.lower()


__all__ = ["required_literal"]
