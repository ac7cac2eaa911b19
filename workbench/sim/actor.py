"""The Playwright side of a persona: motion-model trajectories and scripted input as real events.

Every cursor point, click and wheel notch is a trusted ``Input.dispatchMouseEvent``, as a
person's would be (through :mod:`workbench.sim.cdp`'s pointer: Playwright's mouse, or the
browser's DevTools socket directly); keys go through ``page.keyboard``. How time passes is the
:mod:`clock <workbench.sim.clock>`'s business, so one persona script runs in real or virtual
time unchanged. The actor also keeps what the reports need: the intended cursor path (for
the fidelity figure) and the page's scroll offset over time (to draw the trail on a
full-page screenshot).

Answering Seer (EITP v1.1 sections 5.10, 7.5, 9): with a :class:`ChatWatch`, the page keeps
each message of Seer's that its chat widget shows, and after the persona's current step the
actor acts out what :func:`synthetic.response.react` drew for it: reads it, then types a reply
into the widget, fills in and submits the lead form, leaves the site (:class:`PersonaLeft`), or
goes on as if nothing happened. Persona scripts do not change. The outcome is then *observed*,
not reported: the widget's ``chat_message``, the form tracker's ``form_submit``, the connection
closing, or the telemetry moving past the attribution window are what Seer sees, as it would
for a person. That way a browser run also tests that the page, producer, bridge and Seer
attribute outcomes correctly; a persona that reported its own outcome would only test the bandit.
Each :class:`Answer` keeps when it was acted out, from which the runner derives the outcome Seer
should have observed (:func:`synthetic.response.expected_outcome`) and stores it beside Seer's.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from playwright.async_api import Page

from synthetic import motion
from synthetic.motion import AGITATED, MotorProfile, Trajectory
from synthetic.response import Reaction, ResponseModel, react
from workbench.bus import all_of
from workbench.errors import BrowserError
from workbench.events import InterventionSent
from workbench.sim.cdp import CdpPointer, PlaywrightPointer, Pointer
from workbench.sim.clock import PageClock, RealClock, VirtualClock

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x, y, width, height in viewport CSS px

# One element's viewport box, or null when it is missing or not rendered.
_BOX = """(sel) => {
  const el = document.querySelector(sel);
  const r = el ? el.getBoundingClientRect() : null;
  return r && (r.width || r.height) ? [r.x, r.y, r.width, r.height] : null;
}"""
# After a wheel event: resolve on the real frame in which the page scrolled (at most ~20 frames).
# The page's own requestAnimationFrame may be the fake clock's; Playwright keeps the real one.
_SCROLLED = """(y0) => new Promise((resolve) => {
  const pw = globalThis.__pwClock;
  const raf = pw && pw.builtins && pw.builtins.requestAnimationFrame
    ? pw.builtins.requestAnimationFrame : window.requestAnimationFrame.bind(window);
  let frames = 0;
  const check = () => (Math.abs(scrollY - y0) >= 1 || ++frames > 20) ? resolve(scrollY) : raf(check);
  raf(check);
})"""
# Element top, scroll offset and the largest scroll offset, in one round trip.
_GEOMETRY = """(sel) => {
  const el = document.querySelector(sel);
  const r = el ? el.getBoundingClientRect() : null;
  const max = Math.max(0, document.documentElement.scrollHeight - innerHeight);
  return {top: r ? r.top : null, y: scrollY, max: max};
}"""
# What the browser does when the tab goes to the background, for browsers (headless shell)
# whose pages stay "visible" whatever is in front.
_SET_VISIBILITY = """(state) => {
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => state === 'hidden'});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
EXIT_FLICK = replace(AGITATED, overshoot_prob=0.0, hesitation_prob=0.0)
CHAT_SHOWN = "__workbenchChatShown"
# Installed before the site's scripts: keep each message of Seer's the chat widget adds, in the page,
# until the actor takes them (:meth:`ChatWatch.take`). A MutationObserver runs as a microtask, so a
# message is kept as soon as it is shown, even while a virtual clock is paused. (Not a binding to
# Python: its call reaches the runner by another channel than the clock's, so a loaded machine could
# answer a message one persona step later in page time than an idle one.)
_WATCH_CHAT = """(() => {
  window.SHOWN = [];
  const watch = () => {
    const log = document.getElementById('seer-chat-log');
    if (!log) return;
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) {
        if (n.nodeType === 1 && n.classList.contains('chat-msg') && !n.classList.contains('chat-msg-user'))
          window.SHOWN.push(n.textContent);
      }
    }).observe(log, {childList: true});
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch); else watch();
})();""".replace("SHOWN", CHAT_SHOWN)
# the messages shown since the last take, and none kept after it (a new document starts with none)
_TAKE_SHOWN = f"() => {{ const shown = window.{CHAT_SHOWN} || []; window.{CHAT_SHOWN} = []; return shown; }}"

#: message shown -> Seer's intervention with that message, or None when it is not Seer's
Lookup = Callable[[str], InterventionSent | None]


class PersonaLeft(Exception):  # noqa: N818  (an outcome, not an error)
    """The persona answered an intervention by leaving the site: its visit ends here, normally."""


@dataclass
class Answer:
    """An intervention the visitor answered: the reaction drawn, and when it was acted out."""

    sent: InterventionSent
    reaction: Reaction
    acted_at: float | None = None  # page clock: the reply sent or the lead submitted


@dataclass
class ChatWatch:
    """What Seer showed in the page's chat widget, and how this visitor answers it.

    The response model's hidden rates are keyed by (emotion, strategy), which the page never
    learns (section 9.2); ``lookup`` gives the simulation what Seer chose them as, the way
    :mod:`workbench.consumer.loop` uses the intervention's own. ``rng`` is the visitor's own,
    apart from the motion's, so a visitor who ignores a message moves exactly as without one.
    """

    model: ResponseModel
    rng: np.random.Generator
    lookup: Lookup
    shown: list[str] = field(default_factory=list)  # taken from the page, not yet answered
    answered: list[Answer] = field(default_factory=list)  # in order

    async def attach(self, page: Page) -> None:
        """Before ``goto``: the page keeps every message of Seer's its widget shows, for :meth:`take`."""
        await page.add_init_script(_WATCH_CHAT)

    def take(self, shown: object) -> None:
        """What the page's :data:`_TAKE_SHOWN` returned: messages to answer, in the order shown."""
        if isinstance(shown, list):
            self.shown += [str(message) for message in shown]

    def decide(self, message: str) -> Answer | None:
        sent = self.lookup(message.strip())
        if sent is None:
            return None
        answer = Answer(sent, react(self.model, sent.emotion, sent.strategy, self.rng))
        self.answered.append(answer)
        return answer


class PlaywrightActor:
    """Implements :class:`synthetic.personas.Actor` on one page."""

    def __init__(self, page: Page, rng: np.random.Generator, profile: MotorProfile, *,
                 clock: PageClock | None = None, pointer: Pointer | None = None, chat: ChatWatch | None = None) -> None:
        self.page = page
        self.chat = chat  # None: the visitor leaves the chat widget alone
        self.pointer: Pointer = pointer or PlaywrightPointer(page)
        self.rng = rng
        self.profile = profile
        self.clock: PageClock = clock or RealClock()
        size = page.viewport_size or {"width": 1280, "height": 800}
        self.viewport = (float(size["width"]), float(size["height"]))
        self.pos: Point = (self.viewport[0] * 0.55, self.viewport[1] * 0.45)
        self.placed = False  # has the cursor entered the page yet? (a bot's may never)
        self.started_at = 0.0
        self.plan: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.scroll_log: list[tuple[float, float]] = [(0.0, 0.0)]
        self.notches = 0  # wheel events sent (each costs the page a frame: bench_runner's scroll floor)
        self.tab_switch_mode = ""  # "browser" or "emulated", once a tab switch happened
        #: clicks whose mouse-down landed outside the element aimed at (its box before the move);
        #: the viewport can clamp the aim off an element that is partly out of view
        self.missed_clicks = 0

    # --- plumbing -------------------------------------------------------------------------
    async def start(self) -> None:
        await self.clock.ready(self.page)
        self.started_at = self.clock.now()
        self.scroll_log = [(self.started_at, float(await self._js("() => scrollY")))]

    @property
    def elapsed_ms(self) -> float:
        return self.clock.now() - self.started_at

    async def _send(self, x: float, y: float) -> None:
        await self.pointer.move(x, y)

    def _record(self, t: np.ndarray, x: np.ndarray, y: np.ndarray) -> None:
        self.plan.append((np.asarray(t, float), np.asarray(x, float), np.asarray(y, float)))

    async def _play(self, traj: Trajectory, *, leave: bool = False) -> None:
        """Play a human movement; unless it is meant to ``leave`` the page it stays inside the
        viewport (people reading a page do not wander out of the window by accident)."""
        if not leave:
            traj = self._inside(traj)
        if not self.placed:  # a person's cursor is somewhere on the page: it appears where it rests
            self.placed = True
            self._record(np.array([self.clock.now() + 0.5]), np.array([self.pos[0]]), np.array([self.pos[1]]))
            await self._send(*self.pos)
            if isinstance(self.clock, VirtualClock):
                self.clock.moved_to(self.pos)
        await self.clock.play(traj, self._send, self._record)
        self.pos = traj.end()

    def _log_scroll(self, y: float) -> None:
        if y != self.scroll_log[-1][1]:
            self.scroll_log.append((self.clock.now(), y))

    async def _js(self, function: str, arg: Any = None) -> Any:
        """Call a page function with a JSON argument by the cheapest route (a locator's
        bounding box costs ~15 ms of CPU across driver and browser; this ~1 ms)."""
        if isinstance(self.pointer, CdpPointer):
            return await self.pointer.evaluate(f"({function})({json.dumps(arg)})")
        return await self.page.evaluate(function, arg)

    async def _box(self, selector: str) -> Box:
        box = await self._js(_BOX, selector)
        if box is None:
            raise BrowserError(f"element {selector!r} is not on the page or not visible")
        x, y, w, h = box
        return float(x), float(y), float(w), float(h)

    def _clamp(self, p: Point, margin: float = 8.0) -> Point:
        return (min(max(p[0], margin), self.viewport[0] - margin), min(max(p[1], margin), self.viewport[1] - margin))

    def _inside(self, traj: Trajectory) -> Trajectory:
        w, h = self.viewport
        if traj.x.min() >= 2 and traj.y.min() >= 2 and traj.x.max() <= w - 2 and traj.y.max() <= h - 2:
            return traj
        return Trajectory(traj.t, np.clip(traj.x, 2.0, w - 2.0), np.clip(traj.y, 2.0, h - 2.0))

    async def _point_in(self, selector: str, jitter: float) -> tuple[Point, float, Box]:
        """An aim point within ``jitter`` (0-1) of the element's centre, the target width to aim
        with, and the element's box.

        The aimed movement lands within 0.45 of the width of its aim point, so the width shrinks
        as the jitter grows: jitter/2 + 0.45 * (1 - jitter) <= 1/2 of the element's size on each
        axis, and the cursor comes to rest on the element (unless the viewport clamps the aim).
        """
        box = x, y, w, h = await self._box(selector)
        jitter = min(max(jitter, 0.0), 1.0)
        cx = x + w / 2 + self.rng.uniform(-jitter, jitter) * w / 2
        cy = y + h / 2 + self.rng.uniform(-jitter, jitter) * h / 2
        return self._clamp((cx, cy)), max(4.0, min(w, h) * (1.0 - jitter)), box

    def _on(self, box: Box) -> bool:
        """Is the cursor on ``box``? Counts a miss in :attr:`missed_clicks` when not."""
        x, y, w, h = box
        hit = x <= self.pos[0] <= x + w and y <= self.pos[1] <= y + h
        if not hit:
            self.missed_clicks += 1
        return hit

    async def _press(self, hold_ms: float) -> None:
        await self.pointer.down()
        await self.clock.advance(hold_ms)
        await self.pointer.up()

    async def _wheel(self, dy: float, geometry: dict[str, float] | None = None) -> float:
        """One wheel event; waits (a frame or so) until the page scrolled, returns the new offset.

        Waiting matters in virtual time: the page scrolls on its next frame, and its scroll
        event must be stamped before the clock moves on.
        """
        geo = geometry or await self._js(_GEOMETRY, "body")
        self.notches += 1
        target = min(max(geo["y"] + dy, 0.0), geo["max"])
        y = float(geo["y"])
        if abs(target - y) >= 1:
            # sent together: the waiter watches for any change from y, whether it reaches the page
            # before or after the wheel event (a frame of wall time saved per notch); one failing, the
            # other is not left running
            scrolled, _ = await all_of(self._js(_SCROLLED, y), self.pointer.wheel(dy))
            y = float(scrolled)
        else:
            await self.pointer.wheel(dy)
        self._log_scroll(y)
        return y

    # --- human ----------------------------------------------------------------------------
    async def move_to(self, selector: str, *, dwell_ms: float = 0.0, jitter: float = 0.3) -> None:
        await self._move_onto(selector, jitter)
        if dwell_ms:
            await self.dwell(dwell_ms)

    async def _move_onto(self, selector: str, jitter: float) -> Box:
        """Aimed movement onto the element; returns its box as measured before the move."""
        target, width, box = await self._point_in(selector, jitter)
        await self._play(motion.aimed_movement(self.pos, target, width, self.rng, self.profile))
        return box

    async def move_to_point(self, x: float, y: float, *, width: float = 40.0, clamp: bool = True) -> None:
        target = self._clamp((x, y)) if clamp else (x, y)
        await self._play(motion.aimed_movement(self.pos, target, width, self.rng, self.profile), leave=not clamp)

    async def dwell(self, ms: float) -> None:
        await self._play(motion.dwell(self.pos, ms, self.rng, self.profile))

    async def idle(self, ms: float) -> None:
        await self._play(motion.idle_drift(self.pos, ms, self.rng, self.profile))

    async def read(self, selector: str, ms: float) -> None:
        x, y, w, h = await self._box(selector)
        x0, y0 = self._clamp((x, y))
        x1, y1 = self._clamp((x + w, y + min(h, self.viewport[1] * 0.6)))
        await self.move_to(selector, jitter=0.5)
        await self._play(motion.reading(self.pos, (x0, y0, x1, y1), ms, self.rng, self.profile))

    async def oscillate(self, a: str, b: str, n: int, *, dwell_ms: tuple[float, float] = (600, 1600)) -> None:
        pa, width_a, _ = await self._point_in(a, 0.3)
        pb, width_b, _ = await self._point_in(b, 0.3)
        await self._play(motion.aimed_movement(self.pos, pa, width_a, self.rng, self.profile))
        await self._play(motion.oscillate(pa, pb, min(width_a, width_b), n, self.rng, self.profile, dwell_ms=dwell_ms))

    async def circle(self, selector: str, *, radius: float, turns: float, period_ms: float | None = None) -> None:
        (cx, cy), _, _ = await self._point_in(selector, 0.2)
        cx, cy = self._clamp((cx, cy), margin=radius + 8)
        start = (cx + radius, cy)
        await self._play(motion.aimed_movement(self.pos, start, max(8.0, radius / 2), self.rng, self.profile))
        await self._play(motion.circle((cx, cy), radius, turns, self.rng, self.profile, start=self.pos,
                                       period_ms=period_ms))

    async def erratic(self, ms: float, *, radius: float = 120.0, selector: str | None = None) -> None:
        if selector is not None:
            await self.move_to(selector)
        center = self._clamp(self.pos, margin=radius + 8)
        if center != self.pos:
            await self.move_to_point(*center, width=20)
        await self._play(motion.erratic(self.pos, radius, ms, self.rng, AGITATED))

    async def scroll_to(self, selector: str, *, top_offset: float = 90.0) -> None:
        def delta(geo: dict[str, Any]) -> float:
            if geo["top"] is None:
                raise BrowserError(f"element {selector!r} is not on the page")
            return min(max(geo["top"] - top_offset, -geo["y"]), geo["max"] - geo["y"])

        if not await self._wheel_until(selector, delta):
            raise BrowserError(f"could not scroll {selector!r} into place")

    async def _wheel_until(self, selector: str, delta: Callable[[dict[str, Any]], float]) -> bool:
        """Wheel in hand-sized notches, a short dwell after each, until ``delta`` of the page's
        geometry (``selector``'s top, the scroll offset and its largest value) is under 40 px.
        False when 200 notches did not get there."""
        for _ in range(200):
            geo = await self._js(_GEOMETRY, selector)
            d = delta(geo)
            if abs(d) < 40:
                return True
            step = float(np.sign(d) * min(abs(d), self.rng.uniform(90, 130)))
            await self._wheel(step, geo)
            await self.dwell(float(self.rng.uniform(35, 110)))
        return False

    async def flick(self, dy: float, *, notches: int = 4) -> None:
        notches = max(1, notches)
        for share in self.rng.dirichlet(np.full(notches, 6.0)):
            await self._wheel(float(dy * share))
            await self.clock.advance(float(self.rng.uniform(14, 32)))

    async def scroll_state(self) -> tuple[float, float]:
        """(scroll offset, largest possible offset) in px."""
        geo = await self._js(_GEOMETRY, "body")
        return float(geo["y"]), float(geo["max"])

    async def click(self, selector: str | None = None, *, jitter: float = 0.4) -> None:
        if selector is not None:
            self._on(await self._move_onto(selector, jitter))
        await self._press(float(self.rng.uniform(60, 130)))

    async def click_burst(self, selector: str, n: int, *, gap_ms: tuple[float, float] = (80.0, 160.0)) -> None:
        self._on(await self._move_onto(selector, 0.3))
        for i in range(n):
            await self._press(float(self.rng.uniform(35, 75)))
            if i < n - 1:
                await self._play(motion.dwell(self.pos, float(self.rng.uniform(*gap_ms)), self.rng, AGITATED))

    async def type_text(self, selector: str, text: str, *, key_ms: tuple[float, float] = (70.0, 220.0)) -> None:
        await self.click(selector, jitter=0.5)
        await self.dwell(float(self.rng.uniform(250, 600)))
        lo, hi = key_ms
        for ch in text:
            await self.page.keyboard.type(ch)
            # inter-key intervals are right-skewed: lognormal around the middle of the range
            gap = math.exp(self.rng.normal(math.log((lo + hi) / 2), 0.35))
            await self.clock.advance(float(min(max(gap, lo * 0.6), hi * 2.5)))

    async def leave_tab(self, ms: float) -> None:
        other = await self.page.context.new_page()
        try:
            await other.bring_to_front()
            hidden = await self.page.evaluate("document.visibilityState") == "hidden"
            if not hidden:
                await self.page.evaluate(_SET_VISIBILITY, "hidden")
            self.tab_switch_mode = "browser" if hidden else "emulated"
            await self.wait(ms)
        finally:
            await other.close()
        await self.page.bring_to_front()
        if self.tab_switch_mode == "emulated":
            await self.page.evaluate(_SET_VISIBILITY, "visible")

    async def exit_top(self) -> None:
        x = float(np.clip(self.pos[0] + self.rng.normal(0, 40), 40, self.viewport[0] - 40))
        await self._play(motion.aimed_movement(self.pos, (x, -40.0), 60.0, self.rng, EXIT_FLICK), leave=True)

    async def wait(self, ms: float) -> None:
        await self.clock.advance(ms)

    # --- answering Seer ---------------------------------------------------------------------
    async def answer_chat(self) -> None:
        """Act out an answer to each message the chat showed since the last call. The runner calls
        it after every persona step (:class:`workbench.sim.pause.StepDriver`), never mid-step: what the
        page had shown by the end of that step, by its clock, once the pipeline has answered what the page
        sent by then (in virtual time; a Playwright binding's call could reach Python after the step)."""
        if self.chat is not None:
            await self.clock.settled()  # Seer's answer to what the step sent is in the page before the take
            self.chat.take(await self._js(_TAKE_SHOWN))
        while self.chat is not None and self.chat.shown:
            answer = self.chat.decide(self.chat.shown.pop(0))
            if answer is not None:
                answer.acted_at = await self._act_out(answer.reaction)

    async def _act_out(self, reaction: Reaction) -> float | None:
        """Do in the page what the reaction says; the page and its telemetry show the outcome.
        Returns when the reply was sent or the lead submitted (page clock); None when it was not,
        including when a click that carries the answer (into a field, on the send or submit button)
        landed outside its element: the page then saw no reply or no lead."""
        if reaction.outcome == "no_response":
            return None
        acted_at = None
        missed = self.missed_clicks
        await self.dwell(reaction.read_ms)  # reading the message
        if reaction.outcome == "chat_engaged":
            await self.type_text("#seer-chat-input", reaction.reply)
            await self.dwell(float(self.rng.uniform(200, 600)))
            await self.click("#seer-chat-send", jitter=0.2)
            acted_at = self.clock.now()
        elif reaction.outcome == "lead_submitted":
            if await self._js(_BOX, "#seer-chat") is not None:  # the widget can cover the form's button
                await self.click("#seer-chat-close", jitter=0.2)
            y0, _ = await self.scroll_state()
            await self.scroll_to("#lead-form")
            missed = self.missed_clicks  # closing the widget carries no answer
            await self.type_text("#lead-name", reaction.name)
            await self.type_text("#lead-email", reaction.email)
            await self.click("#lead-submit", jitter=0.2)
            acted_at = self.clock.now()
            await self.dwell(float(self.rng.uniform(800, 1600)))
            await self._scroll_back(y0)  # where the persona's script left off
        elif reaction.outcome == "left":
            await self.exit_top()
            raise PersonaLeft(reaction.outcome)
        return acted_at if self.missed_clicks == missed else None

    async def _scroll_back(self, y: float) -> None:
        await self._wheel_until("body", lambda geo: min(max(y, 0.0), geo["max"]) - geo["y"])

    # --- robot ----------------------------------------------------------------------------
    async def center_of(self, selector: str) -> Point:
        loc = self.page.locator(selector).first
        await loc.scroll_into_view_if_needed(timeout=5_000)
        self._log_scroll(float(await self._js("() => scrollY")))
        x, y, w, h = await self._box(selector)
        return x + w / 2, y + h / 2

    def _record_steps(self, ts: list[float], points: list[Point]) -> None:
        """A scripted move holds each point until the next one: a step function, not a line."""
        rows: list[tuple[float, float, float]] = []
        prev = self.pos
        for t, p in zip(ts, points, strict=True):
            # a move sent at page time t is seen by samples after t (a sampler tick at t already ran)
            rows += [(t, *prev), (t + 0.5, *p)]
            prev = p
        t_, x_, y_ = np.array(rows).T
        self._record(t_, x_, y_)
        self.pos = points[-1]
        self.placed = True
        if isinstance(self.clock, VirtualClock):
            self.clock.moved_to(points[-1])

    async def _robot_moves(self, points: list[Point]) -> None:
        ts = []
        for x, y in points:
            started = time.perf_counter()
            ts.append(self.clock.now())
            await self.pointer.move(x, y)
            await self.clock.cost("move", started)
        self._record_steps(ts, points)

    async def robot_move(self, x: float, y: float, *, steps: int = 1) -> None:
        steps = max(1, int(steps))
        x0, y0 = self.pos
        # Playwright's own interpolation for steps=N: evenly spaced points on the straight line
        await self._robot_moves([(x0 + (x - x0) * i / steps, y0 + (y - y0) * i / steps) for i in range(1, steps + 1)])

    async def robot_path(self, points: list[Point]) -> None:
        if points:
            await self._robot_moves(points)

    async def robot_click(self, selector: str | None = None) -> None:
        started = time.perf_counter()
        if selector is None:
            await self.pointer.down()
            await self.clock.advance(2)
            await self.pointer.up()
            await self.clock.cost("click", started)
            return
        point = await self.center_of(selector)
        self._record_steps([self.clock.now()], [point])  # page.click teleports to the centre
        started = time.perf_counter()
        await self.page.click(selector, timeout=5_000)
        self.pointer.moved_to(*point)
        await self.clock.cost("page_click", started)

    async def robot_type(self, text: str, *, delay_ms: float = 0.0) -> None:
        for ch in text:
            started = time.perf_counter()
            await self.page.keyboard.type(ch)
            await self.clock.cost("key", started)
            if delay_ms:
                await self.clock.advance(delay_ms)

    async def robot_scroll(self, dy: float) -> None:
        started = time.perf_counter()
        await self._wheel(dy)
        await self.clock.cost("wheel", started)
