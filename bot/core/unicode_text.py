"""Hidden text by Unicode property, and the normalized form that matching runs on.

Pure functions over ``str`` (no I/O, no environment, no mutable module state besides caches).

- :func:`hidden_kind` says whether a code point is hidden text, and which kind: ``bidi``
  (embedding/override/isolate controls), ``tag`` (U+E0000..U+E007F), ``variation-selector``,
  ``blank`` (renders as empty space but is not ordinary whitespace) or ``zero-width`` (any other
  default-ignorable or format character). Decided by property, never by a hand-made list:
  Default_Ignorable_Code_Point, General_Category=Cf, Variation_Selector, General_Category=Zs
  without a compatibility mapping to U+0020, minus Prepended_Concatenation_Mark (format
  characters with a visible glyph, such as U+0600 ARABIC NUMBER SIGN).
- :func:`find_hidden` / :func:`remove_hidden` find or remove them in a text;
  :func:`legitimate_hidden` tells one doing its ordinary job (an emoji ZWJ or VS16, a Persian
  ZWNJ, an ideographic variation selector after a CJK ideograph, a flag's tag sequence) from one
  that hides something.
- :func:`fold_char` is the normalized form used for matching: NFKC, hidden characters removed
  (blanks become a space), lower case, accents dropped from Latin/Greek/Cyrillic letters, and
  look-alike letters replaced by their ASCII prototype from Unicode's confusables.txt (TR39).
- :func:`lookalike_words` finds words that mix ASCII Latin letters with look-alike letters of
  another script (``pаypal`` with a Cyrillic ``а``), the mixed-script test of TR39 section 5.

Data sources (maintained, none typed by hand):
- Unicode properties from the ``regex`` package (its bundled Unicode Character Database) and the
  standard library's ``unicodedata`` (NFKC, general categories, names).
- Confusable prototypes from Unicode's ``security/latest/confusables.txt`` (UTS #39) as packaged
  by ``confusable_homoglyphs`` (MIT licence), kept as a generated table in
  ``rules/unicode/confusables_ascii.tsv`` (see :data:`PROTOTYPE_TABLE`).
- UTS #39 Unicode Security Mechanisms (https://www.unicode.org/reports/tr39/), UTS #51 (emoji
  ZWJ, variation and tag sequences), the Unicode Standard chapter 23 (format characters),
  Trojan Source CVE-2021-42574 (bidi controls).

One exception is not a property: U+2800 BRAILLE PATTERN BLANK is a symbol (So) that renders
blank; it is the only code point that the Unicode names call blank or filler and that is neither
default-ignorable nor whitespace (a test walks the names to keep this true).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from types import SimpleNamespace


@lru_cache(maxsize=1)
def _re() -> SimpleNamespace:
    """The property patterns, compiled on first use: ``regex`` (its import and these compilations,
    ~30 ms) is loaded only when a text holds a non-ASCII character. Every use below is reached only
    for non-ASCII input: no ASCII code point is default-ignorable, format (Cf; ASCII controls are
    Cc), a variation selector, a non-U+0020 space separator or U+2800 (a test checks all 128
    against :attr:`candidate`), so ASCII text never needs them."""
    import regex  # noqa: PLC0415 - see the docstring

    return SimpleNamespace(
        # Every code point that may be hidden text (one pass; :func:`hidden_kind` decides).
        candidate=regex.compile(
            r"[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Variation_Selector}[\p{Zs}--\x20]\u2800]", regex.V1),
        pcm=regex.compile(r"\p{Prepended_Concatenation_Mark}"),
        vs=regex.compile(r"\p{Variation_Selector}"),
        emoji=regex.compile(r"\p{Emoji}"),
        ideographic=regex.compile(r"[\p{Ideographic}\p{Script=Han}]"),
        mongolian=regex.compile(r"\p{Script=Mongolian}"),
        latin=regex.compile(r"\p{Script=Latin}"),
        mark=regex.compile(r"\p{M}"),
        word=regex.compile(r"[\p{L}\p{M}\p{Nd}_]{2,200}"),
    )


_BRAILLE = range(0x2801, 0x2900)

BIDI_CONTROLS: frozenset[int] = frozenset([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x061C])
"""Bidirectional embedding/override/isolate controls (Trojan Source, CVE-2021-42574) and the
Arabic letter mark (the Bidi_Control property minus LRM/RLM, which are reported as zero-width)."""

TAG_CHARS = range(0xE0000, 0xE0080)
"""Unicode tag characters: invisible copies of ASCII, used to smuggle prompts."""

HIDDEN_KINDS = ("bidi", "tag", "variation-selector", "blank", "zero-width")
"""Every value :func:`hidden_kind` can return."""


@lru_cache(maxsize=4096)
def hidden_kind(codepoint: int) -> str | None:
    """The kind of hidden text a code point is (one of :data:`HIDDEN_KINDS`), or None when it is
    visible or ordinary whitespace (U+0020, tab, newline, and spaces whose NFKC form is U+0020
    such as U+00A0 NO-BREAK SPACE, which :func:`fold_char` folds to a space). Raises ValueError
    for a code point outside 0..0x10FFFF."""
    if 0 <= codepoint < 0x80:
        return None  # no ASCII code point is hidden text (see _re)
    ch = chr(codepoint)
    if codepoint in BIDI_CONTROLS:
        return "bidi"
    if codepoint in TAG_CHARS:
        return "tag"
    if _plainly_visible(ch):
        return None
    patterns = _re()
    if not patterns.candidate.match(ch) or patterns.pcm.match(ch):
        return None
    if patterns.vs.match(ch):
        return "variation-selector"
    if codepoint == 0x2800 or "FILLER" in unicodedata.name(ch, ""):
        return "blank"
    if unicodedata.category(ch) == "Zs":
        return None if unicodedata.normalize("NFKC", ch) == " " else "blank"
    return "zero-width"


def _visible_by_category(ch: str) -> bool:
    """True for a letter, number, punctuation mark or symbol (General_Category L*, N*, P*, S* in
    the standard library's ``unicodedata``) other than the ones Unicode makes blank: the Hangul
    fillers (Lo, named ``... FILLER``) and U+2800. None of these is a hidden-text candidate (a test
    walks every such code point against the ``regex`` package's properties), so letters such as
    ``ü``, ``ß`` or ``’`` in text or in the injection patterns are decided without loading it."""
    cat = unicodedata.category(ch)
    return cat[0] in "LNPS" and ch != "\u2800" and "FILLER" not in unicodedata.name(ch, "")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _non_ascii_chars(text: str) -> set[str]:
    """The distinct non-ASCII characters of ``text``."""
    return set(_NON_ASCII.findall(text))


@lru_cache(maxsize=4096)
def _plainly_visible(ch: str) -> bool:
    """True when :func:`hidden_kind` is None for ``ch`` without the ``regex`` package: a letter,
    number, punctuation mark or symbol (:func:`_visible_by_category`), or a space separator whose
    NFKC form is U+0020 (U+00A0 NO-BREAK SPACE; never a filler, U+2800 or a variation selector),
    and neither a bidi control nor a tag character (none is; both are checked first by
    :func:`hidden_kind`)."""
    cp = ord(ch)
    if cp in BIDI_CONTROLS or cp in TAG_CHARS:
        return False
    if _visible_by_category(ch):
        return True
    return (unicodedata.category(ch) == "Zs" and unicodedata.normalize("NFKC", ch) == " "
            and cp != 0x2800 and "FILLER" not in unicodedata.name(ch, ""))


def find_hidden(text: str) -> list[tuple[int, int]]:
    """``(codepoint, index)`` of every hidden character (see :func:`hidden_kind`) in ``text``,
    in order. Linear in ``len(text)``. A text whose non-ASCII characters are all plainly visible
    (letters, punctuation, symbols: an em dash, an accented letter, an emoji without a variation
    selector) has none, and is answered without loading the ``regex`` package (~10-15 ms)."""
    if text.isascii():  # no ASCII character is default-ignorable, format, a variation selector or a blank
        return []
    if all(_plainly_visible(ch) for ch in _non_ascii_chars(text)):
        return []
    return [(cp, m.start()) for m in _re().candidate.finditer(text) if hidden_kind(cp := ord(m.group()))]


def remove_hidden(text: str) -> str:
    """``text`` without hidden characters; a ``blank`` one becomes a space (it separates words
    on screen, as U+2800 between words does)."""
    if text.isascii():
        return text
    out: list[str] = []
    pos = 0
    for cp, index in find_hidden(text):
        out.append(text[pos:index])
        if hidden_kind(cp) == "blank":
            out.append(" ")
        pos = index + 1
    out.append(text[pos:])
    return "".join(out)


_RTL_RANGES = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))
"""Hebrew, Arabic, Syriac, Thaana, N'Ko and their presentation forms: scripts written right to left."""
_JOINER_SCRIPTS = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0900, 0x0DFF), (0x0F00, 0x0FFF), (0x1780, 0x17FF))
"""Arabic (Persian) and Indic scripts, where ZWJ/ZWNJ choose letter forms (Unicode 15, chapter 23.2)."""


def _in(ranges: tuple[tuple[int, int], ...], ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in ranges)


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or unicodedata.category(ch) == "So"


def legitimate_hidden(text: str, index: int) -> bool:
    """True when the hidden character at ``text[index]`` does its ordinary job rather than hide
    something:

    - a zero-width joiner inside an emoji sequence (U+1F468 U+200D U+1F4BB), ZWJ/ZWNJ between
      letters of Arabic/Persian or Indic scripts;
    - a left-to-right/right-to-left or Arabic letter mark next to right-to-left text; a byte-order
      mark opening the text;
    - the tag characters of an emoji subdivision flag (U+1F3F4, tags, U+E007F);
    - U+FE0E/U+FE0F after a character with the Emoji property (a digit, ``#`` or ``*`` only in a
      keycap, followed by U+20E3); U+FE00..U+FE0D and U+E0100..U+E01EF after a CJK ideograph or a
      symbol (standardized and ideographic variation sequences); Mongolian free variation
      selectors after a Mongolian letter;
    - U+034F COMBINING GRAPHEME JOINER next to a combining mark; U+2800 next to braille patterns.

    Bidi overrides, embeddings and isolates, and every other hidden character, are never
    legitimate. Constant time per call. Raises IndexError for an index outside ``text``.
    Source: UTS #51 (emoji ZWJ, variation and tag sequences), the Unicode Standard chapter 23.2
    (layout controls), StandardizedVariants.txt and the Ideographic Variation Database (UTS #37).
    """
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
    if cp in (0xFE0E, 0xFE0F):
        if not before:
            return False
        if before in "0123456789#*":
            return after == "\u20e3"
        return _re().emoji.match(before) is not None
    if 0xFE00 <= cp <= 0xFE0D or 0xE0100 <= cp <= 0xE01EF:
        return bool(before) and (_re().ideographic.match(before) is not None
                                 or unicodedata.category(before) in ("Sm", "So"))
    if 0x180B <= cp <= 0x180F:
        return bool(before) and _re().mongolian.match(before) is not None
    if cp == 0x034F:
        return any(c and _re().mark.match(c) for c in (before, after))
    if cp == 0x2800:
        return any(c and ord(c) in _BRAILLE or c == "\u2800" for c in (before, after)) and any(
            c and ord(c) in _BRAILLE for c in text[max(0, index - 3) : index + 4])
    return False


# -- the normalized form ------------------------------------------------------------------------


PROTOTYPE_TABLE = "unicode/confusables_ascii.tsv"
"""The look-alike table, under the ``rules`` data package: ``XXXX<TAB>prototype`` lines (code point
in hex, ASCII letters in lower case), generated by :func:`write_prototype_table` from the
``confusable_homoglyphs`` package's copy of Unicode's confusables.txt; a test regenerates it and
compares, so it is never edited by hand. Shipped as a small file because loading the package's
900 KB JSON costs a review a noticeable part of a second."""


def prototype_table_from_package() -> dict[str, str]:
    """Look-alike letter -> ASCII prototype (lower case) from the installed ``confusable_homoglyphs``
    data (only single letters not in ASCII whose prototype is made of ASCII letters). Raises
    ImportError when the package is not installed (it is a test/maintenance dependency)."""
    import json  # noqa: PLC0415
    from importlib import resources  # noqa: PLC0415

    data = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    out: dict[str, str] = {}
    for char, entries in data.items():
        if len(char) != 1 or char.isascii() or not char.isalpha():
            continue
        targets = [e["c"] for e in entries if e["c"].isascii() and e["c"].isalpha()]
        if targets:
            out[char] = targets[0].lower()
    return out


def render_prototype_table(table: dict[str, str], version: str) -> str:
    """The text of :data:`PROTOTYPE_TABLE` for ``table``, with its provenance header."""
    head = [
        "# Look-alike letters and their ASCII prototypes (Unicode UTS #39 confusables.txt).",
        f"# Generated from confusable_homoglyphs {version} (MIT licence; data (c) Unicode, Inc., Unicode License v3)",
        "# by bot.core.unicode_text.write_prototype_table(); do not edit by hand.",
    ]
    rows = [f"{ord(c):04X}\t{p}" for c, p in sorted(table.items(), key=lambda kv: ord(kv[0]))]
    return "\n".join(head + rows) + "\n"


def _table_path() -> str:
    import rules  # noqa: PLC0415 - the data package (rules/), found without importlib.resources

    return f"{list(rules.__path__)[0]}/{PROTOTYPE_TABLE}"


def write_prototype_table() -> None:
    """Regenerate :data:`PROTOTYPE_TABLE` from the installed ``confusable_homoglyphs``."""
    from importlib.metadata import version  # noqa: PLC0415

    text = render_prototype_table(prototype_table_from_package(), version("confusable-homoglyphs"))
    with open(_table_path(), "w", encoding="utf-8") as fh:
        fh.write(text)


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Look-alike letter -> its ASCII prototype in lower case (:data:`PROTOTYPE_TABLE`)."""
    out: dict[str, str] = {}
    with open(_table_path(), encoding="utf-8") as fh:
        for line in fh:
            if line and not line.startswith("#"):
                cp, _, proto = line.rstrip("\n").partition("\t")
                out[chr(int(cp, 16))] = proto
    return out


@lru_cache(maxsize=1)
def _folding_prototypes() -> dict[str, str]:
    """:func:`_prototypes` keyed by lower-case letter, for case-insensitive matching: a capital's
    prototype also serves its small letter (Cyrillic ``Т`` -> ``t``, so ``т`` -> ``t``), unless the
    small letter has its own entry."""
    exact = _prototypes()
    out = dict(exact)
    for char, proto in exact.items():
        out.setdefault(char.lower(), proto)
    return out


def ascii_prototype(ch: str) -> str | None:
    """The ASCII letters a non-ASCII letter looks like (``"а"`` Cyrillic -> ``"a"``, ``"օ"``
    Armenian -> ``"o"``, ``"ı"`` dotless -> ``"i"``, ``"Μ"`` capital Greek Mu -> ``"m"``), lower case, or
    None (``"μ"`` small mu looks like no ASCII letter; case matters here, unlike in
    :func:`fold_char`). Source: confusables.txt."""
    return _prototypes().get(ch)


def fold_fingerprint() -> str:
    """SHA-256 (hex) of the data :func:`fold_char` reads besides its code: the standard library's
    Unicode version (``unicodedata.unidata_version``, which also fixes ``str.lower``) and the bytes
    of :data:`PROTOTYPE_TABLE`. Text folded in advance (see :mod:`bot.core._injection_folds`) is
    the same as folding it now when this matches the fingerprint it was made with, for characters
    that :func:`hidden_kind` decides without the ``regex`` package (letters, numbers, punctuation,
    symbols; bidi controls and tags). Raises OSError when the table cannot be read."""
    with open(_table_path(), "rb") as fh:
        table = fh.read()
    digest = hashlib.sha256(f"unidata {unicodedata.unidata_version}\0{len(table)}\0".encode())
    digest.update(table)
    return digest.hexdigest()


def folds_without_regex(ch: str) -> bool:
    """True when :func:`fold_char` decides ``ch`` from ``unicodedata`` and :data:`PROTOTYPE_TABLE`
    alone: ``ch`` and every character of its NFKC lower-case form are ASCII, bidi controls, tag
    characters, or letters, numbers, punctuation or symbols (:func:`hidden_kind` never consults the
    ``regex`` package for them)."""
    chars = [ch, *unicodedata.normalize("NFKC", ch).lower()]
    return all(c.isascii() or ord(c) in BIDI_CONTROLS or ord(c) in TAG_CHARS or _visible_by_category(c) for c in chars)


@lru_cache(maxsize=16384)
def fold_char(ch: str) -> str:
    """Fold one character for matching: NFKC; hidden characters dropped (``blank`` ones become a
    space); lower case; accents dropped from Latin, Greek and Cyrillic letters (``é`` -> ``e``,
    ``й`` -> ``и``; CJK untouched); look-alike letters replaced by their ASCII prototype
    (:func:`ascii_prototype`). May return several characters, or none."""
    if ch.isascii():
        return ch.lower()
    kind = hidden_kind(ord(ch))
    if kind is not None:
        return " " if kind == "blank" else ""
    out = []
    protos = _folding_prototypes()
    for c in unicodedata.normalize("NFKC", ch).lower():
        if c.isascii():
            out.append(c)
            continue
        if hidden_kind(ord(c)) is not None:
            continue
        if "\u0080" <= c < "\u0500" and c not in protos:
            d = unicodedata.normalize("NFD", c)
            if len(d) > 1 and all(unicodedata.combining(x) for x in d[1:]):
                c = d[0]
        out.append(protos.get(c, c))
    return "".join(out)


def lookalike_words(text: str) -> list[tuple[int, str, str]]:
    """Words (letter runs, at most 200 characters) that mix ASCII Latin letters with letters of
    another script that look like Latin ones: ``[(index, word, skeleton)]``, e.g.
    ``(4, "pаypal", "paypal")`` for a Cyrillic ``а``. Words in one script (``Zoë``, ``Kırmızı``,
    ``привет``, ``日本語``) and Latin mixed with letters that look like no Latin letter (``δx``)
    are not reported. UTS #39 section 5 (mixed-script detection). Linear in ``len(text)``."""
    if text.isascii():
        return []
    if not any(ascii_prototype(ch) for ch in _non_ascii_chars(text)):
        return []  # a word is reported only when each of its foreign letters has an ASCII look-alike
    out = []
    for m in _re().word.finditer(text):
        word = m.group()
        if word.isascii() or not any("a" <= c.lower() <= "z" for c in word):
            continue
        foreign = [c for c in word if not c.isascii() and c.isalpha() and _re().latin.match(c) is None]
        if foreign and all(ascii_prototype(c) for c in foreign):
            out.append((m.start(), word, "".join(fold_char(c) for c in word)))
    return out


__all__ = [
    "BIDI_CONTROLS", "HIDDEN_KINDS", "TAG_CHARS", "ascii_prototype", "find_hidden", "fold_char", "fold_fingerprint",
    "folds_without_regex", "hidden_kind", "legitimate_hidden", "lookalike_words", "remove_hidden",
]
