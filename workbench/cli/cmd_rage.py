"""``workbench rage [RUN]``: a stored run's clicks judged by EITP's rage-click rule and by PostHog's,
Mixpanel's, Datadog's and OpenReplay's (:mod:`workbench.rageclicks`), side by side."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlmodel import Session

from workbench.cli.common import (
    STORE_EXIT_CODES,
    ExitCode,
    add_config_args,
    add_db_arg,
    load_config,
    positive,
    table_console,
)
from workbench.cli.printer import escape
from workbench.errors import ConfigError
from workbench.rageclicks import EVENT_TYPES, Definition, definitions, judge_run
from workbench.report.text import as_text
from workbench.store.db import open_db

NAME = "rage"
ORDER = 63
HELP = "judge a stored run's clicks by EITP's rage-click rule and by PostHog's, Mixpanel's, Datadog's and OpenReplay's"
DESCRIPTION = f"""{HELP}.

Every analytics tool defines a rage click its own way. This replays each session's stored
clicks through all of them, so you can see which definition fires for a frustrated persona and
which stays quiet for a careful one. "expects" is the persona's ground truth: rage (rage_click
among its expected signals), none, or bot (scripts are listed but not counted). EITP's column
is the rule replayed with the run's own thresholds, or with --config / --set (--set
signal.rage_clicks=4 to try another); "sent" is what the producer itself reported live. The
reports of `workbench show --html / --json` carry the same tables.

definitions:
""" + "\n".join(f"  {d.name:<11} {d.rule}  ({d.source})" for d in definitions()) + """

examples:
  workbench run --persona frustrated,calm,confused --count 3
  workbench rage                                 the latest run
  workbench rage --set signal.rage_window_ms=1000
  workbench rage RUN --json                      for scripts
  workbench rage --corpus sapimouse --set signal.rage_clicks=4   real people, a stricter EITP rule

With --corpus, a recording file too short to replay (fewer than 2 pointer positions) is left out
and counted: on stderr, and as "skipped" per group in --json.

""" + STORE_EXIT_CODES + """
  2  also: a bad --config or --set, --limit without --corpus, a --corpus naming no group or an
     unknown one; --corpus without the shared recordings installed, or with a malformed
     recording file (named with its line)
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", metavar="RUN", help="run id (see `workbench runs`); default: the latest run")
    add_db_arg(p)
    add_config_args(p)
    p.add_argument("--corpus", metavar="GROUPS",
                   help="judge the clicks of the shared recordings instead of a run (humans, bots, all, or group "
                        "names, as for `workbench sweep --corpus`): how often each rule fires for real people")
    p.add_argument("--limit", type=positive, metavar="N",
                   help="with --corpus: a seeded sample of N recordings per group")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def corpus(args: argparse.Namespace) -> int:
    """Per recorded group: the share of recordings in which each definition finds a rage click."""
    from workbench import corpora
    from workbench.rageclicks import bare_clicks, judge_clicks

    if args.run_id:
        raise ConfigError("--corpus judges recordings: give it without a RUN")
    groups = corpora.resolve_groups(args.corpus)
    root = corpora.require()
    defs = definitions(load_config(args))
    rows: dict[str, dict[str, Any]] = {  # every group asked for, in order: one with nothing to judge shows 0
        g: {"group": g, "label": corpora.label(g), "recordings": 0, "clicks": 0, "skipped": 0,
            "flagged": dict.fromkeys((d.key for d in defs), 0)} for g in groups}
    skipped: list[corpora.Skipped] = []
    for rec in corpora.iter_groups(groups, limit=args.limit, root=root, skipped=skipped):
        row = rows[rec.group]
        clicks = bare_clicks(rec.click_t, rec.click_x, rec.click_y)
        row["recordings"] += 1
        row["clicks"] += len(clicks)
        for key, bursts in judge_clicks(clicks, defs).items():
            so_far = row["flagged"][key]  # None: the rule did not apply to a recording of the group, so n/a
            row["flagged"][key] = None if bursts is None or so_far is None else so_far + bool(bursts)
    for skip in skipped:
        rows[skip.group]["skipped"] += 1
    if note := corpora.skipped_note(skipped):
        print(f"workbench rage: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps({"corpus": groups, "rules": {d.key: d.rule for d in defs}, "groups": list(rows.values())},
                         indent=2))
        return ExitCode.OK
    console = table_console()
    table = Table(title="recordings in which each rule finds a rage click (nobody in them was asked to be angry; "
                        "n/a: the rule compares elements, which recordings lack)", title_justify="left")
    for column in ("group", "recordings", "clicks", *(d.name for d in defs)):
        table.add_column(column, justify="left" if column == "group" else "right")
    for row in rows.values():
        n = row["recordings"]
        flagged = row["flagged"]
        table.add_row(row["group"], str(n), str(row["clicks"]), *(
            "n/a" if flagged[d.key] is None or not n else f"{flagged[d.key]} ({flagged[d.key] / n:.0%})" for d in defs))
    console.print(table)
    return ExitCode.OK


def run(args: argparse.Namespace) -> int:
    from workbench.store import repo

    if args.corpus is not None:  # `--corpus ""` names no group: refused, not read as "no --corpus"
        return corpus(args)
    if args.limit is not None:
        raise ConfigError("--limit N goes with --corpus")

    with Session(open_db(args.db, create=False)) as db:
        run_id = args.run_id or repo.latest_run_id(db=db)
        report = repo.run_report(db=db, run_id=run_id, rage=False) if run_id else None
        if report is None or run_id is None:
            print(f"workbench rage: no run {args.run_id!r} in the database" if args.run_id
                  else "workbench rage: the database holds no runs", file=sys.stderr)
            return ExitCode.USAGE  # a run id that is not there is a usage error, not a missed expectation
        # the run's own thresholds, unless --config / --set say otherwise
        defs = definitions(load_config(args, repo.run_config(db=db, run_id=run_id)))
        judged = judge_run(report["sessions"], repo.events_by_session(db=db, run_id=run_id, types=EVENT_TYPES),
                           defs)
    if args.json:
        print(json.dumps({"run_id": report["run"]["id"], **judged}, indent=2))
    else:
        console = table_console()
        print_rage(console, report["run"]["id"], judged, defs)
    return ExitCode.OK


def _mark(n: int | None) -> str:
    return "n/a" if n is None else "[dim]·[/]" if n == 0 else f"[bold]{n}[/]"


def print_rage(console: Console, run_id: str, judged: dict[str, Any], defs: list[Definition]) -> None:
    title = Text.assemble("rage clicks in run ", as_text(run_id), " (bursts per session; · none)", style="table.title")
    table = Table(title=title, title_justify="left")
    for column in ("session", "persona", "expects", "clicks", "sent", *(d.name for d in defs)):
        key = {"session": "session_id", "persona": "persona"}.get(column)  # what names a row is never cut short
        table.add_column(column, justify="left" if column in ("session", "persona", "expects") else "right",
                         no_wrap=key is not None, min_width=max((len(str(s[key])) for s in judged["sessions"]),
                                                                default=0) if key else None)
    for s in judged["sessions"]:
        # stored text: a `workbench serve` visitor's page chose its session id ("[/x]" raised, "[dc]" vanished)
        table.add_row(as_text(s["session_id"]), as_text(s["persona"]), as_text(s["expects"]), str(s["clicks"]),
                      _mark(s["sent"]), *(_mark(s["bursts"][d.key]) for d in defs))
    console.print(table)
    totals = Table(title="per definition: sessions built to rage-click that it caught, and false alarms on the rest",
                   title_justify="left")
    for column in ("definition", "caught", "false alarms", "bursts", "rule"):
        totals.add_column(column)
    for row in judged["definitions"]:
        totals.add_row(row["name"], f"{row['caught']}/{row['expected']}", f"{row['false_alarms']}/{row['unexpected']}",
                       str(row["bursts"]), row["rule"])
    console.print(totals)
    for s in judged["sessions"]:
        if s["bursts"].get("eitp") != s["sent"]:
            console.print(f"[yellow]note[/] {escape(s['session_id'])}: EITP's rule replayed gives "
                          f"{s['bursts'].get('eitp')} burst(s), the producer sent {s['sent']} "
                          "(other thresholds than the run's, or events lost)")
