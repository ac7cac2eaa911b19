"""A visit as long as production measured (section 6: 38.9 min for decision_paralysis) in real
headless Chromium under virtual time: one session from start to end, scored, and sampled true."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from synthetic.personas import LongVisitBuyer
from workbench.events import EventStream
from workbench.sim.runner import RunSpec, run
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

pytestmark = pytest.mark.browser


async def test_a_39_minute_visit_runs_in_virtual_time_as_one_session_and_holds_its_ground_truth(tmp_db):
    engine = open_db(tmp_db)
    result = await run(RunSpec([LongVisitBuyer], seed=3, virtual_time=True), stream=EventStream(Recorder(engine)))
    (s,) = result.sessions
    assert s.status == "ended", s.error
    assert s.clock == "virtual" and s.simulated_ms >= LongVisitBuyer.session_ms
    # trips to other tabs of 1.5-3.5 min each came back as long returns, and the visit went on
    assert s.event_types["long_tab_return"] >= 5 and s.event_types["tab_switch"] >= 10
    # one visit throughout: no quiet stretch reached the 5 min session timeout, so the engine never ended
    # it halfway (each visit gets its own bot verdict, after a wait with no packets)
    with Session(engine) as db:
        verdicts = repo.bot_verdicts(db=db, run_id=result.run_id)
    assert [v.classification for v in verdicts] == ["human"], [(v.classification, v.timestamp) for v in verdicts]
    assert s.packets >= 25, s.packets  # production counted 25.1 emotional events in such a session
    assert result.score is not None and result.score.sessions[0].verdict == "pass", result.score.sessions[0].checks
    assert s.fidelity.samples > 1000 and s.fidelity.median_px < 0.5 and s.fidelity.p95_px < 1.5, s.fidelity
