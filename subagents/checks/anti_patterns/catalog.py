"""Check ``catalog``: the tree-sitter rule catalog (``rules/catalog``, the ``Q<LANG><NNN>`` rules) run
on the head revision of each file in scope (:mod:`subagents.checks.anti_patterns._files`), reporting
only matches that touch lines the pull request adds, or that enclose a place where it only removed
lines (a hunk with removals and no additions: deleting the ``return err`` from
``if err != nil { return err }`` leaves an empty error check).

Each file is parsed once per review (the shared view); all rules of its language run in one query
pass; rules the policy switches off do not run. At most :data:`MAX_PER_RULE_PER_FILE` findings per
rule and file are reported (the rest are counted in a note). A revert's matches are info.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter

from bot.core.catalog import Match, Rule, default_catalog
from bot.core.models import Finding, Severity
from bot.core.registry import default_registry
from subagents._paths import is_test_path
from subagents.checks.anti_patterns._files import Params, ScopedFile, file_scope, is_revert, restored
from subagents.framework import Check, CheckResult
from subagents.view import CheckView

AGENT = "anti_patterns"
MAX_PER_RULE_PER_FILE = 20
"""Findings of one rule in one file beyond this count are summarised in a note, not reported."""

CONFIDENCE_PARTIAL = 0.6
"""Confidence when some changed code file is in a language without rules (e.g. C, shell)."""

_MAX_LISTED = 5


def _findings(params: Params, f: ScopedFile, matches: list[Match], capped: Counter[str]) -> list[Finding]:
    """Findings for matches overlapping the added lines or enclosing a removal gap (see
    :func:`~subagents.checks.anti_patterns._files.removal_gaps`); over-cap counts go to ``capped``."""
    if not matches:
        return []
    change, added, gaps = f.change, f.added, f.gaps
    lines = f.data.split(b"\n")
    seen: Counter[tuple[str, str]] = Counter()
    per_rule: Counter[str] = Counter()
    out: list[Finding] = []
    for m in matches:  # sorted by line: occurrence numbers are stable for a given file content
        text = lines[m.line - 1].decode("utf-8", "replace").strip() if m.line <= len(lines) else m.text
        seen[(m.rule_id, text)] += 1
        if not (_overlaps(added, m.line, m.end_line) or any(m.line <= g < m.end_line for g in gaps)):
            continue
        rule = params.catalog.get(m.rule_id)
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
        agent=AGENT,
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
    ``def`` by indentation (Python); at most 400 lines. Decodes only the lines it reads (the 49
    above the match to the 400 below it), not the file."""
    first = max(0, m.line - 50)
    text = [ln.decode("utf-8", "replace") for ln in lines[first: m.line + 400]]
    row = m.line - 1 - first  # the match's row in ``text``
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


def _overlaps(sorted_lines: list[int], start: int, end: int) -> bool:
    """True when some value of ``sorted_lines`` lies in ``[start, end]``."""
    i = bisect.bisect_left(sorted_lines, start)
    return i < len(sorted_lines) and sorted_lines[i] <= end


def _listing(paths: list[str]) -> str:
    shown = ", ".join(paths[:_MAX_LISTED])
    return shown + (f" and {len(paths) - _MAX_LISTED} more" if len(paths) > _MAX_LISTED else "")


def run(view: CheckView) -> CheckResult:
    """Match the catalog's enabled rules on every file in scope (see the module docstring)."""
    params = view.params
    assert isinstance(params, Params)  # file_scope raises a clear error first
    scope = file_scope(view)
    registry = default_registry()
    languages = {f.language for f in scope.files}
    enabled = [r.id for r in params.catalog.rules
               if languages.intersection(r.all_languages) and view.options.reports(r.id, registry)]
    # Rules whose query needs a text no file in scope holds cannot match: not compiled, not run.
    enabled = params.catalog.may_match(enabled, (f.data for f in scope.files))
    revert = is_revert(view.pr.title, view.pr.body)
    out = CheckResult()
    capped: Counter[str] = Counter()
    for f in scope.files:
        matches = params.catalog.match(
            f.language, f.data, path=f.change.path, rule_ids=enabled, is_test=is_test_path(f.change.path),
            tree=view.files.tree("head", f.change.path, f.language),  # parsed once per review, shared
            lines=(*f.added, *f.gaps),  # only matches overlapping these are reported: walk their band
        )
        found = _findings(params, f, matches, capped)
        if revert and found:
            found = [restored(x) for x in found]
        out.findings.extend(found)
    if scope.oversized:
        out.notes.append(
            f"truncated: {len(scope.oversized)} file(s) over {params.max_file_bytes} bytes not parsed: "
            + _listing(scope.oversized)
        )
    if scope.generated:
        out.notes.append(f"skipped {len(scope.generated)} generated, minified or vendored file(s): "
                         + _listing(scope.generated))
    if capped:
        out.notes.append(
            f"{sum(capped.values())} further match(es) not reported (over {MAX_PER_RULE_PER_FILE} "
            "per rule and file): " + _listing([f"{k} x{v}" for k, v in sorted(capped.items())])
        )
    if scope.uncovered:
        out.confidence = CONFIDENCE_PARTIAL
        out.notes.append(f"no anti-pattern rules for {len(scope.uncovered)} changed code file(s): "
                         + _listing(scope.uncovered))
    return out


CHECK = Check(name="catalog", agent=AGENT, rules=tuple(sorted(r.id for r in default_catalog().rules)), run=run,
              order=20)

__all__ = ["CHECK", "CONFIDENCE_PARTIAL", "MAX_PER_RULE_PER_FILE", "run"]
