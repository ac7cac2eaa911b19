"""Clocks far ahead, and what they leave behind (workbench/intelligence.py, sections 5.9 and 7.6).

A session's latest state (what the EVI reads) from a clock more than a week ahead is forgotten at the tenant's
next cycle, as such event times are, instead of staying until the present passes it (never, for the year 9999);
and a visitor whose clock is a day ahead among others whose clocks are not no longer runs the tenant's cycles
ahead of the present, one early cycle per packet, leaving a history of future EVIs of 0.
"""

import pytest

from workbench.intelligence import AHEAD_KEPT_MS, DAY_MS, EVI_AHEAD_MS, EmotionalEvent, Intelligence

T0 = 1_740_700_800_000
END_OF_9999 = 253402300799999
MINUTE = 60_000
HOUR = 3_600_000


def e(t, session, emotion="frustration", intensity=0.5, geo="us-west"):
    return EmotionalEvent("org", "rv_dealer", session, emotion, "pricing", geo, t, intensity)


def skewed(intel):
    return {sid for sid in intel.latest["org"] if sid.startswith("ahead")}


def test_a_session_more_than_a_week_ahead_is_forgotten_at_the_next_cycle():
    intel = Intelligence(cycle_ms=10**15)  # cycles by hand
    intel.add(e(T0, "first"))
    for i in range(1000):  # 1,000 sessions from clocks in the year 9999, some from elsewhere (their own region)
        intel.add(e(END_OF_9999 - i, f"ahead{i}", geo="eu-west"))
    intel.add(e(T0 + AHEAD_KEPT_MS + 2 * MINUTE, "ahead_8_days"))
    intel.add(e(T0 + 6 * DAY_MS, "ahead_6_days"))
    intel.cycle(T0 + MINUTE, tenant="org")
    assert skewed(intel) == {"ahead_6_days"}  # kept, and counts once the present nears it, as a day ahead does
    for m in range(2, 3 * 24 * 60):  # three days of one visitor a minute
        intel.add(e(T0 + m * MINUTE, f"h{m}"))
        intel.cycle(T0 + m * MINUTE, tenant="org")
    assert skewed(intel) == {"ahead_6_days"}
    assert len(intel.latest["org"]) == len(intel.by_time["org"]) == 62  # the last hour's, and that one
    assert all(intel.latest["org"][sid].timestamp == t for t, sid in intel.by_time["org"])
    assert not intel.add_outcome("org", "ahead7", "frustration", "pricing", True)  # forgotten: never seen
    assert intel.cycle(T0 + 3 * DAY_MS, tenant="org")[0]["sample_size"] == 60 * 24 * 3 - 1  # sample unaffected
    for m in range(6 * 24 * 60, 6 * 24 * 60 + 2 * 60):  # past it
        intel.add(e(T0 + m * MINUTE, "late"))
        intel.cycle(T0 + m * MINUTE, tenant="org")
    assert skewed(intel) == set()  # an hour after it, like any state


def test_a_visitor_a_day_ahead_does_not_run_the_tenants_cycles_ahead_of_the_present():
    intel = Intelligence()
    lead = 0.0
    for k in range(3 * 360):  # 3 h: 20 visitors, a packet each 10 s, EVI 0.5; one a day ahead the first hour
        t = T0 + k * 10_000
        for v in range(20):
            intel.add(e(t + v * 400, f"h{v}_{k // 90}"))
        if k < 360:
            intel.add(e(t + DAY_MS, "ahead", "satisfaction"))
        lead = max(lead, intel.evi_history["org"][-1][0] - (t + 19 * 400))
    now = T0 + 3 * HOUR
    assert lead <= 2 * MINUTE  # was 5 h: a cycle per packet of the visitor a day ahead, none for hours after
    assert 178 <= len(intel.evi_history["org"]) <= 181  # a cycle a minute (was 360, half stamped in the future)
    assert {round(v, 3) for _, v in intel.evi_history["org"]} == {0.5}  # no EVI of the empty future (was 0.0)
    assert intel.next_cycle["org"] <= now + MINUTE
    gi = intel.global_intelligence("org", now)
    assert (gi["evi"], gi["isAnomaly"], gi["anomalySeverity"], gi["predictedEvi"]) == (0.5, False, "none", 0.5)


def test_a_few_visitors_ahead_keep_the_cycles_within_the_evi_window_of_the_present():
    intel = Intelligence()
    lead = 0.0
    for k in range(360):
        t = T0 + k * 10_000
        for v in range(20):
            intel.add(e(t + v * 400, f"h{v}"))
            if v % 7 == 3:  # three visitors a day ahead, among the others
                intel.add(e(t + v * 400 + DAY_MS, f"ahead{v}", "satisfaction"))
        lead = max(lead, intel.evi_history["org"][-1][0] - (t + 19 * 400))
    assert lead <= EVI_AHEAD_MS
    assert 58 <= len(intel.evi_history["org"]) <= 61 and {round(v, 3) for _, v in intel.evi_history["org"]} == {0.5}


@pytest.mark.parametrize("honest", [1, 2])
def test_a_visitor_a_day_ahead_beside_one_or_two_others_does_not_run_the_cycles_ahead(honest):
    # as many packets from the clock ahead as from the others together: the event that ran an early cycle
    # counted again for the next, so each of its packets ran one (5 h ahead, 355 EVIs of 0)
    intel = Intelligence()
    lead = 0.0
    for k in range(360):  # an hour, a packet each 10 s from each
        t = T0 + k * 10_000
        for v in range(honest):
            intel.add(e(t + v * 100, f"h{v}"))
        intel.add(e(t + 5000 + DAY_MS, "ahead", "satisfaction"))
        lead = max(lead, intel.evi_history["org"][-1][0] - t) if intel.evi_history.get("org") else lead
    assert lead <= EVI_AHEAD_MS
    assert 58 <= len(intel.evi_history["org"]) <= 61
    assert not any(v == 0 for _, v in intel.evi_history["org"])


def test_after_a_quiet_spell_the_cycles_still_catch_up_one_per_event():
    intel = Intelligence()
    for k in range(30):  # five minutes of one visitor
        intel.add(e(T0 + k * 10_000, "before"))
    before = len(intel.evi_history["org"])
    for k in range(20):  # three hours later, another
        intel.add(e(T0 + 3 * HOUR + k * 10_000, "after"))
    stamps = [t for t, _ in intel.evi_history["org"]][before:]
    assert stamps == [stamps[0] + i * MINUTE for i in range(20)]  # one per event, the first at once
    assert stamps[0] <= T0 + 6 * MINUTE


def test_after_a_quiet_spell_the_first_event_runs_the_cycle_however_many_came_before_it():
    intel = Intelligence()
    for k in range(30):
        for v in range(5):
            intel.add(e(T0 + k * 10_000 + v, f"v{v}"))
    due = intel.next_cycle["org"]
    intel.add(e(T0 + 2 * HOUR, "next"))  # 5 packets came since the last cycle, all before its due time
    assert intel.evi_history["org"][-1][0] == due and intel.next_cycle["org"] == due + MINUTE
