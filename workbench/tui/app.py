"""The Textual app: four modes (setup, live, history, thresholds) around one run controller.

The app is one more sink of the run-event stream (:meth:`WorkbenchApp.sink`), beside the
SQLite recorder. The sink may be called from the runner's thread: it folds the event into
the :class:`LiveModel` under a lock and posts :class:`WorkbenchApp.FeedChanged`, a message
that replaces any pending one, so a burst of batches from sixteen sessions costs the UI
one redraw of the parts that changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.message import Message

from workbench.config import EITPConfig
from workbench.events import EventStream, RunEnded, RunEvent, RunStarted
from workbench.tui.commands import WorkbenchCommands
from workbench.tui.configform import presets_dir
from workbench.tui.model import LiveModel
from workbench.tui.runcontrol import DEFAULTS, Capabilities, RunController, RunPlan, build_spec, probe_capabilities
from workbench.tui.screens.history import HistoryScreen
from workbench.tui.screens.live import LiveScreen
from workbench.tui.screens.setup import SetupScreen
from workbench.tui.screens.thresholds import ThresholdsScreen
from workbench.tui.untrusted import describe

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

REDRAW_INTERVAL_S = 0.25  # at most four live redraws a second, however fast events arrive


ACTIVE = ("starting", "running", "paused", "stopping")
"""Run states in which a second run cannot start."""
STOPPABLE = ("starting", "running", "paused")
PAUSABLE = ("running", "paused")  # F6 pauses or resumes


class WorkbenchApp(App[int]):
    """EITP Workbench: set up runs, watch them live, browse history, edit thresholds."""

    CSS_PATH = "workbench.tcss"
    TITLE = "EITP Workbench"
    MODES = {"setup": SetupScreen, "live": LiveScreen, "history": HistoryScreen, "thresholds": ThresholdsScreen}
    DEFAULT_MODE = "setup"
    COMMANDS = App.COMMANDS | {WorkbenchCommands}
    # in footer order: run control first, so an 80-column footer that cannot show every key shows those
    BINDINGS = [
        Binding("f5", "start_run", "Start"),
        Binding("f6", "pause_run", "Pause"),
        Binding("f6", "resume_run", "Resume"),  # in the footer instead of "Pause" while paused
        Binding("f8", "stop_run", "Stop"),
        Binding("f1", "switch_mode('setup')", "Setup"),
        Binding("f2", "switch_mode('live')", "Live"),
        Binding("f3", "switch_mode('history')", "History"),
        Binding("f4", "switch_mode('thresholds')", "Thresholds"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    @dataclass
    class FeedChanged(Message):
        """The live model changed; the handler asks the model what (so merging loses nothing)."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, WorkbenchApp.FeedChanged)

    @dataclass
    class RunStateChanged(Message):
        """A run started, ended or was stopped."""

        state: str
        """idle | starting | running | stopping | ended | failed | stopped"""

    @dataclass
    class CapabilitiesKnown(Message):
        """The runner was probed for virtual time and pause."""

        capabilities: Capabilities
        """What the runner supports."""

    def __init__(self, *, db_path: str | Path | None = None, config: EITPConfig | None = None,
                 personas: Mapping[str, type] | None = None, presets: Path | None = None,
                 plan: RunPlan | None = None, autostart: bool = False, cursor_blink: bool = True) -> None:
        super().__init__()
        from synthetic.personas import PERSONAS
        from workbench.store.db import default_path

        self.db_path = Path(db_path) if db_path is not None else default_path()
        self.config = config or EITPConfig()
        self.personas: dict[str, type] = dict(personas if personas is not None else PERSONAS)
        self.presets = presets or presets_dir()
        self.plan = plan or RunPlan(counts={next(iter(self.personas)): 1} if self.personas else {})
        self.autostart = autostart
        self.cursor_blink = cursor_blink
        self.model = LiveModel()
        self.capabilities = Capabilities()
        self.capabilities_known = False
        self.run_state = "idle"
        self.thresholds_invalid: str | None = None  # what is invalid in the F4 form, while anything is
        self.live_screen: LiveScreen | None = None
        self._controller: RunController | None = None
        self._stop_requested = False
        self._last_redraw = 0.0
        self._redraw_due = False
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()

    # --- the event stream ------------------------------------------------------------------
    def sink(self, event: RunEvent | Any) -> None:
        """A run-event sink; safe to call from any thread."""
        self.model.apply(event)
        self.post_message(self.FeedChanged())
        if isinstance(event, RunStarted):
            self.post_message(self.RunStateChanged("running"))

    @on(FeedChanged)
    def _feed_changed(self) -> None:
        wait = self._last_redraw + REDRAW_INTERVAL_S - monotonic()
        if wait > 0:  # redrawn a moment ago: once more when the interval is up, with all that changed since
            if not self._redraw_due:
                self._redraw_due = True
                self.set_timer(wait, self._redraw)
            return
        self._redraw()

    @property
    def feed_settled(self) -> bool:
        """Every event so far is on screen (no redraw pending)."""
        return not self._redraw_due and not self.model.is_dirty()

    def _redraw(self) -> None:
        self._redraw_due = False
        self._last_redraw = monotonic()
        dirty = self.model.take_dirty()
        if dirty and self.live_screen is not None:
            self.live_screen.redraw(dirty)

    @on(RunStateChanged)
    def _state_changed(self, event: RunStateChanged) -> None:
        if self.run_state == "paused" and event.state == "running":
            return  # RunStarted arrived after F6: still paused
        self._set_state(event.state)

    def _set_state(self, state: str) -> None:
        """On the UI thread: the run's state, the footer's bindings and the setup buttons."""
        if self.run_state == "stopping" and state == "running":
            return  # RunStarted arrived after F8: still stopping
        self.run_state = state
        self.refresh_bindings()
        for screen in self.screen_stack:
            if isinstance(screen, SetupScreen):
                screen.show_state(state)
            elif isinstance(screen, LiveScreen):
                screen.redraw({"run"})  # its status line says paused or stopping at once

    # --- lifecycle -------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._probe()
        # a closed terminal (SIGHUP) or a `kill` (SIGTERM) quits as F10 does: the run is stopped and
        # stored as stopped, and its browser (in a session of its own, so the signal never reaches
        # it) is closed, not left running
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                loop.add_signal_handler(sig, self.call_later, self.action_quit)
        if self.autostart:
            self.call_after_refresh(self.action_start_run)

    def on_unmount(self) -> None:
        """However the app ends (F10 and signals stop the run first; an exception or a test's end do
        not): the run is stopped, not left playing its personas in the run thread, which kept Chromium
        running and the process from exiting (asyncio waits for its executor's threads) until the
        visits were over."""
        self._stop_requested = True
        if self._controller is not None:
            self._controller.stop()

    def engine(self) -> Engine:
        """The SQLite engine (opened once, on a worker thread by whoever asks first)."""
        with self._engine_lock:
            if self._engine is None:
                from workbench.store.db import open_db

                self._engine = open_db(self.db_path)
            return self._engine

    @work(thread=True, exclusive=True, group="probe")
    def _probe(self) -> None:
        """What the runner supports; when it cannot be imported (no Playwright), it supports nothing and the
        reason is said, instead of the worker's exception ending the app."""
        try:
            caps = probe_capabilities()
        except Exception as exc:
            caps = Capabilities()
            self.call_from_thread(self.notify, describe(exc), title="Runner unavailable", severity="error",
                                  markup=False)
        self.post_message(self.CapabilitiesKnown(caps))

    @on(CapabilitiesKnown)
    def _known(self, event: CapabilitiesKnown) -> None:
        self.capabilities, self.capabilities_known = event.capabilities, True
        self.refresh_bindings()
        for screen in self.screen_stack:
            if isinstance(screen, SetupScreen):
                screen.show_capabilities(event.capabilities)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        running = self.run_state in ACTIVE
        if action == "start_run":
            return not running
        if action == "stop_run":
            return True if self.run_state in STOPPABLE else None
        if action == "pause_run":  # hidden while paused, so F6 shows "Resume" (the next binding of the key)
            if self.run_state == "paused":
                return False
            return True if self.run_state in PAUSABLE and self.capabilities.pause else None
        if action == "resume_run":
            return self.run_state == "paused"
        return True

    # --- run control -----------------------------------------------------------------------
    def action_start_run(self) -> None:
        if self.run_state in ACTIVE:
            self.notify("A run is already going; stop it first (F8).", severity="warning")
            return
        plan = self.plan
        if plan.sessions == 0:
            self.notify("Choose at least one persona on the setup screen (F1).", severity="warning")
            return
        if not plan.preset and self.thresholds_invalid:
            self.notify(f"The thresholds edited on F4 are invalid ({self.thresholds_invalid}): fix them, or "
                        "choose a preset on the setup screen (F1).", title="Run not started", severity="error",
                        markup=False)
            return
        try:
            config = (EITPConfig() if plan.preset == DEFAULTS else EITPConfig.load(plan.preset) if plan.preset
                      else self.config)
        except Exception as exc:  # ConfigError: say which preset and why, start nothing
            self.notify(describe(exc), title="Preset refused", severity="error", markup=False)
            return
        self._stop_requested = False
        self._set_state("starting")  # at once, so a second F5 cannot start a second run
        self.switch_mode("live")
        self._drive(plan, config)

    @work(thread=True, exclusive=True, group="run")
    def _drive(self, plan: RunPlan, config: EITPConfig) -> None:
        from workbench.store.recorder import Recorder

        state = "failed"
        try:
            caps = self.capabilities if self.capabilities_known else probe_capabilities()  # started before the probe
            stream = EventStream(Recorder(self.engine()), self.sink)
            controller = RunController(build_spec(plan, self.personas, caps), config, stream)
            self._controller = controller
            if self._stop_requested:  # F8 while the run was still being built
                controller.stop()
            result = controller.run_blocking()
            state = "stopped" if controller.stopped else ("ended" if result is not None and result.ok else "failed")
        except Exception as exc:  # no browser, port in use ...: report it, keep the app alive
            # not markup: a reason quoting a path ("tried [/usr/bin/chromium]") crashed the app as markup
            self.call_from_thread(self.notify, f"{type(exc).__name__}: {exc}", title="Run failed", severity="error",
                                  markup=False)
            self.sink(RunEnded(self.model.run.run_id, "failed", {"error": describe(exc)}))
        finally:
            self._controller = None
            self.post_message(self.RunStateChanged(state))

    def action_stop_run(self) -> None:
        if self.run_state not in STOPPABLE:
            return
        self._stop_requested = True
        self._set_state("stopping")
        if self._controller is not None:
            self._controller.stop()
        self.notify("Stopping: closing the browser and the pipeline.")

    def action_pause_run(self) -> None:
        if not self.capabilities.pause:
            self.notify(self.capabilities.pause_note, severity="warning", markup=False)
            return
        gate = getattr(self._controller.spec, "pause", None) if self._controller is not None else None
        if gate is None or self.run_state not in PAUSABLE:
            return
        paused = gate.toggle()
        self._set_state("paused" if paused else "running")
        self.notify("Paused: each persona stops after its current step. F6 resumes." if paused else "Resumed.")

    def action_resume_run(self) -> None:
        if self.run_state == "paused":
            self.action_pause_run()  # the pause gate toggles

    # --- palette actions that reach into a screen -------------------------------------------
    async def _mode_screen(self, mode: str, kind: type) -> Any:
        await self.switch_mode(mode)
        return next((s for s in reversed(self.screen_stack) if isinstance(s, kind)), None)

    async def action_history(self, action: str) -> None:
        screen = await self._mode_screen("history", HistoryScreen)
        if screen is not None:
            await screen.run_action(action)

    async def action_thresholds_save(self) -> None:
        screen = await self._mode_screen("thresholds", ThresholdsScreen)
        if screen is not None:
            screen.action_save()

    async def action_live_panel(self, step: int) -> None:
        screen = await self._mode_screen("live", LiveScreen)
        if screen is not None:
            screen.action_panel(step)

    async def action_quit(self) -> None:
        self._stop_requested = True
        if self._controller is not None:
            self._controller.stop()
            await self.workers.wait_for_complete()
        self.exit(0)
