"""Short personas for runner tests (not in the catalogue)."""

from __future__ import annotations

from synthetic.personas import Actor, Persona


class Glance(Persona):
    """A few seconds on the page: look at the price, click the availability button once."""

    name = "glance"
    description = "test persona: a short look at the hero"
    expected_signals = frozenset({"mouse", "click"})

    async def run(self, actor: Actor) -> None:
        await actor.move_to("#price-main", dwell_ms=800)
        await actor.move_to("#btn-availability")
        await actor.click()
        await actor.dwell(1200)


class Crasher(Persona):
    """Starts like a visitor, then its renderer dies (``chrome://crash``)."""

    name = "crasher"
    description = "test persona: crashes its own page"

    async def run(self, actor: Actor) -> None:
        await actor.move_to("#price-main", dwell_ms=300)
        await actor.page.goto("chrome://crash")  # type: ignore[attr-defined]
        await actor.dwell(500)


class ContextCloser(Persona):
    """Starts like a visitor, then its browser context goes away under it."""

    name = "context_closer"
    description = "test persona: its context is closed mid-run"

    async def run(self, actor: Actor) -> None:
        await actor.move_to("#price-main", dwell_ms=300)
        await actor.page.context.close()  # type: ignore[attr-defined]
        await actor.dwell(500)


class BrowserCloser(Persona):
    """Starts like a visitor, then the whole browser goes away under every session."""

    name = "browser_closer"
    description = "test persona: closes the browser mid-run"

    async def run(self, actor: Actor) -> None:
        await actor.move_to("#price-main", dwell_ms=300)
        await actor.page.context.browser.close()  # type: ignore[attr-defined]
        await actor.dwell(500)


class Chatterer(Persona):
    """Half a minute of page time in about a wall second: the cursor drifts, then rests for 2 s,
    over and over. Each rest runs in one clock call, so batches come fast in wall time."""

    name = "chatterer"
    description = "test persona: many batches in little wall time"

    async def run(self, actor: Actor) -> None:
        while actor.elapsed_ms < 30_000:
            await actor.idle(1000)
            await actor.wait(2000)


class Reloader(Persona):
    """Starts like a visitor, then its page loads a new document (a reload) and the visit goes on."""

    name = "reloader"
    description = "test persona: reloads its page mid-visit"

    async def run(self, actor: Actor) -> None:
        await actor.move_to("#price-main", dwell_ms=300)
        await actor.page.reload()  # type: ignore[attr-defined]
        await actor.move_to("#btn-availability")
        await actor.dwell(500)


class LastStepReloader(Persona):
    """Like :class:`Reloader`, but the reload is its last step: no clock run follows it."""

    name = "last_step_reloader"
    description = "test persona: reloads its page as the visit ends"

    async def run(self, actor: Actor) -> None:
        await actor.move_to("#price-main", dwell_ms=300)
        await actor.page.reload()  # type: ignore[attr-defined]
