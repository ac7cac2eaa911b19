"""The conformance suite passes a bridge for the rule a case names and for nothing else: each fake here
breaks :class:`~tests.bridge.conformance_fakes.FakeBridge` (a small correct bridge) in one way, and the case
must see it; or keeps it correct in a way the spec allows, and the case must not hold that against it."""

from __future__ import annotations

import asyncio
import json
import math
import re
import socket
import time
from collections import defaultdict
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
import websockets

from tests.bridge.conformance_fakes import Bucket, FakeBridge, run
from workbench import conformance as suite
from workbench.bridge import codec
from workbench.cli.common import ExitCode
from workbench.cli.main import main

# a suite run against each broken bridge: about a minute in all, so `make test-all` (the cases' verdicts on our
# bridge and on stock nats-server stay in the default run: test_conformance_suite.py)
pytestmark = pytest.mark.slow

REFUSALS = ("4.2/1", "4.6/1", "4.6/2", "4.6/3", "4.6/4", "10.4/1")
FLOODS = ("4.6/2", "4.6/3", "4.6/4")
JUDGED = {c.id for c in suite.CASES if c.level != suite.MAY}


@pytest.fixture
def quick_refill(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bridge here holds nothing across connections unless a test says so: no need to wait for it."""
    monkeypatch.setattr(suite, "REFILL_WAIT_S", 0.2, raising=False)


async def test_the_correct_fake_passes_every_judged_case():
    results = await run(FakeBridge())
    assert {i for i, r in results.items() if r.verdict == suite.PASS} == JUDGED, results


# --- a refusal is the rule's only when a valid batch in its place is taken (finding 1) ----------------

class EnforcesNothing(FakeBridge):
    """Forwards every PUB, whatever its subject, size, tenant or rate."""

    async def pub(self, ws: Any, conn: dict[str, Any], event: codec.Pub) -> None:
        batch = orjson.loads(event.payload)
        batch["ip"] = self.client_ip(ws)
        await self.forward(batch)


class DropsTheSecondPub(EnforcesNothing):
    """...and a handler bug drops the connection at the second PUB of every connection."""

    async def pub(self, ws: Any, conn: dict[str, Any], event: codec.Pub) -> None:
        if conn["pubs"] > 1:
            ws.transport.abort()
            return
        await super().pub(ws, conn, event)


class RefusesTheSecondPub(EnforcesNothing):
    """...and answers the second PUB of every connection with -ERR."""

    async def pub(self, ws: Any, conn: dict[str, Any], event: codec.Pub) -> None:
        if conn["pubs"] == 2:
            await ws.send(b"-ERR 'Internal Error'\r\n")
            return
        await super().pub(ws, conn, event)


@pytest.mark.parametrize("bridge", [DropsTheSecondPub, RefusesTheSecondPub])
async def test_a_bridge_that_enforces_nothing_but_fails_every_second_pub_fails_every_refusal_case(bridge, quick_refill):
    results = await run(bridge(), *REFUSALS)
    for case in REFUSALS:
        assert results[case].verdict == suite.FAIL, results[case]


# --- a flood is refused by the limit, where the limit is crossed (finding 2) -------------------------

class ClockChecked(FakeBridge):
    """The correct fake, and a session's timestamps may neither go backwards nor be in the future."""

    def check_clock(self, batch: dict[str, Any], conn: dict[str, Any]) -> str | None:
        stamps = [e["timestamp"] for e in batch["events"]] + [batch["timestamp"]]
        if conn["newest"] is not None and min(stamps) < conn["newest"]:
            return "Timestamp Violation: clock went backwards"
        if max(stamps) > time.time() * 1000:
            return "Timestamp Violation: in the future"
        conn["newest"] = max(stamps)
        return None


class ClockCheckedNoRateLimit(ClockChecked):
    def rate(self, ws: Any, conn: dict[str, Any], batch: dict[str, Any]) -> str | None:
        return None


async def test_a_flood_is_stamped_in_order_and_never_in_the_future():
    results = await run(ClockChecked(), *FLOODS)
    for case in FLOODS:
        assert results[case].verdict == suite.PASS and "Rate Limit" in results[case].actual, results[case]
        assert "Timestamp" not in results[case].actual, results[case]


async def test_a_clock_check_is_not_a_rate_limit():
    results = await run(ClockCheckedNoRateLimit(), *FLOODS)
    for case in FLOODS:
        assert results[case].verdict == suite.FAIL and results[case].actual == "every batch accepted", results[case]


class PubsNotEvents(FakeBridge):
    """10 PUBs a wall second per connection and 100 events of a type per event second: one PUB of 600
    events of 8 types goes through, 4,000 events a second from one producer."""

    def rate(self, ws: Any, conn: dict[str, Any], batch: dict[str, Any]) -> str | None:
        now = time.monotonic()
        frames = conn.setdefault("frames", [])
        frames[:] = [t for t in frames if t > now - 1.0]
        if len(frames) >= 10:
            return "Rate Limit Exceeded: more than 10 PUBs a second"
        frames.append(now)
        counted = conn.setdefault("types", defaultdict(int))
        add: dict[tuple[int, str], int] = defaultdict(int)
        for e in batch["events"]:
            add[(math.floor(e["timestamp"] / 1000), e["type"])] += 1
        if any(counted[k] + n > 100 for k, n in add.items()):
            return "Rate Limit Exceeded (type)"
        for k, n in add.items():
            counted[k] += n
        return None


async def test_a_limit_on_pubs_alone_fails_the_producer_rate_case():
    results = await run(PubsNotEvents(), "4.6/2")
    assert results["4.6/2"].verdict == suite.FAIL, results["4.6/2"]
    assert "one PUB of 600 events: accepted" in results["4.6/2"].actual


class StrictBurst(FakeBridge):
    """A wall-clock bucket of 500 a second that holds only 100: a flood of 150 events in a few ms is
    refused, though 4.6's producer may send 500 in a second."""

    def rate(self, ws: Any, conn: dict[str, Any], batch: dict[str, Any]) -> str | None:
        self.wall.setdefault(self.limit_key(ws, conn), Bucket(500, 100))
        return super().rate(ws, conn, batch)


async def test_a_refusal_well_under_the_reference_limit_is_not_that_limit(quick_refill):
    results = await run(StrictBurst(), "4.6/2", "4.6/3")
    for case in ("4.6/2", "4.6/3"):
        assert results[case].verdict == suite.FAIL, results[case]
        # at 108 events, or 158 when the bucket refilled 16 ms' worth between two batches on a busy host
        refused_at = re.search(r"refused at (\d+) events", results[case].actual)
        assert refused_at and int(refused_at.group(1)) < 500, results[case].actual
        assert "under the reference 500" in results[case].actual


# --- a refused batch must not reach the bus (finding 3) ------------------------------------------------

class AdvisoryLimit(FakeBridge):
    """Answers -ERR for a batch over a rate limit, and forwards it all the same."""

    async def on_refusal(self, ws: Any, conn: dict[str, Any], message: str, batch: dict[str, Any] | None) -> None:
        await super().on_refusal(ws, conn, message, batch)
        if batch is not None and message.startswith("Rate Limit"):
            batch["ip"] = self.client_ip(ws)
            await self.forward(batch)


async def test_an_advisory_rate_limit_fails_the_rate_cases():
    results = await run(AdvisoryLimit(), *FLOODS)
    for case in FLOODS:
        assert results[case].verdict == suite.FAIL, results[case]
        assert "reached the bus all the same" in results[case].actual or "forwarded to the bus all the same" in \
            results[case].actual, results[case]


# --- the oversize batch differs from a valid one in its size alone (finding 4) -----------------------

ENVELOPE = {"type", "events", "sessionId", "tenantId", "vertical", "pageContent", "timestamp", "ip"}


class UnknownFieldsRefusedNoSizeLimit(FakeBridge):
    max_size = None

    def check_schema(self, batch: dict[str, Any]) -> str | None:
        extra = set(batch) - ENVELOPE
        return f"Invalid Batch: unknown field(s) {sorted(extra)}" if extra else None


class SmallerLimit(FakeBridge):
    max_size = 40_000


@pytest.mark.parametrize("bridge", [UnknownFieldsRefusedNoSizeLimit, SmallerLimit])
async def test_the_size_case_judges_the_size_alone(bridge):
    results = await run(bridge(), "4.6/1")
    assert results["4.6/1"].verdict == suite.FAIL, results["4.6/1"]


async def test_the_size_case_sends_exactly_the_reference_size_and_one_byte_more():
    bridge = FakeBridge()
    sizes: list[int] = []
    pub = bridge.pub

    async def spy(ws: Any, conn: dict[str, Any], event: codec.Pub) -> None:
        sizes.append(len(event.payload))
        await pub(ws, conn, event)

    bridge.pub = spy  # type: ignore[method-assign]
    results = await run(bridge, "4.6/1")
    assert results["4.6/1"].verdict == suite.PASS, results["4.6/1"]
    assert {50_000, 50_001} <= set(sizes)


# --- a bridge that never answers PING cannot hold a case (finding 5) ---------------------------------

class StuckReaderWithKeepalive(FakeBridge):
    """Its read loop stops after the handshake's PING, while its keepalive task sends PING every 0.3 s."""

    async def command(self, ws: Any, conn: dict[str, Any], event: Any) -> None:
        if isinstance(event, codec.Ping):
            conn["pings"] = conn.get("pings", 0) + 1
            if conn["pings"] > 1:
                return
        await super().command(ws, conn, event)
        if isinstance(event, codec.Connect):
            async def keepalive() -> None:
                while True:
                    await asyncio.sleep(0.3)
                    await ws.send(b"PING\r\n")

            conn["task"] = asyncio.create_task(keepalive())


async def test_a_bridge_that_pings_but_never_answers_cannot_hold_the_ping_case():
    started = time.monotonic()
    results = await run(StuckReaderWithKeepalive(), "4.1/3", timeout_s=1.0, within_s=15)
    assert results["4.1/3"].verdict == suite.FAIL and "within 1 s" in results["4.1/3"].actual, results["4.1/3"]
    assert time.monotonic() - started < 5


# --- limits held across connections do not leak from case to case (finding 6) -------------------------

class PerIpWithPenalty(FakeBridge):
    """Section 4.6's limits per IP (12.3 allows it), and a client that broke one held off for ``penalty_s``."""

    def __init__(self, penalty_s: float) -> None:
        super().__init__()
        self.penalty_s = penalty_s
        self.until: dict[str, float] = {}

    def limit_key(self, ws: Any, conn: dict[str, Any]) -> Any:
        return ws.remote_address[0]

    def rate(self, ws: Any, conn: dict[str, Any], batch: dict[str, Any]) -> str | None:
        ip = ws.remote_address[0]
        if time.monotonic() < self.until.get(ip, 0):
            return "Rate Limit Exceeded (penalty)"
        why = super().rate(ws, conn, batch)
        if why:
            self.until[ip] = time.monotonic() + self.penalty_s
        return why


@pytest.mark.parametrize("penalty_s", [0.0, 0.5])
async def test_a_per_ip_limit_is_given_time_to_refill_between_cases(penalty_s, monkeypatch):
    monkeypatch.setattr(suite, "REFILL_WAIT_S", 1.2, raising=False)
    results = await run(PerIpWithPenalty(penalty_s), "4.6/2", "4.6/3", "4.6/4", "10.4/1")
    assert {i for i, r in results.items() if r.verdict == suite.PASS} == {"4.6/2", "4.6/3", "4.6/4", "10.4/1"}, \
        results


async def test_a_limit_held_longer_than_the_suite_waits_is_not_judged(monkeypatch):
    monkeypatch.setattr(suite, "REFILL_WAIT_S", 0.5, raising=False)
    results = await run(PerIpWithPenalty(30.0), "4.6/2", "4.6/3", "4.6/4", "10.4/1")
    assert results["4.6/3"].verdict == suite.PASS and results["10.4/1"].verdict == suite.PASS, results
    for case in ("4.6/2", "4.6/4"):
        assert results[case].verdict == suite.INFO, results[case]
        assert "cannot be judged here" in results[case].actual


# --- 4.5: the IP the bridge sees, however the client claims another (finding 7) ----------------------

class RefusesSelfReportedIp(FakeBridge):
    def check_schema(self, batch: dict[str, Any]) -> str | None:
        return "Invalid Batch: clients must not self-report an IP (section 4.5)" if "ip" in batch else None


class BelievesAnyForwardedFor(FakeBridge):
    def client_ip(self, ws: Any) -> str:
        forwarded = ws.request.headers.get("X-Forwarded-For")
        return forwarded.split(",")[0].strip() if forwarded else str(ws.remote_address[0])


async def test_refusing_a_self_reported_ip_passes_the_ip_case():
    results = await run(RefusesSelfReportedIp(), "4.5/1")
    assert results["4.5/1"].verdict == suite.PASS, results["4.5/1"]
    assert results["4.5/1"].actual.startswith("forwarded with ip 127.0.0.1; the batch that claimed 203.0.113.66: "
                                              "-ERR 'Invalid Batch")


async def test_believing_anyones_x_forwarded_for_fails_the_ip_case():
    results = await run(BelievesAnyForwardedFor(), "4.5/1")
    assert results["4.5/1"].verdict == suite.FAIL, results["4.5/1"]
    assert "X-Forwarded-For: 203.0.113.66 believed" in results["4.5/1"].actual
    trusted = await run(BelievesAnyForwardedFor(), "4.5/1", trusted_proxy=True)
    assert trusted["4.5/1"].verdict == suite.PASS, trusted["4.5/1"]
    assert trusted["4.5/1"].actual == ("forwarded with ip 127.0.0.1; X-Forwarded-For: 203.0.113.66 believed, "
                                       "as from a trusted proxy (--trusted-proxy)")


def test_our_bridge_believes_x_forwarded_for_only_when_configured_to(tmp_path):
    doc = tmp_path / "c.json"

    def verdicts(*args: str) -> tuple[int, dict[str, Any]]:
        code = main(["conformance", *args, "--json", str(doc)])
        return code, {r["id"]: r for r in json.loads(doc.read_text())["results"]}

    code, default = verdicts()
    assert code == ExitCode.OK and default["4.5/1"]["verdict"] == suite.PASS
    proxied = ["--set", 'transport.trusted_proxies=["127.0.0.1/32"]']
    code, results = verdicts(*proxied)
    assert code == ExitCode.FAILED and {i for i, r in results.items() if r["verdict"] == suite.FAIL} == {"4.5/1"}
    code, results = verdicts(*proxied, "--trusted-proxy")
    assert code == ExitCode.OK and results["4.5/1"]["verdict"] == suite.PASS, results["4.5/1"]


# --- a whitelist, not a blacklist (finding 8) ----------------------------------------------------------

class Blacklist(FakeBridge):
    def whitelisted(self, subject: str) -> bool:
        return not subject.startswith("emotions.")


async def test_a_blacklist_fails_the_whitelist_case():
    results = await run(Blacklist(), "4.2/1")
    assert results["4.2/1"].verdict == suite.FAIL, results["4.2/1"]
    assert "no -ERR for seer, bot, telemetry.raw.x, telemetry.>, _INBOX.x" in results["4.2/1"].actual


# --- a bridge that closes the connection on a flood (finding 9) ---------------------------------------

class AbortOnLimit(FakeBridge):
    """-ERR for a batch over a rate limit, then the TCP connection dropped (answers in flight may be lost)."""

    async def on_refusal(self, ws: Any, conn: dict[str, Any], message: str, batch: dict[str, Any] | None) -> None:
        await super().on_refusal(ws, conn, message, batch)
        if message.startswith("Rate Limit"):
            ws.transport.abort()


class CloseOnLimit(FakeBridge):
    """-ERR for a batch over a rate limit, then a WebSocket close (and no more reading until it is done)."""

    async def on_refusal(self, ws: Any, conn: dict[str, Any], message: str, batch: dict[str, Any] | None) -> None:
        await super().on_refusal(ws, conn, message, batch)
        if message.startswith("Rate Limit"):
            await ws.close(1008, "Rate Limit Exceeded")


@pytest.fixture
def narrow_window(monkeypatch: pytest.MonkeyPatch) -> int:
    """The suite's sockets send through a 4 KiB buffer (and the fake reads through one), as over a network: a
    flood's sends then wait for the bridge, which may close the connection while they wait."""
    connect = websockets.connect

    def narrow(uri: str, **kwargs: Any) -> Any:
        where = urlsplit(uri)
        sock = socket.create_connection((where.hostname, where.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        return connect(uri, sock=sock, **kwargs)

    monkeypatch.setattr(websockets, "connect", narrow)
    return 4096


@pytest.mark.parametrize("bridge", [AbortOnLimit, CloseOnLimit])
async def test_a_bridge_that_closes_on_a_flood_passes_the_rate_cases(bridge, quick_refill):
    results = await run(bridge(), *FLOODS, within_s=60)
    for case in FLOODS:
        assert results[case].verdict == suite.PASS, results[case]


@pytest.mark.parametrize("bridge", [AbortOnLimit, CloseOnLimit])
async def test_a_bridge_that_closes_while_the_flood_is_still_being_sent_passes_the_rate_cases(bridge, narrow_window,
                                                                                               quick_refill):
    results = await run(bridge(), *FLOODS, within_s=60, rcvbuf=narrow_window)
    for case in FLOODS:
        assert results[case].verdict == suite.PASS, results[case]


async def test_a_bridge_that_stops_reading_cannot_hold_a_flood(narrow_window):
    """Its read loop stalls after the first batch: the flood's sends cannot all go out."""

    release = asyncio.Event()

    class StallsAfterFirstBatch(FakeBridge):
        """Answers the PING after the valid batch, then its read loop stalls (its bus publish blocked, say)."""

        async def command(self, ws: Any, conn: dict[str, Any], event: Any) -> None:
            await super().command(ws, conn, event)
            if isinstance(event, codec.Ping) and self.tap.batches:
                await release.wait()

    bridge = StallsAfterFirstBatch()
    async with bridge.serving(rcvbuf=narrow_window):
        probe = suite.Probe(bridge.url, bridge.tenant, bridge.tap, timeout_s=1.0)
        started = time.monotonic()
        try:
            [result] = await asyncio.wait_for(
                suite.run_cases(probe, tuple(c for c in suite.CASES if c.id == "4.6/3")), 20)
        finally:
            release.set()  # else the server waits for its stalled handler for ever on the way out
    assert result.verdict == suite.FAIL and "NoReply" in result.actual, result
    assert time.monotonic() - started < 10


# --- what the spec says, and only that (finding 10) ---------------------------------------------------

class NoVersion(FakeBridge):
    info = b'INFO {"server_id":"fake","proto":1,"max_payload":50000}\r\n'


async def test_an_info_without_version_is_non_strict():
    results = await run(NoVersion(), "4.1/1")
    assert results["4.1/1"].verdict == suite.NON_STRICT and results["4.1/1"].actual == "INFO without version"


class ClosesAfterARefusal(FakeBridge):
    """Closes the connection after any refusal, as nats-server does for some errors: the spec leaves it open."""

    async def on_refusal(self, ws: Any, conn: dict[str, Any], message: str, batch: dict[str, Any] | None) -> None:
        await super().on_refusal(ws, conn, message, batch)
        await ws.close()


async def test_what_the_spec_does_not_ask_of_a_bridge_is_recorded_not_judged():
    """No HTTP POST endpoint (2.3 and 12.3 give a bridge none), a connection closed after a refusal:
    a conforming bridge, even with --strict."""
    results = await run(ClosesAfterARefusal())
    assert results["4.4/1"].verdict == suite.INFO and "POST" in results["4.4/1"].actual, results["4.4/1"]
    assert results["4.2/2"].verdict == suite.INFO, results["4.2/2"]
    assert suite.failed(list(results.values()), strict=True) == [], results
