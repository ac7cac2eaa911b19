"""The confused visitor: cannot find what they came for; circles the cursor and clicks plain text."""

from __future__ import annotations

from synthetic.motion import HESITANT
from synthetic.personas.base import Actor, Persona


class ConfusedVisitor(Persona):
    name = "confused_visitor"
    aliases = ("confused",)
    description = ("Circles the cursor over the specifications, the floor plan and the features (about half a "
                   "turn per 450 ms, so the producer's circular_motion fires) and clicks table cells and "
                   "paragraphs that are not controls (about 40 s).")
    site = "rv"
    profile = HESITANT
    expected_emotions = frozenset({"confusion"})
    expected_signals = frozenset({"circular_motion", "click"})
    # still on the page when the section 8.2 bot wait (3 batches / ~30 s) releases its packets to Seer
    expects_intervention = True

    async def run(self, actor: Actor) -> None:
        await actor.read("#hero h1", 1800)
        await actor.scroll_to("#specifications")
        await actor.read("#specs-table", 1500)
        await actor.circle("#specs-table tbody", radius=45, turns=3.0, period_ms=650)
        await actor.click("#specs-table tbody tr:nth-child(3) td:nth-child(2)")  # a value cell, not a control
        await actor.dwell(900)
        await actor.circle("#specs-table tbody tr:nth-child(6)", radius=40, turns=2.5, period_ms=620)
        await actor.click(".spec-notes p")
        await actor.dwell(1200)
        await actor.click(".spec-notes p:nth-of-type(2)")
        await actor.dwell(800)
        await actor.circle(".spec-notes", radius=55, turns=3.0, period_ms=680)
        await actor.scroll_to("#floorplan")
        await actor.click("#floorplan .section-intro")
        await actor.circle("#floorplan .floorplan-box", radius=60, turns=2.5, period_ms=640)
        await actor.click("#floorplan .three-col p")
        await actor.dwell(1500)
        await actor.scroll_to("#features")  # still not it
        await actor.read("#features .two-col", 1500)
        await actor.circle("#features .two-col", radius=50, turns=2.5, period_ms=660)
        await actor.click("#features .two-col p")
        await actor.dwell(1000)
        await actor.circle("#features .two-col p", radius=45, turns=2.5, period_ms=630)
        await actor.click("#features .feature-list li")
        await actor.dwell(float(actor.rng.uniform(5000, 7000)))
