"""A store that cannot be read, stored packets that lack fields, a runner that cannot be probed: the screen
says so in one line and the app stays usable (before, a worker's exception ended the app with a traceback)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from textual.widgets import DataTable, Static

from tests.tui.conftest import wait_until
from workbench.tui import history_data
from workbench.tui.screens.compare import CompareScreen
from workbench.tui.screens.history import HistoryScreen
from workbench.tui.screens.run_detail import RunDetailScreen
from workbench.tui.screens.setup import SetupScreen
from workbench.tui.widgets.panels import PacketView
from workbench.tui.widgets.scrubber import Scrubber

DEMO_RUN, SECOND_RUN = "demo_20260101_120000_aaaa", "run_20260102_090000_bbbb"


def damage_a_packet(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("update packet set payload='not json' where id=(select min(id) from packet where run_id=?)",
                     (DEMO_RUN,))


def rewrite_packets(db: Path, change: Callable[[int, dict[str, Any]], None]) -> None:
    """Apply ``change(n, packet)`` to each stored packet of the demo run (``n``: its position)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select id, payload from packet where run_id=? order by id", (DEMO_RUN,)).fetchall()
        for n, (row_id, payload) in enumerate(rows):
            packet = orjson.loads(payload)
            change(n, packet)
            conn.execute("update packet set payload=? where id=?", (orjson.dumps(packet).decode(), row_id))


async def still_usable(pilot: Any) -> None:
    """F1 reaches the setup screen: the app did not end and still takes keys."""
    await pilot.press("escape", "f1")
    await pilot.pause()
    assert pilot.app.is_running and isinstance(pilot.app.screen, SetupScreen)


async def test_the_history_says_the_store_is_damaged(make_app, seeded_db):
    with sqlite3.connect(seeded_db) as conn:
        conn.execute("update run set started_at='garbage' where id=?", (DEMO_RUN,))
    app = make_app(db_path=seeded_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        status = screen.query_one("#history-status", Static)
        await wait_until(pilot, lambda: not app.is_running or "Cannot read" in str(status.render()))
        assert "not a time" in str(status.render())  # the store's own one-line reason
        assert screen.settled
        await still_usable(pilot)


async def test_a_store_that_is_no_store_is_said_on_the_history_screen(make_app, tmp_path):
    not_a_store = tmp_path / "notes.db"
    not_a_store.write_text("these are my notes, not an SQLite file\n" * 100)
    app = make_app(db_path=not_a_store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        status = app.screen.query_one("#history-status", Static)
        await wait_until(pilot, lambda: not app.is_running or "Cannot read" in str(status.render()))
        assert "notes.db" in str(status.render())
        await still_usable(pilot)


async def test_a_damaged_packet_is_said_on_the_run_screen(make_app, seeded_db):
    damage_a_packet(seeded_db)
    app = make_app(db_path=seeded_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(RunDetailScreen(DEMO_RUN))
        await pilot.pause()
        title = app.screen.query_one("#run-title", Static)
        await wait_until(pilot, lambda: not app.is_running or "Cannot read run" in str(title.render()))
        assert "is not JSON" in str(title.render())
        await still_usable(pilot)


async def test_a_damaged_packet_is_said_on_the_compare_screen(make_app, seeded_db):
    damage_a_packet(seeded_db)
    app = make_app(db_path=seeded_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(CompareScreen([DEMO_RUN, SECOND_RUN]))
        await pilot.pause()
        label = app.screen.query_one("#compare-label", Static)
        await wait_until(pilot, lambda: not app.is_running or "Cannot compare" in str(label.render()))
        assert "is not JSON" in str(label.render())
        await still_usable(pilot)


def odd_packet(n: int, packet: dict[str, Any]) -> None:
    """Each stored packet missing or nulling another part: what an older version or the engine's NaN leaves."""
    match n:
        case 0:
            packet["emotion"]["confidence"] = None  # orjson stores a NaN confidence as null
        case 1:
            del packet["intent"]
        case 2:
            packet["spatial"] = None
        case 3:
            packet["emotion"]["primary"] = "spouse_approval_seeking"  # not one of the 22
        case 4:
            del packet["emotion"]
        case 5:
            packet["timestamp"] = "soon"  # nothing to place it by on the timeline
        case _:
            packet["pageContent"] = packet["globalIntelligence"] = None


async def test_stored_packets_missing_fields_can_all_be_scrubbed(make_app, seeded_db):
    rewrite_packets(seeded_db, odd_packet)
    app = make_app(db_path=seeded_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(RunDetailScreen(DEMO_RUN))
        await wait_until(pilot, lambda: not app.is_running or getattr(app.screen, "detail", None) is not None)
        detail = app.screen
        assert isinstance(detail, RunDetailScreen) and detail.detail is not None
        view, caption = detail.query_one(PacketView), detail.query_one("#scrub-caption", Static)
        shown, captions = [], []
        for _ in detail.detail.packets:
            await pilot.pause()
            assert app.is_running
            shown.append(view.packet)
            captions.append(str(caption.render()))
            await pilot.press("right")
        assert shown == detail.detail.packets and len(shown) == 6  # the one without a timestamp is left out
        assert "1 without a timestamp" in str(detail.query_one("#run-title", Static).render())
        said = "\n".join(captions)
        assert "conf ?" in said and "intent ?/?" in said and "spouse_approval_seeking" in said
        await still_usable(pilot)


async def test_a_run_with_no_sessions_and_no_packets_opens(make_app, seeded_db):
    with sqlite3.connect(seeded_db) as conn:
        conn.execute("delete from session where run_id=?", (DEMO_RUN,))
        conn.execute("delete from packet where run_id=?", (DEMO_RUN,))
    app = make_app(db_path=seeded_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(RunDetailScreen(DEMO_RUN))
        await wait_until(pilot, lambda: not app.is_running or getattr(app.screen, "detail", None) is not None)
        detail = app.screen
        assert detail.query_one("#run-sessions", DataTable).row_count == 0
        assert "No packets" in str(detail.query_one(Scrubber).render())
        await pilot.press("right", "end")
        await still_usable(pilot)


def test_counts_put_an_emotion_outside_the_taxonomy_apart(seeded_db):
    from workbench.store.db import open_db

    rewrite_packets(seeded_db, lambda n, p: p["emotion"].update(primary="spouse_approval_seeking") if n == 0 else None)
    counts = history_data.run_counts(open_db(seeded_db), DEMO_RUN)
    assert counts["emotions"]["spouse_approval_seeking"] == 1
    assert counts["categories"][history_data.OUTSIDE] == 1
    assert sum(counts["categories"].values()) == counts["packets"]


async def test_a_runner_that_cannot_be_probed_is_said_and_the_app_stays(make_app, monkeypatch: pytest.MonkeyPatch):
    from workbench.tui import app as app_module

    def no_playwright() -> None:
        raise ModuleNotFoundError("No module named 'playwright'")

    monkeypatch.setattr(app_module, "probe_capabilities", no_playwright)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: not app.is_running or app.capabilities_known)
        assert app.is_running and not app.capabilities.pause and not app.capabilities.virtual_time
        assert any("playwright" in str(n.message) for n in app._notifications)
        await still_usable(pilot)
