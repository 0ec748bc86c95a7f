"""Sanitize untrusted text: hidden markup and characters, secrets.

Pure functions over ``str`` (no I/O, no environment, no mutable module state). Used by the safety
sub-agent, by the LLM layer before anything is sent to a model, and by the GitHub sink before
anything is posted.

- :func:`strip_hidden` removes HTML comments and hidden characters (by Unicode property, see
  :mod:`bot.core.unicode_text`: default-ignorable, format, variation selectors, tags, blanks) and
  reports what it removed.
- :func:`legitimate_invisible` tells an invisible character doing its ordinary job (an emoji
  zero-width joiner, a right-to-left mark in Hebrew) from one that hides something.
- :func:`secret_scan_line` finds secrets in one line (our own patterns plus detect-secrets'
  detectors); :func:`redact_secrets` replaces them with ``[REDACTED:<type>]``.

Instructions aimed at an AI reviewer (prompt injection) are found by :mod:`bot.core.injection`.

Sources: Trojan Source, CVE-2021-42574 (bidi controls, https://trojansource.codes/); Unicode tag
characters U+E0000..U+E007F ("ASCII smuggling" of prompts); token formats from the providers'
documentation as encoded in Yelp/detect-secrets 1.5 plugins and GitHub's token-format post
(https://github.blog/2021-04-05-behind-githubs-new-authentication-token-formats/).

All regular expressions are linear or bounded (no nested unbounded quantifiers).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from bot.core.secretdetectors import load_detector
from bot.core.unicode_text import (
    find_hidden,
    hidden_kind,
    legitimate_hidden,
    remove_hidden,
)

if TYPE_CHECKING:
    from bot.core.secretdetectors import Detector

SECRET_WINDOW_CHARS = 65_536
""":func:`secret_scan_line` scans a line longer than this in overlapping windows of this many
characters (minified files), so that the cost per character stays bounded whatever the line length."""

SECRET_WINDOW_OVERLAP = 8_192
"""Consecutive windows share this many characters: at least the longest match any secret pattern
of :data:`_OWN_PATTERNS` can make (a JWT, up to 8,008 characters; a test checks the bound with
``re``'s own width computation), so every secret lies whole inside some window."""

_WINDOW_LEAD = 64
"""Characters of left context given to each window after the first (look-behinds, ``\\b``); hits
starting inside them belong to the previous window."""

# --------------------------------------------------------------------------------------------
# Hidden characters and comments
# --------------------------------------------------------------------------------------------

char_kind = hidden_kind
"""``"bidi"``, ``"tag"``, ``"variation-selector"``, ``"blank"`` or ``"zero-width"`` for a hidden
character's code point, else None: decided by Unicode property (see :func:`bot.core.unicode_text.hidden_kind`)."""

legitimate_invisible = legitimate_hidden
"""See :func:`bot.core.unicode_text.legitimate_hidden`."""


_MD_HIDDEN_RE = re.compile(
    r"""^[ ]{0,3}\[[^\]\n]{0,200}\]:[ \t]*\#[ \t]*(?:"([^"\n]*)"|'([^'\n]*)'|\(([^)\n]*)\))?[ \t]*$""",
    re.MULTILINE,
)
"""A Markdown link reference definition whose URL is ``#`` (``[//]: # (text)``): renders as nothing."""


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
    """``(codepoint, index)`` of every hidden character (see :func:`char_kind`) in ``text``."""
    return find_hidden(text)


def remove_invisible(text: str) -> str:
    """``text`` without hidden characters (``blank`` ones become a space; HTML comments are kept;
    see :func:`strip_hidden`)."""
    return remove_hidden(text)


def strip_hidden(text: str) -> Sanitized:
    """Remove what a reader cannot see but a model would read, and report it.

    Removes invisible characters first (so ``<!``+ZWSP+``--`` is still a comment), then HTML
    comments ``<!-- ... -->`` (an unterminated ``<!--`` hides everything after it, as in a browser)
    and Markdown ``[//]: # (...)`` comment lines. Never raises.
    """
    invisible = find_hidden(text)
    cleaned = remove_hidden(text) if invisible else text
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
    ("bearer_token", ("bearer",), re.compile(r"(?i:\bbearer)[ \t]{1,5}([A-Za-z0-9._~+/-]{20,500}={0,3})"), 1),
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


DETECTOR_CLASSES: tuple[tuple[str, str], ...] = tuple((module, cls) for module, cls, _, _ in _DS_DETECTORS)
"""The ``(detect_secrets.plugins module, class)`` of each detector, in :data:`_DS_DETECTORS` order."""


@cache
def _detector(index: int) -> Detector:
    """Detector ``index`` of :data:`_DS_DETECTORS`, built on first use, each on its own: from the
    specs Quorum ships when the installed detect-secrets is the one they were generated from, else
    by importing detect-secrets (which pulls in ``requests``, ~0.1-0.2 s) (see
    :mod:`bot.core.secretdetectors`). Most reviews of ordinary code need none."""
    module, cls, _, _ = _DS_DETECTORS[index]
    return load_detector(module, cls)


def _detectors() -> tuple[tuple[Detector, bool, Callable[[str, str], bool]], ...]:
    """Every detector with its ``strong`` flag and gate (builds those not built yet)."""
    return tuple((_detector(i), strong, gate) for i, (_, _, strong, gate) in enumerate(_DS_DETECTORS))


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
    API to verify a secret. The whole line is scanned: a line longer than
    :data:`SECRET_WINDOW_CHARS` is scanned in windows overlapping by
    :data:`SECRET_WINDOW_OVERLAP` characters (linear time; a secret up to the overlap long is
    always whole inside one window). Never raises.
    """
    if len(line) <= SECRET_WINDOW_CHARS:
        return _scan_window(line)
    step = SECRET_WINDOW_CHARS - SECRET_WINDOW_OVERLAP
    low = line.lower()
    # One prefilter pass over the whole line: a window with no prefilter match in it (or touching
    # it) has nothing to find. When lower-casing changes the length, offsets differ: scan them all.
    marks = [m.start() for m in _PREFILTER.finditer(low)] if len(low) == len(line) else None
    if marks is not None and not marks:
        return []
    hits: list[SecretHit] = []
    start = 0
    while True:
        lead = min(start, _WINDOW_LEAD)
        end = min(len(line), start + SECRET_WINDOW_CHARS)
        last = end == len(line)
        if marks is not None:
            i = bisect.bisect_left(marks, start - lead - 256)  # a prefilter match is at most ~256 long
            if i == len(marks) or marks[i] >= end:
                if last:
                    break
                start += step
                continue
        for h in _scan_window(line[start - lead : end]):
            # A hit starting in the lead is the previous window's; one touching the end of a window
            # that is not the last may be a secret cut in two (the next window sees it whole).
            if h.start < lead or (not last and h.end >= end - start + lead):
                continue
            hits.append(SecretHit(h.type, h.start + start - lead, h.end + start - lead))
        if last:
            break
        start += step
    return _merge(hits)


def _scan_window(text: str) -> list[SecretHit]:
    """:func:`secret_scan_line` on one window of a line (offsets relative to ``text``)."""
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
    for index, (_, _, strong, gate) in enumerate(_DS_DETECTORS):
        if not gate(text, low):
            continue
        plugin = _detector(index)
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
    base64 lines that follow the header); then each line goes through :func:`secret_scan_line`
    (whole lines, however long).
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
