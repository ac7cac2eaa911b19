"""Seer's decisions and outcome attribution, in event time."""

import copy
import json

import pytest

from tests.conftest import FIXTURES, ev
from workbench.consumer.guard import violations
from workbench.consumer.seer import Seer

BASE = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


def packet(t, emotion="decision_paralysis", session_ms=None, sid="sq_1"):
    p = copy.deepcopy(BASE)
    p["sessionId"], p["timestamp"] = sid, t
    p["emotion"]["primary"] = emotion
    p["temporal"]["sessionDuration"] = t if session_ms is None else session_ms
    return p


def test_first_intervention_after_grace_then_cooldown():
    seer = Seer(seed=1)
    assert seer.on_packet(packet(9_000)) is None  # inside the 10 s grace period
    first = seer.on_packet(packet(20_000))
    assert first is not None and first.message and violations(first.message) == []
    assert seer.on_packet(packet(79_999)) is None
    assert seer.on_packet(packet(80_000)) is not None


def test_payload_carries_no_telemetry():
    seer = Seer(seed=1)
    payload = seer.on_packet(packet(20_000)).payload()
    assert payload["type"] == "intervention"
    assert set(payload) == {"type", "message", "sessionId", "tenantId", "timestamp"}


def test_quiet_states_and_bots_get_nothing():
    seer = Seer(seed=1)
    assert seer.on_packet(packet(20_000, emotion="exploratory_engagement")) is None
    seer.on_bot("sq_bot", "bot")
    assert seer.on_packet(packet(20_000, sid="sq_bot")) is None


def test_a_visit_the_engine_judges_afresh_as_human_is_no_longer_treated_as_a_bot():
    # a quiet first page judged a connection-only probe; the visitor reloads and browses (engine.core)
    seer = Seer(seed=1)
    seer.on_bot("sq_1", "bot")
    seer.on_session_end("sq_1", at=15_000)
    seer.on_bot("sq_1", "human")
    assert seer.on_packet(packet(60_000)) is not None


def test_open_chat_suppresses():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("chat_open", 5_000)])
    assert seer.on_packet(packet(20_000)) is None
    seer.on_events("sq_1", [ev("chat_close", 21_000)])
    assert seer.on_packet(packet(140_999)) is None
    assert seer.on_packet(packet(141_000)) is not None


def test_creepy_llm_message_falls_back_to_a_template_and_is_logged():
    seer = Seer(seed=1)
    result = seer.on_packet(packet(20_000), llm_message="I noticed you hovering over the Adventure price!")
    assert result.source == "template_after_guard" and violations(result.message) == []
    assert seer.guard_rejections and "noticed" in seer.guard_rejections[0][1]
    fine = Seer(seed=1).on_packet(packet(20_000), llm_message="Want a quick comparison of the two packages?")
    assert fine.source == "llm"


def test_outcomes_are_attributed_and_update_the_bandit():
    seer = Seer(seed=1)
    first = seer.on_packet(packet(20_000))
    (settled,) = seer.on_events("sq_1", [ev("chat_message", 30_000)], vertical="rv_dealer")
    assert settled is first and settled.outcome == "chat_engaged"
    assert sum(t.successes for t in seer.bandit.global_.values()) == 1
    second = seer.on_packet(packet(90_000))
    (ended,) = seer.on_session_end("sq_1", at=100_000)
    assert ended is second and ended.outcome == "left"


def test_a_visit_that_reconnects_and_answers_did_not_leave_after_all():
    from workbench.consumer.bandit import Context

    seer = Seer(seed=1, vertical_of={"sq_1": "rv_dealer"})
    sent = seer.on_packet(packet(20_000))
    (left,) = seer.on_session_end("sq_1", at=25_000)  # the socket dropped
    assert left is sent and sent.outcome == "left"
    ctx = Context(BASE["tenantId"], "rv_dealer", "decision_paralysis", BASE["spatial"]["currentSection"])
    assert seer.bandit.posterior(ctx, sent.strategy) == (1.0, 2.0)
    (revised,) = seer.on_events("sq_1", [ev("connection", 27_000), ev("chat_message", 40_000)],
                                vertical="rv_dealer")  # it reconnected and answered in the chat
    assert revised is sent and sent.outcome == "chat_engaged"
    assert seer.bandit.posterior(ctx, sent.strategy) == (2.0, 1.0)  # the failure became a success
    assert seer.on_events("sq_1", [ev("form_submit", 50_000)]) == []  # one outcome per intervention


def test_an_answer_after_the_attribution_window_does_not_revise_a_left():
    seer = Seer(seed=1)
    sent = seer.on_packet(packet(20_000))
    seer.on_session_end("sq_1", at=25_000)
    assert seer.on_events("sq_1", [ev("chat_message", 20_000 + 120_001)]) == []
    assert sent.outcome == "left"


def test_no_answer_before_the_next_chance_is_no_response():
    seer = Seer(seed=1)
    first = seer.on_packet(packet(20_000))
    seer.on_packet(packet(90_000))
    assert first.outcome == "no_response"


def test_a_failure_lands_on_the_context_the_strategy_was_chosen_in():
    from workbench.consumer.bandit import Context

    seer = Seer(seed=1, vertical_of={"sq_1": "rv_dealer"})
    chosen = seer.on_packet(packet(20_000))
    seer.on_session_end("sq_1", at=500_000)  # no telemetry ever told Seer the vertical
    ctx = Context(BASE["tenantId"], "rv_dealer", "decision_paralysis", BASE["spatial"]["currentSection"])
    assert seer.bandit.posterior(ctx, chosen.strategy) == (1.0, 2.0)


def test_the_section_9_3_state_survives_a_reconnect_that_drops_before_its_first_batch():
    seer = Seer(seed=1)
    first = seer.on_packet(packet(50_000))
    assert first is not None
    seer.on_session_end("sq_1", at=55_000)
    seer.on_session_end("sq_1", at=None)  # a reconnect attempt: CONNECT, then dropped before any batch
    seer.on_events("sq_1", [ev("mouse", 57_000)])
    assert seer.on_packet(packet(68_000)) is None  # 18 s after the first: the cooldown is per session
    assert seer.on_packet(packet(110_000)) is not None


def test_open_chat_and_bot_flag_survive_repeated_closes():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("mouse", 1_000), ev("chat_open", 5_000)])
    seer.on_bot("sq_b", "bot")
    for sid in ("sq_1", "sq_b"):
        seer.on_session_end(sid, at=6_000)
        seer.on_session_end(sid, at=None)
        seer.on_events(sid, [ev("mouse", 7_000)])
    assert seer.on_packet(packet(400_000)) is None  # the chat is still open on the same page
    assert seer.on_packet(packet(400_000, sid="sq_b")) is None  # still a bot


def test_a_dropped_connection_does_not_close_the_chat_a_new_page_does():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("chat_open", 30_000)])
    seer.on_session_end("sq_1", at=40_000)  # the WebSocket dropped; the producer reconnects on the same page
    seer.on_events("sq_1", [ev("mouse", 41_000)])
    assert seer.on_packet(packet(160_000)) is None  # the chat is still open: no proactive message
    seer.on_session_end("sq_1", at=170_000)  # the visitor navigates ...
    seer.on_events("sq_1", [ev("connection", 171_000)])  # ... and the next page loads: the chat went with the old one
    assert seer.on_packet(packet(289_999)) is None  # window suppression, counted from when the page went
    assert seer.on_packet(packet(290_000)) is not None


def test_a_chat_open_from_the_previous_page_arriving_after_the_next_page_loaded_is_stale():
    # The old page's last batch (its chat opened at 30 s) reaches Seer after the next page's first: the
    # open chat went with the old page, so Seer must not stay quiet for a chat nobody sees
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("connection", 50_000), ev("mouse", 51_000)])
    seer.on_events("sq_1", [ev("chat_open", 30_000)])
    assert seer.on_packet(packet(60_000)) is not None


def test_a_new_page_after_a_close_the_bridge_could_not_place_suppresses_from_its_load():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("chat_open", 30_000)])
    seer.on_session_end("sq_1", at=None)
    seer.on_events("sq_1", [ev("connection", 50_000)])
    assert seer.on_packet(packet(169_999)) is None
    assert seer.on_packet(packet(170_000)) is not None


def test_cooldown_runs_on_the_latest_event_time_seen_not_on_a_held_packets_stamp():
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("mouse", 0), ev("mouse", 30_300)])
    first = seer.on_packet(packet(10_500))  # released late: the engine held it for its bot verdict
    assert first is not None and first.timestamp == 30_300  # what the visitor's clock read when it went out
    assert seer.on_packet(packet(70_500)) is None  # only 40.2 s after the first, for the visitor
    assert seer.on_packet(packet(90_300)) is not None



def test_the_grace_period_is_read_on_when_the_evidence_happened():
    # what a visitor did in their first seconds never sets off an intervention, however late the
    # engine releases that window (a calm reader's first-window hesitation, released at 33 s)
    seer = Seer(seed=1)
    seer.on_events("sq_1", [ev("mouse", 0), ev("mouse", 33_000)])
    assert seer.on_packet(packet(9_950)) is None
    assert "grace period" in seer.decide(packet(9_950)).reason
    assert seer.on_packet(packet(10_000)) is not None  # evidence from after the grace period
    assert seer.sessions["sq_1"].history[-1].timestamp == 33_000  # sent on the visitor's clock


@pytest.mark.parametrize("price", ["59,995", "45,995 CAD", "Call for price", "€59.995", 59995, "$59,995", None])
def test_any_structured_data_price_still_gets_an_intervention(price):
    p = packet(20_000, emotion="price_sensitivity")
    p["pageContent"]["structuredData"][0]["price"] = price
    result = Seer(seed=1).on_packet(p)
    assert result is not None and "{" not in result.message and violations(result.message) == []


@pytest.mark.parametrize("marker,expected", [("llm_gate:hold", False), ("llm_gate:intervene", True)])
def test_the_llm_tiers_gate_is_honoured(marker, expected):
    p = packet(20_000)
    p["patterns"]["detected"] += ["llm_triage", marker]
    seer = Seer(seed=1)
    assert seer.decide(p).allowed is expected
    assert (seer.on_packet(p) is not None) is expected
