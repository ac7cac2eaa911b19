"""``workbench ingest``: replay telemetry batches through the inference engine, in event time.

Reads JSON lines, one section 4.3 telemetry batch per line (as published to ``telemetry.raw``;
``-`` reads stdin), and prints JSON lines: ``{"kind": "packet", "packet": {...}}`` for each EITP
packet and ``{"kind": "bot", "detection": {...}}`` for each section 8.3 bot detection, in the
order the engine produced them. At end of input every open session is closed, so its last
window is flushed. Keys are sorted and time comes only from the telemetry, so the same input
always gives byte-identical output. A bad line (not JSON, not a valid batch, or a batch whose
tenant contradicts its session's, section 10.4) is reported on stderr with its line number and
skipped; the exit code is then 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import orjson

from workbench.cli.common import ExitCode, add_config_args, load_config
from workbench.engine.core import BotOut, Engine, Output, PacketOut
from workbench.errors import ValidationError
from workbench.protocol.schema import errors as schema_errors

NAME = "ingest"
ORDER = 52
HELP = "run JSON lines of telemetry batches through the engine, print packets and bot detections"
DESCRIPTION = ("Replay telemetry batches (one JSON document per line, as published to telemetry.raw; '-' for stdin) "
               "through the inference engine in event time. Prints one JSON line per packet "
               "({\"kind\": \"packet\", \"packet\": ...}) and per bot detection "
               "({\"kind\": \"bot\", \"detection\": ...}); "
               "all sessions are closed at end of input. Bad lines are reported on stderr and skipped (exit 1).")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="JSON lines of telemetry batches, or - for stdin")
    add_config_args(p)


def _line(out: Output) -> bytes:
    record: dict[str, Any]
    if isinstance(out, PacketOut):
        record = {"kind": "packet", "packet": out.packet}
    elif isinstance(out, BotOut):
        record = {"kind": "bot", "detection": out.log()}
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def process(lines: Iterable[bytes], engine: Engine, report: Callable[[int, str], None]) -> Iterator[bytes]:
    """Output lines for ``lines`` of input, then for closing every session; ``report(line, why)``
    is called for each bad input line, which is skipped."""
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            batch = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            report(number, f"not JSON: {exc}")
            continue
        problems = schema_errors(batch, "batch", limit=3)
        if problems:
            report(number, f"not a telemetry batch: {'; '.join(problems)}")
            continue
        try:  # orjson writes 254 levels (it reads 1,024); the page content sits one level deeper in an output line
            orjson.dumps({"packet": batch})
        except orjson.JSONEncodeError as exc:
            report(number, f"nested too deeply to write out: {exc}")
            continue
        try:
            outputs = engine.ingest(batch)
        except ValidationError as exc:
            report(number, f"rejected: {exc}")
            continue
        yield from (_line(o) for o in outputs)
    yield from (_line(o) for o in engine.close_all())


def run(args: argparse.Namespace) -> int:
    engine = Engine(load_config(args))
    bad: list[int] = []

    def report(number: int, why: str) -> None:
        bad.append(number)
        print(f"{args.file}:{number}: {why}", file=sys.stderr)

    try:
        source: IO[bytes] = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
    except OSError as exc:
        print(f"workbench ingest: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return ExitCode.FAILED
    out = sys.stdout.buffer
    with source:
        for line in process(source, engine, report):
            out.write(line)
    out.flush()
    if bad:
        print(f"workbench ingest: {len(bad)} bad line(s) skipped", file=sys.stderr)
    return ExitCode.FAILED if bad else ExitCode.OK
