"""The one TUI test with real Chromium: set up a run on the setup screen, watch packets arrive, stop a run."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import ClassVar

import pytest
from sqlmodel import Session
from textual.widgets import Select, Static

from synthetic.personas import Actor, Persona
from tests.e2e.wbcli import descendants
from tests.tui.conftest import wait_until
from workbench.store import repo
from workbench.store.db import open_db
from workbench.tui.runcontrol import STOPPED_NOTE, RunPlan
from workbench.tui.widgets.sessions import SessionsTable

pytestmark = pytest.mark.browser


class TinyMover(Persona):
    """Test only: about five seconds of movement between the headline, the price and the tiers."""

    name = "tiny_mover"
    description = "Test only: moves for about 5 s."
    site = "rv"

    async def run(self, actor: Actor) -> None:
        await actor.move_to("#hero h1", dwell_ms=600)
        await actor.move_to("#price-main", dwell_ms=1200)
        await actor.move_to("#hero h1", dwell_ms=600)
        await actor.move_to("#price-main", dwell_ms=1200)
        await actor.dwell(800)


class Lingerer(Persona):
    """Test only: keeps reading for minutes, so the run is still going when it is stopped."""

    name = "lingerer"
    description = "Test only: reads for a long time."
    site = "rv"
    reads: ClassVar[int] = 60

    async def run(self, actor: Actor) -> None:
        for _ in range(self.reads):
            await actor.read("#hero h1", 2000)


class BriefLingerer(Lingerer):
    """Test only: reads for about twenty seconds (a run that ends on its own soon, if not stopped)."""

    name = "brief_lingerer"
    description = "Test only: reads for about 20 s."
    reads: ClassVar[int] = 8


def cell(table: SessionsTable, sid: str, column: int) -> str:
    return str(table.get_row(sid)[column])


async def test_a_real_run_from_the_setup_screen_fills_the_sessions_table(make_app, tmp_path: Path):
    app = make_app(personas={"tiny_mover": TinyMover, "lingerer": Lingerer})
    older = set(descendants(os.getpid()))  # e.g. a session-wide browser of an earlier test: not this run's
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)
        await pilot.click("#count-tiny_mover")
        await pilot.press("end", "backspace", "1")
        await pilot.click("#count-lingerer")
        await pilot.press("end", "backspace", "0")
        if app.capabilities.virtual_time:  # the runner drives the page clock: a 5 s visit takes ~1 s
            await pilot.click("#virtual")
        await pilot.pause()
        assert dict(app.plan.counts) == {"tiny_mover": 1} and app.plan.virtual_time == app.capabilities.virtual_time
        await pilot.click("#start")

        table = None

        def packets_shown() -> bool:
            nonlocal table
            if app.live_screen is None:
                return False
            table = app.live_screen.query_one(SessionsTable)
            return any(cell(table, str(k.value), 6) not in ("0", "") for k in table.rows)

        await wait_until(pilot, packets_shown, timeout=90)
        await wait_until(pilot, lambda: app.run_state in ("ended", "failed"), timeout=60)
        assert app.run_state == "ended"
        (sid,) = [str(k.value) for k in table.rows]
        assert cell(table, sid, 1) == "tiny_mover" and int(cell(table, sid, 6)) >= 1
        assert cell(table, sid, 4) in ("human", "bot", "?")
        snap = app.model.snapshot(trail_for=sid)
        assert snap.sessions[0].trail and snap.sessions[0].latest_packet is not None
        run_id = snap.run.run_id
        with Session(open_db(tmp_path / "wb.db")) as db:
            assert repo.packets(db=db, run_id=run_id)  # the recorder stored what the screen showed

        # a second run, stopped from the keyboard while its persona is still reading
        await pilot.press("f1")
        await pilot.click("#count-tiny_mover")
        await pilot.press("end", "backspace", "0")
        await pilot.click("#count-lingerer")
        await pilot.press("end", "backspace", "1")
        await pilot.click("#real")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.run_state == "running" and app.model.snapshot().sessions
                         and app.model.snapshot().sessions[0].events > 0, timeout=60)
        gate = app._controller.spec.pause
        status = app.screen.query_one("#live-status", Static)
        await pilot.press("f6")  # pause between persona steps, then resume
        assert gate.paused and app.run_state == "paused"
        assert "paused (F6 resumes)" in str(status.render())  # not "running": the toast goes, this stays
        await pilot.press("f6")
        assert not gate.paused and app.run_state == "running"
        assert "running" in str(status.render()) and "paused" not in str(status.render())
        await pilot.press("f8")
        await wait_until(pilot, lambda: app.run_state == "stopped", timeout=30)
        (lingering,) = app.model.snapshot().sessions
        assert (lingering.status, lingering.error) == ("failed", STOPPED_NOTE)
        assert not set(descendants(os.getpid())) - older, "the browser outlived the stopped run"
        with Session(open_db(tmp_path / "wb.db")) as db:
            runs = {r["id"]: r for r in repo.list_runs(db=db)}
            stopped = runs[app.model.snapshot().run.run_id]
            assert stopped["status"] == "stopped"
            (row,) = repo.list_sessions(db=db, run_id=stopped["id"])
            assert row["status"] == "failed"


async def test_personas_chosen_to_answer_seer_do_so_and_the_log_shows_the_expected_outcome(make_app):
    from tests.e2e.chat_personas import RageThenLinger

    class ShortStay(RageThenLinger):
        name = "rage_then_short_stay"
        linger_until_ms = 40_000.0

    app = make_app(personas={"rage_then_short_stay": ShortStay})
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)
        if not app.capabilities.virtual_time:
            pytest.skip("the runner has no virtual time: a minute-long visit would take a minute")
        await pilot.click("#count-rage_then_short_stay")
        await pilot.press("end", "backspace", "1")
        await pilot.click("#virtual")
        app.screen.query_one("#responses", Select).value = "always_chat"
        await pilot.pause()
        assert app.plan.responses == "always_chat"
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.run_state in ("ended", "failed"), timeout=120)
        assert app.run_state == "ended"
        (entry,) = app.model.snapshot().interventions  # Seer spoke once; the open chat keeps it quiet after
        assert entry.response == "chat_engaged" and entry.detail["expected"] == "chat_engaged"


async def test_a_stop_right_after_the_start_leaves_no_process_behind(make_app):
    # F8 while Playwright's driver or our Chromium was still starting cancelled the start half-way: the
    # Chromium launched in a session of its own (or the Node driver) then outlived the run
    app = make_app(personas={"lingerer": Lingerer}, plan=RunPlan(site="rv", counts={"lingerer": 1}, seed=7))
    older = set(descendants(os.getpid()))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)
        for delay in (0.1, 0.4):
            await pilot.press("f5")
            await pilot.pause(delay)
            await pilot.press("f8")
            await wait_until(pilot, lambda: app.run_state in ("stopped", "failed", "ended"), timeout=60)
            deadline = time.monotonic() + 10
            while set(descendants(os.getpid())) - older and time.monotonic() < deadline:
                await pilot.pause(0.2)
            left = {pid: name for pid, name in descendants(os.getpid()).items() if pid not in older}
            assert not left, f"left after a stop {delay} s after the start (state {app.run_state}): {left}"


async def test_an_app_that_ends_mid_run_stops_the_run_and_its_browser(make_app, tmp_path: Path):
    # anything but F8/F10 ending the app (an exception in the UI, a failing test): the run's thread played
    # its visits to the end, with Chromium running, and held the process's exit until then
    app = make_app(personas={"brief_lingerer": BriefLingerer})
    older = set(descendants(os.getpid()))
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(pilot, lambda: app.capabilities_known)
        app.plan = RunPlan(counts={"brief_lingerer": 1})
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.run_state == "running" and app.model.snapshot().sessions
                         and app.model.snapshot().sessions[0].events > 0, timeout=60)
        run_id = app.model.snapshot().run.run_id
    db = tmp_path / "wb.db"

    def status() -> str:
        with Session(open_db(db)) as s:
            return str({r["id"]: r for r in repo.list_runs(db=s)}[run_id]["status"])

    deadline = time.monotonic() + 60
    while status() == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status() == "stopped"  # not "ended": the visit did not play on to its end
    assert not set(descendants(os.getpid())) - older, "the browser outlived the app"
