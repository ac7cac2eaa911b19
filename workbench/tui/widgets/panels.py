"""The live screen's smaller panels: packet JSON, event rate, bot signals, intervention chat."""

from __future__ import annotations

from typing import Any

import orjson
from rich.json import JSON
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Sparkline, Static

from workbench.tui.model import InterventionEntry, SessionView
from workbench.tui.untrusted import column, line

INTERVENTIONS_EMPTY = ("No interventions. What Seer says and how the persona responds appears here "
                       "when the intervention consumer is enabled.")


class PacketView(Static):
    """One EITP packet as highlighted, indented JSON."""

    def __init__(self, *, empty: str = "No packet yet for this session.", id: str | None = None) -> None:
        super().__init__(Text(empty, "dim"), id=id)
        self.empty = empty
        self.packet: dict[str, Any] | None = None

    def show(self, packet: dict[str, Any] | None) -> None:
        if packet is self.packet:
            return
        self.packet = packet
        self.update(Text(self.empty, "dim") if packet is None else JSON(orjson.dumps(packet).decode(), indent=2))


class RatePanel(Static):
    """Events per second of event time, from the batches, over the last minute."""

    DEFAULT_CSS = """
    RatePanel { height: auto; }
    RatePanel > Sparkline { height: 3; margin-top: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("No batches yet.", "dim"), id="rate-label")
        yield Sparkline([], id="rate-spark")

    def show(self, rate: list[int], total: int) -> None:
        label = self.query_one("#rate-label", Static)
        if not rate:
            label.update(Text("No batches yet.", "dim"))
        else:
            recent = rate[-6:-1] or rate[-1:]  # the newest second is still filling
            now = sum(recent) / len(recent)
            label.update(Text.assemble((f"{now:5.1f}", "bold"), " events/s  ",
                                       (f"peak {max(rate)}/s · {total} events in all", "dim")))
        self.query_one("#rate-spark", Sparkline).data = [float(v) for v in rate] or [0.0]


class BotPanel(Static):
    """Per session: the verdict and the section 8 signals that fired (names and signals shown as text)."""

    def show(self, sessions: list[SessionView]) -> None:
        if not sessions:
            self.update(Text("No verdict yet: the bot filter reports after the first batches.", "dim"))
            return
        out = Text()
        for n, s in enumerate(sessions, 1):
            colour = {"bot": "bold red", "human": "green"}.get(s.bot, "yellow")
            conf = "" if s.bot_confidence is None else f" {s.bot_confidence:.2f}"
            out.append(f"{n:>2} ")
            out.append_text(column(s.persona, 16))
            out.append(" ")
            out.append(f"{line(s.bot, 16)}{conf}", colour)
            if s.bot_signals:
                out.append(" · " + ", ".join(line(signal) for signal in s.bot_signals), "red")
            elif s.bot_confidence is not None:
                out.append(" · no signal fired", "dim")
            out.append("\n")
        self.update(out)


class InterventionLog(Static):
    """The intervention chat: what Seer said, and the persona's response once known. Seer's words come from a
    language model and the details (the section) from the page: each is one line of text, never markup."""

    def show(self, entries: list[InterventionEntry]) -> None:
        if not entries:
            self.update(Text(INTERVENTIONS_EMPTY, "dim"))
            return
        out = Text()
        for e in entries[-200:]:
            who = line(e.persona or e.session_id[-9:] or "?")
            out.append(f"{e.kind} ", "dim")
            out.append(f"{who}\n", "bold")
            if e.said:
                out.append("  Seer: ", "bold magenta")
                out.append(f"{line(e.said)}\n")
            if e.response:
                out.append("  ↳ ", "bold")
                out.append(f"{line(e.response)}\n", "green")
            detail = " · ".join(f"{line(k)}={line(v)}" for k, v in e.detail.items())
            if detail:
                out.append(f"  {detail}\n", "dim")
        self.update(out)
