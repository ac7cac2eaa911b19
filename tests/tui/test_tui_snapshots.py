"""Snapshots of the main screens at 80x24 and 160x50 (cursor blink frozen; data from a recorded real run).

Regenerate after a deliberate change: ``pytest tests/tui/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import html
from typing import Any

import pytest
from textual.widgets import DataTable, Input, TabbedContent

from tests.tui.conftest import live_feed, wait_until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]


def history_loaded(screen: Any) -> bool:
    """The latest read of the runs is shown and painted: its status line and the footer's keys are on screen.

    Waiting for the paint, not only the data, keeps a loaded machine from photographing a half-drawn screen.
    """
    if not (screen.settled and screen.query_one("#runs", DataTable).row_count == 2):
        return False
    painted = html.unescape(screen.app.export_screenshot()).replace("\xa0", " ")
    # the table's columns are sized to the run ids once it has laid them out: wait for that as well
    return ("2 runs in wb.db" in painted and "Reload" in painted
            and all(run_id in painted for run_id in ("run_20260102_090000_bbbb", "demo_20260101_120000_aaaa")))


async def ready(pilot: Any) -> None:
    """The runner probe is back, so the setup controls show their final state."""
    await wait_until(pilot, lambda: pilot.app.capabilities_known)


@pytest.mark.parametrize("size", SIZES)
def test_setup_screen(snap_compare, make_app, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES)
def test_live_screen(snap_compare, make_app, size):
    async def feed(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("f2")
        for event in live_feed():
            pilot.app.sink(event)
        await wait_until(pilot, lambda: pilot.app.feed_settled)

    assert snap_compare(make_app(), terminal_size=size, run_before=feed)


def test_live_screen_narrow_minimap_tab(snap_compare, make_app):
    async def feed(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("f2")
        for event in live_feed():
            pilot.app.sink(event)
        await wait_until(pilot, lambda: pilot.app.feed_settled)
        pilot.app.screen.query_one("#panel-tabs").active = "tab-minimap"

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=feed)


@pytest.mark.parametrize("size", SIZES)
def test_history_screen(snap_compare, make_app, seeded_db, size):
    async def open_history(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("f3")
        await wait_until(pilot, lambda: history_loaded(pilot.app.screen))

    assert snap_compare(make_app(), terminal_size=size, run_before=open_history)


def test_run_detail_screen_scrubbed(snap_compare, make_app, seeded_db):
    async def open_run(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("f3")
        await wait_until(pilot, lambda: history_loaded(pilot.app.screen))
        pilot.app.screen.query_one("#runs", DataTable).focus()
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: getattr(pilot.app.screen, "detail", None) is not None)
        await pilot.press("right", "right", "right")

    assert snap_compare(make_app(), terminal_size=(160, 50), run_before=open_run)


def test_compare_screen(snap_compare, make_app, seeded_db):
    async def compare(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("f3")
        await wait_until(pilot, lambda: history_loaded(pilot.app.screen))
        pilot.app.screen.query_one("#runs", DataTable).focus()
        await pilot.press("space", "down", "c")
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#compare"))
                         and pilot.app.screen.query_one("#compare", DataTable).row_count > 0)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=compare)


@pytest.mark.parametrize("size", SIZES)
def test_thresholds_screen_with_an_inline_error(snap_compare, make_app, size):
    async def refuse(pilot: Any) -> None:
        await ready(pilot)
        await pilot.press("f4")
        await pilot.pause()
        pilot.app.screen.query_one(TabbedContent).active = "sec-intervention"
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#cfg-intervention--cooldown_ms")))
        field = pilot.app.screen.query_one("#cfg-intervention--cooldown_ms", Input)
        field.value = "1000"
        await wait_until(pilot, lambda: bool(pilot.app.screen.query("#cfg-intervention--cooldown_ms-error")))
        field.focus()

    assert snap_compare(make_app(), terminal_size=size, run_before=refuse)
