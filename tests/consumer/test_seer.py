"""Seer's decisions and outcome attribution, in event time."""

import copy
import json

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
