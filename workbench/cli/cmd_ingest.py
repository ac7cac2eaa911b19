"""``workbench ingest``: replay telemetry batches through the inference engine, in event time.

Reads JSON lines, one section 4.3 telemetry batch per line (as published to ``telemetry.raw``;
``-`` reads stdin), and prints JSON lines: ``{"kind": "packet", "packet": {...}}`` for each EITP
packet and ``{"kind": "bot", "detection": {...}}`` for each section 8.3 bot detection, in the
order the engine produced them. At end of input every open session is closed, so its last
window is flushed. Keys are sorted and time comes only from the telemetry, so the same input
always gives byte-identical output. A bad line (not JSON, not a valid batch, or a batch whose
tenant contradicts its session's, section 10.4) is reported on stderr with its line number and
skipped; the exit code is then 1. The report stays readable whatever the file: a reason quoting a
large document is cut short, a line longer than any batch is skipped as it is read (never held
whole), only the first :data:`LISTED` bad lines are listed, and a JSON array or a pretty-printed
document is named as such, with the ``jq`` line that turns it into JSON lines.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

import orjson

from workbench.cli.common import ExitCode, add_config_args, load_config
from workbench.config import EITPConfig
from workbench.engine.core import BotOut, Engine, Output, PacketOut
from workbench.errors import ValidationError
from workbench.protocol.schema import errors as schema_errors

NAME = "ingest"
ORDER = 52
HELP = "run JSON lines of telemetry batches through the engine, print packets and bot detections"
DESCRIPTION = f"""{HELP}.

Replays telemetry batches (one JSON document per line, as published to telemetry.raw; '-' for
stdin) through the inference engine in event time, and prints one JSON line per packet
({{"kind": "packet", "packet": ...}}) and per bot detection ({{"kind": "bot", "detection": ...}}).
Every session is closed at end of input. Time comes only from the telemetry and keys are sorted, so
the same input always gives byte-identical output. Bad lines (not JSON, not a batch, a batch whose
tenant contradicts its session's) are reported on stderr with their line number and skipped.

examples:
  workbench ingest fixtures/ingest/sessions.jsonl > packets.jsonl
  cat recorded.jsonl | workbench ingest - --set classifier.min_confidence=0.5
  jq -c '.[]' batches.json | workbench ingest -        a JSON array of batches, one per line

exit codes: 0 every line was a batch · 1 a bad line was skipped, or FILE cannot be read ·
2 a bad --config or --set
"""

#: a line longer than this (or than twice transport.max_message_bytes, when that is more) is no telemetry batch:
#: the bridge refuses messages over transport.max_message_bytes, 50 kB by default. It is skipped as it is read,
#: never held whole nor parsed (a binary file, a dump without newlines)
MAX_LINE_BYTES = 1024 * 1024
#: what the rest of a line too long to be a batch is read and dropped in
SKIP_CHUNK = 64 * 1024
#: bad lines listed one by one; those after are counted (a pretty-printed document is thousands of bad lines)
LISTED = 20
#: a reason longer than this (one quoting the document it rejects) is cut in the middle
REASON_CHARS = 240


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


def line_limit(config: EITPConfig) -> int:
    """The longest line that may hold a batch: :data:`MAX_LINE_BYTES`, or twice the bridge's own limit when a
    --config or --set raised it that far (a batch as published carries the client's IP besides its payload)."""
    return max(MAX_LINE_BYTES, 2 * config.transport.max_message_bytes)


def read_lines(source: IO[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of ``source``. One longer than ``limit`` bytes comes as its first ``limit + 1`` bytes and the
    rest of it is read and dropped in pieces, so a file without newlines is never held whole."""
    while line := source.readline(limit + 1):
        if len(line) > limit and not line.endswith(b"\n"):
            while (rest := source.readline(SKIP_CHUNK)) and not rest.endswith(b"\n"):
                pass
        yield line


def _short(reason: str) -> str:
    """A reason cut in the middle when it quotes a large document, keeping how it starts and what it says."""
    return reason if len(reason) <= REASON_CHARS else f"{reason[:150]} … {reason[-(REASON_CHARS - 153):]}"


def _not_json(number: int, raw: bytes, exc: Exception) -> str:
    """Why a line is not JSON; on the first line of what looks like a pretty-printed document, what to run."""
    why = f"not JSON: {exc}"
    if number == 1 and raw.strip()[:1] in (b"[", b"{"):
        why += ("; ingest reads one JSON document per line (a pretty-printed file? "
                "`jq -c '.[]' FILE | workbench ingest -` for an array, `jq -c . FILE` for batches)")
    return why


def process(lines: Iterable[bytes], engine: Engine, report: Callable[[int, str], None]) -> Iterator[bytes]:
    """Output lines for ``lines`` of input, then for closing every session; ``report(line, why)``
    is called for each bad input line, which is skipped."""
    limit = line_limit(engine.config)
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        if len(raw.rstrip(b"\r\n")) > limit:
            report(number, f"longer than {limit:,} bytes: no telemetry batch is (the bridge refuses messages over "
                           "transport.max_message_bytes)")
            continue
        try:
            batch = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            report(number, _not_json(number, raw, exc))
            continue
        if isinstance(batch, list):
            report(number, "a JSON array, not a telemetry batch: ingest reads one batch per line (JSON lines); "
                           "`jq -c '.[]' FILE | workbench ingest -` splits an array into them")
            continue
        problems = schema_errors(batch, "batch", limit=3)
        if problems:
            report(number, f"not a telemetry batch: {'; '.join(_short(p) for p in problems)}")
            continue
        try:  # orjson writes 254 levels (it reads 1,024); the page content sits one level deeper in an output line
            orjson.dumps({"packet": batch})
        except orjson.JSONEncodeError as exc:
            report(number, f"nested too deeply to write out: {exc}")
            continue
        try:
            outputs = engine.ingest(batch)
        except ValidationError as exc:
            report(number, f"rejected: {_short(str(exc))}")
            continue
        yield from (_line(o) for o in outputs)
    yield from (_line(o) for o in engine.close_all())


def run(args: argparse.Namespace) -> int:
    engine = Engine(load_config(args))
    bad = 0

    def report(number: int, why: str) -> None:
        nonlocal bad
        bad += 1
        if bad <= LISTED:
            print(f"{args.file}:{number}: {why}", file=sys.stderr)
        elif bad == LISTED + 1:
            print(f"workbench ingest: further bad lines are counted, not listed (the first {LISTED} are above)",
                  file=sys.stderr)

    try:
        source: IO[bytes] = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")
    except OSError as exc:
        print(f"workbench ingest: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return ExitCode.FAILED
    out = sys.stdout.buffer
    with source:
        for line in process(read_lines(source, line_limit(engine.config)), engine, report):
            out.write(line)
    out.flush()
    if bad:
        print(f"workbench ingest: {bad} bad line(s) skipped", file=sys.stderr)
    return ExitCode.FAILED if bad else ExitCode.OK
