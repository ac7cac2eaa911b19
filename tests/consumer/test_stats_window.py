"""Section 7.6 statistics on bad counts, young series, and the per-cycle count window (O(1) a cycle)."""

import math
import random

import pytest

from workbench.consumer.stats import CountWindow, is_spike, spike_ratio, wilson_lower_bound, z_score


@pytest.mark.parametrize(("successes", "n", "as_if"), [
    (2, 1, 1),     # the revised outcome of the review: p = 2 made the root's argument negative
    (5, 3, 3),
    (-1, 4, 0),
    (-3, 3, 0),
])
def test_a_count_of_successes_outside_0_to_n_is_clamped_never_raised(successes, n, as_if):
    bound = wilson_lower_bound(successes, n)
    assert bound == wilson_lower_bound(as_if, n) and 0.0 <= bound < 1.0 and not math.isnan(bound)


def test_a_series_younger_than_7_days_is_averaged_over_the_days_it_covers():
    # 2 days of 240 a day: the last 24 h (240) is the daily average, not 3.5x the 7-day one
    assert spike_ratio(240, 480, days=2) == pytest.approx(1.0) and not is_spike(240, 480, days=2)
    assert spike_ratio(240, 480) == pytest.approx(3.5)  # the 7-day default, unchanged
    assert spike_ratio(31, 60, days=3) == pytest.approx(1.55) and is_spike(31, 60, days=3)
    assert math.isinf(spike_ratio(3, 0, days=2))


def test_the_window_gives_the_z_score_of_its_last_counts_as_the_full_series_does():
    rng = random.Random(7)
    window, series = CountWindow(50), []
    for step in range(400):
        # long quiet spells (zeros are not stored), bursts, and a constant stretch (no spread)
        count = 3 if 200 <= step < 280 else (rng.choice([0] * 6 + [1, 2, 5, 40]) if step % 97 > 20 else 0)
        value = rng.choice([0, 1, 3, 60])
        last = series[-50:]
        assert len(window) == len(last) and list(window) == last
        assert window.last == (series[-1] if series else 0)
        assert window.z_score(value) == pytest.approx(z_score(value, last), rel=1e-9, abs=1e-12)
        window.append(count)
        series.append(count)


def test_a_window_of_zeros_and_one_count_reads_as_the_full_series_and_forgets_it_a_window_later():
    window = CountWindow(1440)
    window.extend([0] * 1439 + [1])
    assert len(window) == 1440 and sum(window) == 1 and window.last == 1
    assert window.z_score(1) == pytest.approx(z_score(1, [0] * 1439 + [1]))
    window.extend([0] * 1440)  # a day later the count has left the window
    assert len(window) == 1440 and sum(window) == 0 and window.z_score(5) == 0.0


def test_a_window_holds_at_least_one_count():
    with pytest.raises(ValueError, match="at least one"):
        CountWindow(0)
