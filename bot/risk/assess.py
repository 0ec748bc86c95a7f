"""A risk model's assessment of one pull request, as the policy engine sees it (pure).

:func:`assess` scores history facts with a model and keeps the facts that pushed the probability
up the most, phrased in plain words for the reasons of a held-back PR. An assessment whose facts
could not be computed has ``status`` ``"error"``: the policy gate then fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from bot.core.models import Record, _unit

if TYPE_CHECKING:
    from bot.risk.model import RiskModel

TOP_FACTS = 3
"""How many contributing facts an assessment names."""


@dataclass(slots=True, kw_only=True)
class RiskFact(Record):
    """One contributing fact: feature, its value, its contribution to the log-odds, the file or
    function it came from (``where``) and the fact in plain words (``text``). Numbers are held as
    floats."""

    feature: str
    value: float
    contribution: float
    where: str = ""
    text: str

    def __post_init__(self) -> None:
        self.value = float(self.value)
        self.contribution = float(self.contribution)


RISK_STATUSES: tuple[str, ...] = ("scored", "error", "no_model")
"""The values of :attr:`RiskAssessment.status`."""


@dataclass(slots=True, kw_only=True)
class RiskAssessment(Record):
    """``status``: ``scored`` (``probability`` set), ``error`` (facts or model unusable: the gate
    fails closed; ``error`` says why) or ``no_model``. ``proposed_max_probability`` is the
    model's own threshold; ``top`` the largest positive contributions; ``model_source`` where the
    model was read (``--risk-model``, ``.quorum/risk-model.json``, ``default``);
    ``features``: every feature value (for the decision log and the replay).

    Quorum's own record (a dataclass; ``model_validate`` checks a stored one with pydantic).
    Raises ValueError for a status outside :data:`RISK_STATUSES` or a probability outside [0, 1];
    numbers are held as floats, ``top`` items may be given as dicts, lists and dicts are copied.
    """

    status: Literal["scored", "error", "no_model"]
    probability: float | None = None
    proposed_max_probability: float | None = None
    model_id: str | None = None
    model_source: str = ""
    top: list[RiskFact] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    elapsed_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.status not in RISK_STATUSES:
            raise ValueError(f"status must be one of {', '.join(RISK_STATUSES)}, got {self.status!r}")
        if self.probability is not None:
            self.probability = _unit("probability", self.probability)
        if self.proposed_max_probability is not None:
            self.proposed_max_probability = float(self.proposed_max_probability)
        self.top = [t if isinstance(t, RiskFact) else RiskFact(**t) for t in self.top]
        self.features = {k: float(v) for k, v in self.features.items()}
        self.elapsed_ms = float(self.elapsed_ms)


def assess(model: RiskModel, features: dict[str, float], where: dict[str, str], *, source: str,
           elapsed_ms: float = 0.0) -> RiskAssessment:
    """Score ``features`` with ``model``; ``where`` maps features to the file or function that gave
    them. ``top`` names the largest positive contributions of features with a positive
    coefficient (a high value is the risk)."""
    from bot.risk.model import phrase  # noqa: PLC0415 - with the model, which is read only to score

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
