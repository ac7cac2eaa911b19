"""The feedback loop's statistics (EITP v1.1 section 7.6), as pure functions with worked examples in the tests."""

from __future__ import annotations

import math
from collections.abc import Sequence

Z_95 = 1.959963984540054


def wilson_lower_bound(successes: float, n: float, z: float = Z_95) -> float:
    """Lower end of the Wilson score interval: a sample-size-aware success rate.

    0 for no data; approaches the observed rate as ``n`` grows. Never below 0: with no success the bound
    is 0 exactly, where float rounding gave a hair below (``-1e-17`` at n = 21).
    """
    if n <= 0:
        return 0.0
    p = successes / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / denom)


def spike_ratio(recent_24h: float, baseline_7d: float) -> float:
    """Recent 24 h count against the 7-day daily average (inf when there is no baseline)."""
    daily = baseline_7d / 7.0
    if daily <= 0:
        return math.inf if recent_24h > 0 else 1.0
    return recent_24h / daily


def is_spike(recent_24h: float, baseline_7d: float, threshold: float = 1.5) -> bool:
    return spike_ratio(recent_24h, baseline_7d) > threshold


def z_score(value: float, history: Sequence[float]) -> float:
    """How many standard deviations ``value`` is from ``history`` (0 with < 2 points or no spread)."""
    if len(history) < 2:
        return 0.0
    mean = sum(history) / len(history)
    var = sum((h - mean) ** 2 for h in history) / (len(history) - 1)
    return 0.0 if var == 0 else (value - mean) / math.sqrt(var)


def is_anomaly(value: float, history: Sequence[float], threshold: float = 2.0) -> bool:
    return abs(z_score(value, history)) > threshold


def trend(current: float, previous: float, up: float = 1.2, down: float = 0.8) -> str:
    """``increasing`` above 1.2x, ``decreasing`` below 0.8x, else ``stable``."""
    if previous <= 0:
        return "increasing" if current > 0 else "stable"
    ratio = current / previous
    return "increasing" if ratio > up else "decreasing" if ratio < down else "stable"
