"""The bridge's own measurements: a constant-memory latency histogram (pure)."""

from __future__ import annotations

import math
from collections import Counter


class LatencyHistogram:
    """Durations in seconds, in logarithmic buckets ``ratio`` apart (2 %: percentiles within 2 %).

    Memory is one counter per occupied bucket (under 1,000 between 100 ns and 100 s), so it
    can stay on in production; ``percentile`` reports a bucket's upper edge, never less than the
    true value.
    """

    def __init__(self, *, floor: float = 1e-7, ratio: float = 1.02) -> None:
        self.floor, self.ratio = floor, ratio
        self._log_ratio = math.log(ratio)
        self.buckets: Counter[int] = Counter()
        self.count = 0
        self.total = 0.0
        self.max = 0.0

    def record(self, seconds: float) -> None:
        index = int(math.log(max(seconds, self.floor) / self.floor) / self._log_ratio)
        self.buckets[index] += 1
        self.count += 1
        self.total += seconds
        self.max = max(self.max, seconds)

    def percentile(self, q: float) -> float:
        """The ``q`` quantile (0 < q <= 1), as the upper edge of its bucket, capped at the maximum seen."""
        if not self.count:
            return 0.0
        rank, seen = q * self.count, 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                return min(self.floor * self.ratio ** (index + 1), self.max)
        return self.max

    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def reset(self) -> None:
        self.buckets.clear()
        self.count, self.total, self.max = 0, 0.0, 0.0
