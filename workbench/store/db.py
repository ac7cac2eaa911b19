"""Opening the SQLite file: one engine per path, tables created on first use.

A file written by an older workbench gains the columns added since (``ALTER TABLE ... ADD
COLUMN``: nullable ones empty, the others with their default), so ``workbench show`` still reads
old runs. A column this version needs and cannot fill in (renamed or dropped by another version)
is refused with its name, before any query; so is, for the commands that write, a column another
version added that an insert from this one cannot fill. A file is taken for a store by its ``run``
table and its other tables' ``run_id``, not by one table name. The schema is checked without
writing and changed only under SQLite's write lock (``BEGIN IMMEDIATE``), so processes that open
a new file at once do not race to create its tables.

What goes wrong with the file later is said in one line naming it, never as a traceback:

- :class:`~workbench.errors.StoreError` (exit 2, a ``--db`` that cannot be used as given): not an
  SQLite file, another application's database, a directory, missing (for the commands that only
  read), read-only where the command writes, a schema this version cannot read.
- :class:`StoreUnavailable` (exit 4, infrastructure): locked by another process for longer than
  the busy timeout, a full disk, an I/O error; :class:`StoreDamaged` (exit 4): a damaged file, or
  rows the workbench did not write (junk JSON in a stored column).

Text that is not UTF-8 is read with U+FFFD in place of its bad bytes. A store in a read-only
folder (an archived baseline) is still read by the commands that only read.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect, literal, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import SQLModel, create_engine

from workbench.errors import StoreError, WorkbenchError
from workbench.store import models  # noqa: F401  (registers the tables)

DEFAULT_DB = "workbench.db"
#: how long a connection waits for another process's write lock before giving up (SQLite's busy timeout)
BUSY_TIMEOUT_S = 5.0
#: the size (bytes) the write-ahead log is cut back to once a checkpoint has emptied it. SQLite otherwise keeps
#: the file at its largest: a reader holding one snapshot while ``workbench serve`` writes lets it grow to
#: gigabytes, which a long-lived process would never give back
WAL_SIZE_LIMIT = 64 << 20


class StoreUnavailable(WorkbenchError):
    """The store is a workbench store but cannot be used now: another process has held it locked for
    longer than the busy timeout, the disk is full, the file system reports an I/O error. The CLI
    exits 4 (infrastructure), as for a bus it cannot reach."""


class StoreDamaged(StoreUnavailable):
    """The store's file is damaged, or holds rows the workbench did not write (a stored JSON column that
    is not JSON, or not the JSON the workbench writes there). Exit 4."""


def default_path() -> Path:
    """``$WORKBENCH_DB`` if set (and not empty), else ``workbench.db`` in the current directory."""
    return Path(os.environ.get("WORKBENCH_DB") or DEFAULT_DB)


def open_db(path: str | Path | None = None, *, create: bool = True) -> Engine:
    """The store at ``path`` (default :func:`default_path`), created with its folder when missing,
    unless ``create`` is false (the commands that only read: a mistyped ``--db`` must not leave an
    empty store behind and report "no runs").

    Raises :class:`~workbench.errors.StoreError` naming the file and the reason when it cannot be
    opened as one: missing or without the workbench's tables (with ``create=False``), another
    application's SQLite database (left untouched), not an SQLite file, a directory, a folder that
    cannot be created or written, a file or folder that is read-only (with ``create``), a schema this
    version cannot read. :class:`StoreUnavailable` when it is locked, on a full disk or unreadable;
    :class:`StoreDamaged` when it is damaged. Every later SQLite error on the engine is raised as one
    of these three, naming the file.
    """
    if path is not None and not str(path).strip():
        raise StoreError("--db is empty: give the path of the SQLite file (or leave --db out for ./workbench.db)")
    path = Path(path) if path is not None else default_path()
    try:
        if not create and not path.exists():
            raise StoreError(f"no workbench store at {path}: nothing has been stored there yet "
                             "(give the --db a run was stored in, or run `workbench demo` first)")
        if path.is_dir():
            raise StoreError(f"cannot open {path} as the workbench's SQLite store: it is a directory")
        if create:
            _refuse_a_read_only_place(path)
        _refuse_a_foreign_database(path, create=create)
        return _open(path, read_only=not create and _read_only_here(path), writes=create)
    except WorkbenchError:
        raise
    except (OSError, SQLAlchemyError, sqlite3.Error) as exc:
        reason = getattr(exc, "orig", None) or getattr(exc, "strerror", None) or exc
        if (failure := store_failure(exc, path)) is not None and not isinstance(failure, StoreError):
            raise failure from exc
        raise StoreError(f"cannot open {path} as the workbench's SQLite store: {reason}") from exc


def store_failure(exc: BaseException, path: str | Path) -> WorkbenchError | None:
    """The workbench's error for an SQLite error on the store at ``path`` (None: not one SQLite reports
    about the file, such as a mistake in a query, which stays a bug of ours)."""
    orig = getattr(exc, "orig", None) or exc
    if not isinstance(orig, sqlite3.Error):
        return None
    name = getattr(orig, "sqlite_errorname", "") or ""
    why = str(orig)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in why:
        return StoreUnavailable(f"{path} is locked: another process has held it for a write for over "
                                f"{BUSY_TIMEOUT_S:g} s ({why}); try again when that process has finished")
    if name.startswith("SQLITE_FULL"):
        return StoreUnavailable(f"cannot write to {path}: the disk is full ({why}); free some space and try again")
    if name.startswith("SQLITE_IOERR"):
        return StoreUnavailable(f"cannot read or write {path}: the file system reports an I/O error ({why})")
    if name.startswith("SQLITE_CORRUPT"):
        return StoreDamaged(f"{path} is damaged ({why}): restore it from a copy; `sqlite3 {path} .recover` "
                            "may save its rows")
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CANTOPEN")):
        return StoreError(f"cannot open {path} as the workbench's SQLite store: {why}")
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")):
        return StoreError(f"cannot write to {path}: {why} (the file or its folder is read-only to this user; "
                          "give a --db in a folder you can write)")
    if why.startswith(("no such table", "no such column")) or "has no column named" in why:
        return StoreError(f"{path} was written by another version of the workbench: {why}")
    return None


def _refuse_a_read_only_place(path: Path) -> None:
    """A store that will be written must be writable, and so must its folder (SQLite keeps its WAL and
    shared-memory files beside it): said now, not at the first write of a long run."""
    if path.is_file() and not os.access(path, os.W_OK):
        raise StoreError(f"cannot write to {path}: the file is read-only to this user "
                         "(give a --db you can write, or a new file)")
    folder = _existing_folder(path)
    if folder is not None and not _writable_folder(folder):
        raise StoreError(f"cannot write to {path}: its folder {folder} is read-only to this user, and SQLite "
                         "writes its journal beside the file (give a --db in a folder you can write)")


def _existing_folder(path: Path) -> Path | None:
    """The folder that holds ``path``, or the nearest one that exists (where a missing folder would be made)."""
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder if folder.is_dir() else None


def _writable_folder(folder: Path) -> bool:
    """Whether this process can make files in ``folder`` (SQLite's journal, WAL and shared memory)."""
    return os.access(folder, os.W_OK | os.X_OK)


def _read_only_here(path: Path) -> bool:
    """Whether this process cannot write the store's file or its folder: it is then opened read-only."""
    return path.is_file() and not (os.access(path, os.W_OK) and _writable_folder(path.absolute().parent))


def _read_only_uri(path: Path) -> str:
    """A read-only URI for the file. In a folder this process cannot write, a store in WAL mode can be read
    only as immutable (SQLite cannot make its shared-memory file); that is safe when no write-ahead log is
    waiting beside it, since nobody could write one there."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    wal = Path(f"{path}-wal")
    if not _writable_folder(path.absolute().parent) and not Path(f"{path}-shm").exists() and \
            (not wal.exists() or wal.stat().st_size == 0):
        uri += "&immutable=1"
    return uri


def _refuse_a_foreign_database(path: Path, *, create: bool) -> None:
    """Read the file's table names without writing to it (opening it for the store switches its journal
    to WAL and adds tables): another application's database is not made a store, and a command that
    only reads finds nothing to read in a file with none of the store's tables."""
    if not path.is_file():
        return
    with contextlib.closing(sqlite3.connect(_read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_S)) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = names & set(SQLModel.metadata.tables)
        columns = {t: {row[1] for row in conn.execute(f'PRAGMA table_info("{t}")')} for t in ours}
    # What every version of the store has had: a run table with an id, and other tables of ours, each with a
    # run_id. A table named like one of ours (``session``, or ``run`` as a CI system's jobs) is not enough.
    others = ours - {"run"}
    if "id" in columns.get("run", ()) and others and all("run_id" in columns[t] for t in others):
        return
    if names:
        shown = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
        raise StoreError(f"{path} is another application's SQLite database (tables {shown}), not a workbench "
                         "store: give the --db a run was stored in, or a new file")
    if not create:
        raise StoreError(f"no workbench store at {path}: the file holds no workbench tables "
                         "(give the --db a run was stored in, or run `workbench demo` first)")


def _text(data: bytes) -> str:
    """Stored text as str: bytes that are not UTF-8 (written by another program) read as U+FFFD."""
    return data.decode("utf-8", "replace")


def _open(path: Path, *, read_only: bool = False, writes: bool = True) -> Engine:
    # Both open the file through a creator: the URL only names it in errors, since SQLAlchemy would read a
    # ``?`` in the path as the start of a query string and open another file.
    if read_only:
        engine = create_engine(f"sqlite:///{path}", creator=lambda: sqlite3.connect(
            _read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False))
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(f"sqlite:///{path}", creator=lambda: sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, check_same_thread=False))

    @event.listens_for(engine, "connect")
    def _pragmas(conn, _record):  # type: ignore[no-untyped-def]
        conn.text_factory = _text
        if read_only:
            return
        cur = conn.cursor()
        _use_wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA journal_size_limit={int(WAL_SIZE_LIMIT)}")
        cur.close()

    @event.listens_for(engine, "handle_error")
    def _say_what_went_wrong(context):  # type: ignore[no-untyped-def]
        failure = store_failure(context.original_exception, path)
        if failure is not None:
            raise failure from context.original_exception

    try:
        _ensure_schema(engine, path, read_only=read_only, writes=writes)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _use_wal(cur: sqlite3.Cursor) -> None:
    """Switch the file to WAL (once: SQLite keeps the mode in the file). The switch needs the file to
    itself; while another process opening a new store at the same moment holds it, this connection goes
    on in the journal mode it found, and the next one to open the store makes the switch."""
    if str(cur.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal":
        return
    with contextlib.suppress(sqlite3.OperationalError):
        cur.execute("PRAGMA journal_mode=WAL")


def _ensure_schema(engine: Engine, path: Path, *, read_only: bool, writes: bool) -> None:
    """Create what is missing, under the write lock, checking again once it is held (another process may
    have created it meanwhile); a store that is up to date is only read."""
    with engine.connect() as conn:
        tables, columns = _gaps(conn, path, writes=writes)
    if not tables and not columns:
        return
    if read_only:
        lacking = [f"table {t}" for t in tables] + [f"column {t}.{c}" for t, c, _ in columns]
        raise StoreError(f"{path} was written by an older workbench and lacks {', '.join(lacking)}; it is "
                         "read-only here, so it cannot be brought up to date: copy it to a folder you can write "
                         "and give --db the copy")
    with engine.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # waits up to the busy timeout for another writer
        tables, columns = _gaps(conn, path, writes=writes)
        if tables:
            SQLModel.metadata.create_all(conn)
        for _table, _column, statement in columns:
            conn.execute(text(statement))
        conn.commit()
        with contextlib.suppress(SQLAlchemyError, WorkbenchError):  # if this connection found it busy
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")


def _gaps(conn: Connection, path: Path, *, writes: bool) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The store's missing tables, and its tables' missing columns as (table, column, ``ALTER TABLE``
    statement adding it): nullable ones empty, the others with their default. A column with neither
    cannot be filled in: :class:`StoreError` names it. So does, for a command that ``writes``, a column
    another version added that has neither (every insert from this version would fail on it)."""
    have = inspect(conn)
    present_tables = set(have.get_table_names())
    tables = [t for t in SQLModel.metadata.tables if t not in present_tables]
    columns: list[tuple[str, str, str]] = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name not in present_tables:
            continue
        found = have.get_columns(table.name)
        present = {c["name"] for c in found}
        for column in table.columns:
            if column.name in present:
                continue
            add = f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {column.type.compile(dialect=conn.dialect)}'
            default: Any = column.default
            if column.nullable and not column.primary_key:
                columns.append((table.name, column.name, add))
            elif default is not None and default.is_scalar and not column.primary_key:
                value = literal(default.arg, column.type).compile(dialect=conn.dialect,
                                                                  compile_kwargs={"literal_binds": True})
                columns.append((table.name, column.name, f"{add} NOT NULL DEFAULT {value}"))
            else:
                raise StoreError(f"{path} was written by another version of the workbench: its table {table.name} "
                                 f"has no column {column.name}, which this version needs and cannot fill in "
                                 f"(it has {', '.join(sorted(present))}); read it with the version that wrote "
                                 "it, and store new runs in another --db")
        for extra in found if writes else ():  # a newer version's column, which no insert from this one fills
            if extra["name"] not in table.columns and not extra["nullable"] and extra["default"] is None:
                raise StoreError(f"{path} was written by another version of the workbench: its table {table.name} "
                                 f"has a column {extra['name']} this version does not know and cannot fill in; "
                                 "read it with the version that wrote it, and store new runs in another --db")
    return tables, columns
