"""The live model on packets, verdicts and batches with missing, null or odd fields. Before, one such field
raised inside the sink: the event stream logged it and the event never reached the screen."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.tui.conftest import demo_events
from workbench import events as ev
from workbench.tui.model import LiveModel
from workbench.tui.untrusted import column, describe, figure, line, number

SID = "sq_1795307593146_edges"


def a_packet(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    packet = copy.deepcopy(next(e.packet for e in demo_events() if isinstance(e, ev.PacketEmitted)))
    packet["sessionId"] = SID
    change(packet)
    return packet


def session_after(*events: object) -> Any:
    model = LiveModel()
    for event in (ev.SessionStarted(SID, "org_t", "lingerer", "rv"), *events):
        model.apply(event)
    (view,) = model.snapshot().sessions
    return view


@pytest.mark.parametrize("change", [
    lambda p: p["emotion"].update(confidence=None),  # orjson sends the engine's NaN as null
    lambda p: p["emotion"].pop("intensity"),
    lambda p: p.update(spatial=None),
    lambda p: p.update(temporal=None),
    lambda p: p["temporal"].update(sessionDuration=float("inf")),
    lambda p: p["temporal"].update(sessionDuration=float("nan")),
    lambda p: p.pop("emotion"),
], ids=["confidence null", "no intensity", "spatial null", "temporal null", "duration inf", "duration nan",
        "no emotion"])
def test_a_packet_with_a_missing_or_null_part_is_still_counted_and_placed(change):
    first = a_packet(lambda p: None)
    view = session_after(ev.PacketEmitted(first), ev.PacketEmitted(a_packet(change)))
    assert view.packets == 2 and view.latest_packet is not None
    assert len(view.timeline) == 2 and view.timeline[1][0] > view.timeline[0][0]


def test_a_null_confidence_is_unknown_not_zero():
    view = session_after(ev.PacketEmitted(a_packet(lambda p: p["emotion"].update(confidence=None))))
    assert view.confidence is None and view.emotion == a_packet(lambda p: None)["emotion"]["primary"]


@pytest.mark.parametrize("detection, confidence, signals", [
    ({"confidence": None, "signals": ["fast_intervals"]}, None, ("fast_intervals",)),
    ({}, None, ()),
    ({"confidence": 0.5, "signals": "fast_intervals"}, 0.5, ()),  # not a list: no signal, not its letters
    ({"confidence": 0.5, "signals": [{"name": "x"}, 3]}, 0.5, ("{'name': 'x'}", "3")),
])
def test_a_verdict_with_odd_fields_still_reaches_the_session(detection, confidence, signals):
    view = session_after(ev.BotVerdictEmitted({"session_id": SID, "classification": "bot", **detection}))
    assert (view.bot, view.bot_confidence, view.bot_signals) == ("bot", confidence, signals)


def test_a_batch_with_odd_values_keeps_the_rest():
    events = [{"type": "mouse", "timestamp": "soon", "data": {"x": "left", "y": 2}},
              {"type": "mouse", "timestamp": 1_050, "data": [1, 2]},
              "not an event",
              {"type": "mouse", "timestamp": 1_100, "currentSection": "pricing", "data": {"x": 10, "y": 20}}]
    model = LiveModel()
    model.apply(ev.BatchReceived(SID, "org_t", {"events": events}))
    (view,) = model.snapshot(trail_for=SID).sessions
    assert view.events == 4 and list(view.trail) == [(10.0, 20.0)] and view.section == "pricing"
    assert sum(model.snapshot().rate) == 2  # the two events with a time


def test_a_run_that_ends_with_an_error_keeps_it():
    model = LiveModel()
    model.apply(ev.RunEnded("", "failed", {"error": "no browser:\n tried\x1b[2J /usr/bin/chromium"}))
    assert model.snapshot().run.error == "no browser: tried\ufffd[2J /usr/bin/chromium"


def test_a_zero_buffer_window_in_a_runs_config_falls_back_to_the_default():
    model = LiveModel()
    for event in (ev.RunStarted("run_1", "run", "rv", 7, "[inference]\nbuffer_window_ms = 0\n", ""),
                  ev.SessionStarted(SID, "org_t", "lingerer", "rv"), ev.PacketEmitted(a_packet(lambda p: None))):
        model.apply(event)  # the window divides each packet's session duration
    snap = model.snapshot()
    assert snap.run.window_ms == 10_000.0 and len(snap.sessions[0].timeline) == 1


def test_untrusted_text_becomes_one_printable_line():
    assert line("a\n b\tc\x1b[2Jd") == "a b c\ufffd[2Jd"
    assert line(None) == "" and line("x" * 50, 10) == "x" * 9 + "…"
    assert line("顧客顧客", 5) == "顧客…"  # cut by terminal cells: each of these takes two
    assert column("顧客顧客顧客", 7).cell_len == 7 and column("ab", 7).plain == "ab     "
    assert number("1.5") == 1.5 and number(float("nan")) is None and number(True) is None and number([1]) is None
    assert number(10**400) is None
    assert figure(None) == "?" and figure(0.456) == "0.46"


def test_an_exception_is_described_in_one_line():
    from workbench.store.db import StoreDamaged

    assert describe(StoreDamaged("wb.db is damaged\n(page 3)")) == "wb.db is damaged (page 3)"
    assert describe(KeyError("intent")) == "KeyError: 'intent'"
