"""The risk.probability gate: skip, pass, fail, fail closed; it only ever holds approvals back."""

from __future__ import annotations

import itertools

import pytest

from bot.core.models import Action
from bot.policy import evaluate
from bot.policy.predicates.risk import probability
from bot.risk.assess import RiskAssessment, RiskFact, failed


def _scored(p: float, proposed: float = 0.1) -> RiskAssessment:
    return RiskAssessment(
        status="scored", probability=p, proposed_max_probability=proposed, model_id="risk:x", model_source="test",
        top=[RiskFact(feature="file_fixes_12m", value=14, contribution=1.2, where="xarray/core/variable.py",
                      text="xarray/core/variable.py needed 14 fix commits in the last 12 months")],
    )


def test_skipped_without_history_or_model(mk, default_policy) -> None:  # noqa: ANN001
    assert probability(default_policy, mk.facts()).status == "skip"
    facts = mk.facts().model_copy(update={"risk": RiskAssessment(status="no_model")})
    assert probability(default_policy, facts).status == "skip"


def test_over_the_proposed_threshold_fails_and_names_the_facts(mk, default_policy) -> None:  # noqa: ANN001
    r = probability(default_policy, mk.facts().model_copy(update={"risk": _scored(0.3)}))
    assert r.status == "fail"
    assert "xarray/core/variable.py needed 14 fix commits in the last 12 months" in r.message
    assert r.details["threshold"] == 0.1
    assert probability(default_policy, mk.facts().model_copy(update={"risk": _scored(0.05)})).status == "pass"


def test_policy_threshold_overrides_the_model(mk) -> None:  # noqa: ANN001
    pol = mk.policy("risk_model:\n  max_probability: 0.5\n")
    assert probability(pol, mk.facts().model_copy(update={"risk": _scored(0.3)})).status == "pass"
    off = mk.policy("risk_model:\n  enabled: false\n")
    assert probability(off, mk.facts().model_copy(update={"risk": _scored(0.9)})).status == "skip"


def test_unreadable_history_fails_closed(mk, default_policy) -> None:  # noqa: ANN001
    r = probability(default_policy, mk.facts().model_copy(update={"risk": failed("git log failed: bad object")}))
    assert r.status == "fail" and "git log failed" in r.message


@pytest.mark.parametrize("bad", ["max_probability: 0", "max_probability: 1.5", "threshold: 0.1"])
def test_invalid_settings_are_refused(mk, bad: str) -> None:  # noqa: ANN001
    from bot.core.errors import PolicyError

    with pytest.raises(PolicyError):
        mk.policy(f"risk_model:\n  {bad}\n")


def test_the_gate_can_only_hold_back(mk, default_policy) -> None:  # noqa: ANN001
    """Over many combinations, a decision with an assessment is never weaker than without one."""
    diffs = [mk.small_diff(), mk.diff(mk.modified("src/app.py", added=300)), mk.diff(mk.modified(".github/workflows/ci.yml"))]
    verdict_sets = [mk.verdicts(), mk.verdicts(logic={"status": "concern"}), mk.verdicts(safety={"status": "abstain"})]
    risks = [None, _scored(0.01), _scored(0.9), failed("boom"), RiskAssessment(status="no_model")]
    order = [Action.approve, Action.comment, Action.needs_human, Action.request_changes]
    approvals = 0
    for diff, verdicts, risk in itertools.product(diffs, verdict_sets, risks):
        plain = evaluate(default_policy, mk.facts(diff=diff, verdicts=verdicts))
        gated = evaluate(default_policy, mk.facts(diff=diff, verdicts=verdicts).model_copy(update={"risk": risk}))
        assert order.index(gated.action) >= order.index(plain.action)
        approvals += gated.action is Action.approve
    assert approvals > 0  # the combinations include approvals, so the check is not vacuous
