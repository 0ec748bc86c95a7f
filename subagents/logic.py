"""The logic sub-agent: changes in the diff that commonly break behaviour.

Per changed file, only changed hunks are examined (rule ids ``logic/...``):

- ``logic/removed-guard``: a removed exit-guard, None check, ``raise`` or runtime ``assert``
  (Python, syntax trees); a removed ``if err != nil``, null check, ``throw``, ``?.`` (regexes).
- ``logic/inverted-condition`` / ``logic/boundary-change`` / ``logic/loosened-condition``:
  a removed line and the added line that replaced it differ by exactly a negation, a flipped
  operator, ``<``/``<=``, an off-by-one, a dropped ``and`` clause (token diff, every language).
- ``logic/changed-constant``: a module- or class-level constant got a new value.
- ``logic/changed-return``: a return value changed, a return path was removed, or a function
  now returns None.
- ``logic/swallowed-exception``: an added handler that drops the error, or a broadened except.
- ``logic/deleted-test``: deleted test files or functions, added skip/xfail markers, fewer asserts.
- ``logic/untested-behaviour-change``: runtime code changed and no test file did.

Test files (see :mod:`subagents._paths`) get only the ``logic/deleted-test`` checks: tests flip
conditions, change expected numbers and catch errors on purpose. Findings about removed code are
dropped when the code moved to another file of the change or its whole function was deleted.

Confidence: 0.85 when every changed code file is Python (syntax trees), 0.7 when some are
JavaScript/TypeScript/Go/Java/Rust/Ruby (regex level), 0.5 when some are in other languages;
0.95 when no code changed. Never imports, builds or runs the code under review.
"""

from __future__ import annotations

from collections import Counter

from tree_sitter import Tree

from bot.core import treesitter
from bot.core.context import ReviewContext
from bot.core.diff import ChangeKind, FileChange
from bot.core.models import Finding, Severity
from subagents import _paths, _pyast, logic_lines, logic_python
from subagents._hunks import first_code_line
from subagents._pyast import Level
from subagents.base import Analysis, SubAgent
from subagents.logic_lines import Hit

AGENT = "logic"
CONFIDENCE_PYTHON = 0.85
CONFIDENCE_REGEX = 0.7
CONFIDENCE_OTHER = 0.5
CONFIDENCE_NO_CODE = 0.95
_REGEX_LANGUAGES = frozenset({"javascript", "typescript", "tsx", "go", "java", "rust", "ruby"})
_LINE_RULES_OVER_RETURN = frozenset({"logic/inverted-condition", "logic/boundary-change", "logic/loosened-condition", "logic/removed-guard"})


def _finding(hit: Hit, path: str) -> Finding:
    return Finding.make(
        rule_id=hit.rule, agent=AGENT, severity=Severity(hit.severity), message=hit.message,
        path=path, line=hit.line, anchor=hit.anchor, suggestion=hit.suggestion,
    )


class LogicAgent(SubAgent):
    """Flags risky logic edits in changed hunks (see the module docstring)."""

    name = AGENT

    def analyze(self, ctx: ReviewContext) -> Analysis:
        """Run every check over every changed text file; stops early (``truncated``) when the
        review's deadline has passed."""
        findings: list[Finding] = []
        notes: list[str] = []
        confidence = CONFIDENCE_NO_CODE
        truncated = ctx.diff.truncated
        runtime_changed: list[FileChange] = []
        tests_changed = False
        added_by_file = {fc.path: {_norm(ln.text) for ln in fc.added_lines()} for fc in ctx.diff.files}
        added_files: Counter[str] = Counter(line for lines in added_by_file.values() for line in lines)
        for index, fc in enumerate(ctx.diff.files):
            left = ctx.time_left()
            if left is not None and left <= 0:
                truncated = True
                notes.append(f"deadline reached: {len(ctx.diff.files) - index} files not examined")
                break
            is_test = _paths.is_test_path(fc.path) or (fc.old_path is not None and _paths.is_test_path(fc.old_path))
            tests_changed = tests_changed or is_test
            if fc.is_binary or fc.is_submodule or not _paths.is_code_path(fc.path):
                continue
            confidence = min(confidence, _language_confidence(fc))
            if fc.kind is ChangeKind.deleted:
                if is_test:
                    findings.append(Finding.make(
                        rule_id="logic/deleted-test", agent=AGENT, severity=Severity.major, path=fc.path,
                        message=f"Test file `{fc.path}` was deleted.", anchor=f"deleted {fc.path}",
                        suggestion="Keep the tests, or explain in the description why the behaviour they checked is gone.",
                    ))
                elif _paths.is_runtime_source(fc.path):
                    runtime_changed.append(fc)
                continue
            hits, parsed_ok = self._file_hits(ctx, fc, is_test)
            if not parsed_ok:
                confidence = min(confidence, CONFIDENCE_REGEX)
                notes.append(f"{fc.path}: not parsed (syntax errors or too large); line-level checks only")
            hits = _drop_moved(fc, hits, added_files, added_by_file.get(fc.path, set()))
            findings.extend(_finding(h, fc.path) for h in hits)
            if _paths.is_runtime_source(fc.path) and _behaviour_changed(ctx, fc):
                runtime_changed.append(fc)
        if runtime_changed and not tests_changed:
            findings.append(_untested(runtime_changed))
        unique = list({f.id: f for f in findings}.values())
        return Analysis(findings=unique, confidence=confidence, truncated=truncated, notes=notes)

    def _file_hits(self, ctx: ReviewContext, fc: FileChange, is_test: bool) -> tuple[list[Hit], bool]:
        """Hits for one added/modified/renamed code file, and whether its syntax trees were usable
        (always True for languages checked at regex level; their trees are parsed only to filter
        findings about deleted or merely renamed functions)."""
        hits: list[Hit] = []
        runtime = _paths.is_runtime_source(fc.path)
        base_path = fc.old_path or fc.path
        base_bytes = _pyast.read(ctx.shared, ctx.base, "base", base_path) if fc.kind is not ChangeKind.added else None
        head_bytes = _pyast.read(ctx.shared, ctx.head, "head", fc.path)

        def trees() -> tuple[Tree | None, Tree | None, bool]:
            base = _pyast.parsed(ctx.shared, "base", base_path, fc.language, base_bytes)
            head = _pyast.parsed(ctx.shared, "head", fc.path, fc.language, head_bytes)
            ok = head is not None and not head.root_node.has_error and (
                base_bytes is None or (base is not None and not base.root_node.has_error)
            )
            return base, head, ok

        parsed_ok = True
        if fc.language == "python":
            base, head, parsed_ok = trees()
            if parsed_ok:
                pf = logic_python.PyFile(
                    fc, base, head,
                    removed={ln.old_lineno for ln in fc.removed_lines() if ln.old_lineno is not None},
                    added=fc.changed_new_lines(), is_test=is_test,
                )
                for check in logic_python.CHECKS:
                    hits.extend(check(pf))
            pair_hits = [] if is_test else logic_lines.check_pairs(fc, returns=runtime and not parsed_ok)
        else:
            pair_hits = [] if is_test else logic_lines.check_pairs(fc, returns=runtime)
            if not is_test:
                hits.extend(logic_lines.check_removed_guards(fc))
                hits.extend(logic_lines.check_swallowed(fc))
            if fc.language is not None and not is_test:
                for name, old, new, line in logic_lines.check_constants_regex(fc, _text(base_bytes), _text(head_bytes)):
                    sensitive = logic_lines.is_sensitive_name(name)
                    hits.append(Hit("logic/changed-constant", "major" if sensitive else "minor", line,
                                    f"{name} = {new}", f"`{name}` changed from `{old}` to `{new}`.",
                                    "Say why in the description; check every place that relies on the old value."))
            if is_test:
                hits.extend(logic_lines.check_tests_regex(fc))
            if fc.language is not None and any(h.rule in _GUARD_OR_RETURN for h in pair_hits + hits):
                base, head, ok = trees()
                if ok and base is not None and head is not None:
                    pair_hits, hits = _drop_unchanged_functions(fc.language, base, head, pair_hits, hits)
        if is_test or fc.language == "python":
            hits.extend(logic_lines.check_skip_markers(fc))
        if pair_hits and treesitter.supported(fc.language):
            _, head, ok = trees()
            if ok and head is not None and fc.language is not None:
                prose = _pyast.text_lines(head.root_node, fc.language)
                pair_hits = [h for h in pair_hits if h.line not in prose]
        # One finding per spot: a flipped condition or a removed guard explains the return change.
        strong = {h.line for h in pair_hits if h.rule in _LINE_RULES_OVER_RETURN}
        guards = {h.line for h in hits if h.rule == "logic/removed-guard"}

        def redundant(h: Hit) -> bool:
            return h.rule == "logic/changed-return" and (h.line in strong or (h.old_line is not None and h.line in guards))

        return [h for h in pair_hits + hits if not redundant(h)], parsed_ok


_GUARD_OR_RETURN = frozenset({"logic/removed-guard", "logic/changed-return"})
_MOVABLE_RULES = frozenset({"logic/removed-guard", "logic/changed-return", "logic/deleted-test"})
_MIN_DISTINCTIVE = 16
"""Characters (whitespace removed) a removed line needs before its re-appearance in another file
counts as a move: ``if err != nil {`` or ``return None`` appear everywhere."""


def _norm(text: str) -> str:
    return "".join(text.split())


def _drop_moved(fc: FileChange, hits: list[Hit], added_files: Counter[str], own: set[str]) -> list[Hit]:
    """Drop findings about removed code whose (distinctive) line was added to another file of the
    same change: the code moved, it was not removed. ``added_files`` counts, per normalized added
    line, the files that add it; ``own`` holds this file's normalized added lines."""
    removed = {ln.old_lineno: ln.text for ln in fc.removed_lines() if ln.old_lineno is not None}
    out = []
    for h in hits:
        text = _norm(removed.get(h.old_line, "")) if h.old_line is not None else ""
        elsewhere = added_files[text] - (1 if text in own else 0) > 0
        if h.rule in _MOVABLE_RULES and len(text) >= _MIN_DISTINCTIVE and elsewhere:
            continue
        out.append(h)
    return out


def _drop_unchanged_functions(lang: str, base: Tree, head: Tree, pair_hits: list[Hit], hits: list[Hit]) -> tuple[list[Hit], list[Hit]]:
    """For regex-level languages with a syntax tree: drop removed-code findings inside functions
    that were deleted as a whole, and changed-return findings inside functions whose code is the
    same up to a consistent renaming."""
    bdefs = _pyast.definitions(base.root_node, lang)
    hdefs = _pyast.definitions(head.root_node, lang)
    deleted = [(d.start, d.end) for q, d in bdefs.items() if q not in hdefs]
    same_cache: dict[str, bool] = {}

    def renamed_only(line: int) -> bool:
        for q, hd in hdefs.items():
            if hd.start <= line <= hd.end and q in bdefs:
                if q not in same_cache:
                    a, b = _pyast.canonical(bdefs[q].node, python=False), _pyast.canonical(hd.node, python=False)
                    same_cache[q] = a == b or _pyast.rename_map(a, b) is not None
                if same_cache[q]:
                    return True
        return False

    def keep(h: Hit) -> bool:
        if h.rule in _GUARD_OR_RETURN and h.old_line is not None and any(s <= h.old_line <= e for s, e in deleted):
            return False
        return not (h.rule == "logic/changed-return" and h.old_line is None and renamed_only(h.line))

    return [h for h in pair_hits if keep(h)], [h for h in hits if keep(h)]


def _text(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", "replace")


def _language_confidence(fc: FileChange) -> float:
    if fc.language == "python":
        return CONFIDENCE_PYTHON
    if fc.language in _REGEX_LANGUAGES:
        return CONFIDENCE_REGEX
    return CONFIDENCE_OTHER


def _behaviour_changed(ctx: ReviewContext, fc: FileChange) -> bool:
    """True unless the file's code is unchanged up to layout, comments and docstrings."""
    if fc.kind is ChangeKind.added:
        return True
    base_path = fc.old_path or fc.path
    base_bytes = _pyast.read(ctx.shared, ctx.base, "base", base_path)
    head_bytes = _pyast.read(ctx.shared, ctx.head, "head", fc.path)
    cmp = _pyast.compare(
        fc.language, base_bytes, head_bytes,
        base_tree=_pyast.parsed(ctx.shared, "base", base_path, fc.language, base_bytes),
        head_tree=_pyast.parsed(ctx.shared, "head", fc.path, fc.language, head_bytes),
        base_ranges=_pyast.hunk_ranges(fc.hunks, "base"), head_ranges=_pyast.hunk_ranges(fc.hunks, "head"),
    )
    return cmp.level is not Level.same


def _untested(files: list[FileChange]) -> Finding:
    first = files[0]
    line, _ = first_code_line(first) if first.kind is not ChangeKind.deleted else (None, "")
    names = ", ".join(f"`{f.path}`" for f in files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return Finding.make(
        rule_id="logic/untested-behaviour-change", agent=AGENT, severity=Severity.minor,
        message=f"Runtime code changed ({names}) but no test file did.",
        path=first.path if first.kind is not ChangeKind.deleted else None, line=line,
        anchor="untested-behaviour-change",
        evidence=[f.path for f in files[:20]],
        suggestion="Add or update a test that fails without this change.",
    )
