"""A minimap of the page's viewport: the cursor trail in braille dots, targets and scroll depth.

The trail is the ``mouse`` samples of the latest batches (viewport CSS pixels), scaled to the
widget; each terminal cell holds a 2x4 braille dot matrix, so a 40x12 widget draws 80x48 dots.
Targets are drawn where ``*_proximity_enter`` events give a position; when the stream carries
none (today's producer sends the element id and distance only), the caption names the
elements approached instead of inventing places for them.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from workbench.tui.model import SessionView, Target

VIEWPORT = (1280.0, 800.0)  # the runner's viewport; a wider trail widens the map
_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][col] of a braille cell
_RECENT = 40  # samples drawn bright (2 s at 20 Hz)


def braille(points: Sequence[tuple[float, float]], width: int, height: int,
            bounds: tuple[float, float] = VIEWPORT, targets: Sequence[Target] = ()) -> list[Text]:
    """Rows of styled text: the trail as connected braille dots, the newest point and targets marked."""
    width, height = max(1, width), max(1, height)
    bw = max([bounds[0], *(x for x, _ in points)], default=bounds[0])
    bh = max([bounds[1], *(y for _, y in points)], default=bounds[1])
    dots_w, dots_h = width * 2, height * 4

    def dot(x: float, y: float) -> tuple[int, int]:
        return (min(dots_w - 1, max(0, int(x / bw * dots_w))), min(dots_h - 1, max(0, int(y / bh * dots_h))))

    cells = [[0] * width for _ in range(height)]
    recent = [[False] * width for _ in range(height)]
    previous: tuple[int, int] | None = None
    for i, (x, y) in enumerate(points):
        here = dot(x, y)
        is_recent = i >= len(points) - _RECENT
        for dx, dy in _line(previous or here, here):
            cells[dy // 4][dx // 2] |= _BITS[dy % 4][dx % 2]
            recent[dy // 4][dx // 2] |= is_recent
        previous = here
    marks: dict[tuple[int, int], tuple[str, str]] = {}
    for t in targets:
        dx, dy = dot(t.x, t.y)
        marks[(dy // 4, dx // 2)] = ("◆", "bold magenta")
    if points:
        dx, dy = dot(*points[-1])
        marks[(dy // 4, dx // 2)] = ("●", "bold yellow")
    rows: list[Text] = []
    for r in range(height):
        row = Text()
        for c in range(width):
            if (r, c) in marks:
                row.append(*marks[(r, c)])
            elif cells[r][c]:
                row.append(chr(0x2800 + cells[r][c]), "bright_cyan" if recent[r][c] else "grey42")
            else:
                row.append(" ")
        rows.append(row)
    return rows


def _line(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
    """The dots from a to b (Bresenham), so a fast sweep stays one connected stroke."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
    err, out = dx + dy, []
    while True:
        out.append((x0, y0))
        if (x0, y0) == (x1, y1):
            return out
        e2 = 2 * err
        if e2 >= dy:
            err, x0 = err + dy, x0 + sx
        if e2 <= dx:
            err, y0 = err + dx, y0 + sy


def scroll_bar(depth: float | None, height: int) -> list[Text]:
    """A one-column page-position bar: where the viewport is on the page (scroll depth)."""
    at = None if depth is None else min(height - 1, int(depth / 100 * height))
    return [Text("█" if r == at else "│", "bold yellow" if r == at else "grey35") for r in range(height)]


class Minimap(Widget):
    """The selected session's cursor trail on a scaled viewport, with the page position at the right."""

    DEFAULT_CSS = """
    Minimap { height: 1fr; min-height: 4; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: SessionView | None = None

    def show(self, view: SessionView | None) -> None:
        self.view = view
        self.refresh()

    def render(self) -> RenderResult:
        width, height = self.content_size.width, self.content_size.height
        v = self.view
        if v is None or not v.trail:
            return Text("No cursor samples yet: the trail of the selected session is drawn here.", "dim")
        map_h = max(1, height - 1)
        trail = braille(list(v.trail), max(1, width - 2), map_h, targets=list(v.targets.values()))
        bar = scroll_bar(v.scroll_depth, map_h)
        out = Text(no_wrap=True, overflow="crop")
        for row, side in zip(trail, bar, strict=True):
            out.append_text(row)
            out.append(" ")
            out.append_text(side)
            out.append("\n")
        depth = "?" if v.scroll_depth is None else f"{v.scroll_depth:.0f}%"
        caption = f"{v.section or '-'} · scroll {depth}"
        if not v.targets and v.approached:
            caption += " · near " + ", ".join(list(v.approached)[-3:])
        out.append(caption[:width], "dim")
        return out
