"""Lanes: a subscription handled concurrently across keys, in order within each, on both buses."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from workbench.bus import Bus, InProcessBus, session_of_subject
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
        if session_of_subject(subject, payload) == self.held:
            await self.gate.wait()
        self.got.append((session_of_subject(subject, payload), payload))


async def until(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def test_a_waiting_session_holds_up_only_its_own_messages(bus: Bus) -> None:
    handler = Gated(held="slow")
    await bus.subscribe("x.*", handler, lane=session_of_subject)
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
        await bus.publish(f"done.{session_of_subject(subject, payload)}", payload)

    async def record(subject: str, payload: bytes) -> None:
        done.append((session_of_subject(subject, payload), int(payload)))

    await bus.subscribe("work.*", relay, lane=session_of_subject)
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

    await bus.subscribe("x.*", handler, lane=session_of_subject)
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

    await bus.subscribe("x", handler, lane=key)
    for payload in (b"a:s1", b"junk", b"b:s1", b"more junk"):
        await bus.publish("x", payload)
    await bus.drain()
    assert sorted(got) == sorted([b"a:s1", b"junk", b"b:s1", b"more junk"])
    assert got.index(b"junk") < got.index(b"more junk") and got.index(b"a:s1") < got.index(b"b:s1")


async def test_unsubscribe_waits_for_the_lanes(bus: Bus) -> None:
    handler = Gated(held="slow")
    sub = await bus.subscribe("x.*", handler, lane=session_of_subject)
    await bus.publish("x.slow", b"0")
    leaving = asyncio.create_task(sub.unsubscribe())
    await asyncio.sleep(0.05)
    assert not leaving.done()  # what was published before is still handled, lanes included
    handler.gate.set()
    await leaving
    assert handler.got == [("slow", b"0")]
