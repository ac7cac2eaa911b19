"""Aimed (pointing) movements: Fitts timing, ballistic primary, homing corrections."""

from __future__ import annotations

import math

import numpy as np

from ._strokes import _finite, _lognormal_one, _render, _Stroke
from .profile import CALM, MotorProfile
from .trajectory import Point, Trajectory

#: the smallest target width the model times and aims at, px: Fitts' law is measured on targets
#: of a pixel or more (indices of difficulty of ~1-10 bits); a 1e-3 px target would mean 19 bits
MIN_WIDTH_PX = 1.0


def fitts_mt(distance: float, width: float, profile: MotorProfile = CALM) -> float:
    """Noise-free Fitts movement time (ms), Shannon form; widths under a pixel count as one."""
    return profile.fitts_a_ms + profile.fitts_b_ms * math.log2(distance / max(width, MIN_WIDTH_PX) + 1.0)


def reaction_time(rng: np.random.Generator, profile: MotorProfile = CALM) -> float:
    """A lognormal reaction / decision time (ms) before the next move."""
    return float(profile.reaction_ms * math.exp(profile.reaction_sigma * rng.standard_normal()))


def _plan_aimed(
    start: Point,
    target: Point,
    width: float,
    rng: np.random.Generator,
    profile: MotorProfile,
    slow: float = 1.0,
    allow_overshoot: bool = True,
) -> tuple[list[_Stroke], float]:
    """Plan the sub-movements of one aimed movement; returns strokes and their end time."""
    sx, sy = start
    tx, ty = target
    dist = math.hypot(tx - sx, ty - sy)
    _finite(start=start, target=target, width=width)
    width = max(float(width), MIN_WIDTH_PX)
    radius = 0.45 * width  # landing points stay strictly inside the target
    ang = rng.uniform(0, 2 * math.pi)
    rad = radius * min(1.0, abs(rng.normal(0, 0.45)))
    final = (tx + rad * math.cos(ang), ty + rad * math.sin(ang))
    ux, uy = ((tx - sx) / dist, (ty - sy) / dist) if dist > 1e-9 else (1.0, 0.0)
    mt = fitts_mt(dist, width, profile) * _lognormal_one(rng, profile.mt_sigma) / slow

    def bow(length: float) -> float:
        return float(rng.normal(0.0, profile.bow_sd) * length)

    def inside(p: Point) -> bool:
        return math.hypot(p[0] - tx, p[1] - ty) <= radius

    if dist <= width:  # already (nearly) there: a single small adjustment
        d = math.hypot(final[0] - sx, final[1] - sy)
        dur = max(profile.min_submovement_ms, mt)
        return [_Stroke(0.0, dur, final[0] - sx, final[1] - sy, bow(d))], dur

    if allow_overshoot and dist >= profile.long_move_px and rng.random() < profile.overshoot_prob:
        gain = 1.0 + profile.overshoot_frac * (0.5 + abs(rng.normal()))
    else:
        gain = rng.normal(profile.primary_gain, profile.gain_sd)
    hesitate = dist > 3 * width and rng.random() < profile.hesitation_prob
    if hesitate:
        gain = rng.uniform(0.45, 0.8)
    lat = rng.normal(0.0, profile.lateral_sd) * dist
    aim = (sx + ux * dist * gain - uy * lat, sy + uy * dist * gain + ux * lat)

    # ballistic primary: a share of the Fitts time; the homing phase takes the rest
    share = float(np.clip(rng.normal(profile.primary_share, 0.08), 0.25, 0.9))
    dur = max(profile.min_submovement_ms, mt * share)
    strokes = [_Stroke(0.0, dur, aim[0] - sx, aim[1] - sy, bow(dist))]
    cur = aim
    if inside(aim) and not hesitate:
        # landed: one slow homing adjustment onto the final resting point
        onset = dur * rng.uniform(*profile.correction_onset)
        d = math.hypot(final[0] - cur[0], final[1] - cur[1])
        hdur = max(profile.min_submovement_ms, mt - onset)
        strokes.append(_Stroke(onset, hdur, final[0] - cur[0], final[1] - cur[1], bow(d) * 0.5))
        return strokes, onset + hdur

    for k in range(profile.max_corrections):
        prev = strokes[-1]
        if hesitate and k == 0:
            onset = prev.onset + prev.dur + rng.uniform(*profile.hesitation_ms)
        else:
            onset = prev.onset + prev.dur * rng.uniform(*profile.correction_onset)
        rest = math.hypot(final[0] - cur[0], final[1] - cur[1])
        if k == profile.max_corrections - 1:
            nxt = final
        else:
            g = rng.normal(1.0, profile.correction_gain_sd)
            nxt = (cur[0] + (final[0] - cur[0]) * g, cur[1] + (final[1] - cur[1]) * g)
        d = math.hypot(nxt[0] - cur[0], nxt[1] - cur[1])
        cdur = fitts_mt(rest, width, profile) * _lognormal_one(rng, profile.mt_sigma) / slow
        strokes.append(
            _Stroke(onset, max(profile.min_submovement_ms, cdur), nxt[0] - cur[0], nxt[1] - cur[1], bow(d) * 0.5)
        )
        cur = nxt
        if inside(cur):
            break
    end = max(s.onset + s.dur for s in strokes)
    return strokes, end


def aimed_movement(
    start: Point,
    target: Point,
    target_width: float,
    rng: np.random.Generator,
    profile: MotorProfile = CALM,
) -> Trajectory:
    """A pointing movement from ``start`` that ends at rest within ``target_width/2`` of ``target``.

    Fitts-timed primary minimum-jerk sub-movement with endpoint scatter and a bowed path,
    then corrective sub-movements if it missed, plus 8-12 Hz tremor; a 50-100 ms settle at
    the end.  Starts exactly at ``start`` and ends exactly at the landing point.
    """
    strokes, end = _plan_aimed(start, target, target_width, rng, profile)
    return _render(start, strokes, end + rng.uniform(50.0, 100.0), rng, profile)
