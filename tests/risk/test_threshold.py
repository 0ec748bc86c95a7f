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


DAY = 86_400


def test_with_a_cutoff_the_fold_is_the_latest_prs_with_complete_labels() -> None:
    # 200 PRs, one every 4 days up to 10 days before the cut-off: those of the last 365 days have
    # labels that later fixes may still change, so the fold (50 PRs) is the latest of the 111
    # older ones; the validation model is fitted on the 150 others.
    cutoff = 1_000 * DAY
    ts = [cutoff - (10 + (199 - i) * 4) * DAY for i in range(200)]
    fit_idx, val_idx = validation_split(ts, [True] * 200, cutoffs={"": cutoff}) or ([], [])
    assert len(val_idx) == 50 and all(ts[i] <= cutoff - 365 * DAY for i in val_idx)
    assert max(ts[i] for i in val_idx) == max(t for t in ts if t <= cutoff - 365 * DAY)
    assert sorted(fit_idx + val_idx) == list(range(200))


def test_with_too_few_old_prs_the_fold_falls_back_to_the_latest() -> None:
    cutoff = 1_000 * DAY
    ts = [cutoff - (400 - i) * DAY for i in range(100)] + [cutoff - (100 - i) * DAY for i in range(100)]
    # 100 PRs older than 365 days, fold of 50: fewer than twice the fold, so the latest 50 PRs.
    fit_idx, val_idx = validation_split(ts, [True] * 200, cutoffs={"": cutoff}) or ([], [])
    assert sorted(val_idx) == list(range(150, 200)) and len(fit_idx) == 150


def test_fit_reads_the_cutoff_from_the_training_window() -> None:
    pytest.importorskip("sklearn")
    from datetime import UTC, datetime

    from bot.risk.calibrate import Example, fit, label_cutoffs

    rng = random.Random(3)
    start = 1_500_000_000
    examples = []
    for i in range(300):
        size = rng.randint(1, 150)
        bad = int(rng.random() < size / 400)
        examples.append(Example(sha=f"{i:040x}", number=i, timestamp=start + i * 3 * DAY, repo="r",
                                changed_lines=size, files=1, features={"lines_added": float(size)}, label=bad))
    head = start + 300 * 3 * DAY + 90 * DAY
    window = {"repo": "r", "head_date": datetime.fromtimestamp(head, UTC).isoformat()}
    assert label_cutoffs(examples, [window]) == {"r": head}
    chosen = fit(examples, features=["lines_added"], training={"repositories": [window]}).metrics["threshold"]
    assert chosen["rule"] == "time-ordered validation, labels complete"
    assert chosen["validation_to"] <= head - 365 * DAY
    # Without the window, the cut-off is taken as the latest PR plus the 90-day maturity cut-off.
    assert label_cutoffs(examples, None) == {"r": examples[-1].timestamp + 90 * DAY}


def test_the_proposed_share_never_falls_below_the_floor() -> None:
    pytest.importorskip("sklearn")
    from bot.risk.calibrate import Example, fit

    rng = random.Random(5)
    examples = []
    for i in range(240):  # a bad rate near 30% at every size: the target alone lets almost nothing through
        size = rng.randint(1, 150)
        bad = int(rng.random() < 0.2 + size / 1000)
        examples.append(Example(sha=f"{i:040x}", number=i, timestamp=1_600_000_000 + i * 86_400, repo="r",
                                changed_lines=size, files=1, features={"lines_added": float(size)}, label=bad))
    free = fit(examples, features=["lines_added"], min_pass_share=0.0).metrics["threshold"]
    assert free["pass_share"] < 0.5 and not free["floor_applied"]
    floored = fit(examples, features=["lines_added"], min_pass_share=0.5)
    chosen = floored.metrics["threshold"]
    assert chosen["pass_share"] == 0.5 and chosen["floor_applied"] and chosen["target_share"] == free["pass_share"]
    assert floored.proposed_max_probability > fit(examples, features=["lines_added"], min_pass_share=0.0).proposed_max_probability
