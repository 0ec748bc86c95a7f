"""evals/bench/ratio_against.py: a run's ratios against another run's floors."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "evals" / "bench" / "ratio_against.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("ratio_against_under_test", _PATH)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(_PATH.parent))
    return module


def _report(floors: dict[str, list[float]], walls: dict[str, list[float]]) -> dict:
    passes = len(next(iter(floors.values())))
    return {"rows": {"priming": [], **{
        f"warm {p + 1}": [{"sha": sha, "floor_s": floors[sha][p], "wall_s": walls[sha][p]} for sha in floors]
        for p in range(passes)}}}


def test_the_same_floors_give_the_runs_own_ratios(tool) -> None:
    floors = {f"{i:012x}": [0.1, 0.1, 0.1] for i in range(20)}
    walls = {sha: [0.1 * (1 + i / 10)] * 3 for i, sha in enumerate(floors)}
    run = _report(floors, walls)
    r = tool.ratios_against(run, run)
    assert r["own_p95"] == r["ref_p95"] == pytest.approx(2.8)  # 19th of 1.0..2.9
    assert r["floor_shift"] == 1.0


def test_longer_floors_in_the_run_show_as_a_higher_ratio_against_the_reference(tool) -> None:
    shas = [f"{i:012x}" for i in range(20)]
    ref = _report({s: [0.1, 0.1, 0.1] for s in shas}, {s: [0.3, 0.3, 0.3] for s in shas})
    run = _report({s: [0.125, 0.125, 0.125] for s in shas}, {s: [0.2, 0.2, 0.2] for s in shas})
    r = tool.ratios_against(run, ref)
    assert r["own_p95"] == pytest.approx(1.6)
    assert r["ref_p95"] == pytest.approx(2.0)
    assert r["floor_shift"] == pytest.approx(1.25)


def test_a_pr_missing_from_the_reference_is_a_one_line_error(tool, tmp_path, capsys) -> None:
    ref = _report({"a" * 12: [0.1]}, {"a" * 12: [0.2]})
    run = _report({"b" * 12: [0.1]}, {"b" * 12: [0.2]})
    (tmp_path / "ref.json").write_text(json.dumps(ref))
    (tmp_path / "run.json").write_text(json.dumps(run))
    assert tool.main([str(tmp_path / "run.json"), str(tmp_path / "ref.json")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bbbbbbbbbbbb" in err
