"""One stored run: its sessions, and a scrubber over its packets in event-time order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workbench.tui import history_data
from workbench.tui.model import ARROWS, colour_of
from workbench.tui.untrusted import describe, figure, line, part, text
from workbench.tui.widgets.panels import PacketView
from workbench.tui.widgets.scrubber import Scrubber
from workbench.tui.widgets.tables import fill

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp

COLUMNS = ("persona", "session", "status", "events", "packets", "last emotion", "bot", "rage clicks", "error")
ERROR_CHARS = 120  # a failed session's reason, cut to this in the table
NAME_CELLS = 32  # a persona, status, emotion or verdict at most


class RunDetailScreen(Screen[None]):
    """Pushed from the history screen; escape goes back."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    app: WorkbenchApp

    @dataclass
    class Failed(Message):
        """The run could not be read (a damaged or locked store)."""

        reason: str
        """One line for the operator."""

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
        self.sub_title = line(self.run_id, 64)  # a stored id: no control characters in the header
        self._load()

    @work(thread=True, exclusive=True, group="run-detail")
    def _load(self) -> None:
        """Read the run; a store that cannot be read is said on the screen (its exception ended the app)."""
        try:
            detail = history_data.load_run(self.app.engine(), self.run_id)
        except Exception as exc:
            self.post_message(self.Failed(describe(exc)))
            return
        self.post_message(self.Loaded(detail))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.query_one("#run-title", Static).update(
            Content.assemble(("Cannot read run ", "bold red"), (line(self.run_id), "bold red"), ": ", event.reason,
                             " · escape goes back"))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        self.detail = d = event.detail
        self.query_one("#run-title", Static).update(title(d))
        rows = [(None, session_cells(d, s)) for s in d.sessions]
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
        self.query_one("#scrub-caption", Static).update(caption(p, self.detail.personas))
        self.query_one(PacketView).show(p)


def title(d: history_data.RunDetail) -> Content:
    """The run's line. Stored text (another version or a damaged file may have written it) is never markup."""
    run = d.run
    unplaced = f" ({d.unplaced} without a timestamp, not shown)" if d.unplaced else ""
    return Content.assemble(
        (line(run.get("id")), "b"), f" · {line(run.get('kind', '?'))} · site {line(run.get('site', '?'))} · "
        f"seed {line(run.get('seed')) or '-'} · {line(run.get('status', '?'))} · {len(d.sessions)} sessions · "
        f"{len(d.packets)} packets{unplaced}")


def session_cells(d: history_data.RunDetail, s: dict[str, Any]) -> tuple[Text, ...]:
    """One stored session's row; a session by the tail of its id, as everywhere on screen (the whole id is
    in the packet below). Every field is :class:`Text`, cut to a width."""
    return (text(s["persona"] or "visitor", limit=NAME_CELLS), text(str(s["session_id"])[-9:]),
            text(s["status"], limit=NAME_CELLS), text(s["events"]), text(s["packets"]),
            text(s["last_emotion"] or "-", colour_of(s["last_emotion"]), NAME_CELLS),
            text(s["bot"], limit=NAME_CELLS), Text(history_data.rage_cell(d.rage.get(s["session_id"]))),
            text(s["error"], "red", ERROR_CHARS))


def caption(p: dict[str, Any], personas: dict[str, str]) -> Text:
    """The packet at the cursor in one line. Read field by field: a stored packet may lack a dimension (an
    older version) or hold null for a figure (the engine's NaN); each missing part shows as ``?``."""
    primary = part(p, "emotion", "primary")
    who = personas.get(str(p.get("sessionId")), "visitor")
    intent = f"{line(part(p, 'intent', 'level')) or '?'}/{line(part(p, 'intent', 'action')) or '?'}"
    person = text(who, "bold", NAME_CELLS)
    person.append(" ")  # in the name's style, as the caption always had it
    return Text.assemble(
        person, (f"{line(p.get('sessionId'))[-9:]} · ", "dim"),
        text(primary if primary is not None else "?", colour_of(primary if isinstance(primary, str) else None)),
        f" conf {figure(part(p, 'emotion', 'confidence'))} int {figure(part(p, 'emotion', 'intensity'))} "
        f"{ARROWS.get(str(part(p, 'emotion', 'trajectory')), '')} · ",
        text(part(p, "spatial", "currentSection") or "?", limit=NAME_CELLS * 2), f" · intent {intent}")
