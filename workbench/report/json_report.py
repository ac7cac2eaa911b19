"""The JSON report: the run, its configuration, every session's checks, and the run's scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workbench.report.files import write_report


def to_json(report: dict[str, Any]) -> dict[str, Any]:
    """The report without the bulky cursor trails (they are in SQLite and the HTML report)."""
    out = dict(report)
    out["sessions"] = []
    for s in report["sessions"]:
        trail = s.get("trail") or {}
        slim = {k: v for k, v in s.items() if k != "trail"}
        slim["trail_points"] = len(trail.get("points", []))
        slim["tab_switch"] = trail.get("tab_switch", "")
        out["sessions"].append(slim)
    return out


def write_json(report: dict[str, Any], path: str | Path) -> Path:
    return write_report(path, json.dumps(to_json(report), indent=2, default=str) + "\n", "JSON report")
