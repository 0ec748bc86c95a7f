"""What the intent checks look at, computed once per review and shared (:func:`intent_facts`):
the parsed title and claims, the changed files, and lazily computed base/head comparisons on
syntax trees; plus the helpers several checks use (where to anchor a finding, whether code
changed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tree_sitter import Tree

from bot.core.diff import ChangeKind, FileChange
from bot.core.models import Finding, Severity
from subagents import _canonical, _syntax
from subagents._canonical import Comparison, Helper, Level
from subagents._hunks import first_code_line
from subagents.checks.intent._text import Claim, Title, claims, parse_title
from subagents.view import CheckView

AGENT = "intent"

_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
MAX_MENTION_LINES = 5000
"""Changed lines whose words are collected to see whether the diff mentions a scope."""


def words(text: str) -> list[str]:
    """Lower-case words of ``text``: split on non-alphanumerics, ``_`` and camelCase humps."""
    return [w for w in _WORD_SPLIT.split(_CAMEL.sub(" ", text).lower()) if w]


@dataclass
class IntentFacts:
    """What the checks look at: the parsed title, claims, the changed files and lazily computed
    base/head comparisons (cached per file and mode)."""

    view: CheckView
    title: Title
    claims: list[Claim]
    files: list[FileChange]
    _cmp: dict[tuple[str, bool], Comparison] = field(default_factory=dict)
    _all_paths: set[str] | None = None
    _paths_list: list[str] | None = None
    _diff_words: set[str] | None = None
    _diff_idents: set[str] | None = None
    _helpers: dict[bool, tuple[dict[str, Helper], dict[str, Helper]]] = field(default_factory=dict)
    streams: _canonical.StreamMemo = field(default_factory=_canonical.StreamMemo)
    """This review's canonical streams of whole nodes (the comparisons and the changed definitions),
    shared with the logic agent (:func:`subagents._canonical.review_streams`)."""
    truncated: bool = False
    """Set when the review's deadline passed and some files were compared by nothing at all."""

    @classmethod
    def build(cls, view: CheckView) -> IntentFacts:
        """Read title, body and diff from ``view``."""
        return cls(view, parse_title(view.pr.title), claims(view.pr.title, view.pr.body), list(view.diff.files),
                   streams=_canonical.review_streams(view.files))

    def all_paths(self) -> list[str]:
        """Every file path of the base and head trees and of the change, sorted (cached)."""
        if self._paths_list is None:
            paths = set(self.view.repository_paths("base")) | set(self.view.repository_paths("head")) | {f.path for f in self.files}
            self._paths_list = sorted(paths)
        return self._paths_list

    def diff_words(self) -> set[str]:
        """Lower-case words (see :func:`words`) of the changed lines and hunk section headers (cached)."""
        if self._diff_words is None:
            found: set[str] = set()
            idents: set[str] = set()
            count = 0
            for fc in self.files:
                for h in fc.hunks:
                    texts = [h.section_header] + [ln.text for ln in h.lines if ln.kind.value != "context"]
                    for text in texts:
                        count += 1
                        if count > MAX_MENTION_LINES:
                            break
                        found.update(words(text))
                        idents.update(m.lower() for m in re.findall(r"[A-Za-z_][A-Za-z0-9_]{3,}", text))
            self._diff_words, self._diff_idents = found, idents
        return self._diff_words

    def diff_identifiers(self) -> set[str]:
        """Lower-case identifiers of four characters or more in the changed lines (cached)."""
        self.diff_words()
        return self._diff_idents or set()

    def path_exists(self, fragment: str) -> bool:
        """True when ``fragment`` (``a/b``, lower case) occurs as consecutive path segments of a file
        in the base or head tree (or of a changed file)."""
        if self._all_paths is None:
            paths = set(self.view.repository_paths("base")) | set(self.view.repository_paths("head")) | {f.path for f in self.files}
            self._all_paths = {"/" + p.lower() + "/" for p in paths}
        needle = "/" + fragment.strip("/").lower() + "/"
        return any(needle in p for p in self._all_paths)

    def base_bytes(self, fc: FileChange) -> bytes | None:
        """Base content of ``fc`` (its old path for renames), None for added files."""
        if fc.kind is ChangeKind.added:
            return None
        return self.view.files.read("base", fc.old_path or fc.path)

    def head_bytes(self, fc: FileChange) -> bytes | None:
        """Head content of ``fc``, None for deleted files."""
        if fc.kind is ChangeKind.deleted:
            return None
        return self.view.files.read("head", fc.path)

    def trees(self, fc: FileChange) -> tuple[Tree | None, Tree | None]:
        """Cached (base tree, head tree) of ``fc``; either may be None."""
        shared = self.view.files
        base = _syntax.parsed(shared, "base", fc.old_path or fc.path, fc.language, self.base_bytes(fc))
        head = _syntax.parsed(shared, "head", fc.path, fc.language, self.head_bytes(fc))
        return base, head

    def helpers(self, *, blank_strings: bool = False) -> tuple[dict[str, Helper], dict[str, Helper]]:
        """``(base-only, head-only)`` small Python functions over all changed Python files (see
        :func:`subagents._canonical.one_sided_helpers`): their calls are compared as their bodies, so
        extract-function and inline-function refactors count as no change. A name found in two
        files is dropped (ambiguous)."""
        if blank_strings not in self._helpers:
            base: dict[str, Helper] = {}
            head: dict[str, Helper] = {}
            clash: set[str] = set()
            for fc in self.files:
                if fc.language != "python" or fc.is_binary or fc.is_submodule:
                    continue
                bt, ht = self.trees(fc)
                if (bt is not None and bt.root_node.has_error) or (ht is not None and ht.root_node.has_error):
                    continue
                b, h = _canonical.one_sided_helpers(bt.root_node if bt else None, ht.root_node if ht else None, blank_strings=blank_strings,
                                                cache=_syntax.defs_cache(self.view.files))
                for acc, new in ((base, b), (head, h)):
                    clash |= set(acc) & set(new)
                    acc.update(new)
            removed = [ln.text for fc in self.files if fc.language == "python" for ln in fc.removed_lines()]
            added = [ln.text for fc in self.files if fc.language == "python" for ln in fc.added_lines()]
            self._helpers[blank_strings] = _canonical.called_helpers(
                {k: v for k, v in base.items() if k not in clash and k not in head},
                {k: v for k, v in head.items() if k not in clash and k not in base},
                removed, added,
            )
        return self._helpers[blank_strings]

    def comparison(self, fc: FileChange, *, blank_strings: bool = False) -> Comparison:
        """How much ``fc`` changed (see :func:`subagents._canonical.compare`, limited to the hunks);
        binary files and submodules always count as ``changed``, and so does every file once the
        review's deadline has passed (then :attr:`truncated` is set)."""
        key = (fc.path, blank_strings)
        if key not in self._cmp:
            left = self.view.time_left()
            if left is not None and left <= 0:
                self.truncated = True
                return Comparison(Level.changed, parsed=False)
            if fc.is_binary or fc.is_submodule:
                self._cmp[key] = Comparison(Level.changed, parsed=False)
            else:
                bt, ht = self.trees(fc)
                base_inline, head_inline = self.helpers(blank_strings=blank_strings) if fc.language == "python" else ({}, {})
                self._cmp[key] = _canonical.compare(
                    fc.language, self.base_bytes(fc), self.head_bytes(fc),
                    blank_strings=blank_strings, base_tree=bt, head_tree=ht,
                    base_ranges=_syntax.hunk_ranges(fc.hunks, "base"), head_ranges=_syntax.hunk_ranges(fc.hunks, "head"),
                    base_inline=base_inline, head_inline=head_inline, memo=self.streams,
                )
        return self._cmp[key]

    def changed_definitions(self, fc: FileChange, *, blank_strings: bool = False) -> list[tuple[str, int | None, int | None]]:
        """``(qualname, head start line, head end line)`` of functions whose canonical code differs
        between base and head (removed ones with ``None`` lines), in head order; empty without
        parse trees. A function is left out when one of its nested functions is listed."""
        bt, ht = self.trees(fc)
        py = fc.language == "python"
        lang = fc.language or "python"
        cache = _syntax.defs_cache(self.view.files)
        bdefs = _syntax.definitions(bt.root_node, lang, cache=cache) if bt is not None else {}
        hdefs = _syntax.definitions(ht.root_node, lang, cache=cache) if ht is not None else {}
        out: list[tuple[str, int | None, int | None]] = []
        base_inline, head_inline = self.helpers(blank_strings=blank_strings) if py else ({}, {})
        error_free = bt is not None and ht is not None and not bt.root_node.has_error and not ht.root_node.has_error
        helper_names = [n.encode() for n in (*base_inline, *head_inline)]
        for name in list(hdefs) + [n for n in bdefs if n not in hdefs]:
            b, h = bdefs.get(name), hdefs.get(name)
            if error_free and b is not None and h is not None and _syntax.same_source(b.node, h.node, helper_names):
                continue  # equal text in error-free trees: equal canonical streams, not listed
            language = lang if error_free else None
            cb = self.streams.stream(b.node, python=py, blank_strings=blank_strings, inline=base_inline, language=language) if b else None
            ch = self.streams.stream(h.node, python=py, blank_strings=blank_strings, inline=head_inline, language=language) if h else None
            if cb != ch and (cb is None or ch is None or _canonical.rename_map(cb, ch) is None):
                out.append((name, h.start if h else None, h.end if h else None))
        nested = {n for n, _, _ in out for m, _, _ in out if m != n and m.startswith(n + ".")}
        return [item for item in out if item[0] not in nested]


def finding(rule: str, severity: Severity, message: str, *, path: str | None = None, line: int | None = None,
            anchor: str, evidence: list[str] | None = None, suggestion: str | None = None) -> Finding:
    """A finding of the intent agent (see :meth:`bot.core.models.Finding.make`)."""
    return Finding.make(rule_id=rule, agent=AGENT, severity=severity, message=message, path=path, line=line,
                        anchor=anchor, evidence=evidence, suggestion=suggestion)


def only_deletes_code(facts: IntentFacts, fc: FileChange) -> bool:
    """True when ``fc`` is deleted, or its change only removes whole functions/classes and imports."""
    if fc.kind is ChangeKind.deleted:
        return True
    bt, ht = facts.trees(fc)
    return _syntax.only_removes_definitions(
        fc.language, bt, ht, [ln.text for ln in fc.added_lines()],
        [(ln.old_lineno, ln.text) for ln in fc.removed_lines() if ln.old_lineno is not None],
        cache=_syntax.defs_cache(facts.view.files),
    )


def code_changed(facts: IntentFacts, fc: FileChange, *, allow_renames: bool = False) -> bool:
    """True when ``fc``'s code changed beyond layout, comments and docstrings (a consistent rename
    counts only without ``allow_renames``)."""
    level = facts.comparison(fc).level
    return level is Level.changed or (level is Level.renamed and not allow_renames)


def where(facts: IntentFacts, fc: FileChange) -> tuple[int | None, list[str]]:
    """Head line to anchor on (the first added line inside the first changed function, else the
    first added code line) and evidence naming the changed functions."""
    defs = facts.changed_definitions(fc) if fc.language else []
    evidence = [f"{fc.path}: {name}" for name, _, _ in defs[:8]]
    added = sorted(fc.changed_new_lines())
    for _, start, end in defs:
        if start is None or end is None:
            continue
        inside = [n for n in added if start <= n <= end]
        return (inside[0] if inside else start), evidence
    line, _ = first_code_line(fc)
    return line, evidence


def intent_facts(view: CheckView) -> IntentFacts:
    """The review's :class:`IntentFacts` (built on first use, shared by the intent checks)."""
    return view.memo("intent.facts", lambda: IntentFacts.build(view))


__all__ = ["AGENT", "MAX_MENTION_LINES", "IntentFacts", "code_changed", "finding", "intent_facts",
           "only_deletes_code", "where", "words"]
