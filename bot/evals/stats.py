"""Small statistics for the evals: Wilson score intervals for rates, percentiles for latencies.

Pure functions, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054
"""The two-sided 95% standard-normal quantile (often rounded to 1.96)."""


@dataclass(frozen=True)
class Rate:
    """``k`` successes out of ``n`` trials with a Wilson score interval ``[low, high]`` (fractions 0..1).

    ``value`` is ``k / n``, or None when ``n == 0`` (then the interval is the whole ``[0, 1]``).
    """

    k: int
    n: int
    low: float
    high: float

    @property
    def value(self) -> float | None:
        """``k / n``, or None for ``n == 0``."""
        return self.k / self.n if self.n else None

    def as_dict(self) -> dict[str, float | int | None]:
        """``{"k", "n", "rate", "low", "high"}`` with fractions rounded to 6 digits (JSON output)."""
        rate = self.value
        return {
            "k": self.k,
            "n": self.n,
            "rate": None if rate is None else round(rate, 6),
            "low": round(self.low, 6),
            "high": round(self.high, 6),
        }

    def pct(self) -> str:
        """``"12.5% [8.1-18.7%] (10/80)"``; ``"n/a (0/0)"`` when ``n == 0``."""
        if not self.n:
            return "n/a (0/0)"
        return f"{100 * self.k / self.n:.1f}% [{100 * self.low:.1f}-{100 * self.high:.1f}%] ({self.k}/{self.n})"


def wilson_interval(k: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n``; returns ``(low, high)`` in [0, 1].

    Source: E. B. Wilson, "Probable Inference, the Law of Succession, and Statistical Inference",
    JASA 22 (1927) 209-212; the formula is

        (p + z^2/2n -/+ z * sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n),   p = k/n.

    ``z`` defaults to 1.96 (95%). ``n == 0`` gives ``(0.0, 1.0)``. Raises ValueError when
    ``k < 0``, ``n < 0`` or ``k > n``.
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = p + z2 / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = (centre - spread) / denom
    high = (centre + spread) / denom
    # Clamp rounding noise at the ends (k == 0 gives exactly 0, k == n exactly 1).
    return (0.0 if k == 0 else max(0.0, low)), (1.0 if k == n else min(1.0, high))


def rate(k: int, n: int, z: float = Z_95) -> Rate:
    """A :class:`Rate` for ``k`` of ``n`` with its Wilson interval (see :func:`wilson_interval`)."""
    low, high = wilson_interval(k, n, z)
    return Rate(k=k, n=n, low=low, high=high)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) with linear interpolation between closest ranks.

    This is the Hyndman & Fan type 7 estimator (NumPy's default ``method="linear"``): the value at
    fractional rank ``(n - 1) * q / 100`` of the sorted values. Returns None for no values.
    Raises ValueError when ``q`` is outside [0, 100].
    """
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within [0, 100], got {q}")
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)
