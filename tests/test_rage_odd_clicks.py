"""Rage clicks judged from what a page sent (workbench.rageclicks): the batch schema asks only that an event's
data be an object, and `workbench serve` stores what any page sends, so a click's data may hold anything.
And a recording without clicks says nothing about elements."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import batch, ev, mouse_path
from workbench.cli.common import ExitCode
from workbench.cli.main import main
from workbench.config import EITPConfig
from workbench.rageclicks import bare_clicks, definitions, from_events, judge, judge_clicks

ODD = [
    {"x": "412px", "y": 300},
    {"x": None, "y": 300},
    {"y": 300},
    {"x": True, "y": 300},
    {"x": float("nan"), "y": 300},
    {"x": 412, "y": [300]},
]


def click(t: float, **data: Any) -> dict[str, Any]:
    return {"type": "click", "timestamp": t, "data": data}


@pytest.mark.parametrize("data", ODD)
def test_a_click_whose_position_is_not_a_number_is_left_out(data):
    events = [click(1000, x=10, y=10), click(1100, **data), click(1200, x=12, y=10)]
    clicks, _ = from_events(events)
    assert [(c.t, c.x) for c in clicks] == [(1000.0, 10.0), (1200.0, 12.0)]
    assert judge(events, definitions()).clicks == 2


@pytest.mark.parametrize("target", ["button#reserve", ["button"], 7, None])
def test_a_target_that_is_not_an_object_is_an_unknown_element(target):
    (only,), _ = from_events([click(1000, x=412, y=300, target=target)])
    assert (only.x, only.y, only.element, only.label) == (412.0, 300.0, ("", "", "", ""), "")


def test_clicks_with_integer_and_float_positions_are_read():
    (a, b), _ = from_events([click(2000, x=1.5, y=2), click(1000, x=3, y=4.25)])
    assert (a.t, a.x, a.y, b.x, b.y) == (1000.0, 3.0, 4.25, 1.5, 2.0)


def test_a_session_without_clicks_cannot_say_whether_elements_were_known():
    verdicts = judge_clicks([], definitions())
    assert verdicts == {"eitp": 0, "posthog": 0, "mixpanel": 0, "datadog": None, "openreplay": None}
    assert judge_clicks(bare_clicks([0], [0], [0]), definitions())["datadog"] is None


def stored_run(path: Path, data: dict[str, Any]) -> None:
    """A run whose only session's page sent one click with ``data``, as the Recorder stores it."""
    from workbench.events import (
        BatchReceived,
        ConnectionClosed,
        RunEnded,
        RunStarted,
        SessionEnded,
        SessionStarted,
        SessionTraced,
    )
    from workbench.store.db import open_db
    from workbench.store.recorder import Recorder

    engine = open_db(path)
    rec = Recorder(engine)
    rec(RunStarted("run_odd", "run", "rv", 7, EITPConfig().to_toml(), "http://x"))
    rec(SessionStarted("sq_odd", "org_test", "calm_researcher", "rv"))
    rec(SessionTraced("sq_odd", "calm_researcher", 7, 0, "virtual", {"signals": ["mouse"]}, 0.0, 0.0, {}))
    events = [ev("connection", 1000, userAgent="Mozilla/5.0"), *mouse_path(1050, 30), ev("click", 2600, **data)]
    rec(BatchReceived("sq_odd", "org_test", batch(events, session="sq_odd")))
    rec(ConnectionClosed("sq_odd", 2700))
    rec(SessionEnded("sq_odd", "ended"))
    rec(RunEnded("run_odd", "ended", {}))
    engine.dispose()


@pytest.mark.parametrize("data", [{"x": "412px", "y": 300}, {"x": None, "y": 300},
                                  {"x": 412, "y": 300, "target": "button#reserve"}])
def test_rage_and_show_read_a_run_whose_page_sent_an_odd_click(tmp_path, capsys, data):
    db = tmp_path / "odd.db"
    stored_run(db, data)
    assert main(["rage", "--db", str(db), "--json"]) == ExitCode.OK
    (session,) = json.loads(capsys.readouterr().out)["sessions"]
    assert session["clicks"] == (1 if "target" in data else 0)
    assert main(["show", "--db", str(db), "--json"]) == ExitCode.OK
    assert "internal error" not in capsys.readouterr().err
