"""The live timeline names the run's own buffer window (inference.buffer_window_ms), not always 10 s."""

from __future__ import annotations

import dataclasses

import pytest

from tests.tui.conftest import demo_events, wait_until
from workbench import events as ev
from workbench.config import EITPConfig
from workbench.tui.screens.live import LiveScreen
from workbench.tui.widgets.timeline import EmotionTimeline


def started_with_window(window_ms: int) -> list[ev.RunEvent]:
    toml = EITPConfig().with_overrides({"inference.buffer_window_ms": window_ms}).to_toml()
    return [dataclasses.replace(e, config_toml=toml) if isinstance(e, ev.RunStarted) else e for e in demo_events()]


@pytest.mark.parametrize(("ms", "said"), [(10_000, "10 s"), (5_000, "5 s"), (2_500, "2.5 s"), (500, "500 ms")])
def test_window_text(ms, said):
    from workbench.tui.widgets.timeline import window_text

    assert window_text(ms) == said


async def test_the_timeline_title_and_empty_state_follow_the_runs_window(make_app):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f2")
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        panel, timeline = screen.query_one("#p-timeline"), screen.query_one(EmotionTimeline)
        assert str(panel.border_title) == "emotion timeline (10 s windows)"  # no run yet: the default
        feed = started_with_window(5_000)
        app.sink(feed[0])  # the run started, no session yet: the empty state
        await wait_until(pilot, lambda: app.model.run.window_ms == 5_000 and app.feed_settled)
        await pilot.pause()
        assert str(panel.border_title) == "emotion timeline (5 s windows)"
        assert "each 5 s window" in str(timeline.render())
        for e in feed[1:]:
            app.sink(e)
        await wait_until(pilot, lambda: app.feed_settled)
        assert str(panel.border_title) == "emotion timeline (5 s windows)"
