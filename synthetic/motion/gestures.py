"""Expressive gestures: oscillating between two targets, agitated zigzag, circling."""

from __future__ import annotations

import math

import numpy as np

from ._strokes import _band_noise, _finite, _grid, _lognormal_one, _min_jerk, _render, _Stroke, _tremor
from .aimed import aimed_movement
from .idle import dwell
from .profile import AGITATED, CALM, HESITANT, MotorProfile
from .trajectory import Point, Trajectory, chain


def oscillate(
    a: Point,
    b: Point,
    width: float,
    n: int,
    rng: np.random.Generator,
    profile: MotorProfile = HESITANT,
    dwell_ms: tuple[float, float] = (400.0, 1500.0),
) -> Trajectory:
    """Start at ``a`` and move ``n`` times back and forth (a->b->a...), dwelling after each move.

    ``width`` is the size of both targets; each dwell lasts uniform(``dwell_ms``) ms.
    """
    _finite(a=a, b=b, width=width, dwell_ms=dwell_ms)
    parts: list[Trajectory] = [Trajectory([0.0], [a[0]], [a[1]])]
    cur = a
    for i in range(n):
        mv = aimed_movement(cur, b if i % 2 == 0 else a, width, rng, profile)
        d = dwell(mv.end(), rng.uniform(*dwell_ms), rng, profile)
        parts += [mv, d]
        cur = d.end()
    return chain(parts)


def erratic(
    center: Point, radius: float, duration_ms: float, rng: np.random.Generator, profile: MotorProfile = AGITATED
) -> Trajectory:
    """Agitated zigzag around ``center`` within ``radius`` for ``duration_ms``.

    Short overlapping minimum-jerk strokes with sharp turns (100-180 degrees), so the
    heading changes octant at almost every 20 Hz sample.  Starts at ``center`` and ends at rest.
    """
    _finite(center=center, radius=radius, duration_ms=duration_ms)
    if radius < 0:
        raise ValueError(f"radius must be >= 0, got {radius!r}")
    strokes: list[_Stroke] = []
    cur = center
    heading = rng.uniform(0, 2 * math.pi)
    onset = 0.0
    while True:
        dur = rng.uniform(*profile.erratic_stroke_ms)
        if onset + dur > duration_ms - 20.0:
            break
        heading += math.radians(rng.uniform(100.0, 180.0)) * (1 if rng.random() < 0.5 else -1)
        length = radius * rng.uniform(0.5, 1.2)
        nxt = (cur[0] + length * math.cos(heading), cur[1] + length * math.sin(heading))
        off = math.hypot(nxt[0] - center[0], nxt[1] - center[1])
        if off > radius:  # pull the end point back inside the disc
            k = radius * rng.uniform(0.5, 1.0) / off
            nxt = (center[0] + (nxt[0] - center[0]) * k, center[1] + (nxt[1] - center[1]) * k)
            heading = math.atan2(nxt[1] - cur[1], nxt[0] - cur[0])
        d = math.hypot(nxt[0] - cur[0], nxt[1] - cur[1])
        strokes.append(
            _Stroke(onset, dur, nxt[0] - cur[0], nxt[1] - cur[1], float(rng.normal(0, profile.bow_sd * 2) * d))
        )
        onset += dur * rng.uniform(0.5, 0.8)
        cur = nxt
    return _render(center, strokes, max(duration_ms, 1.0), rng, profile)


def circle(
    center: Point,
    radius: float,
    turns: float,
    rng: np.random.Generator,
    profile: MotorProfile = CALM,
    *,
    start: Point | None = None,
    period_ms: float | None = None,
) -> Trajectory:
    """An imperfect circling gesture (a confused user) of ``turns`` turns around ``center``.

    Radius wobbles a few percent, the circle is slightly elliptical, angular speed varies and
    ramps up and down at the ends.  Without ``start`` it begins on the circle at a random
    angle; with ``start`` it begins there and spirals onto the circle during the first
    quarter turn.  ``period_ms`` (time per turn) defaults to the profile's, with +-15 % noise.
    """
    _finite(center=center, radius=radius, turns=turns, start=start, period_ms=period_ms)
    if turns < 0:  # the gesture's length is max(turns, 0.05) periods: -1 would be a whole turn in 35 ms
        raise ValueError(f"turns must be >= 0, got {turns!r}")
    if period_ms is not None and period_ms < 0:
        raise ValueError(f"period_ms must be positive (or 0 / None for the profile's), got {period_ms!r}")
    period = period_ms or profile.circle_period_ms * _lognormal_one(rng, 0.15)
    total = max(turns, 0.05) * period
    t = _grid(total, profile)
    tau = t / total
    ramp = min(0.1, 0.25 / max(turns, 0.25))
    up = np.clip(tau / ramp, 0, 1)
    down = np.clip((1 - tau) / ramp, 0, 1)
    rate = (np.sin(0.5 * np.pi * up) ** 2) * (np.sin(0.5 * np.pi * down) ** 2)
    rate = rate * (1.0 + 0.12 * _band_noise(t.size, profile.sample_hz, (0.0, 2.0), rng))
    rate = np.clip(rate, 0.0, None)
    phase = np.concatenate(([0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(tau))))
    phase = phase / phase[-1] if phase[-1] > 0 else tau
    direction = 1.0 if rng.random() < 0.5 else -1.0
    if start is None:
        theta0 = rng.uniform(0, 2 * math.pi)
        r0 = radius
    else:
        theta0 = math.atan2(start[1] - center[1], start[0] - center[0])
        r0 = math.hypot(start[0] - center[0], start[1] - center[1])
    theta = theta0 + direction * 2 * math.pi * turns * phase
    wobble = 1.0 + 0.035 * _band_noise(t.size, profile.sample_hz, (0.2, 3.0), rng)
    lead = _min_jerk(np.clip(turns * phase / 0.25, 0, 1))
    r = (r0 + (radius - r0) * lead) * np.where(lead < 1, 1.0 + (wobble - 1.0) * lead, wobble)
    aspect = 1.0 + rng.normal(0, 0.04)
    tilt = rng.uniform(0, math.pi)
    ex, ey = r * np.cos(theta - tilt) * aspect, r * np.sin(theta - tilt) / aspect
    ex, ey = ex * math.cos(tilt) - ey * math.sin(tilt), ex * math.sin(tilt) + ey * math.cos(tilt)
    # make the first sample sit exactly where the gesture starts
    x0 = start[0] if start is not None else center[0] + radius * math.cos(theta0)
    y0 = start[1] if start is not None else center[1] + radius * math.sin(theta0)
    ex, ey = ex - ex[0] + (x0 - center[0]), ey - ey[0] + (y0 - center[1])
    v = np.full(t.size, profile.tremor_px)
    tx, ty = _tremor(t, v, rng, profile)
    return Trajectory(t, center[0] + ex + tx, center[1] + ey + ty)
