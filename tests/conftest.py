"""Shared test helpers: event and batch builders, paths."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.natsserver import FixedPortServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"


def ev(kind: str, ts: float, section: str = "pricing", **data: Any) -> dict[str, Any]:
    """One producer event as it appears in a section 4.3 batch."""
    return {"type": kind, "timestamp": ts, "currentSection": section, "data": data}


def batch(events: list[dict[str, Any]], *, session: str = "sq_1_test", tenant: str = "org_test",
          ts: float | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "telemetry_batch", "events": events, "sessionId": session, "tenantId": tenant,
            "vertical": "rv_dealer", "pageContent": None,
            "timestamp": ts if ts is not None else (events[-1]["timestamp"] if events else 0), **extra}


def verdict(session: str, classification: str, *, tenant: str = "org_test") -> dict[str, Any]:
    """A section 8.3 bot verdict as the engine publishes it (``BotOut.log``)."""
    return {"session_id": session, "tenant_id": tenant, "timestamp": 1_740_700_830_000,
            "classification": classification, "confidence": 0.9, "reasoning": "a test's verdict",
            "signals": ["teleport_clicks"] if classification == "bot" else [], "event_count": 40}


def nested(levels: int) -> dict[str, Any]:
    """A value ``levels`` dicts deep: orjson reads 1,024 levels but writes only 254 (json writes it)."""
    value: Any = "x"
    for _ in range(levels):
        value = {"k": value}
    return value


def mouse_path(t0: float, n: int, *, x0: float = 400, y0: float = 300, vx: float = 120, section: str = "pricing",
               dt: float = 50) -> list[dict[str, Any]]:
    """``n`` 20 Hz mouse samples moving right at ``vx`` px/s."""
    return [ev("mouse", t0 + i * dt, section, x=x0 + vx * i * dt / 1000, y=y0, vx=vx, vy=0, ax=0, ay=0, jx=0, jy=0,
               speed=abs(vx), jerk=0) for i in range(n)]


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    return tmp_path / "wb.db"


@pytest.fixture
async def fixed_nats(tmp_path: Path) -> AsyncIterator[FixedPortServer]:
    """A real nats-server, started, on a port it keeps across a kill and a start (tests/natsserver.py)."""
    from tests.natsserver import FixedPortServer

    srv = FixedPortServer(tmp_path)
    await srv.start()
    try:
        yield srv
    finally:
        await srv.kill()
