"""The thresholds form writes a string as TOML, so opening F4 leaves a path with a backslash or a quote as it was."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from tests.tui.conftest import wait_until
from workbench.config import EITPConfig
from workbench.tui.configform import fields_of, literal, parse_value, validate

AWKWARD = [r"C:\new\table.txt", r"/srv/dc\new/r.txt", 'lists "old".txt', "tab\there", "del\x7f", "ünï/☃.txt"]


@pytest.mark.parametrize("value", AWKWARD)
def test_a_string_literal_reads_back_as_it_was(value):
    assert parse_value(literal(value)) == value
    assert parse_value(literal([value, "x"])) == [value, "x"]


@pytest.mark.parametrize("value", AWKWARD)
def test_the_form_round_trips_a_config_unchanged(value):
    config = EITPConfig().with_overrides({"bot.datacenter_ranges_file": value})
    again, problems = validate({f.dotted: f.text for f in fields_of(config)})
    assert problems == {} and again == config


async def test_opening_f4_keeps_a_backslash_in_a_path(make_app):
    path = r"/srv/dc\new/r.txt"
    config = EITPConfig().with_overrides({"bot.datacenter_ranges_file": path})
    app = make_app(config=config)
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.press("f4")
        await wait_until(pilot, lambda: app.config is not config)  # the form validated and replaced it
        assert "valid" in str(app.screen.query_one("#validity", Static).render())
        assert app.config.bot.datacenter_ranges_file == path
