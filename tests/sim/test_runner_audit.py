"""What an audit of the runner found: a browser that stops answering, one that is gone, a crash's reason,
a stopped run's sessions, and the CLI's answers to a bad endpoint, a lost trace and a crashed demo."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import synthetic.personas
from synthetic.personas import Actor, Persona
from tests.e2e.wbcli import descendants, still_alive, workbench
from tests.sim.short_personas import BrowserCloser, Crasher, Glance
from workbench.cli.common import ExitCode
from workbench.cli.main import main
from workbench.config import EITPConfig
from workbench.events import BatchReceived, EventStream, RunEvent, SessionEnded, SessionStarted
from workbench.sim import runner
from workbench.sim.browser import DevToolsChromium
from workbench.sim.cdp import CdpClient
from workbench.sim.runner import RunSpec, run


class _QuietSocket:
    """A DevTools WebSocket that accepts nothing: every send fails, no message ever comes."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()

    def __aiter__(self) -> _QuietSocket:
        return self

    async def __anext__(self) -> str:
        await self.closed.wait()
        raise StopAsyncIteration

    async def send(self, message: str) -> None:
        raise ConnectionResetError("the DevTools socket went away")

    async def close(self) -> None:
        self.closed.set()


async def test_a_devtools_call_that_fails_leaves_no_reply_waiting():
    # A reply no one waits for any more (the send failed, or the caller was stopped mid-send) must not
    # stay pending: the page failing later set an error on it that nobody retrieved, and asyncio
    # printed "Future exception was never retrieved" on every stopped run.
    client = CdpClient(_QuietSocket())
    with pytest.raises(ConnectionResetError):
        await client.send("Runtime.evaluate", {"expression": "1"}, session="S1")
    assert client._pending == {}
    await client.close()


def test_a_site_that_does_not_exist_is_refused_when_the_run_is_set_up():
    # otherwise every session waited 10 s for a producer on a 404 page, then failed with a page expression
    with pytest.raises(ValueError, match="unknown site 'nope'; known: rv, auto, powersports"):
        RunSpec([Glance], site="nope")


def test_a_browser_endpoint_that_is_no_address_is_a_usage_error(tmp_path, capsys):
    code = main(["run", "--persona", "calm", "--no-progress", "--db", str(tmp_path / "wb.db"),
                 "--browser-endpoint", "127.0.0.1:9222"])
    assert code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "--browser-endpoint '127.0.0.1:9222' is not a browser's address" in err and "ws://" in err


@pytest.mark.browser
async def test_a_crashed_page_is_named_as_such():
    # a renderer that dies cuts short whatever call was under way (here the navigation to chrome://crash:
    # "net::ERR_ABORTED"); the session's reason is the crash
    result = await run(RunSpec([Crasher, Glance], seed=5, virtual_time=True, concurrency=2))
    crashed, fine = result.sessions
    assert (crashed.status, crashed.error) == ("failed", "the page crashed")
    assert fine.status == "ended"


@pytest.mark.browser
async def test_sessions_after_the_browser_died_fail_at_once_saying_so():
    result = await run(RunSpec([BrowserCloser, Glance, Glance], seed=5, virtual_time=True, concurrency=1))
    closer, *queued = result.sessions
    assert closer.status == "failed"
    for s in queued:
        assert (s.status, s.error) == ("failed", "the browser is gone (it crashed, was closed or its connection "
                                                 "dropped)")
        # a page that never opened never connected: no waiting for its connection to close (5 s each)
        assert s.wall_ms < 2000, s.wall_ms
    assert result.score is not None and result.score.verdict == "error"


@pytest.mark.browser
async def test_a_page_that_never_connected_does_not_wait_for_its_close(monkeypatch):
    # The bridge takes one connection: the second page loads, but its producer is refused (HTTP 503) and never
    # opens. Nothing will report its close, yet the runner waited 5 s more for one after failing it.
    monkeypatch.setattr(runner, "CONNECT_TIMEOUT_S", 2.0)
    config = EITPConfig().with_overrides({"transport.max_connections": 1})
    result = await run(RunSpec([Glance, Glance], seed=5, virtual_time=True, concurrency=2), config=config)
    refused = [s for s in result.sessions if s.status == "failed"]
    assert len(refused) == 1 and "EITP.stats().open" in (refused[0].error or ""), [
        (s.status, s.error) for s in result.sessions]
    assert refused[0].wall_ms < 2000 + 2500, refused[0].wall_ms  # the connect wait and the page's set-up


@pytest.mark.browser
async def test_a_browser_that_stops_answering_fails_its_sessions_and_the_run_ends(monkeypatch):
    # A remote browser that hangs (a frozen process, a network that drops packets) answers no call.
    # Playwright's calls wait for it without a limit: the run waited forever in a page's close.
    monkeypatch.setattr(CdpClient, "TIMEOUT_S", 2.0)
    monkeypatch.setattr(runner, "SETUP_TIMEOUT_S", 5.0)
    monkeypatch.setattr(runner, "WRAPUP_TIMEOUT_S", 5.0)
    monkeypatch.setattr(runner, "CLOSE_TIMEOUT_S", 2.0)
    chromium = DevToolsChromium()
    async with chromium as endpoint:
        assert chromium.process is not None
        group = chromium.process.pid  # its own process group: the browser and all its pages

        def freeze(event: RunEvent) -> None:
            if isinstance(event, BatchReceived) and not frozen:
                frozen.append(event.session_id)
                os.killpg(group, signal.SIGSTOP)

        frozen: list[str] = []
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(
                run(RunSpec([Glance, Glance, Glance], seed=4, virtual_time=True, concurrency=2,
                            browser_endpoint=endpoint), stream=EventStream(freeze)), 90)
        finally:
            os.killpg(group, signal.SIGCONT)
    assert frozen, "the browser was never frozen"
    assert time.perf_counter() - started < 60
    assert [s.status for s in result.sessions] == ["failed"] * 3, [s.error for s in result.sessions]
    errors = [s.error or "" for s in result.sessions]
    assert any("no reply within 2 s" in e or "did not" in e for e in errors[:2]), errors
    assert errors[2].startswith("the browser stopped answering"), errors  # the third never waited for it
    assert result.score is not None and result.score.verdict == "error"


def _session_rows(db: Path) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
        return c.execute("SELECT persona, status, error FROM session ORDER BY id").fetchall()


@pytest.mark.browser
def test_a_kill_mid_run_stores_the_unfinished_sessions_as_interrupted_and_scores_the_finished(tmp_path):
    # CI ends a job at its timeout with SIGTERM: the stored run must not keep sessions "running" forever,
    # the sessions that had finished keep their scores, and the one that never started is counted
    db = tmp_path / "wb.db"
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli.main", "run",
                             "--persona", "frustrated,calm,confident", "--concurrency", "1", "--virtual-time",
                             "--no-progress", "--db", str(db)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    rows: list[tuple[str, str, str | None]] = []
    while not any(status == "ended" for _, status, _ in rows):  # the first visit is over, the second under way
        assert proc.poll() is None and time.monotonic() < deadline, f"the first session never ended: {rows}"
        time.sleep(0.1)
        try:
            rows = _session_rows(db) if db.exists() else []
        except sqlite3.OperationalError:
            rows = []  # the schema is being created, or the writer holds the lock
    browser = descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert "interrupted (SIGTERM)" in err and "Traceback" not in err and "never retrieved" not in err, err
    assert "1 of 3 sessions never started" in err, err
    deadline = time.monotonic() + 10
    while still_alive(browser) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert still_alive(browser) == []
    rows = _session_rows(db)
    assert rows[0][:2] == ("frustrated_buyer", "ended")
    assert [r for r in rows[1:]] == [("calm_researcher", "failed", "interrupted (SIGTERM)")]
    shown = workbench("show", "--db", str(db), "--json")
    assert shown.returncode == 0, shown.stderr
    report: dict[str, Any] = json.loads(shown.stdout)
    finished, stopped = report["sessions"]
    assert {c["status"] for c in finished["checks"]} <= {"pass", "fail", "skip"}  # scored, not lost
    assert {c["status"] for c in stopped["checks"]} == {"error"}
    runs = json.loads(workbench("runs", "--db", str(db), "--json").stdout)
    assert [r["status"] for r in runs] == ["failed"]
    with sqlite3.connect(db) as conn:
        (summary,) = conn.execute("SELECT summary_json FROM run").fetchone()
    conn.close()
    assert json.loads(summary)["never_started"] == 1


class StoppedWhileWaiting(Persona):
    """Looks at the price, then waits for the run to be stopped, and does what :meth:`stopped` does then."""

    description = "test persona: waits for the stop"
    waiting: asyncio.Event

    async def run(self, actor: Actor) -> None:
        await actor.move_to("#price-main", dwell_ms=300)
        self.waiting.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await self.stopped(actor)
            raise

    async def stopped(self, actor: Actor) -> None:
        raise NotImplementedError


class AbortedByTheStop(StoppedWhileWaiting):
    """Its call fails in its own words when the stop aborts it (as a Playwright call does: cancelling the task
    that awaits it aborts it, and whatever else waited on it fails)."""

    name = "aborted_by_the_stop"

    async def stopped(self, actor: Actor) -> None:
        raise RuntimeError("The operation was aborted")


class SlowToStop(StoppedWhileWaiting):
    """Takes a moment to end (as a trace saved or a page closed does), and notes whether its browser was still
    there."""

    name = "slow_to_stop"
    connected: list[bool]

    async def stopped(self, actor: Actor) -> None:
        await asyncio.sleep(0.5)
        self.connected.append(actor.page.context.browser.is_connected())  # type: ignore[attr-defined]


async def _stop_while(persona: type[StoppedWhileWaiting], monkeypatch: pytest.MonkeyPatch) -> list[RunEvent]:
    """Run ``persona`` then a Glance, one at a time, and stop the run while the first waits; the run's events."""
    monkeypatch.setattr(persona, "waiting", asyncio.Event(), raising=False)
    events: list[RunEvent] = []
    task = asyncio.ensure_future(run(RunSpec([persona, Glance], seed=4, virtual_time=True, concurrency=1),
                                     stream=EventStream(events.append)))
    await asyncio.wait_for(persona.waiting.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return events


@pytest.mark.browser
async def test_a_session_failing_as_the_run_is_stopped_is_left_to_the_stop(monkeypatch):
    # CI once stored a session cut short by SIGTERM as failed for its own reason ("the browser is gone"):
    # a failure that comes while the run is being stopped is the stop's, which the caller names
    events = await _stop_while(AbortedByTheStop, monkeypatch)
    assert len([e for e in events if isinstance(e, SessionStarted)]) == 1  # the second never started
    assert [(e.status, e.error) for e in events if isinstance(e, SessionEnded)] == []  # left open for the stop


@pytest.mark.browser
async def test_a_stopped_run_closes_its_browser_only_after_every_session_ended(monkeypatch):
    # asyncio.gather raised at once, the session waiting for its turn being cancelled first, and the run
    # closed the browser under the session still ending: that one failed with "the browser is gone"
    monkeypatch.setattr(SlowToStop, "connected", [], raising=False)
    await _stop_while(SlowToStop, monkeypatch)
    assert SlowToStop.connected == [True]


@pytest.mark.browser
def test_traces_the_browser_could_not_save_are_not_said_to_be_of_passed_sessions(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(synthetic.personas, "resolve_many", lambda names: [BrowserCloser])
    code = main(["run", "--persona", "closer", "--no-progress", "--db", str(tmp_path / "wb.db"),
                 "--trace", "on", "--trace-dir", str(tmp_path / "traces")])
    out = capsys.readouterr().out
    assert code == ExitCode.INFRASTRUCTURE, out
    assert "traces: none kept" in out and "every session passed" not in out, out


@pytest.mark.browser
def test_a_run_the_store_could_not_take_exits_as_an_infrastructure_error(tmp_path, monkeypatch, capsys):
    # The disk fills up as the run starts: the recorder keeps the refused events in memory, in order, but
    # at the end the store does not hold the run, so no scores are printed from it and the exit is 4
    from sqlalchemy import event

    from workbench.cli import cmd_run

    opened = cmd_run.open_db

    def filled_up(path):  # type: ignore[no-untyped-def]
        engine = opened(path)

        def full(conn, _record):  # type: ignore[no-untyped-def]
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")  # no page more: SQLITE_FULL, as on a full disk

        event.listen(engine, "connect", full)
        engine.dispose()
        return engine

    monkeypatch.setattr(synthetic.personas, "resolve_many", lambda names: [Glance])
    monkeypatch.setattr(cmd_run, "open_db", filled_up)
    code = main(["run", "--persona", "glance", "--no-progress", "--db", str(tmp_path / "wb.db")])
    out, err = capsys.readouterr()
    assert code == ExitCode.INFRASTRUCTURE, (out, err)
    assert "could not be stored in" in err and "the disk is full" in err, err
    assert "Traceback" not in out + err


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full, whose writes fail as a full disk's")
def test_a_report_the_disk_cannot_take_after_the_run_is_an_infrastructure_error(tmp_path, monkeypatch, capsys):
    # The report's path passed the check before the run; writing it after fails (the disk is full): the run
    # is stored and the user is told how to write its reports again, with exit 4, not 2 (a usage error)
    monkeypatch.setattr(synthetic.personas, "resolve_many", lambda names: [Glance])
    code = main(["run", "--persona", "glance", "--no-progress", "--db", str(tmp_path / "wb.db"),
                 "--junit", "/dev/full"])
    out, err = capsys.readouterr()
    assert code == ExitCode.INFRASTRUCTURE, (out, err)
    assert "No space left on device" in err and "workbench show" in err, err
    assert "Traceback" not in out + err


@pytest.mark.browser
def test_a_demo_whose_page_crashed_exits_as_an_infrastructure_error(tmp_path, monkeypatch, capsys):
    # README: 4 is "a session that crashed"; 1 is an expectation missed
    monkeypatch.setattr(synthetic.personas, "ParalysedBuyer", Crasher)
    assert main(["demo", "--db", str(tmp_path / "wb.db")]) == ExitCode.INFRASTRUCTURE
    assert "the page crashed" in capsys.readouterr().out



@pytest.mark.browser
def test_a_closed_terminal_mid_run_exits_as_interrupted(tmp_path):
    # A terminal that goes away sends SIGHUP, and from then on every write to it fails (EIO): the
    # progress bar's last frame made the stop an "internal error" (exit 4, or 1 with stderr gone too)
    db = tmp_path / "wb.db"
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli.main", "run", "--persona", "calm", "--virtual-time",
                             "--db", str(db)], stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    os.set_blocking(master, False)
    deadline = time.monotonic() + 90
    rows: list[tuple[str, str, str | None]] = []
    try:
        while not rows:  # the visit is under way
            assert proc.poll() is None and time.monotonic() < deadline, "the session never started"
            time.sleep(0.1)
            try:
                while os.read(master, 65536):  # keep the terminal drained: a full one would block the run
                    pass
            except (BlockingIOError, OSError):
                pass
            try:
                rows = _session_rows(db) if db.exists() else []
            except sqlite3.OperationalError:
                rows = []
        browser = descendants(proc.pid)
    finally:
        os.close(master)  # the terminal goes away
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(timeout=60) == ExitCode.INTERRUPTED
    deadline = time.monotonic() + 10
    while still_alive(browser) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert still_alive(browser) == []
    assert _session_rows(db) == [("calm_researcher", "failed", "interrupted (SIGHUP)")]


@pytest.mark.parametrize("second_after_s", [0.0, 0.02])
async def test_a_second_cancel_while_playwright_starts_leaves_no_driver(second_after_s):
    # A second cancel (the CLI and the TUI send one, but a library caller may send two: a timeout and a stop)
    # cut the first one's clean-up short: the Node driver, spawned or half-spawned, outlived the run
    older = set(descendants(os.getpid()))

    async def use() -> None:
        async with runner._playwright():
            await asyncio.sleep(30)

    task = asyncio.ensure_future(use())
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.sleep(second_after_s)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    deadline = time.monotonic() + 10
    while (left := {p: n for p, n in descendants(os.getpid()).items() if p not in older}) and \
            time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not left, left


def test_a_browser_endpoints_secrets_are_neither_stored_nor_printed(tmp_path, capsys):
    """A hosted browser's address carries its key (``?token=``, ``user:password@``): the run stores and
    prints the address without it."""
    db = tmp_path / "wb.db"
    code = main(["run", "--persona", "calm", "--no-progress", "--db", str(db),
                 "--browser-endpoint", "ws://me:pa55word@127.0.0.1:9/chromium?token=s3cret"])
    assert code == ExitCode.INFRASTRUCTURE  # nothing listens on port 9
    err = capsys.readouterr().err
    assert "could not connect to the browser at ws://127.0.0.1:9/chromium?token=[REDACTED]" in err, err
    with sqlite3.connect(db) as conn:
        stored = " ".join(str(v) for row in conn.execute("SELECT * FROM run_config") for v in row)
    conn.close()
    assert "127.0.0.1:9/chromium" in stored
    assert "s3cret" not in stored + err and "pa55word" not in stored + err
