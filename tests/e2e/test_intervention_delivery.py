"""The personas that expect an intervention stay on the page until Seer's reaches them: the section 8.2 bot
wait (3 batches / ~30 s) holds a visit's packets, so one that ends sooner gets Seer's answer only after its
page is gone ("undelivered"), which no longer counts (workbench.scoring). Each session's verdict, given as
it ends for the live view, is the one the run scores it with."""

from __future__ import annotations

import pytest

from synthetic.personas import ConfusedVisitor, ExitIntentVisitor, FrustratedBuyer
from workbench.events import EventStream, RunEvent, SessionEnded
from workbench.sim.runner import RunSpec, run

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_the_short_personas_that_expect_an_intervention_receive_it_on_the_page():
    ended: dict[str, str | None] = {}

    def on(event: RunEvent) -> None:
        if isinstance(event, SessionEnded):
            ended[event.session_id] = event.verdict

    result = await run(RunSpec([ExitIntentVisitor, FrustratedBuyer, ConfusedVisitor], seed=5, virtual_time=True,
                               concurrency=3), stream=EventStream(on))
    assert result.score is not None and result.pipeline is not None
    for s, score in zip(result.sessions, result.score.sessions, strict=True):
        assert s.status == "ended", (s.persona, s.error)
        frames = result.pipeline.interventions_delivered(s.session_id)  # MSG frames the bridge sent the page
        assert frames >= 1 and s.interventions == frames, (s.persona, frames, s.interventions, s.undelivered)
        assert score.check("intervention").status == "pass", (s.persona, score.check("intervention"))
        assert ended[s.session_id] == score.verdict
