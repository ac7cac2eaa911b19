"""Recorded corpus files (workbench.corpora) read by `workbench rage --corpus` and `sweep --corpus`: a malformed
file is a usage error naming the file and the line, a file too short to replay is counted rather than dropped
unsaid, dotfiles are not recordings, and a byte-order mark is read. Synthetic files only: no ../shared needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench import corpora
from workbench.cli.common import ExitCode
from workbench.cli.main import main
from workbench.errors import ConfigError

HEADER = "client timestamp,button,state,x,y"


def moves(n: int, *, t0: int = 1000, x0: int = 100) -> list[str]:
    """SapiMouse rows: ``n`` pointer moves, 16 ms apart, one px each."""
    return [f"{t0 + 16 * i},NoButton,Move,{x0 + i},200" for i in range(n)]


def sapimouse(root: Path, user: str, rows: list[str], *, header: str = HEADER) -> Path:
    path = root / "sapimouse" / "raw" / user / "session_2020_01_01_1min.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def delbot(root: Path, group: str, name: str, *, resolution: str = "1920,1080", n: int = 50) -> Path:
    rows = [f"{1000 + 16 * i},{'Pressed' if i == 0 else 'Move'},{100 + i},200" for i in range(n)]
    path = root / "delbot" / group / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([f"resolution:{resolution}", *rows, f"{1000 + 16 * n},Released,150,200"]) + "\n")
    return path


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty corpora folder that ``--corpus`` reads."""
    (tmp_path / "corpora" / "sapimouse" / "raw").mkdir(parents=True)
    (tmp_path / "corpora" / "delbot").mkdir(parents=True)
    monkeypatch.setattr(corpora, "CORPORA_DIR", tmp_path / "corpora")
    return tmp_path / "corpora"


# --- malformed files: a ConfigError naming the file and the line ----------------------------------
def test_a_sapimouse_row_with_an_empty_coordinate_names_its_file_and_line(root):
    path = sapimouse(root, "user1", [*moves(50), "1900,Left,Released,,"])
    with pytest.raises(ConfigError, match=r"session_2020_01_01_1min\.csv, line 52: x '' is not a number"):
        corpora.load_sapimouse(path)


def test_a_row_with_other_separators_is_refused_not_dropped(root):
    path = sapimouse(root, "user1", [r.replace(",", ";") for r in moves(50)])
    with pytest.raises(ConfigError, match=r"line 2: 1 field, expected 5"):
        corpora.load_sapimouse(path)


def test_a_file_saved_with_a_byte_order_mark_reads_as_without(root):
    plain = corpora.load_sapimouse(sapimouse(root, "user1", moves(50)))
    marked = sapimouse(root, "user2", moves(50))
    marked.write_bytes(b"\xef\xbb\xbf" + marked.read_bytes())
    assert corpora.load_sapimouse(marked).x.tolist() == plain.x.tolist()
    drawn = corpora.load_delbot(delbot(root, "circles_human_pc1", "circle_1.txt"))
    circle = delbot(root, "circles_human_pc1", "circle_2.txt")
    circle.write_bytes(b"\xef\xbb\xbf" + circle.read_bytes())
    assert corpora.load_delbot(circle).t.tolist() == drawn.t.tolist() and drawn.t.size == 51


def test_a_byte_that_is_not_utf8_names_its_line(root):
    path = delbot(root, "circles_human_pc1", "circle_1.txt")
    path.write_bytes(path.read_bytes() + b"# r\xe9sum\xe9\n")
    with pytest.raises(ConfigError, match=r"circle_1\.txt, line 53: byte 0xe9 is not UTF-8"):
        corpora.load_delbot(path)


@pytest.mark.parametrize("resolution, says", [
    ("1920", "must give both sizes"),
    ("1920,abc", "height 'abc' is not a number"),
    ("0,1080", "positive"),
])
def test_a_resolution_line_without_both_sizes_is_refused(root, resolution, says):
    path = delbot(root, "circles_human_pc1", "circle_1.txt", resolution=resolution)
    with pytest.raises(ConfigError, match=f"line 1: .*{says}"):
        corpora.load_delbot(path)


def test_a_delbot_file_without_its_resolution_line_is_refused(root):
    path = root / "delbot" / "circles_human_pc1" / "notes.txt"
    path.parent.mkdir(parents=True)
    path.write_text("drawn on a laptop\n")
    with pytest.raises(ConfigError, match=r"notes\.txt, line 1: not a DELBOT file"):
        corpora.recordings("circles_human_pc1", root=root)


# --- what is left out, and said ---------------------------------------------------------------------
def test_dotfiles_in_a_group_folder_are_not_recordings(root):
    delbot(root, "circles_human_pc1", "circle_1.txt")
    (root / "delbot" / "circles_human_pc1" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (root / "delbot" / "circles_human_pc1" / "._circle_1.txt").write_bytes(b"\x00\x05\x16\x07")
    assert [r.name for r in corpora.recordings("circles_human_pc1", root=root)] == ["circles_human_pc1/circle_1.txt"]


def test_a_file_too_short_to_replay_is_left_out_and_listed(root):
    sapimouse(root, "user1", moves(100))
    sapimouse(root, "user2", moves(1))
    skipped: list[corpora.Skipped] = []
    assert [r.name for r in corpora.recordings("sapimouse", root=root, skipped=skipped)] == [
        "user1/session_2020_01_01_1min.csv"]
    assert skipped == [corpora.Skipped("sapimouse", "user2/session_2020_01_01_1min.csv",
                                       "fewer than 2 pointer positions: nothing to replay")]
    assert "left out 1 recording file" in corpora.skipped_note(skipped) and corpora.skipped_note([]) == ""


def test_a_group_whose_folder_is_missing_is_refused(root):
    with pytest.raises(ConfigError, match="'circles_human_vm' has no folder"):
        corpora.recordings("circles_human_vm", root=root)


@pytest.mark.parametrize("spec", ["", ",", " , "])
def test_a_corpus_naming_no_group_is_refused(spec):
    with pytest.raises(ConfigError, match="names no group"):
        corpora.resolve_groups(spec)


# --- the commands ------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["rage", "sweep"])
def test_a_malformed_file_is_a_usage_error_naming_it(root, capsys, command):
    sapimouse(root, "user1", [*moves(50), "1900,Left,Released,,"])
    assert main([command, "--corpus", "sapimouse"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "internal error" not in err and "session_2020_01_01_1min.csv, line 52" in err


def test_rage_corpus_counts_and_says_what_it_left_out(root, capsys):
    sapimouse(root, "user1", [*moves(100), "2700,Left,Released,200,200"])
    sapimouse(root, "user2", moves(1))
    assert main(["rage", "--corpus", "sapimouse", "--json"]) == ExitCode.OK
    captured = capsys.readouterr()
    (group,) = json.loads(captured.out)["groups"]
    assert (group["recordings"], group["skipped"]) == (1, 1)
    assert "workbench rage: left out 1 recording file" in captured.err and "user2/" in captured.err


def test_sweep_corpus_says_what_it_left_out(root, capsys):
    sapimouse(root, "user1", moves(100))
    sapimouse(root, "user2", moves(1))
    assert main(["sweep", "--corpus", "sapimouse", "--json"]) == ExitCode.OK
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["settings"][0]["sessions"] == 1
    assert [s["name"] for s in out["skipped_recordings"]] == ["user2/session_2020_01_01_1min.csv"]
    assert "workbench sweep: left out 1 recording file" in captured.err


def test_rage_corpus_takes_a_recording_without_clicks_after_one_with(root, capsys):
    # user1 (clicks) is judged before user2 (none): the rules that compare elements stay n/a
    sapimouse(root, "user1", [*moves(100), "2700,Left,Released,200,200", "2800,Left,Released,200,200"])
    sapimouse(root, "user2", moves(100))
    assert main(["rage", "--corpus", "sapimouse", "--json"]) == ExitCode.OK
    (group,) = json.loads(capsys.readouterr().out)["groups"]
    assert group["recordings"] == 2 and group["clicks"] == 2
    assert group["flagged"] == {"eitp": 0, "posthog": 0, "mixpanel": 0, "datadog": None, "openreplay": None}
    assert main(["rage", "--corpus", "sapimouse"]) == ExitCode.OK
    assert capsys.readouterr().out.count("n/a") >= 3  # the title's and the two columns'


def test_rage_corpus_on_recordings_without_any_click_reads_na_for_element_rules(root, capsys):
    sapimouse(root, "user1", moves(100))
    assert main(["rage", "--corpus", "sapimouse", "--json"]) == ExitCode.OK
    (group,) = json.loads(capsys.readouterr().out)["groups"]
    assert group["flagged"]["datadog"] is None and group["flagged"]["openreplay"] is None


@pytest.mark.parametrize("argv", [["rage", "--corpus", ""], ["rage", "--corpus", " , ", "--json"],
                                  ["sweep", "--corpus", ","], ["sweep", "--corpus", ""]])
def test_a_corpus_option_naming_no_group_is_refused_not_ignored(root, tmp_path, capsys, argv):
    from workbench.store.db import open_db

    db = tmp_path / "wb.db"
    open_db(db).dispose()  # `--corpus ""` must not fall through to the store
    assert main([*argv, "--db", str(db)]) == ExitCode.USAGE
    assert "names no group" in capsys.readouterr().err
