"""``workbench sweep [RUN] --vary KEY=V1,V2``: the threshold lab (:mod:`workbench.lab`). A stored run's
telemetry is replayed through the engine under other thresholds and scored against ground truth."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlmodel import Session

from workbench import corpora, lab, scoring
from workbench.cli.common import (
    STORE_EXIT_CODES,
    ExitCode,
    add_config_args,
    add_db_arg,
    check_outputs,
    load_config,
    positive,
    table_console,
)
from workbench.cli.printer import escape
from workbench.config import EITPConfig
from workbench.errors import ConfigError, UsageError
from workbench.report.text import as_text
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
options make a grid (at most {lab.MAX_SETTINGS} settings); each names one threshold, once, with
distinct values, and every value is checked before anything is replayed (exit 2 naming it).

signal.* and transport.* are applied in the page, so they shaped the stored telemetry. To vary
them, add --rerun: each setting then runs the stored run's personas again in the browser, with
its seed and clock (a minute of virtual time takes a few seconds), and is compared with a rerun
at the base thresholds (S0). Rage clicks alone are replayable: `workbench rage --set`. Seer is
not replayed, so replay intervention checks read n/a. A replay runs the engine alone, so
inference.enrichment_timeout_ms (read by the LLM tier only) needs --rerun, and the AI review's
margins (bot.ai_review_*) need a run that stored AI reviews (or --rerun with the Claude tier on).

--corpus replays real recorded people and bot libraries instead of a run (../shared/corpora:
SapiMouse and DELBOT, as the producer would have sent them; workbench/corpora.py), so a bot
threshold can be judged by how many real humans it would flag: each group's row counts the
recordings judged as their label says (humans: not a bot; bots: caught). Its telemetry is made
from the raw recordings, so the page thresholds that replay applies vary too, with no browser:
the batches are produced again for each setting that changes one of these:
{textwrap.fill(', '.join(sorted(corpora.PAGE_KEYS)), 96, initial_indent='  ', subsequent_indent='  ')}
The recordings hold only pointer moves and clicks, so the page's other thresholds, and the AI
review's margins (no AI review is stored for them), cannot vary there. A recording file too
short to replay is left out and counted on stderr (and in --json); a malformed one stops the
sweep (exit 2) naming the file and the line.

examples:
  workbench run --persona all --db lab.db
  workbench sweep --db lab.db --vary classifier.min_confidence=0.2,0.5,0.7 --vary inference.buffer_window_ms=5000,10000
  workbench sweep --db lab.db --vary classifier.high_jerk_px_s3=250000,1000000,4000000
  workbench sweep RUN --vary classifier.min_confidence=0.2,0.5 --json
  workbench sweep --corpus humans --limit 40 --vary bot.min_timing_cv=0.1,0.5,1.0 --vary bot.min_cv_intervals=3,8
  workbench sweep --corpus humans --limit 40 --vary signal.sampling_hz=10,20,40
  workbench sweep --rerun --vary signal.rage_window_ms=300,500,800

{STORE_EXIT_CODES}
  a setting that misses expectations is a result, not a failure: the sweep exits 0 when it ran;
  2 also for a --vary that cannot be applied (named before anything is replayed), a RUN that
  stored no telemetry to replay, a --corpus naming no group, and a malformed recording file
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_id", nargs="?", metavar="RUN",
                   help="run id (see `workbench runs`); default: the latest run that stored telemetry")
    add_db_arg(p)
    add_config_args(p)
    p.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="values to replay one engine threshold at (repeatable: a grid); with --corpus also the "
                        "page thresholds its replay of the recordings applies")
    p.add_argument("--corpus", metavar="GROUPS",
                   help="replay recorded corpora instead of a run: humans, bots, all, or group names "
                        "(sapimouse, circles_human_pc1, circles_bot_pynput, ...), comma-separated")
    p.add_argument("--limit", type=positive, metavar="N",
                   help="with --corpus: a seeded sample of N recordings per group")
    p.add_argument("--rerun", action="store_true",
                   help="run the stored run's personas again in the browser for each setting (its seed and clock) "
                        "instead of replaying its telemetry: slower, but page-side thresholds (signal.*) may vary "
                        "(not with --corpus, which produces the recordings' telemetry again per setting instead)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--html", metavar="FILE", type=Path,
                   help="also write a self-contained HTML page: the tables, and a chart when one threshold varies")


def stored_timeout(settings: dict[str, Any]) -> float | None:
    """The wall-clock limit a stored run's sessions had, if its user gave one (``--session-timeout``);
    None lets each persona have its own (``RunSpec.timeout_s``). Runs stored before that default
    recorded 300 s whether given or not, which would cut a long visit's rerun at 5 minutes."""
    argv = settings.get("argv") or ()
    given = any(isinstance(a, str) and (a == "--session-timeout" or a.startswith("--session-timeout="))
                for a in argv)
    value = settings.get("session_timeout_s")
    return float(value) if given and isinstance(value, int | float) and value > 0 else None


def load_corpus(groups: list[str], limit: int | None, config: EITPConfig,
                skipped: list[corpora.Skipped] | None = None) -> lab.Telemetry:
    """Recordings as the producer would have sent them, each a session whose ground truth is its label;
    ``skipped`` collects the files too short to replay."""
    recs = list(corpora.iter_groups(groups, limit=limit, root=corpora.require(), skipped=skipped))
    return corpus_telemetry(groups, recs, config)


def corpus_telemetry(groups: list[str], recs: list[corpora.Recording], config: EITPConfig) -> lab.Telemetry:
    """``recs`` as the producer would have sent them under ``config`` (its page thresholds applied)."""
    batches: list[dict[str, Any]] = []
    sessions: list[lab.StoredSession] = []
    for rec in recs:
        own = corpora.producer_batches(rec, config)
        if not own:
            continue
        batches += own
        truth = scoring.GroundTruth(rec.group, bot=rec.label == "bot")
        sessions.append(lab.StoredSession(own[0]["sessionId"], rec.group, "ended", None, truth,
                                          float(own[-1]["timestamp"]), (), ""))
    return lab.Telemetry(f"corpus {','.join(groups)}", batches, sessions)


def rerun(db: Session, run_id: str, base: EITPConfig, grid: list[dict[str, Any]], console: Console) -> list[lab.Result]:
    """Each setting (the base first): the stored run's personas run again in the browser with its seed
    and clock, unstored, observed by slot ("<seed index>:<persona>") so reruns can be compared."""
    import asyncio

    from synthetic.personas import UnknownPersona, resolve
    from synthetic.response import SCENARIOS
    from workbench.events import EventStream
    from workbench.sim.runner import RunSpec
    from workbench.sim.runner import run as run_personas
    from workbench.store import repo

    report = repo.run_report(db=db, run_id=run_id, rage=False)
    setup = report.get("config") if report else None
    if report is None or not setup or not setup.get("personas"):
        raise ConfigError(f"run {run_id} stored no persona set-up (`workbench run` and `demo` runs do): "
                          "nothing to rerun")
    try:
        personas = [resolve(name) for name in setup["personas"]]
    except UnknownPersona as exc:
        raise ConfigError(f"run {run_id} cannot be rerun here: {exc}") from None
    extra = setup.get("settings") or {}
    answers = extra.get("responses")
    configs = [base, *(base.with_overrides(o) for o in grid)]  # each setting checked before the first browser run
    results: list[lab.Result] = []
    own: dict[str, Any] = {}
    for i, (overrides, config) in enumerate(zip([{}, *grid], configs, strict=True)):
        spec = RunSpec(personas, seed=int(report["run"]["seed"] or 0), kind="sweep", site=extra.get("site"),
                       virtual_time=setup.get("clock") == "virtual", concurrency=setup.get("concurrency"),
                       session_timeout_s=stored_timeout(extra),
                       response=SCENARIOS[answers] if answers and answers != "none" else None,
                       geography=extra.get("geography"))
        console.print(f"[dim]S{i}: running {len(personas)} session(s) again · {escape(_label(overrides, 'rerun'))}[/]")
        result = asyncio.run(run_personas(spec, config=config, stream=EventStream()))
        if result.score is None:
            raise ConfigError(f"the rerun for S{i} could not be scored")
        observed = {f"{s.seed_index}:{s.persona}": s.observation() for s in result.sessions}
        if i == 0:
            own = observed
            results.append(lab.Result({}, result.score, (), observed))
        else:
            results.append(lab.compare(overrides, result.score, observed, own))
    return results


def run(args: argparse.Namespace) -> int:
    from workbench.store import repo

    on_corpus = args.corpus is not None  # `--corpus ""` names no group: refused, not read as "no --corpus"
    if on_corpus and args.run_id:
        raise ConfigError("--corpus replays recordings: give it without a RUN")
    if on_corpus and args.rerun:
        raise ConfigError("--corpus replays recordings, with no browser: give it without --rerun (a corpus sweep "
                          "varies the page thresholds its replay of the recordings applies itself: "
                          f"{', '.join(sorted(corpora.PAGE_KEYS))})")
    # a bad --vary is a usage error before anything is read
    grid = lab.settings(args.vary, rerun=args.rerun, corpus=on_corpus)
    check_outputs(html=args.html)
    if args.limit is not None and not on_corpus:
        raise ConfigError("--limit N goes with --corpus")
    regenerate = None
    skipped: list[corpora.Skipped] = []
    if on_corpus:
        groups = corpora.resolve_groups(args.corpus)
        base = load_config(args)
        recs = list(corpora.iter_groups(groups, limit=args.limit, root=corpora.require(), skipped=skipped))
        if note := corpora.skipped_note(skipped):
            print(f"workbench sweep: {note}", file=sys.stderr)
        telemetry: lab.Telemetry | None = corpus_telemetry(groups, recs, base)

        def regenerate(config: EITPConfig) -> lab.Telemetry:
            return corpus_telemetry(groups, recs, config)
    else:
        with Session(open_db(args.db, create=False)) as db:
            # a replay needs telemetry: the newest run may have stopped before its first visit
            run_id = args.run_id or repo.latest_run_id(db=db, with_telemetry=not args.rerun)
            telemetry = repo.stored_telemetry(db=db, run_id=run_id) if run_id else None
            stored = repo.run_config(db=db, run_id=run_id) if run_id else None
            stored_runs = repo.count_runs(db=db)
        base = load_config(args, stored)
    if telemetry is None:
        print(f"workbench sweep: {_nothing_to_sweep(args.run_id, stored_runs)}", file=sys.stderr)
        return ExitCode.USAGE  # a run id that is not there is a usage error, not a missed expectation
    if not on_corpus and not args.rerun and not len(telemetry.batches):
        raise UsageError(f"run {telemetry.run_id} stored no telemetry: nothing to replay (it stopped before its "
                         "first visit, or recorded none); name a run that has (see `workbench runs`)")
    if not args.rerun:
        lab.check_applies(grid, telemetry)  # the AI review's margins: only over a run that stored reviews
    if args.rerun:
        console = table_console(stderr=args.json, plain_width=180)
        with Session(open_db(args.db, create=False)) as db:
            results = rerun(db, telemetry.run_id, base, grid, console)
        unfaithful: list[lab.StoredSession] = []
        live = False
    else:
        live = not on_corpus and not (args.config or args.set)  # is there a live run to compare with?
        results = _replay_all(telemetry, base, grid, regenerate)
        unfaithful = lab.faithful(telemetry, results[0].observed) if live else []  # S0: the base replayed
    source = "corpus" if on_corpus else "rerun" if args.rerun else "live" if live else "modified"
    written = _write_html(args.html, telemetry, results, unfaithful, source) if args.html else None
    if written and args.json:
        print(f"HTML report: {written}", file=sys.stderr)
    if args.json:
        extra = {"skipped_recordings": [dataclasses.asdict(s) for s in skipped]} if on_corpus else {}
        print(json.dumps({"run_id": telemetry.run_id, "compared_with_live": live,
                          "replay_differs_from_live": [s.session_id for s in unfaithful],
                          "settings": [r.as_dict() for r in results], **extra}, indent=2, default=str))
        return ExitCode.OK
    console = table_console(plain_width=180)
    _print(console, telemetry, results, unfaithful, source)
    if written:
        console.print("HTML report:", as_text(written))  # the user's path: "[/old]" in it raised, "[dc]" vanished
    return ExitCode.OK


def _nothing_to_sweep(run_id: str | None, stored_runs: int) -> str:
    """Why there is no run to sweep, in one line."""
    if run_id:
        return f"no run {run_id!r} in the database"
    if stored_runs:
        return "the database holds no run with telemetry to replay: see `workbench runs`"
    return "the database holds no runs"


def _replay_all(telemetry: lab.Telemetry, base: EITPConfig, grid: list[dict[str, Any]],
                regenerate: Callable[[EITPConfig], lab.Telemetry] | None = None) -> list[lab.Result]:
    """:func:`workbench.lab.sweep` with a progress bar on stderr (a corpus sweep can take minutes)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("replaying settings"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True,
                  disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("sweep", total=len(grid) + 1)
        return lab.sweep(telemetry, base, grid, lambda done, total: bar.update(task, completed=done),
                         regenerate=regenerate)


def _write_html(path: Path, telemetry: lab.Telemetry, results: list[lab.Result],
                unfaithful: list[lab.StoredSession], source: str) -> Path:
    from workbench.report.sweep_html import write_sweep_html

    n = len(telemetry.sessions)
    notes = [f"{n} session{'s' * (n != 1)}", {"live": "replayed through the engine", "modified": "replayed through "
             "the engine from --config/--set", "corpus": "recordings replayed as the producer would have sent them"
             + (" (produced again per setting where a page threshold varies)" if _regenerated(results) else ""),
             "rerun": "personas run again in the browser per setting"}[source]]
    if source == "live":
        notes.append(f"replay check: {n - len(unfaithful)} of {n} sessions replay as they ran live")
    personas = list(dict.fromkeys(s.persona for s in telemetry.sessions if s.ground_truth is not None))
    return write_sweep_html(path, f"Threshold lab · {telemetry.run_id}", notes, [r.as_dict() for r in results],
                            [_label(r.overrides, source) for r in results], personas)


def _regenerated(results: list[lab.Result]) -> bool:
    return any(lab.regenerates(r.overrides) for r in results)


def _label(overrides: dict[str, Any], source: str) -> str:
    own = {"live": "the run's own thresholds", "rerun": "the base thresholds, run again (the run's own unless "
           "--config/--set)"}.get(source, "the base thresholds (defaults, --config, --set)")
    return ", ".join(f"{k}={v}" for k, v in overrides.items()) or own


def _print(console: Console, telemetry: lab.Telemetry, results: list[lab.Result], unfaithful: list[lab.StoredSession],
           source: str) -> None:
    scored = sum(1 for s in telemetry.sessions if s.ground_truth is not None)
    what = escape(telemetry.run_id if source == "corpus" else f"run {telemetry.run_id}")
    n = len(telemetry.sessions)
    how = "rerun per setting" if source == "rerun" else f"{len(telemetry.batches)} batches replayed per setting"
    if source == "corpus" and _regenerated(results):
        how = (f"{len(telemetry.batches)} batches at the base thresholds, produced again from the recordings for "
               "each setting of a page threshold")
    console.print(f"[bold]threshold lab[/] · {what} · {n} session{'s' * (n != 1)} "
                  f"({scored} with ground truth) · {how}")
    if source == "rerun":
        console.print("[dim]each setting ran the personas again in the browser; S0 is a rerun at the base "
                      "thresholds, and 'changed' compares with it[/]")
    elif source == "corpus":
        console.print("[dim]recordings replayed as the producer would have sent them (workbench/corpora.py); a row "
                      "counts the recordings judged as labelled: humans not bots, bots caught[/]")
    elif source == "modified":
        console.print("[dim]base thresholds changed by --config/--set: the replay is not compared with the live run[/]")
    elif unfaithful:
        console.print(f"[yellow]replay check[/]: {len(telemetry.sessions) - len(unfaithful)} of "
                      f"{len(telemetry.sessions)} sessions replay as they ran live; these differ:")
        for s in unfaithful:
            why = " (no close time stored: recorded before this version)" if s.closed_at is None else ""
            console.print(f"  {escape(s.session_id)} {escape(s.persona)}{why}")
    else:
        console.print(f"[green]replay check[/]: {'all ' * (n != 1)}{n} session{'s' * (n != 1)} "
                      f"replay{'s' * (n == 1)} exactly as {'it' if n == 1 else 'they'} ran live")
    for i, r in enumerate(results):
        console.print(f"  [bold]S{i}[/] {escape(_label(r.overrides, source))}")
    rows = [r.as_dict() for r in results]
    console.print("per persona: sessions passing their expectations" + (
        " (as `workbench run` scores them)" if source == "rerun" else " (intervention checks n/a)"))
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
        table.add_row(as_text(p), *cells)
    table.add_section()
    table.add_row("[b]passed[/]", *(f"{d['passed']}/{d['sessions']}" for d in rows))
    table.add_row("bot recall", *(scoring.ratio_text(d["bot"].get("recall")) for d in rows))
    table.add_row("humans judged bots", *(str(d["bot"].get("fp", "-")) for d in rows))
    if any(s.ground_truth is not None and s.ground_truth.emotions for s in telemetry.sessions):
        table.add_row("emotion recall", *(scoring.ratio_text(d["emotion_recall"]) for d in rows))
        table.add_row("emotion precision", *(scoring.ratio_text(d["emotion_precision"]) for d in rows))
    table.add_row("changed vs S0", "-", *(str(len(r.differs)) for r in results[1:]))
    console.print(table)
    console.print("[dim]emotion recall / precision: means over emotions (workbench.scoring); changed: sessions whose "
                  "packets or bot verdict differ from S0's[/]")
