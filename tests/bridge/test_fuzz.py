"""Fuzzing the codec and the live bridge with generated and mutated input (issue 4, point 9).

The default run throws 5,000 inputs at each; ``-m slow`` runs the 100,000-input versions.

Sans I/O, every input must parse the same whole or cut anywhere, never raise, and get one
``-ERR`` per violation. Live, a real aiohttp bridge on loopback gets the same kind of input
over WebSocket frames cut at random places, from several clients at once. A twin
:class:`BridgeConnection` fed the same bytes says what the bridge must answer; the live byte
stream must equal it exactly, within a time bound (no hang), each input that is not plainly
benign must get an ``-ERR`` or a close with a reason, every untouched valid batch among the junk
must reach the bus, and nothing may be logged with a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import random

import orjson
import pytest
import websockets
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.bridge import fuzzing
from tests.bridge.live import LiveBridge
from workbench.bridge import codec
from workbench.bridge.connection import BridgeConnection, Result
from workbench.bridge.limits import LimiterRegistry

REPLY_TIMEOUT = 5.0  # seconds for the bridge to answer one input
# What follows each input: a PING, then ever longer runs of blank lines (ignored by the parser)
# and a PING, until one is answered: they complete any pending payload (at most 4 x 50,000 bytes).
FILLERS = [b"\r\n" + codec.PING] + [b"\r\n" * n + codec.PING for n in (1_000, 8_000, 32_000, 110_000)]
USER_AGENT = "fuzz/1"


# --- sans I/O --------------------------------------------------------------------------------------
def _parse(chunks: list[bytes]) -> list[tuple]:
    parser = codec.NatsParser(max_payload=50_000)
    out = []
    for chunk in chunks:
        parser.receive_data(chunk)
        out += [(type(e).__name__, *e) for e in parser.events_received()]
    return out


def _server_lines(data: bytes) -> list[codec.Event]:
    parser = codec.NatsParser(max_payload=10**9)
    parser.receive_data(data)
    return parser.events_received()


def _codec_fuzz(n: int, seed: int) -> None:
    rng = random.Random(seed)
    session = "sq_codec"
    # every input arrives at one wall instant: the wall-clock guards would refuse the valid ones
    limiters = LimiterRegistry(LiveBridge(max_pubs_per_second=10**6, max_events_per_wall_second=0).config.transport)
    conn = _fresh(session, limiters)
    for item in fuzzing.inputs(rng, session, n, closing_rate=0.01):
        pieces = fuzzing.split(rng, item.data)
        assert _parse(pieces) == _parse([item.data]), item
        result = Result()
        for piece in pieces:
            _merge(result, conn.receive(piece, now=0.0))
        for filler in FILLERS:
            if result.close is not None:
                break
            step = conn.receive(filler, now=0.0)
            _merge(result, step)
            if codec.PONG in step.send:
                break
        assert result.close is not None or result.send[-1:] == [codec.PONG], "the input swallowed every filler"
        replies = _server_lines(b"".join(result.send))
        assert all(isinstance(r, codec.Err | codec.Pong | codec.Ok | codec.Msg) for r in replies), replies
        assert sum(isinstance(r, codec.Err) for r in replies) == len(result.violations)
        if not (result.publish or result.violations or result.close):
            assert fuzzing.benign(item.data, session), item
        if item.kind == "valid":
            assert [p.batch.get("vertical") for p in result.publish] == [item.marker]
        if result.close is not None:
            conn = _fresh(session, limiters)


def _merge(into: Result, step: Result) -> None:
    into.send += step.send
    into.publish += step.publish
    into.violations += step.violations
    into.close = into.close or step.close


def _fresh(session: str, limiters: LimiterRegistry) -> BridgeConnection:
    conn = BridgeConnection(peer_ip="127.0.0.1", user_agent=USER_AGENT, config=limiters.config,
                            limiters=limiters, tenants={fuzzing.TENANT})
    conn.receive(codec.encode_connect({"tenant_id": fuzzing.TENANT, "session_id": session, "verbose": False}))
    return conn


def test_codec_and_connection_fuzz_5000():
    _codec_fuzz(5_000, seed=1)


@pytest.mark.slow
def test_codec_and_connection_fuzz_100000():
    _codec_fuzz(100_000, seed=2)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=5))
def test_any_bytes_cut_anywhere_parse_the_same_and_never_raise(data, cuts):
    points = sorted({c for c in cuts if c <= len(data)})
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert _parse(pieces) == _parse([data])
    conn = BridgeConnection(peer_ip="x")
    for piece in pieces:
        conn.receive(piece, now=0.0)


# --- live -----------------------------------------------------------------------------------------
class _Worker:
    """One client and its twin; reconnects (same session) whenever the bridge closes it."""

    def __init__(self, bridge: LiveBridge, session: str, rng: random.Random) -> None:
        self.bridge, self.session, self.rng = bridge, session, rng
        self.limiters = LimiterRegistry(bridge.config.transport)
        self.published: list[str] = []  # markers the twin published, in order
        self.counts = {"inputs": 0, "closes": 0, "errors": 0}

    async def connect(self) -> None:
        self.ws = await websockets.connect(self.bridge.url, compression=None, user_agent_header=USER_AGENT,
                                           ping_interval=None, max_size=None)
        self.twin = _fresh(self.session, self.limiters)
        hello = codec.encode_connect({"tenant_id": fuzzing.TENANT, "session_id": self.session, "verbose": False})
        await self.ws.send(hello + codec.PING)
        await self._expect(self.twin.greeting() + codec.PONG)

    async def _expect(self, expected: bytes) -> None:
        got = b""
        async with asyncio.timeout(REPLY_TIMEOUT):
            while len(got) < len(expected):
                got += await self.ws.recv()
        assert got == expected, (got[:300], expected[:300])

    async def run(self, items: list[fuzzing.Input]) -> None:
        await self.connect()
        for item in items:
            await self.feed(item)
        await self.ws.close()

    async def feed(self, item: fuzzing.Input) -> None:
        self.counts["inputs"] += 1
        expected, published, errors = b"", 0, 0
        pieces = fuzzing.split(self.rng, item.data)
        for piece in pieces:
            result = self.twin.receive(piece, now=0.0)
            expected += b"".join(result.send)
            published += len(result.publish)
            errors += len(result.violations)
            self.published += [p.batch.get("vertical") for p in result.publish]
        for filler in FILLERS:
            if self.twin.closed is not None:
                break
            result = self.twin.receive(filler, now=0.0)
            expected += b"".join(result.send)
            errors += len(result.violations)
            published += len(result.publish)  # e.g. a payload cut 2 bytes short, ended by the filler's CRLF
            self.published += [p.batch.get("vertical") for p in result.publish]
            pieces.append(filler)
            if codec.PONG in result.send:
                break
        assert self.twin.closed is not None or expected.endswith(codec.PONG), "the input swallowed every filler"
        for piece in pieces:
            await self.ws.send(piece)
        await self._expect(expected)
        closed = self.twin.closed
        if item.kind == "valid":
            assert published == 1, "a valid batch among the junk was refused"
        if not (published or errors or closed):
            assert fuzzing.benign(item.data, self.session), item
        self.counts["errors"] += errors
        if closed is not None:
            with pytest.raises(websockets.ConnectionClosed) as info:
                async with asyncio.timeout(REPLY_TIMEOUT):
                    await self.ws.recv()
            assert info.value.rcvd is not None and info.value.rcvd.code == 1008
            assert info.value.rcvd.reason == closed
            self.counts["closes"] += 1
            await self.connect()


async def _live_fuzz(n: int, seed: int, caplog: pytest.LogCaptureFixture, workers: int = 8) -> None:
    bridge = await LiveBridge(max_pubs_per_second=10**6, max_events_per_wall_second=0).start()
    try:
        rng = random.Random(seed)
        crew = [_Worker(bridge, f"sq_fuzz_{i}", random.Random(rng.random())) for i in range(workers)]
        with caplog.at_level(logging.WARNING):
            await asyncio.gather(*(w.run(fuzzing.inputs(w.rng, w.session, n // workers)) for w in crew))
            await bridge.bus.drain()
        for w in crew:  # the bus got exactly what the twin published, in order
            on_bus = [d.get("vertical") for _, d in bridge.telemetry.got if d["sessionId"] == w.session]
            assert on_bus == w.published
        assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
        assert sum(w.counts["inputs"] for w in crew) == n // workers * workers
        assert sum(w.counts["closes"] for w in crew) >= 1 and sum(w.counts["errors"] for w in crew) > n // 4
        assert bridge.server.violations.total() >= sum(w.counts["errors"] for w in crew)
        assert sum(len(w.published) for w in crew) > n // 10
    finally:
        await bridge.stop()


async def test_live_bridge_fuzz_5000(caplog):
    await _live_fuzz(5_000, seed=3, caplog=caplog)


@pytest.mark.slow
async def test_live_bridge_fuzz_100000(caplog):
    await _live_fuzz(100_000, seed=4, caplog=caplog, workers=16)


def test_generated_inputs_are_varied():
    """The generators themselves: all kinds appear, valid frames are valid, mutations differ."""
    rng = random.Random(5)
    items = fuzzing.inputs(rng, "sq_x", 2000)
    kinds = {i.kind for i in items}
    assert kinds == {"valid", "mutated", "junk", "closing"}
    for item in items:
        if item.kind == "valid":
            (pub,) = _server_lines(item.data)
            assert orjson.loads(pub.payload)["vertical"] == item.marker
    assert sum(i.data != fuzzing.valid("sq_x", 0).data for i in items if i.kind == "mutated") > 800
