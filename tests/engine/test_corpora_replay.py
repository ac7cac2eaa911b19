"""``workbench/corpora.py`` replays a raw cursor stream the way the producer samples and batches it.

Synthetic recordings and files in the corpora's formats, written here: no corpus data needed.
"""

import numpy as np
import pytest

from workbench import corpora
from workbench.corpora import Recording, load_delbot, load_sapimouse, producer_batches, producer_events
from workbench.protocol.schema import errors


def recording(t, x, y, clicks=(), group="sapimouse"):
    c = np.asarray(clicks, dtype=float).reshape(-1, 3)
    return Recording("synthetic", group, "human", np.asarray(t, float), np.asarray(x, float), np.asarray(y, float),
                     c[:, 0], c[:, 1], c[:, 2])


def mouse(events):
    return [e for e in events if e["type"] == "mouse"]


def test_the_sampler_holds_the_latest_position_and_emits_only_on_change_plus_one_stop_sample():
    # raw 60 Hz-ish rows: still at (100,100) until 200 ms, then 10 px every 16 ms until 400 ms, then still
    t = [0, 100, 200] + [200 + 16 * i for i in range(1, 13)] + [600, 900]
    x = [100, 100, 100] + [100 + 10 * i for i in range(1, 13)] + [220, 220]
    events = producer_events(recording(t, x, [100] * len(t)), t0=0)
    assert events[0]["type"] == "connection" and events[0]["timestamp"] == 0
    samples = mouse(events)
    assert [s["timestamp"] for s in samples] == [50, 250, 300, 350, 400, 450]  # first tick, moves, one stop sample
    assert all(b["timestamp"] - a["timestamp"] >= 50 for a, b in zip(samples, samples[1:], strict=False))
    xs = [s["data"]["x"] for s in samples]
    assert xs == [100, 130, 160, 190, 220, 220]  # the latest raw position at each tick
    # kinematics as the producer computes them: finite differences over the 50 ms tick
    assert samples[2]["data"]["vx"] == 600 and samples[2]["data"]["speed"] == 600
    assert samples[1]["data"]["ax"] == 12_000  # 0 -> 600 px/s in 50 ms
    assert samples[-1]["data"]["speed"] == 0
    assert {"x", "y", "vx", "vy", "ax", "ay", "jx", "jy", "speed", "jerk"} == set(samples[0]["data"])


def test_rests_become_mouse_pauses_and_clicks_keep_their_raw_time():
    t = [0, 16, 32, 1500, 1516, 1532]
    x = [100, 110, 120, 120, 160, 200]
    events = producer_events(recording(t, x, [300] * 6, clicks=[(1200, 120, 300)]), t0=0)
    (pause,) = [e for e in events if e["type"] == "mouse_pause"]
    # reported on the tick that sees the movement; measured on raw pointer times, from the last
    # movement (32 ms) to the first pointer event after the previous tick (1516 ms), as the producer does
    assert pause["timestamp"] == 1550 and pause["data"]["duration"] == 1516 - 32
    (click,) = [e for e in events if e["type"] == "click"]
    assert click["timestamp"] == 1200 and click["data"]["x"] == 120 and click["data"]["mouseVelocity"] == 0


def test_three_quick_clicks_are_a_rage_click():
    clicks = [(1000 + 100 * i, 50, 50) for i in range(4)]
    events = producer_events(recording([0, 2000], [50, 50], [50, 50], clicks=clicks), t0=0)
    assert [e["type"] for e in events].count("rage_click") == 1


def test_batches_are_flushed_every_3s_or_at_50_events_and_are_valid():
    n = 1200  # 20 s of constant motion at 60 Hz
    t = np.arange(n) * 16.0
    rec = recording(t, 100 + t / 10, 200 + 0 * t)
    batches = producer_batches(rec)
    assert all(errors(b, "batch") == [] for b in batches)
    assert all(len(b["events"]) <= 50 for b in batches)
    assert all(b["ip"] == corpora.RESIDENTIAL_IP and "Mozilla" in b["userAgent"] for b in batches)
    stamps = [e["timestamp"] for b in batches for e in b["events"]]
    assert stamps == sorted(stamps) and len(stamps) == len(producer_events(rec))
    assert max(b["events"][-1]["timestamp"] - b["events"][0]["timestamp"] for b in batches) < 3000


def test_sapimouse_format(tmp_path):
    f = tmp_path / "session.csv"
    f.write_text("client timestamp,button,state,x,y\n1000,NoButton,Move,10,10\n1016,NoButton,Move,12,10\n"
                 "1030,Left,Pressed,12,10\n1100,Left,Released,12,10\n1200,Right,Pressed,12,10\n"
                 "1300,Right,Released,12,10\n1316,NoButton,Move,20,10\n")
    rec = load_sapimouse(f)
    assert list(rec.click_t) == [100] and rec.t[0] == 0 and rec.label == "human"
    with pytest.raises(ValueError, match="not a SapiMouse"):
        (tmp_path / "bad.csv").write_text("t,x\n")
        load_sapimouse(tmp_path / "bad.csv")


def test_delbot_format_scaling_page_load_and_the_leading_release(tmp_path):
    folder = tmp_path / "circles_bot_pynput"
    folder.mkdir()
    f = folder / "circle.txt"
    f.write_text("resolution:1000,500\n1500.5,Released,0.1,0.1\n2000,Pressed,0.5,0.5\n2016,Move,0.52,0.5\n"
                 "2400,Move,0.6,0.6\n2416,Released,0.6,0.6\n")
    rec = load_delbot(f)
    assert rec.label == "bot" and rec.group == "circles_bot_pynput"
    assert rec.x.max() == pytest.approx(600) and rec.y.max() == pytest.approx(300)  # normalised -> px
    assert list(rec.click_t) == [2416]  # the release before the press ended an earlier drag
    assert rec.t[0] == pytest.approx(1500.5)  # times count from page load (event.timeStamp origin)
    events = producer_events(rec, t0=0)
    assert events[0]["type"] == "connection" and events[0]["timestamp"] == 0
