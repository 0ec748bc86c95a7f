"""The logic sub-agent: changes in the diff that commonly break behaviour.

A collection of checks (:mod:`subagents.framework`) under ``subagents/checks/logic/``: ``hunks``
(every rule below but the last) and ``untested`` (``logic/untested-behaviour-change``), over one
shared scan (:mod:`subagents.checks.logic._scan`); and ``dropped`` (removed statements and items,
copy-paste field slips, lost regex escapes, removed or changed parameter defaults, narrowed type
checks, walrus precedence, removed ``if`` blocks in brace languages: see
:mod:`subagents.checks.logic.dropped` and ``slips``), ``contracts`` (a changed ``raise``, a changed
parameter kind), ``conditions`` (a dropped ``and``/``or`` operand), ``dataflow`` (a local left
unread), ``removals`` (a removed method, parameter, decorator, import guard or ``finally``; a
collapsed conditional), ``swaps`` (one-token and one-call edits: a look-alike name, a dropped copy
or method call, swapped arguments, a flipped boolean or operator, a narrowed ``except``, a dropped
``await``, a loosened regular expression, a dropped flag) and ``flow`` (a removed handler or
context manager around code that stays, reordered ``if``/``elif`` branches), ``apis`` (a removed
or deprecated standard-library API used, a public name no longer exported) and ``rewrites`` (an
``is None`` test turned into truthiness, a key's letter case, a lost base class); see each module
for its rules. The checks that parse Python with :mod:`ast` read only the definitions the change
touches (:func:`subagents.logic_calls.touched_trees`). Per changed file, only changed hunks are
examined (rule ids ``logic/...``):

- ``logic/removed-guard``: a removed exit-guard, None check, ``raise`` or runtime ``assert``
  (Python, syntax trees; not when the guard moved into a new helper the function now calls, nor
  when the code it protected went too); a removed ``if err != nil``, null check, ``throw``,
  ``?.`` or ``?? default`` (regexes and token diffs).
- ``logic/inverted-condition`` / ``logic/boundary-change`` / ``logic/loosened-condition``:
  a removed line and the added line that replaced it differ only by a negation, a flipped
  operator, ``<``/``<=``, an off-by-one, an operand added to one side of a comparison, ``and``
  -> ``or``, a dropped ``and`` clause (token diff, every language); and an added ``and`` clause
  whose polarity contradicts the title or description ("skip inactive accounts" but
  ``and not account.active``).
- ``logic/changed-constant``: a module- or class-level constant got a new value.
- ``logic/dropped-argument``, ``logic/unwrapped-value``, ``logic/lost-f-string`` and multi-line
  ``logic/loosened-condition``: see :mod:`subagents.logic_calls`.
- ``logic/changed-return``: a return value changed, a return path was removed, or a function
  now returns None. Minor, except when the function now returns None where it returned a value,
  the kind of value changes (``True`` -> ``None``) or a return became a ``raise``; skipped when
  test code the pull request adds or edits references the function.
- ``logic/swallowed-exception``: an added handler that drops the error, a broadened except, or
  (regex languages) a handler whose whole body was removed.
- ``logic/deleted-test``: deleted test files or functions (minor when they tested code the
  change deletes; moved tests do not count), added skip/xfail markers, fewer asserts.
- ``logic/untested-behaviour-change``: runtime code changed and no test that the change adds or
  edits exercises it (references a changed function, or the module when no function can be named;
  an unrelated test added to the module's test file does not count). Major when an existing test
  named after the module calls a changed function and the title announces new behaviour. Equivalent rewrites (extracted/inlined helpers, De Morgan) and deleting whole
  functions do not count as changes.

Test files (see :mod:`subagents._paths`) get only the ``logic/deleted-test`` checks: tests flip
conditions, change expected numbers and catch errors on purpose. Findings about removed code are
dropped when the code moved to another file of the change or its whole function was deleted.

Confidence: 0.85 when every changed code file is Python (syntax trees), 0.7 when some are
JavaScript/TypeScript/Go/Java/Rust/Ruby (regex level), 0.5 when some are in other languages;
0.95 when no code changed. Never imports, builds or runs the code under review.
"""

from __future__ import annotations

from subagents.base import Analysis
from subagents.checks.logic._scan import (
    AGENT,
    CONFIDENCE_NO_CODE,
    CONFIDENCE_OTHER,
    CONFIDENCE_PYTHON,
    CONFIDENCE_REGEX,
    _rewritten_tests,
    scan,
)
from subagents.framework import CheckedAgent, CheckResult
from subagents.view import CheckView


class LogicAgent(CheckedAgent):
    """Flags risky logic edits in changed hunks (see the module docstring)."""

    name = AGENT

    def finish(self, view: CheckView, results: list[CheckResult]) -> Analysis:
        """The checks' findings (hunk-level, then untested), deleted tests demoted to info when the
        change adds as many new ones, one per id; the scan's confidence, notes and truncation."""
        found = scan(view)
        notes = list(found.notes)
        findings = _rewritten_tests(view, [f for r in results for f in r.findings], notes)
        unique = list({f.id: f for f in findings}.values())
        return Analysis(findings=unique, confidence=found.confidence,
                        truncated=found.truncated or any(r.truncated for r in results),
                        notes=notes + [n for r in results for n in r.notes])


__all__ = ["AGENT", "CONFIDENCE_NO_CODE", "CONFIDENCE_OTHER", "CONFIDENCE_PYTHON", "CONFIDENCE_REGEX", "LogicAgent"]
