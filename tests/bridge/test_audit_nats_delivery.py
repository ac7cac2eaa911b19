"""What the NATS bus promises about delivery: slow consumers and subjects. Real nats-server.

settle() and a handler that lets out a CancelledError are tested on both buses in test_bus_lanes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from workbench.bus import bot_detection, emotions_profile, intervention_request
from workbench.errors import BusError, WorkbenchError
from workbench.natsbus import EmbeddedNatsServer, NatsBus


@pytest.fixture
async def bus() -> AsyncIterator[NatsBus]:
    async with EmbeddedNatsServer() as server:
        nbus = await NatsBus.connect(server.url)
        try:
            yield nbus
        finally:
            await asyncio.wait_for(nbus.close(), 10)


async def test_a_slow_consumer_drop_is_reported_once(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    # nats-py drops what a subscription's pending queue cannot hold; drain() must not call that "handled"
    monkeypatch.setattr(NatsBus, "PENDING_MSGS_LIMIT", 20)
    handled: list[bytes] = []

    async def slow(subject: str, payload: bytes) -> None:
        await asyncio.sleep(0.002)
        handled.append(payload)

    async with EmbeddedNatsServer() as server:
        nbus = await NatsBus.connect(server.url)
        try:
            await nbus.subscribe("big", slow)
            with caplog.at_level(logging.WARNING, logger="workbench.natsbus"):
                for i in range(500):
                    await nbus.publish("big", str(i).encode())
                with pytest.raises(BusError, match=r"'big'.*dropped"):
                    await asyncio.wait_for(nbus.drain(), 30)
            assert len(handled) < 500
            assert len(caplog.records) <= 2, "one log line per dropped message floods the log"
            handled.clear()
            await nbus.publish("big", b"after")  # reported once; the subscription still works
            await asyncio.wait_for(nbus.drain(), 10)
            assert handled == [b"after"]
        finally:
            await nbus.close()


@pytest.mark.parametrize("subject", [
    intervention_request("t", "*"), intervention_request("t", ">"), bot_detection("*", "s"), bot_detection(">", "s"),
    intervention_request("t", ""), "a..b", ".a", "trail.", intervention_request("t", "a b"),
    intervention_request("t", "a\tb"), intervention_request("t", "a\r\nPUB x 1\r\n"),
    intervention_request("t", "a\x00"),
])
async def test_publish_refuses_a_subject_that_is_not_one_literal_subject(bus: NatsBus, subject: str) -> None:
    got: list[str] = []

    async def everything(subj: str, payload: bytes) -> None:
        got.append(subj)

    await bus.subscribe(">", everything)
    with pytest.raises(WorkbenchError, match="subject"):
        await bus.publish(subject, b"{}")
    await bus.publish(emotions_profile("t", "s"), b"{}")
    await bus.drain()
    assert got == ["emotions.t.s"] and bus.nc.is_connected


async def test_a_payload_over_max_payload_is_refused_with_both_sizes() -> None:
    async with EmbeddedNatsServer(max_payload=1024) as server:
        nbus = await NatsBus.connect(server.url)
        got: list[bytes] = []

        async def record(subject: str, payload: bytes) -> None:
            got.append(payload)

        try:
            await nbus.subscribe("x", record)
            with pytest.raises(BusError, match=r"publish.*\b2048\b.*\b1024\b"):
                await nbus.publish("x", b"x" * 2048)
            await nbus.publish("x", b"x" * 1024)  # the limit itself is fine
            await nbus.drain()
            assert got == [b"x" * 1024]
        finally:
            await nbus.close()
