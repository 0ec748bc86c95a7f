"""The check framework: an agent is a collection of registered checks.

A **check** is one module ``subagents/checks/<agent>/<check>.py`` holding a module-level
``CHECK = Check(...)``: the registered rule ids it may report, the languages it applies to, and a
``run(view)`` over the shared parse-once :class:`~subagents.view.CheckView` (never the raw
repository). Modules whose names start with ``_`` are helpers shared by the agent's checks.
:func:`discover` imports an agent's check modules and orders them by ``(order, name)``.

A :class:`CheckedAgent` runs its checks in that order, one after another, within the review's
deadline: once it has passed, the remaining checks are not run and the verdict is marked
truncated. It enforces that a check reports only the rule ids it declares: an undeclared id is a
bug, so it is logged and raised as :class:`UndeclaredRuleError`, which the pipeline turns into an
abstention (fail closed; never silently dropped). Agent-level post-processing (de-duplication,
per-file caps, confidence) is the agent's :meth:`CheckedAgent.finish`.

Adding a rule: see ``docs/rules.md``.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import import_module

from bot.core.context import ReviewContext
from bot.core.languages import language_for_path
from bot.core.logs import get_logger
from bot.core.models import Finding
from subagents.base import Analysis, SubAgent
from subagents.view import CheckView

log = get_logger("quorum.checks")  # structlog is imported when a check first logs

ANY = "*"
"""``Check.languages`` value for a check that applies to every file (and to PR-level facts)."""


class UndeclaredRuleError(RuntimeError):
    """A check reported a rule id it does not declare (a bug; the agent abstains)."""


@dataclass
class CheckResult:
    """What one check found: findings, notes for the verdict, whether its input was cut
    (``truncated``: withholds approval), and an optional cap on the agent's confidence in [0, 1]."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    truncated: bool = False
    confidence: float | None = None


@dataclass(frozen=True)
class Check:
    """One check of one agent.

    - ``name``: its module's name (``secrets``); ``agent``: one of ``bot.core.models.AGENT_NAMES``;
    - ``rules``: the registered rule ids it may report (exact ids);
    - ``rule_prefixes``: families whose ids are registered elsewhere at run time (the external
      linters' ``lint/ruff/``): any registered id below such a prefix may be reported;
    - ``languages``: grammar names (:mod:`bot.core.languages`) of the changed files it reads, or
      ``("*",)``: with other values the check is skipped when no changed text file is in them;
    - ``run``: ``view -> CheckResult`` or an iterable of findings; may raise only on bugs;
    - ``order``: checks run in ``(order, name)`` order (a check may read a fact an earlier one
      stored in ``view.memo``).
    """

    name: str
    agent: str
    rules: tuple[str, ...]
    run: Callable[[CheckView], CheckResult | Iterable[Finding]]
    rule_prefixes: tuple[str, ...] = ()
    languages: tuple[str, ...] = (ANY,)
    order: int = 100

    def declares(self, rule_id: str) -> bool:
        """True when this check may report ``rule_id``."""
        return rule_id in self.rules or any(rule_id.startswith(p) for p in self.rule_prefixes)

    def applies(self, view: CheckView) -> bool:
        """True when the check has something to read in this review (see ``languages``)."""
        if ANY in self.languages:
            return True
        return any((c.language or language_for_path(c.path) or "") in self.languages for c in view.text_files())


def _result(out: CheckResult | Iterable[Finding]) -> CheckResult:
    return out if isinstance(out, CheckResult) else CheckResult(findings=list(out))


@lru_cache(maxsize=None)
def discover(agent: str) -> tuple[Check, ...]:
    """The checks of ``agent``: every ``subagents/checks/<agent>/<name>.py`` (``_``-prefixed modules
    are helpers) defining ``CHECK``, ordered by ``(order, name)``. Raises ``ValueError`` when a
    module has no ``CHECK``, or its check names another agent or another module."""
    package = import_module(f"subagents.checks.{agent}")
    checks: list[Check] = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = import_module(f"{package.__name__}.{info.name}")
        check = getattr(module, "CHECK", None)
        if not isinstance(check, Check):
            raise ValueError(f"{module.__name__}: a check module must define CHECK = Check(...)")
        if check.agent != agent or check.name != info.name:
            raise ValueError(f"{module.__name__}: CHECK names agent {check.agent!r} and check {check.name!r}, "
                             f"expected {agent!r} and {info.name!r}")
        checks.append(check)
    return tuple(sorted(checks, key=lambda c: (c.order, c.name)))


class CheckedAgent(SubAgent):
    """An agent made of checks (:func:`discover`). Subclasses set ``name`` and may override
    :meth:`params` (settings the checks read as ``view.params``), :meth:`prepare` (agent-level
    facts computed before the checks, e.g. a scan scope and its notes) and :meth:`finish`
    (post-processing: the default keeps one finding per id)."""

    confidence_default: float = 0.9
    """Confidence when no check caps it (see :attr:`CheckResult.confidence`)."""

    def checks(self) -> Sequence[Check]:
        """The checks this agent runs, in order."""
        return discover(self.name)

    def params(self) -> object:
        """Settings of this agent instance for its checks (``view.params``); None by default."""
        return None

    def prepare(self, view: CheckView) -> CheckResult:
        """Agent-level work before the checks (notes, truncation); nothing by default."""
        return CheckResult()

    def run_check(self, check: Check, view: CheckView) -> CheckResult:
        """Run one check and enforce its declared rule ids: an undeclared id is logged and raised
        as :class:`UndeclaredRuleError` (the pipeline turns it into an abstention)."""
        result = _result(check.run(view))
        undeclared = sorted({f.rule_id for f in result.findings if not check.declares(f.rule_id)})
        if undeclared:
            log.error("check reported undeclared rule ids", agent=self.name, check=check.name, rule_ids=undeclared)
            raise UndeclaredRuleError(f"check {self.name}/{check.name} reported rule id(s) it does not declare: "
                                      f"{', '.join(undeclared)}")
        return result

    def analyze(self, ctx: ReviewContext) -> Analysis:
        """Prepare, run every applicable check within the deadline, then :meth:`finish`."""
        view = CheckView(ctx, self.name, self.params())
        results = [self.prepare(view)]
        for check in self.checks():
            if view.expired():
                results.append(CheckResult(truncated=True, notes=[
                    f"deadline reached: check {check.name} and the ones after it did not run"]))
                break
            if check.applies(view):
                results.append(self.run_check(check, view))
        return self.finish(view, results)

    def finish(self, view: CheckView, results: list[CheckResult]) -> Analysis:
        """Merge the checks' results into one :class:`~subagents.base.Analysis`: findings in check
        order, one per id (the last reported, at the place of the first); notes in order; truncated if any; confidence the lowest
        cap, else :attr:`confidence_default`."""
        findings = list({f.id: f for r in results for f in r.findings}.values())
        return Analysis(findings=findings, confidence=merged_confidence(results, self.confidence_default),
                        truncated=any(r.truncated for r in results), notes=[n for r in results for n in r.notes])


def merged_confidence(results: Iterable[CheckResult], default: float) -> float:
    """The lowest confidence cap among ``results``, or ``default`` when none sets one."""
    caps = [r.confidence for r in results if r.confidence is not None]
    return min(caps) if caps else default


__all__ = ["ANY", "Check", "CheckResult", "CheckedAgent", "UndeclaredRuleError", "discover", "merged_confidence"]
