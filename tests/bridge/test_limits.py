"""Section 4.6 limits, sans I/O: each at its boundary, on event time, with the clock fences."""

import itertools

from tests.conftest import ev, mouse_path
from workbench.bridge.limits import FrameGuard, LimiterRegistry, SessionLimiter, WallEventGuard
from workbench.config import TransportConfig

T0 = 1_740_700_800_000  # an event-time second boundary (ms)


def limiter(**kw) -> SessionLimiter:
    return SessionLimiter(TransportConfig(**kw))


def events(n: int, t: float = T0, kind: str | None = None, spread_ms: float = 1.0) -> list[dict]:
    """``n`` events from ``t``, ``spread_ms`` apart, of ``kind`` or of ten types in turn."""
    return [ev(kind or f"type{i % 10}", t + i * spread_ms) for i in range(n)]


_WALL = itertools.count(0.0, 10.0)


def check(lim: SessionLimiter, evs: list[dict], envelope: float | None = None, now: float | None = None):
    """By default each check comes 10 s of wall time after the last, so only the event-time limits judge."""
    return lim.check(envelope if envelope is not None else max(e["timestamp"] for e in evs), evs,
                     next(_WALL) if now is None else now)


# --- frame guard (wall time) ---------------------------------------------------------------
def test_frame_guard_n_per_second_sliding():
    guard = FrameGuard(50)
    assert all(guard.allow(10.0 + i * 0.01) is None for i in range(50))  # 50 within 0.5 s
    refusal = guard.allow(10.999)
    assert refusal and refusal.kind == "rate_frames" and "Rate Limit Exceeded" in refusal.message
    assert guard.allow(11.0) is None  # the first left the one-second window
    assert guard.allow(11.001) is not None  # ...but only the first


def test_frame_guard_refusals_are_not_counted():
    guard = FrameGuard(2)
    assert guard.allow(0.0) is None and guard.allow(0.1) is None
    assert all(guard.allow(0.2 + i * 0.001) is not None for i in range(100))
    assert guard.allow(1.05) is None


# --- events per wall second (forged timestamps) ---------------------------------------------
def test_wall_event_guard_refills_500_a_second_holds_1000_and_is_off_at_zero():
    guard = WallEventGuard(500, 1000)
    assert guard.check(5.0, 1000) is None  # a reconnect's catch-up on top of a second's worth
    guard.add(5.0, 1000)
    refusal = guard.check(5.0, 1)
    assert refusal and refusal.kind == "rate_events" and "wall-clock budget (500 per second" in refusal.message
    assert guard.check(5.5, 250) is None and guard.check(5.5, 251) is not None  # refilled 250 in 0.5 s
    assert guard.check(60.0, 1000) is None and guard.check(60.0, 1001) is not None  # never more than the burst
    off = WallEventGuard(0, 0)
    off.add(0.0, 10_000)
    assert off.check(0.0, 10_000) is None


def test_timestamps_a_second_apart_do_not_dodge_the_limit_on_the_wall_clock():
    # each batch sits in an event second of its own, so the event-time limits pass every one of them
    lim = limiter()
    sent = [check(lim, events(50, T0 + i * 1000), now=100.0 + i * 0.001) for i in range(21)]
    assert sent[:20] == [None] * 20  # 1,000 at once: a second's worth and a full producer buffer
    assert sent[20] is not None and sent[20].kind == "rate_events" and "wall-clock" in sent[20].message
    assert check(lim, events(50, T0 + 21_000), now=100.2) is None  # 100 more refilled by then


def test_timestamps_a_second_apart_do_not_dodge_the_per_type_limit_on_the_wall_clock():
    # 100 clicks a batch, each batch stamped a second after the last, 5 batches a wall second: every
    # event second holds 100 clicks, and the total's 500 a second would let all of them through
    lim = limiter()
    sent = [check(lim, events(100, T0 + i * 1000, kind="click"), now=100.0 + i * 0.2) for i in range(20)]
    accepted = sum(100 for refusal in sent if refusal is None)
    assert accepted <= 600 + 100 * 4  # the bucket's burst (100 + a producer's buffer), then 100 a second
    refused = [r for r in sent if r is not None]
    assert refused[0].kind == "rate_type" and "'click' events" in refused[0].message
    assert "wall-clock budget (100 per second, 600 at once)" in refused[0].message
    # other types have buckets of their own, and the total's budget was not taken by refused batches
    assert check(lim, events(100, T0 + 20_000, kind="mouse"), now=104.0) is None


def test_an_honest_producer_is_never_held_by_the_per_type_wall_budget():
    # a 20 Hz mouse stream and its reconnect catch-up: a whole buffer of moves at once, then 20 a second
    lim = limiter()
    assert check(lim, events(500, T0, kind="mouse", spread_ms=50), now=10.0) is None
    for i in range(60):
        assert check(lim, events(20, T0 + 25_000 + i * 1000, kind="mouse", spread_ms=50), now=11.0 + i) is None


def test_per_type_wall_budgets_are_forgotten_when_full_again():
    lim = limiter()
    for i in range(40):  # forty types, one batch each, a second apart on both clocks
        assert check(lim, events(10, T0 + i * 1000, kind=f"custom{i}"), now=10.0 + i) is None
    assert len(lim._wall_types) <= 17


def test_a_batch_refused_for_another_limit_takes_nothing_from_the_wall_budget():
    lim = limiter()
    assert check(lim, events(101, kind="mouse"), now=50.0).kind == "rate_type"
    assert check(lim, events(500, T0 + 5000), now=50.1) is None


def test_virtual_time_can_turn_the_wall_guard_off():
    lim = limiter(max_events_per_wall_second=0)
    assert all(check(lim, events(50, T0 + i * 1000), now=100.0) is None for i in range(40))


# --- events per second and per type per second (event time) ----------------------------------
def test_500_events_in_one_event_second_pass_501_refused():
    lim = limiter()
    assert check(lim, events(250)) is None
    assert check(lim, events(250, T0 + 300)) is None  # 500 in second T0
    refusal = check(lim, events(1, T0 + 999))
    assert refusal and refusal.kind == "rate_events" and "501 events" in refusal.message
    assert check(lim, events(1, T0 + 1000)) is None  # the next event second is a new budget


def test_a_501_event_batch_is_refused_whole_and_not_counted():
    lim = limiter()
    assert check(lim, events(501)).kind == "rate_events"
    assert check(lim, events(500)) is None  # nothing of the refused batch was counted


def test_100_events_of_one_type_per_second_pass_101_refused():
    lim = limiter()
    assert check(lim, events(100, kind="mouse")) is None
    assert check(lim, events(100, kind="click")) is None  # another type has its own budget
    refusal = check(lim, events(1, T0 + 500, kind="mouse"))
    assert refusal and refusal.kind == "rate_type" and "'mouse'" in refusal.message
    assert check(lim, events(1, T0 + 1000, kind="mouse")) is None


def test_limits_follow_config():
    lim = limiter(max_events_per_second=10, max_events_per_type_per_second=4)
    assert check(lim, events(4, kind="a")) is None
    assert check(lim, events(1, kind="a")).kind == "rate_type"
    assert check(lim, events(6, kind=None)) is None
    assert check(lim, events(1, T0 + 1, kind="z")).kind == "rate_events"


def test_a_compressed_virtual_time_session_is_never_throttled():
    """Five minutes of a 20 Hz producer, checked as fast as the CPU goes: event time, not wall time."""
    lim = limiter()
    t = T0
    for _ in range(100):  # one 50-event batch per 3 s of event time (the producer's flush cadence)
        batch_events = mouse_path(t, 50, dt=60)
        assert check(lim, batch_events) is None
        t += 3000


def test_a_flood_stamped_in_one_second_is_throttled():
    lim = limiter()
    outcomes = [check(lim, [ev(f"k{i % 50}", T0 + 500)] * 10) for i in range(60)]
    assert sum(o is None for o in outcomes) == 50 and {o.kind for o in outcomes if o} == {"rate_events"}


# --- clock fences ------------------------------------------------------------------------------
def test_event_within_skew_of_the_envelope_passes_one_ms_more_is_refused():
    lim = limiter(max_clock_skew_ms=60_000)
    assert check(lim, [ev("a", T0 - 60_000)], envelope=T0) is None
    assert check(lim, [ev("a", T0 + 60_000)], envelope=T0) is None
    for ts in (T0 - 60_001, T0 + 60_001):
        refusal = check(lim, [ev("a", ts)], envelope=T0)
        assert refusal and refusal.kind == "clock" and refusal.message.startswith("Timestamp Violation")


def test_a_batch_may_not_go_back_past_the_newest_by_more_than_the_skew():
    lim = limiter(max_clock_skew_ms=10_000)
    assert check(lim, events(1, T0 + 100_000)) is None
    assert check(lim, events(1, T0 + 90_000)) is None  # exactly the skew back
    refusal = check(lim, events(1, T0 + 89_999))
    assert refusal and refusal.kind == "clock"
    refusal = check(lim, events(1, T0 + 95_000), envelope=T0 + 89_999)  # the envelope counts too
    assert refusal and refusal.kind == "clock"


def test_a_time_that_is_no_epoch_millisecond_is_refused_and_fences_nothing_out():
    lim = limiter()
    for envelope in (1e308, 253_402_300_800_000, -1.0):  # past 9999-12-31, before 1970
        refusal = check(lim, [ev("a", envelope)], envelope=envelope)
        assert refusal and refusal.kind == "clock" and "is not epoch milliseconds" in refusal.message
        assert len(refusal.message) < 140  # a number, not 300 digits
    assert check(lim, events(1, T0)) is None  # the session's real next batch still passes


def test_lying_about_time_cannot_reopen_a_spent_second():
    """Old seconds are forgotten only once the fence makes them unwritable."""
    lim = limiter(max_clock_skew_ms=5_000)
    assert check(lim, events(500)) is None
    for back in (0, 1000, 4999):  # still inside the fence: the spent second is still counted
        assert check(lim, events(1, T0 + 999), envelope=T0 + back + 999) is not None
    assert check(lim, events(1, T0 + 6000)) is None
    assert check(lim, events(1, T0 + 999)).kind == "clock"  # now behind the fence


# --- the optional per-session quota ----------------------------------------------------------
def test_session_quota_is_off_by_default():
    lim = limiter()
    t = T0
    for _ in range(40):
        assert check(lim, events(50, t, spread_ms=10)) is None
        t += 3000


def test_session_quota_100_per_hour_boundary_and_sliding_hour():
    lim = limiter(max_session_events_per_hour=100)
    assert check(lim, events(60, T0)) is None
    assert check(lim, events(40, T0 + 1_000_000)) is None  # 100 in the hour
    refusal = check(lim, events(1, T0 + 2_000_000))
    assert refusal and refusal.kind == "session_quota" and "100 events per hour" in refusal.message
    assert check(lim, events(1, T0 + 3_600_000)) is None  # the first 60 left the hour (event time)
    assert check(lim, events(59, T0 + 3_600_001)) is None
    assert check(lim, events(1, T0 + 3_600_500)).kind == "session_quota"


# --- the registry -----------------------------------------------------------------------------
def test_registry_keeps_one_limiter_per_session_and_forgets_least_recent():
    reg = LimiterRegistry(TransportConfig(limiter_max_sessions=2))
    a = reg.get("t", "a")
    assert reg.get("t", "a") is a and reg.get("u", "a") is not a
    reg.get("t", "a")  # a is now the most recent
    reg.get("t", "b")
    assert len(reg) == 2 and reg.get("t", "a") is a
    assert reg.get("u", "a") is not None and len(reg) == 2



def test_the_wall_budget_refilled_to_exactly_a_batch_takes_it():
    guard = WallEventGuard(500, 1000)
    guard.add(10.0, 1000)
    assert guard.check(10.2, 100) is None  # 0.2 s at 500/s is 100 (99.99999999999964 in floats)
