"""Declarative personas, in the style of Locust users.

A persona names its site, its motor profile and its ground truth (the emotions it should
produce, whether it is a bot, whether an intervention is expected), and scripts its visit
in :meth:`Persona.run` against an :class:`Actor`. The actor is the only thing that touches
the browser, so personas stay plain Python and the same script runs in real or virtual time.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

import numpy as np

from synthetic.motion import CALM, MotorProfile

DESKTOP_CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)


class Actor(Protocol):
    """What a persona can do on a page. Coordinates are the viewport's CSS pixels."""

    rng: np.random.Generator

    async def move_to(self, selector: str, *, dwell_ms: float = 0.0, jitter: float = 0.3) -> None:
        """Aimed movement onto the element (a random point within ``jitter`` of its centre)."""

    async def dwell(self, ms: float) -> None:
        """Hand at rest on the mouse."""

    async def read(self, selector: str, ms: float) -> None:
        """Park near a block of text and read it, with small lazy movements."""

    async def oscillate(self, a: str, b: str, n: int, *, dwell_ms: tuple[float, float] = (600, 1600)) -> None:
        """Go back and forth between two elements ``n`` times, dwelling on each."""

    async def scroll_to(self, selector: str, *, top_offset: float = 90.0) -> None:
        """Wheel until the element's top is ``top_offset`` px below the viewport top."""

    async def click(self, selector: str | None = None) -> None:
        """Move onto the element (if given) and click it with real input."""


class Persona:
    """Subclass, set the class attributes, and write :meth:`run`."""

    name: ClassVar[str]
    description: ClassVar[str]
    site: ClassVar[str] = "rv"
    profile: ClassVar[MotorProfile] = CALM
    user_agent: ClassVar[str] = DESKTOP_CHROME_UA
    expected_emotions: ClassVar[frozenset[str]] = frozenset()
    expected_bot: ClassVar[bool] = False
    expects_intervention: ClassVar[bool] = False

    async def run(self, actor: Actor) -> None:
        raise NotImplementedError

    @classmethod
    def ground_truth(cls) -> dict[str, object]:
        return {"emotions": sorted(cls.expected_emotions), "bot": cls.expected_bot,
                "intervention": cls.expects_intervention}
