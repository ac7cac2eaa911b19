"""Setting up a run: site, personas and counts, seed, time mode, thresholds; the controls' honesty."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input, RadioButton, Select

from synthetic.personas import PERSONAS
from synthetic.response import ALWAYS_CHAT
from tests.tui.conftest import wait_until
from workbench.config import EITPConfig
from workbench.tui.runcontrol import DEFAULTS, build_spec
from workbench.tui.screens.setup import SetupScreen


async def test_form_builds_the_plan_and_the_runner_spec(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)
        screen = app.screen
        assert isinstance(screen, SetupScreen)
        assert screen.query_one("#site", Select).value == "rv"
        await pilot.click("#count-paralysed_buyer")
        await pilot.press("end", "backspace", "3")
        await pilot.click("#seed")
        await pilot.press("end", "backspace", "4", "2")
        await pilot.press("home", "minus")  # a seed is a whole number from 0 up: the sign is not taken
        await pilot.pause()
        assert screen.query_one("#seed", Input).value == "42"
        assert dict(app.plan.counts) == {"paralysed_buyer": 3} and app.plan.seed == 42 and app.plan.site == "rv"
        assert "3 sessions" in str(screen.query_one("#plan-summary").render())
        spec = build_spec(app.plan, app.personas, app.capabilities)
        assert [p.name for p in spec.personas] == ["paralysed_buyer"] * 3 and spec.seed == 42 and spec.site == "rv"

        assert spec.response is None  # by default personas leave Seer's chat alone
        screen.query_one("#responses", Select).value = "always_chat"
        await pilot.pause()
        assert app.plan.responses == "always_chat" and "answer Seer (always_chat)" in str(
            screen.query_one("#plan-summary").render())
        assert build_spec(app.plan, app.personas, app.capabilities).response is ALWAYS_CHAT

        # a count out of range is refused rather than started
        await pilot.click("#count-paralysed_buyer")
        await pilot.press("end", "backspace", "9", "9")
        await pilot.pause()
        assert app.plan.sessions == 0
        await pilot.press("f5")
        await pilot.pause()
        assert app.run_state == "idle"  # nothing started with no persona chosen


async def test_options_the_runner_lacks_are_disabled_with_the_reason(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)
        caps = app.capabilities
        virtual = app.screen.query_one("#virtual", RadioButton)
        pause = app.screen.query_one("#pause", Button)
        assert virtual.disabled is (not caps.virtual_time)
        assert str(virtual.tooltip) == caps.virtual_note
        if not caps.virtual_time:
            assert "no virtual-time mode" in str(virtual.tooltip)
        assert pause.disabled  # nothing runs yet
        assert str(pause.tooltip) == caps.pause_note
        assert app.screen.query_one("#stop", Button).disabled
        assert not app.screen.query_one("#start", Button).disabled
        # the footer offers start, and pause/stop only when they can act
        assert app.check_action("start_run", ()) is True
        assert app.check_action("stop_run", ()) is None and app.check_action("pause_run", ()) is None


async def test_a_paused_run_offers_resume_and_stop_but_not_start(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)
        assert app.capabilities.pause
        app._set_state("paused")  # as F6 leaves it (the real F6 is driven in test_tui_browser)
        await pilot.pause()
        pause = app.screen.query_one("#pause", Button)
        assert not pause.disabled and str(pause.label) == "Resume F6"
        assert not app.screen.query_one("#stop", Button).disabled
        assert app.screen.query_one("#start", Button).disabled
        # F6 resumes: the footer says so (the pause binding of the key is hidden, its resume binding shown)
        assert app.check_action("pause_run", ()) is False and app.check_action("resume_run", ()) is True
        assert app.check_action("stop_run", ()) is True
        assert app.check_action("start_run", ()) is False
        assert app.screen.active_bindings["f6"].binding.description == "Resume"
        app._set_state("running")
        await pilot.pause()
        assert str(pause.label) == "Pause F6"
        assert app.check_action("pause_run", ()) is True and app.check_action("resume_run", ()) is False
        assert app.screen.active_bindings["f6"].binding.description == "Pause"


async def test_threshold_presets_are_offered_and_start_refuses_a_broken_one(make_app, tmp_path: Path):
    presets = tmp_path / "presets"
    presets.mkdir()
    (presets / "slow.toml").write_text(EITPConfig().with_overrides({"intervention.cooldown_ms": 90_000}).to_toml())
    (presets / "broken.toml").write_text("[intervention]\ncooldown_ms = 5\n")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        select = app.screen.query_one("#preset", Select)
        values = [v for _, v in select._options]
        assert DEFAULTS in values and "presets/slow.toml" in values and "presets/broken.toml" in values
        select.value = "presets/broken.toml"
        await pilot.pause()
        assert app.plan.preset == "presets/broken.toml"
        app.action_start_run()
        await pilot.pause()
        assert app.run_state == "idle"  # refused with the validation message, nothing launched
        select.value = DEFAULTS
        await pilot.pause()
        assert app.plan.preset == DEFAULTS


async def test_every_persona_is_offered_and_the_site_applies_to_all_sessions(make_app):
    from workbench.tui.runcontrol import available_sites, sites_root

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)
        rows = [str(r.id).removeprefix("row-") for r in app.screen.query(".persona-row")]
        assert rows == list(PERSONAS)
        site = app.screen.query_one("#site", Select)
        offered = [v for _, v in site._options]
        assert offered == available_sites() and all((sites_root() / s / "index.html").is_file() for s in offered)
        site.value = offered[-1]
        await pilot.pause()
        assert build_spec(app.plan, app.personas, app.capabilities).site == offered[-1]


async def test_a_run_that_cannot_start_is_reported_and_the_app_stays_up(make_app):
    from dataclasses import replace

    from workbench.tui.screens.live import LiveScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)
        app.plan = replace(app.plan, counts={"ghost_persona": 1})
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.run_state == "failed")
        assert isinstance(app.screen, LiveScreen) and app.is_running
        assert any("ghost_persona" in str(n.message) for n in app._notifications)
        assert app.check_action("start_run", ()) is True  # and a new run can be started
