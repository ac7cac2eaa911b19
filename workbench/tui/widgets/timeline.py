"""Emotion timelines: one strip per session, one coloured cell per buffer window (section 6 categories).

The window is the run's ``inference.buffer_window_ms`` (10 s by default, section 7)."""

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
DEFAULT_WINDOW_MS = 10_000.0


def window_text(window_ms: float) -> str:
    """A buffer window as people say it: ``10 s``, ``2.5 s``, ``500 ms``."""
    window_ms = round(window_ms, 3)
    value, unit = (window_ms / 1000, "s") if window_ms >= 1000 else (window_ms, "ms")
    return f"{f'{value:.3f}'.rstrip('0').rstrip('.')} {unit}"


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
        self.window_ms = DEFAULT_WINDOW_MS

    def show(self, sessions: list[SessionView], selected: str | None, window_ms: float = DEFAULT_WINDOW_MS) -> None:
        self.sessions, self.selected, self.window_ms = sessions, selected, window_ms
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[no-untyped-def]
        return max(1, len(self.sessions)) + 2

    def render(self) -> RenderResult:
        width = self.content_size.width
        # in terminal cells, not characters: a wide (CJK) name pushed the newest windows past the right edge
        label_w = min(24, max((cell_len(line(s.persona)) for s in self.sessions), default=8) + 5)
        out = Text(no_wrap=True, overflow="crop")
        if not self.sessions:
            out.append(f"No packets yet: each {window_text(self.window_ms)} window of a session becomes one cell "
                       "here.\n", "dim")
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

