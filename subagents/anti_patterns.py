"""The ``anti_patterns`` sub-agent: the tree-sitter rule catalog (``rules/catalog``) run on the
head revision of each changed file, reporting only matches that touch lines the PR adds, or that
enclose a place where the PR only removed lines (a hunk with removals and no additions: deleting
the ``return err`` from ``if err != nil { return err }`` leaves an empty error check).

Deterministic and offline: parsing only, never importing or running the code under review.
Each file is read once and parsed once; all rules of its language run in one query pass.

Generated, minified and vendored files are skipped (with a note): a ``DO NOT EDIT`` marker near
the top (Go's ``// Code generated ... DO NOT EDIT.``, protoc), ``*.min.js``-style names,
``node_modules/``, ``vendor/``, ``third_party/`` directories, or an average line longer than
400 bytes. At most ``MAX_PER_RULE_PER_FILE`` findings per rule and file are reported (the rest
are counted in a note).

Options (``ctx.options["anti_patterns"]``, from the policy):

- ``disable``: rule selectors not to report (e.g. ``["QPY016"]``, ``tag:debugging``); validated
  against the rule registry when the policy loads (:mod:`bot.core.agent_options`). Disabled
  rules' queries do not run.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections import Counter

from bot.core.catalog import Catalog, Match, Rule, default_catalog
from bot.core.context import ReviewContext
from bot.core.diff import ChangeKind, FileChange, LineKind
from bot.core.languages import language_for_path
from bot.core.registry import default_registry
from bot.core.models import Finding, Severity
from subagents._paths import is_code_path, is_test_path
from subagents.base import Analysis, SubAgent
from subagents.lint_checks import run_lint_checks

MAX_FILE_BYTES = 1_000_000
"""Head files larger than this are not parsed; the analysis is then marked truncated."""

CONFIDENCE_FULL = 0.9
"""Confidence when every changed code file is in a language the catalog covers."""

CONFIDENCE_PARTIAL = 0.6
"""Confidence when some changed code file is in a language without rules (e.g. C, shell)."""

MAX_PER_RULE_PER_FILE = 20
"""Findings of one rule in one file beyond this count are summarised in a note, not reported."""

_MAX_LISTED = 5
_VENDOR_DIRS = frozenset({"node_modules", "vendor", "third_party", "bower_components"})
_MINIFIED_NAME = re.compile(r"\.(min|bundle)\.[cm]?js$|\.min\.[cm]?ts$")
_GENERATED_MARK = re.compile(rb"DO NOT EDIT|@generated\b")


class AntiPatternsAgent(SubAgent):
    """Reports catalog rule matches on added lines, or enclosing lines that were only removed.

    ``catalog`` defaults to the packaged catalog (loaded and compiled once per process);
    ``max_file_bytes`` caps the size of a head file that is parsed.
    """

    name = "anti_patterns"

    def __init__(self, catalog: Catalog | None = None, *, max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self.catalog = catalog if catalog is not None else default_catalog()
        self.max_file_bytes = max_file_bytes

    def analyze(self, ctx: ReviewContext) -> Analysis:
        """Run the catalog over each changed text file; see the module docstring.

        Findings carry the rule's severity and message, the head line span of the match, and the
        first line of the rule's ``use_instead`` advice as ``suggestion``. Never raises for bad
        input (non-UTF-8 or malformed source parses into error nodes).
        """
        options = ctx.agent_options(self.name)
        registry = default_registry()
        notes: list[str] = []
        enabled = [r.id for r in self.catalog.rules if options.reports(r.id, registry)]
        languages = self.catalog.languages()

        revert = is_revert(ctx.pr.title, ctx.pr.body)
        if revert:
            notes.append("a revert: matches on restored lines are reported as info")
        findings: list[Finding] = []
        uncovered: list[str] = []
        oversized: list[str] = []
        generated: list[str] = []
        capped: Counter[str] = Counter()
        truncated = False
        checked = 0
        linted: list[FileChange] = []
        for change in ctx.text_files():
            added = sorted(change.changed_new_lines())
            gaps = _removal_gaps(change)
            if not added and not gaps:
                continue
            language = change.language or language_for_path(change.path)
            if language not in languages:
                if added and is_code_path(change.path):
                    uncovered.append(change.path)
                continue
            left = ctx.time_left()
            if left is not None and left <= 0:
                truncated = True
                notes.append(f"deadline reached after {checked} file(s); remaining files not checked")
                break
            data = ctx.files.read("head", change.path)
            if data is None:
                continue
            if len(data) > self.max_file_bytes:
                truncated = True
                oversized.append(change.path)
                continue
            if _is_generated(change.path, data):
                generated.append(change.path)
                continue
            matches = self.catalog.match(
                language, data, path=change.path, rule_ids=enabled, is_test=is_test_path(change.path),
                tree=ctx.files.tree("head", change.path, language),  # parsed once per review, shared
            )
            if added:
                linted.append(change)
            found = self._findings(change, data, matches, added, gaps, capped)
            if revert and found:
                found = [_restored(f) for f in found]
            findings.extend(found)
            checked += 1

        lint = run_lint_checks(ctx, linted, registry, options, restored=revert)
        findings.extend(lint.findings)
        notes.extend(lint.notes)
        truncated = truncated or lint.truncated
        if oversized:
            notes.append(
                f"truncated: {len(oversized)} file(s) over {self.max_file_bytes} bytes not parsed: "
                + _listing(oversized)
            )
        if generated:
            notes.append(f"skipped {len(generated)} generated, minified or vendored file(s): " + _listing(generated))
        if capped:
            notes.append(
                f"{sum(capped.values())} further match(es) not reported (over {MAX_PER_RULE_PER_FILE} "
                "per rule and file): " + _listing([f"{k} x{v}" for k, v in sorted(capped.items())])
            )
        confidence = CONFIDENCE_FULL
        if uncovered:
            confidence = CONFIDENCE_PARTIAL
            notes.append(f"no anti-pattern rules for {len(uncovered)} changed code file(s): " + _listing(uncovered))
        return Analysis(findings=findings, confidence=confidence, truncated=truncated, notes=notes)

    def _findings(
        self,
        change: FileChange,
        data: bytes,
        matches: list[Match],
        added: list[int],
        gaps: list[int],
        capped: Counter[str],
    ) -> list[Finding]:
        """Findings for matches overlapping ``added`` lines or enclosing a removal gap (see
        :func:`_removal_gaps`); over-cap counts go to ``capped``."""
        if not matches:
            return []
        lines = data.split(b"\n")
        seen: Counter[tuple[str, str]] = Counter()
        per_rule: Counter[str] = Counter()
        out: list[Finding] = []
        for m in matches:  # sorted by line: occurrence numbers are stable for a given file content
            text = lines[m.line - 1].decode("utf-8", "replace").strip() if m.line <= len(lines) else m.text
            seen[(m.rule_id, text)] += 1
            if not (_overlaps(added, m.line, m.end_line) or any(m.line <= g < m.end_line for g in gaps)):
                continue
            rule = self.catalog.get(m.rule_id)
            if rule is None:  # pragma: no cover - matches only come from catalog rules
                continue
            per_rule[m.rule_id] += 1
            if per_rule[m.rule_id] > MAX_PER_RULE_PER_FILE:
                capped[f"{m.rule_id} in {change.path}"] += 1
                continue
            n = seen[(m.rule_id, text)]
            finding = _finding(rule, change.path, m, text if n == 1 else f"{text} #{n}")
            if m.rule_id == "QPY003" and (name := _mutated_default(lines, m)) is not None:
                finding = finding.model_copy(update={
                    "severity": Severity.major,
                    "message": f"{finding.message} The function mutates `{name}`, so every call shares the changes.",
                })
            out.append(finding)
        return out


def _finding(rule: Rule, path: str, m: Match, anchor: str) -> Finding:
    return Finding.make(
        rule_id=rule.id,
        agent=AntiPatternsAgent.name,
        severity=rule.severity,
        message=rule.message,
        path=path,
        line=m.line,
        end_line=m.end_line,
        anchor=anchor,
        suggestion=rule.docs.suggestion(),
    )


_MUTATING = r"(?:\.(?:append|extend|add|update|insert|setdefault|pop|popitem|remove|clear|discard|appendleft|popleft|sort|reverse)\s*\(|\[[^\]\n]*\]\s*=(?!=)|\s*(?:\+|\||-|&)=)"


def _mutated_default(lines: list[bytes], m: Match) -> str | None:
    """For a QPY003 match (a mutable default value): the parameter's name when the function body
    mutates it (``tags.append(x)``, ``seen[k] = v``, ``acc += [x]``), else None. Reads the enclosing
    ``def`` by indentation (Python); at most 400 lines."""
    text = [ln.decode("utf-8", "replace") for ln in lines]
    row = m.line - 1
    pm = re.search(r"(\w+)\s*(?::[^=,()]+)?=\s*" + re.escape(m.text.split("\n")[0][:40]), text[row] if row < len(text) else "")
    if pm is None:
        return None
    name = pm.group(1)
    start = next((i for i in range(row, max(-1, row - 50), -1) if re.match(r"\s*(?:async\s+)?def\b", text[i])), None)
    if start is None:
        return None
    indent = len(text[start]) - len(text[start].lstrip())
    body: list[str] = []
    for line in text[row + 1: row + 401]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return name if re.search(r"\b" + re.escape(name) + _MUTATING, "\n".join(body)) else None


_REVERT_TITLE = re.compile(r'^Revert\s+"')
_REVERT_BODY = re.compile(r"\bThis reverts commit [0-9a-f]{7,40}\b|^Reverts [\w.-]+/[\w.-]+#\d+", re.MULTILINE)


def is_revert(title: str, body: str) -> bool:
    """True for a revert made by git (``Revert "..."`` + ``This reverts commit <sha>``) or by GitHub's
    revert button (``Revert "..."`` + ``Reverts owner/repo#N``)."""
    return bool(_REVERT_TITLE.match(title or "")) and bool(_REVERT_BODY.search(body or ""))


def _restored(f: Finding) -> Finding:
    """A match on a line a revert restores: the code was there (and reviewed) before; info, not a defect."""
    if f.severity is Severity.info:
        return f
    return f.model_copy(update={"severity": Severity.info, "message": f"{f.message} (restored by this revert)"})


def _is_generated(path: str, data: bytes) -> bool:
    """Heuristic: generated (marker in the first 1 KB), minified, or vendored third-party code."""
    parts = path.split("/")
    if any(p in _VENDOR_DIRS for p in parts[:-1]) or _MINIFIED_NAME.search(posixpath.basename(path)):
        return True
    if _GENERATED_MARK.search(data[:1024]):
        return True
    return len(data) >= 4096 and len(data) / (data.count(b"\n") + 1) > 400


def _removal_gaps(change: FileChange) -> list[int]:
    """Head positions of removed-only blocks: for each run of removed lines in a hunk that adds
    nothing, the head line just before the run (0 at the top of the file). The removed lines sat
    between head lines ``g`` and ``g + 1``; a match spanning both encloses the removal. Empty for a
    deleted file."""
    if change.kind is ChangeKind.deleted:
        return []
    gaps: list[int] = []
    for hunk in change.hunks:
        if hunk.added() or not hunk.removed():
            continue
        # ``+c,0``: the removal comes after head line c; otherwise the hunk starts at head line c
        prev = hunk.target_start if hunk.target_length == 0 else hunk.target_start - 1
        in_run = False
        for ln in hunk.lines:
            if ln.kind is LineKind.removed:
                if not in_run:
                    gaps.append(prev)
                in_run = True
            else:
                in_run = False
                prev = ln.new_lineno if ln.new_lineno is not None else prev
    return gaps


def _overlaps(sorted_lines: list[int], start: int, end: int) -> bool:
    """True when some value of ``sorted_lines`` lies in ``[start, end]``."""
    i = bisect.bisect_left(sorted_lines, start)
    return i < len(sorted_lines) and sorted_lines[i] <= end


def _listing(paths: list[str]) -> str:
    shown = ", ".join(paths[:_MAX_LISTED])
    return shown + (f" and {len(paths) - _MAX_LISTED} more" if len(paths) > _MAX_LISTED else "")
