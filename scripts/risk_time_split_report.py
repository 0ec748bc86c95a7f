"""Markdown tables of the risk gate's time-split evaluation from ``quorum replay --format json``
outputs (one per corpus) and the models they used.

Usage: ``python scripts/risk_time_split_report.py NAME=REPLAY.json:MODEL.json ... [--pool NAME,NAME]``

For each corpus, with Wilson 95% intervals, measured on the same records: Quorum with the gate
at the model's proposed threshold (the replay's own decision); Quorum with the gate at the
threshold the current ``calibrate`` rule proposes from the model's stored curve (the gate only
holds back, so this is Quorum-without-gate AND probability <= threshold, recomputed from the
records); Quorum with ``paths/wide-reach`` dropped from the hold rules and the gate kept (when the
records carry ``action_without_wide_reach``); Quorum without the gate; both baselines. Then the AUC of the risk score, and the
trade-off curve with the baselines. ``--pool``: also pool those corpora.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.evals.stats import rate
from bot.risk.calibrate import auc, propose_threshold


def approved_sets(records: list[dict[str, Any]], t_run: float | None, t_new: float | None) -> dict[str, list[dict[str, Any]]]:
    ok = [r for r in records if r.get("action") != "error"]
    base = [r for r in ok if r.get("action_without_risk", r.get("action")) == "approve"]

    def gated(t: float | None) -> list[dict[str, Any]]:
        return [r for r in base if t is None or (r.get("risk_probability") is not None and r["risk_probability"] <= t)]

    return {
        "Quorum + risk gate (threshold as run)": [r for r in ok if r.get("action") == "approve"],
        f"Quorum + risk gate (threshold {t_new:.4f}, current rule)" if t_new is not None else "n/a": gated(t_new),
        "Quorum, gate instead of the paths/wide-reach hold": [
            r for r in ok if r.get("action_without_wide_reach", r.get("action")) == "approve"],
        "Quorum without the risk gate": base,
        "small_change": [r for r in ok if r.get("baselines", {}).get("small_change")],
        "no_runtime_source": [r for r in ok if r.get("baselines", {}).get("no_runtime_source")],
    }


def row(name: str, records: list[dict[str, Any]], approved: list[dict[str, Any]]) -> str:
    el = [r for r in approved if r.get("eligible")]
    aa = rate(len(approved), len(records)).pct()
    szz = rate(sum(bool(r.get("szz")) for r in el), len(el)).pct()
    rev = rate(sum(bool(r.get("reverted")) for r in el), len(el)).pct()
    n_rev = sum(bool(r.get("reverted")) for r in el)
    return f"| {name} | {aa} | {szz} | {rev} | {n_rev} |"


def curve(records: list[dict[str, Any]], points: int = 8) -> list[str]:
    base = [r for r in records if r.get("action") != "error" and r.get("action_without_risk") == "approve"
            and r.get("risk_probability") is not None]
    probs = sorted(r["risk_probability"] for r in base)
    out = []
    for q in range(1, points + 1):
        if not probs:
            break
        t = probs[max(0, round(q * len(probs) / points) - 1)]
        appr = [r for r in base if r["risk_probability"] <= t]
        el = [r for r in appr if r.get("eligible")]
        out.append(f"t={t:.4f}: approve {rate(len(appr), len(records)).pct()}, SZZ bad "
                   f"{rate(sum(bool(r.get('szz')) for r in el), len(el)).pct()}, reverted approved "
                   f"{sum(bool(r.get('reverted')) for r in el)}")
    return out


def auc_interval(a: float | None, pos: int, neg: int) -> str:
    """``a [low-high]``: the AUC with a 95% interval from the Hanley-McNeil (1982, Radiology 143)
    standard error; ``n/a`` without both classes."""
    import math

    if a is None or pos == 0 or neg == 0:
        return "n/a"
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = math.sqrt((a * (1 - a) + (pos - 1) * (q1 - a * a) + (neg - 1) * (q2 - a * a)) / (pos * neg))
    return f"{a:.3f} [{max(0.0, a - 1.96 * se):.3f}-{min(1.0, a + 1.96 * se):.3f}]"


_GATE_ONLY = {"risk.probability"}


def approved_without_reach_and_gate(r: dict[str, Any]) -> bool:
    """Reconstructed from the reasons: the policy without ``paths/wide-reach`` in the hold rules
    and without the gate approves ``r`` when every failing gate was the risk gate or the hold rules
    held it only through ``paths/wide-reach`` findings."""
    if r.get("action") == "error":
        return False
    if r.get("action") == "approve" or r.get("action_without_risk") == "approve":
        return True
    reasons = set(r.get("reasons", [])) - _GATE_ONLY
    if reasons == {"findings.hold_rules"}:
        holds = {f["rule_id"] for f in r.get("findings", [])} & {"paths/wide-reach", "logic/untested-behaviour-change"}
        return holds == {"paths/wide-reach"}
    return not reasons


def reach_curve(records: list[dict[str, Any]], points: int = 8) -> list[str]:
    base = [r for r in records if approved_without_reach_and_gate(r) and r.get("risk_probability") is not None]
    probs = sorted(r["risk_probability"] for r in base)
    out = []
    for q in range(1, points + 1):
        if not probs:
            break
        t = probs[max(0, round(q * len(probs) / points) - 1)]
        appr = [r for r in base if r["risk_probability"] <= t]
        el = [r for r in appr if r.get("eligible")]
        out.append(f"t={t:.4f}: approve {rate(len(appr), len(records)).pct()}, SZZ bad "
                   f"{rate(sum(bool(r.get('szz')) for r in el), len(el)).pct()}, reverted approved "
                   f"{sum(bool(r.get('reverted')) for r in el)}")
    return out


def report(name: str, records: list[dict[str, Any]], t_run: float | None, t_new: float | None) -> None:
    el = [r for r in records if r.get("eligible") and r.get("risk_probability") is not None]
    p = [r["risk_probability"] for r in el]
    a_szz = auc(p, [int(bool(r.get("szz"))) for r in el])
    a_rev = auc(p, [int(bool(r.get("reverted"))) for r in el])
    n_szz = sum(bool(r.get("szz")) for r in el)
    n_rev = sum(bool(r.get("reverted")) for r in el)
    print(f"\n#### {name}: {len(records)} PRs reviewed, {len(el)} label-eligible ({n_szz} SZZ, {n_rev} reverted); "
          f"AUC of the risk score: SZZ {auc_interval(a_szz, n_szz, len(el) - n_szz)}, "
          f"revert {auc_interval(a_rev, n_rev, len(el) - n_rev)}\n")
    print("| system | auto-approve | SZZ bad-approval | revert bad-approval | reverted PRs approved |")
    print("|---|---|---|---|---|")
    for label, appr in approved_sets(records, t_run, t_new).items():
        print(row(label, records, appr))
    print("\nTrade-off (Quorum without the gate, AND risk <= t): " + "; ".join(curve(records)))
    print("\nTrade-off (without the paths/wide-reach hold and the gate, reconstructed from the reasons, AND risk <= t): "
          + "; ".join(reach_curve(records)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpora", nargs="+")
    ap.add_argument("--pool", default="")
    args = ap.parse_args()
    pooled: list[dict[str, Any]] = []
    pool = set(filter(None, args.pool.split(",")))
    for spec in args.corpora:
        name, _, files = spec.partition("=")
        replay, _, model_path = files.partition(":")
        with open(replay, encoding="utf-8") as fh:
            data = json.load(fh)
        with open(model_path, encoding="utf-8") as fh:
            model = json.load(fh)
        t_run = model["proposed_max_probability"]
        t_new = propose_threshold(model["metrics"]["curve"], model.get("target_bad_rate") or 0.005)
        records = data["records"]
        for r in records:
            r["_t_new"] = t_new
        report(f"{name} (HEAD {data['head_sha'][:10]}, PRs merged since {data['selection']['since'][:10]}; "
               f"model threshold as run {t_run:.4f})", records, t_run, t_new)
        if name in pool:
            pooled.extend(records)
    if pooled:
        # Pooled: each record is gated at its own corpus's threshold.
        for r in pooled:
            if r.get("action_without_risk") == "approve" and r.get("risk_probability") is not None:
                r["_new_ok"] = r["risk_probability"] <= r["_t_new"]
        ok = [r for r in pooled if r.get("action") != "error"]
        sets = {
            "Quorum + risk gate (threshold as run)": [r for r in ok if r.get("action") == "approve"],
            "Quorum + risk gate (current rule, per-corpus threshold)": [r for r in ok if r.get("_new_ok")],
            "Quorum, gate instead of the paths/wide-reach hold": [
                r for r in ok if r.get("action_without_wide_reach", r.get("action")) == "approve"],
            "Quorum without the risk gate": [r for r in ok if r.get("action_without_risk") == "approve"],
            "small_change": [r for r in ok if r.get("baselines", {}).get("small_change")],
            "no_runtime_source": [r for r in ok if r.get("baselines", {}).get("no_runtime_source")],
        }
        print(f"\n#### pooled ({', '.join(sorted(pool))}): {len(pooled)} PRs\n")
        print("| system | auto-approve | SZZ bad-approval | revert bad-approval | reverted PRs approved |")
        print("|---|---|---|---|---|")
        for label, appr in sets.items():
            print(row(label, pooled, appr))
        el = [r for r in pooled if r.get("eligible") and r.get("risk_probability") is not None]
        n_szz = sum(bool(r.get("szz")) for r in el)
        a_szz = auc([r["risk_probability"] for r in el], [int(bool(r.get("szz"))) for r in el])
        print(f"\nPooled AUC of the risk score (SZZ, per-corpus models): {auc_interval(a_szz, n_szz, len(el) - n_szz)}")
        print("\nPooled trade-off (without the paths/wide-reach hold and the gate, AND risk <= t): "
              + "; ".join(reach_curve(pooled)))


if __name__ == "__main__":
    main()
