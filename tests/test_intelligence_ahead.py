"""Clocks running ahead in the feedback loop (sections 7.6, 5.9): event time only, and no visitor's clock
sets the tenant's cycles or plants patterns the present never reaches."""

from __future__ import annotations

from workbench.intelligence import DAY_MS, EVI_AHEAD_MS, EmotionalEvent, Intelligence

T0 = 1_740_700_800_000
END_OF_9999 = 253402300799999


def e(t, session="s", emotion="curiosity", section="pricing", vertical="rv_dealer", geo="us-west"):
    return EmotionalEvent("org", vertical, session, emotion, section, geo, t, 0.4)


def test_a_first_packet_from_a_clock_a_day_ahead_does_not_put_the_tenants_cycles_off():
    intel = Intelligence()
    intel.add(e(T0 + DAY_MS, "skewed", "frustration"))  # the tenant's first packet
    for m in range(10):
        intel.add(e(T0 + m * 60_000, f"h{m}"))
    assert [t for t, _ in intel.evi_history["org"]] == [T0 + m * 60_000 for m in range(1, 10)]
    assert intel.global_intelligence("org", T0 + 9 * 60_000) is not None


def test_once_cycling_a_clock_ahead_still_costs_one_early_cycle_only():
    intel = Intelligence()
    intel.add(e(T0, "first"))
    intel.add(e(T0 + 60_000, "second"))  # the first cycle
    intel.add(e(T0 + DAY_MS, "skewed"))  # one catch-up cycle, as before
    intel.add(e(T0 + 90_000, "third"))
    assert [t for t, _ in intel.evi_history["org"]] == [T0 + 60_000, T0 + 120_000]


def test_events_from_the_year_9999_validate_no_pattern_and_are_forgotten():
    intel = Intelligence()
    intel.add(e(T0, "first"))
    for vertical in ("rv_dealer", "fake-vertical"):
        for i in range(10):
            intel.add(e(END_OF_9999 - 10_000 + i, "evil", "frustration", "call-555-123-4567", vertical))
    t = T0 + 60_000
    while t < T0 + 30 * DAY_MS:
        intel.add(e(t, f"s{t // 3_600_000}"))
        t += 60_000
    assert all(p["section"] != "call-555-123-4567" for p in intel.knowledge_of["org"])
    assert intel.global_intelligence("org", t)["transferablePatterns"] == []
    assert not any(key[3] == "call-555-123-4567" for key in intel.groups)


def test_a_clock_a_little_ahead_counts_at_once_and_one_further_ahead_once_the_present_nears_it():
    intel = Intelligence(cycle_ms=10**15)  # cycles by hand
    for i in range(10):
        intel.add(e(T0 + EVI_AHEAD_MS - i, f"near{i}", section="near"))
        intel.add(e(T0 + 2 * EVI_AHEAD_MS - i, f"far{i}", section="far"))
    sample = {p["section"]: p["sample_size"] for p in intel.cycle(T0, tenant="org")}
    assert sample == {"near": 10, "far": 0}
    sample = {p["section"]: p["sample_size"] for p in intel.cycle(T0 + EVI_AHEAD_MS, tenant="org")}
    assert sample == {"near": 10, "far": 10}
    assert {p["section"] for p in intel.knowledge_of["org"]} == {"near", "far"}


def test_times_from_a_clock_more_than_a_week_ahead_leave_even_an_active_group():
    intel = Intelligence()
    key = ("org", "rv_dealer", "curiosity", "pricing", "us-west")
    for i in range(1000):
        intel.add(e(END_OF_9999 - i, "evil"))
    for m in range(1, 5):
        intel.add(e(T0 + m * 60_000, f"h{m}"))
    assert intel.groups[key].times == [T0 + m * 60_000 for m in range(1, 5)]  # the cycles dropped the 1,000
