"""An intervention Seer decided after the page was gone ("undelivered") is none the visit got: the runner's
tally leaves it out of the session's count, and the intervention check says how many there were. The run's
seed reaches Seer, so the same seed says the same (workbench.consumer.seer)."""

from __future__ import annotations

import pytest

from synthetic.personas import FrustratedBuyer
from workbench import scoring
from workbench.consumer.seer import UNDELIVERED
from workbench.events import InterventionOutcome, InterventionSent
from workbench.sim import runner
from workbench.sim.runner import RunSpec, SessionOutcome, _Tally

TRUTH = scoring.GroundTruth.of(FrustratedBuyer)


def sent(sid: str, at: float, message: str) -> InterventionSent:
    return InterventionSent(sid, at, "frustration", "hero", "offer_help", message, "template")


def tally_of(*events: object) -> SessionOutcome:
    tally = _Tally()
    outcome = tally.by_session["sq_1_a"] = SessionOutcome("sq_1_a", "frustrated_buyer", status="ended",
                                                          interventions=0)
    outcome.emotions["frustration"] += 1
    outcome.event_types.update({"rage_click": 1, "direction_changes": 1, "click": 1})
    for event in events:
        tally(event)  # type: ignore[arg-type]
    return outcome


def test_an_intervention_decided_after_the_page_closed_is_not_counted_as_received():
    # as the pipeline reports one: announced, then settled at once in the same handler
    outcome = tally_of(sent("sq_1_a", 20_000, "Need a hand?"),
                       InterventionOutcome("sq_1_a", 20_000, "offer_help", UNDELIVERED))
    assert (outcome.interventions, outcome.undelivered, outcome.intervention_messages) == (0, 1, [])
    check = scoring.score_session(TRUTH, outcome.observation()).check("intervention")
    assert check.status == scoring.FAIL
    assert check.actual == "0 intervention(s); 1 more decided after the page closed (undelivered)"


def test_one_the_page_received_still_counts_beside_a_late_one():
    outcome = tally_of(sent("sq_1_a", 20_000, "Need a hand?"),
                       InterventionOutcome("sq_1_a", 20_000, "offer_help", "left"),  # settled later: it was seen
                       sent("sq_1_a", 95_000, "Still looking?"),
                       InterventionOutcome("sq_1_a", 95_000, "offer_help", UNDELIVERED))
    assert (outcome.interventions, outcome.undelivered, outcome.intervention_messages) == (1, 1, ["Need a hand?"])
    check = scoring.score_session(TRUTH, outcome.observation()).check("intervention")
    assert check.status == scoring.PASS
    assert check.actual == "1 intervention(s); 1 more decided after the page closed (undelivered)"


def test_scoring_judges_only_the_interventions_the_page_could_receive():
    seen = scoring.Observation("s", "frustrated_buyer", "ended", emotions=("frustration",),
                               signals=frozenset({"rage_click", "direction_changes", "click"}),
                               interventions=0, undelivered=2)
    assert scoring.score_session(TRUTH, seen).check("intervention").status == scoring.FAIL
    calm = scoring.GroundTruth("calm", frozenset({"curiosity"}))  # expects none: a late one reached nobody
    quiet = scoring.Observation("s", "calm", "ended", emotions=("curiosity",), interventions=0, undelivered=1)
    assert scoring.score_session(calm, quiet).check("intervention").status == scoring.PASS


class _Built(Exception):
    pass


async def test_the_run_seed_reaches_seer(monkeypatch):
    built: dict[str, object] = {}

    def pipeline(*args: object, **kwargs: object) -> None:
        built.update(kwargs)
        raise _Built  # nothing more is needed of the run

    monkeypatch.setattr(runner, "Pipeline", pipeline)
    with pytest.raises(_Built):
        await runner.run(RunSpec([FrustratedBuyer], seed=13, virtual_time=True))
    assert built.get("seed") == 13
