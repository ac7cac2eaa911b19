"""The store under bad conditions: older schemas, several processes at once, a lock held past the busy
timeout, a full disk, junk in stored columns, text that is not UTF-8, a damaged file."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import Session

from tests.conftest import FIXTURES, ROOT, batch, mouse_path
from workbench.errors import StoreError
from workbench.events import (
    BatchReceived,
    BotVerdictEmitted,
    PacketEmitted,
    RunEnded,
    RunStarted,
    SessionEnded,
    SessionStarted,
    SessionTraced,
)
from workbench.store import db as store_db
from workbench.store import repo
from workbench.store.db import StoreDamaged, StoreUnavailable, open_db
from workbench.store.recorder import Recorder

PACKET = json.loads((FIXTURES / "spec" / "11.2-packet.json").read_text())
SID = PACKET["sessionId"]


def stored_run(path: Path, run_id: str = "run_1") -> None:
    """A run as `workbench run` stores it: a session with its batches, a packet, a verdict and a trace."""
    engine = open_db(path)
    rec = Recorder(engine)
    rec(RunStarted(run_id, "run", "rv", 7, "", "http://x"))
    rec(SessionStarted(SID, PACKET["tenantId"], "paralysed_buyer", "rv"))
    rec(BatchReceived(SID, PACKET["tenantId"], batch(mouse_path(1000, 5), session=SID)))
    rec(PacketEmitted(PACKET))
    rec(BotVerdictEmitted({"session_id": SID, "tenant_id": "t", "timestamp": 1.0, "classification": "human",
                           "confidence": 0.8, "reasoning": "r", "signals": ["a"], "event_count": 5}))
    rec(SessionTraced(SID, "paralysed_buyer", 7, 0, "virtual", {"emotions": ["decision_paralysis"]}, 1000.0, 10.0,
                      {"samples": 1}, {"cursor": [[1, 2]]}))
    rec(SessionEnded(SID, "ended"))
    rec(RunEnded(run_id, "ended", {}))
    engine.dispose()


def alter(path: Path, *statements: str, params: tuple = ()) -> None:
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement, params)
    conn.close()


def test_an_older_store_without_columns_that_have_a_default_gains_them_and_keeps_its_rows(tmp_db):
    stored_run(tmp_db)
    # before `trail` and `user_agent` existed: NOT NULL columns, which the store fills with their default
    alter(tmp_db, "ALTER TABLE session_trace DROP COLUMN trail", "ALTER TABLE session DROP COLUMN user_agent")
    engine = open_db(tmp_db, create=False)
    with Session(engine) as db:
        report = repo.run_report(db=db, run_id="run_1")
    assert report is not None
    (session,) = report["sessions"]
    assert (session["session_id"], session["events"], session["trail"], session["user_agent"]) == (SID, 5, {}, "")
    assert session["ground_truth"] == {"emotions": ["decision_paralysis"]}


def test_a_store_without_a_column_that_cannot_be_filled_in_is_refused_by_name_and_left_as_it_was(tmp_db):
    stored_run(tmp_db)
    alter(tmp_db, "ALTER TABLE packet RENAME COLUMN emotion TO primary_emotion")  # another version's schema
    before = tmp_db.read_bytes()
    with pytest.raises(StoreError, match="table packet has no column emotion, which this version needs"):
        open_db(tmp_db, create=False)
    with pytest.raises(StoreError, match="table packet has no column emotion"):
        open_db(tmp_db)
    assert tmp_db.read_bytes() == before


OPEN_AND_WRITE = """
import sys, time
from workbench.events import BatchReceived, RunEnded, RunStarted
from workbench.store.db import open_db
from workbench.store.recorder import Recorder
from tests.conftest import batch, mouse_path
path, run_id, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
while time.time() < start:
    time.sleep(0.001)
rec = Recorder(open_db(path))
rec(RunStarted(run_id, "run", "rv", 1, "", "x"))
for i in range(20):
    rec(BatchReceived(f"s{i % 2}", "org", batch(mouse_path(i * 1000.0, 3), session=f"s{i % 2}")))
rec(RunEnded(run_id, "ended", {}))
"""


def test_processes_that_open_a_new_store_at_once_all_use_it(tmp_db):
    # four `workbench run`s started together on a fresh --db: none may fail on "table run already exists"
    start = f"{time.time() + 3.0:.3f}"
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_AND_WRITE, str(tmp_db), f"run_{i}", start], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err[-600:] for _, err in results]
    with sqlite3.connect(tmp_db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        per_run = dict(conn.execute("SELECT run_id, COUNT(*) FROM batch GROUP BY run_id").fetchall())
    conn.close()
    assert per_run == {f"run_{i}": 20 for i in range(4)}


def test_a_write_refused_by_a_lock_loses_neither_the_event_nor_its_session(tmp_db, monkeypatch, caplog):
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 0.2, raising=False)  # not 5 s of waiting in a test
    engine = open_db(tmp_db)
    rec = Recorder(engine)
    rec(RunStarted("run_1", "serve", "rv", None, "", "http://x"))
    locker = sqlite3.connect(tmp_db, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process writing, past the busy timeout
    with caplog.at_level(logging.ERROR, logger="workbench.store.recorder"):
        rec(SessionStarted("sq_a", "org_test", "paralysed_buyer", "rv"))
        rec(BatchReceived("sq_a", "org_test", batch(mouse_path(0, 4), session="sq_a")))
    assert rec.unwritten == 2 and isinstance(rec.failure, StoreUnavailable)
    assert [r.getMessage().split(";")[0] for r in caplog.records] == [
        f"{tmp_db} is locked: another process has held it for a write for over 0.2 s (database is locked)"]
    assert all(r.exc_info is None for r in caplog.records)  # one line, no traceback
    locker.execute("COMMIT")
    locker.close()
    rec(BatchReceived("sq_a", "org_test", batch(mouse_path(1000, 3), session="sq_a")))
    rec(SessionEnded("sq_a", "ended"))
    assert rec.unwritten == 0 and rec.failure is None
    with Session(engine) as db:
        (row,) = repo.list_sessions(db=db, run_id="run_1")
        assert (row["session_id"], row["persona"], row["events"], row["batches"], row["status"]) == (
            "sq_a", "paralysed_buyer", 7, 2, "ended")
        assert [len(b["events"]) for b in repo.batches(db=db, run_id="run_1")] == [4, 3]  # in order


def test_a_full_disk_keeps_the_events_in_order_until_there_is_room(tmp_db, caplog):
    engine = open_db(tmp_db)
    rec = Recorder(engine)
    rec(RunStarted("run_1", "serve", "rv", None, "", "http://x"))
    rec(SessionStarted("sq_a", "org_test", None, "rv"))

    def full(conn, _record):  # type: ignore[no-untyped-def]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")  # no page more: SQLITE_FULL, as on a full disk

    event.listen(engine, "connect", full)
    engine.dispose()
    big = [batch(mouse_path(i * 10_000.0, 400), session="sq_a") for i in range(3)]
    with caplog.at_level(logging.ERROR, logger="workbench.store.recorder"):
        for b in big:
            rec(BatchReceived("sq_a", "org_test", b))
    assert rec.unwritten == 3 and "the disk is full" in str(rec.failure)
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is None  # said once, not per event
    event.remove(engine, "connect", full)
    engine.dispose()
    rec(SessionEnded("sq_a", "ended"))
    assert rec.unwritten == 0
    with Session(engine) as db:
        assert [b["timestamp"] for b in repo.batches(db=db, run_id="run_1")] == [b["timestamp"] for b in big]
        assert repo.list_sessions(db=db, run_id="run_1")[0]["events"] == 1200


@pytest.mark.parametrize("table, column, junk, says", [
    ("packet", "payload", "not json{", "packet row 1 (run run_1, session %s), column payload is not JSON"),
    ("packet", "payload", "{}", "packet row 1 (run run_1, session %s) is not an EITP packet"),
    ("batch", "payload", "[1, 2]", "batch row 1 (run run_1, session %s), column payload holds a JSON array, not a "
                                   "JSON object"),
    ("bot_verdict", "signals", "oops", "bot_verdict row 1, column signals is not JSON"),
    ("session_trace", "ground_truth", "{bad", "session_trace row 1 (run run_1, session %s), column ground_truth is "
                                              "not JSON"),
    ("run", "started_at", "yesterday", "a row of table run has a started_at or ended_at that is not a time"),
    # SQLite keeps text in a number column: said as damage, not a ValueError or a markup error from rich
    ("run", "seed", "[/]", "run row 'run_1', column seed holds '[/]', not a number"),
    ("session_trace", "simulated_ms", "x", "session_trace row 1 (run run_1, session %s), column simulated_ms holds "
                                           "'x', not a number"),
    ("session_trace", "wall_ms", "x", "session_trace row 1 (run run_1, session %s), column wall_ms holds 'x', not "
                                      "a number"),
])
def test_junk_in_a_stored_column_is_named_with_its_row(table, column, junk, says, tmp_db):
    stored_run(tmp_db)
    alter(tmp_db, f"UPDATE {table} SET {column} = ?", params=(junk,))
    with Session(open_db(tmp_db, create=False)) as db, pytest.raises(StoreDamaged) as raised:
        report = repo.run_report(db=db, run_id="run_1")
        assert report is not None
        repo.stored_telemetry(db=db, run_id="run_1")
    assert str(raised.value).startswith(f"{tmp_db}: {says.replace('%s', SID) if '%s' in says else says}")


def test_text_that_is_not_utf8_reads_with_replacement_characters(tmp_db):
    stored_run(tmp_db)
    alter(tmp_db, "UPDATE session SET persona = CAST(? AS TEXT)", params=(b"buyer \xff\xfe",))
    with Session(open_db(tmp_db, create=False)) as db:
        (row,) = repo.list_sessions(db=db, run_id="run_1")
        report = repo.run_report(db=db, run_id="run_1")
    assert row["persona"] == "buyer \ufffd\ufffd" and report is not None


def test_a_damaged_file_is_said_to_be_damaged(tmp_db):
    stored_run(tmp_db)
    with sqlite3.connect(tmp_db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'batch'").fetchone()[0]
    conn.close()
    with tmp_db.open("r+b") as f:  # the batch table's page, overwritten
        f.seek((root - 1) * page_size)
        f.write(b"\x0d" + b"\xff" * (page_size - 1))
    with Session(open_db(tmp_db, create=False)) as db, pytest.raises(StoreDamaged, match=(
            f"{tmp_db} is damaged \\(database disk image is malformed\\): restore it from a copy")):
        repo.batches(db=db, run_id="run_1")


def test_a_session_a_killed_process_left_running_replays_as_not_carried_out(tmp_db):
    # SIGKILL leaves no "interrupted": the session row keeps "running". The threshold lab must count it as an
    # error (its telemetry stops mid-visit), not score it as a visit that ended. A `workbench serve` visitor
    # (no persona) is never ended by a script: its visit is what it sent
    stored_run(tmp_db)
    rec = Recorder(open_db(tmp_db))
    rec.run_id = "run_1"
    rec(BatchReceived("sq_walk_in", PACKET["tenantId"], batch(mouse_path(1000, 5), session="sq_walk_in")))
    alter(tmp_db, "UPDATE session SET status = 'running'")
    with Session(open_db(tmp_db, create=False)) as db:
        telemetry = repo.stored_telemetry(db=db, run_id="run_1")
    assert telemetry is not None
    assert [(s.persona, s.status) for s in telemetry.sessions] == [("paralysed_buyer", "failed"),
                                                                  ("visitor", "ended")]
    assert "never ended" in (telemetry.sessions[0].error or "")
