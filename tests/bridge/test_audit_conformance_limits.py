"""The conformance suite judges each limit by itself, and does not mistake a slow bus for a bridge
that forwards nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import orjson
import websockets

from workbench import conformance as suite
from workbench.bridge import codec
from workbench.cli.common import ExitCode
from workbench.cli.main import main

INFO = b'INFO {"server_id":"slow","version":"0","proto":1,"max_payload":1048576}\r\n'


def test_a_per_type_limit_alone_does_not_pass_the_per_producer_rate_case(tmp_path):
    """With the producer's 500 a second switched off on both clocks, only the 100-per-type limit is
    left: a flood of one event type would still be refused, by the wrong limit."""
    doc = tmp_path / "c.json"
    assert main(["conformance", "--set", "transport.max_events_per_second=100000",
                 "--set", "transport.max_events_per_wall_second=0", "--json", str(doc)]) == ExitCode.FAILED
    verdicts = {r["id"]: r for r in json.loads(doc.read_text())["results"]}
    assert verdicts["4.6/2"]["verdict"] == suite.FAIL, verdicts["4.6/2"]
    assert verdicts["4.6/2"]["actual"] == "every batch accepted"


class SlowBus:
    """A bridge that injects the IP it sees, and whose bus delivers to the tap ``delay_s`` later."""

    def __init__(self, tap: suite.Tap, delay_s: float) -> None:
        self.tap, self.delay_s = tap, delay_s
        self.pending: set[asyncio.Task[None]] = set()

    async def handle(self, ws: Any) -> None:
        await ws.send(INFO)
        parser = codec.NatsParser(max_payload=10**9)
        async for frame in ws:
            parser.receive_data(frame)
            for event in parser.events_received():
                if isinstance(event, codec.Connect):
                    await ws.send(b"+OK\r\n")
                elif isinstance(event, codec.Ping):
                    await ws.send(b"PONG\r\n")
                elif isinstance(event, codec.Pub):
                    batch = orjson.loads(event.payload) | {"ip": ws.remote_address[0]}
                    task = asyncio.create_task(self.forward(event.subject, orjson.dumps(batch)))
                    self.pending.add(task)
                    task.add_done_callback(self.pending.discard)

    async def forward(self, subject: str, payload: bytes) -> None:
        await asyncio.sleep(self.delay_s)
        await self.tap(subject, payload)


async def test_a_bus_slower_than_the_settle_does_not_fail_the_ip_case():
    tap = suite.Tap()
    bus = SlowBus(tap, delay_s=1.0)
    async with websockets.serve(bus.handle, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/bridge"
        probe = suite.Probe(url, "org_workbench", tap, timeout_s=5.0)
        [result] = await suite.run_cases(probe, tuple(c for c in suite.CASES if c.id == "4.5/1"))
    assert result.verdict == suite.PASS, result
    assert result.actual == "forwarded with ip 127.0.0.1"


class PlaceholderIp(SlowBus):
    """A bridge that overwrites the claimed IP with a placeholder, not with the client's address."""

    async def forward(self, subject: str, payload: bytes) -> None:
        await self.tap(subject, orjson.dumps(orjson.loads(payload) | {"ip": "unknown"}))


async def test_a_placeholder_in_place_of_the_clients_ip_fails_the_ip_case():
    tap = suite.Tap()
    async with websockets.serve(PlaceholderIp(tap, 0).handle, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/bridge"
        probe = suite.Probe(url, "org_workbench", tap, timeout_s=5.0)
        [result] = await suite.run_cases(probe, tuple(c for c in suite.CASES if c.id == "4.5/1"))
    assert result.verdict == suite.FAIL and result.actual == "forwarded with ip unknown", result

