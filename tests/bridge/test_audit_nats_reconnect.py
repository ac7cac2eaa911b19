"""The NATS bus across outages: how long it reconnects, what it buffers, what it counts as lost. Real nats-server.

Companion of test_audit_nats_outage (whose FixedPortServer restarts a server on the same port)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable

import nats
import pytest

from tests.natsserver import FixedPortServer
from workbench.errors import BusError
from workbench.natsbus import NatsBus


class Recorder:
    def __init__(self) -> None:
        self.got: list[bytes] = []

    async def __call__(self, subject: str, payload: bytes) -> None:
        self.got.append(payload)


async def _eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def _lost_count(exc: BusError) -> int:
    found = re.search(r"up to (\d+) message", str(exc))
    assert found, f"no count in {exc}"
    return int(found.group(1))


@pytest.mark.slow  # the server stays away 7 s: longer than the bus's old ~5.5 s reconnect window
async def test_a_broker_restart_of_several_seconds_is_survived_by_default(fixed_nats: FixedPortServer) -> None:
    bus = await NatsBus.connect(fixed_nats.url)
    got = Recorder()
    try:
        await bus.subscribe("a.>", got)
        await fixed_nats.kill()
        await asyncio.sleep(7)
        assert not bus.lost.is_set(), f"gave up during a 7 s restart: {bus.failure}"
        await fixed_nats.start()
        await bus.publish("a.x", b"after")
        await asyncio.wait_for(bus.drain(), 15)
        assert got.got == [b"after"] and not bus.lost.is_set()
    finally:
        await bus.close()


async def test_a_server_gone_for_good_is_lost_after_the_window_which_the_reason_names(
        fixed_nats: FixedPortServer) -> None:
    bus = await NatsBus.connect(fixed_nats.url, reconnect_window=1.5)
    try:
        await bus.subscribe("a.>", Recorder())
        started = time.monotonic()  # before the kill: the window cannot start earlier, may start during it
        await fixed_nats.kill()
        await asyncio.wait_for(bus.lost.wait(), 10)
        assert 1.3 < time.monotonic() - started < 4
        assert bus.failure is not None and fixed_nats.url in str(bus.failure) and "1.5 s" in str(bus.failure)
        with pytest.raises(BusError, match="1.5 s"):
            await bus.publish("a.x", b"late")
        assert bus.nc.is_closed  # nats-py stops trying too
    finally:
        await asyncio.wait_for(bus.close(), 10)


async def test_the_lost_count_of_a_long_run_covers_the_last_moments_not_the_whole_run(
        fixed_nats: FixedPortServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # serve never drains: the count was everything published since the start ("up to 2005" for 5 at risk)
    monkeypatch.setattr(NatsBus, "CONFIRM_INTERVAL", 0.05, raising=False)
    bus = await NatsBus.connect(fixed_nats.url)
    got = Recorder()
    try:
        await bus.subscribe("a.>", got)
        for i in range(2000):
            await bus.publish("a.x", str(i).encode())
        await _eventually(lambda: len(got.got) == 2000)
        await asyncio.sleep(0.5)  # long after they were handled
        fixed_nats.kill_now()
        for _ in range(5):  # into a socket whose peer is dead
            await bus.publish("a.x", b"late")
        await fixed_nats.kill()
        await fixed_nats.start()
        with pytest.raises(BusError) as caught:
            await asyncio.wait_for(bus.drain(), 15)
        assert 1 <= _lost_count(caught.value) <= 5, str(caught.value)
        await bus.publish("a.x", b"after")  # reported once
        await asyncio.wait_for(bus.drain(), 15)
    finally:
        await bus.close()


async def test_losses_of_two_drops_add_up_once_each(
        fixed_nats: FixedPortServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(NatsBus, "CONFIRM_INTERVAL", 0.05, raising=False)
    bus = await NatsBus.connect(fixed_nats.url)
    got = Recorder()
    try:
        await bus.subscribe("a.>", got)
        for burst in (3, 4):
            await bus.publish("a.x", b"mark")
            await _eventually(lambda: got.got[-1:] == [b"mark"])
            await asyncio.sleep(0.3)  # confirmed, as in a run that never drains
            fixed_nats.kill_now()
            for _ in range(burst):
                await bus.publish("a.x", b"late")
            await fixed_nats.kill()
            await fixed_nats.start()
            await _eventually(lambda: bus.nc.is_connected)
        with pytest.raises(BusError) as caught:
            await asyncio.wait_for(bus.drain(), 15)
        assert _lost_count(caught.value) == 7, str(caught.value)
    finally:
        await bus.close()


async def test_publishes_while_the_server_is_away_wait_and_arrive_once(fixed_nats: FixedPortServer) -> None:
    # nats-py buffers them and replays only its buffer after the reconnect: nothing twice (Seer would answer twice)
    bus = await NatsBus.connect(fixed_nats.url)
    got = Recorder()
    try:
        await bus.subscribe("a.>", got)
        for i in range(50):
            await bus.publish("a.x", f"before {i}".encode())
        await bus.drain()
        await fixed_nats.kill()
        await _eventually(lambda: not bus.nc.is_connected)
        for i in range(20):
            await bus.publish("a.x", f"during {i}".encode())
        await asyncio.sleep(1.2)  # a few reconnect attempts
        await fixed_nats.start()
        await asyncio.wait_for(bus.drain(), 15)  # nothing was at risk: nothing to report
        assert got.got == [f"before {i}".encode() for i in range(50)] + [f"during {i}".encode() for i in range(20)]
    finally:
        await bus.close()


async def test_a_publish_the_reconnect_buffer_cannot_take_says_why(fixed_nats: FixedPortServer,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(NatsBus, "RECONNECT_BUFFER", 64 * 1024, raising=False)
    bus = await NatsBus.connect(fixed_nats.url)
    got = Recorder()
    try:
        await bus.subscribe("a.>", got)
        await fixed_nats.kill()
        await _eventually(lambda: not bus.nc.is_connected)
        taken = 0
        with pytest.raises(BusError) as caught:
            for _ in range(1000):
                await bus.publish("a.x", b"x" * 10_000)
                taken += 1
        assert 3 <= taken <= 7, "the buffer is bounded by RECONNECT_BUFFER"
        said = str(caught.value)
        assert fixed_nats.url in said and "reconnect buffer" in said and "full" in said, said
        await fixed_nats.start()
        await asyncio.wait_for(bus.drain(), 15)
        assert len(got.got) == taken  # what the buffer took arrives
    finally:
        await bus.close()


async def test_drain_while_the_server_is_away_returns_at_once_when_all_is_confirmed(
        fixed_nats: FixedPortServer) -> None:
    # a SIGTERM during an outage drains the bus: it waited barrier_timeout for a server that is not there
    bus = await NatsBus.connect(fixed_nats.url)
    got = Recorder()
    try:
        await bus.subscribe("a.>", got)
        await bus.publish("a.x", b"handled")
        await bus.drain()
        await fixed_nats.kill()
        await _eventually(lambda: not bus.nc.is_connected)
        started = time.monotonic()
        await asyncio.wait_for(bus.drain(), 15)
        assert time.monotonic() - started < 0.5
        assert got.got == [b"handled"]
    finally:
        started = time.monotonic()
        await bus.close()
        assert time.monotonic() - started < 2


async def test_drain_while_the_server_is_away_says_so_when_publishes_are_unconfirmed(
        fixed_nats: FixedPortServer) -> None:
    bus = await NatsBus.connect(fixed_nats.url)
    bus.barrier_timeout = 0.5
    try:
        await bus.subscribe("a.>", Recorder())
        await fixed_nats.kill()
        await _eventually(lambda: not bus.nc.is_connected)
        await bus.publish("a.x", b"buffered")
        with pytest.raises(BusError, match=r"down for [\d.]+ s \(still reconnecting\)"):
            await asyncio.wait_for(bus.drain(), 5)
    finally:
        await bus.close()


async def test_drain_covers_what_another_connection_got_the_server_to_take_first(fixed_nats: FixedPortServer) -> None:
    # the docstring's promise for foreign publishes: a publisher that got its PONG before we drain is covered
    bus = await NatsBus.connect(fixed_nats.url)
    got = Recorder()
    other = await nats.connect(fixed_nats.url, allow_reconnect=False)
    try:
        await bus.subscribe("a.>", got)
        for i in range(300):
            await other.publish("a.x", str(i).encode())
        await other.flush()
        await bus.drain()
        assert got.got == [str(i).encode() for i in range(300)]
    finally:
        await other.close()
        await bus.close()


async def test_a_subscriber_that_keeps_dropping_is_logged_again_later(fixed_nats: FixedPortServer,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    # serve never drains, so the first drop of a run was the only one ever logged
    monkeypatch.setattr(NatsBus, "PENDING_MSGS_LIMIT", 20)
    monkeypatch.setattr(NatsBus, "DROP_LOG_INTERVAL", 0.3, raising=False)

    async def slow(subject: str, payload: bytes) -> None:
        await asyncio.sleep(0.002)

    bus = await NatsBus.connect(fixed_nats.url)
    try:
        await bus.subscribe("big", slow)
        with caplog.at_level(logging.WARNING, logger="workbench.natsbus"):
            for _ in range(2):
                for i in range(300):
                    await bus.publish("big", str(i).encode())
                await asyncio.sleep(1.0)
        said = [r.getMessage() for r in caplog.records if "cannot keep up" in r.getMessage()]
        assert len(said) == 2, said
        with pytest.raises(BusError, match="dropped"):
            await bus.drain()
    finally:
        await bus.close()
