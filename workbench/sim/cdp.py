"""Input on the hot path: a minimal Chrome DevTools Protocol client beside Playwright.

Playwright sets pages up (contexts, navigation, the clock, screenshots); the cursor is where
a run spends its time, one ``mouse.move`` per 20 Hz tick. Through Playwright each move costs
~3.6 ms of CPU across Python, the Node driver and Chromium; sent straight to the browser's
DevTools WebSocket it costs ~2.4 ms (measured on headless Chromium 156), the same trusted
``Input.dispatchMouseEvent`` either way. When the runner owns a DevTools endpoint it uses
:class:`CdpPointer`; against a Playwright server it falls back to :class:`PlaywrightPointer`.
Both keep their own cursor position, so all mouse input of a page goes through one of them.
"""

from __future__ import annotations

import asyncio
import itertools
import urllib.request
from typing import Any, Protocol, TypeVar

import orjson
import websockets
from playwright.async_api import Page

from workbench.errors import BrowserError

T = TypeVar("T")


async def reply_within(future: asyncio.Future[T], timeout_s: float) -> T:
    """Await ``future`` for at most ``timeout_s``; a cancel of the caller is never lost.

    Python 3.11's ``asyncio.wait_for`` returns the result when the reply and a cancel land in the
    same loop step, swallowing the cancel: a stopped run then played its persona to the end.
    """
    async with asyncio.timeout(timeout_s):
        return await future


class CdpClient:
    """One browser-level DevTools WebSocket; page sessions are multiplexed on it (flatten mode)."""

    #: a reply slower than this means the page is gone (a hung renderer sends no crash event)
    TIMEOUT_S = 60.0

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[asyncio.Future[dict[str, Any]], str | None]] = {}
        self._dead: dict[str, str] = {}  # session -> why
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, endpoint: str) -> CdpClient:
        url = await asyncio.to_thread(browser_ws_url, endpoint)
        # loopback or a LAN: compressing every small message costs both ends more CPU than it saves
        return cls(await websockets.connect(url, max_size=None, ping_interval=None, compression=None))

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                reply = orjson.loads(message)
                if "id" in reply:
                    future, _ = self._pending.pop(reply["id"], (None, None))
                    if future is not None and not future.done():
                        future.set_result(reply)
                elif reply.get("method") in ("Inspector.targetCrashed", "Target.detachedFromTarget"):
                    session = reply.get("sessionId") or reply.get("params", {}).get("sessionId")
                    if session:
                        self._fail(session, "the page crashed" if "Crashed" in reply["method"] else "the page closed")
        except Exception:
            pass
        finally:
            for future, _ in self._pending.values():
                if not future.done():
                    future.set_exception(BrowserError("the DevTools connection closed"))
            self._pending.clear()

    def _fail(self, session: str, why: str) -> None:
        self._dead[session] = why
        for key, (future, owner) in list(self._pending.items()):
            if owner == session:
                del self._pending[key]
                if not future.done():
                    future.set_exception(BrowserError(why))

    async def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        if self._reader.done():
            raise BrowserError("the DevTools connection is closed")
        if session in self._dead:
            raise BrowserError(self._dead[session])
        key = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        message: dict[str, Any] = {"id": key, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self._pending[key] = (future, session)
        try:
            await self.ws.send(orjson.dumps(message).decode())
            reply = await reply_within(future, self.TIMEOUT_S)
        except TimeoutError as exc:
            raise BrowserError(f"{method}: no reply within {self.TIMEOUT_S:g} s") from exc
        finally:
            # No one waits for this reply any more (it came, timed out, or the caller was stopped or
            # interrupted): a page failing later must not set an error on it that no one retrieves.
            self._pending.pop(key, None)
            if not future.done():
                future.cancel()
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply.get("result", {})

    async def attach(self, page: Page) -> str:
        """A session on the page's target (found through a Playwright CDP session)."""
        probe = await page.context.new_cdp_session(page)
        try:
            info = await probe.send("Target.getTargetInfo")
        finally:
            await probe.detach()
        result = await self.send("Target.attachToTarget", {"targetId": info["targetInfo"]["targetId"],
                                                          "flatten": True})
        return str(result["sessionId"])

    async def unbuffer_input(self, session: str) -> None:
        """Deliver the page's mouse moves as they arrive instead of on its next frame.

        Chromium holds ``mousemove`` and ``wheel`` for the next animation frame (rAF-aligned
        input), so each awaited move costs a whole frame: ~16 ms of wall time and a frame's
        rendering work, whether the page changed or not. While an inspector overlay is enabled
        (as when DevTools is open) the renderer dispatches input unbuffered, each event in its
        own task (Blink's ``MainThreadEventQueue``); frames then follow the page's own changes.
        The events are the same trusted events, in the same order.
        """
        await self.send("DOM.enable", session=session)  # the overlay agent requires it
        await self.send("Overlay.enable", session=session)

    async def detach(self, session: str) -> None:
        self._dead.setdefault(session, "detached")
        try:
            await self.send("Target.detachFromTarget", {"sessionId": session})
        except BrowserError:
            pass

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


def browser_ws_url(endpoint: str) -> str:
    """``http://host:port`` -> its ``webSocketDebuggerUrl``; a ``ws://`` URL as it is."""
    if not endpoint.startswith(("http://", "https://")):
        return endpoint
    with urllib.request.urlopen(endpoint.rstrip("/") + "/json/version", timeout=10) as reply:
        return str(orjson.loads(reply.read())["webSocketDebuggerUrl"])


class Pointer(Protocol):
    """The mouse of one page."""

    async def move(self, x: float, y: float) -> None: ...
    async def down(self) -> None: ...
    async def up(self) -> None: ...
    async def wheel(self, dy: float) -> None: ...
    def moved_to(self, x: float, y: float) -> None:
        """Something else (``page.click``) moved the mouse."""


class PlaywrightPointer:
    def __init__(self, page: Page) -> None:
        self.mouse = page.mouse

    async def move(self, x: float, y: float) -> None:
        await self.mouse.move(x, y)

    async def down(self) -> None:
        await self.mouse.down()

    async def up(self) -> None:
        await self.mouse.up()

    async def wheel(self, dy: float) -> None:
        await self.mouse.wheel(0, dy)

    def moved_to(self, x: float, y: float) -> None:
        pass  # Playwright tracks its own mouse


class CdpPointer:
    """``Input.dispatchMouseEvent`` on a page session, as Playwright's mouse sends it."""

    def __init__(self, client: CdpClient, session: str) -> None:
        self.client = client
        self.session = session
        self.x = self.y = 0.0
        self.buttons = 0

    async def _mouse(self, kind: str, **extra: Any) -> None:
        await self.client.send("Input.dispatchMouseEvent", {"type": kind, "x": self.x, "y": self.y,
                                                            "buttons": self.buttons, **extra}, self.session)

    async def move(self, x: float, y: float) -> None:
        self.x, self.y = x, y
        await self._mouse("mouseMoved", button="left" if self.buttons else "none")

    async def down(self) -> None:
        self.buttons = 1
        await self._mouse("mousePressed", button="left", clickCount=1)

    async def up(self) -> None:
        self.buttons = 0
        await self._mouse("mouseReleased", button="left", clickCount=1)

    async def wheel(self, dy: float) -> None:
        await self._mouse("mouseWheel", button="none", deltaX=0, deltaY=dy)

    def moved_to(self, x: float, y: float) -> None:
        self.x, self.y = x, y

    async def evaluate(self, expression: str) -> Any:
        """Run a page-world expression (awaiting a promise) on the same socket."""
        result = await self.client.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                             "returnByValue": True}, self.session)
        if "exceptionDetails" in result:
            raise BrowserError(f"page script failed: {result['exceptionDetails'].get('text', '')}")
        return result.get("result", {}).get("value")
