"""Lanes: a subscription handled concurrently across keys, in order within each, on both buses."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from workbench.bus import Bus, InProcessBus, Lanes, session_key
from workbench.natsbus import EmbeddedNatsServer, NatsBus


@pytest.fixture(params=["memory", "nats"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    if request.param == "memory":
        memory = InProcessBus()
        yield memory
        await memory.close()
        return
    async with EmbeddedNatsServer() as server:
        nbus = await NatsBus.connect(server.url)
        try:
            yield nbus
        finally:
            await nbus.close()


class Gated:
    """Records messages; those of session ``held`` wait until the gate opens."""

    def __init__(self, held: str) -> None:
        self.held, self.gate, self.got = held, asyncio.Event(), []

    async def __call__(self, subject: str, payload: bytes) -> None:
        if session_key(subject, payload) == self.held:
            await self.gate.wait()
        self.got.append((session_key(subject, payload), payload))


async def until(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def test_a_waiting_session_holds_up_only_its_own_messages(bus: Bus) -> None:
    handler = Gated(held="slow")
    await bus.subscribe("x.*", handler, lanes=Lanes(session_key))
    for i, session in enumerate(["slow", "fast", "slow", "fast", "other"]):
        await bus.publish(f"x.{session}", str(i).encode())
    await until(lambda: len(handler.got) == 3)
    assert handler.got == [("fast", b"1"), ("fast", b"3"), ("other", b"4")]
    drained = asyncio.create_task(bus.drain())
    await asyncio.sleep(0.05)
    assert not drained.done()  # drain covers messages still waiting in a lane
    handler.gate.set()
    await drained
    assert handler.got[3:] == [("slow", b"0"), ("slow", b"2")]  # the held lane kept its order


async def test_without_lanes_one_waiting_message_holds_up_all(bus: Bus) -> None:
    # the contrast that makes the lanes worth having
    handler = Gated(held="slow")
    await bus.subscribe("x.*", handler)
    await bus.publish("x.slow", b"0")
    await bus.publish("x.fast", b"1")
    await asyncio.sleep(0.1)
    assert handler.got == []
    handler.gate.set()
    await bus.drain()
    assert handler.got == [("slow", b"0"), ("fast", b"1")]


async def test_each_lane_keeps_order_and_drain_covers_follow_ups(bus: Bus) -> None:
    done: list[tuple[str, int]] = []

    async def relay(subject: str, payload: bytes) -> None:
        await asyncio.sleep(0.001 * (hash(subject) % 3))
        await bus.publish(f"done.{session_key(subject, payload)}", payload)

    async def record(subject: str, payload: bytes) -> None:
        done.append((session_key(subject, payload), int(payload)))

    await bus.subscribe("work.*", relay, lanes=Lanes(session_key))
    await bus.subscribe("done.*", record)
    for i in range(60):
        await bus.publish(f"work.s{i % 4}", str(i).encode())
    await bus.drain()
    assert len(done) == 60
    for s in range(4):
        assert [i for key, i in done if key == f"s{s}"] == list(range(s, 60, 4))


async def test_a_failing_message_does_not_stop_its_lane(bus: Bus, caplog: pytest.LogCaptureFixture) -> None:
    got = []

    async def handler(subject: str, payload: bytes) -> None:
        if payload == b"boom":
            raise ValueError("handler bug")
        got.append(payload)

    await bus.subscribe("x.*", handler, lanes=Lanes(session_key))
    with caplog.at_level(logging.ERROR):
        for payload in (b"1", b"boom", b"2"):
            await bus.publish("x.s", payload)
        await bus.drain()
    assert got == [b"1", b"2"] and "handler bug" in caplog.text


async def test_an_unreadable_key_shares_one_lane_and_reaches_the_handler(bus: Bus) -> None:
    got = []

    def key(subject: str, payload: bytes) -> str:
        return payload.decode().split(":")[1]  # "junk" has no key: IndexError

    async def handler(subject: str, payload: bytes) -> None:
        got.append(payload)

    await bus.subscribe("x", handler, lanes=Lanes(key))
    for payload in (b"a:s1", b"junk", b"b:s1", b"more junk"):
        await bus.publish("x", payload)
    await bus.drain()
    assert sorted(got) == sorted([b"a:s1", b"junk", b"b:s1", b"more junk"])
    assert got.index(b"junk") < got.index(b"more junk") and got.index(b"a:s1") < got.index(b"b:s1")


async def test_unsubscribe_waits_for_the_lanes(bus: Bus) -> None:
    handler = Gated(held="slow")
    sub = await bus.subscribe("x.*", handler, lanes=Lanes(session_key))
    await bus.publish("x.slow", b"0")
    leaving = asyncio.create_task(sub.unsubscribe())
    await asyncio.sleep(0.05)
    assert not leaving.done()  # what was published before is still handled, lanes included
    handler.gate.set()
    await leaving
    assert handler.got == [("slow", b"0")]


async def test_when_nothing_waits_messages_are_handled_in_the_order_they_came(bus: Bus) -> None:
    # Shared state (Seer's seeded bandit, the cross-session statistics) must see one order, whether the
    # messages came in a burst or one at a time: a lane per key must not regroup a burst by key.
    got = []

    async def handler(subject: str, payload: bytes) -> None:
        got.append(payload)

    await bus.subscribe("x.*", handler, lanes=Lanes(session_key))
    sent = [(f"x.{key}", f"{key}{i}".encode()) for i in range(20) for key in "ABC"]
    for subject, payload in sent:
        await bus.publish(subject, payload)
    await bus.drain()
    burst = list(got)
    got.clear()
    for subject, payload in sent:
        await bus.publish(subject, payload)
        await bus.drain()
    assert burst == got == [payload for _, payload in sent]


async def test_subscriptions_that_share_lanes_are_ordered_together_per_key(bus: Bus) -> None:
    gate, got = asyncio.Event(), []

    async def packet(subject: str, payload: bytes) -> None:
        if payload == b"slow packet":
            await gate.wait()
        got.append(payload)

    async def close(subject: str, payload: bytes) -> None:
        got.append(payload)

    lanes = Lanes(session_key)
    await bus.subscribe("packet.*", packet, lanes=lanes)
    await bus.subscribe("close.*", close, lanes=lanes)
    await bus.publish("packet.s1", b"slow packet")
    await bus.publish("packet.s2", b"other packet")
    await until(lambda: got == [b"other packet"])
    await bus.publish("close.s1", b"close s1")  # must not overtake the packet of s1 handed over before it
    await bus.publish("close.s2", b"close s2")
    await until(lambda: len(got) == 2)
    assert got == [b"other packet", b"close s2"]
    gate.set()
    await bus.drain()
    assert got[2:] == [b"slow packet", b"close s1"]


async def test_a_cancelled_message_does_not_stop_its_key(bus: Bus) -> None:
    hung: list[asyncio.Task] = []
    got = []

    async def handler(subject: str, payload: bytes) -> None:
        if payload == b"hangs":
            hung.append(asyncio.current_task())
            await asyncio.Event().wait()
        got.append(payload)

    await bus.subscribe("x.*", handler, lanes=Lanes(session_key))
    await bus.publish("x.s", b"hangs")
    await bus.publish("x.s", b"next")
    await until(lambda: bool(hung))
    hung[0].cancel()  # e.g. a run stopped while a call was out
    async with asyncio.timeout(5):
        await bus.drain()
    assert got == [b"next"]
    await bus.publish("x.s", b"later")
    await bus.drain()
    assert got == [b"next", b"later"]


async def test_nats_lanes_hold_a_bounded_backlog(monkeypatch: pytest.MonkeyPatch) -> None:
    # Beyond the bound, delivery waits, so what is not taken stays in nats-py's queue, whose limits
    # (the slow-consumer protection) apply again.
    from workbench import natsbus

    monkeypatch.setattr(natsbus._NatsSubscription, "MAX_IN_LANES", 4)
    handler = Gated(held="slow")
    async with EmbeddedNatsServer() as server:
        nbus = await NatsBus.connect(server.url)
        sub = await nbus.subscribe("x.*", handler, lanes=Lanes(session_key))
        for i in range(10):
            await nbus.publish("x.slow", str(i).encode())
        await until(lambda: sub.sub.pending_msgs > 0)  # type: ignore[attr-defined]
        assert sub.in_lanes == 4  # type: ignore[attr-defined]
        handler.gate.set()
        await nbus.drain()
        assert [int(p) for _, p in handler.got] == list(range(10))
        await nbus.close()


@pytest.mark.parametrize("lanes", [False, True], ids=["queue", "lanes"])
async def test_settle_waits_for_a_sessions_messages_and_their_follow_ups_only(bus: Bus, lanes: bool) -> None:
    # what a virtual clock waits for before it runs the page on: the batch, the packet the engine
    # publishes about it, and the answer after that, all of one session; another session's stay pending
    answered: list[str] = []
    gate = asyncio.Event()

    async def engine(subject: str, payload: bytes) -> None:
        await asyncio.sleep(0.05)  # wall time over a batch
        await bus.publish(f"seer.t.intervention.request.{session_key(subject, payload)}", b"{}")

    async def seer(subject: str, payload: bytes) -> None:
        if subject.endswith(".s2"):
            await gate.wait()
        answered.append(subject.rsplit(".", 1)[-1])

    await bus.subscribe("telemetry.*", engine, lanes=Lanes(session_key) if lanes else None)
    await bus.subscribe("seer.*.intervention.request.*", seer, lanes=Lanes(session_key) if lanes else None)
    await asyncio.wait_for(bus.settle("s1"), 5)  # nothing about it yet
    await bus.publish("telemetry.raw", b'{"sessionId": "s1"}')
    await bus.publish("telemetry.raw", b'{"sessionId": "s2"}')
    try:
        await asyncio.wait_for(bus.settle("s1"), 5)
        assert "s1" in answered, "settle() returned before the session's answer was handled"
        held = asyncio.ensure_future(bus.settle("s2"))
        await asyncio.sleep(0.2)
        assert not held.done()  # s2's answer waits at the gate
    finally:
        gate.set()
    await asyncio.wait_for(held, 5)
    assert answered.count("s2") == 1


async def test_a_handler_that_lets_out_a_cancelled_error_it_was_not_sent_keeps_its_subscription(bus: Bus) -> None:
    # A handler that awaited a task cancelled elsewhere raises CancelledError; without lanes that ended the
    # subscription's delivery task, and drain() then waited forever for the messages behind it
    got: list[bytes] = []

    async def handler(subject: str, payload: bytes) -> None:
        if payload == b"first":
            elsewhere = asyncio.get_running_loop().create_future()
            elsewhere.cancel()
            await elsewhere
        got.append(payload)

    await bus.subscribe("telemetry.raw", handler)
    await bus.publish("telemetry.raw", b"first")
    await bus.publish("telemetry.raw", b"second")
    async with asyncio.timeout(10):
        await bus.drain()
    assert got == [b"second"]
