"""Audit of ``workbench ingest`` on files that are not JSON lines of batches: a JSON array, a pretty-printed
document, a line far longer than any batch. One clear line each (and a bounded report), never a flood."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from tests.cli.test_ingest import FIXTURE, fixture_lines
from workbench.cli import cmd_ingest
from workbench.cli.common import ExitCode
from workbench.cli.main import main


def batches() -> list[dict]:
    return [json.loads(line) for line in fixture_lines()]


def test_a_json_array_of_batches_is_one_short_line_that_says_what_to_do(tmp_path, capsysbinary):
    array = tmp_path / "batches.json"
    array.write_text(json.dumps(batches()))  # 185 kB on one line: a JSON array, not JSON lines
    assert main(["ingest", str(array)]) == ExitCode.FAILED
    out, err = capsysbinary.readouterr()
    lines = err.decode().splitlines()
    assert out == b"" and len(lines) == 2 and all(len(line) < 400 for line in lines), lines
    assert lines[0].startswith(f"{array}:1: a JSON array, not a telemetry batch") and "jq -c '.[]'" in lines[0]


def test_a_pretty_printed_document_is_reported_in_a_few_lines_not_one_per_line(tmp_path, capsysbinary):
    pretty = tmp_path / "batches.json"
    pretty.write_text(json.dumps(batches(), indent=2))  # 15,000 lines, none of them JSON on its own
    assert main(["ingest", str(pretty)]) == ExitCode.FAILED
    err = capsysbinary.readouterr().err.decode()
    lines = err.splitlines()
    assert len(lines) <= cmd_ingest.LISTED + 3, f"{len(lines)} lines on stderr"
    assert "one JSON document per line" in lines[0] and "jq -c" in lines[0]
    total = pretty.read_text().count("\n") + 1
    assert lines[-1] == f"workbench ingest: {total} bad line(s) skipped"  # "[" and "]" are no batch either
    assert "further bad lines are counted, not listed" in err


def test_a_line_longer_than_any_batch_is_skipped_without_being_held(tmp_path, capsysbinary):
    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as f:
        f.write(b"a" * (cmd_ingest.MAX_LINE_BYTES * 40) + b"\n")
        f.write(FIXTURE.read_bytes())
    tracemalloc.start()
    try:
        code = main(["ingest", str(huge)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out, err = capsysbinary.readouterr()
    assert code == ExitCode.FAILED and peak < 8 * cmd_ingest.MAX_LINE_BYTES, f"peak {peak:,} bytes"
    assert err.decode().splitlines()[0] == (f"{huge}:1: longer than {cmd_ingest.MAX_LINE_BYTES:,} bytes: no "
                                            "telemetry batch is (the bridge refuses messages over "
                                            "transport.max_message_bytes)")
    assert out == _ingested(FIXTURE, capsysbinary)  # every line after it gave what it gives alone


def test_a_long_line_at_the_end_without_a_newline_is_reported_once(tmp_path, capsysbinary):
    tail = tmp_path / "tail.jsonl"
    tail.write_bytes(FIXTURE.read_bytes() + b"x" * (cmd_ingest.MAX_LINE_BYTES + 1))
    assert main(["ingest", str(tail)]) == ExitCode.FAILED
    out, err = capsysbinary.readouterr()
    count = len(fixture_lines()) + 1
    assert err.decode().splitlines() == [f"{tail}:{count}: longer than {cmd_ingest.MAX_LINE_BYTES:,} bytes: no "
                                         "telemetry batch is (the bridge refuses messages over "
                                         "transport.max_message_bytes)",
                                         "workbench ingest: 1 bad line(s) skipped"]
    assert out == _ingested(FIXTURE, capsysbinary)


def test_a_reason_that_quotes_a_whole_document_is_cut_short(tmp_path, capsysbinary):
    odd = tmp_path / "odd.jsonl"
    big = batches()[0]
    big["events"] = "x" * 100_000  # not a list: the schema's reason would quote all of it
    odd.write_text(json.dumps(big) + "\n")
    assert main(["ingest", str(odd)]) == ExitCode.FAILED
    (first, last) = capsysbinary.readouterr().err.decode().splitlines()
    assert first.startswith(f"{odd}:1: not a telemetry batch: events: 'xxx") and len(first) < 400
    assert last == "workbench ingest: 1 bad line(s) skipped"


def _ingested(path: Path, capsysbinary) -> bytes:
    assert main(["ingest", str(path)]) == ExitCode.OK
    return capsysbinary.readouterr().out


def test_a_bridge_limit_raised_by_set_raises_the_line_limit_with_it(tmp_path, capsysbinary):
    wide = batches()[0]
    wide["pageContent"] = {"meta": {"description": "x" * (cmd_ingest.MAX_LINE_BYTES + 10)}}
    lines = tmp_path / "wide.jsonl"
    lines.write_text(json.dumps(wide) + "\n")
    assert main(["ingest", str(lines)]) == ExitCode.FAILED
    assert "longer than" in capsysbinary.readouterr().err.decode()
    assert main(["ingest", str(lines), "--set", f"transport.max_message_bytes={cmd_ingest.MAX_LINE_BYTES}"]) \
        == ExitCode.OK
    assert capsysbinary.readouterr().err == b""
