"""The naive bot: a first Playwright script. Teleports the cursor and bursts of ``page.click``."""

from __future__ import annotations

from synthetic.personas.base import DESKTOP_CHROME_UA, Actor, Persona

BUTTONS = ("#cta-buy", "#cta-schedule", "#btn-availability", "#tier-base button", "#tier-adventure button",
           "#tier-ultimate button")


class NaiveBot(Persona):
    name = "naive_bot"
    aliases = ("naive",)
    description = ("page.mouse.move with the default steps=1 (the cursor teleports) and back-to-back page.click "
                   "on every button, a click burst on one of them, then spams the quote form. Spoofs a desktop UA.")
    site = "rv"
    user_agent = DESKTOP_CHROME_UA
    expected_bot = True
    expected_signals = frozenset({"click"})

    async def run(self, actor: Actor) -> None:
        for selector in BUTTONS:
            x, y = await actor.center_of(selector)
            await actor.robot_move(x, y)  # steps=1: a teleport
            await actor.robot_click(selector)
        for _ in range(8):
            await actor.robot_click("#btn-availability")
        for selector, text in (("#lead-name", "Test User"), ("#lead-email", "test@example.com"),
                               ("#lead-message", "Best price?")):
            await actor.robot_click(selector)
            await actor.robot_type(text)
        await actor.robot_click("#lead-submit")
