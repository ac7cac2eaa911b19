"""The bridge's per-connection rules, sans I/O: bytes in, replies and publishes out."""

import orjson
import pytest

from tests.conftest import batch, mouse_path
from workbench.bridge import codec
from workbench.bridge.connection import BridgeConnection

CONNECT = codec.encode_connect({"tenant_id": "org_test", "session_id": "sq_1_test", "verbose": False})


def connected(**kw) -> BridgeConnection:
    conn = BridgeConnection(peer_ip="192.0.2.10", user_agent="UA/1", **kw)
    assert conn.receive(CONNECT).send == [codec.OK]
    return conn


def pub(doc, subject="telemetry.raw") -> bytes:
    return codec.encode_pub(subject, orjson.dumps(doc))


def test_greeting_is_an_info_line_with_our_limit():
    info = BridgeConnection(peer_ip="x").greeting()
    parser = codec.NatsParser()
    parser.receive_data(info)
    (cmd,) = parser.events_received()
    assert isinstance(cmd, codec.Info) and cmd.options["max_payload"] == 50_000 and cmd.options["server_id"]


def test_valid_batch_is_published_with_server_side_ip_and_ua():
    conn = connected()
    doc = batch(mouse_path(1000, 3), ip="6.6.6.6", clientIp="7.7.7.7")
    result = conn.receive(pub(doc))
    assert result.send == [] and result.violations == []
    (published,) = result.publish
    assert published.subject == "telemetry.raw"
    assert published.batch["ip"] == "192.0.2.10" and "clientIp" not in published.batch
    assert published.batch["userAgent"] == "UA/1"


def test_ping_pong_and_split_frames():
    conn = connected()
    data = codec.PING + pub(batch(mouse_path(1000, 2)))
    results = [conn.receive(data[i:i + 7]) for i in range(0, len(data), 7)]
    assert sum(len(r.publish) for r in results) == 1
    assert [s for r in results for s in r.send] == [codec.PONG]


@pytest.mark.parametrize("subject", ["emotions.org_test.detected.x", "seer.org_test.intervention.request.sq_1_test",
                                     "telemetry.raw.extra", "bot.org_test.detection.sq_1_test"])
def test_publish_outside_whitelist_is_a_permissions_violation(subject):
    conn = connected()
    result = conn.receive(pub(batch(mouse_path(1000, 2)), subject) + pub(batch(mouse_path(2000, 2))))
    assert result.send[0] == codec.encode_err(f'Permissions Violation for Publish to "{subject}"')
    assert [v.kind for v in result.violations] == ["permissions"]
    assert len(result.publish) == 1  # the valid PUB after it is not lost


def test_subscribe_only_to_own_intervention_subject():
    conn = connected()
    ok = conn.receive(codec.encode_sub("seer.org_test.intervention.request.sq_1_test", "1"))
    assert ok.violations == []
    other = conn.receive(codec.encode_sub("seer.org_test.intervention.request.sq_OTHER", "2"))
    assert other.violations[0].kind == "permissions"


def _sized(total: int) -> bytes:
    doc = batch(mouse_path(1000, 2))
    base = len(orjson.dumps(doc))
    doc["vertical"] = "x" * (total - base + len("rv_dealer"))
    body = orjson.dumps(doc)
    assert len(body) == total
    return body


def test_message_size_limit_50000_passes_50001_refused():
    conn = connected()
    ok = conn.receive(codec.encode_pub("telemetry.raw", _sized(50_000)))
    assert len(ok.publish) == 1 and ok.violations == []
    too_big = conn.receive(codec.encode_pub("telemetry.raw", _sized(50_001)) + pub(batch(mouse_path(5000, 2))))
    assert [v.kind for v in too_big.violations] == ["payload_size"]
    assert b"Maximum Payload Violation" in too_big.send[0]
    assert len(too_big.publish) == 1  # the next batch on the same connection still gets through


def test_wrong_tenant_and_wrong_session_are_refused():
    conn = connected()
    result = conn.receive(pub(batch(mouse_path(1000, 2), tenant="org_evil")) +
                          pub(batch(mouse_path(1000, 2), session="sq_other")))
    assert [v.kind for v in result.violations] == ["tenant", "session"]
    assert result.publish == []
    assert b"Tenant Violation" in result.send[0]


def test_junk_json_and_invalid_batch_get_specific_errors():
    conn = connected()
    result = conn.receive(codec.encode_pub("telemetry.raw", b"{nope") +
                          pub({"type": "telemetry_batch", "events": "no"}))
    assert [v.kind for v in result.violations] == ["parse", "invalid_batch"]
    assert b"not JSON" in result.send[0] and b"Invalid Batch" in result.send[1]


def test_pub_before_connect_and_connect_without_tenant():
    conn = BridgeConnection(peer_ip="x")
    assert conn.receive(pub(batch(mouse_path(1000, 2)))).violations[0].kind == "handshake"
    assert conn.receive(codec.encode_connect({"verbose": False})).violations[0].kind == "handshake"


def test_garbage_never_raises():
    conn = connected()
    result = conn.receive(b"HELLO world\r\nPUB telemetry.raw notanumber\r\n\x00\xff\r\n")
    assert result.violations and all(v.kind == "parse" for v in result.violations)
