"""Check ``claims``: ``intent/claims-no-behaviour-change``, "typo", "refactor", "no functional change",
"cosmetic", "formatting" ... while the code changes beyond what that claim allows (compared on
canonical syntax trees, see :mod:`subagents._canonical`; for refactor claims only with evidence
that behaviour moved, see :mod:`subagents.checks.intent._refactor`). Runs after ``type_mismatch``
and skips the files it reported."""

from __future__ import annotations

import re
from collections import Counter

from tree_sitter import Node

from bot.core.diff import ChangeKind, FileChange
from bot.core.models import Finding, Severity
from subagents import _canonical, _paths, _syntax
from subagents._canonical import Level
from subagents.checks.intent import _refactor
from subagents.checks.intent._facts import AGENT, IntentFacts, finding, intent_facts, where
from subagents.checks.intent.type_mismatch import type_mismatches
from subagents.framework import Check
from subagents.view import CheckView

_TYPO_RENAME_DISTANCE = 2


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
    same multiset: code was only moved between or within these files.

    Compared as canonical streams (:func:`_chunk`); a base statement and a head statement with
    the same source text (in error-free trees) have equal streams, so such pairs cancel before
    any stream is computed and the cost follows the moved and changed statements."""
    base: list[tuple[bool, Node]] = []
    head: list[tuple[bool, Node]] = []
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
            acc.extend((py, n) for n in _statements(tree.root_node, py, strings_free))
    common = Counter((py, n.text) for py, n in base) & Counter((py, n.text) for py, n in head)
    left_base, left_head = _left(base, common), _left(head, common)
    if len(left_base) != len(left_head):
        return False  # one stream per statement left: multisets of different sizes differ
    if len(left_base) == 1 and left_base[0][0] == left_head[0][0] and not any(
            b"\x1f" in (n.text or b"") for _, n in (left_base[0], left_head[0])):
        # One statement left on each side (a class changed in one method): their streams are equal
        # exactly when _canonical.differs says so, which leaves out the members of equal text.
        (py, b), (_, h) = left_base[0], left_head[0]
        return not _canonical.differs(b, h, python=py, blank_strings=strings_free)
    return _streams(left_base, strings_free) == _streams(left_head, strings_free)


def _statements(root: Node, python: bool, strings_free: bool) -> list[Node]:
    if not strings_free:
        return _canonical.top_level_nodes(root, python=python)
    return [child for child in root.named_children
            if not (child.is_extra or child.type in _syntax.COMMENT_TYPES or child.type.startswith("import")
                    or (python and _syntax.is_docstring(child)))]


def _left(nodes: list[tuple[bool, Node]], common: Counter[tuple[bool, bytes | None]]) -> list[tuple[bool, Node]]:
    """``nodes`` left after taking out ``common`` (by text), in order."""
    budget = Counter(common)
    out: list[tuple[bool, Node]] = []
    for py, n in nodes:
        key = (py, n.text)
        if budget[key] > 0:
            budget[key] -= 1
            continue
        out.append((py, n))
    return out


def _streams(nodes: list[tuple[bool, Node]], strings_free: bool) -> Counter[str]:
    """Multiset of the canonical streams of ``nodes`` (each joined with ``\\x1f``)."""
    return Counter("\x1f".join(_canonical.canonical(n, python=py, blank_strings=strings_free)) for py, n in nodes)


def check_claims(facts: IntentFacts, skip_paths: set[str] | None = None) -> list[Finding]:
    """``intent/claims-no-behaviour-change``: the text says typo / refactor / no functional change /
    cosmetic / formatting, but runtime code changes beyond what the claim allows.

    typo: strings, comments, docstrings and renames by at most 2 letters; formatting/cosmetic:
    strings, comments, docstrings and layout. Refactor / no functional change: consistent
    renames, moving top-level code between the changed files, extracting or inlining a helper,
    equivalent boolean rewrites (De Morgan) pass outright; any other difference is reported only
    with evidence that behaviour plausibly changed (see :mod:`subagents.checks.intent._refactor`: new or
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
    all_base = _refactor.merge(b for b, _ in atoms.values())
    all_head = _refactor.merge(h for _, h in atoms.values())
    out = []
    weak: set[str] = set()
    for fc in candidates:
        parsed = fc.path in parsed_files
        line, evidence = where(facts, fc) if fc.kind is not ChangeKind.deleted else (None, [])
        verb = {ChangeKind.added: "adds", ChangeKind.deleted: "deletes"}.get(fc.kind, "changes code in")
        why = f" beyond {allowed}"
        if fc.path in atoms:
            base_atoms, head_atoms = atoms[fc.path]
            found = _refactor.evidence(base_atoms, head_atoms, internal, all_base=all_base, all_head=all_head)
            signature = _signature_evidence(facts, fc)
            found += signature
            if not found:
                continue
            if claim.kind == "refactor" and not signature and not _refactor.strong_evidence(
                    base_atoms, head_atoms, internal, all_base=all_base, all_head=all_head):
                weak.add(fc.path)
            why = ": " + "; ".join(text for text, _ in found[:3])
            line = next((ln for _, ln in found if ln is not None), line)
            evidence = [f"{fc.path}: {text}" for text, _ in found] + evidence
        severity = Severity.major if parsed and fc.path not in weak else Severity.minor
        out.append(finding(
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
            names |= _syntax.defined_names(tree.root_node, fc.language, cache=_syntax.defs_cache(facts.view.files))
    return names


def _parsed(facts: IntentFacts, fc: FileChange, strings_free: bool) -> bool:
    """True when ``fc``'s code was compared on syntax trees: both sides for a modified file, the
    one side an added or deleted file has."""
    if fc.kind in (ChangeKind.added, ChangeKind.deleted):
        tree = facts.trees(fc)[1 if fc.kind is ChangeKind.added else 0]
        return tree is not None and not tree.root_node.has_error
    return facts.comparison(fc, blank_strings=strings_free).parsed


def _atoms(facts: IntentFacts, fc: FileChange, strings_free: bool) -> tuple[_refactor.Atoms, _refactor.Atoms]:
    """(base, head) :class:`subagents._refactor.Atoms` of ``fc``'s changed regions."""
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
    memo: _refactor.AtomsMemo = {}  # statements of the same text on both sides (context lines) walked once
    return (_refactor.atoms(sides[0], lang, strings_free=strings_free, memo=memo),
            _refactor.atoms(sides[1], lang, strings_free=strings_free, memo=memo))


def _signature_evidence(facts: IntentFacts, fc: FileChange) -> _refactor.Evidence:
    """Public functions of ``fc`` whose parameters changed while no caller was updated."""
    bt, ht = facts.trees(fc)
    return _refactor.signature_changes(
        bt.root_node if bt else None, ht.root_node if ht else None, fc.language or "", lambda name: _callers_updated(facts, name),
        cache=_syntax.defs_cache(facts.view.files),
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


def run(view: CheckView) -> list[Finding]:
    """:func:`check_claims` over this review's intent facts, skipping files ``type_mismatch`` reported."""
    typed = {f.path for f in type_mismatches(view) if f.path}
    return check_claims(intent_facts(view), skip_paths=typed)

CHECK = Check(name="claims", agent=AGENT, rules=("intent/claims-no-behaviour-change",), run=run, order=60)

__all__ = ['CHECK', 'check_claims', 'run']
