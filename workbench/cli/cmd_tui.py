"""``workbench tui``: the Textual workbench (set up runs, watch them live, history, thresholds)."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.common import ExitCode, add_config_args, add_db_arg, load_config
from workbench.errors import UsageError

NAME = "tui"
ORDER = 15
HELP = "open the terminal UI: set up and watch runs, browse history, edit thresholds"
DESCRIPTION = """Open the EITP Workbench terminal UI. F1 setup (site, personas, seed, time, thresholds), F2 live
(sessions, packets, timelines, rate, bot, minimap), F3 history, F4 thresholds; ctrl+p lists every
command. Runs are stored in --db (created when missing); ctrl+q quits.

examples:
  workbench tui                               ./workbench.db, presets in ./presets
  workbench tui --db lab.db --config preset.toml
  workbench demo --tui                        the paralysed-buyer demo, watched in the UI

exit codes: 0 quit · 2 a bad --config, --set, --presets or --db, or no terminal (stdin or stdout redirected)
            130 interrupted (ctrl-c, SIGTERM)
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_db_arg(p)
    add_config_args(p)
    p.add_argument("--presets", metavar="DIR", type=Path,
                   help="folder of threshold presets (default: $WORKBENCH_PRESETS or ./presets)")


def run(args: argparse.Namespace) -> int:
    config = load_config(args)  # a bad preset is a usage error before any screen opens
    if args.presets is not None and args.presets.exists() and not args.presets.is_dir():
        raise UsageError(f"--presets {args.presets}: it is a file, not a folder")
    from workbench.tui import run_tui  # Textual is imported here only: the headless CLI never loads it

    return run_tui(db_path=args.db, config=config, presets=args.presets) or ExitCode.OK
