"""A small hand-written risk model for the risk tests (the ``model`` fixture)."""

from __future__ import annotations

import pytest

from bot.risk.model import FORMAT, VERSION, ModelFeature, RiskModel


def make_model(threshold: float = 0.2) -> RiskModel:
    """Intercept -3; file_fixes_12m (log1p, mean 0, scale 1, coef 1); lines_added (coef 0.5)."""
    return RiskModel(
        format=FORMAT, version=VERSION, kind="logistic", intercept=-3.0,
        features=[
            ModelFeature(name="file_fixes_12m", transform="log1p", mean=0.0, scale=1.0, coef=1.0),
            ModelFeature(name="lines_added", transform="log1p", mean=0.0, scale=1.0, coef=0.5),
        ],
        proposed_max_probability=threshold, target_bad_rate=0.005,
        training={"repositories": []}, metrics={"cv_auc": 0.7}, created_by="test",
    )


@pytest.fixture()
def model() -> RiskModel:
    return make_model()
