"""The sweep's HTML page (workbench.report.sweep_html): its tables, and a chart only for one numeric axis."""

from __future__ import annotations

import re

from workbench.report.sweep_html import chart_svg, render_sweep_html


def row(overrides: dict, passed: int, *, tp: int = 2, fp: int = 0, differs: tuple = ()) -> dict:
    return {"overrides": overrides, "passed": passed, "sessions": 4, "bot": {"tp": tp, "fp": fp},
            "differs": list(differs), "per_persona": {"calm_researcher": {"passed": min(passed, 1), "sessions": 1},
                                                     "naive_bot": {"passed": 3, "sessions": 3}}}


ROWS = [row({}, 4), row({"bot.min_timing_cv": 0.1}, 4), row({"bot.min_timing_cv": 0.5}, 3, fp=1, differs=("a",)),
        row({"bot.min_timing_cv": 1.0}, 0, fp=3, differs=("a", "b", "c"))]


def test_a_chart_plots_each_figure_against_the_one_varied_threshold():
    svg = chart_svg(ROWS)
    assert svg.startswith("<svg") and "bot.min_timing_cv" in svg
    assert svg.count("<polyline") == 4 and svg.count("<circle") == 4 * 3  # four figures, three settings each
    assert [t for t in re.findall(r">([\d.]+)</text>", svg)][-3:] == ["0.1", "0.5", "1"]  # the x ticks


def test_no_chart_unless_one_threshold_varies_over_numbers():
    two_keys = [row({}, 4), row({"bot.a": 1, "bot.b": 2}, 4), row({"bot.a": 2, "bot.b": 2}, 4)]
    words = [row({}, 4), row({"bot.datacenter_ranges_file": "a"}, 4), row({"bot.datacenter_ranges_file": "b"}, 4)]
    assert chart_svg(two_keys) == chart_svg(words) == chart_svg(ROWS[:2]) == ""


def test_the_page_names_each_setting_and_shows_each_persona_under_it():
    html = render_sweep_html("Threshold lab · run_x", ["4 sessions", "replayed"], ROWS,
                             ["own", "cv 0.1", "cv 0.5", "cv 1.0"], ["calm_researcher", "naive_bot"])
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    assert "<td>S3</td><td>cv 1.0</td>" in html and "Figures against the threshold" in html
    assert html.count("✘") == 1 and "3/3" in html  # the calm researcher fails only at cv 1.0
    assert "<td>humans judged bots</td>" in html and ">3</td></tr>" in html
