"""Tests for bot.core.regex_literal: the literal every match of a regex holds (prefilters)."""

from __future__ import annotations

import re

import pytest

from bot.core.regex_literal import required_literal


@pytest.mark.parametrize(
    ("rx", "literal"),
    [
        (r"(^|/)bitrise\.ya?ml$", "bitrise.y"),
        (r"a|bcdef", ""),  # a top-level alternation requires nothing
        (r"(?:ab|cd)efg", "efg"),
        (r"(?x)ab c # comment", ""),  # global inline flags are not followed
        (r"(?i:ab|c)de", "de"),  # a scoped flag group is a group
        ("(?x: a # ) paren ( \n)bc", ""),  # verbose mode is not followed
        (r"abc{2}de", "ab"),
        (r"ab?cd", "cd"),
        (r"x+yz", "yz"),
        (r"[abc]def\d", "def"),
        (r"\dabc\bxy", "abc"),
        (r"\Wmn\.Op", "mn.op"),
        (r"[]ab]cd", "cd"),
        (r"[^]x]yz", "yz"),
        (r"\u00e9abc", "abc"),  # an escape's digits are not literals: it matches "é"
        (r"\x41zz", "zz"),
        (r"\U0001F600", ""),
        (r"a\101b", "a"),  # octal escape ("A")
        (r"\0123", "3"),  # "\012" (newline), then "3"
        (r"(a)\1bcd", "bcd"),  # a group reference
        (r"\N{LATIN SMALL LETTER E}xyz", "xyz"),
        (r"ab(", ""),
        (r"ab[c", ""),
        (r"ab{2", ""),
        (r"abc\\", "abc\\"),  # an escaped backslash is a literal one
        ("abc\\", ""),  # a lone backslash at the end: not a pattern
        (r"", ""),
    ],
)
def test_required_literal(rx: str, literal: str) -> None:
    assert required_literal(rx) == literal


def _top_level_literal_runs(rx: str, flags: int = re.IGNORECASE) -> list[str]:
    """Runs of consecutive top-level LITERAL items of ``rx`` in ``re``'s own parse (lower case when
    ``flags`` ignore case): every match of ``rx`` holds each of them."""
    from re import _constants, _parser  # type: ignore[attr-defined]  # noqa: PLC0415

    parsed = _parser.parse(rx, flags)
    assert not parsed.state.flags & re.VERBOSE
    runs, run = [], []
    for op, arg in parsed.data:
        if op is _constants.LITERAL:
            run.append(chr(arg))
        else:
            runs.append("".join(run))
            run = []
    runs.append("".join(run))
    return [r.lower() for r in runs] if flags & re.IGNORECASE else runs


def test_every_renovate_literal_is_required_by_its_pattern() -> None:
    """Each vendored pattern's literal lies in a run of top-level literal items of ``re``'s own
    parse of it (no alternation or quantifier around them): no match can lack it."""
    from bot.core import sensitive  # noqa: PLC0415

    sources = sensitive._renovate_sources()
    with_literal = 0
    for _, pat, rx, literal in sources:
        if literal:
            assert literal.isascii()
            assert any(literal in run for run in _top_level_literal_runs(rx)), (pat, literal)
            with_literal += len(literal) >= 3
    assert with_literal >= 0.8 * len(sources)


def test_case_is_kept_when_asked() -> None:
    assert required_literal(r"\bCERT_NONE\b", keep_case=True) == "CERT"
    assert required_literal(r"\bCERT_NONE\b") == "cert"


def test_every_dangerous_call_literal_is_required_by_its_pattern() -> None:
    """Each regex dangerous-call pattern's literal lies in a run of top-level literal items of
    ``re``'s own parse of it, in the regex's own case handling: no line without it can match."""
    from subagents.checks.safety._call_patterns import REGEX_PATTERNS_BY_FAMILY  # noqa: PLC0415

    patterns = {id(p): p for ps in REGEX_PATTERNS_BY_FAMILY.values() for p in ps}.values()
    with_literal = 0
    for p in patterns:
        if p.literal:
            assert any(p.literal in run for run in _top_level_literal_runs(p.regex.pattern, p.regex.flags)), p
            with_literal += 1
    assert with_literal >= 0.8 * len(patterns)


def test_may_match_rules_out_only_texts_without_the_literal() -> None:
    from subagents.checks.safety._call_patterns import pattern  # noqa: PLC0415

    cased = pattern("tls", r"\bCERT_NONE\b", "m", "s")
    assert cased.literal == "CERT"
    assert not cased.may_match("x = cert_none", "x = cert_none")
    assert cased.may_match("ssl.CERT_NONE", "ssl.cert_none")
    folded = pattern("tls", r"\binsecure[_-]?skip[_-]?verify\b\s*[:=]\s*true\b", "m", "s", flags=re.IGNORECASE)
    assert folded.literal == "insecure"
    assert folded.may_match("InsecureSkipVerify: true", "insecureskipverify: true")
    assert not folded.may_match("verify: true", "verify: true")
    assert folded.may_match("ınsecure", None)  # non-ASCII text: never ruled out when ignoring case
    assert pattern("eval", "", "m", "s").may_match("", "")


@pytest.mark.parametrize("rx", [r"\u00e9abc", r"\x41zz", r"\U0001F600q", r"a\101b", r"\0123", r"(a)\1bcd", r"(a)(b)\2x",
                                r"\N{LATIN SMALL LETTER E}xyz", r"\x2eabc\.d", r"zz\u0041\u0042"])
def test_escapes_never_give_their_digits_as_literals(rx: str) -> None:
    """Checked against ``re``'s own parse: the literal lies in a run of top-level literal items."""
    literal = required_literal(rx, keep_case=True)
    assert not literal or any(literal in run for run in _top_level_literal_runs(rx, 0)), literal

