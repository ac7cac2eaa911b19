"""The CLI's sink of the run-event stream: one readable line per packet, verdict and session."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from rich.console import Console
from rich.markup import escape as escape_markup

from workbench.events import (
    BotVerdictEmitted,
    InterventionOutcome,
    InterventionSent,
    OutcomeExpected,
    PacketEmitted,
    RunEnded,
    RunEvent,
    RunStarted,
    SessionEnded,
    SessionStarted,
)
from workbench.protocol.taxonomy import CATEGORY_COLOURS as COLOURS
from workbench.protocol.taxonomy import TRAJECTORY_ARROWS as ARROWS
from workbench.protocol.taxonomy import category

#: C0 and C1 control characters: ESC and CSI start terminal escape sequences
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: object) -> str:
    """``text`` from a page (a section name, a label, a message quoting the page's title) as it may
    reach a terminal: every control character is U+FFFD, so a visitor cannot clear the operator's
    screen, retitle the window or forge lines."""
    return CONTROL.sub("\ufffd", str(text))


def escape(text: object) -> str:
    """Printable, and safe from rich markup. ``:emoji:`` codes are left as written: the printer turns
    emoji off, since ``markup.escape`` cannot keep ``:warning:`` from becoming a symbol."""
    return escape_markup(printable(text))


class Printer:
    def __init__(self, console: Console | None = None, *, verbose: bool = False) -> None:
        self.console = console or Console(highlight=False)
        self.verbose = verbose
        self.personas: dict[str, str] = {}

    def __call__(self, event: RunEvent) -> None:
        say = partial(self.console.print, emoji=False)  # a page's ":warning:" is shown as written
        match event:
            case RunStarted():
                say(f"[bold]run {event.run_id}[/] · site /{event.site}/ · seed {event.seed} · {event.base_url}")
            case SessionStarted():
                self.personas[event.session_id] = event.persona or "visitor"
                say(f"[dim]▶ session {event.session_id} ({event.persona or 'visitor'}) started[/]")
            case PacketEmitted():
                say(self.packet_line(event.packet))
            case BotVerdictEmitted():
                d = event.detection
                colour = "red" if d["classification"] == "bot" else "dim"
                signals = ", ".join(d["signals"]) or "no signal"
                say(f"[{colour}]  bot verdict {escape(d['session_id'])}: {escape(d['classification'])} "
                        f"({d['confidence']:.2f}) · {escape(signals)}[/]")
            case InterventionSent():
                who = self.personas.get(event.session_id, event.session_id[-9:])
                say(f"[bold magenta]  Seer → {escape(who)}[/]: “{escape(event.message)}” [dim]({event.strategy}, "
                        f"answering {event.emotion} in {escape(event.section)}, {event.source})[/]")
            case InterventionOutcome():
                who = self.personas.get(event.session_id, event.session_id[-9:])
                say(f"[magenta]  outcome for {escape(who)}: {event.outcome}[/] [dim]({event.strategy})[/]")
            case OutcomeExpected():
                who = self.personas.get(event.session_id, event.session_id[-9:])
                say(f"[dim magenta]  expected outcome for {escape(who)}: {event.outcome}[/]")
            case SessionEnded():
                note = f" · [red]{escape(event.error)}[/]" if event.error else ""
                say(f"[dim]■ session {event.session_id} {event.status}[/]{note}")
            case RunEnded():
                pass
            case _:
                pass

    def packet_line(self, p: dict[str, Any]) -> str:
        e, s = p["emotion"], p["spatial"]
        who = self.personas.get(p["sessionId"], p["sessionId"][-9:])
        colour = COLOURS[category(e["primary"])]
        patterns = ", ".join(p["patterns"]["detected"][:3])
        return (f"[{p['temporal']['sessionDuration'] / 1000:6.1f}s] {escape(who):<16} "
                f"{escape(s['currentSection']):>14} ×{s['visitCount']:<2} "
                f"[bold {colour}]{e['primary']:<22}[/] conf {e['confidence']:.2f} int {e['intensity']:.2f} "
                f"{ARROWS[e['trajectory']]} {e['trajectory']:<12} intent {escape(p['intent']['level'])}/"
                f"{escape(p['intent']['action'])}"
                + (f" [dim]· {escape(patterns)}[/]" if patterns else ""))
