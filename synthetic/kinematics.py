"""Pure kinematic helpers for cursor trajectories (numpy only, no I/O).

Used by the motion-model tests, by the real-human comparison and later by benchmarks.
Every function takes either an object with ``t``, ``x``, ``y`` array attributes (such as
:class:`synthetic.motion.Trajectory`) or a ``(t, x, y)`` tuple of arrays; ``t`` is in
milliseconds, ``x``/``y`` in CSS px, speeds come out in px/s.

Sampling mirrors the EITP v1.1 producer (section 3.1): the tracker reads the cursor position
at a 20 Hz tick and derives speed from consecutive samples.  A recorded event log only holds
events when the cursor moved, so the producer's tick sees the *last reported* position:
:func:`resample` therefore defaults to sample-and-hold (``method="hold"``); ``"linear"``
interpolates, which is right for dense synthetic paths but invents slow motion across gaps
in an event log.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "Arrays",
    "as_arrays",
    "resample",
    "speeds",
    "pauses",
    "pauses_per_minute",
    "path_length",
    "path_efficiency",
    "max_deviation",
    "straightness",
    "peak_speed",
    "submovement_count",
    "octant_changes",
    "max_octant_changes",
    "circularity",
]

FloatArray = NDArray[np.float64]
Arrays = tuple[FloatArray, FloatArray, FloatArray]

#: EITP v1.1 section 3.1 / 3.2 defaults.
PRODUCER_HZ = 20.0
DWELL_SPEED_PX_S = 20.0
DWELL_MIN_MS = 500.0


class _HasTXY(Protocol):
    """Anything with read-only ``t``, ``x``, ``y`` arrays (e.g. ``Trajectory``)."""

    @property
    def t(self) -> Any: ...
    @property
    def x(self) -> Any: ...
    @property
    def y(self) -> Any: ...


def as_arrays(traj: _HasTXY | tuple[Any, Any, Any]) -> Arrays:
    """Return ``(t, x, y)`` as float64 arrays from a trajectory-like object or a tuple."""
    if isinstance(traj, tuple):
        t, x, y = traj
    else:
        t, x, y = traj.t, traj.x, traj.y
    ta = np.asarray(t, dtype=np.float64)
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    if not (ta.ndim == xa.ndim == ya.ndim == 1 and ta.shape == xa.shape == ya.shape):
        raise ValueError("t, x, y must be 1-D arrays of equal length")
    return ta, xa, ya


def resample(
    traj: _HasTXY | tuple[Any, Any, Any],
    hz: float = PRODUCER_HZ,
    method: Literal["hold", "linear"] = "hold",
) -> Arrays:
    """Sample the trajectory at a fixed rate starting at its first timestamp.

    Ticks are ``t0 + k * 1000/hz`` for every k with the tick <= the last timestamp.
    ``hold`` returns the last position reported at or before each tick (what a sampler
    reading the latest ``mousemove`` sees); ``linear`` interpolates between samples.
    """
    t, x, y = as_arrays(traj)
    if hz <= 0:
        raise ValueError("hz must be positive")
    if t.size == 0:
        return t.copy(), x.copy(), y.copy()
    step = 1000.0 / hz
    n = int(np.floor((t[-1] - t[0]) / step + 1e-9)) + 1
    ticks = t[0] + step * np.arange(n, dtype=np.float64)
    if method == "linear":
        return ticks, np.interp(ticks, t, x), np.interp(ticks, t, y)
    if method != "hold":
        raise ValueError(f"unknown resample method {method!r}")
    idx = np.searchsorted(t, ticks, side="right") - 1
    idx = np.clip(idx, 0, t.size - 1)
    return ticks, x[idx], y[idx]


def speeds(traj: _HasTXY | tuple[Any, Any, Any]) -> FloatArray:
    """Speed in px/s between consecutive samples (length n-1; zero-length steps give 0)."""
    t, x, y = as_arrays(traj)
    dt = np.diff(t) / 1000.0
    dist = np.hypot(np.diff(x), np.diff(y))
    out = np.zeros_like(dist)
    ok = dt > 0
    out[ok] = dist[ok] / dt[ok]
    return out


def pauses(
    traj: _HasTXY | tuple[Any, Any, Any],
    speed_threshold: float = DWELL_SPEED_PX_S,
    min_pause_ms: float = DWELL_MIN_MS,
    hz: float = PRODUCER_HZ,
) -> list[tuple[float, float]]:
    """EITP-style dwells: ``(start_ms, duration_ms)`` of runs with speed < threshold.

    The path is first sampled at ``hz`` (sample-and-hold, like the producer).  A run of k
    consecutive slow intervals lasts ``k * 1000/hz`` ms and counts when it exceeds
    ``min_pause_ms`` (EITP v1.1 section 3.2: speed < 20 px/s for > 500 ms).
    """
    ts, xs, ys = resample(traj, hz)
    v = speeds((ts, xs, ys))
    if v.size == 0:
        return []
    slow = np.concatenate(([False], v < speed_threshold, [False]))
    edges = np.flatnonzero(np.diff(slow.astype(np.int8)))
    starts, ends = edges[::2], edges[1::2]
    step = 1000.0 / hz
    out = []
    for s, e in zip(starts, ends, strict=True):
        dur = (e - s) * step
        if dur > min_pause_ms:
            out.append((float(ts[s]), float(dur)))
    return out


def pauses_per_minute(
    t: Any,
    x: Any,
    y: Any,
    speed_threshold: float = DWELL_SPEED_PX_S,
    min_pause_ms: float = DWELL_MIN_MS,
    hz: float = PRODUCER_HZ,
) -> float:
    """Number of :func:`pauses` per minute of trajectory time (0 for an empty path)."""
    ta, xa, ya = as_arrays((t, x, y))
    if ta.size < 2 or ta[-1] <= ta[0]:
        return 0.0
    n = len(pauses((ta, xa, ya), speed_threshold, min_pause_ms, hz))
    return float(n / ((ta[-1] - ta[0]) / 60_000.0))


def path_length(traj: _HasTXY | tuple[Any, Any, Any]) -> float:
    """Total travelled distance in px."""
    _, x, y = as_arrays(traj)
    return float(np.hypot(np.diff(x), np.diff(y)).sum())


def path_efficiency(traj: _HasTXY | tuple[Any, Any, Any]) -> float:
    """Straight-line start-to-end distance divided by the travelled distance (1 = straight).

    Returns 1.0 for a path that does not move.
    """
    _, x, y = as_arrays(traj)
    length = path_length(traj)
    if length <= 0:
        return 1.0
    return float(np.hypot(x[-1] - x[0], y[-1] - y[0]) / length)


def max_deviation(traj: _HasTXY | tuple[Any, Any, Any]) -> float:
    """Largest perpendicular distance (px) of any sample from the start-end chord."""
    _, x, y = as_arrays(traj)
    dx, dy = x[-1] - x[0], y[-1] - y[0]
    chord = float(np.hypot(dx, dy))
    if chord == 0:
        return float(np.hypot(x - x[0], y - y[0]).max(initial=0.0))
    return float(np.abs((x - x[0]) * dy - (y - y[0]) * dx).max() / chord)


def straightness(traj: _HasTXY | tuple[Any, Any, Any]) -> float:
    """``1 - max_deviation / chord`` clipped to [0, 1]; 1 is a perfectly straight path."""
    _, x, y = as_arrays(traj)
    chord = float(np.hypot(x[-1] - x[0], y[-1] - y[0]))
    if chord == 0:
        return 0.0
    return float(np.clip(1.0 - max_deviation(traj) / chord, 0.0, 1.0))


def peak_speed(traj: _HasTXY | tuple[Any, Any, Any]) -> float:
    """Maximum speed in px/s (0 for fewer than two samples)."""
    v = speeds(traj)
    return float(v.max()) if v.size else 0.0


def submovement_count(
    traj: _HasTXY | tuple[Any, Any, Any],
    min_peak_frac: float = 0.05,
    valley_frac: float = 0.6,
    smooth_ms: float = 50.0,
    min_peak_px_s: float = 60.0,
) -> int:
    """Count sub-movements as separate peaks of the (smoothed) speed profile.

    A local speed maximum counts when it exceeds both ``min_peak_frac`` of the overall peak
    and ``min_peak_px_s`` (so tremor wiggles in the slow homing phase are ignored); two
    consecutive counted peaks are merged unless the speed between them drops below
    ``valley_frac`` times the smaller of the two (the usual valley criterion for
    decomposing aimed movements into primary and corrective sub-movements).
    """
    t, x, y = as_arrays(traj)
    if t.size < 3:
        return 0
    v = speeds(traj)
    dt = float(np.median(np.diff(t))) or 1.0
    k = max(1, int(round(smooth_ms / dt)))
    if k > 1:
        v = np.convolve(v, np.ones(k) / k, mode="same")
    top = float(v.max())
    if top <= 0:
        return 0
    padded = np.concatenate(([-np.inf], v, [-np.inf]))
    is_max = (padded[1:-1] > padded[:-2]) & (padded[1:-1] >= padded[2:])
    floor = max(min_peak_frac * top, min_peak_px_s)
    cand = [int(i) for i in np.flatnonzero(is_max) if v[i] >= floor]
    kept: list[int] = []
    for i in cand:
        if not kept:
            kept.append(i)
            continue
        j = kept[-1]
        valley = float(v[j : i + 1].min())
        if valley < valley_frac * min(v[i], v[j]):
            kept.append(i)
        elif v[i] > v[j]:
            kept[-1] = i
    return len(kept)


def _octants(x: FloatArray, y: FloatArray) -> NDArray[np.int64]:
    ang = np.arctan2(np.diff(y), np.diff(x))
    return np.floor((ang + np.pi) / (np.pi / 4)).astype(np.int64) % 8


def octant_changes(traj: _HasTXY | tuple[Any, Any, Any], hz: float = PRODUCER_HZ) -> NDArray[np.int64]:
    """Per-interval flags (0/1) where the movement octant differs from the previous interval.

    The path is sampled at ``hz`` (linear); direction is quantised into 8 compass octants
    of pi/4 (EITP v1.1 section 3.2, zigzag), without the debounce.
    Element i compares interval i+1 with interval i.
    """
    _, x, y = resample(traj, hz, method="linear")
    octs = _octants(x, y)
    changes: NDArray[np.int64] = (np.diff(octs) != 0).astype(np.int64)
    return changes


def max_octant_changes(traj: _HasTXY | tuple[Any, Any, Any], window: int = 10, hz: float = PRODUCER_HZ) -> int:
    """Most octant changes inside any window of ``window`` consecutive samples.

    ``window`` samples give ``window - 1`` intervals and ``window - 2`` possible changes.
    """
    ch = octant_changes(traj, hz)
    w = window - 2
    if ch.size < w or w <= 0:
        return int(ch.sum())
    return int(np.convolve(ch, np.ones(w, dtype=np.int64), mode="valid").max())


def circularity(x: Any, y: Any) -> float:
    """EITP v1.1 section 3.2: ``max(0, 1 - var(r) / mean(r)^2)`` about the centroid."""
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    r = np.hypot(xa - xa.mean(), ya - ya.mean())
    m = float(r.mean())
    if m == 0:
        return 0.0
    return float(max(0.0, 1.0 - float(r.var()) / m**2))
