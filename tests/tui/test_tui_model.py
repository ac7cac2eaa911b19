"""The TUI's plain-data cores: the live model, the minimap and scrubber maths, the thresholds form, history."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.conftest import batch, ev, mouse_path
from tests.tui.conftest import BOT_SID, demo_events, live_feed
from workbench import events as events_mod
from workbench.config import EITPConfig
from workbench.errors import ConfigError
from workbench.store import repo
from workbench.store.db import open_db
from workbench.tui import configform, history_data
from workbench.tui.model import RATE_SECONDS, LiveModel, is_intervention
from workbench.tui.runcontrol import RunPlan, available_sites
from workbench.tui.widgets.minimap import braille, scroll_bar
from workbench.tui.widgets.scrubber import positions
from workbench.tui.widgets.timeline import strip


def fed(events: list[object]) -> LiveModel:
    model = LiveModel()
    for e in events:
        model.apply(e)
    return model


def test_model_folds_a_real_run_into_session_views():
    snap = fed(live_feed()).snapshot(trail_for=BOT_SID)
    buyer, bot = snap.sessions
    assert (buyer.persona, buyer.status, buyer.packets, buyer.bot) == ("paralysed_buyer", "ended", 7, "human")
    assert buyer.emotion == "uncertainty" and buyer.trajectory in ("stable", "intensifying", "cooling")
    # one cell per 10 s window, in order, from the packets' session durations
    assert [i for i, _ in buyer.timeline] == list(range(7))
    assert buyer.section and buyer.scroll_depth is not None and not buyer.trail  # trail only for the one asked
    assert buyer.approached and not buyer.targets  # today's producer names targets but sends no position
    assert (bot.bot, bot.bot_signals, bot.interventions) == ("bot", ("fast_intervals", "regular_timing"), 1)
    assert len(bot.trail) == 40
    assert snap.run.status == "running" and snap.run.seed == 7
    assert len(snap.rate) == RATE_SECONDS and snap.total_events == sum(s.events for s in snap.sessions)


def test_intervention_events_are_read_generically_and_merged_with_their_outcome():
    model = fed(live_feed())
    (entry,) = model.snapshot().interventions
    assert entry.kind == "InterventionDelivered" and entry.persona == "scripted_bot"
    assert entry.said.startswith("Questions about") and entry.response == "chat_engaged"
    assert entry.detail["strategy"] == "reassure"
    assert not is_intervention(events_mod.RunEnded("r", "ended"))


def test_the_expected_outcome_joins_its_intervention_and_strays_are_ignored():
    sent = events_mod.InterventionSent("sq_a", 30_000.0, "frustration", "pricing", "empathy", "Hi", "template")
    model = fed([sent, events_mod.OutcomeExpected("sq_a", 30_000.0, "chat_engaged"),
                 events_mod.OutcomeExpected("sq_a", 99.0, "left"),  # no such intervention
                 events_mod.InterventionOutcome("sq_a", 30_000.0, "empathy", "chat_engaged")])
    (entry,) = model.snapshot().interventions
    assert entry.response == "chat_engaged" and entry.detail["expected"] == "chat_engaged"


def test_an_intervention_decided_after_the_page_closed_is_listed_but_not_counted():
    sent = [events_mod.InterventionSent("sq_a", t, "frustration", "pricing", "empathy", "Hi", "template")
            for t in (30_000.0, 95_000.0)]
    model = fed([events_mod.SessionStarted("sq_a", "org_workbench", "frustrated_buyer", "rv"), *sent,
                 events_mod.InterventionOutcome("sq_a", 95_000.0, "empathy", "undelivered")])
    snap = model.snapshot()
    assert [e.response for e in snap.interventions] == ["", "undelivered"]
    assert [s.interventions for s in snap.sessions if s.session_id == "sq_a"] == [1]


def test_new_run_clears_the_board_and_marks_everything_dirty():
    model = fed(live_feed())
    model.take_dirty()
    model.apply(events_mod.RunStarted("run_2", "run", "rv", 1, "[inference]\nbuffer_window_ms = 5000\n", "x"))
    snap = model.snapshot()
    assert snap.sessions == [] and snap.run.window_ms == 5000 and snap.interventions == []
    assert {"sessions", "rate", "trail", "packet"} <= model.take_dirty() and model.take_dirty() == set()


def test_positions_of_proximity_targets_are_used_only_when_sent():
    model = LiveModel()
    enter = ev("price_proximity_enter", 1000, elementId="price-main", rect={"left": 100, "top": 50, "right": 300,
                                                                            "bottom": 90})
    bare = ev("cta_proximity_enter", 1100, elementId="cta-1", distance=80)
    model.apply(events_mod.BatchReceived("s1", "t", batch([enter, bare], session="s1")))
    (s,) = model.snapshot().sessions
    assert {k: (t.x, t.y) for k, t in s.targets.items()} == {"price-main": (200.0, 70.0)}
    assert list(s.approached) == ["price-main", "cta-1"]


def test_model_takes_events_from_many_threads():
    model = LiveModel()

    def feed(n: int) -> None:
        sid = f"s{n}"
        model.apply(events_mod.SessionStarted(sid, "t", f"p{n}", "rv"))
        for k in range(50):
            model.apply(events_mod.BatchReceived(sid, "t", batch(mouse_path(1000 + k * 500, 10), session=sid)))

    threads = [threading.Thread(target=feed, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    snap = model.snapshot()
    assert len(snap.sessions) == 16 and snap.total_events == 16 * 50 * 10


def test_braille_trail_is_connected_and_marks_the_newest_point():
    rows = braille([(0, 0), (1279, 799)], 10, 5)
    text = [r.plain for r in rows]
    assert text[0][0] != " " and text[-1][-1] == "●"  # a diagonal stroke ending at the cursor
    assert sum(ch != " " for line in text for ch in line) >= 5  # the line between is drawn
    assert all(len(line) == 10 for line in text)
    assert [t.plain for t in scroll_bar(50, 4)] == ["│", "│", "█", "│"]


def test_timeline_strip_and_scrubber_positions():
    assert strip([(0, "curiosity"), (2, "frustration")], 10).plain == "█·█"
    assert strip([(i, "curiosity") for i in range(30)], 5).plain == "█████"
    assert positions([0.0, 5.0, 10.0], 11) == [0, 5, 10]


def test_config_form_splits_errors_per_field_and_saves_presets(tmp_path: Path):
    values = {f.dotted: f.text for f in configform.fields_of(EITPConfig())}
    assert len(values) == sum(len(v) for v in EITPConfig().model_dump().values())
    values["intervention.cooldown_ms"] = "1000"
    values["signal.dwell_ms"] = "soon"
    config, problems = configform.validate(values)
    assert config is None
    assert "at least 60000 ms" in problems["intervention.cooldown_ms"] and "section 9.3" in problems[
        "intervention.cooldown_ms"]
    assert "must be a number, not the string 'soon'" in problems["signal.dwell_ms"]
    values["intervention.cooldown_ms"], values["signal.dwell_ms"] = "90000", "800"
    config, problems = configform.validate(values)
    assert problems == {} and config is not None and config.intervention.cooldown_ms == 90_000
    path = configform.save_preset(config, tmp_path / "presets", "slow-cooldown")
    assert EITPConfig.load(path) == config and configform.list_presets(tmp_path / "presets") == [path]
    with pytest.raises(ConfigError):
        configform.save_preset(config, tmp_path, "../escape")


def test_history_counts_compare_two_stored_runs(seeded_db: Path):
    engine = open_db(seeded_db)
    runs, total = history_data.list_runs(engine)
    assert [r["id"] for r in runs] == ["run_20260102_090000_bbbb", "demo_20260101_120000_aaaa"] and total == 2
    assert history_data.list_runs(engine, limit=1) == (runs[:1], 2)
    detail = history_data.load_run(engine, "demo_20260101_120000_aaaa")
    assert len(detail.packets) == 7 and detail.start <= detail.end
    label, (first, second) = history_data.compare(engine, [r["id"] for r in runs])
    # the second run was scored by workbench.scoring and stored; the demo run was not
    assert label.startswith(history_data.SCORES_LABEL) and "demo_20260101_120000_aaaa has no stored score" in label
    assert first["score verdict"] in ("pass", "fail") and second["score verdict"] == "not scored"
    assert first["bot precision"] == "1.00" and first["checks"]["bot_verdict pass"] == 2
    assert (first["sessions"], second["sessions"]) == (2, 1)
    assert first["bot verdicts"] == {"human": 1, "bot": 1} and first["emotions"]["frustration"] == 1
    with Session(engine) as db:
        assert second["packets"] == len(repo.packets(db=db, run_id="demo_20260101_120000_aaaa"))
    label, figures = history_data.compare(engine, ["demo_20260101_120000_aaaa"] * 2)
    assert label == history_data.COUNTS_LABEL and "score verdict" not in figures[0]
    # session by session, the older run as the baseline whichever was marked first; the demo run is
    # unscored, so its session compares by conclusions only, and the bot session has no counterpart
    for order in (["run_20260102_090000_bbbb", "demo_20260101_120000_aaaa"],
                  ["demo_20260101_120000_aaaa", "run_20260102_090000_bbbb"]):
        lines = history_data.session_changes(engine, *order)
        assert lines[0].startswith("sessions of run_20260102_090000_bbbb against demo_20260101_120000_aaaa: "
                                   "0 regression · 0 fixed · "), lines
        assert any(line.startswith("unpaired: scripted_bot #1 only in run_20260102_090000_bbbb") for line in lines)


def test_sites_and_plans():
    assert "rv" in available_sites()
    assert available_sites(Path("/nonexistent")) == []
    assert RunPlan(counts={"a": 2, "b": 3}).sessions == 5
    assert len(demo_events()) > 10


ESCAPES = "\x1b[2J\x1b[H\x1b]0;owned\x07FAKE\x9b31m"  # clear the screen, home, retitle the window, CSI


def test_text_the_page_chose_reaches_the_screen_without_its_control_characters():
    sid = "sq_1_escapes"
    events = [ev("mouse", 1000, ESCAPES, x=1, y=1), ev("price_proximity_enter", 1100, ESCAPES, elementId=ESCAPES)]
    said = events_mod.InterventionSent(sid, 1100.0, "frustration", "pricing", "empathy", f"About {ESCAPES}?",
                                       "template")
    model = fed([events_mod.BatchReceived(sid, "org_x", batch(events, session=sid)), said])
    snap = model.snapshot()
    (session,) = snap.sessions
    shown = [session.section, *session.approached, snap.interventions[0].said]
    assert not any(ch in text for text in shown for ch in "\x1b\x07\x9b")
    assert session.section == "\ufffd[2J\ufffd[H\ufffd]0;owned\ufffdFAKE\ufffd31m"
