"""Markdown tables (and SVG trade-off curves) of the risk gate's time-split evaluation from
``quorum replay --format json`` outputs, one per corpus, and the model to gate each with.

Usage::

    python scripts/risk_time_split_report.py NAME=REPLAY.json:MODEL.json ... \\
        [--pool development=httpx,black --pool held-out=grpc-go,core] [--svg-dir DIR]

Every record is rescored from its recorded ``risk_features`` with MODEL.json and gated at the
model's ``proposed_max_probability``: the gate only holds back, so "Quorum + risk gate" is
exactly "Quorum without the gate AND probability <= threshold", and a model re-thresholded or
refitted after the replay is measured on the same reviews. Every system of a table is measured
on the same records (one run): Quorum with and without the gate, Quorum without the
``paths/wide-reach`` hold (reconstructed from the reasons, gate kept), and both baselines.

Rates (auto-approval, SZZ bad-approval: SZZ-bad / approved among label-eligible PRs; Wilson 95%)
use the random sample only. Records that ``--with-reverted`` added (``in_sample: false``) count
only in the reverted census: of all label-eligible reverted PRs of the window, how many each
system approved. Per corpus also: the AUC of the risk score (Hanley-McNeil interval), whether the
model's threshold transfers (the pass share it aimed at among in-caps PRs against the share of
later in-caps PRs under it), and the trade-off curve (the gate at per-corpus quantiles of the
later scores, so corpora with different models pool) with the baselines on it.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.evals.stats import rate
from bot.risk.calibrate import auc
from bot.risk.model import load_model
from bot.risk.threshold import propose_share

Record = dict[str, Any]
SIZE_CAP_LINES, SIZE_CAP_FILES = 200, 10
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
_GATE = {"risk.probability"}


def without_gate(r: Record) -> bool:
    """Quorum without the risk gate approves ``r`` (the policy re-evaluated on the same verdicts)."""
    return r.get("action") != "error" and r.get("action_without_risk", r.get("action")) == "approve"


def without_reach(r: Record) -> bool:
    """Quorum without ``paths/wide-reach`` in the hold rules and without the gate approves ``r``:
    every failing gate was the risk gate, or the hold rules held it only through wide-reach."""
    if r.get("action") == "error":
        return False
    if without_gate(r):
        return True
    reasons = set(r.get("reasons", [])) - _GATE
    if reasons == {"findings.hold_rules"}:
        holds = {f["rule_id"] for f in r.get("findings", [])} & {"paths/wide-reach", "logic/untested-behaviour-change"}
        return holds == {"paths/wide-reach"}
    return not reasons


def held_only_by_untested(r: Record) -> bool:
    """The hold rules held ``r`` only through ``logic/untested-behaviour-change`` findings and no
    other gate but the risk gate failed (reconstructed from the reasons)."""
    if r.get("action") == "error" or set(r.get("reasons", [])) - _GATE != {"findings.hold_rules"}:
        return False
    holds = {f["rule_id"] for f in r.get("findings", [])} & {"paths/wide-reach", "logic/untested-behaviour-change"}
    return holds == {"logic/untested-behaviour-change"}


def untested_on_unfixed_files(r: Record) -> bool:
    """Quorum without the gate would approve ``r`` if ``logic/untested-behaviour-change`` held only
    where a changed file had a fix commit in the last 12 months (``file_fixes_12m`` > 0), as
    reconstructed from the reasons: approved already, or held by that rule's findings alone with
    no such file (no history: held)."""
    if without_gate(r):
        return True
    features = r.get("risk_features") or {}
    return held_only_by_untested(r) and bool(features) and float(features.get("file_fixes_12m", 1)) == 0


def gated(r: Record) -> bool:
    """The record's rescored probability is at or under its model's threshold (None: held)."""
    return r.get("_p") is not None and r["_p"] <= r["_t"]


def systems() -> dict[str, Callable[[Record], bool]]:
    """Every system of the tables: name -> approves(record)."""
    return {
        "Quorum + risk gate": lambda r: without_gate(r) and gated(r),
        "Quorum without the paths/wide-reach hold, gate kept": lambda r: without_reach(r) and gated(r),
        "Quorum without the untested-change hold, gate kept":
            lambda r: (without_gate(r) or held_only_by_untested(r)) and gated(r),
        "Quorum, untested-change hold only on files fixed in 12 months, gate kept":
            lambda r: untested_on_unfixed_files(r) and gated(r),
        "Quorum without the risk gate": without_gate,
        "small_change": lambda r: r.get("action") != "error" and bool(r.get("baselines", {}).get("small_change")),
        "no_runtime_source": lambda r: r.get("action") != "error" and bool(r.get("baselines", {}).get("no_runtime_source")),
    }


def point(sample: list[Record], census: list[Record], approves: Callable[[Record], bool]) -> dict[str, Any]:
    """Approval rate and SZZ bad-approval on ``sample``; reverted approved on the sample and on
    ``census`` (the label-eligible reverted PRs of the window)."""
    appr = [r for r in sample if approves(r)]
    el = [r for r in appr if r.get("eligible")]
    return {"approve": rate(len(appr), len(sample)), "szz": rate(sum(bool(r.get("szz")) for r in el), len(el)),
            "rev_sample": sum(bool(r.get("reverted")) for r in el), "rev_census": sum(approves(r) for r in census)}


def auc_interval(a: float | None, pos: int, neg: int) -> str:
    """``a [low-high]``: the AUC with a 95% interval from the Hanley-McNeil (1982, Radiology 143)
    standard error; ``n/a`` without both classes."""
    if a is None or pos == 0 or neg == 0:
        return "n/a"
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = math.sqrt((a * (1 - a) + (pos - 1) * (q1 - a * a) + (neg - 1) * (q2 - a * a)) / (pos * neg))
    return f"{a:.3f} [{max(0.0, a - 1.96 * se):.3f}-{min(1.0, a + 1.96 * se):.3f}]"


def in_caps(r: Record) -> bool:
    s = r.get("stats") or {}
    return s.get("changed_lines", 1 << 30) <= SIZE_CAP_LINES and s.get("files", 1 << 30) <= SIZE_CAP_FILES


def load(spec: str) -> tuple[str, list[Record], dict[str, Any]]:
    """``NAME=REPLAY.json:MODEL.json`` -> name, records rescored (``_p``, ``_t``, ``_q``: the
    score's quantile among the corpus's scored sample records), model facts."""
    name, _, files = spec.partition("=")
    replay, _, model_path = files.partition(":")
    data = json.loads(Path(replay).read_text(encoding="utf-8"))
    model = load_model(Path(model_path).read_text(encoding="utf-8"))
    records: list[Record] = data["records"]
    for r in records:
        f = r.get("risk_features")
        r["_p"] = model.probability({k: float(v) for k, v in f.items()}) if f else None
        r["_t"] = model.proposed_max_probability
        r["_name"] = name
    scored = sorted(r["_p"] for r in records if r.get("in_sample", True) and r["_p"] is not None)
    for r in records:
        r["_q"] = None if r["_p"] is None else _rank(scored, r["_p"])
    chosen = model.metrics.get("threshold") or {}
    share = chosen.get("pass_share")
    if not chosen and model.metrics.get("curve"):
        # A model of the earlier rule: the raw threshold read off the cross-validated curve, and
        # the share that curve said it would let through.
        share = propose_share(model.metrics["curve"], model.target_bad_rate or 0.005)
    rule = chosen.get("rule", "cross-validation (raw)")
    if chosen.get("floor_applied"):
        rule += f" (floor: the target alone gave {chosen.get('target_share', 0):.1%})"
    return name, records, {"threshold": model.proposed_max_probability, "rule": rule,
                           "pass_share": share, "head": data["head_sha"][:10],
                           "since": (data["selection"].get("since") or "")[:10]}


def _rank(sorted_scores: list[float], p: float) -> float:
    import bisect  # noqa: PLC0415

    return bisect.bisect_right(sorted_scores, p) / max(1, len(sorted_scores))


def curve(sample: list[Record], census: list[Record]) -> list[tuple[float, dict[str, Any]]]:
    """Quorum without the gate AND the score within the lowest ``level`` of its corpus's scores."""
    def at(level: float) -> Callable[[Record], bool]:
        return lambda r: without_gate(r) and r.get("_q") is not None and r["_q"] <= level + 1e-12
    return [(level, point(sample, census, at(level))) for level in LEVELS]


def table(title: str, records: list[Record], out: list[str]) -> dict[str, Any]:
    """Append the markdown of one corpus or pool to ``out``; return its points for the SVG."""
    sample = [r for r in records if r.get("in_sample", True)]
    census = [r for r in records if r.get("eligible") and r.get("reverted")]
    el = [r for r in sample if r.get("eligible") and r.get("_p") is not None]
    n_szz, n_rev = sum(bool(r.get("szz")) for r in el), sum(bool(r.get("reverted")) for r in el)
    a_szz = auc([r["_p"] for r in el], [int(bool(r.get("szz"))) for r in el])
    out.append(f"\n#### {title}: {len(sample)} PRs sampled, {sum(bool(r.get('eligible')) for r in sample)} "
               f"label-eligible ({n_szz} SZZ, {n_rev} reverted); {len(census)} label-eligible reverted PRs in the "
               f"window (census); SZZ AUC {auc_interval(a_szz, n_szz, len(el) - n_szz)}\n")
    out.append("| system | auto-approve | SZZ bad-approval | reverted approved (sample) | reverted approved (census) |")
    out.append("|---|---|---|---|---|")
    pts = {}
    for name, fn in systems().items():
        p = point(sample, census, fn)
        pts[name] = p
        out.append(f"| {name} | {p['approve'].pct()} | {p['szz'].pct()} | {p['rev_sample']} | {p['rev_census']} of {len(census)} |")
    cv = curve(sample, census)
    out.append("\nTrade-off (Quorum without the gate AND score within the lowest q of the corpus's scores): "
               + " · ".join(f"q={lv:.1f}: {p['approve'].pct()}, SZZ {p['szz'].k}/{p['szz'].n}, reverted {p['rev_census']}"
                            for lv, p in cv))
    sc = pts["small_change"]
    below = [p for _, p in cv if (p["approve"].value or 0) <= (sc["approve"].value or 0) + 1e-12]
    if below:
        best = max(below, key=lambda p: p["approve"].value or 0)
        out.append(f"\nAt small_change's approval rate ({sc['approve'].pct()}): Quorum's nearest curve point below it "
                   f"approves {best['approve'].pct()} with {best['rev_census']} reverted PR(s) approved of {len(census)}, "
                   f"small_change {sc['rev_census']}; at most half: "
                   f"{'yes' if best['rev_census'] <= sc['rev_census'] / 2 else 'no'}"
                   f"{' (neither approves any: not demonstrable)' if sc['rev_census'] == 0 else ''}")
    return {"systems": pts, "curve": cv}


def transfer(name: str, records: list[Record], facts: dict[str, Any]) -> str:
    later = [r for r in records if r.get("in_sample", True) and in_caps(r) and r.get("_p") is not None]
    passed = rate(sum(r["_p"] <= r["_t"] for r in later), len(later))
    share = facts["pass_share"]
    aimed = "n/a" if share is None else f"{share:.1%}"
    return f"| {name} | {facts['rule']} | {facts['threshold']:.4f} | {aimed} | {passed.pct()} |"


def svg(title: str, pts: dict[str, Any]) -> str:
    """A small SVG of the trade-off: approval rate (x) against SZZ bad-approval rate (y)."""
    w, h, m = 520, 340, 50
    every = [p for _, p in pts["curve"]] + list(pts["systems"].values())
    top = next((k for k in (5, 10, 15, 20) if all((p["szz"].value or 0) * 100 <= k for p in every)), 20)

    def xy(p: dict[str, Any]) -> tuple[float, float]:
        x = (p["approve"].value or 0) / 0.5
        y = (p["szz"].value or 0) * 100 / top
        return m + min(x, 1) * (w - 2 * m), h - m - min(y, 1) * (h - 2 * m)

    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(p) for _, p in pts["curve"]))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
             f'<text x="{m}" y="18" font-size="13">{title}</text>',
             f'<line x1="{m}" y1="{h - m}" x2="{w - m}" y2="{h - m}" stroke="black"/>',
             f'<line x1="{m}" y1="{m}" x2="{m}" y2="{h - m}" stroke="black"/>',
             f'<text x="{w / 2 - 60}" y="{h - 12}">auto-approval rate (0-50%)</text>',
             f'<text x="8" y="{m - 8}">SZZ bad-approval (0-{top}%)</text>',
             f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{line}"/>']
    for k in range(6):  # ticks: 0-50% approval, 0-5% bad approval
        tx, ty = m + k * (w - 2 * m) / 5, h - m - k * (h - 2 * m) / 5
        parts.append(f'<text x="{tx - 8:.1f}" y="{h - m + 14}">{10 * k}%</text>')
        parts.append(f'<text x="{m - 30}" y="{ty + 4:.1f}">{k * top / 5:g}%</text>')
    for _, p in pts["curve"]:
        x, y = xy(p)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f77b4"/>')
    marks = {"Quorum + risk gate": "#2ca02c", "small_change": "#d62728", "no_runtime_source": "#ff7f0e"}
    for i, (name, colour) in enumerate(marks.items()):
        x, y = xy(pts["systems"][name])
        parts.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>')
        parts.append(f'<text x="{m + 10}" y="{m + 14 + 14 * i}" fill="{colour}">■ {name}</text>')
    parts.append(f'<text x="{m + 10}" y="{m + 56}" fill="#1f77b4">● Quorum, gate at score quantiles</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpora", nargs="+", help="NAME=REPLAY.json:MODEL.json")
    ap.add_argument("--pool", action="append", default=[], help="LABEL=NAME,NAME (repeatable)")
    ap.add_argument("--svg-dir", type=Path)
    args = ap.parse_args()
    out: list[str] = ["| corpus | threshold rule | threshold | pass share aimed at (in caps) | later in-caps PRs under it |",
                      "|---|---|---|---|---|"]
    loaded = {}
    for spec in args.corpora:
        name, records, facts = load(spec)
        loaded[name] = records
        out.append(transfer(name, records, facts))
        table(f"{name} (HEAD {facts['head']}, merged since {facts['since']})", records, out)
    for pool in args.pool:
        label, _, names = pool.partition("=")
        members = [n for n in names.split(",") if n]
        pts = table(f"pooled {label} ({', '.join(members)})", [r for n in members for r in loaded[n]], out)
        if args.svg_dir is not None:
            args.svg_dir.mkdir(parents=True, exist_ok=True)
            (args.svg_dir / f"risk-tradeoff-{label}.svg").write_text(svg(f"{label}: {', '.join(members)}", pts), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
