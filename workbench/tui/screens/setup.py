"""The setup screen: site, personas and how many of each, seed, time mode, answers to Seer, thresholds;
start/pause/stop.

Every change rewrites the app's :class:`RunPlan`, so F5 (or the palette) starts exactly what
the form shows from any screen. Options the runner does not support are shown disabled,
with a tooltip that says why, instead of being faked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.validation import Integer
from textual.widgets import Button, Footer, Header, Input, Label, RadioButton, RadioSet, Select, Static

from workbench.tui.configform import list_presets
from workbench.tui.model import plural
from workbench.tui.runcontrol import ANSWER_CHOICES, DEFAULTS, NO_ANSWERS, Capabilities, available_sites
from workbench.tui.untrusted import line, text

if TYPE_CHECKING:
    from workbench.tui.app import WorkbenchApp

MAX_PER_PERSONA = 16
CURRENT = "::current"


class SetupScreen(Screen[None]):
    """Choose what to run, then start it (F5)."""

    app: WorkbenchApp

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]

    def compose(self) -> ComposeResult:
        plan = self.app.plan
        sites = available_sites()
        site = plan.site if plan.site in sites else (sites[0] if sites else "")
        yield Header()
        with Container(id="setup-body"):
            with Vertical(id="setup-options"):
                with Horizontal(classes="field"):
                    yield Label("Site", classes="field-label")
                    yield Select([(s, s) for s in sites], value=site or Select.NULL, allow_blank=not sites,
                                 id="site", compact=True,
                                 tooltip="Every session runs on this site (sites/<name>/index.html)")
                with Horizontal(classes="field"):
                    yield Label("Seed", classes="field-label")
                    yield Input(str(plan.seed), type="integer", restrict=r"\d*", id="seed", compact=True,
                                tooltip="Motion seed: the same seed moves the same way")
                with Horizontal(classes="field"):
                    yield Label("Time", classes="field-label")
                    with RadioSet(id="time", compact=True):
                        yield RadioButton("real", value=not plan.virtual_time, id="real")
                        yield RadioButton("virtual", value=plan.virtual_time, id="virtual", disabled=True,
                                          tooltip="Checking whether the runner supports virtual time ...")
                with Horizontal(classes="field"):
                    yield Label("Answers", classes="field-label")
                    yield Select(list(ANSWER_CHOICES), value=plan.responses, allow_blank=False, id="responses",
                                 compact=True, tooltip="How personas answer Seer's messages in the chat "
                                 "(workbench run --responses); Seer observes the outcome in the telemetry")
                with Horizontal(classes="field"):
                    yield Label("Thresholds", classes="field-label")
                    yield Select(self._preset_options(), value=plan.preset or CURRENT, allow_blank=False,
                                 id="preset", compact=True,
                                 tooltip="A saved TOML preset, the thresholds edited on F4, or the spec defaults")
                with Horizontal(id="run-buttons"):
                    yield Button("Start F5", id="start", variant="success", compact=True)
                    yield Button("Pause F6", id="pause", disabled=True, tooltip=Capabilities.pause_note,
                                 compact=True)
                    yield Button("Stop F8", id="stop", variant="error", disabled=True, compact=True)
                yield Static(id="plan-summary")
            with VerticalScroll(id="persona-list"):
                yield Label(f"Personas: sessions of each (0-{MAX_PER_PERSONA})", classes="section-label")
                for name, persona in self.app.personas.items():
                    with Horizontal(classes="persona-row", id=f"row-{name}"):
                        yield Input(str(plan.counts.get(name, 0)), type="integer", id=f"count-{name}",
                                    classes="count", validators=[Integer(0, MAX_PER_PERSONA)], compact=True,
                                    tooltip=f"0 to {MAX_PER_PERSONA} sessions of {name}")
                        yield Label(text(name), classes="persona-name")
                        yield Static(text(getattr(persona, "description", "")), classes="persona-doc")
        yield Footer(compact=True)

    def _preset_options(self) -> list[tuple[str | Text, str]]:
        """The choices of thresholds; a preset by its file name, as :class:`Text` (a name is not markup)."""
        options: list[tuple[str | Text, str]] = [("thresholds edited on F4", CURRENT), ("spec defaults", DEFAULTS)]
        return options + [(text(p.name), str(p)) for p in list_presets(self.app.presets)]

    def on_mount(self) -> None:
        for inp in self.query(Input):
            inp.cursor_blink = self.app.cursor_blink
        if self.app.capabilities_known:
            self.show_capabilities(self.app.capabilities)
        self.show_state(self.app.run_state)
        self._update_plan()

    def on_screen_resume(self) -> None:
        self.show_state(self.app.run_state)
        select = self.query_one("#preset", Select)
        value = select.value
        select.set_options(self._preset_options())
        select.value = value if any(v == value for _, v in self._preset_options()) else CURRENT

    @on(Input.Changed)
    @on(RadioSet.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self._update_plan()

    def _update_plan(self) -> None:
        site = self.query_one("#site", Select).value
        counts: dict[str, int] = {}
        for row in self.query(".persona-row"):
            name = str(row.id).removeprefix("row-")
            typed = self.query_one(f"#count-{name}", Input).value
            n = int(typed) if typed.lstrip("-").isdigit() else 0
            if 0 < n <= MAX_PER_PERSONA:
                counts[name] = n
        seed_text = self.query_one("#seed", Input).value
        preset = self.query_one("#preset", Select).value
        responses = self.query_one("#responses", Select).value
        plan = replace(self.app.plan, site=str(site) if site != Select.NULL else "", counts=counts,
                       seed=int(seed_text) if seed_text.isdigit() else self.app.plan.seed,
                       virtual_time=self.query_one("#virtual", RadioButton).value,
                       preset=None if preset == CURRENT else str(preset),
                       responses=str(responses) if responses != Select.NULL else NO_ANSWERS)
        self.app.plan = plan
        personas = ", ".join(f"{name} ×{n}" for name, n in counts.items()) or "no persona chosen"
        thresholds = {None: "thresholds edited on F4", DEFAULTS: "spec defaults"}.get(plan.preset, plan.preset)
        self.query_one("#plan-summary", Static).update(Content.assemble(  # a preset's path is not markup
            (plural(plan.sessions, "session"), "b"), f": {personas} · all on site {plan.site or '-'} · "
            f"seed {plan.seed} · {'virtual' if plan.virtual_time else 'real'} time · {line(thresholds)}",
            "" if plan.responses == NO_ANSWERS else f" · personas answer Seer ({plan.responses})"))

    def show_capabilities(self, caps: Capabilities) -> None:
        virtual = self.query_one("#virtual", RadioButton)
        virtual.disabled = not caps.virtual_time
        virtual.tooltip = caps.virtual_note
        if not caps.virtual_time and virtual.value:
            self.query_one("#real", RadioButton).value = True
        pause = self.query_one("#pause", Button)
        pause.tooltip = caps.pause_note
        self.show_state(self.app.run_state)

    def show_state(self, state: str) -> None:
        if not self.is_mounted:
            return
        running = state in ("starting", "running", "paused", "stopping")
        self.query_one("#start", Button).disabled = running
        self.query_one("#stop", Button).disabled = state not in ("starting", "running", "paused")
        pause = self.query_one("#pause", Button)
        pause.disabled = not (state in ("running", "paused") and self.app.capabilities.pause)
        pause.label = "Resume F6" if state == "paused" else "Pause F6"
        self.sub_title = f"run: {state}"

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        self.app.action_start_run()

    @on(Button.Pressed, "#stop")
    def _stop(self) -> None:
        self.app.action_stop_run()

    @on(Button.Pressed, "#pause")
    def _pause(self) -> None:
        self.app.action_pause_run()
