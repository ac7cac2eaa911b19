"""Section 8.2 AI-assisted classification, the pure part: which sessions are ambiguous
(``botfilter.near_misses``) and how the engine holds them for a review and applies its answer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.engine.telemetry import RESIDENTIAL_IP, UA, Visit, run
from tests.engine.test_bot_hold import hesitant_buyer
from workbench.config import BotConfig, EITPConfig
from workbench.engine import botfilter
from workbench.engine.core import BotOut, Engine, Output, PacketOut, ReviewOut
from workbench.errors import ConfigError

CONFIG = EITPConfig()
SID = "sq_1740700800000_clicker"
# move times between clicks (ms); each action interval is this + 170 (stop sample, click): CV ~0.15,
# above the 0.1 regularity rule, under the 0.2 review margin
NEAR_REGULAR = [1200, 1800, 1400, 1900, 1300, 1600, 1150, 1750, 1500, 1350, 1850, 1250]
IRREGULAR = [600, 3000, 900, 4200, 1500, 700, 2600, 1100, 5200, 800, 1900, 3500]
PAGE = {"pageTitle": "Adventure 24 - Secret Pricing", "h1": "Our best price", "headings": [], "tables": []}


def clicker(gaps: list[int], *, session: str = SID, seconds: float = 40_000) -> Visit:
    """A visitor clicking through a configurator, one click per stroke, ``gaps`` apart; then reading."""
    v = Visit(section="pricing", session=session, page_content=PAGE).move(500, 400, 600)
    for i, gap in enumerate(gaps):
        v.move(500 + 40 * (i % 5), 400 + 30 * (i % 3), gap).click(tag="button", text="Next option")
    while v.t - v.t0 < seconds:
        v.drift(1500, speed=35).rest(900)
    return v


def evidence(v: Visit) -> botfilter.BotEvidence:
    ev = botfilter.BotEvidence(CONFIG.bot)
    for b in v.batches():
        ev.add_batch(b["events"], b["userAgent"], b["ip"])
    return ev


def reviewed_run(batches: list[dict], answer: tuple[str | None, float, str] | None,
                 engine: Engine | None = None) -> tuple[list[dict], list[BotOut], list[ReviewOut]]:
    """Every batch through an ``ai_review`` engine, each review answered at once (as the service does)."""
    engine = engine or Engine(ai_review=True)
    outs: list[Output] = []
    for b in batches:
        outs += engine.ingest(b)
    outs += engine.close_all()
    done: list[Output] = []
    for o in outs:
        done.append(o)
        if isinstance(o, ReviewOut) and answer is not None:
            done += engine.apply_review(o.session_id, *answer)
    return ([o.packet for o in done if isinstance(o, PacketOut)], [o for o in done if isinstance(o, BotOut)],
            [o for o in done if isinstance(o, ReviewOut)])


# --- near misses (botfilter) ---------------------------------------------------------------------

def test_a_near_regular_cadence_is_ambiguous_an_irregular_one_and_a_browsing_buyer_are_not():
    config = CONFIG.bot
    ambiguous = evidence(clicker(NEAR_REGULAR))
    intervals = np.diff(ambiguous.action_ts)
    cv = float(intervals.std() / intervals.mean())
    assert config.min_timing_cv < cv < config.ai_review_cv
    for ev in (ambiguous, evidence(clicker(IRREGULAR)), evidence(hesitant_buyer())):
        assert botfilter.assess(ev, config, wait_batches=3, wait_ms=30_000).classification == "human"
    assert botfilter.near_misses(ambiguous, config) == ("timing_regularity",)
    assert botfilter.near_misses(evidence(clicker(IRREGULAR)), config) == ()
    assert botfilter.near_misses(evidence(hesitant_buyer()), config) == ()


@pytest.mark.parametrize("field,value,miss", [
    ("teleport_clicks", 1, "instant_navigation"),
    ("max_clicks_in_batch", 26, "click_rate"),
    ("max_scrolls_in_batch", 51, "scroll_rate"),
    ("scroll_run_cv", 0.07, "linear_scrolling"),
])
def test_each_margin_is_a_near_miss_below_the_rule_and_nothing_at_or_past_it(field, value, miss):
    config = BotConfig()
    ev = botfilter.BotEvidence(config)
    setattr(ev, field, value)
    assert botfilter.near_misses(ev, config) == (miss,)
    quiet = {"teleport_clicks": 0, "max_clicks_in_batch": 25, "max_scrolls_in_batch": 50, "scroll_run_cv": 0.1}
    setattr(ev, field, quiet[field])
    assert botfilter.near_misses(ev, config) == ()
    fired = {"teleport_clicks": 2, "max_clicks_in_batch": 51, "max_scrolls_in_batch": 101, "scroll_run_cv": 0.04}
    setattr(ev, field, fired[field])  # the rule fires: a bot, not a near miss
    assert botfilter.near_misses(ev, config) == ()
    assert botfilter.assess(ev, config, wait_batches=0).classification == "bot" or field == "scroll_run_cv"


def test_one_or_two_sub_15ms_intervals_are_a_near_miss_three_are_the_rule():
    config = BotConfig()
    for fast, expected in ((0, ()), (1, ("sub_15ms_intervals",)), (2, ("sub_15ms_intervals",)), (3, ())):
        ev = botfilter.BotEvidence(config)
        ev.action_ts = [1000.0 * i for i in range(6)]
        ev.action_ts += [1000.0 * i + 8 for i in range(fast)]
        assert botfilter.near_misses(ev, config) == expected, fast


def test_a_scroll_run_records_its_regularity():
    ev = botfilter.BotEvidence(CONFIG.bot)
    events = [{"type": "scroll", "timestamp": 1000 + 400 * i + (30 if i % 2 else 0), "data":
               {"velocity": 800, "direction": "down"}} for i in range(8)]
    ev.add_batch(events)
    assert 0.05 < ev.scroll_run_cv < 0.1 and ev.linear_scroll_runs == 0
    assert botfilter.near_misses(ev, CONFIG.bot) == ("linear_scrolling",)
    assert math.isinf(botfilter.BotEvidence().scroll_run_cv)


def test_the_evidence_summary_names_no_ip_user_agent_position_or_page_text():
    v = clicker(NEAR_REGULAR)
    v.emit("Call me at jane@example.com", at=v.t)  # a client may send any event type name
    ev = evidence(v)
    summary = botfilter.review_evidence(ev, CONFIG.bot, ("timing_regularity",))
    text = repr(summary)
    for secret in (RESIDENTIAL_IP, UA, "Mozilla", "Chrome", "Secret Pricing", "Next option", "jane@example.com"):
        assert secret not in text
    assert summary["near_misses"] == ["timing_regularity"] and summary["event_types"]["other"] == 1
    assert summary["actions"]["count"] == 12 and summary["actions"]["under_15ms"] == 0
    assert summary["user_agent_present"] is True and summary["batches"] == ev.batches


# --- the engine ----------------------------------------------------------------------------------

def test_without_ai_review_an_ambiguous_session_is_human_as_before():
    packets, bots = run(clicker(NEAR_REGULAR).batches())
    assert [b.verdict.classification for b in bots] == ["human"] and packets


def test_ai_review_changes_nothing_for_a_session_with_no_near_miss():
    batches = hesitant_buyer().batches()
    plain = run(batches)
    packets, bots, reviews = reviewed_run(batches, answer=None)
    assert reviews == [] and packets == plain[0] and bots == plain[1]


def test_an_ambiguous_session_is_held_and_a_review_asked_for_once():
    engine = Engine(ai_review=True)
    outs: list[Output] = []
    for b in clicker(NEAR_REGULAR, seconds=60_000).batches():
        outs += engine.ingest(b)
    (review,) = [o for o in outs if isinstance(o, ReviewOut)]
    assert not any(isinstance(o, PacketOut | BotOut) for o in outs)  # held, windows closed after it too
    state = engine.sessions[SID]
    assert state.verdict == "review" and len(state.held) >= 5
    assert review.evidence["near_misses"] == ["timing_regularity"] and review.session_id == SID
    assert review.timestamp >= clicker(NEAR_REGULAR).t0 + CONFIG.inference.bot_wait_ms
    for secret in (RESIDENTIAL_IP, UA, "Secret Pricing"):
        assert secret not in repr(review)


def test_a_confident_bot_answer_drops_every_packet():
    packets, bots, _ = reviewed_run(clicker(NEAR_REGULAR).batches(), ("bot", 0.92, "fixed waits between clicks"))
    assert packets == []
    (bot,) = bots
    log = bot.log()
    assert log["classification"] == "bot" and log["signals"] == ["ai_classification"] and log["confidence"] == 0.92
    assert "fixed waits" in log["reasoning"] and "timing_regularity" in log["reasoning"]
    assert log["event_count"] > 0


@pytest.mark.parametrize("answer,says", [
    (("human", 0.85, "varied pauses"), "cleared by AI review"),
    (("bot", 0.6, "maybe scripted"), "0.60 < 0.8"),
    (("uncertain", 0.5, "cannot tell"), "'uncertain'"),
    ((None, 0.0, "timeout"), "AI review failed (timeout)"),
])
def test_anything_but_a_confident_bot_releases_the_same_packets_as_without_review(answer, says):
    batches = clicker(NEAR_REGULAR).batches()
    plain_packets, plain_bots = run(batches)
    packets, bots, reviews = reviewed_run(batches, answer)
    assert len(reviews) == 1 and packets == plain_packets and len(packets) >= 4
    (bot,) = bots
    assert bot.verdict.classification == "human" and bot.verdict.signals == ()
    assert says in bot.verdict.reasoning and bot.verdict.confidence == plain_bots[0].verdict.confidence


def test_an_answer_for_no_session_under_review_is_ignored():
    engine = Engine(ai_review=True)
    assert engine.apply_review("sq_unknown", "bot", 0.99, "x") == []
    for b in hesitant_buyer().batches():  # cleared by the rules: not under review
        engine.ingest(b)
    assert engine.apply_review("sq_1740700800000_visit", "bot", 0.99, "x") == []
    for b in clicker(NEAR_REGULAR).batches():
        engine.ingest(b)
    assert len(engine.apply_review(SID, "human", 0.9, "ok")) > 1
    assert engine.apply_review(SID, "bot", 0.99, "twice") == []  # answered already


def test_a_rule_that_fires_during_the_review_wins_at_once():
    batches = clicker(NEAR_REGULAR, seconds=60_000).batches()
    engine = Engine(ai_review=True)
    before = [o for b in batches[:12] for o in engine.ingest(b)]
    assert any(isinstance(o, ReviewOut) for o in before) and engine.sessions[SID].verdict == "review"
    outs = [o for b in batches[12:] for o in engine.ingest(dict(b, userAgent="Mozilla/5.0 HeadlessChrome/124"))]
    (bot,) = [o for o in outs if isinstance(o, BotOut)]
    assert bot.verdict.signals == ("user_agent",) and engine.sessions[SID].held == []
    assert engine.apply_review(SID, "human", 0.9, "late") == []
    assert not any(isinstance(o, PacketOut) for o in outs + engine.close_all())


def test_a_session_closed_under_review_keeps_its_windows_for_the_answer():
    batches = clicker(NEAR_REGULAR).batches()
    plain_packets, _ = run(batches)
    for answer, expected in ((("human", 0.9, "ok"), plain_packets), (("bot", 0.95, "script"), [])):
        engine = Engine(ai_review=True)
        outs = [o for b in batches for o in engine.ingest(b)]
        assert any(isinstance(o, ReviewOut) for o in outs)
        assert [o for o in engine.close_all() if isinstance(o, PacketOut | BotOut)] == []
        assert SID not in engine.sessions and engine.awaiting_review(SID)  # closed, its windows held
        done = engine.apply_review(SID, *answer)
        assert [o.packet for o in done if isinstance(o, PacketOut)] == expected  # the last window too
        assert not engine.awaiting_review(SID) and engine.apply_review(SID, *answer) == []


def test_a_close_that_completes_the_wait_asks_for_the_review_then():
    batches = clicker(NEAR_REGULAR, seconds=24_000).batches()  # 3+ batches, less than 30 s
    assert len(batches) >= 3
    engine = Engine(ai_review=True)
    assert not any(isinstance(o, ReviewOut) for b in batches for o in engine.ingest(b))
    (review,) = engine.close_session(SID, at=batches[-1]["timestamp"] + 500)
    assert isinstance(review, ReviewOut) and review.evidence["connection_closed"] is True
    done = engine.apply_review(SID, None, reasoning="overloaded")
    assert done[0].verdict.classification == "human" and "overloaded" in done[0].verdict.reasoning
    assert [o.packet for o in done[1:]] == run(batches)[0]


def test_a_closed_sessions_review_is_applied_before_the_review_of_a_new_session_with_its_id():
    first = clicker(NEAR_REGULAR).batches()
    engine = Engine(ai_review=True)
    for b in first:
        engine.ingest(b)
    engine.close_session(SID)
    t_later = first[0]["timestamp"] + 3_600_000  # when the new session begins
    later = [dict(b, events=[dict(e, timestamp=e["timestamp"] + 3_600_000) for e in b["events"]],
                  timestamp=b["timestamp"] + 3_600_000) for b in first]
    outs = [o for b in later for o in engine.ingest(b)]
    assert [o.timestamp for o in outs if isinstance(o, ReviewOut)] and SID in engine.parked
    old = engine.apply_review(SID, "bot", 0.9, "old")
    assert old[0].timestamp < t_later and [o for o in old if isinstance(o, PacketOut)] == []
    new = engine.apply_review(SID, "human", 0.9, "new")
    assert new[0].timestamp > t_later and any(isinstance(o, PacketOut) for o in new)


def test_the_review_shares_are_validated():
    for key in ("bot.ai_review_min_confidence", "bot.ai_review_rate_share"):
        with pytest.raises(ConfigError, match="at most 1"):
            EITPConfig().with_overrides({key: 1.5})


def test_a_closed_session_under_review_forgotten_for_room_is_parked_for_its_answer():
    batches = clicker(NEAR_REGULAR).batches()
    plain_packets, _ = run(batches)
    engine = Engine(EITPConfig().with_overrides({"inference.closed_sessions_kept": 1}), ai_review=True)
    for b in batches:
        engine.ingest(b)
    engine.close_session(SID)
    engine.ingest(batches[0] | {"sessionId": "sq_1740700800000_other"})
    engine.close_session("sq_1740700800000_other")  # takes the only place among the closed sessions
    assert SID not in engine.closed and engine.awaiting_review(SID)
    done = engine.apply_review(SID, "human", 0.9, "ok")
    assert [o.packet for o in done if isinstance(o, PacketOut)] == plain_packets


def test_a_session_reviewed_at_its_close_is_not_reviewed_again_when_it_comes_back():
    v = clicker(NEAR_REGULAR, seconds=60_000)
    batches = v.batches()
    first = [b for b in batches if b["timestamp"] - v.t0 < 20_000]
    engine = Engine(ai_review=True)
    outs = [o for b in first for o in engine.ingest(b)]
    outs += engine.close_session(SID, at=first[-1]["timestamp"] + 500)  # the close completes the wait
    (review,) = [o for o in outs if isinstance(o, ReviewOut)]
    assert engine.apply_review(SID, "human", 0.9, "irregular enough")[0].verdict.classification == "human"
    later = [o for b in batches[len(first):] for o in engine.ingest(b)]  # the visit comes back
    assert [o for o in later if isinstance(o, ReviewOut | BotOut)] == []
    assert any(isinstance(o, PacketOut) for o in later)
