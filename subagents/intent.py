"""The intent sub-agent: does the diff do what the pull request's title and description say?

Deterministic checks, each a small function from :class:`IntentFacts` to findings (rule ids
``intent/...``):

- ``intent/type-mismatch``: the conventional-commit type against what changed (``docs:`` or
  ``test:`` changing runtime code, ``ci:`` touching non-CI files, ``style:`` changing more than
  layout, ``build:``/``chore:`` changing runtime code).
- ``intent/claims-no-behaviour-change``: "typo", "refactor", "no functional change", "cosmetic",
  "formatting" ... while the code changes beyond what that claim allows (compared on canonical
  syntax trees, see :mod:`subagents._canonical`; for refactor claims only with evidence that
  behaviour moved, see :mod:`subagents.intent_refactor`).
- ``intent/scope-mismatch``: the title's scope or a path it names is a part of the repository
  that no touched file matches and the diff does not mention.
- ``intent/unrelated-files``: files far from the area the title names.
- ``intent/empty-description`` / ``intent/vague-title``: text that says nothing.

The PR text is untrusted data: it is only compared with the diff, never followed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from tree_sitter import Node, Tree

from bot.core.context import ReviewContext
from bot.core.diff import ChangeKind, FileChange
from bot.core.models import Finding, Severity
from subagents import _canonical, intent_refactor, _paths, _syntax
from subagents._hunks import first_code_line
from subagents._canonical import Comparison, Helper, Level
from subagents.base import Analysis, SubAgent
from subagents.intent_text import MAX_TEXT, Claim, Title, body_is_unhelpful, claims, parse_title, path_mentions, title_is_vague

AGENT = "intent"
CONFIDENCE = 0.8
"""Intent is fuzzy: the checks compare prose with code."""
CONFIDENCE_NO_TEXT = 0.5
"""Confidence when the pull request has neither title nor description."""
EMPTY_BODY_MIN_LINES = 30
"""Changed lines above which an empty description is reported."""
MAX_UNRELATED = 10
"""Unrelated files reported one by one; beyond this, one summary finding."""
_TYPO_RENAME_DISTANCE = 2
_CATEGORY_SCOPES: dict[str, tuple[str, ...]] = {
    "deps": ("build", "ci"), "deps-dev": ("build", "ci"), "dev-deps": ("build", "ci"), "devdeps": ("build", "ci"),
    "dependencies": ("build", "ci"), "dependency": ("build", "ci"), "ci": ("ci",), "docs": ("doc",),
    "doc": ("doc",), "readme": ("doc",), "examples": ("doc",), "test": ("test",), "tests": ("test",),
    "build": ("build",),
}
"""Scopes that name a kind of file rather than a directory (Dependabot's ``deps`` covers
dependency manifests and pinned CI actions)."""
_GENERIC_SCOPES = frozenset(
    {"*", "all", "misc", "general", "global", "repo", "project", "release", "deps-all", "main", "root",
     "workspace", "lint", "style", "types", "typing", "format", "i18n", "l10n", "refactor", "perf",
     "chore", "fix", "feat", "revert", "security", "core"}
)
_GENERIC_ROOTS = frozenset({"src", "lib", "libs", "pkg", "packages", "internal", "app", "apps", "cmd", "source", "sources", "code", "modules"})


@dataclass
class IntentFacts:
    """What the checks look at: the parsed title, claims, the changed files and lazily computed
    base/head comparisons (cached per file and mode)."""

    ctx: ReviewContext
    title: Title
    claims: list[Claim]
    files: list[FileChange]
    _cmp: dict[tuple[str, bool], Comparison] = field(default_factory=dict)
    _all_paths: set[str] | None = None
    _paths_list: list[str] | None = None
    _diff_words: set[str] | None = None
    _diff_idents: set[str] | None = None
    _helpers: dict[bool, tuple[dict[str, Helper], dict[str, Helper]]] = field(default_factory=dict)
    truncated: bool = False
    """Set when the review's deadline passed and some files were compared by nothing at all."""

    @classmethod
    def build(cls, ctx: ReviewContext) -> IntentFacts:
        """Read title, body and diff from ``ctx``."""
        return cls(ctx, parse_title(ctx.pr.title), claims(ctx.pr.title, ctx.pr.body), list(ctx.diff.files))

    def all_paths(self) -> list[str]:
        """Every file path of the base and head trees and of the change, sorted (cached)."""
        if self._paths_list is None:
            paths = set(self.ctx.base.list_files()) | set(self.ctx.head.list_files()) | {f.path for f in self.files}
            self._paths_list = sorted(paths)
        return self._paths_list

    def diff_words(self) -> set[str]:
        """Lower-case words (see :func:`_words`) of the changed lines and hunk section headers (cached)."""
        if self._diff_words is None:
            words: set[str] = set()
            idents: set[str] = set()
            count = 0
            for fc in self.files:
                for h in fc.hunks:
                    texts = [h.section_header] + [ln.text for ln in h.lines if ln.kind.value != "context"]
                    for text in texts:
                        count += 1
                        if count > MAX_MENTION_LINES:
                            break
                        words.update(_words(text))
                        idents.update(m.lower() for m in re.findall(r"[A-Za-z_][A-Za-z0-9_]{3,}", text))
            self._diff_words, self._diff_idents = words, idents
        return self._diff_words

    def diff_identifiers(self) -> set[str]:
        """Lower-case identifiers of four characters or more in the changed lines (cached)."""
        self.diff_words()
        return self._diff_idents or set()

    def path_exists(self, fragment: str) -> bool:
        """True when ``fragment`` (``a/b``, lower case) occurs as consecutive path segments of a file
        in the base or head tree (or of a changed file)."""
        if self._all_paths is None:
            paths = set(self.ctx.base.list_files()) | set(self.ctx.head.list_files()) | {f.path for f in self.files}
            self._all_paths = {"/" + p.lower() + "/" for p in paths}
        needle = "/" + fragment.strip("/").lower() + "/"
        return any(needle in p for p in self._all_paths)

    def base_bytes(self, fc: FileChange) -> bytes | None:
        """Base content of ``fc`` (its old path for renames), None for added files."""
        if fc.kind is ChangeKind.added:
            return None
        return _syntax.read(self.ctx.files, self.ctx.base, "base", fc.old_path or fc.path)

    def head_bytes(self, fc: FileChange) -> bytes | None:
        """Head content of ``fc``, None for deleted files."""
        if fc.kind is ChangeKind.deleted:
            return None
        return _syntax.read(self.ctx.files, self.ctx.head, "head", fc.path)

    def trees(self, fc: FileChange) -> tuple[Tree | None, Tree | None]:
        """Cached (base tree, head tree) of ``fc``; either may be None."""
        shared = self.ctx.files
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
                                                cache=_syntax.defs_cache(self.ctx.files))
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
            left = self.ctx.time_left()
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
                    base_inline=base_inline, head_inline=head_inline,
                )
        return self._cmp[key]

    def changed_definitions(self, fc: FileChange, *, blank_strings: bool = False) -> list[tuple[str, int | None, int | None]]:
        """``(qualname, head start line, head end line)`` of functions whose canonical code differs
        between base and head (removed ones with ``None`` lines), in head order; empty without
        parse trees. A function is left out when one of its nested functions is listed."""
        bt, ht = self.trees(fc)
        py = fc.language == "python"
        lang = fc.language or "python"
        cache = _syntax.defs_cache(self.ctx.files)
        bdefs = _syntax.definitions(bt.root_node, lang, cache=cache) if bt is not None else {}
        hdefs = _syntax.definitions(ht.root_node, lang, cache=cache) if ht is not None else {}
        out: list[tuple[str, int | None, int | None]] = []
        base_inline, head_inline = self.helpers(blank_strings=blank_strings) if py else ({}, {})
        for name in list(hdefs) + [n for n in bdefs if n not in hdefs]:
            b, h = bdefs.get(name), hdefs.get(name)
            cb = _canonical.canonical(b.node, python=py, blank_strings=blank_strings, inline=base_inline) if b else None
            ch = _canonical.canonical(h.node, python=py, blank_strings=blank_strings, inline=head_inline) if h else None
            if cb != ch and (cb is None or ch is None or _canonical.rename_map(cb, ch) is None):
                out.append((name, h.start if h else None, h.end if h else None))
        nested = {n for n, _, _ in out for m, _, _ in out if m != n and m.startswith(n + ".")}
        return [item for item in out if item[0] not in nested]


def _finding(rule: str, severity: Severity, message: str, *, path: str | None = None, line: int | None = None,
             anchor: str, evidence: list[str] | None = None, suggestion: str | None = None) -> Finding:
    return Finding.make(rule_id=rule, agent=AGENT, severity=severity, message=message, path=path, line=line,
                        anchor=anchor, evidence=evidence, suggestion=suggestion)


def _only_deletes_code(facts: IntentFacts, fc: FileChange) -> bool:
    """True when ``fc`` is deleted, or its change only removes whole functions/classes and imports."""
    if fc.kind is ChangeKind.deleted:
        return True
    bt, ht = facts.trees(fc)
    return _syntax.only_removes_definitions(
        fc.language, bt, ht, [ln.text for ln in fc.added_lines()],
        [(ln.old_lineno, ln.text) for ln in fc.removed_lines() if ln.old_lineno is not None],
        cache=_syntax.defs_cache(facts.ctx.files),
    )


def _code_changed(facts: IntentFacts, fc: FileChange, *, allow_renames: bool = False) -> bool:
    level = facts.comparison(fc).level
    return level is Level.changed or (level is Level.renamed and not allow_renames)


def _where(facts: IntentFacts, fc: FileChange) -> tuple[int | None, list[str]]:
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


# --- checks -------------------------------------------------------------------------------------

_TYPE_RULES: dict[str, tuple[dict[str, Severity], str]] = {
    # type -> ({category: severity when such a file changes code}, what the type promises)
    "docs": ({"runtime": Severity.major, "ci": Severity.minor, "tooling": Severity.minor}, "documentation only"),
    "test": ({"runtime": Severity.major, "tooling": Severity.minor}, "tests only"),
    "ci": ({"runtime": Severity.major, "other": Severity.minor, "test": Severity.minor}, "CI configuration only"),
    "style": ({"runtime": Severity.major, "test": Severity.minor, "tooling": Severity.minor}, "formatting only"),
    "build": ({"runtime": Severity.minor}, "build or dependency changes"),
    "chore": ({"runtime": Severity.minor}, "maintenance without runtime changes"),
}


def check_type_mismatch(facts: IntentFacts) -> list[Finding]:
    """``intent/type-mismatch``: files whose change the conventional-commit type does not cover.

    Code files count only when their code changed (canonical trees differ; comments, docstrings
    and layout are free for every type); other files count when touched at all. ``chore:`` and
    ``build:`` may delete whole functions and classes (removing dead code is maintenance).
    """
    ctype = facts.title.type
    if ctype not in _TYPE_RULES:
        return []
    rules, promise = _TYPE_RULES[ctype]
    out = []
    for fc in facts.files:
        cat = _paths.category(fc.path)
        severity = rules.get(cat)
        if severity is None:
            continue
        if _paths.is_code_path(fc.path) and not _code_changed(facts, fc):
            continue
        if ctype in ("chore", "build") and _only_deletes_code(facts, fc):
            continue
        line, evidence = _where(facts, fc) if fc.kind is not ChangeKind.deleted else (None, [])
        what = "changes code" if _paths.is_code_path(fc.path) else "is touched"
        out.append(_finding(
            "intent/type-mismatch", severity,
            f"The title's type `{ctype}:` promises {promise}, but {cat} file `{fc.path}` {what}.",
            path=fc.path, line=line, anchor=f"{ctype}:{fc.path}", evidence=evidence,
            suggestion="Use the type that matches the change (e.g. `fix:` or `feat:`), or split the pull request.",
        ))
    return out


def _claim_allows(facts: IntentFacts, fc: FileChange, strings_free: bool, renames_free: bool, typo_renames: bool) -> bool:
    cmp = facts.comparison(fc, blank_strings=strings_free)
    if cmp.level is Level.same:
        return True
    if cmp.level is Level.renamed:
        if renames_free:
            return True
        if typo_renames:
            return all(_canonical.edit_distance(a, b) <= _TYPO_RENAME_DISTANCE for a, b in cmp.renames)
    return False


def _moved_only(facts: IntentFacts, files: list[FileChange], strings_free: bool) -> bool:
    """True when the top-level statements of ``files`` (base vs head, imports excluded) are the
    same multiset: code was only moved between or within these files."""
    base: Counter[str] = Counter()
    head: Counter[str] = Counter()
    for fc in files:
        bt, ht = facts.trees(fc)
        if (fc.kind is not ChangeKind.added and bt is None) or (fc.kind is not ChangeKind.deleted and ht is None):
            return False
        py = fc.language == "python"
        for tree, acc in ((bt, base), (ht, head)):
            if tree is None:
                continue
            if tree.root_node.has_error:
                return False
            acc.update(_chunks(tree.root_node, py, strings_free))
    return base == head


def _chunks(root: Node, python: bool, strings_free: bool) -> Counter[str]:
    if not strings_free:
        return _canonical.top_level_chunks(root, python=python)
    out: Counter[str] = Counter()
    for child in root.named_children:
        if child.is_extra or child.type in _syntax.COMMENT_TYPES or child.type.startswith("import") or (python and _syntax.is_docstring(child)):
            continue
        out["\x1f".join(_canonical.canonical(child, python=python, blank_strings=True))] += 1
    return out


def check_claims(facts: IntentFacts, skip_paths: set[str] | None = None) -> list[Finding]:
    """``intent/claims-no-behaviour-change``: the text says typo / refactor / no functional change /
    cosmetic / formatting, but runtime code changes beyond what the claim allows.

    typo: strings, comments, docstrings and renames by at most 2 letters; formatting/cosmetic:
    strings, comments, docstrings and layout. Refactor / no functional change: consistent
    renames, moving top-level code between the changed files, extracting or inlining a helper,
    equivalent boolean rewrites (De Morgan) pass outright; any other difference is reported only
    with evidence that behaviour plausibly changed (see :mod:`subagents.intent_refactor`: new or
    removed calls, changed literals, changed conditions, raises, public signatures changed
    without their callers). Major when the code was parsed; minor when only a line compare was
    possible (the change may still be a rename).
    """
    if not facts.claims:
        return []
    kinds = {c.kind for c in facts.claims}
    strings_free = bool(kinds & {"typo", "text"})
    renames_free = "refactor" in kinds
    typo_renames = "typo" in kinds
    claim = facts.claims[0]
    candidates = [
        fc for fc in facts.files
        if _paths.is_runtime_source(fc.path) and fc.path not in (skip_paths or set())
        and not _claim_allows(facts, fc, strings_free, renames_free, typo_renames)
    ]
    if candidates and renames_free and _moved_only(facts, candidates, strings_free):
        return []
    allowed = {
        "typo": "strings, comments, docstrings and misspelt names",
        "text": "layout, strings, comments and docstrings",
        "refactor": "renames, moves, layout, comments and docstrings",
    }[("refactor" if renames_free else "typo" if typo_renames else "text")]
    internal = _internal_names(facts) if renames_free and candidates else set()
    parsed_files = {fc.path for fc in candidates if _parsed(facts, fc, strings_free)}
    atoms = {fc.path: _atoms(facts, fc, strings_free) for fc in candidates if renames_free and fc.path in parsed_files}
    all_base = intent_refactor.merge(b for b, _ in atoms.values())
    all_head = intent_refactor.merge(h for _, h in atoms.values())
    out = []
    weak: set[str] = set()
    for fc in candidates:
        parsed = fc.path in parsed_files
        line, evidence = _where(facts, fc) if fc.kind is not ChangeKind.deleted else (None, [])
        verb = {ChangeKind.added: "adds", ChangeKind.deleted: "deletes"}.get(fc.kind, "changes code in")
        why = f" beyond {allowed}"
        if fc.path in atoms:
            base_atoms, head_atoms = atoms[fc.path]
            found = intent_refactor.evidence(base_atoms, head_atoms, internal, all_base=all_base, all_head=all_head)
            signature = _signature_evidence(facts, fc)
            found += signature
            if not found:
                continue
            if claim.kind == "refactor" and not signature and not intent_refactor.strong_evidence(
                    base_atoms, head_atoms, internal, all_base=all_base, all_head=all_head):
                weak.add(fc.path)
            why = ": " + "; ".join(text for text, _ in found[:3])
            line = next((ln for _, ln in found if ln is not None), line)
            evidence = [f"{fc.path}: {text}" for text, _ in found] + evidence
        severity = Severity.major if parsed and fc.path not in weak else Severity.minor
        out.append(_finding(
            "intent/claims-no-behaviour-change", severity,
            f"The {claim.where} says \"{claim.phrase}\" (no behaviour change), but the pull request {verb} "
            f"`{fc.path}`{why}" + ("." if parsed else " (line compare only; could not parse).")
            + (" These may be an output-preserving rewrite (no outside call, raise or and/or changed)."
               if fc.path in weak else ""),
            path=fc.path, line=line, anchor=f"claim:{fc.path}", evidence=evidence[:12],
            suggestion="Describe the behaviour change in the title and description, or split it out.",
        ))
    return out


def _internal_names(facts: IntentFacts) -> set[str]:
    """Names of functions, methods and classes defined (on either side) in the changed files."""
    names: set[str] = set()
    for fc in facts.files:
        if not fc.language or fc.is_binary or fc.is_submodule:
            continue
        for tree in facts.trees(fc):
            if tree is None:
                continue
            names |= {q.split("#")[0].rsplit(".", 1)[-1] for q in _syntax.definitions(tree.root_node, fc.language, cache=_syntax.defs_cache(facts.ctx.files))}
            for n in _syntax.find(tree.root_node, fc.language, _syntax.CLASS_TYPES):
                name = n.child_by_field_name("name")
                if name is not None:
                    names.add(_syntax.node_text(name))
    return names


def _parsed(facts: IntentFacts, fc: FileChange, strings_free: bool) -> bool:
    """True when ``fc``'s code was compared on syntax trees: both sides for a modified file, the
    one side an added or deleted file has."""
    if fc.kind in (ChangeKind.added, ChangeKind.deleted):
        tree = facts.trees(fc)[1 if fc.kind is ChangeKind.added else 0]
        return tree is not None and not tree.root_node.has_error
    return facts.comparison(fc, blank_strings=strings_free).parsed


def _atoms(facts: IntentFacts, fc: FileChange, strings_free: bool) -> tuple[intent_refactor.Atoms, intent_refactor.Atoms]:
    """(base, head) :class:`subagents.intent_refactor.Atoms` of ``fc``'s changed regions."""
    bt, ht = facts.trees(fc)
    lang = fc.language or ""
    sides = []
    for tree, side in ((bt, "base"), (ht, "head")):
        if tree is None:
            sides.append([])
        elif fc.kind in (ChangeKind.added, ChangeKind.deleted):
            sides.append([tree.root_node])
        else:
            sides.append(_syntax.regions(tree.root_node, _syntax.hunk_ranges(fc.hunks, side)))
    return intent_refactor.atoms(sides[0], lang, strings_free=strings_free), intent_refactor.atoms(sides[1], lang, strings_free=strings_free)


def _signature_evidence(facts: IntentFacts, fc: FileChange) -> intent_refactor.Evidence:
    """Public functions of ``fc`` whose parameters changed while no caller was updated."""
    bt, ht = facts.trees(fc)
    return intent_refactor.signature_changes(
        bt.root_node if bt else None, ht.root_node if ht else None, fc.language or "", lambda name: _callers_updated(facts, name),
        cache=_syntax.defs_cache(facts.ctx.files),
    )


def _callers_updated(facts: IntentFacts, name: str) -> bool:
    """True when some added line of the change calls ``name(`` (other than its definition)."""
    rx = re.compile(r"\b" + re.escape(name) + r"\s*\(")
    for fc in facts.files:
        for ln in fc.added_lines():
            text = ln.text.lstrip()
            if rx.search(text) and not text.startswith(("def ", "async def ", "function ", "func ", "fn ", "pub fn ")):
                return True
    return False


def _norm(s: str) -> str:
    return s.lower().replace("-", "_").strip()


_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
MAX_MENTION_LINES = 5000
"""Changed lines whose words are collected to see whether the diff mentions a scope."""


def _words(text: str) -> list[str]:
    """Lower-case words of ``text``: split on non-alphanumerics, ``_`` and camelCase humps."""
    return [w for w in _WORD_SPLIT.split(_CAMEL.sub(" ", text).lower()) if w]


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _component_matches(tok: str, comp: str) -> bool:
    """A scope word against one path component (directory name or file stem), both normalized:
    equal, equal as words or singulars (``orders`` ~ ``order_list``), a prefix (``git`` ~
    ``gitlog``), or a substring of four letters or more (``auth`` ~ ``oauth2``)."""
    if not comp:
        return False
    if comp == tok or _singular(comp) == _singular(tok):
        return True
    stok = _singular(tok)
    if any(w == tok or _singular(w) == stok for w in _words(comp)):
        return True
    if len(tok) >= 3 and (comp.startswith(tok) or comp.startswith(stok)):
        return True
    if len(stok) >= 4 and stok in comp:
        return True
    return len(comp) >= 4 and comp in tok


def _path_matches(token: str, path: str) -> bool:
    """``token`` (a scope part or a path named in the title) against one file path."""
    tok = _norm(token).strip("/")
    low = _norm(path)
    if "/" in tok or "." in tok:
        if tok in low:
            return True
        stem = tok.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        file_stem = low.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if "/" not in tok and stem and _component_matches(stem, file_stem):
            return True
        return False
    parts = low.split("/")
    comps = [p.rsplit(".", 1)[0] if i == len(parts) - 1 else p for i, p in enumerate(parts)]
    return any(_component_matches(tok, comp) for comp in comps)


def _matches_area(token: str, fc: FileChange) -> bool:
    cats = _CATEGORY_SCOPES.get(token)
    if cats is not None:
        return any(_paths.category(p) in cats for p in _file_paths(fc))
    return any(_path_matches(token, p) for p in _file_paths(fc))


def _file_paths(fc: FileChange) -> list[str]:
    return [fc.path] + ([fc.old_path] if fc.old_path else [])


def _areas(facts: IntentFacts) -> list[str]:
    """Areas the title names: its scope's parts (generic scopes such as ``deps-all`` or ``*``
    dropped) and path-like words that are real paths: a file name with an extension, or an
    ``a/b`` that occurs as consecutive directories in the base or head tree (so prose such as
    "SQLite/PostgreSQL" or "text/markdown" is not taken for a path)."""
    tokens: list[str] = []
    if facts.title.scope:
        for part in facts.title.scope.split(","):
            part = part.strip()
            if part and part not in _GENERIC_SCOPES:
                tokens.append(part)
    for mention in path_mentions(facts.title.raw):
        last = mention.rstrip("/").rsplit("/", 1)[-1]
        if "." in last.lstrip(".") or facts.path_exists(mention):
            tokens.append(mention)
    return list(dict.fromkeys(tokens))


def _mentioned_in_diff(facts: IntentFacts, token: str) -> bool:
    """True when the changed lines (or their hunks' section headers) use ``token`` as a word or
    inside an identifier (``billing`` in ``BillingClient``): the change is about it."""
    words = facts.diff_words()
    tok = _norm(token).strip("/")
    if "/" in tok or "." in tok:
        tok = tok.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    parts = _words(tok)
    if not parts:
        return False
    if all(p in words or _singular(p) in words for p in parts):
        return True
    joined = "".join(parts)
    return len(joined) >= 4 and any(joined in w for w in facts.diff_identifiers())


def _existing_areas(facts: IntentFacts, token: str) -> list[str]:
    """Up to three base/head paths that ``token`` names (empty: it names no part of the repository)."""
    out = []
    tok = _norm(token).strip("/")
    probe = (tok.rsplit("/", 1)[-1].rsplit(".", 1)[0] if ("/" in tok or "." in tok) else _singular(tok))[:3]
    for path in facts.all_paths():
        if probe not in path.lower().replace("-", "_"):
            continue  # cheap filter: every match shares the token's first letters
        if _path_matches(token, path):
            out.append(path)
            if len(out) >= 3:
                break
    return out


def check_scope(facts: IntentFacts) -> list[Finding]:
    """``intent/scope-mismatch``: a scope (``fix(parser): ...``) or path named in the title that
    names a part of the repository (a directory, module or file of the base or head tree), while
    no changed file matches it and the changed lines do not mention it. Scopes are feature areas
    as often as directories (``feat(api)``, ``fix(auth)``), so a scope that names nothing in the
    repository, or that a changed path segment, file stem, word of one or symbol in the diff
    plausibly matches, is not reported. Major: the change is elsewhere than the title says.
    ``deps``/``ci``/``docs``/``tests`` scopes match file categories (minor when none matches)."""
    if not facts.files:
        return []
    out = []
    for token in _areas(facts):
        if any(_matches_area(token, fc) for fc in facts.files):
            continue
        if token in _CATEGORY_SCOPES:
            out.append(_finding(
                "intent/scope-mismatch", Severity.minor,
                f"The title names `{token}`, but no changed file is of that kind.",
                anchor=f"scope:{token}", evidence=[fc.path for fc in facts.files[:8]],
                suggestion="Fix the title's scope, or check that the intended files are part of the change.",
            ))
            continue
        if _mentioned_in_diff(facts, token):
            continue
        named = _existing_areas(facts, token)
        if not named:
            continue
        changed = ", ".join(f"`{fc.path}`" for fc in facts.files[:3]) + (" ..." if len(facts.files) > 3 else "")
        out.append(_finding(
            "intent/scope-mismatch", Severity.major,
            f"The title names `{token}` (in this repository: `{named[0]}`), but the change is elsewhere: {changed}.",
            anchor=f"scope:{token}", evidence=named + [fc.path for fc in facts.files[:8]],
            suggestion="Fix the title's scope, or check that the intended files are part of the change.",
        ))
    return out


def _dir_parts(path: str) -> list[str]:
    return [p for p in path.split("/")[:-1] if p.lower() not in _GENERIC_ROOTS]


def _near(path: str, anchors: list[str]) -> bool:
    parts = _dir_parts(path)
    for other in anchors:
        oparts = _dir_parts(other)
        if parts and oparts and parts[0] == oparts[0]:
            return True
        if not parts and not oparts:
            return True
    return False


def check_unrelated(facts: IntentFacts) -> list[Finding]:
    """``intent/unrelated-files``: when the title names an area that some files match, the other
    runtime-source and configuration/data files that share no directory (below ``src/``-like
    roots) with any of them. Tests, docs, CI and build files often accompany a change and are
    left to the policy's sensitive-path gates. Major for a runtime file whose code changes
    (an unannounced behaviour change), minor otherwise."""
    out: list[Finding] = []
    far: list[FileChange] = []
    for token in _areas(facts):
        matched = [fc for fc in facts.files if _matches_area(token, fc)]
        if not matched:
            continue
        is_category = token in _CATEGORY_SCOPES
        anchors = [fc.path for fc in matched]
        for fc in facts.files:
            if fc in matched or fc in far or _paths.category(fc.path) not in ("runtime", "other"):
                continue
            if "/" not in fc.path and fc.path.startswith("."):
                continue  # repository dotfiles (.editorconfig, .gitignore) go with any change
            if is_category or not _near(fc.path, anchors):
                far.append(fc)
        for fc in far[:MAX_UNRELATED]:
            line, _ = first_code_line(fc) if fc.kind is not ChangeKind.deleted else (None, "")
            behaviour = _paths.category(fc.path) == "runtime" and _code_changed(facts, fc, allow_renames=True)
            out.append(_finding(
                "intent/unrelated-files", Severity.major if behaviour else Severity.minor,
                f"The title is about `{token}`, but `{fc.path}` is far from it"
                + (" and its code changes." if behaviour else "."),
                path=fc.path, line=line, anchor=f"unrelated:{token}:{fc.path}",
                suggestion="Move unrelated changes to their own pull request, or mention them in the description.",
            ))
        if len(far) > MAX_UNRELATED:
            out.append(_finding(
                "intent/unrelated-files", Severity.minor,
                f"{len(far) - MAX_UNRELATED} more files are far from `{token}`.",
                anchor=f"unrelated-more:{token}", evidence=[fc.path for fc in far[MAX_UNRELATED:]][:20],
            ))
        break
    return out


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


def check_description(facts: IntentFacts) -> list[Finding]:
    """``intent/empty-description``: more than 30 changed lines and a description that says
    nothing. Major when the title says nothing either (see :func:`title_is_vague`): then nothing
    states what the change is meant to do, so its intent cannot be checked at all. Not for merge
    commits (see :func:`is_merge_subject`), and not when the text is a commit message rather than a
    pull-request description (``pr.description_known``): on 177 replayed squash merges of 12
    repositories all 37 such findings were false (evals/findings)."""
    if facts.ctx.diff.changed_lines <= EMPTY_BODY_MIN_LINES or not body_is_unhelpful(facts.ctx.pr.body):
        return []
    if is_merge_subject(facts.ctx.pr.title) or not facts.ctx.pr.description_known:
        return []
    vague = title_is_vague(facts.ctx.pr.title)
    return [_finding(
        "intent/empty-description", Severity.major if vague else Severity.minor,
        f"The description is empty or a placeholder for a change of {facts.ctx.diff.changed_lines} lines"
        + (", and the title does not say what it does either." if vague else "."),
        anchor="empty-description",
        suggestion="Say what the change does and why, and how it was tested.",
    )]


def check_title(facts: IntentFacts) -> list[Finding]:
    """``intent/vague-title`` (info): "update", "fix", "changes", "wip", GitHub's "Update x.py".
    Not for merge commits (see :func:`is_merge_subject`)."""
    if not title_is_vague(facts.ctx.pr.title) or is_merge_subject(facts.ctx.pr.title):
        return []
    return [_finding(
        "intent/vague-title", Severity.info,
        f"The title \"{facts.title.raw[:80]}\" does not say what the change does.",
        anchor="vague-title",
        suggestion="Name the behaviour that changes, e.g. `fix(parser): accept empty hunks`.",
    )]


CHECKS: tuple[Callable[[IntentFacts], list[Finding]], ...] = (
    check_type_mismatch, check_scope, check_unrelated, check_description, check_title,
)
"""Checks run in order; :func:`check_claims` runs after them, skipping files already reported
by ``intent/type-mismatch``."""


class IntentAgent(SubAgent):
    """Compares the pull request's title and description with its diff (see the module docstring)."""

    name = AGENT

    def analyze(self, ctx: ReviewContext) -> Analysis:
        """Run every check; confidence 0.8, or 0.5 when there is no title or description at all."""
        facts = IntentFacts.build(ctx)
        findings: list[Finding] = []
        for check in CHECKS:
            findings.extend(check(facts))
        typed = {f.path for f in findings if f.rule_id == "intent/type-mismatch" and f.path}
        findings.extend(check_claims(facts, skip_paths=typed))
        unique = list({f.id: f for f in findings}.values())
        has_text = bool(ctx.pr.title.strip() or ctx.pr.body.strip())
        notes = []
        if facts.claims:
            notes.append("claims: " + ", ".join(f"{c.kind} ({c.where})" for c in facts.claims))
        text_cut = [name for name, text in (("title", ctx.pr.title), ("body", ctx.pr.body)) if len(text or "") > MAX_TEXT]
        if text_cut:  # the claims were read from the first MAX_TEXT characters only: fail closed
            notes.append(f"PR {' and '.join(text_cut)} longer than {MAX_TEXT} characters: only the start was read")
        return Analysis(
            findings=unique,
            confidence=CONFIDENCE if has_text else CONFIDENCE_NO_TEXT,
            truncated=ctx.diff.truncated or facts.truncated or bool(text_cut),
            notes=notes,
        )
