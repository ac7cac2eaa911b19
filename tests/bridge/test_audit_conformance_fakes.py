"""The conformance suite against fake bridges that misbehave in one way each: a case must not pass
against a bridge that does nothing, a target that is no bridge is an infrastructure error, the
JUnit file survives whatever a bridge says, and no connection outlives its case."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from aiohttp import web

from workbench import conformance as suite
from workbench.bridge import codec
from workbench.cli.common import ExitCode
from workbench.cli.main import main

INFO = b'INFO {"server_id":"fake","version":"0","proto":1,"max_payload":1048576}\r\n'
REFUSAL_CASES = {"4.2/1", "4.6/1", "4.6/2", "4.6/3", "4.6/4", "10.4/1"}
Reply = Callable[[Any, codec.Event], Any]


class Fake:
    """A NATS-framed WebSocket server whose answer to each command is ``reply``; counts live connections."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.live = 0

    async def handle(self, ws: Any) -> None:
        self.live += 1
        try:
            await ws.send(INFO)
            parser = codec.NatsParser(max_payload=10**9)
            async for frame in ws:
                parser.receive_data(frame)
                for event in parser.events_received():
                    await self.reply(ws, event)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.live -= 1


async def _basic(ws: Any, event: codec.Event) -> bool:
    """+OK and PONG as a bridge gives them; True when the event was one of those."""
    if isinstance(event, codec.Connect):
        await ws.send(b"+OK\r\n")
    elif isinstance(event, codec.Ping):
        await ws.send(b"PONG\r\n")
    else:
        return False
    return True


async def refuse_every_pub(ws: Any, event: codec.Event) -> None:
    """Refuses every PUB, valid or not, with control characters in its -ERR."""
    if not await _basic(ws, event) and isinstance(event, codec.Pub):
        await ws.send(b"-ERR 'refused \x01\x1b[31m'\r\n")


async def close_on_every_pub(ws: Any, event: codec.Event) -> None:
    """Closes the connection on any PUB: a bridge that forwards nothing."""
    if not await _basic(ws, event) and isinstance(event, codec.Pub):
        await ws.close()


async def refuse_connect(ws: Any, event: codec.Event) -> None:
    """Refuses CONNECT, as a bridge does for a tenant it does not serve."""
    if isinstance(event, codec.Connect):
        await ws.send(b"-ERR 'Authorization Violation'\r\n")
    elif isinstance(event, codec.Ping):
        await ws.send(b"PONG\r\n")


@asynccontextmanager
async def serving(handler: Callable[[Any], Any]) -> AsyncIterator[str]:
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/bridge"


def _by_id(results: list[suite.CaseResult]) -> dict[str, suite.CaseResult]:
    return {r.id: r for r in results}


async def test_a_bridge_that_refuses_every_pub_fails_every_refusal_case():
    fake = Fake(refuse_every_pub)
    async with serving(fake.handle) as url:
        results = _by_id(await suite.run_cases(suite.Probe(url, "org_workbench", timeout_s=3.0)))
    assert {i for i, r in results.items() if r.verdict == suite.PASS} == {"2.3/1", "4.1/1", "4.1/2", "4.1/3"}
    for case in REFUSAL_CASES:
        assert results[case].verdict == suite.FAIL, results[case]
        assert "a valid batch was refused too" in results[case].actual


async def test_a_bridge_that_closes_on_every_pub_fails_every_refusal_case():
    fake = Fake(close_on_every_pub)
    async with serving(fake.handle) as url:
        results = _by_id(await suite.run_cases(suite.Probe(url, "org_workbench", timeout_s=3.0)))
    for case in REFUSAL_CASES:
        assert results[case].verdict == suite.FAIL, results[case]
        assert "(the bridge closed the connection)" in results[case].actual


async def test_control_characters_from_a_bridge_leave_the_junit_file_readable():
    fake = Fake(refuse_every_pub)
    async with serving(fake.handle) as url:
        results = await suite.run_cases(suite.Probe(url, "org_workbench", timeout_s=3.0))
    root = ET.fromstring(suite.to_junit(results, target=url))
    text = "".join((f.get("message") or "") + (f.text or "") for f in root.iter("failure"))
    assert "refused \\x01\\x1b[31m" in text


async def test_a_refused_handshake_leaves_no_connection_open():
    fake = Fake(refuse_connect)
    async with serving(fake.handle) as url:
        results = await suite.run_cases(suite.Probe(url, "org_workbench", timeout_s=3.0))
        await asyncio.sleep(0.3)
        assert fake.live == 0
    assert "the bridge refused CONNECT" in _by_id(results)["4.1/3"].actual


async def _silent(ws: Any) -> None:
    """Upgrades, then says nothing: a hung bridge."""
    await asyncio.sleep(60)


async def _echo(ws: Any) -> None:
    """A plain echo WebSocket: not a bridge."""
    async for frame in ws:
        await ws.send(frame)


def _cli_against(url: str, capsys: Any) -> tuple[int, str, float]:
    started = time.monotonic()
    code = main(["conformance", url])
    return code, capsys.readouterr().err, time.monotonic() - started


def _in_thread(handler: Callable[[Any], Any], body: Callable[[str], Any]) -> Any:
    """Serve ``handler`` on a loop in another thread while ``body(url)`` runs the (synchronous) CLI."""
    import threading

    ready: list[str] = []
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def serve() -> None:
        async with serving(handler) as url:
            ready.append(url)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    while not ready:
        time.sleep(0.01)
    try:
        return body(ready[0])
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)


@pytest.mark.slow  # two targets, each waited on for the suite's whole timeout (~20 s)
def test_a_websocket_that_says_nothing_after_the_upgrade_is_an_infrastructure_error(capsys):
    for handler in (_silent, _echo):
        code, err, took = _in_thread(handler, lambda url: _cli_against(url, capsys))
        assert code == ExitCode.INFRASTRUCTURE, (handler, err)
        assert "cannot reach the bridge at" in err and "not a NATS-framed bridge" in err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert took < 30


def test_an_http_server_is_an_infrastructure_error(capsys):
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    def body(port: int) -> tuple[int, str, float]:
        return _cli_against(f"ws://127.0.0.1:{port}/bridge", capsys)

    async def run() -> tuple[int, str, float]:
        app = web.Application()
        app.router.add_get("/bridge", page)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            return await asyncio.to_thread(body, port)
        finally:
            await runner.cleanup()

    code, err, _ = asyncio.run(run())
    assert code == ExitCode.INFRASTRUCTURE and "cannot reach the bridge at" in err and "Traceback" not in err


async def _chatty(ws: Any) -> None:
    """INFO, then +OK twice a second forever, and never a PONG: a bridge stuck in a loop."""
    await ws.send(INFO)
    while True:
        try:
            await ws.send(b"+OK\r\n")
        except websockets.ConnectionClosed:
            return
        await asyncio.sleep(0.2)


async def test_a_bridge_that_chatters_but_never_answers_ping_cannot_hold_a_case_forever():
    async with serving(_chatty) as url:
        probe = suite.Probe(url, "org_workbench", timeout_s=1.0)
        case = tuple(c for c in suite.CASES if c.id == "4.1/3")
        [result] = await asyncio.wait_for(suite.run_cases(probe, case), 20)
    assert result.verdict == suite.FAIL and "within 1 s" in result.actual, result


def test_a_url_of_the_wrong_scheme_is_a_usage_error_naming_the_option(capsys):
    assert main(["conformance", "http://127.0.0.1:1/bridge"]) == ExitCode.USAGE
    assert "URL 'http://127.0.0.1:1/bridge': must start with ws:// or wss://" in capsys.readouterr().err
    assert main(["conformance", "--post-url", "ws://127.0.0.1:1/batch"]) == ExitCode.USAGE
    assert "--post-url" in capsys.readouterr().err


async def ping_first(ws: Any, event: codec.Event) -> None:
    """Sends its own PING (as nats-server does every ping_interval) and an INFO update before each PONG."""
    if isinstance(event, codec.Ping):
        await ws.send(b"PING\r\n" + INFO + b"PONG\r\n")
    elif isinstance(event, codec.Connect):
        await ws.send(b"+OK\r\n")


async def test_a_ping_or_info_from_the_bridge_before_its_pong_is_not_a_missing_pong():
    fake = Fake(ping_first)
    async with serving(fake.handle) as url:
        case = tuple(c for c in suite.CASES if c.id == "4.1/3")
        [result] = await suite.run_cases(suite.Probe(url, "org_workbench", timeout_s=3.0), case)
    assert result.verdict == suite.PASS and result.actual == "PONG", result
