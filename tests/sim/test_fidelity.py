"""Position fidelity (pure): samples against the intended path at the same page-clock instant."""

from __future__ import annotations

import numpy as np

from workbench.sim import fidelity


def plan(t, x, y):
    return [(np.asarray(t, float), np.asarray(x, float), np.asarray(y, float))]


def test_samples_on_the_path_have_no_error():
    p = plan([0, 1000], [0, 1000], [100, 100])
    f = fidelity.measure(p, [(250, 250, 100), (500, 500, 100), (750, 750, 100)])
    assert f.samples == 3 and f.max_px == 0


def test_a_lagging_sample_shows_the_distance_travelled_meanwhile():
    p = plan([0, 1000], [0, 1000], [100, 100])  # 1000 px/s
    err = fidelity.errors(p, [(500, 484, 100)])  # one 16 ms frame behind
    assert np.allclose(err, [16.0])
    f = fidelity.summarise(np.array([0.0, 1.0, 2.0, 100.0]))
    assert f.median_px == 1.5 and f.max_px == 100.0 and 80 < f.p95_px < 100


def test_teleport_steps_and_out_of_viewport_and_out_of_range_samples():
    # a step recorded as (t, old), (t + 0.5, new): a sample at t still reads the old position
    p = plan([0, 100, 100.5, 200], [10, 10, 500, 500], [10, 10, 10, 10])
    assert fidelity.errors(p, [(100, 10, 10), (150, 500, 10)]).tolist() == [0.0, 0.0]
    # an exit flick: intended positions above the viewport are not judged
    out = plan([0, 100], [600, 600], [200, -40])
    assert fidelity.errors(out, [(99, 600, 5)]).size == 0
    assert fidelity.errors(p, [(-10, 0, 0), (500, 0, 0)]).size == 0  # before and after the plan
    assert fidelity.measure([], [(1, 1, 1)]) == fidelity.NO_SAMPLES


def test_plan_segments_are_merged_in_time_order():
    p = plan([100, 200], [100, 200], [0, 0]) + plan([0, 100], [0, 100], [0, 0])
    assert fidelity.errors(p, [(50, 50, 0), (150, 150, 0)]).tolist() == [0.0, 0.0]
