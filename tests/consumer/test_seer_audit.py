"""Seer's audited defects: bounded memory after a close, tenant isolation (10.4), chat state and
outcome attribution in event time (9.3, 7.5), refused packets, and the grace period after a verdict."""

import copy
import json

import numpy as np
import orjson
import pytest

from tests.conftest import FIXTURES, batch, ev, verdict
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.config import InterventionConfig
from workbench.consumer.bandit import Context, ThompsonBandit
from workbench.consumer.cooldown import SessionTiming, decide
from workbench.consumer.seer import GUARD_REJECTIONS_KEPT, UNDELIVERED, Seer, packet_problem
from workbench.consumer.service import SeerService
from workbench.consumer.templates import format_price, render
from workbench.errors import ValidationError

BASE = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
T = BASE["tenantId"]


def packet(t, sid="sq_1", emotion="decision_paralysis", session_ms=None):
    p = copy.deepcopy(BASE)
    p["sessionId"], p["timestamp"] = sid, t
    p["emotion"]["primary"] = emotion
    p["temporal"]["sessionDuration"] = t if session_ms is None else session_ms
    return p


def tallies(seer):
    return sum(t.successes + t.failures for t in seer.bandit.global_.values())


# --- 1. after a close, a session lives on among the ended ones only (bounded) -----------------------------
def test_the_engines_verdict_and_last_packet_after_a_close_do_not_bring_the_session_back():
    seer = Seer(seed=1)
    for i in range(50):
        sid = f"sq_{i}"
        seer.on_events(sid, [ev("connection", 0), ev("mouse", 15_000)])
        seer.on_session_end(sid, at=16_000)
        seer.on_packet(packet(15_000, sid=sid, emotion="curiosity"))  # the engine's last window, flushed on close
        seer.on_bot(sid, "bot")  # its verdict, published after the close
        seer.decide(packet(15_000, sid=sid))
    assert seer.sessions == {} and len(seer.ended) == 50


def test_a_verdict_after_a_close_still_holds_when_the_visit_comes_back():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 15_000)])
    seer.on_session_end("sq_1", at=16_000)
    seer.on_bot("sq_1", "bot")  # updated where the session is kept
    assert "sq_1" not in seer.sessions
    seer.on_events("sq_1", [ev("connection", 20_000), ev("mouse", 40_000)])  # the next page: live again
    assert "sq_1" in seer.sessions and seer.sessions["sq_1"].timing.is_bot
    assert seer.on_packet(packet(40_000)) is None


def test_a_late_packet_of_a_session_seer_never_saw_stays_with_its_end():
    seer = Seer(seed=1)
    seer.on_session_end("sq_1", at=25_000)
    late = seer.on_packet(packet(24_000))
    assert late is not None and late.outcome == UNDELIVERED
    assert seer.sessions == {} and seer.on_packet(packet(25_000)) is None  # the cooldown is still kept


# --- 2. section 10.4: another tenant's messages for the same session id are dropped -------------------------
async def test_another_tenants_batch_with_the_same_session_id_is_dropped_and_counted():
    bus = InProcessBus()
    outcomes = []
    service = SeerService(bus, on_outcome=outcomes.append)
    await service.start()
    await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(batch([ev("connection", 0), ev("mouse", 20_000)],
                                                                  session="sq_1", tenant=T)))
    await bus.drain()
    await bus.publish(subjects.intervention_request(T, "sq_1"), orjson.dumps(packet(20_000)))
    await bus.drain()
    assert service.sent == 1
    for kind, at in (("chat_message", 25_000), ("chat_open", 26_000)):
        await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(batch([ev(kind, at)], session="sq_1", tenant="org_b")))
    await bus.publish(subjects.bot_detection("org_b", "sq_1"),
                      orjson.dumps(verdict("sq_1", "bot", tenant="org_b")))
    await bus.drain()
    assert outcomes == [] and service.rejected["tenant"] == 3  # not answered by the stranger's chat
    await bus.publish(subjects.intervention_request(T, "sq_1"), orjson.dumps(packet(300_000)))
    await bus.drain()
    assert service.sent == 2  # the stranger's chat_open and verdict suppress nothing of the owner's
    await bus.publish(subjects.SESSION_CLOSED, orjson.dumps({"sessionId": "sq_1", "tenantId": "org_b", "at": 301_000}))
    await bus.drain()
    assert service.ignored_closes == 1 and "sq_1" in service.seer.sessions  # the owner stays the owner
    await bus.close()


async def test_another_tenants_packet_for_an_owned_session_is_dropped():
    bus = InProcessBus()
    service = SeerService(bus)
    await service.start()
    await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(batch([ev("mouse", 0)], session="sq_1", tenant=T)))
    await bus.drain()
    stranger = dict(packet(20_000), tenantId="org_b")
    await bus.publish(subjects.intervention_request("org_b", "sq_1"), orjson.dumps(stranger))
    await bus.drain()
    assert service.sent == 0 and service.rejected["tenant"] == 1
    assert service.seer.sessions["sq_1"].timing.last_intervention_at is None
    await bus.close()


# --- 3. an undelivered intervention leaves a "left" open to revision -----------------------------------------
def test_an_undelivered_intervention_does_not_wipe_a_left_that_the_visit_then_answers():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 20_000)])
    first = seer.on_packet(packet(20_000))
    seer.on_events("sq_1", [ev("mouse", 85_000)])
    seer.on_session_end("sq_1", at=90_000)
    assert first.outcome == "left"
    late = seer.on_packet(packet(88_000))  # the engine's last window, released after the close
    assert late is not None and late.outcome == UNDELIVERED
    (revised,) = seer.on_events("sq_1", [ev("connection", 92_000), ev("chat_message", 100_000)])
    assert revised is first and first.outcome == "chat_engaged"
    assert sum(t.successes for t in seer.bandit.global_.values()) == 1
    assert sum(t.failures for t in seer.bandit.global_.values()) == 0


# --- 4. chat window state follows event time, not arrival ---------------------------------------------------
def test_an_older_chat_close_arriving_late_does_not_close_a_chat_reopened_since():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("chat_open", 30_000)])
    seer.on_events("sq_1", [ev("chat_open", 80_000), ev("mouse", 95_000)])  # the newer batch first
    seer.on_events("sq_1", [ev("chat_close", 50_000)])  # the older one, late
    assert seer.sessions["sq_1"].timing.chat_opened_at == 80_000
    assert seer.on_packet(packet(170_000)) is None


def test_an_older_chat_open_arriving_late_does_not_reopen_a_closed_chat():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("chat_close", 50_000)])
    seer.on_events("sq_1", [ev("chat_open", 30_000)])  # stale
    assert seer.sessions["sq_1"].timing.chat_opened_at is None
    assert seer.on_packet(packet(170_000)) is not None  # 120 s after the close


def test_an_older_page_load_arriving_late_does_not_close_a_chat_opened_after_it():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("chat_open", 30_000)])
    seer.on_events("sq_1", [ev("connection", 20_000)])  # a page load from before the chat opened
    assert seer.on_packet(packet(300_000)) is None


# --- 5. an answer stamped before the intervention is not an answer to it -----------------------------------
def test_a_reply_stamped_before_the_intervention_does_not_settle_it():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 60_000)])
    sent = seer.on_packet(packet(60_000))
    assert seer.on_events("sq_1", [ev("form_submit", 25_000)]) == []
    assert sent.outcome is None and tallies(seer) == 0
    (settled,) = seer.on_events("sq_1", [ev("form_submit", 60_000)])  # at the same ms: after it
    assert settled is sent and sent.outcome == "lead_submitted"


def test_a_reply_stamped_before_the_intervention_does_not_revise_a_left():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 60_000)])
    sent = seer.on_packet(packet(60_000))
    seer.on_session_end("sq_1", at=70_000)
    assert seer.on_events("sq_1", [ev("chat_message", 30_000)]) == []
    assert sent.outcome == "left"


# --- 6. a bad packet is refused whole, before any state changes ---------------------------------------------
def _junk(mutate):
    p = packet(200_000)
    mutate(p)
    return p


JUNK = {
    "unknown emotion": lambda p: p["emotion"].__setitem__("primary", "unknown"),
    "made-up emotion": lambda p: p["emotion"].__setitem__("primary", "made_up_label"),
    "unhashable emotion": lambda p: p["emotion"].__setitem__("primary", ["frustration"]),
    "no emotion": lambda p: p.__setitem__("emotion", None),
    "section None": lambda p: p["spatial"].__setitem__("currentSection", None),
    "page content a string": lambda p: p.__setitem__("pageContent", "a string"),
    "patterns a list": lambda p: p.__setitem__("patterns", ["llm_gate:hold"]),
    "detected a string": lambda p: p["patterns"].__setitem__("detected", "llm_gate:hold"),
    "detected unhashable": lambda p: p["patterns"].__setitem__("detected", [["x"]]),
    "timestamp NaN": lambda p: p.__setitem__("timestamp", float("nan")),
    "timestamp a string": lambda p: p.__setitem__("timestamp", "200000"),
    "timestamp True": lambda p: p.__setitem__("timestamp", True),
    "duration negative": lambda p: p["temporal"].__setitem__("sessionDuration", -1),
    "duration huge int": lambda p: p["temporal"].__setitem__("sessionDuration", 10**400),
    "session id empty": lambda p: p.__setitem__("sessionId", ""),
    "tenant id a number": lambda p: p.__setitem__("tenantId", 7),
    "experiment a list": lambda p: p.__setitem__("experimentContext", []),
}


@pytest.mark.parametrize("name", sorted(JUNK))
def test_a_bad_packet_is_refused_before_anything_changes(name):
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 0), ev("mouse", 20_000)])
    first = seer.on_packet(packet(20_000))
    bad = _junk(JUNK[name])
    with pytest.raises(ValidationError, match="Seer refused a packet"):
        seer.on_packet(bad)
    with pytest.raises(ValidationError):
        seer.decide(bad)
    assert first.outcome is None and seer.sessions["sq_1"].pending is first and tallies(seer) == 0
    assert set(seer.sessions) == {"sq_1"} and not seer.bandit.exact and seer.take_settled() == []
    assert packet_problem(bad) is not None


def test_the_emotion_is_named_in_the_refusal():
    with pytest.raises(ValidationError, match="'unknown' is not one of the 22 canonical emotions"):
        Seer(seed=1).on_packet(_junk(JUNK["unknown emotion"]))


@pytest.mark.parametrize("emotion", ["decision_paralysis", "curiosity", "satisfaction"])
def test_a_good_packet_has_no_problem(emotion):
    assert packet_problem(packet(20_000, emotion=emotion)) is None
    assert packet_problem(dict(packet(20_000), pageContent=None)) is None


@pytest.mark.parametrize("price", ["9" * 5000, "$" + "9" * 5000, 10**5000, "9" * 41],
                         ids=["digits", "dollars", "int", "41 digits"])
def test_a_price_thousands_of_digits_long_is_no_price_and_still_gets_an_intervention(price):
    assert format_price(price) is None
    p = packet(20_000, emotion="price_sensitivity")
    p["pageContent"]["structuredData"][0]["price"] = price
    p["pageContent"]["visibleContent"] = "$" + "9" * 5000
    assert "listed" in render(p, "clarify_options", np.random.default_rng(0))
    assert Seer(seed=1).on_packet(p) is not None


@pytest.mark.parametrize("content", [{"structuredData": 7}, {"structuredData": "x", "h1": 2024},
                                  {"structuredData": [{"name": 10**5000, "price": None}], "visibleContent": 10**5000}],
                         ids=["data a number", "data a string", "huge numbers"])
def test_page_content_of_the_wrong_kind_reads_as_absent(content):
    p = dict(packet(20_000), pageContent=content)
    assert "vehicle" in render(p, "offer_help", np.random.default_rng(0))


async def test_the_service_drops_a_bad_packet_and_counts_it():
    bus = InProcessBus()
    service = SeerService(bus)
    await service.start()
    await bus.publish(subjects.intervention_request(T, "sq_1"), orjson.dumps(_junk(JUNK["unknown emotion"])))
    await bus.drain()
    assert service.sent == 0 and service.rejected["packet"] == 1 and service.seer.sessions == {}
    await bus.close()


# --- 7. a verdict says nothing of when the visit began ------------------------------------------------------
def test_the_grace_period_after_a_bot_then_human_verdict_runs_from_the_first_event():
    t0 = 1_740_700_800_000
    seer = Seer(seed=1)
    seer.on_bot("sq_1", "bot")
    assert seer.sessions["sq_1"].timing.started_at is None
    seer.on_bot("sq_1", "human")
    seer.on_events("sq_1", [ev("connection", t0), ev("mouse", t0 + 2_000)])
    assert seer.sessions["sq_1"].timing.started_at == t0
    assert seer.on_packet(packet(t0 + 3_000, session_ms=3_000)) is None  # 3 s into the visit
    assert seer.on_packet(packet(t0 + 10_000, session_ms=10_000)) is not None


def test_no_intervention_while_the_sessions_start_is_unknown():
    result = decide(10**9, SessionTiming(), InterventionConfig())
    assert not result.allowed and "grace period" in result.reason


# --- 8. bounded inspection memory; reading a posterior records nothing --------------------------------------
def test_guard_rejections_keep_only_the_latest():
    seer = Seer(seed=1)
    for i in range(GUARD_REJECTIONS_KEPT + 5):
        seer.on_packet(packet(20_000, sid=f"sq_{i}"), llm_message=f"I noticed you hovering, visitor {i}!")
    assert len(seer.guard_rejections) == GUARD_REJECTIONS_KEPT
    assert seer.guard_rejections[-1][0].endswith(f"visitor {GUARD_REJECTIONS_KEPT + 4}!")


def test_reading_a_posterior_or_choosing_records_nothing():
    bandit = ThompsonBandit()
    ctx = Context("org_a", "rv_dealer", "frustration", "pricing")
    assert bandit.posterior(ctx, "empathy") == (1.0, 1.0)
    bandit.choose(ctx, np.random.default_rng(0))
    assert not bandit.exact and not bandit.tenant and not bandit.global_


def test_a_template_names_no_product_whose_name_from_the_page_carries_personal_data():
    # page content the producer and the bridge let through (10.1, 10.3) must not reach the visitor
    for name in ("Signed in from 198.51.100.44", "Contact jo.smith@example.com", "Call (509) 555-0142"):
        seer = Seer(seed=3)
        p = packet(20_000)
        p["pageContent"] = {"structuredData": [{"type": "Vehicle", "name": name, "price": "59995"}], "h1": name}
        messages = {seer._template(p, strategy, 0) for strategy in ("empathy", "offer_help", "social_proof")}
        assert all(name not in m and "@" not in m and "198.51" not in m for m in messages), messages
    seer = Seer(seed=3)
    p = packet(20_000)
    p["pageContent"] = {"structuredData": [{"type": "Vehicle", "name": "Arctic Wolf 3650SUITE"}]}
    assert any("Arctic Wolf" in seer._template(p, s, nth)
               for nth, s in enumerate(("empathy", "offer_help", "social_proof") * 3))
