"""The anti-pattern rule catalog: one YAML rule per file, tree-sitter queries, fixtures, generated docs.

Layout (in the style of ruff and semgrep-rules): ``rules/catalog/<language>/<ID>.yml`` with the keys
of :class:`Rule`, and a fixture ``<ID>.<ext>`` beside it whose lines end with ``# expect: ID`` (must
match) or ``# ok: ID`` (must not match); ``//`` comments for JavaScript, TypeScript and Go.

Pure: :func:`load_catalog` reads package data (:func:`bot.core.packagedata.package_files`, what
``importlib.resources`` gives; no environment, no network); matching works on bytes handed in. ``python -m bot.core.catalog --docs`` prints the rule
reference in Markdown (the only output this module ever writes, and only when run as a program).
"""

from __future__ import annotations

import argparse
import bisect
import fnmatch
import posixpath
import re
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from tree_sitter import Node, Query, QueryError, Tree

from bot.core import plaincheck, querygate, treesitter, yamldata
from bot.core.languages import FUNCTION_NODES
from bot.core.models import Severity
from bot.core.packagedata import package_files
from bot.core.paths import is_test_path
from bot.core.yamldata import load_data_yaml

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

ID_RE = re.compile(r"^Q(PY|JS|TS|GO|JV|RS|RB)\d{3}$")
"""Rule ids: ``Q`` + a language prefix + three digits. Stable, never reused."""

ID_PREFIX: Mapping[str, str] = MappingProxyType({
    "PY": "python",
    "JS": "javascript",
    "TS": "typescript",
    "GO": "go",
    "JV": "java",
    "RS": "rust",
    "RB": "ruby",
})
"""Id prefix -> the directory (primary language) its rules live in."""

FIXTURE_EXT: Mapping[str, str] = MappingProxyType({
    "python": ".py",
    "javascript": ".js",
    "typescript": ".ts",
    "tsx": ".tsx",
    "go": ".go",
    "java": ".java",
    "rust": ".rs",
    "ruby": ".rb",
})
"""Primary language -> fixture file extension."""

# FUNCTION_NODES (function-body boundaries per grammar; ``where.inside`` stops there) lives in
# bot.core.languages, its one home.

BAND_GAP = 20
"""Lines given to :meth:`Catalog.match` that are closer than this share one band (one walk); a
farther line starts a band of its own, so a change at the top and the bottom of a file does not
walk the whole file between them."""

MAX_PARTIAL_QUERIES = 4
"""Queries of part of a language's rules (:meth:`Catalog._compiled_for`) a catalog compiles per
language before it compiles the whole language's query and uses that from then on: a process that
runs many reviews (replay, eval, the command server) compiles a bounded number of queries."""

_MATCH_CAPTURE_RE = re.compile(r"@match\b")
_KEBAB_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
@dataclass(frozen=True, kw_only=True)
class RuleDocs:
    """The four documentation sections every rule carries (ruff's rule-page layout), Markdown.

    ``example`` holds a fenced code block; ``use_instead`` starts with one line of advice (used as
    the finding's suggestion, see :meth:`suggestion`) followed by a fenced code block. Each is a
    non-blank string (ValueError otherwise).
    """

    what: str
    why: str
    example: str
    use_instead: str

    def __post_init__(self) -> None:
        for name in ("what", "why", "example", "use_instead"):
            if not plaincheck.text(name, getattr(self, name), min_length=1).strip():
                raise ValueError(f"{name}: must not be blank")
        if self.use_instead.strip().startswith("```"):
            raise ValueError("use_instead: must start with a line of advice before any code block")

    def suggestion(self) -> str:
        """The first line of ``use_instead``: a one-line fix advice."""
        return self.use_instead.strip().splitlines()[0].strip()


@dataclass(frozen=True, kw_only=True)
class Where:
    """Extra checks applied in Python after the query matched (use only when a query cannot say it).

    - ``inside``: some ancestor of ``@match`` within the same function has one of these node types.
    - ``not_inside``: no ancestor of ``@match`` within the same function has one of these types.
    - ``inside_async_function``: the nearest enclosing function is ``async``.
    - ``function_name_not_match``: regex; the nearest enclosing *named* function's name must not
      match it (``re.search``).
    - ``not_match``: capture name -> regex; the capture's text must not match (``re.search``).
    - ``file_not_match``: regex (multi-line mode); a file whose text matches is exempt from the rule.
    - ``go_discards_error``: the ``@match`` node is a Go assignment whose call's discarded last result
      is known to be an ``error``: the callee is declared in the same file with ``error`` as its last
      result, or (not declared there) its name is in :data:`GO_ERROR_LAST` (standard-library
      functions and methods that return an error last). Any other callee is not reported: without
      types, ``v, _ := cache.Get(k)`` may discard a bool.

    Every regex must compile (``re.error``, a ValueError, otherwise).
    """

    inside: tuple[str, ...] = ()
    not_inside: tuple[str, ...] = ()
    inside_async_function: bool = False
    function_name_not_match: str | None = None
    not_match: dict[str, str] = field(default_factory=dict)
    file_not_match: str | None = None
    go_discards_error: bool = False

    def __post_init__(self) -> None:
        _set(self, "inside", plaincheck.texts("inside", self.inside))
        _set(self, "not_inside", plaincheck.texts("not_inside", self.not_inside))
        plaincheck.flag("inside_async_function", self.inside_async_function)
        plaincheck.flag("go_discards_error", self.go_discards_error)
        _set(self, "not_match", plaincheck.text_map("not_match", self.not_match))
        for name in ("function_name_not_match", "file_not_match"):
            if plaincheck.optional_text(name, getattr(self, name)) is not None:
                re.compile(getattr(self, name))
        for pattern in self.not_match.values():
            re.compile(pattern)


@dataclass(frozen=True, kw_only=True)
class Rule:
    """One catalog rule (one YAML file). See the module docstring for the layout.

    ``language`` (one) or ``languages`` (several) name tree-sitter grammars from
    :mod:`bot.core.languages`; a rule for ``typescript`` also applies to ``tsx``. ``query`` is a
    tree-sitter query whose ``@match`` capture marks the reported node. ``skip_tests`` exempts test
    files (:func:`is_test_path`); ``skip_paths`` are ``fnmatch`` globs on the repo-relative path. ``default_enabled: false``
    registers a rule that runs only when a policy enables it (measured precision under 50%).
    Checked when built (ValueError, or TypeError for a missing or unknown key).
    """

    id: str
    name: str
    language: str | None = None
    languages: tuple[str, ...] = ()
    severity: Severity
    message: str
    query: str
    where: Where | None = None
    skip_tests: bool = False
    skip_paths: tuple[str, ...] = ()
    docs: RuleDocs
    default_enabled: bool = True
    quiet: bool = False

    def __post_init__(self) -> None:
        if not ID_RE.match(plaincheck.text("id", self.id)):
            raise ValueError(f"id {self.id!r} is not of the form Q<PY|JS|TS|GO|JV|RS|RB><3 digits>")
        if not _KEBAB_RE.match(plaincheck.text("name", self.name)):
            raise ValueError(f"name {self.name!r} is not kebab-case")
        plaincheck.optional_text("language", self.language)
        _set(self, "languages", plaincheck.texts("languages", self.languages))
        _set(self, "severity", plaincheck.choice("severity", self.severity, Severity))
        plaincheck.text("message", self.message, min_length=1)
        _query_text(plaincheck.text("query", self.query, min_length=1))
        if self.where is not None:
            _set(self, "where", plaincheck.nested("where", self.where, Where))
        plaincheck.flag("skip_tests", self.skip_tests)
        _set(self, "skip_paths", plaincheck.texts("skip_paths", self.skip_paths))
        _set(self, "docs", plaincheck.nested("docs", self.docs, RuleDocs))
        plaincheck.flag("default_enabled", self.default_enabled)
        plaincheck.flag("quiet", self.quiet)
        if (self.language is None) == (not self.languages):
            raise ValueError("give exactly one of 'language' or 'languages'")
        for lang in self.all_languages:
            if not treesitter.supported(lang):
                raise ValueError(f"unknown language {lang!r}; known: {', '.join(treesitter.LANGUAGES)}")

    @property
    def primary_language(self) -> str:
        """The directory the rule lives in: ``language``, else the first of ``languages``."""
        return self.language or self.languages[0]

    @property
    def all_languages(self) -> tuple[str, ...]:
        """Every grammar the rule runs on (``typescript`` implies ``tsx``), without duplicates."""
        langs = list(self.languages) if self.languages else [self.language or ""]
        if "typescript" in langs and "tsx" not in langs:
            langs.append("tsx")
        return tuple(dict.fromkeys(langs))

    def applies_to_path(self, path: str | None, *, is_test: bool | None = None) -> bool:
        """False when ``path`` is exempt: a test file with ``skip_tests`` (``is_test`` overrides
        :func:`is_test_path` when given), or a ``skip_paths`` glob match."""
        if self.skip_tests and (is_test if is_test is not None else path is not None and is_test_path(path)):
            return False
        if path is None:
            return True
        base = posixpath.basename(path)
        return not any(fnmatch.fnmatchcase(path, g) or fnmatch.fnmatchcase(base, g) for g in self.skip_paths)


def _set(obj: object, name: str, value: object) -> None:
    """Store a checked value on a frozen dataclass being built."""
    object.__setattr__(obj, name, value)


def _query_text(v: str) -> None:
    if not _MATCH_CAPTURE_RE.search(v):
        raise ValueError("query has no @match capture")
    if _has_top_level_predicate(v):
        raise ValueError(
            "a predicate outside a pattern group is ignored by tree-sitter; "
            'wrap it: ((node) @match (#eq? @match "x"))'
        )
    if "#not-any-of?" in v:
        raise ValueError(
            "#not-any-of? with several values is unreliable in py-tree-sitter 0.26 "
            "(it passes when any value differs); use #not-match? with an anchored regex"
        )


@dataclass(frozen=True, slots=True)
class Match:
    """One rule match: ``line``/``end_line`` are 1-based head lines of the ``@match`` node;
    ``text`` is the node's source text (UTF-8 with replacement, at most 200 characters)."""

    rule_id: str
    line: int
    end_line: int
    text: str


@dataclass(frozen=True)
class _Compiled:
    """All rules of one grammar merged into one query: pattern index -> rule (one tree walk)."""

    query: Query
    pattern_rules: tuple[Rule, ...]


class Catalog:
    """A loaded, validated catalog. Each language's queries are compiled once, as one query: when the
    catalog is built, or on the language's first match when ``lazy``.

    Build with :func:`load_catalog` (or ``Catalog(rules)`` for rules already validated; raises
    ``ValueError`` when ids repeat or a query does not compile).
    """

    def __init__(self, rules: Iterable[Rule], *, sources: dict[str, str] | None = None, lazy: bool = False) -> None:
        self.rules: tuple[Rule, ...] = tuple(sorted(rules, key=lambda r: r.id))
        self._sources = dict(sources or {})
        self._by_id: dict[str, Rule] = {}
        for rule in self.rules:
            if rule.id in self._by_id:
                raise ValueError(f"{self._where(rule)}: duplicate rule id {rule.id}")
            self._by_id[rule.id] = rule
        self._by_language: dict[str, list[Rule]] = {}
        for lang in treesitter.LANGUAGES:
            rules = [r for r in self.rules if lang in r.all_languages]
            if rules:
                self._by_language[lang] = rules
        self._compiled: dict[str, _Compiled] = {}
        self._partial: dict[tuple[str, frozenset[str]], _Compiled] = {}
        self._compile_lock = threading.Lock()
        if not lazy:
            for lang in self._by_language:
                self._compiled_for(lang)

    def _compiled_for(self, lang: str, wanted: frozenset[str] | None = None) -> _Compiled | None:
        """The compiled query of ``lang`` (compiled on first use when the catalog is lazy: a review
        of Python files never compiles the Go and TypeScript queries). Thread-safe.

        ``wanted`` (rule ids): only these rules are needed. Until the whole language's query has
        been compiled, and for at most :data:`MAX_PARTIAL_QUERIES` different sets per language, a
        query of only the wanted rules is compiled instead (compiling costs about the same per
        pattern, ~2-14 ms for each TypeScript rule); a rule's matches do not depend on the other
        patterns of the query it runs in."""
        compiled = self._compiled.get(lang)
        rules = self._by_language.get(lang)
        if compiled is not None or rules is None:
            return compiled
        subset = rules if wanted is None else [r for r in rules if r.id in wanted]
        with self._compile_lock:
            compiled = self._compiled.get(lang)
            if compiled is not None:
                return compiled
            if len(subset) < len(rules):
                key = (lang, frozenset(r.id for r in subset))
                compiled = self._partial.get(key)
                if compiled is None and sum(k[0] == lang for k in self._partial) < MAX_PARTIAL_QUERIES:
                    compiled = self._partial[key] = self._compile(lang, subset)
                if compiled is not None:
                    return compiled
            compiled = self._compiled[lang] = self._compile(lang, rules)
            for rule in rules:  # what may_match reads, kept (lru-cached) with the whole query: a
                querygate.required_texts(rule.query)  # command server's children inherit both
        return compiled

    def may_match(self, rule_ids: Iterable[str], sources: Iterable[bytes]) -> list[str]:
        """The ids of ``rule_ids`` whose rules may match at least one of ``sources`` (file contents):
        a rule whose query needs a text (``(#eq? @fn "print")``, see :mod:`bot.core.querygate`) that
        none of them holds cannot match any of them, so it need not be compiled or run. Unknown
        ids are kept. Order kept."""
        texts = list(sources)
        out = []
        for rule_id in rule_ids:
            rule = self._by_id.get(rule_id)
            needs = querygate.required_texts(rule.query) if rule is not None else None
            if needs is None or any(querygate.may_match(needs, text) for text in texts):
                out.append(rule_id)
        return out

    def _where(self, rule: Rule) -> str:
        return self._sources.get(rule.id, rule.id)

    def _compile(self, lang: str, rules: list[Rule]) -> _Compiled:
        """Compile the rules of one grammar as a single query; map each pattern back to its rule by
        the byte offset where the pattern starts (``Query.start_byte_for_pattern``)."""
        texts = [r.query.rstrip() + "\n" for r in rules]
        starts: list[int] = []
        offset = 0
        for text in texts:
            starts.append(offset)
            offset += len(text.encode("utf-8"))
        try:
            merged = treesitter.query(lang, "".join(texts))
        except QueryError as merged_exc:
            for rule in rules:  # slow path, errors only: find the rule to blame
                try:
                    treesitter.query(lang, rule.query)
                except QueryError as exc:
                    raise ValueError(f"{self._where(rule)}: query does not compile for {lang}: {exc}") from exc
            raise ValueError(f"{lang} rules do not compile together: {merged_exc}") from merged_exc
        pattern_rules = tuple(
            rules[bisect.bisect_right(starts, merged.start_byte_for_pattern(i)) - 1]
            for i in range(merged.pattern_count)
        )
        missing = {r.id for r in rules} - {r.id for r in pattern_rules}
        if missing:  # pragma: no cover - a rule text always yields a pattern once it compiles
            raise ValueError(f"rules without a pattern for {lang}: {sorted(missing)}")
        return _Compiled(merged, pattern_rules)

    def get(self, rule_id: str) -> Rule | None:
        """The rule with this id, or None."""
        return self._by_id.get(rule_id)

    def source(self, rule_id: str) -> str | None:
        """Where the rule was loaded from (``python/QPY002.yml``), when known."""
        return self._sources.get(rule_id)

    def languages(self) -> frozenset[str]:
        """Grammar names that have at least one rule."""
        return frozenset(self._by_language)

    def rules_for(self, language: str | None) -> list[Rule]:
        """Rules that run on ``language`` (a grammar name; ``tsx`` gets the TypeScript rules)."""
        return [r for r in self.rules if language in r.all_languages]

    def match(
        self,
        language: str,
        source: bytes,
        *,
        path: str | None = None,
        tree: Tree | None = None,
        rule_ids: Iterable[str] | None = None,
        is_test: bool | None = None,
        lines: Iterable[int] | None = None,
    ) -> list[Match]:
        """Run every rule for ``language`` over ``source`` in one tree walk; see :func:`match_source`.

        ``tree`` (parsed from ``source`` with the same grammar) avoids a second parse (it is ignored,
        and the source re-parsed after :func:`~bot.core.treesitter.utf8_safe`, when ``source`` is not
        valid UTF-8); ``rule_ids``
        restricts the rules; ``path`` applies ``skip_tests`` / ``skip_paths``; ``is_test`` overrides
        the built-in test-file heuristic (:func:`is_test_path`).

        ``lines`` (1-based head lines, e.g. the changed ones): the caller needs only the matches
        overlapping them. The walk is then limited to the bands of lines they form (runs closer
        than :data:`BAND_GAP` lines share one, see :func:`_banded`), and the result still holds
        every match that overlaps them, plus every other match of the file that starts on a line
        with the same text as one returned (so occurrence numbers counted over the result equal
        those over the whole file). Without ``lines``, or when an empty set is given, every match
        of the file / none.
        """
        wanted = None if rule_ids is None else frozenset(rule_ids)
        compiled = self._compiled_for(language, wanted) if language else None
        if compiled is None:
            return []
        active = {
            r.id
            for r in {r.id: r for r in compiled.pattern_rules}.values()
            if (wanted is None or r.id in wanted) and r.applies_to_path(path, is_test=is_test)
        }
        if not active:
            return []
        safe = treesitter.utf8_safe(source)
        if tree is None or safe is not source:
            tree = treesitter.parse(language, safe)
        if lines is not None:
            wanted_lines = set(lines)
            if not wanted_lines:
                return []
            if safe is source:  # text comparisons below read raw bytes as UTF-8
                banded = _banded(compiled, active, language, safe, tree, wanted_lines)
                if banded is not None:
                    return banded
        return _run(compiled.query, compiled.pattern_rules, active, language, safe, tree)


def _bands(lines: Iterable[int], gap: int = BAND_GAP) -> list[tuple[int, int]]:
    """``lines`` as inclusive ``(first, last)`` bands in increasing order: lines less than ``gap``
    lines apart share a band."""
    bands: list[tuple[int, int]] = []
    for line in sorted(set(lines)):
        if bands and line - bands[-1][1] <= gap:
            bands[-1] = (bands[-1][0], line)
        else:
            bands.append((line, line))
    return bands


def _starting_in(compiled: _Compiled, active: set[str], language: str, source: bytes, tree: Tree,
                 band: tuple[int, int]) -> tuple[tuple[int, int], list[Match]]:
    """``(range, matches)``: ``band`` (1-based, inclusive lines) widened up to the earliest start of
    a match overlapping it, and every match starting in that range, in :func:`_run`'s order (a
    superset of the matches overlapping ``band``).

    ``QueryCursor.set_point_range`` returns every match whose nodes overlap the range, so the walk
    costs the band, not the file."""
    got = _run(compiled.query, compiled.pattern_rules, active, language, source, tree, lines=band)
    if got and min(m.line for m in got) < band[0]:  # matches starting above the band: their lines too
        band = (min(m.line for m in got), band[1])
        got = _run(compiled.query, compiled.pattern_rules, active, language, source, tree, lines=band)
    return band, [m for m in got if band[0] <= m.line <= band[1]]


def _banded(compiled: _Compiled, active: set[str], language: str, source: bytes, tree: Tree,
            lines: set[int]) -> list[Match] | None:
    """Every match starting in a band of ``lines`` (:func:`_bands`, each widened by
    :func:`_starting_in`): a superset of the matches overlapping ``lines``; plus every match
    starting on a line outside those ranges whose text equals the start line of one of them (found
    by searching the text outside the ranges, then walking only the bands of those lines), so an
    occurrence count over the result equals the one over the whole file. Sorted as :func:`_run`
    sorts. None when a match starts on a blank line (the caller then reads the whole file).

    The walks cost the changed bands and the lines repeating a match's text, not the file."""
    ranges: list[tuple[int, int]] = []
    got: list[Match] = []
    for band in _bands(lines):
        rng, found = _starting_in(compiled, active, language, source, tree, band)
        # A line in an earlier range has all its matches from that range's walk already.
        got.extend(m for m in found if not any(a <= m.line <= b for a, b in ranges))
        ranges.append(rng)
    if not got:
        return got
    starts = treesitter.line_starts(source)
    texts = {_line_text(source, starts, m.line) for m in got}
    if not all(texts):
        return None
    extra = _repeated_lines(source, starts, texts, _merged(ranges))
    for band in _bands(extra):
        got.extend(m for m in _run(compiled.query, compiled.pattern_rules, active, language, source, tree, lines=band)
                   if m.line in extra)
    got.sort(key=lambda m: (m.line, m.rule_id, m.end_line))
    return got


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Inclusive line ranges, overlapping or adjacent ones joined, in increasing order."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(ranges):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _repeated_lines(source: bytes, starts: list[int], texts: set[bytes], ranges: list[tuple[int, int]]) -> set[int]:
    """The 1-based lines outside ``ranges`` (merged, increasing) whose :func:`_line_text` is one of
    ``texts`` (each non-empty, without a newline)."""
    segments: list[tuple[int, int]] = []
    lo = 0
    for a, b in ranges:
        seg_hi = starts[a - 1] if 0 < a <= len(starts) else (0 if a <= 0 else len(source))
        if seg_hi > lo:
            segments.append((lo, seg_hi))
        lo = max(lo, starts[b] if b < len(starts) else len(source))
    if lo < len(source):
        segments.append((lo, len(source)))
    out: set[int] = set()
    for text in texts:
        for seg_lo, seg_hi in segments:
            i = source.find(text, seg_lo, seg_hi)
            while i >= 0:
                line = bisect.bisect_right(starts, i)  # 1-based line holding offset i
                if _line_text(source, starts, line) == text:
                    out.add(line)
                nxt = starts[line] if line < len(starts) else len(source)  # one check per line
                i = source.find(text, max(nxt, i + 1), seg_hi)
    return out


def _line_text(source: bytes, starts: list[int], line: int) -> bytes:
    """Line ``line`` (1-based) stripped, as the UTF-8 bytes of its decoded and stripped text."""
    if line - 1 >= len(starts):
        return b""
    end = starts[line] - 1 if line < len(starts) else len(source)
    return source[starts[line - 1]:end].decode("utf-8", "replace").strip().encode("utf-8")


def _has_top_level_predicate(query_text: str) -> bool:
    """True when a ``(#pred? ...)`` sits at nesting depth 0 (tree-sitter then silently drops it)."""
    depth = 0
    i, n = 0, len(query_text)
    while i < n:
        ch = query_text[i]
        if ch == '"':
            i += 1
            while i < n and query_text[i] != '"':
                i += 2 if query_text[i] == "\\" else 1
        elif ch == ";":
            while i < n and query_text[i] != "\n":
                i += 1
        elif ch in "([":
            if ch == "(" and depth == 0 and query_text[i + 1 : i + 2] == "#":
                return True
            depth += 1
        elif ch in ")]":
            depth -= 1
        i += 1
    return False


def _run(
    q: Query,
    pattern_rules: tuple[Rule, ...],
    active: set[str],
    language: str,
    source: bytes,
    tree: Tree,
    *,
    lines: tuple[int, int] | None = None,
) -> list[Match]:
    file_ok: dict[str, bool] = {}
    go_decls = _go_declared_last_results(tree.root_node) if language == "go" and any(
        r.where is not None and r.where.go_discards_error for r in pattern_rules if r.id in active) else None
    seen: set[tuple[str, int, int]] = set()
    out: list[Match] = []
    for index, caps in treesitter.matches(q, tree.root_node, lines=lines):
        rule = pattern_rules[index]
        if rule.id not in active:
            continue
        if rule.id not in file_ok:
            file_ok[rule.id] = _file_ok(rule, source)
        if not file_ok[rule.id]:
            continue
        for node in caps.get("match", ()):
            key = (rule.id, node.start_byte, node.end_byte)
            if key in seen or not _where_ok(rule, language, node, caps, go_decls):
                continue
            seen.add(key)
            out.append(_to_match(rule.id, node))
    out.sort(key=lambda m: (m.line, m.rule_id, m.end_line))
    return out


def _file_ok(rule: Rule, source: bytes) -> bool:
    if rule.where is None or rule.where.file_not_match is None:
        return True
    text = source.decode("utf-8", "replace")
    return re.search(rule.where.file_not_match, text, re.MULTILINE) is None


def _to_match(rule_id: str, node: Node) -> Match:
    start, end = node.start_point, node.end_point
    end_row = end.row - 1 if end.column == 0 and end.row > start.row else end.row
    return Match(rule_id=rule_id, line=start.row + 1, end_line=end_row + 1, text=treesitter.node_text(node)[:200])


def _enclosing(node: Node, language: str) -> tuple[list[str], Node | None]:
    """Ancestor types up to the nearest function node, and that function node (or None)."""
    stops = FUNCTION_NODES.get(language, frozenset())
    types: list[str] = []
    cur = node.parent
    while cur is not None:
        if cur.type in stops:
            return types, cur
        types.append(cur.type)
        cur = cur.parent
    return types, None


def _function_name(fn: Node | None, language: str) -> str | None:
    stops = FUNCTION_NODES.get(language, frozenset())
    while fn is not None:
        if fn.type in stops:
            name = fn.child_by_field_name("name")
            if name is not None:
                return treesitter.node_text(name)
        fn = fn.parent
    return None


GO_ERROR_LAST: frozenset[str] = frozenset({
    # strconv, fmt, os, io, bufio, encoding/*, net/http, database/sql, os/exec, time, url, filepath, regexp
    "Atoi", "ParseInt", "ParseUint", "ParseFloat", "ParseBool", "ParseComplex", "Unquote", "UnquoteChar",
    "Sscan", "Sscanf", "Sscanln", "Fscan", "Fscanf", "Fscanln", "Scan", "Scanf", "Scanln",
    "Fprint", "Fprintf", "Fprintln", "Print", "Printf", "Println",
    "Close", "Write", "WriteString", "WriteByte", "WriteRune", "WriteTo", "ReadFrom", "Flush", "Sync", "Seek",
    "Truncate", "Remove", "RemoveAll", "Rename", "Mkdir", "MkdirAll", "MkdirTemp", "CreateTemp", "Chdir", "Chmod",
    "Chown", "Chtimes", "Symlink", "Link", "Readlink", "Setenv", "Unsetenv", "Getwd", "Hostname", "Executable",
    "Open", "OpenFile", "Create", "Stat", "Lstat", "ReadFile", "WriteFile", "ReadDir", "ReadAll", "Copy", "CopyN",
    "ReadFull", "ReadAtLeast", "Marshal", "MarshalIndent", "Unmarshal", "Encode", "Decode", "DecodeString",
    "Exec", "ExecContext", "Query", "QueryContext", "Prepare", "PrepareContext", "Begin", "BeginTx", "Commit",
    "Rollback", "Ping", "PingContext", "Run", "Start", "Wait", "Output", "CombinedOutput", "Kill", "Signal",
    "Shutdown", "ListenAndServe", "ListenAndServeTLS", "Serve", "Dial", "DialContext", "Listen", "Do", "NewRequest",
    "NewRequestWithContext", "ParseDuration", "ParseRequestURI", "ParseQuery", "Abs", "Rel", "Glob", "EvalSymlinks",
    "Compile", "ReadString", "ReadBytes", "ReadLine", "ReadRune", "Set", "SetDeadline", "SetReadDeadline",
    "SetWriteDeadline", "Walk", "WalkDir", "Parse", "Execute", "ExecuteTemplate",
})
"""Go functions and methods whose last result is an ``error`` in the standard library (by name; used
when the callee is not declared in the file). Source: the Go standard library documentation,
https://pkg.go.dev/std. Names that also commonly return a bool or a value last (``Get``, ``Load``,
``Lookup``, ``LookupEnv``, ``Cut``) are left out on purpose."""


def _go_declared_last_results(root: Node) -> dict[str, bool]:
    """Function/method name -> whether its last result type is ``error`` (declarations in this file)."""
    out: dict[str, bool] = {}
    for child in root.named_children:
        if child.type not in ("function_declaration", "method_declaration"):
            continue
        name, result = child.child_by_field_name("name"), child.child_by_field_name("result")
        if name is None:
            continue
        last = result
        if result is not None and result.type == "parameter_list":
            params = [c for c in result.named_children if c.type == "parameter_declaration"]
            last = params[-1].child_by_field_name("type") if params else None
        out[treesitter.node_text(name)] = last is not None and treesitter.node_text(last).strip() == "error"
    return out


def _go_discards_error(node: Node, decls: dict[str, bool]) -> bool:
    right = node.child_by_field_name("right")
    call = right.named_children[0] if right is not None and right.named_children else None
    fn = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
    if fn is None:
        return False
    if fn.type == "selector_expression":
        field = fn.child_by_field_name("field")
        name = treesitter.node_text(field) if field is not None else ""
    else:
        name = treesitter.node_text(fn)
    if name in decls:
        return decls[name]
    return name in GO_ERROR_LAST


def _where_ok(rule: Rule, language: str, node: Node, caps: dict[str, list[Node]],
              go_decls: dict[str, bool] | None = None) -> bool:
    w = rule.where
    if w is None:
        return True
    if w.go_discards_error:
        root = node
        while root.parent is not None:
            root = root.parent
        if not _go_discards_error(node, go_decls if go_decls is not None else _go_declared_last_results(root)):
            return False
    for cap, pattern in w.not_match.items():
        if any(re.search(pattern, treesitter.node_text(n)) for n in caps.get(cap, ())):
            return False
    if w.inside or w.not_inside or w.inside_async_function or w.function_name_not_match:
        types, fn = _enclosing(node, language)
        if w.inside and not any(t in w.inside for t in types):
            return False
        if w.not_inside and any(t in w.not_inside for t in types):
            return False
        if w.inside_async_function and (fn is None or not any(c.type == "async" for c in fn.children)):
            return False
        if w.function_name_not_match:
            name = _function_name(fn, language)
            if name is not None and re.search(w.function_name_not_match, name):
                return False
    return True


def match_source(
    rule_or_rules: Rule | Catalog | Iterable[Rule],
    language: str,
    source: bytes,
    *,
    path: str | None = None,
    tree: Tree | None = None,
) -> list[Match]:
    """Run rules over ``source`` (bytes, parsed as grammar ``language``); return matches by line.

    ``rule_or_rules`` is one :class:`Rule`, several, or a :class:`Catalog` (fastest: its queries are
    precompiled and merged). Rules that do not apply to ``language`` are ignored; with ``path``,
    ``skip_tests`` and ``skip_paths`` are honoured. Each ``@match`` node yields one :class:`Match`
    (deduplicated per rule and node). Non-UTF-8 bytes are replaced with U+FFFD before matching
    (lines are unchanged). Raises ``ValueError`` when a rule's query does not compile.
    """
    if isinstance(rule_or_rules, Catalog):
        return rule_or_rules.match(language, source, path=path, tree=tree)
    rules = [rule_or_rules] if isinstance(rule_or_rules, Rule) else list(rule_or_rules)
    rules = [r for r in rules if language in r.all_languages and r.applies_to_path(path)]
    if not rules:
        return []
    safe = treesitter.utf8_safe(source)
    if tree is None or safe is not source:
        tree = treesitter.parse(language, safe)
    source = safe
    out: list[Match] = []
    for rule in rules:
        try:
            q = treesitter.query(language, rule.query)
        except QueryError as exc:
            raise ValueError(f"{rule.id}: query does not compile for {language}: {exc}") from exc
        out.extend(_run(q, (rule,) * q.pattern_count, {rule.id}, language, source, tree))
    out.sort(key=lambda m: (m.line, m.rule_id, m.end_line))
    return out


def default_root() -> Traversable:
    """The packaged catalog directory (``rules/catalog``, as ``importlib.resources`` finds it)."""
    return package_files("rules") / "catalog"


def _rule_files(root: Traversable) -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for lang_dir in sorted(root.iterdir(), key=lambda t: t.name):
        if not lang_dir.is_dir() or lang_dir.name.startswith((".", "_")):
            continue
        for item in sorted(lang_dir.iterdir(), key=lambda t: t.name):
            if item.is_file() and item.name.endswith((".yml", ".yaml")):
                found.append((f"{lang_dir.name}/{item.name}", item))
    return found


def load_rule(text: str, where: str) -> Rule:
    """Parse and validate one rule file's text; ``where`` (e.g. ``python/QPY002.yml``) names it.

    Checks the schema, that the file stem equals the id, and that the directory is the rule's
    primary language and matches the id prefix. Raises ``ValueError`` naming ``where``.
    """
    try:
        data = load_data_yaml(text)  # the safe loader (C or pure Python); cached by content while the CLI runs
    except yamldata.YAMLError as exc:
        raise ValueError(f"{where}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a rule file must hold a mapping")
    try:
        rule = Rule(**data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: invalid rule: {exc}") from exc
    directory, _, filename = where.rpartition("/")
    stem = filename.rsplit(".", 1)[0]
    if stem != rule.id:
        raise ValueError(f"{where}: file name must be the rule id ({rule.id}.yml)")
    expected_dir = ID_PREFIX[rule.id[1:3]]
    if rule.primary_language != expected_dir:
        raise ValueError(f"{where}: id prefix {rule.id[:3]} requires primary language {expected_dir}")
    if directory and directory.rsplit("/", 1)[-1] != rule.primary_language:
        raise ValueError(f"{where}: rule for {rule.primary_language} must live in {rule.primary_language}/")
    return rule


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The packaged catalog, loaded once per process (the catalog is immutable); each language's
    query is compiled when first matched (the packaged queries compile: the rule tests prove it).

    Raises ``ValueError`` like :func:`load_catalog`.
    """
    return load_catalog(lazy=True)


def load_catalog(root: Traversable | Path | None = None, *, lazy: bool = False) -> Catalog:
    """Load and validate every ``<language>/<ID>.yml`` under ``root`` (default: the packaged catalog).

    Raises ``ValueError`` naming the offending file when a rule is malformed, an id repeats, or
    (unless ``lazy``: then on first use of that language) a query does not compile.
    """
    base = default_root() if root is None else root
    rules: list[Rule] = []
    sources: dict[str, str] = {}
    for where, item in _rule_files(base):
        rule = load_rule(item.read_text(encoding="utf-8"), where)
        if rule.id in sources:
            raise ValueError(f"{where}: duplicate rule id {rule.id} (also in {sources[rule.id]})")
        sources[rule.id] = where
        rules.append(rule)
    return Catalog(rules, sources=sources, lazy=lazy)


def fixture_name(rule: Rule) -> str:
    """The fixture path relative to the catalog root: ``<language>/<ID><ext>``."""
    return f"{rule.primary_language}/{rule.id}{FIXTURE_EXT[rule.primary_language]}"


def render_docs(catalog: Catalog) -> str:
    """The Markdown rule reference (``docs/rules.md``), generated from the catalog only."""
    lines = [
        "# Quorum anti-pattern rules",
        "",
        "Generated by `python -m bot.core.catalog --docs` from `rules/catalog/`; do not edit by hand.",
        "",
        "| ID | Name | Languages | Severity |",
        "|----|------|-----------|----------|",
    ]
    for r in catalog.rules:
        lines.append(f"| [{r.id}](#{r.id.lower()}) | {r.name} | {', '.join(r.all_languages)} | {r.severity.value} |")
    for r in catalog.rules:
        lines += [
            "",
            f"## {r.id}",
            "",
            f"**{r.name}** ({r.severity.value}; {', '.join(r.all_languages)}"
            + ("; not applied to test files" if r.skip_tests else "")
            + ")",
            "",
            r.message,
            "",
            "### What it does",
            "",
            r.docs.what.strip(),
            "",
            "### Why is this bad?",
            "",
            r.docs.why.strip(),
            "",
            "### Example",
            "",
            r.docs.example.strip(),
            "",
            "### Use instead",
            "",
            r.docs.use_instead.strip(),
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.core.catalog --docs``: print the rule reference; ``--check``: validate only."""
    parser = argparse.ArgumentParser(prog="python -m bot.core.catalog", description=__doc__.splitlines()[0])
    parser.add_argument("--docs", action="store_true", help="print docs/rules.md to stdout")
    parser.add_argument("--check", action="store_true", help="load and validate the catalog")
    args = parser.parse_args(argv)
    try:
        catalog = load_catalog()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.docs:
        sys.stdout.write(render_docs(catalog))
    else:
        print(f"{len(catalog.rules)} rules OK")
    return 0


if __name__ == "__main__":  # pragma: no cover - program entry
    raise SystemExit(main())
