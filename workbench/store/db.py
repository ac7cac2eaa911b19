"""Opening the SQLite file: one engine per path, tables created on first use.

A file written by an older workbench gains the nullable columns added since (``ALTER TABLE ...
ADD COLUMN``), so ``workbench show`` still reads old runs; their new columns are empty.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel, create_engine

from workbench.errors import StoreError
from workbench.store import models  # noqa: F401  (registers the tables)

DEFAULT_DB = "workbench.db"


def default_path() -> Path:
    """``$WORKBENCH_DB`` if set, else ``workbench.db`` in the current directory."""
    return Path(os.environ.get("WORKBENCH_DB", DEFAULT_DB))


def open_db(path: str | Path | None = None, *, create: bool = True) -> Engine:
    """The store at ``path`` (default :func:`default_path`), created with its folder when missing,
    unless ``create`` is false (the commands that only read: a mistyped ``--db`` must not leave an
    empty store behind and report "no runs").

    Raises :class:`~workbench.errors.StoreError` naming the file and the reason when it cannot be
    opened as one: missing or without the workbench's tables (with ``create=False``), another
    application's SQLite database (left untouched), not an SQLite file, a directory, a folder that
    cannot be created or written.
    """
    path = Path(path) if path is not None else default_path()
    if not create and not path.exists():
        raise StoreError(f"no workbench store at {path}: nothing has been stored there yet "
                         "(give the --db a run was stored in, or run `workbench demo` first)")
    try:
        _refuse_a_foreign_database(path, create=create)
        return _open(path)
    except (OSError, SQLAlchemyError, sqlite3.DatabaseError) as exc:
        reason = getattr(exc, "orig", None) or getattr(exc, "strerror", None) or exc
        if path.is_dir():
            reason = "it is a directory"
        raise StoreError(f"cannot open {path} as the workbench's SQLite store: {reason}") from exc


def _refuse_a_foreign_database(path: Path, *, create: bool) -> None:
    """Read the file's table names without writing to it (opening it for the store switches its journal
    to WAL and adds tables): another application's database is not made a store, and a command that
    only reads finds nothing to read in a file with none of the store's tables."""
    if not path.is_file():
        return
    with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if names & set(SQLModel.metadata.tables):
        return
    if names:
        shown = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
        raise StoreError(f"{path} is another application's SQLite database (tables {shown}), not a workbench "
                         "store: give the --db a run was stored in, or a new file")
    if not create:
        raise StoreError(f"no workbench store at {path}: the file holds no workbench tables "
                         "(give the --db a run was stored in, or run `workbench demo` first)")


def _open(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
        cur = conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    SQLModel.metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    have = inspect(engine)
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            present = {c["name"] for c in have.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present and column.nullable and not column.primary_key:
                    kind = column.type.compile(dialect=engine.dialect)
                    conn.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
