"""Producer cost in headless Chromium (issue 3, point 9).

(a) Main-thread time of the producer per second of an active session: the RV site served by the
    real bridge server, the mouse moving over the pricing section at 60 moves/s for 20 s of real
    time (the producer samples at 20 Hz). Measured twice:
      * the producer's own accounting (EITP_CONFIG.instrument = true: performance.now() around
        every listener, timer, observer and socket callback it owns), and
      * CDP Performance.getMetrics ScriptDuration, with the producer minus without it (the same
        page and motion with /eitp/producer.js served empty).
(b) Telemetry bytes per minute, on the fake clock (page.clock) against the test bridge, which
    records every WebSocket frame the page sends: an active minute (continuous motion, a scroll
    every 5 s, a click every 10 s) and ten idle minutes (page open, no input). Extrapolated to
    MB per 10 minutes next to the 60 MB / 10 min users of a session-recording tool complain about.

Run: .venv/bin/python bench/bench_producer.py  (about 1.5 minutes)
"""

from __future__ import annotations

import asyncio
import math
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "producer"))

from playwright.async_api import Browser, async_playwright  # noqa: E402
from producer_harness import (  # noqa: E402
    CHROMIUM_ARGS,
    CLOCK_T0,
    MockBridge,
    StaticServer,
)

from bench.common import report  # noqa: E402
from workbench.bridge.server import BridgeServer  # noqa: E402
from workbench.bus import InProcessBus  # noqa: E402
from workbench.config import EITPConfig  # noqa: E402
from workbench.sim.browser import find_chromium  # noqa: E402

MOVE_HZ = 60
CPU_SECONDS = 20
RECORDER_MB_PER_10_MIN = 60.0


def ws_frame_bytes(payload_len: int, client: bool = True) -> int:
    """Bytes of one WebSocket frame on the wire (RFC 6455 header + mask for client frames)."""
    header = 2 + (2 if payload_len > 125 else 0) + (6 if payload_len > 65535 else 0)
    return header + (4 if client else 0) + payload_len


# ---------------------------------------------------------------------------------------------
# (a) main-thread cost, real time, real bridge
# ---------------------------------------------------------------------------------------------

async def cpu_run(browser: Browser, base: str, with_producer: bool) -> dict[str, Any]:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await ctx.new_page()
    if with_producer:
        async def instrument(route):
            resp = await route.fetch()
            body = await resp.text()
            await route.fulfill(response=resp, body=body + "window.EITP_CONFIG.instrument = true;\n")
        await page.route("**/eitp/config.js", instrument)
    else:
        await page.route("**/eitp/producer.js", lambda route: route.fulfill(
            status=200, content_type="application/javascript", body="/* no producer */"))
    await page.goto(f"{base}/rv/")
    if with_producer:
        await page.wait_for_function("() => window.EITP && window.EITP.stats().connection === 'open'")
    await page.evaluate("() => document.getElementById('pricing').scrollIntoView()")
    await page.wait_for_timeout(300)
    cdp = await ctx.new_cdp_session(page)
    await cdp.send("Performance.enable")

    async def metrics() -> dict[str, float]:
        return {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}

    before = await metrics()
    cpu0 = (await page.evaluate("() => window.EITP ? window.EITP.stats().cpu : null")) if with_producer else None
    sent0 = (await page.evaluate("() => window.EITP.stats().eventsSent")) if with_producer else 0
    started = time.monotonic()
    moves = 0
    while time.monotonic() - started < CPU_SECONDS:
        t = moves / MOVE_HZ
        # sweeps across the three tier cards and their prices, up and down
        await page.mouse.move(640 + 470 * math.sin(2 * math.pi * t / 4.0), 400 + 230 * math.sin(2 * math.pi * t / 2.7))
        moves += 1
        ahead = moves / MOVE_HZ - (time.monotonic() - started)
        if ahead > 0:
            await asyncio.sleep(ahead)
    duration = time.monotonic() - started
    after = await metrics()
    out: dict[str, Any] = {
        "seconds": duration,
        "moves_per_s": moves / duration,
        "script_ms_per_s": (after["ScriptDuration"] - before["ScriptDuration"]) * 1000 / duration,
        "task_ms_per_s": (after["TaskDuration"] - before["TaskDuration"]) * 1000 / duration,
    }
    if with_producer:
        stats = await page.evaluate("() => window.EITP.stats()")
        cpu = stats["cpu"]
        out["producer_ms_per_s"] = (cpu["ms"] - cpu0["ms"]) / duration
        out["producer_calls_per_s"] = (cpu["calls"] - cpu0["calls"]) / duration
        out["by"] = {k: round((v["ms"] - cpu0["by"].get(k, {"ms": 0})["ms"]) / duration, 3)
                     for k, v in sorted(cpu["by"].items(), key=lambda kv: -kv[1]["ms"])}
        out["events_per_s"] = (stats["eventsSent"] - sent0) / duration
        samples = await page.evaluate("() => window.EITP.stats().events.mouse")
        out["mouse_samples"] = samples
    await ctx.close()
    return out


# ---------------------------------------------------------------------------------------------
# (b) bytes per minute, fake clock, recording bridge
# ---------------------------------------------------------------------------------------------

async def bytes_run(browser: Browser, server: StaticServer, active: bool, minutes: float) -> dict[str, Any]:
    import re

    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    page = await ctx.new_page()
    bridge = MockBridge()
    await page.route_web_socket(re.compile(r"^wss?://.*"), bridge.handler)
    await page.clock.install(time=CLOCK_T0)
    await page.clock.pause_at(CLOCK_T0 + 1)
    await page.goto(server.base_url + "/rv/")
    await page.wait_for_function("() => window.EITP && window.EITP.stats().connection === 'open'")

    def sent_bytes() -> tuple[int, int, int]:
        frames = [f.encode() if isinstance(f, str) else f for f in bridge.frames]
        wire = sum(ws_frame_bytes(len(f)) for f in frames)
        deflated = sum(len(zlib.compress(f, 6)) for f in frames)
        return wire, deflated, len(frames)

    await page.clock.run_for(3100)      # the load: connection event, first batch with page content
    load_wire, load_deflated, _ = sent_bytes()
    ms = int(minutes * 60_000)
    if active:
        tick = 50
        for i in range(ms // tick):
            t = i * tick / 1000
            x, y = 640 + 450 * math.sin(2 * math.pi * t / 7.0), 400 + 260 * math.sin(2 * math.pi * t / 5.3)
            await page.mouse.move(x, y)
            if i % 100 == 50:                            # a scroll every 5 s, alternating down and up
                await page.mouse.wheel(0, 700 if (i // 100) % 4 < 2 else -700)
            if i % 200 == 120:                           # a click every 10 s
                await page.mouse.click(x, y)
            await page.clock.run_for(tick)
    else:
        await page.clock.run_for(ms)
    await page.clock.run_for(3100)      # the last interval flush
    await asyncio.sleep(0.2)
    wire, deflated, frames = sent_bytes()
    stats = await page.evaluate("() => window.EITP.stats()")
    await ctx.close()
    return {
        "minutes": minutes,
        "bytes_per_min": (wire - load_wire) / minutes,
        "deflated_bytes_per_min": (deflated - load_deflated) / minutes,
        "load_bytes": load_wire,
        "frames": frames,
        "events_per_min": stats["eventsSent"] / minutes,
        "batches": stats["batchesSent"],
        "pings": stats["pingsSent"],
        "types": dict(sorted(stats["events"].items(), key=lambda kv: -kv[1])[:8]),
    }


async def main() -> None:
    static = StaticServer()
    threading.Thread(target=static.serve_forever, daemon=True).start()
    bus = InProcessBus()
    received: list[int] = []

    async def count(subject: str, payload: bytes) -> None:
        received.append(len(payload))

    await bus.subscribe("telemetry.raw", count)
    bridge_server = BridgeServer(bus, EITPConfig())
    base = await bridge_server.start()
    async with async_playwright() as pw:
        exe = find_chromium(pw)  # as runs find it: WORKBENCH_CHROMIUM, Playwright's, the system's
        kwargs: dict[str, Any] = {"headless": True, "args": CHROMIUM_ARGS}
        if exe:
            kwargs["executable_path"] = exe
        browser = await pw.chromium.launch(**kwargs)
        print(f"(a) {CPU_SECONDS} s of mouse motion at {MOVE_HZ} moves/s, with and without the producer ...",
              flush=True)
        with_p = await cpu_run(browser, base, with_producer=True)
        without_p = await cpu_run(browser, base, with_producer=False)
        print("(b) one active minute and ten idle minutes on the fake clock ...", flush=True)
        active = await bytes_run(browser, static, active=True, minutes=1)
        idle = await bytes_run(browser, static, active=False, minutes=10)
        await browser.close()
    await bridge_server.stop()
    await bus.close()
    static.shutdown()

    cdp_delta = with_p["script_ms_per_s"] - without_p["script_ms_per_s"]
    active_mb10 = active["bytes_per_min"] * 10 / 1e6
    idle_mb10 = idle["bytes_per_min"] * 10 / 1e6
    figures = {
        "moves_per_s (achieved)": round(with_p["moves_per_s"], 1),
        "producer main thread, own accounting (ms/s)": round(with_p["producer_ms_per_s"], 3),
        "producer main thread, share of one core (%)": round(with_p["producer_ms_per_s"] / 10, 3),
        "producer callbacks per s": round(with_p["producer_calls_per_s"], 1),
        "producer ms/s by callback": with_p["by"],
        "CDP ScriptDuration with producer (ms/s)": round(with_p["script_ms_per_s"], 3),
        "CDP ScriptDuration without producer (ms/s)": round(without_p["script_ms_per_s"], 3),
        "CDP ScriptDuration difference (ms/s)": round(cdp_delta, 3),
        "CDP TaskDuration with / without (ms/s)": f"{with_p['task_ms_per_s']:.2f} / {without_p['task_ms_per_s']:.2f}",
        "events sent per s (active, real time)": round(with_p["events_per_s"], 1),
        "bridge batches received (real server)": len(received),
        "active: bytes per minute (WebSocket, uncompressed)": round(active["bytes_per_min"]),
        "active: bytes per minute if deflated (per frame)": round(active["deflated_bytes_per_min"]),
        "active: events per minute": round(active["events_per_min"]),
        "active: top event types": active["types"],
        "idle: bytes per minute (after load)": round(idle["bytes_per_min"]),
        "page load: first batches (bytes)": active["load_bytes"],
        "active: MB per 10 min": round(active_mb10, 3),
        "idle: MB per 10 min": round(idle_mb10, 5),
        "recording tool: MB per 10 min (complaint)": RECORDER_MB_PER_10_MIN,
        "recording tool / EITP active (x)": round(RECORDER_MB_PER_10_MIN / active_mb10, 1),
        "recording tool / EITP idle (x)": round(RECORDER_MB_PER_10_MIN / idle_mb10) if idle_mb10 else "inf",
    }
    report("producer", figures)


if __name__ == "__main__":
    asyncio.run(main())
