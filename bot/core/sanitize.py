"""Sanitize untrusted text: hidden markup and characters, reviewer-aimed instructions, secrets.

Pure functions over ``str`` (no I/O, no environment, no mutable module state). Used by the safety
sub-agent, by the LLM layer before anything is sent to a model, and by the GitHub sink before
anything is posted.

- :func:`strip_hidden` removes HTML comments, invisible characters (zero-width, bidi controls,
  Unicode tag characters) and reports what it removed.
- :func:`find_injection` finds instructions aimed at an AI reviewer ("ignore previous
  instructions", "approve this PR", fake verdict JSON, chat-template role tags, ...).
- :func:`secret_scan_line` finds secrets in one line (our own patterns plus detect-secrets'
  detectors); :func:`redact_secrets` replaces them with ``[REDACTED:<type>]``.

Sources: Trojan Source, CVE-2021-42574 (bidi controls, https://trojansource.codes/); Unicode tag
characters U+E0000..U+E007F ("ASCII smuggling" of prompts); token formats from the providers'
documentation as encoded in Yelp/detect-secrets 1.5 plugins and GitHub's token-format post
(https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/).

All regular expressions are linear or bounded (no nested unbounded quantifiers), and scans stop
after :data:`MAX_SCAN_CHARS` characters.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin

MAX_SCAN_CHARS = 200_000
""":func:`find_injection` scans only the first this many characters of its input; callers that
pass longer text should treat the scan as truncated (see :func:`scan_truncated`)."""

MAX_SECRET_LINE_CHARS = 4_000
""":func:`secret_scan_line` scans only the first this many characters of a line (minified files)."""

# --------------------------------------------------------------------------------------------
# Hidden characters and comments
# --------------------------------------------------------------------------------------------

ZERO_WIDTH: frozenset[int] = frozenset(
    [*range(0x200B, 0x2010), *range(0x2060, 0x2065), 0xFEFF, 0x180E, 0x00AD, 0x034F,
     0x115F, 0x1160, 0x3164, 0xFFA0]
)
"""Invisible formatting characters: ZWSP, ZWNJ, ZWJ, LRM, RLM (U+200B..U+200F), word joiner and
invisible operators (U+2060..U+2064), BOM/ZWNBSP, Mongolian vowel separator, soft hyphen, combining
grapheme joiner, and the Hangul fillers used for invisible identifiers."""

BIDI_CONTROLS: frozenset[int] = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x061C])
"""Bidirectional embedding/override/isolate controls (Trojan Source, CVE-2021-42574) and the
Arabic letter mark."""

TAG_CHARS = range(0xE0000, 0xE0080)
"""Unicode tag characters: invisible copies of ASCII, used to smuggle prompts."""

_INVISIBLE_RE = re.compile(
    "[\u200b-\u200f\u2060-\u2064\ufeff\u180e\u00ad\u034f\u115f\u1160\u3164\uffa0"
    "\u202a-\u202e\u2066-\u2069\u061c\U000e0000-\U000e007f]"
)

_MD_HIDDEN_RE = re.compile(
    r"""^[ ]{0,3}\[[^\]\n]{0,200}\]:[ \t]*\#[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|\(([^)\n]*)\))?[ \t]*$""",
    re.MULTILINE,
)
"""A Markdown link reference definition whose URL is ``#`` (``[//]: # (text)``): renders as nothing."""


def char_kind(codepoint: int) -> str | None:
    """``"bidi"``, ``"tag"`` or ``"zero-width"`` for a hidden character's code point, else None."""
    if codepoint in BIDI_CONTROLS:
        return "bidi"
    if codepoint in TAG_CHARS:
        return "tag"
    if codepoint in ZERO_WIDTH:
        return "zero-width"
    return None


@dataclass
class Sanitized:
    """Result of :func:`strip_hidden`.

    - ``text``: the input without HTML comments, hidden Markdown comments and invisible characters.
    - ``hidden_comments``: the inner text of each removed comment (invisible characters removed),
      in order of appearance.
    - ``invisible_chars``: ``(codepoint, index)`` of each removed invisible character, ``index``
      being its position in the *original* text.
    """

    text: str
    hidden_comments: list[str] = field(default_factory=list)
    invisible_chars: list[tuple[int, int]] = field(default_factory=list)


def find_invisible(text: str) -> list[tuple[int, int]]:
    """``(codepoint, index)`` of every invisible character (see :func:`char_kind`) in ``text``."""
    return [(ord(m.group()), m.start()) for m in _INVISIBLE_RE.finditer(text)]


def remove_invisible(text: str) -> str:
    """``text`` without invisible characters (HTML comments are kept; see :func:`strip_hidden`)."""
    return _INVISIBLE_RE.sub("", text)


def strip_hidden(text: str) -> Sanitized:
    """Remove what a reader cannot see but a model would read, and report it.

    Removes invisible characters first (so ``<!``+ZWSP+``--`` is still a comment), then HTML
    comments ``<!-- ... -->`` (an unterminated ``<!--`` hides everything after it, as in a browser)
    and Markdown ``[//]: # (...)`` comment lines. Never raises.
    """
    invisible = find_invisible(text)
    cleaned = _INVISIBLE_RE.sub("", text) if invisible else text
    comments: list[str] = []
    out: list[str] = []
    pos = 0
    while True:
        start = cleaned.find("<!--", pos)
        if start < 0:
            out.append(cleaned[pos:])
            break
        out.append(cleaned[pos:start])
        end = cleaned.find("-->", start + 4)
        if end < 0:
            comments.append(cleaned[start + 4 :])
            break
        comments.append(cleaned[start + 4 : end])
        pos = end + 3
    visible = "".join(out)
    if "]:" in visible:
        def _md(m: re.Match[str]) -> str:
            comments.append(next((g for g in m.groups() if g is not None), ""))
            return ""

        visible = _MD_HIDDEN_RE.sub(_md, visible)
    return Sanitized(text=visible, hidden_comments=comments, invisible_chars=invisible)


# --------------------------------------------------------------------------------------------
# Prompt injection aimed at the reviewer
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InjectionHit:
    """One suspected instruction to an AI reviewer.

    ``pattern_id`` names the pattern (see :data:`INJECTION_PATTERNS`); ``excerpt`` is the matched
    text with some context, invisible characters removed, whitespace collapsed, at most 200
    characters; ``offset`` is the match start in the *original* text.
    """

    pattern_id: str
    excerpt: str
    offset: int


_W = r"[ \t\r\n]{1,10}"  # bounded whitespace between words
_OW = r"[ \t\r\n]{0,10}"  # optional bounded whitespace
_PR = r"(?:pr|pull[ \t\r\n]{1,5}request|merge[ \t\r\n]{1,5}request|mr|change(?:set|s)?|patch|diff|commit|code)"
_BOTNOUN = r"(?:reviewers?|assistants?|agents?|models?|bots?|llms?|ais?)"

INJECTION_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # (pattern_id, trigger substrings, regex). Regexes are written in lower case and matched
    # against lower-cased, normalized text; a regex runs only when one of its triggers occurs.
    ("ignore_previous", ("ignore", "disregard", "forget", "override", "bypass"),
     rf"\b(?:ignore|disregard|forget|override|bypass)(?:{_W}(?:all|any|of|the|your|my|every|these|those)){{0,3}}"
     rf"{_W}(?:previous|prior|above|earlier|preceding|former|system|original|existing)"
     rf"{_W}(?:instructions?|prompts?|rules|directions|directives|guidelines|guidance|context|commands?|orders)\b"),
    ("ignore_above", ("ignore", "disregard", "forget"),
     rf"\b(?:ignore|disregard|forget){_W}(?:everything|all|anything){_W}(?:above|before|said|prior)\b"),
    ("new_instructions", ("instruction",),
     rf"\b(?:new|updated|revised|real|actual|true){_W}(?:system{_W})?instructions?{_OW}:"),
    ("you_are_now", ("now",),
     rf"\byou{_W}are{_W}now{_W}(?:(?:a|an|the|my){_W}[^\n]{{0,40}}?\b(?:{_BOTNOUN}|gpt|dan|assistant)\b"
     rf"|(?:in{_W})?(?:developer|dev|admin|god|dan|jailbreak|jailbroken|unrestricted|debug){_W}mode\b"
     rf"|(?:dan|unrestricted|jailbroken|free{_W}of)\b)"),
    ("from_now_on", ("now",), rf"\bfrom{_W}now{_W}on,?{_W}you{_W}(?:are|will|must|shall|should)\b"),
    ("as_an_ai", ("ai", "llm", "intelligence", "language"),
     rf"\bas{_W}an?{_W}(?:ai|llm|artificial{_W}intelligence|(?:large{_W})?language{_W}model)\b"),
    ("system_prompt", ("prompt",),
     rf"\b(?:ignore|override|reveal|print|repeat|show|leak|replace|update|disregard|new|updated|your)"
     rf"(?:{_W}(?:the|your|new|original)){{0,2}}{_W}system{_W}prompts?\b"
     rf"|\bsystem{_W}prompt{_OW}(?:override|update)?{_OW}:"),
    ("approve_pr", ("approve", "accept", "merge", "lgtm"),
     rf"\b(?:approve|accept|merge|lgtm){_W}(?:this|the|my|our){_W}(?:{_PR})\b"),
    ("lgtm_approve", ("lgtm",), rf"\blgtm[ \t.,!:;-]{{0,5}}(?:approve|approved|ship{_W}it|merge)\b"),
    ("do_not_flag", ("flag", "report"),
     rf"\b(?:do{_W}not|don'?t|never|must{_W}not|should{_W}not)(?:{_W}(?:flag|report|mention|comment{_W}on|warn{_W}about|raise))"
     rf"{_W}(?:this|these|that|it|any(?:thing)?|the)\b[^\n]{{0,40}}?\b(?:issues?|vulnerabilit(?:y|ies)|findings?|problems?|"
     rf"secrets?|security|risks?|concerns?|as{_W}(?:a{_W})?(?:bug|issue|problem|vulnerability|unsafe|dangerous|suspicious))\b"
     rf"|\b(?:{_BOTNOUN}|quorum)\b[^\n]{{0,30}}?\b(?:do{_W}not|don'?t|never|should{_W}not|must{_W}not){_W}(?:flag|report)\b"),
    ("mark_safe", ("safe", "secure", "clean", "approved", "passing", "benign", "harmless", "risk", "trusted", "verified"),
     rf"\b(?:mark|treat|consider|classify|label|rate|score)(?:{_W}(?:this|it|the|these)){{1,2}}"
     rf"(?:{_W}(?:{_PR}|file|function|changes?))?"
     rf"{_W}as{_W}(?:safe|secure|clean|approved|passing|benign|harmless|low[ -]risk|trusted|verified)\b"),
    ("pre_approved", ("approved", "reviewed", "vetted", "audited"),
     rf"\b(?:pre-?approved|already{_W}(?:been{_W})?(?:reviewed|approved|vetted|audited)|(?:reviewed|approved|vetted|audited|"
     rf"signed{_W}off){_W}and{_W}approved)(?:{_W}(?:by|with)){_W}(?:the{_W})?(?:security|infosec|appsec|compliance|legal|"
     rf"platform){_W}team\b|\bpre-?approved{_W}by\b"),
    ("reviewed_approved", ("approved", "cleared", "vetted"),
     rf"\b(?:this|the){_W}(?:{_PR}){_W}(?:has{_W}been|was|is|has{_W}already{_W}been){_W}(?:already{_W})?"
     rf"(?:reviewed{_W}and{_W}approved|approved|pre-?approved|(?:security[- ])?(?:cleared|vetted))\b"),
    ("respond_approve", ("with", "your"),
     rf"\b(?:respond|reply|answer|output|return|print)(?:{_W}only)?{_W}with{_W}(?:only{_W})?[\"'`]?"
     rf"(?:approve[ds]?|pass(?:ed)?|lgtm|safe|no{_W}issues|\{{)"
     rf"|\byour{_W}(?:final{_W})?(?:answer|verdict|response|decision|output|status){_W}(?:must|should|will|has{_W}to){_W}be"
     rf"{_OW}[\"'`]?(?:approve[ds]?|pass(?:ed)?|lgtm|safe)\b"),
    ("json_verdict", ("{",),
     r"\{[ \t\r\n]{0,20}[\"']?(?:status|verdict|decision|action|result|review|outcome|risk)[\"']?[ \t]{0,5}:[ \t\r\n]{0,5}"
     r"[\"']?(?:pass|passed|approve|approved|lgtm|safe|ok|none|low|0(?:\.0+)?)\b"),
    ("role_tag", ("<", "[inst"),
     r"<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>"
     r"|\[/?inst\]|<</?sys>>|</?(?:system|assistant)>|<\|?/?(?:system|developer)[_ ]?(?:prompt|message)\|?>"),
    ("quorum_command", ("quorum",),
     rf"@?\bquorum(?:\[bot\]|-bot|{_W}bot)?{_OW}[:,]{_OW}(?:please{_W})?(?:approve|pass|ignore|skip|disable|do{_W}not|"
     rf"don'?t|mark|merge|lgtm|allow|accept|treat|consider|override|bypass|whitelist|allowlist)\b"
     rf"|@quorum(?:\[bot\]|-bot)?{_W}(?:please{_W})?(?:approve|pass|ignore|skip|merge|lgtm|allow|accept|override|bypass)\b"
     rf"|/quorum{_W}(?:approve|merge|pass|skip|bypass|override|ignore|allow|lgtm)\b"),
    ("reviewer_must", ("must", "should", "will", "need", "have to", "required", "instructed", "note", "message",
                       "instruction", "memo", "attention"),
     rf"\bas{_W}(?:the|a|an|my|our){_W}(?:ai{_W}|automated{_W}|code{_W}|security{_W}){{0,2}}(?:reviewer|"
     rf"reviewing{_W}(?:agent|bot|model)|assistant|review{_W}bot|agent),?{_W}you{_W}(?:must|should|will|need{_W}to|"
     rf"have{_W}to|are{_W}(?:required|instructed){_W}to)\b"
     rf"|\b(?:note|message|instructions?|memo|attention)(?:{_W}(?:to|for)){_W}(?:any{_W}|the{_W}|all{_W})?"
     rf"(?:ai|llm|automated|automatic)(?:{_W}code)?{_W}{_BOTNOUN}"),
)
"""``(pattern_id, triggers, regex)`` triples used by :func:`find_injection`.

Phrases come from published prompt-injection attacks on review bots and LLM apps (OWASP LLM01,
Greshake et al. 2023 "Not what you've signed up for"). They require an instruction shape (a verb
aimed at the reviewer, or a verdict/role marker), so code such as ``def approve(self)`` or
``# ignore whitespace`` does not match. ``triggers`` are lower-case substrings at least one of
which every match contains: a cheap test that skips the regex on most text."""

PATTERN_IDS: tuple[str, ...] = tuple(pid for pid, _, _ in INJECTION_PATTERNS)
"""Every ``InjectionHit.pattern_id`` :func:`find_injection` can return."""

DATA_LIKE_PATTERNS: frozenset[str] = frozenset({"json_verdict", "role_tag"})
"""Pattern ids that also describe ordinary data (test fixtures with ``{"status": "pass"}``, chat
templates with ``<|im_start|>``, ``<system>`` in a pom.xml): callers may ignore them in visible file
content and count them only in comments, hidden markup and PR text."""

_COMPILED = tuple((pid, triggers, re.compile(rx)) for pid, triggers, rx in INJECTION_PATTERNS)

_CONFUSABLES = str.maketrans({
    # Cyrillic and Greek letters that look like Latin ones (Unicode confusables.txt, lowercase subset).
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ԛ": "q", "ԝ": "w", "А": "A", "В": "B", "Е": "E",
    "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I",
    "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Χ": "X",
})


def scan_truncated(text: str) -> bool:
    """True when ``text`` is longer than :data:`MAX_SCAN_CHARS` (a scan saw only its beginning)."""
    return len(text) > MAX_SCAN_CHARS


def _normalize(text: str) -> tuple[str, list[int] | None]:
    """Lower-case ``text``, drop invisible characters, fold compatibility forms (NFKC) and
    Cyrillic/Greek look-alikes.

    Returns the normalized text and a list mapping each normalized index to its original index,
    or None when the mapping is the identity (pure ASCII input).
    """
    if text.isascii():
        return text.lower(), None
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ord(ch) < 128:
            chars.append(ch.lower())
            index.append(i)
            continue
        if _INVISIBLE_RE.match(ch):
            continue
        folded = unicodedata.normalize("NFKC", ch).translate(_CONFUSABLES).lower()
        for c in folded:
            chars.append(c)
            index.append(i)
    return "".join(chars), index


def _excerpt(text: str, start: int, end: int, limit: int = 200) -> str:
    """``text[start:end]`` with up to 40 characters of context each side, invisible characters
    removed, whitespace collapsed, cut to ``limit`` characters."""
    lo = max(0, start - 40)
    hi = min(len(text), end + 40)
    snippet = " ".join(_INVISIBLE_RE.sub("", text[lo:hi]).split())
    if len(snippet) > limit:
        snippet = snippet[: limit - 1] + "…"
    return snippet


def find_injection(text: str) -> list[InjectionHit]:
    """Find instructions aimed at an AI reviewer in ``text`` (case-insensitive).

    The text is normalized first (lower case, invisible characters dropped, NFKC, Cyrillic/Greek
    look-alikes folded), so ``IG<ZWSP>NORE previous instructions`` still matches. HTML comments are
    *not* removed: instructions hidden in them are found too. Only the first
    :data:`MAX_SCAN_CHARS` characters are scanned (see :func:`scan_truncated`). Hits are ordered by
    offset (into ``text``); at most one hit per pattern and offset. Never raises.
    """
    head = text[:MAX_SCAN_CHARS]
    norm, index = _normalize(head)
    hits: list[InjectionHit] = []
    seen: set[tuple[str, int]] = set()
    for pid, triggers, rx in _COMPILED:
        if not any(t in norm for t in triggers):
            continue
        for m in rx.finditer(norm):
            if index is None:
                start, end = m.start(), m.end()
            else:
                start = index[m.start()]
                end = index[m.end() - 1] + 1 if m.end() > m.start() else start
            if (pid, start) in seen:
                continue
            seen.add((pid, start))
            hits.append(InjectionHit(pattern_id=pid, excerpt=_excerpt(head, start, end), offset=start))
    hits.sort(key=lambda h: (h.offset, h.pattern_id))
    return hits


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretHit:
    """A secret in a line: ``type`` (snake_case, e.g. ``github_token``), ``[start, end)`` offsets."""

    type: str
    start: int
    end: int


_KEYWORDS = (
    r"(?:password|passwd|passphrase|pwd|secret|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|"
    r"private[_-]?key|client[_-]?secret|secret[_-]?key|token|auth[_-]?token|access[_-]?token|credentials?)"
)

_OWN_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str], int], ...] = (
    # (type, triggers, regex, group holding the secret; 0 = whole match). The regex runs only when
    # one of the triggers (lower case) occurs in the lower-cased line.
    ("private_key", ("private key", "putty-user-key"), re.compile(
        r"-{5}BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-{5}|PuTTY-User-Key-File-\d"), 0),
    ("aws_access_key_id", ("akia", "asia", "abia", "acca", "a3t"),
     re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"), 0),
    ("aws_secret_access_key", ("aws",), re.compile(
        r"(?i:aws)[\w.-]{0,20}?(?i:secret)[\w.-]{0,20}?[\"']?\s{0,5}(?:=|:|=>)\s{0,5}[\"']?"
        r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"), 1),
    ("github_token", ("gh", "github_pat_"), re.compile(
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])"), 0),
    ("slack_token", ("xox",), re.compile(r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,250}"), 0),
    ("slack_webhook", ("hooks.slack.com",), re.compile(
        r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]{4,20}/B[A-Za-z0-9_]{4,20}/[A-Za-z0-9_]{8,40}"), 0),
    ("stripe_key", ("k_live_",), re.compile(r"(?<![A-Za-z0-9])[sr]k_live_[0-9a-zA-Z]{20,247}"), 0),
    ("google_api_key", ("aiza",), re.compile(r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"), 0),
    ("jwt", ("eyj",), re.compile(
        r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{0,2000}"), 0),
    ("bearer_token", ("bearer",), re.compile(r"(?i:\bbearer)[ \t]{1,5}([A-Za-z0-9._~+/-]{20,500}=*)"), 1),
    ("password", ("pass", "pwd", "secret", "key", "token", "cred"), re.compile(
        rf"(?i:{_KEYWORDS})[A-Za-z0-9_]{{0,30}}[\"'\]]{{0,2}}[ \t]{{0,5}}(?::=|=>|===?|!==?|:|=)[ \t]{{0,5}}[@rbuf]?"
        r"([\"'`])([^\"'`\s\\]{8,256})\1"), 2),
    ("password_unquoted", ("pass", "pwd", "secret", "key", "token", "cred"), re.compile(
        rf"(?i:{_KEYWORDS})[A-Za-z0-9_]{{0,30}}[ \t]{{0,5}}(?::|=)[ \t]{{0,5}}"
        r"([A-Za-z0-9+/=_\-!@#$%^&*~]{12,256})(?=[ \t]*(?:#.*)?$)"), 1),
)

_KEYWORD_GATE = re.compile(
    r"(?:key|pass|pwd|secret|contrase)[a-z0-9_]{0,30}[\]'\"]{0,2}[ \t]{0,5}(?:[:=!]|=>)[ \t]{0,5}[@(]?[\"'`]"
    r"|[\"'`][ \t]{0,5}[!=]=|[!=]=[ \t]{0,5}[\"'`]"
)
"""detect-secrets' KeywordDetector costs ~0.1 ms per line; run it only on lower-cased lines that
look like ``<keyword> = "<value>"``."""


_DISCORD_GATE = re.compile(r"[mno][\w-]{23,25}\.[\w-]{6}\.")
_TELEGRAM_GATE = re.compile(r"\d{8,10}:[\w-]{35}")

_PREFILTER = re.compile(
    r"key|pass|pwd|secret|token|cred|auth|bearer|contrase|private|putty|aws|akia|asia|abia|acca|a3t|akc|ap[\da-f]"
    r"|gh[pousr]_|github_pat_|gl[a-z]{2,7}-|gr1348941|eyj|t3blbkfj|pypi-|sg\.|xox|hooks\.slack|sq0csp-|k_live_"
    r"|aiza|-us\d|://[^\s/@]{0,200}@|[mno][\w-]{23,25}\.[\w-]{6}\.|\d{8,10}:[\w-]{35}|(?:ac|sk)[a-z0-9]{32}"
)
"""One cheap search over the lower-cased line before any gate: every trigger and gate of
:data:`_OWN_PATTERNS` and :data:`_DS_DETECTORS` implies a match here (keep in sync)."""


def _gate(*subs: str) -> Callable[[str, str], bool]:
    """A gate passing lines whose lower-cased text contains one of ``subs`` (lower case)."""
    return lambda _text, low: any(sub in low for sub in subs)


def _gate_cased(*subs: str) -> Callable[[str, str], bool]:
    """A gate passing lines whose original text contains one of ``subs`` (case-sensitive)."""
    return lambda text, _low: any(sub in text for sub in subs)


_DS_DETECTORS: tuple[tuple[str, str, bool, Callable[[str, str], bool]], ...] = (
    # (detect-secrets module, class, strong, gate(line, lower-cased line) -> bool). Weak detectors
    # (keyword-shaped, short alphabets) must also pass :func:`looks_random`.
    ("aws", "AWSKeyDetector", True, _gate("akia", "asia", "abia", "acca", "a3t", "aws")),
    ("azure_storage_key", "AzureStorageKeyDetector", True, _gate("accountkey=")),
    ("github_token", "GitHubTokenDetector", True, _gate("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("gitlab_token", "GitLabTokenDetector", True, _gate("gl", "gr1348941")),
    ("jwt", "JwtTokenDetector", True, _gate("eyj")),
    ("npm", "NpmDetector", True, _gate("_authtoken")),
    ("openai", "OpenAIDetector", True, _gate("t3blbkfj")),
    ("pypi_token", "PypiTokenDetector", True, _gate("pypi-")),
    ("sendgrid", "SendGridDetector", True, _gate("sg.")),
    ("slack", "SlackDetector", True, _gate("xox", "hooks.slack.com")),
    ("square_oauth", "SquareOAuthDetector", True, _gate("sq0csp-")),
    ("stripe", "StripeDetector", True, _gate("k_live_")),
    ("artifactory", "ArtifactoryDetector", False, _gate_cased("AKC", "AP")),
    ("basic_auth", "BasicAuthDetector", False, lambda _text, low: "://" in low and "@" in low),
    ("discord", "DiscordBotTokenDetector", False, lambda _text, low: _DISCORD_GATE.search(low) is not None),
    ("keyword", "KeywordDetector", False,
     lambda _text, low: any(k in low for k in ("key", "pass", "pwd", "secret", "contrase"))
     and _KEYWORD_GATE.search(low) is not None),
    ("mailchimp", "MailchimpDetector", False, _gate("-us")),
    ("telegram_token", "TelegramBotTokenDetector", False, lambda _text, low: _TELEGRAM_GATE.search(low) is not None),
    ("twilio", "TwilioKeyDetector", False, _gate_cased("AC", "SK")),
)
"""detect-secrets detectors (stateless instances: ``analyze_string`` only reads their compiled
regexes), each with a cheap gate that every line it could match passes.

Left out on purpose: the high-entropy string plugins (any base64 blob, hash or data URI would
be a "secret"), ``PrivateKeyDetector`` (matches the bare words ``BEGIN RSA PRIVATE KEY`` in code
that looks for keys; our pattern requires the PEM dashes), ``IPPublicDetector`` (not a secret),
and the IBM/Cloudant/SoftLayer detectors (keyword + short alphabet, many false positives)."""


@lru_cache(maxsize=1)
def _detectors() -> tuple[tuple[BasePlugin, bool, Callable[[str, str], bool]], ...]:
    """The detect-secrets detector instances, built on first use (importing detect-secrets pulls in
    ``requests``, ~0.1-0.2 s, which most reviews of ordinary code never need)."""
    return tuple(
        (getattr(import_module(f"detect_secrets.plugins.{module}"), cls)(), strong, gate)
        for module, cls, strong, gate in _DS_DETECTORS
    )

_PLACEHOLDER_RE = re.compile(
    r"(?i)example|sample|dummy|fake|changeme|change_me|placeholder|your[_-]|redacted|xxxx|\*\*\*|"
    r"test|secret|password|passwd|token|[_-]key|key[_-]|todo|fixme|foobar|lorem|none|null|undefined|"
    r"<[^>]*>|\$\{|\{\{|%\(|%s|\$[A-Z_]|^\.{0,2}/|://"
)


def _entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for ch in value:
        counts[ch] = counts.get(ch, 0) + 1
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def looks_random(value: str, *, strict: bool = False) -> bool:
    """True when ``value`` looks like a real credential rather than a name or a placeholder.

    Requires at least 8 characters (12 when ``strict``), no placeholder word (``example``,
    ``changeme``, ``test``, ``token``, ``${VAR}``, ``<...>``, a path or URL, ...), Shannon entropy
    >= 3.0 bits/char (3.3 when ``strict``), and either letters mixed with digits or three of the
    four classes lower/upper/digit/symbol (so ``access_token`` and ``AccessToken`` are names).
    """
    if len(value) < (12 if strict else 8) or _PLACEHOLDER_RE.search(value):
        return False
    lower = any(c.islower() for c in value)
    upper = any(c.isupper() for c in value)
    digit = any(c.isdigit() for c in value)
    symbol = any(not c.isalnum() for c in value)
    mixed = (lower or upper) and digit
    if not (mixed or (lower + upper + digit + symbol >= 3 and not strict)):
        return False
    return _entropy(value) >= (3.3 if strict else 3.0)


_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=~")


def _expand(text: str, start: int, end: int) -> tuple[int, int]:
    """Grow ``[start, end)`` rightwards over token characters (detectors may yield a prefix group,
    e.g. ``glpat`` for a whole GitLab token)."""
    while end < len(text) and text[end] in _TOKEN_CHARS:
        end += 1
    return start, end


def _slug(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", secret_type.lower()).strip("_")


_GENERIC_TYPES = frozenset({"password", "secret_keyword"})
"""Hit types that lose to a more specific type found at the same span."""


def _merge(hits: Iterable[SecretHit]) -> list[SecretHit]:
    """Sort hits and fold those overlapping an earlier (or longer, or more specific same-span) one
    into it, so the result is non-overlapping."""
    out: list[SecretHit] = []
    for h in sorted(hits, key=lambda h: (h.start, -(h.end - h.start), h.type in _GENERIC_TYPES)):
        if out and h.start < out[-1].end:
            if h.end > out[-1].end:
                prev = out[-1]
                out[-1] = SecretHit(prev.type, prev.start, h.end)
            continue
        out.append(h)
    return out


def secret_scan_line(line: str) -> list[SecretHit]:
    """Find secrets in one line; returns non-overlapping hits sorted by ``start``.

    Our own patterns (private-key headers, AWS, GitHub ``ghp_/gho_/ghs_/ghu_/ghr_/github_pat_``,
    Slack, Stripe live keys, Google API keys, JWTs, bearer tokens, ``password = "..."``-style
    assignments with random-looking values) and detect-secrets' detectors each run only when a
    cheap substring gate passes. Detectors are called through ``analyze_string``, never
    ``analyze_line``: the latter reads detect-secrets' global settings and may call a provider's
    API to verify a secret. Only the first :data:`MAX_SECRET_LINE_CHARS` characters are scanned.
    Never raises.
    """
    text = line[:MAX_SECRET_LINE_CHARS]
    if len(text) < 8:
        return []
    low = text.lower()
    if not _PREFILTER.search(low):
        return []
    hits: list[SecretHit] = []
    for stype, triggers, rx, group in _OWN_PATTERNS:
        if not any(t in low for t in triggers):
            continue
        for m in rx.finditer(text):
            value = m.group(group)
            if stype in ("password", "bearer_token") and not looks_random(value):
                continue
            if stype == "password_unquoted" and not looks_random(value, strict=True):
                continue
            stype = "password" if stype == "password_unquoted" else stype
            hits.append(SecretHit(stype, m.start(group), m.end(group)))
    detectors = None
    for index, (_, _, strong, gate) in enumerate(_DS_DETECTORS):
        if not gate(text, low):
            continue
        detectors = detectors or _detectors()
        plugin = detectors[index][0]
        for value in plugin.analyze_string(text):
            if not value or (not strong and not looks_random(value)):
                continue
            start = text.find(value)
            if start < 0:
                continue
            start, end = _expand(text, start, start + len(value))
            hits.append(SecretHit(_slug(plugin.secret_type), start, end))
    return _merge(hits)


_PEM_BLOCK_RE = re.compile(
    r"-{5}BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-{5}"
    r"(?:(?:(?!-{5}BEGIN)[\s\S]){0,20000}?-{5}END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-{5}"
    r"|(?:(?:\\n|\r?\n)[ \t]{0,40}[A-Za-z0-9+/=]{16,200}){0,2000})"
)
"""A PEM private-key block: header to ``END`` line (no other ``BEGIN`` inside), or, when the
``END`` line is missing (a diff hunk cut it off), the header and the base64 lines after it (real or
escaped ``\\n`` newlines)."""


def redact_secrets(text: str) -> tuple[str, int]:
    """Replace every secret in ``text`` with ``[REDACTED:<type>]``; return ``(text, count)``.

    Whole PEM private-key blocks are replaced first (up to the ``END`` line, or, without one, the
    base64 lines that follow the header); then each line goes through :func:`secret_scan_line`.
    Lines longer than :data:`MAX_SECRET_LINE_CHARS` are scanned only up to that length.
    """
    count = 0

    def _pem(_: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return "[REDACTED:private_key]"

    if "PRIVATE KEY" in text:
        text = _PEM_BLOCK_RE.sub(_pem, text)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        hits = secret_scan_line(line)
        if not hits:
            continue
        for h in reversed(hits):
            line = line[: h.start] + f"[REDACTED:{h.type}]" + line[h.end :]
        count += len(hits)
        lines[i] = line
    return "\n".join(lines), count
