"""``workbench sessions``: stored sessions with events, last emotion and bot verdict."""

from __future__ import annotations

import argparse
import sys

from sqlmodel import Session

from workbench.cli.common import STORE_EXIT_CODES, ExitCode, add_db_arg, positive, print_json, print_table
from workbench.store import repo
from workbench.store.db import open_db

NAME = "sessions"
ORDER = 61
HELP = "list stored sessions with events, last emotion and bot verdict"
DESCRIPTION = f"""{HELP}.

examples:
  workbench sessions                          every stored session, oldest first
  workbench sessions --run RUN --json         one run's sessions, for scripts (RUN: see `workbench runs`)
  workbench sessions --limit 20               the newest 20, oldest of them first
  workbench sessions --db base.db             another store

{STORE_EXIT_CODES}
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_arg(p)
    p.add_argument("--run", metavar="RUN_ID", help="only this run (see `workbench runs`); exit 2 when it is not stored")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--limit", type=positive, metavar="N", help="only the newest N sessions (default: all)")


def run(args: argparse.Namespace) -> int:
    with Session(open_db(args.db, create=False)) as db:
        if args.run is not None and not repo.run_exists(db=db, run_id=args.run):
            # a run id that is not there is a usage error, not an empty list
            print(f"workbench sessions: no run {args.run!r} in the database (see `workbench runs`)", file=sys.stderr)
            return ExitCode.USAGE
        rows = repo.list_sessions(db=db, run_id=args.run, limit=args.limit)
        total = repo.count_sessions(db=db, run_id=args.run) if args.limit is not None else len(rows)
    if total > len(rows):  # on stderr: --json stays the list alone
        print(f"the newest {len(rows)} of {total} sessions (--limit {total} lists them all)", file=sys.stderr)
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["run_id", "session_id", "persona", "status", "events", "packets", "last_emotion", "bot"],
                    "sessions")
    return ExitCode.OK
