"""The feedback loop's statistics (EITP v1.1 section 7.6), as pure functions with worked examples in the tests,
and :class:`CountWindow`, the per-cycle count series a z-score is taken against, kept in O(1) a cycle."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator, Sequence

Z_95 = 1.959963984540054
SPIKE_THRESHOLD = 1.5  # section 7.6: recent 24 h count / 7-day baseline > 1.5x
ANOMALY_Z = 2.0  # section 7.6: z-score > 2.0


def wilson_lower_bound(successes: float, n: float, z: float = Z_95) -> float:
    """Lower end of the Wilson score interval: a sample-size-aware success rate.

    0 for no data; approaches the observed rate as ``n`` grows. Never below 0: with no success the bound
    is 0 exactly, where float rounding gave a hair below (``-1e-17`` at n = 21). A count of successes
    outside 0..n (a miscounted outcome) is clamped into it: one bad count must not raise (the square root
    of a negative) and take a whole feedback cycle down with it.
    """
    if n <= 0:
        return 0.0
    p = min(1.0, max(0.0, successes / n))
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - margin) / denom)


def spike_ratio(recent_24h: float, baseline_7d: float, days: float = 7.0) -> float:
    """Recent 24 h count against the baseline's daily average (inf when there is no baseline).

    ``days``: how many days the baseline count covers, 7 once the series is a week old; a younger one's
    count is over fewer days, and dividing it by 7 would make flat traffic look like a spike.
    """
    daily = baseline_7d / days if days > 0 else 0.0
    if daily <= 0:
        return math.inf if recent_24h > 0 else 1.0
    return recent_24h / daily


def is_spike(recent_24h: float, baseline_7d: float, threshold: float = SPIKE_THRESHOLD, days: float = 7.0) -> bool:
    return spike_ratio(recent_24h, baseline_7d, days) > threshold


def z_score(value: float, history: Sequence[float]) -> float:
    """How many standard deviations ``value`` is from ``history`` (0 with < 2 points or no spread)."""
    if len(history) < 2:
        return 0.0
    mean = sum(history) / len(history)
    var = sum((h - mean) ** 2 for h in history) / (len(history) - 1)
    return 0.0 if var == 0 else (value - mean) / math.sqrt(var)


def is_anomaly(value: float, history: Sequence[float], threshold: float = ANOMALY_Z) -> bool:
    return abs(z_score(value, history)) > threshold


def trend(current: float, previous: float, up: float = 1.2, down: float = 0.8) -> str:
    """``increasing`` above 1.2x, ``decreasing`` below 0.8x, else ``stable``."""
    if previous <= 0:
        return "increasing" if current > 0 else "stable"
    ratio = current / previous
    return "increasing" if ratio > up else "decreasing" if ratio < down else "stable"


class CountWindow:
    """The last ``size`` counts of a series that gets one count a cycle, with its :meth:`z_score` in O(1).

    Only the non-zero counts are stored, each with the cycle it came in; the zeros between them are
    implied, so a group seen once costs one entry however many cycles it is kept, not ``size``. The
    window's sum and sum of squares are kept as they enter and leave it, as integers: exact, so the
    variance needs no pass over the window and drifts by no rounding however long it runs.
    """

    __slots__ = ("size", "cycles", "_nonzero", "_sum", "_sum_sq")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a window holds at least one count, not {size}")
        self.size = size
        self.cycles = 0  # counts appended so far; the window is the last min(cycles, size) of them
        self._nonzero: deque[tuple[int, int]] = deque()  # (cycle, count), oldest first
        self._sum = 0
        self._sum_sq = 0

    def append(self, count: int) -> None:
        """This cycle's count; the count ``size`` cycles back leaves the window."""
        self.cycles += 1
        if count:
            self._nonzero.append((self.cycles, count))
            self._sum += count
            self._sum_sq += count * count
        first_out = self.cycles - self.size
        while self._nonzero and self._nonzero[0][0] <= first_out:
            _, old = self._nonzero.popleft()
            self._sum -= old
            self._sum_sq -= old * old

    def extend(self, counts: Iterable[int]) -> None:
        for count in counts:
            self.append(count)

    @property
    def last(self) -> int:
        """The latest count (0 before any)."""
        return self._nonzero[-1][1] if self._nonzero and self._nonzero[-1][0] == self.cycles else 0

    def z_score(self, value: float) -> float:
        """:func:`z_score` of ``value`` against the window's counts, from the running sums."""
        n = len(self)
        if n < 2:
            return 0.0
        spread = n * self._sum_sq - self._sum * self._sum  # n (n - 1) x the sample variance, exact
        if spread <= 0:
            return 0.0
        return (value - self._sum / n) / math.sqrt(spread / (n * (n - 1)))

    def __len__(self) -> int:
        return min(self.cycles, self.size)

    def __iter__(self) -> Iterator[int]:
        """The window's counts, oldest first, zeros included (O(size): for inspection, not the cycle)."""
        stored = dict(self._nonzero)
        for cycle in range(self.cycles - len(self) + 1, self.cycles + 1):
            yield stored.get(cycle, 0)
