"""How time passes for a simulated visit: the wall clock, or the page's Playwright clock.

Both clocks play a :class:`~synthetic.motion.Trajectory` as real ``page.mouse`` input and
record the *intended* path on the page's own time axis (epoch ms, the ``Date.now()`` the
producer stamps its events with), so :mod:`workbench.sim.fidelity` can compare what the
producer sampled with what the persona meant.

* :class:`RealClock` (demos): moves are scheduled against the wall clock at ``move_hz``;
  points the page cannot keep up with are dropped, never the timing.
* :class:`VirtualClock`: ``page.clock.install`` + ``pause_at`` before the page loads, so
  the producer's timers only run when we say so. The producer's 20 Hz sampler ticks on a
  fixed grid; each move is sent just after one tick and the clock is then run to just past
  the next, so every sample reads exactly the intended position at its own timestamp.
  Ticks where the intended position moved less than ``epsilon_px`` send nothing (the hand
  at rest), which is what makes dwell-heavy visits fast.

  Running the clock costs a round trip, and Chromium normally holds a mouse move for the
  page's next animation frame (~16 ms of wall time and a frame's work per move). Where the
  runner owns a DevTools session it therefore turns that buffering off
  (:meth:`CdpClient.unbuffer_input <workbench.sim.cdp.CdpClient.unbuffer_input>`) and plays
  ``unbuffered``: each move, then a run of Playwright's in-page clock controller
  (``globalThis.__pwClock``) to just past its tick, both awaited, so a sample can never see
  a later move. Otherwise, while a trajectory plays, the clock is run *from
  inside the page*: the schedule of a trajectory (each point and how far to run the clock
  after it) is handed over in one call, and a capturing ``pointermove`` listener, registered
  after the producer's, runs the controller when the event for the next scheduled point
  arrives; the frame each buffered move waits for gives that run time to finish. Without
  the controller (another Playwright) every run goes through ``page.clock.run_for`` (which
  also adds a context init script on every call, so new documents can replay the clock);
  the fidelity figure shows if anything slips.
  A virtual clock can also race past the pipeline: in the wall time the engine and Seer take over
  a batch, the page's clock could run on for seconds, and Seer's answer would reach the page that
  much later in page time than it would in real time (where the page waits for no one, but the
  pipeline takes milliseconds). With ``settle`` each run first waits for the pipeline: the runner's
  waits until the bridge has every batch the page reported sending by the end of the last run
  (``report``, read in the same round trip as the run) and the bus has handled every message about
  the session (:meth:`Bus.settle <workbench.bus.Bus.settle>`), and the page has taken in every
  intervention the bridge queued for it (under CPU load a WebSocket frame can take longer to arrive
  than a clock run), so an answer reaches the page within one clock run of the batch that caused
  it. Trajectories played in the page (no DevTools socket) settle before and after, not at each of
  their runs.
  Two things keep that page time the same however loaded the machine. A run does not start when the
  page's report changed since the last run read it (input between runs made the page send a batch: a
  click's priority flush, a full buffer): its round trip returns at once, so settle sees the batch
  first. And a long run is played in the page in chunks that end just past the sampler's ticks; after
  a chunk in which the page sent a batch the run returns to Python, which settles and runs the rest.
  So Seer's answer reaches the page at the end of the chunk that sent its batch, never at whatever
  page time the run had reached when the frame happened to arrive. A run in which the page sends
  nothing is still one round trip.
  A virtual clock can race past the bridge's wall-time frame guard (at most
  ``transport.max_pubs_per_second`` PUBs per connection per wall second, section 4.6): a long
  quiet stretch runs in one call, and each of its flushes is a PUB. With a :class:`FramePacer`
  the clock waits, before it runs, while half that many of the session's batches arrived in the
  last wall second, so no batch is refused for coming too fast.
  Actions with no intrinsic duration (a scripted click, a key press) advance the clock by
  what they cost on the wall clock (``ROBOT_COSTS``, measured on headless Chromium 156),
  so a bot's timing in virtual time is the timing it would have in real time.
  A virtual clock follows one document. Playwright replays the clock on a new document (a
  navigation, a reload) only as far as its own API calls took it, not the controller's runs:
  the new page's clock starts over at the install time, behind the visit's page time.
  Each run therefore reads, in the same round trip, whether the page is still the document
  :meth:`VirtualClock.ready` marked, and a run on another one raises :class:`NewDocument`.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

import numpy as np
from playwright.async_api import Page

from synthetic.motion import Trajectory
from workbench.errors import WorkbenchError

Send = Callable[[float, float], Awaitable[None]]
PlanSink = Callable[[np.ndarray, np.ndarray, np.ndarray], None]

SAMPLE_MS = 50  # the producer's 20 Hz sampler (EITP v1.1 section 3.1)
#: wall-clock cost of un-timed input on headless Chromium 156 (2-core machine): an awaited
#: mouse move waits for one frame; a down+up pair, a key and a wheel event do not.
ROBOT_COSTS = {"move": 1000.0 / 60.0, "click": 4.0, "page_click": 40.0, "key": 15.0, "wheel": 8.0}


#: true while the page is the document :meth:`VirtualClock.ready` marked
_SAME_DOCUMENT = "window.__wbDocument === true"
#: how often a run is held back for what the page sent between runs before it runs regardless (each hold
#: is a batch or an answer that arrived meanwhile; input between two runs sends a few at most)
SETTLE_ROUNDS = 8
#: a run on the in-page controller, in chunks ending just past the sampler's ticks: ``[same document,
#: report, ms run]``. Nothing runs when the report is no longer ``last`` (the JSON the last run read);
#: the run stops after the first chunk that changed it (the page sent a batch, or took in an answer).
_CHUNKED = """async (ms, first, last) => {
  const c = globalThis.__pwClock.controller;
  const report = () => (%(report)s);
  let r = report();
  let seen = JSON.stringify(r);
  if (last !== null && seen !== last) return [%(same)s, r, 0];
  let ran = 0, step = Math.min(ms, first);
  while (true) {
    await c.runFor(step);
    ran += step;
    r = report();
    if (ran >= ms || JSON.stringify(r) !== seen) break;
    step = Math.min(%(sample)d, ms - ran);
  }
  return [%(same)s, r, ran];
}"""


class NewDocument(WorkbenchError):
    """The page loaded a new document under a virtual clock, which started over with it."""

    def __init__(self) -> None:
        super().__init__("the page loaded a new document (a navigation or a reload) under a virtual clock, "
                         "which started over with it: this visit can only run in real time")


class PageClock(Protocol):
    kind: str
    moves: int  # cursor moves sent so far

    async def prepare(self, page: Page) -> None:
        """Before ``goto``."""

    async def ready(self, page: Page) -> None:
        """After the producer is up."""

    def now(self) -> float:
        """The page's clock, epoch ms."""

    async def advance(self, ms: float) -> None:
        """Let ``ms`` of page time pass with no input."""

    async def play(self, traj: Trajectory, send: Send, plan: PlanSink) -> None:
        """Play a trajectory as input, recording the intended path with ``plan``."""

    async def cost(self, kind: str, wall_started: float) -> None:
        """Account for an un-timed action that started at ``time.perf_counter() == wall_started``."""

    async def settled(self) -> None:
        """Return once the pipeline has handled what the page has sent by now, as before a run."""


class RealClock:
    kind = "real"

    def __init__(self, *, move_hz: float = 60.0) -> None:
        self.move_hz = move_hz
        self.moves = 0  # cursor moves sent

    async def prepare(self, page: Page) -> None:
        pass

    async def ready(self, page: Page) -> None:
        pass

    def now(self) -> float:
        return time.time() * 1000.0

    async def advance(self, ms: float) -> None:
        if ms > 0:
            await asyncio.sleep(ms / 1000.0)

    async def cost(self, kind: str, wall_started: float) -> None:
        pass  # the wall clock already moved

    async def settled(self) -> None:
        pass  # the page waits for no one

    async def play(self, traj: Trajectory, send: Send, plan: PlanSink) -> None:
        ticks = traj.resample(self.move_hz)
        loop = asyncio.get_running_loop()
        t0, start, epoch = float(ticks.t[0]), loop.time(), self.now()
        plan(epoch + (traj.t - traj.t[0]), traj.x, traj.y)
        last = len(ticks) - 1
        for i, (t, x, y) in enumerate(zip(ticks.t, ticks.x, ticks.y, strict=True)):
            due = start + (t - t0) / 1000.0
            now = loop.time()
            if now < due:
                await asyncio.sleep(due - now)
            elif i != last and now - due > 1.5 / self.move_hz:
                continue  # behind schedule: drop this point, keep the timing honest
            await send(float(x), float(y))
            self.moves += 1


_HOOK = """() => {
  const c = globalThis.__pwClock && globalThis.__pwClock.controller;
  if (!c || typeof c.runFor !== 'function') return false;
  const wb = window.__wbClock = {q: [], chain: Promise.resolve(), late: 0, busy: 0};
  window.addEventListener('pointermove', (e) => {
    const q = wb.q;
    if (!q.length || Math.abs(q[0][0] - e.clientX) > 0.01 || Math.abs(q[0][1] - e.clientY) > 0.01) return;
    const ms = q.shift()[2];
    if (wb.busy) wb.late++;
    wb.busy++;
    wb.chain = wb.chain.then(() => c.runFor(ms)).finally(() => { wb.busy--; });
  }, true);
  return true;
}"""
_CONTROLLER = """() => {
  const c = globalThis.__pwClock && globalThis.__pwClock.controller;
  return !!c && typeof c.runFor === 'function';
}"""
_SYNC = """async () => {
  const wb = window.__wbClock;
  await wb.chain;
  const left = wb.q.reduce((a, s) => a + s[2], 0);
  wb.q = [];
  return {left: left, late: wb.late};
}"""


class FramePacer:
    """Keeps one virtual-time session under the bridge's frame guard (``bridge.limits.FrameGuard``).

    The runner reports each batch of the session as it arrives (:meth:`arrived`); :meth:`wait`
    returns once fewer than half of ``limit`` arrived in the last wall second, so the batches a
    clock run is about to send still fit under the guard.
    """

    def __init__(self, limit: int, window_s: float = 1.0) -> None:
        self.budget = max(1, limit // 2)
        self.window_s = window_s
        self._arrivals: deque[float] = deque()
        self.waits = 0  # runs held back

    def arrived(self) -> None:
        self._arrivals.append(time.monotonic())

    async def wait(self) -> None:
        while True:
            now = time.monotonic()
            while self._arrivals and self._arrivals[0] <= now - self.window_s:
                self._arrivals.popleft()
            if len(self._arrivals) < self.budget:
                return
            self.waits += 1
            await asyncio.sleep(self._arrivals[0] + self.window_s - now)


class VirtualClock:
    kind = "virtual"

    def __init__(self, *, epsilon_px: float = 0.75, origin_s: int | None = None, in_page: bool = True,
                 evaluate: Callable[[str], Awaitable[object]] | None = None, unbuffered: bool = False,
                 pacer: FramePacer | None = None, settle: Callable[[object], Awaitable[None]] | None = None,
                 report: str | None = None) -> None:
        self.epsilon_px = epsilon_px
        # settle(reported) waits until the pipeline has handled what the page sent (see the module doc);
        # ``report`` is a page expression read after each run, in the same round trip, ``reported`` its
        # last value (the runner's: how many batches the page has sent and interventions it received)
        self.settle = settle
        self.report = report
        self.reported: object = None
        self.origin_s = origin_s
        self.in_page = in_page
        self.unbuffered = unbuffered  # the page dispatches each move on arrival, not on its next frame
        self.pacer = pacer
        self.evaluate = evaluate  # a cheaper route to the page than Playwright's (workbench.sim.cdp)
        self.page: Page | None = None
        self.viewport = (1280.0, 800.0)
        self.t = 0  # page time, epoch ms (integer: the clock runs whole ms)
        self.grid0 = 0  # a sampler tick; ticks are grid0 + k * SAMPLE_MS
        self._debt = 0.0
        self._sent: tuple[float, float] | None = None
        self.hooked = False
        self.runs = 0  # clock runs requested from Python
        self.moves = 0  # cursor moves sent: at most one per sampler tick, none while the hand rests
        self.slipped = 0  # trajectories whose scheduled in-page runs did not all happen on their pointermove
        self.late = 0
        self.held = 0  # runs held back because the page had sent a batch (or taken in an answer) since the last
        self.split = 0  # runs that returned early, after a chunk in which the page sent a batch

    async def prepare(self, page: Page) -> None:
        self.page = page
        size = page.viewport_size or {"width": 1280, "height": 800}
        self.viewport = (float(size["width"]), float(size["height"]))
        origin = self.origin_s if self.origin_s is not None else int(time.time())
        await page.clock.install(time=origin)
        await page.clock.pause_at(origin + 1)
        self.t = self.grid0 = (origin + 1) * 1000

    async def ready(self, page: Page) -> None:
        self.t = int(await page.evaluate("(window.__wbDocument = true, Date.now())"))
        # `hooked`: runs go to the in-page controller; with buffered input, moves also run it
        self.hooked = self.in_page and bool(await page.evaluate(_CONTROLLER if self.unbuffered else _HOOK))
        # The clock has been paused since before the page loaded, so the producer registered its
        # 20 Hz sampler at this very instant: its ticks are t + k * SAMPLE_MS.
        self.grid0 = self.t

    def now(self) -> float:
        return float(self.t)

    async def _run(self, ms: int) -> None:
        if ms <= 0:
            return
        holds = 0
        while ms > 0:
            if self.settle is not None:
                await self.settle(self.reported)
            if self.pacer is not None:
                await self.pacer.wait()
            ran = await self._run_once(ms, guarded=holds < SETTLE_ROUNDS)
            if ran == 0:  # the page sent something since the last run: settle first
                holds += 1
                self.held += 1
                continue
            self.t += ran
            ms -= ran
            if ms > 0:
                self.split += 1
        self.runs += 1

    async def _run_once(self, ms: int, *, guarded: bool) -> int:
        """Run the page's clock for at most ``ms``; return how far it ran (see :data:`_CHUNKED`): 0 when
        ``guarded`` and the page's report changed since the last run, less than ``ms`` when the page sent a
        batch on the way. The report is read in the run's own round trip."""
        assert self.page is not None
        after = f"[{_SAME_DOCUMENT}, {self.report or 'null'}, {ms}]"  # read in the run's own round trip
        if self.hooked and self.report and self.settle is not None:
            run = _CHUNKED % {"report": self.report, "same": _SAME_DOCUMENT, "sample": SAMPLE_MS}
            first = (self.grid0 - self.t) % SAMPLE_MS + 1  # to just past the sampler's next tick
            last = json.dumps(self.reported, separators=(",", ":")) if guarded and self.reported is not None \
                else None
            args = [ms, first, last]
            if self.evaluate is not None:
                read = await self.evaluate(f"({run})(...{json.dumps(args)})")
            else:
                read = await self.page.evaluate(f"(a) => ({run})(...a)", args)
        elif self.hooked and self.evaluate is not None:
            read = await self.evaluate(f"globalThis.__pwClock.controller.runFor({ms}).then(() => {after})")
        elif self.hooked:
            read = await self.page.evaluate(f"(ms) => globalThis.__pwClock.controller.runFor(ms).then(() => {after})",
                                            ms)
        else:
            await self.page.clock.run_for(ms)
            read = await self.page.evaluate(after)
        same, value, ran = read if isinstance(read, list) and len(read) == 3 else (False, None, 0)
        if not same:
            raise NewDocument()
        if self.report:
            self.reported = value
        return int(ran)

    async def settled(self) -> None:
        """Settle with what the page has sent by now, not only by the end of the last run: input since then
        (a click's priority flush at the end of a step) may have sent a batch Seer answers. The next run's
        hold then finds nothing new."""
        if self.settle is None or not self.report:
            return
        assert self.page is not None
        self.reported = await (self.evaluate(self.report) if self.evaluate else self.page.evaluate(self.report))
        await self.settle(self.reported)

    async def verify(self) -> None:
        """Raise :class:`NewDocument` unless the page is still the document of :meth:`ready` (a last
        step that loaded a new one has no run after it to tell)."""
        assert self.page is not None
        same = await (self.evaluate(_SAME_DOCUMENT) if self.evaluate else self.page.evaluate(_SAME_DOCUMENT))
        if same is not True:
            raise NewDocument()

    async def advance(self, ms: float) -> None:
        self._debt += max(0.0, ms)
        whole = int(self._debt)
        self._debt -= whole
        await self._run(whole)

    async def cost(self, kind: str, wall_started: float) -> None:
        await self.advance(ROBOT_COSTS[kind])

    def _next_tick(self, after: int) -> int:
        k = (after - self.grid0) // SAMPLE_MS + 1
        return self.grid0 + k * SAMPLE_MS

    def _visible(self, x: float, y: float) -> bool:
        return 0 <= x < self.viewport[0] and 0 <= y < self.viewport[1]

    async def play(self, traj: Trajectory, send: Send, plan: PlanSink) -> None:
        start = self.t
        rel = traj.t - traj.t[0]
        plan(start + rel, traj.x, traj.y)
        duration = float(rel[-1])
        last = self._sent or traj.start()
        steps: list[tuple[int, float, float]] = []  # (sampler tick, x, y): a move just before that tick
        tick = self._next_tick(start)
        while tick <= start + duration:
            x = round(float(np.interp(tick - start, rel, traj.x)), 2)
            y = round(float(np.interp(tick - start, rel, traj.y)), 2)
            if math.hypot(x - last[0], y - last[1]) >= self.epsilon_px:
                steps.append((tick, x, y))
                last = (x, y)
            tick += SAMPLE_MS
        if steps and self.hooked and not self.unbuffered and all(self._visible(x, y) for _, x, y in steps):
            await self._play_in_page(steps, send)
        else:  # a move, then a run past its tick; consecutive ticks make the first run empty
            for tick, x, y in steps:
                await self._run(tick - (SAMPLE_MS - 1) - self.t)  # just after the previous sample
                await send(x, y)
                await self._run(tick + 1 - self.t)  # the sampler at `tick` reads (x, y)
        if steps:
            self._sent = (steps[-1][1], steps[-1][2])
        self.moves += len(steps)
        await self._run(start + math.ceil(duration) - self.t)
        end = traj.end()
        if math.hypot(end[0] - last[0], end[1] - last[1]) >= 0.05:
            await send(*end)
            self._sent = end
            self.moves += 1

    async def _play_in_page(self, steps: list[tuple[int, float, float]], send: Send) -> None:
        assert self.page is not None
        await self._run(steps[0][0] - (SAMPLE_MS - 1) - self.t)
        at = self.t
        schedule = []
        for i, (tick, x, y) in enumerate(steps):
            until = max(tick + 1, steps[i + 1][0] - (SAMPLE_MS - 1)) if i + 1 < len(steps) else tick + 1
            schedule.append([x, y, until - at])
            at = until
        if self.evaluate is not None:
            await self.evaluate(f"window.__wbClock.q = {json.dumps(schedule)}")
        else:
            await self.page.evaluate("(q) => { window.__wbClock.q = q; }", schedule)
        for _, x, y in steps:
            await send(x, y)
        result = await (self.evaluate(f"({_SYNC})()") if self.evaluate else self.page.evaluate(_SYNC))
        assert isinstance(result, dict)
        left = int(result["left"])
        self.late = int(result["late"])  # runs that started before the previous one had finished
        self.slipped += bool(left)
        self.t = at - left
        await self._run(left)

    def moved_to(self, pos: tuple[float, float]) -> None:
        """The cursor was moved outside :meth:`play` (a scripted teleport)."""
        self._sent = pos
