"""``workbench demo``: the paralysed buyer on the RV site, packets printed live."""

from __future__ import annotations

import argparse
from collections import Counter

from rich.console import Console

from workbench.cli.cmd_run import run_stoppable, say
from workbench.cli.common import ExitCode, add_config_args, add_db_arg, load_config, seed
from workbench.cli.printer import Printer
from workbench.events import EventStream
from workbench.scoring import ERROR, FAIL, PASS, SKIP, SessionScore
from workbench.store.db import default_path, open_db
from workbench.store.recorder import Recorder

NAME = "demo"
ORDER = 10
HELP = "run the paralysed-buyer demo on the RV site (about 70 s)"
DESCRIPTION = ("Drive the paralysed-buyer persona on the RV dealer site in headless Chromium with real mouse input, "
               "print each EITP packet as it arrives, and store the run.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=seed, default=7, help="motion seed; the same seed moves the same way (default 7)")
    p.add_argument("--tui", action="store_true", help="watch the demo in the terminal UI instead of printed lines")
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


def run(args: argparse.Namespace) -> int:
    from synthetic.personas import ParalysedBuyer
    from workbench.sim.runner import RunSpec
    from workbench.sim.runner import run as run_personas

    config = load_config(args)
    db_path = args.db or default_path()
    if args.tui:
        from workbench.tui import run_tui  # Textual only on this branch: the headless demo never loads it

        return run_tui(db_path=db_path, config=config, demo_seed=args.seed)
    console = Console(highlight=False, soft_wrap=True)
    stream = EventStream(Recorder(open_db(db_path)), Printer(console))
    console.print("[bold]EITP Workbench demo[/]: a paralysed buyer on Prosser's Premium RV (about 70 s)\n")
    spec = RunSpec([ParalysedBuyer], seed=args.seed, kind="demo")
    result, interrupted = run_stoppable(run_personas(spec, config=config, stream=stream), stream)
    if result is None:
        say(f"workbench demo: {interrupted}; the browser is closed and the run is stored in {db_path}")
        return ExitCode.INTERRUPTED
    console.print()
    for s in result.sessions:
        emotions = ", ".join(f"{e} ×{n}" for e, n in Counter(s.emotions).most_common()) or "none"
        console.print(f"[bold]summary[/] {s.persona} · {s.status}" + (f" ({s.error})" if s.error else ""))
        console.print(f"  emotions seen : {emotions}")
        console.print(f"  bot verdict   : {s.bot}")
        console.print(f"  packets       : {s.packets}")
        said = "; ".join(f"“{m}”" for m in s.intervention_messages) or "nothing (cooldowns or no need)"
        console.print(f"  Seer said     : {said}")
        scored = next((x for x in result.score.sessions if x.session_id == s.session_id), None) if result.score \
            else None
        console.print(f"  ground truth  : {ground_truth_line(scored)}")
    console.print(f"  stored in     : {db_path} (run {result.run_id}; `workbench sessions --run {result.run_id}`)")
    # as `workbench run`: a session that could not be carried out (a crash) is an infrastructure error,
    # not a missed expectation
    return ExitCode.INFRASTRUCTURE if not result.ok else ExitCode.OK
