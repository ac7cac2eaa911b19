"""``workbench show [RUN]``: a stored run's scores, Seer's interventions with their outcomes and the
knowledge store's validated patterns (EITP v1.1 section 7.6); optionally its reports again."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from workbench.cli.common import STORE_EXIT_CODES, ExitCode, add_db_arg, check_outputs, table_console
from workbench.cli.printer import escape
from workbench.report.text import as_text
from workbench.store.db import open_db

NAME = "show"
ORDER = 62
HELP = "print a stored run's scores (the latest run by default) and optionally write its reports"
DESCRIPTION = f"""{HELP}.

The report paths are checked before the store is read: one that cannot be written is a usage
error (exit 2) and nothing is printed. A report the disk cannot take once it is written (a full
disk) is exit 4. The reports are written before anything is printed, so a reader of the output
that goes away (`| head -1`, exit 141) does not cost them.

examples:
  workbench show                              the latest run in ./workbench.db
  workbench show RUN --html run.html          its HTML report again (RUN: see `workbench runs`)
  workbench show RUN --json > run.json        for scripts
  workbench show --db base.db --junit r.xml   the latest run of another store, as JUnit

{STORE_EXIT_CODES}
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", metavar="RUN", help="run id (see `workbench runs`); default: the latest run")
    add_db_arg(p)
    p.add_argument("--json", action="store_true", help="print the JSON report instead of tables")
    p.add_argument("--junit", metavar="FILE", type=Path, help="write JUnit XML here")
    p.add_argument("--html", metavar="FILE", type=Path, help="write the HTML report here")


def run(args: argparse.Namespace) -> int:
    from workbench.report import to_json, write_reports
    from workbench.report.text import print_attribution, print_scores
    from workbench.store import repo

    check_outputs(junit=args.junit, html=args.html)  # a report path that cannot be written: refused before reading
    with Session(open_db(args.db, create=False)) as db:
        # an empty id ("$RUN_ID" unset) is a run id that is not there, never "the latest"
        run_id: str | None = args.run_id if args.run_id is not None else repo.latest_run_id(db=db)
        # the rage-click tables read every stored batch: only the JSON and HTML reports show them
        report = repo.run_report(db=db, run_id=run_id, rage=bool(args.json or args.html)) if run_id else None
        shots = repo.screenshots(db=db, run_id=run_id) if run_id and report and args.html else {}
    if report is None:
        print(f"workbench show: no run {args.run_id!r} in the database" if args.run_id is not None
              else "workbench show: the database holds no runs", file=sys.stderr)
        return ExitCode.USAGE  # a run id that is not there is a usage error, not a missed expectation
    # the reports before the output: a reader that goes away (`| head -1`, exit 141) must not cost them
    written, failure = write_reports(report, shots, junit=args.junit, html=args.html)
    if args.json:
        print(json.dumps(to_json(report), indent=2, default=str))
    else:
        console = table_console()
        config = report.get("config") or {}
        console.print(f"[bold]run {escape(report['run']['id'])}[/] · {escape(report['run']['kind'])} · "
                      f"{escape(config.get('clock', 'real'))} time · seed {escape(str(report['run']['seed']))} · "
                      f"{escape(report['run']['status'])}")
        if report.get("verdict") is None:
            console.print("[dim]this run was not scored (only `workbench run` scores its sessions)[/]")
        print_scores(report, console)
        _print_interventions([i for s in report["sessions"] for i in s["interventions"]], console)
        print_attribution(report, console)
        _print_knowledge(report["knowledge"], console)
    for line in written:
        print(line, file=sys.stderr)
    if failure is not None:
        print(f"workbench show: {failure}", file=sys.stderr)
        return ExitCode.INFRASTRUCTURE
    return ExitCode.OK


def _print_interventions(rows: list[dict[str, Any]], console: Console) -> None:
    if not rows:
        return
    table = Table(title="interventions (section 9) and what came of them", title_justify="left")
    simulated = any(r.get("expected") for r in rows)  # answered by personas: what Seer should have observed
    for col in ("session", "emotion", "section", "strategy", "outcome", *(("expected",) if simulated else ()),
                "message"):
        table.add_column(col)
    for r in rows:
        table.add_row(as_text(r["session_id"][-9:]), as_text(r["emotion"]), as_text(r["section"]),
                      as_text(r["strategy"]), as_text(r["outcome"] or "pending"),
                      *((as_text(r.get("expected") or "–"),) if simulated else ()), as_text(r["message"]))
    console.print(table)


def _print_knowledge(rows: list[dict[str, Any]], console: Console) -> None:
    if not rows:
        return
    table = Table(title="knowledge store: validated patterns (section 7.6, n >= 10)", title_justify="left")
    for col in ("vertical", "emotion", "section", "geo", "n", "confidence", "trend", "spike", "anomaly", "cycles"):
        table.add_column(col, justify="right" if col in ("n", "confidence", "cycles") else "left")
    for r in rows:
        confidence = r["confidence"]
        table.add_row(as_text(r["vertical"]), as_text(r["emotion"]), as_text(r["section"]), as_text(r["geo"]),
                      as_text(r["sample_size"]),
                      f"{confidence:.1f}" if isinstance(confidence, float | int) else as_text(confidence),
                      as_text(r["trend"]), "yes" if r["spike"] else "", "yes" if r["anomaly"] else "",
                      as_text(r["cycles"]))
    console.print(table)
