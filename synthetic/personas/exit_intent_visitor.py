"""The exit-intent visitor: reads for a while, heads for the browser's tab bar, comes back once, leaves."""

from __future__ import annotations

from synthetic.motion import CALM
from synthetic.personas.base import Actor, Persona


class ExitIntentVisitor(Persona):
    name = "exit_intent_visitor"
    aliases = ("exit", "exit_intent", "leaving")
    description = ("Reads the hero, the specifications and the features for about 25 s, then flicks the cursor up "
                   "through the top edge (not over the header: > 400 px/s within 100 px of the top) and out of the "
                   "page; comes back, looks once more, leaves again (about 40 s).")
    site = "rv"
    profile = CALM
    expected_emotions = frozenset({"disengagement"})
    expected_signals = frozenset({"viewport_approach", "mouse_exit"})
    # Seer can answer the first exit only once the section 8.2 bot wait (3 batches / ~30 s) releases the
    # session's packets: the visitor is back on the page by then, and leaves for good after it.
    expects_intervention = True

    async def run(self, actor: Actor) -> None:
        await actor.read("#hero h1", 2500)
        await actor.read("#hero .lede", 4000)
        await actor.move_to("#price-main", dwell_ms=1200)
        await actor.scroll_to("#specifications")
        await actor.read("#specs-table", 6000)
        await actor.scroll_to("#features")  # the header is off-screen now
        await actor.read("#features .two-col p", 4000)
        await actor.exit_top()
        await actor.wait(1500)  # outside the page
        w, h = actor.viewport
        await actor.move_to_point(w * float(actor.rng.uniform(0.35, 0.65)), h * 0.45)
        await actor.dwell(1500)
        await actor.read("#features .two-col", float(actor.rng.uniform(11000, 13000)))  # one more look
        await actor.exit_top()
        await actor.wait(2000)
