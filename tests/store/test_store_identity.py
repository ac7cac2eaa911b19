"""What is taken for a store, and which file is opened: a database that only shares a table name
with the store, a store with a column another version added, a path SQLAlchemy would read as a URL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from workbench.errors import StoreError
from workbench.events import RunStarted
from workbench.store import repo
from workbench.store.db import open_db
from workbench.store.recorder import EventRefused, Recorder


@pytest.mark.parametrize("tables, named", [
    # a web application's sessions: one table named like one of ours
    (["CREATE TABLE session (id INTEGER PRIMARY KEY, user TEXT, token TEXT)",
      "INSERT INTO session VALUES (1, 'alice', 'abc')"], "session"),
    # a CI system's jobs: ``run`` with an ``id`` is a common table, and no other table of ours is there
    (["CREATE TABLE run (id INTEGER PRIMARY KEY, job TEXT, started TEXT)",
      "CREATE TABLE job (id INTEGER PRIMARY KEY, name TEXT)"], "job, run"),
])
def test_another_applications_database_is_refused_and_left_untouched(tables: list[str], named: str,
                                                                      tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as conn:
        for statement in tables:
            conn.execute(statement)
    conn.close()
    before = path.read_bytes()
    for create in (False, True):
        with pytest.raises(StoreError, match=rf"another application's SQLite database \(tables {named}\)"):
            open_db(path, create=create)
    assert path.read_bytes() == before  # not switched to WAL, no tables added
    assert not Path(f"{path}-wal").exists()


def _with_extra_column(path: Path) -> None:
    """The store as a newer version might leave it: its run table has a NOT NULL column without default."""
    open_db(path).dispose()
    with sqlite3.connect(path) as conn:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'run'").fetchone()[0]
        assert "PRIMARY KEY (id)" in sql
        newer = sql.replace("PRIMARY KEY (id)", "tags VARCHAR NOT NULL, PRIMARY KEY (id)")
        conn.executescript(f"DROP TABLE run; {newer};")


def test_a_newer_versions_column_is_refused_where_runs_are_written_but_still_read(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    _with_extra_column(path)
    with pytest.raises(StoreError, match="column tags this version does not know"):
        open_db(path)
    reader = open_db(path, create=False)  # show, runs, sessions: nothing of theirs needs the column
    with Session(reader) as db:
        assert repo.latest_run_id(db=db) is None
    reader.dispose()


def test_a_failed_insert_is_called_a_taken_id_only_when_it_is_one(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    engine = open_db(path)
    Recorder(engine)(RunStarted("run_a", "run", "rv", 1, "", ""))
    with pytest.raises(EventRefused, match="already stored"):
        Recorder(engine)(RunStarted("run_a", "run", "rv", 1, "", ""))
    _with_extra_column(path)  # changed under the open engine: the next insert breaks a NOT NULL rule
    with pytest.raises(IntegrityError, match="NOT NULL constraint failed: run.tags"):
        Recorder(engine)(RunStarted("run_b", "run", "rv", 1, "", ""))
    engine.dispose()


def test_a_question_mark_in_the_path_opens_that_file(tmp_path: Path) -> None:
    path = tmp_path / "r?x.db"
    engine = open_db(path)
    Recorder(engine)(RunStarted("run_q", "run", "rv", 1, "", ""))
    engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["r?x.db"]
    with Session(open_db(path, create=False)) as db:
        assert repo.latest_run_id(db=db) == "run_q"
