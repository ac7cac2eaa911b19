"""Runs personas in headless Chromium against the embedded pipeline and reports a typed event stream.

Each session is one browser context (its own cookies, storage and session id) of one shared
Chromium, launched here or reached at ``browser_endpoint``. At most ``concurrency`` sessions
run at once. In virtual time each page gets a Playwright clock (:mod:`workbench.sim.clock`).
A page or browser that dies marks that session failed; the run goes on. A browser that stops
answering does too: setting a page up, handing its last telemetry over and each tear-down step
have wall-time limits (``SETUP_TIMEOUT_S`` ...), and once a tear-down step went unanswered, or the
browser is gone, the sessions still to come fail at once with that reason. When every session
is done the run is scored (:mod:`workbench.scoring`) and the scores join the stream; a run that is
stopped (cancelled) scores the sessions that finished too, and leaves the unfinished ones, scored
as errors, for its caller to end with its own reason (the CLI's "interrupted (SIGTERM)", the TUI's).

Virtual-time sessions share one engine, which expires a session by that session's own event
time (:mod:`workbench.engine.core`), and times out one whose close was lost only by how far its
tenant's event-time watermark advanced since its last batch (:mod:`workbench.engine.watermark`), so
page clocks that drift apart cannot expire one another.
Every virtual clock starts at the wall clock's now; personas that must run on the wall clock
(``real_time_only``) run after the virtual ones.

Each context sends ``X-Forwarded-For`` with an address of its persona's region (RFC 5737
ranges, :func:`workbench.enrichment.address_in`) on every request, the bridge's WebSocket
upgrade included: the browser stands behind a simulated proxy on loopback. The embedded
bridge therefore trusts loopback as a proxy (:func:`embedded_config`); ``workbench serve``
keeps the configured ``transport.trusted_proxies`` (none by default), so a client there can
never choose its own address (section 4.5). With ``RunSpec.response`` set, personas answer
Seer in the page's chat (:class:`~workbench.sim.actor.ChatWatch`).

With ``RunSpec.trace`` each context records a Playwright trace (screenshots, DOM snapshots,
network, console; open it with ``playwright show-trace``), as Playwright Test's ``retain-on-failure``
does: ``"on-failure"`` keeps the traces of sessions that failed or missed an expectation, ``"on"``
keeps them all, in ``RunSpec.trace_dir``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from playwright.async_api import Page, Playwright, async_playwright

from synthetic.personas import Persona
from synthetic.response import ResponseModel, expected_outcome
from workbench import scoring
from workbench.bridge.server import SITES
from workbench.bus import Bus, all_of, being_cancelled
from workbench.config import EITPConfig
from workbench.consumer import seer
from workbench.enrichment import REGIONS, address_in
from workbench.errors import BrowserError, WorkbenchError
from workbench.events import (
    BatchReceived,
    BotVerdictEmitted,
    EventStream,
    InterventionOutcome,
    InterventionSent,
    OutcomeExpected,
    PacketEmitted,
    RunConfigured,
    RunEnded,
    RunEvent,
    RunScored,
    RunStarted,
    SessionEnded,
    SessionStarted,
    SessionTraced,
)
from workbench.llm.tier import LLMSettings
from workbench.pipeline import Pipeline
from workbench.privacy import shown_url
from workbench.sim import TRACE_MODES, fidelity
from workbench.sim import browser as browsers
from workbench.sim.actor import ChatWatch, PersonaLeft, PlaywrightActor
from workbench.sim.cdp import CdpPointer, Pointer
from workbench.sim.clock import FramePacer, PageClock, RealClock, VirtualClock
from workbench.sim.pause import PauseGate, StepDriver

VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOT_SCALE = 0.5
# WebP at this quality is 0.41 of the PNG's bytes on the dealer pages (a 633 x 3257 shot: 122 KB against
# 297 KB; JPEG at the same quality is 212 KB) and draws the same under the report's trail, at 0.55 opacity.
SCREENSHOT_FORMAT = "webp"
SCREENSHOT_QUALITY = 75
SETTLE_TIMEOUT_S = 5.0  # wall time a virtual clock waits for a batch the page sent to reach the bridge
SCREENSHOT_MAX_CSS_PX = 8000
# Wall-time bounds on what a browser must answer, so a browser that stops answering (a hung remote
# endpoint, a frozen process) fails its sessions instead of holding the run forever. Playwright's
# own calls (evaluate, close, new_context) wait without a limit.
CONNECT_TIMEOUT_S = 10.0  # a loaded page's producer, until its WebSocket is open
SETUP_TIMEOUT_S = 60.0  # a new context and page, loaded until the producer is connected (normally < 1 s)
WRAPUP_TIMEOUT_S = 60.0  # the visit's last telemetry handed over, and the screenshot
CLOSE_TIMEOUT_S = 10.0  # each tear-down step: a DevTools session detached, a context closed
TRACE_SAVE_TIMEOUT_S = 60.0  # a Playwright trace written to its zip
CRASH_NEWS_S = 0.5  # wall time a failed session waits for word that its page or browser died, to name the cause
BROWSER_GONE = browsers.GONE  # the reason of every session whose browser died under it
INTERRUPTED = "interrupted"  # the score of a session a stopped run left unfinished
#: the simulated proxy in front of every browser context is on loopback
LOOPBACK_PROXIES = ("127.0.0.1/32", "::1/128")


def embedded_config(config: EITPConfig, *, virtual_time: bool = False) -> EITPConfig:
    """The run's own pipeline believes ``X-Forwarded-For`` from loopback (the simulated proxy).

    In virtual time it also counts the section 4.6 event limit only on the pages' clocks, not on
    the wall clock: a page clock that runs minutes in seconds sends a real producer's minutes
    of events in seconds (:mod:`workbench.bridge.limits`); and it closes no connection for being
    quiet on the wall clock, since a page sends its keepalives on its own clock, which stands
    still while a run is paused. Only the runner's embedded bridge does
    either: it listens on 127.0.0.1 for the run's own browsers. ``workbench serve`` uses the
    configuration as given.
    """
    proxies = list(dict.fromkeys([*config.transport.trusted_proxies, *LOOPBACK_PROXIES]))
    overrides: dict[str, object] = {"transport.trusted_proxies": proxies}
    if virtual_time:
        overrides["transport.max_events_per_wall_second"] = 0
        overrides["transport.idle_timeout_ms"] = 0  # a paused page clock sends no keepalive
    return config.with_overrides(overrides)


def new_run_id(kind: str) -> str:
    """``run_20261123_142000_9f3a0c1e``: the second it started and 32 random bits, so runs started together differ
    (the store refuses an id it has)."""
    return f"{kind}_{time.strftime('%Y%m%d_%H%M%S')}_{secrets.token_hex(4)}"


def new_session_id(rng: np.random.Generator) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    suffix = "".join(alphabet[i] for i in rng.integers(0, 36, 9))
    return f"sq_{int(time.time() * 1000)}_{suffix}"


@dataclass
class SessionOutcome:
    session_id: str
    persona: str
    status: str = "running"
    error: str | None = None
    emotions: Counter[str] = field(default_factory=Counter)
    bot: str = "uncertain"
    bot_signals: tuple[str, ...] = ()
    packets: int = 0
    event_types: Counter[str] = field(default_factory=Counter)
    mouse: list[tuple[float, float, float]] = field(default_factory=list)
    clicks: list[tuple[float, float, float]] = field(default_factory=list)
    seed_index: int = 0
    clock: str = "real"
    simulated_ms: float = 0.0
    wall_ms: float = 0.0
    moves: int = 0  # cursor moves the runner sent (the hot path: bench_runner's input floor)
    notches: int = 0  # wheel events the runner sent (bench_runner's scroll floor)
    fidelity: fidelity.Fidelity = fidelity.NO_SAMPLES
    interventions: int | None = None  # ones the page could receive; None: no consumer ran, so none could be observed
    undelivered: int = 0  # more, decided after the page was gone (Seer's "undelivered"): nobody saw them
    intervention_messages: list[str] = field(default_factory=list)  # of the ones the page could receive
    trace: str | None = None  # the Playwright trace kept for this session (RunSpec.trace)

    def observation(self) -> scoring.Observation:
        return scoring.Observation(session_id=self.session_id, persona=self.persona, status=self.status,
                                   error=self.error, emotions=tuple(self.emotions.elements()),
                                   dominant=scoring.dominant(self.emotions), bot=self.bot,
                                   bot_signals=self.bot_signals, signals=frozenset(self.event_types),
                                   interventions=self.interventions, undelivered=self.undelivered)


@dataclass
class RunResult:
    run_id: str
    base_url: str
    sessions: list[SessionOutcome]
    score: scoring.RunScore | None = None
    wall_s: float = 0.0
    pipeline: Pipeline | None = field(default=None, repr=False)  # stopped; its engine, Seer and intelligence

    @property
    def ok(self) -> bool:
        return all(s.status == "ended" for s in self.sessions)

    @property
    def simulated_s(self) -> float:
        return sum(s.simulated_ms for s in self.sessions) / 1000.0


class _Tally:
    """Sink that keeps per-session outcomes for scoring, fidelity and the summary."""

    def __init__(self) -> None:
        self.by_session: dict[str, SessionOutcome] = {}
        self.unanswered: dict[str, list[InterventionSent]] = {}
        self.pacers: dict[str, FramePacer] = {}  # virtual-time sessions: their batches' arrivals
        self.trace_dir: Path | None = None  # where each context's trace goes, when traces are on

    def chosen_for(self, session_id: str) -> Callable[[str], InterventionSent | None]:
        """For :class:`ChatWatch`: the session's intervention with this message, each answered once."""
        def lookup(message: str) -> InterventionSent | None:
            pending = self.unanswered.get(session_id, [])
            for i, sent in enumerate(pending):
                if sent.message.strip() == message:
                    return pending.pop(i)
            return None
        return lookup

    def __call__(self, event: RunEvent) -> None:
        match event:
            case BatchReceived(session_id=sid, batch=batch) if sid in self.by_session:
                if sid in self.pacers:
                    self.pacers[sid].arrived()
                outcome = self.by_session[sid]
                for e in batch.get("events", ()):
                    kind = str(e.get("type"))
                    outcome.event_types[kind] += 1
                    data = e.get("data") or {}
                    if kind == "mouse":
                        outcome.mouse.append((float(e["timestamp"]), float(data.get("x", 0)), float(data.get("y", 0))))
                    elif kind == "click":
                        outcome.clicks.append((float(e["timestamp"]), float(data.get("x", 0)), float(data.get("y", 0))))
            case PacketEmitted(packet=p) if p["sessionId"] in self.by_session:
                outcome = self.by_session[p["sessionId"]]
                outcome.emotions[p["emotion"]["primary"]] += 1
                outcome.packets += 1
            case InterventionSent(session_id=sid, message=message) if sid in self.by_session:
                self.unanswered.setdefault(sid, []).append(event)
                outcome = self.by_session[sid]
                outcome.interventions = (outcome.interventions or 0) + 1
                outcome.intervention_messages.append(message)
            case InterventionOutcome(session_id=sid, timestamp=at, outcome=seer.UNDELIVERED) if sid in self.by_session:
                # settled as it was made (the same handler, right after its InterventionSent): Seer decided it
                # after the page was gone, so nobody saw it, and it is no intervention the visit got
                pending = self.unanswered.get(sid, [])
                sent = next((i for i, e in enumerate(pending) if e.timestamp == at), None)
                if sent is not None:
                    outcome = self.by_session[sid]
                    outcome.interventions = max(0, (outcome.interventions or 0) - 1)
                    outcome.undelivered += 1
                    with contextlib.suppress(ValueError):
                        outcome.intervention_messages.remove(pending[sent].message)
                    del pending[sent]
            case BotVerdictEmitted(detection=d) if d["session_id"] in self.by_session:
                outcome = self.by_session[d["session_id"]]
                outcome.bot = d["classification"]
                outcome.bot_signals = tuple(d.get("signals", ()))
            case _:
                pass


#: the default wall-clock limit of a session, per minute of its persona's visit (:meth:`RunSpec.timeout_s`)
SESSION_TIMEOUT_S_PER_MIN = 300.0


@dataclass
class RunSpec:
    """One run. ``personas`` has one entry per session (repeat a class for several)."""

    personas: list[type[Persona]]
    seed: int = 7
    kind: str = "run"
    site: str | None = None  # every session on this site; None: each persona's own
    virtual_time: bool = False
    concurrency: int | None = None  # None: all sessions at once
    browser_endpoint: str | None = None
    screenshots: bool = False
    session_timeout_s: float | None = None  # wall seconds per session, time paused (F6) not counted; None: timeout_s
    settings: dict[str, Any] = field(default_factory=dict)  # recorded with the run (CLI arguments ...)
    pause: PauseGate | None = None  # the TUI's F6: personas stop between steps while it is closed
    response: ResponseModel | None = None  # how personas answer Seer in the chat; None: they leave it alone
    geography: str | None = None  # every session from this region; None: each persona's own
    trace: str = "off"  # off | on-failure | on: Playwright traces kept per session (module docstring)
    trace_dir: Path | None = None  # where traces go; None: ./traces/<run id>

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or self.seed < 0:  # NumPy's SeedSequence takes none other
            raise ValueError(f"seed must be a whole number from 0 up, not {self.seed!r}")
        if self.trace not in TRACE_MODES:
            raise ValueError(f"trace must be one of {', '.join(TRACE_MODES)}, not {self.trace!r}")
        for geo in {self.geography_of(p) for p in self.personas}:
            if geo not in REGIONS:
                raise ValueError(f"unknown geography {geo!r}; known: {', '.join(REGIONS)}")
        for site in {self.site_of(p) for p in self.personas}:  # else each visit waits for a page that is not there
            if site not in SITES:
                raise ValueError(f"unknown site {site!r}; known: {', '.join(SITES)}")

    def site_of(self, persona: type[Persona]) -> str:
        return self.site or persona.site

    def timeout_s(self, persona: type[Persona]) -> float:
        """Wall-clock seconds a session of ``persona`` may take: ``session_timeout_s``, or else
        :data:`SESSION_TIMEOUT_S_PER_MIN` for each minute of its visit (``session_ms``), at least one. A
        39-minute visit takes 39 minutes in real time, and minutes of wall time in virtual time when
        many share two cores, where 300 s is plenty for a visit of one."""
        if self.session_timeout_s is not None:
            return self.session_timeout_s
        return SESSION_TIMEOUT_S_PER_MIN * max(1.0, persona.session_ms / 60_000.0)

    def geography_of(self, persona: type[Persona]) -> str:
        return self.geography or persona.geography


@dataclass
class _Slot:
    index: int
    persona: type[Persona]
    seed: np.random.SeedSequence


@contextlib.asynccontextmanager
async def _playwright() -> AsyncIterator[Playwright]:
    """``async_playwright()``, whose start a cancel does not cut short: the Node driver it spawns would
    outlive a run stopped as it starts (F8 right after F5 in the TUI). A cancel then waits for the
    driver, stops it and goes on."""
    manager = async_playwright()
    starting = asyncio.ensure_future(manager.__aenter__())

    async def stop() -> None:
        with contextlib.suppress(Exception):
            await starting
            await manager.__aexit__(None, None, None)

    try:
        pw = await asyncio.shield(starting)
    except asyncio.CancelledError:
        await _to_the_end(stop())
        raise
    try:
        yield pw
    finally:
        await _to_the_end(stop())


async def _to_the_end(cleanup: Coroutine[Any, Any, None]) -> None:
    """Run ``cleanup`` to its end even when the caller is cancelled again meanwhile (a stop that came twice),
    which would otherwise cut it short and leave the driver running; the cancel is raised afterwards."""
    task = asyncio.ensure_future(cleanup)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError


async def run(spec: RunSpec, *, config: EITPConfig | None = None, stream: EventStream | None = None,
              bus: Bus | None = None) -> RunResult:
    """Start the pipeline, drive every persona, wait for the last packets, score, stop.

    ``bus``: the pipeline's message bus (default: a fresh in-process one), e.g. one a test taps."""
    config = config or EITPConfig()
    stream = stream or EventStream()
    tally = _Tally()
    stream.add(tally)
    # a virtual-time run's minutes pass in seconds: its LLM budgets count on the page clocks alone
    llm = LLMSettings.from_env(wall_budgets=not spec.virtual_time, timeout_ms=config.inference.enrichment_timeout_ms)
    # Seer draws from the run's seed, each session apart (workbench.consumer.seer): the same seed says the same
    pipeline = Pipeline(embedded_config(config, virtual_time=spec.virtual_time), stream=stream, bus=bus, llm=llm,
                        seed=spec.seed)
    base_url = await pipeline.start()
    run_id = new_run_id(spec.kind)
    sites = sorted({spec.site_of(p) for p in spec.personas}) or ["rv"]
    stream.emit(RunStarted(run_id, spec.kind, ",".join(sites), spec.seed, config.to_toml(), base_url))
    concurrency = max(1, spec.concurrency or len(spec.personas) or 1)
    stream.emit(RunConfigured(run_id, "virtual" if spec.virtual_time else "real", concurrency,
                              [p.name for p in spec.personas],
                              shown_url(spec.browser_endpoint) if spec.browser_endpoint else None,
                              dict(spec.settings)))
    if spec.trace != "off":
        tally.trace_dir = spec.trace_dir or Path("traces") / run_id
        tally.trace_dir.mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(spec.seed).spawn(len(spec.personas))
    slots = [_Slot(i, p, s) for i, (p, s) in enumerate(zip(spec.personas, seeds, strict=True))]
    status, score, started = "failed", None, time.perf_counter()
    try:
        try:
            async with _playwright() as pw:
                handle = await browsers.open_browser(pw, spec.browser_endpoint)
                try:
                    gate = asyncio.Semaphore(concurrency)
                    wall_clock = [s for s in slots if s.persona.real_time_only and spec.virtual_time]
                    for phase in ([s for s in slots if s not in wall_clock], wall_clock):
                        # each session's tear-down is bounded (CLOSE_TIMEOUT_S a step): the browser is closed after
                        await all_of(*(_session(handle, pipeline, stream, tally, slot, spec, gate) for slot in phase))
                finally:
                    await handle.close()
        except BrowserError:
            raise
        except Exception as exc:  # the browser connection itself died: every open session failed
            for outcome in tally.by_session.values():
                if outcome.status == "running":
                    outcome.status, outcome.error = "failed", _describe(exc)
                    stream.emit(SessionEnded(outcome.session_id, outcome.status, outcome.error, scoring.ERROR))
        await pipeline.bus.drain()
        status = "ended" if tally.by_session and all(s.status == "ended" for s in tally.by_session.values()) \
            else "failed"
        score = _score(spec, tally)
        if spec.trace == "on-failure":  # keep what explains a failure, like Playwright Test's retain-on-failure
            passed = {s.session_id for s in score.sessions if s.verdict == scoring.PASS}
            for outcome in tally.by_session.values():
                if outcome.trace and outcome.session_id in passed:
                    Path(outcome.trace).unlink(missing_ok=True)
                    outcome.trace = None
        stream.emit(RunScored(run_id, score.verdict, [s.as_dict() for s in score.sessions], score.summary()))
    except asyncio.CancelledError:  # stopped (ctrl-c, SIGTERM, the TUI's F8): the sessions that finished keep
        if score is None:  # their scores; the caller marks the unfinished ones (they score as errors)
            score = _score(spec, tally)
            stream.emit(RunScored(run_id, score.verdict, [s.as_dict() for s in score.sessions], score.summary()))
        raise
    finally:
        summary = _summary(tally, spec, score)
        summary["llm"] = pipeline.llm_counters()  # calls, tokens and fallbacks of this run (empty: tier off)
        stream.emit(RunEnded(run_id, status, summary))
        await pipeline.stop()
    return RunResult(run_id, base_url, list(tally.by_session.values()), score, time.perf_counter() - started,
                     pipeline)


def _virtual(spec: RunSpec, persona: type[Persona]) -> bool:
    return spec.virtual_time and not persona.real_time_only


async def _session(handle: browsers.BrowserHandle, pipeline: Pipeline, stream: EventStream, tally: _Tally,
                   slot: _Slot, spec: RunSpec, gate: asyncio.Semaphore) -> None:
    async with gate:
        await _visit(handle, pipeline, stream, tally, slot, spec)


async def _visit(handle: browsers.BrowserHandle, pipeline: Pipeline, stream: EventStream, tally: _Tally,
                 slot: _Slot, spec: RunSpec) -> None:
    persona_cls = slot.persona
    rng = np.random.default_rng(slot.seed)
    sid = new_session_id(rng)
    site = spec.site_of(persona_cls)
    kind = "virtual" if _virtual(spec, persona_cls) else "real"
    answer_seed, address_seed = slot.seed.spawn(2)  # apart from the motion's stream
    geography = spec.geography_of(persona_cls)
    ip = address_in(geography, int(np.random.default_rng(address_seed).integers(0, 1 << 16)))
    outcome = tally.by_session[sid] = SessionOutcome(sid, persona_cls.name, seed_index=slot.index, clock=kind,
                                                     interventions=0 if pipeline.seer is not None else None)
    stream.emit(SessionStarted(sid, pipeline.tenant_id, persona_cls.name, site, persona_cls.user_agent or ""))
    wall0 = time.perf_counter()
    actor: PlaywrightActor | None = None
    screenshot: bytes | None = None
    context, cdp_session = None, None
    navigated = False
    crashed = asyncio.Event()  # the page's renderer died (Playwright's "crash")
    try:
        if why := handle.unusable():  # a browser that died or stopped answering fails what is left at once
            raise BrowserError(why)
        async with _within(SETUP_TIMEOUT_S, "open the page"):
            options: dict[str, Any] = {"viewport": VIEWPORT}
            if persona_cls.user_agent:
                options["user_agent"] = persona_cls.user_agent
            options["extra_http_headers"] = {"X-Forwarded-For": ip}
            context = await handle.browser.new_context(**options)
            if tally.trace_dir is not None:
                await context.tracing.start(screenshots=True, snapshots=True)
            page = await context.new_page()
            page.on("crash", lambda _: crashed.set())
            chat: ChatWatch | None = None
            if spec.response is not None and not persona_cls.expected_bot:  # scripts do not read chats
                chat = ChatWatch(spec.response, np.random.default_rng(answer_seed), tally.chosen_for(sid))
                await chat.attach(page)
            pointer: Pointer | None = None
            if handle.cdp is not None:
                cdp_session = await handle.cdp.attach(page)
                pointer = CdpPointer(handle.cdp, cdp_session)
                if kind == "virtual":  # a move costs a round trip, not a frame (workbench.sim.clock)
                    await handle.cdp.unbuffer_input(cdp_session)
            cdp_pointer = pointer if isinstance(pointer, CdpPointer) else None
            clock: PageClock = RealClock()
            if kind == "virtual":
                pacer = tally.pacers[sid] = FramePacer(pipeline.config.transport.max_pubs_per_second)
                clock = VirtualClock(evaluate=cdp_pointer.evaluate if cdp_pointer else None,
                                     unbuffered=cdp_pointer is not None, pacer=pacer,
                                     settle=_PipelineSync(pipeline, sid, _evaluator(page, cdp_pointer)),
                                     report=_REPORT)
            await clock.prepare(page)
            navigated = True  # from here the page may connect to the bridge, which then reports its close
            await page.goto(f"{pipeline.base_url}/{site}/?eitp_session={sid}", wait_until="load")
            await _until(page, pointer, "window.EITP && window.EITP.stats().open === true", CONNECT_TIMEOUT_S)
            actor = PlaywrightActor(page, rng, persona_cls.profile, clock=clock, pointer=pointer, chat=chat)
            await actor.start()
        try:
            async with asyncio.timeout(spec.timeout_s(persona_cls)) as limit:  # not wait_for: it can swallow a stop
                after = actor.answer_chat if chat is not None else None
                await persona_cls().run(StepDriver(actor, spec.pause, limit, after))
        except PersonaLeft:
            pass  # it answered Seer by leaving: the visit is over
        outcome.simulated_ms = actor.elapsed_ms
        async with _within(WRAPUP_TIMEOUT_S, "hand over the visit's last telemetry"):
            if isinstance(clock, VirtualClock):
                await clock.verify()  # its last step may have loaded a new document, with no run after it
            sent = await _flush(page, pointer)
            if not await pipeline.wait_for_batches(sid, sent, timeout=10.0):
                raise WorkbenchError(f"bridge saw {pipeline.batches_seen(sid)} of {sent} batches the page sent")
            # The visit ends here: the producer closes its connection right after its last batch, so the
            # bridge stamps the close at that page time, not after the screenshot (virtual time stands still)
            await page.evaluate("window.EITP.stop()")
            if spec.screenshots:
                screenshot = await _screenshot(page)
        outcome.status = "ended"
        for answer in chat.answered if chat is not None else ():  # the page closes now
            sent_at = answer.sent.timestamp
            expected = expected_outcome(answer.reaction.outcome, sent_at, answer.acted_at, actor.clock.now())
            stream.emit(OutcomeExpected(sid, sent_at, expected))
    except Exception as exc:  # one bad session never stops the run
        if being_cancelled():  # the run is being stopped: whatever failed now may be a call the stop aborted
            raise asyncio.CancelledError from exc  # (in its own words); the caller ends the session as stopped
        # A renderer's or the browser's death shows first as whatever call it cut short (a navigation aborted,
        # an evaluation lost, a socket closed); Playwright's word of it follows within milliseconds. Name the cause.
        if navigated and not (crashed.is_set() or handle.gone.is_set()):
            await _first_of(crashed, handle.gone, timeout=CRASH_NEWS_S)
        outcome.status = "failed"
        outcome.error = "the page crashed" if crashed.is_set() else BROWSER_GONE if handle.gone.is_set() \
            else _describe(exc)
        if actor is not None:
            outcome.simulated_ms = actor.elapsed_ms
    finally:
        if cdp_session is not None and handle.cdp is not None:
            cdp, detached = handle.cdp, cdp_session
            await _bounded(handle, lambda: cdp.detach(detached), CLOSE_TIMEOUT_S, "detaching from a page")
        if context is not None:
            if tally.trace_dir is not None:
                path = tally.trace_dir / f"{sid}.zip"
                tracing = context.tracing
                if await _bounded(handle, lambda: tracing.stop(path=str(path)), TRACE_SAVE_TIMEOUT_S,
                                  "saving a trace"):
                    outcome.trace = str(path)  # a dead browser leaves no trace to save
            # a dead browser already took the context with it
            await _bounded(handle, context.close, CLOSE_TIMEOUT_S, "closing a page")
    if navigated and pipeline.server.close_to_come(sid):  # a page that never connected sends no close
        await pipeline.wait_closed(sid, timeout=5.0)
    await pipeline.bus.drain()
    outcome.wall_ms = (time.perf_counter() - wall0) * 1000.0
    if actor is not None:
        outcome.moves = actor.clock.moves
        outcome.notches = actor.notches
        outcome.fidelity = fidelity.measure(actor.plan, outcome.mouse, actor.viewport)
    stream.emit(SessionTraced(
        sid, persona_cls.name, spec.seed, slot.index, kind, {**persona_cls.ground_truth(), "geography": geography},
        round(outcome.simulated_ms, 1), round(outcome.wall_ms, 1), outcome.fidelity.as_dict(),
        _trail(outcome, actor), screenshot, SCREENSHOT_SCALE))
    # scored now as well as with the run (_score), so a live view shows each session's verdict as it ends
    verdict = scoring.score_session(scoring.GroundTruth.of(persona_cls), outcome.observation()).verdict
    stream.emit(SessionEnded(sid, outcome.status, outcome.error, verdict))


#: read after each clock run: how many batches the page has sent, and how many interventions it has received
_REPORT = "window.EITP ? ((s) => [s.batchesSent, s.interventions])(window.EITP.stats()) : null"
_RECEIVED = "window.EITP ? window.EITP.stats().interventions : null"


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    """Return once any of ``events`` is set, or after ``timeout`` s."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


@contextlib.asynccontextmanager
async def _within(seconds: float, what: str) -> AsyncIterator[None]:
    """A wall-time limit on a stretch of browser calls, named in the error when it strikes."""
    limit = asyncio.timeout(seconds)
    try:
        async with limit:
            yield
    except TimeoutError as exc:
        if limit.expired():
            raise BrowserError(f"the browser did not {what} within {seconds:g} s") from exc
        raise


async def _bounded(handle: browsers.BrowserHandle, step: Callable[[], Awaitable[object]], seconds: float,
                   what: str) -> bool:
    """One tear-down step: True when it finished. A browser that died makes it fail, which is fine here;
    one that does not answer within ``seconds`` is marked unusable, so the sessions after it fail at once
    instead of each waiting for it (and the steps after it are not asked of it)."""
    if handle.hung is not None:
        return False
    try:
        async with asyncio.timeout(seconds):
            await step()
        return True
    except TimeoutError:
        handle.stopped_answering(f"the browser stopped answering ({what} took over {seconds:g} s)")
        return False
    except Exception:
        return False


@dataclass
class _PipelineSync:
    """What a virtual clock waits for before each run (:mod:`workbench.sim.clock`): the bridge has every
    batch the page had sent by the end of the last run (:data:`_REPORT`, as the clock read it), the bus
    has handled everything about the session, answers included, and the page has received every
    intervention the bridge queued for it. A batch that never arrives (refused, lost) is waited for once;
    an intervention that never arrives (the connection dropped) for at most ``SETTLE_TIMEOUT_S`` each time.
    """

    pipeline: Pipeline
    session_id: str
    evaluate: Callable[[str], Awaitable[object]]
    waited_for: int = 0

    async def __call__(self, reported: object) -> None:
        sent, received = reported if isinstance(reported, list) and len(reported) == 2 else (None, None)
        if isinstance(sent, int) and sent > self.waited_for:
            self.waited_for = sent
            await self.pipeline.wait_for_batches(self.session_id, sent, timeout=SETTLE_TIMEOUT_S)
        await self.pipeline.bus.settle(self.session_id)
        if isinstance(received, int) and received < self.pipeline.interventions_delivered(self.session_id):
            await self._until_received()

    async def _until_received(self) -> None:
        """Seer's answer is on the wire: let the page take it in before its clock runs on (in real time it
        would have arrived within milliseconds of page time)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SETTLE_TIMEOUT_S):
                while True:
                    received = await self.evaluate(_RECEIVED)
                    if not isinstance(received, int) or received >= self.pipeline.interventions_delivered(
                            self.session_id):
                        return
                    await asyncio.sleep(0.005)


def _evaluator(page: Page, pointer: CdpPointer | None) -> Callable[[str], Awaitable[object]]:
    """Evaluate a page expression on the runner's DevTools socket when it has one, else through Playwright."""
    if pointer is not None:
        return pointer.evaluate
    return lambda expression: page.evaluate(expression)


async def _until(page: Page, pointer: Pointer | None, expression: str, timeout_s: float) -> None:
    """Wait until a page expression holds, polled on the runner's DevTools socket when it has one.

    Playwright's ``wait_for_function`` first injects its own script into the page's world, which
    costs each session ~0.08 s of CPU across driver and renderer (measured on a 2-core machine).
    """
    if not isinstance(pointer, CdpPointer):
        await page.wait_for_function(expression, timeout=timeout_s * 1000)
        return
    try:
        async with asyncio.timeout(timeout_s):
            while not await pointer.evaluate(f"!!({expression})"):
                await asyncio.sleep(0.01)
    except TimeoutError as exc:
        raise BrowserError(f"the page never reached {expression!r} within {timeout_s:g} s") from exc


async def _flush(page: Page, pointer: Pointer | None) -> int:
    """Ask the producer to send what it holds; return how many batches it has sent in total."""
    await page.evaluate("window.EITP.flush('end')")
    await _until(page, pointer, "window.EITP.stats().buffered === 0", 5.0)
    return int(await page.evaluate("window.EITP.stats().batchesSent"))


async def _screenshot(page: Page) -> bytes | None:
    """A downscaled full-page WebP, taken after the telemetry is complete.

    Lossy, since the report only draws it faded under the cursor trail: text-heavy pages are
    where lossless PNG is at its best, and still WebP needs less than half of its bytes, so a
    report of many sessions stays a file one can mail. The report tells the format by the
    image's first bytes, so databases holding PNGs still render.

    Capturing beyond the viewport resizes the page for a moment; a capturing listener keeps
    that resize from reaching the producer, so the screenshot adds nothing to the session.
    """
    await page.evaluate("() => window.addEventListener('resize', (e) => e.stopImmediatePropagation(), true)")
    try:
        cdp = await page.context.new_cdp_session(page)
        metrics = await cdp.send("Page.getLayoutMetrics")
        size = metrics["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], SCREENSHOT_MAX_CSS_PX),
                "scale": SCREENSHOT_SCALE}
        shot = await cdp.send("Page.captureScreenshot", {"format": SCREENSHOT_FORMAT, "quality": SCREENSHOT_QUALITY,
                                                         "captureBeyondViewport": True, "clip": clip})
        await cdp.detach()
        return base64.b64decode(shot["data"])
    except Exception:
        return None  # a report without a background beats a failed session


def _trail(outcome: SessionOutcome, actor: PlaywrightActor | None) -> dict[str, Any]:
    """The cursor as the producer sampled it, on page coordinates (client + scroll offset)."""
    scroll = actor.scroll_log if actor is not None else [(0.0, 0.0)]
    st = np.array([s[0] for s in scroll])
    sy = np.array([s[1] for s in scroll])

    def offset(t: float) -> float:
        return float(sy[max(int(np.searchsorted(st, t, side="right")) - 1, 0)])

    t0 = outcome.mouse[0][0] if outcome.mouse else 0.0
    return {
        "t0": t0,
        # [ms since the first sample, x, y on the page, the page's scroll offset then]
        "points": [[round(t - t0), round(x, 1), round(y + offset(t), 1), offset(t)] for t, x, y in outcome.mouse],
        "clicks": [[round(t - t0), round(x, 1), round(y + offset(t), 1)] for t, x, y in outcome.clicks],
        "viewport": list(actor.viewport) if actor is not None else [VIEWPORT["width"], VIEWPORT["height"]],
        "tab_switch": actor.tab_switch_mode if actor is not None else "",
    }


def _score(spec: RunSpec, tally: _Tally) -> scoring.RunScore:
    """Every session against its ground truth; one a stopped run left unfinished scores as an error."""
    by_name = {p.name: p for p in spec.personas}
    pairs = []
    for s in tally.by_session.values():
        observed = s.observation()
        if observed.status == "running":
            observed = replace(observed, status="failed", error=INTERRUPTED)
        pairs.append((scoring.GroundTruth.of(by_name[s.persona]), observed))
    return scoring.score_run(pairs)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "persona timed out"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, BrowserError | WorkbenchError):
        return text
    return f"{type(exc).__name__}: {text}"


def _summary(tally: _Tally, spec: RunSpec, score: scoring.RunScore | None) -> dict[str, Any]:
    """The run's stored summary; a session matched its ground truth when every expectation
    :mod:`workbench.scoring` checks held (emotions, forbidden ones, bot verdict, signals, interventions)."""
    verdicts = {s.session_id: s.verdict for s in score.sessions} if score else {}
    return {
        "verdict": score.verdict if score else "error",
        "sessions": [
            {"session_id": s.session_id, "persona": s.persona, "status": s.status, "error": s.error,
             "emotions": dict(s.emotions), "bot": s.bot, "packets": s.packets, "clock": s.clock,
             "simulated_ms": round(s.simulated_ms), "wall_ms": round(s.wall_ms), "fidelity": s.fidelity.as_dict(),
             "trace": s.trace,
             "matched_ground_truth": verdicts.get(s.session_id) == scoring.PASS}
            for s in tally.by_session.values()
        ],
    }
