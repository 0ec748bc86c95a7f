"""Check ``lint``: the ``anti_patterns`` agent's external linters, ruff (Python) and oxlint
(JavaScript/TypeScript), reporting the registered ``lint/<tool>/...`` rules.

For every tool, the registered ``lint/<tool>/...`` rules this review reports (the registry's
defaults, the policy's ``disable``/``enable``) are run through ``view.linters`` on the head contents
of the changed files of the tool's languages, and on their base contents when a head diagnostic
sits on an added line. A diagnostic becomes a finding when it is new in the head (not in the base
at the same line text, see :func:`bot.lint.new_in_head`) and sits on a line the pull request adds. The finding carries the rule's registered severity, the tool's
message, and the upstream documentation URL as evidence.

Fail closed: when a tool cannot run (missing binary, time-out, crash, unreadable output) the
analysis is marked truncated with the reason, so the pull request is not approved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.agent_options import AgentOptions
from bot.core.diff import FileChange
from bot.core.languages import language_for_path
from bot.core.lintdiff import new_in_head
from bot.core.models import Finding, Severity
from bot.core.protocols import Linters
from bot.core.registry import LINT_PREFIX, RegisteredRule, Registry
from bot.core.registry import default_registry
from subagents._paths import is_declaration_path
from subagents.checks.anti_patterns._files import file_scope, is_revert
from subagents.framework import Check, CheckResult
from subagents.view import CheckView

TOOL_LANGUAGES: dict[str, frozenset[str]] = {
    "ruff": frozenset({"python"}),
    "oxlint": frozenset({"javascript", "typescript", "tsx"}),
}
"""Which changed files each tool reads, by the language :mod:`bot.core.languages` gives them."""


@dataclass
class LintResult:
    """What the lint checks found: findings, notes for the verdict, and whether a tool failed."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    truncated: bool = False


def enabled_rules(tool: str, registry: Registry, options: AgentOptions) -> list[RegisteredRule]:
    """The registered rules of ``tool`` that this review reports (default on, or enabled by the policy)."""
    prefix = f"{LINT_PREFIX}{tool}/"
    return [r for r in registry.rules if r.id.startswith(prefix) and options.reports(r.id, registry)]


def _changed_lines(change: FileChange) -> set[int]:
    return {line.new_lineno for line in change.added_lines() if line.new_lineno is not None}


def _finding(rule: RegisteredRule, path: str, line: int, message: str, url: str, restored: bool, source: str) -> Finding:
    severity = Severity.info if restored else rule.severity
    text = f"{rule.name}: {message}" + (" (restored by this revert)" if restored else "")
    return Finding.make(rule_id=rule.id, agent="anti_patterns", severity=severity, message=text, path=path,
                        line=line, evidence=[url or (rule.upstream_url or "")], anchor=f"{message}:{source.strip()}")


def _lint_both(linters: Linters, tool: str, head_files: dict[str, str], base_files: dict[str, str],
               codes: list[str], changed: dict[str, set[int]]) -> tuple[list[Any], list[Any]]:
    """``(head diagnostics, base diagnostics)`` of ``tool``. The base is linted only when some head
    diagnostic sits on an added line (``changed``): :func:`~bot.core.lintdiff.new_in_head` reports
    only those, so without one its answer is empty whatever the base holds, and the base's run
    (a second linter process, and writing every base file for it) is skipped. On the 40 bench
    pull requests of pydantic and vuejs/core that lint, no head diagnostic was on an added line:
    the base's run was never needed (RESULTS.md, "Ninth session, execution_paths and
    anti_patterns CPU"). Raises what the head's run raised, else what the base's raised."""
    head_diags = linters.lint(tool, head_files, codes)
    if not base_files or not any(d.line in changed.get(d.path, ()) for d in head_diags):
        return head_diags, []
    return head_diags, linters.lint(tool, base_files, codes)


def run_lint_checks(view: CheckView, changes: Sequence[FileChange], registry: Registry, options: AgentOptions,
                    *, restored: bool = False) -> LintResult:
    """Lint ``changes`` (changed text files already chosen by the agent) with each tool.

    ``restored``: the pull request is a revert, so findings are info (as for catalog matches).
    Never raises: a tool failure is a note plus ``truncated``.
    """
    result = LintResult()
    if view.linters is None:
        result.notes.append("lint checks not run: no linter runner in this review context")
        return result
    for tool, languages in TOOL_LANGUAGES.items():
        mine = [c for c in changes if (c.language or language_for_path(c.path) or "") in languages
                and not is_declaration_path(c.path)]  # `any` there is API design (axios' index.d.ts: 0 of 41)
        rules = enabled_rules(tool, registry, options)
        if not mine or not rules:
            continue
        by_code = {r.name: r for r in rules}
        head_files: dict[str, str] = {}
        base_files: dict[str, str] = {}
        renamed: dict[str, str] = {}
        changed: dict[str, set[int]] = {}
        for c in mine:
            head = view.head_text(c.path)
            if head is None:
                continue
            head_files[c.path] = head
            changed[c.path] = _changed_lines(c)
            old = c.old_path or c.path
            base = view.base_text(old)
            if base is not None:
                base_files[old] = base
                if old != c.path:
                    renamed[c.path] = old
        try:
            head_diags, base_diags = _lint_both(view.linters, tool, head_files, base_files, list(by_code), changed)
        except Exception as exc:  # noqa: BLE001 - any failure of the tool fails closed
            result.truncated = True
            result.notes.append(f"truncated: {tool} could not check {len(head_files)} file(s): {exc}")
            continue
        new = new_in_head(  # it reads the lines of the files that have diagnostics only
            base_diags, head_diags,
            {p: base_files[p].splitlines() for p in {d.path for d in base_diags} if p in base_files},
            {p: head_files[p].splitlines() for p in {d.path for d in head_diags} if p in head_files},
            changed, renamed,
        )
        for d in new:
            rule = by_code.get(d.code)
            if rule is None:  # a code we did not ask for (e.g. a syntax error report): not a registered rule
                continue
            lines = head_files[d.path].splitlines()
            source = lines[d.line - 1] if 0 < d.line <= len(lines) else str(d.line)
            result.findings.append(_finding(rule, d.path, d.line, d.message, d.url, restored, source))
        result.notes.append(f"{tool}: {len(rules)} rule(s) on {len(head_files)} file(s), {len(new)} new diagnostic(s)")
    return result


def run(view: CheckView) -> CheckResult:
    """Lint the files in the anti-pattern scope that have added lines (a revert's findings are info)."""
    changes = [f.change for f in file_scope(view).files if f.added]
    result = run_lint_checks(view, changes, default_registry(), view.options,
                             restored=is_revert(view.pr.title, view.pr.body))
    return CheckResult(findings=result.findings, notes=result.notes, truncated=result.truncated)


CHECK = Check(name="lint", agent="anti_patterns", rules=(),
              rule_prefixes=tuple(f"{LINT_PREFIX}{tool}/" for tool in TOOL_LANGUAGES),
              languages=tuple(sorted(set().union(*TOOL_LANGUAGES.values()))), run=run, order=10)
"""Declares every registered ``lint/ruff/...`` and ``lint/oxlint/...`` rule (``rules/registry/lint.yml``)."""

__all__ = ["CHECK", "LintResult", "TOOL_LANGUAGES", "enabled_rules", "run", "run_lint_checks"]
