"""The live screen: what the running personas are doing, redrawn from the app's :class:`LiveModel`.

Wide terminals (120 columns and more) tile every panel; narrower ones keep the sessions
table on top and show one panel at a time under a row of tabs (the screen's ``-narrow``
breakpoint class switches the layout in ``workbench.tcss``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tab, Tabs

from workbench.tui.model import Snapshot, plural
from workbench.tui.untrusted import line, text
from workbench.tui.widgets.minimap import Minimap
from workbench.tui.widgets.panels import BotPanel, InterventionLog, PacketView, RatePanel
from workbench.tui.widgets.sessions import SessionsTable
from workbench.tui.widgets.timeline import EmotionTimeline, window_text

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp

PANELS = (("packet", "Packet"), ("timeline", "Timeline"), ("rate", "Rate"), ("minimap", "Minimap"),
          ("bot", "Bot"), ("chat", "Interventions"))
ERROR_CELLS = 240  # a run's error on the status line at most (Playwright's can fill a screen; the toast has it all)
TITLES = {"packet": "latest packet", "timeline": "emotion timeline", "minimap": "cursor minimap",
          "rate": "event rate", "bot": "bot filter", "chat": "interventions"}


class LiveScreen(Screen[None]):
    """Sessions of the current run and the selected session's detail."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("[", "panel(-1)", "Prev panel", show=False),
        Binding("]", "panel(1)", "Next panel", show=False),
    ]

    app: WorkbenchApp

    def __init__(self) -> None:
        super().__init__()
        self.selected: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="live-status")
        yield SessionsTable(id="sessions")
        yield Tabs(*(Tab(label, id=f"tab-{key}") for key, label in PANELS), id="panel-tabs")
        with Container(id="panels"):
            for key, _ in PANELS:
                with VerticalScroll(id=f"p-{key}", classes="panel") as panel:
                    panel.border_title = TITLES[key]
                    panel.can_focus = False
                    yield self._panel_body(key)
        yield Footer(compact=True)

    @staticmethod
    def _panel_body(key: str) -> Static | Minimap | EmotionTimeline:
        match key:
            case "packet":
                return PacketView(id="packet")
            case "timeline":
                return EmotionTimeline(id="timeline")
            case "minimap":
                return Minimap(id="minimap")
            case "rate":
                return RatePanel(id="rate")
            case "bot":
                return BotPanel(id="bot")
            case _:
                return InterventionLog(id="chat")

    def on_mount(self) -> None:
        self.app.live_screen = self
        self.query_one("#p-packet").add_class("-shown")
        self.redraw(None)

    def on_unmount(self) -> None:
        if self.app.live_screen is self:
            self.app.live_screen = None

    def on_screen_resume(self) -> None:
        self.redraw(None)

    @on(Tabs.TabActivated, "#panel-tabs")
    def _tab(self, event: Tabs.TabActivated) -> None:
        key = str(event.tab.id).removeprefix("tab-")
        for panel in self.query(".panel"):
            panel.set_class(panel.id == f"p-{key}", "-shown")

    def action_panel(self, step: int) -> None:
        """Cycle the panel shown on a narrow terminal."""
        tabs = self.query_one("#panel-tabs", Tabs)
        keys = [f"tab-{k}" for k, _ in PANELS]
        current = keys.index(tabs.active) if tabs.active in keys else 0
        tabs.active = keys[(current + step) % len(keys)]

    @on(SessionsTable.SessionChosen)
    def _chosen(self, event: SessionsTable.SessionChosen) -> None:
        if event.session_id != self.selected:
            self.selected = event.session_id
            self.redraw({"packet", "trail", "timeline"})

    def redraw(self, dirty: set[str] | None) -> None:
        """Redraw the parts named in ``dirty`` (everything when None) from one model snapshot."""
        if not self.is_mounted:
            return
        table = self.query_one(SessionsTable)
        snap = self.app.model.snapshot(trail_for=self.selected)
        if dirty is None or dirty & {"run", "sessions"}:
            table.show(snap.sessions)
            self._status(snap)
        ids = [s.session_id for s in snap.sessions]
        if self.selected not in ids:
            self.selected = table.selected or (ids[0] if ids else None)
            snap = self.app.model.snapshot(trail_for=self.selected)
            dirty = None
        chosen = next((s for s in snap.sessions if s.session_id == self.selected), None)
        if dirty is None or "packet" in dirty:
            self.query_one(PacketView).show(chosen.latest_packet if chosen else None)
            self.query_one("#p-packet").border_title = (  # Text: a border title is read as markup
                text(f"latest packet · {line(chosen.persona, 32)} {chosen.session_id[-9:]}") if chosen
                else TITLES["packet"])
        if dirty is None or "timeline" in dirty:
            # the run's own window (inference.buffer_window_ms), not the default's 10 s
            window = snap.run.window_ms
            self.query_one(EmotionTimeline).show(snap.sessions, self.selected, window)
            self.query_one("#p-timeline").border_title = f"{TITLES['timeline']} ({window_text(window)} windows)"
        if dirty is None or "trail" in dirty:
            self.query_one(Minimap).show(chosen)
        if dirty is None or "rate" in dirty:
            self.query_one(RatePanel).show(snap.rate, snap.total_events)
        if dirty is None or dirty & {"bot", "sessions"}:
            self.query_one(BotPanel).show(snap.sessions)
        if dirty is None or "interventions" in dirty:
            self.query_one(InterventionLog).show(snap.interventions)

    def _status(self, snap: Snapshot) -> None:
        """The run's line, built as :class:`Content` (never parsed as markup): its id, site and error can come
        from anywhere, and a ``[/]`` in them crashed the app."""
        run = snap.run
        status = self.query_one("#live-status", Static)
        if not run.run_id:
            failed = ("Run failed: ", "bold red"), line(run.error, ERROR_CELLS), ". "
            status.update(Content.assemble(*(failed if run.error else ()), "No run yet. F1 sets one up; F5 starts it."))
            return
        packets = sum(s.packets for s in snap.sessions)
        # F6 and F8 act at once, before the run's own events say so
        if run.status == "running" and self.app.run_state == "paused":
            shown, colour = "paused (F6 resumes)", "yellow"
        elif run.status == "running" and self.app.run_state == "stopping":
            shown, colour = "stopping", "yellow"
        else:
            shown = run.status
            colour = {"running": "green", "ended": "cyan", "stopped": "yellow"}.get(run.status, "red")
        clock = f" · {line(run.clock)} time" if run.clock else ""
        verdict = ((" · score ", (line(run.verdict), "green" if run.verdict == "pass" else "red")) if run.verdict
                   else ())
        error = (" · ", (line(run.error, ERROR_CELLS), "red")) if run.error else ()
        status.update(Content.assemble(
            (line(run.run_id), "b"), " · ", (line(shown), colour), f" · site {line(run.site)} · seed {run.seed}"
            f"{clock} · {plural(len(snap.sessions), 'session')} · {plural(packets, 'packet')}", *verdict, *error))
