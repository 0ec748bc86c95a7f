"""The review benchmark's nearest-rank percentile (evals/bench/bench_review.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "evals" / "bench" / "bench_review.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_review_under_test", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(_PATH.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(_PATH.parent))
    return module


@pytest.mark.parametrize("n", [1, 2, 7, 19, 20, 21, 39, 40, 41, 60, 100])
@pytest.mark.parametrize("q", [50, 90, 95, 99, 100])
def test_nearest_rank_is_ceil_of_q_n(bench, n: int, q: int) -> None:
    values = [float(v) for v in range(n, 0, -1)]  # n..1, unsorted on purpose
    rank = max(1, -(-q * n // 100))  # ceil in integers
    assert bench.percentile(values, q) == float(rank)


def test_p95_of_20_is_the_19th_and_the_summary_keeps_the_max(bench) -> None:
    rows = [{"wall_s": float(i), "rss_kb": 1024} for i in range(1, 21)]
    stat = bench.summarize(rows)["wall_s"]
    assert stat["p95"] == 19.0
    assert stat["max"] == 20.0


def test_the_agents_ratio_is_summarised_like_the_ratio(bench) -> None:
    rows = [{"wall_s": 0.3, "ratio": 4.0, "agents_ratio": float(i) / 10, "rss_kb": 1024} for i in range(1, 21)]
    stat = bench.summarize(rows)["agents_ratio"]
    assert (stat["p50"], stat["p95"], stat["max"]) == (1.05, 1.9, 2.0)


@pytest.mark.parametrize("gap", ["-1", "61", "nan"])
def test_an_idle_gap_outside_0_to_60_seconds_is_a_usage_error(bench, gap: str, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        bench.main(["--repo", "/nonexistent", "--gap", gap])
    assert exc.value.code == 2
    assert "--gap" in capsys.readouterr().err
