"""The risk model file (plain JSON, never pickle) and pure-Python scoring: no scikit-learn, no
numpy on the review path.

A model is a regularised logistic regression over the features of :mod:`bot.history.features`:
``p = 1 / (1 + exp(-(intercept + sum(coef_i * z_i))))`` with ``z_i = (t(x_i) - mean_i) / scale_i``
and ``t`` the feature's transform (``log1p`` for counts). Each feature's contribution is
``coef_i * z_i``: how far it moves the log-odds from a PR with average values; the reasons of a
held-back PR name the largest positive contributions in plain words.

File shape (``format`` ``quorum-risk-model``, ``version`` 1)::

    {"format": "quorum-risk-model", "version": 1, "kind": "logistic",
     "intercept": -3.1,
     "features": [{"name": "file_fixes_12m", "transform": "log1p", "mean": 0.4, "scale": 0.7,
                   "coef": 0.35, "definition": "..."}],
     "proposed_max_probability": 0.08, "target_bad_rate": 0.005,
     "training": {...}, "metrics": {...}, "created_by": "quorum calibrate"}

Unknown keys, unknown feature names, non-finite numbers and non-positive scales are errors
(:class:`RiskModelError`, one line).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from bot.history.features import FEATURES

FORMAT = "quorum-risk-model"
VERSION = 1


class RiskModelError(ValueError):
    """A model file that cannot be used (bad JSON, wrong shape, unknown feature)."""


@dataclass(frozen=True, kw_only=True)
class ModelFeature:
    """One input: name (a key of :data:`FEATURES`), transform, standardisation and coefficient.
    Numbers are held as floats."""

    name: str
    transform: Literal["log1p", "identity"]
    mean: float
    scale: float
    coef: float
    definition: str = ""

    def __post_init__(self) -> None:
        for name in ("mean", "scale", "coef"):
            object.__setattr__(self, name, float(getattr(self, name)))


@dataclass(frozen=True, kw_only=True)
class RiskModel:
    """A risk model; see the module docstring for the file shape. Built from a file by
    :func:`load_model` (validated) or by ``quorum calibrate``; numbers are held as floats, features
    may be given as dicts."""

    format: Literal["quorum-risk-model"]
    version: Literal[1]
    kind: Literal["logistic"]
    intercept: float
    features: list[ModelFeature]
    proposed_max_probability: float
    target_bad_rate: float | None = None
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    created_by: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "intercept", float(self.intercept))
        object.__setattr__(self, "proposed_max_probability", float(self.proposed_max_probability))
        if self.target_bad_rate is not None:
            object.__setattr__(self, "target_bad_rate", float(self.target_bad_rate))
        object.__setattr__(self, "features", [f if isinstance(f, ModelFeature) else ModelFeature(**f)
                                              for f in self.features])

    def model_dump(self, *, mode: str = "json") -> dict[str, Any]:
        """The model as JSON-ready data, keys in file order (as pydantic's ``model_dump(mode="json")``)."""
        del mode
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["features"] = [{f.name: getattr(feat, f.name) for f in fields(feat)} for feat in self.features]
        return json.loads(json.dumps(out))

    def model_id(self) -> str:
        """A short stable id: ``"risk:" + 12 hex digits`` of SHA-256 over the canonical JSON."""
        import hashlib  # noqa: PLC0415

        canon = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return "risk:" + hashlib.sha256(canon.encode()).hexdigest()[:12]

    def contributions(self, values: dict[str, float]) -> list[tuple[str, float, float]]:
        """``(feature, value, contribution to the log-odds)`` per model feature; a missing value is 0."""
        out = []
        for f in self.features:
            x = float(values.get(f.name, 0.0))
            t = math.log1p(max(x, 0.0)) if f.transform == "log1p" else x
            out.append((f.name, x, f.coef * (t - f.mean) / f.scale))
        return out

    def probability(self, values: dict[str, float]) -> float:
        """The predicted probability that the PR is bug-inducing, in (0, 1)."""
        z = self.intercept + sum(c for _, _, c in self.contributions(values))
        return _sigmoid(z)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def load_model(text: str | bytes, *, source: str = "risk model") -> RiskModel:
    """Parse and validate a model file (with :mod:`bot.risk.model_schema`, pydantic). Raises
    RiskModelError with a one-line message naming ``source``."""
    data = _json_object(text, source)
    from pydantic import ValidationError  # noqa: PLC0415 - only where a model file is validated

    from bot.risk.model_schema import RiskModelSpec  # noqa: PLC0415

    try:
        spec = RiskModelSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise RiskModelError(f"{source}: {where}: {err['msg']}") from None
    return RiskModel(**spec.model_dump(mode="json"))


def load_packaged_model(text: str | bytes, *, source: str = "rules/risk-model.json") -> RiskModel:
    """The model Quorum ships in ``rules/``, read without pydantic: Quorum's own file, held by
    ``tests/risk/test_model.py`` to equal :func:`load_model`'s result. A file not in the model's
    shape is validated by :func:`load_model` instead, which says what is wrong (RiskModelError)."""
    data = _json_object(text, source)
    try:
        return RiskModel(**data)
    except (TypeError, ValueError, KeyError):
        return load_model(text, source=source)


def _json_object(text: str | bytes, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RiskModelError(f"{source}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise RiskModelError(f"{source}: expected a JSON object")
    if data.get("format") != FORMAT:
        raise RiskModelError(f"{source}: 'format' must be {FORMAT!r}")
    return data


def dump_model(model: RiskModel) -> str:
    """The model as indented JSON text (what ``quorum calibrate`` writes)."""
    return json.dumps(model.model_dump(mode="json"), indent=2, sort_keys=False) + "\n"


def phrase(feature: str, value: float, where: str = "") -> str:
    """The fact behind a feature in plain words, e.g. ``"xarray/core/variable.py needed 14 fix
    commits in the last 12 months"``."""
    d = FEATURES[feature]
    shown = f"{value:.2f}" if d.transform == "identity" and value != int(value) else f"{int(round(value)):,}"
    text = d.phrase.format(value=shown, where=where or "a changed file")
    return text
