"""The logic agent's scan of one review, shared by its checks (:func:`scan`, computed once): every
changed code file's hunk-level hits (the ``logic/...`` rules but ``untested-behaviour-change``),
deleted test files, which runtime files changed behaviour, the confidence and the notes. Moved
unchanged from ``subagents/logic.py`` (the agent's former body); see :mod:`subagents.logic` for
the rules.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

from tree_sitter import Tree

from bot.core import treesitter
from bot.core.diff import ChangeKind, FileChange
from bot.core.models import Finding, Severity
from subagents import _canonical, logic_calls, logic_imports, logic_lines, logic_python, logic_typing, _paths, _syntax
from subagents._hunks import first_code_line
from subagents._canonical import Level
from subagents.view import CheckView
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


@dataclass
class Scan:
    """What the scan found: the hunk-level findings (in file order), the runtime files whose
    behaviour changed, whether a test file changed, the review's :class:`_Review` facts, the
    confidence, notes and whether the deadline or a truncated diff cut it short."""

    findings: list[Finding]
    runtime_changed: list[FileChange]
    tests_changed: bool
    review: _Review
    confidence: float
    truncated: bool
    notes: list[str]


def scan(ctx: CheckView) -> Scan:
    """This review's :class:`Scan` (computed on first use, shared by the logic checks)."""
    return ctx.memo("logic.scan", lambda: _scan(ctx))


def _scan(ctx: CheckView) -> Scan:
    """Run every hunk-level check over every changed text file; stops early (``truncated``) when
    the review's deadline has passed."""
    findings: list[Finding] = []
    notes: list[str] = []
    confidence = CONFIDENCE_NO_CODE
    truncated = ctx.diff.truncated
    runtime_changed: list[FileChange] = []
    tests_changed = False
    review = _Review.build(ctx)
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
                tested = review.tests_removed_code(dict(review.tests).get(fc.path, ""))
                findings.append(Finding.make(
                    rule_id="logic/deleted-test", agent=AGENT, severity=Severity.minor if tested else Severity.major, path=fc.path,
                    message=f"Test file `{fc.path}` was deleted"
                    + (f" along with `{tested}`, which it tested." if tested else "."),
                    anchor=f"deleted {fc.path}",
                    suggestion="Keep the tests, or explain in the description why the behaviour they checked is gone.",
                ))
            continue  # deleting a module needs no new test; callers are the execution_paths agent's
        hits, parsed_ok = _file_hits(ctx, fc, is_test, review)
        if not parsed_ok:
            confidence = min(confidence, CONFIDENCE_REGEX)
            notes.append(f"{fc.path}: not parsed (syntax errors or too large); line-level checks only")
        hits = _drop_moved(fc, hits, added_files, added_by_file.get(fc.path, set()))
        findings.extend(_finding(h, fc.path) for h in hits)
        if _paths.is_runtime_source(fc.path) and _behaviour_changed(ctx, fc, review):
            runtime_changed.append(fc)
    return Scan(findings, runtime_changed, tests_changed, review, confidence, truncated, notes)


def _file_hits(ctx: CheckView, fc: FileChange, is_test: bool, review: _Review) -> tuple[list[Hit], bool]:
    """Hits for one added/modified/renamed code file, and whether its syntax trees were usable
    (always True for languages checked at regex level; their trees are parsed only to filter
    findings about deleted or merely renamed functions)."""
    hits: list[Hit] = []
    runtime = _paths.is_runtime_source(fc.path)
    base_path = fc.old_path or fc.path
    base_bytes = ctx.files.read("base", base_path) if fc.kind is not ChangeKind.added else None
    head_bytes = ctx.files.read("head", fc.path)

    def trees() -> tuple[Tree | None, Tree | None, bool]:
        base = _syntax.parsed(ctx.files, "base", base_path, fc.language, base_bytes)
        head = _syntax.parsed(ctx.files, "head", fc.path, fc.language, head_bytes)
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
                removed=fc.changed_old_lines(),
                added=fc.changed_new_lines(), is_test=is_test,
                base_inline=review.base_inline, head_inline=review.head_inline,
                tests_cover=lambda name: review.covers(fc, name), removed_names=review.removed_names,
                moved_tests=review.added_tests,
                defs_cache=_syntax.defs_cache(ctx.files), streams=review.streams,
            )
            for check in logic_python.CHECKS:
                hits.extend(check(pf))
            if runtime and not is_test:
                bt, ht = _text(base_bytes), _text(head_bytes)
                hits.extend(logic_calls.check_python(fc, bt, ht, lambda: logic_calls.touched_trees(ctx, fc)))
        pair_hits = [] if is_test else logic_lines.check_pairs(
            fc, returns=runtime and not parsed_ok and not _exercised(ctx, fc, review), text=review.text, head_text=_text(head_bytes),
            base_text=_text(base_bytes))
    else:
        pair_hits = [] if is_test else logic_lines.check_pairs(
            fc, returns=runtime and not _exercised(ctx, fc, review), text=review.text, head_text=_text(head_bytes),
            base_text=_text(base_bytes))
        if not is_test:
            if runtime:
                hits.extend(logic_calls.check_other(fc))
            hits.extend(logic_lines.check_removed_guards(fc))
            hits.extend(logic_lines.check_swallowed(fc))
            hits.extend(logic_lines.check_emptied_handlers(fc))
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
                pair_hits, hits = _drop_unchanged_functions(fc.language, base, head, pair_hits, hits, _syntax.defs_cache(ctx.files))
    if is_test or fc.language == "python":
        hits.extend(logic_lines.check_skip_markers(fc))
    if pair_hits and treesitter.supported(fc.language):
        _, head, ok = trees()
        if ok and head is not None and fc.language is not None:
            prose = _syntax.text_lines(head.root_node, fc.language, lines={h.line for h in pair_hits})
            pair_hits = [h for h in pair_hits if h.line not in prose]
    # One finding per spot: a flipped condition or a removed guard explains the return change.
    strong = {h.line for h in pair_hits if h.rule in _LINE_RULES_OVER_RETURN}
    guards = {h.line for h in hits if h.rule == "logic/removed-guard"}
    gone = {h.old_line for h in hits if h.rule in ("logic/removed-guard", "logic/swallowed-exception") and h.old_line is not None}

    def redundant(h: Hit) -> bool:
        return h.rule == "logic/changed-return" and (
            h.line in strong or (h.old_line is not None and (h.line in guards or h.old_line in gone))
        )

    return [h for h in pair_hits + hits if not redundant(h)], parsed_ok


_ADDED_TEST_DEF = re.compile(
    r"^\s*(?:(?:async\s+)?def\s+test\w*\s*\(|func\s+(?:Test|Benchmark|Fuzz)\w*\s*\(|"
    r"x?(?:it|test)(?:\.only|\.each\([^)]*\))?\s*\(\s*['\"`])"
)
"""An added line that defines a test: Python ``def test_*``, Go ``func TestX``, JS/TS ``it(``/``test(``."""


def _rewritten_tests(ctx: CheckView, findings: list[Finding], notes: list[str]) -> list[Finding]:
    """Deleted tests in a change that adds at least as many new tests were rewritten, not dropped:
    their ``logic/deleted-test`` findings become info (the check run lists them; nothing is posted
    inline). On the findings corpus (evals/findings) this demotes 9 false findings (tests renamed,
    split into parameterised ones, rewritten in another syntax) and 2 true ones (zod #5575 commented
    one test out and dropped another while adding 4): the recall cost is stated, not hidden."""
    deleted = [f for f in findings if f.rule_id == "logic/deleted-test" and f.message.startswith("Test `")
               and f.severity is not Severity.info]
    if not deleted:
        return findings
    added = sum(1 for fc in ctx.diff.files if _paths.is_test_path(fc.path)
                for ln in fc.added_lines() if _ADDED_TEST_DEF.match(ln.text))
    if added < len(deleted):
        return findings
    notes.append(f"{len(deleted)} deleted test(s) reported as info: the change adds {added} new test(s)")
    ids = {f.id for f in deleted}
    return [f.model_copy(update={"severity": Severity.info, "message": f"{f.message} The change adds {added} new "
                                 "test(s): probably rewritten."}) if f.id in ids else f for f in findings]


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


def _drop_unchanged_functions(
    lang: str, base: Tree, head: Tree, pair_hits: list[Hit], hits: list[Hit], cache: dict | None = None,
) -> tuple[list[Hit], list[Hit]]:
    """For regex-level languages with a syntax tree: drop removed-code findings inside functions
    that were deleted as a whole, and changed-return findings inside functions whose code is the
    same up to a consistent renaming."""
    bdefs = _syntax.definitions(base.root_node, lang, cache=cache)
    hdefs = _syntax.definitions(head.root_node, lang, cache=cache)
    deleted = [(d.start, d.end) for q, d in bdefs.items() if q not in hdefs]
    same_cache: dict[str, bool] = {}

    def renamed_only(line: int) -> bool:
        for q, hd in hdefs.items():
            if hd.start <= line <= hd.end and q in bdefs:
                if q not in same_cache:
                    a, b = _canonical.canonical(bdefs[q].node, python=False), _canonical.canonical(hd.node, python=False)
                    same_cache[q] = a == b or _canonical.rename_map(a, b) is not None
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


def _behaviour_changed(ctx: CheckView, fc: FileChange, review: _Review) -> bool:
    """True unless the file's code is unchanged up to layout, comments, docstrings, equivalent
    boolean rewrites and extracted/inlined helpers, or the change only deletes whole functions
    or classes (removing code needs no new test). Import edits that change behaviour count (see
    :mod:`subagents.logic_imports`): a removed re-export, a ``typing_extensions`` import moved
    into or out of module level."""
    if fc.kind is ChangeKind.added:
        return True
    base_path = fc.old_path or fc.path
    base_bytes = ctx.files.read("base", base_path)
    head_bytes = ctx.files.read("head", fc.path)
    base_tree = _syntax.parsed(ctx.files, "base", base_path, fc.language, base_bytes)
    head_tree = _syntax.parsed(ctx.files, "head", fc.path, fc.language, head_bytes)
    py = fc.language == "python"
    cmp = _canonical.compare(
        fc.language, base_bytes, head_bytes, base_tree=base_tree, head_tree=head_tree,
        base_ranges=_syntax.hunk_ranges(fc.hunks, "base"), head_ranges=_syntax.hunk_ranges(fc.hunks, "head"),
        base_inline=review.base_inline if py else None, head_inline=review.head_inline if py else None,
        memo=review.streams,
    )
    if cmp.level is Level.same or (py and logic_imports.only_reorders_imports(fc, base_bytes, head_bytes)):
        return False
    if py and logic_typing.same_without_annotations(base_bytes, head_bytes, base_tree, head_tree):
        return logic_imports.typing_dependency_changed(base_bytes, head_bytes)
    if not _syntax.only_removes_definitions(
        fc.language, base_tree, head_tree, [ln.text for ln in fc.added_lines()],
        [(ln.old_lineno, ln.text) for ln in fc.removed_lines() if ln.old_lineno is not None], cache=_syntax.defs_cache(ctx.files),
    ):
        return True
    return py and bool(logic_imports.removed_reexports(fc.path, base_bytes, head_bytes))


def _new_test_names(ctx: CheckView, fc: FileChange, cache: dict) -> set[str]:
    """Simple names of test functions defined in the head of test file ``fc`` but not in its base."""
    base_path = fc.old_path or fc.path
    bt = _syntax.parsed(ctx.files, "base", base_path, "python", ctx.files.read("base", base_path)) if fc.kind is not ChangeKind.added else None
    ht = _syntax.parsed(ctx.files, "head", fc.path, "python", ctx.files.read("head", fc.path))
    if ht is None:
        return set()
    before = set(_syntax.definitions(bt.root_node, "python", cache=cache)) if bt is not None else set()
    return {q.split("#")[0].rsplit(".", 1)[-1] for q in _syntax.definitions(ht.root_node, "python", cache=cache) if q not in before}


def _defined_names(tree: Tree, lang: str, cache: dict | None = None) -> frozenset[str]:
    """Names of the functions, methods and classes defined in ``tree`` (:func:`subagents._syntax.defined_names`)."""
    return _syntax.defined_names(tree.root_node, lang, cache=cache)


@dataclass
class _Review:
    """Facts about the whole change that per-file checks use: the pull request's text, helpers
    that exist on one side only (extract/inline-function refactors, see
    :func:`subagents._canonical.one_sided_helpers`) and the test files it changes."""

    text: str
    base_inline: dict[str, _canonical.Helper]
    head_inline: dict[str, _canonical.Helper]
    tests: list[tuple[str, str]]
    """(path, head text, or base text for a deleted test) of every changed test file."""
    removed_names: frozenset[str] = frozenset()
    """Functions and classes of runtime code that the change deletes (not defined in any head
    file); only collected when some test file lost lines."""
    added_tests: frozenset[str] = frozenset()
    """Names of Python test functions that the change adds to some test file (a test deleted from
    one file and added under the same name to another moved)."""
    exercising: tuple[str, ...] = ()
    """Per changed (not deleted) test file: the test code the change adds or edits (its added lines
    and the whole test functions around them). A changed test counts as covering runtime code only
    when this text references the changed code, not because it sits in the module's test file."""
    memo: dict[tuple[str, ...], object] = field(default_factory=dict, repr=False, compare=False)
    """Answers computed once per review: :func:`_candidates` of a file, :func:`_function_changed`
    of a function."""
    streams: _canonical.StreamMemo = field(default_factory=_canonical.StreamMemo, repr=False, compare=False)
    """Canonical streams of whole nodes, shared by the returns check, :func:`_behaviour_changed`
    and :func:`_changed_functions`."""

    def tests_removed_code(self, text: str) -> str | None:
        """The first deleted runtime name (see :attr:`removed_names`) that test ``text`` uses."""
        for name in sorted(self.removed_names):
            if re.search(r"\b" + re.escape(name) + r"\b", text):
                return name
        return None

    @classmethod
    def build(cls, ctx: CheckView) -> _Review:
        """Collect the facts from ``ctx`` (parses every changed Python file once, cached)."""
        base_inline: dict[str, _canonical.Helper] = {}
        head_inline: dict[str, _canonical.Helper] = {}
        clash: set[str] = set()
        tests: list[tuple[str, str]] = []
        exercising: list[str] = []
        defined_base: set[str] = set()
        defined_head: set[str] = set()
        added_tests: set[str] = set()
        cache = _syntax.defs_cache(ctx.files)
        tests_lost = any(
            _paths.is_test_path(fc.path) and _paths.is_code_path(fc.path) and fc.deletions > 0 for fc in ctx.diff.files
        )
        for fc in ctx.diff.files:
            if fc.is_binary or fc.is_submodule:
                continue
            if _paths.is_test_path(fc.path) and _paths.is_code_path(fc.path):
                side, path = ("base", fc.old_path or fc.path) if fc.kind is ChangeKind.deleted else ("head", fc.path)
                tests.append((fc.path, _text(ctx.files.read(side, path)) or ""))
                if fc.kind is not ChangeKind.deleted:
                    exercising.append(_exercising_text(fc, tests[-1][1]))
                if tests_lost and fc.language == "python" and fc.kind is not ChangeKind.deleted:
                    added_tests |= _new_test_names(ctx, fc, cache)
                continue
            if not fc.language or not _paths.is_runtime_source(fc.path) or not treesitter.supported(fc.language):
                continue
            bb = ctx.files.read("base", fc.old_path or fc.path) if fc.kind is not ChangeKind.added else None
            hb = ctx.files.read("head", fc.path) if fc.kind is not ChangeKind.deleted else None
            bt = _syntax.parsed(ctx.files, "base", fc.old_path or fc.path, fc.language, bb)
            ht = _syntax.parsed(ctx.files, "head", fc.path, fc.language, hb)
            for tree, acc in ((bt, defined_base), (ht, defined_head)):
                if tree is not None and tests_lost:
                    acc |= _defined_names(tree, fc.language, cache)
            if fc.language != "python":
                continue
            if (bt is not None and bt.root_node.has_error) or (ht is not None and ht.root_node.has_error):
                continue
            b, h = _canonical.one_sided_helpers(bt.root_node if bt else None, ht.root_node if ht else None, cache=_syntax.defs_cache(ctx.files))
            for acc, new in ((base_inline, b), (head_inline, h)):
                clash |= set(acc) & set(new)
                acc.update(new)
        py_files = [fc for fc in ctx.diff.files if fc.language == "python"]
        base_inline, head_inline = _canonical.called_helpers(
            {k: v for k, v in base_inline.items() if k not in clash and k not in head_inline},
            {k: v for k, v in head_inline.items() if k not in clash and k not in base_inline},
            [ln.text for fc in py_files for ln in fc.removed_lines()], [ln.text for fc in py_files for ln in fc.added_lines()],
        )
        return cls(
            text=f"{ctx.pr.title}\n{ctx.pr.body}"[:20_000],
            base_inline=base_inline,
            head_inline=head_inline,
            tests=tests,
            removed_names=frozenset(n for n in defined_base - defined_head if len(n) > 2),
            added_tests=frozenset(added_tests),
            exercising=tuple(exercising),
            streams=_canonical.review_streams(ctx.files),
        )

    def covers(self, fc: FileChange, name: str | None) -> bool:
        """True when test code that this change adds or edits exercises ``fc``: it references the
        function ``name`` (when given), else imports or names the module. Being in the module's test
        file, or in its Go package, is not enough: an unrelated test added there covers nothing."""
        if not self.exercising:
            return False
        if name and len(name) > 2:
            called = re.compile(r"\b" + re.escape(name) + r"\b")
            return any(called.search(t) for t in self.exercising)
        stem = _paths.module_stem(fc.path)
        mention = re.compile(r"\b" + re.escape(stem) + r"\b", re.IGNORECASE) if stem else None
        return mention is not None and any(mention.search(t) for t in self.exercising)

    def exercises_any(self, names: list[str]) -> bool:
        """True when changed test code references one of ``names`` (function names of 3+ characters)."""
        pats = [re.compile(r"\b" + re.escape(n) + r"\b") for n in names if len(n) > 2]
        return any(p.search(t) for p in pats for t in self.exercising)


_BLOCK_START = re.compile(r"^(\s*)(?:async\s+def|def|func|class)\b|^(\s*)(?:it|test|describe|t\.Run)\s*\(")
MAX_TEST_BLOCK_LINES = 400
"""At most this many lines of one enclosing test function are read."""


def _exercising_text(fc: FileChange, head_text: str) -> str:
    """The added lines of a changed test file plus the whole test functions (``def``/``func``/``it(``
    blocks, by indentation or up to the next block start) that enclose them.

    An added line's block starts at the last block-start line at or above it, at most
    :data:`MAX_TEST_BLOCK_LINES` lines up; the added lines are taken in order, so each line of the
    file is matched against :data:`_BLOCK_START` at most once (:class:`_BlockStarts`), and each
    block is read once however many added lines it holds (a new test file adds thousands)."""
    lines = head_text.splitlines()
    added = sorted(ln.new_lineno for ln in fc.added_lines() if ln.new_lineno is not None and ln.text.strip())
    picked: set[int] = set(added)
    starts = _BlockStarts(lines)
    read: set[int] = set()
    for n in added:
        start = starts.last(min(n, len(lines)), max(0, n - MAX_TEST_BLOCK_LINES))
        if start is None or start in read:
            continue
        read.add(start)
        indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
        end = start
        while end < min(len(lines), start + MAX_TEST_BLOCK_LINES):
            nxt = lines[end]
            if nxt.strip() and (len(nxt) - len(nxt.lstrip())) <= indent and _BLOCK_START.match(nxt):
                break
            if nxt.strip() and (len(nxt) - len(nxt.lstrip())) < indent:
                break
            end += 1
        picked.update(range(start, end + 1))
    return "\n".join(lines[i - 1] for i in sorted(picked) if 0 < i <= len(lines))


class _BlockStarts:
    """Block-start lines (:data:`_BLOCK_START`) of ``lines`` for a run of non-decreasing queries
    (:meth:`last`), remembering the previous answer so the file is scanned upwards only once."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._top = 0
        """Lines ``1.._top`` were searched by the previous query (0: none yet)."""
        self._found: int | None = None
        """The previous query's answer: the last block start at or above ``_top`` (above its floor)."""

    def last(self, top: int, floor: int) -> int | None:
        """The greatest 1-based line number ``i`` with ``floor < i <= top`` whose line starts a
        block, or None. ``top`` and ``floor`` must not decrease from one call to the next."""
        lines = self._lines
        for i in range(top, max(floor, self._top), -1):
            if _BLOCK_START.match(lines[i - 1]):
                self._top, self._found = top, i
                return i
        found = self._found if self._top > floor and self._found is not None and self._found > floor else None
        self._top, self._found = top, found
        return found


def _exercised(ctx: CheckView, fc: FileChange, review: _Review) -> bool:
    """True when test code the change adds or edits references the changed code of ``fc``: a
    function whose code changed, a function around a changed line, a function added, or a function
    the added lines call (a caller updated for a renamed callee is exercised through it). When no
    function is involved (module-level constants, imports, ``__all__``), the test code the change
    adds or edits must name something on the changed lines or the module itself: a test added to a
    file that merely imports the module exercises nothing."""
    if not review.exercising:
        return False
    # The names of _changed_symbols, the changed functions last: whether a function changed needs
    # its canonical streams, so only those the test code names are compared (the answer is the same
    # as for the whole list: any name referenced; the fallback when there is no name at all).
    names = _changed_symbols(ctx, fc, review)
    if review.exercises_any(names):
        return True
    candidates = _candidates(ctx, fc, review)
    if any(_function_changed(ctx, fc, review, q) for q, name in candidates if review.exercises_any([name])):
        return True
    if names or any(_function_changed(ctx, fc, review, q) for q, _ in candidates):
        return False
    return review.exercises_any(logic_imports.changed_line_names(fc)) or review.covers(fc, None)


_NOT_CALLEES = frozenset({"if", "for", "while", "return", "print", "len", "str", "int", "list", "dict", "set", "tuple",
                          "range", "super", "isinstance", "format", "append", "get", "items", "join", "split", "strip"})


def _changed_symbols(ctx: CheckView, fc: FileChange, review: _Review) -> list[str]:
    """Names a test must reference to exercise ``fc``'s change (see :func:`_exercised`), but those
    of the functions whose code changed (:func:`_changed_functions`): functions added, functions
    around a changed line, functions the added lines call."""
    names = _added_functions(ctx, fc)
    if fc.language:
        for side, lines in (("head", {ln.new_lineno for ln in fc.added_lines() if ln.new_lineno}),
                            ("base", {ln.old_lineno for ln in fc.removed_lines() if ln.old_lineno})):
            if not lines or (side == "base" and fc.kind is ChangeKind.added) or (side == "head" and fc.kind is ChangeKind.deleted):
                continue
            tree = ctx.files.change_tree(fc, side)
            if tree is None:
                continue
            names += _names_touching(_syntax.definitions(tree.root_node, fc.language, cache=_syntax.defs_cache(ctx.files)), lines)
    for ln in fc.added_lines():
        names += [m for m in re.findall(r"([A-Za-z_]\w{3,})\s*\(", ln.text) if m not in _NOT_CALLEES]
    return list(dict.fromkeys(names))


def _names_touching(defs: dict[str, _syntax.Definition], lines: set[int]) -> list[str]:
    """Simple names of the definitions ``defs`` (in their order) whose lines hold one of the 1-based
    ``lines``: one search of the sorted lines per definition (a scan of every changed line per
    definition cost more than the rest of the check on large new files)."""
    ordered = sorted(lines)
    out = []
    for q, d in defs.items():
        i = bisect.bisect_left(ordered, d.start)
        if i < len(ordered) and ordered[i] <= d.end:
            out.append(q.split("#")[0].rsplit(".", 1)[-1])
    return out


def _added_functions(ctx: CheckView, fc: FileChange) -> list[str]:
    """Names of functions defined on added lines of ``fc`` (``def name``/``func name``/``function name``)."""
    out = []
    for ln in fc.added_lines():
        m = re.match(r"\s*(?:async\s+)?(?:def|func|function)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)", ln.text)
        if m:
            out.append(m.group(1))
    return out


def _untested(files: list[FileChange], stale: tuple[str, str] | None, *, tests_changed: bool = False,
              related: bool = False) -> Finding:
    """``logic/untested-behaviour-change``: minor; major when ``stale`` names an existing test file
    and a changed function it calls (the change left that test as it was). Info when the test code
    the change adds or edits is ``related``: it names a changed module or something that module
    defines, only not the changed functions (see :func:`_tests_name_modules`). The finding still
    holds approval (``auto_approve.hold_rules`` selects it at any severity), but it is not posted
    inline, because such tests usually exercise the change through a public API (on the findings
    corpus, 44 of 45 such findings were false or not worth a comment). Test code that names none
    of the changed modules (a trivially true test added to the module's test file) exercises
    nothing: the finding stays minor."""
    first = files[0]
    line, _ = first_code_line(first) if first.kind is not ChangeKind.deleted else (None, "")
    names = ", ".join(f"`{f.path}`" for f in files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    if tests_changed and related:
        message = f"Runtime code changed ({names}) and the tests this change adds or edits do not exercise it."
    elif tests_changed:
        message = (f"Runtime code changed ({names}) and the test code this change adds or edits references none "
                   "of the changed modules.")
    else:
        message = f"Runtime code changed ({names}) but no test file did."
    if stale is not None:
        message += f" `{stale[0]}` tests `{stale[1]}()`, whose code changed, and was not updated."
    return Finding.make(
        rule_id="logic/untested-behaviour-change", agent=AGENT,
        severity=Severity.info if related and not stale else Severity.major if stale else Severity.minor,
        message=message,
        path=first.path if first.kind is not ChangeKind.deleted else None, line=line,
        anchor="untested-behaviour-change",
        evidence=[f.path for f in files[:20]],
        suggestion="Add or update a test that fails without this change.",
    )


def _tests_name_modules(ctx: CheckView, files: list[FileChange], review: _Review) -> bool:
    """True when the test code the change adds or edits (:attr:`_Review.exercising`) names one of
    the changed modules of ``files`` (its stem, 3+ characters) or a function or class that module
    defines at the head (4+ characters, not a generic name such as ``get``): such a test may
    exercise the change through the module's public API. A test that names none of them (an
    unrelated test added to the module's test file) does not."""
    if not review.exercising:
        return False
    words: set[str] = set()
    for fc in files:
        stem = _paths.module_stem(fc.path)
        if len(stem) > 2:
            words.add(stem)
        if not fc.language or fc.kind is ChangeKind.deleted:
            continue
        tree = _syntax.parsed(ctx.files, "head", fc.path, fc.language, ctx.files.read("head", fc.path))
        if tree is not None:
            words |= {n for n in _defined_names(tree, fc.language, _syntax.defs_cache(ctx.files))
                      if len(n) > 3 and n.lower() not in _GENERIC_NAMES and not n.startswith("__")}
    found = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", "\n".join(review.exercising)))
    lowered = {w.lower() for w in found}
    return any(w in found or w.lower() in lowered for w in words)


MAX_STALE_TEST_BYTES = 400_000
"""Existing test files larger than this are not read when looking for a stale test."""


_NO_NEW_BEHAVIOUR = re.compile(
    r"\b(remov(e|es|ed|ing)|drop(s|ped|ping)?|delet(e|es|ed|ing)|deprecat\w*|typ(e|es|ing)|annotat\w*|pyright|mypy|"
    r"lint\w*|clean\s*-?up|cleanups?|bump(s|ed)?|upgrade[sd]?|refactor\w*|rename[sd]?|python\s*\d|py\d+|"
    r"support\s+for\s+python|compat\w*|style|format\w*)\b",
    re.IGNORECASE,
)
"""Titles of changes that remove, type, modernise or restyle code: leaving their tests alone is expected."""
_GENERIC_NAMES = frozenset({"open", "get", "set", "run", "main", "call", "load", "save", "read", "write", "close", "init",
                            "update", "parse", "setup", "start", "stop", "send", "handle", "process", "create", "delete"})


def _stale_test(ctx: CheckView, files: list[FileChange], review: _Review) -> tuple[str, str] | None:
    """``(test path, function)`` when an existing test file named after a changed module (``test_rank.py``
    for ``rank.py``) calls a function of that module whose code changed; None otherwise, and None
    for titles of changes that remove, type or restyle code (see :data:`_NO_NEW_BEHAVIOUR`).
    Dunder methods and generic names (``open``, ``get``...) do not count."""
    if _NO_NEW_BEHAVIOUR.search(ctx.pr.title or ""):
        return None
    by_module: dict[str, list[str]] = {}
    # Only the changed modules' tests are looked up below. A test file's subject is a contiguous
    # part of its file name, lower-cased (module_under_test cuts an anchored prefix or suffix), so
    # a file whose lower-cased name holds no changed module's stem cannot be one of them: the
    # repository's other thousands of paths are skipped before the test-path patterns run.
    stems = {_paths.module_stem(fc.path) for fc in files}
    for path in ctx.repository_paths("base"):
        name = path[path.rfind("/") + 1:].lower()
        if not any(stem in name for stem in stems):
            continue
        subject = _paths.module_under_test(path)
        if subject and _paths.is_code_path(path):
            by_module.setdefault(subject, []).append(path)
    for fc in files:
        tests = by_module.get(_paths.module_stem(fc.path), [])
        if not tests:
            continue
        # The first changed function (in _changed_functions' order) that the test calls: whether
        # a function changed is asked only of those it calls.
        named = [(q, name) for q, name in _candidates(ctx, fc, review)
                 if not (len(name) < 4 or name.startswith("__") or name.lower() in _GENERIC_NAMES)]
        if not named:
            continue
        for path in tests[:3]:
            data = ctx.files.read("base", path)
            if data is None or len(data) > MAX_STALE_TEST_BYTES:
                continue
            text = data.decode("utf-8", "replace")
            for q, name in named:
                if re.search(r"\b" + re.escape(name) + r"\s*\(", text) and _function_changed(ctx, fc, review, q):
                    return path, name
    return None


def _changed_functions(ctx: CheckView, fc: FileChange, review: _Review) -> list[str]:
    """Names of functions present on both sides of ``fc`` whose code differs (beyond layout,
    renames and extracted helpers), in the head's order (a new list each call)."""
    return [name for q, name in _candidates(ctx, fc, review) if _function_changed(ctx, fc, review, q)]


def _candidates(ctx: CheckView, fc: FileChange, review: _Review) -> list[tuple[str, str]]:
    """``(qualified name, simple name)`` of the functions present on both sides of ``fc`` whose
    source text differs (in an error-free pair of trees; every common function otherwise), in the
    head's order: the functions that may have changed. Computed once per file and review."""
    key = ("candidates", fc.old_path or "", fc.path)
    if key not in review.memo:
        review.memo[key] = _compute_candidates(ctx, fc, review)
    return review.memo[key]  # type: ignore[return-value]


def _trees(ctx: CheckView, fc: FileChange) -> tuple[Tree | None, Tree | None]:
    base_path = fc.old_path or fc.path
    return (_syntax.parsed(ctx.files, "base", base_path, fc.language, ctx.files.read("base", base_path)),
            _syntax.parsed(ctx.files, "head", fc.path, fc.language, ctx.files.read("head", fc.path)))


def _compute_candidates(ctx: CheckView, fc: FileChange, review: _Review) -> list[tuple[str, str]]:
    if not fc.language or fc.kind is ChangeKind.added:
        return []
    bt, ht = _trees(ctx, fc)
    if bt is None or ht is None:
        return []
    py = fc.language == "python"
    cache = _syntax.defs_cache(ctx.files)
    bdefs, hdefs = _syntax.definitions(bt.root_node, fc.language, cache=cache), _syntax.definitions(ht.root_node, fc.language, cache=cache)
    error_free = not bt.root_node.has_error and not ht.root_node.has_error
    helper_names = [n.encode() for n in (*review.base_inline, *review.head_inline)] if py else []
    out = []
    for q, hd in hdefs.items():
        bd = bdefs.get(q)
        if bd is None:
            continue
        if error_free and _syntax.same_source(bd.node, hd.node, helper_names):
            continue  # the same code (canonical streams of equal text in error-free trees are equal)
        out.append((q, q.split("#")[0].rsplit(".", 1)[-1]))
    return out


def _function_changed(ctx: CheckView, fc: FileChange, review: _Review, q: str) -> bool:
    """Whether candidate ``q`` (:func:`_candidates`) of ``fc`` changed: its canonical streams
    differ beyond a consistent renaming (helpers inlined in Python). Computed once per review."""
    key = ("changed", fc.old_path or "", fc.path, q)
    if key not in review.memo:
        bt, ht = _trees(ctx, fc)
        assert bt is not None and ht is not None
        py = fc.language == "python"
        cache = _syntax.defs_cache(ctx.files)
        bd = _syntax.definitions(bt.root_node, fc.language, cache=cache)[q]
        hd = _syntax.definitions(ht.root_node, fc.language, cache=cache)[q]
        language = fc.language if not bt.root_node.has_error and not ht.root_node.has_error else None
        a = review.streams.stream(bd.node, python=py, inline=review.base_inline if py else None, language=language)
        b = review.streams.stream(hd.node, python=py, inline=review.head_inline if py else None, language=language)
        review.memo[key] = a != b and _canonical.rename_map(a, b) is None  # type: ignore[assignment]
    return review.memo[key]  # type: ignore[return-value]
