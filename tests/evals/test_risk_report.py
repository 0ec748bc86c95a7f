"""scripts/risk_time_split_report.py on synthetic replay records: rescoring with a model, the
gate as "without the gate AND probability <= threshold", the reverted census kept out of rates."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from bot.risk.model import FORMAT, VERSION, ModelFeature, RiskModel, dump_model

ROOT = Path(__file__).resolve().parents[2]


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("risk_report", ROOT / "scripts" / "risk_time_split_report.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rec(i: int, lines: float, *, approve: bool = True, small: bool = True, szz: bool = False,
         reverted: bool = False, in_sample: bool = True) -> dict[str, Any]:
    return {"sha": f"{i:040x}", "action": "approve" if approve else "needs_human",
            "action_without_risk": "approve" if approve else "needs_human", "reasons": [] if approve else ["paths.sensitive"],
            "findings": [], "risk_features": {"lines_added": lines}, "eligible": True, "szz": szz, "reverted": reverted,
            "baselines": {"small_change": small, "no_runtime_source": False}, "stats": {"changed_lines": 5, "files": 1},
            "in_sample": in_sample}


def test_report_rescores_gates_and_keeps_the_census_apart(tmp_path: Path) -> None:
    model = RiskModel(format=FORMAT, version=VERSION, kind="logistic", intercept=0.0,
                      features=[ModelFeature(name="lines_added", transform="identity", mean=0.0, scale=1.0, coef=1.0,
                                             definition="d")],
                      proposed_max_probability=0.7, target_bad_rate=0.005, training={}, metrics={})
    records = [_rec(i, 0.0) for i in range(6)] + [_rec(6, 5.0, szz=True), _rec(7, 5.0, approve=False, small=False)]
    records.append(_rec(8, 5.0, reverted=True, in_sample=False))   # census only: high risk, small
    records.append(_rec(9, 0.0, reverted=True, in_sample=False))   # census only: low risk
    (tmp_path / "r.json").write_text(json.dumps({"head_sha": "a" * 40, "selection": {"since": "2024-01-01"},
                                                 "records": records}))
    (tmp_path / "m.json").write_text(dump_model(model))
    mod = _script()
    name, recs, facts = mod.load(f"x={tmp_path / 'r.json'}:{tmp_path / 'm.json'}")
    assert name == "x" and facts["threshold"] == 0.7
    out: list[str] = []
    pts = mod.table("x", recs, out)["systems"]
    gate, nogate, small = pts["Quorum + risk gate"], pts["Quorum without the risk gate"], pts["small_change"]
    # sigmoid(0) = 0.5 passes, sigmoid(5) = 0.99 is held; the census never enters the rates.
    assert (gate["approve"].k, gate["approve"].n, gate["szz"].k) == (6, 8, 0)
    assert (nogate["approve"].k, nogate["szz"].k) == (7, 1)
    assert (gate["rev_census"], nogate["rev_census"], small["rev_census"]) == (1, 2, 2)
    assert any("2 label-eligible reverted PRs in the window" in line for line in out)
    assert "risk-tradeoff" not in "".join(out) and mod.svg("x", mod.table("x", recs, []))[:4] == "<svg"
