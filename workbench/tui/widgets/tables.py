"""Filling a DataTable whose columns fit what they hold.

DataTable sizes auto-width columns only when it next goes idle, and a table filled once, with
nothing else to do, could keep its header widths: the history screen showed every run id cut to
"run". Tables filled in one go therefore get their widths here, from their contents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len
from textual.widgets import DataTable


def fill(table: DataTable[Any], columns: Sequence[tuple[str, str]], rows: Sequence[tuple[str | None, Sequence[Any]]]
         ) -> None:
    """Replace ``table``'s columns ((label, key) pairs) and rows ((row key, cells) pairs)."""
    table.clear(columns=True)
    for i, (label, key) in enumerate(columns):
        table.add_column(label, key=key, width=max([cell_len(label), *(cell_len(str(cells[i])) for _, cells in rows)]))
    for row_key, cells in rows:
        table.add_row(*cells, key=row_key)
