"""``workbench compare BASE [RUN]``: a run against a baseline run, session by session (:mod:`workbench.compare`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from workbench.cli.common import ExitCode, add_db_arg, table_console
from workbench.cli.printer import escape
from workbench.compare import CHANGED, FIXED, REGRESSION, SAME, Comparison, compare_reports
from workbench.errors import UsageError
from workbench.report.text import as_text
from workbench.store.db import default_path, open_db

NAME = "compare"
ORDER = 63
HELP = "compare a run with a baseline run: regressions, fixes and changed conclusions, session by session"
DESCRIPTION = f"""{HELP}.

Sessions are paired by persona and seed index: runs made with the same --seed and the same
--persona list (in the same order) compare the same visits; otherwise the output says they are
paired by persona only. A regression is a session the baseline passed and the run does not (a
session the run did not score does not pass); a session the baseline passed that is not in the run
at all (a persona dropped or renamed, a lower --count, a run cut short) is missing. Either makes the
exit code 1, so CI can gate on it: refresh the baseline when the persona set changes on purpose.
Also shown: sessions that were fixed, sessions whose dominant emotion, bot verdict or scoring checks
changed while the verdict held, sessions only one run has, both runs' scores, and the thresholds
that differ between them.

examples:
  workbench run --persona all --seed 7 --db base.db        on the main branch
  workbench run --persona all --seed 7                     on the change
  workbench compare latest --base-db base.db               exit 1 on a regression or a missing session
  workbench compare RUN_A RUN_B --json

exit codes: 0 no regression · 1 a session regressed or is missing · 2 a run that is not in its
database, or a --db / --base-db that is not a store this version can read · 4 a store that is
locked by another process, on a full or failing disk, or damaged
"""
COLOURS = {REGRESSION: "red", FIXED: "green", CHANGED: "yellow", SAME: "dim"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("base", metavar="BASE", help="the baseline run id, or 'latest' (in --base-db, else --db)")
    p.add_argument("run_id", nargs="?", metavar="RUN", help="the run to judge (default: the latest in --db)")
    add_db_arg(p)
    p.add_argument("--base-db", metavar="PATH", help="the baseline's SQLite file (default: --db)")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")


def run(args: argparse.Namespace) -> int:
    base, base_config = _load(args.base_db or args.db, args.base)
    report, config = _load(args.db, args.run_id or "latest")
    if base["run"]["id"] == report["run"]["id"] and _same_file(args.base_db or args.db, args.db):
        raise UsageError(f"BASE and RUN are the same run ({base['run']['id']}): name another one")
    comparison = compare_reports(base, report, base_config=base_config, run_config=config)
    if args.json:
        print(json.dumps(comparison.as_dict(), indent=2, default=str))
    else:
        _print(comparison, table_console())
    return ExitCode.FAILED if comparison.failed else ExitCode.OK


def _same_file(one: str | None, other: str | None) -> bool:
    """Whether two --db values name one file, however they are spelt (./x.db, x.db, $WORKBENCH_DB)."""
    first, second = Path(one) if one else default_path(), Path(other) if other else default_path()
    try:
        return first.samefile(second)
    except OSError:
        return first.absolute() == second.absolute()


def _load(db_path: str | None, run_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    from workbench.store import repo

    with Session(open_db(db_path, create=False)) as db:
        rid = repo.latest_run_id(db=db) if run_id == "latest" else run_id
        report = repo.run_report(db=db, run_id=rid, rage=False) if rid else None
        config = repo.run_config(db=db, run_id=rid) if rid else None
    if report is None:
        where = db_path or "the database"
        raise UsageError(f"no run {run_id!r} in {where}" if run_id != "latest" else f"{where} holds no runs")
    return report, config.model_dump() if config is not None else None


def _print(c: Comparison, console: Console) -> None:
    console.print(f"[bold]{escape(c.run_id)}[/] against baseline [bold]{escape(c.base_id)}[/]"
                  + (f" · [yellow]{escape(c.pairing())}[/]" if c.pairing() else ""))
    table = Table(title="sessions that differ", title_justify="left")
    for column in ("persona", "#", "kind", "what changed (baseline → run)"):
        table.add_column(column, overflow="fold")
    for pair in c.pairs:
        if pair.kind == SAME:
            continue
        table.add_row(as_text(pair.persona), str(pair.nth + 1), f"[{COLOURS[pair.kind]}]{pair.kind}[/]",
                      escape(pair.describe()))
    if table.row_count:
        console.print(table)
    scores = Table(title="scores", title_justify="left")
    for column in ("figure", c.base_id, c.run_id):  # run ids are stored text: a header is read as markup
        scores.add_column(as_text(column))
    for name, (before, after) in c.scores.items():
        scores.add_row(name, "-" if before is None else str(before), "-" if after is None else str(after))
    console.print(scores)
    if c.thresholds:
        # a string threshold (a path) is as the user wrote it: "[/old]" in it raised, "[dc]" vanished
        console.print("thresholds that differ:", as_text(c.threshold_changes()))
    for line in c.unpaired:
        console.print(f"[dim]unpaired: {escape(line)}[/]")
    for line in c.missing:
        console.print(f"[red]missing[/]: {escape(line)}")
    counts = c.counts()
    console.print(" · ".join(f"[{COLOURS[k]}]{n} {k}[/]" for k, n in counts.items())
                  + (f" · [red]{len(c.missing)} missing[/]" if c.missing else "")
                  + (" · [red]REGRESSED[/]" if c.failed else " · [green]no regression[/]"))
