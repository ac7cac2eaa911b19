"""Declarative personas, in the style of Locust users.

A persona is a class. Its attributes name the site, the motor profile and the ground truth:
the emotions the visit should produce (and, for some, emotions it must *not* produce), the
producer signals the script is built to cause, whether it is a bot, whether an intervention
is expected. Its visit is either a script in :meth:`Persona.run`, or Locust-style weighted
``@task`` methods picked at random with a ``wait_time`` between them until ``session_ms``
of (real or virtual) time has passed.

Personas only ever talk to an :class:`Actor`, the one object that touches the browser, so
the same script runs in real time (demos) and in virtual time (the Playwright clock).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np

from synthetic.motion import CALM, MotorProfile

DESKTOP_CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)

Point = tuple[float, float]


class Actor(Protocol):
    """What a persona can do on a page. Coordinates are the viewport's CSS pixels.

    Human actions go through the seeded motor model (:mod:`synthetic.motion`); ``robot_*``
    actions are what automation scripts do (teleports, evenly spaced steps, zero-hold
    clicks) at the machine's own speed. ``wait`` lets time pass with no input at all.
    """

    rng: np.random.Generator
    viewport: tuple[float, float]

    @property
    def elapsed_ms(self) -> float:
        """Page-clock time since the visit started (virtual or real), less any time the run was
        paused (:class:`workbench.sim.pause.StepDriver`)."""

    # --- human --------------------------------------------------------------------------
    async def move_to(self, selector: str, *, dwell_ms: float = 0.0, jitter: float = 0.3) -> None:
        """Aimed movement onto the element (a random point within ``jitter`` of its centre)."""

    async def move_to_point(self, x: float, y: float, *, width: float = 40.0, clamp: bool = True) -> None:
        """Aimed movement to a viewport point (``clamp=False`` lets it leave the viewport)."""

    async def dwell(self, ms: float) -> None:
        """Hand at rest on the mouse."""

    async def idle(self, ms: float) -> None:
        """Hand loosely on the mouse: slow creep and rare nudges."""

    async def read(self, selector: str, ms: float) -> None:
        """Park near a block of text and read it, with small lazy movements."""

    async def oscillate(self, a: str, b: str, n: int, *, dwell_ms: tuple[float, float] = (600, 1600)) -> None:
        """Go back and forth between two elements ``n`` times, dwelling on each."""

    async def circle(self, selector: str, *, radius: float, turns: float, period_ms: float | None = None) -> None:
        """Circle the cursor around a point of the element (a confused user)."""

    async def erratic(self, ms: float, *, radius: float = 120.0, selector: str | None = None) -> None:
        """Agitated high-jerk zigzag around the cursor (or the element) for ``ms``."""

    async def scroll_to(self, selector: str, *, top_offset: float = 90.0) -> None:
        """Wheel until the element's top is ``top_offset`` px below the viewport top."""

    async def flick(self, dy: float, *, notches: int = 4) -> None:
        """A quick burst of wheel notches totalling ``dy`` px (fast, shallow scrolling)."""

    async def scroll_state(self) -> tuple[float, float]:
        """(scroll offset, largest possible offset) in px."""

    async def click(self, selector: str | None = None, *, jitter: float = 0.4) -> None:
        """Move onto the element (if given) and click it with real input."""

    async def click_burst(self, selector: str, n: int, *, gap_ms: tuple[float, float] = (80.0, 160.0)) -> None:
        """Move onto the element and click it ``n`` times in quick succession (rage)."""

    async def type_text(self, selector: str, text: str, *, key_ms: tuple[float, float] = (70.0, 220.0)) -> None:
        """Click into a field and type ``text`` key by key with human inter-key times."""

    async def leave_tab(self, ms: float) -> None:
        """Switch to another tab for ``ms`` (the page becomes hidden), then come back."""

    async def exit_top(self) -> None:
        """Flick the cursor up and out of the page through the top edge (exit intent)."""

    async def wait(self, ms: float) -> None:
        """Time passes with no input at all."""

    # --- robot --------------------------------------------------------------------------
    async def center_of(self, selector: str) -> Point:
        """The element's centre, scrolled into view first if needed (scripts know the DOM)."""

    async def robot_move(self, x: float, y: float, *, steps: int = 1) -> None:
        """``page.mouse.move(x, y, steps=steps)``: a teleport, or evenly spaced straight steps."""

    async def robot_path(self, points: list[Point]) -> None:
        """One ``page.mouse.move`` per point, back to back (generated paths, e.g. Bezier)."""

    async def robot_click(self, selector: str | None = None) -> None:
        """``page.click(selector)`` (teleport and click), or a zero-hold click where the cursor is."""

    async def robot_type(self, text: str, *, delay_ms: float = 0.0) -> None:
        """``page.keyboard.type(text, delay=...)`` into the focused field."""

    async def robot_scroll(self, dy: float) -> None:
        """One wheel event of ``dy`` px at machine speed."""


W = TypeVar("W", bound=Callable[..., Awaitable[None]])


def task(weight: int | Callable[..., Awaitable[None]] = 1) -> Any:
    """Mark a persona method as a weighted task (``@task`` or ``@task(3)``), as in Locust."""

    def mark(fn: W, w: int) -> W:
        fn.task_weight = w  # type: ignore[attr-defined]
        return fn

    if callable(weight):
        return mark(weight, 1)
    if int(weight) < 1:
        raise ValueError("a task weight is a positive integer")
    return lambda fn: mark(fn, int(weight))


WaitTime = Callable[[np.random.Generator], float]


def between(lo_ms: float, hi_ms: float) -> WaitTime:
    """A think time drawn uniformly from [``lo_ms``, ``hi_ms``] (Locust's ``between``)."""
    return lambda rng: float(rng.uniform(lo_ms, hi_ms))


def constant(ms: float) -> WaitTime:
    """Always the same think time (Locust's ``constant``)."""
    return lambda rng: float(ms)


class Persona:
    """Subclass, set the class attributes, then write :meth:`run` or ``@task`` methods."""

    name: ClassVar[str]
    description: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    site: ClassVar[str] = "rv"
    profile: ClassVar[MotorProfile] = CALM
    #: the User-Agent header the context sends; ``None`` keeps the browser's own
    #: (headless Chromium says ``HeadlessChrome``)
    user_agent: ClassVar[str | None] = DESKTOP_CHROME_UA
    #: where the visitor is: a region of the enrichment geo table (``workbench.enrichment.REGIONS``).
    #: The runner sends the page's requests through a simulated proxy that reports an address of
    #: that region's RFC 5737 range in ``X-Forwarded-For``; the engine groups by it (section 7.6)
    geography: ClassVar[str] = "us-west"
    # --- ground truth ---------------------------------------------------------------------
    #: at least one of these must appear among the session's packets
    expected_emotions: ClassVar[frozenset[str]] = frozenset()
    #: none of these may appear (e.g. a calm researcher shows no negative state)
    forbidden_emotions: ClassVar[frozenset[str]] = frozenset()
    #: producer event types the script is built to cause; checks the persona did its part
    expected_signals: ClassVar[frozenset[str]] = frozenset()
    expected_bot: ClassVar[bool] = False
    expects_intervention: ClassVar[bool] = False
    #: the behaviour only shows on the wall clock (e.g. a probe holding an idle connection:
    #: without events nothing carries virtual time to the bridge), so it always runs real-time
    real_time_only: ClassVar[bool] = False
    # --- Locust-style random visits ---------------------------------------------------------
    wait_time: ClassVar[WaitTime | None] = None
    session_ms: ClassVar[float] = 60_000.0

    async def on_start(self, actor: Actor) -> None:
        """Runs first in a task-driven visit."""

    async def run(self, actor: Actor) -> None:
        """The visit. The default picks ``@task`` methods by weight until ``session_ms``."""
        tasks = self.tasks()
        if not tasks:
            raise NotImplementedError(f"{type(self).__name__} defines neither run() nor @task methods")
        await self.on_start(actor)
        names = list(tasks)
        weights = np.array([tasks[n] for n in names], dtype=float)
        wait_time = type(self).wait_time  # read on the class: a plain function, not a bound method
        while actor.elapsed_ms < self.session_ms:
            pick = names[int(actor.rng.choice(len(names), p=weights / weights.sum()))]
            await getattr(self, pick)(actor)
            if wait_time is not None:
                await actor.dwell(wait_time(actor.rng))

    @classmethod
    def tasks(cls) -> dict[str, int]:
        """``{method name: weight}`` of the ``@task`` methods, in definition order."""
        found: dict[str, int] = {}
        for klass in reversed(cls.__mro__):
            for key, value in vars(klass).items():
                if inspect.iscoroutinefunction(value) and hasattr(value, "task_weight"):
                    found[key] = int(value.task_weight)
        return found

    @classmethod
    def ground_truth(cls) -> dict[str, object]:
        return {"emotions": sorted(cls.expected_emotions), "forbidden": sorted(cls.forbidden_emotions),
                "signals": sorted(cls.expected_signals), "bot": cls.expected_bot,
                "intervention": cls.expects_intervention}
