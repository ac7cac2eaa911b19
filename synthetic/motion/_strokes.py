"""Building blocks: minimum-jerk strokes, superposition, band-limited tremor and drift."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .profile import MotorProfile
from .trajectory import FloatArray, Point, Trajectory


def _finite(**values: float | tuple[float, ...] | None) -> None:
    """Refuse NaN and infinite inputs by name: they would loop forever or fill a path with NaN."""
    for name, value in values.items():
        parts = () if value is None else value if isinstance(value, tuple) else (value,)
        if not all(math.isfinite(float(v)) for v in parts):
            raise ValueError(f"{name} must be finite, got {value!r}")


def _min_jerk(tau: FloatArray) -> FloatArray:
    s = np.clip(tau, 0.0, 1.0)
    return s**3 * (10.0 - 15.0 * s + 6.0 * s * s)


def _grid(duration_ms: float, profile: MotorProfile) -> FloatArray:
    """Sample times 0..duration (>= 1 ms) at no more than 1000/sample_hz ms apart."""
    duration_ms = max(float(duration_ms), 1.0)
    dt = 1000.0 / profile.sample_hz
    n = max(2, int(math.ceil(duration_ms / dt - 1e-9)) + 1)
    return np.linspace(0.0, duration_ms, n)


def _band_noise(n: int, fs: float, band: tuple[float, float], rng: np.random.Generator) -> FloatArray:
    """Unit-RMS noise of length n whose spectrum is confined to ``band`` Hz."""
    m = max(n, 512)
    spec = np.fft.rfft(rng.standard_normal(m))
    f = np.fft.rfftfreq(m, 1.0 / fs)
    spec[(f < band[0]) | (f > band[1])] = 0.0
    out = np.fft.irfft(spec, m)
    rms = float(np.sqrt(np.mean(out * out)))  # over the whole draw: short slices keep their scale
    return (out / rms if rms > 0 else out)[:n]


def _taper(t: FloatArray, ramp_ms: float = 40.0) -> FloatArray:
    """1 in the middle, smoothly 0 at both ends."""
    total = float(t[-1] - t[0])
    r = min(ramp_ms, total / 2.0) or 1.0
    a = np.clip((t - t[0]) / r, 0.0, 1.0)
    b = np.clip((t[-1] - t) / r, 0.0, 1.0)
    w: FloatArray = np.sin(0.5 * np.pi * a) ** 2 * np.sin(0.5 * np.pi * b) ** 2
    return w


def _tremor(
    t: FloatArray, envelope: FloatArray, rng: np.random.Generator, profile: MotorProfile
) -> tuple[FloatArray, FloatArray]:
    fs = profile.sample_hz
    nx = _band_noise(t.size, fs, profile.tremor_band_hz, rng)
    ny = _band_noise(t.size, fs, profile.tremor_band_hz, rng)
    w = envelope * _taper(t)
    return nx * w, ny * w


def _drift(
    t: FloatArray, speed_px_s: float, rng: np.random.Generator, profile: MotorProfile
) -> tuple[FloatArray, FloatArray]:
    """Slow wandering: low-pass (< 0.5 Hz) velocity noise integrated to position, from 0."""
    dt_s = np.diff(t, prepend=t[0]) / 1000.0
    per_axis = speed_px_s / math.sqrt(2.0)
    vx = _band_noise(t.size, profile.sample_hz, (0.0, 0.5), rng) * per_axis
    vy = _band_noise(t.size, profile.sample_hz, (0.0, 0.5), rng) * per_axis
    return np.cumsum(vx * dt_s), np.cumsum(vy * dt_s)


@dataclass(frozen=True)
class _Stroke:
    onset: float  # ms
    dur: float  # ms
    dx: float
    dy: float
    bow: float  # px, perpendicular


def _compose(start: Point, strokes: Sequence[_Stroke], t: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Superpose minimum-jerk strokes (each with its perpendicular bow) on ``start``."""
    x = np.full(t.size, float(start[0]))
    y = np.full(t.size, float(start[1]))
    for s in strokes:
        p = _min_jerk((t - s.onset) / s.dur)
        length = math.hypot(s.dx, s.dy)
        x += s.dx * p
        y += s.dy * p
        if length > 0 and s.bow:
            bend = s.bow * 4.0 * p * (1.0 - p)
            x += -s.dy / length * bend
            y += s.dx / length * bend
    return x, y


def _render(
    start: Point, strokes: Sequence[_Stroke], total_ms: float, rng: np.random.Generator, profile: MotorProfile
) -> Trajectory:
    """Strokes plus tremor whose amplitude follows the motion (rest level when still)."""
    t = _grid(total_ms, profile)
    x, y = _compose(start, strokes, t)
    v = np.hypot(np.gradient(x, t), np.gradient(y, t)) * 1000.0
    active = np.clip(v / 150.0, 0.0, 1.0)
    env = profile.rest_tremor_px + (profile.tremor_px - profile.rest_tremor_px) * active
    tx, ty = _tremor(t, env, rng, profile)
    return Trajectory(t, x + tx, y + ty)


def _lognormal_one(rng: np.random.Generator, sigma: float) -> float:
    """Multiplicative noise with mean 1."""
    return float(math.exp(sigma * rng.standard_normal() - 0.5 * sigma * sigma))
