"""Two stored runs side by side: the store's scores when it has them, per-run counts until then."""

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

from workbench.protocol.taxonomy import CANONICAL
from workbench.tui import history_data
from workbench.tui.model import COLOURS, colour_of
from workbench.tui.untrusted import describe, line, text

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp

KEY_CELLS = 40  # a run id or a distribution's key (an emotion name) at most


def rows(figures: list[dict[str, Any]]) -> list[tuple[Text, list[Text]]]:
    """One row per figure; dict figures (distributions) are expanded one row per key.

    A run without the figure at all (an unscored run's checks) shows an empty cell, not a zero. Keys and
    values are :class:`Text`: emotion names and bot verdicts are stored text, read as markup in a ``str`` cell.
    """
    out: list[tuple[Text, list[Text]]] = []
    # every run's figures, in the order first met: a scored run's (passed, checks, recall) are absent from an
    # unscored run's, whichever of the two comes first
    names = list(dict.fromkeys(k for f in figures for k in f if k != "run"))
    for name in names:
        values = [f.get(name) for f in figures]
        if any(isinstance(v, dict) for v in values):
            keys = sorted({k for v in values if isinstance(v, dict) for k in v},
                          key=lambda k: (CANONICAL.index(k) if k in CANONICAL else -1, k))
            for key in keys:
                colour = COLOURS.get(key) or (colour_of(key) if key in CANONICAL else "")
                absent = "-" if "recall" in name or "precision" in name else "0"
                out.append((Text.assemble(f"{name}: ", text(key, colour, KEY_CELLS)),
                            [text(v.get(key, absent)) if isinstance(v, dict) else Text() for v in values]))
        else:
            out.append((Text(name), [text(v) for v in values]))
    return out


class CompareScreen(Screen[None]):
    """Pushed from the history screen with two run ids; escape goes back."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    app: WorkbenchApp

    @dataclass
    class Failed(Message):
        """The runs could not be read (a damaged or locked store)."""

        reason: str
        """One line for the operator."""

    @dataclass
    class Compared(Message):
        """The figures of both runs were read."""

        label: str
        """What is compared: scores, or per-run counts."""
        figures: list[dict[str, Any]]
        """One mapping per run."""
        sessions: list[str]
        """Session by session, the first run as the baseline (:mod:`workbench.compare`)."""

    def __init__(self, run_ids: list[str]) -> None:
        super().__init__()
        self.run_ids = run_ids

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Reading both runs ...", id="compare-label")
        yield DataTable(id="compare", cursor_type="row", zebra_stripes=True)
        yield Static("", id="compare-sessions")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = " vs ".join(line(r, KEY_CELLS) for r in self.run_ids)  # stored ids: no control characters
        self._load()

    @work(thread=True, exclusive=True, group="compare")
    def _load(self) -> None:
        """Read both runs; a store that cannot be read is said on the screen (its exception ended the app)."""
        try:
            label, figures = history_data.compare(self.app.engine(), self.run_ids)
            sessions = (history_data.session_changes(self.app.engine(), *self.run_ids[:2]) if len(self.run_ids) > 1
                        else [])
        except Exception as exc:
            self.post_message(self.Failed(describe(exc)))
            return
        self.post_message(self.Compared(label, figures, sessions))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        self.query_one("#compare-label", Static).update(
            Content.assemble(("Cannot compare these runs", "bold red"), ": ", event.reason, " · escape goes back"))

    @on(Compared)
    def _compared(self, event: Compared) -> None:
        self.query_one("#compare-label", Static).update(Text.assemble("Comparing ", text(event.label)))
        table = self.query_one("#compare", DataTable)
        table.add_column("figure", key="figure")
        for n, f in enumerate(event.figures):
            table.add_column(text(f["run"], limit=KEY_CELLS), key=f"run{n}")
        for label, values in rows(event.figures):
            table.add_row(label, *values)
        self.query_one("#compare-sessions", Static).update(Text("\n".join(event.sessions)))
        table.focus()
