"""Untrusted text on the screen: what pages, the language model and stored runs say, shown as text.

Section names, page titles, Seer's messages, error strings and a store written by another version
reach Textual widgets. A ``str`` given to a DataTable cell, a Static, a border title or a
notification is read as markup there: a stray ``[/]`` raised MarkupError and took the app down, and
``[@click=app.quit]`` ran an action when the operator clicked it. Control characters went to the
terminal as they were (ESC starts escape sequences). So every such value becomes one printable line
(:func:`line`), cut to a width where a column must not grow without bound, and reaches a widget as a
:class:`rich.text.Text` (:func:`text`) or inside a Textual ``Content``: neither is parsed as markup.
No Textual here: the model uses it too.
"""

from __future__ import annotations

import math
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from workbench.cli.printer import printable

ELLIPSIS = "…"


def line(value: object, limit: int | None = None) -> str:
    """``value`` as one printable line: runs of whitespace (newlines too) as one space, any other control
    character as U+FFFD, cut to ``limit`` terminal cells with an ellipsis. None is the empty string."""
    if value is None:
        return ""
    flat = printable(" ".join(str(value).split()))
    if limit is not None and cell_len(flat) > limit:
        flat = set_cell_size(flat, max(0, limit - 1)).rstrip() + ELLIPSIS
    return flat


def text(value: object, style: str = "", limit: int | None = None) -> Text:
    """``value`` as a :class:`Text` that is never read as markup (see :func:`line`)."""
    return Text(line(value, limit), style, end="")


def column(value: object, width: int, style: str = "") -> Text:
    """``value`` as :func:`text` exactly ``width`` terminal cells wide (cut or padded): a column that stays
    aligned when a name holds wide (CJK) characters, which take two cells each."""
    found = text(value, style, width)
    found.truncate(width, overflow="ellipsis", pad=True)
    return found


def number(value: object) -> float | None:
    """A finite number, or None for anything else (null, NaN, text): stored and streamed figures may be either."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        found = float(value)
    except (ValueError, OverflowError):  # OverflowError: an integer past a float's range
        return None
    return found if math.isfinite(found) else None


def figure(value: object, spec: str = ".2f", missing: str = "?") -> str:
    """A number formatted with ``spec``, or ``missing`` when it is not one."""
    found = number(value)
    return missing if found is None else format(found, spec)


def part(mapping: object, *keys: str) -> Any:
    """``mapping[k1][k2]...``, or None where a level is missing or not an object (an optional dimension
    set to null, a packet stored by an older version)."""
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def describe(exc: BaseException) -> str:
    """An exception as one line for the operator: the workbench's own errors already say what and where;
    anything else gets its type name, so "KeyError: 'x'" is not just "'x'"."""
    from workbench.errors import WorkbenchError

    said = line(exc)
    return said if isinstance(exc, WorkbenchError) and said else line(f"{type(exc).__name__}: {exc}")
