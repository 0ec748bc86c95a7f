"""Review-quality evals: labelled scenarios, the injection corpus, and the runner behind ``quorum eval``.

The data lives in the repository's ``evals/`` directory (read by path, never imported); the code
that runs it lives here so that the installed ``quorum`` command works.

- :mod:`bot.evals.scenarios`: the case schema (pydantic, ``extra="forbid"``) and its loader.
- :mod:`bot.evals.metrics`: finding matching, precision/recall/F1, the decision confusion matrix.
- :mod:`bot.evals.runner`: :class:`EvalCase`, :func:`run_cases`, :func:`summarize` (shared API).
- :mod:`bot.evals.suites`: the registry ``SUITES`` (``scenarios``, ``injection``, ``all``, ...).
- :mod:`bot.evals.report`: text (rich) and JSON rendering.
"""

from bot.evals.metrics import Counts, confusion, match_case, prf
from bot.evals.runner import CaseOutcome, EvalCase, RunOptions, Summary, from_scenario, run_cases, summarize
from bot.evals.scenarios import Case, Expect, FindingSpec, ScenarioError, load_cases
from bot.evals.suites import SUITES, SuiteConfig, SuiteReport, register, run_suite, suites

__all__ = [
    "SUITES", "Case", "CaseOutcome", "Counts", "EvalCase", "Expect", "FindingSpec", "RunOptions", "ScenarioError",
    "SuiteConfig", "SuiteReport", "Summary", "confusion", "from_scenario", "load_cases", "match_case", "prf",
    "register", "run_cases", "run_suite", "suites", "summarize",
]
