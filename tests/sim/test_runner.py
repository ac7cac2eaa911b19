"""The runner in real headless Chromium: virtual time, fidelity, crashes, a remote browser."""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session

from synthetic.personas import ComparisonShopper, ExitIntentVisitor
from tests.sim.short_personas import BrowserCloser, Chatterer, ContextCloser, Crasher, Glance
from workbench.config import EITPConfig
from workbench.errors import BrowserError
from workbench.events import EventStream
from workbench.sim.browser import DevToolsChromium
from workbench.sim.runner import RunSpec, run
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

pytestmark = pytest.mark.browser


async def test_virtual_time_runs_long_visits_much_faster_than_real_time_and_samples_true(tmp_db):
    engine = open_db(tmp_db)
    started = time.perf_counter()
    result = await run(RunSpec([ComparisonShopper, ExitIntentVisitor], seed=3, virtual_time=True, concurrency=2),
                       stream=EventStream(Recorder(engine)))
    wall = time.perf_counter() - started
    assert [s.status for s in result.sessions] == ["ended", "ended"], [s.error for s in result.sessions]
    shopper, leaver = result.sessions
    # The shopper is away from the tab for more than 30 s of page time ...
    assert shopper.simulated_ms > 60_000 and shopper.event_types["long_tab_return"] == 1
    # ... and the whole run takes a fraction of that on the wall clock.
    assert result.simulated_s / wall > 3, f"{result.simulated_s:.0f} s simulated in {wall:.0f} s"
    for s in result.sessions:
        assert s.clock == "virtual"
        # every 20 Hz sample reads the intended position at its own timestamp
        assert s.fidelity.samples > 50
        assert s.fidelity.median_px < 0.5 and s.fidelity.p95_px < 1.5, s.fidelity
        # moves are sent on sampler ticks only, and not while the hand rests or the visitor is away
        assert 0 < s.moves < s.simulated_ms / 50, (s.moves, s.simulated_ms)
        # wheel notches are counted: the page scrolls only when one is sent, and several may share a
        # debounced scroll event
        assert 0 < s.event_types["scroll"] <= s.notches, (s.persona, s.notches, s.event_types["scroll"])
    assert shopper.notches > 0  # the comparison shopper scrolls down to the tiers
    assert leaver.event_types["viewport_approach"] >= 1 and leaver.event_types["mouse_exit"] >= 1
    with Session(engine) as db:
        report = repo.run_report(db=db, run_id=result.run_id)
    assert report is not None and report["config"]["clock"] == "virtual"
    assert [s["seed_index"] for s in report["sessions"]] == [0, 1]
    assert {c["name"] for c in report["sessions"][0]["checks"]} == {"emotion", "forbidden_emotions", "bot_verdict",
                                                                  "signals", "intervention"}
    assert report["sessions"][0]["trail"]["tab_switch"] in ("browser", "emulated")


async def test_same_seed_same_motion():
    async def trail() -> list[tuple[float, float]]:
        result = await run(RunSpec([Glance], seed=11, virtual_time=True))
        (s,) = result.sessions
        t0 = s.mouse[0][0]
        return [(round(t - t0), x, y) for t, x, y in s.mouse]

    assert await trail() == await trail()


@pytest.mark.parametrize("breaker", [Crasher, ContextCloser], ids=["renderer_crash", "context_closed"])
async def test_a_dead_page_fails_its_session_and_the_run_goes_on(breaker, tmp_db):
    engine = open_db(tmp_db)
    result = await run(RunSpec([breaker, Glance], seed=5, virtual_time=True, concurrency=2),
                       stream=EventStream(Recorder(engine)))
    broken, fine = result.sessions
    assert broken.status == "failed" and broken.error
    assert fine.status == "ended" and fine.event_types["click"] == 1
    assert result.score is not None and result.score.verdict == "error"
    with Session(engine) as db:
        report = repo.run_report(db=db, run_id=result.run_id)
        runs = repo.list_runs(db=db)
    assert report is not None and report["verdict"] == "error"
    assert {c["status"] for c in report["sessions"][0]["checks"]} == {"error"}
    assert runs[0]["status"] == "failed"


async def test_a_dead_browser_fails_its_sessions_and_the_run_still_reports(tmp_db):
    engine = open_db(tmp_db)
    result = await run(RunSpec([BrowserCloser, Glance], seed=5, virtual_time=True, concurrency=1),
                       stream=EventStream(Recorder(engine)))
    assert [s.status for s in result.sessions] == ["failed", "failed"]
    assert result.score is not None and result.score.verdict == "error"
    with Session(engine) as db:
        assert repo.run_report(db=db, run_id=result.run_id)["verdict"] == "error"  # type: ignore[index]


async def test_real_time_fidelity_is_measured_too():
    result = await run(RunSpec([Glance], seed=2, virtual_time=False))
    (s,) = result.sessions
    assert s.status == "ended" and s.clock == "real" and s.fidelity.samples > 20
    # real input lands a frame or so after it was meant: a few px at rest, tens of px at speed
    assert s.fidelity.median_px < 15 and s.fidelity.p95_px < 150, s.fidelity


async def test_a_remote_chromium_over_the_devtools_protocol():
    async with DevToolsChromium() as endpoint:
        assert endpoint.startswith("ws://127.0.0.1:") and "/devtools/browser/" in endpoint
        result = await run(RunSpec([Glance, Glance], seed=4, virtual_time=True, browser_endpoint=endpoint))
    assert [s.status for s in result.sessions] == ["ended", "ended"], [s.error for s in result.sessions]
    assert all(s.event_types["mouse"] > 10 for s in result.sessions)


async def test_an_unreachable_browser_endpoint_is_a_browser_error():
    with pytest.raises(BrowserError, match="could not connect"):
        await run(RunSpec([Glance], browser_endpoint="http://127.0.0.1:9/"))


async def test_virtual_time_keeps_a_session_under_the_bridges_wall_time_frame_guard():
    # The guard admits `max_pubs_per_second` PUBs per connection per wall second; a virtual clock
    # that ran a quiet stretch per call could send faster than that and lose the refused batches.
    config = EITPConfig().with_overrides({"transport.max_pubs_per_second": 8, "transport.flush_interval_ms": 1000})
    result = await run(RunSpec([Chatterer], seed=3, virtual_time=True), config=config, stream=EventStream())
    (session,) = result.sessions
    assert session.status == "ended", session.error  # every batch the page sent reached the engine
    assert result.pipeline is not None and result.pipeline.server.violations["rate_frames"] == 0
    assert session.event_types["mouse"] > 0


def test_trace_modes_are_checked_when_the_run_is_set_up():
    with pytest.raises(ValueError, match="on-failure"):
        RunSpec([Glance], trace="sometimes")
    assert RunSpec([Glance], trace="on").trace == "on"


def test_runs_started_in_one_second_get_different_ids():
    # the store refuses a run id it has (exit 4): CI jobs started together drew one of 65,536 suffixes, and a
    # thousand ids in one second collided almost surely; with 32 random bits they collide about once in 8,600 tries
    from workbench.sim.runner import new_run_id

    ids = [new_run_id("run") for _ in range(1000)]
    assert len(set(ids)) == len(ids)
