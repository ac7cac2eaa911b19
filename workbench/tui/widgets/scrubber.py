"""A timeline slider over a run's packets, placed by event time: left/right keys, or click the track."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from workbench.tui.model import colour_of
from workbench.tui.untrusted import part


def _colour(packet: dict[str, Any]) -> str:
    """The tick colour of a stored packet, grey when it has no emotion (an older or damaged row)."""
    primary = part(packet, "emotion", "primary")
    return colour_of(primary if isinstance(primary, str) else None)


def positions(stamps: list[float], width: int) -> list[int]:
    """The column of each timestamp on a track ``width`` cells wide."""
    if not stamps:
        return []
    lo, hi = min(stamps), max(stamps)
    span = (hi - lo) or 1.0
    return [min(width - 1, int((t - lo) / span * (width - 1))) for t in stamps]


class Scrubber(Widget, can_focus=True):
    """Packets as coloured ticks over event time; the cursor is the packet shown. Every packet must have a
    numeric timestamp (:func:`workbench.tui.history_data.load_run` leaves out those without)."""

    DEFAULT_CSS = """
    Scrubber { height: 3; border: none; padding: 0 1; }
    Scrubber:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("left", "step(-1)", "Earlier", show=True),
        Binding("right", "step(1)", "Later", show=True),
        Binding("shift+left", "step(-10)", "-10", show=False),
        Binding("shift+right", "step(10)", "+10", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    index: reactive[int] = reactive(0)

    @dataclass
    class Moved(Message):
        """The cursor moved to another packet."""

        index: int
        """Position in the packet list (event-time order)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.packets: list[dict[str, Any]] = []

    def load(self, packets: list[dict[str, Any]]) -> None:
        self.packets = packets
        self.index = 0
        self.refresh()
        self.post_message(self.Moved(0))

    def watch_index(self, index: int) -> None:
        self.post_message(self.Moved(index))

    def action_step(self, step: int) -> None:
        if self.packets:
            self.index = max(0, min(len(self.packets) - 1, self.index + step))

    def action_jump(self, to: int) -> None:
        if self.packets:
            self.index = to % len(self.packets)

    def on_click(self, event: events.Click) -> None:
        if not self.packets:
            return
        cols = positions([float(p["timestamp"]) for p in self.packets], max(1, self.content_size.width))
        x = event.x - self.gutter.left
        self.index = min(range(len(cols)), key=lambda i: (abs(cols[i] - x), i))

    def render(self) -> RenderResult:
        width = max(1, self.content_size.width)
        if not self.packets:
            return Text("No packets in this run.", "dim")
        stamps = [float(p["timestamp"]) for p in self.packets]
        cols = positions(stamps, width)
        track = [Text("─", "grey35") for _ in range(width)]
        for p, c in zip(self.packets, cols, strict=True):
            track[c] = Text("┃", _colour(p))
        here = cols[self.index]
        track[here] = Text("█", f"bold {_colour(self.packets[self.index])}")
        pointer = Text(" " * here + "▲", "bold")
        offset = (stamps[self.index] - stamps[0]) / 1000
        total = (stamps[-1] - stamps[0]) / 1000
        caption = Text(f"packet {self.index + 1}/{len(self.packets)} · +{offset:.1f} s of {total:.1f} s "
                       f"(event time) · ←/→ to scrub", "dim")
        return Text("\n").join([Text("").join(track), pointer, caption])
