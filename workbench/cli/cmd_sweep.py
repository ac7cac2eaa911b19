"""``workbench sweep [RUN] --vary KEY=V1,V2``: the threshold lab (:mod:`workbench.lab`). A stored run's
telemetry is replayed through the engine under other thresholds and scored against ground truth."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from workbench import lab, scoring
from workbench.cli.common import ExitCode, add_config_args, add_db_arg, load_config
from workbench.config import EITPConfig
from workbench.errors import ConfigError
from workbench.store.db import open_db

NAME = "sweep"
ORDER = 64
HELP = "threshold lab: replay a stored run through the engine under other thresholds and score each setting"
DESCRIPTION = f"""{HELP}.

The engine takes time only from the telemetry, so a stored run replayed with its own thresholds
gives the packets and bot verdicts it gave live (checked and reported first). Each --vary setting
replays the same telemetry with other values of the engine's own thresholds ({', '.join(
    s + '.*' for s in lab.REPLAYABLE)}) and scores it against each persona's ground truth, as
`workbench run` does. No browser runs: a sweep over a stored run takes seconds. Several --vary
options make a grid (at most {lab.MAX_SETTINGS} settings).

signal.* and transport.* are applied in the page, so they shaped the stored telemetry: vary them
with `workbench run --set` (rage clicks: `workbench rage --set`). Seer is not replayed, so
intervention checks read n/a.

--corpus replays real recorded people and bot libraries instead of a run (../shared/corpora:
SapiMouse and DELBOT, as the producer would have sent them; workbench/corpora.py), so a bot
threshold can be judged by how many real humans it would flag: each group's row counts the
recordings judged as their label says (humans: not a bot; bots: caught).

examples:
  workbench run --persona all --db lab.db
  workbench sweep --db lab.db --vary classifier.min_confidence=0.2,0.5,0.7 --vary inference.buffer_window_ms=5000,10000
  workbench sweep --db lab.db --vary classifier.high_jerk_px_s3=250000,1000000,4000000
  workbench sweep RUN --vary classifier.min_confidence=0.2,0.5 --json
  workbench sweep --corpus humans --limit 40 --vary bot.min_timing_cv=0.1,0.5,1.0 --vary bot.min_cv_intervals=3,8
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", metavar="RUN", help="run id (see `workbench runs`); default: the latest run")
    add_db_arg(p)
    add_config_args(p)
    p.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="values to replay one engine threshold at (repeatable: a grid)")
    p.add_argument("--corpus", metavar="GROUPS",
                   help="replay recorded corpora instead of a run: humans, bots, all, or group names "
                        "(sapimouse, circles_human_pc1, circles_bot_pynput, ...), comma-separated")
    p.add_argument("--limit", type=int, metavar="N", help="with --corpus: a seeded sample of N recordings per group")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def corpus_groups(spec: str) -> list[str]:
    from workbench import corpora

    known = (*corpora.HUMAN_GROUPS, *corpora.BOT_GROUPS)
    named = {"humans": corpora.HUMAN_GROUPS, "bots": corpora.BOT_GROUPS, "all": known}
    groups: list[str] = []
    for word in (w.strip() for w in spec.split(",") if w.strip()):
        if word not in named and word not in known:
            raise ConfigError(f"--corpus: {word!r} is not a group; known: humans, bots, all, {', '.join(known)}")
        groups += named.get(word, (word,))
    return list(dict.fromkeys(groups))


def load_corpus(groups: list[str], limit: int | None, config: EITPConfig) -> lab.Telemetry:
    """Recordings as the producer would have sent them, each a session whose ground truth is its label."""
    from workbench import corpora

    batches: list[dict[str, Any]] = []
    sessions: list[lab.StoredSession] = []
    for rec in corpora.iter_groups(groups, limit=limit, root=corpora.CORPORA_DIR):
        own = corpora.producer_batches(rec, config)
        if not own:
            continue
        batches += own
        truth = scoring.GroundTruth(rec.group, bot=rec.label == "bot")
        sessions.append(lab.StoredSession(own[0]["sessionId"], rec.group, "ended", None, truth,
                                          float(own[-1]["timestamp"]), (), ""))
    return lab.Telemetry(f"corpus {','.join(groups)}", batches, sessions)


def run(args: argparse.Namespace) -> int:
    from workbench import corpora
    from workbench.store import repo

    grid = lab.settings(args.vary)  # a bad --vary is a usage error before anything is read
    if args.corpus and args.run_id:
        raise ConfigError("give a RUN or --corpus, not both")
    if args.limit is not None and (not args.corpus or args.limit < 1):
        raise ConfigError("--limit N (N >= 1) goes with --corpus")
    if args.corpus:
        groups = corpus_groups(args.corpus)
        if not corpora.available(corpora.CORPORA_DIR):  # read here, so a test can point it elsewhere
            raise ConfigError(f"--corpus needs the shared corpora at {corpora.CORPORA_DIR}, which is not there")
        base = load_config(args)
        telemetry: lab.Telemetry | None = load_corpus(groups, args.limit, base)
        stored = None
    else:
        with Session(open_db(args.db)) as db:
            run_id = args.run_id or repo.latest_run_id(db=db)
            telemetry = repo.stored_telemetry(db=db, run_id=run_id) if run_id else None
            stored = repo.run_config(db=db, run_id=run_id) if run_id else None
        base = load_config(args, stored)
    if telemetry is None:
        print(f"workbench sweep: no run {args.run_id!r} in the database" if args.run_id
              else "workbench sweep: the database holds no runs", file=sys.stderr)
        return ExitCode.FAILED
    live = not args.corpus and not (args.config or args.set)  # is there a live run to compare with?
    own = lab.replay(telemetry, base)
    unfaithful = lab.faithful(telemetry, own) if live else []
    results = lab.sweep(telemetry, base, grid)
    if args.json:
        print(json.dumps({"run_id": telemetry.run_id, "compared_with_live": live,
                          "replay_differs_from_live": [s.session_id for s in unfaithful],
                          "settings": [r.as_dict() for r in results]}, indent=2, default=str))
        return ExitCode.OK
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 180)
    _print(console, telemetry, results, unfaithful, "corpus" if args.corpus else "live" if live else "modified")
    return ExitCode.OK


def _label(overrides: dict[str, Any], source: str) -> str:
    own = "the run's own thresholds" if source == "live" else "the base thresholds (defaults, --config, --set)"
    return ", ".join(f"{k}={v}" for k, v in overrides.items()) or own


def _print(console: Console, telemetry: lab.Telemetry, results: list[lab.Result], unfaithful: list[lab.StoredSession],
           source: str) -> None:
    scored = sum(1 for s in telemetry.sessions if s.ground_truth is not None)
    what = telemetry.run_id if source == "corpus" else f"run {telemetry.run_id}"
    n = len(telemetry.sessions)
    console.print(f"[bold]threshold lab[/] · {what} · {n} session{'s' * (n != 1)} "
                  f"({scored} with ground truth) · {len(telemetry.batches)} batches replayed per setting")
    if source == "corpus":
        console.print("[dim]recordings replayed as the producer would have sent them (workbench/corpora.py); a row "
                      "counts the recordings judged as labelled: humans not bots, bots caught[/]")
    elif source == "modified":
        console.print("[dim]base thresholds changed by --config/--set: the replay is not compared with the live run[/]")
    elif unfaithful:
        console.print(f"[yellow]replay check[/]: {len(telemetry.sessions) - len(unfaithful)} of "
                      f"{len(telemetry.sessions)} sessions replay as they ran live; these differ:")
        for s in unfaithful:
            why = " (no close time stored: recorded before this version)" if s.closed_at is None else ""
            console.print(f"  {s.session_id} {s.persona}{why}")
    else:
        console.print(f"[green]replay check[/]: {'all ' * (n != 1)}{n} session{'s' * (n != 1)} "
                      f"replay{'s' * (n == 1)} exactly as {'it' if n == 1 else 'they'} ran live")
    for i, r in enumerate(results):
        console.print(f"  [bold]S{i}[/] {_label(r.overrides, source)}")
    rows = [r.as_dict() for r in results]
    console.print("per persona: sessions passing their expectations (intervention checks n/a)")
    table = Table()
    table.add_column("persona")
    for i in range(len(results)):
        table.add_column(f"S{i}", justify="center")
    for p in dict.fromkeys(s.persona for s in telemetry.sessions if s.ground_truth is not None):
        cells = []
        for d in rows:
            got = d["per_persona"].get(p, {"passed": 0, "sessions": 0})
            ok = got["passed"] == got["sessions"]
            text = ("✔" if ok else "✘") if got["sessions"] == 1 else f"{got['passed']}/{got['sessions']}"
            cells.append(f"[green]{text}[/]" if ok else f"[red]{text}[/]")
        table.add_row(p, *cells)
    table.add_section()
    table.add_row("[b]passed[/]", *(f"{d['passed']}/{d['sessions']}" for d in rows))
    table.add_row("bot recall", *(_fmt(d["bot"].get("recall")) for d in rows))
    table.add_row("humans judged bots", *(str(d["bot"].get("fp", "-")) for d in rows))
    if any(s.ground_truth is not None and s.ground_truth.emotions for s in telemetry.sessions):
        table.add_row("emotion recall", *(_fmt(d["emotion_recall"]) for d in rows))
        table.add_row("emotion precision", *(_fmt(d["emotion_precision"]) for d in rows))
    table.add_row("changed vs S0", "-", *(str(len(r.differs)) for r in results[1:]))
    console.print(table)
    console.print("[dim]emotion recall / precision: means over emotions (workbench.scoring); changed: sessions whose "
                  "packets or bot verdict differ from S0's[/]")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
