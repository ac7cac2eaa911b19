"""One stored run: its sessions, and a scrubber over its packets in event-time order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workbench.tui import history_data
from workbench.tui.model import ARROWS, colour_of
from workbench.tui.widgets.panels import PacketView
from workbench.tui.widgets.scrubber import Scrubber
from workbench.tui.widgets.tables import fill

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp

COLUMNS = ("persona", "session", "status", "events", "packets", "last emotion", "bot", "rage clicks", "error")
ERROR_CHARS = 120  # a failed session's reason, cut to this in the table


class RunDetailScreen(Screen[None]):
    """Pushed from the history screen; escape goes back."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    app: WorkbenchApp

    @dataclass
    class Loaded(Message):
        """The run was read from SQLite."""

        detail: history_data.RunDetail
        """Its sessions and packets."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.detail: history_data.RunDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Reading run {self.run_id} ...", id="run-title")
        table: DataTable[Text | str] = DataTable(id="run-sessions", cursor_type="row", zebra_stripes=True)
        for col in COLUMNS:
            table.add_column(col, key=col)
        yield table
        yield Scrubber(id="scrubber")
        yield Static(id="scrub-caption")
        with VerticalScroll(id="scrub-packet", classes="panel") as panel:
            panel.border_title = "packet at the cursor"
            yield PacketView(id="scrub-json", empty="No packet to show.")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = self.run_id
        self._load()

    @work(thread=True, exclusive=True, group="run-detail")
    def _load(self) -> None:
        self.post_message(self.Loaded(history_data.load_run(self.app.engine(), self.run_id)))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.detail = d = event.detail
        run = d.run
        self.query_one("#run-title", Static).update(
            f"[b]{d.run['id']}[/b] · {run.get('kind', '?')} · site {run.get('site', '?')} · "
            f"seed {run.get('seed')} · {run.get('status', '?')} · {len(d.sessions)} sessions · "
            f"{len(d.packets)} packets")
        # a session by the tail of its id, as everywhere on screen: the whole id is in the packet below
        rows = [(None, (s["persona"] or "visitor", s["session_id"][-9:], s["status"], str(s["events"]),
                        str(s["packets"]),
                        Text(s["last_emotion"] or "-", colour_of(s["last_emotion"])), s["bot"],
                        history_data.rage_cell(d.rage.get(s["session_id"])),
                        Text(" ".join((s["error"] or "").split())[:ERROR_CHARS], "red"))) for s in d.sessions]
        fill(self.query_one("#run-sessions", DataTable), [(col, col) for col in COLUMNS], rows)
        scrubber = self.query_one(Scrubber)
        scrubber.load(d.packets)
        scrubber.focus()

    @on(Scrubber.Moved)
    def _moved(self, event: Scrubber.Moved) -> None:
        if self.detail is None or not self.detail.packets:
            self.query_one(PacketView).show(None)
            return
        p = self.detail.packets[min(event.index, len(self.detail.packets) - 1)]
        e = p["emotion"]
        who = self.detail.personas.get(p["sessionId"], "visitor")
        caption = Text.assemble(
            (f"{who} ", "bold"), (f"{p['sessionId'][-9:]} · ", "dim"), (e["primary"], colour_of(e["primary"])),
            f" conf {e['confidence']:.2f} int {e['intensity']:.2f} {ARROWS.get(e['trajectory'], '')} · "
            f"{p['spatial']['currentSection']} · intent {p['intent']['level']}/{p['intent']['action']}")
        self.query_one("#scrub-caption", Static).update(caption)
        self.query_one(PacketView).show(p)
