"""End to end: the paralysed buyer in real headless Chromium, through producer, bridge, engine and SQLite.

In virtual time (its ~80 s visit takes seconds); `make demo` plays the same persona in real time."""

import pytest
from sqlmodel import Session

from synthetic.personas import ParalysedBuyer
from workbench.events import EventStream
from workbench.protocol.schema import errors
from workbench.protocol.taxonomy import COGNITIVE
from workbench.sim.runner import RunSpec, run
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

pytestmark = pytest.mark.browser

# The issue names hesitation among the cognitive states a paralysed buyer shows.
PARALYSIS_FAMILY = {e.value for e in COGNITIVE} | {"hesitation"}


async def test_paralysed_buyer_produces_stored_schema_valid_cognitive_packets(tmp_db):
    engine = open_db(tmp_db)
    result = await run(RunSpec([ParalysedBuyer], seed=7, kind="test", virtual_time=True),
                       stream=EventStream(Recorder(engine)))
    (outcome,) = result.sessions
    assert outcome.status == "ended", outcome.error

    with Session(engine) as db:
        packets = repo.packets(db=db, run_id=result.run_id)
        batches = repo.batches(db=db, run_id=result.run_id)
        (session,) = repo.list_sessions(db=db, run_id=result.run_id)

    assert len(packets) >= 4, "a ~80 s visit gives one packet per 10 s window"
    for packet in packets:
        assert errors(packet, "packet") == []
    emotions = [p["emotion"]["primary"] for p in packets]
    assert PARALYSIS_FAMILY & set(emotions), f"rules concluded only {emotions}"
    assert session["bot"] == "human" and session["persona"] == "paralysed_buyer"
    assert session["events"] == sum(len(b["events"]) for b in batches) > 500
    # Privacy: the bridge-injected IP never reaches storage or packets (section 10.3).
    assert all("ip" not in b for b in batches)
    assert not any("127.0.0.1" in repr(p) for p in packets)
    # The producer's physics reached the engine: 20 Hz samples with all kinematic fields.
    mouse = [e for b in batches for e in b["events"] if e["type"] == "mouse"]
    assert {"x", "y", "vx", "vy", "ax", "ay", "jx", "jy", "speed", "jerk"} <= set(mouse[0]["data"])
    assert any(e["type"] == "pricing_comparison" for b in batches for e in b["events"])
