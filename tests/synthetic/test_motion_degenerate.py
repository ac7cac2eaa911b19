"""Motion model on degenerate input: empty durations, non-finite values, sub-pixel targets,
backwards gestures and impossible profiles give a clear ValueError or a sane trajectory,
never a hang, a NaN path or a teleport."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from synthetic import kinematics as K
from synthetic.motion import (
    CALM,
    MotorProfile,
    Trajectory,
    aimed_movement,
    circle,
    dwell,
    erratic,
    fitts_mt,
    idle_drift,
    oscillate,
    reading,
)

REGION = (100.0, 100.0, 600.0, 400.0)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def finite(tr: Trajectory) -> bool:
    return bool(np.all(np.isfinite(tr.t)) and np.all(np.isfinite(tr.x)) and np.all(np.isfinite(tr.y)))


def within(seconds: float, fn: Callable[[], object]) -> object:
    """Run ``fn`` in a daemon thread; fail (instead of hanging the suite) if it does not return."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the caller's thread)
            box["error"] = exc

    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(seconds)
    assert not th.is_alive(), f"did not return within {seconds} s (an endless loop)"
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]


# ---------------------------------------------------------------- empty durations


@pytest.mark.parametrize("ms", [0.0, -250.0])
@pytest.mark.parametrize(
    "make",
    [
        lambda ms: dwell((150, 150), ms, rng()),
        lambda ms: idle_drift((150, 150), ms, rng()),
        lambda ms: reading((150, 150), REGION, ms, rng()),
        lambda ms: erratic((150, 150), 80, ms, rng()),
    ],
    ids=["dwell", "idle_drift", "reading", "erratic"],
)
def test_no_time_to_spend_gives_the_cursor_where_it_is(make: Callable[[float], Trajectory], ms: float) -> None:
    tr = make(ms)
    assert tr.start() == pytest.approx((150.0, 150.0)) and tr.end() == pytest.approx((150.0, 150.0), abs=0.5)
    assert tr.duration_ms() <= 1.0 and finite(tr)


# ---------------------------------------------------------------- non-finite input


@pytest.mark.parametrize("bad", [math.nan, math.inf], ids=["nan", "inf"])
@pytest.mark.parametrize(
    "make",
    [
        lambda v: aimed_movement((0, 0), (v, 10), 30, rng()),
        lambda v: aimed_movement((v, 0), (100, 10), 30, rng()),
        lambda v: aimed_movement((0, 0), (100, 10), v, rng()),
        lambda v: dwell((0, 0), v, rng()),
        lambda v: idle_drift((0, 0), v, rng()),
        lambda v: reading((150, 150), REGION, v, rng()),
        lambda v: reading((10, 10), (100, 100, 600, v), 2000, rng()),
        lambda v: erratic((300, 300), 100, v, rng()),
        lambda v: erratic((300, 300), v, 1000, rng()),
        lambda v: circle((300, 300), v, 2, rng()),
        lambda v: circle((300, 300), 50, v, rng()),
        lambda v: oscillate((0, 0), (v, 0), 30, 2, rng()),
    ],
    ids=["aimed-target", "aimed-start", "aimed-width", "dwell", "idle", "reading", "reading-region",
         "erratic-ms", "erratic-radius", "circle-radius", "circle-turns", "oscillate"],
)
def test_non_finite_input_is_a_clear_error_not_a_hang_or_a_nan_path(make: Callable[[float], Trajectory],
                                                                       bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        within(10.0, lambda: make(bad))


# ---------------------------------------------------------------- sub-pixel targets


@pytest.mark.parametrize("width", [0.0, -5.0, 1e-9, 0.2])
def test_a_sub_pixel_target_is_timed_as_a_one_pixel_target(width: float) -> None:
    """Fitts' law is measured on targets of a pixel or more (IDs of ~1-10 bits); extrapolating to
    a 1e-3 px target gives a 19-bit index and a 6 s pointing movement across 500 px."""
    assert fitts_mt(500.0, width) == fitts_mt(500.0, 1.0)
    tiny = aimed_movement((100, 100), (600, 100), width, rng(3))
    pixel = aimed_movement((100, 100), (600, 100), 1.0, rng(3))
    assert np.array_equal(tiny.t, pixel.t) and np.array_equal(tiny.x, pixel.x)
    assert tiny.duration_ms() < 3000 and math.dist(tiny.end(), (600, 100)) <= 0.5


# ---------------------------------------------------------------- gestures


@pytest.mark.parametrize("turns", [-1.0, -0.2])
def test_circle_refuses_negative_turns_instead_of_drawing_a_full_turn_in_35_ms(turns: float) -> None:
    with pytest.raises(ValueError, match="turns"):
        circle((300, 300), 50, turns, rng())


def test_circle_refuses_a_negative_period_and_a_tiny_circle_stays_slow() -> None:
    with pytest.raises(ValueError, match="period"):
        circle((300, 300), 50, 1, rng(), period_ms=-100)
    for turns in (0.0, 0.01, 0.05):
        tr = circle((300, 300), 50, turns, rng(1))
        # no more travel than the requested arc (plus tremor): never a jump across the circle
        assert K.path_length(tr) < 2 * math.pi * 50 * turns + 15, turns


def test_erratic_refuses_a_negative_radius() -> None:
    with pytest.raises(ValueError, match="radius"):
        erratic((300, 300), -50, 1000, rng())


# ---------------------------------------------------------------- profiles


@pytest.mark.parametrize(
    "knobs",
    [{"max_corrections": 0}, {"sample_hz": 0.0}, {"fitts_b_ms": -10.0}, {"mt_sigma": -0.1},
     {"tremor_band_hz": (8.0, 80.0)}, {"correction_onset": (1.0, 0.5)}, {"overshoot_prob": 1.5}],
    ids=["no-corrections", "no-sampling", "negative-slope", "negative-sigma", "band-above-nyquist",
         "onset-reversed", "probability"],
)
def test_impossible_profiles_are_refused(knobs: dict[str, object]) -> None:
    """``max_corrections=0`` would end 49 of 50 long moves outside their target (the landing
    contract of :func:`aimed_movement`); the others divide by zero or draw from empty ranges."""
    with pytest.raises(ValueError):
        replace(CALM, **knobs)  # type: ignore[arg-type]


def test_the_named_profiles_are_valid() -> None:
    assert MotorProfile() == CALM


@pytest.mark.parametrize(
    "knobs",
    [{"fitts_a_ms": 0.0, "min_submovement_ms": 0.0}, {"min_submovement_ms": 1e-6},
     {"erratic_stroke_ms": (0.0, 0.0)}, {"erratic_stroke_ms": (1e-9, 100.0)}],
    ids=["zero-submovement", "tiny-submovement", "zero-zigzag", "tiny-zigzag"],
)
def test_strokes_shorter_than_a_sample_are_refused(knobs: dict[str, object]) -> None:
    """A 0 ms stroke divided by zero (an aimed move already on its target, with fitts_a_ms = 0,
    gave a NaN path) or never advanced erratic()'s clock (an endless loop)."""
    with pytest.raises(ValueError, match="sample interval"):
        replace(CALM, **knobs)  # type: ignore[arg-type]


def test_the_shortest_strokes_allowed_give_finite_paths_in_finite_time() -> None:
    sample_ms = 1000.0 / CALM.sample_hz
    quick = replace(CALM, fitts_a_ms=0.0, min_submovement_ms=sample_ms, erratic_stroke_ms=(sample_ms, sample_ms))
    assert finite(aimed_movement((100, 100), (100, 100), 30, rng(), quick))
    tr = within(10.0, lambda: erratic((300, 300), 100, 1000, rng(), quick))
    assert isinstance(tr, Trajectory) and finite(tr) and tr.duration_ms() == pytest.approx(1000)
