"""The NATS bus when the server goes away, was never there, or is not plain NATS: real nats-server, no mocks."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.natsserver import FixedPortServer
from workbench.errors import BusError, WorkbenchError
from workbench.natsbus import NatsBus


async def _eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_messages_lost_in_an_outage_are_reported_not_silently_dropped(fixed_nats: FixedPortServer) -> None:
    bus = await NatsBus.connect(fixed_nats.url)
    got: list[bytes] = []

    async def record(subject: str, payload: bytes) -> None:
        got.append(payload)

    try:
        await bus.subscribe("a.>", record)
        await bus.publish("a.x", b"before")
        await bus.drain()
        fixed_nats.kill_now()  # blocks the loop: the client cannot notice before it publishes
        for i in range(5):  # into a socket whose peer is dead
            await bus.publish("a.x", str(i).encode())
        await fixed_nats.kill()
        await fixed_nats.start()
        try:
            await asyncio.wait_for(bus.drain(), 15)
        except BusError as exc:  # the bus cannot know which were lost, only that some may have been
            assert fixed_nats.url in str(exc) and "lost" in str(exc)
        else:
            assert got == [b"before", b"0", b"1", b"2", b"3", b"4"], "drain() returned with messages missing"
        got.clear()
        await bus.publish("a.x", b"after")  # reconnected: the bus works again, and the loss was reported once
        await asyncio.wait_for(bus.drain(), 15)
        assert got == [b"after"]
    finally:
        await bus.close()


async def test_a_drain_caught_by_a_restart_sends_its_sentinel_again(fixed_nats: FixedPortServer) -> None:
    # the sentinel written into the dying connection is gone: waiting for it would end in a timeout
    bus = await NatsBus.connect(fixed_nats.url)
    bus.barrier_timeout = 5
    try:
        await bus.subscribe("a.>", _ignore)
        await bus.publish("a.x", b"handled")
        await bus.drain()
        fixed_nats.kill_now()

        async def restart() -> None:
            await fixed_nats.kill()
            await asyncio.sleep(0.3)
            await fixed_nats.start()

        restarted = asyncio.ensure_future(restart())
        started = time.monotonic()
        await asyncio.wait_for(bus.drain(), 15)  # nothing was published meanwhile: nothing to report
        assert time.monotonic() - started < 4
        await restarted
    finally:
        await bus.close()


async def test_a_server_gone_for_good_fails_drain_and_publish_naming_the_url(fixed_nats: FixedPortServer) -> None:
    bus = await NatsBus.connect(fixed_nats.url, reconnect_window=0.5)
    try:
        await bus.subscribe("a.>", _ignore)
        await fixed_nats.kill()
        await _eventually(lambda: bus.nc.is_closed)  # the bus gave up reconnecting
        for attempt in (bus.drain, lambda: bus.settle("s1"), lambda: bus.publish("a.x", b"late")):
            with pytest.raises(BusError, match=fixed_nats.url.replace(".", r"\.")):
                await asyncio.wait_for(attempt(), 5)
        assert bus.lost.is_set() and bus.failure is not None and fixed_nats.url in str(bus.failure)  # for a long run
    finally:
        await asyncio.wait_for(bus.close(), 5)  # closing a dead bus is quiet
    await bus.close()


async def test_a_closed_bus_drains_quietly_and_is_not_lost(fixed_nats: FixedPortServer) -> None:
    bus = await NatsBus.connect(fixed_nats.url)
    await bus.close()
    await bus.close()
    await bus.drain()
    assert not bus.lost.is_set() and bus.failure is None


async def test_close_with_a_frozen_server_is_bounded(fixed_nats: FixedPortServer) -> None:
    bus = await NatsBus.connect(fixed_nats.url)
    bus.barrier_timeout = 0.5
    for i in range(6):  # a pipeline has about this many subscriptions
        await bus.subscribe(f"s{i}.>", _ignore)
    assert fixed_nats.proc is not None
    os.kill(fixed_nats.proc.pid, signal.SIGSTOP)  # up, but answers nothing
    started = time.monotonic()
    await asyncio.wait_for(bus.close(), 30)
    assert time.monotonic() - started < 2.5, "close() waited for each subscription in turn"


async def test_close_handles_what_was_published_before(fixed_nats: FixedPortServer) -> None:
    bus = await NatsBus.connect(fixed_nats.url)
    got: list[bytes] = []

    async def slow(subject: str, payload: bytes) -> None:
        await asyncio.sleep(0.001)
        got.append(payload)

    for i in range(6):
        await bus.subscribe(f"s{i}.>", slow)
    for i in range(120):
        await bus.publish(f"s{i % 6}.x", str(i).encode())
    await bus.close()
    assert sorted(int(p) for p in got) == list(range(120))


async def test_a_port_that_never_speaks_gives_a_reason(tmp_path: Path) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"nats://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(BusError) as caught:
            await asyncio.wait_for(NatsBus.connect(url, connect_timeout=0.5), 10)
    message = str(caught.value)
    assert url in message
    assert message.split(url, 1)[1].strip(" :"), f"no reason after the URL: {message!r}"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
async def test_a_tls_only_server_fails_fast_naming_the_url(tmp_path: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem"), "-days", "1", "-subj", "/CN=localhost"],
                   check=True, capture_output=True)
    tls = f'tls {{ cert_file: "{tmp_path / "cert.pem"}"; key_file: "{tmp_path / "key.pem"}" }}'
    srv = FixedPortServer(tmp_path, tls)
    await srv.start()
    try:
        started = time.monotonic()
        with pytest.raises(WorkbenchError, match=srv.url.replace(".", r"\.") + ".*certificate"):
            await asyncio.wait_for(NatsBus.connect(srv.url, connect_timeout=1), 15)
        assert time.monotonic() - started < 5
    finally:
        await srv.kill()


async def _ignore(subject: str, payload: bytes) -> None:
    pass


async def test_the_bridge_says_service_unavailable_when_its_bus_is_gone(fixed_nats: FixedPortServer,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    # A batch the bus cannot take (its NATS server gone for good) raised out of the WebSocket handler: the
    # client learns why, and the POST fallback answers 503, which tells a client to try again later
    import aiohttp
    import orjson

    from tests.bridge.live import TENANT, Client
    from tests.conftest import batch, mouse_path
    from workbench.bridge import codec
    from workbench.bridge.server import BridgeServer
    from workbench.config import EITPConfig

    bus = await NatsBus.connect(fixed_nats.url, reconnect_window=0.5)
    bridge = BridgeServer(bus, EITPConfig(), tenant_id=TENANT)
    base = await bridge.start()
    try:
        client = await Client.open(base.replace("http://", "ws://") + "/bridge", "sq_bus_gone")
        await fixed_nats.kill()
        await _eventually(bus.lost.is_set, timeout=30)
        doc = batch(mouse_path(1000, 5), session="sq_bus_gone", tenant=TENANT)
        await client.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc)))
        (err,) = await client.read(1)
        assert err == codec.Err("Service Unavailable")
        # two PUBs in one WebSocket message: each is tried, and each is answered
        two = [batch(mouse_path(t, 5), session="sq_bus_gone", tenant=TENANT) for t in (2000, 3000)]
        await client.send(b"".join(codec.encode_pub("telemetry.raw", orjson.dumps(d)) for d in two))
        assert await client.read(2) == [codec.Err("Service Unavailable")] * 2
        # a verbose client is answered once per PUB, in order: never +OK and then -ERR for the same PUB
        verbose = await Client.open(base.replace("http://", "ws://") + "/bridge", None)
        sid = "sq_bus_gone_v"
        pubs = b"".join(codec.encode_pub("telemetry.raw", orjson.dumps({**d, "sessionId": sid})) for d in two)
        await verbose.send(codec.encode_connect({"tenant_id": TENANT, "session_id": sid, "verbose": True})
                           + pubs + codec.PING)
        assert await verbose.read(4) == [codec.Ok(), codec.Err("Service Unavailable"),
                                         codec.Err("Service Unavailable"), codec.Pong()]
        await verbose.close()
        async with aiohttp.ClientSession() as http:
            posted = dict(doc, sessionId="sq_bus_gone_post")
            async with http.post(f"{base}/bridge/batch", data=orjson.dumps(posted)) as answer:
                assert answer.status == 503 and "Retry-After" in answer.headers
        await client.close()  # its close cannot reach the engine either: counted, not a traceback
        await _eventually(lambda: bridge.unavailable >= 7)
        assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    finally:
        await bridge.stop()
        await bus.close()


async def test_a_frozen_server_is_noticed_by_our_pings_and_reconnected(fixed_nats: FixedPortServer,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    # nats-py's own defaults (a PING every 120 s, 2 unanswered) would take six minutes; the bus sets its own,
    # scaled down here so that the test does not wait 40 s
    monkeypatch.setattr(NatsBus, "PING_INTERVAL", 0.2)
    monkeypatch.setattr(NatsBus, "MAX_OUTSTANDING_PINGS", 2)
    bus = await NatsBus.connect(fixed_nats.url, reconnect_window=30)
    got: list[bytes] = []

    async def keep(subject: str, payload: bytes) -> None:
        got.append(payload)

    await bus.subscribe("s.>", keep)
    assert fixed_nats.proc is not None
    os.kill(fixed_nats.proc.pid, signal.SIGSTOP)  # up, its socket open, but it answers nothing
    try:
        await _eventually(lambda: "lost the connection" in caplog.text, timeout=10)
        assert not bus.lost.is_set(), "a frozen server is a drop to reconnect from, not the end"
    finally:
        os.kill(fixed_nats.proc.pid, signal.SIGCONT)
    await _eventually(lambda: "reconnected to the NATS server" in caplog.text, timeout=10)
    await bus.publish("s.after", b"after")
    await bus.drain()
    assert got == [b"after"]
    await bus.close()
