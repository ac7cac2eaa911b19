"""Each session times out on its own clock (EITP v1.1 section 1.3, Appendix C "Session timeout").

In virtual time every browser context runs its own page clock, so concurrent sessions' event
times drift apart by minutes. A session expires after 5 minutes of *its* inactivity: another
session's later timestamps must not close it, and replays stay deterministic whatever order
the sessions' batches interleave in.
"""

from __future__ import annotations

import itertools
import math

import pytest

from tests.engine.telemetry import T0, Visit
from workbench.config import EITPConfig
from workbench.engine.core import BotOut, ClockError, Engine, Output, PacketOut

TIMEOUT = EITPConfig().inference.session_timeout_ms


def reading(session: str, t0: float, seconds: int = 45) -> list[dict]:
    """A visitor reading and scrolling for ``seconds``: one batch every 3 s."""
    v = Visit(section="specifications", session=session, t0=t0)
    for i in range(seconds // 3):
        v.move(500 + 40 * (i % 4), 380 + 30 * (i % 3), 500).drift(1700 + 90 * (i % 4), speed=60)
        v.rest(650 + 40 * (i % 5)).scroll([5 + 4 * i], every_ms=150, speed=500 + 60 * (i % 4))
    return v.batches()


def by_session(outputs: list[Output]) -> dict[str, list[Output]]:
    out: dict[str, list[Output]] = {}
    for o in outputs:
        sid = o.packet["sessionId"] if isinstance(o, PacketOut) else o.session_id
        out.setdefault(sid, []).append(o)
    return out


def alone(batches: list[dict]) -> list[Output]:
    engine = Engine()
    return [o for b in batches for o in engine.ingest(b)] + engine.close_all()


def test_two_sessions_whose_clocks_differ_by_more_than_the_timeout_do_not_expire_each_other():
    early = reading("sq_clock_early", T0)
    late = reading("sq_clock_late", T0 + TIMEOUT + 60_000)  # its page clock runs 6 minutes ahead
    engine = Engine()
    outputs: list[Output] = []
    seen: set[str] = set()
    for batch in (b for pair in itertools.zip_longest(early, late) for b in pair if b is not None):
        outputs += engine.ingest(batch)
        seen.add(batch["sessionId"])
        assert set(engine.sessions) == seen  # nobody was closed on the way
    outputs += engine.close_all()
    got = by_session(outputs)
    # each session's packets and verdicts are exactly those it gets with an engine of its own
    assert got["sq_clock_early"] == alone(early)
    assert got["sq_clock_late"] == alone(late)
    packets = [o.packet for o in got["sq_clock_early"] if isinstance(o, PacketOut)]
    assert len(packets) >= 4 and len({p["temporal"]["sessionDuration"] for p in packets}) == len(packets)


def test_interleaving_order_does_not_change_any_session_outputs():
    sessions = [reading(f"sq_order_{i}", T0 + i * (TIMEOUT // 2), seconds=36) for i in range(3)]

    def replay(order: list[dict]) -> dict[str, list[Output]]:
        engine = Engine()
        return by_session([o for b in order for o in engine.ingest(b)] + engine.close_all())

    one_after_another = replay([b for s in sessions for b in s])
    round_robin = replay([b for group in itertools.zip_longest(*sessions) for b in group if b is not None])
    newest_first = replay([b for s in reversed(sessions) for b in s])
    assert one_after_another == round_robin == newest_first
    assert all(any(isinstance(o, PacketOut) for o in outs) for outs in one_after_another.values())


def test_a_session_silent_for_longer_than_the_timeout_on_its_own_clock_starts_anew():
    first = reading("sq_return", T0, seconds=12)
    again = reading("sq_return", T0 + 12_000 + TIMEOUT + 1000, seconds=12)
    engine = Engine()
    for b in first:
        engine.ingest(b)
    assert engine.sessions["sq_return"].first_ts == T0
    out = engine.ingest(again[0])
    flushed = [o.packet for o in out if isinstance(o, PacketOut)]
    assert flushed and all(p["timestamp"] < again[0]["events"][0]["timestamp"] for p in flushed)
    assert engine.sessions["sq_return"].first_ts == again[0]["events"][0]["timestamp"]


def test_a_gap_shorter_than_the_timeout_keeps_the_session():
    first = reading("sq_pause", T0, seconds=12)
    later = reading("sq_pause", T0 + 12_000 + TIMEOUT - 10_000, seconds=12)
    engine = Engine()
    for b in first + later[:1]:
        engine.ingest(b)
    assert engine.sessions["sq_pause"].first_ts == T0


def test_the_idle_sweep_is_explicit_and_on_the_callers_clock():
    engine = Engine()
    for b in reading("sq_a", T0, seconds=12) + reading("sq_b", T0 + TIMEOUT + 120_000, seconds=12):
        engine.ingest(b)
    assert set(engine.sessions) == {"sq_a", "sq_b"}  # ingesting never sweeps
    last_a = engine.sessions["sq_a"].last_ts
    assert engine.expire(last_a + TIMEOUT) == [] and set(engine.sessions) == {"sq_a", "sq_b"}
    swept = engine.expire(last_a + TIMEOUT + 1)  # on sq_a's clock: sq_a idle too long, sq_b not
    assert set(engine.sessions) == {"sq_b"}
    assert {o.packet["sessionId"] for o in swept if isinstance(o, PacketOut)} == {"sq_a"}
    assert all(o.session_id == "sq_a" for o in swept if isinstance(o, BotOut))


# --- a connection-only probe that times out (section 8.1) -----------------------------------------

def probe(session: str = "sq_probe") -> dict:
    """A page that connected and resized once, then showed nothing more."""
    v = Visit(session=session)
    v.emit("viewport_resize", at=T0 + 2000, width=1280, height=720)
    return v.batches()[0]


def bot_verdicts(outputs: list[Output]) -> list[BotOut]:
    return [o for o in outputs if isinstance(o, BotOut) and o.verdict.classification == "bot"]


def test_a_probe_swept_by_expire_is_judged_as_closed_when_it_timed_out():
    engine = Engine()
    assert engine.ingest(probe()) == []
    out = engine.expire(T0 + 400_000)
    (flagged,) = bot_verdicts(out)
    assert "connection_only" in flagged.verdict.signals
    assert flagged.timestamp == T0 + 2000 + TIMEOUT  # its last event plus the timeout: event time, not `now`
    assert not any(isinstance(o, PacketOut) for o in out)


def test_a_probe_expired_by_its_own_next_batch_is_judged_as_closed_when_it_timed_out():
    engine = Engine()
    engine.ingest(probe())
    reload = Visit(session="sq_probe", t0=T0 + 2000 + TIMEOUT + 1000).batches()  # connects again, nothing else
    out = engine.ingest(reload[0])
    (flagged,) = bot_verdicts(out)
    assert flagged.session_id == "sq_probe" and "connection_only" in flagged.verdict.signals
    assert flagged.timestamp == T0 + 2000 + TIMEOUT
    assert engine.sessions["sq_probe"].verdict != "bot"  # the new session starts with a clean slate


def test_a_page_left_open_past_the_timeout_before_the_first_move_is_not_a_probe():
    # the visitor was at the page all along: its own next batch moves the mouse (DELBOT humans replay so)
    engine = Engine()
    engine.ingest(probe("sq_away"))
    back = Visit(session="sq_away", t0=T0 + 2000 + TIMEOUT + 1000).move(700, 420, 500).batches()
    assert bot_verdicts(engine.ingest(back[0])) == []


def test_end_of_input_does_not_know_when_a_probe_closed():
    engine = Engine()
    engine.ingest(probe())
    assert bot_verdicts(engine.close_all()) == []  # 2 s of connection-only events, close time unknown


# --- a clock the session cannot have (the bridge's "Timestamp Violation", section 4.6) -----------------
# The bridge refuses these batches; one put on the bus directly (or fed to `workbench ingest`) reaches the
# engine all the same. An event hours or years away from its batch would otherwise become the session's
# start or its newest event: a packet saying the visit lasted 55 years, a bot wait that is over at once.

SKEW = EITPConfig().transport.max_clock_skew_ms


def with_event_at(batch: dict, ts: float) -> dict:
    """``batch`` with one more event (a click), stamped ``ts``."""
    click = {"type": "click", "timestamp": ts, "currentSection": "specifications",
             "data": {"x": 512, "y": 384, "target": {"tag": "button", "class": "", "id": "", "text": "Specs"}}}
    return dict(batch, events=[*batch["events"], click])


def replay_with(batches: list[dict], bad: dict, *, at: int) -> list[Output]:
    """The session's outputs when ``bad`` arrives (and is refused) before ``batches[at]``."""
    engine = Engine()
    outputs: list[Output] = []
    for i, b in enumerate(batches):
        if i == at:
            with pytest.raises(ClockError, match="Timestamp Violation"):
                engine.ingest(bad)
        outputs += engine.ingest(b)
    return outputs + engine.close_all()


@pytest.mark.parametrize("offset", [-SKEW - 1, SKEW + 1, 10**15], ids=["past", "future", "far_future"])
def test_an_event_far_from_its_batchs_timestamp_is_refused_and_the_session_goes_on_without_it(offset):
    batches = reading("sq_skewed", T0)
    bad = with_event_at(batches[2], batches[2]["timestamp"] + offset)
    assert replay_with(batches, bad, at=2) == alone(batches)


def test_an_event_from_the_epoch_is_refused():
    batches = reading("sq_epoch", T0)
    assert replay_with(batches, with_event_at(batches[3], 0), at=3) == alone(batches)


def test_an_event_time_that_is_not_a_number_is_refused():
    # JSON has no NaN, but the pure core may be fed by Python (json.loads reads NaN)
    batches = reading("sq_nan", T0)
    assert replay_with(batches, with_event_at(batches[1], math.nan), at=1) == alone(batches)


def test_a_batch_from_further_back_than_the_skew_before_the_sessions_newest_event_is_refused():
    batches = reading("sq_stale", T0, seconds=90)
    stale = batches[0]  # its events are ~90 s older than the session's newest
    assert batches[-1]["events"][0]["timestamp"] - stale["events"][-1]["timestamp"] > SKEW
    engine = Engine()
    outputs = [o for b in batches for o in engine.ingest(b)]
    with pytest.raises(ClockError, match="Timestamp Violation"):
        engine.ingest(stale)
    assert outputs + engine.close_all() == alone(batches)


def test_a_late_batch_within_the_skew_is_still_taken():
    batches = reading("sq_late_ok", T0, seconds=45)
    late = batches[-4]  # ~10 s older than the newest
    reordered = [*batches[:-4], *batches[-3:], late]
    engine = Engine()
    outputs = [o for b in reordered for o in engine.ingest(b)] + engine.close_all()
    assert any(isinstance(o, PacketOut) for o in outputs)
