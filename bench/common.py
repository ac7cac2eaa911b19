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
