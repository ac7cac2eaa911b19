"""The compare screen's rows: every figure of every run, whichever run is named first."""

from __future__ import annotations

from workbench.store.db import open_db
from workbench.tui import history_data
from workbench.tui.screens.compare import rows

UNSCORED, SCORED = "demo_20260101_120000_aaaa", "run_20260102_090000_bbbb"


def _table(seeded_db, order):
    _, figures = history_data.compare(open_db(seeded_db), order)
    return {label.plain: [v.plain for v in values] for label, values in rows(figures)}


def test_an_unscored_run_first_keeps_the_scored_runs_figures(seeded_db):
    unscored_first, scored_first = _table(seeded_db, [UNSCORED, SCORED]), _table(seeded_db, [SCORED, UNSCORED])
    assert set(unscored_first) == set(scored_first)
    assert unscored_first["bot recall"] == ["", "1.00"]
    assert unscored_first["bot precision"] == ["", "1.00"]
    assert unscored_first["sessions passed"] == ["", "1"]
    assert unscored_first["sessions failed"] == ["", "1"]
    assert unscored_first["checks: signals fail"] == ["", "1"]
    assert unscored_first["emotion recall: decision_paralysis"] == ["", "1.00"]
    assert unscored_first["score verdict"] == ["not scored", "fail"]


def test_rows_follow_the_first_run_then_what_only_later_runs_have():
    figures = [{"run": "a", "x": 1, "y": 2}, {"run": "b", "z": 3, "x": 4}]
    assert [(label.plain, [v.plain for v in values]) for label, values in rows(figures)] == [
        ("x", ["1", "4"]), ("y", ["2", ""]), ("z", ["", "3"])]
