"""Where the actor's clicks land: on the element aimed at, and a miss is not an answer given.

No browser: a page that answers the actor's box query from a table, a pointer that records
each mouse event, and a clock that plays trajectories instantly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from synthetic.motion import AGITATED, CALM, MotorProfile, Trajectory
from synthetic.response import Reaction
from workbench.sim import actor as A

# (x, y, w, h) in viewport px: wide, flat fields and buttons like the rv page's (1280 x 800)
BOXES: dict[str, list[float]] = {
    "#lead-name": [688.0, 300.0, 488.0, 49.0],
    "#lead-submit": [688.0, 500.0, 488.0, 55.0],
    "#btn-availability": [80.0, 638.0, 163.0, 44.0],
    "#seer-chat-input": [900.0, 700.0, 260.0, 36.0],
    "#seer-chat-send": [1170.0, 700.0, 60.0, 36.0],
}


class Keyboard:
    async def type(self, ch: str) -> None:
        pass


class Page:
    viewport_size = {"width": 1280, "height": 800}
    keyboard = Keyboard()

    def __init__(self, boxes: dict[str, list[float]]) -> None:
        self.boxes = boxes

    async def evaluate(self, function: str, arg: Any = None) -> Any:
        assert function == A._BOX, function
        return self.boxes.get(arg)


class Pointer:
    def __init__(self) -> None:
        self.at = (0.0, 0.0)
        self.downs: list[tuple[float, float]] = []

    async def move(self, x: float, y: float) -> None:
        self.at = (x, y)

    async def down(self) -> None:
        self.downs.append(self.at)

    async def up(self) -> None:
        pass


class Clock:
    kind = "instant"
    moves = 0

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    async def advance(self, ms: float) -> None:
        self.t += max(ms, 0.0)

    async def play(self, traj: Trajectory, send: Any, plan: Any) -> None:
        for x, y in zip(traj.x, traj.y, strict=True):
            await send(float(x), float(y))
        self.t += traj.duration_ms()


def make(seed: int, boxes: dict[str, list[float]] = BOXES, profile: MotorProfile = CALM) -> tuple[Any, Pointer]:
    pointer = Pointer()
    actor = A.PlaywrightActor(Page(boxes), np.random.default_rng(seed), profile,  # type: ignore[arg-type]
                              clock=Clock(), pointer=pointer)  # type: ignore[arg-type]
    actor.placed, actor.pos = True, (640.0, 100.0)
    return actor, pointer


def on(selector: str, point: tuple[float, float]) -> bool:
    x, y, w, h = BOXES[selector]
    return x <= point[0] <= x + w and y <= point[1] <= y + h


@pytest.mark.parametrize("jitter", [0.2, 0.4, 0.5])
@pytest.mark.parametrize("selector", ["#lead-name", "#seer-chat-input", "#btn-availability"])
async def test_a_click_lands_on_the_element_along_its_short_side_too(selector: str, jitter: float) -> None:
    """The aim point may sit ``jitter`` of the half-size off centre and the landing scatters around
    it: with the element's full height as the target width, 1-3 % of clicks on a 36-49 px high
    field landed above or below it (a lead form left empty, a reply typed into nothing)."""
    downs = []
    for seed in range(150):
        actor, pointer = make(seed)
        await actor.click(selector, jitter=jitter)
        downs += pointer.downs
    assert len(downs) == 150 and [p for p in downs if not on(selector, p)] == []


async def test_a_rage_burst_stays_on_its_button() -> None:
    for seed in range(150):
        actor, pointer = make(seed, profile=AGITATED)
        await actor.click_burst("#btn-availability", 4)
        assert len(pointer.downs) == 4 and all(on("#btn-availability", p) for p in pointer.downs)


async def test_a_click_clamped_off_its_element_counts_as_a_miss() -> None:
    # only 4 px of the button show at the left edge: the aim is clamped 8 px into the viewport
    actor, pointer = make(0, {**BOXES, "#edge": [-100.0, 300.0, 104.0, 40.0]})
    await actor.click("#edge")
    assert pointer.downs[0][0] > 4 and actor.missed_clicks == 1
    actor, pointer = make(0)
    await actor.click("#lead-name")
    assert on("#lead-name", pointer.downs[0]) and actor.missed_clicks == 0


@pytest.mark.parametrize("missed", [False, True])
async def test_a_reply_counts_as_sent_only_when_the_send_click_hit(missed: bool) -> None:
    boxes = {**BOXES, "#seer-chat-send": [1277.0, 700.0, 60.0, 36.0] if missed else BOXES["#seer-chat-send"]}
    actor, _ = make(1, boxes)
    acted_at = await actor._act_out(Reaction("chat_engaged", read_ms=300.0, reply="Sure"))
    assert actor.missed_clicks == int(missed)
    assert (acted_at is None) is missed
