"""Proposing the risk gate's threshold: a pass share chosen out of time, turned into a score of
the shipped model (bot.risk.threshold, bot.risk.calibrate.fit)."""

from __future__ import annotations

import random

import pytest

from bot.risk.threshold import (
    MIN_VALIDATION_IN_CAPS,
    propose_share,
    propose_threshold,
    share_threshold,
    threshold_curve,
    validation_split,
)


def test_share_threshold_lets_that_share_through() -> None:
    scores = [0.5, 0.1, 0.3, 0.2, 0.4]
    assert share_threshold(scores, 0.4) == 0.2
    assert sum(s <= share_threshold(scores, 0.6) for s in scores) == 3
    assert share_threshold(scores, 0.0) == 0.1  # at least one PR passes
    assert share_threshold(scores, 1.0) == 0.5
    with pytest.raises(ValueError, match="no scores"):
        share_threshold([], 0.5)


def test_propose_share_is_the_pass_rate_at_the_proposed_threshold() -> None:
    # 100 PRs, the 10 highest-scored are bad: every threshold below them is clean.
    scores = [i / 100 for i in range(100)]
    labels = [int(i >= 90) for i in range(100)]
    curve = threshold_curve(scores, labels)
    t = propose_threshold(curve, 0.005)
    share = propose_share(curve, 0.005)
    assert 0.88 <= t < 0.9 and share == pytest.approx(sum(s <= t for s in scores) / 100)
    assert propose_share([], 0.005) == 0.0


def test_validation_split_holds_out_the_latest_prs_within_the_caps() -> None:
    ts = list(range(100, 0, -1))  # newest first: index 0 is the latest
    caps = [i % 5 != 0 for i in range(100)]  # 20 of the 25 latest are within the caps
    fit_idx, val_idx = validation_split(ts, caps) or ([], [])
    assert len(fit_idx) == 75 and all(ts[i] <= 75 for i in fit_idx)
    assert val_idx and all(ts[i] > 75 and caps[i] for i in val_idx)
    assert validation_split(ts[:40], caps[:40]) is None  # 10 latest PRs: too few to choose on
    assert MIN_VALIDATION_IN_CAPS > 10


def test_fit_puts_the_threshold_on_the_shipped_models_scale() -> None:
    pytest.importorskip("sklearn")
    from bot.risk.calibrate import Example, fit

    rng = random.Random(3)
    examples = []
    for i in range(240):
        size = rng.randint(1, 150)
        bad = int(rng.random() < min(0.9, size / 160) ** 2)
        examples.append(Example(sha=f"{i:040x}", number=i, timestamp=1_600_000_000 + i * 86_400, repo="r",
                                changed_lines=size, files=1, features={"lines_added": float(size)}, label=bad))
    model = fit(examples, features=["lines_added"])
    chosen = model.metrics["threshold"]
    assert chosen["rule"] == "time-ordered validation" and chosen["validation_in_caps"] == 60
    assert chosen["max_probability"] == pytest.approx(model.proposed_max_probability, abs=1e-6)
    latest = sorted(examples, key=lambda e: e.timestamp)[-60:]
    passing = sum(model.probability(e.features) <= model.proposed_max_probability + 1e-9 for e in latest)
    # The shipped model lets through the share chosen on the validation fold (ties aside).
    assert passing / 60 == pytest.approx(chosen["pass_share"], abs=0.05)
    assert 0 < chosen["pass_share"] < 1


def test_pooled_repositories_each_give_their_latest_prs() -> None:
    # Repository a ends long before b: a pooled fold still holds a's latest quarter.
    ts = [i for i in range(100)] + [10_000 + i for i in range(100)]
    groups = ["a"] * 100 + ["b"] * 100
    fit_idx, val_idx = validation_split(ts, [True] * 200, groups=groups) or ([], [])
    assert sorted(ts[i] for i in val_idx if groups[i] == "a") == list(range(75, 100))
    assert len([i for i in val_idx if groups[i] == "b"]) == 25 and len(fit_idx) == 150
