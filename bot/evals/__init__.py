"""Review-quality evals: labelled scenarios, the injection corpus, and the runner behind ``quorum eval``.

The data lives in the repository's ``evals/`` directory (read by path, never imported); the code
that runs it lives here so that the installed ``quorum`` command works.

- :mod:`bot.evals.scenarios`: the case schema (pydantic, ``extra="forbid"``) and its loader.
- :mod:`bot.evals.metrics`: finding matching, precision/recall/F1, the decision confusion matrix.
- :mod:`bot.evals.runner`: :class:`EvalCase`, :func:`run_cases`, :func:`summarize` (shared API).
- :mod:`bot.evals.suites`: the registry ``SUITES`` (``scenarios``, ``injection``, ``all``, ...).
- :mod:`bot.evals.report`: text (rich) and JSON rendering.
"""

from typing import Any

_EXPORTS = {
    "Counts": "metrics", "confusion": "metrics", "match_case": "metrics", "prf": "metrics",
    "CaseOutcome": "runner", "EvalCase": "runner", "RunOptions": "runner", "Summary": "runner",
    "from_scenario": "runner", "run_cases": "runner", "summarize": "runner",
    "Case": "scenarios", "Expect": "scenarios", "FindingSpec": "scenarios", "ScenarioError": "scenarios",
    "load_cases": "scenarios",
    "SUITES": "suites", "SuiteConfig": "suites", "SuiteReport": "suites", "register": "suites", "run_suite": "suites",
    "suites": "suites",
}
"""Name -> submodule. Imported on first access (PEP 562): the review path imports
:mod:`bot.evals.baselines` (path classifiers shared with the history features) and must not pay
for the runner, the suites and their pydantic models."""


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib  # noqa: PLC0415

    value = getattr(importlib.import_module(f"bot.evals.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "SUITES", "Case", "CaseOutcome", "Counts", "EvalCase", "Expect", "FindingSpec", "RunOptions", "ScenarioError",
    "SuiteConfig", "SuiteReport", "Summary", "confusion", "from_scenario", "load_cases", "match_case", "prf",
    "register", "run_cases", "run_suite", "suites", "summarize",
]
