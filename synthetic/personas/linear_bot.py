"""The linear-steps bot: ``page.mouse.move(x, y, steps=25)``, straight and evenly spaced, fixed waits."""

from __future__ import annotations

from synthetic.personas.base import DESKTOP_CHROME_UA, Actor, Persona

TOUR = ("#price-main", "#cta-schedule", "#btn-availability", "#specs-table", "#tier-base button",
        "#tier-adventure button", "#tier-ultimate button", "#monthly-payment", "#calc-down", "#lead-name",
        "#lead-email", "#lead-submit")


class LinearStepsBot(Persona):
    name = "linear_bot"
    aliases = ("linear", "steps_bot")
    description = ("Scripted tour: page.mouse.move(steps=25) in straight lines of evenly spaced points, a "
                   "zero-hold click on each target, then a fixed 800 ms wait. Spoofs a desktop UA.")
    site = "rv"
    user_agent = DESKTOP_CHROME_UA
    expected_bot = True
    expected_signals = frozenset({"click", "mouse"})

    async def run(self, actor: Actor) -> None:
        for selector in TOUR:
            x, y = await actor.center_of(selector)
            await actor.robot_move(x, y, steps=25)
            await actor.robot_click()
            if selector in ("#lead-name", "#lead-email"):
                await actor.robot_type("qa-bot" if selector == "#lead-name" else "qa@example.com", delay_ms=40)
            await actor.wait(800)
