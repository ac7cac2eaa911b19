"""The CLI's run printer (``workbench run``/``serve``/``demo`` output) shows what a page chose, never obeys it."""

from __future__ import annotations

import io

from rich.console import Console

from workbench.cli.printer import Printer
from workbench.events import BotVerdictEmitted, InterventionSent, PacketEmitted

ESCAPES = "\x1b[2J\x1b[H\x1b]0;owned\x07[bold]FAKE[/]\x9b31m"  # clear, home, retitle, rich markup, CSI


def packet(section: str) -> dict:
    return {"sessionId": "sq_1_printer", "emotion": {"primary": "frustration", "confidence": 0.8, "intensity": 0.7,
                                                     "trajectory": "stable"},
            "spatial": {"currentSection": section, "visitCount": 1}, "temporal": {"sessionDuration": 10_000},
            "intent": {"level": "low", "action": "research"}, "patterns": {"detected": [section]}}


def test_control_characters_and_markup_from_a_page_are_shown_not_obeyed():
    out = io.StringIO()
    printer = Printer(Console(file=out, color_system=None, width=200))
    printer(PacketEmitted(packet(ESCAPES)))
    printer(InterventionSent("sq_1_printer", 10_000.0, "frustration", ESCAPES, "empathy", f"About {ESCAPES}?",
                             "template"))
    text = out.getvalue()
    assert not any(ch in text for ch in "\x1b\x07\x9b"), repr(text)
    assert "\ufffd[2J\ufffd[H\ufffd]0;owned\ufffd[bold]FAKE[/]\ufffd31m" in text  # markup shown as written too
    assert text.count("\ufffd") == 4 * 5  # section, pattern, message and its section: five controls each


def test_emoji_codes_from_a_page_are_shown_as_written():
    out = io.StringIO()
    printer = Printer(Console(file=out, color_system=None, width=200))
    printer(PacketEmitted(packet(":warning: pricing")))
    printer(InterventionSent("sq_1_printer", 10_000.0, "frustration", "pricing", "empathy", "Hi :thumbs_up:",
                             "template"))
    text = out.getvalue()
    assert ":warning: pricing" in text and "Hi :thumbs_up:" in text, text
    assert "⚠" not in text and "👍" not in text


def test_a_packets_intent_and_a_bot_verdicts_words_are_shown_not_obeyed():
    # with `serve --nats` anyone may publish a packet or a verdict; the intent's words are free strings
    out = io.StringIO()
    printer = Printer(Console(file=out, color_system=None, width=300))
    forged = packet("pricing") | {"intent": {"level": ESCAPES, "action": "[/]"}}
    printer(PacketEmitted(forged))
    printer(BotVerdictEmitted({"session_id": "[/]", "classification": ESCAPES, "confidence": 0.9, "signals": []}))
    text = out.getvalue()
    assert not any(ch in text for ch in "\x1b\x07\x9b"), repr(text)
    assert "/[/]" in text and "bot verdict [/]:" in text and text.count("[bold]FAKE[/]") == 2
