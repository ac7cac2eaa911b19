"""``workbench runs``: the stored runs."""

from __future__ import annotations

import argparse
import sys

from sqlmodel import Session

from workbench.cli.common import STORE_EXIT_CODES, ExitCode, add_db_arg, positive, print_json, print_table
from workbench.store import repo
from workbench.store.db import open_db

NAME = "runs"
ORDER = 60
HELP = "list stored runs"
DESCRIPTION = f"""{HELP}, newest first, with their sessions.

examples:
  workbench runs                              the newest 50
  workbench runs --limit 500 --json           for scripts
  workbench runs --db base.db                 another store

{STORE_EXIT_CODES}
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--limit", type=positive, default=50, metavar="N", help="the newest N runs (default 50)")


def run(args: argparse.Namespace) -> int:
    with Session(open_db(args.db, create=False)) as db:
        rows = repo.list_runs(db=db, limit=args.limit)
        total = repo.count_runs(db=db)
    if total > len(rows):  # on stderr: --json stays the list alone
        print(f"the newest {len(rows)} of {total} runs (--limit {total} lists them all)", file=sys.stderr)
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["id", "kind", "site", "status", "seed", "sessions", "started_at"], "runs")
    return ExitCode.OK
