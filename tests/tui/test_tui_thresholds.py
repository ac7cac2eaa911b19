"""Thresholds: edit every section, see validation errors inline, save a TOML preset for later runs."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session
from textual.widgets import Input, Select, Static, TabbedContent

from tests.tui.conftest import wait_until
from workbench.config import EITPConfig
from workbench.tui.configform import SECTIONS
from workbench.tui.screens.thresholds import ThresholdsScreen

COOLDOWN = "#cfg-intervention--cooldown_ms"


async def retype(pilot, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    widget = pilot.app.screen.query_one(selector, Input)
    widget.focus()
    await pilot.press("end", *["backspace"] * len(widget.value), *text)
    await pilot.pause()


async def test_edit_validate_and_save_a_preset(make_app, tmp_path: Path):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, ThresholdsScreen)
        await pilot.pause()
        assert "valid" in str(screen.query_one("#validity", Static).render())
        await pilot.click("#--content-tab-sec-intervention")  # tabs by mouse; each section builds on first view
        await wait_until(pilot, lambda: bool(screen.query(COOLDOWN)))

        await retype(pilot, COOLDOWN, "1000")
        await wait_until(pilot, lambda: bool(screen.query(f"{COOLDOWN}-error")))
        error = str(screen.query_one(f"{COOLDOWN}-error", Static).render())
        assert "at least 60000 ms" in error and "section 9.3" in error
        assert screen.query_one(COOLDOWN, Input).has_class("-invalid")
        assert "1 invalid" in str(screen.query_one("#validity", Static).render())
        assert screen.query_one(TabbedContent).get_tab("sec-intervention").label.plain == "✗ intervention"
        assert app.config.intervention.cooldown_ms == 60_000  # the app keeps the last valid thresholds

        screen.query_one("#preset-name", Input).value = "refused"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not (tmp_path / "presets" / "refused.toml").exists()

        await retype(pilot, COOLDOWN, "90000")
        await wait_until(pilot, lambda: not screen.query(f"{COOLDOWN}-error"))
        assert app.config.intervention.cooldown_ms == 90_000

        # another section, typed through the keyboard
        await pilot.click("#--content-tab-sec-signal")
        await retype(pilot, "#cfg-signal--dwell_ms", "800")
        assert app.config.signal.dwell_ms == 800

        await retype(pilot, "#preset-name", "lab-1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = tmp_path / "presets" / "lab-1.toml"
        assert saved.read_text() == app.config.to_toml()
        loaded = EITPConfig.load(saved)
        assert (loaded.intervention.cooldown_ms, loaded.signal.dwell_ms) == (90_000, 800)

        # later runs can pick it on the setup screen
        await pilot.press("f1")
        await pilot.pause()
        assert "presets/lab-1.toml" in [v for _, v in app.screen.query_one("#preset", Select)._options]


async def test_saving_over_a_preset_with_other_thresholds_asks_first(make_app, tmp_path: Path):
    presets = tmp_path / "presets"
    presets.mkdir()
    theirs = EITPConfig().with_overrides({"intervention.cooldown_ms": 120_000}).to_toml()
    (presets / "team.toml").write_text(theirs)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, ThresholdsScreen)
        await pilot.click("#--content-tab-sec-intervention")
        await wait_until(pilot, lambda: bool(screen.query(COOLDOWN)))
        await retype(pilot, COOLDOWN, "90000")
        await retype(pilot, "#preset-name", "team")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (presets / "team.toml").read_text() == theirs  # kept: the first ctrl+s only warns
        assert any("ctrl+s again replaces it" in n.message for n in app._notifications)
        await retype(pilot, COOLDOWN, "95000")  # a different save than the one warned about: warned again
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (presets / "team.toml").read_text() == theirs
        await pilot.press("ctrl+s")  # the same save again: replaced
        await pilot.pause()
        assert EITPConfig.load(presets / "team.toml").intervention.cooldown_ms == 95_000
        await retype(pilot, "#preset-name", "team")
        await pilot.press("ctrl+s")  # nothing would change: saved without asking
        await pilot.pause()
        assert EITPConfig.load(presets / "team.toml").intervention.cooldown_ms == 95_000


async def test_every_section_is_in_the_form_and_presets_load(make_app, tmp_path: Path):
    (tmp_path / "presets").mkdir()
    (tmp_path / "presets" / "fast.toml").write_text("[signal]\nrage_window_ms = 300\n")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        screen = app.screen
        tabs = screen.query_one(TabbedContent)
        for section in SECTIONS:
            tabs.active = f"sec-{section}"
            await pilot.pause()
            keys = EITPConfig().model_dump()[section]
            assert all(screen.query(f"#cfg-{section}--{key}") for key in keys), section
        screen.query_one("#load-preset", Select).value = "presets/fast.toml"
        await pilot.pause()
        await wait_until(pilot, lambda: app.config.signal.rage_window_ms == 300)
        tabs.active = "sec-signal"
        await pilot.pause()
        assert screen.query_one("#cfg-signal--rage_window_ms", Input).value == "300"
        assert screen.query_one("#preset-name", Input).value == "fast"


async def test_replay_the_latest_run_with_the_forms_thresholds(make_app, seeded_db):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, ThresholdsScreen)
        result = screen.query_one("#replay-result", Static)
        # a confidence floor no rule can reach: the paralysed buyer's emotions all become uncertainty
        await pilot.click("#--content-tab-sec-classifier")
        await wait_until(pilot, lambda: bool(screen.query("#cfg-classifier--min_confidence")))
        await retype(pilot, "#cfg-classifier--min_confidence", "1.01")
        await pilot.click("#--content-tab-sec-signal")
        await retype(pilot, "#cfg-signal--dwell_ms", "800")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "concluded differently" in str(result.render()))
        text = str(result.render())
        assert "latest run run_20260102_090000_bbbb replayed" in text
        assert "paralysed_buyer" in text and "→ uncertainty" in text
        assert "signal.dwell_ms: for new runs only" in text


def test_a_replay_with_the_runs_own_thresholds_changes_nothing(seeded_db):
    from workbench.store import repo
    from workbench.store.db import open_db
    from workbench.tui import history_data

    engine = open_db(seeded_db)
    with Session(engine) as db:
        own = repo.run_config(db=db, run_id="run_20260102_090000_bbbb")
    assert own is not None
    same = history_data.replay_latest(engine, own)
    assert same is not None and same.edited.differs == () and same.not_replayed == []
    assert "as the run had them" in same.line()
    unreachable = history_data.replay_latest(engine, own.with_overrides({"classifier.min_confidence": 1.01}))
    assert unreachable is not None
    (changed,) = unreachable.edited.differs  # the demo visitor; the scripted bot said nothing either way
    assert unreachable.edited.observed[changed].persona == "paralysed_buyer"
    assert unreachable.own.observed[changed].dominant != "uncertainty"
    assert {o.dominant for o in unreachable.edited.observed.values()} == {"uncertainty"}


def test_a_replay_skips_a_newer_run_stopped_before_any_visit(seeded_db):
    # F5 then F8 at once stores a run with no telemetry; ctrl+r replayed it ("0 sessions") instead of
    # the last run that has something to replay
    from workbench import events as ev
    from workbench.store import repo
    from workbench.store.db import open_db
    from workbench.store.recorder import Recorder
    from workbench.tui import history_data

    engine = open_db(seeded_db)
    recorder = Recorder(engine)
    for event in (ev.RunStarted("run_20260103_080000_cccc", "run", "rv", 1, EITPConfig().to_toml(), ""),
                  ev.RunEnded("run_20260103_080000_cccc", "stopped")):
        recorder(event)
    with Session(engine) as db:
        assert repo.latest_run_id(db=db) == "run_20260103_080000_cccc"  # the newest run is the empty one
        assert repo.latest_run_id(db=db, with_telemetry=True) == "run_20260102_090000_bbbb"
    found = history_data.replay_latest(engine, EITPConfig())
    assert found is not None and found.run_id == "run_20260102_090000_bbbb"
    assert found.own.observed  # its sessions were replayed


def test_a_key_with_digits_gets_its_own_problem():
    # classifier.high_jerk_px_s3: the key pattern once stopped at the digit, so the field was never marked
    # and its message went to the next field's line
    from workbench.tui.configform import fields_of, validate

    texts = {f.dotted: f.text for f in fields_of(EITPConfig())}
    texts["classifier.high_jerk_px_s3"], texts["signal.dwell_ms"] = "-1", "-5"
    config, problems = validate(texts)
    assert config is None and set(problems) == {"classifier.high_jerk_px_s3", "signal.dwell_ms"}
    assert "classifier." not in problems["signal.dwell_ms"]


async def test_f5_refuses_a_run_on_invalid_edited_thresholds(make_app):
    # Before, F5 ran the last valid thresholds while the form showed others, and said nothing.
    from workbench.tui.runcontrol import RunPlan

    app = make_app(plan=RunPlan(site="rv", counts={"calm_researcher": 1}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        screen = app.screen
        await pilot.click("#--content-tab-sec-intervention")
        await wait_until(pilot, lambda: bool(screen.query(COOLDOWN)))
        await retype(pilot, COOLDOWN, "1000")
        await wait_until(pilot, lambda: app.thresholds_invalid is not None)
        await pilot.press("f5")
        await pilot.pause()
        assert app.run_state == "idle" and isinstance(app.screen, ThresholdsScreen)
        assert any("invalid" in str(n.message) and "cooldown_ms" in str(n.message) for n in app._notifications)
        await retype(pilot, COOLDOWN, "90000")
        await wait_until(pilot, lambda: app.thresholds_invalid is None)
