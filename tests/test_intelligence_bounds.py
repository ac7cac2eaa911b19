"""The feedback loop (7.6) and the EVI (5.9) under revised outcomes, many groups, young groups and skewed clocks."""

import copy
import json
import random
import tracemalloc

import pytest

from tests.conftest import FIXTURES
from workbench import intelligence as intelligence_module
from workbench.consumer.stats import trend, z_score
from workbench.enrichment import Enricher
from workbench.intelligence import (
    DAY_MS,
    EVI_AHEAD_MS,
    HISTORY_CYCLES,
    MAX_GROUPS_PER_TENANT,
    EmotionalEvent,
    Intelligence,
)

T0 = 1_700_000_000_000
HOUR_MS = 3_600_000


def e(t, session, vertical="rv", geo="us-west", section="pricing", emotion="decision_paralysis", tenant="org_a",
      intensity=0.6):
    return EmotionalEvent(tenant, vertical, session, emotion, section, geo, t, intensity)


def counts(intel, vertical, section="pricing", geo="us-west", emotion="decision_paralysis", tenant="org_a"):
    g = intel.groups[(tenant, vertical, emotion, section, geo)]
    return g.successes, g.outcomes


def _moved_session():
    """The review's case: A's outcome is counted in (rv, pricing), A's next page is the auto site, then the
    outcome is revised from "left" to "chat_engaged"."""
    intel = Intelligence()
    intel.add(e(T0, "B"))
    intel.add(e(T0 + 1000, "A"))
    intel.add(e(T0 + 2000, "D", vertical="auto"))
    assert intel.add_outcome("org_a", "D", "decision_paralysis", "pricing", True)
    assert intel.add_outcome("org_a", "B", "decision_paralysis", "pricing", True)
    assert intel.add_outcome("org_a", "A", "decision_paralysis", "pricing", False)
    intel.add(e(T0 + 20_000, "A", vertical="auto"))
    assert intel.revise_outcome("org_a", "A", "decision_paralysis", "pricing", False, True)
    return intel


def test_a_revision_is_charged_to_the_group_the_outcome_was_counted_in_not_the_sessions_latest():
    intel = _moved_session()
    assert counts(intel, "rv") == (2, 2) and counts(intel, "auto") == (1, 1)
    assert all(0 <= g.successes <= g.outcomes for g in intel.groups.values())
    # revised back (a second correction of the same outcome): it moves back in the same group
    assert intel.revise_outcome("org_a", "A", "decision_paralysis", "pricing", True, False)
    assert counts(intel, "rv") == (1, 2) and counts(intel, "auto") == (1, 1)
    intel.cycle(T0 + 60_000, tenant="org_a")  # and the cycle runs


async def test_after_a_revision_the_tenants_next_packets_are_still_enriched_and_the_cycles_go_on():
    intel = _moved_session()
    enricher = Enricher(intelligence=intel)
    packet = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
    packet.update(tenantId="org_a", sessionId="C", timestamp=T0 + 61_000)
    for n in range(3):
        p = copy.deepcopy(packet)
        p["timestamp"] += n * 60_000
        out = await enricher(p, {"vertical": "rv", "ip": "198.51.100.9"})
        assert out["globalIntelligence"] is not None
    assert len(intel.evi_history["org_a"]) == 3 and intel.next_cycle["org_a"] == T0 + 4 * 60_000


def test_a_revision_of_an_outcome_never_counted_moves_nothing():
    intel = Intelligence()
    intel.add(e(T0, "A"))
    assert not intel.revise_outcome("org_a", "A", "decision_paralysis", "pricing", False, True)
    assert not intel.revise_outcome("org_a", "never_seen", "decision_paralysis", "pricing", False, True)
    assert counts(intel, "rv") == (0, 0)
    intel.add_outcome("org_a", "A", "decision_paralysis", "pricing", True)  # a success: no failure to revise
    assert not intel.revise_outcome("org_a", "A", "decision_paralysis", "pricing", False, True)
    assert not intel.revise_outcome("org_a", "A", "frustration", "pricing", True, False)  # another kind
    assert counts(intel, "rv") == (1, 1)


def test_a_revision_whose_group_was_dropped_moves_nothing_in_the_group_made_since(monkeypatch):
    monkeypatch.setattr(intelligence_module, "MAX_GROUPS_PER_TENANT", 2)
    intel = Intelligence()
    intel.add(e(T0, "A"))
    intel.add_outcome("org_a", "A", "decision_paralysis", "pricing", False)
    intel.add(e(T0 + 1, "X", section="specs"))
    intel.add(e(T0 + 2, "Y", section="gallery"))  # a third group: (rv, pricing), least recently active, goes
    assert ("org_a", "rv", "decision_paralysis", "pricing", "us-west") not in intel.groups
    intel.add(e(T0 + 3, "A"))  # the same key again: a new group, which never counted A's outcome
    assert not intel.revise_outcome("org_a", "A", "decision_paralysis", "pricing", False, True)
    assert counts(intel, "rv") == (0, 0)
    intel.add_outcome("org_a", "A", "decision_paralysis", "pricing", False)
    assert intel.revise_outcome("org_a", "A", "decision_paralysis", "pricing", False, True)
    assert counts(intel, "rv") == (1, 1)


def test_a_tenant_keeps_a_bounded_number_of_groups_the_least_recently_active_dropped():
    intel = Intelligence(cycle_ms=DAY_MS)
    intel.add(e(T0, "honest"))
    intel.add(e(T0, "other", tenant="org_b"))
    for k in range(MAX_GROUPS_PER_TENANT + 50):  # one visitor inventing section names
        intel.add(e(T0 + k, "junk", section=f"made_up_{k}"))
        if k % 100 == 0:
            intel.add(e(T0 + k, "honest"))  # the honest group stays active
    mine = [key for key in intel.groups if key[0] == "org_a"]
    assert len(mine) == MAX_GROUPS_PER_TENANT
    assert ("org_a", "rv", "decision_paralysis", "pricing", "us-west") in intel.groups
    assert ("org_a", "rv", "decision_paralysis", "made_up_0", "us-west") not in intel.groups
    assert ("org_b", "rv", "decision_paralysis", "pricing", "us-west") in intel.groups  # another tenant's room
    assert len(intel.cycle(T0 + 60_000, tenant="org_a")) == MAX_GROUPS_PER_TENANT


def test_a_group_seen_once_keeps_no_day_of_zero_counts():
    # 100 groups seen once, then a day of cycles: each group's z-score baseline is a day of counts, almost all 0
    intel = Intelligence()
    for k in range(100):
        intel.add(e(T0, f"v{k}", emotion="curiosity", section=f"sec{k}"))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for c in range(1, HISTORY_CYCLES + 1):
            intel.add(e(T0 + c * 60_000, "honest", emotion="curiosity"))
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    seen_once = [g for key, g in intel.groups.items() if key[3].startswith("sec")]
    assert len(seen_once) == 100 and {len(g.cycle_counts) for g in seen_once} == {HISTORY_CYCLES}
    assert {sum(g.cycle_counts) for g in seen_once} == {1}
    # stored, 100 x 1440 counts took 1.4 MiB; the EVI series (1440 points) and the rest stay well under 1 MiB
    assert grown < 1 << 20


def test_a_young_groups_flat_traffic_is_no_spike_and_a_real_one_is():
    def group_after(days, per_hour=lambda h: 10):
        intel = Intelligence(cycle_ms=100 * DAY_MS)  # no automatic cycle: one by hand
        for h in range(int(days * 24)):
            for k in range(per_hour(h)):
                intel.add(e(T0 + h * HOUR_MS + k, f"s{h}_{k}", emotion="curiosity"))
        (p,) = intel.cycle(T0 + days * DAY_MS)
        return p

    for days in (2, 3.5, 4, 6, 7):  # flat traffic, whatever the group's age
        assert group_after(days)["spike"] is False
    # 3 days, 480 in the first two: the last 24 h is a spike above 480 (ratio 3R / (480 + R) > 1.5)
    assert group_after(3, lambda h: 10 if h < 48 else 21)["spike"] is True  # 504 vs 984 / 3 a day: 1.54x
    assert group_after(3, lambda h: 10 if h < 48 else 20)["spike"] is False  # 480 vs 960 / 3: 1.5x, not above
    assert group_after(1.9, lambda h: 1 if h < 21 else 100)["spike"] is False  # no full day before the last 24 h


def test_a_state_from_a_clock_running_ahead_counts_in_no_evi_until_the_present_reaches_it():
    intel = Intelligence()
    intel.add(e(T0 - 1, "first", emotion="satisfaction"))
    intel.add(e(T0 + DAY_MS, "ahead", emotion="frustration", intensity=1.0))  # the one early cycle (at T0 + 1 min)
    for m in range(0, 181):  # three hours of calm visitors, one packet a minute
        intel.add(e(T0 + m * 60_000, f"h{m}", emotion="satisfaction", intensity=0.5))
        assert intel.evi("org_a", T0 + m * 60_000) == 0.0
    assert len(intel.evi_history["org_a"]) == 180 and {v for _, v in intel.evi_history["org_a"]} == {0.0}
    intel.add(e(T0 + 200 * 60_000 + EVI_AHEAD_MS, "near", emotion="frustration", intensity=1.0))
    assert intel.evi("org_a", T0 + 200 * 60_000) > 0  # a little ahead still counts, up to EVI_AHEAD_MS
    assert intel.evi("org_a", T0 + 200 * 60_000 - 1) == 0.0
    assert intel.evi("org_a", T0 + DAY_MS) == 1.0  # the present reached it


def test_every_pattern_of_a_random_week_and_more_is_the_section_7_6_definition_written_out():
    """Against the definitions recomputed from scratch each cycle: the sample (7 days), the spike (24 h
    against the daily average over min(7, age) days, once a full day precedes the last 24 h), the z-score
    against the group's previous cycles (the last HISTORY_CYCLES), the trend against the previous cycle."""
    rng = random.Random(11)
    intel = Intelligence(cycle_ms=10**15)  # cycles by hand, one an hour
    keys = [("org_a", "rv", emo, sec, "us-west") for emo in ("curiosity", "frustration") for sec in ("a", "b", "c")]
    born_hour = {key: round(i * 0.8 * 24) for i, key in enumerate(keys)}  # groups born over the first 4 days
    truth: dict = {}  # key -> [times, previous cycle counts, current, born], in the order the groups were made
    forgotten, flagged = 0, {"spike": 0, "anomaly": 0}
    for hour in range(12 * 24):
        now = T0 + (hour + 1) * HOUR_MS
        for key in keys:
            quiet = key[3] == "c" and 0 <= hour - born_hour[key] - 24 < 180  # "c": a day, then 7.5 days silent
            if hour < born_hour[key] or quiet:
                continue
            rate = 3 if hour % 24 < 12 else 1
            rate *= 5 if key[3] == "b" and hour // 24 in (5, 6) else 1  # a burst
            for _ in range(rng.randrange(rate * 2 + 1)):
                t = now - rng.uniform(0, 2 * HOUR_MS) if rng.random() < 0.1 else now - rng.uniform(0, HOUR_MS)
                intel.add(EmotionalEvent(*key[:2], f"s{rng.randrange(50)}", key[2], key[3], key[4], t, 0.5))
                state = truth.setdefault(key, [[], [], 0, t])
                state[0].append(t)
                state[2] += 1
                state[3] = min(state[3], t)
        got = intel.cycle(now, tenant="org_a")
        want = []
        for key, state in list(truth.items()):
            times, history, current, born = state
            times[:] = [t for t in times if t >= now - 7 * DAY_MS]
            if not times and not current:
                del truth[key]
                forgotten += 1
                continue
            recent, age = sum(t >= now - DAY_MS for t in times), now - born
            spike = (age >= 2 * DAY_MS and len(times) > recent
                     and recent / (len(times) / min(7.0, age / DAY_MS)) > 1.5)
            z = z_score(current, history[-HISTORY_CYCLES:])
            want.append((key, len(times), spike, z, trend(current, history[-1] if history else 0)))
            history.append(current)
            state[2] = 0
        assert [(p["tenant"], p["vertical"], p["emotion"], p["section"], p["geo"]) for p in got] == [w[0] for w in want]
        for p, (key, sample, spike, z, direction) in zip(got, want, strict=True):
            assert (p["sample_size"], p["spike"], p["trend"]) == (sample, spike, direction), (hour, key)
            assert p["z"] == pytest.approx(z, abs=0.005 + 1e-9) and p["anomaly"] == (abs(z) > 2), (hour, key)
            flagged["spike"] += spike
            flagged["anomaly"] += p["anomaly"]
    assert flagged["spike"] and flagged["anomaly"], flagged
    assert forgotten == 2 and ("org_a", "rv", "curiosity", "c", "us-west") in truth  # forgotten, then made again
