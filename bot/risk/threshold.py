"""Proposing ``risk_model.max_probability`` so that it holds on *later* pull requests.

A threshold read off cross-validated probabilities is on the scale of the cross-validation models,
not of the model that ships: with strong regularisation the two differ, and on pydantic the
proposed 0.039 sat below every later PR's score (and below every training PR's score under the
shipped model), so the gate approved nothing. Two changes make the proposal transfer:

1. **A share, not a raw probability.** What is chosen is the share of PRs (within the size caps)
   the gate lets through; it becomes a probability only at the end, as the score at that share
   among PRs scored by the shipped model (:func:`share_threshold`).
2. **Chosen out of time.** The share is chosen on a time-ordered validation fold: a model with
   the same settings is fitted on the earliest part of the training window and scores the latest
   part (:data:`VALIDATION_SHARE` of the PRs), the part nearest in time to the PRs the gate will
   judge. The share is the largest whose bad rate is consistent with the target
   (:func:`propose_threshold` on that fold's curve), and the threshold is the shipped model's
   score at that share among the same latest PRs.

Labels of the latest PRs of a window are censored (a fix may come up to 365 days later), which
makes their bad rate look lower than it will be; the report of ``scripts/risk_time_split_report.py``
checks the proposal against the later halves (pass share and bad approvals).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

VALIDATION_SHARE = 0.25
"""Share of the training PRs (the latest by merge time) held out to choose the pass share."""
MIN_VALIDATION_IN_CAPS = 20
"""Fewer in-caps PRs than this in the validation fold: choose on cross-validation instead."""


def threshold_curve(scores: Sequence[float], labels: Sequence[int], points: int = 40) -> list[dict[str, float]]:
    """Threshold -> pass rate (share with score <= threshold) and bad rate among those passing, at
    ``points`` quantiles of the scores (ascending). Each point: ``threshold``, ``pass_rate``,
    ``bad_rate``, ``passing``, ``bad``."""
    if not scores:
        return []
    order = sorted(zip(scores, labels))
    n = len(order)
    out: list[dict[str, float]] = []
    seen: set[float] = set()
    for q in range(1, points + 1):
        idx = max(0, min(n - 1, round(q * n / points) - 1))
        t = order[idx][0]
        if t in seen:
            continue
        seen.add(t)
        passing = [lab for s, lab in order if s <= t]
        out.append({"threshold": round(t, 6), "pass_rate": round(len(passing) / n, 4),
                    "bad_rate": round(sum(passing) / len(passing), 5), "passing": len(passing), "bad": sum(passing)})
    return out


def _proposed_point(curve: Sequence[dict[str, float]], target: float) -> dict[str, float] | None:
    from bot.evals.stats import wilson_interval  # noqa: PLC0415

    ok = [p for p in curve if wilson_interval(int(p["bad"]), int(p["passing"]))[0] <= target]
    if ok:
        return max(ok, key=lambda p: p["threshold"])
    return curve[0] if curve else None


def propose_threshold(curve: Sequence[dict[str, float]], target: float) -> float:
    """The largest curve threshold whose bad rate is consistent with ``target``: the lower end of
    its Wilson 95% interval is at most ``target`` (a point estimate alone would stop at the first
    bad PR among the few lowest-scored ones). The lowest threshold of the curve when none is
    (0.5 for an empty curve)."""
    p = _proposed_point(curve, target)
    return 0.5 if p is None else max(1e-6, p["threshold"])


def propose_share(curve: Sequence[dict[str, float]], target: float) -> float:
    """The pass rate at :func:`propose_threshold`'s point of ``curve`` (0..1; 0.0 for an empty curve)."""
    p = _proposed_point(curve, target)
    return 0.0 if p is None else float(p["pass_rate"])


def share_threshold(scores: Sequence[float], share: float) -> float:
    """The threshold that lets through ``share`` (0..1) of ``scores``: the score of rank
    ``max(1, round(share * n))`` in ascending order (at least one PR passes), within
    ``[1e-6, 1]``. Raises ValueError for no scores."""
    if not scores:
        raise ValueError("no scores to take a share of")
    order = sorted(scores)
    k = max(1, min(len(order), round(share * len(order))))
    return min(1.0, max(1e-6, float(order[k - 1])))


def validation_split(timestamps: Sequence[int], in_caps: Sequence[bool], share: float = VALIDATION_SHARE,
                     groups: Sequence[str] | None = None) -> tuple[list[int], list[int]] | None:
    """``(fit indices, validation in-caps indices)``: the latest ``share`` of the PRs by merge
    time (``timestamps``, seconds) form the validation fold, of which only those within the size
    caps are kept; the rest are fitted on. With ``groups`` (the repository of each PR, when
    several are pooled), the latest ``share`` of each repository. None when the fold would hold
    fewer than :data:`MIN_VALIDATION_IN_CAPS` in-caps PRs."""
    keys = list(groups) if groups is not None else [""] * len(timestamps)
    fit_idx: list[int] = []
    val_all: list[int] = []
    for g in sorted(set(keys)):
        order = sorted((i for i in range(len(timestamps)) if keys[i] == g), key=lambda i: (timestamps[i], i))
        n_val = int(round(len(order) * share))
        if n_val <= 0 or n_val >= len(order):
            fit_idx += order
            continue
        fit_idx += order[:-n_val]
        val_all += order[-n_val:]
    val_idx = sorted(i for i in val_all if in_caps[i])
    if not fit_idx or len(val_idx) < MIN_VALIDATION_IN_CAPS:
        return None
    return sorted(fit_idx), val_idx


def describe(rule: str, share: float, threshold: float, curve: Sequence[dict[str, float]],
             extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``metrics.threshold`` entry of a model: how its threshold was chosen (``rule``), the
    pass share it aims at among in-caps PRs, the threshold, and the curve it was chosen on."""
    return {"rule": rule, "pass_share": round(share, 4), "max_probability": round(threshold, 6),
            "curve": list(curve), **(extra or {})}
