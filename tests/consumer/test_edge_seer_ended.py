"""Seer's memory of ended sessions keeps a visitor's section 9.3 state between two pages: closes of connections
Seer never heard from are kept apart, and when room must be made a session whose windows still run stays.
A close or events Seer cannot use are refused before anything changes."""

import copy
import json

import pytest

from tests.conftest import FIXTURES, ev
from workbench.consumer import seer as seer_module
from workbench.consumer.seer import ENDED_REMEMBERED, UNDELIVERED, Seer
from workbench.errors import ValidationError

BASE = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
VISITOR = "sq_visitor"


def packet(t, sid=VISITOR):
    p = copy.deepcopy(BASE)
    p["sessionId"], p["timestamp"] = sid, t
    p["temporal"]["sessionDuration"] = t
    return p


def between_pages(seer):
    """The visitor's first page gets an intervention at 20 s and unloads at 25 s; the next page is to come."""
    seer.on_events(VISITOR, [ev("connection", 0), ev("mouse", 20_000)])
    first = seer.on_packet(packet(20_000))
    assert first is not None
    seer.on_session_end(VISITOR, at=25_000)


def next_page(seer):
    """The visit's next page, and the engine's packet 20 s after the first intervention: None if Seer keeps quiet."""
    seer.on_events(VISITOR, [ev("connection", 26_000), ev("mouse", 39_000)])
    return seer.on_packet(packet(40_000))


def test_closes_of_connections_seer_never_heard_from_do_not_push_a_visitor_out():
    seer = Seer(seed=1)
    between_pages(seer)
    for i in range(ENDED_REMEMBERED):  # connections that never sent a batch, ended meanwhile
        seer.on_session_end(f"sq_other_{i}", at=None if i % 2 else 25_500)
    assert len(seer.ended) == 1  # only the visitor has state to keep
    assert next_page(seer) is None  # the 60 s cooldown still holds (section 9.3)
    late = seer.on_packet(packet(25_000, sid="sq_other_0"))  # one of them still knows its page is gone
    assert late is not None and late.outcome == UNDELIVERED


@pytest.fixture
def small_memory(monkeypatch):
    monkeypatch.setattr(seer_module, "ENDED_REMEMBERED", 50)
    return 50


def test_a_full_memory_forgets_sessions_whose_windows_are_over_before_a_visitor_in_its_cooldown(small_memory):
    seer = Seer(seed=1)
    between_pages(seer)  # the least recent of the ended ones
    for i in range(3 * small_memory):  # other visits that ended meanwhile: no intervention, no chat
        seer.on_events(f"sq_other_{i}", [ev("connection", 25_100), ev("mouse", 25_200)])
        seer.on_session_end(f"sq_other_{i}", at=25_300)
    assert len(seer.ended) == small_memory and VISITOR in seer.ended  # bounded, and the visitor kept
    assert next_page(seer) is None
    # a flood of sessions that each left their chat open: every window runs, and the memory stays bounded
    # all the same (the least recent go, the visitor among them once all the rest are flood)
    for i in range(3 * small_memory):
        seer.on_events(f"sq_chat_{i}", [ev("connection", 41_000), ev("chat_open", 41_100)])
        seer.on_session_end(f"sq_chat_{i}", at=41_200)
    assert [sid for sid, _ in seer.ended.items()] == [f"sq_chat_{i}" for i in range(2 * small_memory,
                                                                                      3 * small_memory)]


@pytest.mark.parametrize("at", ["21000", True, float("nan"), float("inf"), -1, [21_000]])
def test_a_close_at_no_time_raises_before_the_session_is_touched(at):
    seer = Seer(seed=1)
    seer.on_events(VISITOR, [ev("connection", 0), ev("mouse", 20_000)])
    first = seer.on_packet(packet(20_000))
    with pytest.raises(ValidationError, match="close of session"):
        seer.on_session_end(VISITOR, at=at)
    assert seer.sessions[VISITOR].pending is first and VISITOR not in seer.ended  # before: popped, then lost
    assert seer.on_packet(packet(33_000)) is None


@pytest.mark.parametrize("bad", [{"type": "mouse", "data": {}}, {"timestamp": 25_500, "data": {}},
                                 {"type": "mouse", "timestamp": "25500"}, "mouse"])
def test_events_seer_cannot_read_raise_before_any_is_applied(bad):
    seer = Seer(seed=1)
    seer.on_events(VISITOR, [ev("connection", 0), ev("mouse", 20_000)])
    first = seer.on_packet(packet(20_000))
    with pytest.raises(ValidationError, match="events of session"):
        seer.on_events(VISITOR, [ev("chat_message", 25_000), bad])
    assert sum(t.successes + t.failures for t in seer.bandit.global_.values()) == 0  # before: learned, then raised
    assert seer.sessions[VISITOR].pending is first and seer.sessions[VISITOR].latest == 20_000
