"""The crawler: headless Chromium with its own user agent, scrolling through the page to read it."""

from __future__ import annotations

from synthetic.personas.base import Actor, Persona


class HeadlessCrawler(Persona):
    name = "headless_crawler"
    aliases = ("crawler", "headless")
    description = ("Keeps headless Chromium's own user agent (it says HeadlessChrome) and scrolls through the "
                   "page in big machine-paced steps, never touching the mouse.")
    site = "rv"
    user_agent = None  # the browser's own: "... HeadlessChrome/156 ..."
    expected_bot = True
    expected_signals = frozenset({"connection", "scroll"})

    async def run(self, actor: Actor) -> None:
        for _ in range(10):
            await actor.robot_scroll(700)
            await actor.wait(250)
        await actor.wait(1000)
