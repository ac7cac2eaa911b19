"""The JSON report: the run, its configuration, every session's checks, and the run's scores."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from workbench.report.files import write_report


def _plain(value: Any) -> Any:
    """``value`` as strict JSON holds it: a number that is not finite as null, a key json cannot write as text.

    ``json.dumps`` writes NaN and infinity as bare ``NaN`` / ``Infinity``, which JSON readers (jq, JSON.parse,
    most CI tools) reject, and raises on a key that is not a string, number, bool or None. Loops, not
    comprehensions: one frame per level, so a deep stored value nests as deep as ``json.dumps`` itself allows.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out[key if isinstance(key, str | int | float | bool) or key is None else str(key)] = _plain(item)
        return out
    if isinstance(value, list | tuple):
        items = []
        for item in value:
            items.append(_plain(item))
        return items
    return value


def to_json(report: dict[str, Any]) -> dict[str, Any]:
    """The report without the bulky cursor trails (they are in SQLite and the HTML report), as strict JSON data."""
    out = dict(report)
    out["sessions"] = []
    for s in report["sessions"]:
        trail = s.get("trail") or {}
        slim = {k: v for k, v in s.items() if k != "trail"}
        slim["trail_points"] = len(trail.get("points", []))
        slim["tab_switch"] = trail.get("tab_switch", "")
        out["sessions"].append(slim)
    plain: dict[str, Any] = _plain(out)
    return plain


def write_json(report: dict[str, Any], path: str | Path) -> Path:
    return write_report(path, json.dumps(to_json(report), indent=2, default=str) + "\n", "JSON report")
