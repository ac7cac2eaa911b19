"""Worked examples for the section 7.6 statistics."""

import math

import pytest

from workbench.consumer.stats import is_anomaly, is_spike, spike_ratio, trend, wilson_lower_bound, z_score


def test_wilson_worked_examples():
    # 8 of 10 at 95 %: the classic worked example gives a lower bound of 0.4902.
    assert wilson_lower_bound(8, 10) == pytest.approx(0.4902, abs=1e-4)
    # 80 of 100: 0.7112.
    assert wilson_lower_bound(80, 100) == pytest.approx(0.7112, abs=1e-4)
    assert wilson_lower_bound(0, 0) == 0.0
    assert wilson_lower_bound(10, 10) < 1.0
    assert wilson_lower_bound(1, 1) < wilson_lower_bound(90, 100)  # small samples are doubted


def test_spike_detection():
    # 7-day baseline of 70 -> 10 a day; 16 in 24 h is 1.6x: a spike; 15 (1.5x) is not.
    assert spike_ratio(16, 70) == pytest.approx(1.6)
    assert is_spike(16, 70) and not is_spike(15, 70)
    assert math.isinf(spike_ratio(3, 0)) and is_spike(3, 0)


def test_z_score_worked_example():
    history = [2, 4, 4, 4, 5, 5, 7, 9]  # mean 5, sample sd 2.138
    assert z_score(9.5, history) == pytest.approx((9.5 - 5) / 2.13809, rel=1e-4)
    assert is_anomaly(9.5, history) and not is_anomaly(8, history)
    assert z_score(5, [5, 5, 5]) == 0.0


def test_trend_thresholds():
    assert trend(121, 100) == "increasing"
    assert trend(120, 100) == "stable"
    assert trend(79, 100) == "decreasing"
    assert trend(80, 100) == "stable"


def test_no_success_is_a_bound_of_zero_never_a_hair_below():
    bounds = [wilson_lower_bound(0, n) for n in range(1, 5000)]
    assert min(bounds) == 0.0 and str(wilson_lower_bound(0, 21)) == "0.0"
