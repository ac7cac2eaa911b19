"""Starting, pausing and stopping a run from the TUI, without Textual.

The runner is asyncio and shares its loop with the pipeline (bridge, engine) and the SQLite
recorder, whose writes are synchronous. Run on the app's loop, every recorder write and
every engine window would be a frame the UI does not draw. So a run gets a thread of its
own with its own event loop (:meth:`RunController.run_blocking`, called from a Textual
thread worker); the UI only receives events through the sink, and stopping cancels the
runner's task on that loop, which closes the browser and the pipeline in the runner's own
``finally`` blocks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.config import EITPConfig
from workbench.events import EventStream, OpenRun

STOPPED_NOTE = "stopped from the TUI"
DEFAULTS = "::defaults"  # RunPlan.preset meaning the spec defaults (None: the app's edited thresholds)


def sites_root() -> Path:
    """``$WORKBENCH_SITES`` or the ``sites/`` folder beside the package (as the bridge serves it)."""
    return Path(os.environ.get("WORKBENCH_SITES", Path(__file__).resolve().parents[2] / "sites"))


def available_sites(root: Path | None = None) -> list[str]:
    """Sites that can be driven: the folders of ``sites/`` that hold an ``index.html``."""
    root = root or sites_root()
    return sorted(p.parent.name for p in root.glob("*/index.html"))


NO_ANSWERS = "none"
#: (label, scenario) for the setup screen; the same names as ``workbench run --responses``
ANSWER_CHOICES = (("leave the chat alone", NO_ANSWERS), ("by rv_default's hidden rates", "rv_default"),
                  ("always chat", "always_chat"), ("never engage", "never_engage"))


@dataclass(frozen=True)
class Capabilities:
    """What the runner can do, read from its public names (never assumed)."""

    virtual_time: bool = False
    pause: bool = False
    virtual_note: str = "The runner has no virtual-time mode yet (RunSpec has no such option)."
    pause_note: str = "The runner cannot pause yet: it has no hook between persona steps."


def probe_capabilities() -> Capabilities:
    """Look at :mod:`workbench.sim.runner` as it is now. Imports Playwright: call it off the UI thread."""
    from workbench.sim import runner

    fields = {f.name for f in dataclasses.fields(runner.RunSpec)}
    virtual = "virtual_time" in fields
    # Pause only where the runner offers a gate between persona steps (RunSpec.pause).
    return Capabilities(
        virtual_time=virtual, pause="pause" in fields,
        pause_note="Pause between persona steps (F6 again resumes)." if "pause" in fields
        else Capabilities.pause_note,
        virtual_note="Simulated time: the page clock runs as fast as the browser can." if virtual
        else Capabilities.virtual_note)


@dataclass(frozen=True)
class RunPlan:
    """What the setup screen chose."""

    site: str = "rv"
    counts: Mapping[str, int] = field(default_factory=dict)
    """Persona name -> how many sessions of it."""
    seed: int = 7
    virtual_time: bool = False
    preset: str | None = None
    """A TOML preset path, :data:`DEFAULTS`, or None for the app's current thresholds."""
    kind: str = "run"
    responses: str = NO_ANSWERS
    """How personas answer Seer in the chat: a :data:`synthetic.response.SCENARIOS` name, or none."""

    @property
    def sessions(self) -> int:
        return sum(self.counts.values())


def build_spec(plan: RunPlan, personas: Mapping[str, type], caps: Capabilities) -> Any:
    """The runner's ``RunSpec`` for a plan, using only what the runner supports."""
    from workbench.sim.runner import RunSpec

    chosen = [personas[name] for name, n in plan.counts.items() for _ in range(n)]
    kwargs: dict[str, Any] = {"personas": chosen, "seed": plan.seed, "kind": plan.kind, "site": plan.site or None}
    if caps.pause:
        from workbench.sim.pause import PauseGate

        kwargs["pause"] = PauseGate()
    if caps.virtual_time:
        kwargs["virtual_time"] = plan.virtual_time
    elif plan.virtual_time:
        raise ValueError(caps.virtual_note)
    if plan.responses != NO_ANSWERS:
        from synthetic.response import SCENARIOS

        kwargs["response"] = SCENARIOS[plan.responses]
    return RunSpec(**kwargs)


class RunController:
    """One run on a private event loop. ``run_blocking`` in a worker thread; ``stop`` from anywhere."""

    def __init__(self, spec: Any, config: EITPConfig, stream: EventStream) -> None:
        self.spec = spec
        self.config = config
        self.stream = stream
        self.stopped = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._ready = threading.Event()
        self._open = OpenRun()
        stream.add(self._open)

    def run_blocking(self) -> Any:
        """Drive the run to its end (or to :meth:`stop`); returns the runner's result or None."""
        from workbench.sim.runner import run

        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._task = loop.create_task(run(self.spec, config=self.config, stream=self.stream))
            self._ready.set()
            if self.stopped:
                self._task.cancel()
            try:
                return loop.run_until_complete(self._task)
            except asyncio.CancelledError:
                self._report_stopped()
                return None
        finally:
            self._ready.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        """Cancel the run: sessions stop between two awaits and the browser closes. Only once: a
        second cancel would cut the browser's shutdown short."""
        if self.stopped:
            return
        self.stopped = True
        if self._ready.is_set() and self._loop is not None and self._task is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._task.cancel)
            except RuntimeError:
                pass  # the loop closed between the check and the call: the run is over anyway

    def _report_stopped(self) -> None:
        """Close what the cancelled runner left open, so the store and the screen agree."""
        self._open.close(self.stream, STOPPED_NOTE, status="stopped", note_key="stopped", mark_sessions=False)
