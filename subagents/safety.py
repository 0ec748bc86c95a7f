"""The safety sub-agent: secrets, dangerous calls, sensitive paths, hidden Unicode and prompt
injection aimed at the reviewer.

Deterministic and offline: it looks at the *added* lines of the diff, the PR title and body, and
(for Python and the other tree-sitter languages) parses the head revision of a changed file to tell
code from comments and strings. It never imports, builds or runs anything from the repository.

Rule ids (stable, never reused):

- ``safety/secret`` (critical; info for a JSON Web Token in test code, see
  :data:`~subagents.checks.safety.secrets.TEST_FIXTURE_SECRET_TYPES`): a credential in an added line.
  Messages and evidence show the line with the secret replaced by ``[REDACTED:<type>]``, never the
  secret itself.
- ``safety/private-key`` (critical): a PEM/PuTTY private-key header followed by key material.
- ``safety/dangerous-call/<cause>`` (major; info in test code): ``eval``, ``shell-command``,
  ``shell-true``, ``deserialize``, ``yaml-load``, ``tls-verify-off``, ``sql-string``, ``raw-html``
  (one registered rule per cause, see ``rules/RULES.md``; the id ``safety/dangerous-call`` itself
  is retired). Each cause is dangerous when untrusted input reaches the call; in test code
  (:func:`bot.core.paths.is_test_path`) the input is the test's own data and the code never ships,
  so such findings are listed in the check run's summary, not posted (on the findings corpus, all 3
  ``pickle.loads`` findings in tests were false).
- ``safety/sensitive-path`` (major): a changed path in a category of :mod:`bot.core.sensitive`.
- ``safety/symlink`` (major), ``safety/submodule-change`` (major), ``safety/mode-change`` (minor).
- ``safety/prompt-injection`` (major; the policy routes it to a human, never to approval): text aimed at an AI reviewer (see
  :func:`bot.core.injection.find_injection`) in the title, the body (also inside hidden HTML
  comments, encoded text, tag characters) or added lines; and invisible characters in the PR title
  or body (a way to smuggle text past a human reader), with the code points as evidence.
- ``safety/hidden-unicode`` (major; critical for bidi controls in code, Trojan Source
  CVE-2021-42574): hidden characters by Unicode property (default-ignorable, format, variation
  selectors, tags, blanks; see :mod:`bot.core.unicode_text`) in added lines or the PR text, not
  those doing their ordinary job (see :func:`bot.core.unicode_text.legitimate_hidden`); and words
  mixing Latin letters with look-alike letters of another script (UTS #39 confusables).
- ``safety/binary-added`` (minor): a binary file added or changed.

The agent is a collection of checks, one module each under ``subagents/checks/safety/``
(:mod:`subagents.framework`). Agent-level work: the scan scope (:mod:`subagents.checks.safety._scope`)
and its notes, and merging the checks' findings (one per id, at most :data:`MAX_PER_FILE_RULE` per
(file, rule)).

Caps: a file whose added text exceeds ``_scope.MAX_FILE_BYTES``, or added lines beyond
``_scope.MAX_ADDED_LINES`` in total, are skipped; the verdict is then ``truncated`` with confidence
0.7 (0.9 otherwise). A truncated diff, a deadline reached, an injection scan that reports text it
could not read (encoding nested too deep), or a Python file too large to parse for dangerous
calls also mark the verdict truncated. Every scanner otherwise reads whole lines and whole texts.
At most :data:`MAX_PER_FILE_RULE` findings per (file, rule) are listed (never dropping a more
severe one); the rest are counted in ``notes``.

The dangerous-call patterns live in :mod:`subagents.checks.safety._call_patterns`, the
comment/string test in :mod:`subagents.checks.safety._fileview`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.models import Finding
from subagents.base import Analysis
from subagents.checks.safety._common import AGENT
from subagents.checks.safety._scope import scan_scope
from subagents.framework import CheckedAgent, CheckResult
from subagents.view import CheckView

MAX_PER_FILE_RULE = 10
"""At most this many findings per (file, rule); the rest are counted in the notes."""
CONFIDENCE = 0.9
CONFIDENCE_TRUNCATED = 0.7


@dataclass
class _Collector:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _ids: set[str] = field(default_factory=set)
    _per_file: dict[tuple[str, str], int] = field(default_factory=dict)
    _worst: dict[tuple[str, str], int] = field(default_factory=dict)
    _overflow: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, finding: Finding) -> None:
        """Keep ``finding`` unless its id is known or its (file, rule) is full; a finding more
        severe than every kept one of its (file, rule) is always kept (the status must not drop)."""
        if finding.id in self._ids:
            return
        key = (finding.path or "", finding.rule_id)
        rank = finding.severity.rank
        full = finding.path is not None and self._per_file.get(key, 0) >= MAX_PER_FILE_RULE
        if full and rank <= self._worst.get(key, -1):
            self._overflow[key] = self._overflow.get(key, 0) + 1
            return
        self._per_file[key] = self._per_file.get(key, 0) + 1
        self._worst[key] = max(rank, self._worst.get(key, -1))
        self._ids.add(finding.id)
        self.findings.append(finding)

    def finish(self) -> None:
        """Note how many findings each full (file, rule) left out."""
        for (path, rule), n in sorted(self._overflow.items()):
            self.notes.append(f"{rule}: {n} more in {path} not listed")


class SafetyAgent(CheckedAgent):
    """Secrets, dangerous calls, sensitive paths, hidden Unicode and prompt injection (offline)."""

    name = AGENT

    def prepare(self, view: CheckView) -> CheckResult:
        """Notes for a truncated diff and for the scan scope's cuts (both mark the verdict truncated)."""
        out = CheckResult()
        if view.diff.truncated:
            out.truncated = True
            out.notes.append("the diff itself was truncated: " + "; ".join(view.diff.truncation_reasons))
        scope = scan_scope(view)
        out.notes += scope.notes
        out.truncated = out.truncated or scope.truncated
        return out

    def finish(self, view: CheckView, results: list[CheckResult]) -> Analysis:
        """One finding per id, at most :data:`MAX_PER_FILE_RULE` per (file, rule) (never dropping a
        more severe one; the rest counted in the notes); confidence 0.7 when truncated, else 0.9."""
        out = _Collector()
        for r in results:
            out.notes += r.notes
            for f in r.findings:
                out.add(f)
        out.finish()
        truncated = any(r.truncated for r in results)
        return Analysis(findings=out.findings, confidence=CONFIDENCE_TRUNCATED if truncated else CONFIDENCE,
                        truncated=truncated, notes=out.notes)


__all__ = ["AGENT", "MAX_PER_FILE_RULE", "SafetyAgent"]
