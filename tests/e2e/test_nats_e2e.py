"""End to end over a real nats-server: headless Chromium -> producer -> bridge -> NATS -> engine -> NATS.

The pipeline runs on :class:`~workbench.natsbus.NatsBus` against an :class:`EmbeddedNatsServer`;
a second, plain nats-py client on the same server watches ``telemetry.raw`` and the packets,
so what it sees really went through nats-server.
"""

from __future__ import annotations

import asyncio
import math
import time

import nats
import orjson
import pytest
from nats.aio.msg import Msg
from playwright.async_api import async_playwright

from workbench.natsbus import EmbeddedNatsServer, NatsBus
from workbench.pipeline import Pipeline
from workbench.protocol.schema import errors
from workbench.sim.browser import launch

pytestmark = pytest.mark.browser
# A desktop Chrome user agent: headless Chromium's own says "HeadlessChrome", which the bot filter rejects.
USER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36")
MOVE_SECONDS = 6.0


async def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_browser_session_flows_through_nats_server():
    async with EmbeddedNatsServer() as server:
        pipeline = Pipeline(bus=await NatsBus.connect(server.url))
        base = await pipeline.start()
        watcher = await nats.connect(server.url, allow_reconnect=False, connect_timeout=2)
        batches: list[dict] = []
        packets: list[tuple[str, dict]] = []

        async def on_batch(msg: Msg) -> None:
            batches.append(orjson.loads(msg.data))

        async def on_packet(msg: Msg) -> None:
            packets.append((msg.subject, orjson.loads(msg.data)))

        await watcher.subscribe("telemetry.raw", cb=on_batch)
        await watcher.subscribe("seer.*.intervention.request.*", cb=on_packet)
        await watcher.flush()
        try:
            async with async_playwright() as playwright:
                browser = await launch(playwright)
                try:
                    context = await browser.new_context(viewport={"width": 1280, "height": 800},
                                                        user_agent=USER_AGENT)
                    page = await context.new_page()
                    await page.goto(f"{base}/rv/")
                    await page.wait_for_function("window.EITP && window.EITP.stats().open", timeout=10_000)
                    session = await page.evaluate("window.EITP.sessionId")
                    started = time.monotonic()
                    step = 0
                    while time.monotonic() - started < MOVE_SECONDS:  # a slow figure-of-eight over the page
                        angle = step / 25
                        await page.mouse.move(640 + 400 * math.sin(angle), 400 + 220 * math.sin(2 * angle))
                        step += 1
                    await _until(lambda: sum(b["sessionId"] == session for b in batches) >= 2, 10,
                                 "batches through nats-server")
                    await page.close()
                    await _until(lambda: any(p["sessionId"] == session for _, p in packets), 15,
                                 "a packet after the page closed")
                finally:
                    await browser.close()
        finally:
            await watcher.close()
            await pipeline.stop()

    mine = [b for b in batches if b["sessionId"] == session]
    assert all(b["ip"] == "127.0.0.1" and b["userAgent"] == USER_AGENT for b in mine)  # injected by the bridge
    assert sum(e["type"] == "mouse" for b in mine for e in b["events"]) >= 20
    subject, packet = next((s, p) for s, p in packets if p["sessionId"] == session)
    assert subject == f"seer.{packet['tenantId']}.intervention.request.{session}"
    assert errors(packet, "packet") == [] and "ip" not in packet and "127.0.0.1" not in repr(packet)
