"""The history screen: the runs stored in SQLite. Enter opens one; space marks two to compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from workbench.tui import history_data
from workbench.tui.screens.compare import CompareScreen
from workbench.tui.screens.run_detail import RunDetailScreen
from workbench.tui.untrusted import describe, line, text
from workbench.tui.widgets.tables import fill

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp

COLUMNS = ("", "run", "kind", "site", "status", "seed", "sess.", "started (UTC)")
ID_CELLS = 48  # a run id at most (the row's key keeps it whole)
NAME_CELLS = 24  # a kind, site or status at most
KEYS = ("mark", "run", "kind", "site", "status", "seed", "sessions", "started")


class HistoryScreen(Screen[None]):
    """Stored runs, newest first."""

    BINDINGS = [
        Binding("enter", "open", "Open", show=True),
        Binding("space", "mark", "Mark", show=True),
        Binding("c", "compare", "Compare", show=True),
        Binding("r", "reload", "Reload", show=True),
    ]

    app: WorkbenchApp

    @dataclass
    class ReadFailed(Message):
        """The store could not be read (damaged, locked, not a store)."""

        reason: str
        """One line for the operator."""
        read: int
        """Which read this answers."""

    @dataclass
    class RunsLoaded(Message):
        """The runs table was read from SQLite."""

        runs: list[dict[str, Any]]
        """As :func:`workbench.store.repo.list_runs` returns them."""
        total: int
        """How many runs are stored (more than ``runs`` past the limit)."""
        read: int
        """Which read this answers; only the latest one is shown."""

    def __init__(self) -> None:
        super().__init__()
        self.marked: list[str] = []
        self.runs: list[dict[str, Any]] = []
        self.reads_started = 0
        self.reads_shown = 0
        """The table shows read number ``reads_shown`` of ``reads_started`` (Textual resumes a mode's
        screen twice on first entry, so two reads can be in flight and the older one is dropped)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(f"Runs in {self.app.db_path}"), id="history-status")
        table: DataTable[Text | str] = DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        for col, key in zip(COLUMNS, KEYS, strict=True):
            table.add_column(col, key=key)
        yield table
        yield Static("enter opens a run and its timeline · space marks runs · c compares the two marked",
                     id="history-help")
        yield Footer(compact=True)

    def on_screen_resume(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.reads_started += 1
        self.query_one("#history-status", Static).update(Text(f"Reading {self.app.db_path} ..."))
        self._load(self.reads_started)

    @property
    def settled(self) -> bool:
        """The latest read is on screen."""
        return self.reads_shown == self.reads_started

    @work(thread=True, group="history")
    def _load(self, read: int) -> None:
        """Read the runs; a store that cannot be read is said in the status line (its exception ended the app)."""
        try:
            runs, total = history_data.list_runs(self.app.engine())
        except Exception as exc:
            self.post_message(self.ReadFailed(describe(exc), read))
            return
        self.post_message(self.RunsLoaded(runs, total, read))

    @on(ReadFailed)
    def _read_failed(self, event: ReadFailed) -> None:
        if event.read != self.reads_started:
            return
        self.reads_shown = event.read
        self.query_one("#history-status", Static).update(
            Content.assemble(("Cannot read the stored runs", "bold red"), ": ", event.reason, " · r reads again"))

    @on(RunsLoaded)
    def _loaded(self, event: RunsLoaded) -> None:
        if event.read != self.reads_started:
            return
        self.reads_shown = event.read
        self.runs = event.runs
        table = self.query_one("#runs", DataTable)
        current = self._current()
        rows = [(r["id"], self._cells(r)) for r in event.runs]
        fill(table, list(zip(COLUMNS, KEYS, strict=True)), rows)
        ids = [r["id"] for r in event.runs]
        if current in ids:  # keep the highlighted run across reloads
            table.move_cursor(row=ids.index(current), scroll=False)
        shown = (f"{len(event.runs)} runs" if event.total == len(event.runs)
                 else f"the newest {len(event.runs)} of {event.total} runs (`workbench runs --limit {event.total}` "
                      "lists them all)")
        self.query_one("#history-status", Static).update(Text(  # the path is the user's, not markup
            f"{shown} in {self.app.db_path}" if event.runs
            else f"No runs stored in {self.app.db_path} yet: start one on the setup screen (F1)."))

    def _cells(self, r: dict[str, Any]) -> tuple[Text, ...]:
        """One run's row. Every field is stored text (another version or a damaged file may have written it):
        :class:`Text`, which is never read as markup, cut so one long value cannot take the whole width."""
        colour = {"ended": "green", "passed": "green", "running": "yellow"}.get(r["status"], "red")
        started = line(r["started_at"])[5:16].replace("T", " ")
        return (Text("✓" if r["id"] in self.marked else " "), text(r["id"], limit=ID_CELLS),
                text(r["kind"], limit=NAME_CELLS), text(r["site"], limit=NAME_CELLS),
                text(r["status"], colour, NAME_CELLS), text(r["seed"]), text(r["sessions"]), text(started))

    def _current(self) -> str | None:
        table = self.query_one("#runs", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowSelected, "#runs")
    def _selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        run_id = self._current()
        if run_id:
            self.app.push_screen(RunDetailScreen(run_id))

    def action_mark(self) -> None:
        run_id = self._current()
        if not run_id:
            return
        if run_id in self.marked:
            self.marked.remove(run_id)
        else:
            self.marked = [*self.marked, run_id][-2:]
        table = self.query_one("#runs", DataTable)
        for r in self.runs:
            table.update_cell(r["id"], "mark", Text("✓" if r["id"] in self.marked else " "))

    def action_compare(self) -> None:
        ids = list(self.marked)
        current = self._current()
        if len(ids) < 2 and current and current not in ids:
            ids.append(current)
        if len(ids) < 2:
            self.notify("Mark two runs with space (or mark one and highlight another), then press c.",
                        severity="warning")
            return
        self.app.push_screen(CompareScreen(ids[:2]))
