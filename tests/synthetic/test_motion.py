"""Motion model: determinism, landing, Fitts timing, velocity shape, idle behaviour, gestures."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from synthetic import kinematics as K
from synthetic.motion import (
    AGITATED,
    CALM,
    HESITANT,
    MotorProfile,
    Trajectory,
    aimed_movement,
    chain,
    circle,
    dwell,
    erratic,
    fitts_mt,
    idle_drift,
    oscillate,
    reaction_time,
    reading,
)

PROFILES = {"calm": CALM, "hesitant": HESITANT, "agitated": AGITATED}


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def same(a: Trajectory, b: Trajectory) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in "txy")


def speed_over_last(tr: Trajectory, ms: float) -> float:
    """Mean speed (px/s) over the final ``ms`` of a trajectory."""
    t0 = tr.t[-1] - ms
    x0, y0 = np.interp(t0, tr.t, tr.x), np.interp(t0, tr.t, tr.y)
    return math.hypot(tr.x[-1] - x0, tr.y[-1] - y0) / (ms / 1000.0)


GENERATORS = {
    "aimed": lambda g: aimed_movement((10, 20), (700, 400), 30, g),
    "dwell": lambda g: dwell((10, 20), 1500, g),
    "idle": lambda g: idle_drift((10, 20), 5000, g),
    "reading": lambda g: reading((150, 150), (100, 100, 600, 400), 8000, g),
    "oscillate": lambda g: oscillate((100, 300), (500, 300), 120, 3, g),
    "erratic": lambda g: erratic((300, 300), 100, 1500, g),
    "circle": lambda g: circle((300, 300), 80, 2, g),
}


# ---------------------------------------------------------------- determinism, structure


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_same_seed_same_trajectory_different_seed_differs(name: str) -> None:
    gen = GENERATORS[name]
    a, b, c = gen(rng(7)), gen(rng(7)), gen(rng(8))
    assert same(a, b)
    assert not same(a, c)
    assert a.t[0] == 0.0 and np.all(np.diff(a.t) >= 0)
    assert np.all(np.isfinite(a.x)) and np.all(np.isfinite(a.y))


def test_trajectory_is_immutable_and_validated() -> None:
    tr = Trajectory([0, 10, 20], [0, 1, 2], [0, 0, 0])
    with pytest.raises(ValueError):
        tr.x[0] = 5.0
    with pytest.raises(ValueError):
        Trajectory([0, 10], [0], [0])
    with pytest.raises(ValueError):
        Trajectory([10, 0], [0, 0], [0, 0])


def test_concat_shifts_time_and_joins_seamlessly() -> None:
    a = aimed_movement((0, 0), (300, 0), 20, rng(1))
    b = dwell(a.end(), 800, rng(2))
    ab = a.concat(b)
    assert len(ab) == len(a) + len(b) - 1
    assert ab.duration_ms() == pytest.approx(a.duration_ms() + b.duration_ms())
    assert np.all(np.diff(ab.t) > 0)
    assert ab.end() == b.end()
    assert same(chain([a, b]), ab)
    s = a.shifted(1000.0)
    assert s.t[0] == 1000.0 and np.array_equal(s.x, a.x)


@pytest.mark.parametrize("hz", [20.0, 60.0, 120.0])
def test_resample_spacing_exact_and_end_preserved(hz: float) -> None:
    tr = aimed_movement((0, 0), (640, 380), 24, rng(3))
    rs = tr.resample(hz)
    assert np.allclose(np.diff(rs.t), 1000.0 / hz, rtol=0, atol=1e-9)
    assert rs.t[0] == tr.t[0] and rs.t[-1] >= tr.t[-1] > rs.t[-1] - 1000.0 / hz
    assert rs.end() == pytest.approx(tr.end())
    assert rs.start() == tr.start()


def test_until_cuts_with_interpolated_end() -> None:
    tr = Trajectory([0, 100, 200], [0, 10, 20], [0, 0, 0])
    cut = tr.until(150)
    assert cut.duration_ms() == 150 and cut.end() == (15.0, 0.0)


# ---------------------------------------------------------------- aimed movements


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_aimed_movement_starts_exactly_and_ends_at_rest_inside_target(profile: MotorProfile) -> None:
    g = rng(11)
    for seed in range(150):
        start = tuple(g.uniform(0, 1400, 2))
        target = tuple(g.uniform(0, 1400, 2))
        width = float(g.uniform(8, 120))
        tr = aimed_movement(start, target, width, rng(seed), profile)  # type: ignore[arg-type]
        assert tr.start() == pytest.approx(start, abs=1e-9)
        assert math.dist(tr.end(), target) <= width / 2
        assert speed_over_last(tr, 50.0) < 20.0


def test_movement_time_follows_fitts_law() -> None:
    width = 20.0
    ids, means = [], []
    for k, dist in enumerate([20.0, 60.0, 140.0, 300.0, 620.0, 1260.0]):
        mts = [aimed_movement((0, 0), (dist, 0), width, rng(1000 * k + s)).duration_ms() for s in range(120)]
        ids.append(math.log2(dist / width + 1))
        means.append(float(np.mean(mts)))
    slope, icpt = np.polyfit(ids, means, 1)
    pred = np.polyval([slope, icpt], ids)
    r2 = 1 - np.sum((np.array(means) - pred) ** 2) / np.sum((np.array(means) - np.mean(means)) ** 2)
    print(f"\nFitts fit: MT = {icpt:.0f} + {slope:.0f} * ID ms, R^2 = {r2:.3f}; means {np.round(means)}")
    assert 60 < slope < 300
    assert r2 > 0.95


def test_profiles_order_by_speed() -> None:
    def mean_mt(p: MotorProfile) -> float:
        return float(np.mean([aimed_movement((0, 0), (500, 0), 30, rng(s), p).duration_ms() for s in range(80)]))

    assert mean_mt(AGITATED) < mean_mt(CALM) < mean_mt(HESITANT)
    assert fitts_mt(500, 30, AGITATED) < fitts_mt(500, 30, CALM) < fitts_mt(500, 30, HESITANT)


def test_primary_submovement_has_bell_shaped_speed() -> None:
    ratios, end_ratios = [], []
    for s in range(100):
        tr = aimed_movement((100, 300), (700, 300), 40, rng(s))
        v = K.speeds(tr)
        p = int(np.argmax(v))
        # the primary ends at the first speed minimum (or < 10 % of peak) after the peak
        e = p + 1
        while e < v.size - 1 and v[e] > 0.1 * v[p] and not (v[e] <= v[e - 1] and v[e] <= v[e + 1]):
            e += 1
        ratios.append(p / e)
        end_ratios.append(max(v[0], v[-1]) / v[p])
    print(f"\nprimary peak at {np.median(ratios):.2f} of its duration (median)")
    assert 0.35 < float(np.median(ratios)) < 0.65
    assert np.percentile(ratios, 10) > 0.2 and np.percentile(ratios, 90) < 0.8
    assert max(end_ratios) < 0.05  # starts and ends near rest, not at peak speed


def test_long_moves_sometimes_overshoot_and_are_corrected() -> None:
    d, w = 800.0, 40.0
    over, subs = [], []
    for s in range(200):
        tr = aimed_movement((100, 400), (100 + d, 400), w, rng(s))
        over.append(tr.x.max() > 100 + d + w / 2)
        subs.append(K.submovement_count(tr))
        assert math.dist(tr.end(), (100 + d, 400)) <= w / 2
    frac = float(np.mean(over))
    print(f"\novershoot on {frac:.0%} of 800 px moves; sub-movements median {np.median(subs)}")
    assert 0.1 < frac < 0.8
    multi = np.array(subs) >= 2
    assert multi[np.array(over)].mean() > 0.6  # an overshoot shows a separate corrective peak
    assert multi.mean() > 0.5  # most long moves have one


def test_long_paths_are_curved_but_efficient() -> None:
    eff, dev = [], []
    for s in range(150):
        tr = aimed_movement((100, 100), (900, 600), 40, rng(s))
        eff.append(K.path_efficiency(tr))
        dev.append(K.max_deviation(tr))
    e_med, e_p10, d_med = np.median(eff), np.percentile(eff, 10), np.median(dev)
    print(f"\nefficiency median {e_med:.3f} p10 {e_p10:.3f}; max deviation median {d_med:.1f} px")
    assert min(dev) > 1.0  # never ruler-straight
    assert np.median(eff) > 0.9 and np.percentile(eff, 10) > 0.8


def test_tremor_is_present_but_small() -> None:
    tr = aimed_movement((0, 0), (600, 0), 30, rng(5))
    # the bow and corrections are smooth; tremor shows up as high-frequency residue
    resid = tr.y - np.convolve(tr.y, np.ones(9) / 9, mode="same")
    inner = resid[10:-10]
    assert 0.05 < float(inner.std()) < 2.0


# ---------------------------------------------------------------- rest, idle, reading


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_dwell_speed_stays_under_eitp_dwell_threshold(profile: MotorProfile) -> None:
    for seed in range(30):
        tr = dwell((400, 300), 4000, rng(seed), profile)
        v = K.speeds(K.resample(tr, 20))
        assert np.mean(v < 20) >= 0.9
        assert tr.duration_ms() == pytest.approx(4000)
        assert math.dist(tr.start(), (400, 300)) < 1e-9
        assert math.dist(tr.end(), (400, 300)) < 15  # a tiny drift, no travel
    assert len(K.pauses(dwell((0, 0), 2000, rng(1), CALM))) == 1


@pytest.mark.parametrize("profile", [CALM, HESITANT], ids=["calm", "hesitant"])
def test_idle_drift_is_slow(profile: MotorProfile) -> None:
    for seed in range(10):
        tr = idle_drift((200, 200), 15000, rng(seed), profile)
        assert tr.duration_ms() == pytest.approx(15000)
        assert np.mean(K.speeds(K.resample(tr, 20)) < 20) >= 0.9
        assert math.dist(tr.end(), (200, 200)) < 120


def test_reading_parks_the_cursor_inside_the_region() -> None:
    region = (100.0, 100.0, 700.0, 500.0)
    for seed in range(10):
        tr = reading((300, 200), region, 30000, rng(seed))
        assert tr.duration_ms() == pytest.approx(30000)
        margin = 15  # bows and tremor may graze the edge
        assert tr.x.min() > region[0] - margin and tr.x.max() < region[2] + margin
        assert tr.y.min() > region[1] - margin and tr.y.max() < region[3] + margin
        v = K.speeds(K.resample(tr, 20))
        assert np.mean(v < 20) > 0.8
        assert K.pauses_per_minute(tr.t, tr.x, tr.y) >= 4
    outside = reading((20, 20), region, 10000, rng(3))
    assert region[0] - 1 <= outside.end()[0] <= region[2] + 1


def end_speed(tr: Trajectory, ms: float = 25.0) -> float:
    """Speed (px/s) from the last sample at least ``ms`` before the end to the end."""
    i = max(int(np.searchsorted(tr.t, tr.t[-1] - ms, side="right")) - 1, 0)
    return math.dist((tr.x[i], tr.y[i]), tr.end()) / ((tr.t[-1] - tr.t[i]) / 1000.0)


@pytest.mark.parametrize(
    ("make", "ms"),
    [
        (lambda g, p, ms: reading((300, 300), (200, 200, 900, 600), ms, g, p), 6000.0),
        (lambda g, p, ms: reading((300, 300), (200, 200, 900, 600), ms, g, p), 1200.0),
        (lambda g, p, ms: idle_drift((300, 300), ms, g, p), 3000.0),
    ],
    ids=["reading", "short-reading", "idle"],
)
@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_reading_and_idling_end_at_rest_not_mid_move(
    make: Callable[[np.random.Generator, MotorProfile, float], Trajectory], ms: float, profile: MotorProfile
) -> None:
    """A lazy move or nudge cut off at the deadline left the cursor moving at up to 2,000 px/s,
    and the next primitive (which starts at rest) stopped it dead: ~58,000 px/s^2."""
    for seed in range(120):
        tr = make(rng(seed), profile, ms)
        assert tr.duration_ms() == pytest.approx(ms)
        assert end_speed(tr) < 40.0, seed


def test_reading_lasts_its_duration_unless_the_move_into_the_region_takes_longer() -> None:
    region = (500.0, 500.0, 700.0, 600.0)
    for seed in range(40):
        inside = reading((600, 550), region, 1500, rng(seed))
        assert inside.duration_ms() == pytest.approx(1500)
        far = reading((20, 20), region, 300, rng(seed))  # the move in takes longer than 300 ms: it finishes
        assert far.duration_ms() > 300 and end_speed(far) < 40.0


# ---------------------------------------------------------------- gestures


def test_oscillate_alternates_between_targets_with_dwells() -> None:
    a, b = (200.0, 300.0), (700.0, 320.0)
    tr = oscillate(a, b, 100, 6, rng(4), HESITANT, dwell_ms=(700, 1200))
    ts, xs, ys = K.resample(tr, 20)
    near_b = np.hypot(xs - b[0], ys - b[1]) < 50
    crossings = int(np.sum(np.diff(near_b.astype(int)) != 0))
    assert crossings >= 5  # arrives at b three times and leaves it
    assert len(K.pauses(tr)) >= 6
    assert math.dist(tr.end(), a) < 60


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_erratic_reaches_zigzag_threshold(profile: MotorProfile) -> None:
    hits = 0
    for seed in range(20):
        tr = erratic((400, 400), 120, 3000, rng(seed), profile)
        assert tr.duration_ms() == pytest.approx(3000)
        assert np.hypot(tr.x - 400, tr.y - 400).max() < 120 * 1.4
        hits += K.max_octant_changes(tr, window=10, hz=20) > 6
    assert hits >= 16


@pytest.mark.parametrize("profile", PROFILES.values(), ids=PROFILES.keys())
def test_circle_reaches_circularity_threshold(profile: MotorProfile) -> None:
    medians = []
    for seed in range(20):
        tr = circle((400, 300), 90, 3, rng(seed), profile)
        ts, xs, ys = K.resample(tr, 20, method="linear")
        windows = [(xs[i : i + 10], ys[i : i + 10]) for i in range(xs.size - 9)]
        circ = [K.circularity(x, y) for x, y in windows]
        radius = [float(np.hypot(x - x.mean(), y - y.mean()).mean()) for x, y in windows]
        medians.append(float(np.median(circ)))
        assert max(circ) > 0.85 and np.median(radius) > 20
    assert np.median(medians) > 0.85


def test_circle_from_a_start_point_is_continuous() -> None:
    tr = circle((400, 300), 90, 2, rng(2), start=(420, 310))
    assert tr.start() == pytest.approx((420, 310))
    assert K.peak_speed(tr.resample(60)) < 3000


def test_reaction_time_is_positive_and_profile_dependent() -> None:
    calm = [reaction_time(rng(s), CALM) for s in range(300)]
    hes = [reaction_time(rng(s), HESITANT) for s in range(300)]
    assert min(calm) > 0 and np.median(hes) > np.median(calm)


# ---------------------------------------------------------------- kinematics helpers


def test_kinematics_on_known_paths() -> None:
    t = np.arange(0, 1001, 10.0)
    line = (t, t * 0.5, np.zeros_like(t))  # 500 px/s along x
    assert np.allclose(K.speeds(line), 500.0)
    assert K.peak_speed(line) == pytest.approx(500.0)
    assert K.path_efficiency(line) == pytest.approx(1.0)
    assert K.straightness(line) == pytest.approx(1.0)
    assert K.max_deviation(line) == pytest.approx(0.0)
    ts, xs, _ = K.resample(line, 20)
    assert np.allclose(np.diff(ts), 50.0) and xs[-1] == pytest.approx(500.0)

    # event log with a 2 s gap: hold keeps the cursor still (a pause), linear would not
    log = (np.array([0.0, 50, 100, 2100, 2150]), np.array([0.0, 10, 20, 30, 40]), np.zeros(5))
    assert len(K.pauses(log)) == 1
    assert K.pauses_per_minute(*log) == pytest.approx(60_000 / 2150)
    _, xl, _ = K.resample(log, 20, method="linear")
    assert np.all(np.diff(xl) > 0)

    ang = np.linspace(0, 2 * np.pi, 10, endpoint=False)
    assert K.circularity(np.cos(ang), np.sin(ang)) == pytest.approx(1.0)
    assert K.circularity([0, 1, 2, 3], [0, 0, 0, 0]) < 0.85


def test_submovement_count_separates_bells() -> None:
    t = np.linspace(0, 1000, 121)
    s1 = np.clip(t / 400, 0, 1)
    s2 = np.clip((t - 500) / 300, 0, 1)
    mj = lambda s: s**3 * (10 - 15 * s + 6 * s * s)  # noqa: E731
    x = 400 * mj(s1) + 40 * mj(s2)
    assert K.submovement_count((t, x, np.zeros_like(t))) == 2
    assert K.submovement_count((t, 400 * mj(s1), np.zeros_like(t))) == 1


def test_octant_changes_of_a_zigzag() -> None:
    t = np.arange(0, 501, 50.0)
    x = np.arange(t.size) * 40.0
    y = np.where(np.arange(t.size) % 2 == 0, 0.0, 40.0)  # NE, SE, NE, ... every sample
    assert K.max_octant_changes((t, x, y)) == 8


def test_profiles_behave_as_named() -> None:
    """HESITANT pauses and corrects more than CALM; AGITATED overshoots more, varies more."""

    def session(p: MotorProfile, seed: int) -> Trajectory:
        g = rng(seed)
        pos, parts = (100.0, 100.0), []
        for _ in range(15):
            target = (float(g.uniform(50, 1200)), float(g.uniform(50, 700)))
            d = dwell(pos, reaction_time(g, p), g, p)
            m = aimed_movement(d.end(), target, 40, g, p)
            parts += [d, m]
            pos = m.end()
        return chain(parts)

    ppm = {
        n: np.mean([K.pauses_per_minute(*K.as_arrays(session(p, s))) for s in range(6)]) for n, p in PROFILES.items()
    }
    assert ppm["hesitant"] > ppm["calm"] > ppm["agitated"]

    def stats(p: MotorProfile) -> tuple[float, float, float]:
        trs = [aimed_movement((100, 400), (900, 400), 40, rng(s), p) for s in range(120)]
        over = np.mean([tr.x.max() > 920 for tr in trs])
        mts = np.array([tr.duration_ms() for tr in trs])
        subs = np.mean([K.submovement_count(tr) for tr in trs])
        return float(over), float(mts.std() / mts.mean()), float(subs)

    calm, hes, agi = stats(CALM), stats(HESITANT), stats(AGITATED)
    assert agi[0] > calm[0] and agi[1] > calm[1]
    assert hes[2] > calm[2]
