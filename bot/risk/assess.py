"""A risk model's assessment of one pull request, as the policy engine sees it (pure).

:func:`assess` scores history facts with a model and keeps the facts that pushed the probability
up the most, phrased in plain words for the reasons of a held-back PR. An assessment whose facts
could not be computed has ``status`` ``"error"``: the policy gate then fails closed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.risk.model import RiskModel, phrase

TOP_FACTS = 3
"""How many contributing facts an assessment names."""


class RiskFact(BaseModel):
    """One contributing fact: feature, its value, its contribution to the log-odds, the file or
    function it came from (``where``) and the fact in plain words (``text``)."""

    model_config = ConfigDict(extra="forbid")

    feature: str
    value: float
    contribution: float
    where: str = ""
    text: str


class RiskAssessment(BaseModel):
    """``status``: ``scored`` (``probability`` set), ``error`` (facts or model unusable: the gate
    fails closed; ``error`` says why) or ``no_model``. ``proposed_max_probability`` is the
    model's own threshold; ``top`` the largest positive contributions; ``model_source`` where the
    model was read (``--risk-model``, ``.quorum/risk-model.json``, ``default``);
    ``features``: every feature value (for the decision log and the replay)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["scored", "error", "no_model"]
    probability: float | None = Field(default=None, ge=0.0, le=1.0)
    proposed_max_probability: float | None = None
    model_id: str | None = None
    model_source: str = ""
    top: list[RiskFact] = Field(default_factory=list)
    features: dict[str, float] = Field(default_factory=dict)
    error: str | None = None
    elapsed_ms: float = 0.0


def assess(model: RiskModel, features: dict[str, float], where: dict[str, str], *, source: str,
           elapsed_ms: float = 0.0) -> RiskAssessment:
    """Score ``features`` with ``model``; ``where`` maps features to the file or function that gave
    them. ``top`` names the largest positive contributions of features with a positive
    coefficient (a high value is the risk)."""
    contribs = model.contributions(features)
    # Name only facts that are high where high means risk (a positive coefficient above the mean):
    # "the change deletes 0 lines" is true of a risky PR too, but it is not a reason.
    rising = {f.name for f in model.features if f.coef > 0}
    top = sorted((c for c in contribs if c[2] > 0 and c[0] in rising), key=lambda c: c[2], reverse=True)[:TOP_FACTS]
    facts = [
        RiskFact(feature=name, value=value, contribution=round(contrib, 4), where=where.get(name, ""),
                 text=phrase(name, value, where.get(name, "")))
        for name, value, contrib in top
    ]
    return RiskAssessment(
        status="scored", probability=round(model.probability(features), 6),
        proposed_max_probability=model.proposed_max_probability, model_id=model.model_id(),
        model_source=source, top=facts, features=features, elapsed_ms=elapsed_ms,
    )


def failed(message: str, *, source: str = "", elapsed_ms: float = 0.0) -> RiskAssessment:
    """An assessment that could not be made (the gate fails closed)."""
    return RiskAssessment(status="error", error=message[:300], model_source=source, elapsed_ms=elapsed_ms)


def as_details(a: RiskAssessment) -> dict[str, Any]:
    """The JSON-able summary the policy tree keeps (no feature dump)."""
    return {"status": a.status, "probability": a.probability, "model_id": a.model_id,
            "model_source": a.model_source, "top": [f.model_dump() for f in a.top], "error": a.error}
