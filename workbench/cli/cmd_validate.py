"""``workbench validate``: check JSON files against the packet or batch schema.

Every file named is checked, whatever happens to the others. A document is parsed as the bridge
parses it (orjson), so the two never disagree: NaN, Infinity, a lone surrogate escape, a number
too large for a double and nesting deeper than 1024 levels are not JSON. A file that cannot be
read or is not JSON gets one line naming it and the reason, and counts as an invalid document
(exit 1), as does a document with schema problems, each listed on a line of its own.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import orjson

from workbench.cli.common import ExitCode
from workbench.protocol import schema as schemas

NAME = "validate"
ORDER = 51
HELP = "check JSON files against the packet or batch schema"
DESCRIPTION = """Validate EITP JSON documents. A document with "type": "telemetry_batch" is checked as a batch
(section 4.3), anything else as a packet (section 5), unless --kind says which. Every FILE is
checked; each gets one line on stdout, and an invalid one its problems below it.

examples:
  workbench validate packet.json
  workbench validate --kind batch recorded/*.json

exit codes: 0 every FILE is valid · 1 a FILE is invalid, not JSON or cannot be read · 2 no FILE given
"""


class _NotADocument(Exception):
    """A file that cannot be read or is not JSON; the message says why."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="a JSON document: a packet or a batch")
    p.add_argument("--kind", choices=["packet", "batch"], help="force the schema instead of guessing")


def _load(path: Path) -> Any:
    """The JSON document in the file at ``path``, parsed as the bridge parses it, or :class:`_NotADocument`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _NotADocument(f"cannot read: {exc.strerror or exc}") from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        why = str(exc)
        if exc.doc[exc.pos:].startswith(("NaN", "Infinity")):
            why += " (NaN and Infinity are not JSON)"
        elif why.startswith("depth limit exceeded"):
            why += " (JSON nested deeper than 1024 levels is refused)"
        raise _NotADocument(f"not JSON: {why}") from None


def run(args: argparse.Namespace) -> int:
    status = ExitCode.OK
    for path in args.files:
        try:
            document = _load(path)
        except _NotADocument as exc:
            print(f"{path}: {exc}")
            status = ExitCode.FAILED
            continue
        kind = args.kind or schemas.guess_kind(document)
        problems = schemas.errors(document, kind)
        if problems:
            status = ExitCode.FAILED
            print(f"{path}: INVALID {kind}")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"{path}: valid EITP v1.1 {kind}")
    return status
