"""The SQLite recorder on a real file: rows for runs, sessions, batches, packets and verdicts."""

import json

from sqlmodel import Session

from tests.conftest import FIXTURES, batch, mouse_path
from workbench.cli.main import main
from workbench.events import (
    BatchReceived,
    BotVerdictEmitted,
    PacketEmitted,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
)
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import Recorder

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())


def test_recorder_writes_what_a_run_saw(tmp_db, capsys):
    engine = open_db(tmp_db)
    rec = Recorder(engine)
    sid = PACKET["sessionId"]
    rec(RunStarted("run_1", "demo", "rv", 7, "", "http://x"))
    rec(SessionStarted(sid, PACKET["tenantId"], "paralysed_buyer", "rv"))
    rec(BatchReceived(sid, PACKET["tenantId"], batch(mouse_path(1000, 5), session=sid)))
    rec(BatchReceived(sid, PACKET["tenantId"], batch(mouse_path(4000, 3), session=sid)))
    rec(PacketEmitted(PACKET))
    rec(BotVerdictEmitted({"session_id": sid, "tenant_id": "t", "timestamp": 1.0, "classification": "human",
                           "confidence": 0.8, "reasoning": "r", "signals": [], "event_count": 8}))
    rec(SessionEnded(sid, "ended"))
    rec(RunEnded("run_1", "ended", {"ok": True}))
    # a visitor nobody announced (workbench serve): created on first batch
    rec(BatchReceived("sq_walk_in", "org_x", batch(mouse_path(1, 2), session="sq_walk_in")))

    with Session(engine) as db:
        (row, walk_in) = repo.list_sessions(db=db, run_id="run_1")
        assert row["events"] == 8 and row["batches"] == 2 and row["packets"] == 1
        assert row["last_emotion"] == "decision_paralysis" and row["bot"] == "human" and row["status"] == "ended"
        assert walk_in["session_id"] == "sq_walk_in" and walk_in["events"] == 2
        assert repo.packets(db=db, run_id="run_1") == [PACKET]
        assert len(repo.batches(db=db, run_id="run_1", session_id=sid)) == 2
        assert repo.list_runs(db=db)[0]["status"] == "ended"

    assert main(["sessions", "--db", str(tmp_db), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {s["session_id"] for s in listed} == {sid, "sq_walk_in"}
    assert main(["runs", "--db", str(tmp_db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == "run_1"
