"""Helpers for benchmark scripts: where results go and how they are printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def report(name: str, figures: dict[str, Any]) -> None:
    """Print ``figures`` one per line and save them to ``bench/results/<name>.json``."""
    RESULTS.mkdir(exist_ok=True)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"  {key:<{width}} : {value}")
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")


def bars(title: str, rows: list[tuple[str, float]], *, aim: float | None = None, width: int = 44) -> str:
    """A text bar chart, one row per (label, value), with the aim marked ``│`` when given."""
    top = max([v for _, v in rows] + ([aim] if aim else [])) or 1.0
    blocks = " ▏▎▍▌▋▊▉█"
    lines = [f"  {title}" + (f" (aim {aim:g}: │)" if aim else "")]
    for label, value in rows:
        eighths = round(value / top * width * 8)
        bar = "█" * (eighths // 8) + (blocks[eighths % 8] if eighths % 8 else "")
        cells = list(bar.ljust(width))
        if aim:
            mark = min(width - 1, round(aim / top * width) - 1)
            cells[mark] = "│" if cells[mark] == " " else cells[mark]
        lines.append(f"  {label:>4} {''.join(cells)} {value:g}")
    return "\n".join(lines)
