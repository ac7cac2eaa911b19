"""The anti-creepiness output guard: section 9.2, enforced on every message before it is shown.

The system prompt asks the model to imply understanding, not observation; this guard is
the second line. A message that mentions the mouse, the cursor, scrolling, clicks, dwell,
hovering, exit intent, "I noticed you ..." or any other sign of being watched is rejected
with the phrases that tripped it; the caller falls back to a template and logs it.
"""

from __future__ import annotations

import re

# Each pattern names a way of revealing telemetry to the user. Word boundaries keep
# "scrolling banner" out of trouble only where the word itself is the tell.
SURVEILLANCE_PATTERNS: dict[str, str] = {
    "mouse": r"\bmouse\b|\bmice\b",
    "cursor": r"\bcursors?\b|\bpointer\b",
    "scrolling": r"\bscroll(?:s|ed|ing)?\b",
    "clicks": r"\bclick(?:s|ed|ing)?\b|\btap(?:s|ped|ping)\b",
    "dwell": r"\bdwell(?:s|ed|ing)?\b|\blinger(?:s|ed|ing)?\b",
    "hovering": r"\bhover(?:s|ed|ing)?\b",
    "exit intent": r"\bexit[- ]intent\b|\babout to (?:leave|go|close)\b|\b(?:trying|going) to leave\b",
    "noticed": r"\bi (?:noticed|noticing|see|saw|can see|observed|detected|spotted|tracked|watched)\b",
    "you were looking": (r"\byou(?:'ve| have| were|'re| are)? (?:been )?"
                         r"(?:looking|staring|viewing|browsing|spending|spent)\b"),
    "time on page": (r"\b(?:for|over) (?:the (?:last|past) )?\d+\s*(?:seconds?|minutes?|mins?|secs?)\b"
                     r"|\btime on (?:the )?page\b"),
    "tracking": r"\btrack(?:s|ed|ing)?\b|\bmonitor(?:s|ed|ing)?\b|\btelemetry\b|\bbehaviou?r(?:al)?\b",
    "back and forth": r"\bback and forth\b|\bgoing between\b|\bswitching (?:tabs|between)\b",
    "tabs": r"\b(?:other|another|new) tabs?\b|\bswitched tabs\b",
    "emotion labels": (r"\b(?:frustrat(?:ed|ion)|confus(?:ed|ion)|paralys(?:is|ed)|hesita(?:nt|tion)"
                       r"|overwhelm(?:ed)?|anxious|anxiety)\b"),
}
_COMPILED = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in SURVEILLANCE_PATTERNS.items()}


def violations(message: str) -> list[str]:
    """The rule names the message breaks; empty when it reads as understanding, not observation."""
    return [name for name, pattern in _COMPILED.items() if pattern.search(message)]


def is_acceptable(message: str) -> bool:
    return not violations(message)
