"""The Textual TUI: one more consumer of the run-event stream, beside the CLI printer and the store.

Only ``workbench tui`` and ``workbench demo --tui`` import this package, inside their ``run()``,
so the headless CLI and library never load Textual (``tests/test_headless.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from workbench.errors import UsageError

if TYPE_CHECKING:
    from workbench.config import EITPConfig
    from workbench.tui.app import WorkbenchApp


def demo_app(*, seed: int = 7, **kwargs: Any) -> WorkbenchApp:
    """The app set up on the demo scenario (the paralysed buyer on rv), starting it at once."""
    from workbench.tui.app import WorkbenchApp
    from workbench.tui.runcontrol import RunPlan

    plan = RunPlan(site="rv", counts={"paralysed_buyer": 1}, seed=seed, kind="demo")
    return WorkbenchApp(plan=plan, autostart=True, **kwargs)


def run_tui(*, db_path: str | Path | None = None, config: EITPConfig | None = None, demo_seed: int | None = None,
            presets: Path | None = None) -> int:
    """Open the app (on the demo scenario when ``demo_seed`` is given) and return its exit code."""
    require_terminal(sys.stdin, sys.stdout)
    from workbench.store.db import open_db
    from workbench.tui.app import WorkbenchApp

    open_db(db_path).dispose()  # a file that is no store is a usage error before any screen opens
    options: dict[str, Any] = {"db_path": db_path, "config": config, "presets": presets}
    app = demo_app(seed=demo_seed, **options) if demo_seed is not None else WorkbenchApp(**options)
    return int(app.run() or 0)


def require_terminal(stdin: TextIO, stdout: TextIO) -> None:
    """Refuse to start without a terminal on both ends.

    Without this, ``workbench tui > log`` or a CI step would draw screens into a file and wait
    forever for keys that cannot come.
    """
    missing = [name for name, stream in (("stdin", stdin), ("stdout", stdout))
               if stream is None or not stream.isatty()]
    if missing:
        raise UsageError(f"the terminal UI needs a terminal, and {' and '.join(missing)} "
                         f"{'is' if len(missing) == 1 else 'are'} not one (redirected or piped); "
                         "for scripts and CI use `workbench run` or `workbench demo` without --tui")
