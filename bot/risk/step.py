"""The pipeline step that turns a snapshot into a :class:`~bot.risk.assess.RiskAssessment`:
pick the model (``--risk-model`` > ``.quorum/risk-model.json`` of the policy's revision >
``rules/risk-model.json``), compute the history facts below the base SHA, score them together with the review's findings
counted by registry tag (``findings_<tag>`` features).

Runs beside the sub-agents in its own thread (git is a subprocess, so it overlaps them), within
the review's budget; an error or an overrun becomes an ``error`` assessment, which the policy gate
fails closed on. Imports only the standard library and this package (pydantic only to validate a model file that is not the packaged one): no scikit-learn
or numpy on the review path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from bot.core.packagedata import package_files
from bot.risk.assess import RiskAssessment, assess, failed
from bot.risk.model import RiskModel, RiskModelError, load_model, load_packaged_model

DEFAULT_MODEL_FILE = "risk-model.json"
"""The default model shipped in ``rules/``."""


def default_model_text() -> str | None:
    """The text of ``rules/risk-model.json``, or None when the package has none."""
    try:
        return package_files("rules").joinpath(DEFAULT_MODEL_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return None


def choose_model(override_text: str | None, repo_text: str | None) -> tuple[RiskModel | None, str]:
    """``(model, source)``: the override, else the repository's file, else the default; None when
    there is none. Raises RiskModelError for a file that does not validate."""
    if override_text is not None:
        return load_model(override_text, source="--risk-model"), "--risk-model"
    if repo_text is not None:
        return load_model(repo_text, source=".quorum/risk-model.json"), ".quorum/risk-model.json"
    text = default_model_text()
    if text is None:
        return None, ""
    return load_packaged_model(text), "default"


def _prepare(snapshot: Any, history: Any, override_text: str | None) -> tuple[RiskModel, str, Any] | RiskAssessment:
    """``(model, source, facts)``, or the assessment to report when there is no model or it or
    the history facts cannot be read."""
    t0 = time.perf_counter()
    try:
        model, source = choose_model(override_text, snapshot.risk_model_text)
    except RiskModelError as exc:
        return failed(str(exc), elapsed_ms=_ms(t0))
    if model is None:
        return RiskAssessment(status="no_model", elapsed_ms=_ms(t0))
    try:
        from bot.history.facts import compute_facts  # noqa: PLC0415

        facts = compute_facts(snapshot.diff, snapshot.pr.author, snapshot.pr.base_sha, history)
    except Exception as exc:  # noqa: BLE001 - any failure to read history fails the gate closed
        return failed(f"{type(exc).__name__}: {exc}", source=source, elapsed_ms=_ms(t0))
    return model, source, facts


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 2)


def findings_features(findings: Iterable[Any]) -> dict[str, float]:
    """The ``findings_<tag>`` features (:func:`bot.history.features.finding_features`) of
    ``findings`` (:class:`bot.core.models.Finding`), tags looked up in the default registry."""
    from bot.core.registry import default_registry  # noqa: PLC0415
    from bot.history.features import finding_features  # noqa: PLC0415

    registry = default_registry()
    return finding_features(registry.tags_of(f.rule_id) for f in findings)


def _score(prepared: tuple[RiskModel, str, Any] | RiskAssessment, findings: Iterable[Any] | None,
           elapsed_ms: float) -> RiskAssessment:
    if isinstance(prepared, RiskAssessment):
        return prepared
    model, source, facts = prepared
    features = dict(facts.features)
    if findings is not None:
        features.update(findings_features(findings))
    return assess(model, features, facts.where, source=source, elapsed_ms=elapsed_ms)


def assess_snapshot(snapshot: Any, history: Any, override_text: str | None,
                    findings: Iterable[Any] | None = None) -> RiskAssessment:
    """The assessment of one snapshot (``bot.core.protocols.Snapshot``) with a
    :class:`~bot.history.gitlog.LocalHistory`; ``findings``: the review's findings, counted by
    registry tag as features (None: those features stay 0). Never raises: errors become
    ``error`` assessments."""
    t0 = time.perf_counter()
    return _score(_prepare(snapshot, history, override_text), findings, _ms(t0))


class RiskStep:
    """Reads the history facts in a daemon thread (git is a subprocess, so it overlaps the
    sub-agents); :meth:`result` waits at most ``timeout_s``, adds the review's findings as features
    and scores. An overrun becomes an ``error`` assessment."""

    def __init__(self, snapshot: Any, history: Any, override_text: str | None) -> None:
        self._out: tuple[RiskModel, str, Any] | RiskAssessment | None = None
        self._t0 = time.perf_counter()
        self._elapsed = 0.0
        self._thread = threading.Thread(target=self._run, args=(snapshot, history, override_text),
                                        name="quorum-history", daemon=True)
        self._thread.start()

    def _run(self, snapshot: Any, history: Any, override_text: str | None) -> None:
        self._out = _prepare(snapshot, history, override_text)
        self._elapsed = _ms(self._t0)

    def result(self, timeout_s: float, findings: Iterable[Any] | None = None) -> RiskAssessment:
        """The assessment (an ``error`` one after ``timeout_s`` seconds); ``findings`` as in
        :func:`assess_snapshot`. ``elapsed_ms`` is the time the history facts took."""
        self._thread.join(max(0.0, timeout_s))
        if self._thread.is_alive() or self._out is None:
            return failed(f"history facts timed out after {timeout_s:g}s")
        return _score(self._out, findings, self._elapsed)
