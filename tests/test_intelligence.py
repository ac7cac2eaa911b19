"""Feedback loop and global intelligence on worked examples (sections 7.6, 5.9)."""

import pytest

from workbench.consumer.stats import wilson_lower_bound
from workbench.intelligence import DAY_MS, EmotionalEvent, Intelligence


def e(t, emotion="decision_paralysis", session="s1", geo="us-west", vertical="rv_dealer", intensity=0.5,
      success=None, section="pricing"):
    return EmotionalEvent("org", vertical, session, emotion, section, geo, t, intensity, success)


def test_groups_become_validated_patterns_with_wilson_confidence():
    intel = Intelligence()
    for i in range(12):
        intel.add(e(1000 + i, session=f"s{i}", success=(i < 8) if i < 10 else None))
    patterns = intel.cycle(61_000)
    (p,) = patterns
    assert p["sample_size"] == 12
    assert p["confidence"] == pytest.approx(100 * wilson_lower_bound(8, 10), abs=0.05)
    assert intel.knowledge == patterns  # n >= 10 validates it


def test_small_groups_are_not_knowledge():
    intel = Intelligence()
    for i in range(9):
        intel.add(e(1000 + i, session=f"s{i}"))
    intel.cycle(61_000)
    assert intel.knowledge == []


def test_cycles_run_on_event_time():
    intel = Intelligence()
    intel.add(e(0))
    intel.add(e(59_999))
    assert intel.evi_history == {}
    intel.add(e(60_000))
    assert len(intel.evi_history["org"]) == 1


def test_evi_weights_distress_by_intensity():
    intel = Intelligence()
    intel.add(e(1000, "frustration", "a", intensity=0.8))          # negative: 0.8
    intel.add(e(1000, "decision_paralysis", "b", intensity=0.5))   # cognitive 0.7 x 0.5 = 0.35
    intel.add(e(1000, "curiosity", "c", intensity=1.0))            # positive: 0
    assert intel.evi("org", 2000) == pytest.approx((0.8 + 0.35 + 0) / 3)
    assert intel.evi("org", 1000 + 300_001) == 0.0  # states older than 5 minutes drop out


def test_anomaly_and_prediction_on_a_rising_series():
    intel = Intelligence()
    t = 0
    for cycle in range(12):  # calm for a while, then distress climbs
        level = 0.1 if cycle < 8 else 0.1 + 0.2 * (cycle - 7)
        for s in range(5):
            intel.add(e(t + s, "frustration", f"s{s}", intensity=min(1.0, level)))
        t += 60_000
    gi = intel.global_intelligence("org", t)
    assert gi["isAnomaly"] and gi["anomalySeverity"] != "none"
    assert gi["predictedDirection"] == "up" and gi["predictedEvi"] >= gi["evi"] * 0.9
    assert gi["trend"] == "rising" and gi["percentile"] == 100.0


def test_contagion_from_one_geography_to_another():
    intel = Intelligence()
    plan = {0: (0.1, 0.1), 1: (0.1, 0.1), 2: (0.6, 0.1), 3: (0.7, 0.6)}  # west rises, then east follows
    for cycle, (west, east) in plan.items():
        t = cycle * 60_000 + 1
        intel.add(e(t, "frustration", "w", geo="us-west", intensity=west))
        intel.add(e(t, "frustration", "x", geo="us-east", intensity=east))
    intel.cycle(4 * 60_000)
    gi = intel.global_intelligence("org", 4 * 60_000)
    assert gi["contagion"] == {"sources": ["us-west"], "spreadTo": ["us-east"], "lagMs": 60_000}


def test_patterns_validated_in_two_verticals_are_transferable():
    intel = Intelligence()
    for i in range(10):
        intel.add(e(1000 + i, session=f"r{i}", vertical="rv_dealer"))
        intel.add(e(1000 + i, session=f"a{i}", vertical="auto_dealer"))
    intel.cycle(61_000)
    assert intel.transferable_patterns("org") == [{"emotion": "decision_paralysis", "section": "pricing",
                                              "verticals": ["auto_dealer", "rv_dealer"]}]


def test_a_clock_a_day_ahead_runs_one_cycle_and_honest_traffic_keeps_cycling():
    intel = Intelligence()
    intel.add(e(0, session="honest"))
    intel.add(e(DAY_MS, session="skewed"))  # one visitor's browser clock is a day ahead
    assert len(intel.evi_history["org"]) == 1  # one catch-up cycle, not 1440
    for t in range(60_000, 600_001, 60_000):
        intel.add(e(t + 1, session="honest"))
    assert len(intel.evi_history["org"]) == 10  # the next cycles follow the one just run, not the skewed clock
    times = [t for t, _ in intel.evi_history["org"]]
    assert times == sorted(times) and times[-1] == 600_000


def test_each_tenant_runs_on_its_own_clock():
    intel = Intelligence()
    for tenant in ("org_a", "org_b"):
        intel.add(EmotionalEvent(tenant, "rv_dealer", "s1", "frustration", "pricing", "us-west", 0))
    intel.add(EmotionalEvent("org_a", "rv_dealer", "s1", "frustration", "pricing", "us-west", 30 * 60_000))
    assert len(intel.evi_history["org_a"]) == 1 and "org_b" not in intel.evi_history
    intel.add(EmotionalEvent("org_b", "rv_dealer", "s1", "frustration", "pricing", "us-west", 60_000))
    assert len(intel.evi_history["org_b"]) == 1


def test_a_tenants_packets_carry_only_what_its_own_sessions_taught():
    intel = Intelligence()
    for i in range(10):
        for tenant, vertical in (("org_b", "rv_dealer"), ("org_b", "auto_dealer"), ("org_a", "rv_dealer")):
            intel.add(EmotionalEvent(tenant, vertical, f"{vertical}{i}", "decision_paralysis", "pricing", "us-west",
                                     1000 + i))
    intel.cycle(61_000)
    transferable = [{"emotion": "decision_paralysis", "section": "pricing", "verticals": ["auto_dealer", "rv_dealer"]}]
    assert intel.global_intelligence("org_b", 61_000)["transferablePatterns"] == transferable
    assert intel.global_intelligence("org_a", 61_000)["transferablePatterns"] == []  # learned from org_b only
    assert intel.transferable_patterns("org_a") == []


def test_the_evi_read_from_the_time_index_is_the_mean_over_every_sessions_latest_state():
    # The EVI reads only the last 5 minutes of a time-sorted index of latest states. Against the definition
    # written out (every session's latest state within 5 minutes of now, or after it), through late and
    # older events, replaced states, expiry after an hour and geographies
    import random

    from workbench.intelligence import DISTRESS, EVI_WINDOW_MS, SESSION_RETENTION_MS
    from workbench.protocol.taxonomy import CANONICAL, category

    rng = random.Random(5)
    intel, latest = Intelligence(), {}
    for n in range(3000):
        t = n * 1500 + rng.uniform(-90_000, 5_000)  # batches arrive late and out of order
        ev = e(t, emotion=rng.choice(CANONICAL), session=f"s{rng.randrange(400)}", geo=rng.choice(("a", "b")),
               intensity=rng.random())
        intel.add(ev)
        if ev.session not in latest or t >= latest[ev.session].timestamp:
            latest[ev.session] = ev
        if n % 97 == 0:
            now = t + rng.uniform(-60_000, 60_000)
            cut = max((c for c, _ in intel.evi_history.get("org", ())), default=None)
            if cut is not None:  # what the last cycle forgot
                latest = {s: x for s, x in latest.items() if cut - x.timestamp <= SESSION_RETENTION_MS}
            for geo in (None, "a", "b"):
                states = [x for x in latest.values() if now - x.timestamp <= EVI_WINDOW_MS
                          and (geo is None or x.geo == geo)]
                want = sum(DISTRESS[category(x.emotion)] * x.intensity for x in states) / len(states) if states else 0.0
                assert intel.evi("org", now, geo=geo) == pytest.approx(want, abs=1e-12)
