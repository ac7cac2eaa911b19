"""``workbench show [RUN]``: a stored run's scores; optionally its reports again."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from sqlmodel import Session

from workbench.cli.common import ExitCode, add_db_arg
from workbench.store.db import open_db

NAME = "show"
ORDER = 62
HELP = "print a stored run's scores (the latest run by default) and optionally write its reports"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", metavar="RUN", help="run id (see `workbench runs`); default: the latest run")
    add_db_arg(p)
    p.add_argument("--json", action="store_true", help="print the JSON report instead of tables")
    p.add_argument("--junit", metavar="FILE", type=Path, help="write JUnit XML here")
    p.add_argument("--html", metavar="FILE", type=Path, help="write the HTML report here")


def run(args: argparse.Namespace) -> int:
    from workbench.report import to_json, write_html, write_junit
    from workbench.report.text import print_scores
    from workbench.store import repo

    with Session(open_db(args.db)) as db:
        run_id: str | None = args.run_id or repo.latest_run_id(db=db)
        report = repo.run_report(db=db, run_id=run_id) if run_id else None
        shots = repo.screenshots(db=db, run_id=run_id) if run_id and report and args.html else {}
    if report is None:
        print(f"workbench show: no run {args.run_id!r} in the database" if args.run_id
              else "workbench show: the database holds no runs", file=sys.stderr)
        return ExitCode.FAILED
    if args.json:
        print(json.dumps(to_json(report), indent=2, default=str))
    else:
        console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
        config = report.get("config") or {}
        console.print(f"[bold]run {report['run']['id']}[/] · {report['run']['kind']} · "
                      f"{config.get('clock', 'real')} time · seed {report['run']['seed']} · {report['run']['status']}")
        if report.get("verdict") is None:
            console.print("[dim]this run was not scored (only `workbench run` scores its sessions)[/]")
        print_scores(report, console)
    if args.junit:
        print(f"JUnit report: {write_junit(report, args.junit)}", file=sys.stderr)
    if args.html:
        print(f"HTML report: {write_html(report, args.html, shots)}", file=sys.stderr)
    return ExitCode.OK
