"""Visits as long as production measured (section 6: converting decision_paralysis sessions averaged
38.9 min) in real headless Chromium under virtual time: each one session from start to end, scored,
and sampled true, while another runs beside it on a page clock of its own."""

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


async def test_39_minute_visits_run_in_virtual_time_each_as_one_session_holding_its_ground_truth(tmp_db):
    engine = open_db(tmp_db)
    result = await run(RunSpec([LongVisitBuyer] * 2, seed=3, virtual_time=True, concurrency=2),
                       stream=EventStream(Recorder(engine)))
    assert [s.status for s in result.sessions] == ["ended", "ended"], [s.error for s in result.sessions]
    with Session(engine) as db:
        verdicts = [(v.session_id, v.classification) for v in repo.bot_verdicts(db=db, run_id=result.run_id)]
    assert result.score is not None
    for s, score in zip(result.sessions, result.score.sessions, strict=True):
        assert s.clock == "virtual" and s.simulated_ms >= LongVisitBuyer.session_ms
        # trips to other tabs of 1.5-3.5 min each came back as long returns, and the visit went on
        assert s.event_types["long_tab_return"] >= 5 and s.event_types["tab_switch"] >= 10
        # one visit throughout: no quiet stretch reached the 5 min session timeout and the other page's
        # clock, minutes ahead or behind, timed nothing out, so the engine never ended the visit halfway
        # (each visit gets a bot verdict of its own, after a wait with no packets)
        assert [c for sid, c in verdicts if sid == s.session_id] == ["human"], verdicts
        assert score.verdict == "pass", score.checks
        assert s.fidelity.samples > 1000 and s.fidelity.median_px < 0.5 and s.fidelity.p95_px < 1.5, s.fidelity
