"""Emotion timelines: one strip per session, one coloured cell per 10 s window (section 6 categories)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from workbench.tui.model import COLOURS, SessionView, colour_of
from workbench.tui.untrusted import line

CELL = "█"
EMPTY = "·"


def legend(width: int = 80) -> Text:
    """The category colours; abbreviated when the full legend would not fit on one line."""
    short = width < 52
    out = Text()
    for name, colour in COLOURS.items():
        out.append(CELL, colour)
        out.append(f"{name[:3] if short else ' ' + name} ")
    out.append(f"{EMPTY}{'none' if short else ' no packet'}", "dim")
    return out


def strip(timeline: Sequence[tuple[int, str]], width: int) -> Text:
    """The cells of one session; the newest windows when there are more than fit."""
    by_index = dict(timeline)
    last = max(by_index, default=-1)
    first = max(0, last + 1 - width)
    out = Text()
    for i in range(first, last + 1):
        emotion = by_index.get(i)
        out.append(CELL if emotion else EMPTY, colour_of(emotion) if emotion else "grey35")
    return out


class EmotionTimeline(Widget):
    """Strips for every session of the run; the selected one is marked."""

    DEFAULT_CSS = """
    EmotionTimeline { height: auto; min-height: 3; }
    """


    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sessions: list[SessionView] = []
        self.selected: str | None = None

    def show(self, sessions: list[SessionView], selected: str | None) -> None:
        self.sessions, self.selected = sessions, selected
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return max(1, len(self.sessions)) + 2

    def render(self) -> RenderResult:
        width = self.content_size.width
        # in terminal cells, not characters: a wide (CJK) name pushed the newest windows past the right edge
        label_w = min(24, max((cell_len(line(s.persona)) for s in self.sessions), default=8) + 5)
        out = Text(no_wrap=True, overflow="crop")
        if not self.sessions:
            out.append("No packets yet: each 10 s window of a session becomes one cell here.\n", "dim")
        for n, s in enumerate(self.sessions, 1):
            mark = "▶" if s.session_id == self.selected else " "
            label = Text(f"{mark}{n:>2} {line(s.persona)}", "bold" if mark == "▶" else "")
            label.truncate(label_w - 1, overflow="ellipsis", pad=True)  # by cells: a wide character takes two
            label.pad_right(1)
            out.append_text(label)
            out.append_text(strip(s.timeline, max(1, width - label_w)))
            out.append("\n")
        out.append("\n")
        out.append_text(legend(width))
        return out

