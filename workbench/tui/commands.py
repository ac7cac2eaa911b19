"""Command palette entries (ctrl+p) for every screen and action of the workbench."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("Setup: choose site, personas, seed, time, thresholds", "switch_mode('setup')", "F1"),
    ("Live: sessions, packets, timelines, rate, bot, minimap", "switch_mode('live')", "F2"),
    ("History: browse stored runs", "switch_mode('history')", "F3"),
    ("Thresholds: edit and save a preset", "switch_mode('thresholds')", "F4"),
    ("Run: start with the setup screen's plan", "start_run", "F5"),
    ("Run: pause between persona steps", "pause_run", "F6"),
    ("Run: resume a paused run", "resume_run", "F6 while paused"),
    ("Run: stop and close the browser", "stop_run", "F8"),
    ("History: open the highlighted run", "history('open')", "enter on the history screen"),
    ("History: mark the highlighted run for comparison", "history('mark')", "space on the history screen"),
    ("History: compare the two marked runs", "history('compare')", "c on the history screen"),
    ("History: reload runs from SQLite", "history('reload')", "r on the history screen"),
    ("Thresholds: save the form as a TOML preset", "thresholds_save", "ctrl+s on the thresholds screen"),
    ("Live: next panel (narrow terminals)", "live_panel(1)", "]"),
    ("Live: previous panel (narrow terminals)", "live_panel(-1)", "["),
    ("Quit the workbench", "quit", "ctrl+q"),
)


class WorkbenchCommands(Provider):
    """The workbench's own commands, beside Textual's (theme, keys, screenshot)."""

    def _run(self, action: str) -> None:
        self.app.call_later(self.app.run_action, action)

    async def discover(self) -> Hits:
        for name, action, keys in COMMANDS:
            yield DiscoveryHit(name, partial(self._run, action), help=keys)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action, keys in COMMANDS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, action), text=name, help=keys)
