"""The thresholds screen: every config section in a form, validated as you type, saved as a TOML preset.

Validation is :meth:`EITPConfig.from_mapping` (through :mod:`workbench.tui.configform`), so the
form refuses exactly what a run would refuse, with the message beside the field. A valid form
becomes the app's thresholds ("thresholds edited on F4" on the setup screen). Ctrl+R replays the
latest stored run with the form's engine thresholds (the threshold lab, :mod:`workbench.lab`) and
says how many sessions would still pass, without running a browser.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static, TabbedContent, TabPane

from workbench.config import EITPConfig
from workbench.errors import ConfigError
from workbench.tui import history_data
from workbench.tui.configform import (
    SECTIONS,
    fields_of,
    list_presets,
    preset_path,
    replaces_another,
    save_preset,
    validate,
)
from workbench.tui.untrusted import describe, text

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp


def _id(dotted: str) -> str:
    return "cfg-" + dotted.replace(".", "--")


class ThresholdsScreen(Screen[None]):
    """Edit, validate and save the thresholds of later runs."""

    BINDINGS = [Binding("ctrl+s", "save", "Save preset", priority=True),
                Binding("ctrl+r", "replay", "Replay last run", priority=True)]

    app: WorkbenchApp

    def __init__(self) -> None:
        super().__init__()
        self._pending = False
        self._problems: dict[str, str] = {}
        self.fields = {f.dotted: f for f in fields_of(self.app.config)}
        self.texts = {dotted: f.text for dotted, f in self.fields.items()}
        """dotted key -> the text typed: the form's state, also for sections not mounted yet."""
        self._mounted: set[str] = set()
        self._replace: tuple[Path, str] | None = None  # (preset, TOML) the user was warned would replace it

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="preset-bar"):
            yield Select(self._load_options(), prompt="load a preset", id="load-preset", compact=True)
            yield Input(placeholder="preset name", id="preset-name", compact=True)
            yield Button("Save ^S", id="save", variant="primary", compact=True)
            yield Button("Replay ^R", id="replay", compact=True)
        yield Static(id="validity")
        yield Static(id="replay-result")
        with TabbedContent(id="sections"):
            for section in SECTIONS:
                with TabPane(section, id=f"sec-{section}"):
                    yield VerticalScroll(id=f"body-{section}", classes="config-section")
        yield Footer(compact=True)

    def _load_options(self) -> list[tuple[str | Text, str]]:
        """The presets to load, each by its file name as :class:`Text` (a name is not markup)."""
        options: list[tuple[str | Text, str]] = [("spec defaults", "::defaults")]
        return options + [(text(p.name), str(p)) for p in list_presets(self.app.presets)]

    def on_mount(self) -> None:
        for inp in self.query(Input):
            inp.cursor_blink = self.app.cursor_blink
        self._mount_section(SECTIONS[0])
        self._validate()

    def on_screen_resume(self) -> None:
        self.query_one("#load-preset", Select).set_options(self._load_options())

    @on(TabbedContent.TabActivated, "#sections")
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        self._mount_section(str(event.pane.id).removeprefix("sec-"))

    def _mount_section(self, section: str) -> None:
        """Build a section's inputs the first time it is shown (115 inputs at once would stall the UI)."""
        if section in self._mounted:
            return
        self._mounted.add(section)
        fields = [f for f in self.fields.values() if f.section == section]
        body = self.query_one(f"#body-{section}", VerticalScroll)
        widgets: list[Widget] = [Static(fields[0].doc if fields else "", classes="section-doc")]
        for f in fields:
            inp = Input(self.texts[f.dotted], id=_id(f.dotted), classes="config-value", compact=True)
            inp.cursor_blink = self.app.cursor_blink
            widgets.append(Horizontal(Label(f.key, classes="config-key"), inp, classes="config-row"))
        body.mount_all(widgets)
        for f in fields:
            if f.dotted in self._problems:
                self._show_problem(f.dotted, self._problems[f.dotted])

    def _show_problem(self, dotted: str, message: str) -> None:
        """Mark the input and put the message on the line under it (created only when needed). The message is
        :class:`Content`: it quotes what was typed (``'[/]' is not an IP network``), which crashed it as markup."""
        inp = self.query_one(f"#{_id(dotted)}", Input)
        inp.set_class(bool(message), "-invalid")
        existing = self.query(f"#{_id(dotted)}-error")
        if existing and not message:
            existing.remove()
        elif existing:
            existing.first(Static).update(Content(f"✗ {message}"))
        elif message:
            row, body = inp.parent, inp.parent.parent if inp.parent else None
            assert isinstance(row, Widget) and isinstance(body, Widget)
            body.mount(Static(Content(f"✗ {message}"), id=_id(dotted) + "-error", classes="config-error"),
                       after=row)

    def values(self) -> dict[str, str]:
        return dict(self.texts)

    @on(Input.Changed, ".config-value")
    def _edited(self, event: Input.Changed) -> None:
        self.texts[str(event.input.id).removeprefix("cfg-").replace("--", ".")] = event.value
        if not self._pending:  # a burst of changes validates once
            self._pending = True
            self.call_after_refresh(self._validate)

    def _validate(self) -> EITPConfig | None:
        self._pending = False
        config, problems = validate(self.texts)
        for dotted in set(problems) | set(self._problems):
            if problems.get(dotted) == self._problems.get(dotted) or dotted.split(".")[0] not in self._mounted:
                continue
            self._show_problem(dotted, problems.get(dotted, ""))
        self._problems = problems
        validity = self.query_one("#validity", Static)
        if config is None:
            where = ", ".join(k for k in problems if k) or problems.get("", "")
            validity.update(Content.assemble((f"{len(problems)} invalid", "b red"), f": {where} · fix them to use "
                                             "or save these"))
            self.app.thresholds_invalid = where  # a run on these must not start on the last valid ones
        else:
            self.app.config = config
            self.app.thresholds_invalid = None
            validity.update("[green]valid[/] · runs with 'thresholds edited on F4' use these · "
                            "ctrl+s saves them as a preset")
        for section in SECTIONS:
            bad = any(k.startswith(f"{section}.") for k in problems)
            tab = self.query_one(TabbedContent).get_tab(f"sec-{section}")
            if tab.label.plain != (label := f"{'✗ ' if bad else ''}{section}"):
                tab.label = label
        return config

    @on(Select.Changed, "#load-preset")
    def _load(self, event: Select.Changed) -> None:
        if event.value == Select.NULL:
            return
        try:
            config = EITPConfig() if event.value == "::defaults" else EITPConfig.load(str(event.value))
        except ConfigError as exc:
            self.notify(describe(exc), title="Preset refused", severity="error", markup=False)
            return
        for f in fields_of(config):
            self.texts[f.dotted] = f.text
            if f.section in self._mounted:
                inp = self.query_one(f"#{_id(f.dotted)}", Input)
                with inp.prevent(Input.Changed):
                    inp.value = f.text
        if event.value != "::defaults":
            self.query_one("#preset-name", Input).value = str(event.value).rsplit("/", 1)[-1].removesuffix(".toml")
        self._validate()

    def _valid_or_say(self, done: str) -> EITPConfig | None:
        """The form's thresholds; None, said in a notification, while any value is invalid."""
        config = self._validate()
        if config is None:
            self.notify(f"Not {done}: the form has invalid values (marked ✗).", severity="error")
        return config

    @on(Button.Pressed, "#save")
    @on(Input.Submitted, "#preset-name")
    def action_save(self) -> None:
        config = self._valid_or_say("saved")
        if config is None:
            return
        name = self.query_one("#preset-name", Input).value
        try:
            path, toml = preset_path(self.app.presets, name), config.to_toml()
            if replaces_another(path, toml) and self._replace != (path, toml):
                self._replace = (path, toml)  # the same save again replaces it
                self.notify(f"{path} exists with other thresholds: ctrl+s again replaces it, or choose "
                            "another name.", title="Not saved yet", severity="warning", markup=False)
                return
            self._replace = None
            path = save_preset(config, self.app.presets, name)
        except ConfigError as exc:
            self.notify(describe(exc), title="Not saved", severity="error", markup=False)
            return
        except OSError as exc:
            self.notify(f"{exc.strerror}: {exc.filename}", title="Not saved", severity="error", markup=False)
            return
        self.notify(f"Saved {path}: choose it under Thresholds on the setup screen.", title="Preset saved",
                    markup=False)
        self.query_one("#load-preset", Select).set_options(self._load_options())

    @on(Button.Pressed, "#replay")
    def action_replay(self) -> None:
        config = self._valid_or_say("replayed")
        if config is None:
            return
        self.query_one("#replay-result", Static).update(Text("replaying the latest run ...", "dim"))
        self._replay(config)

    @work(thread=True, exclusive=True, group="replay")
    def _replay(self, config: EITPConfig) -> None:
        result: Text | Content
        try:
            found = history_data.replay_latest(self.app.engine(), config)
        except Exception as exc:  # a damaged store must not take the screen down; its message is text, not markup
            result = Content.assemble(("replay failed", "red"), ": ", describe(exc))
        else:
            result = found.line() if found else Content("no stored run to replay yet: start one with F5")
        self.app.call_from_thread(self.query_one("#replay-result", Static).update, result)
