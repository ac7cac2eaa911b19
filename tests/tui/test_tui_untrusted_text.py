"""Text from pages, the model and stored runs reaches the screen as text: never as markup (which crashed the
app on a stray ``[/]`` and ran ``[@click=...]`` actions), never as terminal control sequences."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from textual.widgets import DataTable, Input, Static

from tests.tui.conftest import wait_until
from workbench import events as ev
from workbench.errors import BrowserError
from workbench.tui import history_data, runcontrol
from workbench.tui.model import SessionView
from workbench.tui.screens.compare import CompareScreen
from workbench.tui.screens.history import HistoryScreen
from workbench.tui.screens.live import LiveScreen
from workbench.tui.screens.run_detail import RunDetailScreen
from workbench.tui.screens.thresholds import ThresholdsScreen
from workbench.tui.widgets.panels import BotPanel, InterventionLog
from workbench.tui.widgets.sessions import SessionsTable
from workbench.tui.widgets.timeline import EmotionTimeline

SID = "sq_1795307593146_untrusted"
DEMO_RUN, SECOND_RUN = "demo_20260101_120000_aaaa", "run_20260102_090000_bbbb"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # all but the newline that ends a line
ESCAPES = ("\x1b]0;pwned", "\x1b[2J")


def table_text(table: DataTable[Any]) -> str:
    """What a table shows, line by line (the header, then the rows)."""
    return "\n".join("".join(seg.text for seg in table.render_line(y)) for y in range(table.row_count + 1))


def terminal_output(app: Any) -> str:
    """What the app writes to the terminal for a full redraw of its screen."""
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, width=app.size.width, legacy_windows=False).print(
        app.screen._compositor.render_update(full=True))
    return buffer.getvalue()


def run_started(run_id: str = "run_20260301_100000_cccc") -> ev.RunStarted:
    return ev.RunStarted(run_id, "run", "rv", 7, "", "http://127.0.0.1:1")


def page_batch(section: str) -> ev.BatchReceived:
    events = [{"type": "mouse", "timestamp": 1_000.0, "currentSection": section, "data": {"x": 10, "y": 20}}]
    return ev.BatchReceived(SID, "org_t", {"events": events})


async def live(pilot: Any) -> LiveScreen:
    await pilot.press("f2")
    screen = pilot.app.screen
    assert isinstance(screen, LiveScreen)
    return screen


@pytest.mark.parametrize("section", ["pri[/]cing", "[/b]", "[bold]big", "[oops"])
async def test_a_section_name_from_the_page_is_shown_as_it_is(make_app, section):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await live(pilot)
        for event in (run_started(), ev.SessionStarted(SID, "org_t", "lingerer", "rv"), page_batch(section)):
            app.sink(event)
        table = screen.query_one(SessionsTable)
        await wait_until(pilot, lambda: table.row_count == 1 and app.feed_settled)
        await pilot.pause()
        assert app.is_running
        assert section in table_text(table)


@pytest.mark.parametrize("persona", ["[/]", "a[/b]"])
async def test_a_persona_and_run_id_with_markup_do_not_crash_the_live_screen(make_app, persona):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await live(pilot)
        for event in (run_started("run_[/]x"), ev.SessionStarted(SID, "org_t", persona, "rv"), page_batch("pricing")):
            app.sink(event)
        table = screen.query_one(SessionsTable)
        await wait_until(pilot, lambda: table.row_count == 1 and app.feed_settled)
        await pilot.pause()
        assert app.is_running
        assert persona in table_text(table)
        assert "run_[/]x" in str(screen.query_one("#live-status", Static).render())


async def test_a_click_on_page_text_runs_no_action(make_app):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await live(pilot)
        for event in (run_started(), ev.SessionStarted(SID, "org_t", "lingerer", "rv"),
                      page_batch("[@click=app.switch_mode('history')]XXXXXXXXXXXXXXXXXXXX[/]")):
            app.sink(event)
        table = screen.query_one(SessionsTable)
        await wait_until(pilot, lambda: table.row_count == 1 and app.feed_settled)
        await pilot.pause()
        columns = list(table.columns.values())
        x = sum(c.get_render_width(table) for c in columns[:2]) + 4  # inside the section cell
        await pilot.click(SessionsTable, offset=(x, 1))
        await pilot.pause()
        assert isinstance(app.screen, LiveScreen)


async def test_control_sequences_in_untrusted_text_never_reach_the_terminal(make_app):
    evil = "A\x1b]0;pwned\x07B\x1b[2JC\nD\rE"
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await live(pilot)
        for event in (run_started(), ev.SessionStarted(SID, "org_t", "lingerer" + evil, "rv"), page_batch(evil),
                      ev.BotVerdictEmitted({"session_id": SID, "classification": "bot", "confidence": 0.9,
                                            "signals": ["fast" + evil]}),
                      ev.InterventionSent(SID, 1_000.0, "frustration", "pricing" + evil, "empathy", "Hi" + evil,
                                          "template"),
                      ev.InterventionOutcome(SID, 1_000.0, "empathy", "left" + evil),
                      ev.SessionEnded(SID, "failed", "page said" + evil)):
            app.sink(event)
        table = screen.query_one(SessionsTable)
        await wait_until(pilot, lambda: table.row_count == 1 and app.feed_settled)
        await pilot.pause()
        for key in ("bot", "chat"):  # the narrow panels too: every panel is tiled on a wide terminal
            assert screen.query_one(f"#p-{key}").display
        output = terminal_output(app)
        assert not any(seq in output for seq in ESCAPES)
        assert not CONTROL.search(table_text(table))
        for panel in (BotPanel, InterventionLog):
            assert not CONTROL.search(str(screen.query_one(panel).render()))
        assert "page said" in table_text(table)  # the error is still shown, its control characters are not


async def test_a_very_long_section_name_does_not_push_the_other_columns_off_screen(make_app):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await live(pilot)
        for event in (run_started(), ev.SessionStarted(SID, "org_t", "lingerer", "rv"), page_batch("s" * 5_000),
                      ev.SessionEnded(SID, "failed", "why " * 2_000)):
            app.sink(event)
        table = screen.query_one(SessionsTable)
        await wait_until(pilot, lambda: table.row_count == 1 and app.feed_settled)
        await pilot.pause()
        header, row = table_text(table).splitlines()  # what fits on the screen's 160 columns
        assert "note" in header and "why why" in row


async def test_a_wide_persona_name_leaves_the_newest_timeline_windows_on_screen(make_app):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await live(pilot)
        timeline = screen.query_one(EmotionTimeline)
        wide = SessionView("sq_1", "顧客顧客顧客顧客顧客", timeline=[(i, "frustration") for i in range(200)])
        narrow = SessionView("sq_2", "abcdefghijklmnopqrst", timeline=[(i, "frustration") for i in range(200)])
        timeline.show([wide, narrow], None)
        await pilot.pause()
        width = timeline.content_size.width
        wide_line, narrow_line = timeline.render().split("\n")[:2]  # type: ignore[union-attr]
        assert cell_len(wide_line.plain) <= width
        assert wide_line.plain.count("█") == narrow_line.plain.count("█")


def with_stored_markup(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("update run set kind='[/]', site='[@click=app.quit]', status='[/b]' where id=?",
                     (DEMO_RUN,))
        conn.execute("update session set persona='[/]', status='[b', bot_classification='[/x]', "
                     "error='a\x1b[2Jb' where run_id=?", (DEMO_RUN,))


async def test_stored_runs_with_markup_in_their_fields_open_in_the_history(make_app, seeded_db):
    with_stored_markup(seeded_db)
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        runs = screen.query_one("#runs", DataTable)
        await wait_until(pilot, lambda: runs.row_count == 2)
        await pilot.pause()
        assert app.is_running and "[@click=app.quit]" in table_text(runs)
        app.push_screen(RunDetailScreen(DEMO_RUN))
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.detail is not None)
        await pilot.pause()
        detail = app.screen
        assert app.is_running
        assert "[/]" in str(detail.query_one("#run-title", Static).render())
        sessions = table_text(detail.query_one("#run-sessions", DataTable))
        assert "[/x]" in sessions and not CONTROL.search(sessions)


async def test_compare_shows_an_emotion_outside_the_taxonomy(make_app, seeded_db):
    import orjson

    with sqlite3.connect(seeded_db) as conn:
        rows = conn.execute("select id, payload from packet where run_id=?", (DEMO_RUN,)).fetchall()
        for row_id, payload in rows:
            packet = orjson.loads(payload)
            packet["emotion"]["primary"] = "[/]spouse_approval"
            conn.execute("update packet set payload=? where id=?", (orjson.dumps(packet).decode(), row_id))
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        app.push_screen(CompareScreen([DEMO_RUN, SECOND_RUN]))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await wait_until(pilot, lambda: not app.is_running or any(t.row_count for t in screen.query("#compare")))
        assert app.is_running
        table = screen.query_one("#compare", DataTable)
        # the rows are added before the table has laid them out: until then they render blank
        with contextlib.suppress(AssertionError):
            await wait_until(pilot, lambda: "[/]spouse_approval" in table_text(table), timeout=5)
        assert "[/]spouse_approval" in table_text(table)


async def test_a_run_that_cannot_start_says_why_even_with_brackets_in_the_reason(make_app, monkeypatch):
    reason = "no browser: tried [/usr/bin/chromium] and [@click=app.quit]x[/]"

    def no_browser(self: Any) -> None:
        raise BrowserError(reason)

    monkeypatch.setattr(runcontrol.RunController, "run_blocking", no_browser)
    app = make_app(plan=runcontrol.RunPlan(site="rv", counts={"calm_researcher": 1}))
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.run_state == "failed")
        await wait_until(pilot, lambda: bool(app.screen.query("Toast")))
        await pilot.pause()
        assert app.is_running
        assert reason in str(app.screen.query_one("Toast").render())
        # the reason stays on the live screen once the toast has gone
        assert reason in str(app.screen.query_one("#live-status", Static).render())
        await pilot.press("f3")  # and the app is still usable
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)


async def test_a_form_error_that_quotes_the_input_is_shown_as_text(make_app):
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f4")
        screen = app.screen
        assert isinstance(screen, ThresholdsScreen)
        await pilot.click("#--content-tab-sec-transport")
        field = "#cfg-transport--trusted_proxies"
        await wait_until(pilot, lambda: bool(screen.query(field)))
        screen.query_one(field, Input).value = '["[/]"]'
        await wait_until(pilot, lambda: bool(screen.query(f"{field}-error")))
        await pilot.pause()
        assert app.is_running
        assert "'[/]' is not an IP network" in str(screen.query_one(f"{field}-error", Static).render())


async def test_a_replay_that_fails_with_brackets_in_its_message_says_so(make_app, monkeypatch):
    from workbench.store.db import StoreDamaged

    def damaged(*_: Any) -> None:
        raise StoreDamaged("wb.db: packet row 3 is not JSON ([/] at 0)")

    monkeypatch.setattr(history_data, "replay_latest", damaged)
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f4")
        result = app.screen.query_one("#replay-result", Static)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "not JSON" in str(result.render()))
        assert app.is_running and "([/] at 0)" in str(result.render())


async def test_a_replayed_run_id_with_markup_is_shown_as_text(make_app, seeded_db):
    renamed = "run_[/]_dddd"
    with sqlite3.connect(seeded_db) as conn:
        for table, column in (("run", "id"), ("batch", "run_id"), ("session", "run_id"), ("run_config", "run_id")):
            conn.execute(f"update {table} set {column}=? where {column}=?", (renamed, SECOND_RUN))
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("f4")
        result = app.screen.query_one("#replay-result", Static)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: "replayed" in str(result.render()) or not app.is_running)
        assert app.is_running and f"latest run {renamed} replayed" in str(result.render())
