"""Test personas for the closed intervention loop in the browser (not in the catalogue)."""

from __future__ import annotations

from typing import ClassVar

from synthetic.motion import AGITATED
from synthetic.personas import Actor, Persona


class RageThenLinger(Persona):
    """Rage-clicks the unresponsive availability button (frustration: Seer speaks), then stays on
    the page for minutes in short, quiet actions, so an answer can come at any moment."""

    name = "rage_then_linger"
    description = "test persona: frustration first, then a long quiet stay"
    profile = AGITATED
    expected_emotions = frozenset({"frustration"})
    expects_intervention = True
    linger_until_ms: ClassVar[float] = 170_000.0

    async def run(self, actor: Actor) -> None:
        # Long enough a read that the frustration packet comes well past section 9.3's 10 s minimum
        # session, whatever the seed's motion: at 1.5 s one came at 9.95 s and Seer rightly kept quiet.
        await actor.read("#hero h1", 4000)
        await actor.click("#btn-availability")
        await actor.dwell(1300)
        await actor.click_burst("#btn-availability", 4, gap_ms=(90, 150))
        await actor.erratic(1800, radius=130)
        await actor.click_burst("#btn-availability", 5, gap_ms=(70, 130))
        await actor.erratic(1500, radius=150)
        await actor.click_burst("#btn-availability", 3, gap_ms=(80, 140))
        await actor.erratic(1200, radius=110)
        while actor.elapsed_ms < self.linger_until_ms:  # a hand loosely on the mouse: telemetry keeps coming
            await actor.idle(1000)
            await actor.wait(2000)


class Glancer(Persona):
    """A few seconds on the page, and what its producer used to send (the test reads it)."""

    name = "glancer"
    description = "test persona: a short look, then reports its producer's transport"
    expected_signals = frozenset({"mouse"})
    seen_stats: ClassVar[list[dict]] = []

    async def run(self, actor: Actor) -> None:
        await actor.move_to("#price-main", dwell_ms=800)
        await actor.read("#hero h1", 2500)
        await actor.move_to("#btn-availability", dwell_ms=600)
        type(self).seen_stats.append(await actor.page.evaluate("window.EITP.stats()"))  # type: ignore[attr-defined]
