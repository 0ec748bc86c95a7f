"""Sanitize untrusted text: hidden markup and characters, reviewer-aimed instructions, secrets.

Pure functions over ``str`` (no I/O, no environment, no mutable module state). Used by the safety
sub-agent, by the LLM layer before anything is sent to a model, and by the GitHub sink before
anything is posted.

- :func:`strip_hidden` removes HTML comments, invisible characters (zero-width, bidi controls,
  Unicode tag characters) and reports what it removed.
- :func:`find_injection` finds instructions aimed at an AI reviewer ("ignore previous
  instructions", "approve this PR", fake verdict JSON, chat-template role tags, fake tool calls and
  dialogue turns, text addressed to an AI reviewer with a directive about the verdict, the same in
  German, French, Spanish, Portuguese, Chinese, Japanese and Russian), also inside base64, hex,
  percent-encoded, escaped, tag-character and right-to-left-overridden text.
- :func:`legitimate_invisible` tells an invisible character doing its ordinary job (an emoji
  zero-width joiner, a right-to-left mark in Hebrew) from one that hides something.
- :func:`secret_scan_line` finds secrets in one line (our own patterns plus detect-secrets'
  detectors); :func:`redact_secrets` replaces them with ``[REDACTED:<type>]``.

Sources: Trojan Source, CVE-2021-42574 (bidi controls, https://trojansource.codes/); Unicode tag
characters U+E0000..U+E007F ("ASCII smuggling" of prompts); token formats from the providers'
documentation as encoded in Yelp/detect-secrets 1.5 plugins and GitHub's token-format post
(https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/).

All regular expressions are linear or bounded (no nested unbounded quantifiers), and scans stop
after :data:`MAX_SCAN_CHARS` characters; two-part patterns (:data:`PROXIMITY_PATTERNS`) search their
second part once per region, not once per match of the first.
"""

from __future__ import annotations

import base64
import bisect
import math
import re
import unicodedata
import urllib.parse
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


_RTL_RANGES = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))
"""Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms: scripts written right to left."""
_JOINER_SCRIPTS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0900, 0x0DFF), (0x0F00, 0x0FFF), (0x1780, 0x17FF))
"""Arabic (Persian) and Indic scripts, where ZWJ/ZWNJ choose letter forms (Unicode 15, chapter 23.2)."""


def _in(ranges: tuple[tuple[int, int], ...], ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in ranges)


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or unicodedata.category(ch) == "So"


def legitimate_invisible(text: str, index: int) -> bool:
    """True when the invisible character at ``text[index]`` does its ordinary job rather than hide
    something: a zero-width joiner inside an emoji sequence (U+1F468 U+200D U+1F4BB), ZWJ/ZWNJ
    between letters of Arabic/Persian or Indic scripts, a left-to-right/right-to-left or Arabic
    letter mark next to right-to-left text, a byte-order mark opening the text, or the tag
    characters of an emoji subdivision flag (U+1F3F4, tags, U+E007F). Bidi overrides, embeddings
    and isolates, other zero-width characters and other tag characters are never legitimate here.
    Raises IndexError for an index outside ``text``. Source: Unicode Technical Standard #51
    (emoji ZWJ and tag sequences), the Unicode Standard chapter 23.2 (layout controls)."""
    cp = ord(text[index])
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if cp == 0xFEFF:
        return index == 0
    if cp == 0x200D:
        j = index - 1
        while j >= max(0, index - 3) and (text[j] == "\ufe0f" or 0x1F3FB <= ord(text[j]) <= 0x1F3FF):
            j -= 1  # variation selector 16, skin tone (at most two of them)
        if j >= 0 and after and _is_emoji(text[j]) and _is_emoji(after):
            return True
    if cp in (0x200C, 0x200D):
        return bool(before and after) and _in(_JOINER_SCRIPTS, before) and _in(_JOINER_SCRIPTS, after)
    if cp in (0x200E, 0x200F, 0x061C):
        return any(c and _in(_RTL_RANGES, c) for c in (before, after))
    if 0xE0020 <= cp <= 0xE007F:  # an emoji tag sequence: U+1F3F4, up to 7 tags, U+E007F
        start = index  # look at most 8 characters each way: the check stays O(1) in long runs
        while start > max(0, index - 8) and 0xE0020 <= ord(text[start - 1]) <= 0xE007E:
            start -= 1
        end = index
        while end < min(len(text), index + 8) and 0xE0020 <= ord(text[end]) <= 0xE007E:
            end += 1
        return (start > 0 and text[start - 1] == "\U0001f3f4" and end < len(text) and text[end] == "\U000e007f"
                and end - start <= 7)
    return False


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

_ENGLISH_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # (pattern_id, trigger substrings, regex). Regexes are written in lower case and matched
    # against lower-cased, normalized text; a regex runs only when one of its triggers occurs (in
    # that text with whitespace runs squeezed to one space).
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
     rf"\b(?:approve|accept|merge|lgtm){_W}(?:this|my|our){_W}(?:{_PR})\b"
     rf"|\b(?:please|kindly|just|simply|now|must|should|shall){_OW}[,:]?{_OW}(?:approve|accept|merge|lgtm)"
     rf"{_W}the{_W}(?:{_PR})\b"),
    ("lgtm_approve", ("lgtm",), rf"\blgtm[ \t.,!:;-]{{0,5}}(?:approve|approved|ship{_W}it|merge)\b"),
    ("do_not_flag", ("flag", "report"),
     rf"\b(?:do{_W}not|don'?t|never|must{_W}not|should{_W}not)(?:{_W}(?:flag|report|mention|comment{_W}on|warn{_W}about|raise))"
     rf"{_W}(?:this|these|that|it|any(?:thing)?|the)\b[^\n]{{0,40}}?\b(?:issues?|vulnerabilit(?:y|ies)|findings?|problems?|"
     rf"secrets?|security|risks?|concerns?|as{_W}(?:a{_W})?(?:bug|issue|problem|vulnerability|unsafe|dangerous|suspicious))\b"
     rf"|\b(?:{_BOTNOUN}|quorum)\b[^\n]{{0,30}}?\b(?:do{_W}not|don'?t|never|should{_W}not|must{_W}not){_W}(?:flag|report)\b"),
    ("mark_safe", ("safe", "secure", "clean", "approved", "passing", "benign", "harmless", "risk", "trusted", "verified"),
     rf"\b(?:mark|treat|consider|classify|label|rate|score)(?:{_W}(?:this|it|the|these)){{1,2}}"
     rf"(?:{_W}(?:{_PR}|file|function|changes?))?"
     rf"{_W}as{_W}(?:safe|secure|clean|approved|passing|benign|harmless|low[ -]risk|trusted|verified)\b"
     # not "mark it as safe by using the Markup class" (HTML escaping docs)
     rf"(?!{_OW},?{_OW}(?:by{_W}(?:using|calling|wrapping|passing)|using|with{_W}(?:the{_W})?[`:~]|via)\b)"),
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
     rf"\bas{_W}(?:the|a|an|my|our){_W}(?:(?:code|security|pr){_W})?(?:(?:ai|automated|automatic|llm)"
     rf"(?:{_W}(?:code|security|pr))?{_W}(?:reviewer|agent|model)|reviewing{_W}(?:agent|bot|model)|assistant|review{_W}bot)"
     rf",?{_W}you{_W}(?:must|should|will|"
     rf"need{_W}to|have{_W}to|are{_W}(?:required|instructed){_W}to)\b"
     rf"|\bas{_W}(?:the|a|an|my|our){_W}(?:(?:code|security|pr){_W})?reviewer,?{_W}you{_W}(?:must|should|will|need{_W}to|"
     rf"have{_W}to|are{_W}(?:required|instructed){_W}to)\b[^\n]{{0,40}}?\b"
     rf"(?:approve|accept|merge|pass|lgtm|sign{_W}off{_W}on)"
     rf"{_W}(?:it|this)\b"
     rf"|\b(?:note|message|instructions?|memo|attention)(?:{_W}(?:to|for)){_W}(?:any{_W}|the{_W}|all{_W})?"
     rf"(?:ai|llm|automated|automatic)(?:{_W}code)?{_W}{_BOTNOUN}"),
)

_AI_NOUN = (
    r"(?:(?:ai|llm|gpt|automated|automatic|autonomous|robot|machine)(?:[ -](?:code|pr|pull[ -]request|security))?"
    r"[ -](?:reviewers?|review(?:ing)?[ -](?:bots?|agents?|tools?|systems?|assistants?)|assistants?|agents?|models?|bots?)"
    r"|(?:reviewer|review|code[ -]review|pr[ -]review|security|coding|ai|llm)[ -](?:bots?|agents?|assistants?|models?)"
    r"|llms?|(?:large[ -])?language[ -]models?|chat[ -]?bots?|ai|copilot|chatgpt|claude|gemini|quorum(?:\[bot\]|-bot)?)"
)
"""A noun phrase naming an automated reviewer ("AI reviewer", "reviewer bots", "LLM", ...); a
plain "reviewer" (often a human) is not one."""

_OBJ = (
    rf"(?:approv\w{{0,5}}|confirm\w{{0,3}}|accept{_W}(?:it|this|the)|lgtm|green|verdict|sign{_W}off|merge{_W}(?:it|this)"
    rf"|(?:no|zero|any|these|those|the|all){_W}(?:issues|findings|problems|concerns|vulnerabilit(?:y|ies)|warnings|risks)"
    rf"|security|vulnerabilit(?:y|ies)|safe|clean|secure|harmless|benign|flag\w{{0,3}}|report\w{{0,3}}"
    rf"|pass(?:ed|ing)?{_W}(?:it|this|the{_W}(?:review|check|pr|change))|(?:pass|approved?|ok)[\"'`])\b"
)
"""What a directive to the reviewer is about: the verdict, approval, findings or security."""

_DIRECTIVE = (
    rf"\byour{_W}(?:(?:only|sole|main|real|actual|one|primary|final|entire|whole){_W})?"
    rf"(?:(?:answer|verdict|response|output|decision|reply|assessment|conclusion)\b"
    rf"|(?:task|job|role|mission|purpose|goal|instructions?)\b[^\n]{{0,100}}?\b{_OBJ})"
    rf"|\byou{_W}(?:must|should|shall|will|need{_W}to|have{_W}to|are{_W}(?:required|expected|instructed|asked|supposed|"
    rf"told|only{_W}allowed){_W}to|may{_W}only|can{_W}only|only{_W}need{_W}to|are{_W}to)\b[^\n]{{0,80}}?\b{_OBJ}"
    rf"|(?:^|[\n:;,.!?-]|\bplease|\bkindly|\bjust|\bsimply)[ \t]{{0,5}}"
    rf"(?:(?:approve|confirm|accept|greenlight|green-light|sign{_W}off|lgtm)\b"
    rf"|(?:skip|overlook|disregard|ignore|trust|merge|mark|treat|consider|respond|reply|return|output|answer|say|"
    rf"do{_W}not|don'?t|never)\b[^\n]{{0,80}}?\b{_OBJ})"
)
"""A directive about the verdict: "your (only) task/answer/verdict ...", "you must ... approve",
or an imperative ("confirm", "do not flag ... issues")."""

_TOOLNAME = (
    r"(?:[\w-]{1,40}[._-])?(?:approve|approval|merge|submit[_-]?review|submit[_-]?verdict|set[_-]?status|set[_-]?verdict|"
    r"set[_-]?decision|create[_-]?review|post[_-]?review|review[_-]?pr|mark[_-]?safe|lgtm|pass[_-]?review|finish[_-]?review|"
    r"complete[_-]?review|final[_-]?answer|dismiss[_-]?review)[\w.-]{0,40}"
)
"""A tool (function) name that would approve, merge, or submit or set a review verdict."""

_LINE_START = r"\n[ \t]{0,40}(?:[>#*/;!_-]{1,4}[ \t]{0,4})?(?:\*\*|__)?"
"""The start of a line, its indentation and a comment or quote marker. :func:`find_injection` puts
a newline before the text, so a literal ``\\n`` (fast to search for) also matches on the first line."""

_VERDICT_WORD = (
    rf"\b(?:verdict|approve[ds]?|lgtm|no{_W}(?:issues|findings|problems|concerns|vulnerabilities)"
    rf"|safe{_W}to{_W}merge|ship{_W}it|looks{_W}good{_W}to{_W}me)\b"
)

_STRUCTURAL_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("decode_and_follow", ("decode", "unescape", "decipher", "decrypt", "reverse", "unscramble", "translate"),
     rf"\b(?:decode|base64[ -]?decode|unescape|decipher|decrypt|reverse|unscramble|translate)"
     rf"{_W}(?:this|these|it|below|the{_W}following"
     rf"|the{_W}(?:string|text|blob|message|payload|line|instructions?)(?:{_W}below)?)"
     rf"[^\n]{{0,40}}?\b(?:and|then)[ \t,]{{1,5}}(?:then{_W})?"
     rf"(?:follow|obey|comply{_W}with|carry{_W}out|act{_W}on|do{_W}(?:what|as))"
     rf"(?:{_W}(?:it|them|this|that|these|the{_W}instructions?|its{_W}instructions?|what{_W}it{_W}says)\b|\b)"),
    ("tool_call", ("tool", "function", "invoke", "python_tag"),
     rf"(?:<\|?/?(?:tool_calls?|tool_use|function_calls?|function|invoke|tool_code|python_tag|tool_calls?_begin)\b"
     rf"|\[tool_calls?\])"
     rf"[\s\S]{{0,400}}?[\"'=>(:][ \t]{{0,5}}(?:functions\.)?{_TOOLNAME}(?=[\"'<(),\s>])"
     rf"|\"(?:name|tool|tool_name|function|function_name|recipient_name|call)\"{_OW}:{_OW}\"(?:functions\.)?{_TOOLNAME}\""
     rf"[^\n]{{0,200}}?\"(?:arguments|parameters|params|input|args)\"{_OW}:"),
    ("fake_transcript", ("assistant", "ai", "system", "bot", "gpt", "claude", "llm", "copilot", "quorum"),
     rf"{_LINE_START}(?P<at>(?:assistant|ai|system|bot|gpt|chatgpt|claude|llm|copilot|quorum)"
     rf"(?:[ \t]?\[bot\])?)[ \t*_]{{0,3}}:[^\n]{{0,160}}?{_VERDICT_WORD}"),
    ("chat_transcript", ("human", "user"),
     rf"{_LINE_START}(?P<at>human|user)[ \t*_]{{0,3}}:[^\n]{{0,300}}(?:\n[^\n]{{0,300}}){{0,6}}?"
     rf"{_LINE_START}(?:assistant|ai|gpt|chatgpt|claude)[ \t*_]{{0,3}}:"),
    ("you_are_ai", ("you are", "you're"),
     rf"\byou(?:{_W}are|'re)"
     rf"(?:{_W}(?:now|actually|really|acting{_W}as|playing|an?|the|my|our|only|just|simply|hereby)){{1,3}}"
     rf"(?:{_W}(?:helpful|harmless|honest|automated|automatic|ai|llm|gpt|code|security|pr|senior|expert|strict|diligent|"
     rf"friendly|smart|review|reviewing)){{0,3}}"
     rf"{_W}(?:(?:ai|llm|automated|automatic|gpt)(?:{_W}(?:code|security|pr))?{_W}(?:reviewer|agent|model|assistant)"
     rf"|ai|llm|(?:large{_W})?language{_W}model|assistant|chat{_OW}bot|review{_W}bot|bot)"
     rf"(?=[ \t]{{0,3}}(?:[.,;:!)\n]|$|that\b|who\b|which\b|and\b|with\b|for\b|named\b|called\b|tasked\b|whose\b|"
     rf"reviewing\b|in{_W}charge\b))"),
)
"""Structural patterns (see :data:`INJECTION_PATTERNS`): an instruction addressed to an AI reviewer
about the verdict, "decode this and follow it", fake tool calls naming an approve/merge/review tool,
fake dialogue turns ("Assistant: Verdict: APPROVE", ``Human:`` ... ``Assistant:``), and role
statements ("you are an AI code reviewer"). A named group ``at`` marks where a hit starts when the
match begins with a line prefix (``# ``, ``> ``)."""

_AP = r"[ \t\r\n'’]{1,10}"  # whitespace or an elided article's apostrophe (French d', l', qu')

PROXIMITY_PATTERNS: tuple[tuple[str, tuple[str, ...], str, str, int], ...] = (
    # (pattern_id, triggers, first regex, second regex, window): a hit when the second regex
    # matches within ``window`` characters after the end of a match of the first, in the same
    # paragraph. Text addressed to an automated reviewer followed by a directive about the verdict
    # catches paraphrases that avoid the trigger phrases of the other patterns.
    ("addressed_directive", ("dear ", "hey ", "hi ", "hello ", "greetings", "attention", "attn", "note to", "note for",
                             "message to", "message for", "memo to", "memo for", "reminder to", "reminder for",
                             "instruction to", "instruction for", "instructions to", "instructions for"),
     rf"\b(?:dear|hey|hi|hello|greetings|attention|attn|(?:note|message|memo|reminder|instructions?){_W}(?:to|for))"
     rf"{_W}(?:(?:the|any|all|every|our|you){_W})?{_AI_NOUN}\b", _DIRECTIVE, 300),
    ("addressed_directive", ("ai", "llm", "bot", "assistant", "model", "agent", "copilot", "gpt", "claude", "gemini",
                             "quorum"),
     rf"{_LINE_START}(?P<at>{_AI_NOUN})[ \t]{{0,3}}[:,]", _DIRECTIVE, 300),
    ("addressed_directive", ("if you are", "if you're"),
     rf"\bif{_W}you(?:'re|{_W}are){_W}(?:(?:an?|the){_W})?{_AI_NOUN}\b", _DIRECTIVE, 300),
)
"""Two-part patterns, matched in linear time: the second regex is searched once per region of the
text rather than once per match of the first (see :func:`_find`)."""

_INTL_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # "Ignore (all) previous instructions", "approve this pull request" and "you are an AI reviewer"
    # in German, French, Spanish, Portuguese, Chinese (simplified and traditional), Japanese and
    # Russian. Written with accents and Cyrillic as spelled; :func:`_fold_pattern` folds them like
    # the text (accents dropped, Cyrillic look-alikes mapped to Latin).
    # German
    ("ignore_previous_intl", ("ignorier", "vergiss", "vergesst", "vergessen", "missacht", "übergeh", "verwirf"),
     rf"\b(?:ignoriere|ignorier|ignoriert|ignorieren{_W}sie|vergiss|vergesst|vergessen{_W}sie|missachte|missachtet|"
     rf"missachten{_W}sie|übergehe|übergeht|verwirf)(?:{_W}(?:alle|alles|sämtliche|die|deine|ihre|eure|bisher|zuvor|vorher|"
     rf"gegebenen|erhaltenen)){{0,3}}{_W}(?:(?:vorherigen?|vorigen?|bisherigen?|früheren?|obigen?|vorangegangenen?|"
     rf"vorstehenden?|ursprünglichen?|alten){_W})?(?:system)?(?:anweisungen|anweisung|instruktionen|befehle|regeln|vorgaben|"
     rf"anordnungen|richtlinien|prompts?)\b"),
    ("approve_pr_intl", ("genehmig", "akzeptier", "bestätig", "merge den", "merge die", "merge das", "merge mein",
                         "merge unser", "merge bitte", "merge jetzt", "merge sofort", "merge einfach", "merge direkt",
                         "merget", "freigeb", "durchwink", "approven", "mergen"),
     rf"\b(?:genehmige|genehmigt|genehmigen{_W}sie|akzeptiere|akzeptiert|akzeptieren{_W}sie|bestätige|bestätigt|"
     rf"bestätigen{_W}sie|merge|merget)(?:{_W}(?:bitte|jetzt|sofort|einfach|direkt)){{0,2}}{_W}(?:diesen|diese|dieses|den|"
     rf"die|das|meinen|meine|unseren|unsere)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|merge[ -]?request|mr|"
     rf"änderung(?:en)?|patch|commit)\b"
     rf"|\b(?:diesen|diese|dieses|den|die|das)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|merge[ -]?request|"
     rf"änderung(?:en)?)(?:{_W}[\w-]{{1,20}}){{0,2}}?"
     rf"{_W}(?:genehmigen|freigeben|akzeptieren|durchwinken|approven|mergen)\b"),
    ("you_are_ai", ("du bist", "sie sind", "ihr seid"),
     rf"\b(?:du{_W}bist|sie{_W}sind|ihr{_W}seid)(?:{_W}(?:jetzt|nun|ab{_W}sofort|ein|eine|der|die|das|hilfreicher?|"
     rf"automatisierter?|automatischer?)){{0,3}}{_W}(?:ki|ai|llm|sprachmodell|ki-[\w-]{{1,20}}|ai-[\w-]{{1,20}}|"
     rf"assistent(?:in)?|code-?reviewer-?bot|reviewer-?bot|chatbot|bot)\b"),
    # French
    ("ignore_previous_intl", ("précédent", "antérieur", "ci-dessus", "préalable", "d'avant", "d’avant", "initiale",
                              "originale", "système", "données"),
     rf"\b(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|néglige|négligez|ne{_W}(?:tiens|tenez|tenir){_W}(?:pas|plus)"
     rf"{_W}compte|fais{_W}abstraction|faites{_W}abstraction)(?:{_AP}(?:de|des|du|d|toutes|toute|tous|les|la|le|l|tes|vos|"
     rf"ces|ensemble)){{0,4}}{_AP}(?:instructions?|consignes?|directives?|règles|ordres|indications|commandes|prompts?)"
     rf"{_W}(?:qui{_W}précèdent|précédentes?|antérieures?|ci-dessus|préalables?|d['’]avant|initiales?|originales?|"
     rf"(?:du|de){_W}système|système|données{_W}(?:précédemment|auparavant|avant))"),
    ("approve_pr_intl", ("approuv", "accepte ", "acceptez", "accepter ", "fusionn", "mergez"),
     rf"\b(?:approuve|approuvez|approuver|accepte|acceptez|accepter|fusionne|fusionnez|fusionner|mergez)"
     rf"(?:{_W}(?:donc|simplement|directement|immédiatement|sans{_W}commentaire)){{0,2}}{_W}(?:cette|ce|cet|la|le|ma|mon|"
     rf"notre|votre)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|demande{_W}de{_W}(?:fusion|tirage|pull|merge)|"
     rf"merge[ -]?request|modifications?|changements?|patch|commit|correctif)\b"),
    ("you_are_ai", ("tu es", "vous êtes", "en tant qu"),
     rf"\b(?:tu{_W}es|vous{_W}êtes|en{_W}tant{_W}qu['’ ]{{0,2}})(?:{_W}(?:maintenant|désormais|un|une|le|la)){{0,2}}"
     rf"[ \t]{{0,10}}(?:ia|llm|assistante?(?:{_W}ia)?|modèle{_W}de{_W}langage|intelligence{_W}artificielle|"
     rf"(?:relecteur|réviseur)(?:{_W}de{_W}code)?{_W}(?:ia|automatique|automatisé)|chatbot|bot)\b"),
    # Spanish
    ("ignore_previous_intl", ("anteriores", "previas", "precedentes", "de arriba", "del sistema", "originales",
                              "iniciales", "dadas"),
     rf"\b(?:ignora|ignore|ignoren|ignorar|olvida|olvide|olviden|olvidar|descarta|descarte|descarten|omite|omita|omitan|"
     rf"pasa{_W}por{_W}alto|hagan?{_W}caso{_W}omiso|haz{_W}caso{_W}omiso|no{_W}(?:hagas|haga|hagan){_W}caso)"
     rf"(?:{_W}(?:de|a|todas|todos|las|los|tus|sus|esas|estas|mis|el|la)){{0,4}}{_W}(?:instrucciones|instrucción|"
     rf"indicaciones|órdenes|reglas|directivas|directrices|consignas|comandos|prompts?)(?:{_W}(?:anteriores|previas|"
     rf"precedentes|de{_W}arriba|del{_W}sistema|originales|iniciales|dadas))\b"),
    ("approve_pr_intl", ("aprue", "aprobar", "acepta", "acepte", "fusiona", "fusione", "mergea", "haz merge"),
     rf"\b(?:aprueba|apruebe|aprueben|aprobar|acepta|acepte|acepten|aceptar|fusiona|fusione|fusionen|fusionar|mergea|"
     rf"haz{_W}merge{_W}(?:de|a))(?:{_W}(?:ya|directamente|simplemente|sin{_W}comentarios)){{0,2}}{_W}(?:este|esta|ese|esa|"
     rf"el|la|mi|nuestro|nuestra)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|solicitud{_W}de{_W}(?:extracción|"
     rf"incorporación|fusión|cambios|pull)|merge[ -]?request|cambios?|parche|commit|código)\b"),
    ("you_are_ai", ("eres ", "usted es", "actúa como", "actúe como", "como ia", "como una ia", "como inteligencia"),
     rf"\b(?:eres|usted{_W}es|actúa{_W}como|actúe{_W}como)(?:{_W}(?:ahora|un|una|el|la)){{0,2}}{_W}(?:ia|llm|"
     rf"asistente(?:{_W}de{_W}ia)?|modelo{_W}de{_W}lenguaje|inteligencia{_W}artificial|revisor(?:{_W}de{_W}código)?"
     rf"{_W}(?:ia|automático|automatizado)|chatbot|bot)\b"
     rf"|\bcomo{_W}(?:una{_W})?(?:ia|inteligencia{_W}artificial)(?:{_W}que{_W}revisa|,)"),
    # Portuguese
    ("ignore_previous_intl", ("anteriores", "prévias", "precedentes", "acima", "do sistema", "originais", "iniciais",
                              "dadas"),
     rf"\b(?:ignore|ignora|ignorem|ignorar|esqueça|esquece|esqueçam|esquecer|desconsidere|desconsidera|desconsiderem|"
     rf"desconsiderar|descarte|descarta|descartem|descartar|despreze|despreza|desprezar)(?:{_W}(?:de|todas|todos|as|os|"
     rf"suas|tuas|seus|teus|essas|estas|minhas|a|o)){{0,4}}{_W}(?:instruções|instrução|orientações|ordens|regras|"
     rf"diretrizes|diretivas|comandos|prompts?)(?:{_W}(?:anteriores|prévias|precedentes|acima|do{_W}sistema|originais|"
     rf"iniciais|dadas))\b"),
    ("approve_pr_intl", ("aprov", "aceit", "mescl", "merge d"),
     rf"\b(?:aprove|aprova|aprovem|aprovar|aceite|aceita|aceitem|aceitar|mescle|mescla|mesclem|mesclar|"
     rf"faça{_W}(?:o{_W})?merge{_W}d[eoa])(?:{_W}(?:logo|diretamente|simplesmente|sem{_W}comentários)){{0,2}}{_W}"
     rf"(?:este|esta|esse|essa|o|a|meu|minha|nosso|nossa)(?:{_W}[\w-]{{1,20}})?{_W}(?:pull[ -]?request|pr|"
     rf"solicitação{_W}de{_W}(?:pull|mesclagem|merge)|merge[ -]?request|alterações|alteração|mudanças?|patch|commit|"
     rf"código)\b"),
    ("you_are_ai", ("você é", "tu és", "vocês são", "atue como", "aja como"),
     rf"\b(?:você{_W}é|tu{_W}és|vocês{_W}são|atue{_W}como|aja{_W}como)(?:{_W}(?:agora|um|uma|o|a)){{0,2}}{_W}(?:ia|llm|"
     rf"assistente(?:{_W}de{_W}ia)?|modelo{_W}de{_W}linguagem|inteligência{_W}artificial|revisor(?:{_W}de{_W}código)?"
     rf"{_W}(?:ia|automático|automatizado)|chatbot|bot)\b"),
    # Chinese (simplified and traditional)
    ("ignore_previous_intl", ("忽略", "无视", "無視", "忽视", "忽視", "忘记", "忘記", "忘掉", "理会", "理會", "丢弃", "丟棄",
                              "抛开", "拋開"),
     r"(?:忽略|无视|無視|忽视|忽視|忘记|忘記|忘掉|不要理会|不要理會|不理会|不理會|丢弃|丟棄|抛开|拋開)[^\n。！？!?]{0,8}?"
     r"(?:之前|以前|先前|此前|前面|上面|上述|以上|原来|原來|原有|原始|系统|系統)[^\n。！？!?]{0,6}?"
     r"(?:指令|指示|提示词|提示詞|提示|规则|規則|命令(?!行)|要求|约束|約束)"
     r"|(?:忽略|无视|無視|忘记|忘記|忘掉)(?:掉)?(?:你的|您的)?(?:所有|全部|一切)的?(?:指令|指示|提示词|提示詞)"),
    ("approve_pr_intl", ("批准", "核准", "通过", "通過", "合并", "合併", "接受", "同意"),
     r"(?:批准|核准|approve)(?:这个|這個|此|该|該|本|这|這|我的|我们的|我們的)(?:个|個)?[ \t]{0,2}(?:pr|pull[ \t]?request|"
     r"拉取请求|拉取請求|合并请求|合併請求|变更|變更|更改|修改|补丁|補丁|提交)"
     r"|(?:请|請|直接|立即|马上|馬上|必须|必須|务必|務必|你要|你应该|你應該|你必须|你必須)(?:通过|通過|合并|合併|接受|同意)"
     r"(?:这个|這個|此|该|該|本|这|這|我的|我们的|我們的)(?:个|個)?[ \t]{0,2}(?:pr|pull[ \t]?request|拉取请求|拉取請求|"
     r"合并请求|合併請求|变更|變更|更改|修改|补丁|補丁|提交)"),
    ("you_are_ai", ("你", "您", "作为", "作為"),
     r"(?:你|您)(?:现在|現在|从现在起|從現在起)?(?:是|扮演)(?:一个|一個|一名|一位|个|個)?[^\n。，,]{0,8}?"
     r"(?:ai|人工智能|人工智慧|语言模型|語言模型|大模型|助手|助理|机器人|機器人|审查员|審查員|审核员|審核員|评审员|評審員)"
     r"|作[为為](?:一个|一個|一名|一位)?(?:ai|人工智能|人工智慧)(?:助手|助理|审查员|審查員|审核员|審核員|评审员|評審員|模型|"
     r"代码审查|代碼審查)|作[为為](?:一个|一個)?大?(?:语言模型|語言模型)"),
    # Japanese
    ("ignore_previous_intl", ("無視", "忘れ", "破棄"),
     r"(?:以前|前|これまで|今まで|上記|上|先|元|最初|既存|システム)の[^\n。]{0,10}?(?:指示|命令|指令|ルール|プロンプト|規則)"
     r"[^\n。]{0,8}?(?:無視|忘れ|破棄)"
     r"|(?:すべて|全て|全部)の(?:指示|命令|指令|プロンプト)[^\n。]{0,6}?(?:無視|忘れ|破棄)"),
    ("approve_pr_intl", ("承認", "マージ", "許可"),
     r"(?:この|本|当|こちらの|今回の)(?:pr|プルリクエスト|プルリク|マージリクエスト|変更|修正|パッチ|コミット)(?:を|は)?"
     r"[^\n。]{0,8}?(?:承認|マージ|許可|approve)(?:して(?!から|も|いる|いた|おり|あり)|しろ|せよ|すること|しなさい|するように)"),
    ("you_are_ai", ("あなた", "君", "きみ", "お前", "として"),
     r"(?:あなた|君|きみ|お前)は(?:今から|これから|今|現在)?[^\n。、,]{0,12}?"
     r"(?:ai|人工知能|言語モデル|アシスタント|レビュアー|レビューア|レビュワー|チャットボット|ボット)(?:です|だ|である|として)"
     r"|ai(?:アシスタント|レビュアー|レビューア|レビュワー|モデル)として"),
    # Russian
    ("ignore_previous_intl", ("игнорир", "проигнорир", "забуд", "отброс", "пренебреги", "обращай", "учитывай"),
     rf"\b(?:игнорируй(?:те)?|проигнорируй(?:те)?|забудь(?:те)?|отбрось(?:те)?|пренебреги(?:те)?|"
     rf"не{_W}обращай(?:те)?{_W}внимания{_W}на|не{_W}учитывай(?:те)?)(?:{_W}(?:все|всё|эти|свои|твои|ваши|любые|"
     rf"данные|тебе|вам|ранее)){{0,3}}{_W}(?:предыдущие|предыдущих|прошлые|прошлых|прежние|прежних|предшествующие|"
     rf"вышеуказанные|вышеприведённые|вышеизложенные|изначальные|исходные|системные|старые)(?:{_W}\w{{1,15}})?{_W}"
     rf"(?:инструкци\w{{0,3}}|указани\w{{0,3}}|команд\w{{0,3}}|правил\w{{0,3}}|установк\w{{0,3}}|промпт\w{{0,3}}|"
     rf"распоряжени\w{{0,3}})\b"),
    ("approve_pr_intl", ("одобри", "утверди", "прими", "мердж", "мерж", "влей", "апрув"),
     rf"\b(?:одобри(?:те)?|утверди(?:те)?|прими(?:те)?|смерджи(?:те)?|мерджи(?:те)?|смержи(?:те)?|влей(?:те)?|"
     rf"апрувни(?:те)?|заапрувь(?:те)?)(?:{_W}(?:пожалуйста|сразу|просто)){{0,2}}{_W}(?:этот|эту|это|этого|мой|мою|наш|"
     rf"нашу|данный|данную)(?:{_W}\w{{1,20}})?{_W}(?:pull{_W}request|pr|пр|пулл?[ -]?реквест\w{{0,3}}|"
     rf"запрос\w{{0,2}}{_W}на{_W}слияние|мерж?[ -]?реквест\w{{0,3}}|изменени\w{{0,3}}|патч\w{{0,2}}|коммит\w{{0,2}}|код)\b"),
    ("you_are_ai", ("ты", "вы", "как"),
     rf"\b(?:ты|вы)(?:{_W}(?:теперь|сейчас)){{0,2}}[ \t—-]{{0,6}}(?:(?:полезный|полезная|автоматический|"
     rf"автоматизированный){_W})?(?:ии|ai|искусственный{_W}интеллект|языковая{_W}модель|ассистент|ии-[\w-]{{1,15}}|"
     rf"ai-[\w-]{{1,15}}|ревьюер|ревьювер|чат-?бот|бот)\b"
     rf"|\bкак{_W}(?:ии|ai|языковая{_W}модель|искусственный{_W}интеллект)(?:-[\w-]{{1,15}})?,?{_W}(?:ты|вы){_W}"
     rf"(?:должен|должна|должны|обязан\w{{0,2}})\b"),
)
"""Non-English phrasings (see :data:`INJECTION_PATTERNS`)."""

INJECTION_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    _ENGLISH_PATTERNS + _STRUCTURAL_PATTERNS + _INTL_PATTERNS
)
"""``(pattern_id, triggers, regex)`` triples used by :func:`find_injection` (several triples may
share a pattern id, e.g. one per language).

Phrases come from published prompt-injection attacks on review bots and LLM apps (OWASP LLM01,
Greshake et al. 2023 "Not what you've signed up for"). They require an instruction shape (a verb
aimed at the reviewer, or a verdict/role marker), so code such as ``def approve(self)`` or
``# ignore whitespace`` does not match. Regexes and triggers are written in lower case (accents
and Cyrillic allowed: both are folded like the text, see :func:`_fold_char`) and matched against
the normalized text; ``triggers`` are substrings at least one of which every match contains: a
cheap test that skips the regex on most text."""

ENCODED_PATTERN_ID = "encoded_instruction"
"""Pattern id of a hit found in decoded text (base64, hex, ``%XX``, ``\\xXX``, ``\\uXXXX``, HTML
character references, Unicode tag characters, right-to-left-overridden text); see :func:`find_injection`."""

PATTERN_IDS: tuple[str, ...] = tuple(dict.fromkeys([
    *(pid for pid, _, _ in INJECTION_PATTERNS), *(p[0] for p in PROXIMITY_PATTERNS), ENCODED_PATTERN_ID,
]))
"""Every ``InjectionHit.pattern_id`` :func:`find_injection` can return."""

DATA_LIKE_PATTERNS: frozenset[str] = frozenset(
    {"json_verdict", "role_tag", "tool_call", "fake_transcript", "chat_transcript", "you_are_ai"}
)
"""Pattern ids that also describe ordinary data (test fixtures with ``{"status": "pass"}``, chat
templates with ``<|im_start|>``, ``<system>`` in a pom.xml, tool-call fixtures, example chat
transcripts, system prompts of an LLM application saying "You are a helpful assistant"): callers
may ignore them in visible file content and count them only in comments, hidden markup and PR text.
Hits of these patterns inside decoded text are not reported."""

_CONFUSABLES = str.maketrans({
    # Cyrillic and Greek letters that look like Latin ones (Unicode confusables.txt, lowercase subset).
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j",
    "ѕ": "s", "ԁ": "d", "ɡ": "g", "һ": "h", "ԛ": "q", "ԝ": "w", "А": "A", "В": "B", "Е": "E",
    "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "Х": "X", "І": "I",
    "ο": "o", "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Χ": "X",
})
_CONFUSABLES_LOWER = str.maketrans({
    **{chr(k).lower(): v.lower() for k, v in _CONFUSABLES.items() if chr(k).lower() != chr(k)},
    **{chr(k): v for k, v in _CONFUSABLES.items() if chr(k).lower() == chr(k)},
})
"""The look-alike map applied after lower-casing, with lower-case forms of the upper-case entries
(``т`` -> ``t`` as ``Т`` -> ``T``), so that both cases of a Cyrillic or Greek word fold alike."""


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """Fold one non-ASCII character for matching: NFKC, accents dropped from Latin, Greek and
    Cyrillic letters (``é`` -> ``e``, ``й`` -> ``и``; CJK untouched), Cyrillic/Greek look-alikes
    mapped to Latin in both cases (``Т`` and ``т`` -> ``t``), lower case. May return several
    characters, or none for invisible ones."""
    if _INVISIBLE_RE.match(ch):
        return ""
    out = []
    for c in unicodedata.normalize("NFKC", ch):
        if c >= "\u0080" and c < "\u0500":
            d = unicodedata.normalize("NFD", c)
            if len(d) > 1 and all(unicodedata.combining(x) for x in d[1:]):
                c = d[0]
        out.append(c)
    return "".join(out).translate(_CONFUSABLES).lower().translate(_CONFUSABLES_LOWER)


def _fold_pattern(text: str) -> str:
    """Fold the non-ASCII characters of a regex or trigger like the text it will be matched against
    (ASCII is kept as is: the patterns are already lower case and escapes such as ``\\S`` must stay)."""
    if text.isascii():
        return text
    return "".join(ch if ch < "\u0080" else _fold_char(ch) for ch in text)


_COMPILED = tuple(
    (pid, tuple(_fold_pattern(t) for t in triggers), re.compile(_fold_pattern(rx)))
    for pid, triggers, rx in INJECTION_PATTERNS
)

_COMPILED_PROXIMITY = tuple(
    (pid, tuple(_fold_pattern(t) for t in triggers), re.compile(_fold_pattern(first)), re.compile(_fold_pattern(second)),
     window)
    for pid, triggers, first, second, window in PROXIMITY_PATTERNS
)
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")

_SPACES_RE = re.compile(r"[ \t\r\n]+")
"""Triggers are looked up in the normalized text with each whitespace run squeezed to one space,
so a trigger may span words ("you are") whichever whitespace the text puts between them."""


def scan_truncated(text: str) -> bool:
    """True when ``text`` is longer than :data:`MAX_SCAN_CHARS` (a scan saw only its beginning)."""
    return len(text) > MAX_SCAN_CHARS


_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")


def _normalize(text: str) -> tuple[str, list[int] | None]:
    """Lower-case ``text``, drop invisible characters, fold compatibility forms (NFKC), accents and
    Cyrillic/Greek look-alikes (see :func:`_fold_char`).

    Returns the normalized text and a list mapping each normalized index to its original index,
    or None when the mapping is the identity (pure ASCII input).
    """
    if text.isascii():
        return text.lower(), None
    chars: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _NON_ASCII_RE.finditer(text):
        if m.start() > pos:  # an ASCII stretch: one slice, one range
            chars.append(text[pos : m.start()].lower())
            index.extend(range(pos, m.start()))
        for i in range(m.start(), m.end()):
            folded = _fold_char(text[i])
            chars.append(folded)
            index.extend([i] * len(folded))
        pos = m.end()
    if pos < len(text):
        chars.append(text[pos:].lower())
        index.extend(range(pos, len(text)))
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


# -- encoded text -------------------------------------------------------------------------------

MAX_DECODE_DEPTH = 2
"""Decoded text is itself decoded again, down to this many levels (base64 of base64)."""

MAX_ENCODED_RUN_CHARS = 16_384
"""Only the first this many characters of one encoded run are decoded."""

_B64_CHARS = r"A-Za-z0-9+/_\-"
_URL_CHARS = r"A-Za-z0-9._~+!*'(),;:@&=$/?-"
_ENCODED_RUNS: tuple[tuple[str, str | None, re.Pattern[str]], ...] = (
    # (kind, substring the text must contain for the regex to run, regex)
    ("base64", None, re.compile(  # also hex: a hex run is a base64 run, told apart in _decode_run
        rf"[{_B64_CHARS}]{{16,}}={{0,2}}(?:[ \t]{{0,4}}\r?\n[ \t>]{{0,8}}[{_B64_CHARS}]{{16,}}={{0,2}}){{0,400}}")),
    ("percent-encoded", "%", re.compile(  # the plain text before the first %XX is added by _decoded_hits
        rf"%[0-9A-Fa-f]{{2}}(?:[{_URL_CHARS}]{{0,40}}%[0-9A-Fa-f]{{2}}){{2,}}[{_URL_CHARS}]{{0,40}}")),
    ("\\x-escaped", "\\x", re.compile(r"(?:\\x[0-9A-Fa-f]{2}){6,}")),
    ("\\u-escaped", "\\u", re.compile(r"(?:\\u[0-9A-Fa-f]{4}){6,}")),
    ("HTML-entity", "&#", re.compile(r"(?:&#(?:[xX][0-9A-Fa-f]{1,6}|[0-9]{1,7});){6,}")),
    ("tag-character", None, re.compile("[\U000e0000-\U000e007f]{3,}")),
    ("bidi-reversed", "\u202e", re.compile("\u202e[^\u202a-\u202e\u2066-\u2069\n]{8,4000}")),
)
"""Runs of encoded text worth decoding. Each regex starts with a character class or a literal (so
the regex engine skips ahead quickly) and is a class repeated, or a literal followed by bounded
classes, with nothing to backtrack into (linear time). A scan costs one pass per kind that the text
can contain (tag characters and overrides only in non-ASCII text)."""

_URL_BEFORE_RE = re.compile(rf"[{_URL_CHARS}]{{0,60}}$")
_HEX_RE = re.compile(r"[0-9A-Fa-f]{24,}")
_ENTITY_RE = re.compile(r"&#([xX][0-9A-Fa-f]{1,6}|[0-9]{1,7});")
_WS_RE = re.compile(r"[\s>]+")


def _decode_run(kind: str, run: str) -> str | None:
    """Decode one encoded run; None when it does not decode to readable text."""
    run = run[:MAX_ENCODED_RUN_CHARS]
    raw: bytes | None = None
    try:
        if kind == "base64":
            run = _WS_RE.sub("", run).rstrip("=")
            if _HEX_RE.fullmatch(run):
                raw = bytes.fromhex(run[: len(run) - len(run) % 2])
            elif not (any(c.isupper() for c in run) and any(c.islower() for c in run)):
                return None  # identifiers and words in one case, not base64 of text
            elif ("-" in run or "_" in run) and ("+" in run or "/" in run):
                return None  # mixes the standard and the URL-safe alphabet: paths, identifiers
            else:
                run = run[: len(run) - len(run) % 4] if len(run) % 4 == 1 else run
                run += "=" * (-len(run) % 4)
                urlsafe = "-" in run or "_" in run
                raw = base64.b64decode(run, altchars=b"-_" if urlsafe else None, validate=True)
        elif kind == "\\x-escaped":
            raw = bytes(int(run[i + 2 : i + 4], 16) for i in range(0, len(run) - 3, 4))
        elif kind == "percent-encoded":
            return _readable(urllib.parse.unquote_plus(run, errors="strict"))
        elif kind == "\\u-escaped":
            return _readable("".join(chr(int(run[i + 2 : i + 6], 16)) for i in range(0, len(run) - 5, 6)))
        elif kind == "HTML-entity":
            codes = [int(v[1:], 16) if v[0] in "xX" else int(v) for v in _ENTITY_RE.findall(run)]
            return _readable("".join(chr(c) for c in codes if c <= 0x10FFFF))
        elif kind == "bidi-reversed":  # a right-to-left override displays the text reversed
            return _readable(run[1:][::-1])
        elif kind == "tag-character":
            return _readable("".join(chr(ord(c) - 0xE0000) for c in run if 0x20 <= ord(c) - 0xE0000 < 0x7F))
        return _readable(raw.decode("utf-8")) if raw is not None else None
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        return None


def _readable(text: str) -> str | None:
    """``text`` when it reads as text (at least 8 characters, 90% printable or whitespace, some
    letters), else None: binary data, hashes and keys decode to noise."""
    if len(text) < 8:
        return None
    printable = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    letters = sum(1 for c in text if c.isalpha())
    return text if printable >= 0.9 * len(text) and letters >= 4 else None


def _decoded_hits(head: str, depth: int) -> list[InjectionHit]:
    """Hits inside the encoded runs of ``head`` (all decoded runs are scanned together, once)."""
    pieces: list[str] = []
    spans: list[tuple[int, int, str, int]] = []  # (start in doc, end in doc, kind, offset in head)
    pos = 0
    ascii_only = head.isascii()
    for kind, needle, rx in _ENCODED_RUNS:
        if (needle is not None and needle not in head) or (ascii_only and kind in ("tag-character", "bidi-reversed")):
            continue
        for m in rx.finditer(head):
            start, run = m.start(), m.group()
            if kind == "percent-encoded":  # "ignore%20previous": take the text before the first %XX too
                before = _URL_BEFORE_RE.search(head, max(0, start - 60), start)
                if before is not None:
                    start, run = before.start(), before.group() + run
            decoded = _decode_run(kind, run)
            if decoded is None:
                continue
            pieces.append(decoded)
            spans.append((pos, pos + len(decoded), kind, start))
            pos += len(decoded) + 3
            pieces.append("\n\n\n")
    if not pieces:
        return []
    doc = "".join(pieces)
    starts = [s for s, _, _, _ in spans]
    found: dict[int, list[InjectionHit]] = {}
    for hit in _find(doc, depth + 1):
        if hit.pattern_id in DATA_LIKE_PATTERNS:
            continue
        i = bisect.bisect_right(starts, hit.offset) - 1
        if i >= 0 and hit.offset < spans[i][1]:
            found.setdefault(i, []).append(hit)
    out = []
    for i, hits in sorted(found.items()):
        start, end, kind, offset = spans[i]
        nested = [h for h in hits if h.pattern_id == ENCODED_PATTERN_ID]
        if len(nested) == len(hits):  # encoded twice: show the innermost text
            excerpt = f"{kind} text decodes to {nested[0].excerpt}"
        else:
            ids = ", ".join(dict.fromkeys(h.pattern_id for h in hits if h.pattern_id != ENCODED_PATTERN_ID))
            text = " ".join(_INVISIBLE_RE.sub("", doc[start:end]).split())
            text = text if len(text) <= 150 else text[:149] + "…"
            excerpt = f"{kind} text decodes to: {text} [{ids}]"
        out.append(InjectionHit(pattern_id=ENCODED_PATTERN_ID, excerpt=excerpt[:200], offset=offset))
    return out


def find_injection(text: str) -> list[InjectionHit]:
    """Find instructions aimed at an AI reviewer in ``text`` (case-insensitive).

    The text is normalized first (lower case, invisible characters dropped, NFKC, accents and
    Cyrillic/Greek look-alikes folded), so ``IG<ZWSP>NORE previous instructions`` still matches.
    HTML comments are *not* removed: instructions hidden in them are found too. Runs of encoded
    text (base64, hex, ``%XX``, ``\\xXX``, ``\\uXXXX``, ``&#NN;``, Unicode tag characters, text after
    a right-to-left override, which displays reversed) that
    decode to readable text are decoded and scanned too (:data:`MAX_DECODE_DEPTH` levels deep);
    a hit there has pattern id :data:`ENCODED_PATTERN_ID`, the offset of the encoded run, and the
    decoded text and inner pattern ids in its excerpt. Only the first :data:`MAX_SCAN_CHARS`
    characters are scanned (see :func:`scan_truncated`); decoded text is never longer than the
    text it came from, so a scan costs at most a few passes over that. Hits are ordered by offset
    (into ``text``); at most one hit per pattern and offset. Never raises.
    """
    return _find(text[:MAX_SCAN_CHARS], 0)


def _find(head: str, depth: int) -> list[InjectionHit]:
    norm, index = _normalize(head)
    norm = "\n" + norm  # a line-start pattern's literal "\n" matches on the first line too
    squeezed: str | None = None

    def triggered(triggers: tuple[str, ...]) -> bool:
        nonlocal squeezed
        for trigger in triggers:
            if " " not in trigger:
                if trigger in norm:
                    return True
                continue
            if squeezed is None:
                squeezed = _SPACES_RE.sub(" ", norm)
            if trigger in squeezed:
                return True
        return False

    hits: list[InjectionHit] = []
    seen: set[tuple[str, int]] = set()

    def add(pid: str, m: re.Match[str], end_in_norm: int) -> None:
        lo = m.start("at") if "at" in m.re.groupindex and m.start("at") >= 0 else m.start()
        lo, hi = max(lo - 1, 0), max(end_in_norm - 1, 0)  # positions in the normalized text proper
        if index is None:
            start, end = lo, hi
        else:
            start = index[lo] if lo < len(index) else len(head)
            end = index[hi - 1] + 1 if hi > lo else start
        if (pid, start) not in seen:
            seen.add((pid, start))
            hits.append(InjectionHit(pattern_id=pid, excerpt=_excerpt(head, start, end), offset=start))

    for pid, triggers, rx in _COMPILED:
        if triggered(triggers):
            for m in rx.finditer(norm):
                add(pid, m, m.end())
    for pid, triggers, first, second, window in _COMPILED_PROXIMITY:
        if not triggered(triggers):
            continue
        searched_from, found = len(norm) + 1, None  # ``found``: the first match of ``second`` at or after searched_from
        for m in first.finditer(norm):
            pos = m.end()
            if not (searched_from <= pos and (found is None or found.start() >= pos)):
                searched_from, found = pos, second.search(norm, pos)
            if found is not None and found.start() - pos <= window and not _BLANK_LINE_RE.search(norm, pos, found.start()):
                add(pid, m, found.end())
    if depth < MAX_DECODE_DEPTH:
        for hit in _decoded_hits(head, depth):
            if (hit.pattern_id, hit.offset) not in seen:
                seen.add((hit.pattern_id, hit.offset))
                hits.append(hit)
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
