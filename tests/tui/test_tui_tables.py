"""workbench.tui.widgets.tables.fill: columns fit their contents as soon as the table is filled."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from workbench.tui.widgets.tables import fill


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="t")


async def test_columns_fit_their_widest_cell_or_label_before_the_table_goes_idle():
    async with OneTable().run_test() as pilot:
        table = pilot.app.query_one("#t", DataTable)
        fill(table, [("run", "run"), ("status", "status")],
             [("a", ("demo_20260101_120000_aaaa", Text("ended", "green"))), ("b", ("run_x", Text("running")))])
        widths = {str(key.value): column.width for key, column in table.columns.items()}
        assert widths == {"run": len("demo_20260101_120000_aaaa"), "status": len("running")}
        assert table.row_count == 2 and table.get_row("b")[0] == "run_x"
        fill(table, [("run", "run"), ("status", "status")], [])  # refilled: the old rows and widths go
        assert table.row_count == 0 and {c.width for c in table.columns.values()} == {len("run"), len("status")}
