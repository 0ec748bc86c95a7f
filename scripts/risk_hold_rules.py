"""What each hold rule of the policy buys, measured on ``quorum replay --format json`` outputs
(meant for the TRAINING halves of a time split, so that a decision on the hold rules never
looks at the PRs it is evaluated on).

Usage: ``python scripts/risk_hold_rules.py NAME=REPLAY.json[:MODEL.json] ... [--rules R,R]``

For each hold rule R (default: ``logic/untested-behaviour-change`` and ``paths/wide-reach``),
the PRs that R *alone* holds back: Quorum without the risk gate approves them once R leaves
``findings.hold_rules`` (every failing gate was ``findings.hold_rules``, or the risk gate, and
R's findings were the only hold-rule findings). Among those, how many are label-eligible, SZZ
bad and reverted, against the same rates among the PRs Quorum approves (Wilson 95%). With a
model (``:MODEL.json``), the PRs are rescored from their recorded ``risk_features`` and split at
the model's proposed threshold, to see whether a hold that depends on the risk score would keep
what the rule buys. Records added by ``--with-reverted`` (``in_sample: false``) are left out.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.evals.stats import rate

DEFAULT_RULES = ("logic/untested-behaviour-change", "paths/wide-reach")
_NOT_POLICY = {"risk.probability"}


def held_only_by(r: dict[str, Any], rule: str, hold_rules: tuple[str, ...]) -> bool:
    """Whether ``rule`` alone holds ``r`` back (see the module docstring)."""
    if r.get("action") in ("approve", "error") or r.get("action_without_risk") == "approve":
        return False
    if set(r.get("reasons", [])) - _NOT_POLICY != {"findings.hold_rules"}:
        return False
    holds = {f["rule_id"] for f in r.get("findings", [])} & set(hold_rules)
    return holds == {rule}


def labels(rs: list[dict[str, Any]]) -> str:
    el = [r for r in rs if r.get("eligible")]
    szz = rate(sum(bool(r.get("szz")) for r in el), len(el)).pct()
    rev = sum(bool(r.get("reverted")) for r in el)
    return f"{len(rs)} PRs, {len(el)} label-eligible: SZZ bad {szz}, reverted {rev}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpora", nargs="+", help="NAME=REPLAY.json[:MODEL.json]")
    ap.add_argument("--rules", default=",".join(DEFAULT_RULES))
    args = ap.parse_args()
    rules = tuple(filter(None, args.rules.split(",")))
    pooled: dict[str, list[dict[str, Any]]] = {"approved": [], **{r: [] for r in rules}}
    for spec in args.corpora:
        name, _, files = spec.partition("=")
        replay, _, model_path = files.partition(":")
        with open(replay, encoding="utf-8") as fh:
            records = [r for r in json.load(fh)["records"] if r.get("in_sample", True)]
        model = None
        if model_path:
            from bot.risk.model import load_model  # noqa: PLC0415

            with open(model_path, encoding="utf-8") as fh:
                model = load_model(fh.read())
        approved = [r for r in records if r.get("action") != "error" and r.get("action_without_risk") == "approve"]
        print(f"\n{name}: {len(records)} PRs; Quorum without the gate approves {labels(approved)}")
        pooled["approved"] += approved
        for rule in rules:
            held = [r for r in records if held_only_by(r, rule, rules)]
            pooled[rule] += held
            line = f"  held by {rule} alone: {labels(held)}"
            if model is not None:
                lo = [r for r in held if r.get("risk_features") is not None
                      and model.probability({k: float(v) for k, v in r["risk_features"].items()}) <= model.proposed_max_probability]
                line += f"; of which risk <= {model.proposed_max_probability:.4f}: {labels(lo)}"
            print(line)
    print(f"\npooled: Quorum without the gate approves {labels(pooled['approved'])}")
    for rule in rules:
        print(f"  held by {rule} alone: {labels(pooled[rule])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
