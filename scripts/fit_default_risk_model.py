"""Fit ``rules/risk-model.json``, the default risk model, on labelled examples that
``quorum calibrate --dataset FILE`` wrote for the development corpora (pooled).

Usage: ``python scripts/fit_default_risk_model.py NAME=DATASET.jsonl:MODEL.json ... --output rules/risk-model.json``

Each argument names a corpus, its dataset and the model file ``quorum calibrate`` wrote with it
(for the training window it records). Needs the ``calibrate`` extra (scikit-learn).
"""

from __future__ import annotations

import argparse
import json
import sys

from bot.risk.calibrate import Example, fit
from bot.risk.model import dump_model


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpora", nargs="+", help="NAME=DATASET.jsonl:MODEL.json")
    ap.add_argument("--output", default="rules/risk-model.json")
    ap.add_argument("--target-bad-rate", type=float, default=0.005)
    ap.add_argument("--min-pass-share", type=float, default=None, help="floor of the proposed pass share (default: calibrate's)")
    args = ap.parse_args()
    examples: list[Example] = []
    windows = []
    for spec in args.corpora:
        name, _, files = spec.partition("=")
        data, _, model = files.partition(":")
        with open(data, encoding="utf-8") as fh:
            examples += [Example(**json.loads(line)) for line in fh if line.strip()]
        with open(model, encoding="utf-8") as fh:
            for w in json.load(fh)["training"]["repositories"]:
                windows.append({**w, "corpus": name})
    floor = {} if args.min_pass_share is None else {"min_pass_share": args.min_pass_share}
    model = fit(examples, target_bad_rate=args.target_bad_rate, **floor,
                training={"repositories": windows, "pooled": [w["corpus"] for w in windows]})
    with open(args.output, "w", encoding="utf-8") as fh:
        fh.write(dump_model(model))
    sys.stdout.write(f"{args.output}: {model.training['examples']} PRs ({model.training['bad']} bad), "
                     f"cv AUC {model.metrics['cv_auc']}, proposed threshold {model.proposed_max_probability}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
