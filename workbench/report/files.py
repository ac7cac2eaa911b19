"""What the report writers share: writing a report file (its folder created, and a path that cannot take it
named with the reason), and reading a stored value that must be a number (SQLite keeps any value in any column)."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

from workbench.errors import UsageError


def unwritable(path: str | Path) -> str | None:
    """Why ``path`` cannot take a report, or None: checked before a long run, not after it."""
    path = Path(path)
    if path.is_dir():
        return "it is a directory"
    folder = path.parent
    while not folder.exists():  # the folders write_report would create
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    if path.exists() and not os.access(path, os.W_OK):
        return "permission denied"
    try:  # what a permission check cannot tell (root, read-only or special file systems)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return f"cannot create files in {folder}: {exc.strerror or exc}"
    return None


def write_report(path: str | Path, text: str, what: str) -> Path:
    """Write ``text`` to ``path`` (creating its folder); :class:`UsageError` when it cannot.

    The reason is :func:`unwritable`'s when it has one: the system's alone says "File exists" for a path
    under a file, where the user needs to hear which file stands where a folder should be.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        why = unwritable(path) or exc.strerror or str(exc)
        raise UsageError(f"cannot write the {what} to {path}: {why}") from exc
    return path


def finite(value: Any) -> float | None:
    """``value`` when it is a finite number, else None (text, a bool, NaN, infinity): a stored figure that is
    written into an attribute, a size or a time must be one."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None
