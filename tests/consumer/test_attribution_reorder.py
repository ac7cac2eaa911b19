"""Outcome attribution when telemetry arrives out of order (sections 7.5, 7.6): the bridge accepts a batch
up to ``max_clock_skew_ms`` older than the newest of its session, so an answer inside the attribution window
can reach Seer after telemetry stamped past it. The bandit must learn the answer, once."""

import copy
import json

from tests.conftest import FIXTURES, ev
from workbench.consumer.seer import ATTRIBUTION_WINDOW_MS, Seer

BASE = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


def packet(t, sid="sq_1"):
    p = copy.deepcopy(BASE)
    p["sessionId"], p["timestamp"] = sid, t
    p["temporal"]["sessionDuration"] = t
    return p


def tallies(seer):
    return (sum(t.successes for t in seer.bandit.global_.values()),
            sum(t.failures for t in seer.bandit.global_.values()))


def test_a_reply_in_a_late_batch_revises_a_no_response_settled_by_newer_telemetry():
    seer = Seer(seed=1)
    sent = seer.on_packet(packet(20_000))
    (expired,) = seer.on_events("sq_1", [ev("mouse", 25_000 + ATTRIBUTION_WINDOW_MS)])  # the newer batch first
    assert expired is sent and expired.outcome == "no_response"
    (revised,) = seer.on_events("sq_1", [ev("chat_message", 100_000)])  # the older batch, 45 s late
    assert revised is sent and revised.outcome == "chat_engaged" and revised.revised_from == "no_response"
    assert tallies(seer) == (1, 0)  # one observation, moved: not a failure and a success
    assert seer.on_events("sq_1", [ev("form_submit", 101_000)]) == []  # and never revised twice
    assert tallies(seer) == (1, 0)


def test_a_reply_stamped_outside_the_window_does_not_revise_it():
    seer = Seer(seed=1)
    seer.on_packet(packet(20_000))
    seer.on_events("sq_1", [ev("mouse", 25_000 + ATTRIBUTION_WINDOW_MS)])
    assert seer.on_events("sq_1", [ev("chat_message", 21_000 + ATTRIBUTION_WINDOW_MS)]) == []
    assert tallies(seer) == (0, 1)


def test_a_revised_left_says_what_it_replaced():
    seer = Seer(seed=1)
    sent = seer.on_packet(packet(20_000))
    (left,) = seer.on_session_end("sq_1", at=30_000)
    assert left.outcome == "left" and left.revised_from is None
    (revised,) = seer.on_events("sq_1", [ev("chat_message", 40_000)])  # the visit came back and answered
    assert revised is sent and (revised.revised_from, revised.outcome) == ("left", "chat_engaged")


def test_a_reply_to_the_next_intervention_does_not_revise_the_previous_one():
    seer = Seer(seed=1)
    first = seer.on_packet(packet(20_000))
    seer.on_events("sq_1", [ev("mouse", 25_000 + ATTRIBUTION_WINDOW_MS)])
    second = seer.on_packet(packet(30_000 + ATTRIBUTION_WINDOW_MS))
    assert second is not None
    (answered,) = seer.on_events("sq_1", [ev("chat_message", 31_000 + ATTRIBUTION_WINDOW_MS)])
    assert answered is second and first.outcome == "no_response"
    assert tallies(seer) == (1, 1)
