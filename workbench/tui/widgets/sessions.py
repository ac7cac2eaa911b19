"""The live sessions table: persona, section, latest emotion, bot verdict, interventions."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from workbench.tui.model import ARROWS, SessionView, colour_of
from workbench.tui.untrusted import figure, text

COLUMNS = (("#", "n"), ("persona", "persona"), ("section", "section"), ("emotion int trend", "emotion"),
           ("bot", "bot"), ("iv", "iv"), ("pkts", "pkts"), ("note", "note"))
STATE = {"running": ("●", "green"), "ended": ("✓", "dim"), "failed": ("✗", "bold red")}
BOT = {"bot": ("bot", "bold red"), "human": ("human", "green"), "uncertain": ("?", "yellow")}
NAME_CELLS = 28  # a persona, section or emotion cell at most
NOTE_CELLS = 60  # a session's error at most


def row_cells(n: int, s: SessionView) -> dict[str, Text | str]:
    """The cells of one session's row, keyed by column (the state mark leads the row number).

    Names, sections and errors come from pages: they are :class:`Text` (a ``str`` cell is read as markup), cut
    to a width, so a page's 5,000-character section name cannot push the other columns off screen.
    """
    if s.emotion:
        trend = ARROWS.get(s.trajectory, " ")
        emotion = Text.assemble(text(s.emotion, colour_of(s.emotion), NAME_CELLS), f" {figure(s.intensity)} {trend}")
    else:
        emotion = Text("waiting", "dim")
    mark, style = STATE.get(s.status, ("?", ""))
    label, colour = BOT.get(s.bot, (s.bot, "yellow"))
    return {"n": Text.assemble((mark, style), str(n)), "persona": text(s.persona, limit=NAME_CELLS),
            "section": text(s.section or "-", limit=NAME_CELLS), "emotion": emotion,
            "bot": text(label, colour, NAME_CELLS), "iv": str(s.interventions), "pkts": str(s.packets),
            "note": text(s.error, "red", NOTE_CELLS)}


class SessionsTable(DataTable[Text | str]):
    """Keyed by session id; rows are updated in place so the cursor stays where the user put it."""

    DEFAULT_CSS = """
    SessionsTable { height: auto; max-height: 18; }
    """

    @dataclass
    class SessionChosen(Message):
        """The highlighted session changed."""

        session_id: str
        """The session now selected."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: dict[str, dict[str, Text | str]] = {}
        for label, key in COLUMNS:
            self.add_column(label, key=key)

    @property
    def selected(self) -> str | None:
        if not self.row_count:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def show(self, sessions: list[SessionView]) -> None:
        """Add new sessions and update changed cells; widths are re-measured only when a cell outgrows its column."""
        for n, s in enumerate(sessions, 1):
            cells = row_cells(n, s)
            if s.session_id not in self.rows:
                self.add_row(*cells.values(), key=s.session_id)
                self._shown[s.session_id] = cells
                continue
            before = self._shown.get(s.session_id, {})
            for key, value in cells.items():
                if before.get(key) != value:
                    grow = cell_len(str(value)) > self.columns[ColumnKey(key)].content_width
                    self.update_cell(s.session_id, key, value, update_width=grow)
            self._shown[s.session_id] = cells
        keep = {s.session_id for s in sessions}
        for row_key in [k for k in self.rows if k.value not in keep]:
            self.remove_row(row_key)
            self._shown.pop(str(row_key.value), None)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.post_message(self.SessionChosen(str(event.row_key.value)))
