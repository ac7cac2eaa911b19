"""``workbench rage [RUN]``: a stored run's clicks judged by EITP's rage-click rule and by PostHog's,
Mixpanel's, Datadog's and OpenReplay's (:mod:`workbench.rageclicks`), side by side."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from workbench.cli.common import ExitCode, add_config_args, add_db_arg, load_config
from workbench.rageclicks import Definition, SessionRage, definitions, judge, summarise
from workbench.store.db import open_db

NAME = "rage"
ORDER = 63
HELP = "judge a stored run's clicks by EITP's rage-click rule and by PostHog's, Mixpanel's, Datadog's and OpenReplay's"
DESCRIPTION = f"""{HELP}.

Every analytics tool defines a rage click its own way. This replays each session's stored
clicks through all of them, so you can see which definition fires for a frustrated persona and
which stays quiet for a careful one. "expects" is the persona's ground truth (rage_click among
its expected signals). EITP's column is the rule replayed with this configuration's thresholds
(--set signal.rage_clicks=4 to try another); "sent" is what the producer itself reported live.

definitions:
""" + "\n".join(f"  {d.name:<11} {d.rule}  ({d.source})" for d in definitions()) + """

examples:
  workbench run --persona frustrated,calm,confused --count 3
  workbench rage                                 the latest run
  workbench rage --set signal.rage_window_ms=1000
  workbench rage RUN --json                      for scripts
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", metavar="RUN", help="run id (see `workbench runs`); default: the latest run")
    add_db_arg(p)
    add_config_args(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    from workbench.store import repo

    defs = definitions(load_config(args))
    with Session(open_db(args.db)) as db:
        run_id = args.run_id or repo.latest_run_id(db=db)
        report = repo.run_report(db=db, run_id=run_id) if run_id else None
        events = repo.events_by_session(db=db, run_id=run_id) if report and run_id else {}
    if report is None:
        print(f"workbench rage: no run {args.run_id!r} in the database" if args.run_id
              else "workbench rage: the database holds no runs", file=sys.stderr)
        return ExitCode.FAILED
    sessions = []
    for s in report["sessions"]:
        truth = s.get("ground_truth")
        expects = None if truth is None else "rage_click" in truth.get("signals", ())
        verdicts = judge(events.get(s["session_id"], []), defs)
        sessions.append(SessionRage(s["session_id"], s["persona"], expects, verdicts))
    summary = summarise(sessions, defs)
    if args.json:
        print(json.dumps({"run_id": report["run"]["id"], "definitions": summary, "sessions": [
            {"session_id": s.session_id, "persona": s.persona, "expects_rage": s.expects_rage,
             "clicks": s.verdicts.clicks, "sent": s.verdicts.sent, "bursts": s.verdicts.bursts} for s in sessions]},
            indent=2))
        return ExitCode.OK
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    _print(console, report["run"]["id"], sessions, summary, defs)
    return ExitCode.OK


def _mark(n: int | None) -> str:
    return "n/a" if n is None else "[dim]·[/]" if n == 0 else f"[bold]{n}[/]"


def _print(console: Console, run_id: str, sessions: list[SessionRage], summary: list[dict[str, Any]],
           defs: list[Definition]) -> None:
    table = Table(title=f"rage clicks in run {run_id} (bursts per session; · none)", title_justify="left")
    for column in ("session", "persona", "expects", "clicks", "sent", *(d.name for d in defs)):
        table.add_column(column, justify="right" if column not in ("session", "persona", "expects") else "left")
    for s in sessions:
        expects = "?" if s.expects_rage is None else "rage" if s.expects_rage else "none"
        table.add_row(s.session_id, s.persona, expects, str(s.verdicts.clicks), _mark(s.verdicts.sent),
                      *(_mark(s.verdicts.bursts[d.key]) for d in defs))
    console.print(table)
    totals = Table(title="per definition: sessions built to rage-click that it caught, and false alarms on the rest",
                   title_justify="left")
    for column in ("definition", "caught", "false alarms", "bursts", "rule"):
        totals.add_column(column)
    for row in summary:
        totals.add_row(row["name"], f"{row['caught']}/{row['expected']}", f"{row['false_alarms']}/{row['unexpected']}",
                       str(row["bursts"]), row["rule"])
    console.print(totals)
    differ = [s for s in sessions if s.verdicts.bursts.get("eitp") != s.verdicts.sent]
    for s in differ:
        console.print(f"[yellow]note[/] {s.session_id}: EITP's rule replayed gives {s.verdicts.bursts.get('eitp')} "
                      f"burst(s), the producer sent {s.verdicts.sent} (different thresholds, or events lost)")
