"""The :class:`Trajectory` value type: a timed cursor path, and :func:`chain`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
Point = tuple[float, float]


@dataclass(frozen=True, eq=False, init=False)
class Trajectory:
    """A sampled cursor path: ``t`` in ms (non-decreasing), ``x``/``y`` in CSS px.

    Takes anything array-like; stores read-only float64 copies.
    """

    t: FloatArray
    x: FloatArray
    y: FloatArray

    def __init__(self, t: ArrayLike, x: ArrayLike, y: ArrayLike) -> None:
        arrays = []
        for name, value in (("t", t), ("x", x), ("y", y)):
            a = np.array(value, dtype=np.float64)
            if a.ndim != 1:
                raise ValueError(f"Trajectory.{name} must be 1-D")
            a.flags.writeable = False
            object.__setattr__(self, name, a)
            arrays.append(a)
        ta, xa, ya = arrays
        if not (ta.size == xa.size == ya.size) or ta.size == 0:
            raise ValueError("Trajectory needs t, x, y of equal, non-zero length")
        if np.any(np.diff(ta) < 0):
            raise ValueError("Trajectory.t must be non-decreasing")

    def __len__(self) -> int:
        return int(self.t.size)

    def duration_ms(self) -> float:
        """Time from the first to the last sample."""
        return float(self.t[-1] - self.t[0])

    def start(self) -> Point:
        return float(self.x[0]), float(self.y[0])

    def end(self) -> Point:
        return float(self.x[-1]), float(self.y[-1])

    def shifted(self, dt_ms: float) -> Trajectory:
        """The same path with every timestamp moved by ``dt_ms``."""
        return Trajectory(self.t + dt_ms, self.x, self.y)

    def concat(self, other: Trajectory) -> Trajectory:
        """Append ``other``, shifted so that its first sample falls on this one's last.

        That shared instant keeps this trajectory's sample (``other``'s first sample is
        dropped), so primitives that start where the previous one ended join seamlessly.
        """
        return chain([self, other])

    def resample(self, hz: float) -> Trajectory:
        """Linear interpolation at exactly ``1000/hz`` ms spacing from the first sample.

        The last tick is the first one at or after the end, holding the final position, so
        driving one ``page.mouse.move`` per tick ends exactly where the path ends.
        """
        if hz <= 0:
            raise ValueError("hz must be positive")
        step = 1000.0 / hz
        n = int(math.ceil(self.duration_ms() / step - 1e-9)) + 1
        ticks = self.t[0] + step * np.arange(n, dtype=np.float64)
        return Trajectory(ticks, np.interp(ticks, self.t, self.x), np.interp(ticks, self.t, self.y))

    def until(self, t_ms: float) -> Trajectory:
        """The part up to ``t_ms`` after the first sample (interpolated end point)."""
        cut = self.t[0] + t_ms
        if cut >= self.t[-1]:
            return self
        keep = self.t < cut
        t = np.append(self.t[keep], cut)
        return Trajectory(t, np.interp(t, self.t, self.x), np.interp(t, self.t, self.y))


def chain(parts: Sequence[Trajectory]) -> Trajectory:
    """Concatenate trajectories in order (see :meth:`Trajectory.concat`)."""
    if not parts:
        raise ValueError("chain() needs at least one trajectory")
    ts, xs, ys = [parts[0].t], [parts[0].x], [parts[0].y]
    end = float(parts[0].t[-1])
    for p in parts[1:]:
        t = p.t[1:] - p.t[0] + end
        ts.append(t)
        xs.append(p.x[1:])
        ys.append(p.y[1:])
        if t.size:
            end = float(t[-1])
    return Trajectory(np.concatenate(ts), np.concatenate(xs), np.concatenate(ys))
