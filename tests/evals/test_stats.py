"""Wilson intervals and percentiles."""

from __future__ import annotations

import math

import pytest

from bot.evals.stats import Z_95, percentile, rate, wilson_interval


def test_wilson_matches_published_values() -> None:
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I:
    # 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605; 0/20 -> 0-0.1611; 1/29 -> 0.0061-0.1718.
    for k, n, lo, hi in [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
                         (1, 29, 0.0061, 0.1718)]:
        got_lo, got_hi = wilson_interval(k, n)
        assert got_lo == pytest.approx(lo, abs=5e-5)
        assert got_hi == pytest.approx(hi, abs=5e-5)


def test_wilson_edges_and_symmetry() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(10, 10)
    assert hi == 1.0 and 0.69 < lo < 0.73
    a = wilson_interval(3, 40)
    b = wilson_interval(37, 40)
    assert a[0] == pytest.approx(1 - b[1]) and a[1] == pytest.approx(1 - b[0])
    # Wider z, wider interval; more trials, narrower.
    assert wilson_interval(5, 50, z=2.576)[1] > wilson_interval(5, 50)[1]
    assert wilson_interval(50, 500)[1] < wilson_interval(5, 50)[1]
    assert math.isclose(Z_95, 1.96, abs_tol=1e-3)


@pytest.mark.parametrize(("k", "n"), [(-1, 5), (6, 5), (0, -1)])
def test_wilson_rejects_bad_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson_interval(k, n)


def test_rate_formats() -> None:
    r = rate(1, 4)
    assert r.value == 0.25
    assert r.pct().startswith("25.0% [") and r.pct().endswith("(1/4)")
    assert rate(0, 0).pct() == "n/a (0/0)" and rate(0, 0).value is None
    d = rate(2, 8).as_dict()
    assert d["k"] == 2 and d["n"] == 8 and d["rate"] == 0.25 and d["low"] < 0.25 < d["high"]


def test_percentile_linear_interpolation() -> None:
    values = [15.0, 20.0, 35.0, 40.0, 50.0]
    assert percentile(values, 0) == 15.0
    assert percentile(values, 100) == 50.0
    assert percentile(values, 50) == 35.0
    assert percentile(values, 40) == pytest.approx(29.0)  # rank 1.6 between 20 and 35
    assert percentile(list(reversed(values)), 95) == pytest.approx(48.0)
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 101)
