"""Runs personas in headless Chromium against the embedded pipeline and reports a typed event stream.

Each persona instance is one browser context (its own cookies, storage and session id) of
one shared Chromium. A page or browser that dies marks that session failed; the run goes on.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from playwright.async_api import Browser, async_playwright

from synthetic.personas import Persona
from workbench.config import EITPConfig
from workbench.errors import BrowserError, WorkbenchError
from workbench.events import (
    BotVerdictEmitted,
    EventStream,
    PacketEmitted,
    RunEnded,
    RunEvent,
    RunStarted,
    SessionEnded,
    SessionStarted,
)
from workbench.pipeline import Pipeline
from workbench.sim import browser as browsers
from workbench.sim.actor import PlaywrightActor

VIEWPORT = {"width": 1280, "height": 800}


def new_run_id(kind: str) -> str:
    return f"{kind}_{time.strftime('%Y%m%d_%H%M%S')}_{secrets.token_hex(2)}"


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
    packets: int = 0

    def matched(self, persona: type[Persona]) -> bool:
        """Did the run show what the persona's ground truth says it should?"""
        if persona.expected_bot:
            return self.bot == "bot"
        return self.bot != "bot" and bool(persona.expected_emotions & set(self.emotions))


@dataclass
class RunResult:
    run_id: str
    base_url: str
    sessions: list[SessionOutcome]

    @property
    def ok(self) -> bool:
        return all(s.status == "ended" for s in self.sessions)


class _Tally:
    """Sink that keeps per-session outcomes for the summary."""

    def __init__(self) -> None:
        self.by_session: dict[str, SessionOutcome] = {}

    def __call__(self, event: RunEvent) -> None:
        match event:
            case PacketEmitted(packet=p) if p["sessionId"] in self.by_session:
                outcome = self.by_session[p["sessionId"]]
                outcome.emotions[p["emotion"]["primary"]] += 1
                outcome.packets += 1
            case BotVerdictEmitted(detection=d) if d["session_id"] in self.by_session:
                self.by_session[d["session_id"]].bot = d["classification"]
            case _:
                pass


@dataclass
class RunSpec:
    personas: list[type[Persona]]
    seed: int = 7
    kind: str = "run"
    site: str = "rv"
    session_timeout_s: float = 300.0


async def run(spec: RunSpec, *, config: EITPConfig | None = None, stream: EventStream | None = None) -> RunResult:
    """Start the pipeline, drive every persona, wait for the last packets, stop."""
    config = config or EITPConfig()
    stream = stream or EventStream()
    tally = _Tally()
    stream.add(tally)
    pipeline = Pipeline(config, stream=stream)
    base_url = await pipeline.start()
    run_id = new_run_id(spec.kind)
    stream.emit(RunStarted(run_id, spec.kind, spec.site, spec.seed, config.to_toml(), base_url))
    seeds = np.random.SeedSequence(spec.seed).spawn(len(spec.personas))
    status = "failed"
    try:
        async with async_playwright() as pw:
            browser = await browsers.launch(pw)
            try:
                await asyncio.gather(*(
                    _session(browser, pipeline, stream, tally, persona, np.random.default_rng(seed), spec)
                    for persona, seed in zip(spec.personas, seeds, strict=True)
                ))
            finally:
                await browser.close()
        await pipeline.bus.drain()
        status = "ended" if all(s.status == "ended" for s in tally.by_session.values()) else "failed"
    finally:
        summary = _summary(tally, spec)
        stream.emit(RunEnded(run_id, status, summary))
        await pipeline.stop()
    return RunResult(run_id, base_url, list(tally.by_session.values()))


async def _session(browser: Browser, pipeline: Pipeline, stream: EventStream, tally: _Tally,
                   persona_cls: type[Persona], rng: np.random.Generator, spec: RunSpec) -> None:
    sid = new_session_id(rng)
    outcome = tally.by_session[sid] = SessionOutcome(sid, persona_cls.name)
    stream.emit(SessionStarted(sid, pipeline.tenant_id, persona_cls.name, persona_cls.site, persona_cls.user_agent))
    context = await browser.new_context(viewport=VIEWPORT, user_agent=persona_cls.user_agent)  # type: ignore[arg-type]
    try:
        page = await context.new_page()
        await page.goto(f"{pipeline.base_url}/{persona_cls.site}/?eitp_session={sid}", wait_until="load")
        await page.wait_for_function("window.EITP && window.EITP.stats().open === true", timeout=10_000)
        actor = PlaywrightActor(page, rng, persona_cls.profile)
        await actor.start()
        await asyncio.wait_for(persona_cls().run(actor), timeout=spec.session_timeout_s)
        sent = await _flush(page)
        if not await pipeline.wait_for_batches(sid, sent, timeout=10.0):
            raise WorkbenchError(f"bridge saw {pipeline.batches_seen(sid)} of {sent} batches the page sent")
        outcome.status = "ended"
    except (WorkbenchError, TimeoutError, Exception) as exc:  # one bad session never stops the run
        outcome.status, outcome.error = "failed", _describe(exc)
    finally:
        try:
            await context.close()
        except Exception:
            pass  # a dead browser already took the context with it
    await pipeline.wait_closed(sid, timeout=5.0)
    await pipeline.bus.drain()
    stream.emit(SessionEnded(sid, outcome.status, outcome.error))


async def _flush(page: Any) -> int:
    """Ask the producer to send what it holds; return how many batches it has sent in total."""
    await page.evaluate("window.EITP.flush('end')")
    await page.wait_for_function("window.EITP.stats().buffered === 0", timeout=5_000)
    return int(await page.evaluate("window.EITP.stats().batchesSent"))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "persona timed out"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, BrowserError | WorkbenchError):
        return text
    return f"{type(exc).__name__}: {text}"


def _summary(tally: _Tally, spec: RunSpec) -> dict[str, Any]:
    by_name = {p.name: p for p in spec.personas}
    return {
        "sessions": [
            {"session_id": s.session_id, "persona": s.persona, "status": s.status, "error": s.error,
             "emotions": dict(s.emotions), "bot": s.bot, "packets": s.packets,
             "matched_ground_truth": s.matched(by_name[s.persona]) if s.status == "ended" else False}
            for s in tally.by_session.values()
        ]
    }
