"""Faults a visit can meet in the browser: a new document under a virtual clock, a browser killed mid-run."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from synthetic.personas import ComparisonShopper
from tests.e2e.wbcli import descendants
from tests.sim.short_personas import Glance, LastStepReloader, Reloader
from workbench.events import BatchReceived, EventStream, RunEvent
from workbench.sim import runner
from workbench.sim.browser import DevToolsChromium
from workbench.sim.runner import RunSpec, run

pytestmark = pytest.mark.browser

NEW_DOCUMENT = "the page loaded a new document"


@pytest.mark.parametrize("reloader", [Reloader, LastStepReloader], ids=["then_moves", "as_it_ends"])
async def test_a_new_document_under_a_virtual_clock_fails_its_session_saying_so(reloader):
    # The runner runs each page's fake clock through Playwright's in-page controller, which a new document
    # does not replay: the reloaded page's clock starts over at the install time, its sampler on another grid.
    # The visit "ended" with page time gone backwards and samples hundreds of px from the intended path.
    result = await run(RunSpec([reloader, Glance], seed=5, virtual_time=True, concurrency=2))
    broken, fine = result.sessions
    assert broken.status == "failed", (broken.status, broken.fidelity)
    assert broken.error is not None and broken.error.startswith(NEW_DOCUMENT), broken.error
    assert fine.status == "ended" and fine.fidelity.p95_px < 1.5, fine.fidelity


async def test_a_new_document_in_real_time_is_the_visits_next_page():
    # on the wall clock nothing starts over: the producer reconnects with the same session id
    result = await run(RunSpec([Reloader], seed=5, virtual_time=False))
    (s,) = result.sessions
    assert s.status == "ended", s.error


def _chromium_pids() -> dict[int, list[bytes]]:
    """Our Chromium processes (the browser and its children), by pid: their command lines."""
    found = {}
    for pid, name in descendants(os.getpid()).items():
        if "chrom" in name or "headless" in name:
            with contextlib.suppress(OSError):
                found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return found


def _kill_at_first_batch(kill: Callable[[], None]) -> tuple[EventStream, list[str]]:
    killed: list[str] = []

    def on(event: RunEvent) -> None:
        if isinstance(event, BatchReceived) and not killed:
            killed.append(event.session_id)
            kill()

    return EventStream(on), killed


@pytest.mark.slow  # kills a browser per case: ~6 s each (make test-all)
@pytest.mark.parametrize("where", ["local", "remote"])
async def test_a_browser_killed_mid_run_fails_every_session_saying_so_and_leaves_nothing(where):
    # SIGKILL: no close, no goodbye. Each session's reason was whatever call the death cut short
    # ("ConnectionClosedError: no close frame received or sent", "TargetClosedError: Page.evaluate: ...",
    # "the DevTools connection closed"); it is the browser's death, and says so.
    others = set(_chromium_pids())  # browsers other tests of this process keep open (a session-scoped one)
    chromium = DevToolsChromium() if where == "remote" else None
    endpoint = await chromium.__aenter__() if chromium is not None else None

    def kill() -> None:
        if chromium is not None and chromium.process is not None:  # the remote end drops, all of it
            os.killpg(chromium.process.pid, signal.SIGKILL)
            return
        browser = [pid for pid, cmd in _chromium_pids().items()  # the run's browser, not a wrapper or a child
                   if pid not in others and not any(a.startswith(b"--type=") for a in cmd)
                   and not cmd[0].endswith(b"sh")]
        assert browser, _chromium_pids()
        os.kill(min(browser), signal.SIGKILL)

    stream, killed = _kill_at_first_batch(kill)
    started = time.perf_counter()
    try:
        result = await asyncio.wait_for(run(RunSpec([ComparisonShopper, ComparisonShopper, Glance], seed=5,
                                                    virtual_time=True, concurrency=2, browser_endpoint=endpoint),
                                            stream=stream), 60)
    finally:
        if chromium is not None:
            await chromium.__aexit__(None, None, None)
    assert killed, "the browser was never killed"
    assert time.perf_counter() - started < 30
    assert [(s.status, s.error) for s in result.sessions] == [("failed", runner.BROWSER_GONE)] * 3
    assert result.score is not None and result.score.verdict == "error"
    deadline = time.monotonic() + 10
    while set(_chromium_pids()) - others and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert set(_chromium_pids()) - others == set()
