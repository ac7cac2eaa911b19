"""Arguments a command cannot use get one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.conftest import closed_port
from workbench.cli.common import ExitCode
from workbench.cli.main import main
from workbench.errors import StoreError, UsageError
from workbench.sim.runner import RunSpec
from workbench.store.db import open_db


@pytest.mark.parametrize("kind", ["not sqlite", "a directory", "an uncreatable folder"])
def test_a_db_that_is_no_store_is_named_with_the_reason(kind, tmp_path, capsys):
    path = {"not sqlite": tmp_path / "notes.db", "a directory": tmp_path,
            "an uncreatable folder": tmp_path / "file.txt" / "run.db"}[kind]
    if kind == "not sqlite":
        path.write_text("these are my notes, not a database\n")
    if kind == "an uncreatable folder":
        path.parent.write_text("a file where the folder would go")
    with pytest.raises(StoreError, match=f"cannot open {path} as the workbench's SQLite store"):
        open_db(path)
    for command in (["runs"], ["sessions"], ["show"], ["rage"]):
        assert main([*command, "--db", str(path)]) == ExitCode.USAGE
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(path) in err, err
    if kind == "not sqlite":
        assert "file is not a database" in err
        assert path.read_text() == "these are my notes, not a database\n"  # left as it was
    if kind == "a directory":
        assert "it is a directory" in err


def test_a_taken_port_is_refused_with_the_way_out(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--db", str(tmp_path / "wb.db")]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port (0 picks a free one)" in err


def test_an_unreachable_bus_is_an_infrastructure_error_and_a_bad_spec_a_usage_error(tmp_path, capsys):
    closed = closed_port()
    db = str(tmp_path / "wb.db")
    assert main(["serve", "--port", "0", "--nats", f"nats://127.0.0.1:{closed}", "--db", db]) \
        == ExitCode.INFRASTRUCTURE
    assert f"cannot connect to NATS server at nats://127.0.0.1:{closed}" in capsys.readouterr().err
    assert main(["serve", "--port", "0", "--nats", "foo:bar", "--db", db]) == ExitCode.USAGE
    assert "bad bus spec 'foo:bar'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, says", [
    (["serve", "--port", "70000"], "70000 is not a port"),
    (["serve", "--port", "http"], "'http' is not a port number"),
    (["run", "--seed", "-5"], "-5 is negative"),
    (["demo", "--seed", "1.5"], "'1.5' is not a whole number"),
    (["run", "--count", "0"], "0 is too small; give a whole number from 1 up"),
    (["run", "--concurrency", "-2"], "-2 is too small"),
    (["rage", "--corpus", "sapimouse", "--limit", "0"], "0 is too small"),
    (["sweep", "--corpus", "sapimouse", "--limit", "x"], "'x' is not a whole number"),
])
def test_out_of_range_numbers_are_usage_errors(argv, says, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == ExitCode.USAGE and says in capsys.readouterr().err


@pytest.mark.parametrize("timeout", ["0", "-1", "nan"])
def test_a_session_timeout_must_be_above_zero(timeout, tmp_path, capsys):
    assert main(["run", "--persona", "calm", "--session-timeout", timeout, "--db", str(tmp_path / "wb.db")]) \
        == ExitCode.USAGE
    assert "--session-timeout is in seconds and must be above 0" in capsys.readouterr().err


def test_a_run_spec_refuses_a_seed_numpy_cannot_take():
    with pytest.raises(ValueError, match="seed must be a whole number from 0 up, not -1"):
        RunSpec([], seed=-1)
    assert RunSpec([], seed=0).seed == 0


def test_a_new_db_and_its_folder_are_created(tmp_path: Path):
    path = tmp_path / "new" / "folder" / "wb.db"
    open_db(path).dispose()
    assert path.exists()


def test_report_paths_that_cannot_be_written_are_refused_before_the_run(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    db = str(tmp_path / "wb.db")
    cases = [(["--json", str(afile / "r.json")], f"--json {afile / 'r.json'}: {afile} is a file, not a folder"),
             (["--junit", str(tmp_path)], f"--junit {tmp_path}: it is a directory"),
             (["--trace", "on", "--trace-dir", str(afile)], f"--trace-dir {afile}: {afile} is a file, not a folder")]
    for extra, says in cases:
        assert main(["run", "--persona", "calm", "--db", db, *extra]) == ExitCode.USAGE
        assert says in capsys.readouterr().err
    assert not Path(db).exists()  # refused before anything ran or was stored: not even the store was made


@pytest.mark.parametrize("command", [["runs"], ["sessions"], ["show"], ["show", "run_x"], ["rage"], ["sweep"],
                                     ["compare", "latest"]])
def test_a_command_that_only_reads_makes_no_store_at_a_mistyped_db(command, tmp_path, capsys):
    typo = tmp_path / "wokrbench.db"
    assert main([*command, "--db", str(typo)]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"no workbench store at {typo}" in err and err.count("\n") == 1
    assert not typo.exists() and list(tmp_path.iterdir()) == []


def test_a_report_that_cannot_be_written_after_the_fact_is_a_usage_error(tmp_path, capsys):
    from workbench.report import write_junit

    (tmp_path / "afile").write_text("x")
    with pytest.raises(UsageError, match="cannot write the JUnit report to .*afile/r.xml"):
        write_junit({"run": {"id": "r"}, "sessions": []}, tmp_path / "afile" / "r.xml")


def test_a_bug_of_ours_exits_as_infrastructure_never_as_missed_expectations(monkeypatch, capsys):
    # exit 1 means "expectations missed" to CI; an unexpected exception is no result at all
    from workbench.cli import cmd_personas

    def crash(args):
        raise RuntimeError("the recorder lost its run row")

    monkeypatch.setattr(cmd_personas, "run", crash)
    assert main(["personas"]) == ExitCode.INFRASTRUCTURE
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error (RuntimeError: the recorder lost its run row)" in err


def test_another_applications_sqlite_file_is_refused_and_left_as_it_was(tmp_path, capsys):
    import sqlite3

    other = tmp_path / "crm.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (name TEXT)")
    conn.close()
    before = other.read_bytes()
    for command in (["runs"], ["show"], ["run", "--persona", "calm"]):
        assert main([*command, "--db", str(other)]) == ExitCode.USAGE
        err = capsys.readouterr().err
        assert "another application's SQLite database (tables customers)" in err and err.count("\n") == 1, err
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["crm.sqlite"]


def test_an_empty_file_has_nothing_to_read_but_may_become_a_store(tmp_path, capsys):
    empty = tmp_path / "new.db"
    empty.touch()
    assert main(["runs", "--db", str(empty)]) == ExitCode.USAGE
    assert f"no workbench store at {empty}: the file holds no workbench tables" in capsys.readouterr().err
    open_db(empty).dispose()  # what `run` does with it
    assert main(["runs", "--db", str(empty)]) == ExitCode.OK


@pytest.mark.parametrize("command", [["show", "run_nope"], ["rage", "run_nope"], ["sweep", "run_nope"], ["show"]])
def test_a_run_that_is_not_stored_is_a_usage_error_not_a_missed_expectation(command, tmp_path, capsys):
    db = tmp_path / "wb.db"
    open_db(db).dispose()
    assert main([*command, "--db", str(db)]) == ExitCode.USAGE
    says = "no run 'run_nope' in the database" if len(command) == 2 else "the database holds no runs"
    assert says in capsys.readouterr().err


def test_a_reader_that_goes_away_is_no_internal_error():
    # `workbench config | head`: head exits, the next write fails with EPIPE
    import os
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)  # gone before the first write: the failure is certain, not a race
    proc = subprocess.run([sys.executable, "-m", "workbench.cli.main", "config"], stdout=write,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(write)
    assert proc.returncode == ExitCode.PIPE_CLOSED and proc.stderr == ""


def test_runs_says_when_it_lists_only_the_newest(tmp_path, capsys):
    from workbench.events import RunStarted
    from workbench.store.recorder import Recorder

    db = tmp_path / "wb.db"
    for i in range(3):
        Recorder(open_db(db), f"run_{i}")(RunStarted(f"run_{i}", "run", "rv", i, "", "http://x"))
    assert main(["runs", "--db", str(db), "--json", "--limit", "2"]) == ExitCode.OK
    out, err = capsys.readouterr()
    assert len(json.loads(out)) == 2 and "the newest 2 of 3 runs (--limit 3 lists them all)" in err
    assert main(["runs", "--db", str(db), "--json"]) == ExitCode.OK
    out, err = capsys.readouterr()
    assert len(json.loads(out)) == 3 and err == ""
