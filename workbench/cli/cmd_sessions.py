"""``workbench sessions``: stored sessions with events, last emotion and bot verdict."""

from __future__ import annotations

import argparse

from sqlmodel import Session

from workbench.cli.common import ExitCode, add_db_arg, print_json, print_table
from workbench.store import repo
from workbench.store.db import open_db

NAME = "sessions"
ORDER = 61
HELP = "list stored sessions with events, last emotion and bot verdict"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_arg(p)
    p.add_argument("--run", metavar="RUN_ID", help="only this run")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    with Session(open_db(args.db, create=False)) as db:
        rows = repo.list_sessions(db=db, run_id=args.run)
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["run_id", "session_id", "persona", "status", "events", "packets", "last_emotion", "bot"],
                    "sessions")
    return ExitCode.OK
