"""Audit of the feedback loop (sections 7.6, 5.9, 10.4): Wilson bounds by hand, event time, isolation, memory."""

import json
import math
import time

import pytest

from tests.conftest import FIXTURES
from workbench.enrichment import Enricher, geo_of
from workbench.intelligence import DAY_MS, HISTORY_CYCLES, EmotionalEvent, Intelligence, confidence

Z = 1.959963984540054  # the two-sided 95 % normal quantile the Wilson bound uses


def e(t, session="s1", tenant="org", section="pricing", geo="us-west", emotion="decision_paralysis",
      intensity=0.5, success=None):
    return EmotionalEvent(tenant, "rv_dealer", session, emotion, section, geo, t, intensity, success)


def hand_wilson(k, n):
    """The Wilson lower bound written out: (p + z²/2n - z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    p = k / n
    return (p + Z * Z / (2 * n) - Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))) / (1 + Z * Z / n)


@pytest.mark.parametrize(("k", "n", "expected"), [
    (10, 10, 72.2),        # p = 1: 1 / (1 + z²/10) = 0.72247
    (5, 10, 23.7),         # p = 0.5: (0.69207 - 0.36460) / 1.38415 = 0.23659
    (0, 10, 0.0),
    (0, 21, 0.0),          # float rounding puts this a hair below zero
    (10**6, 10**6, 100.0),
    (0, 0, 0.0),           # no outcomes yet: no division by zero
])
def test_confidence_is_the_hand_computed_wilson_bound_within_0_and_100(k, n, expected):
    got = confidence(k, n)
    assert got == expected and 0.0 <= got <= 100.0 and not math.isnan(got)
    assert math.copysign(1.0, got) == 1.0  # never "-0.0" in a knowledge row
    if n:
        assert got == pytest.approx(100 * hand_wilson(k, n), abs=0.05)


def test_a_cycle_reports_no_negative_zero_confidence():
    intel = Intelligence()
    for i in range(21):
        intel.add(e(1000 + i, session=f"s{i}", success=False))
    (p,) = intel.cycle(61_000, tenant="org")
    assert p["sample_size"] == 21 and math.copysign(1.0, p["confidence"]) == 1.0
    assert json.dumps(p["confidence"]) == "0.0"


def test_a_late_older_event_does_not_replace_the_sessions_latest_state():
    intel = Intelligence()
    intel.add(e(10_000, emotion="frustration", intensity=0.8))     # negative 1.0 x 0.8
    intel.add(e(5_000, emotion="curiosity", intensity=0.8))        # arrives late, happened earlier
    assert intel.evi("org", 10_000) == pytest.approx(0.8)


def test_an_outcome_goes_to_the_group_of_the_sessions_latest_state_in_event_time():
    intel = Intelligence()
    intel.add(e(10_000, geo="us-east"))
    intel.add(e(5_000, geo="us-west"))  # late and older: the session is in us-east now
    assert intel.add_outcome("org", "s1", "decision_paralysis", "pricing", True)
    east = intel.groups[("org", "rv_dealer", "decision_paralysis", "pricing", "us-east")]
    assert (east.successes, east.outcomes) == (1, 1)


def test_an_expired_event_that_arrived_late_leaves_the_7_day_sample():
    intel = Intelligence()
    intel.add(e(8 * DAY_MS, session="now"))
    intel.add(e(0, session="old"))  # 8 days old, delivered after a newer one
    (p,) = intel.cycle(8 * DAY_MS + 1, tenant="org")
    assert p["sample_size"] == 1


def test_the_24h_count_uses_event_time_not_arrival_order():
    intel = Intelligence()
    for t in (6 * DAY_MS, 0.5 * DAY_MS, 6.5 * DAY_MS, DAY_MS):  # out of order; two in the last day
        intel.add(e(t, session=str(t)))
    (p,) = intel.cycle(6.9 * DAY_MS, tenant="org")
    # 2 in 24 h against 4 / 7 a day: ratio 3.5 > 1.5
    assert p["sample_size"] == 4 and p["spike"] is True


def test_no_wall_clock_in_the_loop(monkeypatch):
    def no_clock():
        raise AssertionError("wall clock read")
    monkeypatch.setattr(time, "time", no_clock)
    monkeypatch.setattr(time, "monotonic", no_clock)
    intel = Intelligence()
    for i in range(12):
        intel.add(e(i * 30_000, session=f"s{i % 3}"))
    assert intel.global_intelligence("org", 12 * 30_000) is not None


def _feed(intel, tenant, n, emotion="decision_paralysis", success=True):
    for i in range(n):
        intel.add(e(1000 + i, session=f"{tenant}{i}", tenant=tenant, emotion=emotion, success=success,
                    intensity=0.9))


def test_another_tenants_traffic_and_outcomes_change_nothing_for_this_one():
    alone, shared = Intelligence(), Intelligence()
    for intel in (alone, shared):
        _feed(intel, "org_a", 12, success=False)
    _feed(shared, "org_b", 50, emotion="frustration", success=True)  # same section, geo and vertical
    for i in range(50):
        shared.add_outcome("org_b", f"org_a{i % 12}", "decision_paralysis", "pricing", True)  # B's ids, A's names
    for intel in (alone, shared):
        intel.add(e(61_000, session="tick", tenant="org_a"))
        intel.add(e(61_000, session="tick", tenant="org_b"))
    assert shared.knowledge_of["org_a"] == alone.knowledge_of["org_a"]
    assert shared.knowledge_of["org_a"][0]["confidence"] == 0.0  # 0 of 12: B's successes did not leak in
    assert shared.global_intelligence("org_a", 61_000) == alone.global_intelligence("org_a", 61_000)


def test_same_events_in_the_same_order_give_the_same_knowledge():
    def run():
        intel = Intelligence()
        for i in range(40):
            intel.add(e(1000 + i * 7_000, session=f"s{i % 9}", geo=("us-west", "us-east", "ca-central")[i % 3],
                        section=("pricing", "specs")[i % 2], success=(i % 4 == 0) if i % 5 else None))
        return intel.knowledge, intel.global_intelligence("org", 1000 + 40 * 7_000)
    assert run() == run()


def test_a_long_serve_keeps_bounded_state():
    intel = Intelligence()
    n = HISTORY_CYCLES + 600  # a new visitor every minute for a day and 10 hours
    for k in range(n):
        intel.add(e(k * 60_000 + 1, session=f"s{k}"))
    # sessions quiet for over an hour are forgotten: at most the last 61 minutes' visitors remain
    assert len(intel.latest["org"]) <= 62
    (g,) = intel.groups.values()
    assert len(g.cycle_counts) == HISTORY_CYCLES and len(intel.evi_history["org"]) == HISTORY_CYCLES
    assert all(len(v) <= 3 for v in intel.geo_evi.values())


def test_a_group_silent_for_7_days_is_forgotten():
    intel = Intelligence(cycle_ms=DAY_MS)
    intel.add(e(0, section="one_off_page"))
    for day in range(1, 10):
        intel.add(e(day * DAY_MS + 1, session=f"d{day}"))
    assert {key[3] for key in intel.groups} == {"pricing"}


def test_geo_of_normalises_addresses_and_never_guesses():
    assert geo_of("::ffff:198.51.100.7") == "us-west"   # an IPv4 client seen by a dual-stack listener
    assert geo_of(" 203.0.113.9 ") == "us-east"
    assert geo_of("::1") == "local" and geo_of("127.0.0.1") == "local"
    assert geo_of("10.0.0.1") == "other" and geo_of("2001:db8::1") == "other" and geo_of("fe80::1%eth0") == "other"
    assert geo_of("198.51.100.7:80") == "unknown" and geo_of("1.2.3") == "unknown" and geo_of("") == "unknown"


async def test_neither_packet_nor_knowledge_rows_carry_the_ip():
    packet = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
    rows: list = []
    intel = Intelligence(cycle_ms=1_000, min_sample=1, on_knowledge=lambda at, p: rows.extend(p))
    enricher = Enricher(intelligence=intel)
    for _ in range(3):
        packet = dict(packet, timestamp=packet["timestamp"] + 1_000)
        out = await enricher(packet, {"vertical": "rv_dealer", "ip": "::ffff:198.51.100.77"})
    assert rows and {r["geo"] for r in rows} == {"us-west"}
    text = json.dumps([out, rows, intel.knowledge])
    assert "198.51.100" not in text and '"ip"' not in text


def test_a_revised_outcome_moves_the_groups_count_rather_than_adding_a_second():
    # Seer settles "no_response" (or "left"), then an answer inside the window arrives late and revises it:
    # one intervention, one outcome in the section 7.6 Wilson counts, now a success
    from workbench.consumer.seer import Intervention
    from workbench.pipeline import Pipeline

    pipeline = Pipeline(consumer=False)
    intel = pipeline.intelligence
    assert intel is not None
    intel.add(e(10_000))
    sent = Intervention("s1", "org", 12_000, "decision_paralysis", "pricing", "reassurance", "Need a hand?",
                        "template", outcome="no_response")
    pipeline._outcome(sent)
    sent.revised_from, sent.outcome = "no_response", "chat_engaged"
    pipeline._outcome(sent)
    group = intel.groups[("org", "rv_dealer", "decision_paralysis", "pricing", "us-west")]
    assert (group.successes, group.outcomes) == (1, 1)
