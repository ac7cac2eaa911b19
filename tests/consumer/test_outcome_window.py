"""Outcome attribution in event time (sections 5.10, 7.5, 9.3) and how synthetic visitors react."""

import copy
import json

import numpy as np
import orjson
import pytest

from synthetic.response import (
    ALWAYS_CHAT,
    CHAT_REPLIES,
    NEVER_ENGAGE,
    RV_DEFAULT,
    ResponseModel,
    expected_outcome,
    react,
)
from tests.conftest import FIXTURES, batch, ev
from workbench import bus as subjects
from workbench.bus import InProcessBus
from workbench.consumer.bandit import OUTCOMES
from workbench.consumer.seer import ATTRIBUTION_WINDOW_MS, UNDELIVERED, Seer
from workbench.consumer.service import SeerService

BASE = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


def packet(t, sid="sq_1", emotion="decision_paralysis"):
    p = copy.deepcopy(BASE)
    p["sessionId"], p["timestamp"] = sid, t
    p["emotion"]["primary"] = emotion
    p["temporal"]["sessionDuration"] = t
    return p


def test_telemetry_past_the_window_settles_no_response_while_the_visit_goes_on():
    seer = Seer(seed=1)
    sent = seer.on_packet(packet(20_000))
    assert seer.on_events("sq_1", [ev("mouse", 20_000 + ATTRIBUTION_WINDOW_MS)]) == []  # the window's last ms
    (settled,) = seer.on_events("sq_1", [ev("mouse", 20_001 + ATTRIBUTION_WINDOW_MS)])
    assert settled is sent and settled.outcome == "no_response"
    assert seer.on_session_end("sq_1", at=400_000) == []  # nothing left to settle at the end
    assert sum(t.failures for t in seer.bandit.global_.values()) == 1  # counted once


def test_a_late_reply_in_the_same_batch_does_not_rescue_an_expired_intervention():
    seer = Seer(seed=1)
    seer.on_packet(packet(20_000))
    late = 20_000 + ATTRIBUTION_WINDOW_MS
    (settled,) = seer.on_events("sq_1", [ev("mouse", late + 1), ev("chat_message", late + 2)])
    assert settled.outcome == "no_response"


def test_a_reply_inside_the_window_still_wins_when_later_events_share_its_batch():
    seer = Seer(seed=1)
    seer.on_packet(packet(20_000))
    (settled,) = seer.on_events("sq_1", [ev("chat_message", 30_000), ev("mouse", 20_001 + ATTRIBUTION_WINDOW_MS)])
    assert settled.outcome == "chat_engaged"


def test_a_decision_about_a_page_already_gone_is_undelivered_and_teaches_nothing():
    seer = Seer(seed=1)
    seer.on_session_end("sq_1", at=25_000)  # the page went away at 25 s ...
    late = seer.on_packet(packet(24_000))  # ... before the engine released its last window
    assert late is not None and late.outcome == UNDELIVERED  # Seer still judged the visitor needed help
    assert seer.take_settled() == [late] and seer.take_settled() == []
    tallies = seer.bandit.global_.values()
    assert sum(t.successes + t.failures for t in tallies) == 0  # nobody saw it: no success, no failure
    assert seer.on_packet(packet(25_000)) is None  # the cooldown holds among late packets too
    nxt = seer.on_packet(packet(90_000))  # the same visit's next page (the same session id)
    assert nxt is not None and nxt.outcome is None  # waits for an answer like any other


async def test_a_replaced_intervention_is_reported_as_no_response():
    bus = InProcessBus()
    outcomes = []
    service = SeerService(bus, on_outcome=outcomes.append)
    await service.start()
    for t in (20_000, 90_000):  # the second chance comes after the cooldown, inside the first's window
        await bus.publish(subjects.intervention_request(BASE["tenantId"], "sq_1"), orjson.dumps(packet(t)))
        await bus.drain()
    assert [(o.timestamp, o.outcome) for o in outcomes] == [(20_000, "no_response")]
    reply = batch([ev("chat_message", 95_000)], session="sq_1", tenant=BASE["tenantId"])
    await bus.publish(subjects.TELEMETRY_RAW, orjson.dumps(reply))
    await bus.drain()
    assert [(o.timestamp, o.outcome) for o in outcomes] == [(20_000, "no_response"), (90_000, "chat_engaged")]
    await bus.close()


W = ATTRIBUTION_WINDOW_MS


ANSWERS = [("no_response", None), ("left", None), ("chat_engaged", 5_000), ("chat_engaged", W),
           ("lead_submitted", W + 1)]


@pytest.mark.parametrize(("drawn", "acted_after", "closed_after"), [
    (drawn, acted, closed) for drawn, acted in ANSWERS for closed in (W - 1, W, W + 1, 3 * W)
    if acted is None or acted <= closed])  # a visitor acts before the page closes
def test_the_expected_outcome_is_what_seer_settles_from_the_telemetry(drawn, acted_after, closed_after):
    # the message is sent at 20 s; the visitor acts `acted_after` ms later (or never) and the page
    # closes `closed_after` ms after the message
    seer = Seer(seed=1)
    sent = seer.on_packet(packet(20_000))
    settled = []
    if acted_after is not None:
        kind = "chat_message" if drawn == "chat_engaged" else "form_submit"
        settled += seer.on_events("sq_1", [ev(kind, 20_000 + acted_after)])
    settled += seer.on_session_end("sq_1", at=20_000 + closed_after)
    assert [s.outcome for s in settled] == [sent.outcome]  # settled once
    acted_at = None if acted_after is None else 20_000 + acted_after
    assert expected_outcome(drawn, 20_000, acted_at, 20_000 + closed_after) == sent.outcome


def test_react_draws_the_outcome_exactly_as_the_headless_loop_does():
    for seed in range(200):
        reaction = react(RV_DEFAULT, "frustration", "empathy", np.random.default_rng(seed))
        assert reaction.outcome == RV_DEFAULT.respond("frustration", "empathy", np.random.default_rng(seed))
        assert reaction.outcome in OUTCOMES


def test_react_details_fit_the_outcome():
    rng = np.random.default_rng(5)
    chat = react(ALWAYS_CHAT, "hesitation", "empathy", rng)
    assert chat.outcome == "chat_engaged" and chat.reply in CHAT_REPLIES and chat.read_ms > 0
    ignore = react(NEVER_ENGAGE, "hesitation", "empathy", rng)
    assert ignore.outcome == "no_response" and ignore.read_ms == 0 and not ignore.reply
    lead = react(ResponseModel({}, default_rate=1.0, lead_share=1.0), "hesitation", "empathy", rng)
    assert lead.outcome == "lead_submitted" and lead.name and lead.email.endswith("@example.com")
    left = react(ResponseModel({}, default_rate=0.0, leave_share=1.0), "hesitation", "empathy", rng)
    assert left.outcome == "left"


def test_hidden_rates_depend_on_emotion_and_strategy_and_draws_are_seeded():
    assert RV_DEFAULT.rate("price_sensitivity", "incentive") > RV_DEFAULT.rate("price_sensitivity", "empathy")
    assert RV_DEFAULT.rate("no_such_emotion", "empathy") == RV_DEFAULT.default_rate

    def draws(seed):
        rng = np.random.default_rng(seed)
        return [react(RV_DEFAULT, "decision_paralysis", "clarify_options", rng) for _ in range(50)]

    assert draws(9) == draws(9)
    engaged = sum(r.outcome in ("chat_engaged", "lead_submitted") for r in draws(9) + draws(10) + draws(11))
    assert 0 < engaged < 150  # a 0.38 rate: some engage, not all


def test_the_section_9_3_timing_carries_over_to_the_next_page_of_the_visit():
    seer = Seer(seed=1)
    assert seer.on_packet(packet(20_000)) is not None
    seer.on_events("sq_1", [ev("chat_open", 22_000)])
    seer.on_session_end("sq_1", at=25_000)  # navigates away with the chat open
    seer.on_events("sq_1", [ev("connection", 26_000)])  # the next page loads (a socket close alone is no navigation)
    assert seer.on_packet(packet(79_999)) is None  # the cooldown still runs ...
    assert seer.on_packet(packet(144_999)) is None  # ... and the chat counts as closed when the page went: suppression
    assert seer.on_packet(packet(145_000)) is not None
