"""The "humanised" bot, in the style of ghost-cursor: Bezier paths, Fitts step counts, scripted timing.

The path generator follows ghost-cursor's public design: a cubic Bezier whose two control
points sit on the same side of the straight line, at a spread that grows with the distance;
the number of points from Fitts' law; an overshoot past targets more than 500 px away, then a
short correction; a random landing point inside the target. The cursor looks human on a
plot. What stays robotic is the script around it: every point is one awaited
``page.mouse.move`` at the machine's pace, clicks have no hold, and the script waits the
same 1.5 s after every action.
"""

from __future__ import annotations

import math

import numpy as np

from synthetic.personas.base import DESKTOP_CHROME_UA, Actor, Persona, Point

TOUR = ("#cta-schedule", "#price-main", "#btn-availability", "#tier-base .price", "#tier-adventure button",
        "#monthly-payment", "#calc-apr", "#lead-name", "#lead-email", "#lead-phone", "#lead-submit")
OVERSHOOT_PX = 500.0
OVERSHOOT_RADIUS = 120.0
MIN_STEPS = 25
SPEED = 0.5  # ghost-cursor draws a random speed per move; a script that sets it gets the same every time


def bezier_path(start: Point, end: Point, width: float, rng: np.random.Generator, *, spread_scale: float = 1.0
                ) -> list[Point]:
    """Points of one ghost-cursor-style cubic Bezier from ``start`` to ``end`` (start excluded)."""
    (sx, sy), (ex, ey) = start, end
    dx, dy = ex - sx, ey - sy
    dist = math.hypot(dx, dy)
    if dist < 1:
        return [end]
    nx, ny = -dy / dist, dx / dist  # unit normal: both anchors on this side
    spread = min(max(dist * 0.3, 2.0), 200.0) * spread_scale
    anchors = []
    for frac in sorted(rng.uniform(0.15, 0.85, 2)):
        off = rng.uniform(0.2, 1.0) * spread
        anchors.append((sx + dx * frac + nx * off, sy + dy * frac + ny * off))
    fitts = 2.0 * math.log2(dist / max(width, 1.0) + 1.0)
    steps = math.ceil((math.log2(fitts + 1.0) + SPEED * MIN_STEPS) * 3)
    t = np.linspace(0.0, 1.0, max(steps, 2) + 1)[1:]
    (ax, ay), (bx, by) = anchors
    x = (1 - t) ** 3 * sx + 3 * (1 - t) ** 2 * t * ax + 3 * (1 - t) * t**2 * bx + t**3 * ex
    y = (1 - t) ** 3 * sy + 3 * (1 - t) ** 2 * t * ay + 3 * (1 - t) * t**2 * by + t**3 * ey
    return [(float(a), float(b)) for a, b in zip(x, y, strict=True)]


def ghost_move(start: Point, target: Point, width: float, rng: np.random.Generator) -> list[Point]:
    """The full move: overshoot and correction for long distances, landing inside the target."""
    land = (target[0] + rng.uniform(-0.3, 0.3) * width, target[1] + rng.uniform(-0.3, 0.3) * width)
    if math.hypot(land[0] - start[0], land[1] - start[1]) > OVERSHOOT_PX:
        ang = rng.uniform(0, 2 * math.pi)
        over = (land[0] + OVERSHOOT_RADIUS * math.cos(ang), land[1] + OVERSHOOT_RADIUS * math.sin(ang))
        first = bezier_path(start, over, width, rng)
        return first + bezier_path(over, land, width, rng, spread_scale=0.5)
    return bezier_path(start, land, width, rng)


class BezierBot(Persona):
    name = "bezier_bot"
    aliases = ("bezier", "ghost_cursor")
    description = ("ghost-cursor style: curved Bezier paths with Fitts step counts, overshoot and correction, "
                   "random landing points; but scripted: machine-paced points, zero-hold clicks and the same "
                   "1.5 s wait after every action. Spoofs a desktop UA.")
    site = "rv"
    user_agent = DESKTOP_CHROME_UA
    expected_bot = True
    expected_signals = frozenset({"click", "mouse"})

    async def run(self, actor: Actor) -> None:
        pos: Point = (actor.viewport[0] * 0.55, actor.viewport[1] * 0.45)
        for selector in TOUR:
            target = await actor.center_of(selector)
            path = [(min(max(x, 1.0), actor.viewport[0] - 1), min(max(y, 1.0), actor.viewport[1] - 1))
                    for x, y in ghost_move(pos, target, 24.0, actor.rng)]
            await actor.robot_path(path)
            pos = path[-1]
            await actor.robot_click()
            if selector.startswith("#lead-") and selector != "#lead-submit":
                await actor.robot_type({"#lead-name": "Sam Lee", "#lead-email": "sam@example.com",
                                        "#lead-phone": "5095550100"}[selector], delay_ms=60)
            await actor.wait(1500)
