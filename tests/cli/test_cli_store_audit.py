"""The commands that read a store, given bad stores and bad run ids: one line naming the file and the
reason, and the documented exit code (2 usage, 4 infrastructure), never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, batch, mouse_path
from workbench.cli.common import ExitCode
from workbench.cli.main import main
from workbench.events import BatchReceived, RunEnded, RunStarted, SessionEnded, SessionStarted
from workbench.store import db as store_db
from workbench.store.db import open_db
from workbench.store.recorder import Recorder


def stored_runs(path: Path, *run_ids: str) -> None:
    engine = open_db(path)
    for run_id in run_ids:
        rec = Recorder(engine)
        rec(RunStarted(run_id, "run", "rv", 7, "", "http://x"))
        rec(SessionStarted(f"sq_{run_id}", "org_test", "paralysed_buyer", "rv"))
        rec(BatchReceived(f"sq_{run_id}", "org_test", batch(mouse_path(1000, 5), session=f"sq_{run_id}")))
        rec(SessionEnded(f"sq_{run_id}", "ended"))
        rec(RunEnded(run_id, "ended", {}))
    engine.dispose()


def one_line(err: str) -> str:
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def test_sessions_of_a_run_that_is_not_stored_is_a_usage_error(tmp_db, capsys):
    stored_runs(tmp_db, "run_a")
    assert main(["sessions", "--db", str(tmp_db), "--run", "run_nope", "--json"]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == "" and "no run 'run_nope' in the database" in one_line(err)
    assert main(["sessions", "--db", str(tmp_db), "--run", "run_a", "--json"]) == ExitCode.OK
    assert '"session_id": "sq_run_a"' in capsys.readouterr().out


def test_a_store_locked_past_the_busy_timeout_is_an_infrastructure_error(tmp_db, monkeypatch, capsys):
    stored_runs(tmp_db, "run_a")
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 0.2, raising=False)
    locker = sqlite3.connect(tmp_db, isolation_level=None)
    locker.execute("PRAGMA journal_mode=DELETE")  # a store a writer holds whole: even reading must wait
    locker.execute("BEGIN EXCLUSIVE")
    try:
        for command in (["runs"], ["sessions"], ["show", "run_a"]):
            assert main([*command, "--db", str(tmp_db)]) == ExitCode.INFRASTRUCTURE
            err = one_line(capsys.readouterr().err)
            assert f"workbench: {tmp_db} is locked: another process has held it for a write for over 0.2 s" in err
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert main(["runs", "--db", str(tmp_db)]) == ExitCode.OK


@pytest.mark.parametrize("command", [["show", "run_a", "--json"], ["rage", "run_a"],  # both read every batch
                                     ["sweep", "run_a", "--vary", "classifier.min_confidence=0.2"]])
def test_junk_in_a_stored_column_is_an_infrastructure_error_naming_it(command, tmp_db, capsys):
    stored_runs(tmp_db, "run_a")
    with sqlite3.connect(tmp_db) as conn:
        conn.execute("UPDATE batch SET payload = 'not json{'")
    conn.close()
    assert main([*command, "--db", str(tmp_db)]) == ExitCode.INFRASTRUCTURE
    err = one_line(capsys.readouterr().err)
    assert f"workbench: {tmp_db}: batch row 1 (run run_a, session sq_run_a), column payload is not JSON" in err


def test_an_older_store_is_read_and_one_this_version_cannot_read_is_refused(tmp_path, capsys):
    older, other = tmp_path / "older.db", tmp_path / "other.db"
    stored_runs(older, "run_a")
    shutil.copy(older, other)
    with sqlite3.connect(older) as conn:
        conn.execute("ALTER TABLE session DROP COLUMN user_agent")  # NOT NULL, with a default
    conn.close()
    with sqlite3.connect(other) as conn:
        conn.execute("ALTER TABLE run RENAME COLUMN kind TO type")  # NOT NULL, no default: cannot be filled in
    conn.close()
    for command in (["sessions"], ["show", "run_a"]):
        assert main([*command, "--db", str(older)]) == ExitCode.OK
        assert "sq_run_a" in capsys.readouterr().out
        assert main([*command, "--db", str(other)]) == ExitCode.USAGE
        assert f"{other} was written by another version of the workbench: its table run has no column kind" in \
            one_line(capsys.readouterr().err)


def test_a_damaged_file_is_an_infrastructure_error(tmp_db, capsys):
    stored_runs(tmp_db, "run_a")
    with sqlite3.connect(tmp_db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'session'").fetchone()[0]
    conn.close()
    with tmp_db.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\x0d" + b"\xff" * (page_size - 1))
    assert main(["sessions", "--db", str(tmp_db)]) == ExitCode.INFRASTRUCTURE
    assert f"workbench: {tmp_db} is damaged (database disk image is malformed)" in one_line(capsys.readouterr().err)


def test_show_refuses_a_report_path_it_cannot_write_before_printing_anything(tmp_db, tmp_path, capsys):
    stored_runs(tmp_db, "run_a")
    assert main(["show", "run_a", "--db", str(tmp_db), "--html", str(tmp_db / "report.html")]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == "" and one_line(err).startswith(f"workbench: --html {tmp_db / 'report.html'}: ")


def test_compare_refuses_a_run_against_itself_however_the_file_is_spelt(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    stored_runs(tmp_path / "wb.db", "run_a")
    for spelt in (["--db", "./wb.db", "--base-db", "wb.db"], ["--base-db", str(tmp_path / "wb.db")]):
        monkeypatch.setenv("WORKBENCH_DB", "wb.db")
        assert main(["compare", "latest", *spelt]) == ExitCode.USAGE
        assert "BASE and RUN are the same run (run_a)" in one_line(capsys.readouterr().err)


def test_an_empty_db_option_is_named(capsys):
    assert main(["runs", "--db", ""]) == ExitCode.USAGE
    assert "workbench: --db is empty: give the path of the SQLite file" in one_line(capsys.readouterr().err)


AS_NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def nobody_can_run_the_workbench() -> bool:
    """Whether user nobody can import the workbench from this checkout (its folders may be closed to others)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return False
    probe = subprocess.run([*AS_NOBODY, sys.executable, "-c", "import workbench.cli.main"], cwd=ROOT,
                           capture_output=True, timeout=60)
    return probe.returncode == 0


@pytest.mark.skipif(not nobody_can_run_the_workbench(),
                    reason="needs root, setpriv, and a checkout user nobody can read, to act as another user")
def test_a_store_in_a_read_only_folder_is_read_and_refused_for_writing():
    # an archived baseline on a read-only mount: reading it must not need to write beside it
    folder = Path(tempfile.mkdtemp(prefix="wb-ro-", dir="/tmp"))
    try:
        stored_runs(folder / "base.db", "run_a")
        folder.chmod(0o555)
        (folder / "base.db").chmod(0o444)

        def workbench(*argv: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([*AS_NOBODY, sys.executable, "-m", "workbench.cli.main", *argv], cwd=ROOT,
                                  capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": "/tmp"})

        for command in (["runs"], ["sessions", "--run", "run_a"], ["show", "run_a", "--json"]):
            done = workbench(*command, "--db", str(folder / "base.db"))
            assert done.returncode == ExitCode.OK and "run_a" in done.stdout, done.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["base.db"]  # nothing written beside it
        done = workbench("serve", "--port", "0", "--db", str(folder / "new.db"))
        assert done.returncode == ExitCode.USAGE and "Traceback" not in done.stderr
        assert f"cannot write to {folder / 'new.db'}: its folder {folder} is read-only" in done.stderr
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_stored_text_that_looks_like_markup_is_printed_as_it_is(tmp_path, capsys):
    # A persona, page section or Seer message holding rich markup raised MarkupError ('[/]') in the
    # listings, or turned ':warning:' into a symbol in show's table of interventions
    from workbench.events import InterventionSent

    path = tmp_path / "wb.db"
    rec = Recorder(open_db(path))
    rec(RunStarted("run_m", "run", "rv", 7, "", "http://x"))
    rec(SessionStarted("sq_markup", "org_test", "[/]odd", "rv"))
    rec(BatchReceived("sq_markup", "org_test", batch(mouse_path(1000, 5), session="sq_markup")))
    rec(InterventionSent("sq_markup", 1200.0, "frustration", "[bold]pricing", "empathy", "Hi :warning: [/] there",
                         "template"))
    rec(SessionEnded("sq_markup", "ended"))
    rec(RunEnded("run_m", "ended", {}))
    assert main(["sessions", "--db", str(path)]) == ExitCode.OK
    assert "[/]odd" in capsys.readouterr().out
    assert main(["show", "run_m", "--db", str(path)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "[bold]pricing" in out and "Hi :warning: [/] there" in " ".join(out.split())


def test_stored_text_with_terminal_escape_codes_reaches_the_terminal_without_them(tmp_path, capsys):
    # A persona or page section holding ESC sequences retitled or cleared the operator's terminal through
    # `workbench sessions` and `show` (the TUI and the live printer already replace control characters)
    from workbench.events import InterventionSent

    path = tmp_path / "wb.db"
    rec = Recorder(open_db(path))
    rec(RunStarted("run_e", "run", "rv", 7, "", "http://x"))
    rec(SessionStarted("sq_esc", "org_test", "buyer\x1b]0;owned\x07", "rv"))
    rec(BatchReceived("sq_esc", "org_test", batch(mouse_path(1000, 5), session="sq_esc")))
    rec(InterventionSent("sq_esc", 1200.0, "frustration", "pricing\x1b[2J", "empathy", "Hi", "template"))
    rec(SessionEnded("sq_esc", "ended"))
    rec(RunEnded("run_e", "ended", {}))
    assert main(["sessions", "--db", str(path)]) == ExitCode.OK
    assert main(["show", "run_e", "--db", str(path)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "buyer\ufffd]0;owned\ufffd" in out and "pricing\ufffd[2J" in out


def test_sessions_limit_lists_the_newest_oldest_first_and_says_how_many_there_are(tmp_db, capsys):
    stored_runs(tmp_db, "run_a", "run_b", "run_c")
    assert main(["sessions", "--db", str(tmp_db), "--limit", "2", "--json"]) == ExitCode.OK
    out, err = capsys.readouterr()
    assert [s["session_id"] for s in json.loads(out)] == ["sq_run_b", "sq_run_c"]
    assert err == "the newest 2 of 3 sessions (--limit 3 lists them all)\n"
    assert main(["sessions", "--db", str(tmp_db), "--run", "run_a", "--limit", "2", "--json"]) == ExitCode.OK
    out, err = capsys.readouterr()
    assert [s["session_id"] for s in json.loads(out)] == ["sq_run_a"] and err == ""
    assert main(["sessions", "--db", str(tmp_db), "--json"]) == ExitCode.OK  # no --limit: every one, oldest first
    assert [s["session_id"] for s in json.loads(capsys.readouterr().out)] == ["sq_run_a", "sq_run_b", "sq_run_c"]


def test_a_report_the_disk_cannot_take_on_show_is_an_infrastructure_error(tmp_db, capsys):
    # /dev/full passes the check before reading (it can be opened for writing), then fails with ENOSPC: that is
    # the machine's trouble (exit 4), as in `workbench run`, not a wrong argument (exit 2)
    stored_runs(tmp_db, "run_a")
    assert main(["show", "run_a", "--db", str(tmp_db), "--junit", "/dev/full"]) == ExitCode.INFRASTRUCTURE
    err = capsys.readouterr().err
    assert "cannot write the JUnit report to /dev/full: No space left on device" in one_line(err)
