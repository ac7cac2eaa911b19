"""``workbench demo``: the paralysed buyer on the RV site, packets printed live."""

from __future__ import annotations

import argparse
from collections import Counter
from functools import partial
from typing import TYPE_CHECKING

from rich.console import Console

from workbench.cli.cmd_run import run_stoppable, say
from workbench.cli.common import ExitCode, add_config_args, add_db_arg, load_config, seed
from workbench.cli.printer import Printer, escape
from workbench.events import EventStream
from workbench.scoring import ERROR, FAIL, PASS, SKIP, SessionScore
from workbench.store.db import default_path, open_db
from workbench.store.recorder import Recorder

if TYPE_CHECKING:
    from workbench.sim.runner import RunResult

NAME = "demo"
ORDER = 10
HELP = "run the paralysed-buyer demo on the RV site (about 70 s)"
DESCRIPTION = ("Drive the paralysed-buyer persona on the RV dealer site in headless Chromium with real mouse input, "
               "print each EITP packet as it arrives, and store the run.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=seed, default=7, help="motion seed; the same seed moves the same way (default 7)")
    p.add_argument("--tui", action="store_true",
                   help="watch the demo in the terminal UI instead of printed lines (needs a terminal)")
    add_db_arg(p)
    add_config_args(p)


def ground_truth_line(score: SessionScore | None) -> str:
    """``pass: emotion ✓ · bot_verdict ✓ · ...``, with what was expected and seen for a check that failed."""
    if score is None:
        return "not scored"
    marks = {PASS: "✓", FAIL: "✗", ERROR: "error"}
    parts = [f"{c.name} {marks[c.status]}" + (f" (expected {c.expected}; saw {c.actual})" if c.status == FAIL else "")
             for c in score.checks if c.status != SKIP]
    return f"{score.verdict}: " + " · ".join(parts)


def print_summary(console: Console, result: RunResult, db_path: object) -> None:
    """What each visit showed. A persona's name, an error, Seer's words and the path are shown as
    written: never read as rich markup, emoji codes or terminal controls."""
    line = partial(console.print, emoji=False)
    line()
    for s in result.sessions:
        emotions = ", ".join(f"{e} ×{n}" for e, n in Counter(s.emotions).most_common()) or "none"
        line(f"[bold]summary[/] {escape(s.persona)} · {s.status}" + (f" ({escape(s.error)})" if s.error else ""))
        line(f"  emotions seen : {emotions}")
        line(f"  bot verdict   : {s.bot}")
        line(f"  packets       : {s.packets}")
        said = "; ".join(f"“{escape(m)}”" for m in s.intervention_messages) or "nothing (cooldowns or no need)"
        line(f"  Seer said     : {said}")
        scored = next((x for x in result.score.sessions if x.session_id == s.session_id), None) if result.score \
            else None
        line(f"  ground truth  : {escape(ground_truth_line(scored))}")
    line(f"  stored in     : {escape(db_path)} (run {result.run_id}; `workbench sessions --run {result.run_id}`)")


def run(args: argparse.Namespace) -> int:
    from synthetic.personas import ParalysedBuyer
    from workbench.sim.runner import RunSpec
    from workbench.sim.runner import run as run_personas

    config = load_config(args)
    db_path = args.db or default_path()
    if args.tui:
        from workbench.tui import run_tui  # Textual only on this branch: the headless demo never loads it

        return run_tui(db_path=db_path, config=config, demo_seed=args.seed)
    console = Console(highlight=False, soft_wrap=True, emoji=False)
    stream = EventStream(Recorder(open_db(db_path)), Printer(console))
    console.print("[bold]EITP Workbench demo[/]: a paralysed buyer on Prosser's Premium RV (about 70 s)\n")
    spec = RunSpec([ParalysedBuyer], seed=args.seed, kind="demo")
    result, interrupted = run_stoppable(run_personas(spec, config=config, stream=stream), stream)
    if result is None:
        say(f"workbench demo: {interrupted}; the browser is closed and the run is stored in {db_path}")
        return ExitCode.INTERRUPTED
    print_summary(console, result, db_path)
    # as `workbench run`: a session that could not be carried out (a crash) is an infrastructure error,
    # not a missed expectation
    return ExitCode.INFRASTRUCTURE if not result.ok else ExitCode.OK
