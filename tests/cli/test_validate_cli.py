"""``workbench validate FILE...``: every file is checked, and bad input is exit 1 with one line of reason.

A document is parsed as the bridge parses it (orjson), so what validate calls valid the bridge accepts:
NaN, Infinity, lone surrogates, numbers too large for a double and nesting past 1024 levels are not JSON.
Exit 4 ("a bug of ours") must never come from a file's content or from a file that cannot be read.
"""

from __future__ import annotations

import pathlib
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from workbench.cli.common import ExitCode
from workbench.cli.main import main

PACKET = (FIXTURES / "spec" / "11.2-packet.json").read_text()
BATCH = '{"type":"telemetry_batch","events":[],"sessionId":"s","tenantId":"t","timestamp":1}'


def validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> tuple[int, list[str]]:
    code = main(["validate", *map(str, paths)])
    return code, capsys.readouterr().out.splitlines()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_files_print_what_they_did_before(tmp_path, capsys):
    packet, batch = write(tmp_path, "p.json", PACKET), write(tmp_path, "b.json", BATCH)
    assert validate(capsys, packet, batch) == (ExitCode.OK, [f"{packet}: valid EITP v1.1 packet",
                                                             f"{batch}: valid EITP v1.1 batch"])


def test_a_directory_is_named_and_the_files_after_it_are_still_checked(tmp_path, capsys):
    folder, good = tmp_path / "dir", write(tmp_path, "good.json", BATCH)
    folder.mkdir()
    assert validate(capsys, folder, good) == (ExitCode.FAILED, [f"{folder}: cannot read: Is a directory",
                                                                f"{good}: valid EITP v1.1 batch"])


def test_an_unreadable_file_is_named_with_the_reason(tmp_path, capsys, monkeypatch):
    locked, good = write(tmp_path, "locked.json", BATCH), write(tmp_path, "good.json", BATCH)
    real_open = pathlib.Path.open

    def denying_open(self, *args, **kwargs):  # chmod 000 does not stop root, who runs CI containers
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", denying_open)
    assert validate(capsys, locked, good) == (ExitCode.FAILED, [f"{locked}: cannot read: Permission denied",
                                                                f"{good}: valid EITP v1.1 batch"])


def test_a_document_nested_100k_levels_deep_is_refused_as_the_bridge_refuses_it(tmp_path, capsys):
    deep = write(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000)
    code, out = validate(capsys, deep, write(tmp_path, "good.json", BATCH))
    assert code == ExitCode.FAILED
    assert out[0] == (f"{deep}: not JSON: depth limit exceeded: line 1 column 1026 (char 1025) "
                      "(JSON nested deeper than 1024 levels is refused)")
    assert out[1].endswith("good.json: valid EITP v1.1 batch") and len(out) == 2


def test_a_problem_too_deep_to_describe_is_reported_not_a_crash(tmp_path, capsys):
    nested = "[" * 1000 + "]" * 1000  # JSON the bridge parses, but jsonschema cannot repr it in its message
    batch = write(tmp_path, "b.json", BATCH.replace('"events":[]', f'"events":[{{"type":"x","timestamp":1,'
                                                                    f'"data":{nested}}}]'))
    assert validate(capsys, batch) == (ExitCode.FAILED, [
        f"{batch}: INVALID batch", "  - a value is nested too deeply for the schema check to describe it"])


def test_a_5000_digit_number_is_not_json(tmp_path, capsys):
    huge = write(tmp_path, "huge.json", BATCH.replace('"timestamp":1', '"timestamp":' + "9" * 5000))
    assert validate(capsys, huge) == (ExitCode.FAILED, [
        f"{huge}: not JSON: number is infinity when parsed as double: line 1 column 82 (char 81)"])


@pytest.mark.parametrize(("value", "column", "reason"), [
    ("NaN", 82, "unexpected character, expected a JSON value"),
    ("Infinity", 82, "unexpected character, expected a JSON value"),
    ("-Infinity", 83, "no digit after sign"),
])
def test_nan_and_infinity_are_not_json(tmp_path, capsys, value, column, reason):
    path = write(tmp_path, "nan.json", BATCH.replace('"timestamp":1', f'"timestamp":{value}'))
    assert validate(capsys, path) == (ExitCode.FAILED, [
        f"{path}: not JSON: {reason}: line 1 column {column} (char {column - 1}) (NaN and Infinity are not JSON)"])


def test_a_lone_surrogate_escape_is_not_json(tmp_path, capsys):
    path = write(tmp_path, "surrogate.json", BATCH.replace('"sessionId":"s"', '"sessionId":"\\ud800"'))
    assert validate(capsys, path) == (ExitCode.FAILED, [
        f"{path}: not JSON: no low surrogate in string: line 1 column 52 (char 51)"])


def test_a_packet_whose_confidence_is_nan_is_not_a_valid_packet(tmp_path, capsys):
    assert '"confidence": 0.82' in PACKET
    path = write(tmp_path, "pkt.json", PACKET.replace('"confidence": 0.82', '"confidence": NaN'))
    line = next(n for n, text in enumerate(PACKET.splitlines(), 1) if '"confidence"' in text)
    code, out = validate(capsys, path)
    assert code == ExitCode.FAILED and len(out) == 1
    assert out[0].startswith(f"{path}: not JSON: unexpected character, expected a JSON value: line {line} column ")
    assert out[0].endswith("(NaN and Infinity are not JSON)")


def test_bad_usage_is_still_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate"])
    assert exc.value.code == ExitCode.USAGE
    assert "the following arguments are required: FILE" in capsys.readouterr().err

