"""The suite registry behind ``quorum eval --suite NAME``.

``SUITES`` maps a suite name to ``fn(config: SuiteConfig) -> SuiteReport``. Built in:

- ``scenarios``: the labelled scenario suite, ``<suite_dir>/scenarios/**/*.yml``;
- ``injection``: the prompt-injection corpus, ``<suite_dir>/injection/**/*.yml``;
- ``all``: both, in one run, scored together (injection figures from the injection cases).

Other suites register themselves with :func:`register`, or by being a module
``bot.evals.<name>`` (listed in :data:`OPTIONAL_SUITES`) that defines
``run(config: SuiteConfig) -> SuiteReport``: it is imported the first time the registry is read
(:func:`suites`). Such a suite may use :func:`bot.evals.runner.run_cases` and
:func:`bot.evals.runner.summarize`, and put its own headline numbers in ``SuiteReport.figures``.

The data directory defaults to :func:`default_suite_dir`: the copy packaged in the wheel
(``bot/evals/data``, see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml) when
installed from a wheel, else the ``evals`` directory of the source checkout this package lives in
(``<repo root>/evals``). Nothing imports it: it is read as data.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bot.evals.runner import CaseOutcome, EvalCase, RunOptions, Summary, available_agents, from_scenario, run_cases, summarize
from bot.evals.scenarios import ScenarioError, load_cases

PACKAGED_SUITE_DIR = Path(__file__).resolve().parent / "data"
"""Where a built wheel carries the eval data (``evals/<name>`` -> ``bot/evals/data/<name>``)."""

CHECKOUT_SUITE_DIR = Path(__file__).resolve().parents[2] / "evals"
"""``<repository root>/evals`` of a source checkout: this file is ``<root>/bot/evals/suites.py``."""


def default_suite_dir() -> Path:
    """The eval data directory: the wheel's packaged copy when present, else the checkout's ``evals/``.

    An editable install (``pip install -e .``) has no packaged copy and reads the checkout, so edits
    to ``evals/`` take effect at once. Neither may exist (a bare package copy): callers check.
    """
    return PACKAGED_SUITE_DIR if PACKAGED_SUITE_DIR.is_dir() else CHECKOUT_SUITE_DIR


DEFAULT_SUITE_DIR = default_suite_dir()
""":func:`default_suite_dir` at import time."""

OPTIONAL_SUITES: tuple[str, ...] = ("reinjected", "findings")
"""Suite modules ``bot.evals.<name>`` picked up when they exist (written by other parts)."""

DATA_SUITES: tuple[str, ...] = ("scenarios", "injection")
"""Suites read from ``<suite_dir>/<name>/``; ``all`` runs these together."""


@dataclass
class SuiteConfig:
    """Everything a suite needs to run.

    ``suite_dir``: the eval data directory; ``case_ids``: run only these cases (empty: all);
    ``reasoner``: the LLM layer or None (offline); ``model``: its name, for the report;
    ``workers``: threads; ``policy_text``: a policy overriding every case's base ``.quorum.yml``;
    ``repo``: a repository for suites built from history; ``on_done``: per-outcome callback;
    ``on_progress``: ``(phase, done, total)`` progress callback (see :mod:`bot.cli.progress`).
    """

    suite_dir: Path = DEFAULT_SUITE_DIR
    case_ids: tuple[str, ...] = ()
    reasoner: Any | None = None
    model: str | None = None
    workers: int = 4
    policy_text: str | None = None
    repo: Path | None = None
    on_done: Callable[[CaseOutcome], None] | None = None
    on_progress: Callable[[str, int, int], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def run_options(self) -> RunOptions:
        """The :class:`RunOptions` matching this config."""
        return RunOptions(
            reasoner=self.reasoner, policy_text=self.policy_text, workers=self.workers, on_done=self.on_done,
            on_progress=self.on_progress,
        )


class SuiteReport(BaseModel):
    """One suite's result: its outcomes, their summary, extra headline ``figures`` (suite-specific),
    ``notes`` (e.g. agents that do not exist yet), wall time in seconds."""

    suite: str
    model: str = "offline"
    suite_dir: str = ""
    elapsed_s: float = 0.0
    summary: Summary | None = None
    figures: dict[str, Any] = {}
    notes: list[str] = []
    cases: list[CaseOutcome] = []


SuiteFn = Callable[[SuiteConfig], SuiteReport]
SUITES: dict[str, SuiteFn] = {}
_LOADED: set[str] = set()


def register(name: str, fn: SuiteFn) -> None:
    """Add (or replace) suite ``name``."""
    SUITES[name] = fn


def suites() -> dict[str, SuiteFn]:
    """The registry, after importing any :data:`OPTIONAL_SUITES` module that exists."""
    for name in OPTIONAL_SUITES:
        if name in _LOADED:
            continue
        _LOADED.add(name)
        try:
            module = importlib.import_module(f"bot.evals.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bot.evals.{name}":
                raise
            continue
        if name not in SUITES and callable(getattr(module, "run", None)):
            register(name, module.run)
    return SUITES


def run_suite(name: str, config: SuiteConfig) -> SuiteReport:
    """Run suite ``name``. Raises ScenarioError for an unknown suite (naming the valid ones)."""
    registry = suites()
    if name not in registry:
        raise ScenarioError(f"unknown suite {name!r} (valid: {', '.join(sorted(registry))})")
    return registry[name](config)


def load_eval_cases(config: SuiteConfig, names: tuple[str, ...]) -> list[EvalCase]:
    """The scenario cases of the data suites ``names`` below ``config.suite_dir``, filtered by
    ``config.case_ids``. Raises ScenarioError for invalid data or an unknown case id."""
    cases = []
    for name in names:
        cases.extend(load_cases(config.suite_dir / name, name))
    if config.case_ids:
        known = {c.id for c in cases}
        unknown = [i for i in config.case_ids if i not in known]
        if unknown:
            raise ScenarioError(f"unknown case id(s): {', '.join(unknown)}")
        cases = [c for c in cases if c.id in config.case_ids]
    return [from_scenario(c) for c in cases]


def _data_suite(name: str, parts: tuple[str, ...]) -> SuiteFn:
    def run(config: SuiteConfig) -> SuiteReport:
        start = time.perf_counter()
        cases = load_eval_cases(config, parts)
        _, missing = available_agents()
        outcomes = run_cases(cases, config.run_options())
        notes = [
            f"agent {m!r} does not exist yet (subagents/{m}.py): reviews ran without it, so the policy "
            "names it as a missing verdict and cannot approve"
            for m in missing
        ]
        return SuiteReport(
            suite=name, model=config.model or "offline", suite_dir=str(config.suite_dir),
            elapsed_s=round(time.perf_counter() - start, 2), summary=summarize(outcomes),
            notes=notes, cases=outcomes,
        )

    run.__doc__ = f"Run the {name!r} suite ({', '.join(parts)})."
    return run


register("scenarios", _data_suite("scenarios", ("scenarios",)))
register("injection", _data_suite("injection", ("injection",)))
register("all", _data_suite("all", DATA_SUITES))


__all__ = [
    "CHECKOUT_SUITE_DIR", "DATA_SUITES", "DEFAULT_SUITE_DIR", "OPTIONAL_SUITES", "PACKAGED_SUITE_DIR", "SUITES",
    "SuiteConfig", "SuiteFn", "SuiteReport", "default_suite_dir", "load_eval_cases", "register", "run_suite", "suites",
]
