"""The Playwright side of a persona: trajectories from :mod:`synthetic.motion` played as real input.

Every point goes through ``page.mouse.move`` (trusted input, as a person's would be),
scheduled against the wall clock at ``move_hz``; when the page falls behind, intermediate
points are skipped rather than slowing the persona down, and the end point is always sent.
"""

from __future__ import annotations

import asyncio

import numpy as np
from playwright.async_api import Page

from synthetic import motion
from synthetic.motion import MotorProfile, Trajectory
from workbench.errors import BrowserError

Point = tuple[float, float]


class PlaywrightActor:
    def __init__(self, page: Page, rng: np.random.Generator, profile: MotorProfile, *, move_hz: float = 60.0) -> None:
        self.page = page
        self.rng = rng
        self.profile = profile
        self.move_hz = move_hz
        size = page.viewport_size or {"width": 1280, "height": 800}
        self.viewport = (float(size["width"]), float(size["height"]))
        self.pos: Point = (self.viewport[0] * 0.55, self.viewport[1] * 0.45)

    async def start(self) -> None:
        await self.page.mouse.move(*self.pos)

    async def _play(self, traj: Trajectory) -> None:
        ticks = traj.resample(self.move_hz)
        loop = asyncio.get_running_loop()
        t0, start = float(ticks.t[0]), loop.time()
        last = len(ticks) - 1
        for i, (t, x, y) in enumerate(zip(ticks.t, ticks.x, ticks.y, strict=True)):
            due = start + (t - t0) / 1000.0
            now = loop.time()
            if now < due:
                await asyncio.sleep(due - now)
            elif i != last and now - due > 1.5 / self.move_hz:
                continue  # behind schedule: drop this point, keep the timing honest
            await self.page.mouse.move(float(x), float(y))
        self.pos = traj.end()

    async def _box(self, selector: str) -> tuple[float, float, float, float]:
        box = await self.page.locator(selector).first.bounding_box()
        if box is None:
            raise BrowserError(f"element {selector!r} is not on the page or not visible")
        return box["x"], box["y"], box["width"], box["height"]

    def _clamp(self, p: Point) -> Point:
        return (min(max(p[0], 2.0), self.viewport[0] - 2), min(max(p[1], 2.0), self.viewport[1] - 2))

    async def _point_in(self, selector: str, jitter: float) -> tuple[Point, float]:
        x, y, w, h = await self._box(selector)
        cx = x + w / 2 + self.rng.uniform(-jitter, jitter) * w / 2
        cy = y + h / 2 + self.rng.uniform(-jitter, jitter) * h / 2
        return self._clamp((cx, cy)), max(4.0, min(w, h))

    async def move_to(self, selector: str, *, dwell_ms: float = 0.0, jitter: float = 0.3) -> None:
        target, width = await self._point_in(selector, jitter)
        await self._play(motion.aimed_movement(self.pos, target, width, self.rng, self.profile))
        if dwell_ms:
            await self.dwell(dwell_ms)

    async def dwell(self, ms: float) -> None:
        await self._play(motion.dwell(self.pos, ms, self.rng, self.profile))

    async def read(self, selector: str, ms: float) -> None:
        x, y, w, h = await self._box(selector)
        x0, y0 = self._clamp((x, y))
        x1, y1 = self._clamp((x + w, y + min(h, self.viewport[1] * 0.6)))
        await self.move_to(selector, jitter=0.5)
        await self._play(motion.reading(self.pos, (x0, y0, x1, y1), ms, self.rng, self.profile))

    async def oscillate(self, a: str, b: str, n: int, *, dwell_ms: tuple[float, float] = (600, 1600)) -> None:
        pa, width_a = await self._point_in(a, 0.3)
        pb, width_b = await self._point_in(b, 0.3)
        await self._play(motion.aimed_movement(self.pos, pa, width_a, self.rng, self.profile))
        await self._play(motion.oscillate(pa, pb, min(width_a, width_b), n, self.rng, self.profile, dwell_ms=dwell_ms))

    async def scroll_to(self, selector: str, *, top_offset: float = 90.0) -> None:
        for _ in range(200):
            _, y, _, _ = await self._box(selector)
            delta = y - top_offset
            if abs(delta) < 40:
                return
            step = float(np.sign(delta) * min(abs(delta), self.rng.uniform(90, 130)))
            await self.page.mouse.wheel(0, step)
            await self._play(motion.dwell(self.pos, float(self.rng.uniform(35, 110)), self.rng, self.profile))
        raise BrowserError(f"could not scroll {selector!r} into place")

    async def click(self, selector: str | None = None) -> None:
        if selector is not None:
            await self.move_to(selector, jitter=0.4)
        await self.page.mouse.click(*self.pos, delay=float(self.rng.uniform(60, 130)))
