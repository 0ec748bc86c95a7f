"""The validating schema of a risk model file (pydantic; see :mod:`bot.risk.model` for the shape).

Imported only to validate a file Quorum did not write into its own package: ``--risk-model``, a
repository's ``.quorum/risk-model.json`` (:func:`bot.risk.model.load_model`). The review scores
with the dataclasses of :mod:`bot.risk.model`, built from the validated values.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.history.features import FEATURES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelFeatureSpec(_Strict):
    """One input: name (a key of :data:`FEATURES`), transform, standardisation and coefficient."""

    name: str
    transform: Literal["log1p", "identity"]
    mean: float
    scale: float = Field(gt=0.0)
    coef: float
    definition: str = ""

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in FEATURES:
            raise ValueError(f"unknown feature {value!r}")
        return value

    @field_validator("mean", "scale", "coef")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be finite")
        return value


class RiskModelSpec(_Strict):
    """A validated risk model; see the module docstring for the file shape."""

    format: Literal["quorum-risk-model"]
    version: Literal[1]
    kind: Literal["logistic"]
    intercept: float
    features: list[ModelFeatureSpec] = Field(min_length=1)
    proposed_max_probability: float = Field(gt=0.0, le=1.0)
    target_bad_rate: float | None = None
    training: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    created_by: str = ""

    @field_validator("intercept")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be finite")
        return value
