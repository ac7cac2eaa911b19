"""Fixtures for the browser producer tests (sites/producer/eitp-producer.js).

Everything here is local to tests/producer:
  * a tiny threaded static server for /work/main/sites (no dependency on the project's server),
    which also records the HTTP fallback POSTs on /bridge/batch,
  * one Chromium (headless shell) per test session through the async Playwright API,
  * a mock EITP bridge built on ``page.route_web_socket``: it speaks the NATS text protocol of
    spec 4.1 and records every frame the producer sends (see producer_harness.MockBridge).

Tests call ``site = await open_site(...)`` which returns a producer_harness.Site (page + bridge).
"""

from __future__ import annotations

import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))

from producer_harness import (  # noqa: E402
    CHROMIUM_ARGS,
    CLOCK_T0,
    MockBridge,
    Site,
    StaticServer,
    config_js,
    wait_until,
)

from workbench.sim.browser import find_chromium  # noqa: E402


@pytest.fixture(scope="session")
def static_server():
    server = StaticServer()
    thread = threading.Thread(target=server.serve_forever, name="eitp-static", daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def eitp_browser():
    async with async_playwright() as pw:
        exe = find_chromium(pw)  # as runs find it: WORKBENCH_CHROMIUM, Playwright's, the system's
        kwargs: dict[str, Any] = {"headless": True, "args": CHROMIUM_ARGS}
        if exe:
            kwargs["executable_path"] = exe
        b = await pw.chromium.launch(**kwargs)
        try:
            yield b
        finally:
            await b.close()


@pytest_asyncio.fixture(loop_scope="session")
async def open_site(eitp_browser, static_server):
    """Factory: ``site = await open_site(config=..., clock=True, bridge=MockBridge(...))``."""
    contexts = []

    async def _open(
        path: str = "/rv/",
        *,
        config: dict[str, Any] | None = None,
        clock: bool = False,
        bridge: MockBridge | None = None,
        route_ws: bool = True,
        html: str | None = None,
        wait_connected: bool = True,
        init_script: str | None = None,
    ) -> Site:
        ctx = await eitp_browser.new_context(viewport={"width": 1280, "height": 800})
        contexts.append(ctx)
        page = await ctx.new_page()
        bridge = bridge or MockBridge()
        if route_ws:
            await page.route_web_socket(re.compile(r"^wss?://.*"), bridge.handler)
        if config is not None:
            body = config_js(config)
            await page.route("**/eitp/config.js", lambda route: route.fulfill(
                status=200, content_type="application/javascript", body=body))
        if html is not None:
            await page.route("**" + path.split("?", 1)[0], lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html))
        if init_script is not None:
            await page.add_init_script(init_script)
        if clock:
            await page.clock.install(time=CLOCK_T0)
            await page.clock.pause_at(CLOCK_T0 + 1)
        await page.goto(static_server.base_url + path)
        await page.wait_for_function("() => !!(window.EITP && window.EITP.sessionId)")
        site = Site(page=page, bridge=bridge, server=static_server, clock=clock)
        if route_ws and wait_connected and bridge.handshake and bridge.reply_ok:
            await wait_until(lambda: bridge.subs and bridge.pubs, message="handshake + first PUB")
        return site

    yield _open
    for ctx in contexts:
        try:
            await ctx.close()
        except Exception:
            pass


