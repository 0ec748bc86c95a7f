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

3. **On PRs whose labels are complete.** A PR's SZZ label counts fixes merged up to
   :data:`MATURE_DAYS` (365) days after it, so the labels of a window's latest PRs are censored:
   their fixes have not happened yet at the cut-off, and their bad rate looks lower than it will
   be. (The third session's held-out replays showed it: axios's fold held 2 bad PRs of 73, its
   later PRs 14% SZZ-bad, and the gate let through 5 of 43.) With the cut-off of each repository
   known (``cutoffs``), the validation fold is therefore the latest :data:`VALIDATION_SHARE` of
   the PRs merged at least :data:`MATURE_DAYS` before it, and the validation model is fitted on
   all the other PRs, before and after the fold (on the development corpora, fitting on the PRs
   before the fold only gave the same bad approvals and 0.7 points fewer approvals). When too few
   mature PRs remain, the fold falls back to the latest PRs.
4. **A floor on the pass share** (:data:`MIN_PASS_SHARE`). The rule alone can hold nearly
   everything: on pydantic's mature fold (8 bad PRs of 61) it let 3% through, and the gate
   held back 46 of the 64 later PRs the policy would approve (1 of them SZZ-bad). The gate is meant
   to hold back the riskiest PRs, not to switch approval off; the share is at least the floor,
   and ``metrics.threshold.floor_applied`` says when the floor, not the target, decided.

``scripts/risk_time_split_report.py`` checks the proposal against the later halves (pass share and
bad approvals).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

VALIDATION_SHARE = 0.25
"""Share of the training PRs (the latest by merge time) held out to choose the pass share."""
MIN_VALIDATION_IN_CAPS = 20
"""Fewer in-caps PRs than this in the validation fold: choose on cross-validation instead."""
MIN_PASS_SHARE = 0.5
"""The proposed pass share among in-caps PRs is never below this: the gate holds back at most the
riskiest half. (Development corpora, the rule otherwise unchanged: floors of 0.3 / 0.5 / 0.7 gave
19.5% / 20.7% / 21.2% approvals with the same 3 SZZ-bad ones; 0.5 is the round middle.)"""
MATURE_DAYS = 365
"""Days after its merge by which a PR's label is complete: SZZ blames a fix on PRs merged up to
365 days before it (``bot.evals.labels.WINDOW_DAYS``)."""
DAY = 86_400


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
                     groups: Sequence[str] | None = None,
                     cutoffs: dict[str, int] | None = None) -> tuple[list[int], list[int]] | None:
    """``(fit indices, validation in-caps indices)``. The fold holds ``round(share * n)`` PRs of
    each repository (``groups``: the repository of each PR when several are pooled, else one
    group ``""``), of which only those within the size caps are kept:

    - with the repository's cut-off in ``cutoffs`` (group -> seconds), the latest of its PRs
      merged at least :data:`MATURE_DAYS` before the cut-off (complete labels), fitted on all its
      other PRs; when fewer than twice the fold size are that old, as below;
    - otherwise the latest PRs by merge time (``timestamps``, seconds), fitted on all earlier ones.

    None when the fold would hold fewer than :data:`MIN_VALIDATION_IN_CAPS` in-caps PRs."""
    keys = list(groups) if groups is not None else [""] * len(timestamps)
    fit_idx: list[int] = []
    val_all: list[int] = []
    for g in sorted(set(keys)):
        order = sorted((i for i in range(len(timestamps)) if keys[i] == g), key=lambda i: (timestamps[i], i))
        n_val = int(round(len(order) * share))
        if n_val <= 0 or n_val >= len(order):
            fit_idx += order
            continue
        cutoff = (cutoffs or {}).get(g)
        if cutoff is not None:
            mature = [i for i in order if timestamps[i] <= cutoff - MATURE_DAYS * DAY]
            if len(mature) >= 2 * n_val:
                fold = set(mature[-n_val:])
                fit_idx += [i for i in order if i not in fold]
                val_all += mature[-n_val:]
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
