"""Position fidelity: what the producer sampled against what the persona meant (pure numpy).

The persona's intended path is recorded on the page's clock; the producer's ``mouse``
samples carry that clock's timestamps. For each sample, the intended position at the same
instant is interpolated from the plan and the distance is the error. Samples whose intended
position lies outside the viewport (an exit flick) are left out: the page cannot see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

Plan = Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Fidelity:
    samples: int
    median_px: float
    p95_px: float
    max_px: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


NO_SAMPLES = Fidelity(0, 0.0, 0.0, 0.0)


def errors(plan: Plan, samples: Sequence[tuple[float, float, float]],
           viewport: tuple[float, float] = (1280.0, 800.0)) -> np.ndarray:
    """Distance (px) between each ``(t, x, y)`` sample and the intended position at ``t``."""
    if not plan or not samples:
        return np.zeros(0)
    t = np.concatenate([p[0] for p in plan])
    x = np.concatenate([p[1] for p in plan])
    y = np.concatenate([p[2] for p in plan])
    order = np.argsort(t, kind="stable")
    t, x, y = t[order], x[order], y[order]
    s = np.asarray(samples, dtype=float)
    keep = (s[:, 0] >= t[0]) & (s[:, 0] <= t[-1])
    s = s[keep]
    if s.size == 0:
        return np.zeros(0)
    ix, iy = np.interp(s[:, 0], t, x), np.interp(s[:, 0], t, y)
    visible = (ix >= 0) & (iy >= 0) & (ix <= viewport[0]) & (iy <= viewport[1])
    return np.asarray(np.hypot(s[visible, 1] - ix[visible], s[visible, 2] - iy[visible]))


def summarise(err: np.ndarray) -> Fidelity:
    if err.size == 0:
        return NO_SAMPLES
    return Fidelity(int(err.size), round(float(np.median(err)), 2), round(float(np.percentile(err, 95)), 2),
                    round(float(err.max()), 2))


def measure(plan: Plan, samples: Sequence[tuple[float, float, float]],
            viewport: tuple[float, float] = (1280.0, 800.0)) -> Fidelity:
    return summarise(errors(plan, samples, viewport))
