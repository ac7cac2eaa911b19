"""``workbench validate``: check JSON files against the packet or batch schema."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workbench.cli.common import ExitCode
from workbench.protocol import schema as schemas

NAME = "validate"
ORDER = 51
HELP = "check JSON files against the packet or batch schema"
DESCRIPTION = ("Validate EITP JSON documents. A document with \"type\": \"telemetry_batch\" is checked as a batch "
               "(section 4.3), anything else as a packet (section 5). Exit 0 when all are valid, 1 otherwise.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--kind", choices=["packet", "batch"], help="force the schema instead of guessing")


def run(args: argparse.Namespace) -> int:
    status = ExitCode.OK
    for path in args.files:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            print(f"{path}: no such file")
            status = ExitCode.FAILED
            continue
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            print(f"{path}: not JSON: {exc}")
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
