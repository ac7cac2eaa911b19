"""``workbench schema``: print the JSON Schema of a packet or a batch."""

from __future__ import annotations

import argparse
import json

from workbench.cli.common import ExitCode
from workbench.protocol import schema as schemas

NAME = "schema"
ORDER = 50
HELP = "print the JSON Schema of a packet (section 5) or a batch (section 4.3)"
DESCRIPTION = f"""{HELP}, as JSON on stdout.

examples:
  workbench schema packet > packet.schema.json
  workbench schema batch | jq .required

exit codes: 0 ok · 2 a KIND other than packet or batch
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=["packet", "batch"], help="packet (section 5) or batch (section 4.3)")


def run(args: argparse.Namespace) -> int:
    print(json.dumps(schemas.schema(args.kind), indent=2))
    return ExitCode.OK
