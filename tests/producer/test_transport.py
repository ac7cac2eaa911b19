"""Producer transport: NATS handshake over WebSocket, envelope shape, framing, batching limits,
buffer cap, reconnect and the HTTP POST / sendBeacon fallbacks (spec 4.1 - 4.4)."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from producer_harness import MockBridge, make_config, wait_until, walk_keys

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.browser]

ENVELOPE_KEYS = {"type", "events", "sessionId", "tenantId", "vertical", "pageContent", "timestamp"}
EVENT_KEYS = {"type", "data", "timestamp", "currentSection"}


async def test_handshake_and_envelope_shape(open_site):
    site = await open_site()  # INFO arrives in a BINARY frame (like nats-server)
    bridge = site.bridge
    sid = await site.eitp("sessionId")
    assert re.fullmatch(r"sq_\d{13}_[0-9a-z]{9}", sid), sid
    assert await site.eitp("tenantId") == "org_workbench"

    assert bridge.connects == [{
        "tenant_id": "org_workbench", "session_id": sid, "verbose": False, "pedantic": False,
        "lang": "eitp-js", "version": "1.1",
    }]
    assert bridge.subs == [(f"seer.org_workbench.intervention.request.{sid}", "1")]
    assert bridge.protocol_errors == []

    # The first batch goes out right after the handshake and carries the connection event.
    pub = bridge.pubs[0]
    assert pub.subject == "telemetry.raw"
    assert pub.size == len(pub.raw)  # declared size is the UTF-8 byte length
    batch = pub.payload
    assert set(batch) == ENVELOPE_KEYS
    assert batch["type"] == "telemetry_batch"
    assert batch["sessionId"] == sid and batch["tenantId"] == "org_workbench"
    assert batch["vertical"] == "rv_dealer"
    assert isinstance(batch["timestamp"], int)
    for ev in batch["events"]:
        assert set(ev) == EVENT_KEYS
    conn = [e for e in batch["events"] if e["type"] == "connection"]
    assert len(conn) == 1
    assert set(conn[0]["data"]) == {"userAgent", "viewport", "referrer"}
    assert conn[0]["data"]["viewport"] == {"width": 1280, "height": 800}
    assert conn[0]["currentSection"] == "hero"
    assert not [k for k in walk_keys(batch) if k.lower() in ("ip", "ipaddress", "clientip", "ip_address")]

    pc = batch["pageContent"]
    assert pc["pageTitle"] == "2024 Arctic Wolf 3650SUITE | Prosser's Premium RV"
    assert pc["h1"] == "2024 Cherokee Arctic Wolf 3650SUITE"
    assert "Specifications" in pc["headings"] and len(pc["headings"]) <= 8
    assert pc["tables"][0]["headers"] == ["Spec", "Value"]
    assert 8 <= len(pc["tables"][0]["rows"]) <= 15
    assert ["Length", "39ft 10in"] in pc["tables"][0]["rows"]
    vehicle = next(s for s in pc["structuredData"] if s["type"] == "Vehicle")
    assert vehicle["price"] == "$59,995" and vehicle["priceCurrency"] == "USD"
    assert vehicle["vehicleModelDate"] == "2024" and vehicle["name"]
    assert any(s["type"] == "FAQPage" for s in pc["structuredData"])
    assert pc["meta"]["description"].startswith("2024 Cherokee Arctic Wolf")
    assert "Arctic Wolf 3650SUITE" in pc["meta"]["keywords"]
    assert "four-season fifth wheel" in pc["visibleContent"]

    stats = await site.stats()
    assert stats["connection"] == "open" and stats["transport"] == "ws"
    assert stats["batchesSent"] == len(bridge.pubs) and stats["events"]["connection"] == 1
    assert stats["bytesSent"] == sum(p.size for p in bridge.pubs)

    # public API shape
    api = await site.page.evaluate(
        "() => ({keys: Object.keys(window.EITP), cfg: window.EITP.config})")
    for key in ("sessionId", "tenantId", "track", "flush", "stats", "config"):
        assert key in api["keys"]
    assert api["cfg"]["signal"]["samplingHz"] == 20 and api["cfg"]["transport"]["batchSize"] == 50


async def test_query_params_override_session_and_tenant(open_site):
    site = await open_site("/rv/?eitp_session=sq_test_abc123&eitp_tenant=org_query")
    b = site.bridge
    assert b.connects[0]["session_id"] == "sq_test_abc123"
    assert b.connects[0]["tenant_id"] == "org_query"
    assert b.subs[0][0] == "seer.org_query.intervention.request.sq_test_abc123"
    assert b.pubs[0].payload["tenantId"] == "org_query"
    assert b.pubs[0].payload["sessionId"] == "sq_test_abc123"


async def test_session_id_from_config_and_persisted(open_site, static_server):
    site = await open_site(config=make_config(sessionId="sq_from_config_1", tenantId="org_cfg"))
    assert site.bridge.connects[0]["session_id"] == "sq_from_config_1"
    assert site.bridge.connects[0]["tenant_id"] == "org_cfg"

    site2 = await open_site()
    first = await site2.eitp("sessionId")
    await site2.page.reload()
    await site2.page.wait_for_function("() => !!(window.EITP && window.EITP.sessionId)")
    assert await site2.eitp("sessionId") == first  # persisted in sessionStorage


async def test_framing_split_frames_ping_err_and_intervention(open_site):
    bridge = MockBridge(info_binary=False, split_info=True)  # INFO split over two TEXT frames
    site = await open_site(bridge=bridge)
    sid = await site.eitp("sessionId")
    bridge.info_binary = True  # the rest goes as binary frames
    message = "Choosing between these two can feel tough \u2014 want me to break down the differences? \U0001F690"
    body = json.dumps({"message": message}, ensure_ascii=False).encode()
    frame = (b"PING\r\n-ERR 'Unknown Protocol Operation'\r\n"
             + f"MSG seer.org_workbench.intervention.request.{sid} 1 {len(body)}\r\n".encode() + body + b"\r\n")
    # split in awkward places, including inside the multi-byte UTF-8 payload
    cuts = [3, 9, len(frame) - len(body) - 4, len(frame) - 5]
    prev = 0
    for cut in cuts + [len(frame)]:
        bridge.send(frame[prev:cut])
        prev = cut

    await site.page.wait_for_selector("#seer-chat", state="visible", timeout=5000)
    assert await site.page.locator("#seer-chat-log").inner_text() == message
    await wait_until(lambda: bridge.pongs >= 1, message="PONG from producer")
    stats = await site.stats()
    assert stats["errors"] == 1 and stats["interventions"] == 1

    # a second MSG in the same frame as a PING, text frame this time
    bridge.info_binary = False
    site.bridge.send(b"PING\r\nMSG x 1 19\r\n{\"message\":\"Hi \xc3\xa9\"}\r\n")
    await wait_until(lambda: bridge.pongs >= 2, message="second PONG")
    await site.page.wait_for_function(
        "() => document.querySelectorAll('#seer-chat-log .chat-msg').length === 2")
    await site.page.click("#seer-chat-close")
    assert await site.page.locator("#seer-chat").is_hidden()


async def test_established_on_pong_without_ok(open_site):
    """A real nats-server (verbose:false) sends no +OK: the PING after CONNECT establishes."""
    bridge = MockBridge(reply_ok=False)
    site = await open_site(bridge=bridge, wait_connected=False)
    await wait_until(lambda: bridge.subs and bridge.pubs, message="SUB + PUB after PONG")
    assert (await site.stats())["connection"] == "open"


async def test_batch_size_and_message_bytes_limits(open_site):
    cfg = make_config(transport={"batchSize": 10, "maxMessageBytes": 6000})
    site = await open_site(config=cfg, clock=True)
    await site.page.evaluate("""() => {
        for (let i = 0; i < 25; i++) window.EITP.track('custom_test', {i, blob: 'x'.repeat(400)});
        window.EITP.flush('test');
    }""")
    await wait_until(lambda: sum(1 for _ in site.bridge.events("custom_test")) == 25, message="25 events")
    for pub in site.bridge.pubs:
        assert len(pub.payload["events"]) <= 10
        header = f"PUB telemetry.raw {pub.size}\r\n".encode()
        assert len(header) + pub.size + 2 <= 6000
    assert [e["data"]["i"] for e in site.bridge.events("custom_test")] == list(range(25))
    assert len(site.bridge.pubs) >= 4  # 25 events in batches of <= 10, some split for size


async def test_buffer_cap_drops_oldest_while_disconnected(open_site):
    bridge = MockBridge(reply_ok=False, reply_pong=False)  # handshake never completes
    cfg = make_config(transport={"maxBuffer": 50})
    site = await open_site(config=cfg, clock=True, bridge=bridge, wait_connected=False)
    await wait_until(lambda: bridge.connects, message="CONNECT")
    await site.page.evaluate("() => { for (let i = 0; i < 80; i++) window.EITP.track('custom_test', {i}); }")
    await site.tick(3500)  # interval flush cannot send: still queued
    assert bridge.pubs == []
    stats = await site.stats()
    assert stats["buffered"] == 50
    assert stats["drops"] >= 31  # connection event + custom 0..29 dropped (plus any mouse-free extras)
    bridge.send(b"+OK\r\n")  # handshake completes -> queued events flushed
    await wait_until(lambda: bridge.pubs, message="flush after connect")
    got = [e["data"]["i"] for e in bridge.events("custom_test")]
    assert got == list(range(30, 80))


async def test_reconnect_after_close_and_queue(open_site):
    cfg = make_config(transport={"reconnectBaseMs": 50, "reconnectMaxMs": 100})
    site = await open_site(config=cfg)
    bridge = site.bridge
    await bridge.ws.close()
    await wait_until(lambda: (bridge.connections == 1), message="closed")
    await site.page.evaluate("() => window.EITP.track('while_down', {n: 1})")
    await wait_until(lambda: bridge.connections == 2 and len(bridge.connects) == 2, timeout=5,
                     message="reconnect")
    await wait_until(lambda: bridge.events("while_down"), timeout=5, message="queued event delivered")
    assert len(bridge.subs) == 2


async def test_http_post_fallback_after_max_attempts(open_site, static_server):
    cfg = make_config(bridgeUrl="ws://127.0.0.1:9/bridge",
                      transport={"reconnectBaseMs": 10, "reconnectMaxMs": 20, "reconnectMaxAttempts": 1,
                                 "flushIntervalMs": 200})
    site = await open_site(config=cfg, route_ws=False, wait_connected=False)
    sid = await site.eitp("sessionId")

    def mine():
        return [p for p in static_server.posts if json.loads(p["body"]).get("sessionId") == sid]

    await wait_until(mine, timeout=6, message="HTTP POST fallback")
    post = mine()[0]
    assert post["content_type"].startswith("application/json")
    batch = json.loads(post["body"])
    assert set(batch) == ENVELOPE_KEYS
    assert batch["events"][0]["type"] == "connection"
    stats = await site.stats()
    assert stats["transport"] == "http" and stats["connection"] == "http"
    await site.page.evaluate("() => { window.EITP.track('after_fallback', {}); window.EITP.flush('t'); }")
    await wait_until(lambda: any(e["type"] == "after_fallback" for p in mine()
                                 for e in json.loads(p["body"])["events"]), message="later batch via POST")


async def test_send_beacon_on_hidden_when_socket_not_open(open_site, static_server):
    bridge = MockBridge(reply_ok=False, reply_pong=False)
    site = await open_site(bridge=bridge, wait_connected=False)
    sid = await site.eitp("sessionId")
    await site.page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    await wait_until(lambda: [p for p in static_server.posts if json.loads(p["body"]).get("sessionId") == sid],
                     message="beacon")
    body = next(json.loads(p["body"]) for p in static_server.posts if json.loads(p["body"]).get("sessionId") == sid)
    assert [e["type"] for e in body["events"]] == ["connection", "tab_switch"]
    assert (await site.stats())["beacons"] == 1
    assert bridge.pubs == []


async def test_keepalive_ping(open_site):
    site = await open_site(config=make_config(transport={"keepaliveMs": 1000}), clock=True)
    for n in range(1, 4):
        expected = site.bridge.pings + 1
        await site.tick(1000)
        await wait_until(lambda e=expected: site.bridge.pings == e, message=f"keepalive PING {n}")
        await site.pongs_received(expected)  # before the next tick
    stats = await site.stats()
    assert stats["connection"] == "open" and stats["pongsReceived"] >= 4
    assert site.bridge.connections == 1


async def test_keepalive_timeout_reconnects(open_site):
    bridge = MockBridge()
    cfg = make_config(transport={"keepaliveMs": 1000, "reconnectBaseMs": 100})
    site = await open_site(config=cfg, clock=True, bridge=bridge)
    bridge.reply_pong = False
    # PING at 1 s, unanswered at the 2 s and 3 s ticks -> closed at 3 s (a single unanswered tick is
    # not enough: test_keepalive_virtual_time.py)
    await site.tick(3100)
    # the page schedules its reconnect once the close has come back to it
    await site.page.wait_for_function("() => window.EITP.stats().connection === 'reconnecting'", polling=10)
    await site.tick(1200)  # reconnect delay (<= 100 + 1000 jitter)
    await wait_until(lambda: bridge.connections == 2, message="reconnect after keepalive timeout")


async def test_stop_discards_what_is_unsent_closes_for_good_and_sends_nothing_after(open_site):
    # section 10.5: consent is the implementer's; withdrawing it must stop the collection at once
    cfg = make_config(transport={"reconnectBaseMs": 50, "reconnectMaxMs": 100, "flushIntervalMs": 60_000})
    site = await open_site(config=cfg)
    bridge = site.bridge
    await wait_until(lambda: bridge.pubs, message="first batch")
    sent_before = len(bridge.pubs)
    await site.page.evaluate("() => window.EITP.track('before_stop', {n: 1})")  # buffered, not yet sent
    assert await site.page.evaluate("() => window.EITP.stop()") is True
    await wait_until(lambda: bridge.closes, message="the page closed the socket")
    assert bridge.closes == [(1000, "stopped")]
    stats = await site.stats()
    assert stats["stopped"] and stats["discarded"] >= 1 and stats["buffered"] == 0 and not stats["open"]
    # nothing is tracked, flushed or reconnected afterwards
    assert await site.page.evaluate("() => window.EITP.track('after_stop', {n: 2})") is False
    assert await site.page.evaluate("() => window.EITP.flush('manual')") == 0
    await site.page.mouse.move(300, 300)
    await site.page.mouse.move(600, 420)
    await asyncio.sleep(0.5)  # longer than the reconnect delay
    assert bridge.connections == 1 and len(bridge.pubs) == sent_before
    assert not bridge.events("before_stop") and not bridge.events("after_stop")
    assert await site.page.evaluate("() => window.EITP.stop()") is False  # once


async def test_stop_also_cancels_http_posts_queued_behind_one_in_flight(open_site):
    # HTTP fallback sends one POST at a time; those queued behind it when stop() comes are never sent
    cfg = make_config(transport={"reconnectBaseMs": 10, "reconnectMaxMs": 10, "reconnectMaxAttempts": 1,
                                 "flushIntervalMs": 60_000})
    bridge = MockBridge()
    site = await open_site(config=cfg, bridge=bridge)
    page = site.page
    requests: list[dict] = []
    release = asyncio.Event()

    async def hold(route):
        requests.append(route.request.post_data_json)
        if len(requests) == 1:
            await release.wait()  # the first POST stays in flight
        await route.fulfill(status=204, body="")

    await page.route("**/bridge/batch", hold)
    bridge.refuse = True
    await bridge.ws.close()
    await page.wait_for_function("() => window.EITP.stats().transport === 'http'", polling=10)
    for name in ("first_post", "queued_1", "queued_2"):
        await page.evaluate("(n) => { window.EITP.track(n, {}); window.EITP.flush('manual'); }", name)
    await wait_until(lambda: requests, message="the first POST in flight")
    assert await page.evaluate("() => window.EITP.stop()") is True
    release.set()
    await asyncio.sleep(0.3)
    sent = [e["type"] for body in requests for e in body["events"]]
    assert "first_post" in sent and "queued_1" not in sent and "queued_2" not in sent
    assert len(requests) == 1
    stats = await site.stats()
    assert stats["stopped"] and stats["discarded"] >= 2 and stats["buffered"] == 0
