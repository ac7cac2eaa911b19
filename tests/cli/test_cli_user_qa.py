"""The commands as a demanding user meets them: a reader that goes away, a narrow terminal, a --config that is
no file, a --help that teaches, and a headless path that never loads Textual, whatever the command."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

from tests.cli.test_cli_store_audit import stored_runs
from tests.conftest import ROOT
from workbench.cli.common import ExitCode
from workbench.cli.main import build_parser, main


def workbench(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench.cli.main", *args], cwd=ROOT, text=True,
                          timeout=120, **kwargs)  # type: ignore[call-overload]


@pytest.mark.parametrize("command", [["personas"], ["runs"], ["sessions"], ["show"], ["rage", "run_a"]])
def test_a_reader_that_goes_away_from_a_table_is_no_missed_expectation(command, tmp_db):
    # `workbench runs | head`: rich ends the process with exit 1 on EPIPE, which CI reads as "expectations missed"
    stored_runs(tmp_db, "run_a")
    read, write = os.pipe()
    os.close(read)  # gone before the first write: the failure is certain, not a race
    try:
        db = [] if command == ["personas"] else ["--db", str(tmp_db)]
        proc = workbench(*command, *db, stdout=write, stderr=subprocess.PIPE)
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (ExitCode.PIPE_CLOSED, "")


def on_a_terminal(columns: int, *args: str) -> str:
    """What ``workbench ARGS`` shows on a terminal ``columns`` wide (a pty, so rich sees a tty)."""
    main_fd, child_fd = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "24", "NO_COLOR": "1", "TERM": "xterm"}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli.main", *args], cwd=ROOT, env=env,
                            stdout=child_fd, stderr=child_fd, stdin=subprocess.DEVNULL)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert proc.wait(timeout=120) == ExitCode.OK
    return re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode())  # NO_COLOR keeps bold and dim


@pytest.mark.parametrize("command", [
    pytest.param(["personas"], marks=pytest.mark.slow),  # ~3 s each on a pseudo-terminal: sessions in the default run
    pytest.param(["runs"], marks=pytest.mark.slow),
    ["sessions"],
    pytest.param(["rage", "run_a"], marks=pytest.mark.slow),
    pytest.param(["compare", "run_a", "run_b"], marks=pytest.mark.slow),
])
def test_a_narrow_terminal_gets_the_classic_layout_folded_not_columns_squeezed_away(command, tmp_db):
    # at 40 columns rich squeezed the sessions table to its ids alone, headers blank, and cut rage's session ids
    stored_runs(tmp_db, "run_a", "run_b")
    db = [] if command == ["personas"] else ["--db", str(tmp_db)]
    narrow, classic = (on_a_terminal(columns, *command, *db) for columns in (40, 80))
    assert narrow == classic


def test_rage_never_cuts_the_session_or_persona_a_row_is_about(tmp_db):
    stored_runs(tmp_db, "run_a")
    text = on_a_terminal(80, "rage", "run_a", "--db", str(tmp_db))
    assert "│ sq_run_a │ paralysed_buyer │" in text, text


@pytest.mark.parametrize("kind", ["a directory", "not UTF-8"])
def test_a_config_that_is_no_toml_file_is_a_usage_error_naming_it(kind, tmp_path, capsys):
    path = tmp_path if kind == "a directory" else tmp_path / "preset.toml"
    if kind == "not UTF-8":
        path.write_bytes(b"[signal]\nrage_clicks = 4 # \xfb\xfc\n")
    for command in (["config"], ["ingest", "-"], ["tui"]):
        assert main([*command, "--config", str(path)]) == ExitCode.USAGE
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.count("\n") == 1 and f"--config {path}: " in err, err
    assert ("cannot read: Is a directory" if kind == "a directory" else "not UTF-8 text") in err


def test_tui_presets_must_be_a_folder(tmp_path, monkeypatch, capsys):
    import workbench.tui as tui

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(tui, "run_tui", lambda **kw: calls.append(kw) or 0)
    afile = tmp_path / "presets"
    afile.write_text("not a folder")
    assert main(["tui", "--db", str(tmp_path / "t.db"), "--presets", str(afile)]) == ExitCode.USAGE
    assert f"--presets {afile}: it is a file, not a folder" in capsys.readouterr().err and calls == []
    assert main(["tui", "--db", str(tmp_path / "t.db"), "--presets", str(tmp_path / "new")]) == ExitCode.OK
    assert len(calls) == 1  # a folder not made yet is fine: the TUI makes it when it saves


MINE = ["tui", "personas", "schema", "validate", "ingest", "conformance", "runs", "sessions", "show", "rage", "config"]


@pytest.mark.parametrize("command", MINE)
def test_every_commands_help_has_an_example_and_its_exit_codes(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    text = capsys.readouterr().out
    assert exit_.value.code == 0 and "examples:" in text and "exit codes:" in text, text


def test_top_level_help_lists_every_command_with_its_purpose(capsys):
    _, commands = build_parser()
    with pytest.raises(SystemExit):
        main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, module in commands.items():
        assert f"{name} {' '.join(module.HELP.split())}" in text, name


HEADLESS = """
import sys
from workbench.cli.main import build_parser, main
_, commands = build_parser()   # every command module, as `workbench` loads them
db, data = sys.argv[1], sys.argv[2]
for argv in (["personas"], ["schema", "packet"], ["validate", data], ["ingest", "/dev/null"], ["config"],
             ["runs", "--db", db], ["sessions", "--db", db], ["show", "--db", db], ["rage", "--db", db],
             ["rage", "nope", "--db", db], ["compare", "latest", "--db", db], ["sweep", "--db", db],
             ["conformance", "ftp://x"], ["run", "--persona", "calm", "--db", "/dev/null/x.db"],
             ["demo", "--config", "/nonexistent.toml"], ["serve", "--config", "/nonexistent.toml"]):
    main(argv)
print("COMMANDS:", sorted(commands))
print("TEXTUAL:", sorted(m for m in sys.modules if m == "textual" or m.startswith(("textual.", "workbench.tui"))))
"""


def test_no_headless_command_loads_textual(tmp_db, tmp_path):
    stored_runs(tmp_db, "run_a")
    data = tmp_path / "doc.json"
    data.write_text("{}")
    out = subprocess.run([sys.executable, "-c", HEADLESS, str(tmp_db), str(data)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300).stdout
    assert "TEXTUAL: []" in out, out
    _, commands = build_parser()
    assert f"COMMANDS: {sorted(commands)}" in out  # every command module was loaded, tui's included

