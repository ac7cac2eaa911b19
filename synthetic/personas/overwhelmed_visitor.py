"""The overwhelmed visitor: too much to take in; flicks up and down the page, never settles."""

from __future__ import annotations

from synthetic.motion import AGITATED
from synthetic.personas.base import Actor, Persona, between, task


class OverwhelmedVisitor(Persona):
    """A randomized, Locust-style visit: weighted tasks with short think times in between."""

    name = "overwhelmed_visitor"
    aliases = ("overwhelmed",)
    description = ("Rapid shallow scrolling: quick wheel flicks down and up the page with short dwells, "
                   "an occasional glance at a heading; about 40 s.")
    site = "rv"
    profile = AGITATED
    expected_emotions = frozenset({"overwhelm"})
    expected_signals = frozenset({"scroll"})
    expects_intervention = True
    wait_time = between(250, 700)
    session_ms = 40_000.0

    async def on_start(self, actor: Actor) -> None:
        await actor.read("#hero h1", 900)

    async def _flick(self, actor: Actor, down: bool) -> None:
        y, top = await actor.scroll_state()
        if down and y > top - 300:
            down = False  # at the bottom: back up
        elif not down and y < 300:
            down = True
        dy = float(actor.rng.uniform(450, 850))
        await actor.flick(dy if down else -dy, notches=int(actor.rng.integers(3, 6)))

    @task(5)
    async def flick_down(self, actor: Actor) -> None:
        await self._flick(actor, True)

    @task(2)
    async def flick_up(self, actor: Actor) -> None:
        await self._flick(actor, False)

    @task(1)
    async def glance(self, actor: Actor) -> None:
        w, h = actor.viewport
        await actor.move_to_point(float(actor.rng.uniform(0.2, 0.8) * w), float(actor.rng.uniform(0.25, 0.75) * h))
