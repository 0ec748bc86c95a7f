"""Quorum's findings counted by registry tag are risk features (issue 12)."""

from __future__ import annotations

from types import SimpleNamespace

from bot.core.models import Finding
from bot.core.registry import TAGS
from bot.history.features import FEATURES, FINDING_TAGS, finding_feature, finding_features
from bot.risk.model import FORMAT, VERSION, ModelFeature, RiskModel, dump_model
from bot.risk.step import RiskStep, assess_snapshot, findings_features


def _finding(rule_id: str, severity: str = "info") -> Finding:
    return Finding.make(rule_id=rule_id, agent=rule_id.split("/")[0] if "/" in rule_id else "anti_patterns",
                        severity=severity, message="m", path="a.py", line=1)


def test_every_finding_tag_is_a_registry_tag_and_a_feature() -> None:
    assert set(FINDING_TAGS) <= set(TAGS)
    for tag in FINDING_TAGS:
        d = FEATURES[finding_feature(tag)]
        assert d.transform == "log1p" and tag in d.definition
    assert finding_feature("call-site") == "findings_call_site"


def test_findings_are_counted_once_per_tag() -> None:
    counts = finding_features([("reach",), ("control-flow", "control-flow"), ("secret",), ()])
    assert counts["findings_reach"] == 1 and counts["findings_control_flow"] == 1
    assert sum(counts.values()) == 2 and set(counts) == {finding_feature(t) for t in FINDING_TAGS}
    by_registry = findings_features([_finding("paths/wide-reach"), _finding("paths/wide-reach"),
                                     _finding("logic/removed-guard", "major")])
    assert by_registry["findings_reach"] == 2 and by_registry["findings_control_flow"] == 1


def _model() -> RiskModel:
    return RiskModel(
        format=FORMAT, version=VERSION, kind="logistic", intercept=-3.0,
        features=[ModelFeature(name="findings_reach", transform="log1p", mean=0.0, scale=1.0, coef=2.0)],
        proposed_max_probability=0.2, target_bad_rate=0.005, training={"repositories": []},
        metrics={"cv_auc": 0.7}, created_by="test",
    )


def test_the_review_findings_raise_the_score_and_are_named(monkeypatch) -> None:  # noqa: ANN001
    from bot.history import facts as facts_mod

    fake = SimpleNamespace(features=dict.fromkeys(FEATURES, 0.0), where={})
    monkeypatch.setattr(facts_mod, "compute_facts", lambda *a, **k: fake)
    snapshot = SimpleNamespace(risk_model_text=None, diff=None, pr=SimpleNamespace(author="a", base_sha="b"))
    text = dump_model(_model())
    quiet = assess_snapshot(snapshot, None, text)
    reached = assess_snapshot(snapshot, None, text, findings=[_finding("paths/wide-reach")] * 3)
    assert quiet.status == reached.status == "scored"
    assert reached.probability > quiet.probability and reached.features["findings_reach"] == 3
    assert reached.top[0].text == "Quorum reported 3 finding(s) about how far the change reaches through callers"
    step = RiskStep(snapshot, None, text)
    assert step.result(30, findings=[_finding("paths/wide-reach")] * 3).probability == reached.probability
