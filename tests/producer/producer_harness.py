"""Shared helpers for the producer browser tests: static server, mock bridge, config helpers.

Kept in a uniquely named module (not conftest) so test modules can import it safely even when
other test folders have their own conftest.py.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SITES = Path(__file__).resolve().parents[2] / "sites"

DEFAULT_CONFIG: dict[str, Any] = {
    "tenantId": "org_workbench",
    "vertical": "rv_dealer",
    "bridgeUrl": None,
    "postUrl": "/bridge/batch",
    "sessionId": None,
    "signal": {
        "samplingHz": 20, "historySize": 100, "microMovementPxS": 20, "dwellMs": 500,
        "circularity": 0.85, "circleMinRadiusPx": 20, "zigzagChanges": 6, "zigzagMinMovePx": 30,
        "zigzagDebounceMs": 300, "rageClicks": 3, "rageWindowMs": 500, "scrollDebounceMs": 100,
        "gridCellPx": 160, "enterRadiusPx": 140, "spatialHysteresisPx": 12, "timeHysteresisMs": 600,
        "pricingComparisonCooldownMs": 5000, "viewportBoundaryPx": 100, "boundaryEdgePx": 50,
        "exitVelocityPxS": 400, "resizeDebounceMs": 250, "longAbsenceMs": 30000,
        "fieldAbandonmentMs": 2000, "inactivityMs": 5000, "contentCacheMs": 5000,
    },
    "transport": {
        "batchSize": 50, "flushIntervalMs": 3000, "priorityFlush": 40, "maxBuffer": 500,
        "reconnectBaseMs": 1000, "reconnectMaxMs": 30000, "reconnectMaxAttempts": 5,
        "keepaliveMs": 30000, "maxMessageBytes": 50000,
    },
}

CHROMIUM_CANDIDATES = [
    os.environ.get("EITP_CHROMIUM", ""),
    "/usr/bin/chromium-headless-shell",
    "/usr/bin/chromium",
]
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
        for prefix, root in (("/rv/", SITES / "rv"), ("/common/", SITES / "common")):
            if path.startswith(prefix):
                rel = path[len(prefix):] or "index.html"
                target = (root / rel).resolve()
                if root.resolve() in target.parents and target.is_file():
                    return target
        return None

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        if path == "/eitp/config.js":
            self._send(200, config_js(DEFAULT_CONFIG).encode(), CONTENT_TYPES[".js"])
            return
        if path == "/rv":
            self.send_response(301)
            self.send_header("Location", "/rv/")
            self.end_headers()
            return
        target = self._resolve(self.path)
        if target is None:
            self._send(404, b"not found", "text/plain")
            return
        self._send(200, target.read_bytes(), CONTENT_TYPES.get(target.suffix, "application/octet-stream"))

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


@dataclass
class MockBridge:
    """Acts as the EITP bridge for one page. Options control how it behaves."""

    info_binary: bool = True          # real nats-server sends INFO in a binary frame
    split_info: bool = False          # deliver INFO in two frames
    reply_ok: bool = True             # answer CONNECT with +OK
    reply_pong: bool = True           # answer PING with PONG
    handshake: bool = True            # send INFO at all
    frames: list[Any] = field(default_factory=list)
    connects: list[dict[str, Any]] = field(default_factory=list)
    subs: list[tuple[str, str]] = field(default_factory=list)
    pubs: list[Pub] = field(default_factory=list)
    pings: int = 0
    pongs: int = 0
    connections: int = 0
    protocol_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._buf = b""
        self.ws = None

    # -- routing ------------------------------------------------------------------------
    def handler(self, ws) -> None:
        self.ws = ws
        self._buf = b""
        self.connections += 1
        ws.on_message(self._on_message)
        if not self.handshake:
            return
        info = b'INFO {"server_id":"eitp-bridge","version":"2.0.0","proto":1,"max_payload":1048576}\r\n'
        if self.split_info:
            self.send(info[:20])
            self.send(info[20:])
        else:
            self.send(info)

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

def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium-headless-shell") or shutil.which("chromium")


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


def walk_keys(obj: Any):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from walk_keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from walk_keys(v)
