"""Launching: ``workbench tui``, ``workbench demo --tui``; keys, the command palette and the footer."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.tui.conftest import wait_until
from workbench.cli.main import build_parser
from workbench.tui.commands import COMMANDS
from workbench.tui.screens.history import HistoryScreen
from workbench.tui.screens.live import LiveScreen
from workbench.tui.screens.setup import SetupScreen
from workbench.tui.screens.thresholds import ThresholdsScreen

LAZY = """
import sys
import workbench.cli.cmd_tui, workbench.cli.cmd_demo
from workbench.cli.main import build_parser
build_parser()[0].parse_args(["tui", "--db", "x.db"])
build_parser()[0].parse_args(["demo", "--tui"])
print("LOADED:", sorted(m for m in sys.modules if m == "textual" or m.startswith(("textual.", "workbench.tui"))))
"""


def test_cli_offers_the_tui_and_loads_it_only_when_asked():
    parser, commands = build_parser()
    assert "tui" in commands
    assert parser.parse_args(["demo", "--tui", "--seed", "3"]).tui is True
    assert parser.parse_args(["tui", "--presets", "p"]).presets.name == "p"
    out = subprocess.run([sys.executable, "-c", LAZY], capture_output=True, text=True, check=True).stdout
    assert "LOADED: []" in out


def test_demo_flag_and_tui_command_open_the_app(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Both entry points reach ``run_tui`` with the store, the thresholds and (for the demo) the scenario."""
    import workbench.tui as tui
    from workbench.cli.main import main

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(tui, "run_tui", lambda **kw: calls.append(kw) or 0)
    assert main(["demo", "--tui", "--db", str(tmp_path / "d.db"), "--seed", "3",
                 "--set", "signal.dwell_ms=800"]) == 0
    assert main(["tui", "--db", str(tmp_path / "t.db")]) == 0
    demo, plain = calls
    assert demo["demo_seed"] == 3 and str(demo["db_path"]).endswith("d.db")
    assert demo["config"].signal.dwell_ms == 800  # type: ignore[attr-defined]
    assert "demo_seed" not in plain and str(plain["db_path"]).endswith("t.db")


def test_demo_app_is_set_up_on_the_paralysed_buyer(make_app):
    from workbench.tui import demo_app

    app = demo_app(seed=11)
    assert app.autostart and dict(app.plan.counts) == {"paralysed_buyer": 1}
    assert (app.plan.site, app.plan.seed, app.plan.kind) == ("rv", 11, "demo")


async def test_function_keys_reach_every_screen(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SetupScreen)
        for key, kind in (("f2", LiveScreen), ("f3", HistoryScreen), ("f4", ThresholdsScreen), ("f1", SetupScreen)):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, kind), key
        footer_keys = {key for key, b in app.active_bindings.items() if b.binding.show}
        assert {"f1", "f2", "f3", "f4", "f5"} <= footer_keys


async def test_command_palette_has_every_screen_and_action(make_app):
    app = make_app()
    actions = {action for _, action, _ in COMMANDS}
    for needed in ("switch_mode('setup')", "switch_mode('live')", "switch_mode('history')",
                   "switch_mode('thresholds')", "start_run", "pause_run", "resume_run", "stop_run",
                   "history('compare')", "thresholds_save"):
        assert needed in actions
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"History: browse")
        def first_hit() -> str:
            return str(app.screen.query("CommandList").first().get_option_at_index(0).prompt)

        await wait_until(pilot, lambda: "History: browse" in first_hit())
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("ctrl+p")
        await pilot.press(*"Thresholds: edit")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ThresholdsScreen))


@pytest.mark.parametrize("command", [["tui"], ["demo", "--tui"]])
def test_without_a_terminal_the_tui_refuses_at_once(command, tmp_path):
    """A script or CI step that runs the UI by mistake gets exit 2 and the reason, not screens drawn into a log
    while the app waits for keys forever (what it did before)."""
    done = subprocess.run([sys.executable, "-m", "workbench.cli.main", *command, "--db", str(tmp_path / "t.db")],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert "needs a terminal, and stdin and stdout are not one" in done.stderr
    assert "workbench run" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == "" and not (tmp_path / "t.db").exists()  # nothing drawn, no store made


def test_one_end_redirected_is_named(tmp_path):
    import io
    import pty

    from workbench.errors import UsageError
    from workbench.tui import require_terminal

    leader, follower = pty.openpty()
    with open(follower, "w", closefd=True) as tty:
        require_terminal(tty, tty)  # a terminal on both ends is fine
        with pytest.raises(UsageError, match="needs a terminal, and stdout is not one"):
            require_terminal(tty, io.StringIO())
        with pytest.raises(UsageError, match="needs a terminal, and stdin is not one"):
            require_terminal(io.StringIO(), tty)
    os.close(leader)
