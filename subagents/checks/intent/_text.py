"""Reading a pull request's title and description for the intent agent. Pure.

The text is untrusted: it is only matched against fixed patterns (never followed, never
evaluated); matching runs on a bounded prefix with simple, linear regexes.

Sources for the conventions: Conventional Commits 1.0.0 (https://www.conventionalcommits.org/,
``type(scope)!: subject``; the type list is the Angular convention's, also used by commitlint's
``config-conventional``); "NFC" (no functional change) is LLVM's commit-title tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.paths import CODE_EXTENSIONS, DOC_EXTENSIONS

CONVENTIONAL_TYPES: frozenset[str] = frozenset(
    {"feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore", "revert"}
)
"""Conventional-commit types the intent agent understands (``tests``/``doc`` are read as ``test``/``docs``)."""

MAX_TEXT = 20_000
"""Characters of title or body looked at; the rest is ignored."""

_ALIASES = {"tests": "test", "doc": "docs", "feature": "feat", "bugfix": "fix", "styles": "style"}
_TITLE_RE = re.compile(r"^\s*(?P<type>[A-Za-z]{2,12})(?:\((?P<scope>[^()\n]{0,80})\))?(?P<bang>!)?\s*:\s*(?P<subject>.*)$")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.DOTALL)
_SCOPE_UNSAFE = re.compile(r"[^\w./*@+,-]")
"""Characters dropped from a scope: it is echoed in findings, so no backticks, markup or spaces."""


@dataclass(frozen=True)
class Title:
    """A parsed title. ``type``/``scope`` are lower case, None when the title is not conventional."""

    raw: str
    type: str | None
    scope: str | None
    breaking: bool
    subject: str


@dataclass(frozen=True)
class Claim:
    """A statement that the change does not alter behaviour.

    ``kind``: ``typo`` (strings, comments, docstrings and misspelt names may change),
    ``text`` (formatting / cosmetic / whitespace: strings, comments and layout may change),
    ``refactor`` (renames and moves allowed, nothing else). ``phrase`` is the matched words,
    ``where`` is ``title`` or ``body``.
    """

    kind: str
    phrase: str
    where: str


def clean(text: str | None) -> str:
    """``text`` cut to :data:`MAX_TEXT` characters with zero-width and bidi controls removed."""
    return _INVISIBLE.sub("", (text or "")[:MAX_TEXT])


def parse_title(title: str | None) -> Title:
    """Split a Conventional-Commits title ``type(scope)!: subject``; unknown types give ``type=None``."""
    raw = clean(title).strip().splitlines()[0] if clean(title).strip() else ""
    m = _TITLE_RE.match(raw)
    if m:
        ctype = m.group("type").lower()
        ctype = _ALIASES.get(ctype, ctype)
        if ctype in CONVENTIONAL_TYPES:
            scope = _SCOPE_UNSAFE.sub("", (m.group("scope") or "").strip().lower()) or None
            return Title(raw, ctype, scope, bool(m.group("bang")), m.group("subject").strip())
    return Title(raw, None, None, False, raw)


_NEGATED = re.compile(r"\b(not|isn't|isnt|never|nor|without)\s+(a\s+|an\s+|just\s+|only\s+|purely\s+|simply\s+|really\s+)*$", re.IGNORECASE)
# "only" followed by "/" or "-" names an option ("Refactor only/exclude propagation", marshmallow): no claim.
_EXPLICIT: list[tuple[str, re.Pattern[str]]] = [
    ("refactor", re.compile(r"\bno[\s-]+(functional|functionality|behaviou?r(al)?|logic(al)?|semantic|runtime|user[\s-]facing)[\s-]+changes?\b", re.IGNORECASE)),
    ("refactor", re.compile(r"\bnon[\s-]functional\s+changes?\b", re.IGNORECASE)),
    ("refactor", re.compile(r"\bno[\s-]op\s+change\b", re.IGNORECASE)),
    ("refactor", re.compile(r"(\[NFCI?\]|\bNFCI?\b)")),
    ("refactor", re.compile(r"\b(pure|purely|only)\s+(a\s+)?refactor(ing)?\b|\brefactor(ing)?\s+only\b(?![/-])", re.IGNORECASE)),
    ("refactor", re.compile(r"\b(rename|renaming)s?\s+only\b(?![/-])|\bonly\s+renam(e|es|ing)\b", re.IGNORECASE)),
    ("text", re.compile(r"\b(purely\s+)?cosmetic(s)?(\s+(change|changes|only|fix|fixes))?\b", re.IGNORECASE)),
    ("text", re.compile(r"\b(formatting|whitespace)[\s-]+only\b|\bonly\s+(formatting|whitespace)\b", re.IGNORECASE)),
]
_TITLE_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("typo", re.compile(r"\b(typos?|misspell(ed|ing|ings)?|spelling)\b", re.IGNORECASE)),
    ("refactor", re.compile(r"\brefactor(s|ed|ing)?\b", re.IGNORECASE)),
    ("text", re.compile(r"\b(re-?format(s|ted|ting)?|formatting|whitespace|cosmetic(s)?|(code[\s-]?)?style|stylecheck)\b", re.IGNORECASE)),
]
_BEHAVIOUR_WORDS = re.compile(
    r"\b(bug|crash(es|ed)?|regression|broken|break(s|ing)?|"
    r"add(s|ed)?|feat(ure)?|support(s)?|implement(s|ed)?|introduc(e|es|ed)|new|fix(es|ed)?\s+(a\s+|the\s+)?(bug|crash|issue)|"
    r"caus(e|es|ed|ing)|leak|improv(e|es|ed|ing)|preserv(e|es|ed|ing)|unstable|incorrect(ly)?|wrong(ly)?|"
    r"handl(e|es|ed|ing)|respect(s|ed|ing)?|prevent(s|ed|ing)?|avoid(s|ed|ing)?|allow(s|ed|ing)?|keep(s|ing)?|"
    r"of\s+(the\s+)?(output|result)s?)\b",
    re.IGNORECASE,
)


def _not_negated(text: str, start: int) -> bool:
    return not _NEGATED.search(text[max(0, start - 40) : start])


def claims(title: str | None, body: str | None) -> list[Claim]:
    """No-behaviour-change claims in the title (type ``refactor``/``style``, or the words
    typo / refactor / formatting / cosmetic / whitespace when the title does not also speak of a
    bug, crash, error or new feature) and explicit phrases anywhere ("no functional change",
    "no behaviour change", "NFC", "pure refactor", "rename only", "cosmetic", "formatting only").
    Negated phrases ("not a pure refactor") do not count."""
    t = parse_title(title)
    body_text = _HTML_COMMENT.sub(" ", clean(body))
    found: list[Claim] = []
    if t.type == "refactor":
        found.append(Claim("refactor", "refactor:", "title"))
    elif t.type == "style":
        found.append(Claim("text", "style:", "title"))
    if t.type in (None, "refactor", "style", "chore", "docs") and not _BEHAVIOUR_WORDS.search(t.subject):
        for kind, rx in _TITLE_WORDS:
            m = rx.search(t.raw)
            if m and _not_negated(t.raw, m.start()):
                found.append(Claim(kind, m.group(0), "title"))
    for where, text in (("title", t.raw), ("body", body_text)):
        for kind, rx in _EXPLICIT:
            m = rx.search(text)
            if m and _not_negated(text, m.start()):
                found.append(Claim(kind, m.group(0).strip(), where))
    unique: dict[tuple[str, str], Claim] = {}
    for c in found:
        unique.setdefault((c.kind, c.where), c)
    return list(unique.values())


_VAGUE = frozenset(
    {
        "", "update", "updates", "updated", "fix", "fixes", "fixed", "change", "changes", "wip",
        "misc", "stuff", "minor", "minor changes", "minor fixes", "small fixes", "small changes",
        "tweak", "tweaks", "update code", "fix bug", "bug fix", "bugfix", "fixes bug", "more",
        "patch", "temp", "tmp", "test", "testing", "asdf", "todo", "various", "various fixes",
        "improvements", "cleanup", "changes requested", "address review", "address comments",
        "review comments", "pr", "commit", "initial commit", "work in progress", "draft",
    }
)
_GITHUB_DEFAULT = re.compile(r"^(update|create|delete|add)\s+[\w./-]+$|^add files via upload$", re.IGNORECASE)
_UNHELPFUL_BODY = frozenset(
    {"", "wip", ".", "..", "...", "-", "fix", "fixes", "fixed", "update", "updates", "n/a", "na",
     "none", "todo", "tbd", "see title", "as title", "title", "no description", "description",
     "changes", "see commits", "x", "ok", "done", "minor", "test", "asdf", "pr", "this pr"}
)
_TEMPLATE_LINE = re.compile(
    r"^\s*(#{1,6}\s.*|[-*]\s*\[[ xX]?\]\s*.*|\*\*[^*]*\*\*:?|[-*_=]{3,}|"
    r"(closes|fixes|resolves|related( to)?|issue|ticket)\s*:?\s*#?\s*)$",
    re.IGNORECASE,
)


def title_is_vague(title: str | None) -> bool:
    """True for titles that say nothing ("update", "fix", "changes", "wip", GitHub's default
    "Update file.py"), with or without a conventional-commit prefix."""
    t = parse_title(title)
    subject = t.subject.strip().strip(".!:").strip().lower()
    subject = re.sub(r"^\[?wip\]?\s*:?\s*", "", subject) if subject.startswith(("[wip]", "wip:")) else subject
    return subject in _VAGUE or bool(_GITHUB_DEFAULT.match(subject))


def body_is_unhelpful(body: str | None) -> bool:
    """True when the description says nothing: empty, a placeholder ("WIP", ".", "fix",
    "update"), or only template scaffolding (HTML comments, headings, checkboxes, rules, quotes,
    empty "Fixes #" lines)."""
    text = _HTML_COMMENT.sub("\n", clean(body))
    kept = [ln.strip() for ln in text.splitlines() if ln.strip() and not _TEMPLATE_LINE.match(ln)]
    remaining = " ".join(kept).strip().lower()
    if remaining.strip(".!-_ ") in _UNHELPFUL_BODY:
        return True
    if re.search(r"#\d+|https?://\S", remaining):
        return False
    return len(re.findall(r"[A-Za-z]{2,}", remaining)) < 2


_FILE_EXTS = CODE_EXTENSIONS | DOC_EXTENSIONS | {".yml", ".yaml", ".json", ".toml", ".cfg", ".ini", ".lock", ".html", ".css", ".scss", ".xml", ".proto", ".graphql", ".tf"}
_PRODUCT_NAMES = frozenset(
    {"node.js", "vue.js", "next.js", "nuxt.js", "react.js", "three.js", "d3.js", "chart.js",
     "express.js", "ember.js", "backbone.js", "angular.js", "socket.io", "deno.js", "p5.js", "asp.net",
     "moment.js", "day.js", "pixi.js", "nest.js", "alpine.js", "solid.js", "svelte.js", "ext.js"}
)
_PATH_TOKEN = re.compile(r"^[\w@.+-]+(/[\w@.+-]+)*/?$")


def path_mentions(title: str | None) -> list[str]:
    """Path-like words of the title: containing ``/`` (``bot/core``, ``src/app.py``) or ending in a
    known file extension (``parser.py``, ``README.md``). URLs, ``I/O``-style abbreviations and
    product names such as ``Node.js`` are not paths. Returned lower case, without ``./``."""
    out: list[str] = []
    for word in clean(title).split():
        w = word.strip("`'\"()[]{}<>,;:!?*")
        w = w.rstrip(".")
        if not w or "://" in w or w.startswith("-") or not _PATH_TOKEN.match(w):
            continue
        low = w.lower().removeprefix("./")
        if "/" in low.strip("/"):
            head, _, tail = low.strip("/").partition("/")
            if w.strip("/").replace("/", "").isupper() or len(head) < 2 or len(tail) < 1:
                continue
            out.append(low.strip("/"))
            continue
        dot = low.rfind(".")
        if dot > 1 and low[dot:] in _FILE_EXTS and low not in _PRODUCT_NAMES:
            out.append(low)
    return list(dict.fromkeys(out))


MERGE_SUBJECT = re.compile(
    r"^(?:Merge (?:pull request #\d+ from \S+|(?:remote-tracking )?branch(?:es)? '[^']+'|tag '[^']+'|commit '[0-9a-f]{7,40}')"
    r"|Merged? (?:in )?[\w./-]+ into [\w./-]+)",
)
"""git's and GitHub's own subjects of merge commits: their text is written by the tool, not the author."""


def is_merge_subject(title: str) -> bool:
    """True for a title that git or GitHub wrote for a merge commit (``Merge pull request #12 from
    a/b``, ``Merge branch 'main' into x``, ``Merge remote-tracking branch 'origin/x'``). A local
    review of such a commit has the commit message as its text, so its description says nothing
    about the change by design."""
    return bool(MERGE_SUBJECT.match(title.strip()))
