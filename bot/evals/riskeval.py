"""Figures of the history risk gate in a replay: how well the risk score ranks bad PRs (AUC),
and the trade-off between approval rate and bad-approval rate as its threshold moves, with the
naive baselines on the same axes.

Records are those of :func:`bot.evals.replay.review_pr` after labelling (``eligible``,
``reverted``, ``szz``), with ``risk_probability`` and ``action_without_risk``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.evals.baselines import BASELINES
from bot.evals.stats import rate
from bot.risk.calibrate import auc


def _approved_no_risk(r: dict[str, Any]) -> bool:
    return r.get("action") != "error" and r.get("action_without_risk", r.get("action")) == "approve"


def _point(records: Sequence[dict[str, Any]], approved: Sequence[dict[str, Any]], label: str) -> dict[str, Any]:
    n = len(records)
    el = [r for r in approved if r.get("eligible")]
    reverted_total = sum(bool(r.get("reverted")) for r in records if r.get("eligible"))
    return {
        "label": label,
        "auto_approve": rate(len(approved), n).as_dict(),
        "szz_bad_approval": rate(sum(bool(r.get("szz")) for r in el), len(el)).as_dict(),
        "revert_bad_approval": rate(sum(bool(r.get("reverted")) for r in el), len(el)).as_dict(),
        "reverted_approved": sum(bool(r.get("reverted")) for r in el),
        "reverted_eligible": reverted_total,
    }


def risk_summary(records: Sequence[dict[str, Any]], points: int = 12) -> dict[str, Any]:
    """``auc`` (szz / revert / either, among label-eligible scored PRs), ``scored`` count,
    ``curve``: Quorum without the gate intersected with ``probability <= t`` for thresholds at
    quantiles of the scores of the PRs it approves, plus ``baselines`` points and
    ``matched_small_change``: the curve point whose approval rate is the largest not above
    ``small_change``'s, with both systems' reverted approvals."""
    scored = [r for r in records if r.get("risk_probability") is not None]
    el = [r for r in scored if r.get("eligible")]
    out: dict[str, Any] = {"scored": len(scored), "eligible_scored": len(el)}
    probs = [float(r["risk_probability"]) for r in el]
    out["auc"] = {
        "szz": _r(auc(probs, [int(bool(r.get("szz"))) for r in el])),
        "revert": _r(auc(probs, [int(bool(r.get("reverted"))) for r in el])),
        "either": _r(auc(probs, [int(bool(r.get("szz") or r.get("reverted"))) for r in el])),
    }
    base = [r for r in records if _approved_no_risk(r)]
    cand = sorted({float(r["risk_probability"]) for r in base if r.get("risk_probability") is not None})
    thresholds: list[float] = []
    for q in range(1, points + 1):
        if cand:
            thresholds.append(cand[max(0, min(len(cand) - 1, round(q * len(cand) / points) - 1))])
    curve = []
    for t in sorted(set(thresholds)):
        approved = [r for r in base if r.get("risk_probability") is not None and float(r["risk_probability"]) <= t]
        curve.append({"threshold": round(t, 6), **_point(records, approved, f"quorum, risk <= {t:.4f}")})
    curve.append({"threshold": None, **_point(records, base, "quorum without the risk gate")})
    out["curve"] = curve
    out["baselines"] = {name: _point(records, [r for r in records if r.get("action") != "error"
                                               and r.get("baselines", {}).get(name)], name) for name in BASELINES}
    sc = out["baselines"].get("small_change")
    if sc is not None and curve:
        target = sc["auto_approve"]["rate"] or 0.0
        below = [p for p in curve if (p["auto_approve"]["rate"] or 0.0) <= target + 1e-12]
        if below:
            best = max(below, key=lambda p: p["auto_approve"]["rate"] or 0.0)
            out["matched_small_change"] = {
                "quorum": best, "small_change": sc,
                "reverted_at_most_half": best["reverted_approved"] <= sc["reverted_approved"] / 2,
            }
    return out


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)
