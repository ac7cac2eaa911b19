"""The live bridge: a real aiohttp server on loopback, stock and hand-made clients, no mocks."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import nats
import orjson
import pytest
import websockets

from tests.bridge.live import TENANT, Client, LiveBridge, Recorder, eventually
from tests.conftest import batch, ev, mouse_path, nested
from workbench.bridge import codec
from workbench.bus import SESSION_CLOSED, intervention_request

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # nats-py passes aiohttp a float timeout
INTERVENTION = orjson.dumps({"type": "intervention", "message": "Choosing between these two can feel tough"})
PACKET = orjson.dumps({"sessionId": "s", "tenantId": TENANT, "timestamp": 1, "emotion": {"primary": "frustration"},
                       "behavioral": {"mouseVelocity": 900}})


@pytest.fixture
async def make_live() -> AsyncIterator[Callable[..., Awaitable[LiveBridge]]]:
    """Start bridges with transport overrides; all are stopped after the test."""
    made: list[LiveBridge] = []

    async def make(**transport) -> LiveBridge:
        made.append(bridge := await LiveBridge(**transport).start())
        return bridge

    yield make
    for bridge in made:
        await bridge.stop()


@pytest.fixture
async def live(make_live) -> LiveBridge:
    return await make_live()


def doc(session: str, t0: float = 1000, n: int = 5, **extra) -> dict:
    return batch(mouse_path(t0, n), session=session, tenant=TENANT, **extra)


# --- a stock NATS client (nats-py over WebSocket) ------------------------------------------------
async def test_stock_nats_py_client_publishes_subscribes_and_gets_permission_errors(live: LiveBridge):
    errors: list[Exception] = []

    async def on_error(exc: Exception) -> None:
        errors.append(exc)

    nc = await nats.connect(live.url, name=f"{TENANT}/sq_1_nats", error_cb=on_error, allow_reconnect=False,
                            connect_timeout=2)
    other = await nats.connect(live.url, name=f"{TENANT}/sq_2_nats", allow_reconnect=False, connect_timeout=2)
    try:
        await nc.publish("telemetry.raw", orjson.dumps(doc("sq_1_nats", clientIp="6.6.6.6")))
        await nc.flush()
        await eventually(lambda: live.telemetry.got, what="the batch on the bus")
        ((subject, published),) = live.telemetry.got
        assert subject == "telemetry.raw" and published["sessionId"] == "sq_1_nats"
        assert published["ip"] == "127.0.0.1" and "clientIp" not in published

        await nc.publish("emotions.org_workbench.sq_1_nats", b"{}")
        await nc.flush()
        await eventually(lambda: errors, what="the permissions error")
        # nats-py lowercases what it reports; the exact wire wording is checked in test_connection.py
        assert str(errors[0]) == 'nats: permissions violation for publish to "emotions.org_workbench.sq_1_nats"'
        assert nc.is_connected  # a permissions error does not end the connection

        own = intervention_request(TENANT, "sq_1_nats")
        sub = await nc.subscribe(own)
        other_sub = await other.subscribe(intervention_request(TENANT, "sq_2_nats"))
        await nc.flush()
        await other.flush()
        await live.bus.publish(own, PACKET)  # the engine's packet: never forwarded
        await live.bus.publish(own, INTERVENTION)
        msg = await sub.next_msg(timeout=2)
        assert msg.subject == own and msg.data == INTERVENTION
        await nc.flush()
        with pytest.raises(nats.errors.TimeoutError):
            await sub.next_msg(timeout=0.2)  # the packet did not follow
        with pytest.raises(nats.errors.TimeoutError):
            await other_sub.next_msg(timeout=0.2)  # another session's connection got nothing

        await nc.subscribe(intervention_request(TENANT, "sq_2_nats"))
        await eventually(lambda: len(errors) == 2, what="the subscription error")
        assert str(errors[1]) == ('nats: permissions violation for subscription to '
                                  f'"{intervention_request(TENANT, "sq_2_nats")}"')
    finally:
        await nc.close()
        await other.close()
    assert live.server.violations["permissions"] == 2


async def test_stock_client_identity_from_user_and_password(live: LiveBridge):
    url = live.url.replace("ws://", f"ws://{TENANT}:sq_3_nats@")
    nc = await nats.connect(url, allow_reconnect=False, connect_timeout=2)
    try:
        await nc.publish("telemetry.raw", orjson.dumps(doc("sq_3_nats")))
        await nc.flush()
        await eventually(lambda: live.telemetry.got)
        assert live.telemetry.sessions() == ["sq_3_nats"]
    finally:
        await nc.close()


async def test_stock_client_without_identity_is_refused(live: LiveBridge):
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(live.url, allow_reconnect=False, max_reconnect_attempts=1, connect_timeout=2)
    assert live.server.violations["handshake"] >= 1


# --- interventions reach the right connection, and only interventions -------------------------
async def test_interventions_go_to_their_own_session_only_and_packets_never(live: LiveBridge):
    a, a2, b = [await Client.open(live.url, s) for s in ("sq_a", "sq_a", "sq_b")]
    subject_a = intervention_request(TENANT, "sq_a")
    await a.send(codec.encode_sub(subject_a, "9"))
    await b.send(codec.encode_sub(intervention_request(TENANT, "sq_b"), "1"))
    assert await a.ping() == [] and await b.ping() == []
    await live.bus.publish(subject_a, PACKET)
    await live.bus.publish(subject_a, INTERVENTION)
    await live.bus.publish(intervention_request("org_other", "sq_a"), INTERVENTION)  # another tenant
    await live.bus.drain()
    (msg,) = await a.ping()
    assert isinstance(msg, codec.Msg) and (msg.subject, msg.sid, msg.payload) == (subject_a, "9", INTERVENTION)
    assert await b.ping() == [] and await a2.ping() == []  # a2 shares the session but did not subscribe
    await a.send(codec.encode_unsub("9"))
    await a.ping()
    await live.bus.publish(subject_a, INTERVENTION)
    await live.bus.drain()
    assert await a.ping() == []
    for client in (a, a2, b):
        await client.close()
    await eventually(lambda: not live.server.routes and live.server.connections == 0, what="routes cleared")


# --- IP injection (4.5) ----------------------------------------------------------------------------
@pytest.mark.parametrize("trusted, expected", [([], "127.0.0.1"), (["127.0.0.1/32"], "198.51.100.23")])
async def test_forwarded_for_is_believed_only_from_trusted_proxies(make_live, trusted, expected):
    bridge = await make_live(trusted_proxies=trusted)
    headers = {"X-Forwarded-For": "6.6.6.6, 198.51.100.23"}
    client = await Client.open(bridge.url, "sq_ws_ip", additional_headers=headers)
    await client.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_ws_ip", ip="1.2.3.4"))))
    assert await client.ping() == []
    async with aiohttp.ClientSession() as http:
        body = orjson.dumps(doc("sq_post_ip", remoteAddress="1.2.3.4"))
        async with http.post(f"{bridge.base}/bridge/batch", data=body, headers=headers) as resp:
            assert resp.status == 200
    await bridge.bus.drain()
    assert [(d["sessionId"], d["ip"]) for _, d in bridge.telemetry.got] == [("sq_ws_ip", expected),
                                                                             ("sq_post_ip", expected)]
    assert "remoteAddress" not in bridge.telemetry.got[1][1]
    await client.close()


# --- the HTTP POST fallback: the same checks and limits ------------------------------------------
async def _post(live: LiveBridge, body: bytes) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as http, http.post(f"{live.base}/bridge/batch", data=body) as resp:
        return resp.status, await resp.json()


def _sized(total: int) -> bytes:
    d = doc("sq_post_size")
    d["vertical"] = "x" * (total - len(orjson.dumps(d)) + len("rv_dealer"))
    body = orjson.dumps(d)
    assert len(body) == total
    return body


async def test_post_fallback_checks_and_limits(make_live):
    live = await make_live(max_pubs_per_second=3)
    assert (await _post(live, _sized(50_000)))[0] == 200
    status, reply = await _post(live, _sized(50_001))
    assert status == 413 and "Maximum Payload Violation" in reply["error"]
    status, reply = await _post(live, orjson.dumps({**doc("sq_p"), "tenantId": "org_other"}))
    assert status == 400 and "Tenant Violation" in reply["error"]
    # events per second, per session: 501 in one event second
    big = batch([ev(f"k{i % 10}", 5000) for i in range(501)], session="sq_rate", tenant=TENANT)
    status, reply = await _post(live, orjson.dumps(big))
    assert status == 429 and "Rate Limit Exceeded: 501 events" in reply["error"]
    # wall-clock frames per session: 3 pass, the 4th within the second is refused
    statuses = [(await _post(live, orjson.dumps(doc("sq_frames", 1000 + i * 3000))))[0] for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert (await _post(live, orjson.dumps(doc("sq_frames_other"))))[0] == 200  # keyed by session
    status, reply = await _post(live, orjson.dumps(batch([ev("a", 0)], session="sq_clock", tenant=TENANT,
                                                         ts=120_000)))
    assert status == 400 and "Timestamp Violation" in reply["error"]
    await live.bus.drain()
    assert live.telemetry.sessions() == ["sq_post_size", "sq_frames", "sq_frames", "sq_frames", "sq_frames_other"]
    v = live.server.violations
    assert (v["payload_size"], v["tenant"], v["rate_events"], v["rate_frames"], v["clock"]) == (1, 1, 1, 1, 1)


async def test_a_batch_too_deep_to_forward_is_refused_before_its_ok_and_its_neighbours_arrive(live: LiveBridge):
    client = await Client.open(live.url, session=None)
    await client.send(codec.encode_connect({"tenant_id": TENANT, "session_id": "sq_deep", "verbose": True})
                      + codec.PING)
    assert await client.read(2) == [codec.Ok(), codec.Pong()]
    frames = [codec.encode_pub("telemetry.raw", json.dumps(doc("sq_deep", t0, **extra)).encode())
              for t0, extra in ((1000, {}), (2000, {"pageContent": {"meta": nested(300)}}), (3000, {}))]
    await client.send(b"".join(frames))  # one WebSocket message: good, too deep, good
    replies = await client.read(3)
    assert replies[0] == replies[2] == codec.Ok()
    assert isinstance(replies[1], codec.Err) and "Invalid Batch: cannot be forwarded" in replies[1].message
    assert await client.ping() == []  # the connection carries on
    await live.bus.drain()
    assert [(d["sessionId"], d["timestamp"]) for _, d in live.telemetry.got] == [("sq_deep", 1200), ("sq_deep", 3200)]
    status, reply = await _post(live, json.dumps(doc("sq_deep_post", pageContent={"meta": nested(300)})).encode())
    assert status == 400 and "Invalid Batch: cannot be forwarded" in reply["error"]  # not a 500
    assert (await _post(live, orjson.dumps(doc("sq_deep_post", 2000))))[0] == 200


async def test_a_post_only_session_is_closed_on_its_own_clock_once_it_falls_silent():
    live = LiveBridge()
    live.config = live.server.config = live.config.with_overrides({"inference.session_timeout_ms": 300})
    closed = Recorder()
    await live.bus.subscribe(SESSION_CLOSED, closed)
    await live.start()
    try:
        sent = doc("sq_post_quiet", t0=5000)
        assert (await _post(live, orjson.dumps(sent)))[0] == 200
        await eventually(lambda: closed.got, timeout=5, what="the silent POST session closed")
        await asyncio.sleep(0.4)  # one timeout more: it is closed once, not on every sweep
        assert [doc["sessionId"] for _, doc in closed.got] == ["sq_post_quiet"]
        # on the page's clock: its last batch plus the silence the bridge waited through
        assert closed.got[0][1]["at"] >= sent["timestamp"] + 300
    finally:
        await live.stop()


# --- limits over the WebSocket ------------------------------------------------------------------------
async def test_rate_limit_violations_get_err_are_counted_and_logged_with_the_session(make_live, caplog):
    live = await make_live(max_pubs_per_second=5)
    client = await Client.open(live.url, "sq_limits")
    with caplog.at_level(logging.WARNING, logger="workbench.bridge.server"):
        for i in range(6):
            await client.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_limits", 1000 + i * 3000))))
        (err,) = await client.ping()
    assert isinstance(err, codec.Err) and err.message.startswith("Rate Limit Exceeded: more than 5 PUBs")
    assert live.server.violations["rate_frames"] == 1
    assert "refused rate_frames from 127.0.0.0/24 (session sq_limits)" in caplog.text
    assert "127.0.0.1" not in caplog.text  # section 10.3: the client's network, not its address
    await client.close()


async def test_a_refusal_quoting_a_huge_value_is_logged_in_one_short_line(make_live, caplog):
    live = await make_live()
    client = await Client.open(live.url, "sq_long")
    with caplog.at_level(logging.WARNING, logger="workbench.bridge.server"):
        junk = doc("sq_long", 1000) | {"tenantId": "t" * 40_000}
        await client.send(codec.encode_pub("telemetry.raw", orjson.dumps(junk)))
        (err,) = await client.ping()
    assert isinstance(err, codec.Err)
    (line,) = [r.getMessage() for r in caplog.records if "bridge refused" in r.getMessage()]
    assert "refused" in line and len(line) < 1000, len(line)
    await client.close()


async def test_a_client_that_never_connects_is_timed_out(make_live):
    live = await make_live(handshake_timeout_ms=300)
    ws = await websockets.connect(live.url, compression=None)
    assert (await ws.recv()).startswith(b"INFO ")
    assert await asyncio.wait_for(ws.recv(), 3) == b"-ERR 'Authentication Timeout'\r\n"
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 3)
    assert closed.value.rcvd.code == 1008 and closed.value.rcvd.reason == "Authentication Timeout"


async def test_websocket_pings_do_not_hold_off_the_handshake_timeout(make_live):
    # aiohttp answers a WebSocket ping inside receive() and restarted its timeout each time: a client
    # that only pinged the socket (the websockets library does by itself) held a connection slot forever
    live = await make_live(handshake_timeout_ms=300)
    ws = await websockets.connect(live.url, compression=None, ping_interval=0.05, ping_timeout=5)
    assert (await ws.recv()).startswith(b"INFO ")
    assert await asyncio.wait_for(ws.recv(), 3) == b"-ERR 'Authentication Timeout'\r\n"
    await eventually(lambda: live.server.connections == 0, what="the connection is closed")
    assert live.server.violations["handshake"] == 1 and not live.server.close_to_come("sq_other")


async def test_nats_pings_before_connect_do_not_hold_off_the_handshake_timeout(make_live):
    live = await make_live(handshake_timeout_ms=300)
    ws = await websockets.connect(live.url, compression=None)
    assert (await ws.recv()).startswith(b"INFO ")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        async with asyncio.timeout(3):
            while True:  # a PING every 20 ms, each answered, for 10 times the handshake timeout
                await ws.send(codec.PING)
                assert await ws.recv() == codec.PONG
                await asyncio.sleep(0.02)
    assert closed.value.rcvd.reason == "Authentication Timeout" and live.server.violations["handshake"] == 1


async def test_websocket_pings_after_connect_are_not_protocol_keepalives(make_live):
    live = await make_live(idle_timeout_ms=300)
    quiet = await Client.open(live.url, "sq_ws_pings", ping_interval=0.05, ping_timeout=5)
    assert await quiet.read(1) == [codec.Err("Stale Connection")]
    assert live.server.violations["idle"] == 1


async def test_a_client_that_goes_quiet_after_connect_is_closed_as_stale_and_one_that_pings_is_not(make_live):
    live = await make_live(idle_timeout_ms=400)
    quiet = await Client.open(live.url, "sq_quiet")
    chatty = await Client.open(live.url, "sq_chatty")
    for _ in range(8):  # 0.8 s of keepalives, twice the idle timeout
        await asyncio.sleep(0.1)
        assert await chatty.ping() == []
    assert await quiet.read(1) == [codec.Err("Stale Connection")]
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await quiet.read(1)
    assert closed.value.rcvd.code == 1008 and closed.value.rcvd.reason == "Stale Connection"
    assert live.server.violations["idle"] == 1


async def test_connections_past_the_cap_are_refused_before_the_upgrade_and_room_frees_up(make_live):
    live = await make_live(max_connections=3)
    clients = [await Client.open(live.url, f"sq_cap_{i}") for i in range(3)]
    with pytest.raises(websockets.InvalidStatus) as refused:
        await Client.open(live.url, "sq_cap_over")
    assert refused.value.response.status_code == 503
    assert b"Too Many Connections: 3 open (max 3)" in refused.value.response.body
    assert live.server.violations["connections"] == 1
    await clients[0].close()
    await eventually(lambda: live.server.connections == 2, what="the closed connection is gone")
    late = await Client.open(live.url, "sq_cap_late")
    assert await late.ping() == [] and await clients[1].ping() == []


async def test_an_authorization_violation_is_closed_with_its_reason(live: LiveBridge):
    client = await Client.open(live.url, session=None)
    await client.send(codec.encode_pub("telemetry.raw", b"{}"))
    (err,) = await client.read(1)
    assert err == codec.Err("Authorization Violation")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.read(1)
    assert closed.value.rcvd.code == 1008 and closed.value.rcvd.reason == "Authorization Violation"


async def test_a_websocket_message_too_big_to_skip_is_named_in_an_err_before_the_close(make_live):
    # Past SKIP_FACTOR times the payload limit, aiohttp itself refuses the message (close 1009): the
    # client is first told why, as for every other refusal, and the violation is counted
    live = await make_live(max_message_bytes=1000)
    client = await Client.open(live.url, "sq_too_big")
    await client.send(codec.encode_pub("telemetry.raw", b"x" * 5000))
    (err,) = await client.read(1)
    assert err == codec.Err("Maximum Payload Violation (a WebSocket message over 4000 bytes)")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.read(1)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert live.server.violations["payload_size"] == 1
    other = await Client.open(live.url, "sq_next_door")
    assert await other.ping() == []  # nothing else is lost


async def test_a_text_frame_that_is_not_utf8_is_named_in_an_err_before_the_close(live: LiveBridge):
    # RFC 6455 fails such a connection (aiohttp closes with 1007); like every refusal on the bridge, the
    # client is first told why, the violation is counted, and the other connections lose nothing
    client = await Client.open(live.url, "sq_bad_text")
    other = await Client.open(live.url, "sq_good_text")
    await client.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_bad_text"))))
    assert await client.ping() == []
    await client.ws.send(b"PING\xff\r\n", text=True)
    (err,) = await client.read(1)
    assert err == codec.Err("Invalid UTF-8 (a WebSocket text frame)")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.read(1)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
    assert live.server.violations["parse"] == 1
    await other.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_good_text"))))
    assert await other.ping() == []
    await live.bus.drain()
    assert live.telemetry.sessions() == ["sq_bad_text", "sq_good_text"]


async def test_a_browser_that_dies_during_the_upgrade_costs_a_log_line_not_a_traceback(live: LiveBridge, caplog):
    caplog.set_level(logging.INFO)
    host, port = live.url.split("//")[1].split("/")[0].split(":")
    for _ in range(10):
        raw = socket.create_connection((host, int(port)))
        raw.sendall(f"GET /bridge HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                    "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        raw.close()
    client = await Client.open(live.url, "sq_after_resets")
    assert await client.ping() == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


# --- robustness: slow, idle and non-reading clients ---------------------------------------------------
async def test_a_half_sent_command_does_not_block_others(live: LiveBridge):
    slow = await Client.open(live.url, "sq_slow")
    frame = codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_slow")))
    await slow.send(frame[:40])  # the control line and a bit of payload, then nothing
    fast = await Client.open(live.url, "sq_fast")
    await fast.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_fast"))))
    assert await fast.ping(timeout=2) == []
    await live.bus.drain()
    assert live.telemetry.sessions() == ["sq_fast"]
    await slow.send(frame[40:])
    assert await slow.ping(timeout=2) == []
    await live.bus.drain()
    assert live.telemetry.sessions() == ["sq_fast", "sq_slow"]


async def test_1000_idle_connections_while_another_client_gets_through(live: LiveBridge):
    idle: list[Client] = []
    try:
        for start in range(0, 1000, 100):
            idle += await asyncio.gather(*(Client.open(live.url, f"sq_idle_{i}", ping_interval=None)
                                           for i in range(start, start + 100)))
        assert live.server.connections == 1000
        loop = asyncio.get_running_loop()
        started = loop.time()
        active = await Client.open(live.url, "sq_active")
        await active.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_active"))))
        assert await active.ping(timeout=2) == []
        await live.bus.drain()
        assert live.telemetry.sessions() == ["sq_active"] and loop.time() - started < 2
        assert await idle[0].ping(timeout=2) == [] and await idle[-1].ping(timeout=2) == []
        await active.close()
    finally:
        await asyncio.gather(*(c.close() for c in idle))
    await eventually(lambda: live.server.connections == 0, timeout=20, what="all closed")


async def test_a_client_that_never_reads_is_closed_as_slow_consumer_without_unbounded_memory(make_live, caplog):
    live = await make_live(send_queue_bytes=262_144)
    reader_less = await Client.open(live.url, "sq_deaf", max_queue=1, ping_interval=None)
    subject = intervention_request(TENANT, "sq_deaf")
    await reader_less.send(codec.encode_sub(subject, "1"))
    assert await reader_less.ping() == []
    other = await Client.open(live.url, "sq_other")
    big = orjson.dumps({"type": "intervention", "message": "x" * 30_000})
    with caplog.at_level(logging.WARNING, logger="workbench.bridge.server"):
        for i in range(2000):  # up to 60 MB, far beyond the socket buffers and the 256 KiB queue
            await live.bus.publish(subject, big)
            if i % 20 == 0:
                await live.bus.drain()
                await other.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_other", 1000 + i * 3000))))
                assert await other.ping(timeout=2) == []  # never stalled by the deaf client
            if live.server.violations["slow_consumer"]:
                break
    assert live.server.violations["slow_consumer"] == 1, "the deaf client was never cut off"
    await eventually(lambda: live.server.connections == 1, what="the slow consumer closed")
    assert live.server.peak_pending <= 262_144
    assert "Slow Consumer" in caplog.text and "sq_deaf" in caplog.text
    assert not live.server.routes.get((TENANT, "sq_deaf"))
    await other.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_other", 10**7))))
    assert await other.ping() == []
    await live.bus.drain()
    assert set(live.telemetry.sessions()) == {"sq_other"}


async def test_latency_is_measured_from_frame_to_bus(live: LiveBridge):
    client = await Client.open(live.url, "sq_lat")
    for i in range(20):
        await client.send(codec.encode_pub("telemetry.raw", orjson.dumps(doc("sq_lat", 1000 + i * 3000))))
    assert await client.ping() == []
    assert live.server.latency.count == 20 and 0 < live.server.latency.percentile(0.99) < 0.5
