"""Shared helpers for the producer browser tests: static server, mock bridge, config helpers.

Kept in a uniquely named module (not conftest) so test modules can import it safely even when
other test folders have their own conftest.py.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from workbench.config import EITPConfig
from workbench.sitepages import render

SITES = Path(__file__).resolve().parents[2] / "sites"

# The configuration the real server generates (workbench.config.EITPConfig, Appendix C defaults):
# the tests run the producer on exactly what /eitp/config.js serves in production.
DEFAULT_CONFIG: dict[str, Any] = EITPConfig().producer_config(tenant_id="org_workbench", vertical="rv_dealer")

# site folder -> vertical, as workbench/bridge/server.py chooses it from the Referer
SITE_VERTICALS = {"rv": "rv_dealer", "auto": "auto_dealer", "powersports": "powersports_dealer"}

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]

# Fake-clock origin used by the deterministic tests (seconds since the epoch).
CLOCK_T0 = 1_750_000_000


def make_config(**overrides: Any) -> dict[str, Any]:
    """Default config with overrides; ``signal``/``transport`` dicts are merged key by key."""
    cfg = copy.deepcopy(DEFAULT_CONFIG)
    for key, value in overrides.items():
        if key in ("signal", "transport") and isinstance(value, dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    return cfg


def config_js(cfg: dict[str, Any]) -> str:
    return "window.EITP_CONFIG = " + json.dumps(cfg) + ";\n"


# ---------------------------------------------------------------------------------------------
# Static server
# ---------------------------------------------------------------------------------------------

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}


class StaticServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: StaticServer
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:  # keep pytest output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _resolve(self, path: str) -> Path | None:
        path = path.split("?", 1)[0].split("#", 1)[0]
        if path == "/eitp/producer.js":
            return SITES / "producer" / "eitp-producer.js"
        roots = [(f"/{site}/", SITES / site) for site in SITE_VERTICALS] + [("/common/", SITES / "common")]
        for prefix, root in roots:
            if path.startswith(prefix):
                rel = path[len(prefix):] or "index.html"
                target = (root / rel).resolve()
                if root.resolve() in target.parents and target.is_file():
                    return target
        return None

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path == "/eitp/config.js":
            referer = self.headers.get("Referer", "")
            site = next((s for s in SITE_VERTICALS if f"/{s}/" in referer), "rv")
            self._send(200, config_js(make_config(vertical=SITE_VERTICALS[site])).encode(), CONTENT_TYPES[".js"])
            return
        if path.strip("/") in SITE_VERTICALS and not path.endswith("/"):
            self.send_response(301)
            self.send_header("Location", path + "/")
            self.end_headers()
            return
        target = self._resolve(self.path)
        if target is None:
            self._send(404, b"not found", "text/plain")
            return
        # a site page is served with its includes expanded, as workbench/bridge/server.py does
        body = render(target).encode() if target.name == "index.html" else target.read_bytes()
        self._send(200, body, CONTENT_TYPES.get(target.suffix, "application/octet-stream"))

    do_HEAD = do_GET

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.split("?", 1)[0] == "/bridge/batch":
            with self.server.lock:
                self.server.posts.append({
                    "content_type": self.headers.get("Content-Type", ""),
                    "body": body.decode("utf-8", "replace"),
                })
            self._send(204, b"", "text/plain")
            return
        self._send(404, b"not found", "text/plain")


# ---------------------------------------------------------------------------------------------
# Mock bridge (NATS text protocol over a routed WebSocket)
# ---------------------------------------------------------------------------------------------

@dataclass
class Pub:
    subject: str
    size: int
    raw: bytes

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8")

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.raw)


EPOCH_MS = re.compile(r"(?<!\d)1\d{12}(?!\d)")  # milliseconds since 1970, as in a session id
# the numbers the page measured (times, positions, kinematics, sizes): never a typed value
MEASURED = frozenset({"timestamp", "duration", "dwellMs", "x", "y", "relX", "relY", "vx", "vy", "ax", "ay", "jx", "jy",
                      "speed", "jerk", "velocity", "mouseVelocity", "mouseJerk", "distance", "radius", "circularity",
                      "depth", "maxDepth", "width", "height", "area", "count"})


@dataclass
class MockBridge:
    """Acts as the EITP bridge for one page. Options control how it behaves."""

    info_binary: bool = True          # real nats-server sends INFO in a binary frame
    split_info: bool = False          # deliver INFO in two frames
    reply_ok: bool = True             # answer CONNECT with +OK
    reply_pong: bool = True           # answer PING with PONG
    handshake: bool = True            # send INFO at all
    refuse: bool = False              # "bridge down": close every connection at once
    frames: list[Any] = field(default_factory=list)
    connects: list[dict[str, Any]] = field(default_factory=list)
    subs: list[tuple[str, str]] = field(default_factory=list)
    pubs: list[Pub] = field(default_factory=list)
    pings: int = 0
    pongs: int = 0
    connections: int = 0
    protocol_errors: list[str] = field(default_factory=list)
    closes: list[tuple[int | None, str | None]] = field(default_factory=list)  # closed by the page: (code, reason)

    def __post_init__(self) -> None:
        self._buf = b""
        self.ws = None

    # -- routing ------------------------------------------------------------------------
    async def handler(self, ws) -> None:
        self.ws = ws
        self._buf = b""
        self.connections += 1
        if self.refuse:
            await ws.close()
            return
        ws.on_message(self._on_message)
        ws.on_close(lambda code, reason: self._on_close(ws, code, reason))
        if not self.handshake:
            return
        info = b'INFO {"server_id":"eitp-bridge","version":"2.0.0","proto":1,"max_payload":1048576}\r\n'
        if self.split_info:
            self.send(info[:20])
            self.send(info[20:])
        else:
            self.send(info)

    def _on_close(self, ws, code: int | None, reason: str | None) -> None:
        """The page closed its socket: note it, and finish the close (an on_close handler takes
        that over from Playwright)."""
        self.closes.append((code, reason))
        asyncio.get_running_loop().create_task(ws.close(code=code, reason=reason))

    def send(self, data: bytes | str) -> None:
        """Send a frame to the producer (binary frame unless info_binary is False)."""
        if isinstance(data, str):
            data = data.encode()
        self.ws.send(data if self.info_binary else data.decode())

    def send_msg(self, subject: str, payload: Any, sid: str = "1", chunks: int = 1) -> None:
        body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        if isinstance(body, str):
            body = body.encode()
        frame = f"MSG {subject} {sid} {len(body)}\r\n".encode() + body + b"\r\n"
        step = max(1, len(frame) // chunks + 1)
        for i in range(0, len(frame), step):
            self.send(frame[i:i + step])

    # -- parsing ------------------------------------------------------------------------
    def _on_message(self, message: str | bytes) -> None:
        self.frames.append(message)
        self._buf += message.encode() if isinstance(message, str) else message
        while True:
            eol = self._buf.find(b"\r\n")
            if eol < 0:
                return
            line = self._buf[:eol].decode()
            op = line.split(" ", 1)[0].upper()
            if op == "PUB":
                parts = line.split()
                size = int(parts[-1])
                if len(self._buf) < eol + 2 + size + 2:
                    return
                payload = self._buf[eol + 2:eol + 2 + size]
                if self._buf[eol + 2 + size:eol + 4 + size] != b"\r\n":
                    self.protocol_errors.append("PUB payload not followed by CRLF / size mismatch")
                self._buf = self._buf[eol + 4 + size:]
                self.pubs.append(Pub(parts[1], size, payload))
                continue
            self._buf = self._buf[eol + 2:]
            if op == "CONNECT":
                self.connects.append(json.loads(line[len("CONNECT "):]))
                if self.reply_ok:
                    self.send(b"+OK\r\n")
            elif op == "SUB":
                parts = line.split()
                self.subs.append((parts[1], parts[-1]))
            elif op == "PING":
                self.pings += 1
                if self.reply_pong:
                    self.send(b"PONG\r\n")
            elif op == "PONG":
                self.pongs += 1
            else:
                self.protocol_errors.append(f"unexpected line {line!r}")

    # -- helpers ------------------------------------------------------------------------
    def payloads(self) -> list[dict[str, Any]]:
        return [p.payload for p in self.pubs]

    def leaked(self, needles: list[str] | tuple[str, ...]) -> list[str]:
        """The needles found in what the page sent: inside any of its strings (keys and values, decoded),
        or, for a number, as a number of its own that is not a measurement. Digits are not looked for
        inside other numbers, nor inside the epoch milliseconds of a session id, and a speed or a jerk
        is not read as a typed number: those hold any four digits at some time (a typed "4471" was
        once found in a timestamp), while what a page could leak as a number is in the other fields."""
        payloads = self.payloads()
        text = "\n".join(EPOCH_MS.sub("", s) for p in payloads for s in walk_strings(p))
        numbers = {str(n) for p in payloads for key, n in walk_numbers(p) if key not in MEASURED}
        return [n for n in needles if n in text or n in numbers]

    def events(self, type_: str | Callable[[str], bool] | None = None) -> list[dict[str, Any]]:
        out = []
        for payload in self.payloads():
            for ev in payload["events"]:
                if type_ is None or (callable(type_) and type_(ev["type"])) or ev["type"] == type_:
                    out.append(ev)
        return out

    def types(self) -> list[str]:
        return [ev["type"] for ev in self.events()]


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, message: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        await asyncio.sleep(0.01)


# ---------------------------------------------------------------------------------------------
# Browser
# ---------------------------------------------------------------------------------------------

@dataclass
class Site:
    page: Any
    bridge: MockBridge
    server: StaticServer
    clock: bool

    async def eitp(self, expr: str) -> Any:
        return await self.page.evaluate(f"() => window.EITP.{expr}")

    async def stats(self) -> dict[str, Any]:
        return await self.page.evaluate("() => window.EITP.stats()")

    async def pongs_received(self, n: int) -> None:
        """Wait until the page has taken in ``n`` PONGs in all. A keepalive tick run before its PONG arrived
        finds the PING unanswered, and on a paused clock nothing makes up for a PONG still in flight."""
        await self.page.wait_for_function("(n) => window.EITP.stats().pongsReceived >= n", arg=n, polling=10)

    async def flush(self) -> None:
        before = len(self.bridge.pubs)
        sent = await self.page.evaluate("() => window.EITP.flush('test')")
        if sent:
            await wait_until(lambda: len(self.bridge.pubs) > before, message="flushed PUB")

    async def tick(self, ms: int) -> None:
        """Advance the fake clock (fires every due timer, e.g. the 20 Hz sampler)."""
        await self.page.clock.run_for(ms)

    async def move_ticks(self, points: list[tuple[float, float]], ms: int = 50) -> None:
        """One mouse position per sampler tick (fake clock)."""
        for x, y in points:
            await self.page.mouse.move(x, y)
            await self.tick(ms)

    async def now(self) -> int:
        """The page's (fake) Date.now()."""
        return await self.page.evaluate("() => Date.now()")

    async def set_visibility(self, state: str) -> None:
        """Make document.visibilityState report ``state`` and fire visibilitychange (tab switch)."""
        await self.page.evaluate("""(state) => {
            Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
            document.dispatchEvent(new Event('visibilitychange'));
        }""", state)

    async def scroll_to(self, target: str | float) -> None:
        """Scroll instantly (a section id selector or a y offset) and wait for the scroll event."""
        await self.page.evaluate("""(target) => {
            window.__scrolls = 0;
            addEventListener('scroll', () => { window.__scrolls++; }, {once: true});
            const y = typeof target === 'number'
                ? target : document.querySelector(target).getBoundingClientRect().top + scrollY;
            scrollTo(0, y);
        }""", target)
        await self.page.wait_for_function("() => window.__scrolls > 0", polling=10)

    async def resize(self, width: int, height: int) -> None:
        """Resize the viewport and wait for the resize *event*: Chromium updates ``innerWidth``
        first and dispatches the event on its next rendering step. This listener comes after the
        producer's, so once it has run the producer's debounce timer is set."""
        await self.page.evaluate("""() => {
            window.__resized = false;
            addEventListener('resize', () => { window.__resized = true; }, {once: true});
        }""")
        await self.page.set_viewport_size({"width": width, "height": height})
        await self.page.wait_for_function("() => window.__resized === true", polling=10)

    async def box(self, selector: str) -> dict[str, float]:
        bb = await self.page.locator(selector).bounding_box()
        assert bb is not None, selector
        return bb


def walk_strings(obj: Any):
    """Yield every string (keys and values) inside a JSON value."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from walk_strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_strings(v)


def walk_numbers(obj: Any, key: str | None = None):
    """Yield every number inside a JSON value, with the key it is under."""
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield key, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk_numbers(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_numbers(v, key)


def walk_keys(obj: Any):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from walk_keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_keys(v)


def line(a: tuple[float, float], b: tuple[float, float], step: float = 20.0) -> list[tuple[float, float]]:
    """Points from a (exclusive) to b (inclusive), at most ``step`` px apart."""
    (x0, y0), (x1, y1) = a, b
    n = max(1, int(max(abs(x1 - x0), abs(y1 - y0)) // step))
    return [(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n) for i in range(1, n + 1)]


# Init script: Math.random pops values from window.__randQueue (set by a test), 0.5 otherwise, so
# the reconnect jitter (section 4.4) is known in advance.
STUB_RANDOM = """(() => {
  window.__randQueue = [];
  Math.random = () => (window.__randQueue.length ? window.__randQueue.shift() : 0.5);
})();"""
