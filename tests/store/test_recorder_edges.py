"""The recorder at the edges of a run: a run id already stored, events before any run started, one
recorder for two runs, an IP the pipeline let through, and the write-ahead log after a long read."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.conftest import batch, mouse_path
from workbench.errors import WorkbenchError
from workbench.events import (
    BatchReceived,
    ConnectionClosed,
    PacketEmitted,
    RunConfigured,
    RunEnded,
    RunScored,
    RunStarted,
    SessionEnded,
    SessionStarted,
)
from workbench.store import db as store_db
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import Recorder


def rows(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        found = conn.execute(query).fetchall()
    conn.close()
    return found


def scored(run_id: str, session: str, status: str) -> RunScored:
    return RunScored(run_id, "failed" if status == "fail" else "passed", [
        {"session_id": session, "persona": "p", "checks": [
            {"name": "emotion", "status": status, "expected": "calm", "actual": "calm"}]}], {"by": session})


def test_a_second_run_with_a_stored_runs_id_never_writes_into_that_run(tmp_db):
    # two `workbench run`s started in the same second may draw the same id: the second one's events
    # must not end, score or configure the first run
    engine = open_db(tmp_db)
    first, second = Recorder(engine), Recorder(engine)
    first(RunStarted("run_x", "run", "rv", 1, "", "http://x"))
    first(RunConfigured("run_x", "virtual", 1, ["paralysed_buyer"], None, {}))
    first(SessionStarted("sq_a", "org_test", "paralysed_buyer", "rv"))
    first(scored("run_x", "sq_a", "pass"))
    first(RunEnded("run_x", "passed", {"mine": 1}))
    before = {t: rows(tmp_db, f"SELECT * FROM {t} ORDER BY 1") for t in ("run", "run_config", "session", "score",
                                                                          "run_score")}
    with pytest.raises(WorkbenchError, match="run run_x is already stored"):
        second(RunStarted("run_x", "run", "rv", 2, "", "http://x"))
    for event in (RunConfigured("run_x", "real", 4, ["bot_linear"], None, {}),
                  SessionStarted("sq_b", "org_test", "bot_linear", "rv"),
                  scored("run_x", "sq_b", "fail"), RunEnded("run_x", "failed", {"theirs": 1})):
        with pytest.raises(WorkbenchError, match="run_x"):
            second(event)
    assert second.refused == 5 and second.unwritten == 0
    assert {t: rows(tmp_db, f"SELECT * FROM {t} ORDER BY 1") for t in before} == before


def test_events_before_any_run_started_are_refused_by_name_not_as_a_database_error(tmp_db):
    rec = Recorder(open_db(tmp_db))
    packet = {"sessionId": "sq_a", "timestamp": 1.0, "emotion": {"primary": "calm", "confidence": 0.5,
                                                                 "intensity": 0.1, "trajectory": "stable"},
              "spatial": {"currentSection": "main"}}
    for event in (PacketEmitted(packet), BatchReceived("sq_a", "org_test", batch(mouse_path(0, 2), session="sq_a")),
                  ConnectionClosed("sq_a", 5.0), SessionEnded("sq_a", "ended")):
        with pytest.raises(WorkbenchError, match=f"{type(event).__name__} of session sq_a came before its run"):
            rec(event)
    assert rec.refused == 4
    assert rows(tmp_db, "SELECT COUNT(*) FROM packet") == [(0,)]


def test_one_recorder_for_two_runs_gives_the_second_run_its_own_session_rows(tmp_db):
    # a persona's session id follows from its seed: the same seed twice gives the same ids
    engine = open_db(tmp_db)
    rec = Recorder(engine)
    for run_id in ("run_1", "run_2"):
        rec(RunStarted(run_id, "run", "rv", 7, "", "http://x"))
        rec(SessionStarted("sq_same", "org_test", "paralysed_buyer", "rv"))
        rec(BatchReceived("sq_same", "org_test", batch(mouse_path(0, 3), session="sq_same")))
        rec(SessionEnded("sq_same", "ended"))
        rec(RunEnded(run_id, "passed", {}))
    with Session(engine) as db:
        for run_id in ("run_1", "run_2"):
            (row,) = repo.list_sessions(db=db, run_id=run_id)
            assert (row["persona"], row["events"], row["batches"], row["status"]) == (
                "paralysed_buyer", 3, 1, "ended")


def test_an_ip_left_in_a_batch_is_not_stored(tmp_db):
    # section 10.3: the pipeline drops the bridge-injected IP; the store does not rely on it alone
    rec = Recorder(open_db(tmp_db))
    rec(RunStarted("run_1", "serve", "rv", None, "", "http://x"))
    sent = batch(mouse_path(0, 2), session="sq_a", ip="198.51.100.44", clientIp="203.0.113.9",
                 userAgent="Mozilla/5.0")
    rec(BatchReceived("sq_a", "org_test", sent))
    stored = "\n".join(str(r) for t in ("batch", "session") for r in rows(tmp_db, f"SELECT * FROM {t}"))
    assert "198.51.100.44" not in stored and "203.0.113.9" not in stored
    assert sent["ip"] == "198.51.100.44"  # the event is not changed for the other sinks
    assert rows(tmp_db, "SELECT user_agent FROM session") == [("Mozilla/5.0",)]


def test_the_write_ahead_log_gives_its_space_back_after_a_long_read(tmp_db, monkeypatch):
    # `workbench serve` writes for days; a reader (`workbench show`, the TUI) holding one snapshot meanwhile
    # makes the log grow, and it must not keep that size once the reader has gone
    monkeypatch.setattr(store_db, "WAL_SIZE_LIMIT", 1 << 20)
    engine = open_db(tmp_db)
    rec = Recorder(engine)
    rec(RunStarted("run_1", "serve", "rv", None, "", "http://x"))
    big = batch(mouse_path(0, 200), session="sq_a")
    reader = sqlite3.connect(tmp_db)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM batch").fetchall()  # holds its snapshot: no checkpoint gets past it
    for _ in range(400):
        rec(BatchReceived("sq_a", "org_test", big))
    grown = os.path.getsize(f"{tmp_db}-wal")
    assert grown > 12 << 20
    reader.rollback()
    reader.close()
    for _ in range(300):
        rec(BatchReceived("sq_a", "org_test", big))
    # back to what checkpoints every 1,000 pages (4 MiB) keep it at, not the size the reader made it grow to
    assert os.path.getsize(f"{tmp_db}-wal") < 5 << 20
    assert rows(tmp_db, "SELECT COUNT(*) FROM batch") == [(700,)]
