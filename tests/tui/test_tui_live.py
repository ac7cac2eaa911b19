"""The live screen, fed through the app's sink with real event objects (the runner's interface)."""

from __future__ import annotations

import asyncio
import threading
import time

from tests.conftest import batch, mouse_path
from tests.tui.conftest import BOT_SID, demo_events, live_feed, wait_until
from workbench import events as ev
from workbench.tui.screens.live import LiveScreen
from workbench.tui.widgets.minimap import Minimap
from workbench.tui.widgets.panels import INTERVENTIONS_EMPTY, BotPanel, InterventionLog, PacketView, RatePanel
from workbench.tui.widgets.sessions import SessionsTable
from workbench.tui.widgets.timeline import EmotionTimeline


def text_of(widget) -> str:  # type: ignore[no-untyped-def]
    return str(widget.render())


async def test_sessions_table_and_panels_follow_the_stream(make_app):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f2")
        screen = app.screen
        assert isinstance(screen, LiveScreen)
        assert INTERVENTIONS_EMPTY.split(".")[0] in text_of(screen.query_one(InterventionLog))
        demo = demo_events()
        first_packet = next(i for i, e in enumerate(demo) if isinstance(e, ev.PacketEmitted))
        for e in demo[: first_packet + 1]:
            app.sink(e)
        table = screen.query_one(SessionsTable)
        await wait_until(pilot, lambda: screen.query_one(PacketView).packet is not None)
        (sid,) = [str(k.value) for k in table.rows]
        row = [str(c) for c in table.get_row(sid)]
        assert row[1] == "paralysed_buyer" and "deliberation" in row[3] and row[6] == "1"
        assert screen.query_one(PacketView).packet == demo[first_packet].packet
        for e in live_feed()[first_packet + 1:]:
            app.sink(e)
        await wait_until(pilot, lambda: app.feed_settled)
        assert len(table.rows) == 2
        assert [str(c) for c in table.get_row(sid)][6] == "7"
        assert [str(c) for c in table.get_row(BOT_SID)][4] == "bot"
        assert [str(c) for c in table.get_row(BOT_SID)][5] == "1"  # one intervention (sent + outcome)
        assert "fast_intervals, regular_timing" in text_of(screen.query_one(BotPanel))
        chat = text_of(screen.query_one(InterventionLog))
        assert "Seer: Questions about the Adventure package?" in chat and "chat_engaged" in chat
        assert "events/s" in str(screen.query_one(RatePanel).query_one("#rate-label").render())
        assert "█" in text_of(screen.query_one(EmotionTimeline))
        assert "●" in text_of(screen.query_one(Minimap))  # the cursor at the end of the trail

        # choose the second session: the packet and the minimap follow the selection
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        assert screen.selected == BOT_SID
        assert screen.query_one(PacketView).packet["emotion"]["primary"] == "frustration"
        assert screen.query_one(Minimap).view.session_id == BOT_SID


async def live_fed(pilot, app) -> LiveScreen:  # type: ignore[no-untyped-def]
    """The live screen once the recorded demo run's two sessions are in its table."""
    await pilot.press("f2")
    for e in live_feed():
        app.sink(e)
    screen = app.screen
    assert isinstance(screen, LiveScreen)
    await wait_until(pilot, lambda: len(screen.query_one(SessionsTable).rows) == 2)
    return screen


async def test_narrow_terminal_shows_one_panel_under_tabs(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await live_fed(pilot, app)
        assert screen.has_class("-narrow")
        shown = [p.id for p in screen.query(".panel") if p.display and p.styles.display != "none"]
        assert screen.query_one("#panel-tabs").display
        assert [p.id for p in screen.query(".panel.-shown")] == ["p-packet"] and "p-packet" in shown
        await pilot.press("]")
        await pilot.pause()
        assert [p.id for p in screen.query(".panel.-shown")] == ["p-timeline"]
        await pilot.click("#tab-chat")  # mouse works too
        await pilot.pause()
        assert [p.id for p in screen.query(".panel.-shown")] == ["p-chat"]


async def test_an_80_column_terminal_shows_the_whole_status_and_the_run_keys(make_app):
    from textual.widgets import Footer, Static
    from textual.widgets._footer import FooterKey

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await live_fed(pilot, app)
        app._set_state("running")
        await pilot.pause()
        status = screen.query_one("#live-status", Static)
        assert "8 packets" in text_of(status)
        assert status.size.height >= 2  # it wraps instead of cutting the packet count off
        # the footer cannot show every key in 80 columns: it shows the run's (F6 pause, F8 stop) first
        footer = screen.query_one(Footer)
        keys = {k.key: k for k in footer.query(FooterKey) if k.key in ("f6", "f8")}
        assert set(keys) == {"f6", "f8"}
        assert all(k.region.right <= footer.region.right - len("^p palette") for k in keys.values())


async def test_wide_terminal_tiles_every_panel(make_app):
    app = make_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.press("f2")
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-wide") and not screen.query_one("#panel-tabs").display
        regions = [p.region for p in screen.query(".panel")]
        assert all(r.width > 20 and r.height > 5 for r in regions)
        assert len({r.x for r in regions}) == 3  # three columns of tiles


async def test_sixteen_sessions_at_full_speed_do_not_freeze_the_ui(make_app):
    """A thread floods the sink (16 sessions, 1,600 batches); the UI loop keeps ticking and redraws merge."""
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)  # the runner probe's imports are done
        await pilot.press("f2")
        screen = app.screen
        redraws = 0
        original = screen.redraw

        def counting(dirty):  # type: ignore[no-untyped-def]
            nonlocal redraws
            redraws += 1
            original(dirty)

        screen.redraw = counting  # type: ignore[method-assign]
        packet = next(e.packet for e in demo_events() if isinstance(e, ev.PacketEmitted))
        sent = 0

        def flood() -> None:
            nonlocal sent
            app.sink(ev.RunStarted("run_flood", "run", "rv", 1, "", "x"))
            for n in range(16):
                app.sink(ev.SessionStarted(f"s{n:02}", "t", f"persona_{n}", "rv"))
            for k in range(100):
                for n in range(16):
                    sid = f"s{n:02}"
                    app.sink(ev.BatchReceived(sid, "t", batch(mouse_path(1000 + k * 2500, 50), session=sid)))
                    if k % 10 == 9:
                        app.sink(ev.PacketEmitted({**packet, "sessionId": sid,
                                                   "temporal": {"sessionDuration": (k + 1) * 1000.0,
                                                                "timeSinceLastEmotion": 0}}))
                    sent += 1

        loop = asyncio.get_running_loop()
        lags: list[float] = []
        thread = threading.Thread(target=flood)
        thread.start()
        while thread.is_alive() or not lags:
            t0 = loop.time()
            await asyncio.sleep(0.02)
            lags.append(loop.time() - t0 - 0.02)
        thread.join()
        started = time.perf_counter()
        await pilot.press("f1")  # still answers keys at once
        assert time.perf_counter() - started < 2.0
        await pilot.press("f2")
        await wait_until(pilot, lambda: len(screen.query_one(SessionsTable).rows) == 16)
        print(f"loop lag while flooding: max {max(lags):.3f} s over {len(lags)} ticks, {redraws} redraws")
        assert max(lags) < 1.5, f"UI loop stalled {max(lags):.2f} s"
        assert sent == 1600 and 0 < redraws < sent  # FeedChanged messages were merged
        assert app.model.snapshot().total_events == 1600 * 50
