"""The hand at rest or nearly so: dwell, idle drift, reading."""

from __future__ import annotations

import math

import numpy as np

from ._strokes import _drift, _finite, _grid, _render, _tremor
from .aimed import _plan_aimed
from .profile import CALM, MotorProfile
from .trajectory import Point, Trajectory, chain


def dwell(pos: Point, duration_ms: float, rng: np.random.Generator, profile: MotorProfile = CALM) -> Trajectory:
    """The hand resting on the mouse for ``duration_ms``: rest tremor and a tiny slow drift.

    Speed stays well under the EITP dwell threshold (20 px/s at 20 Hz).
    """
    _finite(pos=pos, duration_ms=duration_ms)
    t = _grid(duration_ms, profile)
    dx, dy = _drift(t, profile.drift_px_s, rng, profile)
    tx, ty = _tremor(t, np.full(t.size, profile.rest_tremor_px), rng, profile)
    return Trajectory(t, pos[0] + dx + tx, pos[1] + dy + ty)


def _still(pos: Point) -> Trajectory:
    """No time to spend: the cursor where it is, as one sample."""
    return Trajectory([0.0], [pos[0]], [pos[1]])


def _nudge(start: Point, length: float, rng: np.random.Generator, profile: MotorProfile, slow: float) -> Trajectory:
    a = rng.uniform(0, 2 * math.pi)
    tgt = (start[0] + length * math.cos(a), start[1] + length * math.sin(a))
    strokes, end = _plan_aimed(start, tgt, max(4.0, length), rng, profile, slow=slow, allow_overshoot=False)
    return _render(start, strokes, end + 30.0, rng, profile)


def idle_drift(pos: Point, duration_ms: float, rng: np.random.Generator, profile: MotorProfile = CALM) -> Trajectory:
    """Cursor left alone with the hand loosely on the mouse: slow creep and rare 2-12 px nudges.

    Lasts exactly ``duration_ms`` and ends creeping, never mid-nudge: a nudge that could not
    finish in the time left is not made (the hand creeps on instead), so the next movement
    starts from (near) rest, as a person's would.
    """
    _finite(pos=pos, duration_ms=duration_ms)
    if duration_ms <= 0:
        return _still(pos)
    parts: list[Trajectory] = []
    elapsed, cur = 0.0, pos
    rate = max(profile.idle_nudge_per_s, 1e-6)
    while elapsed < duration_ms:
        gap = float(rng.exponential(1000.0 / rate))
        seg = _drift_segment(cur, min(gap, duration_ms - elapsed), rng, profile)
        parts.append(seg)
        elapsed += seg.duration_ms()
        cur = seg.end()
        if elapsed < duration_ms:
            nudge = _nudge(cur, rng.uniform(2.0, 12.0), rng, profile, slow=0.5)
            if elapsed + nudge.duration_ms() > duration_ms:
                continue  # no time to finish it: creep through what is left
            parts.append(nudge)
            elapsed += nudge.duration_ms()
            cur = nudge.end()
    return chain(parts).until(duration_ms)  # trims only the last creep (its grid is at least 1 ms)


def _drift_segment(pos: Point, duration_ms: float, rng: np.random.Generator, profile: MotorProfile) -> Trajectory:
    t = _grid(duration_ms, profile)
    dx, dy = _drift(t, profile.idle_drift_px_s, rng, profile)
    tx, ty = _tremor(t, np.full(t.size, profile.rest_tremor_px), rng, profile)
    return Trajectory(t, pos[0] + dx + tx, pos[1] + dy + ty)


def reading(
    start: Point,
    region: tuple[float, float, float, float],
    duration_ms: float,
    rng: np.random.Generator,
    profile: MotorProfile = CALM,
) -> Trajectory:
    """Cursor parked while the persona reads ``region`` (x0, y0, x1, y1) for ``duration_ms``.

    Long dwells broken by occasional lazy short moves (mostly down / along the text) that
    stay inside the region; a start outside the region first drifts lazily into it.

    Lasts exactly ``duration_ms`` and ends at rest, never mid-move: a lazy move that could not
    finish in the time left is not made (the reader dwells instead). The one exception is the
    move into the region from a start outside it, which always finishes: then the trajectory
    lasts ``max(duration_ms, that move's duration)``.
    """
    _finite(start=start, region=region, duration_ms=duration_ms)
    if duration_ms <= 0:
        return _still(start)
    x0, x1 = sorted((region[0], region[2]))
    y0, y1 = sorted((region[1], region[3]))
    parts: list[Trajectory] = []
    cur, elapsed = start, 0.0

    def lazy(to: Point) -> Trajectory:
        d = math.hypot(to[0] - cur[0], to[1] - cur[1])
        strokes, end = _plan_aimed(
            cur, to, max(20.0, 0.25 * d), rng, profile, slow=profile.reading_speed, allow_overshoot=False
        )
        return _render(cur, strokes, end + 40.0, rng, profile)

    total = duration_ms
    if not (x0 <= cur[0] <= x1 and y0 <= cur[1] <= y1):
        mv = lazy((float(np.clip(cur[0], x0, x1)), float(np.clip(cur[1], y0, y1))))
        parts.append(mv)
        elapsed, cur = mv.duration_ms(), mv.end()
        total = max(duration_ms, elapsed)
    rate = max(profile.reading_move_per_s, 1e-6)
    while elapsed < duration_ms:
        pause = max(400.0, float(rng.exponential(1000.0 / rate)))
        d = dwell(cur, min(pause, duration_ms - elapsed), rng, profile)
        parts.append(d)
        elapsed += d.duration_ms()
        cur = d.end()
        if elapsed >= duration_ms:
            break
        step = rng.uniform(15.0, 0.25 * max(y1 - y0, x1 - x0, 60.0))
        ang = rng.normal(math.pi / 2, 0.7)  # mostly downwards in screen coordinates
        to = (
            float(np.clip(cur[0] + step * math.cos(ang), x0, x1)),
            float(np.clip(cur[1] + step * math.sin(ang), y0, y1)),
        )
        mv = lazy(to)
        if elapsed + mv.duration_ms() > duration_ms:
            continue  # no time to finish it: dwell through what is left
        parts.append(mv)
        elapsed += mv.duration_ms()
        cur = mv.end()
    return chain(parts).until(total)  # trims only the last dwell (its grid is at least 1 ms)
