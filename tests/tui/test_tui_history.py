"""History: browse stored runs, open one and scrub its timeline, compare two."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from tests.tui.conftest import wait_until
from workbench.rageclicks import Verdicts
from workbench.tui import history_data
from workbench.tui.screens.compare import CompareScreen
from workbench.tui.screens.history import HistoryScreen
from workbench.tui.screens.run_detail import RunDetailScreen
from workbench.tui.widgets.panels import PacketView
from workbench.tui.widgets.scrubber import Scrubber


async def test_open_a_run_and_scrub_its_packets(make_app, seeded_db):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3")
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        runs = screen.query_one("#runs", DataTable)
        await wait_until(pilot, lambda: runs.row_count == 2)
        assert [str(k.value) for k in runs.rows] == ["run_20260102_090000_bbbb", "demo_20260101_120000_aaaa"]
        runs.focus()
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.detail is not None)
        detail = app.screen
        assert detail.run_id == "demo_20260101_120000_aaaa"
        sessions = detail.query_one("#run-sessions", DataTable)
        assert [str(c) for c in sessions.get_column("rage clicks")] == [
            history_data.rage_cell(detail.detail.rage[s["session_id"]]) for s in detail.detail.sessions]
        # a session by the tail of its id, as on the live screen (80 columns then reach the verdict)
        assert [str(c) for c in sessions.get_column("session")] == [
            s["session_id"][-9:] for s in detail.detail.sessions]
        view = detail.query_one(PacketView)
        assert view.packet == detail.detail.packets[0]
        await pilot.press("right", "right")
        await pilot.pause()
        assert detail.query_one(Scrubber).index == 2 and view.packet == detail.detail.packets[2]
        assert "packet 3/7" in str(detail.query_one(Scrubber).render())
        await pilot.press("end")
        await pilot.pause()
        assert view.packet == detail.detail.packets[-1]
        await pilot.click(Scrubber, offset=(2, 0))  # the mouse scrubs too: the start of the track
        await pilot.pause()
        assert detail.query_one(Scrubber).index == 0
        await pilot.press("escape")
        assert isinstance(app.screen, HistoryScreen)


async def history_with(pilot, *, rows: int) -> DataTable:  # type: ignore[no-untyped-def]
    """Open the history (F3) and wait until its runs table shows ``rows`` runs; the table has the focus."""
    await pilot.press("f3")
    runs = pilot.app.screen.query_one("#runs", DataTable)
    await wait_until(pilot, lambda: runs.row_count == rows)
    runs.focus()
    return runs


async def test_compare_two_runs_side_by_side(make_app, seeded_db):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await history_with(pilot, rows=2)
        await pilot.press("c")  # one run is not a comparison
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("space", "down", "space", "c")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen)
                         and app.screen.query_one("#compare", DataTable).row_count > 0)
        screen = app.screen
        label = str(screen.query_one("#compare-label", Static).render())
        assert history_data.SCORES_LABEL in label and "has no stored score" in label
        table = screen.query_one("#compare", DataTable)
        rows = {str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)[1:]] for i in range(table.row_count)}
        assert rows["score verdict"][1] == "not scored" and rows["score verdict"][0] in ("pass", "fail")
        assert rows["bot recall"] == ["1.00", ""]
        assert rows["sessions"] == ["2", "1"]
        assert rows["packets"] == ["8", "7"]
        assert rows["bot verdicts: bot"] == ["1", "0"]
        assert rows["emotions: frustration"] == ["1", "0"]
        sessions = str(screen.query_one("#compare-sessions", Static).render())
        assert "against demo_20260101_120000_aaaa" in sessions and "unpaired: scripted_bot #1" in sessions


async def test_empty_store_says_how_to_fill_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        status = app.screen.query_one("#history-status", Static)
        await wait_until(pilot, lambda: "No runs" in str(status.render()))
        assert "setup screen" in str(status.render())


def test_a_sessions_rage_clicks_fit_one_cell():
    angry = Verdicts(14, {"eitp": 3, "posthog": 3, "mixpanel": 2, "datadog": 0, "openreplay": 3}, 3)
    assert history_data.rage_cell(angry) == "3 EITP · 3/4 others"
    corpus = Verdicts(9, {"eitp": 0, "posthog": 1, "mixpanel": 0, "datadog": None, "openreplay": None}, 0)
    assert history_data.rage_cell(corpus) == "0 EITP · 1/2 others"  # rules that compare elements did not apply
    assert history_data.rage_cell(Verdicts(0, {"eitp": 0}, 0)) == history_data.rage_cell(None) == "-"


async def test_run_detail_says_why_a_session_failed(make_app, tmp_path):
    # the live screen showed the reason; the history showed only "failed"
    from workbench.events import RunEnded, RunStarted, SessionEnded, SessionStarted
    from workbench.store.db import open_db
    from workbench.store.recorder import Recorder

    record = Recorder(open_db(tmp_path / "wb.db"), "run_f")
    record(RunStarted("run_f", "run", "rv", 7, "", "http://x"))
    record(SessionStarted("sq_ok", "org_workbench", "calm_researcher", "rv"))
    record(SessionEnded("sq_ok", "ended"))
    record(SessionStarted("sq_bad", "org_workbench", "frustrated_buyer", "rv"))
    record(SessionEnded("sq_bad", "failed", "the page crashed\n  while moving to #cta-buy"))
    record(RunEnded("run_f", "failed", {}))
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await history_with(pilot, rows=1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.detail is not None)
        sessions = app.screen.query_one("#run-sessions", DataTable)
        assert [str(c) for c in sessions.get_column("error")] == ["", "the page crashed while moving to #cta-buy"]
